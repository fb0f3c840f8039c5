"""Publishing with a second person (MOTCUA_PUBLISH_APPROVAL=1): a direct publish is refused; a reform officer
or designer asks, another person (a leader of the top-level unit, or another reformer, never the one who
asked) approves, and the draft is published; or sends it back with a reason, and it stays a draft. A save of
the draft after the request voids it. Through the API and the pages (plain forms with CSRF)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from engine.store.models import AuditEntry

from .conftest import Api
from .test_drafts_in_place import budget
from .test_officer_pages import add_officer, csrf_of, signed_in
from .test_reform import HKD, reformed_package

VERSION = f"/procedures/{HKD}/versions/2"


@pytest.fixture
def app(app_factory: Any) -> Flask:
    app = app_factory(publish_approval=True)
    add_officer(app, "thietke", [("CM", "designer")])
    add_officer(app, "caicach", [("CM", "reform_officer")])
    add_officer(app, "lanhdaotinh", [("CM", "leader")])
    return app


def draft(api: Api, package: dict[str, Any] | None = None, user: str = "thietke") -> dict[str, Any]:
    resp = api.post(f"/procedures/{HKD}/drafts", user, json=package or reformed_package())
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["version"]


def current(api: Api) -> int:
    return api.get(f"/procedures/{HKD}", "tiepnhan").get_json()["version"]


def notified(api: Api, user: str) -> list[str]:
    return [n["payload"].get("kind") for n in api.get("/notifications", user).get_json()["items"]]


def actions(app: Flask) -> list[str]:
    with app.extensions["motcua"].session_factory() as session:
        return list(session.scalars(select(AuditEntry.action).where(AuditEntry.entity == "procedure")
                                    .order_by(AuditEntry.id)))


def test_a_direct_publish_is_refused_and_another_person_approves(api: Api, app: Flask) -> None:
    assert draft(api)["number"] == 2
    direct = api.post(f"{VERSION}/publish", "thietke", json={"note": "Quyết định 5/QĐ"})
    assert direct.status_code == 409 and direct.get_json()["code"] == "approval-required"
    assert current(api) == 1

    asked = api.post(f"{VERSION}/publish-request", "thietke", json={"note": "Quyết định 5/QĐ"})
    assert asked.status_code == 201, asked.get_json()
    assert asked.get_json()["status"] == "pending" and asked.get_json()["requested_by_name"] == "Thietke"
    assert api.post(f"{VERSION}/publish-request", "caicach", json={"note": "lại"}).status_code == 409
    assert "publish_requested" in notified(api, "caicach") and "publish_requested" in notified(api, "lanhdaotinh")
    assert "publish_requested" not in notified(api, "thietke")
    waiting = api.get("/publish-requests", "lanhdaotinh").get_json()["items"]
    assert [(w["procedure"], w["version"]) for w in waiting] == [(HKD, 2)]

    approve = f"{VERSION}/publish-request/approve"
    own = api.post(approve, "thietke", json={})
    assert own.status_code == 403  # never the one who asked
    assert api.post(approve, "lanhdao", json={}).status_code == 403  # a commune's leader decides no procedure
    assert api.post(approve, "tiepnhan", json={}).status_code == 403
    assert current(api) == 1

    approved = api.post(approve, "lanhdaotinh", json={"note": "Đồng ý"})
    assert approved.status_code == 200, approved.get_json()
    assert approved.get_json()["status"] == "published" and approved.get_json()["note"] == "Quyết định 5/QĐ"
    assert current(api) == 2
    assert "publish_approved" in notified(api, "thietke")
    history = api.get(f"{VERSION}/publish-requests", "caicach").get_json()["items"]
    assert [(h["status"], h["decided_by_name"], h["reason"]) for h in history] == [
        ("approved", "Lanhdaotinh", "Đồng ý")]
    assert api.post(approve, "caicach", json={}).status_code == 409  # nothing waits any more
    assert actions(app)[-3:] == ["publish_requested", "publish_approved", "version_published"]
    assert api.get("/audit/verify", "quantri").get_json()["ok"] is True


def test_sent_back_with_a_reason_and_an_edit_voids_the_request(api: Api, app: Flask) -> None:
    draft(api, user="caicach")
    assert api.post(f"{VERSION}/publish-request", "caicach", json={"note": "Cải cách"}).status_code == 201
    reject = f"{VERSION}/publish-request/reject"
    assert api.post(reject, "thietke", json={"reason": ""}).status_code == 422
    assert api.post(reject, "caicach", json={"reason": "tự trả"}).status_code == 403
    back = api.post(reject, "thietke", json={"reason": "Thiếu căn cứ pháp lý"})
    assert back.status_code == 200 and back.get_json()["status"] == "rejected"
    assert back.get_json()["reason"] == "Thiếu căn cứ pháp lý" and current(api) == 1
    listing = api.get(f"/procedures/{HKD}/versions", "caicach").get_json()["items"]
    assert listing[-1]["number"] == 2 and listing[-1]["status"] == "draft"
    assert "publish_rejected" in notified(api, "caicach")

    # asked again; the draft is then edited: the request is void, approving it is refused
    assert api.post(f"{VERSION}/publish-request", "caicach", json={"note": "Đã bổ sung"}).status_code == 201
    edited = draft(api, budget(reformed_package(), "PT2H"), user="caicach")
    assert edited["number"] == 2
    assert api.post(f"{VERSION}/publish-request/approve", "thietke", json={}).status_code == 409
    history = api.get(f"{VERSION}/publish-requests", "thietke").get_json()["items"]
    assert [h["status"] for h in history] == ["voided", "rejected"]
    assert api.get("/publish-requests", "thietke").get_json()["items"] == []
    # what is approved is the edited draft, asked for again
    assert api.post(f"{VERSION}/publish-request", "caicach", json={"note": "Lần 3"}).status_code == 201
    assert api.post(f"{VERSION}/publish-request/approve", "thietke", json={}).status_code == 200
    assert current(api) == 2
    assert actions(app).count("publish_rejected") == 1


def test_the_pages_ask_list_and_decide(api: Api, app: Flask) -> None:
    draft(api)
    designer, _t = signed_in(app, "thietke")
    publish_page = f"/designer/{HKD}/versions/2/publish"
    page = designer.get(publish_page).get_data(as_text=True)
    assert 'data-form="publish-request"' in page and 'data-approval="required"' in page
    direct = designer.post(publish_page, data={"note": "thẳng", "csrf_token": csrf_of(designer, publish_page)})
    assert direct.status_code == 409 and "cần người thứ hai phê duyệt" in direct.get_data(as_text=True)
    empty = designer.post(f"/designer/{HKD}/versions/2/publish-request",
                          data={"note": "", "csrf_token": csrf_of(designer, publish_page)})
    assert empty.status_code == 400 and 'data-error-for="note"' in empty.get_data(as_text=True)
    asked = designer.post(f"/designer/{HKD}/versions/2/publish-request",
                          data={"note": "Quyết định 7/QĐ", "csrf_token": csrf_of(designer, publish_page)})
    assert asked.status_code == 302
    page = designer.get(publish_page).get_data(as_text=True)
    assert 'data-request="pending"' in page
    assert re.search(r'data-action="request-approval"\s+disabled', page)
    listing = designer.get("/designer/").get_data(as_text=True)
    assert "data-waiting-requests" in listing and "data-waiting>" in listing

    review = f"/designer/{HKD}/versions/2/review"
    assert "data-own" in designer.get(review).get_data(as_text=True)  # the requester sees no decision form
    own = designer.post(review, data={"decision": "approve", "csrf_token": csrf_of(designer, review)})
    assert own.status_code == 403 and current(api) == 1

    commune_leader, _t = signed_in(app, "lanhdao")
    assert commune_leader.get("/designer/publish-requests").status_code == 403
    leader, _t = signed_in(app, "lanhdaotinh")
    waiting = leader.get("/designer/publish-requests").get_data(as_text=True)
    assert f'data-procedure="{HKD}" data-version="2"' in waiting
    assert 'data-nav="publish-requests"' in waiting  # the leader's way there
    assert 'data-nav="publish-requests"' not in commune_leader.get("/notifications/").get_data(as_text=True)
    assert leader.get("/designer/").status_code == 403  # a leader reviews; designing stays the designers'
    no_reason = leader.post(review, data={"decision": "reject", "reason": " ",
                                          "csrf_token": csrf_of(leader, review)})
    assert no_reason.status_code == 400 and 'data-error-for="reason"' in no_reason.get_data(as_text=True)
    back = leader.post(review, data={"decision": "reject", "reason": "Sai thời hạn",
                                     "csrf_token": csrf_of(leader, review)})
    assert back.status_code == 302
    page = designer.get(publish_page).get_data(as_text=True)
    assert 'data-request="rejected"' in page and "Sai thời hạn" in page
    notifications = designer.get("/notifications/").get_data(as_text=True)
    assert 'data-link="publish-request"' in notifications

    assert designer.post(f"/designer/{HKD}/versions/2/publish-request",
                         data={"note": "Đã sửa", "csrf_token": csrf_of(designer, publish_page)}).status_code == 302
    approved = leader.post(review, data={"decision": "approve", "note": "",
                                         "csrf_token": csrf_of(leader, review)})
    assert approved.status_code == 302 and current(api) == 2
    assert 'data-status="approved"' in leader.get(review).get_data(as_text=True)


def test_without_the_setting_publishing_is_direct(app_factory: Any) -> None:
    api = Api(app_factory().test_client())
    assert draft(api, user="quantri")["number"] == 2
    pages, _t = signed_in(api.client.application, "quantri")
    assert 'data-form="publish"' in pages.get(f"/designer/{HKD}/versions/2/publish").get_data(as_text=True)
    assert api.post(f"{VERSION}/publish", "quantri", json={"note": "ok"}).status_code == 200
