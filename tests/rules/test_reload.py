"""Hot reload: the holder keeps old rules on a bad file, the watcher sees real file
replaces (atomic rename, ConfigMap symlink swap, template files), /-/reload, and a real
`serve` process picks up changes by watching and by SIGHUP."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from flask.testing import FlaskClient

from router.app import create_app
from router.pipeline.runtime import RulesHolder, Runtime
from router.rules import route_event
from router.rules.reload import RulesWatcher
from tests.support.process import RouterProcess, free_port
from tests.support.rules import event

TOKEN = "admin-secret-token"
V1 = 'receivers:\n  noc: {urls: ["log://"]}\nroutes:\n  - name: v1\n    receivers: [noc]\n'
V2 = V1.replace("name: v1", "name: v2")
BROKEN = V1.replace("receivers: [noc]", "receivers: [nope]")


def loaded_everywhere(router: RouterProcess, text: str) -> bool:
    """Both web workers and the worker have logged loading the rules ``text``."""
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    return router.output.count(f"digest={digest}") >= 3


def replace_atomically(path: Path, text: str) -> None:
    """Write beside, then rename over: what editors and `kubectl cp` do."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def route_name(holder: RulesHolder) -> str:
    return route_event(holder.get(), event()).matches[0].route


def eventually(check: Callable[[], bool], timeout: float = 20.0,
               context: Callable[[], str] = lambda: "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"condition not reached before the deadline\n{context()}")


@pytest.fixture
def holder(tmp_path: Path) -> RulesHolder:
    path = tmp_path / "rules.yaml"
    path.write_text(V1)
    found = RulesHolder(str(path))
    assert found.load()
    return found


def test_valid_change_applies_and_status_is_recorded(holder: RulesHolder) -> None:
    first_success = holder.last_success_time
    assert holder.last_reload_successful and first_success > 0
    replace_atomically(Path(holder.path), V2)
    assert holder.load()
    assert route_name(holder) == "v2"
    assert holder.last_error is None and holder.last_success_time >= first_success


def test_invalid_change_is_rejected_and_old_rules_keep_routing(holder: RulesHolder) -> None:
    good_time = holder.last_success_time
    replace_atomically(Path(holder.path), BROKEN)
    assert not holder.load()
    assert route_name(holder) == "v1"
    assert holder.last_reload_successful is False
    assert holder.last_success_time == good_time
    assert holder.last_error is not None and "undefined receiver 'nope'" in holder.last_error


def test_watcher_sees_an_atomic_rename(holder: RulesHolder) -> None:
    watcher = RulesWatcher(holder, interval=60)
    assert watcher.poll() is False
    replace_atomically(Path(holder.path), V2)
    assert watcher.poll() is True
    assert route_name(holder) == "v2"
    assert watcher.poll() is False


def test_watcher_ignores_a_touch_without_a_change(holder: RulesHolder) -> None:
    watcher = RulesWatcher(holder, interval=60)
    before = holder.current
    replace_atomically(Path(holder.path), V1)  # new inode, same bytes
    assert watcher.poll() is False
    assert holder.current is before


def test_watcher_keeps_old_rules_on_a_bad_file_then_takes_the_fix(holder: RulesHolder) -> None:
    watcher = RulesWatcher(holder, interval=60)
    replace_atomically(Path(holder.path), BROKEN)
    assert watcher.poll() is False
    assert route_name(holder) == "v1" and not holder.last_reload_successful
    replace_atomically(Path(holder.path), V2)
    assert watcher.poll() is True
    assert route_name(holder) == "v2" and holder.last_reload_successful


def test_watcher_follows_a_configmap_symlink_swap(tmp_path: Path) -> None:
    # Kubernetes: rules.yaml -> ..data/rules.yaml, ..data -> ..<timestamp>/ (swapped atomically)
    mount = tmp_path / "config"
    mount.mkdir()
    for version, text in (("..v1", V1), ("..v2", V2)):
        (mount / version).mkdir()
        (mount / version / "rules.yaml").write_text(text)
    (mount / "..data").symlink_to("..v1")
    (mount / "rules.yaml").symlink_to("..data/rules.yaml")
    holder = RulesHolder(str(mount / "rules.yaml"))
    assert holder.load()
    watcher = RulesWatcher(holder, interval=60)
    (mount / "..data_tmp").symlink_to("..v2")
    os.replace(mount / "..data_tmp", mount / "..data")
    assert watcher.poll() is True
    assert route_name(holder) == "v2"


def test_watcher_reloads_when_a_template_file_changes(tmp_path: Path) -> None:
    (tmp_path / "title.j2").write_text("one")
    path = tmp_path / "rules.yaml"
    path.write_text('templates: {t: {title_file: title.j2}}\n'
                    'receivers: {noc: {urls: ["log://"], template: t}}\n'
                    'routes: [{receivers: [noc]}]\n')
    holder = RulesHolder(str(path))
    assert holder.load()
    watcher = RulesWatcher(holder, interval=60)
    replace_atomically(tmp_path / "title.j2", "two")
    assert watcher.poll() is True
    assert holder.get().receivers["noc"].title == "two"


def test_watcher_thread_and_trigger(holder: RulesHolder) -> None:
    watcher = RulesWatcher(holder, interval=0.05).start()
    try:
        replace_atomically(Path(holder.path), V2)
        eventually(lambda: route_name(holder) == "v2")
        # trigger() reloads even when polling would not notice (interval is long).
        watcher.interval = 3600
        Path(holder.path).write_text(V1)
        watcher.trigger()
        eventually(lambda: route_name(holder) == "v1")
    finally:
        watcher.stop()


def test_a_change_before_the_watcher_starts_is_not_missed(holder: RulesHolder) -> None:
    """A process loads its rules, the file changes, then its watcher starts (gunicorn
    starts it after the app loaded): the first poll must still see the change."""
    replace_atomically(Path(holder.path), V2)
    watcher = RulesWatcher(holder, interval=1.0)
    assert route_name(holder) == "v1"
    assert watcher.poll() is True
    assert route_name(holder) == "v2"
    assert watcher.poll() is False


@pytest.fixture
def admin(make_runtime: Any, rules_path: Path) -> tuple[FlaskClient, Runtime]:
    runtime: Runtime = make_runtime(admin_token=TOKEN)
    return create_app(runtime=runtime).test_client(), runtime


AUTH = {"Authorization": f"Bearer {TOKEN}"}


def test_reload_endpoint(admin: tuple[FlaskClient, Runtime], rules_path: Path) -> None:
    client, runtime = admin
    replace_atomically(rules_path, V2)
    answer = client.post("/-/reload", headers=AUTH)
    assert answer.status_code == 200, answer.json
    assert answer.json == {"status": "reloaded", "changed": True, "receivers": 1, "routes": 1,
                           "digest": runtime.rules.get().digest}
    assert route_name(runtime.rules) == "v2"

    replace_atomically(rules_path, BROKEN)
    answer = client.post("/-/reload", headers=AUTH)
    assert answer.status_code == 400
    assert answer.json["error"] == ("rules not reloaded: 1 problem(s); the rules in force "
                                    "are unchanged")
    (problem,) = answer.json["detail"]["problems"]
    assert problem.startswith(f"{rules_path}:5:") and "undefined receiver 'nope'" in problem
    assert route_name(runtime.rules) == "v2"


def test_reload_endpoint_needs_the_admin_token(admin: tuple[FlaskClient, Runtime]) -> None:
    client, _ = admin
    assert client.post("/-/reload").status_code == 401
    assert client.post("/-/reload", headers={"Authorization": "Bearer x"}).status_code == 403


def _explained_route(port: int) -> str:
    answer = httpx.post(f"http://127.0.0.1:{port}/api/v1/explain", headers=AUTH, timeout=5,
                        json={"payload": {"license": "L", "cameras": [{"serial": "c"}]}})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["cameras"][0]["receivers"][0]["route"])


def start_service(tmp_path: Path, watch_seconds: str) -> tuple[RouterProcess, Path, int]:
    rules = tmp_path / "rules.yaml"
    rules.write_text(V1)
    port = free_port()
    env = {"ROUTER_DATABASE_URL": f"sqlite:///{tmp_path / 'router.db'}",
           "ROUTER_ADMIN_TOKEN": TOKEN, "ROUTER_RULES_WATCH_SECONDS": watch_seconds,
           "ROUTER_WEB_WORKERS": "2"}
    router = RouterProcess(["serve", "--port", str(port), "--rules", str(rules)], env,
                           tmp_path).start()
    router.wait_http(f"http://127.0.0.1:{port}/readyz")
    # Every process must hold the first rules before the test changes the file: one
    # still booting would read whatever the file says when it gets there.
    eventually(lambda: loaded_everywhere(router, V1), context=lambda: router.output)
    return router, rules, port




