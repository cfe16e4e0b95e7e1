"""migration from a legacy partner portal (issue 15): which accounts, users and licensees came from which
legacy ids and the accounts' migration state, the read-only archive of imported orders and invoices (with
the invoice documents as imported), import runs with their reports, onboarding webinars, and the notices
a user hid.

Revision ID: 1ff03764da05
Revises: 60c94f7187c7
Create Date: 2026-11-29 17:48:14.802539

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1ff03764da05'
down_revision = '60c94f7187c7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('migration_webinars',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_migration_webinars'))
    )
    op.create_table('archive_invoices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('legacy_id', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=64), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=64), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('total', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('order_numbers', sa.JSON(), nullable=False),
    sa.Column('document', sa.LargeBinary(), nullable=False),
    sa.Column('document_name', sa.String(length=200), nullable=False),
    sa.Column('document_type', sa.String(length=100), nullable=False),
    sa.Column('imported_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_archive_invoices_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_archive_invoices')),
    sa.UniqueConstraint('legacy_id', name=op.f('uq_archive_invoices_legacy_id'))
    )
    with op.batch_alter_table('archive_invoices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_archive_invoices_account_id'), ['account_id'], unique=False)

    op.create_table('archive_orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('legacy_id', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=64), nullable=False),
    sa.Column('placed_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=64), nullable=False),
    sa.Column('customer_name', sa.String(length=200), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('total', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('lines', sa.JSON(), nullable=False),
    sa.Column('imported_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_archive_orders_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_archive_orders')),
    sa.UniqueConstraint('legacy_id', name=op.f('uq_archive_orders_legacy_id'))
    )
    with op.batch_alter_table('archive_orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_archive_orders_account_id'), ['account_id'], unique=False)

    op.create_table('migration_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('legacy_id', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('scheduled_for', sa.Date(), nullable=True),
    sa.Column('migrated_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("state IN ('scheduled', 'migrated')", name=op.f('ck_migration_accounts_state')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_migration_accounts_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_migration_accounts')),
    sa.UniqueConstraint('account_id', name=op.f('uq_migration_accounts_account_id')),
    sa.UniqueConstraint('legacy_id', name=op.f('uq_migration_accounts_legacy_id'))
    )
    op.create_table('migration_hidden_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('notice', sa.String(length=16), nullable=False),
    sa.Column('hidden_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_migration_hidden_notices_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_migration_hidden_notices')),
    sa.UniqueConstraint('user_id', 'notice', name='uq_migration_hidden_notice')
    )
    with op.batch_alter_table('migration_hidden_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_migration_hidden_notices_user_id'), ['user_id'], unique=False)

    op.create_table('migration_licensees',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('legacy_id', sa.String(length=64), nullable=False),
    sa.Column('migrated_account_id', sa.Integer(), nullable=False),
    sa.Column('licensee_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['licensee_id'], ['licensees.id'], name=op.f('fk_migration_licensees_licensee_id_licensees')),
    sa.ForeignKeyConstraint(['migrated_account_id'], ['migration_accounts.id'], name=op.f('fk_migration_licensees_migrated_account_id_migration_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_migration_licensees')),
    sa.UniqueConstraint('legacy_id', name=op.f('uq_migration_licensees_legacy_id')),
    sa.UniqueConstraint('licensee_id', name=op.f('uq_migration_licensees_licensee_id'))
    )
    with op.batch_alter_table('migration_licensees', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_migration_licensees_migrated_account_id'), ['migrated_account_id'], unique=False)

    op.create_table('migration_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('report', sa.JSON(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.CheckConstraint("status IN ('queued', 'running', 'finished', 'failed')", name=op.f('ck_migration_runs_status')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_migration_runs_requested_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_migration_runs'))
    )
    op.create_table('migration_users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('legacy_id', sa.String(length=64), nullable=False),
    sa.Column('migrated_account_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('first_name', sa.String(length=60), nullable=False),
    sa.Column('last_name', sa.String(length=60), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('invitation_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("role IN ('admin', 'member')", name=op.f('ck_migration_users_role')),
    sa.ForeignKeyConstraint(['invitation_id'], ['invitations.id'], name=op.f('fk_migration_users_invitation_id_invitations')),
    sa.ForeignKeyConstraint(['migrated_account_id'], ['migration_accounts.id'], name=op.f('fk_migration_users_migrated_account_id_migration_accounts')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_migration_users_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_migration_users')),
    sa.UniqueConstraint('legacy_id', name=op.f('uq_migration_users_legacy_id'))
    )
    with op.batch_alter_table('migration_users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_migration_users_migrated_account_id'), ['migrated_account_id'], unique=False)



def downgrade():
    with op.batch_alter_table('migration_users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_migration_users_migrated_account_id'))

    op.drop_table('migration_users')
    op.drop_table('migration_runs')
    with op.batch_alter_table('migration_licensees', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_migration_licensees_migrated_account_id'))

    op.drop_table('migration_licensees')
    with op.batch_alter_table('migration_hidden_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_migration_hidden_notices_user_id'))

    op.drop_table('migration_hidden_notices')
    op.drop_table('migration_accounts')
    with op.batch_alter_table('archive_orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_archive_orders_account_id'))

    op.drop_table('archive_orders')
    with op.batch_alter_table('archive_invoices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_archive_invoices_account_id'))

    op.drop_table('archive_invoices')
    op.drop_table('migration_webinars')
