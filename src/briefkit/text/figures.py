"""Figures and names in text: the numbers a sentence gives, its key terms (numbers and capitalised names),
what a figure counts, and whether two sentences give different values for the same thing."""

from __future__ import annotations

import re

from .dates import MONTH_DAY
from .lexicon import COMMON_CAPITALISED, FUNCTION_WORDS, MONTH_WORDS

NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NAME = re.compile(r"\b[A-Z][a-zA-Z]+(?:[-'][A-Za-z]+)*")


def _plain(text: str) -> str:
    """Curly apostrophes made straight and possessive 's removed, so "Lin’s" and "Lin's" both read "Lin"."""
    return re.sub(r"(?<=\w)'s\b", "", text.replace("’", "'"))


YEAR = re.compile(r"(?:19|20)\d\d")  # a figure that is (most likely) a year


def figures(text: str) -> set[str]:
    """The numbers in ``text``, thousands separators dropped ("470,000" -> "470000")."""
    return {n.replace(",", "") for n in NUMBER.findall(text)}


def stated_figures(text: str) -> set[str]:
    """The figures ``text`` states, as values: separators and leading zeros dropped ("03" -> "3"), and digits
    glued to a letter before them left out ("Q3", "Qwen3.5" are names)."""
    return {re.sub(r"^0+(?=\d)", "", m.group(0).replace(",", "")) for m in NUMBER.finditer(text)
            if not (m.start() and text[m.start() - 1].isalpha())}


def key_terms(text: str) -> set[str]:
    """Numbers and capitalised names in ``text`` (lower-cased), the facts a summary must not invent."""
    text = _plain(text)
    numbers = figures(text)
    names = {m.group(0).lower() for m in _NAME.finditer(text) if m.group(0) not in COMMON_CAPITALISED}
    return numbers | names


def missing_terms(claim: str, evidence: str) -> set[str]:
    """Key terms of ``claim`` that do not occur in ``evidence`` as whole numbers or words.

    "8" is not found in "0.8", nor "Lin" in "Linux"; "2026" is found in "March 3, 2026";
    "Lin's" is found in "Lin".
    """
    evidence = _plain(evidence)
    numbers = figures(evidence)
    words = set(re.findall(r"[a-z]+(?:[-'][a-z]+)*", evidence.lower()))
    words |= {part for w in words for part in re.split(r"[-']", w)}
    return {t for t in key_terms(claim) if t not in (numbers if t[0].isdigit() else words)}


# Tokens for the count and role checks: figures, words, single symbols.
TOKENS = re.compile(r"(?P<fig>\d+(?:[.,]\d+)*)%?|[A-Za-z][A-Za-z'’]*|[^\sA-Za-z\d]")
_SKIP = {"hundred", "thousand", "million", "billion", "trillion", "percent", "per", "cent", "%", "-", "new", "more",
         "additional", "other", "extra", "further", '"', "'", "“", "”", "‘", "’"}  # between a figure and what it counts
_CURRENCY = {"$", "€", "£", "¥"}
_ABOUT = {"about", "nearly", "roughly", "approximately", "around", "almost", "over", "some", "just", "more", "than",
          "up", "under", "below", "above", "at", "least", "most", "only"}  # between a verb and its figure
WINDOW = 4  # words either side of a figure in the evidence that may name what it counts
COUNTED = 3  # words after a figure in the evidence that may name what it counts


def stem(word: str) -> str:
    """Crude: lower case, a plural ending dropped, the first six letters ("downloads" ~ "downloaded")."""
    w = word.lower()
    w = w[:-2] if w.endswith("es") and len(w) > 4 else w[:-1] if w.endswith("s") and len(w) > 3 else w
    return w[:6]


def _figures(text: str) -> list[tuple[str, list[str], int]]:
    """(figure, tokens, index) for each free-standing figure of ``text``: not glued to letters, a hyphen or
    a colon ("Qwen3.5", "COVID-19", "3:30"), not after a capitalised word past the first ("Demon 170"),
    not a year, not a day after a month name."""
    tokens, found = [], []
    for m in TOKENS.finditer(text):
        if m.group("fig") is None:
            tokens.append(m.group(0))
            continue
        if m.start() and (text[m.start() - 1].isalnum() or text[m.start() - 1] in "-:"):
            tokens.append(m.group(0))  # part of a name, a version, a time: not a count
            continue
        figure = m.group("fig").replace(",", "")
        year = YEAR.fullmatch(m.group("fig")) is not None  # "2,000" is a count, "2000" a year
        after_month = bool(tokens) and tokens[-1].lower() in MONTH_WORDS
        if len(tokens) > 1 and tokens[-1][0].isupper() and tokens[-1].isalpha() and not after_month:
            tokens.append(m.group(0))  # part of a name: "Demon 170", "Windows 11"
            continue
        tokens.append(m.group("fig"))
        if not year and not after_month:
            found.append((figure, tokens, len(tokens) - 1))
    return found


def _counted(tokens: list[str], i: int, n: int = 2) -> list[str]:
    """Up to ``n`` words right after the figure at ``i`` (past scale words and adjectives like "new")
    that name what it counts; empty when a function word or punctuation comes first (not a count)."""
    words, j = [], i + 1
    while j < len(tokens) and tokens[j].lower() in _SKIP:
        j += 1
    while j < len(tokens) and len(words) < n and tokens[j][0].isalpha() and tokens[j].lower() not in FUNCTION_WORDS:
        words.append(tokens[j])
        j += 1
    return words


def _plural(word: str) -> bool:
    """A plural noun, roughly: an -s ending that is not -ss, -us or -is ("business", "bonus", "analysis")."""
    w = word.lower()
    return len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")) and w != "news"


