"""The administrator in the browser, through the pages only: adds a commune unit, an officer with a membership
there (who then signs in with the temporary password shown once and must choose a password of its own first),
and a make-up working day, which then shows on the year view and counts for deadlines."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from engine.people.models import Membership, Unit, User

from .conftest import login

pytestmark = pytest.mark.browser
MAKEUP_DAY = "2027-01-09"  # a Saturday


def test_an_administrator_adds_a_commune_an_officer_there_and_a_make_up_working_day(page: Any,
                                                                                     live_server: Any) -> None:
    login(page, "quantri")
    page.click("[data-nav=admin]")
    expect(page.locator("[data-unit=CM]")).to_be_visible()

    # a commune unit under the province
    page.click("[data-new-unit]")
    page.fill("input[name=code]", "CM-KM")
    page.fill("input[name=name]", "Trung tâm Phục vụ hành chính công xã Khánh Mỹ")
    page.select_option("select[name=level]", "commune")
    page.select_option("select[name=parent_code]", "CM")
    page.fill("input[name=address]", "Ấp Cây Khô, xã Khánh Mỹ")
    page.fill("input[name=phone]", "0290 3870 123")
    page.click("[data-save-unit]")
    row = page.locator("tr[data-unit=CM-KM]")
    expect(row).to_be_visible()
    expect(row).to_contain_text("Ấp Cây Khô")
    expect(row.locator("[data-active='1']")).to_be_visible()

    # an officer with a membership there; a form refused first keeps what was typed
    page.click("[data-tab='admin.accounts']")
    page.click("[data-new-account]")
    page.fill("input[name=username]", "Phạm Khánh")  # not a username: the server says so beside the field
    page.fill("input[name=full_name]", "Phạm Thị Khánh")
    page.fill("input[name=email]", "khanh@camau.gov.vn")
    page.select_option("select[name=unit]", "CM-KM")
    page.select_option("select[name=role]", "reception")
    page.click("[data-create-account]")
    expect(page.locator("[data-field-error=username]")).to_be_visible()
    assert page.locator("input[name=full_name]").input_value() == "Phạm Thị Khánh"
    page.fill("input[name=username]", "tiepnhan.km")
    page.select_option("select[name=unit]", "CM-KM")  # kept too, chosen again to be sure of what is sent
    page.click("[data-create-account]")
    expect(page.locator("[data-temporary-password]")).to_be_visible()
    password = page.locator("[data-password]").inner_text().strip()
    expect(page.locator("[data-membership='CM-KM/reception']")).to_be_visible()
    page.reload()  # shown once: the page came by a redirect, so a reload neither shows it nor posts again
    expect(page.locator("[data-membership='CM-KM/reception']")).to_be_visible()
    expect(page.locator("[data-temporary-password]")).to_have_count(0)

    # a make-up working day: a Saturday worked
    page.click("[data-tab='admin.calendar']")
    page.fill("input[name=day]", MAKEUP_DAY)
    page.select_option("select[name=working]", "1")
    page.fill("input[name=name]", "Làm bù cho ngày nghỉ Tết (QĐ 12/QĐ-UBND)")
    page.click("[data-add-override]")
    expect(page.locator("p.flash")).to_be_visible()
    assert "year=2027" in page.url
    cell = page.locator(f"td[data-day='{MAKEUP_DAY}']")
    expect(cell).to_have_attribute("data-kind", "makeup")
    expect(cell).to_have_attribute("data-working", "1")
    assert cell.get_attribute("data-local") is not None
    expect(page.locator(f"[data-override='{MAKEUP_DAY}']")).to_contain_text("QĐ 12/QĐ-UBND")
    assert not page.js_errors

    services = live_server.services()
    with services.session_factory() as session:
        unit = session.get(Unit, "CM-KM")
        assert unit is not None and unit.parent_code == "CM" and unit.phone == "0290 3870 123"
        user = session.scalars(select(User).where(User.username == "tiepnhan.km")).one()
        assert [(m.unit_code, m.role_code) for m in session.scalars(
            select(Membership).where(Membership.user_id == user.id))] == [("CM-KM", "reception")]
    with services.uow() as uow:  # the deadlines' calendar counts the Saturday
        assert uow.calendar.is_working_day(date.fromisoformat(MAKEUP_DAY))

    # the new officer signs in with the password shown once: a password of its own first, then the inbox
    page.click("text=Đăng xuất")
    page.goto("/login")
    page.fill("input[name=username]", "tiepnhan.km")
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    expect(page.locator("[data-password-change-required]")).to_be_visible()
    assert "/account/password" in page.url
    page.goto("/inbox")  # no other page before the change
    expect(page.locator("[data-password-change-form]")).to_be_visible()
    page.fill("input[name=current_password]", password)
    page.fill("input[name=new_password]", "mat-khau-cua-khanh")
    page.fill("input[name=repeat_password]", "mat-khau-cua-khanh-2")  # a slip: the form says so
    page.click("[data-change-password]")
    expect(page.locator("[data-field-error=repeat_password]")).to_be_visible()
    page.fill("input[name=current_password]", password)
    page.fill("input[name=new_password]", "mat-khau-cua-khanh")
    page.fill("input[name=repeat_password]", "mat-khau-cua-khanh")
    page.click("[data-change-password]")
    page.wait_for_url("**/inbox")
    expect(page.locator("[data-user='tiepnhan.km']")).to_be_visible()
    expect(page.locator("p.flash")).to_be_visible()
    assert not page.js_errors
    with services.session_factory() as session:
        user = session.scalars(select(User).where(User.username == "tiepnhan.km")).one()
        assert not user.must_change_password
