"""dead-letter replay bookkeeping

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dead_letters") as batch:
        batch.add_column(sa.Column("replayed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("replay_result", sa.Text(), nullable=False, server_default=""))
        batch.create_index("ix_dead_letters_received_at", ["received_at"])


def downgrade() -> None:
    with op.batch_alter_table("dead_letters") as batch:
        batch.drop_index("ix_dead_letters_received_at")
        batch.drop_column("replay_result")
        batch.drop_column("replayed_at")
