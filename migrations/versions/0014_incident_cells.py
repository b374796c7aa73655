"""incidents carry their H3 cell: nearby-incident linking through an index, flat in the number of open incidents

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    from services.geo.distance import cell_of

    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("cell", sa.String(16), nullable=True))
    # Only open incidents are ever linked to: the closed ones keep no cell.
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, lat, lon FROM incidents WHERE status IN "
                                "('new', 'transferred', 'acknowledged', 'dispatched', 'on_scene', 'on_hold')")).all()
    if rows:
        bind.execute(sa.text("UPDATE incidents SET cell = :cell WHERE id = :id"),
                     [{"id": pk, "cell": cell_of(lat, lon)} for pk, lat, lon in rows])
    op.create_index("ix_incidents_cell", "incidents", ["cell", "last_seen_at"])


def downgrade() -> None:
    op.drop_index("ix_incidents_cell", "incidents")
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("cell")
