"""Deliver stage: one attempt to send one notification to one Apprise target.

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

Secrets: nothing here logs or returns a raw URL. Target URLs are shown in
Apprise's privacy form, with custom header and query values (``+X-Key=...``,
``-token=...`` of json/form/xml) and token-like path segments (8+ characters
mixing letters and digits) masked too, which Apprise leaves readable.
Error texts come from Apprise's captured log entries (WARNING and above)
with every secret-looking part of the raw URL replaced by ``****``: user,
password, a host that is not a host name (Slack-style tokens), path segments
and query values longer than 3 characters (except plain options such as
``smtp`` or ``mode``). The ``apprise`` and ``urllib3`` loggers are kept at
INFO or above, because their DEBUG lines print full URLs or request paths,
and a filter scrubs the same parts from Apprise's own log lines while a
router call is running.

Rendered messages (``send_rendered``) go out in the target's channel family:
e-mail as HTML (Apprise derives the text part) with the images inline, Teams
as the rendered Adaptive Card, SMS without a title. Images are fetched through
an ``ImageFetcher`` (router/channels/images.py) and attached where the target
takes files (``attaches_images``); a refused or failed image stays a link
(e-mail: its ``<img>`` becomes a link) and the reason is kept in
``Attempt.notes``, one line per image. Images never block or fail a send.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from html import escape
from typing import Any, Literal
from urllib.parse import quote, unquote, unquote_plus, urlsplit

import apprise
from apprise.attachment.memory import AttachMemory
from apprise.manager_plugins import NotificationManager

from router.channels import logsink
from router.channels.families import attaches_images, family_of
from router.channels.images import ImageFetcher, ImageRefused
from router.channels.message import Image, Rendered

Outcome = Literal["success", "failure", "timeout", "invalid_target"]

MASK = "****"

# Extra seconds the socket read timeout gets over Apprise's own deadline, so
# that the deadline decides (see the module docstring).
_SOCKET_SLACK = 0.5

# Longest error text kept: it is stored per attempt and shown in the UI.
_MAX_ERROR = 1000

# Query options whose values are settings, not credentials.
_PLAIN_OPTIONS = frozenset(
    {"smtp", "mode", "format", "method", "overflow", "verify", "cto", "rto", "port",
     "retry", "wait", "optional", "from", "to", "cc", "bcc", "name", "file", "lang"}
)
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]{0,31})://")
_IP_OR_HOSTNAME = re.compile(r"^(localhost|\[.*\]|.*\..*)$", re.IGNORECASE)
_ERROR_LEVELS = frozenset({"WARNING", "ERROR", "CRITICAL"})

log = logging.getLogger(__name__)
_APPRISE_LOGGER = logging.getLogger("apprise")
# Apprise sends HTTP through requests/urllib3, whose DEBUG lines carry the
# request path and query (webhook tokens); they are kept off DEBUG as well.
_QUIET_LOGGERS = (_APPRISE_LOGGER, logging.getLogger("urllib3"))

# The secrets of the URL being handled, visible to Apprise's worker threads
# because Apprise submits its work with a copy of the caller's context.
_SECRETS: ContextVar[tuple[str, ...]] = ContextVar("router_deliver_secrets", default=())
# Where Apprise's warnings during instantiate() go (None: not collecting).
_COLLECT: ContextVar[list[str] | None] = ContextVar("router_deliver_collect", default=None)


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


# --- secrets ----------------------------------------------------------------


def _variants(value: str) -> set[str]:
    """A secret as it may appear in a message: raw, decoded and encoded."""
    decoded = unquote(value)
    return {value, decoded, unquote_plus(value), quote(decoded, safe="")} - {""}


def _query_secrets(url: str) -> set[str]:
    """Values longer than 3 characters of query parameters that are not plain options.

    Split by hand rather than with parse_qsl, which turns ``+`` into a space
    in keys (``+X-Key`` is a json:// header) and values alike.
    """
    query = url.partition("?")[2].partition("#")[0]
    found: set[str] = set()
    for pair in query.split("&"):
        key, _, value = pair.partition("=")
        if len(value) > 3 and unquote(key).lower() not in _PLAIN_OPTIONS:
            found |= _variants(value)
    return found


def _path_of(url: str) -> str:
    try:
        return urlsplit(url).path if "://" in url else ""
    except ValueError:  # e.g. an unclosed IPv6 bracket; Apprise will refuse the URL
        return ""


def secrets_of(url: str) -> tuple[str, ...]:
    """Every part of ``url`` that may be a credential, longest first."""
    rest = url.partition("://")[2] if "://" in url else url
    # The whole URL too (any message quoting it verbatim), unless it is a bare scheme.
    found = _variants(url) if len(rest) > 3 else set()
    found |= _query_secrets(url)
    netloc = rest.split("/", 1)[0].split("?", 1)[0]
    userinfo, _, hostport = netloc.rpartition("@")
    if userinfo:
        for part in userinfo.split(":", 1):
            found |= _variants(part)
    host = hostport if hostport.startswith("[") else hostport.split(":", 1)[0]
    if len(host) > 3 and not _IP_OR_HOSTNAME.match(host):
        found |= _variants(host)
    for segment in _path_of(url).split("/"):
        if len(segment) > 3:
            found |= _variants(segment)
    return tuple(sorted(found, key=len, reverse=True))


def scrub(text: str, secrets: tuple[str, ...]) -> str:
    """Replace every secret in ``text`` by ``****``; short ones only as whole words."""
    for secret in secrets:
        if len(secret) > 3:
            text = text.replace(secret, MASK)
        else:
            # A 2-letter password must not mangle every word containing it.
            text = re.sub(rf"(?<!\w){re.escape(secret)}(?!\w)", MASK, text)
    return text


class _ScrubFilter(logging.Filter):
    """Scrubs Apprise's own log lines and collects its warnings during a router call."""

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = _SECRETS.get()
        collect = _COLLECT.get()
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
def _secret_scope(secrets: tuple[str, ...]) -> Iterator[None]:
    _guard_apprise_logging()
    token = _SECRETS.set(secrets)
    try:
        yield
    finally:
        _SECRETS.reset(token)


# --- targets ----------------------------------------------------------------


def _scheme(url: str) -> str | None:
    match = _SCHEME.match(url)
    return match.group(1).lower() if match else None


def _invalid_label(url: str) -> str:
    scheme = _scheme(url)
    return f"<invalid apprise url: scheme '{scheme}'>" if scheme else "<invalid apprise url>"


def _instantiate(url: str) -> tuple[Any, str | None]:
    """The Apprise plugin for ``url``, or None and why (secrets not yet scrubbed)."""
    scheme = _scheme(url)
    if scheme is None:
        return None, "not an Apprise URL: expected scheme://..."
    logsink.register()  # cheap; makes log:// known even if plugins were reloaded
    if scheme not in NotificationManager():  # type: ignore[no-untyped-call]
        return None, f"unsupported scheme '{scheme}': Apprise has no such service"
    collected: list[str] = []
    token = _COLLECT.set(collected)
    try:
        plugin = apprise.Apprise.instantiate(url)
    finally:
        _COLLECT.reset(token)
    if plugin is None:
        detail = "; ".join(dict.fromkeys(collected)) or "rejected by Apprise"
        return None, f"invalid {scheme}:// URL: {detail}"
    return plugin, None


def _token_like(segment: str) -> bool:
    """A path segment that looks generated (webhook ids, tokens), not a word like ``hook``."""
    return len(segment) >= 8 and any(c.isdigit() for c in segment) and any(
        c.isalpha() for c in segment)


def _target_of(plugin: Any, url: str) -> str:
    # Apprise's privacy form keeps custom header and query values and the
    # path of generic webhooks readable; mask those that may be credentials.
    hidden = _query_secrets(url)
    for segment in _path_of(url).split("/"):
        if _token_like(unquote(segment)):
            hidden |= _variants(segment)
    return scrub(str(plugin.url(privacy=True)), tuple(sorted(hidden, key=len, reverse=True)))


def privacy_url(url: str) -> str:
    """``url`` in a form safe to log and show: Apprise's privacy form, or an invalid marker."""
    with _secret_scope(secrets_of(url)):
        plugin, _ = _instantiate(url)
        return _target_of(plugin, url) if plugin is not None else _invalid_label(url)


# --- sending ----------------------------------------------------------------


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


@dataclass(frozen=True)
class _Message:
    """What Apprise is given for one send, after the channel family had its say."""

    title: str
    body: str
    body_format: str = "text"
    attach: tuple[Any, ...] = ()
    notes: tuple[str, ...] = field(default=())


def _notify(plugin: Any, message: _Message, deadline: float,
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


def _deliver(url: str, compose: Callable[[Any], _Message], *, connect_timeout: float,
             read_timeout: float) -> Attempt:
    """One attempt: instantiate the target, let ``compose`` build the message, send it."""
    started = time.monotonic()
    secrets = secrets_of(url)
    with _secret_scope(secrets):
        plugin, problem = _instantiate(url)
        if plugin is None:
            return Attempt(
                ok=False,
                outcome="invalid_target",
                transient=False,
                elapsed=time.monotonic() - started,
                target=_invalid_label(url),
                error=scrub(problem or "invalid target", secrets),
            )
        target = _target_of(plugin, url)
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
    message = _Message(title, body, body_format)
    return _deliver(url, lambda plugin: message, connect_timeout=connect_timeout,
                    read_timeout=read_timeout)


def send_rendered(url: str, rendered: Rendered, *, connect_timeout: float,
                  read_timeout: float, images: ImageFetcher | None = None) -> Attempt:
    """Send a stored, per-target rendered message in the target's channel family.

    Without ``images`` nothing is fetched: images stay links (the e-mail's
    ``<img>`` parts become links too).
    """
    def compose(plugin: Any) -> _Message:
        return _compose(url, rendered, plugin, images)

    return _deliver(url, compose, connect_timeout=connect_timeout, read_timeout=read_timeout)


def _compose(url: str, rendered: Rendered, plugin: Any, fetcher: ImageFetcher | None) -> _Message:
    family = family_of(url)
    attach: list[Any] = []
    notes: list[str] = []
    if fetcher is not None and rendered.images and attaches_images(url):
        attach, notes = _attachments(rendered.images, fetcher)
    title, body, body_format = rendered.title, rendered.body, rendered.body_format
    if family == "sms":
        title = ""  # Apprise would put it in front of the fitted text
    elif family == "email":
        plugin.inline = True  # images referenced by cid: go inline (RFC 2387)
        if rendered.html is not None:
            body, body_format = _email_html(rendered.html, rendered.images, attach), "html"
    elif family == "teams" and rendered.card is not None:
        # Apprise's Workflows card has no facts or buttons; it sends what gen_payload returns.
        plugin.gen_payload = _card_payload(rendered.card)
    return _Message(title, body, body_format, tuple(attach), tuple(notes))


def _card_payload(card: Mapping[str, Any]) -> Callable[..., dict[str, Any]]:
    payload = {"type": "message",
               "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive",
                                "contentUrl": None, "content": dict(card)}]}
    return lambda *args, **kwargs: payload


