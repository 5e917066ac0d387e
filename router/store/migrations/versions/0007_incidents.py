"""camera state from the license logs, incidents with a timeline, reminders

- ``incidents`` / ``incident_events``: one problem of one camera and its timeline;
- ``state_cursors``: the state tracker's position in each license's logs;
- ``camera_state``: what the tracker read last (log id, time, status, data, since);
- ``notification_log.remind_at``: when a receiver is next reminded.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'incidents',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('license', sa.String(length=200), nullable=False),
        sa.Column('serial', sa.String(length=200), nullable=False),
        sa.Column('name', sa.String(length=400), nullable=False),
        sa.Column('tags', sa.JSON(), nullable=False),
        sa.Column('condition', sa.String(length=400), nullable=False),
        sa.Column('open_key', sa.String(length=420), nullable=True),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('opened_at', sa.Float(), nullable=False),
        sa.Column('last_event_at', sa.Float(), nullable=False),
        sa.Column('updated_at', sa.Float(), nullable=False),
        sa.Column('first_alert_id', sa.Integer(), nullable=False),
        sa.Column('last_camera_event_id', sa.Integer(), nullable=False),
        sa.Column('events', sa.Integer(), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.Column('notified', sa.Boolean(), nullable=False),
        sa.Column('acked_at', sa.Float(), nullable=True),
        sa.Column('acked_by', sa.String(length=200), nullable=True),
        sa.Column('ack_comment', sa.Text(), nullable=True),
        sa.Column('resolved_at', sa.Float(), nullable=True),
        sa.Column('resolution', sa.String(length=40), nullable=True),
        sa.Column('resolution_detail', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_incidents')),
        sa.UniqueConstraint('open_key', name=op.f('uq_incidents_open_key')),
    )
    op.create_index('ix_incidents_state_opened_at', 'incidents', ['state', 'opened_at'])
    op.create_index('ix_incidents_license_serial', 'incidents', ['license', 'serial'])
    op.create_index('ix_incidents_resolved_at', 'incidents', ['resolved_at'])
    op.create_table(
        'incident_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('incident_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.Float(), nullable=False),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('receiver', sa.String(length=200), nullable=True),
        sa.Column('notification_id', sa.Integer(), nullable=True),
        sa.Column('detail', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'],
                                name=op.f('fk_incident_events_incident_id_incidents'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_incident_events')),
    )
    op.create_index('ix_incident_events_incident_id', 'incident_events', ['incident_id', 'id'])
    op.create_table(
        'state_cursors',
        sa.Column('account', sa.String(length=32), nullable=False),
        sa.Column('license_id', sa.Integer(), nullable=False),
        sa.Column('license', sa.String(length=200), nullable=False),
        sa.Column('last_created', sa.String(length=64), nullable=True),
        sa.Column('checked_at', sa.Float(), nullable=True),
        sa.Column('tried_at', sa.Float(), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('account', 'license_id', name=op.f('pk_state_cursors')),
    )
    with op.batch_alter_table('camera_state') as batch:
        batch.add_column(sa.Column('log_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('log_at', sa.Float(), nullable=True))
        batch.add_column(sa.Column('log_status', sa.String(length=40), nullable=True))
        batch.add_column(sa.Column('log_data', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('status_since', sa.Float(), nullable=True))
    with op.batch_alter_table('notification_log') as batch:
        batch.add_column(sa.Column('remind_at', sa.Float(), nullable=True))
    op.create_index('ix_notification_log_remind_at', 'notification_log', ['remind_at'])


def downgrade() -> None:
    op.drop_index('ix_notification_log_remind_at', table_name='notification_log')
    with op.batch_alter_table('notification_log') as batch:
        batch.drop_column('remind_at')
    with op.batch_alter_table('camera_state') as batch:
        for name in ('status_since', 'log_data', 'log_status', 'log_at', 'log_id'):
            batch.drop_column(name)
    op.drop_table('state_cursors')
    op.drop_index('ix_incident_events_incident_id', table_name='incident_events')
    op.drop_table('incident_events')
    for name in ('ix_incidents_resolved_at', 'ix_incidents_license_serial',
                 'ix_incidents_state_opened_at'):
        op.drop_index(name, table_name='incidents')
    op.drop_table('incidents')
