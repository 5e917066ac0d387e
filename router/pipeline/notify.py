"""Notify stage: the cameras a flush decided to send become notifications, rendered
once per target in that target's format (``render_for_target``)."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from router.channels.context import ActionLinkMaker, Lifecycle
from router.channels.links import ActionLinks
from router.channels.render import (
    Rendered,
    RenderError,
    chosen_template,
    render_for_target,
)
from router.model import CameraEvent
from router.model.groups import CameraKey, Verdict
from router.model.incidents import IncidentFacts
from router.model.reasons import Reason
from router.pipeline.deliver import privacy_url
from router.pipeline.plan import routes_by_name, target_key
from router.rules import Receiver, Rules
from router.rules.templates import TemplateSet
from router.settings import Settings
from router.store.deliveries import DeliveryClaim
from router.store.groups import GroupClaim
from router.store.notifications import NewNotification, Target

log = logging.getLogger(__name__)

KINDS = ("firing", "resolved")


@dataclass(frozen=True)
class MessageContext:
    """What every message of one flush shares: links, the time, the routes' timezones."""

    external_url: str | None
    now: float
    actions: ActionLinkMaker | None = None
    timezones: Mapping[str, str | None] = field(default_factory=dict)  # route -> IANA zone
    lifecycle: Lifecycle = field(default_factory=Lifecycle)
    # (group id, flush number, kind) -> signed URL of the page of all its cameras
    cameras_page: Callable[[int, int, str], str | None] | None = None

    @classmethod
    def of(cls, settings: Settings, rules: Rules, now: float, *,
           incidents: Mapping[CameraKey, IncidentFacts] | None = None) -> MessageContext:
        links = ActionLinks(settings, now)
        return cls(settings.external_url, now, links,
                   {name: r.options.timezone for name, r in routes_by_name(rules).items()},
                   Lifecycle(incidents or {}), links.cameras)

    def options(self, route: str) -> dict[str, Any]:
        return {"external_url": self.external_url, "now": self.now, "actions": self.actions,
                "timezone": self.timezones.get(route), "lifecycle": self.lifecycle}

    def tallied(self, verdicts: Sequence[Verdict]) -> MessageContext:
        """The same, with what this flush says is new, still open and resolved."""
        sent = [v for v in verdicts if v.reason.sends]
        return replace(self, lifecycle=replace(
            self.lifecycle,
            new=sum(v.reason in (Reason.FIRST, Reason.CHANGED) for v in sent),
            still_open=sum(v.reason is Reason.REPEAT_ELAPSED for v in sent),
            resolved=sum(v.item.kind == "resolved" for v in sent)))


def flush_notifications(rules: Rules, claim: GroupClaim, verdicts: Sequence[Verdict],
                        ctx: MessageContext) -> dict[str, NewNotification]:
    """One notification per kind that has cameras to send, keyed by kind."""
    receiver = rules.receivers.get(claim.receiver)
    route = routes_by_name(rules).get(claim.route)
    template = chosen_template(receiver, route.options if route is not None else None)
    ctx = ctx.tallied(verdicts)
    notes = {}
    for kind in KINDS:
        chosen = [v for v in verdicts if v.item.kind == kind and v.reason.sends]
        if not chosen:
            continue
        reason = ", ".join(f"{r.text} {n}" for r, n in Counter(v.reason for v in chosen).items())
        page = ctx.cameras_page(claim.id, claim.flushes + 1, kind) if ctx.cameras_page else None
        kind_ctx = replace(ctx, lifecycle=replace(ctx.lifecycle, cameras_link=page))
        notes[kind] = build(receiver, claim.receiver, claim.route,
                            [v.item.event for v in chosen],
                            [v.item.camera_event_id for v in chosen], template=template,
                            kind=kind, reason=reason, ctx=kind_ctx,
                            group_id=claim.id, flush_no=claim.flushes + 1,
                            alert_id=chosen[0].item.alert_id)
    return notes


def build(receiver: Receiver | None, receiver_name: str, route: str,
          events: Sequence[CameraEvent], event_ids: Sequence[int], *,
          template: TemplateSet | None, kind: str, reason: str, ctx: MessageContext,
          **extra: int | None) -> NewNotification:
    """Render for every target of ``receiver`` (none if it left the rules)."""
    urls = receiver.urls if receiver is not None else ()
    targets = []
    for i, url in enumerate(urls):
        rendered = _render(url, events, receiver_name, route, template, kind, reason, ctx)
        limit = receiver.rate_limit if receiver is not None else None
        targets.append(Target(i, target_key(url), privacy_url(url), rendered.to_dict(),
                              (limit.count, limit.period) if limit else None))
    if not urls:
        log.warning("receiver no longer in the rules; notification kept without targets",
                    extra={"receiver": receiver_name, "route": route})
    shown = (targets[0].message if targets and targets[0].message else
             _render("log://", events, receiver_name, route, None, kind, reason,
                     ctx).to_dict())
    return NewNotification(route=route, receiver=receiver_name, title=shown["title"],
                           body=shown["body"], camera_event_ids=list(event_ids),
                           targets=targets, kind=kind, reason=reason,
                           alert_id=extra.get("alert_id"), group_id=extra.get("group_id"),
                           flush_no=extra.get("flush_no"),
                           fallback_of=extra.get("fallback_of"))


def fallback_notifications(rules: Rules, claim: DeliveryClaim, events: Sequence[CameraEvent],
                           ctx: MessageContext) -> list[NewNotification]:
    """The same cameras, for each fallback receiver of a receiver whose targets all died."""
    receiver = rules.receivers.get(claim.receiver)
    notes = []
    for name in receiver.fallback if receiver is not None else ():
        other = rules.receivers.get(name)
        if other is None:
            log.error("fallback receiver not in the rules", extra={"receiver": name})
            continue
        notes.append(build(other, name, claim.route, events,
                           list(claim.camera_event_ids), template=other.template,
                           kind=claim.kind, reason=f"fallback for {claim.receiver}: "
                           "every target failed", ctx=ctx,
                           fallback_of=claim.notification_id))
    return notes


def _render(url: str, events: Sequence[CameraEvent], receiver: str, route: str,
            template: TemplateSet | None, kind: str, reason: str,
            ctx: MessageContext) -> Rendered:
    options = ctx.options(route)
    try:
        return render_for_target(url, events, receiver=receiver, route=route,
                                 template=template, kind=kind, reason=reason, **options)
    except RenderError as exc:
        # A broken custom template must not cost the notification: send the default.
        log.error("custom template failed, default used",
                  extra={"receiver": receiver, "error": str(exc)})
        return render_for_target(url, events, receiver=receiver, route=route, kind=kind,
                                 reason=reason, **options)
