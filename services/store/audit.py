"""The audit journal: every state change, login, export and admin action, hash-chained."""

from __future__ import annotations

import hashlib
import json
import logging
import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from services.i18n import N_
from services.store.models import AuditEntry, utcnow

logger = logging.getLogger(__name__)

GENESIS = "0" * 64


def entry_hash(prev_hash: str, at: str, actor: str, action: str, subject: str, detail: dict[str, Any]) -> str:
    """SHA-256 over the previous hash and this entry's canonical JSON."""
    body = json.dumps({"prev": prev_hash, "at": at, "actor": actor, "action": action, "subject": subject,
                       "detail": detail}, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


AUDIT_LOCK_KEY = 0x4B5A4554  # "KZET": with the chain's number, the PostgreSQL advisory lock of one chain
MAIN_CHAIN = "main"
_CHAIN = "kuzet.audit_chain"  # the session.info key naming the chain a session appends to


def use_chain(session: so.Session, chain: str) -> None:
    """Make ``session`` append to ``chain`` (a worker's own), so bulk writers never wait on each other."""
    session.info[_CHAIN] = chain[:64]


def _serialise_appends(session: so.Session, chain: str) -> None:
    # Reading a chain's tail and appending must not interleave between writers of that chain, or it
    # would fork (the unique predecessor would then refuse the loser's whole transaction).
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:key, :chain)"),
                        {"key": AUDIT_LOCK_KEY, "chain": zlib.crc32(chain.encode()) - 2**31})
    elif dialect == "sqlite":
        session.execute(sa.text("UPDATE audit_log SET id = id WHERE 0"))  # takes SQLite's write lock now


def record(session: so.Session, actor: str, action: str, subject: str = "", **detail: Any) -> AuditEntry:
    """Append one entry in the caller's transaction, chained to the current tail."""
    return record_many(session, [(actor, action, subject, detail)])[0]


def record_many(session: so.Session, entries: list[tuple[str, str, str, dict[str, Any]]]) -> list[AuditEntry]:
    """Append (actor, action, subject, detail) entries in one go: one lock, one tail read, one insert.

    The worker opens hundreds of incidents per transaction; a lock and a round trip each would hold the
    journal's lock far longer than the chain needs.
    """
    if not entries:
        return []
    chain = session.info.get(_CHAIN, MAIN_CHAIN)
    _serialise_appends(session, chain)
    prev = session.execute(sa.select(AuditEntry.hash).where(AuditEntry.chain == chain)
                           .order_by(AuditEntry.id.desc()).limit(1)).scalar() or GENESIS
    at = utcnow()
    rows = []
    for actor, action, subject, detail in entries:
        # NUL cannot be stored in PostgreSQL text; a hostile username must not break the journal.
        detail = json.loads(json.dumps(detail, default=str).replace("\\u0000", "\\ufffd"))
        actor, subject = actor.replace("\x00", "\ufffd")[:100], subject.replace("\x00", "\ufffd")[:200]
        entry = AuditEntry(chain=chain, at=at, actor=actor, action=action, subject=subject, detail=detail,
                           prev_hash=prev, hash=entry_hash(prev, at.isoformat(), actor, action, subject, detail))
        rows.append(entry)
        prev = entry.hash
    session.add_all(rows)
    session.flush()
    return rows


# The reasons a walk gives, in English for the CLI; a page shows them translated (``_(verdict.reason)``).
LINK_BROKEN = N_("previous entry missing or altered: the link does not match")
ENTRY_ALTERED = N_("entry altered: its content does not match its hash")


@dataclass(frozen=True)
class Verdict:
    """Result of walking the chain."""

    entries: int
    broken_at: int | None
    reason: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def verify(session: so.Session, batch: int = 5000) -> Verdict:
    """Walk every chain from its start; name the first entry whose hash or link does not hold."""
    tails: dict[str, str] = {}
    count = 0
    last_id = 0
    while True:
        rows = list(session.scalars(sa.select(AuditEntry).where(AuditEntry.id > last_id)
                                    .order_by(AuditEntry.id).limit(batch)))
        if not rows:
            return Verdict(count, None)
        for entry in rows:
            if entry.prev_hash != tails.get(entry.chain, GENESIS):
                return Verdict(count, entry.id, LINK_BROKEN)
            expected = entry_hash(entry.prev_hash, entry.at.isoformat(), entry.actor, entry.action, entry.subject,
                                  entry.detail)
            if expected != entry.hash:
                return Verdict(count, entry.id, ENTRY_ALTERED)
            tails[entry.chain] = entry.hash
            count += 1
            last_id = entry.id


def search(session: so.Session, *, actor: str = "", action: str = "", subject: str = "",
           since: datetime | None = None, until: datetime | None = None, offset: int = 0,
           limit: int = 50) -> tuple[list[AuditEntry], int]:
    """Entries newest first that match every filter given (actor and action exactly, subject as a part of it,
    ``since`` <= at < ``until``), one page of them, and how many match in all."""
    where = []
    if actor:
        where.append(AuditEntry.actor == actor)
    if action:
        where.append(AuditEntry.action == action)
    if subject:
        escaped = subject.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append(AuditEntry.subject.like(f"%{escaped}%", escape="\\"))
    if since is not None:
        where.append(AuditEntry.at >= since)
    if until is not None:
        where.append(AuditEntry.at < until)
    total = session.scalar(sa.select(sa.func.count(AuditEntry.id)).where(*where)) or 0
    rows = list(session.scalars(sa.select(AuditEntry).where(*where).order_by(AuditEntry.id.desc())
                                .offset(max(offset, 0)).limit(max(1, min(limit, 500)))))
    return rows, total


def actions(session: so.Session) -> list[str]:
    """Every action the journal holds, for a filter's choices."""
    return list(session.scalars(sa.select(AuditEntry.action).distinct().order_by(AuditEntry.action)))


def head(session: so.Session) -> str:
    """One hash standing for the tails of every chain: kept outside the database, it shows a cut-off tail.

    With only the main chain it is that chain's tail hash, as before chains existed.
    """
    last = sa.select(AuditEntry.chain, sa.func.max(AuditEntry.id).label("id")).group_by(AuditEntry.chain).subquery()
    tails = sorted((chain, tail) for chain, tail in session.execute(
        sa.select(AuditEntry.chain, AuditEntry.hash).join(last, AuditEntry.id == last.c.id)))
    if not tails:
        return GENESIS
    if [chain for chain, _ in tails] == [MAIN_CHAIN]:
        return tails[0][1]
    return hashlib.sha256("\n".join(f"{chain}={tail}" for chain, tail in tails).encode()).hexdigest()
