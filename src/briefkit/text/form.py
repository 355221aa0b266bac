"""The form of a rewrite: a sentence with a verb, not a headline, and a reported clause with a verb.

Three things a model writes that read as a statement but are none: a headline in title case with a
period ("Qwen 3.5 Native Vision Language Series Available on Microsoft Azure." from "The Qwen3.5 native
vision-language series is now available on Microsoft Azure"), a reporting verb followed by a clause
with no verb ("Alibaba said the family ahead of Meta's Llama."), and a fragment with no verb at all
("The 1964 introduction of the 426 Hemi engine, a pivotal moment in high-performance automotive
history."). :func:`headline_case` finds the first by the words the rewrite capitalises that its evidence
writes only in lower case; :func:`verbless_report` and :func:`verbless` find the others by word patterns.

What it leaves out: a headline whose capitalised words are not in the evidence (the name check rejects
those), a headline in sentence case ("Alibaba launches task force"), which the labelled set reads as
faithful, and fragments whose only verbs are participles ("Dodge, founded in 1900 by ..."): telling a
main verb from a participle, or a verb in -s from a plural noun, needs a parser. A verb is any
auxiliary, modal, word in -ed, common irregular past, or lower-case word in -s; for the reported clause,
a clause after "that" or after "said"/"says"/"stated"/"argued" counts, one after another reporting verb
only with "that" ("confirmed the deal" has an object, not a clause), and a clause opened by a pronoun or
a preposition is taken to have its verb.
"""

from __future__ import annotations

import re

from .binding import is_title
from .tense import IRREGULAR

_LETTERS = re.compile(r"[A-Za-z]+")
HEADLINE_WORDS = 2  # capitalised words the evidence writes only in lower case that make a headline

# A reporting verb and the clause after it, up to the sentence's end, a semicolon or ", and/but".
_REPORTED = re.compile(
    r"\b(?:(?:said|says|say|stated|states|argued|argues)(?:\s+that)?|(?:confirmed|confirms|announced|announces|"
    r"reported|reports|noted|notes|claimed|claims|explained|added|adds|wrote|writes)\s+that)\s+"
    r"(?P<clause>[^;]+?)\s*(?=[;.!]?$|;|,\s+(?:and|but|while)\b)")  # lower case: "United States" is none
_OPENS_OWN = re.compile(r"^(?:he|she|it|they|we|i|you|there|on|in|at|by|for|with|from|during|after|before|last|"
                        r"this|earlier|later|about|over|to)\b", re.IGNORECASE)
_AUX = {"is", "are", "was", "were", "be", "been", "has", "have", "had", "will", "would", "can", "could", "may",
        "might", "must", "should", "shall", "do", "does", "did", "am"}


def headline_case(sentence: str, evidence: list[str]) -> list[str]:
    """Words past the first that ``sentence`` capitalises while every evidence sentence that has them
    writes them in lower case ("Native", "Series", "Available"), when there are :data:`HEADLINE_WORDS` or
    more of them; else none. Title words ("Chief Executive") do not count."""
    theirs = [w for e in evidence for w in _LETTERS.findall(e)]
    lower = {w for w in theirs if w.islower()}
    capital = {w.lower() for w in theirs if not w.islower()}
    words = _LETTERS.findall(sentence)[1:]
    found = [w for w in words if w[0].isupper() and not w.isupper() and w.lower() in lower - capital
             and not is_title(w)]  # "Chief Executive Eddie Wu": a title before a name may take capitals
    return list(dict.fromkeys(found)) if len(found) >= HEADLINE_WORDS else []


def _has_verb(clause: str) -> bool:
    """Whether ``clause`` has a word that can be a finite verb (see the module)."""
    for w in re.findall(r"[A-Za-z][A-Za-z'’-]*", clause):
        lw = w.lower()
        if lw in _AUX or lw in IRREGULAR or re.search(r"n['’]t$", lw):
            return True
        if re.search(r"[a-z]ed$", lw) or (re.search(r"[^s'’]s$", lw) and len(lw) > 3 and not w[0].isupper()):
            return True
    return False


def verbless_report(sentence: str) -> list[str]:
    """Clauses of ``sentence`` after a reporting verb that have no verb ("said the family ahead of Meta's
    Llama" -> ["the family ahead of Meta's Llama"])."""
    found = []
    for m in _REPORTED.finditer(sentence):
        clause = m.group("clause").strip()
        if len(clause.split()) >= 2 and not _OPENS_OWN.match(clause) and not _has_verb(clause):
            found.append(clause)
    return found


def verbless(sentence: str) -> bool:
    """Whether ``sentence`` has no word that can be a finite verb (see the module): "Tim Draper, born on June
    11th, in California." has none; "Alibaba launches task force" has one."""
    return not _has_verb(sentence)
