"""Group and render: routed events -> one rendered notification per (route, receiver).

Per-alert grouping: every camera of one alert that reaches a receiver through
one route goes out in one message.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence

from router.model import CameraEvent
from router.pipeline.deliver import privacy_url
from router.pipeline.render import Rendered, RenderError, render
from router.pipeline.route import Routed
from router.rules import Receiver, Rules
from router.store.routing import NewNotification, Target

log = logging.getLogger(__name__)


def target_key(url: str) -> str:
    """Identifies a target URL without storing it (it may carry a secret)."""
    return hashlib.sha256(url.encode()).hexdigest()


def plan_notifications(rules: Rules, routed: Routed,
                       external_url: str | None = None) -> list[NewNotification]:
    planned = []
    for (route, receiver_name), events in routed.targets.items():
        receiver = rules.receivers[receiver_name]
        rendered = _render(receiver, route, events, external_url)
        planned.append(NewNotification(
            route=route,
            receiver=receiver_name,
            title=rendered.title,
            body=rendered.body,
            event_indexes=[e.index for e in events],
            targets=[Target(i, target_key(url), privacy_url(url))
                     for i, url in enumerate(receiver.urls)],
        ))
    return planned


def _render(receiver: Receiver, route: str, events: Sequence[CameraEvent],
            external_url: str | None) -> Rendered:
    try:
        return render(events, receiver=receiver.name, route=route,
                      title_template=receiver.title, body_template=receiver.body,
                      external_url=external_url)
    except RenderError as exc:
        # A broken custom template must not cost the alert: send the default text.
        log.error("custom template failed, default used",
                  extra={"receiver": receiver.name, "error": str(exc)})
        return render(events, receiver=receiver.name, route=route, external_url=external_url)
