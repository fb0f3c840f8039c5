"""For tests of the result's lifecycle (and of other areas that need an issued result): Motcua served on
127.0.0.1, the demo PKI's trust services (Part S's `demo_pki`) and the remote signing stand-in holding the
leaders' keys; a ho-kinh-doanh dossier run to the leader's approval."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update
from werkzeug.serving import make_server

from api.results import remote_signing
from connectors.remote_signing.standin import StandinRemoteSigning, start
from connectors.trust_services.demo_pki import LEADER, PASSWORD
from engine.people.models import User
from engine.people.organisation import create_user
from engine.results.models import ResultDocument
from engine.scheduling.scheduler import job_context, jobs_from, run_job

from .conftest import PASSWORD as USER_PASSWORD
from .conftest import Api
from .test_flow import PATHS, ROLE_USERS
from .test_flow import submit as submit_dossier

WEBHOOK_SECRET = "khoa-webhook-thu-nghiem"
HKD = "ho-kinh-doanh"


@dataclass
class Live:
    app: Flask
    url: str
    api: Api
    signing: StandinRemoteSigning
    pki: Any

    def run_job(self) -> int:
        services = self.app.extensions["motcua"]
        ctx = job_context(services.settings, services.uow, services.clock, remote_signing=remote_signing())
        [job] = [j for j in jobs_from(services.settings) if j.name == "results"]
        return run_job(ctx, job)

    def row(self, code: str) -> ResultDocument | None:
        from engine.dossiers.models import Dossier

        with self.app.extensions["motcua"].session_factory() as session:
            return session.scalars(select(ResultDocument).join(Dossier, Dossier.id == ResultDocument.dossier_id)
                                   .where(Dossier.code == code)).first()

    def result(self, code: str, user: str = "lanhdao") -> dict[str, Any]:
        resp = self.api.get(f"/dossiers/{code}/result", user)
        assert resp.status_code == 200, resp.get_json()
        return resp.get_json()

    def wait_state(self, code: str, state: str, seconds: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + seconds
        while True:
            found = self.result(code)
            if found["state"] == state or time.monotonic() > deadline:
                return found
            time.sleep(0.1)


def approve(api: Api, procedure: str = HKD) -> str:
    """A counter dossier run through appraisal and the leader's approval; its code."""
    code = submit_dossier(api, procedure)["code"]
    for _ in range(5):
        dossier = api.get(f"/dossiers/{code}", "tiepnhan").get_json()
        task = dossier["open_tasks"][0]
        resp = api.complete(task["id"], ROLE_USERS[task["role"]], PATHS[procedure]["steps"][task["bpmn_id"]])
        assert resp.status_code == 200, resp.get_json()
        if task["bpmn_id"] == "Task_PheDuyet":
            return code
    raise AssertionError("the approval never came")


@pytest.fixture
def live(app_factory: Any, demo_pki: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Iterator[Live]:
    for name, value in demo_pki.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MOTCUA_DOCUMENT_STORE_DIR", str(tmp_path / "documents"))
    signing = start(accounts={"lanhdao": (demo_pki.leader_p12, PASSWORD),
                              "tatca": (demo_pki.leader_revoked_p12, PASSWORD)},
                    sp_id="motcua-test", sp_password="mat-khau-sp")
    for name, value in {"URL": signing.url, "SP_ID": "motcua-test", "SP_PASSWORD": "mat-khau-sp",
                        "WEBHOOK_SECRET": WEBHOOK_SECRET, "TIMEOUT": "10"}.items():
        monkeypatch.setenv(f"MOTCUA_REMOTE_SIGNING_{name}", value)
    app = app_factory(results_render_at_once=True)
    with app.extensions["motcua"].session_factory() as session:
        session.execute(update(User).where(User.username == "lanhdao").values(full_name=LEADER))
        create_user(session, "lanhdao_tt", USER_PASSWORD, "Lãnh đạo Tân Thành", [("CM-TT", "leader")])
        session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    yield Live(app, url, Api(app.test_client()), signing, demo_pki)
    server.shutdown()
    signing.stop()

