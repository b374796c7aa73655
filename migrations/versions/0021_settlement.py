"""Paying the operators: contracts, fines, the append-only ledger, issued statements, service keys, operator logins

Revision ID: 0021
Revises: 0020
"""
import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "contracts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("operator_id", sa.Integer, sa.ForeignKey("operators.id"), nullable=False, index=True),
        sa.Column("city", sa.String(64), nullable=False),
        sa.Column("number", sa.String(64), nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_to", sa.Date, nullable=True),
        sa.Column("fine_share_bp", sa.Integer, nullable=False),
        sa.Column("fine_share_by_type", sa.JSON, nullable=False),
        sa.Column("incident_fee_tiyn", sa.BigInteger, nullable=False),
        sa.Column("incident_fees", sa.JSON, nullable=False),
        sa.Column("uptime_target_bp", sa.Integer, nullable=True),
        sa.Column("penalty_bp_per_point", sa.Integer, nullable=False),
        sa.Column("cap_tiyn", sa.BigInteger, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.UniqueConstraint("operator_id", "number", "valid_from", name="uq_contract_terms_from"),
    )
    op.create_table(
        "fine_imports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("created", sa.Integer, nullable=False),
        sa.Column("updated", sa.Integer, nullable=False),
        sa.Column("unchanged", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("errors", sa.JSON, nullable=False),
        sa.Column("raw", sa.Text, nullable=False),
        sa.Column("at", TS, nullable=False),
    )
    op.create_table(
        "fines",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("decision_no", sa.String(64), nullable=False, unique=True),
        sa.Column("offence_id", sa.Integer, sa.ForeignKey("offences.id"), nullable=False, index=True),
        sa.Column("operator_id", sa.Integer, nullable=False),
        sa.Column("camera_id", sa.Integer, nullable=False),
        sa.Column("issued_at", TS, nullable=False),
        sa.Column("amount_tiyn", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("paid_at", TS, nullable=True),
        sa.Column("paid_amount_tiyn", sa.BigInteger, nullable=True),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("import_id", sa.Integer, sa.ForeignKey("fine_imports.id"), nullable=False),
        sa.Index("ix_fines_operator_paid", "operator_id", "paid_at"),
    )
    op.create_table(
        "statements",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("operator_id", sa.Integer, sa.ForeignKey("operators.id"), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("corrects_id", sa.Integer, sa.ForeignKey("statements.id"), nullable=True),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("total_tiyn", sa.BigInteger, nullable=False),
        sa.Column("issued_at", TS, nullable=False),
        sa.Column("issued_by", sa.String(64), nullable=False),
        sa.Column("audit_head", sa.String(64), nullable=False),
        sa.UniqueConstraint("operator_id", "month", "version", name="uq_statement_version"),
    )
    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("operator_id", sa.Integer, sa.ForeignKey("operators.id"), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("for_month", sa.String(7), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("amount_tiyn", sa.BigInteger, nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("contract_id", sa.Integer, sa.ForeignKey("contracts.id"), nullable=True),
        sa.Column("fine_id", sa.Integer, sa.ForeignKey("fines.id"), nullable=True, index=True),
        sa.Column("offence_id", sa.Integer, nullable=True),
        sa.Column("event_id", sa.String(128), nullable=True),
        sa.Column("incident_id", sa.Integer, nullable=True, index=True),
        sa.Column("camera_id", sa.Integer, nullable=True),
        sa.Column("basis", sa.JSON, nullable=False),
        sa.Index("ix_ledger_operator_month", "operator_id", "month", "kind"),
    )
    op.create_table(
        "service_keys",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("last_used_at", TS, nullable=True),
        sa.Column("revoked_at", TS, nullable=True),
    )
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("operator_id", sa.Integer, sa.ForeignKey("operators.id", name="fk_users_operator"),
                                   nullable=True))
    # The ledger is append-only in the database itself: corrections are new entries, never edits.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""CREATE FUNCTION kuzet_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                      BEGIN RAISE EXCEPTION 'ledger_entries is append-only: add a correcting entry'; END $$""")
        op.execute("""CREATE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE ON ledger_entries
                      FOR EACH ROW EXECUTE FUNCTION kuzet_ledger_append_only()""")
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"""CREATE TRIGGER ledger_append_only_{verb.lower()} BEFORE {verb} ON ledger_entries
                           BEGIN SELECT RAISE(ABORT, 'ledger_entries is append-only: add a correcting entry'); END""")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS ledger_append_only ON ledger_entries")
        op.execute("DROP FUNCTION IF EXISTS kuzet_ledger_append_only()")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("operator_id")
    for table in ("service_keys", "ledger_entries", "statements", "fines", "fine_imports", "contracts"):
        op.drop_table(table)
