"""A draft is edited in place: saves of the open draft keep its number (files, forms, compiled spec, hash and
findings replaced); a new draft version comes only when there is none (after publishing). A save made from a
draft someone else saved since is refused (409) when it says which content it started from (`base_hash`);
without it, it overwrites. The compiled spec of the old content is never served for the new."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from engine.procedures.models import ProcedureVersion
from engine.store.models import AuditEntry

from .conftest import Api
from .test_officer_pages import add_officer, signed_in
from .test_reform import HKD, reformed_package


@pytest.fixture
def api(app: Flask) -> Api:
    add_officer(app, "thietke", [("CM", "designer")])
    add_officer(app, "caicach", [("CM", "reform_officer")])
    return Api(app.test_client())


def save(api: Api, user: str, package: dict[str, Any], **extra: Any) -> Any:
    return api.post(f"/procedures/{HKD}/drafts", user, json={**package, **extra})


def budget(package: dict[str, Any], value: str) -> dict[str, Any]:
    """The approval step's budget (PT1H in the reformed package) set to `value`."""
    changed = {**package, "files": dict(package["files"])}
    changed["files"]["process.bpmn"] = changed["files"]["process.bpmn"].replace('value="PT1H"', f'value="{value}"',
                                                                                1)
    return changed


def drafts_audit(app: Flask) -> list[AuditEntry]:
    with app.extensions["motcua"].session_factory() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == "draft_saved")
                                    .order_by(AuditEntry.id)))


def test_saves_edit_the_open_draft_and_a_new_draft_follows_publishing(api: Api, app: Flask) -> None:
    first = save(api, "thietke", reformed_package())
    assert first.status_code == 201, first.get_json()
    number, hash1 = first.get_json()["version"]["number"], first.get_json()["version"]["content_hash"]
    assert number == 2
    # the what-if compiles the draft as it is now (and keeps it in the process's spec cache)
    assert api.get(f"/procedures/{HKD}/versions/2/what-if", "thietke").get_json()["step_budgets"][
        "Task_PheDuyet"] == "PT1H"

    second = save(api, "thietke", budget(reformed_package(), "PT2H"), note="phê duyệt 2 giờ")
    assert second.status_code == 201, second.get_json()
    body = second.get_json()
    assert body["version"]["number"] == 2 and body["version"]["status"] == "draft"
    hash2 = body["version"]["content_hash"]
    assert hash2 != hash1 and body["version"]["note"] == "phê duyệt 2 giờ"
    listing = api.get(f"/procedures/{HKD}/versions", "thietke").get_json()["items"]
    assert [(v["number"], v["status"]) for v in listing] == [(1, "published"), (2, "draft")]
    stored = api.get(f"/procedures/{HKD}/versions/2/package", "thietke").get_json()
    assert 'value="PT2H"' in stored["files"]["process.bpmn"] and stored["content_hash"] == hash2
    # never the cached spec of the old content: the budgets come from the new one
    assert api.get(f"/procedures/{HKD}/versions/2/what-if", "thietke").get_json()["step_budgets"][
        "Task_PheDuyet"] == "PT2H"
    change = api.get(f"/procedures/{HKD}/diff?from=1&to=2", "thietke").get_json()
    assert change["steps"]["budget_changed"][0]["to"] == "PT2H"
    with app.extensions["motcua"].session_factory() as session:  # and the stored spec is the new content's
        from engine.procedures.catalog import restore_version
        row = session.scalars(select(ProcedureVersion).where(ProcedureVersion.procedure_code == HKD,
                                                             ProcedureVersion.number == 2)).one()
        assert restore_version(row).content_hash == hash2 and row.meta["process_id"] == row.process_id

    entries = drafts_audit(app)
    assert [e.after["version"] for e in entries] == [2, 2]
    assert entries[0].before is None and entries[1].before == {"content_hash": hash1}
    assert entries[1].after["content_hash"] == hash2 and entries[1].detail["in_place"] is True

    # the same content again changes nothing (no audit entry)
    assert save(api, "thietke", budget(reformed_package(), "PT2H")).get_json()["version"]["number"] == 2
    assert len(drafts_audit(app)) == 2
    # content some other version has returns that version; the open draft keeps its own
    package_v1 = api.get(f"/procedures/{HKD}/versions/1/package", "thietke").get_json()
    same_as_v1 = save(api, "thietke", {"code": HKD, "files": package_v1["files"], "forms": package_v1["forms"]})
    assert same_as_v1.get_json()["version"]["number"] == 1
    assert api.get(f"/procedures/{HKD}/versions/2/package", "thietke").get_json()["content_hash"] == hash2

    assert api.post(f"/procedures/{HKD}/versions/2/publish", "caicach", json={"note": "ok"}).status_code == 200
    after = save(api, "thietke", budget(reformed_package(), "PT3H"), base_hash=hash2)
    assert after.status_code == 201 and after.get_json()["version"]["number"] == 3  # a new draft after publishing
    assert api.get(f"/procedures/{HKD}/versions/2/package", "thietke").get_json()["content_hash"] == hash2
    assert api.get(f"/procedures/{HKD}/versions/2/what-if", "thietke").get_json()["step_budgets"][
        "Task_PheDuyet"] == "PT2H"  # published versions never change
    assert api.get("/audit/verify", "quantri").get_json()["ok"] is True


