"""Compiled response schemas give exactly what marshmallow gives, field type by field type and on the real
objects of a dossier's life."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from marshmallow import Schema, fields
from sqlalchemy import select

from api import schemas
from api.dumping import compile_schema
from api.schemas import portal as portal_schemas
from api.schemas.common import LocalDateTime
from engine.dossiers.models import TaskRecord
from engine.dossiers.service import get_dossier
from engine.people.models import User
from engine.people.organisation import actor_for
from engine.work.inbox import TaskQuery, list_tasks

from .conftest import Api
from .test_flow import PATHS, submit


class Inner(Schema):
    name = fields.String()
    n = fields.Integer(allow_none=True)


class Everything(Schema):
    text = fields.String()
    number_text = fields.String(attribute="number", dump_only=True)
    number = fields.Integer()
    from_text = fields.Integer(attribute="digits")
    flag = fields.Boolean()
    truthy = fields.Boolean(attribute="word")
    when = LocalDateTime(allow_none=True)
    plain_when = fields.DateTime()
    amount = fields.Decimal(as_string=True)
    mapping = fields.Dict()
    words = fields.List(fields.String())
    inners = fields.List(fields.Nested(Inner))
    one = fields.Nested(Inner, allow_none=True)
    many = fields.Nested(Inner, many=True)
    deep = fields.String(attribute="one.name", dump_only=True)
    renamed = fields.String(data_key="from")
    absent = fields.String()
    defaulted = fields.String(dump_default=lambda: "mặc định")
    computed = fields.Function(lambda o: f"#{o['number'] if isinstance(o, dict) else o.number}")
    secret = fields.String(load_only=True)


SAMPLE = {
    "text": "Nguyễn Thị Minh Anh", "number": 42, "digits": "7", "flag": True, "word": "yes",
    "when": datetime(2026, 3, 2, 2, 30, tzinfo=UTC), "plain_when": datetime(2026, 3, 2, 2, 30, tzinfo=UTC),
    "amount": Decimal("150000.50"), "mapping": {"a": [1, 2]}, "words": ["x", 3],
    "inners": [{"name": "a", "n": 1}, SimpleNamespace(name="b", n=None)], "one": {"name": "đ", "n": "5"},
    "many": [{"name": "c"}], "renamed": "r", "secret": "s",
}


@pytest.mark.parametrize("shape", ["dict", "object", "nones"])
def test_every_field_kind_matches_marshmallow(shape: str) -> None:
    if shape == "dict":
        obj: Any = SAMPLE
    elif shape == "object":
        obj = SimpleNamespace(**SAMPLE)
    else:
        obj = {key: None for key in SAMPLE} | {"number": 1, "words": [], "inners": [], "many": []}
    schema = Everything()
    assert compile_schema(schema)(obj) == schema.dump(obj)
    assert compile_schema(Everything(many=True))([obj, obj]) == Everything(many=True).dump([obj, obj])


def _response_schemas() -> list[type[Schema]]:
    found = []
    for module in (schemas, portal_schemas):
        for _name, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, Schema) and value is not Schema and value.__module__.startswith("api.schemas"):
                found.append(value)
    return found


@pytest.mark.parametrize("schema_class", _response_schemas(), ids=lambda c: c.__name__)
def test_every_api_schema_matches_on_empty_input(schema_class: type[Schema]) -> None:
    schema = schema_class()
    try:
        expected = schema.dump({})
    except Exception as exc:  # a Function field that needs a real object: the compiled one fails alike
        with pytest.raises(type(exc)):
            compile_schema(schema)({})
        return
    assert compile_schema(schema)({}) == expected


def test_real_dossier_and_inbox_responses_match(api: Api) -> None:
    app = api.client.application
    code = submit(api, "ho-kinh-doanh")["code"]
    task = api.get(f"/dossiers/{code}", "tiepnhan").get_json()["open_tasks"][0]
    resp = api.complete(task["id"], "chuyenvien", PATHS["ho-kinh-doanh"]["steps"]["Task_ThamDinh"])
    assert resp.status_code == 200, resp.get_json()
    runtime = app.extensions["motcua"]
    with runtime.uow() as uow:
        user_id = uow.session.scalar(select(User.id).where(User.username == "tatca"))
        actor = actor_for(uow.session, uow.org, user_id)
        view = get_dossier(uow, actor, code)
        assert compile_schema(schemas.DossierOut())(view) == schemas.DossierOut().dump(view)
        page = list_tasks(uow, actor, TaskQuery(limit=10))
        body = {"items": page.items, "total": page.total, "limit": 10, "offset": 0}
        assert compile_schema(schemas.TaskPageOut())(body) == schemas.TaskPageOut().dump(body)
        rows = list(uow.session.scalars(select(TaskRecord)))
        assert compile_schema(schemas.TaskOut(many=True))(rows) == schemas.TaskOut(many=True).dump(rows)
