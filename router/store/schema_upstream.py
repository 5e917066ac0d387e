"""Tables of the upstream stage (migration: versions/0002_upstream.py).

Everything the workers learn from the VisionAlert API lives here rather than in
process memory, so every worker process and replica shares one rate limit, one
circuit breaker and one cache. Rows are keyed by ``account``: a short hash of
the API URL and token (never the token), so a new token starts a fresh cache.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from router.store.schema import metadata

# Per account: the shared rate limiter (next free request slot), the circuit
# breaker and when the license list was last fetched.
upstream_accounts = Table(
    "upstream_accounts",
    metadata,
    Column("account", String(32), primary_key=True),
    Column("next_slot_at", Float, nullable=False),
    Column("blocked_until", Float, nullable=False),
    Column("failures", Integer, nullable=False),
    Column("open_until", Float, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("licenses_fetched_at", Float, nullable=True),
)

upstream_licenses = Table(
    "upstream_licenses",
    metadata,
    Column("account", String(32), nullable=False),
    Column("code", String(200), nullable=False),
    Column("license_id", Integer, nullable=False),
    Column("fetched_at", Float, nullable=False),
    PrimaryKeyConstraint("account", "code"),
)

# Per license: how fresh the alerts listing and the camera directory are.
# ``newest_created`` is upstream's own timestamp text, sent back as ``start``
# for the next incremental listing (never a cursor we build).
upstream_license_state = Table(
    "upstream_license_state",
    metadata,
    Column("account", String(32), nullable=False),
    Column("license_id", Integer, nullable=False),
    Column("listed_at", Float, nullable=True),
    Column("newest_created", String(64), nullable=True),
    Column("directory_at", Float, nullable=True),
    PrimaryKeyConstraint("account", "license_id"),
)

# The camera directory: notes, tags and latest_status of every camera.
upstream_cameras = Table(
    "upstream_cameras",
    metadata,
    Column("account", String(32), nullable=False),
    Column("license_id", Integer, nullable=False),
    Column("serial", String(200), nullable=False),
    Column("camera_id", Integer, nullable=False),
    Column("name", String(200), nullable=False),
    Column("tags", JSON, nullable=False),
    Column("notes", Text, nullable=True),
    Column("latest_status", String(40), nullable=True),
    Column("fetched_at", Float, nullable=False),
    PrimaryKeyConstraint("account", "license_id", "serial"),
)

# Recent upstream alerts, one row per camera entry: what a webhook is matched to.
upstream_alert_cameras = Table(
    "upstream_alert_cameras",
    metadata,
    Column("account", String(32), nullable=False),
    Column("upstream_alert_id", Integer, nullable=False),
    Column("serial", String(200), nullable=False),
    Column("license_id", Integer, nullable=False),
    Column("created", String(64), nullable=False),
    Column("created_ts", Float, nullable=False),
    Column("status", String(40), nullable=False),
    Column("anomalies", JSON, nullable=False),
    Column("snapshot", Text, nullable=True),
    Column("reference_image", Text, nullable=True),
    PrimaryKeyConstraint("account", "upstream_alert_id", "serial"),
)
Index("ix_upstream_alert_cameras_lookup", upstream_alert_cameras.c.account,
      upstream_alert_cameras.c.license_id, upstream_alert_cameras.c.serial,
      upstream_alert_cameras.c.created_ts)

# Reference images from the reference endpoint (url None: none set), with a TTL.
upstream_references = Table(
    "upstream_references",
    metadata,
    Column("account", String(32), nullable=False),
    Column("license_id", Integer, nullable=False),
    Column("serial", String(200), nullable=False),
    Column("url", Text, nullable=True),
    Column("fetched_at", Float, nullable=False),
    PrimaryKeyConstraint("account", "license_id", "serial"),
)

# Polling mode: per license, the ``created`` of the newest alert already taken.
poll_cursors = Table(
    "poll_cursors",
    metadata,
    Column("account", String(32), nullable=False),
    Column("license_id", Integer, nullable=False),
    Column("last_created", String(64), nullable=False),
    Column("updated_at", Float, nullable=False),
    PrimaryKeyConstraint("account", "license_id"),
)

# The camera state tracker: per license, the ``created`` of the newest log read, and
# how the last round went (a license whose round failed or is old is stale).
state_cursors = Table(
    "state_cursors",
    metadata,
    Column("account", String(32), nullable=False),
    Column("license_id", Integer, nullable=False),
    Column("license", String(200), nullable=False),
    Column("last_created", String(64), nullable=True),
    Column("checked_at", Float, nullable=True),  # the last round that read every page
    Column("tried_at", Float, nullable=False),
    Column("error", Text, nullable=True),
    PrimaryKeyConstraint("account", "license_id"),
)

# Polling mode: upstream alert id -> the alert it became. The key makes
# "feed each upstream alert once" a single-row decision.
polled_alerts = Table(
    "polled_alerts",
    metadata,
    Column("account", String(32), nullable=False),
    Column("upstream_alert_id", Integer, nullable=False),
    Column("alert_id", Integer, ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", Float, nullable=False),
    PrimaryKeyConstraint("account", "upstream_alert_id"),
)

# Generic leases for singleton jobs (the poller, the state tracker):
# one row per job, held by ``owner`` until ``expires_at`` unless renewed.
leases = Table(
    "leases",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("owner", String(200), nullable=False),
    Column("acquired_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
)
