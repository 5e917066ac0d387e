"""Rendering helpers shared by the channel families: default or custom title and body."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from router.channels.sandbox import default_template, run
from router.rules.templates import TemplateText


def title(family: str, text: TemplateText, context: Mapping[str, Any]) -> str:
    """The title on one line (subjects and headers cannot hold line breaks)."""
    source = text.title if text.title is not None else default_template("title.j2")
    return " ".join(run(f"{family} title", source, context).split())


def body(family: str, text: TemplateText, context: Mapping[str, Any],
         default: str | None = None) -> str:
    """The body, custom or the family's default, without trailing blank lines."""
    source = text.body if text.body is not None else default_template(
        default or f"{family}/body.j2")
    return tidy(run(f"{family} body", source, context))


def tidy(text: str) -> str:
    """Trailing spaces off every line, at most one blank line in a row, no edge blank lines."""
    lines = [line.rstrip() for line in text.strip("\n").splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip("\n")
