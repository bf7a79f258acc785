"""A server process leaves its start-up heap out of full garbage collections, once (bot.app.settle_heap)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# in a process of its own: freezing is process-wide and stays
SCRIPT = textwrap.dedent("""
    import gc
    from starlette.testclient import TestClient
    from bot.app import YOUNG_COLLECTION_EVERY, create_app
    from bot.clock import FixedClock
    from bot.db import upgrade
    from bot.dispatch import RecordingDispatcher
    from bot.services import build_services
    from bot.settings import Settings
    import datetime as dt, sys, tempfile

    url = f"sqlite:///{tempfile.mkdtemp()}/t.db"
    upgrade(url)
    settings = Settings(_env_file=None, database_url=url, barberbot_env="test", redis_url=None, api_key="k")
    services = build_services(settings, clock=FixedClock(dt.datetime(2026, 12, 2, 9, tzinfo=dt.UTC)),
                              dispatcher=RecordingDispatcher())
    assert gc.get_freeze_count() == 0
    with TestClient(create_app(services)) as client:
        assert client.get("/healthz").status_code == 200
        frozen = gc.get_freeze_count()
        assert frozen > 10_000, frozen  # the modules, the ORM, the app: all left out of full collections
        assert gc.get_threshold()[0] == YOUNG_COLLECTION_EVERY
    with TestClient(create_app(services)) as client:  # a second start in the same process: nothing more
        assert gc.get_freeze_count() <= frozen  # (frozen objects freed by reference counting leave it)
    print("ok")
""")


def test_the_start_up_heap_is_frozen_once_per_process() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
