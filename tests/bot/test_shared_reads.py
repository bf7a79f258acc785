"""`bot.prepared.SharedReads`: the reads of one round of webhook turns share one snapshot, which
ends when the round's writes begin, and never outlives a failed read."""

from __future__ import annotations

import contextlib
import sqlite3

import pytest

from bot.db import Database
from bot.prepared import HeldConnection, SharedReads, _Kept

COUNT = "SELECT count(*) FROM customer"


def customers(reads: SharedReads) -> int:
    with reads.read() as tx:
        return int(tx.cursor.execute(COUNT).fetchone()[0])


def add_customer(sqlite_url: str, phone: str) -> None:
    """Another connection (another process, a reminder worker) commits a row."""
    with contextlib.closing(sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))) as conn, conn:
        conn.execute("INSERT INTO customer (phone, reminders_paused, created_at) VALUES (?, 0, ?)",
                     (phone, "2026-12-02 09:00:00.000000"))


def test_reads_share_a_snapshot_until_it_ends_and_a_failed_read_ends_it(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    held = HeldConnection(db)
    reads = SharedReads(held)
    try:
        assert customers(reads) == 0
        add_customer(sqlite_url, "+447700900001")
        assert customers(reads) == 0  # the same snapshot: the round started before that commit
        reads.end()
        assert customers(reads) == 1  # a new round sees it
        add_customer(sqlite_url, "+447700900002")
        with pytest.raises(ZeroDivisionError), reads.read():
            _ = 1 / 0
        assert customers(reads) == 2  # the failed read ended the snapshot; the next one began afresh
        with pytest.raises(RuntimeError), reads.write():
            pass
        with reads.read() as tx:  # what a round's turns may keep for each other lives as long as its snapshot
            assert tx.memo == {}
            tx.memo["asked"] = 1
        with reads.read() as tx:
            assert tx.memo == {"asked": 1}
        reads.end()
        with reads.read() as tx:
            assert tx.memo == {}
        with held.turn() as conn, conn.read() as tx:  # a turn's own read transaction keeps nothing
            assert tx.memo is None
        reads.end()
        reads.end()  # ending twice is harmless
        with held.turn() as conn:  # the held connection was given back, out of any transaction
            assert isinstance(conn, _Kept) and conn.clean()
    finally:
        reads.end()
        held.close()
        db.dispose()
