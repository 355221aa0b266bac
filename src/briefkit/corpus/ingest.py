"""Ingest: files → read → clean → deduplicate → chunk → store, then sync the index.

Every document is stored in its own transaction and the index is synced from the store
at the end, so an ingest killed at any point is completed by the next one. Failures are
collected per file (or per JSONL line) and never stop the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..config import CorpusSettings
from ..runtime import progress_bar
from .chunk import TokenCounter, iter_chunks
from .clean import clean_text
from .dedup import NearDuplicateIndex, content_hash, minhash_signature
from .readers import RawArticle, iter_files, read_file
from .store import Document, Store


@dataclass
class IngestReport:
    added: int = 0
    replaced: int = 0
    unchanged: int = 0  # the same article (same file, URL or file and id) with the same text as stored
    skipped_duplicates: int = 0
    duplicates: list[dict] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)  # readable files with a problem worth a line
    read: int = 0
    documents: int = 0
    chunks: int = 0
    embedded: int = 0  # chunks embedded into the index after storing (set by the caller that syncs it)

    def to_json(self) -> dict:
        return {
            "added": self.added,
            "replaced": self.replaced,
            "unchanged": self.unchanged,
            "skipped_duplicates": self.skipped_duplicates,
            "duplicates": self.duplicates,
            "failed": self.failed,
            "warnings": self.warnings,
            "documents": self.documents,
            "chunks": self.chunks,
            "embedded": self.embedded,
        }


def ingest_articles(
    store: Store,
    paths: list[Path],
    settings: CorpusSettings,
    count_tokens: TokenCounter,
    progress: bool = False,
    exclude: list[str] | None = None,
) -> IngestReport:
    """Read, clean, deduplicate, chunk and store; the caller syncs the index afterwards.

    A changed article (same id, file path or URL, new text) replaces its old version with its
    chunks in one store transaction. Files matching an ``exclude`` glob are not read.
    """
    report = IngestReport()
    run_id = store.start_run([str(p) for p in paths])
    near = NearDuplicateIndex(settings.near_duplicate_threshold)
    for doc_id, sig in store.signatures():
        near.add(doc_id, sig)

    def unreadable(folder: Path, error: str) -> None:
        report.failed.append({"path": str(folder), "error": error})

    files = list(iter_files(paths, exclude or [], on_error=unreadable))
    claimed: dict[str, str] = {}  # explicit id -> where this run read it, so that no record overwrites another
    bar = progress_bar(progress, len(files), "reading", "file")
    max_bytes = int(settings.max_file_mb * 1e6)
    status = "failed"
    try:
        for path in files:
            outcome = read_file(path, max_bytes)
            report.failed.extend({"path": p, "error": e} for p, e in outcome.failures)
            for article in outcome.articles:
                if article.warning:
                    report.warnings.append({"path": article.path, "warning": article.warning})
                _ingest_one(store, article, settings, count_tokens, near, report, run_id, claimed)
            bar.update(1)
        status = "done"
    finally:
        bar.close()
        report.documents, report.chunks = store.counts()
        store.finish_run(run_id, status, report.to_json())
    return report


def _ingest_one(
    store: Store,
    article: RawArticle,
    settings: CorpusSettings,
    count_tokens: TokenCounter,
    near: NearDuplicateIndex,
    report: IngestReport,
    run_id: int,
    claimed: dict[str, str],
) -> None:
    """Store one article. Its identity is its origin (file path, URL, or file and explicit id); the content
    hash decides whether a stored version is unchanged or replaced. An explicit id already claimed by
    another place (in this run, or stored from another file or URL) is refused, naming both places."""
    text = clean_text(article.text)
    if len(text) < settings.min_chars:
        report.failed.append({"path": article.path,
                              "error": f"under {settings.min_chars} characters of text after cleaning"})
        return
    digest = content_hash(text)
    doc_id = article.id or f"doc-{digest[:12]}"
    stored = store.get_document(doc_id) if article.id else None
    if article.id:
        other = claimed.get(doc_id) or (stored.path
                                         if stored and stored.origin not in (None, article.origin, article.url)
                                         else None)  # None or the URL: stored by a briefkit before file-qualified ids
        if other is not None:
            report.failed.append({"path": article.path, "error": f"id {doc_id!r} is already used by {other};"
                                  " ids must be unique, so this record was not stored (give it another id)"})
            return
        claimed[doc_id] = article.path
    report.read += 1
    # The older version of this article: same explicit id, else same origin (file path or URL).
    previous = doc_id if stored is not None else None
    if previous is None and article.origin:
        previous = store.doc_from_origin(article.origin)
    same = store.doc_with_hash(digest)
    if same is not None and previous is None and article.origin:
        previous = store.doc_from_origin(article.origin)  # another ingest may have stored this very article since
    if same is not None and same == previous:
        report.unchanged += 1
        return
    signature = minhash_signature(text) if same is None else None
    similar = same or near.find(signature, exclude={doc_id, previous})  # an edit is no copy of its old version
    if similar is not None:
        _skip_duplicate(store, article, similar, "exact" if same else "near", previous, near, report)
        return
    chunks = [(c.start, c.end, c.n_tokens, c.text)
              for c in iter_chunks(text, count_tokens, settings.chunk_tokens, settings.overlap_tokens)]
    doc = Document(doc_id, article.title, article.source, article.url, article.date, article.path, digest, text,
                   article.origin)
    # Another ingest may have stored this text since it was looked up: the store checks again and says.
    outcome, other = store.put_document(doc, signature, chunks, run_id, article.extra, replaces=previous)
    if outcome == "unchanged":
        report.unchanged += 1
        return
    if outcome == "duplicate":
        _skip_duplicate(store, article, other, "exact", previous, near, report)
        return
    if previous is not None:
        near.remove(previous)
    if outcome == "replaced":
        report.replaced += 1
    else:
        report.added += 1
    near.add(doc_id, signature)


def _skip_duplicate(store: Store, article: RawArticle, of: str, kind: str, previous: str | None,
                    near: NearDuplicateIndex, report: IngestReport) -> None:
    """Count ``article`` as a duplicate of document ``of``; a stored older version of it goes (it was edited
    into a copy of another document)."""
    report.skipped_duplicates += 1
    entry = {"path": article.path, "duplicate_of": of, "kind": kind}
    if previous is not None and store.delete_document(previous):
        near.remove(previous)
        entry["removed"] = previous
    report.duplicates.append(entry)
