"""The exception tree of VisionAlert Router.

    RouterError                 base of everything the router raises on purpose
    ├── SettingsError           a ROUTER_* variable or *_FILE secret is unusable
    ├── RulesError              rules.yaml is invalid; ``problems`` lists file:line:col texts
    ├── YamlSyntaxError         a text is not YAML; ``line`` and ``column`` say where
    ├── PayloadError            a webhook body is unusable; ``field`` names the culprit
    ├── InputError              a value typed at the API, dashboard, CLI or in rules (ValueError)
    │   ├── TimeInputError      a time or duration is unusable
    │   ├── QueryError          an API query parameter is unusable; ``param`` names it
    │   ├── FormError           a dashboard form field is unusable
    │   ├── MatchError          a silence or inhibition matcher is unusable
    │   ├── SandboxProblem      a template or expression is unusable or reaches for internals
    │   ├── ExplainError        the input to explain is unusable
    │   └── RouteTestError      a rules tests file is unusable
    ├── Refused                 a dashboard action was not done; the message says why
    ├── RenderError             a template cannot be compiled or rendered
    ├── ImageRefused            an image was not fetched (too big, wrong type, refused host)
    ├── LinkError               a signed action link is invalid or expired
    ├── StoreError              the database is unreachable or not migrated
    │   ├── StoreUnavailable    the database is down or saturated: answered 503, retry later
    │   ├── LeaseLost           another worker owns the claim now; drop this worker's result
    │   ├── SilenceNotFound     no silence with that id (LookupError)
    │   └── IncidentNotFound    no incident with that id (LookupError)
    ├── SimulatorError          the VisionAlert simulator refuses a request
    │   ├── ApiError            an error answer: ``status`` and the JSON ``body``
    │   ├── AuthFailedError     401; ``detail`` is DRF's message
    │   ├── ControlError        a /_sim control request is unusable; ``status``
    │   ├── InvalidCursorError  a cursor this server did not issue (ValueError)
    │   ├── DateFilterError     a start/end that is not a date or timestamp (ValueError)
    │   └── ScenarioError       a scenario file is unreadable or invalid (ValueError)
    └── UpstreamError           a VisionAlert API call gave no answer; ``str()`` says why
        ├── UpstreamUnavailable connection refused, timeout or 5xx after the retries
        ├── UpstreamThrottled   429 after the retries, or the shared rate limit is booked up
        ├── UpstreamRejected    401/403/404 or an answer that does not parse: retrying won't help
        └── CircuitOpen         recent calls kept failing; failing fast until the cool-down ends

Each message says what was wrong and how to fix it; none carries a secret.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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


class InputError(RouterError, ValueError):
    """A value a person typed cannot be used; the message says what to write."""


class TimeInputError(InputError):
    """A time or duration that cannot be read; the message says what to write."""


class QueryError(InputError):
    """A query parameter the API cannot use; ``param`` names it (answered 400)."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param


class FormError(InputError):
    """A form field is unusable; the message names it."""


class MatchError(InputError):
    """A silence or inhibition matcher that cannot be used; the message says why."""


SECURITY_SUFFIX = "; templates and 'when' run in a sandbox"


class SandboxProblem(InputError):
    """A template or expression is unusable: a syntax error, or (``security``) an
    attempt to reach Python internals. ``detail`` is the part that may quote it."""

    def __init__(self, what: str, detail: str, line: int | None = None, *,
                 security: bool = False) -> None:
        self.what = what
        self.detail = detail
        self.line = line
        self.security = security
        super().__init__(self.format(detail))

    def format(self, detail: str) -> str:
        """The message, with ``detail`` (possibly redacted) in its place."""
        if self.security:
            return f"security: {detail}{SECURITY_SUFFIX}"
        where = f" (template line {self.line})" if self.line is not None else ""
        return f"invalid {self.what}: {detail}{where}"


class ExplainError(InputError):
    """The input to explain is unusable; the message names the field."""


class RouteTestError(InputError):
    """The tests file itself is unusable."""


class YamlSyntaxError(RouterError):
    """The text is not YAML; ``line`` and ``column`` are 1-based."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


class Refused(RouterError):
    """The action was not done; the message says why."""


class RenderError(RouterError):
    """A template cannot be compiled or rendered; the message says which and why."""


class ImageRefused(RouterError):
    """An image was not fetched; the message says why (safe to log and store)."""


class LinkError(RouterError):
    """The link cannot be used; the message is shown to the person who clicked it."""


class LeaseLost(StoreError):
    """Another worker owns the entry now; this worker's result must be dropped."""


class SilenceNotFound(StoreError, LookupError):
    """No silence has that id."""


class IncidentNotFound(StoreError, LookupError):
    """No incident has that id."""


class SimulatorError(RouterError):
    """The VisionAlert simulator refuses a request."""


class ApiError(SimulatorError):
    """An error answer: ``body`` is the JSON to send with ``status``."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


class AuthFailedError(SimulatorError):
    """401: ``detail`` is DRF's message for the case."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class ControlError(SimulatorError):
    """A control request is unusable: ``status`` to answer, ``message`` why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class InvalidCursorError(SimulatorError, ValueError):
    """The cursor was not produced by this server (DRF answers 404 "Invalid cursor")."""


class DateFilterError(SimulatorError, ValueError):
    """A ``start``/``end`` value is neither a date nor an ISO 8601 timestamp."""


class ScenarioError(SimulatorError, ValueError):
    """The scenario file is unreadable or invalid; the message says where."""


class UpstreamError(RouterError):
    """A VisionAlert API call failed; the message says why in words an operator reads."""


class UpstreamUnavailable(UpstreamError):
    """The API did not answer usefully (network, timeout, 5xx)."""


class UpstreamThrottled(UpstreamError):
    """The API (or our own shared limiter) says: not now."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class UpstreamRejected(UpstreamError):
    """The API refused the request or answered something unusable."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class CircuitOpen(UpstreamError):
    """The breaker is open: no call is made until ``retry_at``."""

    def __init__(self, message: str, retry_at: float) -> None:
        super().__init__(message)
        self.retry_at = retry_at
