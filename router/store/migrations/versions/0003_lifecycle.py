"""lifecycle tables: groups, items, notification log, camera state, silences, rate windows

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('receiver', sa.String(length=200), nullable=False),
    sa.Column('route', sa.String(length=200), nullable=False),
    sa.Column('group_key', sa.String(length=64), nullable=False),
    sa.Column('labels', sa.JSON(), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('next_flush_at', sa.Float(), nullable=True),
    sa.Column('last_flush_at', sa.Float(), nullable=True),
    sa.Column('flushes', sa.Integer(), nullable=False),
    sa.Column('lease_owner', sa.String(length=100), nullable=True),
    sa.Column('lease_until', sa.Float(), nullable=True),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_groups')),
    sa.UniqueConstraint('receiver', 'route', 'group_key',
                        name=op.f('uq_groups_receiver_route_group_key'))
    )
    with op.batch_alter_table('groups', schema=None) as batch_op:
        batch_op.create_index('ix_groups_next_flush_at', ['next_flush_at'], unique=False)

    op.create_table('group_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('camera_event_id', sa.Integer(), nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=False),
    sa.Column('license', sa.String(length=200), nullable=False),
    sa.Column('serial', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('condition', sa.String(length=400), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('held', sa.Boolean(), nullable=False),
    sa.Column('due_at', sa.Float(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=True),
    sa.Column('notification_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.Column('done_at', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['camera_event_id'], ['camera_events.id'],
                            name=op.f('fk_group_items_camera_event_id_camera_events'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'],
                            name=op.f('fk_group_items_group_id_groups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_group_items')),
    sa.UniqueConstraint('group_id', 'camera_event_id', 'kind',
                        name=op.f('uq_group_items_group_id_camera_event_id_kind'))
    )
    with op.batch_alter_table('group_items', schema=None) as batch_op:
        batch_op.create_index('ix_group_items_group_id_state', ['group_id', 'state'],
                              unique=False)

    op.create_table('notification_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('receiver', sa.String(length=200), nullable=False),
    sa.Column('license', sa.String(length=200), nullable=False),
    sa.Column('serial', sa.String(length=200), nullable=False),
    sa.Column('route', sa.String(length=200), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('condition', sa.String(length=400), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('send_resolved', sa.Boolean(), nullable=False),
    sa.Column('camera_event_id', sa.Integer(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('first_sent_at', sa.Float(), nullable=False),
    sa.Column('last_sent_at', sa.Float(), nullable=False),
    sa.Column('notification_id', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_log')),
    sa.UniqueConstraint('receiver', 'license', 'serial',
                        name=op.f('uq_notification_log_receiver_license_serial'))
    )
    with op.batch_alter_table('notification_log', schema=None) as batch_op:
        batch_op.create_index('ix_notification_log_license_serial', ['license', 'serial'],
                              unique=False)

    op.create_table('camera_state',
    sa.Column('license', sa.String(length=200), nullable=False),
    sa.Column('serial', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=40), nullable=False),
    sa.Column('active', sa.JSON(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.Float(), nullable=False),
    sa.Column('last_normal_at', sa.Float(), nullable=True),
    sa.PrimaryKeyConstraint('license', 'serial', name=op.f('pk_camera_state'))
    )

    op.create_table('silences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('matchers', sa.JSON(), nullable=False),
    sa.Column('starts_at', sa.Float(), nullable=False),
    sa.Column('ends_at', sa.Float(), nullable=False),
    sa.Column('author', sa.String(length=200), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.Column('updated_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_silences'))
    )
    with op.batch_alter_table('silences', schema=None) as batch_op:
        batch_op.create_index('ix_silences_ends_at', ['ends_at'], unique=False)

    op.create_table('target_rates',
    sa.Column('target_key', sa.String(length=64), nullable=False),
    sa.Column('window_start', sa.Float(), nullable=False),
    sa.Column('sent', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('target_key', name=op.f('pk_target_rates'))
    )

    # Notifications now come from group flushes (many alerts), fallbacks and digests.
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.alter_column('alert_id', existing_type=sa.Integer(), nullable=True)
        batch_op.drop_constraint('uq_notifications_alert_id_route_receiver', type_='unique')
        batch_op.add_column(sa.Column('group_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('flush_no', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('kind', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('fallback_of', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(
            op.f('uq_notifications_group_id_flush_no_kind'), ['group_id', 'flush_no', 'kind'])
        batch_op.create_unique_constraint(
            op.f('uq_notifications_fallback_of_receiver'), ['fallback_of', 'receiver'])

    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('rate_limit', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('rate_period', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('budget_from', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('age_from', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('merged_into', sa.Integer(), nullable=True))
        batch_op.create_index('ix_deliveries_target_key_state', ['target_key', 'state'],
                              unique=False)

    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('code', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('notification_id', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_column('notification_id')
        batch_op.drop_column('code')

    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_deliveries_target_key_state')
        for name in ('merged_into', 'age_from', 'budget_from', 'rate_period', 'rate_limit',
                     'message'):
            batch_op.drop_column(name)

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('uq_notifications_fallback_of_receiver'), type_='unique')
        batch_op.drop_constraint(op.f('uq_notifications_group_id_flush_no_kind'),
                                 type_='unique')
        for name in ('fallback_of', 'reason', 'kind', 'flush_no', 'group_id'):
            batch_op.drop_column(name)
        batch_op.create_unique_constraint('uq_notifications_alert_id_route_receiver',
                                          ['alert_id', 'route', 'receiver'])
        batch_op.alter_column('alert_id', existing_type=sa.Integer(), nullable=False)

    op.drop_table('target_rates')
    with op.batch_alter_table('silences', schema=None) as batch_op:
        batch_op.drop_index('ix_silences_ends_at')
    op.drop_table('silences')
    op.drop_table('camera_state')
    with op.batch_alter_table('notification_log', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_log_license_serial')
    op.drop_table('notification_log')
    with op.batch_alter_table('group_items', schema=None) as batch_op:
        batch_op.drop_index('ix_group_items_group_id_state')
    op.drop_table('group_items')
    with op.batch_alter_table('groups', schema=None) as batch_op:
        batch_op.drop_index('ix_groups_next_flush_at')
    op.drop_table('groups')
