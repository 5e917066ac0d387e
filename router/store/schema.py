"""The tables. Times are float epoch seconds: portable, cheap to compare, clock-injectable.

The Alembic migrations under ``migrations/`` create exactly this schema; a test
compares the two so they cannot drift.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# One row per accepted webhook, raw body included: what VisionAlert said is never lost.
alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("received_at", Float, nullable=False),
    Column("license", String(200), nullable=False),
    Column("user_email", String(320), nullable=True),
    Column("label", String(200), nullable=True),
    Column("status", String(40), nullable=False),
    Column("camera_count", Integer, nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("body_sha256", String(64), nullable=False),
    Column("raw_body", LargeBinary, nullable=False),
    Column("payload", JSON, nullable=False),
    Column("duplicates", Integer, nullable=False, default=0),
    Column("source", String(20), nullable=False, default="webhook"),
    # The alert is also the worker's inbox entry, claimed with a lease: "pending"
    # until its camera events join their groups, then "done". On the alert row
    # itself, so that receiving a webhook writes one row and no second table.
    Column("inbox_state", String(20), nullable=False, server_default="done"),
    Column("available_at", Float, nullable=True),
    Column("lease_owner", String(100), nullable=True),
    Column("lease_until", Float, nullable=True),
    Column("claims", Integer, nullable=False, server_default="0"),
    Column("done_at", Float, nullable=True),
    Column("last_error", Text, nullable=True),
)
# Only pending alerts are in it: the worker's claim query reads it in id order,
# and it stays as small as the backlog.
PENDING = alerts.c.inbox_state == "pending"
Index("ix_alerts_pending", alerts.c.id, sqlite_where=PENDING, postgresql_where=PENDING)
# The time indexes hold finished alerts only: the worker's "done" update adds the
# alert to them, so a webhook's insert writes three b-trees (the alert, the pending
# index, the dedup key) instead of five. Readers that want every alert read the
# pending ones (few) through the index above: see views.ALERT_PARTS.
DONE = alerts.c.inbox_state == "done"
Index("ix_alerts_received_at", alerts.c.received_at, sqlite_where=DONE, postgresql_where=DONE)
Index("ix_alerts_license_received_at", alerts.c.license, alerts.c.received_at,
      sqlite_where=DONE, postgresql_where=DONE)

# The newest alert per identical content; the unique key makes "same body twice
# within the window" a single-row decision even with concurrent web workers.
dedup = Table(
    "dedup",
    metadata,
    Column("key", String(64), primary_key=True),
    # Nullable: versions before 0005 claimed the key before writing the alert row.
    Column("alert_id", Integer, ForeignKey("alerts.id", ondelete="CASCADE"), nullable=True),
    Column("seen_at", Float, nullable=False),
    # The text key is the row's identity: no separate rowid b-tree to write per webhook.
    sqlite_with_rowid=False,
)

camera_events = Table(
    "camera_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alert_id", Integer, ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False),
    Column("idx", Integer, nullable=False),
    Column("serial", String(200), nullable=False),
    Column("license", String(200), nullable=False),
    Column("status", String(40), nullable=False),
    Column("enriched", Boolean, nullable=False),
    Column("data", JSON, nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("alert_id", "idx"),
)
Index("ix_camera_events_serial", camera_events.c.serial)

# Why each camera event went where it went (or nowhere): shown by explain and the API.
decisions = Table(
    "decisions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alert_id", Integer, ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False),
    Column(
        "camera_event_id",
        Integer,
        ForeignKey("camera_events.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("route", String(200), nullable=True),
    Column("receiver", String(200), nullable=True),
    Column("outcome", String(40), nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("code", String(40), nullable=True),  # router.model.reasons.Reason
    Column("notification_id", Integer, nullable=True),
)
Index("ix_decisions_alert_id", decisions.c.alert_id)

notifications = Table(
    "notifications",
    metadata,
    Column("id", Integer, primary_key=True),
    # The first alert of the notification (a group may span many).
    Column("alert_id", Integer, ForeignKey("alerts.id", ondelete="CASCADE"), nullable=True),
    Column("route", String(200), nullable=False),
    Column("receiver", String(200), nullable=False),
    Column("title", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("camera_event_ids", JSON, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("group_id", Integer, nullable=True),
    Column("flush_no", Integer, nullable=True),
    Column("kind", String(20), nullable=True),  # firing | resolved | digest | fallback
    Column("reason", Text, nullable=True),
    Column("fallback_of", Integer, nullable=True),
    # A group flush and a fallback are each recorded at most once, whoever records them.
    UniqueConstraint("group_id", "flush_no", "kind"),
    UniqueConstraint("fallback_of", "receiver"),
)

# One notification to one target: the unit of retry. ``target_key`` is a hash of
# the raw URL so the secret-bearing URL is never stored, only found again in rules.
deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "notification_id",
        Integer,
        ForeignKey("notifications.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("receiver", String(200), nullable=False),
    Column("target_index", Integer, nullable=False),
    Column("target_key", String(64), nullable=False),
    Column("target", Text, nullable=False),
    Column("state", String(20), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", Float, nullable=False),
    Column("lease_owner", String(100), nullable=True),
    Column("lease_until", Float, nullable=True),
    Column("created_at", Float, nullable=False),
    Column("finished_at", Float, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("message", JSON, nullable=True),  # Rendered.to_dict() for this target
    Column("rate_limit", Integer, nullable=True),  # messages per rate_period, per target
    Column("rate_period", Float, nullable=True),
    Column("budget_from", Integer, nullable=True),  # attempts already made at a replay
    Column("age_from", Float, nullable=True),  # max_age counts from here (replay)
    Column("merged_into", Integer, nullable=True),  # the rate-limit digest delivery
    UniqueConstraint("notification_id", "target_index"),
)
Index("ix_deliveries_state_next_attempt_at", deliveries.c.state, deliveries.c.next_attempt_at)
Index("ix_deliveries_target_key_state", deliveries.c.target_key, deliveries.c.state)

attempts = Table(
    "attempts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "delivery_id", Integer, ForeignKey("deliveries.id", ondelete="CASCADE"), nullable=False
    ),
    Column("number", Integer, nullable=False),
    Column("started_at", Float, nullable=False),
    Column("elapsed", Float, nullable=False),
    Column("outcome", String(40), nullable=False),
    Column("error", Text, nullable=True),
    Column("worker", String(100), nullable=False),
    # What degraded without failing the send, e.g. an image sent as a link instead.
    Column("notes", Text, nullable=True),
)
Index("ix_attempts_delivery_id", attempts.c.delivery_id)

# Tables owned by later stages live in their own modules, on the same metadata.
from router.store import schema_groups, schema_upstream  # noqa: E402, F401
