"""gdap_requests: a reseller's GDAP request per account and customer tenant, with its approval link
and its last known status (issue 13).

Revision ID: c4e1a9d7f320
Revises: b8d2f6a41c97
Create Date: 2026-11-29 16:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4e1a9d7f320'
down_revision = 'b8d2f6a41c97'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'gdap_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('domain', sa.String(length=253), nullable=False),
        sa.Column('customer_tenant_id', sa.String(length=64), nullable=True),
        sa.Column('relationship_id', sa.String(length=80), nullable=False),
        sa.Column('approval_link', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=32), nullable=False),
        sa.Column('ends_at', sa.DateTime(), nullable=True),
        sa.Column('requested_at', sa.DateTime(), nullable=False),
        sa.Column('requested_by_id', sa.Integer(), nullable=True),
        sa.Column('checked_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ),
        sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('relationship_id'),
    )
    with op.batch_alter_table('gdap_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gdap_requests_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_gdap_requests_domain'), ['domain'], unique=False)


def downgrade():
    with op.batch_alter_table('gdap_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gdap_requests_domain'))
        batch_op.drop_index(batch_op.f('ix_gdap_requests_account_id'))
    op.drop_table('gdap_requests')
