"""Masking secrets in text: one ``scrub`` for log lines, error texts and displays."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

MASK = "****"


def ordered(secrets: Iterable[str]) -> tuple[str, ...]:
    """The secrets as ``scrub`` takes them: distinct, non-empty, longest first (so a
    secret that contains another is masked whole)."""
    return tuple(sorted(set(secrets) - {""}, key=len, reverse=True))


def scrub(text: str, secrets: Sequence[str]) -> str:
    """Replace every secret in ``text`` by ``****``, in the order given (``ordered``);
    short ones (3 characters or fewer) only as whole words, so a 2-letter password
    does not mangle every word containing it."""
    for secret in secrets:
        if len(secret) > 3:
            text = text.replace(secret, MASK)
        else:
            text = re.sub(rf"(?<!\w){re.escape(secret)}(?!\w)", MASK, text)
    return text
