"""The persistent model, one module per area. See docs/architecture.md for why it is shaped so."""

from ..db import Base
from .audit import GENESIS, AuditEntry, AuditHead
from .dossiers import CodeSequence, Dossier, TaskRecord
from .organisation import Membership, Role, Unit, User
from .procedures import Procedure, ProcedureVersion
from .support import CalendarOverride, LookupFailure

__all__ = ["GENESIS", "AuditEntry", "AuditHead", "Base", "CalendarOverride", "CodeSequence", "Dossier",
           "LookupFailure", "Membership", "Procedure", "ProcedureVersion", "Role", "TaskRecord", "Unit", "User"]
