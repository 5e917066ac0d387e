"""The base of every rules.yaml model, and how problems name a YAML value's type."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """Base of every rules.yaml model: unknown keys are errors, values immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def yaml_kind(value: Any) -> str:
    """How a YAML user would name the type of ``value`` (never the value: it may be secret)."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__
