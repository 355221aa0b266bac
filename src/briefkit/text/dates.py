"""Dates in text: ISO and spelled-out dates to ISO, and month-day mentions ("March 4", "March 4, 2026")."""

from __future__ import annotations

import re
from datetime import date, datetime

from .lexicon import MONTH_NAMES, MONTHS

_DATE_PATTERNS = [
    (re.compile(r"(?<!\d)(\d{4}-\d{2}-\d{2})(?!\d)"), "%Y-%m-%d"),
    (re.compile(rf"\b((?:{MONTHS}) \d{{1,2}}, \d{{4}})\b"), "%B %d, %Y"),
    (re.compile(rf"\b(\d{{1,2}} (?:{MONTHS}) \d{{4}})\b"), "%d %B %Y"),
]


def normalise_date(value: object) -> str | None:
    """Return an ISO date (YYYY-MM-DD) for common spellings, else None."""
    if value is None:
        return None
    if isinstance(value, (date, datetime)):
        return value.strftime("%Y-%m-%d")
    text = str(value).strip()
    for pattern, fmt in _DATE_PATTERNS:
        match = pattern.search(text)
        if match:
            try:
                return datetime.strptime(match.group(1), fmt).strftime("%Y-%m-%d")
            except ValueError:
                continue
    return None


MONTH_NUMBER = {m: i for i, m in enumerate(MONTH_NAMES, 1)}
# "March 4", "Sept. 4" is not matched; groups: month, day, year (optional)
MONTH_DAY = re.compile(rf"\b({MONTHS})\.?\s+(\d{{1,2}})\b(?:,?\s+(\d{{4}}))?")
