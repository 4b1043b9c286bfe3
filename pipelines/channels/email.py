"""E-mail delivery through the standard library's SMTP client: the digest's plain text (complete on its own), its
headline as the subject. Each message carries its notification id in a header (X-Market-Monitor-Notification) and
as its Message-ID, so a mailbox can tell a re-send; SMTP cannot be searched, so like a webhook a message whose
earlier attempt may have arrived is sent again marked as a re-send. Resolved notices name the thread they answer
(In-Reply-To), as mail clients thread them."""

from __future__ import annotations

import datetime as dt
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

from pipelines.channels.notifier import DeliveryFailure, Message

HEADER = "X-Market-Monitor-Notification"
# SMTP replies that no retry fixes: authentication, a refused sender or recipient (RFC 5321 5xx).
PERMANENT = (smtplib.SMTPAuthenticationError, smtplib.SMTPSenderRefused, smtplib.SMTPRecipientsRefused)


def message_id(notification_id: str, host: str) -> str:
    return f"<{notification_id.replace(':', '.')}@{host}>"


class EmailSender:
    can_look_up = False

    def __init__(
        self,
        destination: str,
        host: str,
        port: int,
        sender: str,
        to: list[str],
        user: str | None = None,
        password: str | None = None,
        timeout: float = 15,
    ):
        self.destination, self.host, self.port = destination, host, port
        self.sender, self.to, self.user, self.password, self.timeout = sender, list(to), user, password, timeout
        self.secrets = tuple(s for s in (password,) if s)

    def post(self, message: Message, thread_ts: str | None, notification_id: str) -> tuple[str, str]:
        mail = EmailMessage()
        mail["From"], mail["To"] = self.sender, ", ".join(self.to)
        mail["Subject"] = message.headline[:200]
        mail["Message-ID"] = message_id(notification_id, self.host) if notification_id else make_msgid()
        mail[HEADER] = notification_id
        if thread_ts:  # a resolved notice: the mail it answers
            mail["In-Reply-To"] = mail["References"] = thread_ts
        mail.set_content(message.text)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.user:
                smtp.starttls()
                smtp.login(self.user, self.password or "")
            smtp.send_message(mail)
        return ", ".join(self.to), mail["Message-ID"]

    def find_posted(self, notification_id: str, since: dt.datetime, thread_ts: str | None = None) -> None:
        return None  # SMTP cannot be searched: the outbox re-sends, marked as such

    def failure(self, exc: Exception) -> DeliveryFailure:
        text = str(exc)
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        if isinstance(exc, PERMANENT):
            return DeliveryFailure("smtp", True, f"the mail server refused it: {text[:300]} (check the destination)")
        if isinstance(exc, smtplib.SMTPResponseException) and 500 <= exc.smtp_code < 600:
            return DeliveryFailure(str(exc.smtp_code), True, f"the mail server refused it: {text[:300]}")
        return DeliveryFailure("outage", False, f"outage: {type(exc).__name__}: {text[:300]}")
