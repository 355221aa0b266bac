"""A SQLite file of sentence vectors (``HOME/vectors.sqlite``), keyed by an embedder's identity and a text's hash.

Rows are unit-normalised float32 vectors, stored bit for bit. The cache is an accelerator only: every
failure (a read-only or missing home, a locked, damaged or full file) makes it answer "not cached" and
skip the write, with at most one notice on stderr per file and process (none for a read-only home); it
never raises. A damaged file is moved aside to ``vectors.sqlite.damaged`` and started afresh.

Concurrent processes share the file through WAL (readers never wait) and a short busy timeout on writes.
Rows are not tied to documents: a deleted document's sentences stay until they go unread for
``keep_days`` (pruned at most once a day), or until ``clear()`` (``briefkit index rebuild``).
"""

from __future__ import annotations

import hashlib
import sqlite3
import sys
import threading
import time
from pathlib import Path

import numpy as np

BUSY_TIMEOUT_S = 3.0
KEEP_DAYS = 60
_CHUNK = 500  # keys per SELECT (well under SQLite's limit on bound variables)
# Primary SQLite result codes (an exception carries the extended one).
_DAMAGED = {sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT}
_READ_ONLY = {sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM, sqlite3.SQLITE_AUTH}
_SKIPPABLE = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_FULL} | _READ_ONLY

SCHEMA = """
CREATE TABLE IF NOT EXISTS vectors (
    model TEXT NOT NULL,    -- hash of the embedder's identity
    key BLOB NOT NULL,      -- sha256 of the text, first 16 bytes
    vec BLOB NOT NULL,      -- float32, little-endian
    used INTEGER NOT NULL,  -- day (days since 1970) the row was last read or written
    PRIMARY KEY (model, key)
);
CREATE INDEX IF NOT EXISTS vectors_used ON vectors(used);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


def text_key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()[:16]


def _today() -> int:
    return int(time.time() // 86400)


def _code(exc: sqlite3.Error) -> int:
    """The primary result code of a SQLite error (-1 when it carries none)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return -1 if code is None else code & 0xFF


