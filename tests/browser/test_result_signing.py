"""The leader signs a dossier's result remotely: "Ký số từ xa" on the officer's dossier page, the request confirmed
on the stand-in signing service's phone page, the service's signed webhook makes Motcua finish the signature and
the unit's seal, and the page shows "Đã ban hành" with the signed PDF's link."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from connectors.remote_signing.standin import StandinRemoteSigning, start
from connectors.trust_services.demo_pki import PASSWORD

from ..conftest import Api
from ..results_support import WEBHOOK_SECRET, approve
from .conftest import login

pytestmark = pytest.mark.browser


@pytest.fixture
def signing(live_server: Any, demo_pki: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
            ) -> Iterator[StandinRemoteSigning]:
    for name, value in demo_pki.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MOTCUA_DOCUMENT_STORE_DIR", str(tmp_path / "documents"))
    standin = start(accounts={"lanhdao": (demo_pki.leader_p12, PASSWORD)})
    standin.webhook(f"{live_server.url}/api/v1/signing/callback", WEBHOOK_SECRET)
    monkeypatch.setenv("MOTCUA_REMOTE_SIGNING_URL", standin.url)
    monkeypatch.setenv("MOTCUA_REMOTE_SIGNING_WEBHOOK_SECRET", WEBHOOK_SECRET)
    yield standin
    standin.stop()


def test_the_leader_signs_remotely_and_the_page_shows_the_issued_result(page: Any, live_server: Any,
                                                                        signing: StandinRemoteSigning) -> None:
    code = approve(Api(live_server.app.test_client()))
    login(page, "lanhdao", f"/dossiers/{code}")
    card = page.locator("[data-result]")
    expect(card).to_have_attribute("data-state", "awaiting_leader")
    expect(card.locator("[data-result-number]")).to_have_text("1/GCN-HKD")
    page.click("[data-sign-remote]")
    expect(card).to_have_attribute("data-state", "leader_pending", timeout=45_000)  # certificate checked (OCSP)
    expect(card).to_contain_text("Đang chờ xác nhận trên điện thoại")

    phone = page.context.new_page()  # the leader's phone: the stand-in service's own page
    phone.goto(signing.phone_url)
    phone.click("[data-confirm]")
    expect(phone.locator("[data-empty]")).to_be_visible()
    phone.close()

    expect(card).to_have_attribute("data-state", "issued", timeout=60_000)  # the page asked again and reloaded
    expect(card.locator("[data-result-state]")).to_have_text("Đã ban hành")
    link = card.locator("[data-result-pdf]")
    expect(link).to_be_visible()
    pdf = page.request.get(link.get_attribute("href"))
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF-")
    assert page.js_errors == []


def test_a_result_given_up_is_taken_up_again_from_the_page(page: Any, live_server: Any,
                                                           signing: StandinRemoteSigning) -> None:
    """The job gave up (10 failures): the leader reads why in the history and presses "Thử lại"."""
    from sqlalchemy import update

    from engine.dossiers.models import Dossier
    from engine.results.models import ResultDocument

    code = approve(Api(live_server.app.test_client()))
    with live_server.app.extensions["motcua"].session_factory() as session:
        dossier_id = session.query(Dossier.id).filter(Dossier.code == code).scalar()
        session.execute(update(ResultDocument).where(ResultDocument.dossier_id == dossier_id).values(
            state="failed", attempts=10, error="Chưa đóng dấu số được của đơn vị: SigningUnavailable"))
        session.commit()
    login(page, "lanhdao", f"/dossiers/{code}")
    card = page.locator("[data-result]")
    expect(card.locator("[data-result-state]")).to_have_text("Không thành công")
    expect(card.locator("[data-result-error]")).to_contain_text("Chưa đóng dấu số")
    page.click("[data-result-retry]")
    expect(card).to_have_attribute("data-state", "awaiting_leader")  # the draft is there: the leader signs again
    expect(card.locator("[data-sign-remote]")).to_be_visible()
    assert page.js_errors == []
