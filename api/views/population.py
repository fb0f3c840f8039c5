"""Look-ups in the national population database (engine/dossiers/population.py): the connector's function handed to the
engine, which checks the right, logs and audits."""

from __future__ import annotations

from flask import Blueprint, g

from connectors.population import client as population
from engine.dossiers.population import Asking, LookupFailed, Person, look_up_person

from ..auth import current_actor, login_required
from ..operations import operation, respond
from ..schemas.population import PopulationLookupIn, PopulationLookupOut
from ..services import request_uow

bp = Blueprint("population", __name__)


def fetch(personal_id: str, asking: Asking) -> Person | None:
    """The configured connector, in the engine's terms (None: no such person; LookupFailed: no answer)."""
    try:
        found = population.look_up_from_env(personal_id, population.Asker(
            asking.purpose, asking.officer, asking.unit, asking.reference))
    except population.NotFoundPerson:
        return None
    except population.PopulationError as exc:
        raise LookupFailed(str(exc)) from None
    return Person(found.fields, found.household)


@bp.post("/population/lookups")
@login_required()
@operation("Look a person up in the national population database by personal id, for a dossier (`dossier_code`, "
           "one of yours) or the registration in progress (`reference`), with a purpose: name, birth date, "
           "gender, permanent and current address, household. Only officers holding the role "
           "`population_lookup`; every look-up is logged and audited (a failed one too)", tag="population",
           body=PopulationLookupIn(),
           responses={200: PopulationLookupOut(), 403: "no right to look up", 404: "no such person (or dossier)",
                      409: "the population database could not answer", 422: "no purpose, bad id, no dossier"})
def lookup():  # type: ignore[no-untyped-def]
    body = g.body
    answer = look_up_person(request_uow(), current_actor(), body["personal_id"], body["purpose"], fetch,
                            dossier_code=body.get("dossier_code"), reference=body.get("reference"))
    return respond(PopulationLookupOut, answer)
