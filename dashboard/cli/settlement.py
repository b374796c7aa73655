"""kuzet contracts, kuzet fines, kuzet settlement: paying the operators."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from dashboard.cli.common import db_option, open_store


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    out = {}
    for value in values:
        key, sep, amount = value.partition("=")
        if not sep or not key.strip() or not amount.strip():
            raise click.BadParameter(f"{value!r}: write KEY=VALUE", param_hint=option)
        out[key.strip()] = amount.strip()
    return out


@click.group("contracts")
def contracts_group() -> None:
    """Operators' contracts: fine share, incident fees, uptime target and penalty, cap."""


@contracts_group.command("add")
@db_option
@click.option("--operator", "operator_name", required=True, help="The operator's name as registered.")
@click.option("--number", required=True, help="Contract number; the same number from a later --from changes its tariff.")
@click.option("--from", "valid_from", required=True, type=click.DateTime(["%Y-%m-%d"]), help="First day (YYYY-MM-DD).")
@click.option("--to", "valid_to", default=None, type=click.DateTime(["%Y-%m-%d"]), help="Last day, if it ends.")
@click.option("--fine-share-pct", required=True, help="Percent of each fine actually paid, e.g. 25 or 12.5.")
@click.option("--fine-share", "fine_share_by_type", multiple=True, metavar="TYPE=PCT",
              help="A share for one offence type, e.g. red_light=30; repeatable.")
@click.option("--incident-fee-kzt", default="0", show_default=True, help="Fee per confirmed off-road incident.")
@click.option("--incident-fee", "incident_fees", multiple=True, metavar="TYPE:MOUNT=KZT",
              help="A fee by incident type and mount kind (* for any), e.g. fight:school=15000; repeatable.")
@click.option("--uptime-target-pct", default=None, help="Monthly uptime target, e.g. 98.")
@click.option("--penalty-pct-per-point", default="0", show_default=True,
              help="Percent of the month's earnings withheld per point of uptime below the target.")
@click.option("--cap-kzt", default=None, help="The most the operator is paid in a month.")
@click.option("--city", default="almaty", show_default=True)
def contracts_add(database_url: str, operator_name: str, number: str, valid_from: object, valid_to: object,
                  fine_share_pct: str, fine_share_by_type: tuple[str, ...], incident_fee_kzt: str,
                  incident_fees: tuple[str, ...], uptime_target_pct: str | None, penalty_pct_per_point: str,
                  cap_kzt: str | None, city: str) -> None:
    """Record a contract, or new terms of one from a date onward (issued statements never change)."""
    from services.settlement.contracts import Terms, add_contract

    terms = Terms(number=number, valid_from=valid_from.date(), valid_to=valid_to.date() if valid_to else None,
                  fine_share_pct=fine_share_pct, fine_share_by_type=_pairs(fine_share_by_type, "--fine-share"),
                  incident_fee_kzt=incident_fee_kzt, incident_fees_kzt=_pairs(incident_fees, "--incident-fee"),
                  uptime_target_pct=uptime_target_pct, penalty_pct_per_point=penalty_pct_per_point, cap_kzt=cap_kzt,
                  city=city)
    try:
        with open_store(database_url).session() as session:
            contract = add_contract(session, "cli", operator_name, terms)
            click.echo(f"contract {contract.number} of {operator_name} from {contract.valid_from}: "
                       f"fine share {contract.fine_share_bp / 100:g} %, id {contract.id}")
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


@contracts_group.command("list")
@db_option
def contracts_list(database_url: str) -> None:
    """Every contract row, by operator."""
    import sqlalchemy as sa

    from services.settlement.money import kzt, pct
    from services.store.models import Contract, Operator

    with open_store(database_url).session() as session:
        rows = session.execute(sa.select(Contract, Operator.name).join(Operator, Operator.id == Contract.operator_id)
                               .order_by(Operator.name, Contract.valid_from)).all()
        for contract, name in rows:
            click.echo(f"{name}\t{contract.number}\t{contract.valid_from}..{contract.valid_to or ''}\t"
                       f"share {pct(contract.fine_share_bp)} %\tfee {kzt(contract.incident_fee_tiyn)} KZT\t"
                       f"cap {kzt(contract.cap_tiyn) if contract.cap_tiyn is not None else '-'}")


