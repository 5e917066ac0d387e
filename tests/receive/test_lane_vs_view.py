"""Every webhook case through the lane and through the Flask view alone: the answers
(status, the headers that matter, body bytes) must be the same."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from router.pipeline.runtime import Runtime
from router.receive.sample import SAMPLE_WEBHOOK
from tests.support.entry import make_app

URL = "/webhooks/visionalert"
SECRET = "s3cret-webhook-token"
HEADERS = ("Content-Type", "Content-Length", "Retry-After", "Allow")
AUTH = {"Authorization": f"Token {SECRET}"}


def _body(**changes: Any) -> dict[str, Any]:
    body = json.loads(json.dumps(SAMPLE_WEBHOOK))
    body.update(changes)
    return body


# (name, client.post/open keyword arguments)
CASES: list[tuple[str, dict[str, Any]]] = [
    ("valid", {"json": SAMPLE_WEBHOOK, "headers": AUTH}),
    ("duplicate", {"json": SAMPLE_WEBHOOK, "headers": AUTH}),
    ("token in path", {"path": f"{URL}/{SECRET}", "json": _body(label="other")}),
    ("token header", {"json": _body(label="third"), "headers": {"X-Router-Token": SECRET}}),
    ("non-ascii", {"json": _body(label="caméra ✓"), "headers": AUTH}),
    ("bad json", {"data": b"{not json", "content_type": "application/json",
                  "headers": AUTH}),
    ("not an object", {"data": b"[1, 2]", "content_type": "application/json",
                       "headers": AUTH}),
    ("wrong content type", {"data": json.dumps(_body(label="text")),
                            "content_type": "text/plain", "headers": AUTH}),
    ("no content type", {"data": json.dumps(_body(label="none")), "headers": AUTH}),
    ("missing fields", {"json": {"status": "ALERT"}, "headers": AUTH}),
    ("missing cameras", {"json": {k: v for k, v in SAMPLE_WEBHOOK.items() if k != "cameras"},
                         "headers": AUTH}),
    ("too large", {"json": _body(padding="x" * 5000), "headers": AUTH}),
    ("missing token", {"json": SAMPLE_WEBHOOK}),
    ("wrong token", {"json": SAMPLE_WEBHOOK, "headers": {"Authorization": "Token nope"}}),
    ("wrong path token", {"path": f"{URL}/nope", "json": SAMPLE_WEBHOOK}),
    ("wrong method", {"method": "GET"}),
    ("wrong method PUT", {"method": "PUT", "json": SAMPLE_WEBHOOK, "headers": AUTH}),
]


def _locked(*_args: Any, **_kwargs: Any) -> Iterator[Any]:
    raise sqlite3.OperationalError("database is locked")
    yield  # a generator, like Database._cursor_on


def _answers(runtime: Runtime, monkeypatch: pytest.MonkeyPatch,
             entry: str) -> list[tuple[str, int, dict[str, str | None], bytes]]:
    client = make_app(runtime, entry).test_client()
    answers = []
    for name, case in CASES:
        kwargs = dict(case)
        path = kwargs.pop("path", URL)
        method = kwargs.pop("method", "POST")
        answer = client.open(path, method=method, **kwargs)
        answers.append((name, answer.status_code,
                        {h: answer.headers.get(h) for h in HEADERS}, answer.data))
    with monkeypatch.context() as patch:  # the store is down: driver error inside it
        patch.setattr(runtime.db, "_cursor_on", _locked)
        answer = client.post(URL, json=_body(label="outage"), headers=AUTH)
        answers.append(("store outage", answer.status_code,
                        {h: answer.headers.get(h) for h in HEADERS}, answer.data))
    return answers


def test_every_webhook_case_answers_alike_on_the_lane_and_the_view(
        make_runtime: Callable[..., Runtime], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    results = {}
    for entry in ("lane", "flask"):
        runtime = make_runtime(database_url=f"sqlite:///{tmp_path / entry}.db",
                               webhook_token=SECRET, max_body_bytes=4096)
        results[entry] = _answers(runtime, monkeypatch, entry)
    statuses = {name: status for name, status, _h, _b in results["lane"]}
    assert statuses["valid"] == 200 and statuses["duplicate"] == 200
    assert statuses["bad json"] == 400 and statuses["missing fields"] == 400
    assert statuses["too large"] == 413 and statuses["missing token"] == 401
    assert statuses["wrong method"] == 405 and statuses["store outage"] == 503
    assert b'"duplicate":true' in results["lane"][1][3]
    for lane, view in zip(results["lane"], results["flask"], strict=True):
        assert lane == view, lane[0]
