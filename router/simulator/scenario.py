"""Scenario files: the users, licenses, cameras, logs and alerts a simulator starts with.

A scenario is YAML or JSON validated with pydantic (errors name the field).
Times are written relative to start-up ("-2h", "-3d4h30m", "+365d", "now") so
date filters always find data, or as absolute ISO 8601 timestamps.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from router.clock import parse_duration
from router.errors import ScenarioError
from router.model import ANOMALY_TYPES, Status

from .state import License, State, User

DEFAULT_SCENARIO = "default_scenario.yaml"
_RELATIVE = re.compile(r"^(?P<sign>[+-])(?P<parts>(\d+[dhms])+)$")


def resolve_time(value: str, now: datetime) -> datetime:
    """``"-2h30m"`` -> now minus 2.5 hours; ISO timestamps are taken as they are (UTC if naive)."""
    text = value.strip()
    if text == "now":
        return now
    match = _RELATIVE.match(text)
    if match:
        delta = timedelta(seconds=parse_duration(match["parts"]))
        return now - delta if match["sign"] == "-" else now + delta
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ScenarioError(f"bad time {value!r}: use '-2h', '+365d', 'now' or ISO 8601") from exc
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=now.tzinfo)


def _duration(value: str) -> timedelta:
    return resolve_time("+" + value, datetime.min) - datetime.min


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _check_status(value: str) -> str:
    if value not in {s.value for s in Status}:
        raise ValueError(f"unknown status {value!r}; one of {[s.value for s in Status]}")
    return value


def _check_anomalies(value: dict[str, float]) -> dict[str, float]:
    for key, score in value.items():
        if key not in ANOMALY_TYPES:
            raise ValueError(f"unknown anomaly {key!r}; one of {list(ANOMALY_TYPES)}")
        if not 0.0 <= score <= 1.0:
            raise ValueError(f"score of {key} must be between 0 and 1")
    return value


class LogSpec(_Model):
    at: str
    status: str = "normal"
    anomalies: dict[str, float] = Field(default_factory=dict)
    snapshot: bool = True

    _status = field_validator("status")(_check_status)
    _anomalies = field_validator("anomalies")(_check_anomalies)


class HistorySpec(_Model):
    """A regular series of logs ending at ``until`` (e.g. a healthy camera's heartbeat)."""

    every: str = "1h"
    count: int = Field(default=24, ge=0)
    until: str = "now"
    status: str = "normal"

    _status = field_validator("status")(_check_status)


class CameraSpec(_Model):
    serial: str = Field(min_length=1)
    name: str | None = None
    id: int | None = None
    tags: list[str] = Field(default_factory=list)
    notes: str = ""
    created: str = "-30d"
    references: list[str] = Field(default_factory=lambda: ["-30d"])  # [] = no reference
    history: HistorySpec | None = Field(default_factory=HistorySpec)
    logs: list[LogSpec] = Field(default_factory=list)


class AlertCameraSpec(_Model):
    serial: str
    status: str = "anomaly"
    anomalies: dict[str, float] = Field(default_factory=dict)

    _status = field_validator("status")(_check_status)
    _anomalies = field_validator("anomalies")(_check_anomalies)


class AlertSpec(_Model):
    at: str
    id: int | None = None
    sent: bool = True
    anomaly: str | None = None  # the webhook's top-level label; derived if omitted
    webhook: bool = False  # send it to --webhook-target at start-up
    cameras: list[AlertCameraSpec] = Field(min_length=1)


class LicenseSpec(_Model):
    code: str
    id: int | None = None
    size: int = 50
    va_type: str = "meraki"
    expiration: str = "+365d"
    created: str = "-180d"
    modified: str | None = None
    cameras: list[CameraSpec] = Field(default_factory=list)
    alerts: list[AlertSpec] = Field(default_factory=list)


class UserSpec(_Model):
    email: str
    token: str = Field(min_length=1)
    licenses: list[LicenseSpec] = Field(default_factory=list)


class Scenario(_Model):
    timezone: str = "UTC"
    users: list[UserSpec] = Field(min_length=1)


def load_scenario(source: str | Path | dict[str, Any] | None) -> Scenario:
    """Parse a scenario file (``.yaml``/``.yml``/``.json``), a mapping, or the built-in one."""
    if isinstance(source, dict):
        data: Any = source
        origin = "<dict>"
    else:
        if source is None:
            text = resources.files(__package__).joinpath(DEFAULT_SCENARIO).read_text("utf-8")
            origin, suffix = DEFAULT_SCENARIO, ".yaml"
        else:
            path = Path(source)
            try:
                text = path.read_text("utf-8")
            except OSError as exc:
                raise ScenarioError(f"cannot read scenario {path}: {exc.strerror}") from exc
            origin, suffix = str(path), path.suffix.lower()
        data = _parse(text, suffix, origin)
    try:
        return Scenario.model_validate(data)
    except ValueError as exc:
        raise ScenarioError(f"invalid scenario {origin}: {exc}") from exc


def _parse(text: str, suffix: str, origin: str) -> Any:
    try:
        if suffix == ".json":
            return json.loads(text)
        from ruamel.yaml import YAML  # project dependency; imported lazily, only YAML needs it

        return YAML(typ="safe", pure=True).load(text)
    except Exception as exc:  # both parsers raise their own hierarchies
        raise ScenarioError(f"cannot parse scenario {origin}: {exc}") from exc


def seed_state(scenario: Scenario, state: State, now: datetime) -> list[int]:
    """Fill ``state``; returns the ids of alerts marked ``webhook: true``."""
    to_send: list[int] = []
    now = now.replace(microsecond=0)  # seeded times read like upstream's: whole seconds
    with state.lock:
        for uspec in scenario.users:
            if state.user_by_token(uspec.token):
                raise ScenarioError(f"token of {uspec.email} is used twice")
            user = User(id=state.new_id("user"), email=uspec.email, token=uspec.token)
            state.users[user.id] = user
            for lspec in uspec.licenses:
                to_send += _seed_license(lspec, user, state, now)
    return to_send


def _seed_license(spec: LicenseSpec, user: User, state: State, now: datetime) -> list[int]:
    if state.license_by_code(spec.code) or (spec.id is not None and spec.id in state.licenses):
        raise ScenarioError(f"license {spec.code} (id {spec.id}) is defined twice")
    created = resolve_time(spec.created, now)
    lic = License(id=state.new_id("license", spec.id), code=spec.code, owner_id=user.id,
                  size=spec.size, va_type=spec.va_type,
                  expiration=resolve_time(spec.expiration, now), created=created,
                  modified=resolve_time(spec.modified, now) if spec.modified else created)
    state.licenses[lic.id] = lic
    for cspec in spec.cameras:
        if state.camera(lic.id, cspec.serial):
            raise ScenarioError(f"camera {cspec.serial} appears twice in license {spec.code}")
        cam = state.add_camera(lic.id, cspec.serial, resolve_time(cspec.created, now),
                               name=cspec.name, tags=cspec.tags, notes=cspec.notes,
                               camera_id=cspec.id)
        for when in sorted(resolve_time(r, now) for r in cspec.references):
            state.set_reference(cam, None, when)
        cam.modified = cam.created
        if cspec.history:
            h = cspec.history
            end, step = resolve_time(h.until, now), _duration(h.every)
            for i in reversed(range(h.count)):
                when = end - step * i
                snap = None if h.status == Status.OFFLINE else state.generated_media(
                    "camera_snapshot", when, cam, "normal")
                state.add_log(cam, h.status, {}, when, snap)
        for log in cspec.logs:
            when = resolve_time(log.at, now)
            variant = max(log.anomalies, key=lambda k: log.anomalies[k], default="normal")
            snap = state.generated_media("camera_snapshot", when, cam, variant) if (
                log.snapshot and log.status != Status.OFFLINE) else None
            state.add_log(cam, log.status, log.anomalies, when, snap)
    to_send = []
    for aspec in sorted(spec.alerts, key=lambda a: resolve_time(a.at, now)):
        when = resolve_time(aspec.at, now)
        entries = []
        for acam in aspec.cameras:
            target = state.camera(lic.id, acam.serial)
            if target is None:
                raise ScenarioError(f"alert at {aspec.at} names unknown camera {acam.serial}")
            # The log that triggered the alert precedes it by the analysis time.
            entry = state.snapshot_camera(target, acam.status, acam.anomalies,
                                          when - timedelta(minutes=2))
            ref = target.reference_at(when)
            entry.reference_image = ref.path if ref else None
            entries.append(entry)
        alert = state.add_alert(lic.id, entries, when, sent=aspec.sent, anomaly=aspec.anomaly,
                                alert_id=aspec.id)
        if aspec.webhook:
            to_send.append(alert.id)
    return to_send
