"""Readers turn files into raw articles: .txt, .md, .html/.htm, .jsonl and .pdf.

Each reader yields :class:`RawArticle` objects or raises :class:`ReadError` with a one-line
reason. A JSONL file reports bad lines one by one and still yields its good lines.
Cleaning and deduplication happen later; readers only decode and extract.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from fnmatch import fnmatch
from pathlib import Path
from typing import Iterator

SUPPORTED_SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm", ".jsonl", ".pdf"}


class ReadError(Exception):
    """A file (or one line of it) could not be read; the message is one line."""


@dataclass
class RawArticle:
    text: str
    path: str
    id: str | None = None
    title: str | None = None
    source: str | None = None
    url: str | None = None
    date: str | None = None
    extra: dict = field(default_factory=dict)
    origin: str | None = None  # where it came from (resolved file path, or URL for a JSONL line)


@dataclass
class ReadOutcome:
    articles: list[RawArticle]
    failures: list[tuple[str, str]]  # (path or path:line, error)


def excluded(path: Path, rel: Path, patterns: list[str]) -> bool:
    """True when a glob in ``patterns`` matches the file's name, its path below the folder
    given, or its path as given (``drafts/*``, ``*.pdf``, ``**/old/**``)."""
    names = (path.name, rel.as_posix(), path.as_posix())
    return any(fnmatch(name, pattern) for pattern in patterns for name in names)


def iter_files(paths: list[Path], exclude: list[str] = ()) -> Iterator[Path]:  # type: ignore[assignment]
    """Expand folders recursively (sorted, hidden files skipped) into supported files, leaving out
    files that match an ``exclude`` glob."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                rel = child.relative_to(path)
                if child.is_file() and not any(p.startswith(".") for p in rel.parts):
                    if child.suffix.lower() in SUPPORTED_SUFFIXES and not excluded(child, rel, list(exclude)):
                        yield child
        elif not excluded(path, Path(path.name), list(exclude)):
            yield path


def read_file(path: Path, max_bytes: int) -> ReadOutcome:
    """Read one file; every problem becomes a failure entry, never an exception."""
    label = str(path)
    try:
        if not path.exists():
            raise ReadError("no such file")
        size = path.stat().st_size
        if size == 0:
            raise ReadError("file is empty")
        if size > max_bytes:
            raise ReadError(f"file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.1f} MB limit (corpus.max_file_mb)")
        suffix = path.suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES:
            raise ReadError(f"unsupported file type {suffix or '(none)'}; supported: {', '.join(sorted(SUPPORTED_SUFFIXES))}")
        data = path.read_bytes()
        if suffix == ".jsonl":
            return _read_jsonl(path, data)
        if suffix == ".pdf":
            article = _read_pdf(path, data)
        elif suffix in {".html", ".htm"}:
            article = _read_html(path, data)
        else:
            article = _read_text(path, data, markdown=suffix != ".txt")
        article.origin = str(path.resolve())
        return ReadOutcome([article], [])
    except ReadError as exc:
        return ReadOutcome([], [(label, str(exc))])
    except OSError as exc:
        return ReadOutcome([], [(label, f"cannot read file: {exc.strerror or exc}")])


def decode_bytes(data: bytes) -> str:
    """Decode text whatever its encoding; binary data raises :class:`ReadError`."""
    if b"\x00" in data[:8192]:
        raise ReadError("file looks binary (NUL bytes), not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise ReadError("cannot detect the text encoding (binary or corrupt file?)")
    text = str(best)
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > max(10, len(text) // 100):
        raise ReadError("file looks binary (control characters), not text")
    return text


_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_DATE_PATTERNS = [
    (re.compile(r"(?<!\d)(\d{4}-\d{2}-\d{2})(?!\d)"), "%Y-%m-%d"),
    (re.compile(rf"\b((?:{_MONTHS}) \d{{1,2}}, \d{{4}})\b"), "%B %d, %Y"),
    (re.compile(rf"\b(\d{{1,2}} (?:{_MONTHS}) \d{{4}})\b"), "%d %B %Y"),
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


def _guess_title_and_date(text: str) -> tuple[str | None, str | None]:
    lines = [ln.strip().lstrip("#").strip() for ln in text.splitlines() if ln.strip()]
    title = lines[0][:200] if lines and len(lines[0].split()) <= 25 else None
    found = None
    for line in lines[:8]:
        found = normalise_date(line)
        if found:
            break
    return title, found


def _read_text(path: Path, data: bytes, markdown: bool) -> RawArticle:
    text = decode_bytes(data)
    if markdown:
        text = re.sub(r"^(\s*)#{1,6}\s+", r"\1", text, flags=re.MULTILINE)
    title, found_date = _guess_title_and_date(text)
    return RawArticle(text=text, path=str(path), title=title, date=found_date, source=path.parent.name or None)


def _read_html(path: Path, data: bytes) -> RawArticle:
    import trafilatura

    html = decode_bytes(data)
    extracted = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False, include_tables=True)
    if extracted is None:
        raise ReadError("no main content found in HTML")
    meta = extracted if isinstance(extracted, dict) else extracted.as_dict()
    text = meta.get("text") or ""
    if not text.strip():
        raise ReadError("no main content found in HTML")
    return RawArticle(
        text=text,
        path=str(path),
        title=meta.get("title"),
        source=meta.get("sitename") or meta.get("hostname") or path.parent.name or None,
        url=meta.get("url"),
        date=normalise_date(meta.get("date")),
    )


def _read_pdf(path: Path, data: bytes) -> RawArticle:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError) as exc:
        raise ReadError(f"cannot read PDF: {exc}") from None
    text = "\n\n".join(pages)
    if not text.strip():
        raise ReadError("PDF has no extractable text (scanned image?)")
    info_title = None
    try:
        info_title = reader.metadata.title if reader.metadata else None
    except Exception:  # pypdf raises assorted errors on odd metadata
        info_title = None
    title, found_date = _guess_title_and_date(text)
    return RawArticle(text=text, path=str(path), title=info_title or title, date=found_date, source=path.parent.name or None)


_JSONL_FIELDS = ("id", "title", "source", "url", "date")


def _read_jsonl(path: Path, data: bytes) -> ReadOutcome:
    text = decode_bytes(data)
    articles: list[RawArticle] = []
    failures: list[tuple[str, str]] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            failures.append((where, f"malformed JSON: {exc.msg} at column {exc.colno}"))
            continue
        if not isinstance(record, dict):
            failures.append((where, "line is not a JSON object"))
            continue
        body = record.get("text")
        if not isinstance(body, str) or not body.strip():
            failures.append((where, "field 'text' is missing or empty"))
            continue
        fields = {name: record.get(name) for name in _JSONL_FIELDS}
        for name in ("id", "title", "source", "url"):
            if fields[name] is not None:
                fields[name] = str(fields[name])
        raw_date = fields.pop("date")
        iso = normalise_date(raw_date)
        if raw_date is not None and iso is None:
            failures.append((where, f"field 'date' is not a date: {raw_date!r}"))
            continue
        extra = {k: v for k, v in record.items() if k not in _JSONL_FIELDS and k != "text"}
        articles.append(RawArticle(text=body, path=where, date=iso, extra=extra, origin=fields["url"], **fields))
    if not articles and not failures:
        failures.append((str(path), "no articles in file"))
    return ReadOutcome(articles, failures)
