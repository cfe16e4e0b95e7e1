"""order_steps.kind: which registered runner runs a step.

The provisioning engine runs each step by the runner registered for its kind (app/orders/engine.py)
instead of guessing from the step's name. A purchase step's kind is its name; the steps of orders on
existing subscriptions (named change_1, change_2, ...) are of subscriptions' kind
"change_subscription".

Revision ID: d4e8a1c7f203
Revises: b5d1e7f3a902
Create Date: 2026-11-29 13:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd4e8a1c7f203'
down_revision = 'b5d1e7f3a902'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('order_steps', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=32), nullable=True))
    op.execute("UPDATE order_steps SET kind = 'change_subscription' WHERE name LIKE 'change%'")
    op.execute("UPDATE order_steps SET kind = name WHERE kind IS NULL")
    with op.batch_alter_table('order_steps', schema=None) as batch_op:
        batch_op.alter_column('kind', existing_type=sa.String(length=32), nullable=False)


def downgrade():
    with op.batch_alter_table('order_steps', schema=None) as batch_op:
        batch_op.drop_column('kind')
