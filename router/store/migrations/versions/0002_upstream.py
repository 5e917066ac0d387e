"""upstream tables: shared rate limiter, circuit breaker, enrichment caches, polling, leases

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('leases',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('owner', sa.String(length=200), nullable=False),
    sa.Column('acquired_at', sa.Float(), nullable=False),
    sa.Column('expires_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_leases'))
    )
    op.create_table('poll_cursors',
    sa.Column('account', sa.String(length=32), nullable=False),
    sa.Column('license_id', sa.Integer(), nullable=False),
    sa.Column('last_created', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('account', 'license_id', name=op.f('pk_poll_cursors'))
    )
    op.create_table('upstream_accounts',
    sa.Column('account', sa.String(length=32), nullable=False),
    sa.Column('next_slot_at', sa.Float(), nullable=False),
    sa.Column('blocked_until', sa.Float(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('open_until', sa.Float(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('licenses_fetched_at', sa.Float(), nullable=True),
    sa.PrimaryKeyConstraint('account', name=op.f('pk_upstream_accounts'))
    )
    op.create_table('upstream_alert_cameras',
    sa.Column('account', sa.String(length=32), nullable=False),
    sa.Column('upstream_alert_id', sa.Integer(), nullable=False),
    sa.Column('serial', sa.String(length=200), nullable=False),
    sa.Column('license_id', sa.Integer(), nullable=False),
    sa.Column('created', sa.String(length=64), nullable=False),
    sa.Column('created_ts', sa.Float(), nullable=False),
    sa.Column('status', sa.String(length=40), nullable=False),
    sa.Column('anomalies', sa.JSON(), nullable=False),
    sa.Column('snapshot', sa.Text(), nullable=True),
    sa.Column('reference_image', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('account', 'upstream_alert_id', 'serial', name=op.f('pk_upstream_alert_cameras'))
    )
    with op.batch_alter_table('upstream_alert_cameras', schema=None) as batch_op:
        batch_op.create_index('ix_upstream_alert_cameras_lookup', ['account', 'license_id', 'serial', 'created_ts'], unique=False)

    op.create_table('upstream_cameras',
    sa.Column('account', sa.String(length=32), nullable=False),
    sa.Column('license_id', sa.Integer(), nullable=False),
    sa.Column('serial', sa.String(length=200), nullable=False),
    sa.Column('camera_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('latest_status', sa.String(length=40), nullable=True),
    sa.Column('fetched_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('account', 'license_id', 'serial', name=op.f('pk_upstream_cameras'))
    )
    op.create_table('upstream_license_state',
    sa.Column('account', sa.String(length=32), nullable=False),
    sa.Column('license_id', sa.Integer(), nullable=False),
    sa.Column('listed_at', sa.Float(), nullable=True),
    sa.Column('newest_created', sa.String(length=64), nullable=True),
    sa.Column('directory_at', sa.Float(), nullable=True),
    sa.PrimaryKeyConstraint('account', 'license_id', name=op.f('pk_upstream_license_state'))
    )
    op.create_table('upstream_licenses',
    sa.Column('account', sa.String(length=32), nullable=False),
    sa.Column('code', sa.String(length=200), nullable=False),
    sa.Column('license_id', sa.Integer(), nullable=False),
    sa.Column('fetched_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('account', 'code', name=op.f('pk_upstream_licenses'))
    )
    op.create_table('upstream_references',
    sa.Column('account', sa.String(length=32), nullable=False),
    sa.Column('license_id', sa.Integer(), nullable=False),
    sa.Column('serial', sa.String(length=200), nullable=False),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('fetched_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('account', 'license_id', 'serial', name=op.f('pk_upstream_references'))
    )
    op.create_table('polled_alerts',
    sa.Column('account', sa.String(length=32), nullable=False),
    sa.Column('upstream_alert_id', sa.Integer(), nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['alert_id'], ['alerts.id'], name=op.f('fk_polled_alerts_alert_id_alerts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('account', 'upstream_alert_id', name=op.f('pk_polled_alerts'))
    )


def downgrade() -> None:
    op.drop_table('polled_alerts')
    op.drop_table('upstream_references')
    op.drop_table('upstream_licenses')
    op.drop_table('upstream_license_state')
    op.drop_table('upstream_cameras')
    with op.batch_alter_table('upstream_alert_cameras', schema=None) as batch_op:
        batch_op.drop_index('ix_upstream_alert_cameras_lookup')

    op.drop_table('upstream_alert_cameras')
    op.drop_table('upstream_accounts')
    op.drop_table('poll_cursors')
    op.drop_table('leases')
