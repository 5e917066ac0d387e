"""Which channel family a target belongs to, from its Apprise scheme alone.

The family decides the message format: ``slack`` (mrkdwn; Block Kit with
``?blocks=yes``), ``teams`` (``workflows://``: an Adaptive Card), ``email``
(``mailto://``, ``mailtos://``: HTML with a text alternative), ``sms`` (short
GSM-7 text) and ``generic`` (markdown) for every other scheme, known or not.
Only the URL's text is read: nothing here instantiates Apprise, so it is cheap
and never touches the secrets in the URL beyond looking at them.
"""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import parse_qsl

Family = Literal["slack", "teams", "email", "sms", "generic"]

# Apprise plugins that deliver text messages to phones (checked against
# Apprise's plugin list by a test, so a renamed scheme cannot slip by).
SMS_SCHEMES = frozenset({
    "twilio", "vonage", "nexmo", "sns", "plivo", "sinch", "clicksend", "msgbird",
    "bulksms", "bulkvs", "burstsms", "kudosity", "d7sms", "clickatell", "smsc",
    "smseagle", "smseagles", "smsmgr", "smsmanager", "seven", "46elks", "elks",
    "serwersms", "ringc", "voipms", "httpsms", "freemobile", "atalk", "msg91",
    "kavenegar", "telnyx", "telesign", "infobip", "smstunnel", "kaleyra", "klr",
})
_BY_SCHEME: dict[str, Family] = {
    "slack": "slack",
    "workflows": "teams", "workflow": "teams",
    "mailto": "email", "mailtos": "email",
    **dict.fromkeys(SMS_SCHEMES, "sms"),
}
# Generic targets whose payload carries attachments (base64 in JSON, multipart form).
ATTACHING_GENERIC = frozenset({"json", "jsons", "form", "forms", "xml", "xmls"})
_SCHEME = re.compile(r"^\s*([A-Za-z][A-Za-z0-9+.-]*)://")
_TRUE = frozenset({"1", "y", "yes", "true", "on"})


def scheme_of(url: str) -> str:
    """The lower-case scheme of ``url``, or "" when it has none."""
    match = _SCHEME.match(url)
    return match.group(1).lower() if match else ""


def family_of(url: str) -> Family:
    """The channel family of an Apprise URL; unknown schemes are ``generic``."""
    return _BY_SCHEME.get(scheme_of(url), "generic")


def _query(url: str) -> dict[str, str]:
    return {k.lower(): v for k, v in parse_qsl(url.partition("?")[2].partition("#")[0])}


def slack_blocks(url: str) -> bool:
    """Slack with ``?blocks=yes``: Apprise sends a Block Kit header and section."""
    return _query(url).get("blocks", "").strip().lower() in _TRUE


def slack_bot(url: str) -> bool:
    """Slack bot mode (an ``xoxb-``/``xoxp-`` token): it can upload files; webhooks cannot."""
    rest = url.partition("://")[2]
    token = rest.split("@")[-1] if "@" in rest.split("/", 1)[0] else rest
    return token.lower().startswith(("xoxb-", "xoxp-"))


def attaches_images(url: str) -> bool:
    """Whether images are sent as files to this target (else they are only linked)."""
    family = family_of(url)
    if family == "email":
        return True
    if family == "slack":
        return slack_bot(url)
    return family == "generic" and scheme_of(url) in ATTACHING_GENERIC
