"""GDAP in the reseller's name (issue 13): a reseller's partner tenant connected for GDAP (its
administrator's admin consent to the storefront's app, per account), and whose relationship a GDAP
request is (the reseller's tenant, or none: the distributor's).

Revision ID: c5e7a9b1d3f6
Revises: b4d6f8a1c3e5
Create Date: 2026-11-29 21:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'c5e7a9b1d3f6'
down_revision = 'b4d6f8a1c3e5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'reseller_tenant_consents',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('tenant_id', sa.String(length=64), nullable=False),
        sa.Column('connection', sa.String(length=64), nullable=False),
        sa.Column('consented_at', sa.DateTime(), nullable=False),
        sa.Column('consented_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_reseller_tenant_consents_account_id_accounts')),
        sa.ForeignKeyConstraint(['consented_by_id'], ['users.id'], name=op.f('fk_reseller_tenant_consents_consented_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reseller_tenant_consents')),
        sa.UniqueConstraint('account_id', name=op.f('uq_reseller_tenant_consents_account_id')),
    )
    with op.batch_alter_table('gdap_requests') as batch_op:
        batch_op.add_column(sa.Column('partner_tenant_id', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('gdap_requests') as batch_op:
        batch_op.drop_column('partner_tenant_id')
    op.drop_table('reseller_tenant_consents')
