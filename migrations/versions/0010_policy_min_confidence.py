"""policy rules may require a minimum analytic confidence

Revision ID: 0010
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('priority_rules') as batch:
        batch.add_column(sa.Column('min_confidence', sa.Double(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('priority_rules') as batch:
        batch.drop_column('min_confidence')
