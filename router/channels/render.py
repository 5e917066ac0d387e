"""Render stage: the camera events of one notification -> the message one target receives.

The target's Apprise scheme picks the channel family (router/channels/families.py);
the family's module renders the default or custom templates into its format.
The sandbox, filters and the template context are documented in
router/channels/sandbox.py and router/channels/context.py.

A custom template that fails at send time must not cost the alert: the
family's default is rendered instead and the failure is logged and kept in
``Rendered.notes``. ``visionalert-router check`` renders every template on sample
data so such failures are found before they happen.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from types import ModuleType
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from router.channels import context as contexts
from router.channels import email, generic, slack, sms, teams
from router.channels.context import ActionLinkMaker, Lifecycle
from router.channels.families import Family, family_of
from router.channels.message import Image, Rendered
from router.channels.sandbox import (
    check_template,
    kind_counts,
    kinds,
    percent,
    summary,
)
from router.errors import RenderError
from router.model import CameraEvent
from router.rules.templates import TemplateSet, TemplateText

if TYPE_CHECKING:  # types only: router.rules.check imports this module
    from router.rules.models import Receiver, RouteOptions

__all__ = ["Image", "RenderError", "Rendered", "check_template", "chosen_template",
           "kind_counts", "kinds", "percent", "render_family", "render_for_target", "summary",
           "template_text"]

log = logging.getLogger(__name__)

FAMILIES: Mapping[Family, ModuleType] = {
    "generic": generic, "slack": slack, "teams": teams, "email": email, "sms": sms}
_DEFAULT = TemplateText()


def _valid_zone(timezone: str | None) -> str | None:
    try:
        return ZoneInfo(timezone).key if timezone else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def chosen_template(receiver: Receiver | None, options: RouteOptions | None
                    ) -> TemplateSet | None:
    """The template set a receiver renders with on a route: the route's wins over the
    receiver's own; None means the families' defaults.

    The worker (router/pipeline/notify.py) and ``explain`` both choose through it, so
    explain shows what the targets will receive.
    """
    route = options.template if options is not None else None
    return route or (receiver.template if receiver is not None else None)


def template_text(template: TemplateSet | None, family: Family) -> TemplateText:
    """The texts ``family`` renders from ``template`` (the defaults when None)."""
    return template.for_family(family) if template else _DEFAULT


def render_family(
    family: Family, url: str, events: Sequence[CameraEvent], text: TemplateText, *,
    receiver: str, route: str, kind: str = "firing", reason: str | None = None,
    external_url: str | None = None, timezone: str | None = None, at: float | None = None,
    now: float | None = None, actions: ActionLinkMaker | None = None,
    lifecycle: Lifecycle | None = None,
) -> Rendered:
    """Render ``events`` with ``text`` for ``family``; template errors raise RenderError."""
    module = FAMILIES[family]
    now = time.time() if now is None else now
    context = contexts.build(
        events, family=family, receiver=receiver, route=route, kind=kind, reason=reason,
        external_url=external_url, timezone=timezone, at=now if at is None else at, now=now,
        limit=module.LIMIT, actions=actions, lifecycle=lifecycle)
    rendered: Rendered = module.render(context, text, url)
    return rendered


def render_for_target(
    url: str,
    events: Sequence[CameraEvent],
    *,
    receiver: str,
    route: str,
    template: TemplateSet | None = None,
    kind: str = "firing",
    reason: str | None = None,
    external_url: str | None = None,
    timezone: str | None = None,
    at: float | None = None,
    now: float | None = None,
    actions: ActionLinkMaker | None = None,
    lifecycle: Lifecycle | None = None,
) -> Rendered:
    """Render the message for one target, in the format of the target's channel family.

    ``kind`` is "firing" or "resolved"; ``reason`` is the lifecycle decision that
    sent it; ``timezone`` the route's IANA zone (UTC when None); ``at`` the epoch
    time the message is about and ``now`` the rendering time (both default to now).
    A failing custom template or an unknown timezone falls back to the default
    (noted in ``Rendered.notes``); only the defaults' own errors raise RenderError.
    """
    family = family_of(url)
    notes: list[str] = []
    zone = _valid_zone(timezone)
    if timezone and zone is None:
        notes.append(f"unknown timezone {timezone!r}: times shown in UTC")
    text = template_text(template, family)

    def render(t: TemplateText) -> Rendered:
        return render_family(family, url, events, t, receiver=receiver, route=route, kind=kind,
                             reason=reason, external_url=external_url, timezone=zone, at=at,
                             now=now, actions=actions, lifecycle=lifecycle)

    try:
        rendered = render(text)
    except RenderError as exc:
        if text == _DEFAULT:
            raise
        notes.append(f"template {template.name if template else ''!r} failed, "
                     f"default used: {exc}")
        log.error("custom template failed; default used",
                  extra={"receiver": receiver, "route": route, "family": family,
                         "error": str(exc)})
        rendered = render(_DEFAULT)
    return _with_notes(rendered, notes)


def _with_notes(rendered: Rendered, notes: list[str]) -> Rendered:
    if not notes:
        return rendered
    return replace(rendered, notes=rendered.notes + tuple(notes))


def template_errors(template: TemplateSet, events: Sequence[CameraEvent]) -> list[str]:
    """Render ``template`` for every family as a single, group, resolved and unenriched
    message on sample ``events``; the first error of each family (empty: all good).

    Used by ``visionalert-router check``; the defaults never fail, so an error is
    always the custom template's.
    """
    cases = (("single", events[:1], "firing"), ("group", events, "firing"),
             ("resolved", events, "resolved"),
             ("unenriched", [replace(e, enriched=False, anomalies={}, snapshot_url=None,
                                     reference_url=None) for e in events[:1]], "firing"))
    errors: list[str] = []
    for family in FAMILIES:
        text = template.for_family(family)
        if text == _DEFAULT:
            continue
        for case, sample, kind in cases:
            try:
                render_family(family, f"{_SAMPLE_SCHEME[family]}://check", sample, text,
                              receiver="check", route="check", kind=kind,
                              external_url="https://router.example.com", now=0.0)
            except RenderError as exc:
                errors.append(f"{family} ({case} message): {exc}")
                break
    return errors


_SAMPLE_SCHEME: Mapping[Family, str] = {
    "generic": "json", "slack": "slack", "teams": "workflows", "email": "mailto", "sms": "twilio"}
