"""Who holds a title or a relation: the person or organisation a sentence binds a role to.

A news sentence binds a title to a name before it ("chief executive Eddie Wu", "Chief Executive Officer
Zhou Jingren", "CTO Zhou") or in an appositive after it ("Eddie Wu, the chief executive,", "Wu, who leads
the group"), and a relation to the name it points at ("reports directly to chief executive Eddie Wu",
"led by Wu", "working with Zhou Jingren"). :func:`bindings` finds them; :func:`moved_roles` finds a
rewrite that binds a title or a relation to another name than its evidence does ("reports directly to
Chief Executive Officer Zhou Jingren" from "reports directly to chief executive Eddie Wu, working with
chief technology officer Zhou Jingren"). Dropping a title is fine; moving one is not.

What it leaves out: titles after a verb ("Wu is chief executive", "stepped down as technical lead"),
which organisation a title is of ("CTO of Tongyi Lab": the verifier's "ROLE of Name" check), pronouns
("he reports to Wu"), and any parse beyond word patterns: a title the patterns do not bind in the
evidence ("Alibaba's chief executive, Eddie Wu") binds nothing there, so a rewrite may give it to anyone
(the scorer's business). "chief", "officer" and "senior" alone tell no title from another.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .lexicon import COMMON_CAPITALISED, MONTH_WORDS, bare

# Title words; "chief" and "officer" alone tell no title from another, so they bind nothing by themselves.
_TITLE_WORDS = {"chief", "executive", "technology", "technical", "financial", "operating", "information", "officer",
                "president", "vice", "chairman", "chairwoman", "chair", "founder", "co-founder", "cofounder", "head",
                "lead", "leader", "director", "manager", "managing", "general", "deputy", "senior", "principal",
                "spokesperson", "spokesman", "spokeswoman", "researcher", "scientist", "engineer", "architect",
                "minister", "secretary", "governor", "editor", "analyst", "partner", "boss"}
_ACRONYMS = {"ceo": ("chief", "executive", "officer"), "cto": ("chief", "technology", "officer"),
             "cfo": ("chief", "financial", "officer"), "coo": ("chief", "operating", "officer"),
             "cio": ("chief", "information", "officer")}
_GENERIC = {"chief", "officer", "senior"}
_SAME = {"technical": "technology", "head": "lead", "leader": "lead", "chairman": "chair", "chairwoman": "chair",
         "cofounder": "co-founder", "spokesman": "spokesperson", "spokeswoman": "spokesperson"}
_LEADS = {"lead", "leads", "led", "leader", "head", "heads", "headed", "runs", "ran", "oversees", "oversaw", "chairs",
          "chaired", "helms"}  # "Wu, who leads the group"
_VERB_BEFORE = {"to", "will", "would", "could", "may", "might", "can", "shall"}  # "to lead Qwen": a verb
_DETERMINERS = {"the", "its", "a", "an", "their", "his", "her", "former", "then"}
# A relation and the name it points at: "reports (directly) to X", "led by X", "working with X".
_RELATIONS = re.compile(
    r"\b(?P<rel>report(?:s|ed|ing)?\s+(?:\w+ly\s+)?to|(?:led|headed|run|overseen|chaired|managed|founded|owned)\s+by|"
    r"work(?:s|ed|ing)?\s+(?:\w+ly\s+)?with)\s+", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*|\d[\d,.]*|[^\sA-Za-z\d]")


@dataclass(frozen=True)
class Binding:
    """A role bound to a name in a sentence: ``kind`` "title" (the role's key words) or a relation."""

    name: tuple[str, ...]  # the name's words as written
    kind: str  # "title" or the relation's words, lower-cased ("report to", "led by")
    keys: frozenset[str]  # title: its key words ("executive", "lead"); a relation: none

    def shown(self) -> str:
        return " ".join(self.name)


def spelled_out(word: str) -> tuple[str, ...]:
    """The words a title acronym stands for ("CEO" -> ("chief", "executive", "officer")); () for other words."""
    return _ACRONYMS.get(bare(word), ())


def title_keys(word: str) -> tuple[str, ...]:
    """The key words a title word contributes: "Executive" -> ("executive",), "CEO" -> ("executive",),
    "headed" -> ("lead",), "chief" -> () (too generic), a word that is no title -> ()."""
    w = bare(word)
    if w in _LEADS:
        return ("lead",)
    parts = spelled_out(w) or ((w,) if w in _TITLE_WORDS else ())
    return tuple(_SAME.get(p, p) for p in parts if p not in _GENERIC)


def is_title(word: str) -> bool:
    """Whether ``word`` is a title word ("chief", "Executive", "CEO"), generic ones included."""
    w = bare(word)
    return w in _TITLE_WORDS or w in _ACRONYMS


def _is_name(word: str) -> bool:
    return (word[0].isupper() and not is_title(word) and word.lower() not in MONTH_WORDS
            and word not in COMMON_CAPITALISED)


def _name_at(words: list[str], i: int) -> tuple[str, ...]:
    """The run of capitalised name words starting at ``i`` (empty when ``words[i]`` starts none)."""
    run = []
    while i < len(words) and words[i][0].isalpha() and _is_name(words[i]):
        run.append(words[i])
        i += 1
    return tuple(run)


def _possessive(word: str) -> bool:
    return bool(re.fullmatch(r"[A-Z][\w-]*['’]s", word))


def bindings(sentence: str) -> list[Binding]:
    """The titles and relations ``sentence`` binds to names, in order (see the module)."""
    words = _WORD.findall(sentence)
    found: list[Binding] = []
    i = 0
    while i < len(words):
        name = _name_at(words, i)
        if not name:
            i += 1
            continue
        keys: list[str] = []
        j = i - 1
        while j >= 0 and is_title(words[j]):  # before the name: "chief executive Eddie Wu"
            keys += title_keys(words[j])
            j -= 1
        if j == i - 2 and j >= 0 and words[j].lower() in _VERB_BEFORE:
            keys = []  # a verb, not a title: "hired to lead Qwen post-training"
        k = i + len(name) + 1
        if k < len(words) and words[k - 1] == ",":  # after it: ", the chief executive", ", who leads"
            k += words[k].lower() in _DETERMINERS | {"who"} or _possessive(words[k])
            after: list[str] = []
            while k < len(words) and (is_title(words[k]) or bare(words[k]) in _LEADS):
                after += title_keys(words[k])
                k += 1
            if not _name_at(words, k):  # else the title is the next name's: "CEO Eddie Wu, CTO Jingren"
                keys += after
        if keys:
            found.append(Binding(name, "title", frozenset(keys)))
        i += len(name)
    for m in _RELATIONS.finditer(sentence):
        rest = _WORD.findall(sentence[m.end():])[:8]
        j = 0
        while j < len(rest) and (is_title(rest[j]) or rest[j].lower() in _DETERMINERS or _possessive(rest[j])):
            j += 1
        name = _name_at(rest, j)
        if name:
            found.append(Binding(name, _relation_key(m.group("rel")), frozenset()))
    return found


def _relation_key(rel: str) -> str:
    """One key per relation whatever its form: "reported directly to" -> "report to", "works with" -> "work with"."""
    words = rel.lower().split()
    first = re.sub(r"(?:s|ed|ing)$", "", words[0]) if words[0].startswith(("report", "work")) else words[0]
    return f"{first} {words[-1]}"


def _same(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether two names may be one ("Wu" and "Eddie Wu" share a word)."""
    return bool({bare(w) for w in a} & {bare(w) for w in b})


def moved_roles(claim: str, evidence: list[str]) -> list[str]:
    """Titles and relations ``claim`` binds to a name that its evidence binds only to other names, each as
    "'KEY' on NAME, the evidence's NAME" ("'executive' on Zhou Jingren, the evidence's Eddie Wu") or
    "'RELATION' NAME, the evidence's NAME" ("'report to' Zhou Jingren, the evidence's Eddie Wu").
    Names are one when they share a word ("Wu", "Eddie Wu"). A title or relation the evidence binds to
    nobody is left to the other checks (a new role word, the scorer)."""
    theirs = [b for e in evidence for b in bindings(e)]
    wrong = []
    for b in bindings(claim):
        if b.kind == "title":
            for key in sorted(b.keys):
                holders = [t for t in theirs if t.kind == "title" and key in t.keys]
                if holders and not any(_same(b.name, t.name) for t in holders):
                    wrong.append(f"'{key}' on {b.shown()}, the evidence's {holders[0].shown()}")
        else:
            targets = [t for t in theirs if t.kind == b.kind]
            if targets and not any(_same(b.name, t.name) for t in targets):
                wrong.append(f"'{b.kind}' {b.shown()}, the evidence's {targets[0].shown()}")
    return list(dict.fromkeys(wrong))
