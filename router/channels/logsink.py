"""The built-in local sink: the Apprise scheme ``log://``.

``log://`` writes every notification as one INFO line to the Python logger
``router.sink`` (title and body also as the structured fields ``title`` and
``body``), which is enough for a laptop demo or a smoke test without any chat
account.

``log://?file=PATH`` also appends one JSON line ``{"title", "body", "type",
"time"}`` to PATH (created if missing, relative to the working directory
unless absolute). The file goes in the query because Apprise parses the first
path component of ``log:///var/x.log`` as a host name, so that form cannot
carry a path reliably; it is refused with a clear log line rather than
silently ignored.

Importing this module registers the scheme (once per process).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from apprise.decorators import notify
from apprise.manager_plugins import NotificationManager

SCHEME = "log"

logger = logging.getLogger("router.sink")
# Problems go to Apprise's logger so that Apprise captures them into the
# delivery result and the router can show why the attempt failed.
_apprise_log = logging.getLogger("apprise")

# Several Apprise worker threads may write to the same file; one lock keeps
# each JSON line whole.
_file_lock = threading.Lock()
_register_lock = threading.Lock()


def _one_line(text: str) -> str:
    """Escape line breaks so one notification stays one log line."""
    return text.replace("\\", "\\\\").replace("\r", "\\r").replace("\n", "\\n")


def _file_of(meta: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The ``?file=`` path of a ``log://`` URL, or an error text."""
    if meta.get("host") or meta.get("fullpath", "/") not in ("/", ""):
        return None, "log:// takes its file as log://?file=PATH, not as a path"
    qsd = meta.get("qsd") or {}
    path = qsd.get("file")
    return (str(path) if path else None), None


def _append_json(path: str, title: str, body: str, notify_type: str) -> None:
    record = {
        "title": title,
        "body": body,
        "type": notify_type,
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
    }
    line = json.dumps(record, ensure_ascii=False) + "\n"
    with _file_lock, Path(path).open("a", encoding="utf-8") as f:
        f.write(line)


def _send(
    body: str,
    title: str,
    notify_type: str,
    *args: Any,
    meta: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> bool:
    """The Apprise hook: log the notification, then append it to the file if asked."""
    path, problem = _file_of(meta or {})
    if problem:
        _apprise_log.warning(problem)
        return False
    logger.info(
        "notification title=%s body=%s",
        _one_line(title),
        _one_line(body),
        extra={"title": title, "body": body, "notify_type": notify_type},
    )
    if path:
        try:
            _append_json(path, title, body, notify_type)
        except OSError as e:
            _apprise_log.warning("log sink cannot append to %s: %s", path, e.strerror or e)
            return False
    # Apprise counts anything but False as success; say it explicitly.
    return True


def register() -> None:
    """Make ``log://`` known to Apprise; safe to call any number of times."""
    with _register_lock:
        # Apprise warns (and ignores) a second registration of a scheme.
        if SCHEME in NotificationManager():  # type: ignore[no-untyped-call]
            return
        notify(on=SCHEME, name="VisionAlert Router log sink")(_send)  # type: ignore[no-untyped-call]


register()

__all__ = ["SCHEME", "register"]
