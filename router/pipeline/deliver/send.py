"""One attempt to send one message to one Apprise target.

Retries, pacing and failure accounting are the router's (durable, per
target), so each call builds its own ``Apprise`` with just this target, with
Apprise's retries and self-pacing switched off, and turns the result into an
``Attempt``.

Timeouts: Apprise stops waiting after ``connect_timeout + read_timeout``
seconds in total and reports TIMEOUT (outcome ``timeout``). The socket read
timeout is set to that total plus half a second on purpose: if the socket gave up
first, Apprise would only say "connection error" (outcome ``failure``); the
socket timeout still ends the abandoned worker thread shortly afterwards, so
hanging targets cannot pile up threads. A refused or unreachable connection
is a ``failure``.

Secrets: nothing here logs or returns a raw URL. Error texts come from Apprise's
captured log entries (WARNING and above) with every secret-looking part of the
raw URL replaced by ``****`` (``masking``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import apprise

from router.channels.images import ImageFetcher
from router.channels.message import Rendered
from router.obs.redact import scrub
from router.pipeline.deliver.compose import Message, compose
from router.pipeline.deliver.masking import secret_scope, secrets_of
from router.pipeline.deliver.targets import instantiate, invalid_label, target_of

Outcome = Literal["success", "failure", "timeout", "invalid_target"]

# Extra seconds the socket read timeout gets over Apprise's own deadline, so
# that the deadline decides (see the module docstring).
_SOCKET_SLACK = 0.5

# Longest error text kept: it is stored per attempt and shown in the UI.
_MAX_ERROR = 1000

_ERROR_LEVELS = frozenset({"WARNING", "ERROR", "CRITICAL"})


@dataclass(frozen=True)
class Attempt:
    """The outcome of one attempt to one target; safe to log and store."""

    ok: bool
    outcome: Outcome
    transient: bool
    elapsed: float
    target: str
    error: str | None
    notes: tuple[str, ...] = ()  # what was degraded without failing (an image linked, not sent)


def _prepare(plugin: Any, connect_timeout: float, read_timeout: float) -> None:
    plugin.request_rate_per_sec = 0  # pacing is the router's per-target limiter
    plugin.retry = 0  # retries are the router's durable schedule
    plugin.optional = False  # an "optional" target would report failures as success
    plugin.socket_connect_timeout = connect_timeout
    # Longer than Apprise's deadline even when the connection is instant.
    plugin.socket_read_timeout = connect_timeout + read_timeout + _SOCKET_SLACK


def _error_text(result: Any, secrets: tuple[str, ...]) -> str | None:
    messages = [e.message for e in result.logs() if str(e.level).upper() in _ERROR_LEVELS]
    if not messages:
        return None
    text = scrub("; ".join(dict.fromkeys(messages)), secrets)
    return text if len(text) <= _MAX_ERROR else text[: _MAX_ERROR - 3] + "..."


def _outcome(result: Any) -> Outcome:
    service = result.results[0] if result.results else None
    if service is None:
        return "failure"
    status = service.status
    if status == apprise.AppriseResultStatus.SUCCESS:
        return "success"
    if status == apprise.AppriseResultStatus.TIMEOUT:
        return "timeout"
    return "failure"


def _notify(plugin: Any, message: Message, deadline: float,
            secrets: tuple[str, ...]) -> tuple[Outcome, str | None]:
    notifier = apprise.Apprise()
    notifier.add(plugin)
    try:
        with notifier.notify(body=message.body, title=message.title,
                             body_format=message.body_format,
                             attach=list(message.attach) or None, timeout=deadline) as result:
            outcome = _outcome(result)
            error = _error_text(result, secrets)
    except Exception as e:  # Apprise raises for arguments it refuses (e.g. timeout range)
        return "failure", scrub(f"{type(e).__name__}: {e}", secrets)
    if outcome != "success" and error is None:
        error = f"Apprise reported {outcome} without details"
    return outcome, error


def _deliver(url: str, compose: Callable[[Any], Message], *, connect_timeout: float,
             read_timeout: float) -> Attempt:
    """One attempt: instantiate the target, let ``compose`` build the message, send it."""
    started = time.monotonic()
    secrets = secrets_of(url)
    with secret_scope(secrets):
        plugin, problem = instantiate(url)
        if plugin is None:
            return Attempt(
                ok=False,
                outcome="invalid_target",
                transient=False,
                elapsed=time.monotonic() - started,
                target=invalid_label(url),
                error=scrub(problem or "invalid target", secrets),
            )
        target = target_of(plugin, url)
        _prepare(plugin, connect_timeout, read_timeout)
        message = compose(plugin)
        outcome, error = _notify(plugin, message, connect_timeout + read_timeout, secrets)
    return Attempt(
        ok=outcome == "success",
        outcome=outcome,
        transient=outcome in ("failure", "timeout"),
        elapsed=time.monotonic() - started,
        target=target,
        error=error,
        notes=tuple(scrub(n, secrets) for n in message.notes),
    )


def send(
    url: str,
    title: str,
    body: str,
    *,
    connect_timeout: float,
    read_timeout: float,
    body_format: str = "text",
) -> Attempt:
    """Send ``title``/``body`` to the Apprise target ``url`` once.

    ``body_format`` tells Apprise what the body is ("text", "markdown" or
    "html"). Without it Apprise passes the body through untouched, and e-mail
    then treats plain text as HTML and joins its lines.
    """
    message = Message(title, body, body_format)
    return _deliver(url, lambda plugin: message, connect_timeout=connect_timeout,
                    read_timeout=read_timeout)


def send_rendered(url: str, rendered: Rendered, *, connect_timeout: float,
                  read_timeout: float, images: ImageFetcher | None = None) -> Attempt:
    """Send a stored, per-target rendered message in the target's channel family.

    Without ``images`` nothing is fetched: images stay links (the e-mail's
    ``<img>`` parts become links too).
    """
    def compose_for(plugin: Any) -> Message:
        return compose(url, rendered, plugin, images)

    return _deliver(url, compose_for, connect_timeout=connect_timeout, read_timeout=read_timeout)
