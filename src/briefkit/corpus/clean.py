"""Cleaning of article text: site boilerplate out, repeated paragraphs once, whitespace tidy.

Works on paragraphs (non-empty lines); a dateline run into the first sentence ("date
2026-03-04 The team ...") is split off onto a line of its own. It removes lines that match known boilerplate
phrases (newsletter forms, "Read more", tool ads), drops everything after a teaser
section heading such as "Similar Blogs", removes runs of short menu-like lines and
the blurbs they frame, and keeps only the first copy of any repeated paragraph, which
also collapses an article body that a scrape repeated. Citation-like markers ("[1]",
"[2][3]", "[4-6]") are removed, so that the only citation numbers a reader or a model ever
sees are briefkit's own. It does not judge content (instructions planted in an article are
the evidence filter's business, :mod:`briefkit.attribution.evidence`).
"""

from __future__ import annotations

import re
import unicodedata

from ..text.dates import normalise_date
from ..text.lexicon import BOILERPLATE, MONTHS

_BOILERPLATE_LINE = re.compile(
    rf"^(?:(?:{BOILERPLATE})\b.{{0,40}}|learn more.*|featured tools?|promote your tool|copy embed code|share"
    r"|thank you! your submission has been received!?|oops! something went wrong.*"
    r"|join [\d,.]+\+? .*(?:updates|newsletter|subscribers).*|accept( all)? cookies|[|#•·\-–—]+)$",
    re.IGNORECASE,
)
_TEASER_HEADING = re.compile(
    r"^(?:similar blogs|related (?:posts|articles|stories|coverage)|you may also like|more from .*|"
    r"recommended( for you)?)$",
    re.IGNORECASE,
)
_GLUED_DATELINE = re.compile(  # "date 2026-03-04 Alibaba's team..." : a dateline run into the first sentence
    rf"^((?:(?:date|dated|published|posted|updated)\s*:?\s*)?(?:\d{{4}}-\d{{2}}-\d{{2}}|(?:{MONTHS})\s+\d{{1,2}},?\s+"
    r"\d{4}))\s*[-—–|:,]?\s+"
    r"(?=[A-Z\"“‘][^.!?]{20,})",
    re.IGNORECASE,
)
# "[1]", "[2][3]", "[4, 5]", "[6-8]" after a word or punctuation: footnote or citation numbers of the source
_MARKERS = re.compile(r"(?<=\S)(?:\s*\[\s*\d{1,3}(?:\s*[,;–-]\s*\d{1,3})*\s*\])+")
_KEY_VALUE = re.compile(r"^[A-Z][\w ]{1,20}: \S")
_SENTENCE_END = re.compile(r"[.!?:;)\"”’]$")


def _is_menu_line(line: str) -> bool:
    """Short lines without sentence punctuation: labels, prices, tags, menu items.

    Dates and ``Key: value`` lines (``Source: Reuters``, ``Date: March 3, 2026``) are metadata, kept.
    """
    if _SENTENCE_END.search(line) or _KEY_VALUE.match(line) or normalise_date(line):
        return False
    return len(line.split()) <= 4


def _norm_key(paragraph: str) -> str:
    return re.sub(r"\W+", " ", paragraph.casefold()).strip()


def clean_text(text: str) -> str:
    """Return the cleaned article text (paragraphs separated by blank lines)."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u00a0", " ").replace("\u200b", "")
    text = re.sub(r"<br\s*/?>|</?p>", "\n", text, flags=re.IGNORECASE)  # line breaks left as HTML in plain text
    text = _MARKERS.sub("", text)
    lines = [re.sub(r"[ \t]+", " ", ln).strip() for ln in text.split("\n")]
    lines = [part for ln in lines for part in _split_dateline(ln) if part]

    kept: list[str] = []
    for line in lines:
        if _TEASER_HEADING.match(line):
            break
        if _BOILERPLATE_LINE.match(line):
            kept.append("")  # a boundary: boilerplate splits menu runs
            continue
        kept.append(line)

    kept = _drop_menu_runs(kept)

    seen: set[str] = set()
    out: list[str] = []
    for line in kept:
        key = _norm_key(line)
        if not key or key in seen:
            continue
        seen.add(key)
        out.append(line)
    return "\n\n".join(out)


def _split_dateline(line: str) -> list[str]:
    """A dateline run into the sentence after it becomes a line of its own (metadata, then prose)."""
    glued = _GLUED_DATELINE.match(line)
    return [glued.group(1), line[glued.end():]] if glued else [line]


def _drop_menu_runs(lines: list[str]) -> list[str]:
    """Drop runs of two or more menu-like or boilerplate lines, and a lone line framed by two runs.

    Empty strings in ``lines`` mark removed boilerplate lines; they count toward a run.
    """
    n = len(lines)
    menu = [bool(ln) and _is_menu_line(ln) for ln in lines]
    blank = [not ln for ln in lines]
    drop = [False] * n
    i = 0
    runs: list[tuple[int, int]] = []
    while i < n:
        if menu[i] or blank[i]:
            j = i
            count = 0
            while j < n and (menu[j] or blank[j]):
                count += 1
                j += 1
            if count >= 2:
                runs.append((i, j))
                for t in range(i, j):
                    drop[t] = True
            i = j
        else:
            i += 1
    for (a_start, a_end), (b_start, _) in zip(runs, runs[1:]):
        between = [t for t in range(a_end, b_start) if lines[t]]
        if len(between) == 1:
            drop[between[0]] = True
    return [ln for ln, d in zip(lines, drop) if not d and ln]
