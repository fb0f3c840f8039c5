"""One rule for "overdue" (`engine/dossiers/overdue.py`), kept alike by the register, its CSV note, the leader's
overdue list and the figures: a pause stops the clock, so a paused dossier is overdue only if it was past its
due date when the pause began. Two dossiers of ho-kinh-doanh at CM-AX (due three working days after receipt):

  LATE   received Mon 2 Mar 09:00, due 5 Mar; a supplement asked for on Tue 10 Mar (after the due date)
  EARLY  received Mon 2 Mar 09:00, due 5 Mar; a supplement asked for the same morning (before it)
Looked at on Wed 25 Mar, both still paused.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Flask

from .conftest import Api, FakeClock
from .test_dashboard import Seeded
from .test_lifecycle import act
from .test_register import _submit


def test_a_paused_dossier_is_overdue_only_if_it_was_before_its_pause(app_factory: Any) -> None:
    clock = FakeClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    app: Flask = app_factory(clock=clock)
    api = Api(app.test_client())
    late = _submit(api, "tiepnhan", "ho-kinh-doanh", "Nguyễn Văn Trễ", "012345678911")
    early = _submit(api, "tiepnhan", "ho-kinh-doanh", "Lê Thị Sớm", "012345678912")
    assert act(api, early, "request_supplement", "tiepnhan", missing=["Bản sao CCCD"]).status_code == 200
    clock.at("2026-03-10 09:00")
    assert act(api, late, "request_supplement", "tiepnhan", missing=["Bản sao CCCD"]).status_code == 200
    clock.at("2026-03-25 09:00")

    items = {i["code"]: i for i in api.get("/dossiers?paused=true", "tiepnhan").get_json()["items"]}
    assert (items[late]["overdue"], items[early]["overdue"]) == (True, False)
    assert [i["code"] for i in api.get("/dossiers?overdue=true", "tiepnhan").get_json()["items"]] == [late]
    assert [i["code"] for i in api.get("/dossiers?overdue=false", "tiepnhan").get_json()["items"]] == [early]
    csv_text = api.get("/dossiers/export.csv", "tiepnhan").get_data(as_text=True)
    notes = {code: line for line in csv_text.splitlines() for code in (late, early) if code in line}
    assert "quá hạn" in notes[late] and "quá hạn" not in notes[early]

    figures = api.get("/stats?start=2026-03-01&end=2026-04-01", "lanhdao").get_json()["groups"][0]
    assert (figures["open_overdue"], figures["open_within_time"]) == (1, 1)
    leader = Seeded(app, api, {}).page_client("lanhdao")
    overdue_list = leader.get("/dashboard/overdue.csv?period=custom&from=2026-03-01&to=2026-03-31")
    assert overdue_list.status_code == 200
    listed = overdue_list.get_data(as_text=True)
    assert late in listed and early not in listed
