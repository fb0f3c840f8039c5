"""Every route of the app (API and pages, every method) x a user of each role in a commune and at the province
(plus a visitor) x a target in the user's commune, another commune and the province, against one declared table
of who may do what. A route missing from the table fails the test, so a new endpoint cannot be forgotten.

The outcome is classed: allowed (2xx, 3xx, or 4xx for the request's content or state: 400, 409, 422...) or
refused (401, 403, 404, or a page's redirect to the sign-in page); a 5xx fails at once. Where a user holds an
officer role but not the target's unit, dossier and task routes must answer 404, never 403, so that nothing
tells a dossier exists. Writes that succeed are undone, so every user meets the same state.

Size: every route-method x 13 users x 3 targets (about 100 x 13 x 3 = 3,900 requests), walked in full on SQLite
and on PostgreSQL; the test prints the count.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient

from engine.archive.config import ArchiveSettings
from engine.archive.models import ArchivePackage
from engine.dossiers.actions import ACTIONS
from engine.dossiers.models import Attachment, Dossier
from engine.dossiers.service import pin_digest
from engine.people.models import User
from engine.people.organisation import create_user
from engine.scheduling import heartbeats
from engine.scheduling.models import Incident, OutboxMessage
from engine.scheduling.scheduler import jobs_from

from .conftest import PASSWORD, Api
from .test_flow import PATHS

HKD = "ho-kinh-doanh"
ROLES = ("reception", "specialist", "leader", "reform_officer", "designer", "admin")
OFFICERS = ("reception", "specialist", "leader")
USER_UNITS = ("CM-AX", "CM")  # a commune and the province above it
TARGETS = ("CM-AX", "CM-TT", "CM")  # a commune user's own commune, another commune, the province
DAY = "2026-05-04"
PDF = b"%PDF-1.4\n%%EOF\n"


@dataclass(frozen=True)
class Who:
    role: str
    unit: str

    @property
    def name(self) -> str:
        return f"m.{self.role}.{self.unit}".lower()


USERS: list[Who | None] = [None, *(Who(r, u) for r in ROLES for u in USER_UNITS)]


def covers(who: Who, target: str) -> bool:
    return who.unit in (target, "CM")  # a province membership covers its communes


# --- who may: the declared table's rules -------------------------------------------------------------
Allowed = Callable[[Who | None, str], bool]


def public(who: Who | None, target: str) -> bool:
    return True


def nobody(who: Who | None, target: str) -> bool:
    return False


def signed_in(who: Who | None, target: str) -> bool:
    return who is not None


def roles(*names: str) -> Allowed:
    return lambda who, target: who is not None and who.role in names


def scoped(*names: str) -> Allowed:
    """One of the roles, in a unit that covers the target."""
    return lambda who, target: who is not None and who.role in names and covers(who, target)


def reformer(who: Who | None, target: str) -> bool:
    return who is not None and (who.role in ("designer", "reform_officer") or (who.role, who.unit) == ("admin", "CM"))


def reviewer(who: Who | None, target: str) -> bool:
    """Who decides on a publish request: a reformer, or a leader of the top-level unit."""
    return reformer(who, target) or (who is not None and (who.role, who.unit) == ("leader", "CM"))


def top_admin(who: Who | None, target: str) -> bool:
    return who is not None and (who.role, who.unit) == ("admin", "CM")


def the_leader_of(who: Who | None, target: str) -> bool:
    """Notifications are their recipient's: the target's one belongs to the leader of that unit."""
    return who is not None and (who.role, who.unit) == ("leader", target)


# --- the world the requests meet ---------------------------------------------------------------------
@dataclass
class Target:
    code: str
    pin: str
    task: str
    attachment: int
    spare: int  # a specialist of the unit, with no work
    clerk: int  # a reception officer of the unit, who received the dossier
    notification: int
    unit: dict[str, Any]
    incident: int  # an open incident on the dossier (a timer step that failed)
    key: str  # the applicant's personal id, known only in this unit (the counter's look-up)


@dataclass
class World:
    app: Flask
    api: Api  # bearer tokens, for everyone
    pages: dict[str, FlaskClient]
    targets: dict[str, Target]
    package: dict[str, Any]
    form: str
    names: itertools.count = field(default_factory=itertools.count)

    def token(self, who: Who | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api.token(who.name)}"} if who else {}

    def call(self, who: Who | None, method: str, path: str, **kwargs: Any) -> Any:
        headers = {**kwargs.pop("headers", {}), **self.token(who)}
        return self.api.client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)

    def page(self, who: Who | None, method: str, path: str, data: dict[str, Any] | None = None) -> Any:
        client = self.pages[who.name if who else "-"]
        if method == "GET":
            return client.get(path)
        return client.open(path, method=method, data={**(data or {}), "csrf_token": csrf(client)})

    def root(self, method: str, path: str, user: str, **kwargs: Any) -> None:
        resp = self.api.call(method, path, user, **kwargs)
        assert resp.status_code < 300, (method, path, resp.get_data(as_text=True)[:300])


def csrf(client: FlaskClient) -> str:
    with client.session_transaction() as session:
        return session["csrf"]


def page_client(app: Flask, username: str | None) -> FlaskClient:
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True))
    assert token
    if username:
        signed = client.post("/login", data={"csrf_token": token[1], "username": username, "password": PASSWORD})
        assert signed.status_code == 302, username
        client.get("/login")  # the new session's CSRF token
    return client


def build_world(app: Flask) -> World:
    services = app.extensions["motcua"]
    ids: dict[str, int] = {}
    with services.session_factory() as session:
        for who in USERS[1:]:
            assert who is not None
            ids[who.name] = create_user(session, who.name, PASSWORD, who.name, [(who.unit, who.role)]).id
        for unit in TARGETS:
            ids[f"spare.{unit}"] = create_user(session, f"spare.{unit}".lower(), PASSWORD, "Dự phòng",
                                               [(unit, "specialist")]).id
            ids[f"clerk.{unit}"] = create_user(session, f"clerk.{unit}".lower(), PASSWORD, "Tiếp nhận",
                                               [(unit, "reception")]).id
        ids["leader.CM-TT"] = create_user(session, "leader.cm-tt", PASSWORD, "Lãnh đạo", [("CM-TT", "leader")]).id
        create_user(session, "visitor.probe", PASSWORD, "Đăng nhập thử", [])
        session.commit()
    api = Api(app.test_client())
    upload_dir = services.settings.upload_dir
    upload_dir.mkdir(parents=True, exist_ok=True)
    sha = hashlib.sha256(PDF).hexdigest()
    (upload_dir / sha[:2]).mkdir(exist_ok=True)
    (upload_dir / sha[:2] / sha).write_bytes(PDF)
    targets: dict[str, Target] = {}
    leaders = {"CM-AX": ids[Who("leader", "CM-AX").name], "CM-TT": ids["leader.CM-TT"],
               "CM": ids[Who("leader", "CM").name]}
    units = {u["code"]: u for u in api.get("/units", "quantri").get_json()["items"]}
    for index, unit in enumerate(TARGETS):
        key = f"09600000000{index}"
        created = api.post("/dossiers", f"clerk.{unit}".lower(), json={
            "procedure": HKD, "applicant": {**PATHS[HKD]["applicant"], "id_number": key}, "data": PATHS[HKD]["start"]})
        assert created.status_code == 201, created.get_json()
        code, pin = created.get_json()["code"], created.get_json()["pin"]
        task = api.get(f"/dossiers/{code}", Who("leader", "CM").name).get_json()["open_tasks"][0]["id"]
        now = datetime.now(UTC)
        with services.session_factory() as session:
            dossier_id = session.query(Dossier.id).filter(Dossier.code == code).scalar()
            attachment = Attachment(dossier_id=dossier_id, document="giay-de-nghi", file_name="don.pdf",
                                    content_type="application/pdf", size=len(PDF), sha256=sha,
                                    stored_path=f"{sha[:2]}/{sha}", uploaded_at=now)
            message = OutboxMessage(channel="inapp", recipient_id=leaders[unit], subject="Thử", body="Thử",
                                    payload={}, state="sent", attempts=0, next_attempt_at=now, created_at=now,
                                    sent_at=now)
            incident = Incident(dossier_id=dossier_id, procedure_code=HKD, kind="timer", element_id="Timer",
                                element_name="Hẹn giờ", reason="script-error", message="lỗi 'thử'", opened_at=now,
                                last_attempt_at=now, attempts=1)
            session.add_all([attachment, message, incident])
            session.commit()
            targets[unit] = Target(code, pin, task, attachment.id, ids[f"spare.{unit}"], ids[f"clerk.{unit}"],
                                   message.id, {k: units[unit][k] for k in ("name", "level", "parent_code")},
                                   incident.id, key)
    package = api.get(f"/procedures/{HKD}/versions/1/package", "quantri").get_json()
    pages = {"-": page_client(app, None), **{w.name: page_client(app, w.name) for w in USERS if w}}
    return World(app, api, pages, targets, {"code": HKD, "files": package["files"], "forms": package["forms"]},
                 sorted(package["forms"])[0])


# --- the declared table: per route and method, who may, and one request of it ------------------------
Call = Callable[[World, Who | None, str], Any]
Undo = Callable[[World, Who | None, str], None]
ROOT_CLERK, ROOT_LEADER = Who("reception", "CM").name, Who("leader", "CM").name


@dataclass(frozen=True)
class Spec:
    allowed: Allowed
    call: Call
    undo: Undo | None = None
    prepare: Undo | None = None
    hides: bool = False  # an officer outside the target's units gets 404, never 403


def scheduler_beats(w: World, who: Who | None, t: str) -> None:
    """Every job has just run, as under `motcua serve`: /healthz then answers 200 (503 is its degraded answer)."""
    settings = w.app.extensions["motcua"].settings
    with w.app.extensions["motcua"].session_factory() as session:
        for job in jobs_from(settings):
            heartbeats.beat(session, job.name, job.interval, "test", datetime.now(UTC))
        session.commit()


def api_get(path: str) -> Call:
    return lambda w, who, t: w.call(who, "GET", path.format(**vars(w.targets[t]), target=t))


def api_send(method: str, path: str, body: Callable[[World, Who | None, str], Any] | None = None) -> Call:
    def call(w: World, who: Who | None, t: str) -> Any:
        return w.call(who, method, path.format(**vars(w.targets[t]), target=t),
                      json=body(w, who, t) if body else {})
    return call


def page_get(path: str) -> Call:
    return lambda w, who, t: w.page(who, "GET", path.format(**vars(w.targets[t]), target=t))


def page_post(path: str, form: Callable[[World, Who | None, str], dict[str, Any]] | None = None) -> Call:
    return lambda w, who, t: w.page(who, "POST", path.format(**vars(w.targets[t]), target=t),
                                    form(w, who, t) if form else {})


def resume_payment(w: World, who: Who | None, t: str) -> None:
    w.root("POST", f"/dossiers/{w.targets[t].code}/actions/record_payment", ROOT_CLERK, json={"online": False})


def release(w: World, who: Who | None, t: str) -> None:
    w.root("POST", f"/tasks/{w.targets[t].task}/unclaim", ROOT_LEADER)


def put_override(w: World, who: Who | None, t: str) -> None:
    w.root("PUT", f"/calendar/overrides/{DAY}", "quantri", json={"working": False, "name": "Nghỉ bù"})


def regrant_clerk(w: World, who: Who | None, t: str) -> None:
    w.root("POST", f"/users/{w.targets[t].clerk}/memberships", "quantri", json={"unit": t, "role": "reception"})


def give_receipt(w: World, who: Who | None, t: str) -> None:
    with w.pages[who.name if who else "-"].session_transaction() as session:
        session["portal_receipt"] = {"code": w.targets[t].code, "pin": None, "procedure": {"vi": "x", "en": "x"},
                                     "unit": "", "at": datetime.now(UTC).isoformat()}


def restore_pin(w: World, who: Who | None, t: str) -> None:
    """A new PIN was sent: the target keeps its known one, for the routes that track with it."""
    services = w.app.extensions["motcua"]
    with services.session_factory() as session:
        dossier = session.query(Dossier).filter(Dossier.code == w.targets[t].code).one()
        dossier.pin_hash = pin_digest(services.settings.secret_key, dossier.code, w.targets[t].pin)
        session.commit()


def reopen_incident(w: World, who: Who | None, t: str) -> None:
    with w.app.extensions["motcua"].session_factory() as session:
        incident = session.get(Incident, w.targets[t].incident)
        incident.resolved_at = incident.resolved_by = None
        session.commit()


def new_username(w: World) -> str:
    return f"moi.{next(w.names)}"


def fresh_client(w: World) -> FlaskClient:
    return page_client(w.app, None)


def sign_in_page(w: World, who: Who | None, t: str) -> Any:
    client = fresh_client(w)
    return client.post("/login", data={"csrf_token": csrf(client), "username": "visitor.probe",
                                       "password": PASSWORD})


def sign_out_page(w: World, who: Who | None, t: str) -> Any:
    client = page_client(w.app, "visitor.probe")
    return client.post("/logout", data={"csrf_token": csrf(client)})


def citizen_sign_out(w: World, who: Who | None, t: str) -> Any:
    client = fresh_client(w)  # signing out clears the whole session: not the world's clients
    return client.post("/citizen/logout", data={"csrf_token": csrf(client)})


def with_package(w: World, who: Who | None, t: str) -> None:
    """The target has its archive package (a row and its file), as once it ended."""
    with w.app.extensions["motcua"].session_factory() as session:
        dossier_id = session.query(Dossier.id).filter(Dossier.code == w.targets[t].code).scalar()
        if session.query(ArchivePackage).filter(ArchivePackage.dossier_id == dossier_id).first() is None:
            path = ArchiveSettings.from_env().directory / f"url-map-{t}.zip"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(PDF)
            now = datetime.now(UTC)
            session.add(ArchivePackage(dossier_id=dossier_id, path=path.name, sha256=hashlib.sha256(PDF).hexdigest(),
                                       size=len(PDF), created_at=now, keep_until=now, state="made"))
            session.commit()


LIFECYCLE = scoped(*ACTIONS["require_payment"].roles)


def incident_viewer(who: Who | None, target: str) -> bool:
    """Leaders see their units' incidents; those who work on procedures see every one."""
    return reformer(who, target) or (who is not None and who.role == "leader")


