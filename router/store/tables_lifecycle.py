"""Tables of the lifecycle stage (migration: versions/*_lifecycle.py)."""

from __future__ import annotations

from router.store.schema import metadata  # noqa: F401
