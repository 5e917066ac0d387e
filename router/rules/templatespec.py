"""``templates:`` in rules.yaml: named title/body/html texts, inline or from files,
with per-family overrides; turned into the ``TemplateSet`` contract of templates.py.

File paths (``title_file``, ``body_file``, ``html_file``) are relative to the
directory of rules.yaml. Every text is checked for syntax and for reaching into
Python internals (see sandbox.py) when the rules load.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, model_validator
from pydantic_core import PydanticCustomError

from router.errors import SandboxProblem
from router.rules.base import StrictModel
from router.rules.sandbox import check_template_source
from router.rules.templates import FAMILIES, TemplateSet, TemplateText
from router.rules.yamlpos import Loc

PARTS = ("title", "body", "html")


def _template(text: str) -> str:
    try:
        check_template_source(text)
    except SandboxProblem as exc:
        kind = "template_security" if exc.security else "template_syntax"
        raise PydanticCustomError(kind, exc.format("{detail}"), {"detail": exc.detail}
                                  ) from None
    return text


Template = Annotated[str, AfterValidator(_template)]


class _Texts(StrictModel):
    title: Template | None = None
    body: Template | None = None
    title_file: str | None = None
    body_file: str | None = None

    @model_validator(mode="after")
    def _inline_or_file(self) -> _Texts:
        for part in PARTS:
            if getattr(self, part, None) is not None and \
                    getattr(self, f"{part}_file", None) is not None:
                raise PydanticCustomError(
                    "inline_and_file", f"give either {part} or {part}_file, not both")
        return self


class FamilyTexts(_Texts):
    """An override for one family (slack, teams, sms, generic)."""


class EmailTexts(_Texts):
    """The e-mail override, which may also give an HTML body."""

    html: Template | None = None
    html_file: str | None = None


class TemplateSpec(EmailTexts):
    """``templates.<name>``: default texts plus optional per-family overrides."""

    slack: FamilyTexts | None = None
    teams: FamilyTexts | None = None
    email: EmailTexts | None = None
    sms: FamilyTexts | None = None
    generic: FamilyTexts | None = None


FileProblem = Callable[[Loc, str], None]


def build_template_set(name: str, spec: TemplateSpec, loc: Loc, base: Path,
                       problem: FileProblem) -> TemplateSet:
    """Read the files a spec names; report unreadable or bad files through ``problem``."""
    families = {}
    for family in FAMILIES:
        over = getattr(spec, family)
        if over is not None:
            families[family] = _texts(over, (*loc, family), base, problem)
    return TemplateSet(name=name, default=_texts(spec, loc, base, problem), families=families)


def _texts(spec: _Texts, loc: Loc, base: Path, problem: FileProblem) -> TemplateText:
    values: dict[str, str | None] = {}
    for part in PARTS:
        text = getattr(spec, part, None)
        file = getattr(spec, f"{part}_file", None)
        if file is not None:
            text = _read(base, file, (*loc, f"{part}_file"), problem)
        values[part] = text
    return TemplateText(**values)


def _read(base: Path, file: str, loc: Loc, problem: FileProblem) -> str | None:
    """Read ``file`` (as written: relative to rules.yaml's folder) and check its text."""
    try:
        text = (base / file).read_text(encoding="utf-8")
    except OSError as exc:
        problem(loc, f"cannot read template file {file!r} (relative to the rules file): "
                     f"{exc.strerror or type(exc).__name__}")
        return None
    except UnicodeDecodeError:
        problem(loc, f"template file {file!r} is not UTF-8 text")
        return None
    try:
        check_template_source(text)
    except SandboxProblem as exc:
        problem(loc, f"in {file}: {exc}")
        return None
    return text
