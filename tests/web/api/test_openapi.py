"""The OpenAPI 3.1 document: valid, complete, and true of the implementation
(schemathesis runs a bounded number of generated requests against the app)."""

from __future__ import annotations

import re
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate

from tests.web.fixtures import ADMIN, Site, camera, site, webhook

__all__ = ["site"]

AUTH = {"Authorization": f"Bearer {ADMIN}"}
METHODS = {"get", "post", "put", "patch", "delete"}
# Some inputs have rules JSON Schema cannot state (an enrichment names cameras of the
# payload; a silence has ends_at or duration; a time string must parse): a
# schema-valid request may rightly get a 400, so that one check is left out.
EXAMPLES = 12  # per operation: bounded, deterministic (derandomize)
CROSS_FIELD = [schemathesis.checks.positive_data_acceptance]


def _document(site: Site) -> dict[str, Any]:
    resp = site.api("/openapi.json")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    doc: dict[str, Any] = resp.get_json()
    return doc


def test_document_is_valid_openapi_3_1(site: Site) -> None:
    doc = _document(site)
    assert doc["openapi"].startswith("3.1")
    validate(doc)  # raises on any violation of the OpenAPI 3.1 schema


def test_every_route_is_documented_and_every_documented_route_exists(site: Site) -> None:
    doc = _document(site)
    base = doc["servers"][0]["url"]
    documented = {(m.upper(), base + path) for path, item in doc["paths"].items()
                  for m in item if m in METHODS}
    implemented = set()
    for rule in site.app.url_map.iter_rules():
        if rule.rule.startswith(base):
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            implemented |= {(m, path) for m in (rule.methods or set()) - {"HEAD", "OPTIONS"}}
    assert implemented == documented


def test_every_operation_declares_401_and_403(site: Site) -> None:
    for path, item in _document(site)["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                assert {"401", "403"} <= set(op["responses"]), (method, path)


def test_implementation_matches_the_document(site: Site) -> None:
    for n in range(3):
        site.post(webhook(f"LIC-{n}", camera(f"S{n}", "Blur" if n else "Offline")))
        site.clock.advance(60)
    site.run()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", site.app, headers=AUTH)
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    documented = {f"{m.upper()} {p}" for p, item in _document(site)["paths"].items()
                  for m in item if m in METHODS}
    # schemathesis leaves out the document it was loaded from (tested above).
    assert {op.label for op in operations} == documented - {"GET /openapi.json"}
    statuses: dict[str, set[int]] = {}
    for operation in operations:
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def run(case: schemathesis.Case[Any]) -> None:
            response = case.call_and_validate(headers=AUTH, excluded_checks=CROSS_FIELD)
            assert response.status_code < 500
            statuses.setdefault(f"{case.method} {case.path}", set()).add(response.status_code)

        run()
    assert len(statuses) == len(operations)
    # The generated requests got past validation too, not only 400s.
    assert 200 in statuses["GET /alerts"] and 200 in statuses["POST /explain"]
