"""A `barberbot worker` for the kill tests: run_worker on the test's database, queue and fake Twilio.

Usage: python worker_proc.py '<json config>'
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine_support import OffsetClock, ShiftedDispatcher, engine_settings  # noqa: E402

from bot.services import build_services  # noqa: E402
from tasks.queue import make_huey  # noqa: E402
from tasks.runtime import run_worker  # noqa: E402
from tasks.sender import TwilioSender  # noqa: E402


def main() -> None:
    cfg = json.loads(sys.argv[1])
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = engine_settings(Path(cfg["tmp_path"]), **cfg["overrides"])
    offset = dt.timedelta(seconds=cfg["offset"])
    huey = make_huey(settings, name=cfg["queue_name"])
    sender = TwilioSender(account_sid="ACtest", auth_token="test-auth-token", from_="+14155238886",
                          base_url=cfg["twilio_url"])
    services = build_services(settings, clock=OffsetClock(offset), dispatcher=ShiftedDispatcher(huey, offset),
                              huey=huey, sender=sender)
    print("ready", flush=True)  # noqa: T201 - the parent waits for this line, not for a guessed sleep
    run_worker(services, workers=4, grace_seconds=1, stuck_after_seconds=2)


if __name__ == "__main__":
    main()
