"""order deadlines: when an order last became `processing`.

The order deadline counts from this time. Existing orders take their last change as the best
estimate (an order placed, or sent back by Process, was last updated then).

Revision ID: f2883b188a1f
Revises: ed1c34ca69d1
Create Date: 2026-11-29 11:05:23

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f2883b188a1f'
down_revision = 'ed1c34ca69d1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('processing_since', sa.DateTime(), nullable=True))
    op.execute("UPDATE orders SET processing_since = COALESCE(updated_at, created_at)")


def downgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('processing_since')
