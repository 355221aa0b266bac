"""SQLite store of documents, chunks and ingest runs (WAL, one transaction per change).

The store is the source of truth: indexes are derived from it and can be rebuilt.
"""

from __future__ import annotations

import functools
import json
import re
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np

from ..errors import BriefkitError

SCHEMA_VERSION = 2  # 2: documents.origin (the file or URL an article came from)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY,
    title TEXT, source TEXT, url TEXT, date TEXT, path TEXT,
    origin TEXT,
    content_hash TEXT NOT NULL UNIQUE,
    minhash BLOB NOT NULL,
    text TEXT NOT NULL,
    extra TEXT NOT NULL DEFAULT '{}',
    run_id INTEGER,
    added_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    ord INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    n_tokens INTEGER NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE INDEX IF NOT EXISTS documents_date ON documents(date);
CREATE TABLE IF NOT EXISTS runs (
    run_id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at REAL NOT NULL,
    finished_at REAL,
    status TEXT NOT NULL,
    paths TEXT NOT NULL,
    stats TEXT
);
"""


@dataclass(frozen=True)
class Document:
    doc_id: str
    title: str | None
    source: str | None
    url: str | None
    date: str | None
    path: str | None
    content_hash: str
    text: str
    origin: str | None = None  # resolved file path or URL: a new version from here replaces this one


@dataclass(frozen=True)
class ChunkRecord:
    chunk_id: int
    doc_id: str
    ord: int
    start: int
    end: int
    n_tokens: int
    text: str
    title: str | None
    source: str | None
    date: str | None


def _locked(method):
    """Serialise access to the connection, so one Store can serve several threads (eval runs); a damaged
    database file becomes one plain error naming it."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with self._lock:
            try:
                return method(self, *args, **kwargs)
            except sqlite3.DatabaseError as exc:
                raise self._damaged(exc) from None

    return wrapper


