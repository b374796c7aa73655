"""replay: unit tracks, the department on each history entry, trainers' department grants, a 102 caller

Revision ID: 0015
Revises: 0014
"""
import re

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

FROM_DEPARTMENT = re.compile(r"^from department (\d+)")


def upgrade() -> None:
    op.create_table(
        "unit_positions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id"), nullable=False),
        sa.Column("department_id", sa.Integer, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lat", sa.Double(), nullable=False),
        sa.Column("lon", sa.Double(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
    )
    op.create_index("ix_unit_positions_unit_at", "unit_positions", ["unit_id", "at"])
    op.create_index("ix_unit_positions_department_at", "unit_positions", ["department_id", "at"])
    # Every unit's track begins as it stands at the upgrade.
    op.execute("INSERT INTO unit_positions (unit_id, department_id, at, lat, lon, status) "
               "SELECT id, department_id, updated_at, lat, lon, status FROM units")
    op.create_table(
        "department_grants",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("department_id", sa.Integer, sa.ForeignKey("departments.id"), primary_key=True),
        sa.Column("granted_by", sa.String(64), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("caller_name", sa.String(200), nullable=False, server_default=""))
        batch.add_column(sa.Column("caller_phone", sa.String(32), nullable=False, server_default=""))
    with op.batch_alter_table("incident_history") as batch:
        batch.add_column(sa.Column("department_id", sa.Integer, sa.ForeignKey("departments.id",
                                                                              name="fk_incident_history_department"),
                                   nullable=True))
    bind = op.get_bind()
    bind.execute(sa.text("UPDATE incident_history SET department_id = "
                         "(SELECT department_id FROM incidents WHERE incidents.id = incident_history.incident_id)"))
    # Before a transfer the incident was where the transfer's reason says it came from; walk back from the end.
    moved = bind.execute(sa.text("SELECT DISTINCT incident_id FROM incident_history WHERE action = 'transfer'")).scalars().all()
    for incident_id in moved:
        entries = bind.execute(sa.text("SELECT id, action, reason, department_id FROM incident_history "
                                       "WHERE incident_id = :i ORDER BY at DESC, id DESC"), {"i": incident_id}).all()
        current = entries[0].department_id if entries else None
        updates = []
        for pk, action, reason, _ in entries:
            updates.append({"id": pk, "d": current})
            found = FROM_DEPARTMENT.match(reason or "") if action == "transfer" else None
            if found:
                current = int(found.group(1))
        bind.execute(sa.text("UPDATE incident_history SET department_id = :d WHERE id = :id"), updates)
    op.create_index("ix_incident_history_incident_at", "incident_history", ["incident_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_incident_history_incident_at", "incident_history")
    with op.batch_alter_table("incident_history") as batch:
        batch.drop_column("department_id")
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("caller_phone")
        batch.drop_column("caller_name")
    op.drop_table("department_grants")
    op.drop_index("ix_unit_positions_department_at", "unit_positions")
    op.drop_index("ix_unit_positions_unit_at", "unit_positions")
    op.drop_table("unit_positions")
