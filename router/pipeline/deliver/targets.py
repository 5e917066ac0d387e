"""An Apprise target from its URL: the plugin, and the form of the URL safe to show.

Target URLs are shown in Apprise's privacy form, with custom header and query
values (``+X-Key=...``, ``-token=...`` of json/form/xml) and token-like path
segments (8+ characters mixing letters and digits) masked too, which Apprise
leaves readable.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

import apprise
from apprise.manager_plugins import NotificationManager

from router.channels import logsink
from router.obs.redact import ordered, scrub
from router.pipeline.deliver.masking import (
    COLLECT,
    path_of,
    query_secrets,
    secret_scope,
    secrets_of,
    variants,
)

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]{0,31})://")


def _scheme(url: str) -> str | None:
    match = _SCHEME.match(url)
    return match.group(1).lower() if match else None


def invalid_label(url: str) -> str:
    scheme = _scheme(url)
    return f"<invalid apprise url: scheme '{scheme}'>" if scheme else "<invalid apprise url>"


def instantiate(url: str) -> tuple[Any, str | None]:
    """The Apprise plugin for ``url``, or None and why (secrets not yet scrubbed)."""
    scheme = _scheme(url)
    if scheme is None:
        return None, "not an Apprise URL: expected scheme://..."
    logsink.register()  # cheap; makes log:// known even if plugins were reloaded
    if scheme not in NotificationManager():  # type: ignore[no-untyped-call]
        return None, f"unsupported scheme '{scheme}': Apprise has no such service"
    collected: list[str] = []
    token = COLLECT.set(collected)
    try:
        plugin = apprise.Apprise.instantiate(url)
    finally:
        COLLECT.reset(token)
    if plugin is None:
        detail = "; ".join(dict.fromkeys(collected)) or "rejected by Apprise"
        return None, f"invalid {scheme}:// URL: {detail}"
    return plugin, None


def _token_like(segment: str) -> bool:
    """A path segment that looks generated (webhook ids, tokens), not a word like ``hook``."""
    return len(segment) >= 8 and any(c.isdigit() for c in segment) and any(
        c.isalpha() for c in segment)


def target_of(plugin: Any, url: str) -> str:
    # Apprise's privacy form keeps custom header and query values and the
    # path of generic webhooks readable; mask those that may be credentials.
    hidden = query_secrets(url)
    for segment in path_of(url).split("/"):
        if _token_like(unquote(segment)):
            hidden |= variants(segment)
    return scrub(str(plugin.url(privacy=True)), ordered(hidden))


def privacy_url(url: str) -> str:
    """``url`` in a form safe to log and show: Apprise's privacy form, or an invalid marker."""
    with secret_scope(secrets_of(url)):
        plugin, _ = instantiate(url)
        return target_of(plugin, url) if plugin is not None else invalid_label(url)
