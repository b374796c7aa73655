"""sop_steps.done_by_dispatch: a step the dispatch itself completes (with this many units sent)

Revision ID: 0022
Revises: 0021
"""
import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sop_steps") as batch:
        batch.add_column(sa.Column("done_by_dispatch", sa.Integer, nullable=True))
    # The shipped "dispatch a unit" steps of an existing install, by their shipped text.
    op.execute("UPDATE sop_steps SET done_by_dispatch = 1 WHERE text LIKE 'Направить наряд%'")
    op.execute("UPDATE sop_steps SET done_by_dispatch = 2 WHERE text LIKE 'Направить не менее 2 нарядов%'")


def downgrade() -> None:
    with op.batch_alter_table("sop_steps") as batch:
        batch.drop_column("done_by_dispatch")
