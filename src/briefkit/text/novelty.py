"""New words: the content words of a rewrite that its evidence never uses, in any light form.

A rewrite may reword its evidence ("stepped down" for "left", "announced" for "announcement") but not say
things the evidence does not ("a new generation of three-legged creatures" from "the Qwen3.5 Small family
with four model sizes"). :func:`new_words` lists the lower-case words of a rewrite that are not grammar
(:data:`~briefkit.text.lexicon.GRAMMAR_WORDS`) and whose light form no evidence word shares; the light form
is the event key of :func:`~briefkit.text.tense.event_key` (plural and tense endings, irregular pasts,
"left"/"quit"/"stepped down" as one departure) after an -ly ending is dropped, or the title key of
:func:`~briefkit.text.binding.title_keys` ("head" for "lead", "technical" for "technology"). A hyphenated
word is known when it is known whole or each of its parts is. :func:`added_words` applies the threshold.

What it leaves out: capitalised words past the first and words with digits (names and figures are the
term check's), synonyms the repo does not list ("firm" for "company" counts as new, so a few new words
pass: :data:`MIN_NEW` and :data:`MIN_SHARE`, chosen on the labelled verification set), and whether
known words are put together the way the evidence puts them (the support scorer's business).
"""

from __future__ import annotations

import re

from .binding import title_keys
from .lexicon import GRAMMAR_WORDS, bare
from .tense import event_key

_WORD = re.compile(r"(?<![\w.-])[A-Za-z]+(?:[-'’][A-Za-z]+)*(?![\w-]|\.\d)")  # no "Qwen3.5", no "COVID-19"
MIN_NEW = 3  # new content words that reject a rewrite, ...
MIN_SHARE = 0.35  # ... when they are this share of its content words (see BENCHMARKS.md, Verification)


def light_forms(word: str, down: bool = False) -> set[str]:
    """The light forms of a lower-case word: its event key, that of its -ly stem, and its title keys."""
    keys = {event_key(word, down), *title_keys(word)}
    if word.endswith("ly") and len(word) > 5:
        keys.add(event_key(word[:-2]))
    return keys


def _tokens(text: str) -> list[tuple[str, bool, bool]]:
    """(lower-case word, capitalised past the first word, followed by "down") for each word of ``text``."""
    found = list(_WORD.finditer(text))
    out = []
    for i, m in enumerate(found):
        word = m.group(0)
        following = found[i + 1].group(0).lower() if i + 1 < len(found) else ""
        out.append((bare(word), i > 0 and not word.islower(), following == "down"))
    return out


def _content(sentence: str) -> list[tuple[str, bool]]:
    """(lower-case word, followed by "down") for each content word of ``sentence``: not grammar, not
    capitalised past the first word, three letters or more."""
    return [(w, down) for w, capital, down in _tokens(sentence)
            if not capital and w not in GRAMMAR_WORDS and len(w) >= 3]


def new_words(sentence: str, evidence: list[str]) -> list[str]:
    """Content words of ``sentence`` in lower case that no evidence sentence uses in a light form (see the
    module), in order, each once in its first form: "three-legged", "creatures"."""
    known: set[str] = set()
    for text in evidence:
        for w, _, down in _tokens(text):
            for part in {w, *re.split(r"[-'’]", w)}:
                known |= light_forms(part, down)
    found: list[str] = []
    for w, down in _content(sentence):
        parts = [p for p in re.split(r"[-'’]", w) if p and p not in GRAMMAR_WORDS]
        if not (light_forms(w, down) & known) and not all(light_forms(p) & known for p in parts):
            known |= light_forms(w, down)  # "stop" and "stops" are one new word
            found.append(w)
    return found


def added_words(sentence: str, evidence: list[str]) -> list[str]:
    """The new words of ``sentence`` when there are :data:`MIN_NEW` or more of them and they make
    :data:`MIN_SHARE` or more of its content words (a long faithful rewrite may reword a few); else none."""
    found = new_words(sentence, evidence)
    share = len(found) / max(1, len(dict.fromkeys(w for w, _ in _content(sentence))))
    return found if len(found) >= MIN_NEW and share >= MIN_SHARE else []
