"""Every area's tables in one metadata: imported by Alembic's environment, the tests and the entry points, so
that foreign keys between areas resolve."""

from engine.archive import models as archive
from engine.dossiers import models as dossiers
from engine.payments import models as payments
from engine.people import models as people
from engine.procedures import models as procedures
from engine.reform import models as reform
from engine.rendering import store as rendering
from engine.results import models as results
from engine.scheduling import models as scheduling
from engine.store import models as store
from engine.store.db import Base
from engine.sync import models as sync
from engine.time import models as time
from engine.work import models as work

metadata = Base.metadata

__all__ = ["archive", "dossiers", "metadata", "payments", "people", "procedures", "reform", "rendering", "results",
           "scheduling", "store", "sync", "time", "work"]