def _rewrite_count(tokens: list[str], i: int) -> list[str]:
    """What a rewrite's figure at ``i`` counts: :func:`_counted`'s two words up to and including the first
    plural ("90,000 developers use Qwen" -> "developers"; "203 million monthly users" -> both), or, for "N
    times", the verb before the figure ("downloaded about 203 million times" -> "downloaded")."""
    words = _counted(tokens, i)
    if words:
        plural = next((k for k, w in enumerate(words) if _plural(w)), len(words) - 1)
        return words[:plural + 1]
    j = next((k for k in range(i + 1, len(tokens)) if tokens[k].lower() not in _SKIP), len(tokens))
    if j < len(tokens) and tokens[j].lower() == "times":
        return [w for w in tokens[max(0, i - 4):i]
                if w[0].isalpha() and w.lower() not in FUNCTION_WORDS and w.lower() not in _ABOUT][-1:]
    return []


def miscounted(sentence: str, evidence: list[str]) -> list[str]:
    """Figures of ``sentence`` that count something (or carry a currency) the evidence does not give with
    the same figure. A count agrees when a word of what it counts (:func:`_rewrite_count`) shares its stem
    with one of the :data:`COUNTED` words after the same figure in the evidence ("90,000 developers" vs
    "90,000 enterprises use Qwen" does not, even when the evidence says "developers" next to another figure), or,
    for a name, with a word within :data:`WINDOW` words of it ("3,300 Demon 170s" from "3,300 units of the Demon
    170"). Only checked where the evidence also uses the figure as a count; a figure the evidence lacks is left
    to the term check. "N times" counts what the verb before it says ("downloaded 1 billion times" for "1
    billion downloads", not for "1 billion users"). It misses swaps of what comes before a figure ("Costs rose
    12%"), so two figures trading places are caught only when a word after one of them differs ("48% within 20
    hours" for "20% within 48 hours"; with "in", a function word, not), and it rejects synonyms ("companies"
    for "enterprises"): a rejected rewrite falls back to a quote."""
    counts: dict[str, set[str]] = {}
    near: dict[str, set[str]] = {}
    money: dict[str, set[str]] = {}
    for text in evidence:
        for figure, tokens, i in _figures(text):
            money.setdefault(figure, set()).add(tokens[i - 1] if i and tokens[i - 1] in _CURRENCY else "")
            counted = _counted(tokens, i, COUNTED)
            if counted:
                counts.setdefault(figure, set()).update(stem(w) for w in counted)
                near.setdefault(figure, set()).update(stem(w) for w in tokens[max(0, i - WINDOW):i + WINDOW + 1]
                                                      if w[0].isalpha())
    wrong = []
    for figure, tokens, i in _figures(sentence):
        symbol = tokens[i - 1] if i and tokens[i - 1] in _CURRENCY else ""
        if symbol and figure in money and symbol not in money[figure]:
            wrong.append(f"{symbol}{tokens[i]}")
            continue
        words = _rewrite_count(tokens, i)
        agrees = any(stem(w) in counts.get(figure, ()) or (w[0].isupper() and stem(w) in near.get(figure, ()))
                     for w in words)
        if words and figure in counts and not agrees:
            wrong.append(f"{tokens[i]} {' '.join(words)}")
    return wrong


def _quantities(text: str) -> list[tuple[str, set[str], set[str]]]:
    """(figure, stems of what it counts, stems of the words around it) for each counting figure of ``text``."""
    out = []
    for figure, tokens, i in _figures(text):
        around = {stem(w) for w in tokens[max(0, i - WINDOW):i + WINDOW + 1] if w[0].isalpha()}
        out.append((figure, {stem(w) for w in _counted(tokens, i)}, around))
    return out


def disagree(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` give different values for the same quantity: a figure counting the same
    thing ("1 billion downloads" / "downloaded 700 million times"), or a day of a month ("March 3" /
    "March 4"). Figures that count different things ("0.8B parameters" / "1 billion downloads") do not."""
    qa, qb = _quantities(a), _quantities(b)
    same = [(fa, fb) for fa, ca, wa in qa for fb, cb, wb in qb if (ca & wb) or (cb & wa)]
    if same and not any(fa == fb for fa, fb in same):
        return True
    da, db = ({m[:2] for m in MONTH_DAY.findall(t)} for t in (a, b))
    return bool(da and db and not da & db)


def conflict(a: str, b: str) -> bool:
    """Both sentences give figures and share none of them; a year they share does not make them agree
    when they give other figures ("March 3, 2026" and "March 4, 2026" conflict)."""
    fa, fb = figures(a), figures(b)
    ya, yb = {f for f in fa if YEAR.fullmatch(f)}, {f for f in fb if YEAR.fullmatch(f)}
    if fa - ya and fb - yb:
        fa, fb = fa - ya, fb - yb
    return bool(fa and fb and not fa & fb)


_ONE = re.compile(r"\b(?:a|an|one)\s+([a-z]{3,})\b", re.IGNORECASE)
_LOWER_WORD = re.compile(r"[a-z]+")
_NOT_PLURALS = {"news", "goods", "means", "lots", "economics", "politics", "physics", "ethics"}  # "a new", "a lot"


def singularised(sentence: str, evidence: list[str]) -> list[str]:
    """Nouns that ``sentence`` makes one of ("a move") where the evidence has only their plural ("the moves"):
    a count changed without a figure. A word the evidence also uses in the singular is left alone, and so is
    one whose "plural" is a word of its own ("a new model" beside "the news")."""
    words = {w for e in evidence for w in _LOWER_WORD.findall(e.lower())} - _NOT_PLURALS
    return [m.group(0) for m in _ONE.finditer(sentence)
            if (w := m.group(1).lower()) not in words and (w + "s" in words or w + "es" in words)]
