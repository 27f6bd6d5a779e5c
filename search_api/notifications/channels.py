"""Delivery channels behind one interface. Each raises ``DeliveryFailed`` on a failure the
worker should retry; none of them ever sees a child's name (messages carry ids and links)."""

from __future__ import annotations

import json
import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from sqlalchemy.orm import Session

from search_api.notifications.models import InboxRow

log = logging.getLogger("trackchild.notify")


class DeliveryFailed(Exception):
    pass


@dataclass(frozen=True)
class Message:
    user_pk: int
    username: str
    email: str
    phone: str
    event: str
    subject: str
    text: str
    link: str


class Channel(Protocol):
    name: str

    def send(self, *, session: Session, message: Message) -> None: ...


class InAppChannel:
    """The bell: a row in the user's inbox (same database, so it cannot fail independently)."""

    name = "in_app"

    def send(self, *, session: Session, message: Message) -> None:
        session.add(InboxRow(user_pk=message.user_pk, event=message.event, text=message.text, link=message.link))


class EmailChannel:
    """Email over SMTP (a state's mail relay; on a laptop, any local SMTP server)."""

    name = "email"

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        base_url: str = "",
        starttls: bool = False,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.host, self.port, self.sender, self.base_url = host, port, sender, base_url.rstrip("/")
        self.starttls, self.username, self.password, self.timeout = starttls, username, password, timeout

    def send(self, *, session: Session, message: Message) -> None:
        if not message.email:
            raise DeliveryFailed(f"user {message.username} has no email address")
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = self.sender, message.email, message.subject
        mail.set_content(f"{message.text}\n\n{self.base_url}{message.link}\n\nTrackChild: this message carries record ids only.\n")
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(mail)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryFailed(f"smtp {self.host}:{self.port}: {type(exc).__name__}: {exc}") from exc


class FileSmsChannel:
    """SMS for development: one JSON line per message in a file. No SMS provider is reachable
    from this project's machines; a deployment plugs its gateway in with the same interface."""

    name = "sms"

    def __init__(self, path: Path) -> None:
        self.path = path

    def send(self, *, session: Session, message: Message) -> None:
        if not message.phone:
            raise DeliveryFailed(f"user {message.username} has no phone number")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps({"to": message.phone, "text": f"{message.text} {message.link}"}) + "\n")
        except OSError as exc:
            raise DeliveryFailed(f"sms file {self.path}: {exc}") from exc
