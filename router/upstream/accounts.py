"""The account key: which VisionAlert account (API URL + token) a shared row belongs to."""

from __future__ import annotations

import hashlib

from sqlalchemy import Connection

from router.store.dialect import upsert
from router.store.schema_upstream import upstream_accounts


def account_key(base_url: str, token: str) -> str:
    """A short, one-way key: rows never hold the token, and a new token starts afresh."""
    digest = hashlib.sha256(f"{base_url.rstrip('/')}\n{token}".encode()).hexdigest()
    return digest[:32]


def ensure_account(conn: Connection, dialect: str, account: str) -> None:
    """Create the account's state row if missing (idempotent, race-free)."""
    conn.execute(
        upsert(dialect, upstream_accounts)
        .values(account=account, next_slot_at=0.0, blocked_until=0.0, failures=0,
                open_until=0.0)
        .on_conflict_do_nothing(index_elements=[upstream_accounts.c.account])
    )
