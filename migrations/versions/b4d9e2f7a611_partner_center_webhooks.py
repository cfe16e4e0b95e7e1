"""Partner Center webhooks (issue 14): each connection's registration and the events it received.

Revision ID: b4d9e2f7a611
Revises: 1ff03764da05
Create Date: 2026-11-29 17:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b4d9e2f7a611'
down_revision = '1ff03764da05'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('partner_center_webhooks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('connection', sa.String(length=64), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('events', sa.Text(), nullable=True),
    sa.Column('problem', sa.Text(), nullable=True),
    sa.Column('registered_at', sa.DateTime(), nullable=True),
    sa.Column('last_event_at', sa.DateTime(), nullable=True),
    sa.Column('events_received', sa.Integer(), nullable=False),
    sa.Column('refused', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_center_webhooks')),
    sa.UniqueConstraint('connection', name=op.f('uq_partner_center_webhooks_connection')),
    sa.UniqueConstraint('token', name=op.f('uq_partner_center_webhooks_token'))
    )
    op.create_table('partner_center_webhook_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('connection', sa.String(length=64), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('resource_uri', sa.Text(), nullable=False),
    sa.Column('changed_at', sa.String(length=64), nullable=True),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('handled_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_center_webhook_events')),
    sa.UniqueConstraint('connection', 'digest', name='uq_webhook_event_digest')
    )


def downgrade():
    op.drop_table('partner_center_webhook_events')
    op.drop_table('partner_center_webhooks')