def incident_retrier(who: Who | None, target: str) -> bool:
    return reformer(who, target) or scoped("leader")(who, target)


DOSSIER_READERS = scoped(*OFFICERS)
TASK_READERS = scoped("specialist", "leader")  # the task's role, or a leader of its unit
ADMIN_OF = scoped("admin")
DESIGN_PAGE = "/designer/" + HKD
NEW_PROCEDURE = {"code": HKD, "name_vi": "Thử", "name_en": "Trial", "level": "commune", "authority_vi": "UBND xã",
                 "authority_en": "Commune", "legal_time": 5}
TABLE: dict[str, Spec] = {
    # --- REST API ------------------------------------------------------------------------------------
    "GET openapi": Spec(public, api_get("/openapi.json")),
    "POST auth.token": Spec(public, lambda w, who, t: w.api.client.post(
        "/api/v1/auth/token", json={"username": "visitor.probe", "password": PASSWORD})),
    "GET auth.me": Spec(signed_in, api_get("/me")),
    "POST auth.change_password": Spec(signed_in, api_send("POST", "/me/password", lambda w, who, t: {  # allowed: 422
        "current_password": "not-the-password", "new_password": "a-new-password-1"})),
    "GET calendar.calendar": Spec(public, api_get("/calendar?year=2026")),
    "PUT calendar.put_override": Spec(top_admin, api_send("PUT", f"/calendar/overrides/{DAY}",
                                                          lambda w, who, t: {"working": False, "name": "Nghỉ"})),
    "DELETE calendar.remove_override": Spec(top_admin, api_send("DELETE", f"/calendar/overrides/{DAY}"),
                                            prepare=put_override),
    "POST dossiers.create_dossier": Spec(roles("reception"), api_send("POST", "/dossiers", lambda w, who, t: {
        "procedure": HKD, "applicant": PATHS[HKD]["applicant"], "data": PATHS[HKD]["start"]})),
    "GET dossiers.read_dossier": Spec(DOSSIER_READERS, api_get("/dossiers/{code}"), hides=True),
    "GET dossiers.lookup_applicant": Spec(scoped("reception"), api_get("/applicants/{key}"), hides=True),
    "GET dossiers.read_steps": Spec(DOSSIER_READERS, api_get("/dossiers/{code}/steps"), hides=True),
    # the population database: only holders of `population_lookup` (none of these users): refused before asking
    "POST population.lookup": Spec(nobody, api_send("POST", "/population/lookups", lambda w, who, t: {
        "personal_id": "001099012345", "purpose": "Kiểm tra", "reference": "counter:x"})),
    # the register: officers, their units (another's unit is a 404, as its dossiers are); other roles 403
    "GET dossiers.register": Spec(DOSSIER_READERS, api_get("/dossiers?unit={target}"), hides=True),
    "GET dossiers.register_export": Spec(DOSSIER_READERS, api_get("/dossiers/export.csv?unit={target}"), hides=True),
    "GET rendered.register_pdf": Spec(DOSSIER_READERS, api_get("/dossiers/export.pdf?unit={target}"), hides=True),
    "GET portal_sync.state": Spec(DOSSIER_READERS, api_get("/dossiers/{code}/portal-sync"), hides=True),
    "POST portal_sync.resend_one": Spec(scoped("leader"), api_send("POST", "/dossiers/{code}/portal-sync"),
                                        hides=True),
    "GET portal_sync.list_states": Spec(roles("leader"), api_get("/portal-sync?state=failed,pending")),
    "POST portal_sync.resend_many": Spec(scoped("leader"), api_send("POST", "/portal-sync/resend", lambda w, who, t: {
        "codes": [w.targets[t].code]}), hides=True),
    "POST lifecycle.act": Spec(LIFECYCLE, api_send("POST", "/dossiers/{code}/actions/require_payment",
                                                   lambda w, who, t: {"amount": 1000}),
                               undo=resume_payment, hides=True),
    "GET archive.read_archive": Spec(DOSSIER_READERS, api_get("/dossiers/{code}/archive"), prepare=with_package,
                                     hides=True),
    "GET archive.download_archive": Spec(DOSSIER_READERS, api_get("/dossiers/{code}/archive.zip"),
                                         prepare=with_package, hides=True),
    "GET lifecycle.document": Spec(DOSSIER_READERS, api_get("/dossiers/{code}/documents/receipt"), hides=True),
    "GET rendered.document_pdf": Spec(DOSSIER_READERS, api_get("/dossiers/{code}/documents/receipt.pdf"),
                                      hides=True),
    # the result document (engine/results): no result is asked for on the targets, so reading a PDF is 409 and
    # signing 409 (or 400 with no file) for a leader of the unit; nobody signs the webhook
    "GET results.read_result": Spec(DOSSIER_READERS, api_get("/dossiers/{code}/result"), hides=True),
    "GET results.result_draft": Spec(DOSSIER_READERS, api_get("/dossiers/{code}/result/draft.pdf"), hides=True),
    "GET results.result_signed": Spec(DOSSIER_READERS, api_get("/dossiers/{code}/result/signed.pdf"), hides=True),
    "POST results.sign_remotely": Spec(scoped("leader"), api_send("POST", "/dossiers/{code}/result/remote-signing"),
                                       hides=True),
    "POST results.upload_signed": Spec(scoped("leader"), api_send("POST", "/dossiers/{code}/result/signed"),
                                       hides=True),
    "POST results.retry_result": Spec(scoped("leader"), api_send("POST", "/dossiers/{code}/result/retry"),
                                      hides=True),
    "POST results.signing_callback": Spec(nobody, api_send("POST", "/signing/callback")),
    "GET organisation.history": Spec(DOSSIER_READERS, api_get("/dossiers/{code}/history"), hides=True),
    "GET portal_api.download_attachment": Spec(DOSSIER_READERS, api_get("/dossiers/{code}/attachments/{attachment}"),
                                               hides=True),
    "GET tasks.list_open_tasks": Spec(signed_in, api_get("/tasks")),
    "GET tasks.read_task": Spec(TASK_READERS, api_get("/tasks/{task}"), hides=True),
    "GET tasks.task_candidates": Spec(scoped("leader"), api_get("/tasks/{task}/candidates"), hides=True),
    "POST tasks.claim_task": Spec(scoped("specialist"), api_send("POST", "/tasks/{task}/claim"),
                                  undo=release, hides=True),
    "POST tasks.unclaim_task": Spec(scoped("leader"), api_send("POST", "/tasks/{task}/unclaim"), hides=True),
    "POST tasks.complete": Spec(scoped("specialist"), api_send(  # allowed: 409, claim it first
        "POST", "/tasks/{task}/complete", lambda w, who, t: {"data": PATHS[HKD]["steps"]["Task_ThamDinh"]}),
        hides=True),
    "PUT tasks.save_task_draft": Spec(scoped("specialist"), api_send(  # allowed: 409, claim it first
        "PUT", "/tasks/{task}/draft", lambda w, who, t: {"data": {"y_kien_tham_dinh": "Đang xem"}}), hides=True),
    "POST tasks.assign_task": Spec(scoped("leader"), api_send("POST", "/tasks/{task}/assign",
                                                              lambda w, who, t: {"user_id": w.targets[t].spare}),
                                   undo=release, hides=True),
    "POST tasks.delegate_task": Spec(DOSSIER_READERS, api_send(  # allowed: 409, only its holder delegates
        "POST", "/tasks/{task}/delegate", lambda w, who, t: {"user_id": w.targets[t].spare}), hides=True),
    "POST tasks.prioritise": Spec(scoped("leader"), api_send("POST", "/tasks/{task}/priority",
                                                             lambda w, who, t: {"priority": "urgent"}), hides=True),
    "GET scheduling.notifications": Spec(signed_in, api_get("/notifications")),
    "POST scheduling.read": Spec(the_leader_of, api_send("POST", "/notifications/{notification}/read")),
    "GET scheduling.escalations": Spec(roles("leader", "admin"), api_get("/escalations")),
    "GET scheduling.incidents": Spec(incident_viewer, api_get("/incidents")),
    "POST scheduling.retry": Spec(incident_retrier, api_send("POST", "/incidents/{incident}/retry"),
                                  undo=reopen_incident, hides=True),
    "GET scheduling.scheduler_metrics": Spec(roles("leader", "admin"), api_get("/scheduler/metrics")),
    "GET stats.stats": Spec(roles("leader", "admin", "reform_officer"),
                            api_get("/stats?start=2020-01-01&end=2099-01-01&unit={target}")),
    "GET procedures.list_procedures": Spec(public, api_get("/procedures")),
    "GET procedures.get_procedure": Spec(public, api_get(f"/procedures/{HKD}")),
    "GET procedures.diff_versions": Spec(roles("designer", "reform_officer", "admin", "leader"),
                                         api_get(f"/procedures/{HKD}/diff?from=1&to=1")),
    "POST procedures.validate_package_view": Spec(roles("designer", "reform_officer", "admin"), api_send(
        "POST", "/procedures/validate", lambda w, who, t: w.package)),
    "GET reform.list_versions": Spec(signed_in, api_get(f"/procedures/{HKD}/versions")),
    "GET reform.package": Spec(signed_in, api_get(f"/procedures/{HKD}/versions/1/package")),
    "POST reform.draft": Spec(reformer, api_send("POST", f"/procedures/{HKD}/drafts", lambda w, who, t: w.package)),
    "POST reform.publish_version": Spec(reformer, api_send(  # allowed: 409, version 1 is published already
        "POST", f"/procedures/{HKD}/versions/1/publish", lambda w, who, t: {"note": "Thử"})),
    "GET reform.replay": Spec(reformer, api_get(f"/procedures/{HKD}/versions/1/what-if")),
    # publish requests on version 1, published already: allowed answers 409 (not a draft, no request waits)
    "POST reform.publish_request": Spec(reformer, api_send(
        "POST", f"/procedures/{HKD}/versions/1/publish-request", lambda w, who, t: {"note": "Thử"})),
    "GET reform.version_requests": Spec(reviewer, api_get(f"/procedures/{HKD}/versions/1/publish-requests")),
    "GET reform.waiting_requests": Spec(reviewer, api_get("/publish-requests")),
    "POST reform.approve_request": Spec(reviewer, api_send(
        "POST", f"/procedures/{HKD}/versions/1/publish-request/approve", lambda w, who, t: {})),
    "POST reform.reject_request": Spec(reviewer, api_send(
        "POST", f"/procedures/{HKD}/versions/1/publish-request/reject", lambda w, who, t: {"reason": "Thử"})),
    # a procedure from nothing: each call is refused for its content (a taken code, invalid facts, no .zip)
    "POST design.create": Spec(reformer, api_send("POST", "/procedures", lambda w, who, t: NEW_PROCEDURE)),
    "GET design.legal_facts": Spec(reformer, api_get(f"/procedures/{HKD}/versions/1/metadata")),
    "PUT design.put_legal_facts": Spec(reformer, api_send("PUT", f"/procedures/{HKD}/versions/1/metadata",
                                                          lambda w, who, t: {"national_code": "sai"})),
    "GET design.export": Spec(reformer, api_get(f"/procedures/{HKD}/versions/1/export")),
    "POST design.import_zip": Spec(reformer, api_send("POST", "/procedures/import")),
    "POST catalogue.import_catalogue": Spec(reformer, api_send(  # a record refused: nothing is stored
        "POST", "/catalogue/imports", lambda w, who, t: {"records": [{"TENTTHC": "Không có mã"}]})),
    "POST reform.migrations": Spec(reformer, api_send("POST", f"/procedures/{HKD}/migrations",
                                                      lambda w, who, t: {"to_version": 1, "dry_run": True})),
    "GET organisation.units": Spec(signed_in, api_get("/units")),
    "PUT organisation.save_unit": Spec(ADMIN_OF, api_send("PUT", "/units/{target}",
                                                          lambda w, who, t: w.targets[t].unit)),
    "GET organisation.roles": Spec(signed_in, api_get("/roles")),
    "GET organisation.users": Spec(roles("admin", "leader"), api_get("/users")),
    "POST organisation.create": Spec(ADMIN_OF, api_send("POST", "/users", lambda w, who, t: {
        "username": new_username(w), "password": PASSWORD, "full_name": "Cán bộ mới",
        "memberships": [{"unit": t, "role": "reception"}]})),
    "PATCH organisation.patch": Spec(ADMIN_OF, api_send("PATCH", "/users/{spare}",
                                                        lambda w, who, t: {"full_name": "Dự phòng"})),
    "POST organisation.add_member": Spec(ADMIN_OF, api_send("POST", "/users/{spare}/memberships",
                                                            lambda w, who, t: {"unit": t, "role": "specialist"})),
    "DELETE organisation.remove_member": Spec(ADMIN_OF, api_send(
        "DELETE", "/users/{clerk}/memberships/{target}/reception"), undo=regrant_clerk),
    "POST organisation.make_handover": Spec(scoped("leader", "admin"), api_send(
        "POST", "/handovers", lambda w, who, t: {"from_user": w.targets[t].spare, "to_user": w.targets[t].clerk})),
    "GET organisation.audit_verify": Spec(roles("admin"), api_get("/audit/verify")),
    # the citizens' API: no account
    "GET portal_api.public_procedures": Spec(public, api_get("/public/procedures")),
    "GET portal_api.public_procedure": Spec(public, api_get(f"/public/procedures/{HKD}")),
    "POST portal_api.public_submit": Spec(public, lambda w, who, t: w.call(  # allowed: 422, nothing in it
        who, "POST", "/public/dossiers", data={"submission": "{}"}, content_type="multipart/form-data")),
    # the national portal forwarding dossiers: a machine with its own token, never an officer's (unset: 404)
    "POST portal_inbound.inbound": Spec(nobody, api_send("POST", "/portal/inbound", lambda w, who, t: {"data": []})),
    # the payment platform's callback: a machine that signs with the shared key, never an officer (unsigned: 401)
    "POST payments.callback": Spec(nobody, api_send("POST", "/payments/callback", lambda w, who, t: {})),
    "GET public.public_dossier": Spec(public, lambda w, who, t: w.call(
        who, "GET", f"/public/dossiers/{w.targets[t].code}", headers={"X-Dossier-Pin": w.targets[t].pin})),
    # the public verification: no file is bad input (422), for anyone
    "POST verification.verify": Spec(public, api_send("POST", "/verifications")),
    "POST public.public_rating": Spec(public, api_send(  # allowed: 409, not returned yet
        "POST", "/public/dossiers/{code}/rating", lambda w, who, t: {"pin": w.targets[t].pin, "rating": 3})),
    "POST citizen.public_supplement": Spec(public, lambda w, who, t: w.call(  # allowed: 409, nothing is asked
        who, "POST", f"/public/dossiers/{w.targets[t].code}/supplement", data={"pin": w.targets[t].pin},
        content_type="multipart/form-data")),
    "POST citizen.public_pin": Spec(public, api_send("POST", "/public/dossiers/{code}/pin"), undo=restore_pin),
    "GET citizen.list_supplements": Spec(DOSSIER_READERS, api_get("/dossiers/{code}/supplements"), hides=True),
    "GET health": Spec(public, lambda w, who, t: w.api.client.get("/healthz"), prepare=scheduler_beats),
    "GET static": Spec(public, page_get("/static/css/motcua.css")),
    # --- pages -----------------------------------------------------------------------------------------
    "GET account.login": Spec(public, page_get("/login")),
    "POST account.login": Spec(public, sign_in_page),
    "POST account.logout": Spec(public, sign_out_page),
    "GET account.language": Spec(public, page_get("/lang/vi?next=/")),
    "GET account.favicon": Spec(public, page_get("/favicon.ico")),
    "GET account.password": Spec(signed_in, page_get("/account/password")),
    "POST account.password": Spec(signed_in, page_post("/account/password", lambda w, who, t: {  # allowed: 422
        "current_password": "not-the-password", "new_password": "a-new-password-1",
        "repeat_password": "a-new-password-1"})),
    "GET portal.home": Spec(public, page_get("/")),
    "GET portal.procedure": Spec(public, page_get(f"/procedures/{HKD}")),
    "GET portal.submit": Spec(public, page_get(f"/procedures/{HKD}/submit")),
    "POST portal.submit": Spec(public, page_post(f"/procedures/{HKD}/submit")),  # allowed: 400, nothing in it
    # for a citizen signed in with VNeID only (none of these users): 403 to every one of them
    "POST portal.population_fill": Spec(nobody, page_post(f"/procedures/{HKD}/submit/population")),
    "GET portal.receipt": Spec(public, page_get("/receipt"), prepare=give_receipt),
    "GET portal.track_page": Spec(public, page_get("/track")),
    # VNeID is not configured here: a page saying so (409); the owner's pages send a visitor to sign in
    "GET citizen_pages.login": Spec(public, page_get("/citizen/login")),
    "GET citizen_pages.callback": Spec(public, page_get("/citizen/callback?state=x&code=y")),
    "POST citizen_pages.logout": Spec(public, citizen_sign_out),
    "GET citizen_dossiers.my_dossiers": Spec(nobody, api_get("/citizen/dossiers")),  # only a VNeID session: 401
    "GET account.login_oidc": Spec(public, page_get("/login/oidc")),  # unconfigured here: said so (409)
    "GET account.oidc_callback": Spec(public, page_get("/login/oidc/callback?state=x&code=y")),
    "GET citizen_pages.my_dossiers": Spec(public, page_get("/my-dossiers")),
    "GET citizen_pages.my_dossier": Spec(public, lambda w, who, t: w.page(who, "GET",
                                                                         f"/my-dossiers/{w.targets[t].code}")),
    "GET citizen_pages.my_result": Spec(public, lambda w, who, t: w.page(who, "GET",  # to VNeID sign-in
                                                                       f"/my-dossiers/{w.targets[t].code}/result")),
    "POST portal.track_page": Spec(public, page_post("/track", lambda w, who, t: {
        "code": w.targets[t].code, "pin": w.targets[t].pin})),
    "POST portal.rating": Spec(public, page_post("/track/rating", lambda w, who, t: {
        "code": w.targets[t].code, "pin": w.targets[t].pin, "rating": "3"})),
    "POST portal.track_supplement": Spec(public, page_post("/track/supplement", lambda w, who, t: {
        "code": w.targets[t].code, "pin": w.targets[t].pin})),  # the tracking page: nothing is asked
    "GET portal.payment_start": Spec(public, page_get("/payments/start?code={code}")),
    "POST portal.payment_start": Spec(public, page_post("/payments/start", lambda w, who, t: {  # allowed: 409,
        "code": w.targets[t].code, "pin": w.targets[t].pin})),  # no platform configured here
    "GET portal.payment_return": Spec(public, page_get("/payments/return?MaTraCuuTT=KHONG-CO")),
    "GET portal.pin_page": Spec(public, page_get("/track/pin")),
    "GET portal.verify_page": Spec(public, page_get("/verify")),
    "POST portal.verify_page": Spec(public, page_post("/verify", lambda w, who, t: {  # allowed: 409, no result
        "code": w.targets[t].code, "pin": w.targets[t].pin})),
    # the signed result: only for a browser that gave the PIN, with a result issued; the portal's link by its token
    "GET portal.tracked_result": Spec(nobody, page_get("/track/result/{code}")),
    "GET portal.result_link": Spec(nobody, page_get("/results/{code}/0123456789abcdef0123456789abcdef.pdf")),
    "POST portal.pin_page": Spec(public, page_post("/track/pin", lambda w, who, t: {"code": w.targets[t].code}),
                                 undo=restore_pin),
    "GET officer.inbox": Spec(roles(*OFFICERS), page_get("/inbox")),
    # the national portal's sync: each dossier's officers see it, the leaders of its units re-send it
    "GET officer.portal_sync": Spec(roles("leader"), page_get("/portal-sync?state=pending")),
    "POST officer.portal_resend": Spec(scoped("leader"), page_post("/portal-sync/resend", lambda w, who, t: {
        "codes": w.targets[t].code})),
    "POST officer.dossier_portal_resend": Spec(scoped("leader"), page_post("/dossiers/{code}/portal-sync"),
                                               hides=True),
    "GET officer.dossier": Spec(DOSSIER_READERS, page_get("/dossiers/{code}"), hides=True),
    "GET officer.counter": Spec(roles("reception"), page_get("/counter?q=kinh")),
    "GET officer.counter_form": Spec(roles("reception"), page_get(f"/counter/{HKD}")),
    "POST officer.counter_form": Spec(roles("reception"), page_post(f"/counter/{HKD}")),  # allowed: 422, empty
    "GET officer.counter_done": Spec(scoped("reception"), page_get("/counter/done/{code}"), hides=True),
    "GET officer.counter_print": Spec(scoped("reception"), page_get("/counter/done/{code}/print"), hides=True),
    "GET officer.register": Spec(DOSSIER_READERS, page_get("/register?unit={target}"), hides=True),
    "GET officer.register_export": Spec(DOSSIER_READERS, page_get("/register/export.csv?unit={target}"), hides=True),
    "GET officer.register_pdf": Spec(DOSSIER_READERS, page_get("/register/export.pdf?unit={target}"), hides=True),
    "POST officer.dossier_action": Spec(LIFECYCLE, page_post("/dossiers/{code}/actions/require_payment",
                                                             lambda w, who, t: {"amount": "1000"}),
                                        undo=resume_payment, hides=True),
    "GET officer.task": Spec(TASK_READERS, page_get("/tasks/{task}"), hides=True),
    "POST officer.claim_task": Spec(scoped("specialist"), page_post("/tasks/{task}/claim"), undo=release,
                                    hides=True),
    "POST officer.unclaim_task": Spec(scoped("leader"), page_post("/tasks/{task}/unclaim"), hides=True),
    "POST officer.assign_task": Spec(scoped("leader"), page_post("/tasks/{task}/assign", lambda w, who, t: {
        "user_id": str(w.targets[t].spare)}), undo=release, hides=True),
    "POST officer.delegate_task": Spec(DOSSIER_READERS, page_post(  # allowed: back to the task with a message
        "/tasks/{task}/delegate", lambda w, who, t: {"user_id": str(w.targets[t].spare)}), hides=True),
    "POST officer.prioritise_task": Spec(scoped("leader"), page_post("/tasks/{task}/priority",
                                                                     lambda w, who, t: {"priority": "urgent"}),
                                         hides=True),
    "GET officer.handover_page": Spec(roles("leader", "admin"), page_get("/handover")),
    "POST officer.handover_page": Spec(scoped("leader", "admin"), page_post("/handover", lambda w, who, t: {
        "from_user": str(w.targets[t].spare), "to_user": str(w.targets[t].clerk)})),  # the preview
    "GET notifications.inbox": Spec(signed_in, page_get("/notifications/")),
    "POST notifications.read": Spec(the_leader_of, page_post("/notifications/{notification}/read")),
    "POST notifications.read_all": Spec(signed_in, page_post("/notifications/read-all")),
    "GET dashboard.overview": Spec(roles("leader", "admin"), page_get("/dashboard/?unit={target}")),
    "GET dashboard.export_csv": Spec(roles("leader", "admin"), page_get("/dashboard/export.csv")),
    "GET dashboard.overdue_csv": Spec(roles("leader", "admin"), page_get("/dashboard/overdue.csv")),
    "GET incidents.incidents": Spec(incident_viewer, page_get("/incidents/")),
    "POST incidents.retry": Spec(incident_retrier, page_post("/incidents/{incident}/retry"),
                                 undo=reopen_incident, hides=True),
    "GET admin.home": Spec(roles("admin"), page_get("/admin/")),
    "GET admin.units": Spec(roles("admin"), page_get("/admin/units")),
    "GET admin.new_unit": Spec(roles("admin"), page_get("/admin/units/new?parent={target}")),
    "POST admin.new_unit": Spec(ADMIN_OF, page_post("/admin/units/new", lambda w, who, t: {
        "code": f"U-{next(w.names)}", "name": "Đơn vị mới", "level": "commune", "parent_code": t, "active": "1"})),
    "GET admin.edit_unit": Spec(ADMIN_OF, page_get("/admin/units/{target}")),
    "POST admin.edit_unit": Spec(ADMIN_OF, page_post("/admin/units/{target}", lambda w, who, t: {
        **{k: v or "" for k, v in w.targets[t].unit.items()}, "active": "1"})),
    "POST admin.unit_active": Spec(ADMIN_OF, page_post("/admin/units/{target}/active", lambda w, who, t: {
        "active": "1"})),
    "GET admin.accounts": Spec(roles("admin"), page_get("/admin/accounts?unit={target}&q=du+phong")),
    "GET admin.new_account": Spec(roles("admin"), page_get("/admin/accounts/new")),
    "POST admin.new_account": Spec(ADMIN_OF, page_post("/admin/accounts/new", lambda w, who, t: {
        "username": new_username(w), "full_name": "Cán bộ mới", "password": PASSWORD, "unit": t,
        "role": "reception"})),
    "GET admin.account": Spec(ADMIN_OF, page_get("/admin/accounts/{spare}")),
    "POST admin.account": Spec(ADMIN_OF, page_post("/admin/accounts/{spare}", lambda w, who, t: {
        "full_name": "Dự phòng"})),
    "POST admin.account_active": Spec(ADMIN_OF, page_post("/admin/accounts/{spare}/active", lambda w, who, t: {
        "active": "1"})),
    "POST admin.account_password": Spec(ADMIN_OF, page_post("/admin/accounts/{spare}/password", lambda w, who, t: {
        "password": PASSWORD})),
    "POST admin.add_membership": Spec(ADMIN_OF, page_post("/admin/accounts/{spare}/memberships", lambda w, who, t: {
        "unit": t, "role": "specialist"})),
    "POST admin.remove_membership": Spec(ADMIN_OF, page_post("/admin/accounts/{clerk}/memberships/remove",
                                                             lambda w, who, t: {"unit": t, "role": "reception"}),
                                         undo=regrant_clerk),
    "GET admin.roles": Spec(roles("admin"), page_get("/admin/roles")),
    "GET admin.calendar": Spec(roles("admin"), page_get("/admin/calendar?year=2026")),
    "POST admin.calendar": Spec(top_admin, page_post("/admin/calendar", lambda w, who, t: {
        "day": DAY, "working": "0", "name": "Nghỉ"})),
    "POST admin.remove_day": Spec(top_admin, page_post(f"/admin/calendar/{DAY}/remove"), prepare=put_override),
    "GET admin.audit": Spec(roles("admin"), page_get("/admin/audit")),
    "GET admin.connectors": Spec(roles("admin"), page_get("/admin/connectors")),
    "GET designer.procedures": Spec(reformer, page_get("/designer/")),
    "GET designer.modeler": Spec(reformer, page_get(DESIGN_PAGE + "/versions/1")),
    "GET designer.form_editor": Spec(reformer, lambda w, who, t: w.page(
        who, "GET", f"{DESIGN_PAGE}/versions/1/forms/{w.form}")),
    "GET designer.diff_page": Spec(reformer, page_get(DESIGN_PAGE + "/diff?from=1&to=1")),
    "GET designer.what_if_page": Spec(reformer, page_get(DESIGN_PAGE + "/versions/1/what-if")),
    "GET designer.publish_page": Spec(reformer, page_get(DESIGN_PAGE + "/versions/1/publish")),
    "POST designer.publish_submit": Spec(reformer, page_post(DESIGN_PAGE + "/versions/1/publish",
                                                             lambda w, who, t: {"note": "Thử"})),
    "POST designer.request_submit": Spec(reformer, page_post(DESIGN_PAGE + "/versions/1/publish-request",
                                                             lambda w, who, t: {"note": "Thử"})),  # 409
    "GET designer.publish_requests": Spec(reviewer, page_get("/designer/publish-requests")),
    "GET designer.review_page": Spec(reviewer, page_get(DESIGN_PAGE + "/versions/1/review")),
    "POST designer.review_submit": Spec(reviewer, page_post(DESIGN_PAGE + "/versions/1/review",
                                                            lambda w, who, t: {"decision": "approve"})),  # 409
    "GET designer.new_procedure": Spec(reformer, page_get("/designer/new")),
    "POST designer.create_submit": Spec(reformer, page_post("/designer/new", lambda w, who, t: {
        **NEW_PROCEDURE, "legal_time": "5"})),  # allowed: 409, the code is taken
    "GET designer.import_page": Spec(reformer, page_get("/designer/import")),
    "POST designer.import_submit": Spec(reformer, page_post("/designer/import")),  # allowed: 400, no file
    "GET designer.catalogue_page": Spec(reformer, page_get("/designer/catalogue")),
    "POST designer.catalogue_submit": Spec(reformer, page_post("/designer/catalogue")),  # allowed: 400, no file
    "GET designer.export_version": Spec(reformer, page_get(DESIGN_PAGE + "/versions/1/export")),
    "GET designer.legal_facts_page": Spec(reformer, page_get(DESIGN_PAGE + "/versions/1/legal")),
    "POST designer.legal_facts_submit": Spec(reformer, page_post(DESIGN_PAGE + "/versions/1/legal", lambda w, who, t: {
        "fee_amount": "nhiều"})),  # allowed: 400, not a number
    "GET designer.migrate_page": Spec(reformer, page_get(DESIGN_PAGE + "/migrate?to=1")),
    "POST designer.migrate_page": Spec(reformer, page_post(DESIGN_PAGE + "/migrate", lambda w, who, t: {
        "to": "1"})),  # allowed: 400, not confirmed: a dry run
}


