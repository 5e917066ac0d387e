"""The secrets of an Apprise target URL, and keeping them out of Apprise's logging.

Every secret-looking part of the raw URL counts: user, password, a host that is
not a host name (Slack-style tokens), path segments and query values longer than
3 characters (except plain options such as ``smtp`` or ``mode``). The
``apprise`` and ``urllib3`` loggers are kept at INFO or above, because their
DEBUG lines print full URLs or request paths, and a filter scrubs the same parts
from Apprise's own log lines while a router call is running.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from urllib.parse import quote, unquote, unquote_plus, urlsplit

from router.obs.redact import ordered, scrub

# Query options whose values are settings, not credentials.
_PLAIN_OPTIONS = frozenset(
    {"smtp", "mode", "format", "method", "overflow", "verify", "cto", "rto", "port",
     "retry", "wait", "optional", "from", "to", "cc", "bcc", "name", "file", "lang"}
)
_IP_OR_HOSTNAME = re.compile(r"^(localhost|\[.*\]|.*\..*)$", re.IGNORECASE)

_APPRISE_LOGGER = logging.getLogger("apprise")
# Apprise sends HTTP through requests/urllib3, whose DEBUG lines carry the
# request path and query (webhook tokens); they are kept off DEBUG as well.
_QUIET_LOGGERS = (_APPRISE_LOGGER, logging.getLogger("urllib3"))

# The secrets of the URL being handled, visible to Apprise's worker threads
# because Apprise submits its work with a copy of the caller's context.
_SECRETS: ContextVar[tuple[str, ...]] = ContextVar("router_deliver_secrets", default=())
# Where Apprise's warnings during instantiate() go (None: not collecting).
COLLECT: ContextVar[list[str] | None] = ContextVar("router_deliver_collect", default=None)


def variants(value: str) -> set[str]:
    """A secret as it may appear in a message: raw, decoded and encoded."""
    decoded = unquote(value)
    return {value, decoded, unquote_plus(value), quote(decoded, safe="")} - {""}


def query_secrets(url: str) -> set[str]:
    """Values longer than 3 characters of query parameters that are not plain options.

    Split by hand rather than with parse_qsl, which turns ``+`` into a space
    in keys (``+X-Key`` is a json:// header) and values alike.
    """
    query = url.partition("?")[2].partition("#")[0]
    found: set[str] = set()
    for pair in query.split("&"):
        key, _, value = pair.partition("=")
        if len(value) > 3 and unquote(key).lower() not in _PLAIN_OPTIONS:
            found |= variants(value)
    return found


def path_of(url: str) -> str:
    try:
        return urlsplit(url).path if "://" in url else ""
    except ValueError:  # e.g. an unclosed IPv6 bracket; Apprise will refuse the URL
        return ""


def secrets_of(url: str) -> tuple[str, ...]:
    """Every part of ``url`` that may be a credential, longest first."""
    rest = url.partition("://")[2] if "://" in url else url
    # The whole URL too (any message quoting it verbatim), unless it is a bare scheme.
    found = variants(url) if len(rest) > 3 else set()
    found |= query_secrets(url)
    netloc = rest.split("/", 1)[0].split("?", 1)[0]
    userinfo, _, hostport = netloc.rpartition("@")
    if userinfo:
        for part in userinfo.split(":", 1):
            found |= variants(part)
    host = hostport if hostport.startswith("[") else hostport.split(":", 1)[0]
    if len(host) > 3 and not _IP_OR_HOSTNAME.match(host):
        found |= variants(host)
    for segment in path_of(url).split("/"):
        if len(segment) > 3:
            found |= variants(segment)
    return ordered(found)


class _ScrubFilter(logging.Filter):
    """Scrubs Apprise's own log lines and collects its warnings during a router call."""

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = _SECRETS.get()
        collect = COLLECT.get()
        if not secrets and collect is None:
            return True
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        if secrets:
            record.msg, record.args = scrub(message, secrets), None
        if collect is not None and record.levelno >= logging.WARNING:
            collect.append(record.getMessage())
        return True


_FILTER = _ScrubFilter()


def _guard_apprise_logging() -> None:
    """Keep Apprise off DEBUG (it prints full URLs there) and scrub what it logs."""
    for quiet in _QUIET_LOGGERS:
        if quiet.getEffectiveLevel() < logging.INFO:
            quiet.setLevel(logging.INFO)
    _APPRISE_LOGGER.addFilter(_FILTER)  # no-op when already present


@contextmanager
def secret_scope(secrets: tuple[str, ...]) -> Iterator[None]:
    _guard_apprise_logging()
    token = _SECRETS.set(secrets)
    try:
        yield
    finally:
        _SECRETS.reset(token)
