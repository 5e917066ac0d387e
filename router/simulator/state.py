"""The simulator's in-memory database: users, licenses, cameras, logs, alerts, media.

Objects mirror the upstream models; URLs are stored as media paths (relative)
and made absolute per request, so the same state serves any host name. Every
mutation and every read goes through ``State.lock``: the werkzeug server is
threaded.
"""

from __future__ import annotations

import random
import re
import string
import threading
from dataclasses import dataclass, field
from datetime import datetime

from router.model import Status

from .frames import camera_frame, sniff_image


@dataclass
class User:
    id: int
    email: str
    token: str


@dataclass
class License:
    id: int
    code: str
    owner_id: int
    size: int
    va_type: str
    expiration: datetime
    created: datetime
    modified: datetime


@dataclass
class Reference:
    """One reference image of a camera; older ones stay for historical alerts."""

    path: str
    created: datetime


@dataclass
class Camera:
    id: int
    license_id: int
    serial: str
    name: str
    tags: list[str]
    notes: str
    created: datetime
    modified: datetime
    references: list[Reference] = field(default_factory=list)

    def reference_at(self, when: datetime) -> Reference | None:
        """The reference that was current at ``when`` (for alerts)."""
        current = None
        for ref in self.references:  # kept in creation order
            if ref.created <= when:
                current = ref
        return current

    @property
    def reference(self) -> Reference | None:
        return self.references[-1] if self.references else None


@dataclass
class Log:
    id: int
    camera_id: int
    status: str
    anomalies: dict[str, float]
    snapshot: str | None
    created: datetime


@dataclass
class AlertCamera:
    """A camera as it was when the alert fired (copied, not linked)."""

    serial: str
    name: str
    status: str
    anomalies: dict[str, float]
    snapshot: str | None
    reference_image: str | None
    tags: list[str]
    anomaly: str  # the webhook label for this camera


@dataclass
class Alert:
    id: int
    license_id: int
    sent: bool
    cameras: list[AlertCamera]
    created: datetime
    anomaly: str  # the webhook's top-level label


def status_label(status: str) -> str:
    """``under_review`` -> ``Under review``: the display label alerts carry."""
    return status.replace("_", " ").capitalize()


def webhook_label(status: str, anomalies: dict[str, float]) -> str:
    """What VisionAlert would put in a webhook ``anomaly``: the worst type, else the status."""
    if status == Status.ANOMALY and anomalies:
        return max(anomalies.items(), key=lambda kv: kv[1])[0]
    return status_label(status)


_SLUG = re.compile(r"[^a-z0-9]+")


