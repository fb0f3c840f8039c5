"""No 5xx, whatever comes in: each class of input that once answered 500 (or never answered) now gets a 4xx
problem, or a finding at upload, on both databases. Several members of each class."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from .conftest import PASSWORD, Api
from .test_api_errors import assert_problem
from .test_flow import PATHS
from .test_lifecycle import HKD, submit
from .test_officer_pages import csrf_of, signed_in

ROOT = Path(__file__).resolve().parent.parent
FILES = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "processes" / HKD).iterdir()}
FORMS = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in (ROOT / "forms").glob("hkd-*.form")}
BPMN = FILES["process.bpmn"]
TOML = FILES["procedure.toml"]
HUGE = [2**63, 2**64 + 1, 10**30, -(2**63) - 1]


def package(files: dict[str, str] | None = None, forms: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"code": HKD, "files": {**FILES, **(files or {})}, "forms": forms if forms is not None else FORMS}


def findings(api: Api, body: dict[str, Any]) -> list[str]:
    """The validation's error codes; and the same package is refused as a draft, so it can never be published."""
    resp = api.post("/procedures/validate", "quantri", json=body)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    errors = [p["code"] for p in resp.get_json()["problems"] if p["severity"] == "error"]
    draft = api.post(f"/procedures/{HKD}/drafts", "quantri", json={**body, "note": "thử"})
    assert draft.status_code == 422 or (draft.status_code == 201 and draft.get_json()["problems"]), draft.get_json()
    return errors


def assert_4xx_problem(resp: Any) -> dict[str, Any]:
    assert 400 <= resp.status_code < 500, resp.get_data(as_text=True)[:500]
    assert resp.mimetype == "application/problem+json"
    return resp.get_json()


# --- validation errors that could not be serialised -------------------------------------------------------
@pytest.mark.parametrize("body", [
    {"missing": [1]},
    {"missing": [1, "giấy tờ", {"a": 1}, None]},
    {"reasons": [True], "missing": [[["x"]]]},
    {"documents": [1, 2.5]},
])
def test_errors_on_list_items_are_422_keyed_by_position(api: Api, body: dict[str, Any]) -> None:
    code = submit(api)["code"]
    problem = assert_problem(api.post(f"/dossiers/{code}/actions/request_supplement", "tatca", json=body), 422)
    field = next(iter(problem["errors"]))
    assert all(isinstance(key, str) for key in problem["errors"][field])


@pytest.mark.parametrize("memberships", [
    [{"unit": "CM-AX", "role": "reception", "x": 1}],
    [1, "a"],
    [{"unit": ["CM"], "role": {"r": 1}}],
    [{"unit": "CM-AX", "role": "reception"}, {"unit": "CM-AX", "role": "reception", "0": 0}],
])
def test_an_unknown_key_inside_memberships_is_422(api: Api, memberships: list[Any]) -> None:
    problem = assert_problem(api.post("/users", "quantri", json={
        "username": "can.bo.moi", "password": PASSWORD, "full_name": "Cán bộ", "memberships": memberships}), 422)
    assert "memberships" in problem["errors"]


def test_form_errors_on_list_items_are_422(api: Api) -> None:
    data = {**PATHS[HKD]["start"], "hinh_thuc_dang_ky": ["ca_nhan"], "so_lao_dong": [1, 2]}
    body = {"procedure": HKD, "applicant": PATHS[HKD]["applicant"], "data": data, "channel": "counter"}
    assert_problem(api.post("/dossiers", "tiepnhan", json=body), 422)


