"""The Huey instance from settings, its tasks, and the Dispatcher the booking service talks to."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey

from bot.dispatch import PlannedReminder
from bot.settings import Settings

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
        # fsync=False: the queue only wakes workers; the database holds every reminder and the
        # reconciler re-enqueues a job the queue lost, so each enqueue need not wait for the disk
        huey = SqliteHuey(name, filename=str(path), results=False, utc=True, timeout=30, fsync=False)
    register_tasks(huey)
    return huey


def register_tasks(huey: Huey) -> Tasks:
    """Register our tasks on `huey` once; later calls return the same wrappers."""
    existing = getattr(huey, "barberbot_tasks", None)
    if existing is not None:
        return existing  # type: ignore[no-any-return]
    from tasks.outbox import send_message_task
    from tasks.reminders import send_reminder_task

    tasks = Tasks(
        send_reminder=huey.task(name="send_reminder")(send_reminder_task),
        send_message=huey.task(name="send_message")(send_message_task),
    )
    huey.barberbot_tasks = tasks  # type: ignore[attr-defined]
    return tasks


def _aware(when: dt.datetime) -> dt.datetime:
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


class HueyDispatcher:
    """Wakes a worker at a reminder's time. The rows are the truth; a lost job is re-enqueued."""

    def __init__(self, huey: Huey) -> None:
        self.huey = huey
        self.tasks = register_tasks(huey)

    def schedule_reminders(self, reminders: Sequence[PlannedReminder]) -> None:
        for r in reminders:
            self.tasks.send_reminder.schedule((r.reminder_id,), eta=_aware(r.due_at), id=r.job_id)

    def revoke_reminders(self, job_ids: Sequence[str]) -> None:
        # for good: a revoked id never runs again, so every new plan uses new ids
        for job_id in job_ids:
            self.huey.revoke_by_id(job_id)

    def send_message(self, outbound_id: int) -> None:
        self.huey.enqueue(self.tasks.send_message.s(outbound_id, id=f"message-{outbound_id}"))

    def send_message_later(self, outbound_id: int, delay_seconds: float, attempt: int) -> None:
        self.tasks.send_message.schedule((outbound_id,), delay=delay_seconds,
                                         id=f"message-{outbound_id}-a{attempt}")

    def ping(self) -> None:
        """Raises if the queue's storage cannot be reached."""
        self.huey.pending_count()
