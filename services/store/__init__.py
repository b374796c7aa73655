"""The record underneath: engine and sessions, typed models, the audit journal, the change feed, bulk writes."""

from services.store.engine import MIGRATIONS_DIR, Store, make_engine

__all__ = ["MIGRATIONS_DIR", "Store", "make_engine"]
