"""``notify`` by mail: through the ``SmtpMailer`` to a small SMTP server on loopback; without a mailer the step
says it did not send."""

from __future__ import annotations

import asyncio
from pathlib import Path

from netops.runbooks import records as rec
from netops.runbooks.mail import SmtpMailer
from tests.runbooks.rb_testlib import build_service, lab_inventory


class SmtpSink:
    """Just enough SMTP (RFC 5321) to receive messages: EHLO/HELO, MAIL, RCPT, DATA, QUIT."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        rcpts: list[str] = []
        writer.write(b"220 sink ESMTP\r\n")
        while line := await reader.readline():
            cmd = line.decode().strip()
            verb = cmd.split(" ", 1)[0].upper()
            if verb == "RCPT":
                rcpts.append(cmd.split(":", 1)[1].strip(" <>"))
            if verb == "DATA":
                writer.write(b"354 go ahead\r\n")
                data = []
                while (part := await reader.readline()) not in (b".\r\n", b""):
                    data.append(part.decode())
                self.messages.append((rcpts, "".join(data)))
                rcpts = []
                writer.write(b"250 queued\r\n")
            elif verb == "QUIT":
                writer.write(b"221 bye\r\n")
                await writer.drain()
                break
            else:
                writer.write(b"250 ok\r\n")
            await writer.drain()
        writer.close()
        await writer.wait_closed()


def test_notify_sends_mail_when_a_mailer_is_configured(tmp_path: Path) -> None:
    inv, secrets, _ = lab_inventory(tmp_path)
    svc = build_service(tmp_path, inv, secrets)
    sink = SmtpSink()

    async def scenario() -> tuple[rec.RunView, rec.RunView]:
        server = await asyncio.start_server(sink.handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            without = await svc.engine.execute(svc.engine.create_run("mail", {"site": "hami"}, actor="a"))
            svc.engine.tools.mailer = SmtpMailer("127.0.0.1", port, sender="netops@example.org")
            with_mail = await svc.engine.execute(svc.engine.create_run("mail", {"site": "hami"}, actor="a"))
        finally:
            server.close()
            await server.wait_closed()
        return without, with_mail

    without, with_mail = asyncio.run(scenario())
    assert rec.steps_of(svc.store, without.id)[0].output["email"] == "not sent: no mail sender configured"
    assert with_mail.state == "succeeded"
    ((rcpts, text),) = sink.messages
    assert rcpts == ["noc@example.org", "duty@example.org"]
    assert "Subject: [netops] Test flow that mails the duty officers" in text
    assert f"hami: test mail from run {with_mail.id}" in text
    svc.store.close()
