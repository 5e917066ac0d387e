"""A local HTTPS server with a self-signed certificate (for Teams ``workflows://``).

The certificate is made at test time with the ``openssl`` command line (the
``cryptography`` package is not a dependency); ``TlsSink`` is an ``HttpSink``
whose socket speaks TLS. Clients must not verify it (Apprise: ``?verify=no``).
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
import tempfile
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path

from tests.support.httpsink import HttpSink, _handler_for


def self_signed(directory: Path) -> tuple[Path, Path]:
    """(certificate, key) for CN=127.0.0.1, written into ``directory``."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("the openssl command is needed to make a test certificate")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60)
    return cert, key


class TlsSink(HttpSink):
    """HttpSink over TLS with a throwaway self-signed certificate."""

    def start(self) -> TlsSink:
        if self._server is not None:
            raise RuntimeError("TlsSink already started")
        self._tmp = tempfile.TemporaryDirectory(prefix="tlssink-")
        cert, key = self_signed(Path(self._tmp.name))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self._stopping.clear()
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        server.socket = context.wrap_socket(server.socket, server_side=True)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        super().stop()
        tmp = getattr(self, "_tmp", None)
        if tmp is not None:
            tmp.cleanup()
