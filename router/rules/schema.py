"""The JSON Schema of rules.yaml, generated from the pydantic specs.

Committed as rules.schema.json (a test keeps it equal to this output) and named
at the top of rules.yaml so that editors with the YAML language server check
the file as people type. The loader stays the authority: the schema cannot
express cross-references, regexes or timezones.
"""

from __future__ import annotations

import json
from typing import Any

from router.rules.models import RulesSpec

SCHEMA_ID = "https://github.com/visionalert-router/visionalert-router/rules.schema.json"


def rules_schema() -> dict[str, Any]:
    schema = RulesSpec.model_json_schema(by_alias=True, mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "VisionAlert Router rules.yaml",
        **schema,
    }


def schema_text() -> str:
    """The schema as committed: stable key order, two-space indent, final newline."""
    return json.dumps(rules_schema(), indent=2, sort_keys=True) + "\n"
