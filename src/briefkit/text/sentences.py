"""Sentence boundaries by a punctuation rule: a sentence ends at ``.``, ``!``, ``?`` or ``…`` before a
capital or a digit, at a paragraph break, and before a list item. No abbreviation list: "Dr. Smith" is split."""

from __future__ import annotations

import re
from typing import Iterator

# Markdown marks: a sentence may end with them ("... today!** The Fed ...") and the next may open with them
# ("... effectively. **Special Offer:** Upgrade ...", "... *** Founded in 1900 ...", "... ### As ..."), unless
# they open a bold run that goes on in lower case ("... **Net income** fell ...") or a hashtag ("#MeToo").
_SENTENCE_BOUNDARY = re.compile(
    r"(?<=[.!?…])[\"”’)\]*]*\s+(?=(?:\*+(?!\*)(?![^*\n]{1,60}?\*+\s*[a-z])\s*|#+\s+)?[\"“‘(\[]?[A-Z0-9])|"
    r"\n\s*\n|\n(?=\s*[•\-*\d])")


def iter_sentences(text: str) -> Iterator[tuple[int, int]]:
    """Character spans of sentences (whitespace trimmed), in order, found as they are needed."""
    pos = 0
    for match in _SENTENCE_BOUNDARY.finditer(text):
        yield from _trimmed(text, pos, match.start())
        pos = match.end()
    yield from _trimmed(text, pos, len(text))


def _trimmed(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    seg = text[start:end]
    lead = len(seg) - len(seg.lstrip())
    trail = len(seg) - len(seg.rstrip())
    if end - trail > start + lead:
        yield start + lead, end - trail


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of sentences (whitespace trimmed)."""
    return list(iter_sentences(text))
