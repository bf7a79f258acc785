"""The shop in the database: `load_shop` upserts a validated file; `ShopStore` serves it."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
import time
from pathlib import Path

from sqlmodel import select

from bot.db import Database
from bot.errors import NotFound
from bot.models import Barber as BarberRow
from bot.models import Service as ServiceRow
from bot.models import ShopConfig
from bot.shop import Shop, ShopFileError, parse_shop, shop_from_dict, shop_to_dict


def read_shop_file(path: str | Path) -> Shop:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ShopFileError([f"{p}: no such file"]) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ShopFileError([f"{p}: cannot read ({exc})"]) from exc
    return parse_shop(text)


def load_shop(db: Database, shop: Shop, *, now: dt.datetime) -> bool:
    """Upsert the shop. Returns False when the stored shop was already identical.

    Barbers and services that left the file stay as inactive rows, so past
    bookings keep their references.
    """
    data = shop_to_dict(shop)
    blob = json.dumps(data, sort_keys=True)
    checksum = hashlib.sha256(blob.encode()).hexdigest()
    with db.write() as s:
        cfg = s.get(ShopConfig, 1)
        if cfg is not None and cfg.checksum == checksum:
            return False
        if cfg is None:
            cfg = ShopConfig(id=1, name=shop.name, timezone=shop.timezone, data=blob, checksum=checksum, loaded_at=now)
        else:
            cfg.name, cfg.timezone, cfg.data, cfg.checksum, cfg.loaded_at = (
                shop.name, shop.timezone, blob, checksum, now)
        s.add(cfg)
        existing_s = {r.key: r for r in s.exec(select(ServiceRow)).all()}
        for svc in shop.services:
            row = existing_s.pop(svc.key, None) or ServiceRow(key=svc.key, name=svc.name, minutes=svc.minutes, price="0")
            row.name, row.minutes, row.price, row.active = svc.name, svc.minutes, str(svc.price), True
            s.add(row)
        for row in existing_s.values():
            row.active = False
            s.add(row)
        existing_b = {r.key: r for r in s.exec(select(BarberRow)).all()}
        for b in shop.barbers:
            brow = existing_b.pop(b.key, None) or BarberRow(key=b.key, name=b.name, phone=b.phone)
            brow.name, brow.phone, brow.active = b.name, b.phone, True
            s.add(brow)
        for brow in existing_b.values():
            brow.active = False
            s.add(brow)
    return True


class ShopStore:
    """Serves the stored shop; re-reads it when `shop load` changed it (checked every few seconds)."""

    def __init__(self, db: Database, *, check_every: float = 5.0) -> None:
        self._db = db
        self._check_every = check_every
        self._lock = threading.Lock()
        self._shop: Shop | None = None
        self._checksum: str | None = None
        self._checked = 0.0

    def get(self) -> Shop:
        """The shop, checked against the database at most every `check_every` seconds.

        While one thread checks, the others get the shop as last read instead of waiting: the
        check needs a connection of its own, and callers inside a turn already hold one (were
        they to queue behind the check, a full pool would wait on itself)."""
        now = time.monotonic()
        cached = self._shop
        if cached is None:
            self._lock.acquire()  # nothing to serve yet: wait for the first read
        elif now - self._checked < self._check_every or not self._lock.acquire(blocking=False):
            return cached
        try:
            if self._shop is not None and now - self._checked < self._check_every:
                return self._shop
            with self._db.session() as s:
                if self._shop is not None:
                    current = s.exec(select(ShopConfig.checksum).where(ShopConfig.id == 1)).first()
                    if current == self._checksum:
                        self._checked = now
                        return self._shop
                cfg = s.get(ShopConfig, 1)
            if cfg is None:
                raise NotFound("no shop loaded: run `barberbot shop load FILE`", code="no_shop")
            self._shop = shop_from_dict(json.loads(cfg.data))
            self._checksum = cfg.checksum
            self._checked = now
            return self._shop
        finally:
            self._lock.release()