# --- integers beyond 64 bits ------------------------------------------------------------------------------
@pytest.mark.parametrize("number", HUGE)
def test_integers_beyond_64_bits_are_refused(api: Api, number: int) -> None:
    code = submit(api)["code"]
    task = api.get(f"/tasks?dossier={code}", "chuyenvien").get_json()["items"][0]["id"]
    for resp in (api.get(f"/tasks?offset={number}", "tatca"),
                 api.get(f"/tasks?limit={number}", "tatca"),
                 api.get(f"/procedures/{HKD}/diff?from=1&to={number}", "quantri"),
                 api.post(f"/procedures/{HKD}/migrations", "quantri", json={"to_version": number}),
                 api.post(f"/tasks/{task}/assign", "lanhdao", json={"user_id": number}),
                 api.post(f"/tasks/{task}/priority", "lanhdao", json={"priority": number}),
                 api.post("/handovers", "lanhdao", json={"from_user": number, "to_user": 1}),
                 api.post(f"/dossiers/{code}/actions/require_payment", "tatca", json={"amount": number})):
        assert_problem(resp, 422)
    for path in (f"/users/{abs(number)}", f"/procedures/{HKD}/versions/{abs(number)}/package",
                 f"/dossiers/{code}/attachments/{abs(number)}"):
        assert_problem(api.get(path, "quantri") if "users" not in path else
                       api.call("PATCH", path, "quantri", json={"active": True}), 404)
    assert_problem(api.post(f"/notifications/{abs(number)}/read", "tatca"), 404)


def test_an_amount_an_integer_column_cannot_hold_is_422(api: Api) -> None:
    code = submit(api)["code"]
    assert_problem(api.post(f"/dossiers/{code}/actions/require_payment", "tatca", json={"amount": 2**31}), 422)


@pytest.mark.parametrize("raw", ["99999999999999999999999", "²", "١٢٣", "-0", "9" * 400])
def test_numbers_in_pages_are_parsed_strictly(app: Flask, api: Api, raw: str) -> None:
    code = submit(api)["code"]
    task = api.get(f"/tasks?dossier={code}", "chuyenvien").get_json()["items"][0]["id"]
    leader, token = signed_in(app, "lanhdao")
    for resp in (leader.get(f"/inbox?page={raw}"),
                 leader.post(f"/tasks/{task}/assign", data={"user_id": raw, "csrf_token": token}),
                 leader.post(f"/tasks/{task}/priority", data={"priority": raw, "csrf_token": token}),
                 leader.post(f"/tasks/{task}/delegate", data={"user_id": raw, "csrf_token": token})):
        assert resp.status_code < 500, (resp.request.path, resp.status_code)
    designer, token = signed_in(app, "quantri")
    for resp in (designer.get(f"/designer/{HKD}/diff?from={raw}&to=1"),
                 designer.get(f"/designer/{HKD}/versions/1/what-if?months={raw}")):
        assert resp.status_code < 500, (resp.request.path, resp.status_code)


# --- dates no zone conversion can reach ----------------------------------------------------------------------
@pytest.mark.parametrize("first, last", [("0001-01-01", "9999-12-31"), ("0001-01-01", "0001-01-02"),
                                         ("9999-12-30", "9999-12-31"), ("2026-01-01", "9999-12-31")])
def test_dates_at_the_ends_of_the_calendar_are_refused(app: Flask, api: Api, first: str, last: str) -> None:
    assert_problem(api.get(f"/stats?start={first}&end={last}", "quantri"), 422)
    assert_problem(api.get(f"/stats?start={first}&end={last}&group_by=month", "quantri"), 422)
    leader, _ = signed_in(app, "lanhdao")
    page = leader.get(f"/dashboard/?period=custom&from={first}&to={last}")
    assert 400 <= page.status_code < 500 and page.mimetype == "text/html", page.status_code


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00%2B14:00", "0001-01-01T00:00:00", "9999-12-31T23:59:59-12:00",
                                    "9999-12-31T23:59:59"])
def test_a_due_time_at_the_ends_of_the_calendar_is_refused(api: Api, moment: str) -> None:
    assert_problem(api.get(f"/tasks?due_before={moment}", "tatca"), 422)


@pytest.mark.parametrize("year", ["0", "-5", "10000", "99999999999999999999", "x"])
def test_a_calendar_year_out_of_range_is_422(api: Api, year: str) -> None:
    assert_problem(api.get(f"/calendar?year={year}"), 422)


