"""The data folder's SQLite file, ``panelsearch.sqlite3``: saved discussion packs (here) and readers'
feedback (feedback.py), one file, one schema version, one way in (``Database``).

A pack has an unguessable id (its address: whoever has it may open and edit the pack), a title,
and items in order. Each item names its passage by passage id and keeps the text, question and
speaker it was saved with, so the pack still reads the same after the library changes, and
``saved.mark_missing`` can say which items the library no longer holds.

Every write is one ``BEGIN IMMEDIATE`` transaction that reads what it changes and renumbers the
positions before it commits: two sessions editing one pack at once both keep their edits.
A connection is opened per call (cheap for SQLite), so a Store may be shared by threads and
processes alike.

The schema's version is ``PRAGMA user_version``: 1 holds the packs, 2 adds the feedback table.
A file of an older version is brought up to date when it is first opened (each step only adds);
a file from a newer panelsearch is refused, not altered.
"""
from __future__ import annotations

import re
import secrets
import sqlite3
import time
from contextlib import closing, contextmanager
from datetime import datetime, timezone
from pathlib import Path

from .config import DATA_DIR
from .errors import PanelsearchError, UsageError
from .pack import DEFAULT_TITLE, PackItem
from .saved import ITEM_COLUMNS as _ITEM_COLUMNS, PackSummary, SavedItem, SavedPack
from .text import clean_text

FILE_NAME = "panelsearch.sqlite3"
SCHEMA_VERSION = 2  # PRAGMA user_version; a file from a newer panelsearch is refused, not altered
BUSY_TIMEOUT_MS = 10_000  # how long a write waits for another writer before giving up

# What one visitor may store (issue #11): enough for any meeting, too little to fill a disk.
MAX_PACKS = 10_000
MAX_ITEMS = 200
MAX_TITLE_CHARS = 120
MAX_NOTE_CHARS = 2000
MAX_PROMPT_CHARS = 2000
MAX_ITEM_FIELD_CHARS = 20_000  # an item's text or question: a whole answer, never a book

_NO_PACK = object()  # _writing() for a write that is not to one existing pack
_ID_RE = re.compile(r"[A-Za-z0-9_-]{12}")  # what secrets.token_urlsafe(9) makes

# version -> the statements that bring a file of the version before it up to it. Never edit a step
# once released: add the next one (and raise SCHEMA_VERSION). Statements end at ';', never used otherwise.
_MIGRATIONS = {
    1: """
CREATE TABLE packs (
    id      TEXT PRIMARY KEY,
    title   TEXT NOT NULL,
    created TEXT NOT NULL,  -- ISO 8601, UTC
    updated TEXT NOT NULL
);
CREATE TABLE items (
    pack_id         TEXT NOT NULL REFERENCES packs(id) ON DELETE CASCADE,
    passage_id      TEXT NOT NULL,
    position        INTEGER NOT NULL,  -- 1..n within the pack, renumbered by every write
    source          TEXT NOT NULL,
    question_number INTEGER NOT NULL,
    question        TEXT NOT NULL,
    speaker         TEXT NOT NULL,
    speaker_name    TEXT NOT NULL DEFAULT '',
    text            TEXT NOT NULL,
    title           TEXT NOT NULL DEFAULT '',
    note            TEXT NOT NULL DEFAULT '',
    prompt          TEXT NOT NULL DEFAULT '',
    added           TEXT NOT NULL,
    PRIMARY KEY (pack_id, passage_id)
);
CREATE INDEX items_in_order ON items (pack_id, position);
""",
    2: """
CREATE TABLE IF NOT EXISTS feedback (  -- feedback.py: what a reader said of one passage for one query
    id         INTEGER PRIMARY KEY,
    query      TEXT NOT NULL,
    passage_id TEXT NOT NULL,
    verdict    TEXT NOT NULL CHECK (verdict IN ('helped', 'not_this')),
    at         TEXT NOT NULL  -- ISO 8601, UTC, to the second (nothing about who or from where)
);
""",
}


