"""Fines from the fines system: validated row by row, applied all or nothing, each import journaled."""

from __future__ import annotations

import csv
import hashlib
import io
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from services.settlement.calendar import parse_moment
from services.settlement.money import parse_kzt
from services.store import audit
from services.store.models import Fine, FineImport, Offence, utcnow

logger = logging.getLogger(__name__)

COLUMNS = ("offence_id", "decision_no", "issued_at", "amount_kzt", "status", "paid_at", "paid_amount_kzt")
STATUSES = ("issued", "paid", "cancelled", "appealed")
MAX_ROWS = 2_000_000
MAX_ERRORS = 200  # reported; a file this wrong is rejected whole anyway


@dataclass(frozen=True)
class RowError:
    """What is wrong with one line of an import."""

    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.column}: {self.reason}"


class ImportRejected(ValueError):
    """The file had errors: nothing was applied; ``errors`` say where and why."""

    def __init__(self, errors: list[RowError], import_id: int | None = None) -> None:
        super().__init__(f"{len(errors)} rows rejected, nothing applied: " + "; ".join(map(str, errors[:5])))
        self.errors = errors
        self.import_id = import_id


@dataclass
class ImportResult:
    """What an accepted import changed."""

    import_id: int
    rows: int
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    ledger_entries: int = 0
    fine_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class FineRow:
    """One valid line: what the fines system says about one decision now."""

    line: int
    offence_id: int
    decision_no: str
    issued_at: datetime
    amount_tiyn: int
    status: str
    paid_at: datetime | None
    paid_amount_tiyn: int | None