def test_a_stale_save_is_refused_and_an_old_caller_overwrites(api: Api, app: Flask) -> None:
    opened = save(api, "thietke", reformed_package()).get_json()["version"]
    # two designers opened draft 2; the reform officer saves first
    theirs = save(api, "caicach", budget(reformed_package(), "PT2H"), base_hash=opened["content_hash"])
    assert theirs.status_code == 201 and theirs.get_json()["version"]["number"] == 2
    stale = save(api, "thietke", budget(reformed_package(), "PT3H"), base_hash=opened["content_hash"])
    assert stale.status_code == 409, stale.get_json()
    problem = stale.get_json()
    assert problem["code"] == "draft-changed" and problem["version"] == 2
    assert problem["content_hash"] == theirs.get_json()["version"]["content_hash"]
    stored = api.get(f"/procedures/{HKD}/versions/2/package", "thietke").get_json()
    assert 'value="PT2H"' in stored["files"]["process.bpmn"]  # their work is kept
    # having opened it again, the designer saves
    again = save(api, "thietke", budget(reformed_package(), "PT3H"), base_hash=stored["content_hash"])
    assert again.status_code == 201 and again.get_json()["version"]["number"] == 2
    # opening the published version while a draft is open: the save would overwrite that draft, refused too
    published = api.get(f"/procedures/{HKD}/versions/1/package", "thietke").get_json()
    assert save(api, "caicach", budget(reformed_package(), "PT5H"),
                base_hash=published["content_hash"]).status_code == 409
    # a caller that sends no base_hash overwrites, as before
    old_caller = save(api, "caicach", budget(reformed_package(), "PT5H"))
    assert old_caller.status_code == 201 and old_caller.get_json()["version"]["number"] == 2
    assert 'value="PT5H"' in api.get(f"/procedures/{HKD}/versions/2/package", "thietke").get_json()["files"][
        "process.bpmn"]
    assert len(drafts_audit(app)) == 4  # created; saved by the officer, by the designer, by the old caller
    assert save(api, "thietke", reformed_package(), base_hash="0" * 64).status_code == 409


def test_the_modeler_page_hands_the_draft_hash_to_its_save(api: Api, app: Flask) -> None:
    draft = save(api, "thietke", reformed_package()).get_json()["version"]
    pages, _token = signed_in(app, "thietke")
    page = pages.get(f"/designer/{HKD}/versions/2").get_data(as_text=True)
    assert f'&#34;content_hash&#34;: &#34;{draft["content_hash"]}&#34;' in page or \
        f'"content_hash": "{draft["content_hash"]}"' in page
