"""``/api/v1/openapi.json``: the OpenAPI 3.1 document of the admin API.

The document is written by hand in ``openapi.yaml`` next to this module; the
test suite validates it and checks the implementation against it (every route
documented, responses matching their schemas).
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any, cast

from flask import Response, jsonify
from ruamel.yaml import YAML

from router.web.api import bp, require_admin


@cache
def document() -> dict[str, Any]:
    """The parsed document (read once per process)."""
    text = files("router.web.api").joinpath("openapi.yaml").read_text(encoding="utf-8")
    return cast(dict[str, Any], YAML(typ="safe").load(text))


@bp.get("/openapi.json")
@require_admin
def openapi_json() -> Response:
    return jsonify(document())