class PackNotFound(PanelsearchError):
    """No pack has this id (or the id is not one this store makes)."""

    def __init__(self, pack_id):
        shown = str(pack_id)[:40] + ("…" if len(str(pack_id)) > 40 else "")
        super().__init__(f"no pack with id {shown!r}")


class StoreError(PanelsearchError):
    """The store's file cannot be used (not SQLite, from a newer version, locked, read-only, full)."""


def now(timespec: str = "microseconds") -> str:
    """The time, UTC, in ISO 8601."""
    return datetime.now(timezone.utc).isoformat(timespec=timespec)



def bounded(text: str, limit: int, what: str, one_line: bool = False) -> str:
    """``text`` cleaned (and on one line if asked); UsageError if it is longer than ``limit``."""
    if not isinstance(text, str):
        raise UsageError(f"the {what} must be text")
    text = clean_text(text)
    text = " ".join(text.split()) if one_line else text.strip()
    if len(text) > limit:
        raise UsageError(f"the {what} is {len(text)} characters long; at most {limit} are kept")
    return text



class Database:
    """``<folder>/panelsearch.sqlite3``; the folder, the file and the schema are made on first use.

    ``what`` names the store in errors ("the pack store … could not be written")."""

    what = "data file"

    def __init__(self, folder: Path | str = DATA_DIR):
        self.folder = Path(folder)
        self.path = self.folder / FILE_NAME
        self._ready = False

    def _connect(self) -> sqlite3.Connection:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        except (OSError, sqlite3.Error) as err:
            raise StoreError(f"cannot open the {self.what} {self.path}: {err}") from None
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA foreign_keys = ON")
            if not self._ready:
                self._prepare(conn)
                self._ready = True
        except BaseException:
            conn.close()
            raise
        return conn

    def _prepare(self, conn: sqlite3.Connection) -> None:
        """WAL (readers never wait for the writer) and the schema, made or brought up to date once,
        by whoever comes first."""
        try:
            if self._journal_mode_wal(conn) != "wal":
                raise StoreError(f"the {self.what} {self.path} cannot use write-ahead logging")
            conn.execute("BEGIN IMMEDIATE")
            try:
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                for step in range(version + 1, SCHEMA_VERSION + 1):  # none for a newer file
                    for statement in _MIGRATIONS[step].split(";"):
                        if statement.strip():
                            conn.execute(statement)
                if version < SCHEMA_VERSION:
                    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as err:
            raise StoreError(f"the {self.what} {self.path} cannot be used: {err}") from None
        if version > SCHEMA_VERSION:
            raise StoreError(f"the {self.what} {self.path} was made by a newer panelsearch "
                             f"(schema {version}, this one reads {SCHEMA_VERSION})")

    @staticmethod
    def _journal_mode_wal(conn: sqlite3.Connection) -> str:
        """Switch to WAL. SQLite answers "database is locked" at once, without its busy handler, while
        another process makes the same fresh file; so try again until the busy timeout has passed."""
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                return conn.execute("PRAGMA journal_mode = WAL").fetchone()[0].lower()
            except sqlite3.OperationalError as err:
                if "locked" not in str(err) or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    @contextmanager
    def _errors(self, failed: str):
        """SQLite's errors as the project's: one line naming the store and what failed."""
        try:
            yield
        except sqlite3.Error as err:
            raise StoreError(f"the {self.what} {self.path} {failed}: {err}") from None

    @contextmanager
    def reading(self):
        """A connection for reads (WAL: they never wait for a writer); closed afterwards."""
        with closing(self._connect()) as conn, self._errors("could not be read"):
            yield conn

    @contextmanager
    def transaction(self):
        """One ``BEGIN IMMEDIATE`` transaction: the write lock from the start, so what it reads stays
        true until it commits; rolled back on any error."""
        with closing(self._connect()) as conn, self._errors("could not be written"):
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise


