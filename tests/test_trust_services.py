"""The trust services connector: its health check against the stand-in (real HTTP), the registry entry, the
stand-in's settings for `motcua serve --standins`, and the problem codes' sentences in both languages."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from api.web.i18n import SOURCES
from connectors.registry import get
from connectors.trust_services.checks import check
from connectors.trust_services.standin import start
from engine.signing.problems import MESSAGES_VI, UNAVAILABLE_VI, SignatureRefused, message_vi

from .pki_support import RunningPki


def _use(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    for name in [*get("trust_services").env, "MOTCUA_TRUST_SERVICES_URL"]:
        monkeypatch.setenv(name, "")  # recorded: what the code under test sets is undone afterwards
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)


def test_health_ok_against_the_stand_in(demo_pki: RunningPki, monkeypatch: pytest.MonkeyPatch) -> None:
    _use(monkeypatch, demo_pki.env())
    connector = get("trust_services")
    assert connector.configured()
    health = connector.check()
    assert health.status == "ok" and health.standin, health
    assert "Ủy ban nhân dân phường An Xuyên" in health.detail


def test_health_not_configured_refused_and_unreachable(demo_pki: RunningPki, monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    _use(monkeypatch, {})
    assert check().status == "not-configured" and not get("trust_services").configured()
    _use(monkeypatch, {**demo_pki.env(), "MOTCUA_SIGNING_UNIT_PASSWORD": "wrong"})
    assert check().status == "refused"
    _use(monkeypatch, {k: v for k, v in demo_pki.env().items() if k != "MOTCUA_SIGNING_TSA_URL"})
    assert check().status == "refused"
    _use(monkeypatch, demo_pki.env())
    demo_pki.standin.down()
    try:
        health = check()
    finally:
        demo_pki.standin.up()
    assert health.status == "unreachable" and "TSA" in health.detail
    assert check().status == "ok"


def test_stand_in_reuses_its_port_and_gives_the_settings(tmp_path: Path) -> None:
    first = start(folder=tmp_path)
    port, env = first.port, first.env()
    first.stop()
    assert env["MOTCUA_SIGNING_TSA_URL"].startswith(f"http://127.0.0.1:{port}/")
    assert Path(env["MOTCUA_SIGNING_UNIT_PKCS12"]).parent == tmp_path
    again = start(folder=tmp_path)  # the port the PKI was made for is free again: the same certificates
    try:
        assert again.port == port and again.env() == env
    finally:
        again.stop()


def test_serve_with_standins_sets_the_signing_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """`motcua serve --standins` with no unit key: the demo PKI's stand-in runs and its MOTCUA_SIGNING_* reach the
    web and scheduler children through the environment."""
    import connectors.registry
    import connectors.trust_services.standin as standin_module
    from api.connectors_cli import start_standins

    _use(monkeypatch, {})
    monkeypatch.setattr(standin_module, "DEFAULT_FOLDER", tmp_path)
    monkeypatch.setattr(connectors.registry, "all_connectors", lambda: [get("trust_services")])
    started: list[object] = []
    real_start = standin_module.start
    monkeypatch.setattr(standin_module, "start", lambda *a, **k: started.append(real_start(*a, **k)) or started[-1])
    try:
        start_standins()
        assert os.environ["MOTCUA_SIGNING_UNIT_PKCS12"] == str(tmp_path / "unit.p12")
        assert get("trust_services").configured() and check().status == "ok"
    finally:
        for running in started:
            running.stop()  # type: ignore[attr-defined]


def test_every_problem_has_vietnamese_and_english() -> None:
    with (SOURCES / "en" / "signatures.po").open("rb") as fh:
        english = {m.id: m.string for m in read_po(fh) if m.id}
    for code, sentence in MESSAGES_VI.items():
        assert english.get(sentence), code
    assert english.get(UNAVAILABLE_VI)
    assert SignatureRefused("no-such-code").code == "invalid"
    assert message_vi(None) == MESSAGES_VI["invalid"]
