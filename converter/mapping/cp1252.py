"""Text as Windows-1252 (what Sage 50 imports) can hold it: the nearest spelling, or ``?``."""

from __future__ import annotations

import unicodedata

# Characters Windows-1252 lacks, spelled the nearest way it can hold them.
_CP1252_FALLBACK = {
    "Ł": "L",
    "ł": "l",
    "Đ": "D",
    "đ": "d",
    "Ø": "O",
    "ø": "o",
    "ı": "i",
    "Ħ": "H",
    "ħ": "h",
    "→": "->",
    "←": "<-",
    "≤": "<=",
    "≥": ">=",
    "≠": "!=",
    "−": "-",
    "‐": "-",
    "‑": "-",
    "\u00a0": " ",
    "\u2009": " ",
    "\u202f": " ",
}


def to_cp1252(text: str) -> str:
    out = []
    for ch in text:
        try:
            ch.encode("cp1252")
            out.append(ch)
            continue
        except UnicodeEncodeError:
            pass
        if ch in _CP1252_FALLBACK:
            out.append(_CP1252_FALLBACK[ch])
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        try:
            base.encode("cp1252")
            out.append(base or "?")
        except UnicodeEncodeError:
            out.append("?")
    return "".join(out)


def encodable(text: str) -> bool:
    try:
        text.encode("cp1252")
        return True
    except UnicodeEncodeError:
        return False
