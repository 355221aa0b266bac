"""Readers turn files into raw articles: .txt, .md, .html/.htm, .jsonl and .pdf.

Each reader yields :class:`RawArticle` objects or raises :class:`ReadError` with a one-line
reason. A JSONL file reports bad lines one by one and still yields its good lines.
Cleaning and deduplication happen later; readers only decode and extract.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from fnmatch import fnmatch
from itertools import islice
from pathlib import Path
from typing import Callable, Iterator

from ..text.dates import normalise_date

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
    warning: str | None = None  # one line about a readable but odd file (e.g. pypdf's complaints)


@dataclass
class ReadOutcome:
    articles: list[RawArticle]
    failures: list[tuple[str, str]]  # (path or path:line, error)


def excluded(path: Path, rel: Path, patterns: list[str]) -> bool:
    """True when a glob in ``patterns`` matches the file's name, its path below the folder
    given, or its path as given (``drafts/*``, ``*.pdf``, ``**/old/**``)."""
    names = (path.name, rel.as_posix(), path.as_posix())
    return any(fnmatch(name, pattern) for pattern in patterns for name in names)


def iter_files(paths: list[Path], exclude: list[str] = (),  # type: ignore[assignment]
               on_error: Callable[[Path, str], None] | None = None) -> Iterator[Path]:
    """Expand folders recursively (sorted, hidden files skipped) into supported files, leaving out
    files that match an ``exclude`` glob; a folder that cannot be listed goes to ``on_error``."""
    def unreadable(exc: OSError) -> None:
        if on_error is not None:
            on_error(Path(exc.filename or "?"), f"cannot read folder: {exc.strerror or exc}")

    for path in paths:
        if path.is_dir():
            found = [Path(top) / name for top, _, names in os.walk(path, onerror=unreadable) for name in names]
            for child in sorted(found):
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
            raise ReadError(f"file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.1f} MB limit"
                            " (corpus.max_file_mb)")
        suffix = path.suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES:
            raise ReadError(f"unsupported file type {suffix or '(none)'};"
                            f" supported: {', '.join(sorted(SUPPORTED_SUFFIXES))}")
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


_BOMS = [(b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
         (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")]
_LONG = 20  # high bytes from which a charset detector's language statistics are trusted
# Central European letters whose cp1252 twins are rare in the West
_CE_MARKERS = set("ěřůőűňťďĺľŕĚŘŮŐŰŇŤĎĹĽŔ")


def decode_bytes(data: bytes) -> str:
    """Decode text whatever its encoding; binary data raises :class:`ReadError`.

    Order: a byte-order mark (UTF-8/16/32), then UTF-8, then the legacy Latin encodings with a
    bias to Western European (cp1252, which also reads Latin-1 text): Central European (cp1250)
    only when the text shows it (letters that cp1252 would turn into symbols, or, in a long
    text, the detector's language statistics). Other scripts go to charset-normalizer.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return _check_text(data.decode(encoding))
            except UnicodeDecodeError:
                raise ReadError(f"file starts with a {encoding} byte-order mark but does not decode as"
                                f" {encoding}") from None
    if b"\x00" in data[:8192]:
        raise ReadError("file looks binary (NUL bytes), not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    mixed = _mixed_utf8(data)
    if mixed is not None:
        return _check_text(mixed)
    latin = _legacy_latin(data)
    if latin is not None:
        return _check_text(latin)
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise ReadError("cannot detect the text encoding (binary or corrupt file?)")
    return _check_text(str(best))


def _mixed_utf8(data: bytes) -> str | None:
    """Text pieced together from UTF-8 and cp1252 lines, decoded line by line (cp1252, or Latin-1 where
    cp1252 leaves a byte undefined, for the lines that are not UTF-8); None when no line is non-ASCII
    UTF-8, i.e. the file is consistently in one legacy encoding."""
    lines = data.splitlines(keepends=True)
    if not _has_utf8_line(lines):
        return None
    return "".join(line.decode("utf-8") if _is_utf8(line) else _cp1252_or_latin1(line) for line in lines)


def _has_utf8_line(lines: list[bytes]) -> bool:
    """Whether some line is UTF-8 with more than ASCII in it."""
    return any(not line.isascii() and _is_utf8(line) for line in lines)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _cp1252_or_latin1(data: bytes) -> str:
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _legacy_latin(data: bytes) -> str | None:
    """``data`` read as cp1252 (or Latin-1) or cp1250, or None when it does not look like Latin-script text."""
    high = [b for b in data if b >= 0x80]
    western = data.decode("cp1252", errors="replace")
    central = data.decode("cp1250", errors="replace")
    as_1252 = [ch for ch in western if ord(ch) >= 0x80]
    letters_1252 = sum(ch.isalpha() for ch in as_1252)
    letters_1250 = sum(ch.isalpha() for ch in central if ord(ch) >= 0x80)
    if max(letters_1252, letters_1250) < 0.8 * len(high):
        return None  # mostly symbols either way: another script or binary
    # Strong evidence for cp1250: bytes that are letters there but symbols or holes in cp1252 (ł ą ż Ł ť ...).
    strong = sum(1 for b in set(high) if bytes([b]).decode("cp1250", "replace").isalpha()
                 and not bytes([b]).decode("cp1252", "replace").isalpha())
    if strong:
        return central
    if len(high) >= _LONG and len(_CE_MARKERS & set(central)) >= 2:
        from charset_normalizer import from_bytes

        best = from_bytes(data, cp_isolation=["cp1252", "cp1250"]).best()
        if best is not None and best.encoding == "cp1250":
            return central
    if "\ufffd" in western:
        return data.decode("latin-1")
    return western


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")  # control characters other than \t \n \f \r


def _check_text(text: str) -> str:
    controls = sum(1 for _ in _CONTROL.finditer(text))
    if controls > max(10, len(text) // 100):
        raise ReadError("file looks binary (control characters), not text")
    return text


_FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S)
_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+(.+?)[ \t#]*$", re.M)


def split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """A leading ``---`` YAML block's flat ``key: value`` pairs (keys lower-cased, quotes removed) and the
    body after it. Nested values and lists are ignored; without a block, ``({}, text)``."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    fields: dict[str, str] = {}
    for line in match.group(1).splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() and not line[:1].isspace() and not key.strip().startswith("#"):
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            if value:
                fields[key.strip().lower()] = value
    return fields, text[match.end():]


_LINE = re.compile("[^\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]+")  # what str.splitlines() splits at


def _first_lines(text: str, n: int) -> list[str]:
    """The first ``n`` non-empty lines of ``text``, stripped (read lazily: the text may be long)."""
    lines = (m.group().strip() for m in _LINE.finditer(text))
    return list(islice((line for line in lines if line), n))


def _first_line_title(text: str) -> str | None:
    """A plain-text first line that reads as a heading: short, no closing full stop, more text after it."""
    lines = _first_lines(text, 2)
    if len(lines) < 2:
        return None
    first = lines[0]
    if len(first.split()) <= 15 and len(first) <= 200 and not first.endswith((".", "!", "?", ",", ";", ":")):
        return first
    return None


def _date_in_first_lines(text: str) -> str | None:
    for line in _first_lines(text, 8):
        found = normalise_date(line)
        if found:
            return found
    return None


def _read_text(path: Path, data: bytes, markdown: bool) -> RawArticle:
    """Plain text or Markdown. Title: front matter, else the first heading (Markdown) or a short first
    line (text), else the file name; date and source likewise from front matter first."""
    fields, text = split_front_matter(decode_bytes(data)) if markdown else ({}, decode_bytes(data))
    heading = None
    if markdown:
        match = _HEADING.search(text)
        heading = match.group(1).strip() if match else None
        text = _HEADING.sub(lambda m: m.group(1), text)
    title = fields.get("title") or heading or (None if markdown else _first_line_title(text)) or path.stem
    date_value = normalise_date(fields["date"]) if "date" in fields else None
    source = fields.get("source") or fields.get("publisher") or fields.get("site") or path.parent.name or None
    return RawArticle(text=text, path=str(path), title=title[:200], date=date_value or _date_in_first_lines(text),
                      source=source, url=fields.get("url") or fields.get("link"))


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
    """Text of every page; title and date from the PDF's metadata (else the first lines, else the
    file name). pypdf's warnings about odd files are gathered into one line on the article."""
    import io
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    caught: list[str] = []

    class _Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            caught.append(record.getMessage().splitlines()[0] if record.getMessage() else record.levelname)

    logger = logging.getLogger("pypdf")
    handler, propagate = _Collect(logging.WARNING), logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        import warnings

        with warnings.catch_warnings(record=True) as raised:
            warnings.simplefilter("always")
            reader = PdfReader(io.BytesIO(data))
            pages = [page.extract_text() or "" for page in reader.pages]
            meta_title, meta_date = _pdf_metadata(reader)
        caught.extend(str(w.message).splitlines()[0] for w in raised if str(w.message))
    except (PdfReadError, ValueError, KeyError) as exc:
        raise ReadError(f"cannot read PDF: {exc}") from None
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate
    text = "\n\n".join(pages)
    if not text.strip():
        raise ReadError("PDF has no extractable text (scanned image?)")
    title = meta_title or _first_line_title(text) or path.stem
    article = RawArticle(text=text, path=str(path), title=title[:200], date=meta_date or _date_in_first_lines(text),
                         source=path.parent.name or None)
    if caught:
        more = f" (and {len(caught) - 1} more)" if len(caught) > 1 else ""
        article.warning = f"pypdf: {caught[0]}{more}"
    return article


def _pdf_metadata(reader) -> tuple[str | None, str | None]:
    """Title and creation date (ISO) from a PDF's document information, when present and sane."""
    try:
        meta = reader.metadata
        if not meta:
            return None, None
        title = (meta.title or "").strip() or None
        created = meta.creation_date
    except Exception:  # noqa: BLE001 - pypdf raises assorted errors on odd metadata
        return None, None
    if title and title.lower() in {"untitled", "microsoft word - document1"}:
        title = None
    return title, normalise_date(created) if created else None


_JSONL_FIELDS = ("id", "title", "source", "url", "date")


def _jsonl_lines(data: bytes) -> Iterator[tuple[int, str | None, str | None]]:
    """(line number, text or None, error or None) for each line of a JSONL file.

    A consistent file (one encoding, no NUL bytes, or a byte-order mark) is decoded whole. Otherwise
    each line is decoded on its own, so a line with NUL bytes costs that line only, never the file;
    in a file with UTF-8 lines, the lines that are not UTF-8 are read as cp1252 (see :func:`_mixed_utf8`).
    """
    lines = data.split(b"\n")
    mixed = _has_utf8_line(lines) and not _is_utf8(data)
    if any(data.startswith(bom) for bom, _ in _BOMS) or (b"\x00" not in data and not mixed):
        yield from ((n, line, None) for n, line in enumerate(decode_bytes(data).splitlines(), start=1))
        return
    for lineno, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            text = _cp1252_or_latin1(raw) if mixed and not _is_utf8(raw) else decode_bytes(raw)
            yield lineno, _check_text(text).rstrip("\r"), None
        except ReadError as exc:
            yield lineno, None, str(exc).replace("file ", "line ", 1)


def _read_jsonl(path: Path, data: bytes) -> ReadOutcome:
    articles: list[RawArticle] = []
    failures: list[tuple[str, str]] = []
    resolved = path.resolve()
    for lineno, line, error in _jsonl_lines(data):
        where = f"{path}:{lineno}"
        if line is None:
            failures.append((where, error or "cannot decode the line"))
            continue
        if not line.strip():
            continue
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
        # Identity: the file and the explicit id, else the URL, else the file and the line.
        origin = f"{resolved}#{fields['id']}" if fields["id"] else fields["url"] or f"{resolved}:{lineno}"
        articles.append(RawArticle(text=body, path=where, date=iso, extra=extra, origin=origin, **fields))
    if not articles and not failures:
        failures.append((str(path), "no articles in file"))
    return ReadOutcome(articles, failures)
