"""audit chains: one hash chain per district and a system chain, each with a head row

Events written before keep their hashes: they were linked as one chain, so they all stay in
the system chain (district_id NULL), whose head is built here by walking them. District
chains start empty, each from its own genesis hash.

Revision ID: 0023chains
Revises: 0022edfi
Create Date: 2026-12-03 18:10:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0023chains'
down_revision = "0022edfi"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('district_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_audit_events_district_id_districts'), 'districts', ['district_id'], ['id']
        )
        batch_op.create_index('ix_audit_events_chain', ['district_id', 'id'], unique=False)

    heads = op.create_table('audit_chain_heads',
    sa.Column('chain', sa.String(length=40), nullable=False),
    sa.Column('last_event_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.Column('event_count', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.PrimaryKeyConstraint('chain', name=op.f('pk_audit_chain_heads'))
    )

    # The system chain's head: its newest event and how many there are.
    conn = op.get_bind()
    count = conn.execute(sa.text("SELECT count(*) FROM audit_events")).scalar()
    if count:
        last_id, last_hash = conn.execute(
            sa.text("SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1")
        ).one()
        op.bulk_insert(heads, [
            {'chain': 'system', 'last_event_id': last_id, 'last_hash': last_hash, 'event_count': count}
        ])


def downgrade():
    # District chains cannot be merged back into one chain; refuse rather than lose evidence.
    conn = op.get_bind()
    if conn.execute(sa.text("SELECT count(*) FROM audit_events WHERE district_id IS NOT NULL")).scalar():
        raise RuntimeError("audit events were written to district chains: they cannot rejoin one chain")
    op.drop_table('audit_chain_heads')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_chain')
        batch_op.drop_constraint(batch_op.f('fk_audit_events_district_id_districts'), type_='foreignkey')
        batch_op.drop_column('district_id')
