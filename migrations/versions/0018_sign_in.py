"""sign in: district sign-in providers, TOTP and recovery codes, password-reset tokens

Revision ID: 0018signin
Revises: 0015gatevoices
Create Date: 2026-12-03 13:45:32.024194

"""
from alembic import op
import sqlalchemy as sa

import caseflow.db


# revision identifiers, used by Alembic.
revision = '0018signin'
down_revision = '0015gatevoices'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sign_in_providers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('google', 'entra', 'oidc', name='provider_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('discovery_url', sa.String(length=500), nullable=False),
    sa.Column('client_id', sa.String(length=255), nullable=False),
    sa.Column('client_secret_ref', sa.String(length=500), nullable=False),
    sa.Column('hosted_domain', sa.String(length=253), nullable=True),
    sa.Column('tenant_id', sa.String(length=64), nullable=True),
    sa.Column('local_passwords', sa.Boolean(), nullable=False),
    sa.Column('created_at', caseflow.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', caseflow.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("client_secret_ref LIKE 'env:%' OR client_secret_ref LIKE 'file:%'", name=op.f('ck_sign_in_providers_secret_ref')),
    sa.CheckConstraint("kind <> 'entra' OR tenant_id IS NOT NULL", name=op.f('ck_sign_in_providers_entra_tenant')),
    sa.CheckConstraint("kind <> 'google' OR hosted_domain IS NOT NULL", name=op.f('ck_sign_in_providers_google_domain')),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_sign_in_providers_district_id_districts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_providers')),
    sa.UniqueConstraint('district_id', name=op.f('uq_sign_in_providers_district_id'))
    )
    op.create_table('password_reset_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', caseflow.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', caseflow.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', caseflow.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_password_reset_tokens_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_reset_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_password_reset_tokens_token_hash'))
    )
    with op.batch_alter_table('password_reset_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_password_reset_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('recovery_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', caseflow.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', caseflow.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_recovery_codes_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_codes')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_recovery_codes_code_hash'))
    )
    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recovery_codes_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('break_glass', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('totp_enabled_at', caseflow.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.BigInteger(), nullable=True))



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_enabled_at')
        batch_op.drop_column('totp_secret')
        batch_op.drop_column('break_glass')

    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recovery_codes_user_id'))

    op.drop_table('recovery_codes')
    with op.batch_alter_table('password_reset_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_password_reset_tokens_user_id'))

    op.drop_table('password_reset_tokens')
    op.drop_table('sign_in_providers')
