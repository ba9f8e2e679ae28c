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
        where = f"mail through {self.host}:{self.port}"
        skipped: list[str] = []  # non-ASCII addresses a server without SMTPUTF8 cannot take
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username and self.password:
                    smtp.login(self.username, self.password)
                smtp.ehlo_or_helo_if_needed()
                if not smtp.has_extn("smtputf8"):
                    skipped = [a for a in to if not a.isascii()]
                    if skipped and len(skipped) == len(to):
                        raise MailError(f"{where}: {_no_utf8(skipped)}", transient=False)
                rcpts = [a for a in to if a not in skipped]
                msg = EmailMessage()
                msg["From"], msg["To"], msg["Subject"] = self.sender, ", ".join(rcpts), header_value(subject)
                msg.set_content(body)
                refused = smtp.send_message(msg, to_addrs=rcpts)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = sorted({code for code, _ in exc.recipients.values()})
            transient = all(400 <= c < 500 for c in codes)
            raise MailError(
                f"{where}: every recipient refused ({_codes(codes)})", transient=transient
            ) from exc
        except smtplib.SMTPNotSupportedError as exc:  # STARTTLS or SMTPUTF8 not offered: the same next time
            raise MailError(f"{where}: {exc.__class__.__name__} ({exc})", transient=False) from exc
        except smtplib.SMTPServerDisconnected as exc:
            if "timed out" in str(exc):  # smtplib reports a missing greeting or reply as a disconnection
                raise MailError(
                    f"{where}: no reply within {self.timeout_s:g} s (timeout)", transient=True
                ) from exc
            raise MailError(f"{where}: SMTPServerDisconnected", transient=True) from exc
        except UnicodeError as exc:  # smtplib writes ASCII: a non-ASCII user name or password (never quoted)
            raise MailError(f"{where}: the user name or password is not ASCII text", transient=False) from exc
        except TimeoutError as exc:
            raise MailError(
                f"{where}: no answer within {self.timeout_s:g} s (timeout)", transient=True
            ) from exc
        except smtplib.SMTPResponseException as exc:  # a reply code: 4xx try again, 5xx do not
            what = exc.__class__.__name__
            raise MailError(f"{where}: {what} {exc.smtp_code}", transient=400 <= exc.smtp_code < 500) from exc
        except (smtplib.SMTPException, OSError) as exc:  # no connection, dropped, timed out
            raise MailError(f"{where}: {exc.__class__.__name__}", transient=True) from exc
        note = f"; not sent to {_no_utf8(skipped)}" if skipped else ""
        if refused or skipped:
            return f"accepted for {len(rcpts) - len(refused)} of {len(to)} recipients{note}"
        return f"accepted for {len(to)} recipient{'s' if len(to) != 1 else ''}"

    async def submit(self, to: list[str], subject: str, body: str) -> str:
        """Send one message; returns what the server accepted (raises ``MailError``)."""
        return await asyncio.to_thread(self._send, to, subject, body)

    async def send(self, to: list[str], subject: str, body: str) -> None:
        """The ``Mailer`` protocol of ``netops.runbooks.actions``."""
        await self.submit(to, subject, body)


def header_value(text: str) -> str:
    """One line for a mail header: line breaks and other control characters become spaces (no header can be
    added through a runbook's title or a message), at most 200 characters."""
    clean = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return clean if len(clean) <= 200 else clean[:199] + "…"


def _no_utf8(addresses: list[str]) -> str:
    return f"{', '.join(addresses)} (a non-ASCII address; the server does not offer SMTPUTF8)"


def _codes(codes: list[int]) -> str:
    return ", ".join(str(c) for c in codes)
