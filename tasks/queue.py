"""The Huey instance from settings, its tasks, and the Dispatcher the booking service talks to."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey

from bot.dispatch import PlannedReminder
from bot.settings import Settings
from tasks.batching import revoke_tasks, schedule_tasks

log = logging.getLogger(__name__)

QUEUE_NAME = "barberbot"


@dataclass(frozen=True)
class Tasks:
    """The task wrappers registered on one Huey instance."""

    send_reminder: Any
    send_message: Any


def make_huey(settings: Settings, *, name: str = QUEUE_NAME) -> Huey:
    """RedisHuey when REDIS_URL is set, else Huey's SQLite storage at QUEUE_PATH; tasks registered."""
    huey: Huey
    if settings.redis_url:
        huey = RedisHuey(name, url=settings.redis_url, results=False, utc=True)
    else:
        path = Path(settings.queue_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        huey = SqliteHuey(name, filename=str(path), results=False, utc=True, timeout=30)
    register_tasks(huey)
    return huey


def register_tasks(huey: Huey) -> Tasks:
    existing = getattr(huey, "barberbot_tasks", None)
    if existing is not None:
        return existing  # type: ignore[no-any-return]
    from tasks.batching import PREFILTERS, THREAD_STARTS
    from tasks.outbox import send_message_task
    from tasks.reminders import idle_reminder_jobs, open_held_connection, send_reminder_task

    tasks = Tasks(
        send_reminder=huey.task(name="send_reminder")(send_reminder_task),
        send_message=huey.task(name="send_message")(send_message_task),
    )
    PREFILTERS["send_reminder"] = idle_reminder_jobs
    if open_held_connection not in THREAD_STARTS:
        THREAD_STARTS.append(open_held_connection)
    huey.barberbot_tasks = tasks  # type: ignore[attr-defined]
    return tasks


def tasks_of(huey: Huey) -> Tasks:
    return register_tasks(huey)


def _aware(when: dt.datetime) -> dt.datetime:
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


class HueyDispatcher:
    """Wakes a worker at a reminder's time. The rows are the truth; a lost job is re-enqueued."""

    def __init__(self, huey: Huey) -> None:
        self.huey = huey
        self.tasks = register_tasks(huey)

    def schedule_reminders(self, reminders: Sequence[PlannedReminder]) -> None:
        # straight into the schedule (Huey's schedule() queues a task for a worker to move there)
        schedule_tasks(self.huey, [self.tasks.send_reminder.s(r.reminder_id, eta=_aware(r.due_at), id=r.job_id)
                                   for r in reminders])

    def revoke_reminders(self, job_ids: Sequence[str]) -> None:
        revoke_tasks(self.huey, job_ids)

    def send_message(self, outbound_id: int) -> None:
        self.huey.enqueue(self.tasks.send_message.s(outbound_id, id=f"message-{outbound_id}"))

    def send_message_later(self, outbound_id: int, delay_seconds: float, attempt: int) -> None:
        self.tasks.send_message.schedule((outbound_id,), delay=delay_seconds,
                                         id=f"message-{outbound_id}-a{attempt}")

    def ping(self) -> None:
        conn = getattr(self.huey.storage, "conn", None)
        if conn is not None and hasattr(conn, "ping"):
            conn.ping()
        else:
            self.huey.pending_count()
