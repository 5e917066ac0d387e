"""the alerts' time indexes hold finished alerts only: a webhook's insert writes neither

ix_alerts_received_at and ix_alerts_license_received_at become partial
(inbox_state = 'done'): the worker adds an alert to them when it finishes it.
Readers take pending alerts, always few, through ix_alerts_pending.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

_INDEXES = {"ix_alerts_received_at": ["received_at"],
            "ix_alerts_license_received_at": ["license", "received_at"]}


def upgrade() -> None:
    done = sa.text("inbox_state = 'done'")
    for name, columns in _INDEXES.items():
        op.drop_index(name, table_name='alerts')
        op.create_index(name, 'alerts', columns, unique=False,
                        sqlite_where=done, postgresql_where=done)


def downgrade() -> None:
    for name, columns in _INDEXES.items():
        op.drop_index(name, table_name='alerts')
        op.create_index(name, 'alerts', columns, unique=False)