# --- control characters where a header is made ------------------------------------------------------------
@pytest.mark.parametrize("target", ["/a%0Ab", "/%0D%0ASet-Cookie:%20x=1", "/a%09b", "/%7Fx", "/x%00", "/ở%0A"])
def test_a_newline_in_next_never_reaches_a_header(app: Flask, target: str) -> None:
    client = app.test_client()
    resp = client.get(f"/lang/en?next={target}")
    assert resp.status_code in (302, 400) and "\n" not in resp.headers.get("Location", "")
    if resp.status_code == 302:
        assert resp.headers["Location"] == "/"
    login = client.get(f"/login?next={target}")
    assert login.status_code in (200, 400)
    token = csrf_of(client, "/login")
    signed = client.post(f"/login?next={target}", data={"username": "tiepnhan", "password": PASSWORD,
                                                        "csrf_token": token})
    assert signed.status_code in (302, 400) and "\n" not in signed.headers.get("Location", "")
    out = client.post(f"/logout?next={target}", data={"csrf_token": csrf_of(client, "/login")})
    assert out.status_code in (302, 400)


@pytest.mark.parametrize("field", ["username", "password"])
def test_nul_in_a_page_form_is_400_not_a_database_error(app: Flask, field: str) -> None:
    client = app.test_client()
    data = {"username": "tiepnhan", "password": PASSWORD, field: "a\x00b", "csrf_token": csrf_of(client, "/login")}
    assert client.post("/login", data=data).status_code == 400
    token = csrf_of(client, f"/procedures/{HKD}/submit")
    resp = client.post(f"/procedures/{HKD}/submit", data={"applicant_name": "A\x00", "data": "{}",
                                                          "csrf_token": token})
    assert resp.status_code == 400


# --- deep nesting ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", [
    "[" * 40 + "]" * 40, "[" * 1000 + "]" * 1000, "[" * 5000 + "]" * 5000,
    "{a=" * 100 + "1" + "}" * 100, "{a=" * 1000 + "1" + "}" * 1000,
])
def test_deep_nesting_in_the_toml_is_a_finding(api: Api, value: str) -> None:
    assert findings(api, package({"procedure.toml": TOML.replace('level = "commune"',
                                                                 f'level = "commune"\nx = {value}')})) \
        == ["metadata-syntax"]


def test_deep_tables_in_the_toml_are_a_finding(api: Api) -> None:
    header = "[" + ".".join(["a"] * 300) + "]\nx = 1\n"
    assert findings(api, package({"procedure.toml": TOML + "\n" + header})) == ["metadata-syntax"]


def _nested_form(depth: int) -> dict[str, Any]:
    component: dict[str, Any] = {"type": "textfield", "key": "a"}
    for _ in range(depth):
        component = {"type": "group", "components": [component]}
    return {**FORMS, "hkd-tham-dinh": {**FORMS["hkd-tham-dinh"], "components": [component]}}


@pytest.mark.parametrize("depth", [9, 15])
def test_deep_nesting_in_a_form_is_a_finding(api: Api, depth: int) -> None:
    assert "form-too-deep" in findings(api, package(forms=_nested_form(depth)))


@pytest.mark.parametrize("depth", [30, 300, 1000])
def test_deeply_nested_json_is_400(api: Api, depth: int) -> None:
    """Written out by hand: no JSON encoder writes these (orjson stops at 254, the standard one at ~1000)."""
    group = '{"type": "group", "components": [' * depth + '{"type": "textfield", "key": "a"}' + "]}" * depth
    body = json.dumps(package(forms={**FORMS, "hkd-tham-dinh": {"components": ["GROUP"]}})).replace('"GROUP"', group)
    assert_problem(api.post("/procedures/validate", "quantri", data=body, content_type="application/json"), 400)
    code = submit(api)["code"]
    task = api.get(f"/tasks?dossier={code}", "chuyenvien").get_json()["items"][0]["id"]
    api.post(f"/tasks/{task}/claim", "chuyenvien")
    data = '{"data": {"y_kien_tham_dinh": ' + '{"a": [' * depth + '"x"' + "]}" * depth + "}}"
    assert_problem(api.post(f"/tasks/{task}/complete", "chuyenvien", data=data, content_type="application/json"), 400)


