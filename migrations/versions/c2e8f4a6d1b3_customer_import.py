"""Import Partner Center customers (issue 16): runs and the customers they found.

Revision ID: c2e8f4a6d1b3
Revises: a7c3e9f1b2d4
Create Date: 2026-11-29 18:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c2e8f4a6d1b3'
down_revision = 'a7c3e9f1b2d4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('customer_import_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('pages_read', sa.Integer(), nullable=False),
    sa.Column('customers_read', sa.Integer(), nullable=False),
    sa.Column('candidates_count', sa.Integer(), nullable=False),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('problems', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_customer_import_runs_requested_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_import_runs'))
    )
    with op.batch_alter_table('customer_import_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_import_runs_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_import_runs_status'), ['status'], unique=False)

    op.create_table('customer_import_candidates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('partner_center_instance', sa.String(length=64), nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('domain', sa.String(length=253), nullable=True),
    sa.Column('company_name', sa.String(length=200), nullable=True),
    sa.Column('facts', sa.JSON(), nullable=True),
    sa.Column('reseller_tenant_id', sa.String(length=64), nullable=True),
    sa.Column('reseller_partner_id', sa.String(length=20), nullable=True),
    sa.Column('reseller_name', sa.String(length=200), nullable=True),
    sa.Column('reseller_account_id', sa.Integer(), nullable=True),
    sa.Column('subscriptions', sa.JSON(), nullable=True),
    sa.Column('imported_at', sa.DateTime(), nullable=True),
    sa.Column('imported_by_id', sa.Integer(), nullable=True),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('licensee_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_customer_import_candidates_account_id_accounts')),
    sa.ForeignKeyConstraint(['imported_by_id'], ['users.id'], name=op.f('fk_customer_import_candidates_imported_by_id_users')),
    sa.ForeignKeyConstraint(['licensee_id'], ['licensees.id'], name=op.f('fk_customer_import_candidates_licensee_id_licensees')),
    sa.ForeignKeyConstraint(['reseller_account_id'], ['accounts.id'], name=op.f('fk_customer_import_candidates_reseller_account_id_accounts')),
    sa.ForeignKeyConstraint(['run_id'], ['customer_import_runs.id'], name=op.f('fk_customer_import_candidates_run_id_customer_import_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_import_candidates'))
    )
    with op.batch_alter_table('customer_import_candidates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_import_candidates_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_import_candidates_tenant_id'), ['tenant_id'], unique=False)


def downgrade():
    op.drop_table('customer_import_candidates')
    op.drop_table('customer_import_runs')
