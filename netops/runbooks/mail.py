"""Mail for ``notify`` steps: the SMTP sender lives in ``netops.notify.mail`` (the notification channels use
it too); this name stays for whoever builds an engine with a ``Mailer`` (``Tools.mailer``)."""

from netops.notify.mail import MailError, SmtpMailer

__all__ = ["MailError", "SmtpMailer"]
