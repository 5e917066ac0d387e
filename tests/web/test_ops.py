"""Health and readiness endpoints."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask.testing import FlaskClient

from router.app import create_app
from router.pipeline.runtime import Runtime
from router.settings import Settings


def test_healthz_and_alias(client: FlaskClient) -> None:
    for path in ("/healthz", "/-/healthy"):
        answer = client.get(path)
        assert answer.status_code == 200
        assert answer.json["status"] == "ok"


def test_ready_when_store_and_rules_are_fine(client: FlaskClient) -> None:
    for path in ("/readyz", "/-/ready"):
        answer = client.get(path)
        assert answer.status_code == 200
        assert answer.json == {"status": "ready", "checks": {"store": "ok", "rules": "ok"}}


def test_not_ready_without_migrations(tmp_path: Path, rules_path: Path) -> None:
    settings = Settings.from_env({}, database_url=f"sqlite:///{tmp_path / 'fresh.db'}",
                                 rules_file=rules_path)
    client = create_app(settings).test_client()
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert "run `visionalert-router db upgrade`" in answer.json["checks"]["store"]


def test_not_ready_with_invalid_rules(make_runtime: Callable[..., Runtime],
                                      rules_path: Path) -> None:
    rules_path.write_text("receivers: {}\nroutes: []\nbogus: 1\n")
    client = create_app(runtime=make_runtime()).test_client()
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json["checks"]["rules"].startswith("not loaded: ")
    assert "bogus" in answer.json["checks"]["rules"]


def test_unknown_path_is_json_404(client: FlaskClient) -> None:
    answer = client.get("/nope")
    assert answer.status_code == 404
    assert answer.json["detail"] == {"code": "Not Found"}


def test_wrong_method_is_json_405(client: FlaskClient) -> None:
    answer = client.get("/webhooks/visionalert")
    assert answer.status_code == 405
    assert "error" in answer.json