def outcome(resp: Any) -> str:
    if resp.status_code >= 500:
        return "error"
    if resp.status_code in (401, 403, 404):
        return "refused"
    if 300 <= resp.status_code < 400 and urlsplit(resp.headers.get("Location", "")).path == "/login":
        return "refused"  # a page sends a visitor to sign in
    return "allowed"


def routes(app: Flask) -> list[tuple[str, str]]:
    """Every route and method as (table key, rule)."""
    return [(f"{method} {rule.endpoint}", rule.rule) for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]  # type: ignore[operator]


def undeclared(app: Flask) -> list[str]:
    keys = {key for key, _ in routes(app)}
    return ([f"{key} ({rule}) is not in the table: declare who may use it" for key, rule in routes(app)
             if key not in TABLE] + [f"{key} is in the table but no route has it" for key in sorted(set(TABLE) - keys)])


def walk(app: Flask) -> tuple[int, list[str]]:
    world = build_world(app)
    failures = undeclared(app)
    requests = 0
    for key, _rule in routes(app):
        spec = TABLE.get(key)
        if spec is None:
            continue
        for who, target in itertools.product(USERS, TARGETS):
            if spec.prepare:
                spec.prepare(world, who, target)
            resp = spec.call(world, who, target)
            requests += 1
            got, want = outcome(resp), "allowed" if spec.allowed(who, target) else "refused"
            # who may use the route on some unit but not this one must not learn that the thing exists
            hidden = (spec.hides and want == "refused" and resp.status_code != 404
                      and any(spec.allowed(who, unit) for unit in TARGETS))
            if got != want or hidden:
                failures.append(f"{key} as {who.name if who else 'visitor'} on {target}: {resp.status_code}, "
                                f"expected {want}{' as 404' if hidden else ''}: "
                                f"{resp.get_data(as_text=True)[:160]!r}")
            if got == "allowed" and spec.undo:
                spec.undo(world, who, target)
    return requests, failures


def test_every_route_for_every_role_in_every_unit(app: Flask) -> None:
    requests, failures = walk(app)
    assert not failures, "\n".join(failures)
    assert requests == len(TABLE) * len(USERS) * len(TARGETS)
    print(f"route table: {len(TABLE)} route-methods x {len(USERS)} users x {len(TARGETS)} targets = {requests}")
    with app.extensions["motcua"].session_factory() as session:  # the writes were undone: nobody was changed
        assert {u.full_name for u in session.query(User).filter(User.username.like("spare.%"))} == {"Dự phòng"}
        assert {d.status for d in session.query(Dossier)} <= {"received", "processing"}


def test_a_route_missing_from_the_table_fails(app: Flask) -> None:
    assert undeclared(app) == []

    @app.get("/forgotten")
    def forgotten() -> str:
        return "?"

    assert undeclared(app) == ["GET forgotten (/forgotten) is not in the table: declare who may use it"]
