"""Dynamics 365 instances (issue 16): the instance name a buyer gives a Dynamics 365 order line when the
storefront option "Create a new Dynamics subscription for every order" is on (it becomes the new
subscription's friendly name in Partner Center).

Revision ID: b4d6f8a1c3e5
Revises: a9c3e5f7b2d4
Create Date: 2026-11-29 21:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'b4d6f8a1c3e5'
down_revision = 'a9c3e5f7b2d4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('order_lines') as batch_op:
        batch_op.add_column(sa.Column('instance_name', sa.String(length=128), nullable=True))


def downgrade():
    with op.batch_alter_table('order_lines') as batch_op:
        batch_op.drop_column('instance_name')