@click.group("fines")
def fines_group() -> None:
    """Fines from the fines system."""


@fines_group.command("import")
@db_option
@click.argument("path", type=click.Path(dir_okay=False, allow_dash=True))
def fines_import(database_url: str, path: str) -> None:
    """Import offence_id,decision_no,issued_at,amount_kzt,status,paid_at,paid_amount_kzt rows: all or nothing."""
    from services.settlement.fines import ImportRejected, import_fines, read_csv

    try:
        raw = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as exc:
        raise click.ClickException(f"cannot read {path}: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise click.ClickException(f"{path} is not UTF-8 text") from None
    try:
        with open_store(database_url).session() as session:
            result = import_fines(session, "cli", "cli", read_csv(text), filename=Path(path).name, raw=raw)
    except ImportRejected as rejected:
        for error in rejected.errors:
            click.echo(str(error), err=True)
        raise click.ClickException(f"{len(rejected.errors)} errors: nothing imported (kept as import "
                                   f"#{rejected.import_id} for review)") from None
    click.echo(f"import #{result.import_id}: {result.rows} rows, {result.created} new, {result.updated} updated, "
               f"{result.unchanged} unchanged; {result.ledger_entries} ledger entries")


@fines_group.command("key")
@db_option
@click.option("--label", default="fines system", show_default=True)
def fines_key(database_url: str, label: str) -> None:
    """Issue the fines system's own key for POST /api/v1/fines:import (shown once)."""
    from services.access.service_keys import issue_service_key

    with open_store(database_url).session() as session:
        key = issue_service_key(session, "cli", "fines", label)
    click.echo(key)


@click.group("settlement")
def settlement_group() -> None:
    """Monthly statements: build, issue, export, verify."""


_operator = click.option("--operator", "operator_name", required=True, help="Operator name or id.")
_month = click.option("--month", required=True, help="YYYY-MM (Almaty time).")


@settlement_group.command("statement")
@db_option
@_operator
@_month
@click.option("--format", "fmt", type=click.Choice(["json", "csv", "xlsx"]), default="json", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None, help="File to write (default stdout).")
def settlement_statement(database_url: str, operator_name: str, month: str, fmt: str, output: str | None) -> None:
    """The month's statement: the last issued one byte for byte, else the draft as it stands."""
    from services.settlement.export import render
    from services.settlement.statements import find_operator, latest

    try:
        with open_store(database_url).session() as session:
            content = latest(session, find_operator(session, operator_name), month)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    data = render(content, fmt)
    if output:
        Path(output).write_bytes(data)
    else:
        click.echo(data, nl=False)  # bytes go out unchanged


@settlement_group.command("issue")
@db_option
@_operator
@_month
def settlement_issue(database_url: str, operator_name: str, month: str) -> None:
    """Freeze the month's statement (or a correcting one); its sha256 goes into the audit journal."""
    from services.settlement.money import kzt
    from services.settlement.statements import find_operator, issue

    try:
        with open_store(database_url).session() as session:
            statement = issue(session, "cli", find_operator(session, operator_name), month)
            click.echo(f"{operator_name} {month} v{statement.version} issued: {kzt(statement.total_tiyn)} KZT, "
                       f"sha256 {statement.sha256}")
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


@settlement_group.command("verify")
@db_option
@_operator
@_month
def settlement_verify(database_url: str, operator_name: str, month: str) -> None:
    """Recompute the month from offences, fines, incidents and uptime; print each difference (exit 1)."""
    from services.settlement.statements import find_operator
    from services.settlement.verify import verify

    try:
        with open_store(database_url).session() as session:
            problems = verify(session, find_operator(session, operator_name), month)
            session.rollback()  # verifying writes nothing
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    for problem in problems:
        click.echo(problem)
    if problems:
        sys.exit(1)
    click.echo(f"OK: {operator_name} {month} matches its sources")

