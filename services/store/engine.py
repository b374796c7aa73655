"""Database engine, sessions and migrations (SQLite embedded, PostgreSQL in production)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
import sqlalchemy.orm as so

from services.messages import Publisher
from services.store import feed

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    # WAL lets the web process read while the worker writes; busy_timeout waits instead of failing.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
    # PostgreSQL's percentile_cont(f) WITHIN GROUP (ORDER BY x), as percentile_cont(x, f) (shift statistics).
    dbapi_connection.create_aggregate("percentile_cont", 2, PercentileCont)  # type: ignore[attr-defined]


class PercentileCont:
    """SQLite aggregate: the continuous percentile of the non-NULL values, interpolated as PostgreSQL does."""

    def __init__(self) -> None:
        self.values: list[float] = []
        self.fraction = 0.5

    def step(self, value: float | None, fraction: float) -> None:
        """Take one row's value."""
        if value is not None:
            self.values.append(float(value))
        self.fraction = float(fraction)

    def finalize(self) -> float | None:
        """The percentile, or NULL for no values."""
        if not self.values:
            return None
        ordered = sorted(self.values)
        position = self.fraction * (len(ordered) - 1)
        low = int(position)
        high = min(low + 1, len(ordered) - 1)
        return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def make_engine(url: str) -> sa.Engine:
    """Create an engine with the pragmas and pool settings each backend needs."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return sa.create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


class Store:
    """Owns one engine and hands out sessions; one per process.

    Every session it hands out publishes the change-feed rows of each committed transaction to the
    store's subscribers, once, after the commit (never for a rollback).
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessionmaker = so.sessionmaker(self.engine, expire_on_commit=False)
        self._publishers: list[Publisher] = []
        sa.event.listen(self.sessionmaker, "after_commit", self._after_commit)
        sa.event.listen(self.sessionmaker, "after_soft_rollback", self._after_rollback)

    def subscribe(self, publisher: Publisher) -> None:
        """Hand every committed batch of changes to ``publisher`` (called in the committing thread)."""
        self._publishers.append(publisher)

    def unsubscribe(self, publisher: Publisher) -> None:
        """Stop handing changes to ``publisher``."""
        self._publishers.remove(publisher)

    def _after_commit(self, session: so.Session) -> None:
        changes = feed.take_pending(session)
        if not changes:
            return
        for publisher in list(self._publishers):
            try:
                publisher(changes)
            except Exception:  # noqa: BLE001 - the change is committed; a failed push must not undo it
                logger.exception("publishing %d committed changes failed", len(changes))

    @staticmethod
    def _after_rollback(session: so.Session, previous: so.SessionTransaction) -> None:
        # A savepoint's rollback (one refused item of a batch) keeps the batch's other changes, and their pushes.
        if not previous.nested:
            feed.discard_pending(session)

    @contextmanager
    def session(self) -> Iterator[so.Session]:
        """A session that commits on success and rolls back on error."""
        with self.sessionmaker() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def upgrade(self, revision: str = "head") -> None:
        """Apply Alembic migrations up to ``revision``."""
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        cfg.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        cfg.attributes["connection_engine"] = self.engine
        command.upgrade(cfg, revision)
        logger.debug("database at %s upgraded to %s", self.engine.url.render_as_string(hide_password=True), revision)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
