"""Wiring: one `Services` per process, built from settings, handed to the web app, CLI and tasks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from bot.bookings import BookingService
from bot.clock import Clock, system_clock
from bot.db import Database
from bot.dispatch import Dispatcher
from bot.settings import Settings
from bot.shop import Shop
from bot.shop_store import ShopStore


@dataclass
class Services:
    settings: Settings
    db: Database
    shops: ShopStore
    clock: Clock
    dispatcher: Dispatcher
    bookings: BookingService
    huey: Any = None          # huey.Huey when a queue is configured
    sender: Any = None        # tasks.sender.Sender
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def shop(self) -> Shop:
        return self.shops.get()

    def now(self) -> dt.datetime:
        return self.clock()


def build_services(
    settings: Settings,
    *,
    clock: Clock = system_clock,
    dispatcher: Dispatcher | None = None,
    huey: Any = None,
    sender: Any = None,
    db: Database | None = None,
) -> Services:
    """Build the process's services. Without a dispatcher, the Huey queue from settings is used."""
    db = db or Database(settings.database_url)
    shops = ShopStore(db)
    if dispatcher is None:
        from tasks.queue import HueyDispatcher, make_huey

        huey = huey or make_huey(settings)
        dispatcher = HueyDispatcher(huey)
    bookings = BookingService(
        db, shops.get, clock=clock, dispatcher=dispatcher,
        reminder_interval_seconds=settings.reminder_interval_seconds,
        reconcile_interval_seconds=settings.reconcile_interval_seconds,
    )
    return Services(settings=settings, db=db, shops=shops, clock=clock, dispatcher=dispatcher,
                    bookings=bookings, huey=huey, sender=sender)
