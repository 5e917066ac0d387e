"""Deliver stage: send one notification to one Apprise target, once per attempt,
and decide what happens after a failure (retry when, or a dead letter).

``send``/``send_rendered`` (send.py) make one attempt; ``classify`` reads the
target's answer; ``durable.next_step`` schedules the retry with ``backoff``;
``masking``/``targets`` keep secrets out of everything shown or logged.
"""

from router.obs.redact import MASK, scrub
from router.pipeline.deliver.masking import secrets_of
from router.pipeline.deliver.send import Attempt, send, send_rendered
from router.pipeline.deliver.targets import privacy_url

__all__ = ["MASK", "Attempt", "privacy_url", "scrub", "secrets_of", "send", "send_rendered"]