def _with_script(source: str) -> str:
    script = re.search(r"<bpmn:script>(.*?)</bpmn:script>", BPMN, re.S)
    assert script
    return BPMN.replace(script.group(1), source.replace("&", "&amp;").replace("<", "&lt;"), 1)


@pytest.mark.parametrize("source", [
    "x = 1" + " + 1" * 5000, "x = " + "lambda: " * 2000 + "1", "x = " + "not " * 5000 + "True",
    "x = a" + ".b" * 5000, "x = f" + "()" * 5000, "x = " + "(" * 1000 + "1" + ")" * 1000,
])
def test_deep_nesting_in_a_script_is_a_finding(api: Api, source: str) -> None:
    assert findings(api, package({"process.bpmn": _with_script(source)})) in (["script-too-deep"],
                                                                              ["script-rejected"])


# --- long chains ------------------------------------------------------------------------------------------
def chain(n: int) -> str:
    nodes = ['<bpmn:startEvent id="S"><bpmn:outgoing>F0</bpmn:outgoing></bpmn:startEvent>']
    flows, prev = [], "S"
    for i in range(1, n + 1):
        nodes.append(f'<bpmn:task id="T{i}" name="Bước {i}"><bpmn:incoming>F{i - 1}</bpmn:incoming>'
                     f'<bpmn:outgoing>F{i}</bpmn:outgoing></bpmn:task>')
        flows.append(f'<bpmn:sequenceFlow id="F{i - 1}" sourceRef="{prev}" targetRef="T{i}" />')
        prev = f"T{i}"
    nodes.append(f'<bpmn:endEvent id="E"><bpmn:incoming>F{n}</bpmn:incoming></bpmn:endEvent>')
    flows.append(f'<bpmn:sequenceFlow id="F{n}" sourceRef="{prev}" targetRef="E" />')
    return ('<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions '
            'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D" targetNamespace="x">'
            '<bpmn:process id="ho_kinh_doanh" isExecutable="true">' + "".join(nodes) + "".join(flows)
            + "</bpmn:process></bpmn:definitions>")


@pytest.mark.parametrize("n", [260, 600, 1500, 3000])
def test_a_chain_of_hundreds_or_thousands_of_tasks_is_refused_with_a_finding(api: Api, n: int) -> None:
    assert findings(api, package({"process.bpmn": chain(n)})) == ["bpmn-too-large"]


def test_a_long_chain_within_the_bound_validates(api: Api) -> None:
    # the chain has no leader's approval step: the metadata names none (engine/results' sign_step)
    meta = "\n".join(line for line in FILES["procedure.toml"].splitlines()
                     if not line.startswith(("sign_step", "approved_when")))
    resp = api.post("/procedures/validate", "quantri", json=package({"process.bpmn": chain(240),
                                                                     "procedure.toml": meta}))
    assert resp.status_code == 200 and resp.get_json()["valid"] is True


# --- ids where SpiffWorkflow evaluates or owns them ---------------------------------------------------------
@pytest.mark.parametrize("process_id", ["ho'kinh", "x' or '1'='1", 'a"b', "a b", "a]", "ho_kinh_doanh'"])
def test_a_quote_in_the_process_id_is_a_finding(api: Api, process_id: str) -> None:
    toml = TOML.replace('process_id = "ho_kinh_doanh"', f"process_id = {json.dumps(process_id)}")
    assert findings(api, package({"procedure.toml": toml})) == ["metadata-invalid"]