def read_csv(text: str) -> Iterator[tuple[int, dict[str, str]]]:
    """The lines of a fines CSV as (line number, row); the header must name the columns."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")), strict=False)
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ImportRejected([RowError(1, ",".join(missing), f"header lacks {', '.join(missing)}; expected "
                                                              f"{','.join(COLUMNS)}")])
    for row in reader:
        yield reader.line_num, {k: (v or "") for k, v in row.items() if isinstance(k, str)}


def _parse(line: int, raw: dict[str, Any], errors: list[RowError]) -> FineRow | None:
    before = len(errors)

    def take(column: str, parse: Any, required: bool = True) -> Any:
        value = raw.get(column)
        text = "" if value is None else str(value).strip()
        if not text:
            if required:
                errors.append(RowError(line, column, "missing"))
            return None
        try:
            return parse(text)
        except ValueError as exc:
            errors.append(RowError(line, column, str(exc)))
            return None

    def offence(text: str) -> int:
        if not text.isdigit() or len(text) > 12:
            raise ValueError(f"{text[:40]!r} is not an offence id (the id column of the offences export)")
        return int(text)

    def decision(text: str) -> str:
        if len(text) > 64 or not text.isprintable():
            raise ValueError("a decision number is 1 to 64 printable characters")
        return text

    def status(text: str) -> str:
        if text not in STATUSES:
            raise ValueError(f"{text[:40]!r} is not one of {', '.join(STATUSES)}")
        return text

    offence_id = take("offence_id", offence)
    decision_no = take("decision_no", decision)
    issued_at = take("issued_at", parse_moment)
    amount = take("amount_kzt", parse_kzt)
    state = take("status", status)
    paid_at = take("paid_at", parse_moment, required=state == "paid")
    paid = take("paid_amount_kzt", parse_kzt, required=state == "paid")
    if amount is not None and amount <= 0:
        errors.append(RowError(line, "amount_kzt", "a fine is more than 0 tenge"))
    if paid is not None and amount is not None and paid > amount:
        errors.append(RowError(line, "paid_amount_kzt", "more than the fine's amount"))
    if paid is not None and paid <= 0 and state == "paid":
        errors.append(RowError(line, "paid_amount_kzt", "a paid fine was paid more than 0 tenge"))
    if paid_at is not None and issued_at is not None and paid_at < issued_at:
        errors.append(RowError(line, "paid_at", "paid before it was issued"))
    if (paid_at is None) != (paid is None) and state != "paid":
        errors.append(RowError(line, "paid_at" if paid_at is None else "paid_amount_kzt",
                               "paid_at and paid_amount_kzt come together"))
    if state == "issued" and paid is not None:
        errors.append(RowError(line, "status", "an issued (unpaid) fine has no payment; a paid one has status paid"))
    if len(errors) > before:
        return None
    return FineRow(line, offence_id, decision_no, issued_at, amount, state, paid_at, paid)


def import_fines(session: so.Session, actor: str, source: str, rows: Iterable[tuple[int, dict[str, Any]]], *,
                 filename: str = "", raw: bytes = b"") -> ImportResult:
    """Apply a fines file: every row valid or nothing at all (ImportRejected); ledger entries for what was paid.

    Idempotent: a row equal to what is stored changes nothing; a later row for a decision updates it.
    """
    from services.settlement.ledger import post_fines

    errors: list[RowError] = []
    parsed: list[FineRow] = []
    count = 0
    try:
        for line, raw_row in rows:
            count += 1
            if count > MAX_ROWS:
                errors.append(RowError(line, "-", f"more than {MAX_ROWS:,} rows: split the file"))
                break
            row = _parse(line, raw_row, errors)
            if row is not None:
                parsed.append(row)
            if len(errors) >= MAX_ERRORS:
                break
    except ImportRejected as header:
        errors = header.errors
    except csv.Error as exc:
        errors.append(RowError(count + 1, "-", f"not a readable CSV: {exc}"))
    offences = _offences(session, {r.offence_id for r in parsed})
    for row in parsed:
        if row.offence_id not in offences:
            errors.append(RowError(row.line, "offence_id", f"no offence {row.offence_id} in Kuzet's register"))
    existing = _existing(session, {r.decision_no for r in parsed})
    for row in parsed:
        bound = existing.get(row.decision_no)
        if bound is not None and bound.offence_id != row.offence_id:
            errors.append(RowError(row.line, "decision_no",
                                   f"decision {row.decision_no} belongs to offence {bound.offence_id}"))
    digest = hashlib.sha256(raw).hexdigest() if raw else ""
    if errors or count == 0:
        if count == 0 and not errors:
            errors.append(RowError(1, "-", "no rows"))
        session.rollback()
        kept = FineImport(source=source, actor=actor[:64], filename=filename[:200], sha256=digest, rows=count,
                          status="rejected", errors=[str(e) for e in errors[:MAX_ERRORS]],
                          raw=raw.decode("utf-8", "replace") if raw else "", at=utcnow())
        session.add(kept)
        session.flush()
        audit.record(session, actor, "fines.import.rejected", filename or source, import_id=kept.id, rows=count,
                     errors=len(errors), sha256=digest)
        session.commit()
        raise ImportRejected(errors, kept.id)
    record = FineImport(source=source, actor=actor[:64], filename=filename[:200], sha256=digest, rows=count,
                        status="applied", errors=[], raw="", at=utcnow())
    session.add(record)
    session.flush()
    result = ImportResult(record.id, count)
    touched: dict[int, None] = {}
    for row in parsed:  # in file order: a later line for the same decision wins
        fine = existing.get(row.decision_no)
        values = dict(offence_id=row.offence_id, issued_at=row.issued_at, amount_tiyn=row.amount_tiyn,
                      status=row.status, paid_at=row.paid_at, paid_amount_tiyn=row.paid_amount_tiyn)
        if fine is None:
            offence = offences[row.offence_id]
            fine = Fine(decision_no=row.decision_no, operator_id=offence.operator_id, camera_id=offence.camera_id,
                        updated_at=utcnow(), import_id=record.id, **values)
            session.add(fine)
            existing[row.decision_no] = fine
            result.created += 1
        elif not all(_same(getattr(fine, k), v) for k, v in values.items()):
            for k, v in values.items():
                setattr(fine, k, v)
            fine.updated_at, fine.import_id = utcnow(), record.id
            result.updated += 1
        else:
            result.unchanged += 1
            continue
        touched[id(fine)] = None
    session.flush()
    changed = [f for f in existing.values() if id(f) in touched]
    result.fine_ids = [f.id for f in changed]
    result.ledger_entries = post_fines(session, result.fine_ids)
    record.created, record.updated, record.unchanged = result.created, result.updated, result.unchanged
    audit.record(session, actor, "fines.import", filename or source, import_id=record.id, rows=count,
                 created=result.created, updated=result.updated, unchanged=result.unchanged,
                 ledger_entries=result.ledger_entries, sha256=digest)
    logger.info("fines import %s: %d rows, %d new, %d updated, %d ledger entries", record.id, count, result.created,
                result.updated, result.ledger_entries)
    return result


def _same(stored: Any, new: Any) -> bool:
    if isinstance(stored, datetime) and isinstance(new, datetime):
        return _utc(stored) == _utc(new)
    return bool(stored == new)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _offences(session: so.Session, ids: set[int]) -> dict[int, Offence]:
    return {o.id: o for o in _rows(session, Offence, Offence.id, ids)}


def _existing(session: so.Session, decisions: set[str]) -> dict[str, Fine]:
    return {f.decision_no: f for f in _rows(session, Fine, Fine.decision_no, decisions)}


def _rows(session: so.Session, model: Any, column: Any, keys: set[Any], chunk: int = 5000) -> Iterator[Any]:
    """The rows whose ``column`` is one of ``keys``, asked for a few thousand at a time (bound-parameter limits)."""
    ordered = sorted(keys)
    for i in range(0, len(ordered), chunk):
        yield from session.scalars(sa.select(model).where(column.in_(ordered[i:i + chunk])))
