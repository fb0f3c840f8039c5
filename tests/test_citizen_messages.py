"""Messages to the citizen at receipt, supplement request, payment due and result ready, by e-mail and SMS through
the outbox, received by an aiosmtpd SMTP server and the stand-in SMS gateway; a lost PIN sent again; the SMS
connector's health. On SQLite and PostgreSQL."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from flask import Flask
from sqlalchemy import select

from api import health as health_module
from api.cli import main as motcua
from connectors.registry import check_all
from connectors.sms.client import HttpSmsClient, SmsError, e164
from connectors.sms.config import SmsSettings
from connectors.sms.standin import StandinSms, start
from connectors.sms.text import encode, fold_ascii, parts
from engine.scheduling.delivery import WIPED, Channels, deliver
from engine.scheduling.models import OutboxMessage
from engine.store.models import AuditEntry

from .conftest import Api, FakeClock
from .test_flow import PATHS, run_to_end

HKD = "ho-kinh-doanh"
APPLICANT = {**PATHS[HKD]["applicant"], "email": "minhanh@example.vn"}


class Mailbox(Message):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[email.message.EmailMessage] = []

    def handle_message(self, message: Any) -> None:
        self.messages.append(email.message_from_bytes(message.as_bytes(), policy=email.policy.default))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 4, 22, 2, 0, tzinfo=UTC))


@pytest.fixture
def app(app_factory: Any, clock: FakeClock, tmp_path: Path) -> Flask:
    return app_factory(clock=clock, upload_dir=tmp_path / "uploads", public_url="https://dichvucong.camau.gov.vn")


@pytest.fixture
def api(app: Flask) -> Api:
    return Api(app.test_client())


@pytest.fixture
def gateway() -> Iterator[StandinSms]:
    standin = start(token="bi-mat")
    yield standin
    standin.stop()


@pytest.fixture
def smtp() -> Iterator[tuple[Controller, Mailbox]]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, box
    controller.stop()


def channels(gateway: StandinSms, smtp: tuple[Controller, Mailbox]) -> Channels:
    client = HttpSmsClient(SmsSettings(gateway.url, "bi-mat", "UBND-CAMAU", 5, False))
    return Channels(smtp_host="127.0.0.1", smtp_port=smtp[0].port, sms=client.send)


def act(api: Api, code: str, action: str, user: str = "tiepnhan", **params: Any) -> Any:
    resp = api.post(f"/dossiers/{code}/actions/{action}", user, json=params)
    return resp


def outbox(app: Flask) -> list[OutboxMessage]:
    with app.extensions["motcua"].session_factory() as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.channel.in_(("sms", "email")))
                                    .order_by(OutboxMessage.id)))


def test_the_citizen_is_told_at_each_return_trip_by_sms_and_email(api: Api, app: Flask, clock: FakeClock,
                                                                  gateway: StandinSms, smtp: Any) -> None:
    clock.at("2026-04-22 09:00")
    created = api.post("/dossiers", "tiepnhan", json={"procedure": HKD, "applicant": APPLICANT,
                                                      "data": PATHS[HKD]["start"]}).get_json()
    code = created["code"]
    assert [(m.channel, m.address) for m in outbox(app)] == [("sms", "0912345678"), ("email", "minhanh@example.vn")]
    failed = act(api, code, "request_supplement", missing=[])  # refused: nothing was committed, nothing is sent
    assert failed.status_code == 422 and len(outbox(app)) == 2
    assert act(api, code, "request_supplement", documents=["bien-ban-hop-thanh-vien"],
               guidance="Nộp bản sao có chứng thực.").status_code == 200
    assert act(api, code, "supplement_received").status_code == 200
    assert act(api, code, "require_payment", amount=100000).status_code == 200
    assert act(api, code, "record_payment", online=False).status_code == 200
    run_to_end(api, HKD, code)
    kinds = [m.payload["kind"] for m in outbox(app) if m.channel == "sms"]
    assert kinds == ["citizen-received", "citizen-supplement", "citizen-payment", "citizen-ready"]
    assert {m.state for m in outbox(app)} == {"pending"}  # the requests sent nothing themselves

    gateway.box.fail_next = 1  # the gateway fails once: that message waits and is retried
    with app.extensions["motcua"].uow() as uow:
        sent, failed_count, _ = deliver(uow, channels(gateway, smtp))
    assert (sent, failed_count) == (7, 1)
    clock.now += timedelta(minutes=1)
    with app.extensions["motcua"].uow() as uow:
        assert deliver(uow, channels(gateway, smtp))[:2] == (1, 0)
    assert {m.state for m in outbox(app)} == {"sent"}

    texts = [m["text"] for m in sorted(gateway.messages, key=lambda m: m["text"])]
    assert all(m["to"] == "+84912345678" and m["from"] == "UBND-CAMAU" and m["encoding"] == "gsm7"
               for m in gateway.messages)
    assert all(t.isascii() for t in texts)
    link = f"https://dichvucong.camau.gov.vn/track?code={code}"
    assert all(link in t for t in texts)
    by_start = {t.split(".")[0].split(":")[0]: t for t in texts}
    assert f"Ho so {code} can bo sung" in by_start and "Ban sao bien ban hop thanh vien" in \
        by_start[f"Ho so {code} can bo sung"]
    assert any("100.000 dong" in t for t in texts)
    assert any(t.startswith(f"Ho so {code} da co ket qua. Nhan tai Trung tam Phuc vu hanh chinh cong phuong "
                            f"An Xuyen") for t in texts)

    mails = smtp[1].messages
    assert [m["To"] for m in mails] == ["minhanh@example.vn"] * 4
    subjects = [m["Subject"] for m in mails]
    assert subjects == [f"Hồ sơ {code} đã được tiếp nhận", f"Hồ sơ {code} cần bổ sung",
                        f"Hồ sơ {code}: đề nghị nộp phí, lệ phí", f"Hồ sơ {code} đã có kết quả"]
    supplement = mails[1].get_content()
    assert "Nộp bản sao có chứng thực." in supplement and link in supplement
    assert "Bản sao biên bản họp thành viên hộ gia đình" in supplement
    assert created["pin"] not in "".join(texts) + "".join(m.get_content() for m in mails)


def test_a_dossier_without_a_contact_queues_nothing(api: Api, app: Flask) -> None:
    resp = api.post("/dossiers", "tiepnhan", json={"procedure": HKD, "applicant": {"name": "Lê Văn Ba"},
                                                   "data": PATHS[HKD]["start"]})
    assert resp.status_code == 201 and outbox(app) == []


def pin_ask(api: Api, code: str, remote: str = "127.0.0.1") -> Any:
    return api.client.post(f"/api/v1/public/dossiers/{code}/pin", json={}, environ_base={"REMOTE_ADDR": remote})


def test_a_lost_pin_is_sent_again_to_the_contact_on_file(api: Api, app: Flask, gateway: StandinSms,
                                                         smtp: Any) -> None:
    created = api.post("/dossiers", "tiepnhan", json={"procedure": HKD, "applicant": APPLICANT,
                                                      "data": PATHS[HKD]["start"]}).get_json()
    code, old = created["code"], created["pin"]
    with app.extensions["motcua"].uow() as uow:
        deliver(uow, channels(gateway, smtp))  # the receipt's messages
    gateway.box.messages.clear()

    unknown, known = pin_ask(api, "CM-AX-000000-99999"), pin_ask(api, code)
    assert unknown.status_code == known.status_code == 202
    assert unknown.get_json() == known.get_json()  # the same answer: nothing says whether the code exists
    assert "0912345678" not in known.get_data(as_text=True) and "minhanh" not in known.get_data(as_text=True)
    assert api.get(f"/public/dossiers/{code}", headers={"X-Dossier-Pin": old}).status_code == 404
    with app.extensions["motcua"].uow() as uow:
        assert deliver(uow, channels(gateway, smtp))[:2] == (2, 0)
    [sms] = gateway.messages
    new = sms["text"].split(": ")[1].split(".")[0]
    assert len(new) == 8 and new.isdigit() and new != old
    assert new in smtp[1].messages[-1].get_content()
    assert api.get(f"/public/dossiers/{code}", headers={"X-Dossier-Pin": new}).status_code == 200
    assert {m.body for m in outbox(app) if m.payload.get("kind") == "citizen-pin"} == {WIPED}  # not kept in clear
    with app.extensions["motcua"].session_factory() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "pin_reset")).one()
        assert entry.actor_id is None and "0912345678" not in str(entry.detail)

    # each dossier gets at most 3 new PINs a day, whoever asks; further asks are answered alike and do nothing
    for n in range(3):
        assert pin_ask(api, code, f"10.0.0.{n}").status_code == 202
    queued = len(outbox(app))
    assert pin_ask(api, code, "10.0.1.1").status_code == 202 and len(outbox(app)) == queued
    # each address may ask 5 times an hour, for any code
    for _ in range(4):
        pin_ask(api, "CM-AX-000000-00001", "10.9.9.9")
    assert pin_ask(api, "CM-AX-000000-00001", "10.9.9.9").status_code == 202
    refused = pin_ask(api, code, "10.9.9.9")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0


def test_sms_text_is_folded_to_ascii_unless_unicode_is_chosen() -> None:
    text = "Hồ sơ đã có kết quả. Nhận tại Trung tâm Phục vụ hành chính công phường Đức Hòa"
    assert fold_ascii(text) == "Ho so da co ket qua. Nhan tai Trung tam Phuc vu hanh chinh cong phuong Duc Hoa"
    assert encode(text, False)[1] == "gsm7" and encode(text, True) == (text, "ucs2")
    assert (parts(fold_ascii(text), "gsm7"), parts(text, "ucs2")) == (1, 2)
    assert (e164("0912 345 678"), e164("84912345678"), e164("+84912345678")) == ("+84912345678",) * 3


def test_the_connector_health_and_the_gateway_protocol(app: Flask, gateway: StandinSms,
                                                       monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    monkeypatch.delenv("MOTCUA_SMS_URL", raising=False)
    assert check_all()["sms"].status == "not-configured"
    assert motcua(["connectors", "check"]) == 0
    monkeypatch.setenv("MOTCUA_SMS_URL", gateway.url)
    assert check_all()["sms"].status == "ok"
    health_module._connectors._at = None  # forget the cached checks
    body = app.test_client().get("/healthz").get_json()
    assert body["connectors"]["sms"] == "ok"
    with pytest.raises(SmsError, match="401"):  # a token is required and none was set
        HttpSmsClient(SmsSettings.from_env()).send("0912345678", "x")
    monkeypatch.setenv("MOTCUA_SMS_URL", f"http://127.0.0.1:{_free_port()}")
    assert check_all()["sms"].status == "unreachable"
    capsys.readouterr()
    assert motcua(["connectors", "check"]) == 1
    assert "sms" in capsys.readouterr().out
