"""events and offences keep one foreign key each, to the row that owns them

The worker writes thousands of these rows a second, and PostgreSQL checks every foreign key
with a trigger per row: nine checks per stored traffic offence cost more than the rows
themselves. The columns dropped from checking are copies the worker takes from the owner
row: an event's operator and department from its camera (checked by events.camera_id), an
offence's operator, camera and department from its event (checked by offences.event_id).
Operators, cameras and departments are never deleted.

Revision ID: 0011
Revises: 0010
"""
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

# SQLite's foreign keys have no names; batch mode names them by this convention to drop them.
NAMING = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}
COPIES = {"events": [("operator_id", "operators"), ("department_id", "departments")],
          "offences": [("operator_id", "operators"), ("camera_id", "cameras"), ("department_id", "departments")]}


def _name(table: str, column: str, referred: str) -> str:
    if op.get_bind().dialect.name == "sqlite":
        return f"fk_{table}_{column}_{referred}"
    return f"{table}_{column}_fkey"  # PostgreSQL's default name, which 0001 and 0003 left in place


def upgrade() -> None:
    for table, copies in COPIES.items():
        with op.batch_alter_table(table, naming_convention=NAMING) as batch:
            for column, referred in copies:
                batch.drop_constraint(_name(table, column, referred), type_="foreignkey")


def downgrade() -> None:
    for table, copies in COPIES.items():
        with op.batch_alter_table(table, naming_convention=NAMING) as batch:
            for column, referred in copies:
                batch.create_foreign_key(_name(table, column, referred), referred, [column], ["id"])
