"""bus_outbox: the embedded default's durable event queue, written with the id reservation

Revision ID: 0016
Revises: 0015
"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bus_outbox",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("stream", sa.String(32), nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(100), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deliveries", sa.Integer, nullable=False),
    )
    op.create_index("ix_bus_outbox_stream_id", "bus_outbox", ["stream", "id"])


def downgrade() -> None:
    op.drop_index("ix_bus_outbox_stream_id", "bus_outbox")
    op.drop_table("bus_outbox")
