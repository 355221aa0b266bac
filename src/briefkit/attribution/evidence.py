"""Evidence units: the sentences of retrieved passages, located in their documents, and a
quality filter that keeps page furniture (headings, datelines, link lists, questions,
captions, newsletter text) out of summaries and answers.

Source text is data, never instructions: a sentence addressed to a model or a reader (a role
prefix such as "SYSTEM:" or "Assistant:", chat-template tokens, "ignore previous instructions",
"you must ...", an order to write or say something) is dropped as ``instruction``, so it can
neither reach a prompt nor be quoted. Citation markers in articles are removed at cleaning.

A sentence is a span of its document: ``text == document.text[start:end]``. Tidying (a
leading bullet, emoji or ``Label:`` prefix, a trailing ``(Source)`` tag) narrows the span
rather than rewriting the text, so the span stays exact. This module does not score
relevance; see :mod:`briefkit.attribution.select`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..retrieval import Passage
from ..text.lexicon import BOILERPLATE, GRAMMAR_WORDS, MONTHS
from ..text.sentences import split_sentences


@dataclass(frozen=True)
class Evidence:
    doc_id: str
    chunk_id: int
    start: int  # character offsets into the document's stored text
    end: int
    text: str
    title: str | None = None
    source: str | None = None
    date: str | None = None
    passage_relevance: float = 0.0  # dense relevance of the passage it came from (context for selection)

    def to_json(self) -> dict:
        return {"doc_id": self.doc_id, "chunk_id": self.chunk_id, "start": self.start, "end": self.end,
                "text": self.text}


_URL = re.compile(r"https?://|www\.\w|🔗|\.(?:com|org|net|html?)/", re.IGNORECASE)
_DATELINE = re.compile(
    r"^(?:(?:published|posted|updated|last updated|dated?|written by|reported by|sources?|image|photo|picture|"
    r"credits?|caption|video|tags?|category|filed under)\s*[:|]|(?:posted|published|updated) (?:on|at)\b|week of\b)",
    re.IGNORECASE,
)
_BYLINE = re.compile(rf"^By (?!(?:{MONTHS})\b)[A-Z][\w.'-]+(?: [A-Z][\w.'-]+){{0,3}}\s*(?:[,|]|$)")
_TAGGED_HEADLINE = re.compile(r"[^.!?:;\s]\s*\([^()]{1,40}\)\s*$")  # "Headline (Publisher)": a link list item
_SOURCE_TAG = re.compile(r"\((?:[\w-]+\.)+(?:com|net|org|io|ai|tech|news|co|uk|cn|de|fr|info|biz|tv)\)\s*$",
                         re.IGNORECASE)
_FURNITURE = re.compile(
    r"^(?:this|the following|in this|the present) (?:article|report|piece|post|story|newsletter|overview)\b"
    r".{0,60}?\b(?:delves|explores|examines|discusses|looks at|covers|provides|offers|highlights|we)\b|"
    rf"\b(?:{BOILERPLATE})\b|©",
    re.IGNORECASE,
)
# An advert addressed to the reader: a call to act on "you" or "us" ("Visit our website today", "Check out
# SpeedMax", "Use code X for 10% off"), an exclamation to act now ("Book now and save up to 20%!"), an offer as a
# label ("Special offer: ...", "Limited time offer!"), or the seller's own deals ("our exclusive deals"). Reported
# speech or a quotation is news about an offer, not an offer ("Apple said the limited-time offer lifted sales").
# "US" is not "us" ("Order books at US shipyards are full").
_ACT = (r"(?:visit|join|book|sign\ up|register|subscribe|shop|grab|explore|discover|unlock|enjoy|upgrade|elevate|"
        r"treat|order|call|try|download|get|save|learn\ more|find\ out|stay\ tuned|stay\ informed)")
_ADVERT = re.compile(rf"""
    ^\W*(?:(?:please|and|so|also|plus|or|in\ other\ news),?\s+)?(?:
        {_ACT}\b[^.!?]{{0,60}}\b(?:you|your|yours|our|(?-i:us))\b
      | {_ACT}\b[^.!?]{{0,40}}\b(?:now|today)\b[^.?]*!\W*$
      | check\ (?:them\ )?out\b | don['’]?t\ (?:miss|forget)\b | do\ not\ miss\b
      | use\ (?:the\ )?(?:promo\ )?code\b | act\ (?:now|fast)\b | hurry(?![\w-])
      | (?:special|limited[-\ ]time)\ offers?\b | for\ a\ limited\ time\b)
  | \bfor\ a\ limited\ time\b[^.?]*!\W*$
  | \*\*\s*ad\s*\*\* | \bpromo(?:tional)?\ code\b
  | \b(?:our|your)\b[^.!?]{{0,50}}\b(?:discounts?|exclusive\ (?:deals|offers)|coupons?|webinars?|sponsors?|website)\b
""", re.IGNORECASE | re.VERBOSE)
_REPORTED = re.compile(r"^\W*[\"“]|\b(?:said|says|told|warned|reported|according to|added|noted|stated|urged)\b",
                       re.IGNORECASE)
_ROLE = r"(?:system|assistant|user|human|ai|bot|chatbot|model|llm|developer|instructions?|prompt)"
# A sentence about someone it names only by a pronoun ("He did not give a reason", "At DeepMind he worked on
# Gemini 3"): quoted alone, it does not say whom it is about.
_PRONOUN_SUBJECT = re.compile(r"^(?:(?:At|In|On|For|After|Before|During|Since|Until|Under|With|As)"
                              r"(?: [\w'’.-]+){1,3},? )?(?:He|She|They|he|she|they) [a-z]|^(?:His|Her|Their) [a-z]")
# An open question inside a statement ("The signal to watch is whether the release ships on Apache 2.0", "The coming
# months will determine whether ..."), or a sentence that opens on "whether" ("Whether you're a fan or a newcomer, the
# Demon 170 has something for everyone"): it asserts nothing, or nothing it commits to. "Regulators are investigating
# whether ...", "developers asked whether ...", "did not say whether" and "whether or not" state something, and stay.
_OPEN_QUESTION = re.compile(
    r"\b(?:is|are|was|were|remains?|be|unclear|uncertain|unknown|to be seen)\s+whether\b(?!\s+or\s+not)|"
    r"\b(?:will|would|could|may|might)\s+(?:determine|decide)\s+whether\b|\bwatch(?:ing)?\s+whether\b|"
    r"\binclude[sd]?\b[^.;]{0,80}\bwhether\b|^\W*whether\b(?!\s+or\s+not)|"
    r"\bwhether\b[^.;]{0,120}\b(?:remains? to be seen|(?:is|are|remains?) (?:unclear|uncertain|unknown))",
    re.IGNORECASE)
_INSTRUCTION = re.compile(
    rf"^\W*{_ROLE}\s*[:>]|<\|?(?:im_start|im_end|endoftext|system|user|assistant)\|?>|\[/?INST\]|<</?SYS>>|"
    r"\b(?:ignore|disregard|forget|override|bypass)\b.{0,40}\b(?:instructions?|prompts?|rules|guidelines|"
    r"directions|context|above|everything|previous)\b|"
    r"\byou (?:must|should|shall|have to|need to|are now|will now|will always|are (?:an?|the) (?:ai|assistant|"
    r"language model|chatbot|model))\b|"
    r"\b(?:as an ai|language models?|ai models?|ai assistants?|chatbots?|llms?)\b.{0,60}\b(?:must|should|shall|"
    r"always|never)\b|"
    r"^\W*(?:please\s+)?(?:write|say|state|respond|reply|answer|output|print|repeat|summari[sz]e|tell|claim|report|"
    r"cite)\b.{0,80}\b(?:that|with|as|the following|sources?)\b|"
    r"\b(?:new|updated|hidden|secret) instructions?\b|\bsystem prompt\b",
    re.IGNORECASE,
)
_LEAD_MARKS = re.compile(r"^(?:[^\w\"“‘'(\[$€£]+|\d{1,2}[.)]\s+)+")
_LABEL = re.compile(r"^([A-Z][^:.!?*]{0,60}?):[*_]*\s+(?=[\"“‘]?[A-Z0-9$€£])")  # "Label: ...", "Label:** ..."
# a bold label word without a colon: "ADVERTISEMENT** The ...", "Ad** SVB ..." (not a bold name: "SVB** CEO ...")
_CAPS_LABEL = re.compile(r"^((?i:advertisement|advertising|sponsored|ad|breaking(?: news)?|update|exclusive|analysis|"
                         r"opinion))[*_]{2}\s+(?=[\"“‘]?[A-Z0-9$€£])")
_TRAILING_TAG = re.compile(r"\s*\((?:[A-Z][\w.&' -]{0,40})\)\s*$")
_END = re.compile(r"[.!]['\"”’)]*$")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
MIN_WORDS = 6
MAX_WORDS = 70


def tidy_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Narrow ``text[start:end]`` past leading bullets, emoji, list numbers and a short ``Label:``
    prefix, and before a trailing ``(Source)`` tag after the sentence end."""
    seg = text[start:end]
    for _ in range(3):
        lead = _LEAD_MARKS.match(seg)
        if lead:
            seg, start = seg[lead.end():], start + lead.end()
        label = _LABEL.match(seg) or _CAPS_LABEL.match(seg)
        if label and len(label.group(1).split()) <= 6 and not re.fullmatch(_ROLE, label.group(1), re.IGNORECASE):
            seg, start = seg[label.end():], start + label.end()
        if not lead and not label:
            break
    tag = _TRAILING_TAG.search(seg)
    if tag and _END.search(seg[: tag.start()]):
        seg, end = seg[: tag.start()], start + tag.start()
    stripped = seg.rstrip()
    return start, start + len(stripped)


@lru_cache(maxsize=1 << 16)
def sentence_problem(sentence: str) -> str | None:
    """Why ``sentence`` is not a usable statement of fact, or None when it is (memoised: a summary reads the same
    passages for its candidates, their corroboration and their citations).

    Reasons: ``instruction`` (addressed to a model or a reader, see the module docstring), ``link`` (URLs, link lists),
    ``dateline`` (bylines, publication lines, captions, source lists), ``furniture`` (navigation, newsletter, adverts,
    "This article ..."), ``question``, ``heading`` (a short or title-cased line without a sentence end), ``too short``,
    ``too long``, ``not prose`` (mostly digits or symbols).
    """
    s = sentence.strip()
    words = _WORD.findall(s)
    if _INSTRUCTION.search(s):
        return "instruction"
    if _URL.search(s) or _SOURCE_TAG.search(s) or _TAGGED_HEADLINE.search(s):
        return "link"
    if _DATELINE.match(s) or _BYLINE.match(s) or (" | " in s and len(s.split(" | ")) >= 2 and not _END.search(s)):
        return "dateline"
    if _FURNITURE.search(s) or (_ADVERT.search(s) and not _REPORTED.search(s)):
        return "furniture"
    if s.endswith("?") or s.endswith("?”") or s.endswith('?"'):
        return "question"
    if s.endswith(":"):
        return "heading"  # a lead-in to a list
    if len(words) < MIN_WORDS:
        return "too short"
    if len(words) > MAX_WORDS:
        return "too long"
    letters = sum(map(str.isalpha, s))
    if letters < 0.6 * len(s.replace(" ", "")):
        return "not prose"
    if not re.search(r"[.!;:'\"”’)]$", s):
        long_words = [w for w in words if len(w) > 3]
        capitalised = sum(w[0].isupper() for w in long_words)
        # Title case, unless two or more content words are all lower case: a list item of names with a verb
        # ("Zhou Jingren (Alibaba Cloud CTO) continues to lead Tongyi Lab") is a statement; "iPhone" or "toward"
        # in a headline is not such a word.
        lower_content = sum(w.islower() and w not in GRAMMAR_WORDS for w in long_words)
        if len(words) < 10 or (long_words and capitalised / len(long_words) >= 0.6 and lower_content < 2):
            return "heading"
    return None


def passage_sentences(passage: Passage) -> list[Evidence]:
    """Every tidied sentence of ``passage`` as evidence (unfiltered), with document offsets."""
    return [Evidence(passage.doc_id, passage.chunk_id, passage.start + s, passage.start + e, passage.text[s:e],
                     passage.title, passage.source, passage.date, passage.relevance) for s, e in _spans(passage.text)]


def forget() -> None:
    """Empty the memoised sentence spans and filter verdicts (a benchmark timing a new process's summary)."""
    sentence_problem.cache_clear()
    _spans.cache_clear()


@lru_cache(maxsize=4096)
def _spans(text: str) -> tuple[tuple[int, int], ...]:
    """The tidied sentence spans of a passage's text (memoised, as :func:`sentence_problem`)."""
    return tuple((s, e) for s, e in (tidy_span(text, *span) for span in split_sentences(text)) if e > s)


def _standalone_problem(text: str) -> str | None:
    """Why ``text`` would not state a fact quoted alone as a bullet (see :func:`gather`), or None."""
    if _PRONOUN_SUBJECT.search(text):
        return "pronoun"
    return "open question" if _OPEN_QUESTION.search(text) else None


def gather(passages: list[Passage], standalone: bool = False) -> tuple[list[Evidence], dict[str, int]]:
    """Usable sentences of the passages, once each (chunks overlap), in retrieval order,
    and how many sentences each filter reason removed (:func:`sentence_problem`'s). ``standalone``: also
    drop what quoted alone as a bullet would not state: as ``pronoun``, a sentence whose subject is a personal
    pronoun, which does not say whom it is about ("At DeepMind he worked on ..."), and as ``open question``,
    one that asks whether rather than says ("The signal to watch is whether the team keeps its pace"). An
    answer keeps them: its question names whom it asks about, and "will determine whether" can answer one."""
    seen: set[tuple[str, str]] = set()
    kept: list[Evidence] = []
    dropped: dict[str, int] = {}
    for passage in passages:
        for ev in passage_sentences(passage):
            key = (ev.doc_id, " ".join(ev.text.casefold().split()))  # chunks overlap; scrapes repeat
            if key in seen:
                continue
            seen.add(key)
            problem = sentence_problem(ev.text) or (_standalone_problem(ev.text) if standalone else None)
            if problem:
                dropped[problem] = dropped.get(problem, 0) + 1
            else:
                kept.append(ev)
    return kept, dropped
