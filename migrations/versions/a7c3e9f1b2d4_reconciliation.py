"""Subscriptions reconciliation (issue 16): runs and their findings.

Revision ID: a7c3e9f1b2d4
Revises: b4d9e2f7a611
Create Date: 2026-11-29 18:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e9f1b2d4'
down_revision = 'b4d9e2f7a611'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reconciliation_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('trigger', sa.String(length=16), nullable=False),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('scope_id', sa.Integer(), nullable=True),
    sa.Column('scope_label', sa.String(length=300), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('customers_total', sa.Integer(), nullable=False),
    sa.Column('customers_done', sa.Integer(), nullable=False),
    sa.Column('subscriptions_checked', sa.Integer(), nullable=False),
    sa.Column('findings_count', sa.Integer(), nullable=False),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('problems', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_reconciliation_runs_requested_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reconciliation_runs'))
    )
    with op.batch_alter_table('reconciliation_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reconciliation_runs_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_reconciliation_runs_status'), ['status'], unique=False)

    op.create_table('reconciliation_findings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=True),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('partner_center_instance', sa.String(length=64), nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('ms_subscription_id', sa.String(length=64), nullable=False),
    sa.Column('customer_name', sa.String(length=200), nullable=True),
    sa.Column('tenant_domain', sa.String(length=253), nullable=True),
    sa.Column('product', sa.String(length=300), nullable=True),
    sa.Column('storefront_value', sa.String(length=300), nullable=True),
    sa.Column('partner_center_value', sa.String(length=300), nullable=True),
    sa.Column('remote', sa.JSON(), nullable=True),
    sa.Column('resolution', sa.String(length=32), nullable=True),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('order_number', sa.String(length=20), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_reconciliation_findings_account_id_accounts')),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['users.id'], name=op.f('fk_reconciliation_findings_resolved_by_id_users')),
    sa.ForeignKeyConstraint(['run_id'], ['reconciliation_runs.id'], name=op.f('fk_reconciliation_findings_run_id_reconciliation_runs')),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscriptions.id'], name=op.f('fk_reconciliation_findings_subscription_id_subscriptions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reconciliation_findings'))
    )
    with op.batch_alter_table('reconciliation_findings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reconciliation_findings_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reconciliation_findings_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_reconciliation_findings_ms_subscription_id'), ['ms_subscription_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reconciliation_findings_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reconciliation_findings_subscription_id'), ['subscription_id'], unique=False)


def downgrade():
    op.drop_table('reconciliation_findings')
    op.drop_table('reconciliation_runs')
