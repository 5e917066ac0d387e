"""Store webhooks through the real ingest path, without HTTP (store-level tests)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from router.receive.sample import SAMPLE_WEBHOOK
from router.store.db import Database
from router.store.ingest import Accepted, accept_alert
from router.upstream.payload import parse_payload


def sample_body(serial: str) -> dict[str, Any]:
    """The documented sample webhook, for one camera ``serial``."""
    body = json.loads(json.dumps(SAMPLE_WEBHOOK))
    body["cameras"][0]["serial"] = serial
    return body


def store_webhook(db: Database, body: dict[str, Any], *, now: float,
                  dedup_window: float = 600) -> Accepted:
    raw = json.dumps(body).encode()
    return accept_alert(db, parse_payload(body), raw_body=raw, content_type="application/json",
                        now=now, dedup_window=dedup_window,
                        body_sha256=hashlib.sha256(raw).hexdigest())