class Store:
    """Documents and chunks in one SQLite file; safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        for attempt in range(50):
            try:
                self._open()
                break
            except sqlite3.OperationalError as exc:
                # two processes creating the store at once: switching a new file to WAL does not wait for the
                # other's lock (SQLite reports "locked" at once), so wait here and try again
                if "locked" not in str(exc) or attempt == 49:
                    raise self._damaged(exc) from None
                time.sleep(0.1)
            except sqlite3.DatabaseError as exc:
                raise self._damaged(exc) from None

    def _open(self) -> None:
        self.db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.execute("PRAGMA synchronous=NORMAL")
        with self.db:
            self.db.executescript(_SCHEMA)
            self._migrate()
            self.db.execute("CREATE INDEX IF NOT EXISTS documents_origin ON documents(origin)")
            self.db.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )

    def _damaged(self, exc: sqlite3.DatabaseError) -> Exception:
        """A corrupt or non-SQLite file as a :class:`BriefkitError`; other database errors (locked, busy) unchanged."""
        if isinstance(exc, sqlite3.OperationalError) and "malformed" not in str(exc):
            return exc
        return BriefkitError(f"the store {self.path} is damaged ({exc}); restore it from a backup, or move it aside"
                             " and ingest your articles again")

    def _migrate(self) -> None:
        """Version 1 stores lack ``origin``: add it, filled from the stored file paths (JSONL lines have none)."""
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(documents)")}
        if "origin" in columns:
            return
        self.db.execute("ALTER TABLE documents ADD COLUMN origin TEXT")
        for doc_id, path, url in self.db.execute("SELECT doc_id, path, url FROM documents").fetchall():
            origin = url or (str(Path(path).resolve()) if path and not re.search(r":\d+$", path) else None)
            self.db.execute("UPDATE documents SET origin = ? WHERE doc_id = ?", (origin, doc_id))

    @_locked
    def close(self) -> None:
        self.db.close()

    # --- documents -------------------------------------------------------------------------
    @_locked
    def doc_with_hash(self, content_hash: str) -> str | None:
        """The id of the document whose text has this content hash, if any."""
        row = self.db.execute("SELECT doc_id FROM documents WHERE content_hash = ?", (content_hash,)).fetchone()
        return row["doc_id"] if row else None

    @_locked
    def doc_from_origin(self, origin: str) -> str | None:
        """The id of the document stored from this file path or URL, if any."""
        row = self.db.execute("SELECT doc_id FROM documents WHERE origin = ? ORDER BY added_at DESC",
                              (origin,)).fetchone()
        return row["doc_id"] if row else None

    @_locked
    def get_document(self, doc_id: str) -> Document | None:
        row = self.db.execute(
            "SELECT doc_id, title, source, url, date, path, content_hash, text, origin FROM documents WHERE doc_id = ?",
            (doc_id,),
        ).fetchone()
        return Document(**dict(row)) if row else None

    @_locked
    def list_documents(self) -> list[dict]:
        """Every document's id, title, source, date, path, chunk count and characters, by date then id."""
        rows = self.db.execute(
            "SELECT d.doc_id, d.title, d.source, d.date, d.path, length(d.text) AS chars,"
            " (SELECT count(*) FROM chunks c WHERE c.doc_id = d.doc_id) AS chunks"
            " FROM documents d ORDER BY d.date, d.doc_id"
        ).fetchall()
        return [dict(r) for r in rows]

    @_locked
    def signatures(self) -> list[tuple[str, np.ndarray]]:
        rows = self.db.execute("SELECT doc_id, minhash FROM documents").fetchall()
        return [(row["doc_id"], np.frombuffer(row["minhash"], dtype=np.uint64)) for row in rows]

    @_locked
    def put_document(
        self, doc: Document, signature: np.ndarray, chunks: Iterable[tuple[int, int, int, str]], run_id: int | None,
        extra: dict | None = None, replaces: str | None = None,
    ) -> tuple[str, str | None]:
        """Insert a document and its chunks, removing any document with the same id and the one it
        ``replaces`` (an older version) with their chunks, all in one transaction.

        The transaction takes the write lock first (``BEGIN IMMEDIATE``) and checks the content hash again,
        so that concurrent ingests report what each of them wrote: a document with this text stored
        meanwhile by another process means nothing is written. Returns ``("added" | "replaced", None)``,
        ``("unchanged", doc_id)`` when this article (same origin) is already stored with this text, or
        ``("duplicate", doc_id)`` when another article holds it."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            same = db.execute("SELECT doc_id, origin FROM documents WHERE content_hash = ?",
                              (doc.content_hash,)).fetchone()
            if same is not None:
                db.rollback()
                mine = same["origin"] == doc.origin if doc.origin else same["doc_id"] == doc.doc_id
                return ("unchanged" if mine else "duplicate"), same["doc_id"]
            if replaces is None and doc.origin:  # an older version stored meanwhile by another process
                row = db.execute("SELECT doc_id FROM documents WHERE origin = ?", (doc.origin,)).fetchone()
                replaces = row["doc_id"] if row else None
            gone = db.execute("DELETE FROM documents WHERE doc_id IN (?, ?)", (doc.doc_id, replaces or doc.doc_id))
            outcome = "replaced" if gone.rowcount > 0 else "added"
            db.execute(
                "INSERT INTO documents(doc_id, title, source, url, date, path, origin, content_hash, minhash, text,"
                " extra, run_id, added_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (doc.doc_id, doc.title, doc.source, doc.url, doc.date, doc.path, doc.origin, doc.content_hash,
                 signature.astype(np.uint64).tobytes(), doc.text, json.dumps(extra or {}), run_id, time.time()),
            )
            db.executemany(
                "INSERT INTO chunks(doc_id, ord, start, end, n_tokens, text) VALUES (?,?,?,?,?,?)",
                ((doc.doc_id, ord_, start, end, n_tokens, text)
                 for ord_, (start, end, n_tokens, text) in enumerate(chunks)),
            )
            db.commit()
        except BaseException:
            db.rollback()
            raise
        return outcome, None

    @_locked
    def delete_document(self, doc_id: str) -> bool:
        with self.db:
            cur = self.db.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))
        return cur.rowcount > 0

    # --- chunks ----------------------------------------------------------------------------
    _CHUNK_SQL = (
        "SELECT c.chunk_id, c.doc_id, c.ord, c.start, c.end, c.n_tokens, c.text, d.title, d.source, d.date"
        " FROM chunks c JOIN documents d ON d.doc_id = c.doc_id"
    )

    @_locked
    def chunk_ids(self) -> np.ndarray:
        rows = self.db.execute("SELECT chunk_id FROM chunks ORDER BY chunk_id").fetchall()
        return np.array([r[0] for r in rows], dtype=np.int64)

    @_locked
    def chunks(self, ids: Iterable[int] | None = None) -> list[ChunkRecord]:
        """Chunks by id (in the order given) or all chunks (by id)."""
        if ids is None:
            rows = self.db.execute(self._CHUNK_SQL + " ORDER BY c.chunk_id").fetchall()
            return [ChunkRecord(**dict(r)) for r in rows]
        ids = [int(i) for i in ids]
        found: dict[int, ChunkRecord] = {}
        for start in range(0, len(ids), 900):
            part = ids[start : start + 900]
            marks = ",".join("?" * len(part))
            for r in self.db.execute(self._CHUNK_SQL + f" WHERE c.chunk_id IN ({marks})", part):
                found[r["chunk_id"]] = ChunkRecord(**dict(r))
        return [found[i] for i in ids if i in found]

    @_locked
    def filtered_chunk_ids(self, since: str | None, until: str | None, source: str | None) -> np.ndarray:
        """Ids of chunks whose document matches a date range and/or source (case-insensitive)."""
        clauses, params = [], []
        if since:
            clauses.append("d.date >= ?")
            params.append(since)
        if until:
            clauses.append("d.date <= ?")
            params.append(until)
        if source:
            clauses.append("lower(d.source) = lower(?)")
            params.append(source)
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        rows = self.db.execute(
            "SELECT c.chunk_id FROM chunks c JOIN documents d ON d.doc_id = c.doc_id" + where, params
        ).fetchall()
        return np.array([r[0] for r in rows], dtype=np.int64)

    # --- runs and counts -------------------------------------------------------------------
    @_locked
    def start_run(self, paths: list[str]) -> int:
        with self.db:
            cur = self.db.execute(
                "INSERT INTO runs(started_at, status, paths) VALUES (?, 'running', ?)", (time.time(), json.dumps(paths))
            )
        return int(cur.lastrowid)

    @_locked
    def finish_run(self, run_id: int, status: str, stats: dict) -> None:
        with self.db:
            self.db.execute(
                "UPDATE runs SET finished_at = ?, status = ?, stats = ? WHERE run_id = ?",
                (time.time(), status, json.dumps(stats), run_id),
            )

    @_locked
    def counts(self) -> tuple[int, int]:
        docs = self.db.execute("SELECT count(*) FROM documents").fetchone()[0]
        chunks = self.db.execute("SELECT count(*) FROM chunks").fetchone()[0]
        return int(docs), int(chunks)

    @_locked
    def source_names(self) -> list[str]:
        """The distinct source names of the documents."""
        return [r[0] for r in self.db.execute("SELECT DISTINCT source FROM documents WHERE source IS NOT NULL")]

    @_locked
    def sources(self) -> list[dict]:
        rows = self.db.execute("SELECT doc_id, title, source, date FROM documents ORDER BY date, doc_id").fetchall()
        return [dict(r) for r in rows]
