"""The SQLite layout: an append-only log (the kine model) plus a table of current values.

``log`` has one row per write; its ``revision`` is the store revision (the object's
resourceVersion). A delete appends a tombstone (``value IS NULL``). ``prev_revision`` points at the
version a write replaced (0 for a create), which gives watch events their previous value without
storing it twice, and lets compaction find superseded rows without scanning history.

``current`` maps each live key to the revision of its newest version (and its create revision),
so ordinary gets and lists never scan history: they walk ``current`` and fetch each value from the
log by primary key. Values are stored once, in the log. ``current`` is written in the same
transaction as the log row.

``meta`` holds ``compact_revision`` (reads below it raise ``Compacted``) and ``compact_done`` (how
far the background compaction has removed superseded rows).
"""

from __future__ import annotations

import sqlite3

SCHEMA_VERSION = 2

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS log (
        revision INTEGER PRIMARY KEY,
        key BLOB NOT NULL,
        value BLOB,
        create_revision INTEGER NOT NULL,
        prev_revision INTEGER NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS log_key_revision ON log (key, revision)",
    """CREATE TABLE IF NOT EXISTS current (
        key BLOB PRIMARY KEY,
        revision INTEGER NOT NULL,
        create_revision INTEGER NOT NULL
    ) WITHOUT ROWID""",
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID",
    "INSERT OR IGNORE INTO meta (name, value) VALUES ('schema_version', 2)",
    "INSERT OR IGNORE INTO meta (name, value) VALUES ('compact_revision', 0)",
    "INSERT OR IGNORE INTO meta (name, value) VALUES ('compact_done', 0)",
)

# -- reads -------------------------------------------------------------------------------------
HEAD = "SELECT COALESCE(MAX(revision), 0) FROM log"
META = "SELECT value FROM meta WHERE name = ?"
GET_CURRENT = (
    "SELECT c.key, l.value, c.create_revision, c.revision FROM current AS c"
    " JOIN log AS l ON l.revision = c.revision WHERE c.key = ?"
)
GET_AT = (
    "SELECT key, value, create_revision, revision FROM log"
    " WHERE key = ? AND revision <= ? ORDER BY revision DESC LIMIT 1"
)
LIST_CURRENT = (
    "SELECT c.key, l.value, c.create_revision, c.revision FROM current AS c"
    " JOIN log AS l ON l.revision = c.revision WHERE c.key >= ? AND c.key < ? ORDER BY c.key LIMIT ?"
)
LIST_AT = (
    "SELECT l.key, l.value, l.create_revision, l.revision FROM log AS l"
    " WHERE l.key >= ? AND l.key < ? AND l.value IS NOT NULL"
    " AND l.revision = (SELECT MAX(h.revision) FROM log AS h WHERE h.key = l.key AND h.revision <= ?)"
    " ORDER BY l.key LIMIT ?"
)
REPLAY = (
    "SELECT l.revision, l.key, l.value, p.value, l.create_revision FROM log AS l"
    " LEFT JOIN log AS p ON p.revision = l.prev_revision"
    " WHERE l.revision > ? AND l.revision <= ? AND l.key >= ? AND l.key < ?"
    " ORDER BY l.revision"
)

# -- writes (only the writer thread runs these) ------------------------------------------------
CURRENT_FOR_WRITE = (
    "SELECT c.key, l.value, c.create_revision, c.revision FROM current AS c"
    " JOIN log AS l ON l.revision = c.revision WHERE c.key IN ({})"
)


def current_for_keys(count: int) -> str:
    """The current versions of ``count`` keys (bound as parameters)."""
    return CURRENT_FOR_WRITE.format(",".join("?" * count))


APPEND = "INSERT INTO log (revision, key, value, create_revision, prev_revision) VALUES (?, ?, ?, ?, ?)"
UPSERT_CURRENT = "INSERT OR REPLACE INTO current (key, revision, create_revision) VALUES (?, ?, ?)"
DELETE_CURRENT = "DELETE FROM current WHERE key = ?"
SET_META = "UPDATE meta SET value = ? WHERE name = ?"
SUPERSEDED_IN = "SELECT prev_revision FROM log WHERE revision > ? AND revision <= ? AND prev_revision > 0"
DELETE_REVISION = "DELETE FROM log WHERE revision = ?"
DELETE_TOMBSTONE_AT = "DELETE FROM log WHERE revision = ? AND value IS NULL"
DELETE_TOMBSTONES_IN = (
    "DELETE FROM log WHERE revision > ? AND revision <= ? AND revision < ? AND value IS NULL"
)

KEY_MAX = b"\xff" * 8  # above every UTF-8 key: the upper bound of an unbounded range


def connect(path: str, *, synchronous: str, readonly: bool = False) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), WAL, with our pragmas."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30.0)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("PRAGMA cache_size=-65536")
    conn.execute("PRAGMA busy_timeout=30000")
    if readonly:
        conn.execute("PRAGMA query_only=1")
    return conn


def create_schema(conn: sqlite3.Connection) -> None:
    conn.execute("BEGIN IMMEDIATE")
    for statement in SCHEMA:
        conn.execute(statement)
    conn.execute("COMMIT")
