"""The notification worker: escalate what is overdue, then deliver the outbox."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from search_api.config import Settings
from search_api.leadership import LeaderLoop
from search_api.leadership import Leadership as _Leadership
from search_api.notifications import service
from search_api.notifications.channels import Channel, EmailChannel, FileSmsChannel, InAppChannel
from search_api.resources import Resources

log = logging.getLogger("trackchild.notify")


def channels_for(settings: Settings) -> dict[str, Channel]:
    """In-app always; email when an SMTP server is configured; SMS into a file for development."""
    channels: dict[str, Channel] = {
        "in_app": InAppChannel(),
        "sms": FileSmsChannel(settings.sms_file or settings.data_dir / "sms-outbox.jsonl"),
    }
    if settings.smtp_host:
        channels["email"] = EmailChannel(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_sender,
            base_url=settings.public_url,
            starttls=settings.smtp_starttls,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        )
    return channels


@dataclass
class WorkerPass:
    escalated_district: int
    escalated_state: int
    delivery: service.DeliveryReport


def run_once(res: Resources, *, digest: bool = False) -> WorkerPass:
    """One pass: escalate overdue work (its notifications join the outbox), deliver the outbox,
    and with ``digest`` send the daily digests."""
    from search_api.restoration.flows import escalate

    with res.session_factory() as session:
        try:
            escalated = escalate(session=session, settings=res.settings)
            session.commit()
        except IntegrityError:  # another worker escalated the same item at the same moment
            session.rollback()
            escalated = None
    channels = channels_for(res.settings)
    delivery = service.deliver_pending(session_factory=res.session_factory, channels=channels)
    if digest:
        sent = service.send_digests(session_factory=res.session_factory, channels=channels)
        delivery.sent += sent.sent
        delivery.errors += sent.errors
    return WorkerPass(escalated.district_level if escalated else 0, escalated.state_level if escalated else 0, delivery)


class Leadership(_Leadership):
    """One delivering worker per data dir, however many ``serve`` workers run: the lock on
    ``<data dir>/notify-worker.lock``. The outbox's compare-and-swap claim stays the safety
    net: even two holders could never send one message twice."""

    @classmethod
    def of(cls, res: Resources) -> Leadership:
        return cls(res.settings.data_dir / "notify-worker.lock")


class BackgroundWorker(LeaderLoop):
    """The worker inside ``serve``: when it leads, one pass every ``notify_interval_seconds``."""

    def __init__(self, res: Resources, interval: float) -> None:
        self.res = res
        super().__init__(name="trackchild-notify", leadership=Leadership.of(res), interval=interval, work=lambda: run_once(res), log=log)

    def start(self) -> BackgroundWorker:
        super().start()
        return self


def start_background_worker(res: Resources) -> BackgroundWorker | None:
    """Start the worker of this process (None when ``notify_interval_seconds`` is 0)."""
    interval = res.settings.notify_interval_seconds
    if interval <= 0:
        return None
    return BackgroundWorker(res, interval).start()
