"""Buy now (issue 15): a cart per user and purpose: the cart, or the one product of a Buy now.

Revision ID: d5f1a2b3c4e6
Revises: c2e8f4a6d1b3
Create Date: 2026-11-29 18:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'd5f1a2b3c4e6'
down_revision = 'c2e8f4a6d1b3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('carts') as batch_op:
        batch_op.add_column(sa.Column('purpose', sa.String(length=16), nullable=False, server_default='cart'))
        batch_op.drop_constraint('uq_carts_user_id', type_='unique')
        batch_op.create_unique_constraint('uq_carts_user_id_purpose', ['user_id', 'purpose'])


def downgrade():
    op.execute("DELETE FROM cart_lines WHERE cart_id IN (SELECT id FROM carts WHERE purpose <> 'cart')")
    op.execute("DELETE FROM carts WHERE purpose <> 'cart'")
    with op.batch_alter_table('carts') as batch_op:
        batch_op.drop_constraint('uq_carts_user_id_purpose', type_='unique')
        batch_op.create_unique_constraint('uq_carts_user_id', ['user_id'])
        batch_op.drop_column('purpose')
