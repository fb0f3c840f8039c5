"""Figures and the working calendar."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .common import Strict, supported_date


class StatsQueryIn(Strict):
    start = fields.Date(required=True, validate=supported_date,
                        metadata={"description": "first local day of the period (1900 to 9998)"})
    end = fields.Date(required=True, validate=supported_date,
                      metadata={"description": "day after the period (exclusive)"})
    group_by = fields.String(load_default="none", validate=validate.OneOf(["none", "unit", "procedure", "month"]))
    unit = fields.String()
    procedure = fields.String()


class FiguresOut(Schema):
    key = fields.String()
    received = fields.Integer()
    online = fields.Integer()
    supplement_requests = fields.Integer()
    processed = fields.Integer()
    early = fields.Integer()
    on_time = fields.Integer()
    late = fields.Integer()
    open_within_time = fields.Integer()
    open_overdue = fields.Integer()
    paid = fields.Integer()
    paid_online = fields.Integer()
    digitised = fields.Integer(metadata={"description": "received in the period with a digital copy of "
                                                        "their documents (a file attached)"})
    reused = fields.Integer(metadata={"description": "received in the period with applicant data reused "
                                                     "from earlier dossiers"})
    electronic_results = fields.Integer(metadata={"description": "processed in the period whose result was issued "
                                                                 "electronically, signed (rate: over processed)"})
    ratings = fields.Integer()
    dissatisfied = fields.Integer()
    rates = fields.Dict(keys=fields.String(), values=fields.Float(allow_none=True))


class StatsOut(Schema):
    start = fields.Date()
    end = fields.Date()
    group_by = fields.String()
    groups = fields.List(fields.Nested(FiguresOut))


class OverrideIn(Strict):
    working = fields.Boolean(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))


class OverrideOut(Schema):
    day = fields.Date()
    working = fields.Boolean()
    name = fields.String()
    source = fields.String()


class CalendarDay(Schema):
    day = fields.Date()
    working = fields.Boolean()
    name = fields.String(allow_none=True)


class CalendarOut(Schema):
    year = fields.Integer()
    hours = fields.List(fields.List(fields.String()))
    days_off = fields.List(fields.Nested(CalendarDay), metadata={"description": "weekdays that are not worked"})
    working_weekend_days = fields.List(fields.Nested(CalendarDay))
    overrides = fields.List(fields.Nested(OverrideOut))
