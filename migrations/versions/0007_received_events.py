"""received events

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('received_events',
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.String(length=128), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['operator_id'], ['operators.id'], ),
    sa.PrimaryKeyConstraint('operator_id', 'event_id')
    )

    # Events stored before this table existed keep their idempotency.
    op.execute("INSERT INTO received_events (operator_id, event_id, received_at) "
               "SELECT operator_id, event_id, received_at FROM events")

def downgrade() -> None:
    op.drop_table('received_events')
