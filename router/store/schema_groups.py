"""Tables of the notification lifecycle (migration: versions/0003_lifecycle.py).

- ``groups``: one per (receiver, route, group key); ``next_flush_at`` is when it is
  due, and a flush is claimed with a lease like every other piece of work.
- ``group_items``: a camera event (or a resolution) waiting in a group, then what
  the flush decided about it (``state`` + named ``reason``).
- ``notification_log``: per (receiver, camera) what was last sent, for the repeat
  interval, changed-condition detection and resolved messages.
- ``camera_state``: what each camera is known to be doing now (active conditions,
  last time seen normal): the sources of inhibition and of hold-down.
- ``incidents`` and ``incident_events``: one problem of one camera from its first
  routed event to its resolution, and its timeline.
- ``silences``: matcher-based mutes with a start and an end.
- ``target_rates``: per-target fixed rate-limit windows, shared by every worker.
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
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from router.store.schema import metadata

groups = Table(
    "groups",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("receiver", String(200), nullable=False),
    Column("route", String(200), nullable=False),
    Column("group_key", String(64), nullable=False),
    Column("labels", JSON, nullable=False),
    # The route's timing options when an event last joined (rules may change).
    Column("options", JSON, nullable=False),
    Column("next_flush_at", Float, nullable=True),
    Column("last_flush_at", Float, nullable=True),
    Column("flushes", Integer, nullable=False),
    Column("lease_owner", String(100), nullable=True),
    Column("lease_until", Float, nullable=True),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("receiver", "route", "group_key"),
)
Index("ix_groups_next_flush_at", groups.c.next_flush_at)

group_items = Table(
    "group_items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("group_id", Integer, ForeignKey("groups.id", ondelete="CASCADE"), nullable=False),
    Column("camera_event_id", Integer, ForeignKey("camera_events.id", ondelete="CASCADE"),
           nullable=False),
    Column("alert_id", Integer, nullable=False),
    Column("license", String(200), nullable=False),
    Column("serial", String(200), nullable=False),
    Column("kind", String(20), nullable=False),  # firing | resolved
    Column("condition", String(400), nullable=False),
    Column("data", JSON, nullable=False),  # the CameraEvent as it will be rendered
    Column("held", Boolean, nullable=False),
    Column("due_at", Float, nullable=False),
    Column("state", String(20), nullable=False),  # pending | notified | suppressed
    Column("reason", String(40), nullable=True),
    Column("notification_id", Integer, nullable=True),
    Column("created_at", Float, nullable=False),
    Column("done_at", Float, nullable=True),
    UniqueConstraint("group_id", "camera_event_id", "kind"),
)
Index("ix_group_items_group_id_state", group_items.c.group_id, group_items.c.state)

notification_log = Table(
    "notification_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("receiver", String(200), nullable=False),
    Column("license", String(200), nullable=False),
    Column("serial", String(200), nullable=False),
    Column("route", String(200), nullable=False),
    Column("group_id", Integer, nullable=False),
    Column("condition", String(400), nullable=False),
    Column("state", String(20), nullable=False),  # firing | resolving | resolved
    Column("send_resolved", Boolean, nullable=False),
    Column("camera_event_id", Integer, nullable=False),
    Column("data", JSON, nullable=False),
    Column("first_sent_at", Float, nullable=False),
    Column("last_sent_at", Float, nullable=False),
    Column("notification_id", Integer, nullable=True),
    # When this receiver is next reminded of a firing camera (NULL: never, e.g. acknowledged).
    Column("remind_at", Float, nullable=True),
    UniqueConstraint("receiver", "license", "serial"),
)
Index("ix_notification_log_remind_at", notification_log.c.remind_at)
Index("ix_notification_log_license_serial", notification_log.c.license,
      notification_log.c.serial)

camera_state = Table(
    "camera_state",
    metadata,
    Column("license", String(200), nullable=False),
    Column("serial", String(200), nullable=False),
    Column("status", String(40), nullable=False),
    # status -> the latest CameraEvent dict with that status, until back to normal.
    Column("active", JSON, nullable=False),
    Column("tags", JSON, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("last_normal_at", Float, nullable=True),
    # What the state tracker read from the license logs (versions/0007_incidents.py):
    # the newest log (id, created, status, anomalies and snapshot) and since when the
    # camera has had that status.
    Column("log_id", Integer, nullable=True),
    Column("log_at", Float, nullable=True),
    Column("log_status", String(40), nullable=True),
    Column("log_data", JSON, nullable=True),
    Column("status_since", Float, nullable=True),
    PrimaryKeyConstraint("license", "serial"),
)

silences = Table(
    "silences",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("matchers", JSON, nullable=False),  # a rules.yaml `match:` mapping
    Column("starts_at", Float, nullable=False),
    Column("ends_at", Float, nullable=False),
    Column("author", String(200), nullable=False),
    Column("comment", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)
Index("ix_silences_ends_at", silences.c.ends_at)

target_rates = Table(
    "target_rates",
    metadata,
    Column("target_key", String(64), primary_key=True),
    Column("window_start", Float, nullable=False),
    Column("sent", Integer, nullable=False),
)

# One problem of one camera, from the first routed event to its resolution
# (migration: versions/0007_incidents.py). ``open_key`` is set while the incident is
# open or acknowledged and NULL once resolved: its unique index keeps one open
# incident per (license, camera) on both backends without a partial index.
incidents = Table(
    "incidents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("license", String(200), nullable=False),
    Column("serial", String(200), nullable=False),
    Column("name", String(400), nullable=False),
    Column("tags", JSON, nullable=False),
    Column("condition", String(400), nullable=False),
    Column("open_key", String(420), nullable=True, unique=True),
    Column("state", String(20), nullable=False),  # open | acknowledged | resolved
    Column("opened_at", Float, nullable=False),
    Column("last_event_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("first_alert_id", Integer, nullable=False),
    Column("last_camera_event_id", Integer, nullable=False),
    Column("events", Integer, nullable=False),
    Column("data", JSON, nullable=False),  # the latest CameraEvent of the incident
    Column("notified", Boolean, nullable=False),
    Column("acked_at", Float, nullable=True),
    Column("acked_by", String(200), nullable=True),
    Column("ack_comment", Text, nullable=True),
    Column("resolved_at", Float, nullable=True),
    Column("resolution", String(40), nullable=True),  # tracker | webhook | superseded
    Column("resolution_detail", Text, nullable=True),
)
Index("ix_incidents_state_opened_at", incidents.c.state, incidents.c.opened_at)
Index("ix_incidents_license_serial", incidents.c.license, incidents.c.serial)
Index("ix_incidents_resolved_at", incidents.c.resolved_at)

incident_events = Table(
    "incident_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("incident_id", Integer, ForeignKey("incidents.id", ondelete="CASCADE"),
           nullable=False),
    Column("at", Float, nullable=False),
    # opened | updated | notified | reminded | acknowledged | resolved | held_down | ...
    Column("kind", String(30), nullable=False),
    Column("receiver", String(200), nullable=True),
    Column("notification_id", Integer, nullable=True),
    Column("detail", Text, nullable=False),
)
Index("ix_incident_events_incident_id", incident_events.c.incident_id, incident_events.c.id)
