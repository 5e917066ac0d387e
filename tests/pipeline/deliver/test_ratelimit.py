"""Per-target rate limit: over the limit, messages wait and go out as one digest."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest
from pydantic_core import PydanticCustomError
from sqlalchemy import select

from router.model.window import Window
from router.pipeline.ratelimit import digest
from router.pipeline.runtime import Runtime
from router.rules.ratelimit import RateLimit, parse_rate_limit
from router.store.schema import attempts, deliveries
from tests.support.httpsink import HttpSink
from tests.support.site import Site, camera

take = Window.take


def test_50_events_in_a_minute_to_a_10_per_minute_target(
        make_runtime: Callable[..., Runtime], rules_path: Path, database_url: str) -> None:
    make_runtime = partial(make_runtime, database_url=database_url)
    with HttpSink() as sink:
        site = Site(make_runtime, rules_path, f"""\
            receivers:
              hook:
                urls: ["json://127.0.0.1:{sink.port}/hook"]
                rate_limit: 10/minute
            routes:
              - receivers: [hook]
                group_by: [camera]
                group_wait: 0s
            """)
        start = site.clock.now()
        for i in range(50):
            site.post(camera(f"S{i}"))
            site.run()
            site.advance(1.18)  # 50 events within 59 s
        site.advance(5)
        with site.db.read() as conn:
            sent_at = conn.execute(select(attempts.c.started_at)
                                   .where(attempts.c.outcome == "success")
                                   .order_by(attempts.c.started_at)).scalars().all()
            states = conn.execute(select(deliveries.c.state)).scalars().all()
        # At most 10 in any minute: the first window, then the digest.
        assert len(sink.requests) == len(sent_at) == 11
        assert all(t < start + 60 for t in sent_at[:10]) and sent_at[10] >= start + 60
        assert all(b - a >= 60 for a, b in zip(sent_at, sent_at[10:], strict=False))
        everything = " ".join(r.json()["title"] + r.json()["message"] for r in sink.requests)
        assert set(re.findall(r"Cam-(S\d+)", everything)) == {f"S{i}" for i in range(50)}
        assert "40 notifications held back by the rate limit" in sink.requests[10].json()["title"]
        assert states.count("merged") == 40 and states.count("delivered") == 11


def test_window_and_digest_are_pure() -> None:
    window, refused = take(None, count=2, period=60, now=0)
    window, refused = take(window, count=2, period=60, now=10)
    assert window == Window(0, 2) and refused is None
    assert take(window, count=2, period=60, now=59) == (window, 60)
    assert take(window, count=2, period=60, now=60) == (Window(60, 1), None)
    merged = digest([{"title": "a", "body": "x", "body_format": "markdown"},
                     {"title": "b", "body": "y", "body_format": "markdown"}], limit="2/60s")
    assert merged["body_format"] == "markdown" and "a\nx" in merged["body"]


@pytest.mark.parametrize("text,expected", [
    ("20/minute", RateLimit(20, 60)), ("10/m", RateLimit(10, 60)),
    ("100/hour", RateLimit(100, 3600)), ("5/10s", RateLimit(5, 10)), ("1/day", RateLimit(1, 86400)),
])
def test_rate_limit_text(text: str, expected: RateLimit) -> None:
    assert parse_rate_limit(text) == expected


@pytest.mark.parametrize("text", ["20", "0/minute", "5/week", "lots/m", ""])
def test_bad_rate_limit_text(text: str) -> None:
    with pytest.raises(PydanticCustomError, match="write COUNT/PERIOD"):
        parse_rate_limit(text)
