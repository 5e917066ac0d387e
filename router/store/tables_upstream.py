"""Tables of the upstream stage (migration: versions/*_upstream.py)."""

from __future__ import annotations

from router.store.schema import metadata  # noqa: F401
