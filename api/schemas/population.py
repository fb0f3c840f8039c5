"""Look-ups in the national population database."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from engine.dossiers.population import MAX_PURPOSE

from .common import Strict


class PopulationLookupIn(Strict):
    personal_id = fields.String(required=True, validate=validate.Length(min=1, max=12),
                                metadata={"description": "the person's 12-digit personal id"})
    purpose = fields.String(required=True, validate=validate.Length(max=MAX_PURPOSE),
                            metadata={"description": "what the look-up is for (logged, audited)"})
    dossier_code = fields.String(validate=validate.Length(min=1, max=64),
                                 metadata={"description": "the dossier the look-up is for"})
    reference = fields.String(validate=validate.Length(min=1, max=120), metadata={
        "description": "or: the registration in progress (the counter form's token), when there is no dossier yet"})


class HouseholdMember(Schema):
    name = fields.String(allow_none=True)
    id_number = fields.String(allow_none=True)
    relation = fields.String(allow_none=True)


class Household(Schema):
    head = fields.Nested(HouseholdMember, allow_none=True)
    members = fields.List(fields.Nested(HouseholdMember))


class PopulationLookupOut(Schema):
    lookup_id = fields.Integer(metadata={
        "description": "name it (`population_lookup`) when registering with `population_fields`"})
    fields_ = fields.Dict(keys=fields.String(), values=fields.String(), data_key="fields", attribute="fields",
                          metadata={"description": "name, birth_date, gender, permanent_address, current_address"})
    household = fields.Nested(Household)
    applicant = fields.Dict(keys=fields.String(), values=fields.String(),
                            metadata={"description": "the dossier's applicant fields these data fill"})
