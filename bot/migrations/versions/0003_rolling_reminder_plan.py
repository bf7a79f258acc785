"""bookings remember how much of their reminder plan exists as rows (the plan is written a window at a time)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.models

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reminders_planned", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("next_reminder_at", bot.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_booking_next_reminder_at"), ["next_reminder_at"], unique=False)
    # bookings made before this migration had their whole plan written at once
    op.execute("UPDATE booking SET reminders_planned = "
               "(SELECT COALESCE(MAX(k), 0) FROM reminder WHERE reminder.booking_id = booking.id "
               "AND reminder.revision = booking.revision)")


def downgrade() -> None:
    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_booking_next_reminder_at"))
        batch_op.drop_column("next_reminder_at")
        batch_op.drop_column("reminders_planned")