class VectorCache:
    """Vectors by (model, text key) in one SQLite file; opened on first use, bypassed when it cannot be used."""

    def __init__(self, path: Path, keep_days: int = KEEP_DAYS, busy_timeout_s: float = BUSY_TIMEOUT_S) -> None:
        self.path = Path(path)
        self.keep_days = keep_days
        self.busy_timeout_s = busy_timeout_s
        self._db: sqlite3.Connection | None = None
        self._opened = False  # tried to open (the outcome is in _db)
        self._noticed = False
        self._lock = threading.Lock()

    # -- reading and writing ------------------------------------------------------------------------

    def get(self, model: str, keys: list[bytes], dim: int) -> dict[bytes, np.ndarray]:
        """The stored vectors of ``keys`` under ``model`` (any of another length than ``dim`` is ignored). Rows last
        read on an earlier day are marked read today (a write only then; skipped if the file is busy)."""
        found: dict[bytes, np.ndarray] = {}
        stale: list[bytes] = []
        today = _today()
        with self._lock:
            db = self._connection()
            if db is None or not keys:
                return found
            try:
                for start in range(0, len(keys), _CHUNK):
                    part = keys[start : start + _CHUNK]
                    rows = db.execute(f"SELECT key, vec, used FROM vectors WHERE model = ? AND key IN"
                                      f" ({','.join('?' * len(part))})", [model, *part]).fetchall()
                    for key, vec, used in rows:
                        if len(vec) == 4 * dim:
                            found[key] = np.frombuffer(vec, dtype="<f4")
                            if used < today:
                                stale.append(key)
            except sqlite3.Error as exc:
                self._failed(exc, "read")
                return {}
            if stale:
                try:
                    with db:
                        db.executemany("UPDATE vectors SET used = ? WHERE model = ? AND key = ?",
                                       [(today, model, k) for k in stale])
                except sqlite3.Error as exc:
                    if _code(exc) not in _SKIPPABLE:
                        self._failed(exc, "write")
        return found

    def put(self, model: str, rows: dict[bytes, np.ndarray]) -> bool:
        """Store ``rows`` (key: vector) under ``model`` in one transaction; False when the write was skipped."""
        if not rows:
            return True
        today = _today()
        with self._lock:
            db = self._connection()
            if db is None:
                return False
            try:
                with db:
                    db.executemany("INSERT OR REPLACE INTO vectors (model, key, vec, used) VALUES (?, ?, ?, ?)",
                                   [(model, k, np.asarray(v, dtype="<f4").tobytes(), today) for k, v in rows.items()])
                return True
            except sqlite3.Error as exc:
                self._failed(exc, "write")
                return False

    def clear(self) -> None:
        """Delete every stored vector (of every embedder); a cache that cannot be opened is left as it is."""
        with self._lock:
            db = self._connection()
            if db is None:
                return
            try:
                with db:
                    db.execute("DELETE FROM vectors")
            except sqlite3.Error as exc:
                self._failed(exc, "clear")

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
            self._db, self._opened = None, True

    # -- opening and failing ------------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection | None:
        """The open file (opened on first call; None when the cache is bypassed). Call with the lock held."""
        if not self._opened:
            self._opened = True
            self._db = self._open()
        return self._db

    def _open(self) -> sqlite3.Connection | None:
        if not self.path.parent.is_dir():
            return None  # no home yet: only an ingest creates one
        try:
            return self._connect()
        except sqlite3.Error as exc:
            if _code(exc) in _READ_ONLY:
                return None  # a read-only home: run without the cache, silently
            if _code(exc) not in _DAMAGED:
                self._notice(f"cannot open {self.path} ({exc})")
                return None
            moved = self._move_aside()
            try:
                db = self._connect()
            except sqlite3.Error as again:
                self._notice(f"{self.path} is damaged ({exc}) and cannot be started afresh ({again})")
                return None
            self._notice(f"{self.path} was damaged ({exc}); " + (f"moved it to {moved.name} and " if moved else "")
                         + "started afresh")
            return db

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=self.busy_timeout_s, check_same_thread=False, isolation_level=None)
        try:
            self._use_wal(db)
            db.execute("PRAGMA synchronous=NORMAL")  # a cache may lose its last writes on a power cut, never its file
            db.executescript(SCHEMA)
            db.isolation_level = ""  # `with db` is one transaction from here on
            self._prune(db)
        except BaseException:
            db.close()
            raise
        return db

    def _use_wal(self, db: sqlite3.Connection) -> None:
        """Put the file in WAL mode, waiting up to the busy timeout for other connections. While another connection
        holds a write lock on a file not yet in WAL mode, SQLite fails the switch at once ("database is locked")
        without calling its busy handler: two processes creating the file together would otherwise leave one of
        them without the cache."""
        deadline = time.monotonic() + self.busy_timeout_s
        while True:
            try:
                db.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if _code(exc) != sqlite3.SQLITE_BUSY or time.monotonic() >= deadline:
                    raise
                time.sleep(0.01)

    def _prune(self, db: sqlite3.Connection) -> None:
        """Delete rows unread for ``keep_days``, at most once a day (a locked file just skips it)."""
        today = _today()
        row = db.execute("SELECT value FROM meta WHERE name = 'pruned'").fetchone()
        if row is not None and row[0] >= today:
            return
        try:
            with db:
                db.execute("DELETE FROM vectors WHERE used < ?", (today - self.keep_days,))
                db.execute("INSERT OR REPLACE INTO meta (name, value) VALUES ('pruned', ?)", (today,))
        except sqlite3.OperationalError as exc:
            if _code(exc) not in _SKIPPABLE:
                raise

    def _move_aside(self) -> Path | None:
        """Rename the damaged file (and drop its WAL files); None when it could not be moved."""
        target = self.path.with_name(self.path.name + ".damaged")
        try:
            self.path.replace(target)
        except OSError:
            try:
                self.path.unlink()
            except OSError:
                return None
            target = None
        for suffix in ("-wal", "-shm"):
            self.path.with_name(self.path.name + suffix).unlink(missing_ok=True)
        return target

    def _failed(self, exc: sqlite3.Error, doing: str) -> None:
        """After a failed read or write: a damaged file is moved aside and the cache bypassed for the rest of the
        process; a locked or full one only skips this write."""
        if _code(exc) in _DAMAGED:
            if self._db is not None:
                self._db.close()
            self._db = None
            moved = self._move_aside()
            self._notice(f"{self.path} is damaged ({exc}); " + (f"moved it to {moved.name}; " if moved else "")
                         + "vectors are not cached in this run")
        elif _code(exc) not in _READ_ONLY:
            self._notice(f"could not {doing} {self.path} ({exc}); sentences are embedded afresh")

    def _notice(self, message: str) -> None:
        if not self._noticed:
            self._noticed = True
            print(f"notice: vector cache: {message}", file=sys.stderr)
