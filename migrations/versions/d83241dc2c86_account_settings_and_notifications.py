"""account settings: archived licensees, a category on every notification, each account's notification
settings per category, each user's email opt-outs, and what a catalog sync found (for the accounts
that follow catalog changes).

Existing notifications were all about orders, renewals or work stopped at a deadline: renewals
(linked to a subscription) become "subscriptions", catalog syncs "catalog", the rest "orders".

Revision ID: d83241dc2c86
Revises: c3f1a9e5b7d2
Create Date: 2026-11-29 14:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd83241dc2c86'
down_revision = 'c3f1a9e5b7d2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('licensees', schema=None) as batch_op:
        batch_op.add_column(sa.Column('archived_at', sa.DateTime(), nullable=True))

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('category', sa.String(length=32), nullable=True))
    op.execute("UPDATE notifications SET category = 'subscriptions' WHERE link LIKE '/subscriptions/%'")
    op.execute("UPDATE notifications SET category = 'catalog' WHERE title LIKE 'Catalog sync %'")
    op.execute("UPDATE notifications SET category = 'orders' WHERE category IS NULL")
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.alter_column('category', existing_type=sa.String(length=32), nullable=False)

    op.create_table(
        'notification_settings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('category', sa.String(length=32), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('recipients', sa.String(length=16), nullable=False),
        sa.Column('extra_emails', sa.JSON(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("recipients IN ('concerned', 'admins', 'everyone')", name='recipients'),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('account_id', 'category', name='uq_notification_settings_account_category'),
    )
    with op.batch_alter_table('notification_settings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_settings_account_id'), ['account_id'], unique=False)

    op.create_table(
        'notification_opt_outs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('category', sa.String(length=32), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'category', name='uq_notification_opt_outs_user_category'),
    )
    with op.batch_alter_table('notification_opt_outs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_opt_outs_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('catalog_syncs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('changes', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('catalog_syncs', schema=None) as batch_op:
        batch_op.drop_column('changes')
    with op.batch_alter_table('notification_opt_outs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_opt_outs_user_id'))
    op.drop_table('notification_opt_outs')
    with op.batch_alter_table('notification_settings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_settings_account_id'))
    op.drop_table('notification_settings')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('category')
    with op.batch_alter_table('licensees', schema=None) as batch_op:
        batch_op.drop_column('archived_at')
