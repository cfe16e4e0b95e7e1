"""the authorization gate per draft, tenant locks, re-gated orders.

- checkout_drafts: why a tenant was refused (authorization_problem); last_seen_at, which nothing
  read, goes.
- domain_reservations: the account of the checkout that holds the domain (orders check it too).
- tenant_locks: one row per tenant key, locked while an order for that tenant is recorded.
- orders: needs_authorization and authorization_link, for an order moved to another tenant.

Revision ID: a7c3e9d2b410
Revises: f2883b188a1f
Create Date: 2026-11-29 12:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e9d2b410'
down_revision = 'f2883b188a1f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('checkout_drafts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('authorization_problem', sa.Text(), nullable=True))
        batch_op.drop_column('last_seen_at')
    with op.batch_alter_table('domain_reservations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('account_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_domain_reservations_account_id_accounts'), 'accounts',
                                    ['account_id'], ['id'])
    op.execute("UPDATE domain_reservations SET account_id = (SELECT account_id FROM checkout_drafts "
               "WHERE checkout_drafts.id = domain_reservations.draft_id)")
    op.create_table('tenant_locks',
                    sa.Column('key', sa.String(length=253), nullable=False),
                    sa.PrimaryKeyConstraint('key', name=op.f('pk_tenant_locks')))
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('needs_authorization', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.add_column(sa.Column('authorization_link', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('authorization_link')
        batch_op.drop_column('needs_authorization')
    op.drop_table('tenant_locks')
    with op.batch_alter_table('domain_reservations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_domain_reservations_account_id_accounts'), type_='foreignkey')
        batch_op.drop_column('account_id')
    with op.batch_alter_table('checkout_drafts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_seen_at', sa.DateTime(), nullable=False,
                                      server_default=sa.func.now()))
        batch_op.drop_column('authorization_problem')
