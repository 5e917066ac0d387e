"""Tables of the admin stage (migration: versions/*_admin.py)."""

from __future__ import annotations

from router.store.schema import metadata  # noqa: F401
