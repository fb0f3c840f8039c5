"""Request and response schemas (marshmallow); also the source of the OpenAPI components."""

from .common import LocalDateTime, Problem, Strict
from .dossiers import (
    ActionIn,
    Applicant,
    DossierCreate,
    DossierCreated,
    DossierOut,
    PublicDossier,
    PublicStep,
    RatingIn,
    RatingOut,
    TaskBrief,
)
from .organisation import (
    AuditList,
    AuditOut,
    HandoverIn,
    HandoverOut,
    MembershipIO,
    RoleList,
    RoleOut,
    TokenRequest,
    TokenResponse,
    UnitIO,
    UnitList,
    UserCreate,
    UserList,
    UserOut,
    UserPatch,
    UserRef,
    VerificationOut,
)
from .procedures import DocumentOut, Fee, LegalTime, Names, ProcedureDetail, ProcedureList, ProcedureSummary, StepOut
from .reporting import CalendarDay, CalendarOut, FiguresOut, OverrideIn, OverrideOut, StatsOut, StatsQueryIn
from .tasks import (
    CandidateList,
    CandidateOut,
    PriorityIn,
    TaskComplete,
    TaskCompleted,
    TaskDetailOut,
    TaskOut,
    TaskPageOut,
    TaskQueryIn,
)

__all__ = [
    "ActionIn", "Applicant", "AuditList", "AuditOut", "CalendarDay", "CalendarOut", "CandidateList",
    "CandidateOut", "DocumentOut", "DossierCreate", "DossierCreated", "DossierOut", "Fee", "FiguresOut",
    "HandoverIn", "HandoverOut", "LegalTime", "LocalDateTime", "MembershipIO", "Names", "OverrideIn",
    "OverrideOut", "PriorityIn", "Problem", "ProcedureDetail", "ProcedureList", "ProcedureSummary",
    "PublicDossier", "PublicStep", "RatingIn", "RatingOut", "RoleList", "RoleOut", "StatsOut", "StatsQueryIn",
    "StepOut", "Strict", "TaskBrief", "TaskComplete", "TaskCompleted", "TaskDetailOut", "TaskOut",
    "TaskPageOut", "TaskQueryIn", "TokenRequest", "TokenResponse", "UnitIO", "UnitList", "UserCreate",
    "UserList", "UserOut", "UserPatch", "UserRef", "VerificationOut",
]