class State:
    """All simulator data plus the id counters and media store."""

    def __init__(self, seed: int = 0) -> None:
        self.lock = threading.RLock()
        self.users: dict[int, User] = {}
        self.licenses: dict[int, License] = {}
        self.cameras: dict[int, Camera] = {}
        self.logs: dict[int, Log] = {}
        self.alerts: dict[int, Alert] = {}
        self.media: dict[str, tuple[bytes, str]] = {}  # path -> (bytes, content type)
        self._rng = random.Random(seed)  # noqa: S311 - reproducible media names
        # Ids start where the API reference examples do, so they read alike.
        self._next = {"user": 1, "license": 1, "camera": 40, "log": 1000, "alert": 500}

    def new_id(self, kind: str, wanted: int | None = None) -> int:
        if wanted is not None:
            self._next[kind] = max(self._next[kind], wanted + 1)
            return wanted
        value = self._next[kind]
        self._next[kind] = value + 1
        return value

    # ---- lookups -----------------------------------------------------------------
    def user_by_token(self, token: str) -> User | None:
        return next((u for u in self.users.values() if u.token == token), None)

    def license_by_code(self, code: str) -> License | None:
        return next((lic for lic in self.licenses.values() if lic.code == code), None)

    def licenses_of(self, user_id: int) -> list[License]:
        mine = [lic for lic in self.licenses.values() if lic.owner_id == user_id]
        return sorted(mine, key=lambda lic: (lic.created, lic.id), reverse=True)

    def cameras_of(self, license_id: int) -> list[Camera]:
        return [c for c in self.cameras.values() if c.license_id == license_id]

    def camera(self, license_id: int, serial: str) -> Camera | None:
        return next((c for c in self.cameras_of(license_id) if c.serial == serial), None)

    def logs_of(self, camera_ids: set[int]) -> list[Log]:
        return [log for log in self.logs.values() if log.camera_id in camera_ids]

    def latest_log(self, camera_id: int) -> Log | None:
        mine = [log for log in self.logs.values() if log.camera_id == camera_id]
        return max(mine, key=lambda log: (log.created, log.id), default=None)

    def latest_status(self, camera_id: int) -> str | None:
        log = self.latest_log(camera_id)
        return log.status if log else None

    # ---- media -------------------------------------------------------------------
    def _media_name(self, kind: str, when: datetime, label: str, ext: str) -> str:
        token = "".join(self._rng.choices(string.ascii_letters + string.digits, k=5))
        slug = _SLUG.sub("_", label.lower()).strip("_")[:24] or "camera"
        # Same shape as upstream: camera_snapshot/04/10/1430_aB3cD_front.jpg
        return f"{kind}/{when:%m/%d/%H%M}_{token}_{slug}.{ext}"

    def store_media(self, kind: str, when: datetime, label: str, data: bytes) -> str:
        sniffed = sniff_image(data)
        content_type, ext = sniffed or ("image/jpeg", "jpg")
        path = self._media_name(kind, when, label, ext)
        self.media[path] = (data, content_type)
        return path

    def generated_media(self, kind: str, when: datetime, camera: Camera, variant: str) -> str:
        return self.store_media(kind, when, camera.name, camera_frame(camera.serial, variant))

    # ---- mutations ----------------------------------------------------------------
    def add_camera(self, license_id: int, serial: str, when: datetime, *, name: str | None = None,
                   tags: list[str] | None = None, notes: str = "", camera_id: int | None = None
                   ) -> Camera:
        cam = Camera(id=self.new_id("camera", camera_id), license_id=license_id, serial=serial,
                     name=name or serial, tags=list(tags or []), notes=notes, created=when,
                     modified=when)
        self.cameras[cam.id] = cam
        return cam

    def add_tag(self, camera: Camera, tag: str, when: datetime) -> None:
        if tag not in camera.tags:
            camera.tags.append(tag)
            camera.modified = when

    def add_log(self, camera: Camera, status: str, anomalies: dict[str, float], when: datetime,
                snapshot: str | None, log_id: int | None = None) -> Log:
        log = Log(id=self.new_id("log", log_id), camera_id=camera.id, status=status,
                  anomalies=dict(anomalies), snapshot=snapshot, created=when)
        self.logs[log.id] = log
        return log

    def set_reference(self, camera: Camera, data: bytes | None, when: datetime) -> Reference:
        if data is None:
            path = self.generated_media("camera_reference", when, camera, "normal")
        else:
            path = self.store_media("camera_reference", when, camera.name, data)
        ref = Reference(path=path, created=when)
        camera.references.append(ref)
        camera.modified = when
        return ref

    def delete_camera(self, camera: Camera) -> None:
        """Drop the camera, its logs (and their snapshots) and its reference images.

        Alerts are history and keep their copies of the camera entry, as upstream.
        """
        for log in [log for log in self.logs.values() if log.camera_id == camera.id]:
            del self.logs[log.id]
            if log.snapshot:
                self.media.pop(log.snapshot, None)
        for ref in camera.references:
            self.media.pop(ref.path, None)
        del self.cameras[camera.id]

    def add_alert(self, license_id: int, cameras: list[AlertCamera], when: datetime, *,
                  sent: bool = False, anomaly: str | None = None, alert_id: int | None = None
                  ) -> Alert:
        if anomaly is None:
            labels = {c.anomaly for c in cameras}
            anomaly = labels.pop() if len(labels) == 1 else (cameras[0].anomaly if cameras else "")
        alert = Alert(id=self.new_id("alert", alert_id), license_id=license_id, sent=sent,
                      cameras=cameras, created=when, anomaly=anomaly)
        self.alerts[alert.id] = alert
        return alert

    def snapshot_camera(self, camera: Camera, status: str, anomalies: dict[str, float],
                        when: datetime, *, with_log: bool = True) -> AlertCamera:
        """Record what an alert sees of ``camera`` now: a fresh log and the current reference."""
        snapshot = None
        if with_log:
            variant = webhook_label(status, anomalies) if status != Status.NORMAL else "normal"
            snapshot = (None if status == Status.OFFLINE
                        else self.generated_media("camera_snapshot", when, camera, variant))
            self.add_log(camera, status, anomalies, when, snapshot)
        ref = camera.reference_at(when)
        return AlertCamera(serial=camera.serial, name=camera.name, status=status_label(status),
                           anomalies=dict(anomalies), snapshot=snapshot,
                           reference_image=ref.path if ref else None, tags=list(camera.tags),
                           anomaly=webhook_label(status, anomalies))
