"""shift statistics: shift patterns and response-time targets per department, incidents indexed by creation

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
    op.create_index("ix_incidents_department_created", "incidents", ["department_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_incidents_department_created", "incidents")
    op.drop_table("response_targets")
    op.drop_table("shift_patterns")
