"""SMS length accounting: GSM-7 (3GPP TS 23.038) and UCS-2 segments, and transliteration.

A GSM-7 segment holds 160 septets alone or 153 when the message is split;
characters of the extension table (``{ } [ ] ~ \\ | ^ €``) take two septets. One
character outside GSM-7 turns the whole message into UCS-2: 70 characters, or
67 per segment when split. Transliteration keeps Latin text in GSM-7 (curly
quotes, dashes, accented letters the alphabet lacks); scripts that have no Latin
form (Chinese, Cyrillic...) stay as they are and are counted as UCS-2.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = frozenset("^{}\\[~]|€\f")

# Common characters with a close GSM-7 form (the rest goes through NFKD).
_REPLACE = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
    "\u2026": "...", "\u2022": "*", "\u00b7": "-", "\u00a0": " ", "\u2009": " ", "\u202f": " ",
    "\t": " ", "\u00b0": "o", "\u00d7": "x", "\u2192": "->", "\u00e7": "c",
    "\u0141": "L", "\u0142": "l", "\u0110": "D", "\u0111": "d", "\u00f0": "d", "\u00de": "Th",
    "\u00fe": "th", "\u0152": "OE", "\u0153": "oe", "\u0131": "i",
}

SINGLE_GSM, MULTI_GSM = 160, 153
SINGLE_UCS2, MULTI_UCS2 = 70, 67


def _transliterate_char(ch: str) -> str:
    if ch in GSM_BASIC or ch in GSM_EXTENDED:
        return ch
    if ch in _REPLACE:
        return _REPLACE[ch]
    base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    if base and all(c in GSM_BASIC for c in base):
        return base
    return ch  # no GSM form: the message will be UCS-2


def transliterate(text: str) -> str:
    """``text`` with every character that has a GSM-7 look-alike replaced by it."""
    if all(c in GSM_BASIC for c in text):
        return text
    return "".join(_transliterate_char(c) for c in text)


def is_gsm(text: str) -> bool:
    return all(c in GSM_BASIC or c in GSM_EXTENDED for c in text)


@dataclass(frozen=True)
class Length:
    """How an SMS text is sent: encoding, units (septets or UTF-16 units), segments."""

    encoding: str  # "gsm7" | "ucs2"
    units: int
    segments: int


def measure(text: str) -> Length:
    """The segments ``text`` takes as it stands (no transliteration)."""
    if is_gsm(text):
        units = sum(2 if c in GSM_EXTENDED else 1 for c in text)
        single, multi, encoding = SINGLE_GSM, MULTI_GSM, "gsm7"
    else:
        # Characters beyond the BMP take two UTF-16 code units.
        units = sum(2 if ord(c) > 0xFFFF else 1 for c in text)
        single, multi, encoding = SINGLE_UCS2, MULTI_UCS2, "ucs2"
    segments = 1 if units <= single else -(-units // multi)
    return Length(encoding, units, max(segments, 1))


def clip_to_segments(text: str, segments: int, ellipsis: str = "...") -> str:
    """``text`` cut (at a word when possible) so it takes at most ``segments`` segments."""
    if measure(text).segments <= segments:
        return text
    low, high = 0, len(text)
    while low < high:  # the longest prefix that fits with the ellipsis
        mid = (low + high + 1) // 2
        if measure(text[:mid].rstrip() + ellipsis).segments <= segments:
            low = mid
        else:
            high = mid - 1
    cut = text[:low]
    word = cut.rsplit(" ", 1)[0] if " " in cut[len(cut) // 2:] else cut
    return word.rstrip(" ,;:-\n") + ellipsis
