"""Who may see what: an officer sees the dossiers and tasks of the units their officer memberships
(reception, specialist, leader) cover (a province-level membership covers the communes below it), and works
only the tasks of their roles there. A dossier holds a citizen's personal data, so other roles (designer,
reform officer, administrator) see none, whatever their unit: they see procedures and figures.

Out-of-scope things are reported as not found, never as forbidden, so their existence does not leak; a
task in scope but of another role is forbidden.
"""

from __future__ import annotations

from engine.people.actors import Actor

from .models import Dossier, TaskRecord


def may_see_dossier(actor: Actor, dossier: Dossier) -> bool:
    units = actor.officer_units
    return dossier.reception_unit in units or dossier.competent_unit in units


def may_see_task(actor: Actor, task: TaskRecord) -> bool:
    return task.unit_code in actor.officer_units


def may_work_task(actor: Actor, task: TaskRecord) -> bool:
    return actor.has_role(task.role, task.unit_code)
