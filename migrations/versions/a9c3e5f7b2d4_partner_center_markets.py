"""Several Partner Center instances (issue 16): which connection serves each market, an account's
pinned connection, and the connection of authorization watches and GDAP requests.

Revision ID: a9c3e5f7b2d4
Revises: d5f1a2b3c4e6
Create Date: 2026-11-29 21:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'a9c3e5f7b2d4'
down_revision = 'd5f1a2b3c4e6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'partner_center_markets',
        sa.Column('market', sa.String(length=2), nullable=False),
        sa.Column('connection', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('market', name=op.f('pk_partner_center_markets')),
    )
    with op.batch_alter_table('accounts') as batch_op:
        batch_op.add_column(sa.Column('partner_center_connection', sa.String(length=64), nullable=True))
    with op.batch_alter_table('authorization_watches') as batch_op:
        batch_op.add_column(sa.Column('connection', sa.String(length=64), nullable=False, server_default='default'))
    with op.batch_alter_table('gdap_requests') as batch_op:
        batch_op.add_column(sa.Column('connection', sa.String(length=64), nullable=False, server_default='default'))


def downgrade():
    with op.batch_alter_table('gdap_requests') as batch_op:
        batch_op.drop_column('connection')
    with op.batch_alter_table('authorization_watches') as batch_op:
        batch_op.drop_column('connection')
    with op.batch_alter_table('accounts') as batch_op:
        batch_op.drop_column('partner_center_connection')
    op.drop_table('partner_center_markets')
