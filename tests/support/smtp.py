"""A real SMTP server (aiosmtpd) on 127.0.0.1 that records messages.

    with SmtpSink() as smtp:
        url = smtp.apprise_url(to="oncall@example.com")
        ...
        msg = smtp.wait_for(1)[0]; msg.subject, msg.text

Without ``auth`` any client may send. With ``auth=(user, password)`` the
server offers AUTH over plain text (``auth_require_tls=False``) and refuses
refuses wrong credentials, so Apprise's login path is exercised too.
"""

from __future__ import annotations

import email
import email.policy
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.support.waiting import wait_for_count


@dataclass(frozen=True)
class Received:
    """One SMTP transaction: envelope and the parsed message."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    login: str | None

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        """The text/plain body (Apprise sends multipart/alternative)."""
        part = self.message.get_body(preferencelist=("plain",))
        return str(part.get_content()) if part is not None else ""


class _PortZeroController(Controller):
    """aiosmtpd connects to ``self.port`` to check readiness; learn the real one first."""

    def _trigger_server(self) -> None:
        server: Any = self.server  # an asyncio.Server once _run() has bound it
        self.port = server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


class SmtpSink:
    """A loopback SMTP server recording every accepted message."""

    def __init__(self, *, auth: tuple[str, str] | None = None) -> None:
        self.auth = auth
        self._messages: list[Received] = []
        self._cond = threading.Condition()
        self._controller: Controller | None = None

    def start(self) -> SmtpSink:
        if self._controller is not None:
            raise RuntimeError("SmtpSink already started")
        kwargs: dict[str, Any] = {}
        if self.auth is not None:
            # Not auth_required: aiosmtpd warns about it without TLS, and a
            # wrong password is refused all the same.
            kwargs.update(authenticator=self._authenticate, auth_require_tls=False)
        self._controller = _PortZeroController(self, hostname="127.0.0.1", port=0, **kwargs)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._controller is None:
            raise RuntimeError("SmtpSink is not started")
        return int(self._controller.port)

    def apprise_url(self, *, to: str = "oncall@example.com",
                    sender: str = "router@example.com") -> str:
        """The Apprise ``mailto://`` URL that reaches this server (plain SMTP, no TLS)."""
        creds = f"{self.auth[0]}:{self.auth[1]}@" if self.auth else ""
        return (f"mailto://{creds}127.0.0.1?smtp=127.0.0.1&port={self.port}"
                f"&from={sender}&to={to}&mode=insecure")

    @property
    def messages(self) -> list[Received]:
        with self._cond:
            return list(self._messages)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        return wait_for_count(self._cond, self._messages, count, timeout, "SmtpSink messages")

    # -- aiosmtpd hooks ----------------------------------------------------------
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        auth = session.auth_data
        login = auth.login.decode() if isinstance(auth, LoginPassword) else None
        with self._cond:
            self._messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                           message, login))
            self._cond.notify_all()
        return "250 Message accepted for delivery"

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str,
                      auth_data: Any) -> AuthResult:
        ok = (isinstance(auth_data, LoginPassword) and self.auth is not None
              and auth_data.login.decode() == self.auth[0]
              and auth_data.password.decode() == self.auth[1])
        # auth_data is what aiosmtpd keeps on the session (Received.login).
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)
