"""faults: one Message-ID per outbox message for all its tries; signed audit checkpoints

Revision ID: 0017faults
Revises: 0020roster
Create Date: 2026-12-03 14:10:00

"""
from alembic import op
import sqlalchemy as sa

import caseflow.db


# revision identifiers, used by Alembic.
revision = '0017faults'
down_revision = '0020roster'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_id', sa.String(length=255), nullable=True))
    # Messages queued before: the id their next try will carry from now on.
    op.execute("UPDATE outbox_messages SET message_id = '<outbox-' || id || '@caseflow>' WHERE message_id IS NULL")
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.alter_column('message_id', existing_type=sa.String(length=255), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_outbox_messages_message_id'), ['message_id'])

    op.create_table('audit_checkpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chain', sa.String(length=60), nullable=False),
    sa.Column('event_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('event_hash', sa.String(length=64), nullable=False),
    sa.Column('signed_at', caseflow.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('key_id', sa.String(length=64), nullable=False),
    sa.Column('signature', sa.String(length=128), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_checkpoints'))
    )
    with op.batch_alter_table('audit_checkpoints', schema=None) as batch_op:
        batch_op.create_index('ix_audit_checkpoints_chain_event', ['chain', 'event_id'], unique=False)


def downgrade():
    with op.batch_alter_table('audit_checkpoints', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_checkpoints_chain_event')
    op.drop_table('audit_checkpoints')
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_outbox_messages_message_id'), type_='unique')
        batch_op.drop_column('message_id')