class Store(Database):
    """Packs in ``<folder>/panelsearch.sqlite3``; the folder and the schema are made on first use."""

    what = "pack store"

    # -- connections -------------------------------------------------------------------------------
    @contextmanager
    def _writing(self, pack_id=_NO_PACK):
        """One transaction; given a ``pack_id``, that pack must exist and its updated time is bumped."""
        with self.transaction() as conn:
            if pack_id is not _NO_PACK:
                self._check_exists(conn, pack_id)
            yield conn
            if pack_id is not _NO_PACK:
                conn.execute("UPDATE packs SET updated = ? WHERE id = ?", (now(), pack_id))

    @staticmethod
    def _check_exists(conn, pack_id) -> None:
        if not valid_id(pack_id) or conn.execute("SELECT 1 FROM packs WHERE id = ?", (pack_id,)).fetchone() is None:
            raise PackNotFound(pack_id)

    @staticmethod
    def _order(conn, pack_id: str) -> list[str]:
        return [r[0] for r in conn.execute(
            "SELECT passage_id FROM items WHERE pack_id = ? ORDER BY position, rowid", (pack_id,))]

    @staticmethod
    def _renumber(conn, pack_id: str, order: list[str]) -> None:
        """Positions 1..n in ``order``: no gaps, no ties, whatever other writers did before us."""
        conn.executemany("UPDATE items SET position = ? WHERE pack_id = ? AND passage_id = ?",
                         [(n, pack_id, pid) for n, pid in enumerate(order, start=1)])

    # -- packs -------------------------------------------------------------------------------------
    def create_pack(self, title: str = DEFAULT_TITLE) -> str:
        """A new empty pack; returns its id."""
        title = bounded(title, MAX_TITLE_CHARS, "title", one_line=True) or DEFAULT_TITLE
        with self._writing() as conn:
            if conn.execute("SELECT COUNT(*) FROM packs").fetchone()[0] >= MAX_PACKS:
                raise UsageError(f"the store holds {MAX_PACKS} packs, as many as it keeps")
            while True:
                pack_id = secrets.token_urlsafe(9)
                if pack_id[0] == "-":  # `pack show -Xyz…` would read as an option on the command line
                    continue
                at = now()
                try:
                    conn.execute("INSERT INTO packs (id, title, created, updated) VALUES (?, ?, ?, ?)",
                                 (pack_id, title, at, at))
                    return pack_id
                except sqlite3.IntegrityError:  # 72 random bits taken already: draw again
                    continue

    def pack(self, pack_id: str) -> SavedPack | None:
        """The pack with its items in order, or None if there is none with this id."""
        if not valid_id(pack_id):
            return None
        with self.reading() as conn:
            conn.execute("BEGIN")  # one snapshot: the pack and its items as of one moment
            row = conn.execute("SELECT id, title, created, updated FROM packs WHERE id = ?", (pack_id,)).fetchone()
            if row is None:
                return None
            rows = conn.execute(f"SELECT position, {', '.join(_ITEM_COLUMNS)} FROM items WHERE pack_id = ? "
                                "ORDER BY position, rowid", (pack_id,)).fetchall()
            conn.execute("COMMIT")
        items = tuple(SavedItem(PackItem(**dict(zip(_ITEM_COLUMNS, r[1:]))), r[0]) for r in rows)
        return SavedPack(row[0], row[1], datetime.fromisoformat(row[2]), datetime.fromisoformat(row[3]), items)

    def list_packs(self) -> list[PackSummary]:
        """Every pack, most recently changed first, with its number of items."""
        with self.reading() as conn:
            rows = conn.execute("SELECT p.id, p.title, p.created, p.updated, COUNT(i.passage_id) FROM packs p "
                                "LEFT JOIN items i ON i.pack_id = p.id GROUP BY p.id "
                                "ORDER BY p.updated DESC, p.id").fetchall()
        return [PackSummary(r[0], r[1], datetime.fromisoformat(r[2]), datetime.fromisoformat(r[3]), r[4])
                for r in rows]

    def rename(self, pack_id: str, title: str) -> None:
        title = bounded(title, MAX_TITLE_CHARS, "title", one_line=True) or DEFAULT_TITLE
        with self._writing(pack_id) as conn:
            conn.execute("UPDATE packs SET title = ? WHERE id = ?", (title, pack_id))

    def delete_pack(self, pack_id: str) -> None:
        with self._writing() as conn:
            self._check_exists(conn, pack_id)
            conn.execute("DELETE FROM packs WHERE id = ?", (pack_id,))

    def clear(self, pack_id: str) -> None:
        """Remove every item; the pack and its title stay."""
        with self._writing(pack_id) as conn:
            conn.execute("DELETE FROM items WHERE pack_id = ?", (pack_id,))

    # -- items -------------------------------------------------------------------------------------
    def add_item(self, pack_id: str, item: PackItem) -> bool:
        """``item`` at the end of the pack; False (and nothing changed) if its passage is in it already."""
        values = _item_values(item)
        with self._writing(pack_id) as conn:
            order = self._order(conn, pack_id)
            if values["passage_id"] in order:
                return False
            if len(order) >= MAX_ITEMS:
                raise UsageError(f"a pack holds at most {MAX_ITEMS} passages; remove some to add more")
            conn.execute(f"INSERT INTO items (pack_id, position, added, {', '.join(values)}) "
                         f"VALUES (?, ?, ?, {', '.join('?' * len(values))})",
                         (pack_id, len(order) + 1, now(), *values.values()))
            return True

    def remove_item(self, pack_id: str, passage_id: str) -> bool:
        """False if the passage was not in the pack."""
        with self._writing(pack_id) as conn:
            gone = conn.execute("DELETE FROM items WHERE pack_id = ? AND passage_id = ?",
                                (pack_id, passage_id)).rowcount
            self._renumber(conn, pack_id, self._order(conn, pack_id))
            return bool(gone)

    def move_item(self, pack_id: str, passage_id: str, offset: int) -> bool:
        """Move one item ``offset`` places (clamped to the ends); False if it is not in the pack."""
        if not isinstance(offset, int):
            raise UsageError("a move is a whole number of places")
        with self._writing(pack_id) as conn:
            order = self._order(conn, pack_id)
            if passage_id not in order:
                return False
            at = order.index(passage_id)
            order.pop(at)
            order.insert(min(max(at + offset, 0), len(order)), passage_id)
            self._renumber(conn, pack_id, order)
            return True

    def set_note(self, pack_id: str, passage_id: str, note: str) -> bool:
        """The item's note for the handout ("" removes it); False if the passage is not in the pack."""
        return self._set(pack_id, passage_id, "note", bounded(note, MAX_NOTE_CHARS, "note"))

    def set_prompt(self, pack_id: str, passage_id: str, prompt: str) -> bool:
        """The item's discussion prompt ("" brings back the default one drawn from its question)."""
        return self._set(pack_id, passage_id, "prompt", bounded(prompt, MAX_PROMPT_CHARS, "prompt"))

    def _set(self, pack_id: str, passage_id: str, column: str, value: str) -> bool:
        with self._writing(pack_id) as conn:
            return bool(conn.execute(f"UPDATE items SET {column} = ? WHERE pack_id = ? AND passage_id = ?",
                                     (value, pack_id, passage_id)).rowcount)


def valid_id(pack_id) -> bool:
    """Whether ``pack_id`` has the shape of an id this store makes (checked before any query)."""
    return isinstance(pack_id, str) and _ID_RE.fullmatch(pack_id) is not None


def _item_values(item: PackItem) -> dict:
    """The item's columns, cleaned and bounded; UsageError for anything a passage never holds."""
    if not isinstance(item, PackItem) or not isinstance(item.question_number, int):
        raise UsageError("a pack holds passages (PackItem)")
    values = {"question_number": item.question_number}
    limits = {"note": (MAX_NOTE_CHARS, "note"), "prompt": (MAX_PROMPT_CHARS, "prompt")}
    for name in _ITEM_COLUMNS:
        if name != "question_number":
            limit, what = limits.get(name, (MAX_ITEM_FIELD_CHARS, f"passage's {name.replace('_', ' ')}"))
            values[name] = bounded(getattr(item, name), limit, what)
    if not values["passage_id"]:
        raise UsageError("a passage without an id cannot be saved")
    return values
