"""partner programs and certificates (issue 15): the program's settings, resellers' certificates,
"Become a partner" requests, and the certificate a checkout chose and an order was placed with.

Revision ID: 60c94f7187c7
Revises: e3b7c1d9a450
Create Date: 2026-11-29 17:46:57.806073

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '60c94f7187c7'
down_revision = 'e3b7c1d9a450'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('programs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('terms', sa.Text(), nullable=False),
    sa.Column('validity_days', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programs')),
    sa.UniqueConstraint('key', name=op.f('uq_programs_key'))
    )
    op.create_table('certificates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('program_key', sa.String(length=32), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('check_status', sa.String(length=16), nullable=False),
    sa.Column('partner_id', sa.String(length=20), nullable=False),
    sa.Column('contact_email', sa.String(length=254), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('indirect_reseller_id', sa.String(length=64), nullable=True),
    sa.Column('problem_code', sa.String(length=32), nullable=True),
    sa.Column('problem', sa.Text(), nullable=True),
    sa.Column('steps_to_take', sa.JSON(), nullable=True),
    sa.Column('refusal_reason', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('checked_at', sa.DateTime(), nullable=True),
    sa.Column('activated_at', sa.DateTime(), nullable=True),
    sa.Column('expires_at', sa.DateTime(), nullable=True),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_certificates_account_id_accounts')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_certificates_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificates')),
    sa.UniqueConstraint('number', name=op.f('uq_certificates_number'))
    )
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificates_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificates_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificates_status'), ['status'], unique=False)

    op.create_table('partner_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('partner_id', sa.String(length=20), nullable=True),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('handled_at', sa.DateTime(), nullable=True),
    sa.Column('handled_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_partner_requests_account_id_accounts')),
    sa.ForeignKeyConstraint(['handled_by_id'], ['users.id'], name=op.f('fk_partner_requests_handled_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_requests'))
    )
    with op.batch_alter_table('partner_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_requests_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_partner_requests_status'), ['status'], unique=False)

    with op.batch_alter_table('checkout_drafts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('certificate_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_checkout_drafts_certificate_id_certificates'), 'certificates', ['certificate_id'], ['id'])

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('certificate_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_orders_certificate_id_certificates'), 'certificates', ['certificate_id'], ['id'])



def downgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_orders_certificate_id_certificates'), type_='foreignkey')
        batch_op.drop_column('certificate_id')

    with op.batch_alter_table('checkout_drafts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_checkout_drafts_certificate_id_certificates'), type_='foreignkey')
        batch_op.drop_column('certificate_id')

    with op.batch_alter_table('partner_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partner_requests_status'))
        batch_op.drop_index(batch_op.f('ix_partner_requests_created_at'))

    op.drop_table('partner_requests')
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificates_status'))
        batch_op.drop_index(batch_op.f('ix_certificates_created_at'))
        batch_op.drop_index(batch_op.f('ix_certificates_account_id'))

    op.drop_table('certificates')
    op.drop_table('programs')
