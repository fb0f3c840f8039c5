"""Dossiers, the task projection, escalations, the files handed in, and the counters for dossier codes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.db import Base, JSONType, UTCDateTime, utcnow

# what the register filters on (besides the search text), carried by its indexes on PostgreSQL
REGISTER_COLUMNS = ("reception_unit", "competent_unit", "status", "channel", "procedure_code", "due_at",
                    "finished_at", "paused_at", "search_text")
HANDLED_ELSEWHERE = "reception_unit IS NULL OR competent_unit <> reception_unit"  # the register's second branch


class Dossier(Base):
    """One dossier: its facts as columns, its workflow state as one orjson blob without the spec.

    The lifecycle dates (received, due, processed, returned) are columns so that deadlines, tracking and
    the figures are plain SQL; `paused_at` is set while a supplement request stops the clock.
    """

    __tablename__ = "dossiers"
    __table_args__ = (
        UniqueConstraint("created_by", "submission_key"),
        # The register (`register.py`): a unit's dossiers in received order, those it received and those it
        # handles that another unit received (a partial index: most dossiers are handled where received), and
        # everything in that order for those who cover every unit. On PostgreSQL the register's filter columns
        # and the search text ride along (INCLUDE), so a page, its filters and its count read the index alone.
        Index("ix_dossiers_received", "received_at", "id", postgresql_include=[*REGISTER_COLUMNS]),
        Index("ix_dossiers_reception_received", "reception_unit", "received_at", "id",
              postgresql_include=[*REGISTER_COLUMNS]),
        Index("ix_dossiers_competent_received", "competent_unit", "received_at", "id",
              postgresql_include=[*REGISTER_COLUMNS], postgresql_where=text(HANDLED_ELSEWHERE),
              sqlite_where=text(HANDLED_ELSEWHERE)),
        Index("ix_dossiers_finished", "finished_at", "id",
              postgresql_include=["reception_unit", "competent_unit"]),
        Index("ix_dossiers_open_due", "due_at", postgresql_where=text("finished_at IS NULL"),
              sqlite_where=text("finished_at IS NULL")),
        Index("ix_dossiers_next_timer", "next_timer_at", postgresql_where=text("next_timer_at IS NOT NULL"),
              sqlite_where=text("next_timer_at IS NOT NULL")),
        Index("ix_dossiers_apology", "apology_at", postgresql_where=text("apology_at IS NOT NULL"),
              sqlite_where=text("apology_at IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    procedure_code: Mapped[str] = mapped_column(ForeignKey("procedures.code"), index=True)
    procedure_version_id: Mapped[int] = mapped_column(ForeignKey("procedure_versions.id"))
    status: Mapped[str] = mapped_column(String(32), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    applicant_name: Mapped[str] = mapped_column(String(200))
    applicant: Mapped[dict[str, Any]] = mapped_column(JSONType)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)  # the declaration as submitted
    # the applicant's facts for the register and the counter's look-up (applicants.py keeps them in step)
    applicant_kind: Mapped[str] = mapped_column(String(16), default="person", server_default="person")
    applicant_key: Mapped[str | None] = mapped_column(String(20), index=True)  # personal id or tax code
    search_text: Mapped[str] = mapped_column(String(400), default="", server_default="")
    result_delivery: Mapped[str | None] = mapped_column(String(16))  # applicants.DELIVERY; None: not said
    reused_fields: Mapped[list[str] | None] = mapped_column(JSONType)  # applicant data taken from earlier dossiers
    # Which applicant field came from which source, when not typed: "vneid" (the signed-in citizen's identity),
    # "population" (the national population database), "motcua" (an earlier dossier). Each such field is also
    # in reused_fields, so the data re-use figure counts it.
    field_sources: Mapped[dict[str, str] | None] = mapped_column(JSONType)
    # At the counter: the papers handed in ({code, kind, quantity}; counter.py) and, for a dossier not yet
    # complete, what the written guidance (form 02) said was missing. None: not recorded (online, older).
    received_documents: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    missing_documents: Mapped[list[str] | None] = mapped_column(JSONType)
    # Any center receives any procedure: where it was received and who is competent are two units.
    reception_unit: Mapped[str | None] = mapped_column(String(64))  # indexed with received_at (the register)
    competent_unit: Mapped[str | None] = mapped_column(String(64))
    # Client-chosen key (Idempotency-Key header): a repeated submit returns the first dossier.
    submission_key: Mapped[str | None] = mapped_column(String(100))
    # Submitted on the national public service portal: its dossier code (MaHoSo), which makes forwarding the
    # same dossier again a no-op, and the documents it listed (names and links; the files stay there).
    portal_code: Mapped[str | None] = mapped_column(String(40), unique=True)
    portal_documents: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    pin_hash: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[bytes | None] = mapped_column(LargeBinary)  # None until received (the workflow starts then)
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The officer answerable for the dossier at the desk (received it, returns the result); hand-over moves it.
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # processed, refused, stopped, withdrawn
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_seconds: Mapped[int] = mapped_column(Integer, default=0)  # working time spent paused
    resume_status: Mapped[str | None] = mapped_column(String(32))  # where a pause returns to
    supplement_count: Mapped[int] = mapped_column(Integer, default=0)
    fee_amount: Mapped[int] = mapped_column(Integer, default=0)
    payment_required_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_online: Mapped[bool | None] = mapped_column(Boolean)
    # A leader waived the fee (lifecycle.exempt_fee): the result may be returned unpaid; who, when and why.
    fee_exempted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fee_exempted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    fee_exemption_reason: Mapped[str | None] = mapped_column(Text)
    rating: Mapped[int | None] = mapped_column(Integer)  # 1 dissatisfied, 2 satisfied, 3 very satisfied
    rating_comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The earliest waiting BPMN timer, kept when the workflow is saved: the scheduler fires it on time
    # without loading any other workflow.
    next_timer_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When to draft the apology (form 04) if the dossier is still not processed; cleared once drafted.
    apology_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Optimistic locking: every UPDATE says WHERE lock_version = <the one read>; a lost race updates no row.
    __mapper_args__ = {"version_id_col": lock_version}


class TaskRecord(Base):
    """Projection of human tasks, written in the same transaction as the workflow state.

    Task lists read only this table; nothing here needs a workflow to be deserialized.
    Completed rows stay as the dossier's step history.
    """

    __tablename__ = "tasks"
    __table_args__ = (
        # The inbox: open tasks of a unit and role by due time, and each officer's own open tasks.
        Index("ix_tasks_inbox", "unit_code", "role", "due_at", postgresql_where=text("state = 'open'"),
              sqlite_where=text("state = 'open'")),
        Index("ix_tasks_assignee", "assignee_id", "due_at", postgresql_where=text("state = 'open'"),
              sqlite_where=text("state = 'open'")),
        Index("ix_tasks_escalation", "next_escalation_at", postgresql_where=text("state = 'open'"),
              sqlite_where=text("state = 'open'")),
        # Wide views (a province's leaders see every commune) read open tasks in due order and filter units.
        Index("ix_tasks_open_due", "due_at", postgresql_where=text("state = 'open'"),
              sqlite_where=text("state = 'open'")),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    bpmn_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(500))
    role: Mapped[str | None] = mapped_column(String(64))
    unit_code: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    form_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    on_time: Mapped[bool | None] = mapped_column(Boolean)  # recorded at completion when the step had a budget
    priority: Mapped[int] = mapped_column(Integer, default=0)  # priorities.PRIORITIES: 0, 1, 2; higher first
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Delegation: the owner hands the work to a colleague; on steps that say so it comes back to the owner.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The step's work in progress, not yet checked as complete: the holder's saved draft, or a delegate's work
    # come back to the owner (returnToOwner). Whoever holds the task sees it; completing the step clears it.
    draft: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    draft_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    draft_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the officer submitted when completing the step (the form's checked data), kept for the dossier's
    # readers: the leader signing sees the specialist's appraisal. Same access as the dossier.
    submitted: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    # Copied from the dossier so that the inbox needs no join (and can search without one).
    dossier_code: Mapped[str] = mapped_column(String(40), default="")
    procedure_code: Mapped[str] = mapped_column(String(64), default="")
    applicant_name: Mapped[str] = mapped_column(String(200), default="")
    search_text: Mapped[str] = mapped_column(String(300), default="")  # code + name, without diacritics
    # Escalation: the level reached (1 warned, 2 escalated, 3 re-escalated) and when the next one is due.
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    next_escalation_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Escalation(Base):
    """An open warning, escalation or apology draft, until the step completes or the dossier ends."""

    __tablename__ = "escalations"
    __table_args__ = (Index("ix_escalations_open", "unit_code", postgresql_where=text("resolved_at IS NULL"),
                            sqlite_where=text("resolved_at IS NULL")),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # warning | escalation | reescalation | apology
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    task_id: Mapped[str | None] = mapped_column(String(36), index=True)
    unit_code: Mapped[str | None] = mapped_column(String(64))  # whose leaders must act
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the deadline at stake
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime)
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when it was due to fire (lag = fired - this)
    proposed_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # apology: the new appointment
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Attachment(Base):
    """A file for one of the procedure's documents (`document` is its code in procedure.toml)."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    document: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(255))  # as the applicant named it, sanitised
    content_type: Mapped[str] = mapped_column(String(100))  # from the content, never from the browser
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    stored_path: Mapped[str] = mapped_column(String(300))  # relative to the upload folder
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # sent by the applicant in answer to a supplement request (None: with the dossier itself)
    supplement_id: Mapped[int | None] = mapped_column(ForeignKey("supplement_requests.id"), index=True)


