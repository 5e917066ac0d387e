"""The exception tree of VisionAlert Router.

    RouterError                 base of everything the router raises on purpose
    ├── SettingsError           a ROUTER_* variable or *_FILE secret is unusable
    ├── RulesError              rules.yaml is invalid; ``problems`` lists file:line:col texts
    ├── PayloadError            a webhook body is unusable; ``field`` names the culprit
    ├── StoreError              the database is unreachable or not migrated
    │   └── StoreUnavailable    the database is down or saturated: answered 503, retry later
    └── TimeInputError          a time or duration typed at the API, CLI or in rules is unusable

Each message says what was wrong and how to fix it; none carries a secret.
"""

from __future__ import annotations

from dataclasses import dataclass


class RouterError(Exception):
    """Base of every error the router raises on purpose."""


class SettingsError(RouterError):
    """A deployment setting (ROUTER_* variable or *_FILE secret) is unusable."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a configuration file, with its position (1-based)."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class RulesError(RouterError):
    """rules.yaml cannot be used; every problem names file, line and column."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class PayloadError(RouterError):
    """A webhook body cannot be accepted; ``field`` is the offending JSON path."""

    status_code = 400

    def __init__(self, message: str, field: str | None = None) -> None:
        self.field = field
        super().__init__(message)


class StoreError(RouterError):
    """The store is unreachable or its schema is not at the expected revision."""


class StoreUnavailable(StoreError):
    """The database is down or saturated (refused, lost, pool exhausted): retry later."""


class TimeInputError(RouterError, ValueError):
    """A time or duration that cannot be read; the message says what to write."""