def _file_name(image: Image, index: int, extension: str) -> str:
    return f"{image.cid or f'{image.role}-{index}'}.{extension}"


def _attachments(images: tuple[Image, ...],
                 fetcher: ImageFetcher) -> tuple[list[Any], list[str]]:
    """The fetched images as Apprise attachments, and why the others are links."""
    attach: list[Any] = []
    notes: list[str] = []
    for index, image in enumerate(images, start=1):
        try:
            fetched = fetcher.fetch(image.url)
        except ImageRefused as refused:
            notes.append(f"{image.role} of {image.camera or 'camera'} linked, not attached: "
                         f"{refused}")
            log.warning("image not attached", extra={"role": image.role,
                                                      "camera": image.camera,
                                                      "reason": str(refused)})
            continue
        attach.append(AttachMemory(  # type: ignore[no-untyped-call]
            content=fetched.data, mimetype=fetched.content_type,
            name=_file_name(image, index, fetched.extension)))
    return attach, notes


def _email_html(html: str, images: tuple[Image, ...], attach: list[Any]) -> str:
    """Point each ``cid:`` at its attached file, or turn the ``<img>`` into a link."""
    names = {str(a.name).rsplit(".", 1)[0]: str(a.name) for a in attach}
    for image in images:
        if not image.cid:
            continue
        if image.cid in names:
            html = html.replace(f'"cid:{image.cid}"', f'"cid:{names[image.cid]}"')
            continue
        label = f"{image.role.capitalize()} of {image.camera}".strip()
        link = f'<a href="{escape(image.url)}">{escape(label)}</a>'
        # The replacement is literal text: backslashes doubled for re.sub.
        html = re.sub(rf'<img\b[^>]*\bsrc="cid:{re.escape(image.cid)}"[^>]*>',
                      link.replace("\\", "\\\\"), html)
    return html
