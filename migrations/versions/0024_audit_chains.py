"""audit_log.chain: the journal is several hash chains, one per writer that appends in bulk

Every worker's transaction appends the audit entries of the incidents it opened, and a chain
has one tail: with a single chain the second worker waited for the first one's commit. Each
worker now appends to its own chain ("worker:<name>"), everyone else to "main"; each chain is
linked and verified on its own, so the unique predecessor is per chain.

Revision ID: 0024
Revises: 0023
"""
import sqlalchemy as sa
from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None

# SQLite's unique constraints have no names; batch mode names the one of 0003 by this convention.
NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _old_unique() -> str:
    if op.get_bind().dialect.name == "sqlite":
        return "uq_audit_log_prev_hash"
    return "audit_log_prev_hash_key"  # PostgreSQL's default name for 0003's UniqueConstraint('prev_hash')


def upgrade() -> None:
    with op.batch_alter_table("audit_log", naming_convention=NAMING) as batch:
        batch.add_column(sa.Column("chain", sa.String(64), nullable=False, server_default="main"))
        batch.drop_constraint(_old_unique(), type_="unique")
        batch.create_unique_constraint("uq_audit_chain_prev", ["chain", "prev_hash"])
        batch.create_index("ix_audit_chain_id", ["chain", "id"])


def downgrade() -> None:
    with op.batch_alter_table("audit_log", naming_convention=NAMING) as batch:
        batch.drop_index("ix_audit_chain_id")
        batch.drop_constraint("uq_audit_chain_prev", type_="unique")
        batch.create_unique_constraint(_old_unique(), ["prev_hash"])
        batch.drop_column("chain")
