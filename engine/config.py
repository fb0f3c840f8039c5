"""Settings read from MOTCUA_* environment variables (twelve-factor style)."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger(__name__)


def _default_database_url() -> str:
    return f"sqlite:///{PROJECT_ROOT / 'var' / 'motcua.db'}"


def _secret_key() -> str:
    # A random key per process is safe but logs everyone out on restart; production sets MOTCUA_SECRET_KEY.
    return os.environ.get("MOTCUA_SECRET_KEY") or _dev_secret()


def _dev_secret() -> str:
    path = PROJECT_ROOT / "var" / "secret_key"
    try:
        return path.read_text().strip()
    except OSError:
        key = secrets.token_urlsafe(48)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(key)
            path.chmod(0o600)
        except OSError:
            pass
        return key


def _audit_key() -> str:
    # The audit chain's key must not live in the database, and must be the same in every process and after a
    # restart (a changed key makes every keyed entry fail verification). Production sets MOTCUA_AUDIT_KEY and
    # keeps a copy away from the database's host and backups.
    return os.environ.get("MOTCUA_AUDIT_KEY") or _dev_audit_key()


_warned: set[str] = set()


def _dev_audit_key() -> str:
    path = PROJECT_ROOT / "var" / "audit_key"
    try:
        key = path.read_text().strip()
    except OSError:
        key = secrets.token_urlsafe(48)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(key)
            path.chmod(0o600)
        except OSError:
            # nowhere to keep one: derive it from the secret key (stable when MOTCUA_SECRET_KEY is set)
            path, key = Path("MOTCUA_SECRET_KEY"), hmac.new(_secret_key().encode(), b"motcua audit key",
                                                            hashlib.sha256).hexdigest()
    if str(path) not in _warned:
        _warned.add(str(path))
        log.warning("MOTCUA_AUDIT_KEY is not set: the audit chain is keyed from %s; set MOTCUA_AUDIT_KEY and keep "
                    "a copy away from the database, or whoever holds the database's host holds the key", path)
    return key


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=lambda: os.environ.get("MOTCUA_DATABASE_URL")
                              or _default_database_url())
    processes_dir: Path = field(default_factory=lambda: Path(os.environ.get(
        "MOTCUA_PROCESSES_DIR", PROJECT_ROOT / "processes")))
    forms_dir: Path = field(default_factory=lambda: Path(os.environ.get(
        "MOTCUA_FORMS_DIR", PROJECT_ROOT / "forms")))
    secret_key: str = field(default_factory=_secret_key)
    token_ttl_seconds: int = field(default_factory=lambda: int(os.environ.get("MOTCUA_TOKEN_TTL", "28800")))
    dossier_code_prefix: str = field(default_factory=lambda: os.environ.get("MOTCUA_CODE_PREFIX", "MC"))
    dossier_code_pattern: str = field(default_factory=lambda: os.environ.get(
        "MOTCUA_CODE_PATTERN", "{unit}-{yymmdd}-{seq:05d}"))
    calendar_file: Path = field(default_factory=lambda: Path(os.environ.get(
        "MOTCUA_CALENDAR_FILE", PROJECT_ROOT / "config" / "calendar.toml")))
    calendar_ttl_seconds: float = field(default_factory=lambda: float(os.environ.get("MOTCUA_CALENDAR_TTL", "30")))
    organisation_file: Path = field(default_factory=lambda: Path(os.environ.get(
        "MOTCUA_ORGANISATION_FILE", PROJECT_ROOT / "config" / "organisation.toml")))
    documents_dir: Path = field(default_factory=lambda: Path(os.environ.get(
        "MOTCUA_DOCUMENTS_DIR", PROJECT_ROOT / "documents")))
    # the address citizens reach the site at (printed on receipts); empty: each request's own address
    public_url: str = field(default_factory=lambda: os.environ.get("MOTCUA_PUBLIC_URL", "").strip())
    timezone: str = field(default_factory=lambda: os.environ.get("MOTCUA_TIMEZONE", "Asia/Ho_Chi_Minh"))
    host: str = field(default_factory=lambda: os.environ.get("MOTCUA_HOST", "127.0.0.1"))
    port: int = field(default_factory=lambda: int(os.environ.get("MOTCUA_PORT", "8000")))
    smtp_host: str | None = field(default_factory=lambda: os.environ.get("MOTCUA_SMTP_HOST") or None)
    smtp_port: int = field(default_factory=lambda: int(os.environ.get("MOTCUA_SMTP_PORT", "25")))
    smtp_sender: str = field(default_factory=lambda: os.environ.get("MOTCUA_SMTP_SENDER", "motcua@localhost"))
    webhook_url: str | None = field(default_factory=lambda: os.environ.get("MOTCUA_WEBHOOK_URL") or None)
    scheduler: bool = field(default_factory=lambda: os.environ.get("MOTCUA_SCHEDULER", "1") != "0")
    timer_interval: float = field(default_factory=lambda: float(os.environ.get("MOTCUA_TIMER_INTERVAL", "1")))
    sweep_interval: float = field(default_factory=lambda: float(os.environ.get("MOTCUA_SWEEP_INTERVAL", "30")))
    delivery_interval: float = field(default_factory=lambda: float(os.environ.get("MOTCUA_DELIVERY_INTERVAL", "10")))
    # the audit chain's HMAC key (engine/store/audit.py), and where its signed checkpoints go, how often
    audit_key: str = field(default_factory=_audit_key, repr=False)
    audit_checkpoint_file: Path = field(default_factory=lambda: Path(os.environ.get(
        "MOTCUA_AUDIT_CHECKPOINT_FILE", PROJECT_ROOT / "var" / "audit-checkpoints.jsonl")))
    audit_checkpoint_interval: float = field(default_factory=lambda: float(os.environ.get(
        "MOTCUA_AUDIT_CHECKPOINT_INTERVAL", "300")))
    # a request still running after this many seconds is stopped with a 503 problem (api/deadline.py); the
    # server's own worker timeout (api/cli.py) is set a little longer, so the app answers first
    request_timeout: float = field(default_factory=lambda: float(os.environ.get("MOTCUA_REQUEST_TIMEOUT", "25")))
    # how often the open-task count deltas are folded (engine/work/counts.py)
    counts_interval: float = field(default_factory=lambda: float(os.environ.get("MOTCUA_COUNTS_INTERVAL", "60")))
    # /healthz: a job is overdue after 3 of its intervals without a successful run, and never before this
    health_grace_seconds: float = field(default_factory=lambda: float(os.environ.get("MOTCUA_HEALTH_GRACE", "10")))
    # `motcua serve`: gunicorn workers (processes), threads in each, and how long a client may take to send a
    # request's head, and its body (between two reads; a body must also keep up a minimum rate)
    workers: int = field(default_factory=lambda: int(os.environ.get("MOTCUA_WORKERS", "2")))
    threads: int = field(default_factory=lambda: int(os.environ.get("MOTCUA_THREADS", "8")))
    header_timeout: float = field(default_factory=lambda: float(os.environ.get("MOTCUA_HEADER_TIMEOUT", "10")))
    body_timeout: float = field(default_factory=lambda: float(os.environ.get("MOTCUA_BODY_TIMEOUT", "30")))
    sql_echo: bool = field(default_factory=lambda: os.environ.get("MOTCUA_SQL_ECHO", "") == "1")
    upload_dir: Path = field(default_factory=lambda: Path(os.environ.get(
        "MOTCUA_UPLOAD_DIR", PROJECT_ROOT / "var" / "uploads")))
    upload_max_bytes: int = field(default_factory=lambda: int(float(os.environ.get(
        "MOTCUA_UPLOAD_MAX_MB", "10")) * 1024 * 1024))
    # a whole online submission (every document's files together); JSON bodies keep their own 1 MB limit
    request_max_bytes: int = field(default_factory=lambda: int(float(os.environ.get(
        "MOTCUA_REQUEST_MAX_MB", "60")) * 1024 * 1024))
    # accepted online submissions per client address per hour (anonymous, so anyone could flood reception); 0: off
    submit_limit: int = field(default_factory=lambda: int(os.environ.get("MOTCUA_SUBMIT_LIMIT", "10")))
    # files in one online submission, and for one of its documents (checked before any file is stored)
    upload_max_files: int = field(default_factory=lambda: int(os.environ.get("MOTCUA_UPLOAD_MAX_FILES", "20")))
    upload_max_files_per_document: int = field(default_factory=lambda: int(os.environ.get(
        "MOTCUA_UPLOAD_MAX_FILES_PER_DOCUMENT", "5")))
    # failed sign-ins per window: per account and address, per address, per account from new addresses
    # (engine/people/signin.py explains the split)
    signin_window_seconds: int = field(default_factory=lambda: int(os.environ.get("MOTCUA_SIGNIN_WINDOW", "900")))
    signin_limit: int = field(default_factory=lambda: int(os.environ.get("MOTCUA_SIGNIN_LIMIT", "5")))
    signin_client_limit: int = field(default_factory=lambda: int(os.environ.get("MOTCUA_SIGNIN_CLIENT_LIMIT", "30")))
    signin_account_limit: int = field(default_factory=lambda: int(os.environ.get(
        "MOTCUA_SIGNIN_ACCOUNT_LIMIT", "20")))
    # proxies (addresses or networks, comma-separated) whose X-Forwarded-For names the client; nobody else's
    trusted_proxies: tuple[str, ...] = field(default_factory=lambda: tuple(
        p.strip() for p in os.environ.get("MOTCUA_TRUSTED_PROXIES", "").split(",") if p.strip()))

    # publishing a procedure's draft needs a second person's approval (engine/reform/approval.py): a reform
    # officer or designer asks, a leader of a top-level unit or another reform officer or designer approves
    publish_approval: bool = field(default_factory=lambda: os.environ.get("MOTCUA_PUBLISH_APPROVAL", "") == "1")

    # the bounds of procedure code (engine/procedures/limits.py): seconds of one step, growth of the process in MB
    script_timeout: float = field(default_factory=lambda: float(os.environ.get("MOTCUA_SCRIPT_TIMEOUT", "1")))
    script_memory_mb: int = field(default_factory=lambda: int(os.environ.get("MOTCUA_SCRIPT_MEMORY_MB", "256")))

    # the national portal's dossier sync (engine/sync/): queue a message per change ("0": none), how often the
    # scheduler pushes, the longest wait between two tries, and the time within which a change should be there
    portal_sync: bool = field(default_factory=lambda: os.environ.get("MOTCUA_PORTAL_SYNC", "1") != "0")
    portal_sync_interval: float = field(default_factory=lambda: float(os.environ.get(
        "MOTCUA_PORTAL_SYNC_INTERVAL", "5")))
    portal_sync_backoff_max: float = field(default_factory=lambda: float(os.environ.get(
        "MOTCUA_PORTAL_SYNC_BACKOFF_MAX", "300")))
    portal_sync_target_minutes: int = field(default_factory=lambda: int(os.environ.get(
        "MOTCUA_PORTAL_SYNC_TARGET_MINUTES", "15")))

    # online payment (engine/payments/): how often the scheduler reconciles, after how many minutes a transaction
    # still pending is asked about, and how old a signed callback may be (older ones are refused as replays)
    payment_reconcile_interval: float = field(default_factory=lambda: float(os.environ.get(
        "MOTCUA_PAYMENT_RECONCILE_INTERVAL", "300")))
    payment_pending_minutes: int = field(default_factory=lambda: int(os.environ.get(
        "MOTCUA_PAYMENT_PENDING_MINUTES", "15")))
    payment_callback_window: int = field(default_factory=lambda: int(os.environ.get(
        "MOTCUA_PAYMENT_CALLBACK_WINDOW", "3600")))

    # result documents (engine/results/): how often the scheduler's `results` job renders drafts, asks the remote
    # signing service about pending requests and seals what the leader signed
    results_interval: float = field(default_factory=lambda: float(os.environ.get(
        "MOTCUA_REMOTE_SIGNING_POLL_INTERVAL", "10")))
    # render the result's draft in the request that approved it (1: the leader signs at once; 0: the job does)
    results_render_at_once: bool = field(default_factory=lambda: os.environ.get(
        "MOTCUA_RESULTS_RENDER_AT_ONCE", "1") != "0")
    # documents as PDF (engine/rendering/): where rendered PDFs are kept (content-addressed), and the bounds of one
    # render (a child process: seconds, address space)
    document_store_dir: Path = field(default_factory=lambda: Path(os.environ.get(
        "MOTCUA_DOCUMENT_STORE_DIR", PROJECT_ROOT / "var" / "documents")))
    render_timeout: float = field(default_factory=lambda: float(os.environ.get("MOTCUA_RENDER_TIMEOUT", "30")))
    render_memory_mb: int = field(default_factory=lambda: int(os.environ.get("MOTCUA_RENDER_MEMORY_MB", "1024")))

    # the dossiers' archive packages (engine/archive; its other settings are read there): how often the job runs
    archive_interval: float = field(default_factory=lambda: float(os.environ.get("MOTCUA_ARCHIVE_INTERVAL", "600")))

    def with_overrides(self, **overrides: object) -> Settings:
        values = {f: getattr(self, f) for f in self.__dataclass_fields__}
        values.update(overrides)
        return Settings(**values)  # type: ignore[arg-type]