@pytest.mark.parametrize("old, new", [
    ("StartEvent_NopHoSo", "Start"), ("EndEvent_CoKetQua", "End"), ("Task_ThamDinh", "End"),
    ("Task_PheDuyet", "Root"), ("Task_NhanKetQua", "ho_kinh_doanh.EndJoin"),
    ("Task_ThamDinh", "Task.BoundaryEventSplit"),
])
def test_ids_the_workflow_engine_reserves_are_refused_at_upload(api: Api, old: str, new: str) -> None:
    assert findings(api, package({"process.bpmn": BPMN.replace(old, new)})) == ["bpmn-reserved-id"]


# --- form rules that fail every submission ------------------------------------------------------------------
def _with_rule(key: str, **changes: Any) -> dict[str, Any]:
    forms = json.loads(json.dumps(FORMS))
    component = next(c for c in forms["hkd-nop-ho-so"]["components"] if c.get("key") == key)
    component.update(changes)
    return forms


@pytest.mark.parametrize("key, changes", [
    ("von_kinh_doanh", {"validate": "x"}), ("von_kinh_doanh", {"validate": [1]}), ("von_kinh_doanh", {"validate": 3}),
    ("von_kinh_doanh", {"validate": True}),
    ("von_kinh_doanh", {"validate": {"min": "abc"}}), ("von_kinh_doanh", {"validate": {"max": [1]}}),
    ("von_kinh_doanh", {"validate": {"min": 10, "max": 1}}), ("von_kinh_doanh", {"validate": {"required": "yes"}}),
    ("ten_ho_kinh_doanh", {"validate": {"minLength": "3"}}), ("ten_ho_kinh_doanh", {"validate": {"maxLength": -1}}),
    ("ten_ho_kinh_doanh", {"validate": {"pattern": 5}}), ("ten_ho_kinh_doanh", {"validate": {"pattern": "(["}}),
    ("hinh_thuc_dang_ky", {"values": "abc"}), ("hinh_thuc_dang_ky", {"values": 7}),
    ("chu_ho_ngay_sinh", {"subtype": ["date"]}), ("chu_ho_ngay_sinh", {"subtype": "week"}),
])
def test_form_rules_that_would_fail_every_submission_are_refused(api: Api, key: str, changes: dict[str, Any]) -> None:
    found = findings(api, package(forms=_with_rule(key, **changes)))
    assert found and set(found) <= {"form-bad-rule", "form-bad-pattern"}, found


TIMER = ('<bpmn:intermediateCatchEvent id="Timer_Cho"><bpmn:extensionElements><spiffworkflow:properties>'
         '<spiffworkflow:property name="workingDuration" value="{value}" /></spiffworkflow:properties>'
         '</bpmn:extensionElements><bpmn:incoming>Flow_NopHoSo</bpmn:incoming><bpmn:outgoing>Flow_Cho</bpmn:outgoing>'
         '<bpmn:timerEventDefinition><bpmn:timeDuration>"PT1H"</bpmn:timeDuration></bpmn:timerEventDefinition>'
         '</bpmn:intermediateCatchEvent><bpmn:sequenceFlow id="Flow_Cho" sourceRef="Timer_Cho" '
         'targetRef="Task_ThamDinh" />')


def _with_timer(value: str) -> str:
    bpmn = BPMN.replace('targetRef="Task_ThamDinh" />', 'targetRef="Timer_Cho" />', 1)
    task = '<bpmn:userTask id="Task_ThamDinh"'
    return bpmn.replace(task, TIMER.format(value=value) + task)


