"""the default Partner Center connection, and rotated refresh tokens saved back.

- partner_center_instances.is_default: which connection serves a request is chosen by a rule
  (the only one, or the one marked default), never by the name "default".
- partner_center_instances.rotated_refresh_token_encrypted: the newest App+User refresh token
  Entra returned, apart from the one the operator entered.

An installation that had a connection named "default" keeps it as the default one; one with a
single connection marks that one.

Revision ID: b5d1e7f3a902
Revises: a7c3e9d2b410
Create Date: 2026-11-29 12:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b5d1e7f3a902'
down_revision = 'a7c3e9d2b410'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('partner_center_instances', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_default', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('rotated_refresh_token_encrypted', sa.Text(), nullable=True))
    op.execute("UPDATE partner_center_instances SET is_default = TRUE WHERE name = 'default'")
    op.execute("UPDATE partner_center_instances SET is_default = TRUE "
               "WHERE (SELECT COUNT(*) FROM partner_center_instances) = 1")


def downgrade():
    with op.batch_alter_table('partner_center_instances', schema=None) as batch_op:
        batch_op.drop_column('rotated_refresh_token_encrypted')
        batch_op.drop_column('is_default')
