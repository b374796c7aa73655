"""camera heading and field of view

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cameras") as batch:
        batch.add_column(sa.Column("heading", sa.Double(), nullable=True))
        batch.add_column(sa.Column("field_of_view", sa.Double(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cameras") as batch:
        batch.drop_column("field_of_view")
        batch.drop_column("heading")
