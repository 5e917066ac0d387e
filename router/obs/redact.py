"""Masking secrets in text: one ``scrub`` for log lines, error texts and displays."""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "****"


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Replace every secret in ``text`` by ``****``, longest first; short ones (3
    characters or fewer) only as whole words, so a 2-letter password does not mangle
    every word containing it."""
    for secret in sorted(set(secrets) - {""}, key=len, reverse=True):
        if len(secret) > 3:
            text = text.replace(secret, MASK)
        else:
            text = re.sub(rf"(?<!\w){re.escape(secret)}(?!\w)", MASK, text)
    return text
