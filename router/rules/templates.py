"""Named message templates from rules.yaml: a default text plus per-family overrides.

A *family* is how a channel formats messages (see router/channels): ``slack``,
``teams``, ``email``, ``sms`` or ``generic``. A template set gives a title and a
body for all families, and may override any of them per family (and, for e-mail,
an HTML body). Unset parts fall back to the built-in defaults of the family.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

FAMILIES = ("slack", "teams", "email", "sms", "generic")


@dataclass(frozen=True)
class TemplateText:
    """Jinja2 sources; ``None`` means "use the default for this family"."""

    title: str | None = None
    body: str | None = None
    html: str | None = None  # e-mail only


@dataclass(frozen=True)
class TemplateSet:
    name: str
    default: TemplateText = field(default_factory=TemplateText)
    families: Mapping[str, TemplateText] = field(default_factory=dict)

    def for_family(self, family: str) -> TemplateText:
        """The family's override laid over the set's default, part by part."""
        over = self.families.get(family, TemplateText())
        base = self.default
        return TemplateText(
            title=over.title if over.title is not None else base.title,
            body=over.body if over.body is not None else base.body,
            html=over.html if over.html is not None else base.html,
        )
