"""shift statistics: shift patterns, response-time targets, each incident's milestone times (backfilled)

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shift_patterns",
        sa.Column("department_id", sa.Integer(), sa.ForeignKey("departments.id"), primary_key=True),
        sa.Column("starts", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "response_targets",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("department_id", sa.Integer(), sa.ForeignKey("departments.id"), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=True),
        sa.Column("interval", sa.String(32), nullable=False),
        sa.Column("target_s", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("department_id", "priority", "interval", name="uq_response_targets_scope"),
    )
    # Each incident carries its milestones, as a CAD's incident times do; the history stays the record.
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("acknowledged_by", sa.String(64), nullable=True))
        batch.add_column(sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("arrived_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
    taken = ("SELECT min(at) FROM incident_history h WHERE h.incident_id = incidents.id "
             "AND h.action IN ('acknowledge', 'dispatch')")
    op.execute(f"""UPDATE incidents SET
        acknowledged_at = ({taken}),
        acknowledged_by = (SELECT h.actor FROM incident_history h WHERE h.incident_id = incidents.id
                           AND h.action IN ('acknowledge', 'dispatch') ORDER BY h.at, h.id LIMIT 1),
        dispatched_at = (SELECT min(u.dispatched_at) FROM incident_units u WHERE u.incident_id = incidents.id),
        arrived_at = (SELECT min(u.arrived_at) FROM incident_units u WHERE u.incident_id = incidents.id),
        resolved_at = (SELECT max(at) FROM incident_history h WHERE h.incident_id = incidents.id
                       AND h.action = 'resolve'),
        closed_at = (SELECT max(at) FROM incident_history h WHERE h.incident_id = incidents.id
                     AND h.action IN ('close', 'auto_close'))""")
    op.create_index("ix_incidents_department_created", "incidents", ["department_id", "created_at"])
    op.create_index("ix_incidents_department_updated", "incidents", ["department_id", "updated_at"])
    op.create_index("ix_incident_history_at", "incident_history", ["at"],
                    postgresql_include=["action", "actor", "incident_id"])
    op.create_index("ix_incident_units_dispatched_at", "incident_units", ["dispatched_at"])


def downgrade() -> None:
    op.drop_index("ix_incident_units_dispatched_at", "incident_units")
    op.drop_index("ix_incident_history_at", "incident_history")
    op.drop_index("ix_incidents_department_updated", "incidents")
    op.drop_index("ix_incidents_department_created", "incidents")
    with op.batch_alter_table("incidents") as batch:
        for column in ("closed_at", "resolved_at", "arrived_at", "dispatched_at", "acknowledged_by"):
            batch.drop_column(column)
    op.drop_table("response_targets")
    op.drop_table("shift_patterns")
