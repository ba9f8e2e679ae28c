"""Mail for ``notify`` steps: an SMTP sender the service builds when mail is configured (a ``Mailer``).

smtplib is blocking: it runs in a worker thread. Failures become ``NetopsError`` naming the server, never the
password. STARTTLS and login are optional (an internal relay usually needs neither).
"""

from __future__ import annotations

import asyncio
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

from netops.errors import NetopsError


@dataclass(frozen=True, slots=True)
class SmtpMailer:
    host: str
    port: int = 25
    sender: str = "netops@localhost"
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    timeout_s: float = 10.0

    def _send(self, to: list[str], subject: str, body: str) -> None:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = self.sender, ", ".join(to), subject
        msg.set_content(body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username and self.password:
                    smtp.login(self.username, self.password)
                smtp.send_message(msg)
        except (smtplib.SMTPException, OSError) as exc:
            raise NetopsError(
                f"mail through {self.host}:{self.port} failed: {exc.__class__.__name__}"
            ) from exc

    async def send(self, to: list[str], subject: str, body: str) -> None:
        await asyncio.to_thread(self._send, to, subject, body)
