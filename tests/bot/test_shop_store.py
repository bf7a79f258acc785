"""The stored shop under load: turns that each hold a connection never wait on the shop's check."""

from __future__ import annotations

import threading
import time

from bot.db import Database
from bot.shop import Shop
from bot.shop_store import ShopStore, load_shop
from tests.conftest import NOW


def test_turns_holding_every_connection_still_get_the_shop_while_one_of_them_checks_it(
        db_url: str, demo_shop: Shop) -> None:
    db = Database(db_url, pool_size=2, max_overflow=0, pool_timeout=5)
    try:
        load_shop(db, demo_shop, now=NOW)
        store = ShopStore(db, check_every=0.0)  # every get() wants a check
        store.get()
        holding = threading.Barrier(2)
        got: list[str] = []

        def turn() -> None:
            with db.session() as s:  # a turn's connection: the pool has two, both taken
                s.connection().exec_driver_sql("SELECT 1")
                holding.wait(timeout=10)
                got.append(store.get().name)

        t0 = time.monotonic()
        threads = [threading.Thread(target=turn) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert got == [demo_shop.name, demo_shop.name]
        assert time.monotonic() - t0 < 4  # no one waited out the pool's 5 s timeout
    finally:
        db.dispose()
