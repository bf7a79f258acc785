"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import bot.models

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('barber',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('barber', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_barber_phone'), ['phone'], unique=False)

    op.create_table('conversation',
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('data', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('updated_at', bot.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('phone')
    )
    op.create_table('customer',
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('reminders_paused', sa.Boolean(), nullable=False),
    sa.Column('last_inbound_at', bot.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', bot.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('phone')
    )
    op.create_table('inbound_message',
    sa.Column('message_sid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('body', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('reply', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('created_at', bot.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('message_sid')
    )
    op.create_table('service',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('price', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('shop_config',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('timezone', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('data', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('checksum', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('loaded_at', bot.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('booking',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=8), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('customer_phone', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('customer_name', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('service', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('barber', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('start_at', bot.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('end_at', bot.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('cancel_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('created_at', bot.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', bot.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('planned_at', bot.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['barber'], ['barber.key'], ),
    sa.ForeignKeyConstraint(['service'], ['service.key'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.create_index('ix_booking_barber_start', ['barber', 'start_at'], unique=False)
        batch_op.create_index('ix_booking_customer', ['customer_phone', 'status'], unique=False)

    op.create_table('time_off',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('barber', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('start_at', bot.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('end_at', bot.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('created_at', bot.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['barber'], ['barber.key'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('time_off', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_time_off_barber'), ['barber'], unique=False)

    op.create_table('outbound_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('to_phone', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('body', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=True),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('message_sid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('delivery_status', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('created_at', bot.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', bot.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['booking_id'], ['booking.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('outbound_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbound_message_message_sid'), ['message_sid'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbound_message_to_phone'), ['to_phone'], unique=False)
        batch_op.create_index('ix_outbound_state', ['state', 'created_at'], unique=False)

    op.create_table('reminder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.String(length=80), nullable=False),
    sa.Column('k', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('due_at', bot.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('sent_at', bot.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('claimed_at', bot.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('next_attempt_at', bot.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('message_sid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('delivery_status', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('updated_at', bot.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['booking_id'], ['booking.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('job_id')
    )
    with op.batch_alter_table('reminder', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminder_booking_id'), ['booking_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminder_message_sid'), ['message_sid'], unique=False)
        batch_op.create_index('ix_reminder_state_due', ['state', 'due_at'], unique=False)


    if op.get_bind().dialect.name == "postgresql":
        # Two confirmed bookings of one barber can never overlap, whatever the
        # application does: the database refuses the second one.
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(
            "ALTER TABLE booking ADD CONSTRAINT booking_no_overlap EXCLUDE USING gist "
            "(barber WITH =, tstzrange(start_at, end_at, '[)') WITH &&) "
            "WHERE (status = 'confirmed')"
        )


def downgrade() -> None:
    with op.batch_alter_table('reminder', schema=None) as batch_op:
        batch_op.drop_index('ix_reminder_state_due')
        batch_op.drop_index(batch_op.f('ix_reminder_message_sid'))
        batch_op.drop_index(batch_op.f('ix_reminder_booking_id'))

    op.drop_table('reminder')
    with op.batch_alter_table('outbound_message', schema=None) as batch_op:
        batch_op.drop_index('ix_outbound_state')
        batch_op.drop_index(batch_op.f('ix_outbound_message_to_phone'))
        batch_op.drop_index(batch_op.f('ix_outbound_message_message_sid'))

    op.drop_table('outbound_message')
    with op.batch_alter_table('time_off', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_time_off_barber'))

    op.drop_table('time_off')
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.drop_index('ix_booking_customer')
        batch_op.drop_index('ix_booking_barber_start')

    op.drop_table('booking')
    op.drop_table('shop_config')
    op.drop_table('service')
    op.drop_table('inbound_message')
    op.drop_table('customer')
    op.drop_table('conversation')
    with op.batch_alter_table('barber', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_barber_phone'))

    op.drop_table('barber')
