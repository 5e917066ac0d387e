"""How long to wait before the next delivery attempt to a target.

Full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter"): the
delay is drawn uniformly from ``[0, min(cap, base * 2**(attempt-1))]``. When a
receiver's targets fail together (a Slack outage, an SMTP relay restart),
every delivery would otherwise retry in lock-step and hit the recovering
service in waves; spreading the retries over the whole window gives the
fewest total calls and the fastest drain of the backlog among the common
variants (equal jitter, decorrelated jitter) for the same cap.
"""

from __future__ import annotations

import random

# Keeps a draw close to zero from turning the retry loop into a busy loop.
_FLOOR_FRACTION = 0.1

# 2**64 is already far beyond any sensible cap; clamping the exponent keeps
# a runaway attempt counter from overflowing the float.
_MAX_EXPONENT = 64


# Hand-written, not tenacity: the next attempt is stored, and any worker of any replica
# makes it; tenacity retries inside one call, which a restart would forget.
def retry_delay(
    attempt: int,
    *,
    base: float,
    cap: float,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based).

    The result lies in ``[max(base/10, retry_after), max(cap, retry_after)]``:
    a ``Retry-After`` from the target wins over the jittered value, even above
    ``cap``, because retrying earlier would only be refused again.
    """
    if attempt < 1:
        raise ValueError(f"attempt counts from 1, got {attempt}")
    if base <= 0 or cap <= 0:
        raise ValueError(f"base and cap must be positive, got base={base}, cap={cap}")
    window = min(cap, base * 2.0 ** min(attempt - 1, _MAX_EXPONENT))
    # Not for security: jitter only needs to decorrelate retries.
    draw = rng.uniform(0.0, window) if rng else random.uniform(0.0, window)  # noqa: S311
    delay = max(draw, min(base * _FLOOR_FRACTION, cap))
    if retry_after is not None and retry_after > delay:
        delay = retry_after
    return delay
