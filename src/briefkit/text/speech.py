"""Who says it: the reporting and characterising frames through which a source presents a claim.

A news sentence often states its content only as someone's word: a characterisation ("described the
changes as a reshuffle", "called progress a priority"), a disputed date ("this report dates the
resignation to March 4"), a claim, an allegation or a denial ("claims", "alleged", "denied that"),
hearsay ("according to people familiar with the team", "sources said", "reportedly") or another's
quoted words ('"It is a reshuffle," a spokesperson said'). :func:`frames` finds them in a sentence;
:func:`dropped_frames` finds a rewrite that states such content as a fact of its own, with no
reporting verb, "according to" or speaker left.

What it leaves out: plain speech verbs ("said", "announced", "confirmed") outside a quotation, since
news state a party's report of its own act as fact ("Lin has stepped down, he announced") and the
labelled verification set reads them so; "according to" a measurement ("figures cited by Reuters", "a
market survey"), which the set also reads as a fact; a quotation whose speaker is the rewrite's subject
(a self-report). Which words of a sentence a frame governs is not parsed: a framed sentence counts as
framed as a whole.
"""

from __future__ import annotations

import re

from .lexicon import STOP_WORDS

# Frames that make the content someone's word whoever the subject is (a characterisation of one's own
# changes is still a characterisation), each with the words a reason shows.
_NOT_PHRASAL = r"\b(?!\s+(?:for|on|off|up|back|in|out)\b)"  # "called for a review" characterises nothing
_FRAMES = [(re.compile(pattern, re.IGNORECASE), shown) for pattern, shown in (
    ((r"\b(?:described|describes|describing|characteri[sz](?:ed|es|ing)|portray(?:ed|s)|depict(?:ed|s)|labell?ed|"
     r"term(?:ed|s)|call(?:ed|s|ing))" + _NOT_PHRASAL + r"(?=(?:\W+[\w'’-]+){0,12}?\W+as\b)"), "{} ... as"),
    (r"\b(?:call(?:ed|s|ing)|term(?:ed|s))" + _NOT_PHRASAL + r"(?=(?:\W+[\w'’-]+){1,6}?\W+an?\b)", "{} ... a"),
    (r"\bdat(?:es|ed|ing)\b(?=(?:\W+[\w'’-]+){1,8}?\W+to\b)", "{} ... to"),
    ((r"\b(?:claim(?:s|ed|ing)?|alleg(?:es|ed|edly|ing|ations?)|reportedly|purportedly|supposedly|"
     r"den(?:y|ies|ied|ying)|dismiss(?:ed|es|ing)|insist(?:s|ed|ing)|contend(?:s|ed)|maintain(?:s|ed) that)\b"), "{}"),
    ((r"\baccording to (?:\w+\W+){0,3}?(?:people|persons?|sources?|insiders?|officials?|reports?|reporting|"
     r"accounts?|those|someone|witnesses)\b"), "{}"),
    ((r"\bpeople (?:familiar|close|with knowledge)\b|\bsources? (?:said|say|says|told|familiar|close)\b|"
     r"\b(?:is|are|was|were) (?:said|rumou?red|believed|thought) to\b"), "{}"),
)]
_SPEECH = r"(?:said|says|wrote|writes|told|tells|added|stated|posted|asked)"
# three words or more between quotation marks
_QUOTE = re.compile(r"[\"“”](?:[^\"“”\s]+\s+){2,}[^\"“”]*[\"“”]")
# the speaker of a quotation: '"...," X said' or 'X said: "..."'
_SPEAKER = re.compile(r"[\"“”],?\s+(?P<after>(?:[A-Za-z]+\s+){0,3}?[A-Za-z]+)\s+" + _SPEECH + r"\b"
                      r"|\b(?P<before>[A-Za-z]+)\s+" + _SPEECH + r"\b[^\"“”]{0,40}[\"“”]", re.IGNORECASE)
_SELF = {"i", "we", "he", "she", "they"}
# Words by which a rewrite keeps the attribution: a reporting verb in the active voice, or "according to".
_ATTRIBUTION = re.compile(
    r"\b(?:said|says|say|saying|told|tells|stated|states|announced|announces|confirmed|confirms|wrote|writes|"
    r"reported|reports|reportedly|described|describes|called|calls|termed|characteri[sz]ed|claim(?:s|ed)?|"
    r"alleg(?:es|ed|edly)|den(?:y|ies|ied)|dismissed|rejected|insist(?:s|ed)|dates|dated|according to|"
    r"argued|argues|cited|estimated|estimates|believes|sources?|people familiar)\b", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]+|\d[\d,.]*")


def frames(sentence: str, subject: str = "") -> list[str]:
    """The reporting or characterising frames of ``sentence`` (see the module), lower-cased as found. A
    quotation counts as a frame ("quoted words") unless its speaker is a pronoun or a word of ``subject``
    (the speaker speaks of their own act)."""
    found = [shown.format(m.group(0).lower()) for pattern, shown in _FRAMES for m in pattern.finditer(sentence)]
    speaker = _SPEAKER.search(sentence) if _QUOTE.search(sentence) else None
    if speaker is not None:
        words = {w.lower() for w in (speaker.group("after") or speaker.group("before")).split()}
        if not words & (_SELF | {w.lower() for w in _WORD.findall(subject)}):
            found.append("quoted words")
    return list(dict.fromkeys(found))


def attributed(sentence: str) -> bool:
    """Whether ``sentence`` says who says its content: a reporting verb in the active voice or with
    "by" ("Alibaba described", "was described by"), "according to", a frame adverb ("reportedly").
    A passive with no agent ("was announced on March 4") says nobody."""
    for m in _ATTRIBUTION.finditer(sentence):
        before = sentence[:m.start()]
        if re.search(r"\b(?:is|are|was|were|been|be)\s+(?:\w+ly\s+)?$", before, re.IGNORECASE) \
                and not re.match(r"\s+by\b", sentence[m.end():], re.IGNORECASE):
            continue
        return True
    return False


def _content(text: str) -> set[str]:
    """Content words of ``text`` by a crude stem (first five letters), stop words left out."""
    return {w.lower()[:5] for w in _WORD.findall(text) if len(w) > 2 and w.lower() not in STOP_WORDS}


def dropped_frames(claim: str, evidence: list[str]) -> list[str]:
    """The frames a rewrite drops: when every evidence sentence that carries ``claim``'s content (at
    least two of its content words and half as many as the best one) presents it through a frame
    (:func:`frames`, a quotation judged against the claim's first words as its subject) and ``claim``
    attributes nothing (:func:`attributed`), the frames of those sentences; else none."""
    if attributed(claim) or not evidence:
        return []
    mine = _content(claim)
    shared = [len(mine & _content(e)) for e in evidence]
    best = max(shared)
    carriers = [e for e, n in zip(evidence, shared) if n >= 2 and 2 * n >= best]
    subject = " ".join(claim.split()[:4])
    found = [frames(e, subject) for e in carriers]
    if not carriers or not all(found):
        return []
    return list(dict.fromkeys(f for fs in found for f in fs))