class SupplementRequest(Base):
    """One request for a supplement (form 02): what is missing, the written guidance, and what came of it.

    `open` waits for the applicant; `submitted` once the applicant sent files online; then reception either
    `accepted` it (the clock resumes) or `asked_again` (a new request follows). A request left open when the
    dossier resumes or ends otherwise (papers brought to the counter, a stop) is `closed`."""

    __tablename__ = "supplement_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    round: Mapped[int] = mapped_column(Integer)  # 1 for the dossier's first request, then 2, ...
    documents: Mapped[list[str]] = mapped_column(JSONType)  # codes of the procedure's documents wanted
    missing: Mapped[list[str]] = mapped_column(JSONType)  # what is missing, as the officer wrote it
    guidance: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16))  # open | submitted | accepted | asked_again | closed
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    applicant_note: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


# Citizens have no account (created_by is NULL), so the (created_by, submission_key) constraint cannot catch
# a double submit from the portal; this partial index makes the second of two racing submits fail instead.


class CodeSequence(Base):
    """Counters for dossier codes; incremented with one atomic upsert so codes stay unique."""

    __tablename__ = "code_sequences"

    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


# --- the population database's look-ups (population.py) -----------------------------------------------------
# The log of questions to the national population database (Decree 13/2023: who asked, when, for which dossier and
# purpose, with what outcome). No personal data: the personal id as a keyed hash plus its last four digits, and
# each returned field as a keyed hash of its value, enough to prove later that a registered value came from it.
class PopulationLookup(Base):
    __tablename__ = "population_lookups"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # the officer; None: a citizen asked
    citizen_subject: Mapped[str | None] = mapped_column(String(200))  # the signed-in citizen's OIDC subject
    unit_code: Mapped[str | None] = mapped_column(String(64))  # where the officer holds the right
    key_hash: Mapped[str] = mapped_column(String(64), index=True)  # HMAC of the personal id
    key_last: Mapped[str] = mapped_column(String(4))  # its last four digits, for a person reading the log
    purpose: Mapped[str] = mapped_column(String(500))
    dossier_code: Mapped[str | None] = mapped_column(String(64), index=True)
    reference: Mapped[str | None] = mapped_column(String(120))  # the counter's registration in progress
    outcome: Mapped[str] = mapped_column(String(16))  # found | not_found | failed
    error: Mapped[str | None] = mapped_column(String(200))
    field_hashes: Mapped[dict[str, str] | None] = mapped_column(JSONType)  # field -> HMAC of its value
