"""Who may see what. An officer sees the dossiers and tasks of their own unit; an account without a unit
is a central one and sees all. (The unit hierarchy arrives with the organisation model.)

Out-of-scope things are reported as not found, never as forbidden, so their existence does not leak.
"""

from __future__ import annotations

from .actors import Actor
from .models import Dossier, TaskRecord


def may_see_dossier(actor: Actor, dossier: Dossier) -> bool:
    if actor.unit_code is None:
        return True
    units = (dossier.reception_unit, dossier.competent_unit)
    return actor.unit_code in units or units == (None, None)


def may_see_task(actor: Actor, task: TaskRecord) -> bool:
    return actor.unit_code is None or task.unit_code in (None, actor.unit_code)
