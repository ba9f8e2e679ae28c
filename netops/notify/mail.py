"""The SMTP sender of ``email`` channels and of ``notify`` steps with ``email:`` addresses: built from
``notify.yaml``'s ``smtp`` section by ``netops.notify.deliver``, or given to the runbook engine as its ``Mailer``
(``netops.runbooks.mail`` re-exports it).

smtplib is blocking: it runs in a worker thread. Failures become ``MailError`` naming the server and the SMTP
reply code, never the password; ``transient`` says whether trying again may help (a 4xx reply, a connection
that failed or dropped) or not (a 5xx reply: unknown recipient, authentication refused). STARTTLS and login are
optional (an internal relay usually needs neither).
"""

from __future__ import annotations

import asyncio
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

from netops.errors import NetopsError


class MailError(NetopsError):
    """A message the server did not take; ``transient``: a later attempt may succeed."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True, slots=True)
class SmtpMailer:
    host: str
    port: int = 25
    sender: str = "netops@localhost"
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    timeout_s: float = 10.0

    def _send(self, to: list[str], subject: str, body: str) -> str:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = self.sender, ", ".join(to), subject
        msg.set_content(body)
        where = f"mail through {self.host}:{self.port}"
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username and self.password:
                    smtp.login(self.username, self.password)
                refused = smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = sorted({code for code, _ in exc.recipients.values()})
            transient = all(400 <= c < 500 for c in codes)
            raise MailError(
                f"{where}: every recipient refused ({_codes(codes)})", transient=transient
            ) from exc
        except smtplib.SMTPResponseException as exc:  # a reply code: 4xx try again, 5xx do not
            what = exc.__class__.__name__
            raise MailError(f"{where}: {what} {exc.smtp_code}", transient=400 <= exc.smtp_code < 500) from exc
        except (smtplib.SMTPException, OSError) as exc:  # no connection, dropped, timed out
            raise MailError(f"{where}: {exc.__class__.__name__}", transient=True) from exc
        if refused:
            return f"accepted for {len(to) - len(refused)} of {len(to)} recipients"
        return f"accepted for {len(to)} recipient{'s' if len(to) != 1 else ''}"

    async def submit(self, to: list[str], subject: str, body: str) -> str:
        """Send one message; returns what the server accepted (raises ``MailError``)."""
        return await asyncio.to_thread(self._send, to, subject, body)

    async def send(self, to: list[str], subject: str, body: str) -> None:
        """The ``Mailer`` protocol of ``netops.runbooks.actions``."""
        await self.submit(to, subject, body)


def _codes(codes: list[int]) -> str:
    return ", ".join(str(c) for c in codes)
