"""The Dynamics 365 instance names typed on the Review step, kept on the checkout draft (cart line id ->
name) so that leaving the step and coming back, or a reload, loses nothing typed.

Revision ID: d6f8a0b2c4e7
Revises: c5e7a9b1d3f6
Create Date: 2026-11-30 00:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'd6f8a0b2c4e7'
down_revision = 'c5e7a9b1d3f6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('checkout_drafts') as batch_op:
        batch_op.add_column(sa.Column('instance_names', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('checkout_drafts') as batch_op:
        batch_op.drop_column('instance_names')
