"""Parse and normalise a VisionAlert webhook body: pure, no I/O, no Flask.

The documented body is a JSON object with ``license``, ``user``, ``anomaly`` and a
``cameras`` array. Unknown fields are kept (under ``extra``) and unknown anomaly
labels are kept and normalised case-insensitively; only what the router cannot
work without is rejected, with the JSON path of the culprit.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError, field_validator

from router.errors import PayloadError
from router.model import ParsedAlert, parse_label
from router.obs import jsontext


class _Camera(BaseModel):
    model_config = ConfigDict(extra="allow")

    serial: StrictStr = Field(min_length=1)
    name: StrictStr | None = None
    anomaly: StrictStr | None = None
    tags: list[StrictStr] = Field(default_factory=list)
    reference_image: StrictStr | None = None
    latest_image: StrictStr | None = None

    @field_validator("tags", mode="before")
    @classmethod
    def _null_tags(cls, value: object) -> object:
        return [] if value is None else value


class _Body(BaseModel):
    model_config = ConfigDict(extra="allow")

    license: StrictStr = Field(min_length=1)
    user: StrictStr | None = None
    anomaly: StrictStr | None = None
    cameras: list[_Camera] = Field(min_length=1)


def decode_json(raw: bytes | str) -> Any:
    """Bytes or text -> JSON value, with errors a webhook sender can act on."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PayloadError(
                f"body is not valid UTF-8 (byte {exc.start}): send JSON encoded as UTF-8"
            ) from None
    if not raw.strip():
        raise PayloadError("body is empty: expected a JSON object with a 'cameras' array")
    try:
        return jsontext.loads(raw)
    except json.JSONDecodeError as exc:
        raise PayloadError(
            f"body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None


def parse_payload(data: Any) -> ParsedAlert:
    """Validate a decoded JSON value and normalise it."""
    if not isinstance(data, dict):
        raise PayloadError(f"body must be a JSON object, got {_json_type(data)}", field="$")
    try:
        body = _Body.model_validate(data)
    except ValidationError as exc:
        raise _payload_error(exc) from None
    alert_label = parse_label(body.anomaly)
    cameras = [_normalise_camera(cam, body.anomaly) for cam in body.cameras]
    normalised: dict[str, Any] = {
        "license": body.license,
        "user": body.user,
        "anomaly": body.anomaly,
        "status": alert_label.status.value,
        "anomalies": list(alert_label.anomalies),
        "cameras": cameras,
        "extra": body.model_extra or {},
    }
    return ParsedAlert(
        license=body.license,
        user=body.user,
        label=body.anomaly,
        status=alert_label.status.value,
        normalised=normalised,
        dedup_key=_dedup_key(body.license, data),
    )


def _normalise_camera(cam: _Camera, alert_anomaly: str | None) -> dict[str, Any]:
    # A camera without its own label inherits the alert's.
    raw = cam.anomaly if cam.anomaly is not None else alert_anomaly
    label = parse_label(raw)
    return {
        "serial": cam.serial,
        "name": cam.name or cam.serial,
        "anomaly": raw,
        "status": label.status.value,
        "anomalies": list(label.anomalies),
        "tags": cam.tags,
        "reference_image": cam.reference_image,
        "latest_image": cam.latest_image,
        "extra": cam.model_extra or {},
    }


def _dedup_key(license_code: str, data: dict[str, Any]) -> str:
    # Canonical JSON: the same content is the same key whatever the content type,
    # key order or whitespace it arrived with.
    canonical = jsontext.dumps(data, sort_keys=True)
    return hashlib.sha256(f"{license_code}\n{canonical}".encode()).hexdigest()


def _payload_error(exc: ValidationError) -> PayloadError:
    err = exc.errors(include_url=False)[0]
    path = _path(err["loc"])
    kind = err["type"]
    if kind == "missing":
        message = f"{path} is required"
    elif kind == "too_short" and path == "cameras":
        message = "cameras must list at least one camera"
    elif kind == "string_too_short":
        message = f"{path} must not be empty"
    elif kind == "list_type":
        message = f"{path} must be a list, got {_json_type(err['input'])}"
    elif kind in ("string_type", "model_type", "model_attributes_type"):
        expected = "a string" if kind == "string_type" else "an object"
        message = f"{path} must be {expected}, got {_json_type(err['input'])}"
    else:
        message = f"{path}: {err['msg']}"
    return PayloadError(message, field=path)


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "$"


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"
