"""Matchers: one class per kind of condition a route puts on a camera event
(``base`` holds the protocol they share and the pattern machinery)."""

from router.rules.matchers.anomalies import AnomaliesMatcher
from router.rules.matchers.base import IndexKey, Matcher, show
from router.rules.matchers.identity import (
           CameraMatcher,
           LicenseMatcher,
           StatusMatcher,
           parse_status,
)
from router.rules.matchers.tags import TagsMatcher

__all__ = ["AnomaliesMatcher", "CameraMatcher", "IndexKey", "LicenseMatcher", "Matcher",
           "StatusMatcher", "TagsMatcher", "parse_status", "show"]
