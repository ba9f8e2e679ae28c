"""Test kit for the notification tests: an HTTP receiver on 127.0.0.1 that records every request and answers
like a plain webhook, a DingTalk custom robot or a WeCom group robot (scripted answers, errors included), and a
real SMTP server (aiosmtpd) that records messages and logins and can answer 4xx first."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SmtpServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from netops.lab.testing import free_port

OK_ROBOT = (200, {"errcode": 0, "errmsg": "ok"})
# where each receiver listens (the path of its real URL)
PATHS = {"webhook": "/hook", "dingtalk": "/robot/send", "wecom": "/cgi-bin/webhook/send"}


@dataclass
class Request:
    path: str
    query: dict[str, str]
    body: Any


class Receiver:
    """Records every POST; answers from ``script[path]`` (a list of (status, JSON body or None), used up
    front to back), else 204 for ``/hook`` and DingTalk/WeCom's ``{"errcode": 0, "errmsg": "ok"}``."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.script: dict[str, list[tuple[int, Any]]] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                parts = urlsplit(self.path)
                raw = self.rfile.read(int(self.headers.get("content-length", "0")))
                with receiver.lock:
                    receiver.requests.append(
                        Request(
                            parts.path,
                            {k: v[0] for k, v in parse_qs(parts.query).items()},
                            json.loads(raw or b"null"),
                        )
                    )
                    queue = receiver.script.get(parts.path)
                    status, body = queue.pop(0) if queue else receiver.default(parts.path)
                payload = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @staticmethod
    def default(path: str) -> tuple[int, Any]:
        return (204, None) if path == PATHS["webhook"] else OK_ROBOT

    def at(self, kind: str) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if r.path == PATHS[kind]]

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.script.clear()


@contextmanager
def receiver() -> Iterator[Receiver]:
    rx = Receiver()
    rx.thread.start()
    try:
        yield rx
    finally:
        rx.server.shutdown()
        rx.server.server_close()
        rx.thread.join(5)


@dataclass
class Mailbox:
    """What the SMTP server saw: messages (recipients, raw text), logins (user, password), and how many
    ``451`` answers to give before it accepts."""

    messages: list[tuple[list[str], str]] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
    refuse_first: int = 0
    answers: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: SmtpServer, session: Session, envelope: Envelope) -> str:
        if self.refuse_first > 0:
            self.refuse_first -= 1
            self.answers.append("451")
            return "451 4.3.0 mailbox busy, try again"
        content = envelope.content if isinstance(envelope.content, bytes) else b""
        self.messages.append((list(envelope.rcpt_tos), content.decode("utf-8", "replace")))
        self.answers.append("250")
        return "250 OK"

    def authenticate(
        self, server: SmtpServer, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            self.logins.append((auth_data.login.decode(), auth_data.password.decode()))
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


@contextmanager
def smtp_server(*, utf8: bool = True) -> Iterator[tuple[Mailbox, int]]:
    """``utf8=False``: a server that does not offer SMTPUTF8 (non-ASCII addresses refused)."""
    box = Mailbox()
    port = free_port()
    controller = Controller(
        box,
        hostname="127.0.0.1",
        port=port,
        authenticator=box.authenticate,
        auth_require_tls=False,
        enable_SMTPUTF8=utf8,
    )
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


@contextmanager
def silent_server() -> Iterator[int]:
    """A TCP server on 127.0.0.1 that accepts connections and never says anything (a mail server that never
    greets); yields its port."""
    sock = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        sock.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(sock.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        for conn in held:
            conn.close()
        sock.close()
