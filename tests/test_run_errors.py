"""An engine error while completing a step is a 422 naming the element, said in plain Vietnamese and English (not
the engine's English first), and nothing is saved: the issue's case was a step writing a data object (a 500)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.dossiers.run_errors import plain

from .conftest import Api
from .test_flow import open_task
from .test_transactions import snapshot

DATA = Path(__file__).parent / "data"


@pytest.fixture
def data_api(app_factory: Any) -> Api:
    return Api(app_factory(processes_dir=DATA / "runtime" / "processes", forms_dir=DATA / "forms").test_client())


def test_a_data_object_the_step_does_not_set_is_a_plain_422_and_nothing_is_saved(data_api: Api) -> None:
    resp = data_api.post("/dossiers", "tiepnhan", json={"procedure": "kiem-thu-du-lieu",
                                                        "applicant": {"name": "Lê Văn Ất"}})
    assert resp.status_code == 201, resp.get_json()
    code = resp.get_json()["code"]
    task = open_task(data_api, code)
    assert data_api.post(f"/tasks/{task['id']}/claim", "tiepnhan").status_code == 200
    app = data_api.client.application
    before = snapshot(app, code)

    resp = data_api.post(f"/tasks/{task['id']}/complete", "tiepnhan", json={"data": {"so": 5}})

    assert resp.status_code == 422 and resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert (body["code"], body["element"]) == ("process-error", "Task_Nhap")
    assert body["message_vi"].startswith("Bước “Nhập số” phải ghi đối tượng dữ liệu “ket_qua”")
    assert "Chưa có gì được lưu" in body["message_vi"]
    assert body["message_en"].startswith("Step “Nhập số” must write the data object “ket_qua”")
    assert body["detail"] == body["message_en"]  # the engine's words only quoted at its end
    assert snapshot(app, code) == before


@pytest.mark.parametrize(("detail", "reason", "vi", "en"), [
    ("Error evaluating expression 'phe_duyet == 1' name 'phe_duyet' is not defined", "script-error",
     "dùng biến “phe_duyet” mà dữ liệu hồ sơ chưa có", "uses the variable “phe_duyet”"),
    ("ZeroDivisionError: division by zero", "script-error", "chia cho 0", "divides by zero"),
    ("No conditions satisfied for Gateway_X", "script-error", "Ở bước “Cổng”", "At step “Cổng”"),
    ("ran longer than 2 s", "time-limit", "chạy quá thời gian cho phép", "ran longer than allowed"),
    ("Something nobody has seen", "script-error", "gặp lỗi khi chạy", "failed on this dossier's data"),
])
def test_engine_messages_said_plainly(detail: str, reason: str, vi: str, en: str) -> None:
    message_vi, message_en = plain(detail, reason, "Cổng" if "Gateway" in detail else "Tính")
    assert vi in message_vi and en in message_en
    assert message_vi.endswith(f"“{detail}”") and message_en.endswith(f"“{detail}”")  # quoted, at the end
