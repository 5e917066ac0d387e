"""the inbox entry moves onto the alert row: one row written per webhook

Receiving a webhook wrote an alert row and an inbox row (three b-trees with the
inbox's unique and state indexes). The inbox state now lives in columns of the
alert, with a partial index of the pending ones.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

_COLUMNS = ("available_at", "lease_owner", "lease_until", "claims", "done_at", "last_error")


def upgrade() -> None:
    op.add_column('alerts', sa.Column('inbox_state', sa.String(length=20), nullable=False,
                                      server_default='done'))
    op.add_column('alerts', sa.Column('available_at', sa.Float(), nullable=True))
    op.add_column('alerts', sa.Column('lease_owner', sa.String(length=100), nullable=True))
    op.add_column('alerts', sa.Column('lease_until', sa.Float(), nullable=True))
    op.add_column('alerts', sa.Column('claims', sa.Integer(), nullable=False,
                                      server_default='0'))
    op.add_column('alerts', sa.Column('done_at', sa.Float(), nullable=True))
    op.add_column('alerts', sa.Column('last_error', sa.Text(), nullable=True))
    # Portable correlated update: each alert takes its entry's state and lease.
    entry = "(SELECT inbox.{col} FROM inbox WHERE inbox.alert_id = alerts.id)"
    sets = ", ".join([f"inbox_state = {entry.format(col='state')}"]
                     + [f"{col} = {entry.format(col=col)}" for col in _COLUMNS])
    op.execute(f"UPDATE alerts SET {sets} "
               "WHERE EXISTS (SELECT 1 FROM inbox WHERE inbox.alert_id = alerts.id)")
    pending = sa.text("inbox_state = 'pending'")
    op.create_index('ix_alerts_pending', 'alerts', ['id'], unique=False,
                    sqlite_where=pending, postgresql_where=pending)
    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.drop_index('ix_inbox_state_available_at')
    op.drop_table('inbox')


def downgrade() -> None:
    op.create_table('inbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('available_at', sa.Float(), nullable=False),
    sa.Column('lease_owner', sa.String(length=100), nullable=True),
    sa.Column('lease_until', sa.Float(), nullable=True),
    sa.Column('claims', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.Column('done_at', sa.Float(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['alert_id'], ['alerts.id'], name=op.f('fk_inbox_alert_id_alerts'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox')),
    sa.UniqueConstraint('alert_id', name=op.f('uq_inbox_alert_id'))
    )
    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.create_index('ix_inbox_state_available_at', ['state', 'available_at'],
                              unique=False)
    op.execute("INSERT INTO inbox (alert_id, state, available_at, lease_owner, lease_until, "
               "claims, created_at, done_at, last_error) SELECT id, inbox_state, "
               "COALESCE(available_at, received_at), lease_owner, lease_until, claims, "
               "received_at, done_at, last_error FROM alerts")
    op.drop_index('ix_alerts_pending', table_name='alerts')
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        for col in ("inbox_state", *_COLUMNS):
            batch_op.drop_column(col)
