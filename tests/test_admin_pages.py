"""The administrators' pages through the test client (both databases): units, accounts, memberships, roles,
the working calendar and the audit chain; the subtree rule (a commune's administrator gets the 403 page
outside it), forms refused with their errors, and an audit entry for every change."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from engine.people.models import Membership, Unit, User
from engine.people.passwords import verify_password
from engine.store.models import AuditEntry

from .conftest import PASSWORD
from .test_officer_pages import add_officer, signed_in, uow_of

MAKEUP_SATURDAY = "2026-10-10"  # an ordinary Saturday: a day off unless someone decides otherwise


def audit(app: Flask, action: str) -> list[AuditEntry]:
    with app.extensions["motcua"].session_factory() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)))


def errors_of(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-field-error="([\w.]+)">([^<]*)<', html))


def user_id(app: Flask, username: str) -> int:
    with app.extensions["motcua"].session_factory() as session:
        return session.scalars(select(User.id).where(User.username == username)).one()


def post(client: FlaskClient, csrf: str, path: str, **form: Any) -> Any:
    return client.post(path, data={"csrf_token": csrf, **form})


def can_sign_in(app: Flask, username: str, password: str) -> bool:
    client = app.test_client()
    token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/login").get_data(as_text=True))
    assert token
    resp = client.post("/login", data={"username": username, "password": password, "csrf_token": token[1]})
    return resp.status_code == 302


def test_the_unit_tree_and_a_new_commune(app: Flask) -> None:
    client, csrf = signed_in(app, "quantri")
    tree = client.get("/admin/units").get_data(as_text=True)
    assert 'data-nav="admin"' in tree  # the header's link, for administrators
    assert tree.index('data-unit="CM"') < tree.index('data-unit="CM-AX"') < tree.index('data-unit="CM-TT"')
    resp = post(client, csrf, "/admin/units/new", code="CM-KM", name="Trung tâm Phục vụ hành chính công xã Khánh Mỹ",
                level="commune", parent_code="CM", address="Ấp 1, xã Khánh Mỹ", phone="0290 3812 345", active="1")
    assert resp.status_code == 302
    tree = client.get("/admin/units").get_data(as_text=True)
    assert 'data-unit="CM-KM"' in tree and "Ấp 1, xã Khánh Mỹ" in tree and "0290 3812 345" in tree
    with app.extensions["motcua"].session_factory() as session:
        unit = session.get(Unit, "CM-KM")
        assert unit is not None and (unit.parent_code, unit.level, unit.active) == ("CM", "commune", True)
    [entry] = audit(app, "unit_saved")
    assert entry.entity_id == "CM-KM" and entry.before is None
    assert entry.after is not None and entry.after["phone"] == "0290 3812 345"

    # closed: no longer offered to citizens; the change is audited with the state before
    assert post(client, csrf, "/admin/units/CM-KM/active", active="0").status_code == 302
    assert 'data-unit="CM-KM"' in (page := client.get("/admin/units").get_data(as_text=True))
    assert re.search(r'data-unit="CM-KM".*?data-active="0"', page, re.S)
    closed = audit(app, "unit_saved")[-1]
    assert closed.before is not None and closed.before["active"] is True and closed.after["active"] is False
    # the top unit stays open: refused with the message on the page, nothing changed
    refused = post(client, csrf, "/admin/units/CM/active", active="0")
    assert refused.status_code == 422 and "data-error" in refused.get_data(as_text=True)
    assert len(audit(app, "unit_saved")) == 2


def test_a_unit_form_with_bad_input_comes_back_with_its_errors(app: Flask) -> None:
    client, csrf = signed_in(app, "quantri")
    resp = post(client, csrf, "/admin/units/new", code="co dau cách", name="", level="huyen", parent_code="",
                phone="goi-toi-nhe")
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert set(errors_of(html)) == {"code", "name", "level", "parent_code", "phone"}
    assert "Hãy chọn đơn vị cấp trên." in html and 'value="co dau cách"' in html  # what was typed is kept
    taken = post(client, csrf, "/admin/units/new", code="CM-AX", name="Trùng mã", level="commune", parent_code="CM")
    assert taken.status_code == 422 and errors_of(taken.get_data(as_text=True))["code"] == "Đã có đơn vị với mã này."
    edit = post(client, csrf, "/admin/units/CM-AX", name="", level="commune", parent_code="CM")
    assert edit.status_code == 422 and "name" in errors_of(edit.get_data(as_text=True))
    assert audit(app, "unit_saved") == []
    english = client.get("/admin/units/new?lang=en").get_data(as_text=True)
    assert "Parent unit" in english and "Đơn vị cấp trên" not in english


def test_a_communes_administrator_administers_only_its_subtree(app: Flask) -> None:
    add_officer(app, "quantri_ax", [("CM-AX", "admin")])
    client, csrf = signed_in(app, "quantri_ax")
    assert client.get("/admin/units/CM-AX").status_code == 200
    outside = client.get("/admin/units/CM-TT")
    assert outside.status_code == 403 and 'data-status="403"' in outside.get_data(as_text=True)
    assert post(client, csrf, "/admin/units/CM-TT", name="Đổi tên", level="commune").status_code == 403
    assert post(client, csrf, "/admin/units/CM-TT/active", active="0").status_code == 403
    # a unit created under the province is outside too, even when forged into the form
    assert post(client, csrf, "/admin/units/new", code="CM-X", name="X", level="commune",
                parent_code="CM").status_code == 403
    # its own commune: yes, keeping the parent above it
    assert post(client, csrf, "/admin/units/CM-AX", name="Trung tâm An Xuyên", level="commune", parent_code="CM",
                phone="0290 1", active="1").status_code == 302
    with app.extensions["motcua"].session_factory() as session:
        assert session.get(Unit, "CM-TT").name.endswith("Tân Thành")  # type: ignore[union-attr]
        assert session.get(Unit, "CM-X") is None
        assert session.get(Unit, "CM-AX").name == "Trung tâm An Xuyên"  # type: ignore[union-attr]
    # accounts: its commune's officers, not the province's administrator
    assert client.get(f"/admin/accounts/{user_id(app, 'tiepnhan')}").status_code == 200
    assert client.get(f"/admin/accounts/{user_id(app, 'quantri')}").status_code == 403
    assert post(client, csrf, f"/admin/accounts/{user_id(app, 'quantri')}/password").status_code == 403
    listed = client.get("/admin/accounts").get_data(as_text=True)
    assert 'data-account="tiepnhan"' in listed and 'data-account="quantri"' not in listed
    # a role in another commune, or an organisation-wide role, is not its to grant
    grant = f"/admin/accounts/{user_id(app, 'tiepnhan')}/memberships"
    assert post(client, csrf, grant, unit="CM-TT", role="reception").status_code == 403
    assert post(client, csrf, grant, unit="CM-AX", role="designer").status_code == 403
    # the calendar is the whole organisation's: shown, not changed
    page = client.get("/admin/calendar?year=2026").get_data(as_text=True)
    assert "data-override-form" not in page
    assert post(client, csrf, "/admin/calendar", day=MAKEUP_SATURDAY, working="1", name="Làm bù").status_code == 403
    assert [e.entity_id for e in audit(app, "unit_saved")] == ["CM-AX"]
    assert audit(app, "membership_added") == [] and audit(app, "calendar_override_set") == []


def test_an_account_created_with_its_first_membership_and_a_password_shown_once(app: Flask) -> None:
    client, csrf = signed_in(app, "quantri")
    resp = post(client, csrf, "/admin/accounts/new", username="tiepnhan.tt", full_name="Trần Thị Lan",
                email="lan@camau.gov.vn", unit="CM-TT", role="reception")
    new_id = user_id(app, "tiepnhan.tt")
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/admin/accounts/{new_id}")
    assert "data-password" not in resp.get_data(as_text=True)  # post/redirect/get: the answer to the POST shows none
    shown = re.search(r"data-password>([^<]+)<", client.get(f"/admin/accounts/{new_id}").get_data(as_text=True))
    assert shown and can_sign_in(app, "tiepnhan.tt", shown[1])
    again = client.get(f"/admin/accounts/{new_id}").get_data(as_text=True)
    assert shown[1] not in again and "data-temporary-password" not in again  # once
    assert 'data-membership="CM-TT/reception"' in again
    [entry] = audit(app, "user_created")
    assert entry.after == {"username": "tiepnhan.tt", "memberships": [["CM-TT", "reception"]]}
    assert shown[1] not in str(entry.after) + str(entry.detail)

    bad = post(client, csrf, "/admin/accounts/new", username="Có Dấu", full_name="", email="khong-phai-email",
               password="ngan", unit="", role="")
    assert bad.status_code == 422
    assert set(errors_of(bad.get_data(as_text=True))) == {"username", "full_name", "email", "password", "unit", "role"}
    taken = post(client, csrf, "/admin/accounts/new", username="tiepnhan", full_name="Trùng", unit="CM-AX",
                 role="reception", password=PASSWORD)
    assert taken.status_code == 422 and "username" in errors_of(taken.get_data(as_text=True))
    assert len(audit(app, "user_created")) == 1


def test_an_account_edited_disabled_reset_and_its_memberships(app: Flask) -> None:
    client, csrf = signed_in(app, "quantri")
    target = user_id(app, "chuyenvien")
    base = f"/admin/accounts/{target}"
    assert post(client, csrf, base, full_name="Lê Văn Chuyên", email="chuyen@camau.gov.vn").status_code == 302
    bad = post(client, csrf, base, full_name="", email="@")
    assert bad.status_code == 422 and set(errors_of(bad.get_data(as_text=True))) == {"full_name", "email"}

    assert post(client, csrf, f"{base}/active", active="0").status_code == 302
    assert not can_sign_in(app, "chuyenvien", PASSWORD)
    assert post(client, csrf, f"{base}/active", active="1").status_code == 302
    assert can_sign_in(app, "chuyenvien", PASSWORD)

    short = post(client, csrf, f"{base}/password", password="ngan")
    assert short.status_code == 422 and errors_of(short.get_data(as_text=True))["password"].startswith("Mật khẩu")
    chosen = post(client, csrf, f"{base}/password", password="mat-khau-moi-2026")
    assert chosen.status_code == 303 and "data-temporary-password" not in client.get(base).get_data(as_text=True)
    assert can_sign_in(app, "chuyenvien", "mat-khau-moi-2026") and not can_sign_in(app, "chuyenvien", PASSWORD)
    assert post(client, csrf, f"{base}/password").status_code == 303
    generated = re.search(r"data-password>([^<]+)<", client.get(base).get_data(as_text=True))
    assert generated and can_sign_in(app, "chuyenvien", generated[1])

    assert post(client, csrf, f"{base}/memberships", unit="CM-TT", role="leader").status_code == 302
    missing = post(client, csrf, f"{base}/memberships", unit="", role="")
    assert missing.status_code == 422 and set(errors_of(missing.get_data(as_text=True))) == {"unit", "role"}
    assert post(client, csrf, f"{base}/memberships/remove", unit="CM-AX", role="specialist").status_code == 302
    with app.extensions["motcua"].session_factory() as session:
        user = session.get(User, target)
        assert user is not None and (user.full_name, user.email) == ("Lê Văn Chuyên", "chuyen@camau.gov.vn")
        assert not verify_password(PASSWORD, user.password_hash)
        assert {(m.unit_code, m.role_code) for m in session.scalars(
            select(Membership).where(Membership.user_id == target))} == {("CM-TT", "leader")}
    assert [e.after for e in audit(app, "user_changed")] == [
        {"full_name": "Lê Văn Chuyên", "email": "chuyen@camau.gov.vn"}, {"active": False}, {"active": True}]
    resets = audit(app, "password_reset")
    assert [e.detail for e in resets] == [{"generated": False}, {"generated": True}]
    assert "mat-khau-moi-2026" not in str([(e.before, e.after, e.detail) for e in resets])
    assert [e.after for e in audit(app, "membership_added")] == [{"unit": "CM-TT", "role": "leader"}]
    assert [e.after for e in audit(app, "membership_removed")] == [{"unit": "CM-AX", "role": "specialist"}]


def test_accounts_are_found_by_unit_and_by_name_without_diacritics(app: Flask) -> None:
    add_officer(app, "hoa.tt", [("CM-TT", "specialist")])
    uow = uow_of(app)
    with uow:
        uow.session.execute(update(User).where(User.username == "hoa.tt").values(full_name="Nguyễn Thị Hoà"))
        uow.session.commit()
    client, _csrf = signed_in(app, "quantri")
    found = client.get("/admin/accounts?q=nguyen+thi+hoa").get_data(as_text=True)
    assert 'data-total="1"' in found and 'data-account="hoa.tt"' in found
    by_unit = client.get("/admin/accounts?unit=CM-TT").get_data(as_text=True)
    assert 'data-account="hoa.tt"' in by_unit and 'data-account="tiepnhan"' not in by_unit
    assert 'data-total="0"' in client.get("/admin/accounts?unit=CM-TT&q=tiepnhan").get_data(as_text=True)


def test_the_roles_with_what_they_may_do_and_their_holders(app: Flask) -> None:
    client, _csrf = signed_in(app, "quantri")
    html = client.get("/admin/roles").get_data(as_text=True)
    holders = dict(re.findall(r'data-role="(\w+)".*?data-holders="(\d+)"', html, re.S))
    assert holders["reception"] == "2" and holders["leader"] == "2" and holders["admin"] == "1"  # tatca counts
    assert holders["designer"] == "0" and "Thiết kế quy trình (sơ đồ BPMN" in html


def test_a_make_up_working_day_shows_on_the_year_and_counts_for_deadlines(app: Flask) -> None:
    client, csrf = signed_in(app, "quantri")
    day = date.fromisoformat(MAKEUP_SATURDAY)
    year = client.get("/admin/calendar?year=2026").get_data(as_text=True)
    assert len(re.findall(r'<td id="d-2026-', year)) == 365
    assert re.search(r'data-day="2026-09-02" data-kind="holiday"', year)  # National Day, from the package
    assert re.search(r'data-day="2026-08-22" data-kind="makeup"', year)  # the package's make-up Saturday
    assert re.search(rf'data-day="{MAKEUP_SATURDAY}" data-kind="weekend"', year)

    friday = datetime(2026, 10, 9, 3, 0, tzinfo=UTC)  # 10:00 local, Friday
    with uow_of(app) as uow:
        before = uow.calendar.add_working_days(friday, 1)
    resp = post(client, csrf, "/admin/calendar", day=MAKEUP_SATURDAY, working="1",
                name="Làm bù cho ngày nghỉ 2/1 (QĐ 01/QĐ-UBND)")
    assert resp.status_code == 302
    year = client.get("/admin/calendar?year=2026").get_data(as_text=True)
    assert re.search(rf'data-day="{MAKEUP_SATURDAY}" data-kind="makeup" data-working="1" data-local', year)
    assert f'data-override="{MAKEUP_SATURDAY}"' in year and "QĐ 01/QĐ-UBND" in year
    with uow_of(app) as uow:  # the engine's working time sees it at once: the deadline moves a day earlier
        assert uow.calendar.is_working_day(day)
        assert uow.calendar.add_working_days(friday, 1) < before
    [entry] = audit(app, "calendar_override_set")
    assert entry.entity_id == MAKEUP_SATURDAY and entry.after == {"working": True,
                                                                  "name": "Làm bù cho ngày nghỉ 2/1 (QĐ 01/QĐ-UBND)"}

    bad = post(client, csrf, "/admin/calendar", day="10/10/2026", working="2", name=" ")
    assert bad.status_code == 422 and set(errors_of(bad.get_data(as_text=True))) == {"day", "working", "name"}
    assert client.get("/admin/calendar?year=abc").status_code == 400

    assert post(client, csrf, f"/admin/calendar/{MAKEUP_SATURDAY}/remove").status_code == 302
    assert re.search(rf'data-day="{MAKEUP_SATURDAY}" data-kind="weekend"',
                     client.get("/admin/calendar?year=2026").get_data(as_text=True))
    assert post(client, csrf, f"/admin/calendar/{MAKEUP_SATURDAY}/remove").status_code == 404
    with uow_of(app) as uow:
        assert not uow.calendar.is_working_day(day)
    assert [e.entity_id for e in audit(app, "calendar_override_removed")] == [MAKEUP_SATURDAY]


def test_the_audit_chains_state_intact_then_broken(app: Flask) -> None:
    client, csrf = signed_in(app, "quantri")
    post(client, csrf, "/admin/units/CM-TT/active", active="0")  # an entry or two in the chain
    html = client.get("/admin/audit").get_data(as_text=True)
    assert 'data-chain="intact"' in html and "data-chain-ok" in html
    checked = int(re.search(r'data-checked="(\d+)"', html)[1])  # type: ignore[index]
    assert checked == len(audit(app, "signed_in")) + len(audit(app, "unit_saved")) >= 2
    with app.extensions["motcua"].session_factory() as session:  # someone edits the database behind Motcua
        session.execute(update(AuditEntry).where(AuditEntry.action == "unit_saved").values(entity_id="CM-AX"))
        session.commit()
    broken = client.get("/admin/audit?lang=en").get_data(as_text=True)
    assert 'data-chain="broken"' in broken and 'data-chain-broken="hash-mismatch"' in broken
    seq = audit(app, "unit_saved")[0].seq
    assert f'data-broken-at="{seq}"' in broken and "The entry's content does not match its hash" in broken


def test_odd_input_gets_a_4xx_page_never_a_5xx(app: Flask) -> None:
    client, csrf = signed_in(app, "quantri")
    assert client.get("/admin/accounts/99999999999999999999").status_code == 404
    assert client.get("/admin/accounts/12345").status_code == 404
    assert client.get("/admin/units/kh%C3%B4ng-c%C3%B3").status_code == 404
    assert client.get("/admin/calendar?year=99999").status_code == 400
    for day in ("9999-12-31", "0001-01-01", "2026-02-30", "x" * 500):
        resp = post(client, csrf, "/admin/calendar", day=day, working="1", name="Thử")
        assert resp.status_code == 422 and "day" in errors_of(resp.get_data(as_text=True)), day
    unknown = post(client, csrf, "/admin/accounts/new", username="moi.1", full_name="Mới", unit="KHONG-CO",
                   role="khong-co", password=PASSWORD)
    assert unknown.status_code == 422 and set(errors_of(unknown.get_data(as_text=True))) == {"unit"}
    target = user_id(app, "tiepnhan")
    assert post(client, csrf, f"/admin/accounts/{target}/memberships/remove", unit="CM-TT",
                role="leader").status_code == 404
    # a unit below itself, directly or through a unit under it: refused beside the parent field
    assert post(client, csrf, "/admin/units/new", code="CM-AX-1", name="Điểm tiếp nhận", level="commune",
                parent_code="CM-AX").status_code == 302
    for parent in ("CM-AX", "CM-AX-1"):
        loop = post(client, csrf, "/admin/units/CM-AX", name="An Xuyên", level="commune", parent_code=parent)
        assert loop.status_code == 422 and "parent_code" in errors_of(loop.get_data(as_text=True)), parent
    with app.extensions["motcua"].session_factory() as session:
        assert session.get(Unit, "CM-AX").parent_code == "CM"  # type: ignore[union-attr]
    long_name = post(client, csrf, "/admin/units/new", code="A" * 500, name="N" * 5000, level="commune",
                     parent_code="CM", address="Đ" * 5000, phone="1" * 500)
    assert long_name.status_code in (302, 422)
