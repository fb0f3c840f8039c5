"""The persistent model, one module per area. See docs/architecture.md for why it is shaped so."""

from ..db import Base
from .attachments import Attachment
from .audit import GENESIS, AuditEntry, AuditHead
from .dossiers import CodeSequence, Dossier, TaskRecord
from .organisation import Membership, Role, Unit, User
from .procedures import Procedure, ProcedureVersion
from .support import CalendarOverride, Escalation, JobRun, LookupFailure, OutboxMessage

__all__ = ["GENESIS", "Attachment", "AuditEntry", "AuditHead", "Base", "CalendarOverride", "CodeSequence",
           "Dossier", "Escalation", "JobRun", "LookupFailure", "Membership", "OutboxMessage", "Procedure",
           "ProcedureVersion", "Role", "TaskRecord", "Unit", "User"]
