"""The lifecycle's pure decisions, one table each."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from router.clock import parse_retry_after
from router.model import CameraEvent, Status
from router.model.reasons import Reason
from router.model.sent import Sent
from router.model.timing import Timing
from router.pipeline.deliver import Attempt
from router.pipeline.deliver.classify import Failure, classify
from router.pipeline.deliver.durable import Policy, next_step
from router.pipeline.deliver.httpcapture import Response
from router.pipeline.flush.notify_log import condition_of, decide, score_floors
from router.pipeline.group import group_labels, site_of
from router.rules.matchers import AnomaliesMatcher


def _event(status: Status = Status.ANOMALY, **anomalies: float | None) -> CameraEvent:
    return CameraEvent(1, 0, "LIC", "S1", "Cam", ("site-a", "floor-1"), status, "",
                       anomalies=dict(anomalies))


def _attempt(outcome: str = "failure") -> Attempt:
    return Attempt(ok=False, outcome=outcome, transient=outcome != "invalid_target",  # type: ignore[arg-type]
                   elapsed=0.0, target="x", error="e")


@pytest.mark.parametrize("responses,transient,status", [
    ([], True, None),                      # connection refused / timeout: no answer
    ([Response(503, None)], True, 503),
    ([Response(500, None)], True, 500),
    ([Response(429, "7")], True, 429),
    ([Response(408, None)], True, 408),
    ([Response(404, None)], False, 404),
    ([Response(401, None)], False, 401),
    ([Response(400, None)], False, 400),
])
def test_classify_http_answers(responses: list[Response], transient: bool,
                               status: int | None) -> None:
    failure = classify(_attempt(), responses, now=0)
    assert (failure.transient, failure.status) == (transient, status)


def test_invalid_target_is_permanent() -> None:
    assert classify(_attempt("invalid_target"), [], now=0).transient is False


def test_retry_after_seconds_and_http_date() -> None:
    now = 1_800_000_000.0
    date = format_datetime(datetime.fromtimestamp(now + 30, UTC), usegmt=True)
    assert parse_retry_after("2", now) == 2.0
    assert parse_retry_after(date, now) == 30.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


POLICY = Policy(max_attempts=5, max_age=3600, base=10, cap=100)


@pytest.mark.parametrize("failure,attempts,age,state,why", [
    (None, 1, 0, "delivered", None),
    (Failure(False, 404), 1, 0, "dead", "permanent failure (permanent, HTTP 404)"),
    (Failure(True, 503), 4, 0, "pending", None),
    (Failure(True, 503), 5, 0, "dead", "gave up after 5 attempts"),
    (Failure(True, 503), 1, 3600, "dead", "gave up: older than max_age 3600s"),
])
def test_next_step(failure: Failure | None, attempts: int, age: float, state: str,
                   why: str | None) -> None:
    outcome, died = next_step(failure, attempts=attempts, age=age, now=0, policy=POLICY,
                              rng=random.Random(1))
    assert (outcome.state, died) == (state, why)


def test_retry_after_wins_over_backoff() -> None:
    outcome, _ = next_step(Failure(True, 429, retry_after=50), attempts=1, age=0, now=0,
                           policy=POLICY, rng=random.Random(1))
    assert outcome.next_attempt_at == 50


def test_group_labels_and_site() -> None:
    event = _event(Blur=0.9, Glare=0.2)
    assert group_labels(event, ("license", "site", "tag", "anomaly", "camera", "status"), {}) == {
        "license": "LIC", "site": "site-a", "tag": "floor-1,site-a", "anomaly": "Blur,Glare",
        "camera": "S1", "status": "anomaly"}
    assert site_of(("floor-1", "hq"), {"hq": "Europe/Paris"}) == "hq"
    assert site_of(("floor-1",), {}) == ""


def test_group_timing() -> None:
    t = Timing(group_wait=30, group_interval=300)
    assert t.flush_at(100, last_flush_at=None, due_at=100) == 130       # new group
    assert t.flush_at(100, last_flush_at=50, due_at=100) == 350         # within interval
    assert t.flush_at(1000, last_flush_at=50, due_at=1000) == 1030      # idle: starts over
    assert t.flush_at(100, last_flush_at=None, due_at=500) == 500       # held down
    assert t.next_after_flush(100, None) is None
    assert t.next_after_flush(100, 150) == 400


def test_condition_and_score_floor_crossing() -> None:
    floor, floors = score_floors([AnomaliesMatcher.model_validate(
        {"any": ["Blur"], "min_score": {"Glare": 0.8}})])
    low = condition_of(_event(Blur=0.9, Glare=0.5), floor, floors)
    high = condition_of(_event(Blur=0.9, Glare=0.85), floor, floors)
    assert low == "anomaly:Blur,Glare;above:" and high == "anomaly:Blur,Glare;above:Glare"
    assert condition_of(_event(Status.OFFLINE)) == "offline"


@pytest.mark.parametrize("prev,condition,now,reason", [
    (None, "offline", 0, Reason.FIRST),
    (Sent("offline", "resolved", 0), "offline", 10, Reason.FIRST),
    (Sent("offline", "firing", 0), "anomaly:Blur", 10, Reason.CHANGED),
    (Sent("offline", "firing", 0), "offline", 3599, Reason.REPEAT_SUPPRESSED),
    (Sent("offline", "firing", 0), "offline", 3600, Reason.REPEAT_ELAPSED),
])
def test_notification_log_decision(prev: Sent | None, condition: str, now: float,
                                   reason: Reason) -> None:
    assert decide(prev, condition, now, repeat_interval=3600) is reason
