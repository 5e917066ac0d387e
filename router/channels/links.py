"""Signed action links for notifications: "Open" an alert, "Silence camera 24 h" and
"Acknowledge" the camera's incident.

A link names its purpose and subject in the URL (alert id; license, serial and
duration) and carries ``t=<expiry>.<mac>``: an itsdangerous HMAC-SHA256 signature over
purpose, subject and expiry. Changing any part, or reusing a token for another camera
or another purpose, breaks the MAC; the expiry is checked only after the MAC,
so it cannot be extended. Links that change something only show a
confirmation page on GET; the change needs the POST of that page, so a link
preview bot fetching the URL silences nothing.

The key is derived from ``ROUTER_LINK_SECRET`` (or ``ROUTER_LINK_SECRET_FILE``);
without it, from ``ROUTER_ADMIN_TOKEN``, so links work out of the box and
rotating either secret revokes every link issued before. Links expire after
``ROUTER_LINK_TTL`` seconds (default 7 days).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

import itsdangerous

from router.errors import LinkError
from router.model import CameraEvent
from router.settings import Settings

OPEN, SILENCE, IMAGE, ACK, CAMERAS = "open", "silence", "image", "ack", "cameras"
SILENCE_DEFAULT = 24 * 3600
_SEP = "\x1f"  # cannot appear in a URL parameter, so fields cannot be shifted


@dataclass(frozen=True)
class Signer:
    key: bytes

    def token(self, purpose: str, subject: Sequence[str], expires: float) -> str:
        stamp = str(int(expires))
        return f"{stamp}.{self._mac(purpose, subject, stamp)}"

    def verify(self, token: str, purpose: str, subject: Sequence[str], now: float) -> float:
        """The expiry of a valid token; LinkError says why it is not valid."""
        stamp, _, mac = (token or "").partition(".")
        if not stamp.isdigit() or not mac:
            raise LinkError("This link is incomplete: open it exactly as it was sent.")
        if not self._signer().verify_signature(self._msg(purpose, subject, stamp), mac):
            raise LinkError("This link is not valid: it was changed, or it was made for "
                            "another alert or camera.")
        expires = float(stamp)
        if now > expires:
            raise LinkError("This link has expired. Open the alert from the dashboard instead.")
        return expires

    def _signer(self) -> itsdangerous.Signer:
        return itsdangerous.Signer(self.key, salt="visionalert-router/links",
                                   digest_method=hashlib.sha256)

    @staticmethod
    def _msg(purpose: str, subject: Sequence[str], stamp: str) -> bytes:
        return _SEP.join([purpose, *subject, stamp]).encode()

    def _mac(self, purpose: str, subject: Sequence[str], stamp: str) -> str:
        return self._signer().get_signature(self._msg(purpose, subject, stamp)).decode()


def derive_key(settings: Settings, purpose: str) -> bytes | None:
    """A key for ``purpose`` from the link secret, else the admin token; None if neither."""
    base = settings.link_secret or settings.admin_token
    if base is None:
        return None
    return hmac.new(base.get_secret_value().encode(), f"visionalert-router/{purpose}/v1".encode(),
                    hashlib.sha256).digest()


def signer(settings: Settings) -> Signer | None:
    key = derive_key(settings, "links")
    return Signer(key) if key is not None else None


def open_path(sign: Signer, alert_id: int, expires: float) -> str:
    return f"/a/open/{alert_id}?" + urlencode({"t": sign.token(OPEN, [str(alert_id)], expires)})


def silence_subject(license_code: str, serial: str, seconds: int) -> list[str]:
    return [license_code, serial, str(seconds)]


def silence_path(sign: Signer, license_code: str, serial: str, expires: float,
                 seconds: int = SILENCE_DEFAULT) -> str:
    token = sign.token(SILENCE, silence_subject(license_code, serial, seconds), expires)
    return "/a/silence?" + urlencode({"license": license_code, "serial": serial,
                                      "for": seconds, "t": token})


def ack_path(sign: Signer, license_code: str, serial: str, expires: float) -> str:
    """Acknowledge the camera's open incident (whichever is open when the link is used)."""
    token = sign.token(ACK, [license_code, serial], expires)
    return "/a/ack?" + urlencode({"license": license_code, "serial": serial, "t": token})


def cameras_subject(group_id: int, flush_no: int, kind: str) -> list[str]:
    return [str(group_id), str(flush_no), kind]


def cameras_path(sign: Signer, group_id: int, flush_no: int, kind: str, expires: float) -> str:
    """The page of every camera one notification covers (a group flush and its kind)."""
    token = sign.token(CAMERAS, cameras_subject(group_id, flush_no, kind), expires)
    return f"/a/n/{group_id}/{flush_no}/{kind}?" + urlencode({"t": token})


def action_links(settings: Settings, *, alert_id: int, license_code: str, serial: str,
                 now: float) -> dict[str, str]:
    """Absolute "open", "silence_24h" and "ack" URLs for a notification; {} without
    ``ROUTER_EXTERNAL_URL`` or a key."""
    sign = signer(settings)
    if sign is None or not settings.external_url:
        return {}
    base = settings.external_url.rstrip("/")
    expires = now + settings.link_ttl
    return {"open": base + open_path(sign, alert_id, expires),
            "silence_24h": base + silence_path(sign, license_code, serial, expires),
            "ack": base + ack_path(sign, license_code, serial, expires)}


class ActionLinks:
    """Signed "open" and "silence_24h" links per camera event, for message templates."""

    def __init__(self, settings: Settings, now: float) -> None:
        self._settings = settings
        self._now = now

    def __call__(self, event: CameraEvent) -> dict[str, str]:
        return action_links(self._settings, alert_id=event.alert_id,
                            license_code=event.license, serial=event.serial, now=self._now)

    def cameras(self, group_id: int, flush_no: int, kind: str) -> str | None:
        """Absolute signed URL of a notification's camera list; None without a key."""
        sign = signer(self._settings)
        if sign is None or not self._settings.external_url:
            return None
        return (self._settings.external_url.rstrip("/")
                + cameras_path(sign, group_id, flush_no, kind, self._now + self._settings.link_ttl))
