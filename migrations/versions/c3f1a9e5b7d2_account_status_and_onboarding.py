"""accounts: status (suspend, reactivate), a reseller's markets and Partner Center readiness, a
direct customer's billing address.

Existing accounts are active; their partner IDs are not checked yet ("unchecked") until the
operator checks them on the account's page.

Revision ID: c3f1a9e5b7d2
Revises: e7a2c4b9d130
Create Date: 2026-12-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3f1a9e5b7d2'
down_revision = 'e7a2c4b9d130'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=16), server_default='active', nullable=False))
        batch_op.add_column(sa.Column('suspended_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('suspension_reason', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('markets', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('address_line1', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('address_line2', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('city', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('state', sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column('postal_code', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('partner_status', sa.String(length=16), server_default='unchecked',
                                      nullable=False))
        batch_op.add_column(sa.Column('partner_status_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('partner_checked_at', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_accounts_status'), ['status'], unique=False)
        batch_op.create_check_constraint('status', "status IN ('active', 'suspended')")
        batch_op.create_check_constraint('partner_status', "partner_status IN ('unchecked', 'ready', 'inquiring')")


def downgrade():
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_accounts_partner_status'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_accounts_status'), type_='check')
        batch_op.drop_index(batch_op.f('ix_accounts_status'))
        for column in ('partner_checked_at', 'partner_status_reason', 'partner_status', 'postal_code', 'state',
                       'city', 'address_line2', 'address_line1', 'markets', 'suspension_reason', 'suspended_at',
                       'status'):
            batch_op.drop_column(column)