@pytest.mark.parametrize("files, code", [
    ({"process.bpmn": BPMN.replace('value="PT12H"', 'value="PT99999999999H"', 1)}, "step-bad-budget"),
    ({"process.bpmn": BPMN.replace('value="PT12H"', 'value="P999999999D"', 1)}, "step-bad-budget"),
    ({"process.bpmn": BPMN.replace('<spiffworkflow:property name="timeBudget" value="PT12H" />',
                                   '<spiffworkflow:property name="timeBudget" value="PT12H" />'
                                   '<spiffworkflow:property name="warnBeforeHours" value="1e300" />', 1)},
     "step-bad-escalation"),
    ({"procedure.toml": TOML.replace("amount = 100000", "amount = 9223372036854775807")}, "metadata-invalid"),
    ({"procedure.toml": TOML.replace("amount = 100000", "amount = 2147483648")}, "metadata-invalid"),
    ({"procedure.toml": TOML.replace("value = 3", "value = 1e308")}, "metadata-invalid"),
    ({"procedure.toml": TOML.replace("value = 3", "value = 1000000")}, "metadata-invalid"),
    ({"procedure.toml": TOML + "\n[escalation]\nwarn_before_hours = 1e300\n"}, "metadata-invalid"),
    ({"procedure.toml": TOML + "\n[escalation]\nreescalate_after_hours = 1e20\n"}, "metadata-invalid"),
    ({"process.bpmn": _with_timer("PT99999999999H")}, "timer-bad-duration"),
    ({"process.bpmn": _with_timer("hai giờ")}, "timer-bad-duration"),
])
def test_values_no_submission_could_compute_or_store_are_refused(api: Api, files: dict[str, str], code: str) -> None:
    assert code in findings(api, package(files))


def test_a_package_that_validates_takes_submissions(api: Api) -> None:
    """The other side: a sound package, stored and published, takes a submission."""
    forms = _with_rule("von_kinh_doanh", validate={"required": True, "min": 0, "max": 10**12})
    assert api.post("/procedures/validate", "quantri", json=package(forms=forms)).get_json()["valid"] is True
    draft = api.post(f"/procedures/{HKD}/drafts", "quantri", json={**package(forms=forms), "note": "đổi mức vốn"})
    assert draft.status_code == 201 and not draft.get_json()["problems"]
    number = draft.get_json()["version"]["number"]
    assert api.post(f"/procedures/{HKD}/versions/{number}/publish", "quantri", json={"note": "x"}).status_code == 200
    assert submit(api)["status"] == "received"


# --- sign-in ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("body", [
    {"username": 1, "password": "x"}, {"username": ["a"], "password": {"p": 1}}, {"username": None},
    {"username": "a\u0000b", "password": "x"}, {"username": "a" * 100_000, "password": "x" * 100_000},
    {"username": "tiepnhan", "password": PASSWORD, "extra": [1]}, [], "x", 1,
])
def test_hostile_sign_ins_get_a_4xx_problem(api: Api, body: Any) -> None:
    assert_4xx_problem(api.client.post("/api/v1/auth/token", json=body))


@pytest.mark.parametrize("data", [
    {"username": "a" * 100_000, "password": "x"}, {"username": "tiepnhan", "password": "x" * 100_000},
    {"username": "ở\u202e", "password": "\ud7ff"}, {"username": "", "password": ""},
])
def test_hostile_page_sign_ins_are_refused_politely(app: Flask, data: dict[str, str]) -> None:
    client: FlaskClient = app.test_client()
    resp = client.post("/login", data={**data, "csrf_token": csrf_of(client, "/login")})
    assert resp.status_code == 401 and resp.mimetype == "text/html"


# --- what the OpenAPI document promises --------------------------------------------------------------------
def test_405_says_what_is_allowed(api: Api) -> None:
    for method, path in (("TRACE", "/units"), ("DELETE", "/tasks"), ("PUT", "/procedures/validate"),
                         ("GET", "/procedures/validate")):
        resp = api.call(method, path, "quantri")
        assert_problem(resp, 405)
        allowed = {m.strip() for m in resp.headers["Allow"].split(",")}
        assert method not in allowed and allowed - {"HEAD", "OPTIONS"}


def test_the_problem_schema_is_open_and_names_reason_errors_and_problems(api: Api) -> None:
    doc = api.get("/openapi.json").get_json()
    problem = doc["components"]["schemas"]["Problem"]
    assert problem.get("additionalProperties", True) is not False
    assert {"reason", "errors", "problems", "element", "retry_after"} <= set(problem["properties"])
    for operations in doc["paths"].values():
        for op in operations.values():
            assert "application/problem+json" in op["responses"]["default"]["content"]
