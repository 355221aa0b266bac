"""Word lists and word-level rules: months, negation, stop and function words, capitalised words that are
not names, and the phrases of site furniture. Each is defined here once; what uses them decides how."""

from __future__ import annotations

import re

MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
               "November", "December")
MONTHS = "|".join(MONTH_NAMES)  # a regex alternation of the month names
MONTH_WORDS = frozenset(m.lower() for m in MONTH_NAMES)  # for lower-cased token lookups

_AFFIRMS = r"(?! only\b| just\b(?! yet)| merely\b)"  # "not only A but also B" states both; "not just yet" denies
NEGATION = re.compile(rf"\b(?:not{_AFFIRMS}|no|never|none|nobody|nothing|without|neither|nor|denie[sd]|deny|"
                      rf"den[yi]ing|cannot|refused|rejected|failed)\b|n['’]t\b{_AFFIRMS}", re.IGNORECASE)


def bare(word: str) -> str:
    """Lower case without a possessive ending ("Alibaba's" -> "alibaba")."""
    return re.sub(r"['’]s$", "", word.lower())


def negated(text: str) -> bool:
    """Whether ``text`` contains a negation word ("not", "never", "denies", "failed", "n't", ...)."""
    return bool(NEGATION.search(text))


# Words that carry no topic: left out when a query's content words are matched.
STOP_WORDS = frozenset("""a an and are as at be been being but by can could did do does for from had has have how in
into is it its of on or over than that the their them there these they this to was were what when where which who whom
why will with would about after all also any before between both during each few more most other some such through under
up very new latest""".split())
# Words that end the noun a figure counts ("3 of the models" counts nothing).
FUNCTION_WORDS = frozenset({"a", "an", "the", "and", "or", "of", "in", "on", "at", "to", "by", "for", "from", "with",
                            "as", "than", "that", "which", "who", "is", "are", "was", "were", "has", "have", "had",
                            "times", "be", "been"})
# Capitalised words that are not names (sentence openers, pronouns, attribution words).
COMMON_CAPITALISED = frozenset({"The", "This", "That", "These", "Those", "It", "Its", "In", "On", "At", "By", "For",
                                "And", "But", "A", "An", "As", "With", "From", "Source", "Sources", "According",
                                "After", "Before", "He", "She", "They", "We", "His", "Her"})
# Site furniture: a line or sentence that contains one of these phrases is a page's, not the article's.
BOILERPLATE = (r"subscribe|newsletter|sign up|log in|click here|follow us|share this|read more|cookies?|"
               r"all rights reserved|terms of (?:use|service)|privacy policy|advertisement|sponsored")
# Words of grammar, not of content: stop and function words, pronouns, determiners, auxiliaries, particles,
# prepositions and conjunctions. A word outside this list says something a rewrite's evidence must say.
GRAMMAR_WORDS = STOP_WORDS | FUNCTION_WORDS | frozenset("""i me my we us our you your he him his she her hers
those another every either no yes so if though although because while whether unless until yet nor am having shall
should may might must not only just even too then once onto upon via per within without against along among around
across behind below above beneath beside besides beyond toward towards near off out down away back inside outside
past since one ones whose here""".split())
