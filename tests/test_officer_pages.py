"""The officer's pages through the test client (both databases): scoping of the inbox, filters, claim by form,
the dossier page's lifecycle actions, the hand-over preview; and the engine additions they need."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from engine.dossiers.models import Dossier, TaskRecord
from engine.people.models import User
from engine.people.organisation import actor_for, create_user
from engine.work.assignment import candidates, handover, team_candidates
from engine.work.inbox import TaskQuery, due_state, get_task, list_tasks, waiting_dossiers

from .conftest import PASSWORD, Api
from .test_flow import PATHS, submit


def signed_in(app: Flask, username: str) -> tuple[FlaskClient, str]:
    client = app.test_client()
    token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/login").get_data(as_text=True))
    assert token
    resp = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return client, csrf_of(client, "/login")  # signing in starts a new session with a new token


def csrf_of(client: FlaskClient, path: str) -> str:
    found = re.search(r'name="csrf-token" content="([^"]+)"', client.get(path).get_data(as_text=True))
    assert found
    return found.group(1)


def add_officer(app: Flask, username: str, memberships: list[tuple[str, str]]) -> int:
    services = app.extensions["motcua"]
    with services.session_factory() as session:
        user = create_user(session, username, PASSWORD, username.title(), memberships)
        session.commit()
        return user.id


def uow_of(app: Flask) -> Any:
    return app.extensions["motcua"].uow()


def test_inbox_page_shows_only_the_officers_units_tasks(app: Flask, api: Api) -> None:
    ax = submit(api, "ho-kinh-doanh")["code"]  # received at CM-AX, first step for CM-AX specialists
    add_officer(app, "chuyenvien_tt", [("CM-TT", "specialist")])

    client, _ = signed_in(app, "chuyenvien")
    html = client.get("/inbox").get_data(as_text=True)
    assert f'data-dossier="{ax}"' in html and 'data-total="1"' in html

    other, _ = signed_in(app, "chuyenvien_tt")
    resp = other.get("/inbox")
    assert resp.status_code == 200 and "Server-Timing" in resp.headers
    page = resp.get_data(as_text=True)
    assert ax not in page and 'data-total="0"' in page and "data-empty" in page
    task_id = api.get(f"/dossiers/{ax}", "tiepnhan").get_json()["open_tasks"][0]["id"]
    assert other.get(f"/tasks/{task_id}").status_code == 404  # not even its existence leaks
    assert other.get(f"/dossiers/{ax}").status_code == 404


def test_inbox_filters_search_without_diacritics_and_reports_bad_values(app: Flask, api: Api) -> None:
    code = submit(api, "ho-kinh-doanh")["code"]
    submit(api, "gpxd-nha-o")
    client, _ = signed_in(app, "chuyenvien")
    found = client.get("/inbox?q=nguyen+thi+minh").get_data(as_text=True)
    assert f'data-dossier="{code}"' in found and 'data-total="1"' in found
    assert 'data-total="1"' in client.get("/inbox?procedure=gpxd-nha-o").get_data(as_text=True)
    assert 'data-total="0"' in client.get("/inbox?due=overdue").get_data(as_text=True)
    assert 'data-total="2"' in client.get("/inbox?due=ok&view=claimable&sort=priority").get_data(as_text=True)
    bad = client.get("/inbox?view=nope&page=x&due=late")
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)
    assert all(f'data-field-error="{f}"' in text for f in ("view", "page", "due"))
    assert 'data-total="2"' in text  # the valid part of the query still runs
    assert 'data-view="team"' not in text  # a specialist has no team tab


def test_claim_and_unclaim_are_plain_forms_with_csrf(app: Flask, api: Api) -> None:
    code = submit(api, "ho-kinh-doanh")["code"]
    task_id = api.get(f"/dossiers/{code}", "tiepnhan").get_json()["open_tasks"][0]["id"]
    client, token = signed_in(app, "chuyenvien")
    assert client.post(f"/tasks/{task_id}/claim", data={"next": "/inbox"}).status_code == 403  # no CSRF token
    resp = client.post(f"/tasks/{task_id}/claim", data={"csrf_token": token, "next": "/inbox?view=assigned"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/inbox?view=assigned")
    assert api.get(f"/tasks/{task_id}", "chuyenvien").get_json()["assignee_id"] is not None
    mine = client.get("/inbox?view=assigned").get_data(as_text=True)
    assert f'data-unclaim="{task_id}"' in mine and f'data-claim="{task_id}"' not in mine
    client.post(f"/tasks/{task_id}/unclaim", data={"csrf_token": token})
    assert api.get(f"/tasks/{task_id}", "chuyenvien").get_json()["assignee_id"] is None


def test_task_page_carries_the_form_and_instructions(app: Flask, api: Api) -> None:
    code = submit(api, "ho-kinh-doanh")["code"]
    task_id = api.get(f"/dossiers/{code}", "tiepnhan").get_json()["open_tasks"][0]["id"]
    client, _ = signed_in(app, "chuyenvien")
    html = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "y_kien_tham_dinh" in html and "data-instructions" in html and "vendor/form-viewer.js" in html
    assert 'data-current="Task_ThamDinh"' in html and 'data-document="control-sheet"' in html


def test_online_dossier_waits_then_is_received_from_the_dossier_page(app: Flask, api: Api) -> None:
    body = {"procedure": "ho-kinh-doanh", "applicant": PATHS["ho-kinh-doanh"]["applicant"],
            "data": PATHS["ho-kinh-doanh"]["start"], "channel": "online"}
    code = api.post("/dossiers", "tiepnhan", json=body).get_json()["code"]
    client, token = signed_in(app, "tiepnhan")
    inbox = client.get("/inbox").get_data(as_text=True)
    assert f'data-waiting-dossier="{code}"' in inbox
    page = client.get(f"/dossiers/{code}").get_data(as_text=True)
    assert 'data-action="receive"' in page and 'data-action="refuse"' in page

    refused = client.post(f"/dossiers/{code}/actions/refuse", data={"csrf_token": token, "reasons": "  "})
    assert refused.status_code == 422
    assert 'data-field-error="reasons"' in refused.get_data(as_text=True)
    short = client.post(f"/dossiers/{code}/actions/receive", data={"csrf_token": token, "documents": ["x"]})
    assert short.status_code == 422 and 'data-field-error="documents">Còn thiếu: ' in short.get_data(as_text=True)
    assert "giay-de-nghi." not in short.get_data(as_text=True)  # named as people know it, not by its code
    assert api.get(f"/dossiers/{code}", "tiepnhan").get_json()["status"] == "registered"

    with uow_of(app) as uow:
        actor = actor_for(uow.session, uow.org, uow.session.scalar(select(User.id).where(User.username == "tiepnhan")))
        version = uow.session.scalar(select(Dossier.procedure_version_id).where(Dossier.code == code))
        required = [d["code"] for d in uow.cache.get(uow.session, version).meta["documents"] if d["required"]]
    resp = client.post(f"/dossiers/{code}/actions/receive", data={"csrf_token": token, "documents": required})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    assert api.get(f"/dossiers/{code}", "tiepnhan").get_json()["status"] == "received"
    assert f'data-waiting-dossier="{code}"' not in client.get("/inbox").get_data(as_text=True)
    with uow_of(app) as uow:
        assert waiting_dossiers(uow, actor) == ([], 0)


def test_due_states_and_the_due_filter_agree(app: Flask, api: Api) -> None:
    codes = [submit(api, "ho-kinh-doanh")["code"] for _ in range(3)]
    with uow_of(app) as uow:
        now = uow.clock()
        rows = {t.dossier_code: t for t in uow.session.scalars(select(TaskRecord))}
        late, warned, fine = (rows[c].id for c in codes)
        uow.session.execute(update(TaskRecord).where(TaskRecord.id == late).values(due_at=now - timedelta(hours=1)))
        uow.session.execute(update(TaskRecord).where(TaskRecord.id == warned)
                            .values(due_at=now + timedelta(hours=1), next_escalation_at=now - timedelta(minutes=5)))
        uow.session.execute(update(TaskRecord).where(TaskRecord.id == fine)
                            .values(due_at=now + timedelta(days=2), next_escalation_at=now + timedelta(days=1)))
        uow.session.commit()
        actor = actor_for(uow.session, uow.org, uow.session.scalar(select(User.id).where(User.username == "lanhdao")))
        for state, expected in (("overdue", late), ("warning", warned), ("ok", fine)):
            page = list_tasks(uow, actor, TaskQuery(view="team", due=state))
            assert [t.id for t in page.items] == [expected]
            assert due_state(page.items[0], now) == state


def test_engine_gives_instructions_candidates_to_the_assignee_and_a_dry_run_handover(app: Flask, api: Api) -> None:
    code = submit(api, "ho-kinh-doanh")["code"]
    task_id = api.get(f"/dossiers/{code}", "tiepnhan").get_json()["open_tasks"][0]["id"]
    api.post(f"/tasks/{task_id}/claim", "chuyenvien")
    colleague = add_officer(app, "chuyenvien2", [("CM-AX", "specialist")])
    with uow_of(app) as uow:
        ids = {name: uid for name, uid in uow.session.execute(select(User.username, User.id))}
        specialist = actor_for(uow.session, uow.org, ids["chuyenvien"])
        assert get_task(uow, specialist, task_id).instructions.startswith("Thẩm định điều kiện")
        assert colleague in [c.user_id for c in candidates(uow, specialist, task_id)]
        leader = actor_for(uow.session, uow.org, ids["lanhdao"])
        preview = handover(uow, leader, ids["chuyenvien"], colleague, dry_run=True)
        assert preview.moved_tasks == [task_id]
    assert api.get(f"/tasks/{task_id}", "chuyenvien").get_json()["assignee_id"] == ids["chuyenvien"]  # unchanged
    history = [e["action"] for e in api.get(f"/dossiers/{code}/history", "tiepnhan").get_json()["items"]]
    assert "handed_over" not in history


def test_handover_page_previews_then_moves(app: Flask, api: Api) -> None:
    code = submit(api, "ho-kinh-doanh")["code"]
    task_id = api.get(f"/dossiers/{code}", "tiepnhan").get_json()["open_tasks"][0]["id"]
    api.post(f"/tasks/{task_id}/claim", "chuyenvien")
    colleague = add_officer(app, "chuyenvien2", [("CM-AX", "specialist")])
    client, token = signed_in(app, "lanhdao")
    specialist_client, _ = signed_in(app, "chuyenvien")
    assert specialist_client.get("/handover").status_code == 403
    with uow_of(app) as uow:
        me = uow.session.scalar(select(User.id).where(User.username == "chuyenvien"))
    same = client.post("/handover", data={"csrf_token": token, "from_user": me, "to_user": me})
    assert same.status_code == 422 and 'data-field-error="to_user"' in same.get_data(as_text=True)
    preview = client.post("/handover", data={"csrf_token": token, "from_user": me, "to_user": colleague})
    text = preview.get_data(as_text=True)
    assert 'data-handover-report="preview"' in text and 'data-moved-tasks="1"' in text
    assert api.get(f"/tasks/{task_id}", "chuyenvien").get_json()["assignee_id"] == me
    done = client.post("/handover", data={"csrf_token": token, "from_user": me, "to_user": colleague, "confirm": "1"})
    assert 'data-handover-report="done"' in done.get_data(as_text=True)
    assert api.get(f"/tasks/{task_id}", "lanhdao").get_json()["assignee_id"] == colleague


def test_delegate_from_the_task_page_to_a_listed_colleague(app: Flask, api: Api) -> None:
    code = submit(api, "ho-kinh-doanh")["code"]
    task_id = api.get(f"/dossiers/{code}", "tiepnhan").get_json()["open_tasks"][0]["id"]
    colleague = add_officer(app, "chuyenvien2", [("CM-AX", "specialist")])
    client, token = signed_in(app, "chuyenvien")
    assert "data-delegate" not in client.get(f"/tasks/{task_id}").get_data(as_text=True)  # claim first
    client.post(f"/tasks/{task_id}/claim", data={"csrf_token": token})
    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert f'<option value="{colleague}">' in page
    refused = client.post(f"/tasks/{task_id}/delegate", data={"csrf_token": token, "user_id": "abc"})
    assert refused.status_code == 302 and refused.headers["Location"].endswith(f"/tasks/{task_id}")
    resp = client.post(f"/tasks/{task_id}/delegate", data={"csrf_token": token, "user_id": str(colleague)})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/inbox")
    task = api.get(f"/tasks/{task_id}", "lanhdao").get_json()
    assert task["assignee_id"] == colleague and task["owner_id"] is not None


def test_dossier_panel_lists_the_files_sent_online_with_download_links(app: Flask, api: Api) -> None:
    from engine.dossiers.models import Attachment

    body = {"procedure": "ho-kinh-doanh", "applicant": PATHS["ho-kinh-doanh"]["applicant"],
            "data": PATHS["ho-kinh-doanh"]["start"], "channel": "online"}
    code = api.post("/dossiers", "tiepnhan", json=body).get_json()["code"]
    client, _ = signed_in(app, "tiepnhan")
    assert "data-attachments" not in client.get(f"/dossiers/{code}").get_data(as_text=True)
    with uow_of(app) as uow:
        dossier = uow.session.scalar(select(Dossier).where(Dossier.code == code))
        document = uow.cache.get(uow.session, dossier.procedure_version_id).meta["documents"][0]
        row = Attachment(dossier_id=dossier.id, document=document["code"], file_name="Giấy đề nghị.pdf",
                         content_type="application/pdf", size=20480, sha256="0" * 64, stored_path="x.pdf")
        uow.session.add(row)
        uow.session.commit()
        link = f"/api/v1/dossiers/{code}/attachments/{row.id}"
    html = client.get(f"/dossiers/{code}").get_data(as_text=True)
    assert f'href="{link}"' in html and "Giấy đề nghị.pdf" in html and "20.0 KB" in html
    assert document["name"] in html


# --- a leader's assignment and priority controls (task page and the inbox's team view) ---

def ids_of(app: Flask) -> dict[str, int]:
    with uow_of(app) as uow:
        return {name: uid for name, uid in uow.session.execute(select(User.username, User.id))}


def first_task(api: Api, code: str) -> str:
    return api.get(f"/dossiers/{code}", "tiepnhan").get_json()["open_tasks"][0]["id"]


def test_leader_assigns_from_the_task_page_and_the_assignee_sees_it_as_theirs(app: Flask, api: Api) -> None:
    code = submit(api, "ho-kinh-doanh")["code"]
    task_id = first_task(api, code)
    colleague = add_officer(app, "chuyenvien2", [("CM-AX", "specialist")])
    ids = ids_of(app)
    busy = submit(api, "ho-kinh-doanh")["code"]  # chuyenvien holds one task already: the engine's count shows it
    api.post(f"/tasks/{first_task(api, busy)}/claim", "chuyenvien")
    client, token = signed_in(app, "lanhdao")
    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "data-assign-form" in page and "data-priority-form" in page
    assert f'<option value="{ids["chuyenvien"]}" data-open="1" data-overdue="0"' in page
    assert f'<option value="{colleague}" data-open="0" data-overdue="0"' in page
    assert f'value="{ids["lanhdao"]}"' not in page  # a leader does not hold the specialist's role

    resp = client.post(f"/tasks/{task_id}/assign", data={"csrf_token": token, "user_id": str(colleague),
                                                         "next": f"/tasks/{task_id}"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/tasks/{task_id}")
    assert "Chuyenvien2" in client.get(f"/tasks/{task_id}").get_data(as_text=True)  # the flash names the officer
    assert api.get(f"/tasks/{task_id}", "lanhdao").get_json()["assignee_id"] == colleague

    theirs, _ = signed_in(app, "chuyenvien2")
    inbox = theirs.get("/inbox?view=assigned").get_data(as_text=True)
    assert f'data-task="{task_id}"' in inbox and f'data-unclaim="{task_id}"' in inbox
    assert 'data-claim-state="mine"' in theirs.get(f"/tasks/{task_id}").get_data(as_text=True)
    history = api.get(f"/dossiers/{code}/history", "tiepnhan").get_json()["items"]
    entry = next(e for e in history if e["action"] == "assigned")
    assert entry["actor_id"] == ids["lanhdao"] and entry["task_id"] == task_id
    assert entry["before"] == {"assignee_id": None} and entry["after"] == {"assignee_id": colleague}
    assert 'data-event="assigned"' in client.get(f"/tasks/{task_id}").get_data(as_text=True)


def test_assign_errors_come_back_on_the_page_and_change_nothing(app: Flask, api: Api) -> None:
    code = submit(api, "ho-kinh-doanh")["code"]
    task_id = first_task(api, code)
    outsider = add_officer(app, "chuyenvien_tt", [("CM-TT", "specialist")])
    client, token = signed_in(app, "lanhdao")
    empty = client.post(f"/tasks/{task_id}/assign", data={"csrf_token": token, "user_id": ""})
    assert empty.status_code == 422 and 'data-field-error="user_id"' in empty.get_data(as_text=True)
    wrong = client.post(f"/tasks/{task_id}/assign", data={"csrf_token": token, "user_id": str(outsider),
                                                          "next": f"/tasks/{task_id}"})
    text = wrong.get_data(as_text=True)
    assert wrong.status_code == 422 and "data-assign-error" in text and 'data-field-error="user_id"' in text
    assert "cần đúng vai trò tại đơn vị" in text and 'data-page="task"' in text
    for raw in ("500", "1", "khan"):  # a priority is one of the named scale, never a number
        high = client.post(f"/tasks/{task_id}/priority", data={"csrf_token": token, "priority": raw})
        assert high.status_code == 422 and 'data-field-error="priority"' in high.get_data(as_text=True)
        assert "Bình thường, Khẩn hoặc Thượng khẩn" in high.get_data(as_text=True)
    task = api.get(f"/tasks/{task_id}", "lanhdao").get_json()
    assert task["assignee_id"] is None and task["priority"] == "normal"

    # from the inbox, the refusal comes back on the task's row with the inbox's filters
    inbox = client.post(f"/tasks/{task_id}/priority", data={"csrf_token": token, "priority": "x",
                                                            "next": "/inbox?view=team&sort=priority"})
    row = inbox.get_data(as_text=True)
    assert inbox.status_code == 422 and f'data-assign-error="{task_id}"' in row and code in row
    assert 'data-field-error="priority"' in row and 'data-view="team" class="active"' in row

    # a race: the step was completed meanwhile; nothing is assigned and the leader is told
    api.complete(task_id, "chuyenvien", PATHS["ho-kinh-doanh"]["steps"]["Task_ThamDinh"])
    late = client.post(f"/tasks/{task_id}/assign", data={"csrf_token": token, "user_id": str(outsider),
                                                         "next": "/inbox?view=team"})
    assert late.status_code == 409 and "vừa được thay đổi" in late.get_data(as_text=True)
    assert f'data-assign-error="{task_id}"' in late.get_data(as_text=True)


def test_officers_who_do_not_lead_the_unit_cannot_assign(app: Flask, api: Api) -> None:
    code = submit(api, "ho-kinh-doanh")["code"]
    task_id = first_task(api, code)
    ids = ids_of(app)
    specialist, token = signed_in(app, "chuyenvien")
    page = specialist.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "data-assign-form" not in page and "data-priority-form" not in page
    assert "data-assign-select" not in specialist.get("/inbox").get_data(as_text=True)
    for path, field in (("assign", {"user_id": str(ids["chuyenvien"])}), ("priority", {"priority": "urgent"})):
        assert specialist.post(f"/tasks/{task_id}/{path}", data={"csrf_token": token, **field}).status_code == 403
    add_officer(app, "lanhdao_tt", [("CM-TT", "leader")])
    other, other_token = signed_in(app, "lanhdao_tt")  # a leader, but of another commune
    resp = other.post(f"/tasks/{task_id}/assign", data={"csrf_token": other_token, "user_id": str(ids["chuyenvien"])})
    assert resp.status_code == 404
    task = api.get(f"/tasks/{task_id}", "lanhdao").get_json()
    assert task["assignee_id"] is None and task["priority"] == "normal"
    assert not [e for e in api.get(f"/dossiers/{code}/history", "tiepnhan").get_json()["items"]
                if e["action"] in ("assigned", "prioritised")]


def test_leader_assigns_and_prioritises_from_the_inbox_team_view(app: Flask, api: Api) -> None:
    first, second = (submit(api, "ho-kinh-doanh")["code"] for _ in range(2))
    first_id, second_id = first_task(api, first), first_task(api, second)
    ids = ids_of(app)
    client, token = signed_in(app, "lanhdao")
    assert "data-assign-select" not in client.get("/inbox").get_data(as_text=True)  # the default view stays light
    team = client.get("/inbox?view=team&sort=priority").get_data(as_text=True)
    assert f'data-assign-select="{first_id}"' in team and f'data-set-priority="{second_id}"' in team
    assert f'<option value="{ids["chuyenvien"]}">' in team
    if team.index(f'data-task="{first_id}"') > team.index(f'data-task="{second_id}"'):  # equal priority, either order
        (first, first_id), (second, second_id) = (second, second_id), (first, first_id)

    back = "/inbox?view=team&sort=priority"
    resp = client.post(f"/tasks/{second_id}/priority", data={"csrf_token": token, "priority": "most_urgent",
                                                                 "next": back})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(back)
    reordered = client.get(back).get_data(as_text=True)
    assert reordered.index(f'data-task="{second_id}"') < reordered.index(f'data-task="{first_id}"')
    assert 'data-priority="most_urgent"' in reordered

    resp = client.post(f"/tasks/{first_id}/assign", data={"csrf_token": token, "user_id": str(ids["chuyenvien"]),
                                                          "next": back})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(back)
    theirs, _ = signed_in(app, "chuyenvien")
    mine = theirs.get("/inbox?view=assigned").get_data(as_text=True)
    assert f'data-task="{first_id}"' in mine and f'data-task="{second_id}"' not in mine
    by_priority = theirs.get("/inbox?view=claimable&sort=priority").get_data(as_text=True)
    assert 'data-priority="most_urgent"' in by_priority and "Thượng khẩn" in by_priority  # read-only, by name

    actions = {e["action"]: e for code in (first, second)
               for e in api.get(f"/dossiers/{code}/history", "tiepnhan").get_json()["items"]}
    assert actions["assigned"]["after"] == {"assignee_id": ids["chuyenvien"]}
    assert actions["prioritised"]["before"] == {"priority": "normal"}
    assert actions["prioritised"]["after"] == {"priority": "most_urgent"}
    assert actions["assigned"]["actor_id"] == actions["prioritised"]["actor_id"] == ids["lanhdao"]


def test_team_candidates_gives_each_led_task_what_candidates_gives(app: Flask, api: Api) -> None:
    ax = first_task(api, submit(api, "ho-kinh-doanh")["code"])
    add_officer(app, "chuyenvien2", [("CM-AX", "specialist")])
    add_officer(app, "chuyenvien_tinh", [("CM", "specialist")])  # a level above also holds the role
    add_officer(app, "lanhdao_tt", [("CM-TT", "leader")])
    api.post(f"/tasks/{ax}/claim", "chuyenvien")
    ids = ids_of(app)
    with uow_of(app) as uow:
        tasks = list(uow.session.scalars(select(TaskRecord).where(TaskRecord.state == "open")))
        leader = actor_for(uow.session, uow.org, ids["lanhdao"])
        specialist = actor_for(uow.session, uow.org, ids["chuyenvien"])
        together = team_candidates(uow, leader, tasks)
        assert set(together) == {t.id for t in tasks}
        for t in tasks:
            assert together[t.id] == candidates(uow, leader, t.id)
        names = [c.username for c in together[ax]]
        assert names[-1] == "chuyenvien" and set(names) == {"chuyenvien", "chuyenvien2", "chuyenvien_tinh", "tatca"}
        assert team_candidates(uow, specialist, tasks) == {}  # not a leader: nothing to assign
        other_leader = actor_for(uow.session, uow.org, ids["lanhdao_tt"])
        assert team_candidates(uow, other_leader, tasks) == {}  # nor a leader of another commune


def test_a_late_dossier_offers_the_apology_with_a_new_date_and_reason(app: Flask, api: Api) -> None:
    code = submit(api, "ho-kinh-doanh")["code"]
    client, _csrf = signed_in(app, "tiepnhan")
    assert "data-apology-form" not in client.get(f"/dossiers/{code}").get_data(as_text=True)  # not late yet
    with app.extensions["motcua"].session_factory() as session:  # the legal date has passed
        session.execute(update(Dossier).where(Dossier.code == code).values(due_at=Dossier.received_at))
        session.commit()
    page = client.get(f"/dossiers/{code}").get_data(as_text=True)
    assert "data-apology-form" in page and 'name="new_date"' in page
    document = client.get(f"/api/v1/dossiers/{code}/documents/apology",
                          query_string={"new_date": "2026-12-03", "reason": "Chờ ý kiến cơ quan thuế"})
    text = document.get_data(as_text=True)
    assert document.status_code == 200 and "03/12/2026" in text and "Chờ ý kiến cơ quan thuế" in text


def test_handover_preview_says_why_a_task_cannot_move(app: Flask, api: Api) -> None:
    code = submit(api, "ho-kinh-doanh")["code"]
    task_id = api.get(f"/dossiers/{code}", "tiepnhan").get_json()["open_tasks"][0]["id"]
    api.post(f"/tasks/{task_id}/claim", "chuyenvien")
    receptionist = add_officer(app, "tiepnhan2", [("CM-AX", "reception")])  # cannot do a specialist's step
    client, token = signed_in(app, "lanhdao")
    with uow_of(app) as uow:
        me = uow.session.scalar(select(User.id).where(User.username == "chuyenvien"))
    text = client.post("/handover", data={"csrf_token": token, "from_user": me, "to_user": receptionist}
                       ).get_data(as_text=True)
    assert 'data-skip="role-missing"' in text
    assert "Người nhận không có vai trò specialist ở đơn vị CM-AX." in text
