"""The notification worker: escalate what is overdue, then deliver the outbox."""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import IntegrityError

from search_api.config import Settings
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


class Leadership:
    """One delivering worker per data dir, however many ``serve`` workers run: an exclusive,
    non-blocking lock on ``<data dir>/notify-worker.lock`` (as ``index_writer`` does for the
    indexes). The holder keeps it while it runs; if its process dies the system drops the lock
    and the next worker to try takes over. The outbox's compare-and-swap claim stays the
    safety net: even two holders could never send one message twice."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    @classmethod
    def of(cls, res: Resources) -> Leadership:
        return cls(res.settings.data_dir / "notify-worker.lock")

    def holds(self) -> bool:
        """Whether this worker leads (taking the lead if nobody holds it)."""
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())  # for an operator wondering which process delivers
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


class BackgroundWorker:
    """The worker inside ``serve``: a daemon thread that, when it leads, runs one pass every
    ``notify_interval_seconds``; the others wait and try to lead at each tick."""

    def __init__(self, res: Resources, interval: float) -> None:
        self.res, self.interval = res, interval
        self.leadership = Leadership.of(res)
        self.passes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="trackchild-notify", daemon=True)

    def start(self) -> BackgroundWorker:
        self._thread.start()
        return self

    def _loop(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                if not self.leadership.holds():
                    continue
                try:
                    run_once(self.res)
                    self.passes += 1
                except Exception:  # the worker must outlive one bad pass; the error is logged with ids only
                    log.exception("notification pass failed")
        finally:
            self.leadership.release()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._thread.join(timeout)


def start_background_worker(res: Resources) -> BackgroundWorker | None:
    """Start the worker of this process (None when ``notify_interval_seconds`` is 0)."""
    interval = res.settings.notify_interval_seconds
    if interval <= 0:
        return None
    return BackgroundWorker(res, interval).start()
