"""What the booking service asks of the queue, after its transaction commits.

The database already holds every reminder and outgoing message; the dispatcher
only wakes a worker at the right time. If it fails or the queue loses a job,
the reconciler finds the row and enqueues it again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class PlannedReminder:
    reminder_id: int
    job_id: str
    due_at: dt.datetime


class Dispatcher(Protocol):
    def schedule_reminders(self, reminders: Sequence[PlannedReminder]) -> None: ...

    def revoke_reminders(self, job_ids: Sequence[str]) -> None: ...

    def send_message(self, outbound_id: int) -> None: ...

    def send_message_later(self, outbound_id: int, delay_seconds: float, attempt: int) -> None: ...


@dataclass
class RecordingDispatcher:
    """An in-memory dispatcher for tests: remembers what it was asked."""

    scheduled: list[PlannedReminder] = field(default_factory=list)
    revoked: list[str] = field(default_factory=list)
    messages: list[int] = field(default_factory=list)

    def schedule_reminders(self, reminders: Sequence[PlannedReminder]) -> None:
        self.scheduled.extend(reminders)

    def revoke_reminders(self, job_ids: Sequence[str]) -> None:
        self.revoked.extend(job_ids)

    def send_message(self, outbound_id: int) -> None:
        self.messages.append(outbound_id)

    def send_message_later(self, outbound_id: int, delay_seconds: float, attempt: int) -> None:
        self.messages.append(outbound_id)
