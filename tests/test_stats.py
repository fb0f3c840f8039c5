"""The figures, against a seeded set of dossiers whose outcome is worked out by hand below."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .conftest import Api, FakeClock
from .payment_support import pay_online
from .test_flow import run_to_end
from .test_lifecycle import act, submit


def figures(api: Api, **query: str) -> list[dict[str, Any]]:
    params = "&".join(f"{k}={v}" for k, v in query.items())
    resp = api.get(f"/stats?{params}", "lanhdao")
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["groups"]


def test_figures_match_the_hand_computed_set(app_factory: Any) -> None:
    """March 2026 at one center (all times local):

    D1 ho-kinh-doanh, counter, received 2 Mar 09:00, due 5 Mar 17:00, processed 3 Mar       -> early;
       paid online, returned, rated 3
    D2 ho-kinh-doanh, counter, received 2 Mar 09:00, due 5 Mar 17:00, processed 5 Mar 16:00 -> on time;
       paid at the counter, returned, rated 1 (dissatisfied)
    D3 ho-kinh-doanh, online, received 2 Mar 09:00, due 5 Mar 17:00, processed 9 Mar        -> late;
       returned, rated 2
    D4 gpxd-nha-o, counter, received 3 Mar 09:00, due 24 Mar 17:00, still open              -> overdue
    D5 ho-kinh-doanh, counter, received 31 Mar 09:00, due 3 Apr 17:00, open on 1 Apr        -> in time
    D6 ho-kinh-doanh, counter, received 10 Mar, two supplement requests, processed 11 Mar
                                                            -> late (more than one supplement request)
    D7 ho-kinh-doanh, online, refused 10 Mar: never received, so not counted

    received 6, online 1 (16.67 %), processed 4: early 1, on time 1, late 2 (on-time rate 50 %),
    open 1 in time + 1 overdue, paid 2 of which online 1 (50 %), ratings 3 with 1 dissatisfied
    (average 2.0), satisfaction = 100 - (50 + 33.33) = 16.67.
    """
    clock = FakeClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    api = Api(app_factory(clock=clock).test_client())
    pins: dict[str, str] = {}

    def new(procedure: str = "ho-kinh-doanh", channel: str = "counter") -> str:
        created = submit(api, procedure, channel)
        pins[created["code"]] = created["pin"]
        return created["code"]

    clock.at("2026-03-02 09:00")
    d1, d2, d3 = new(), new(), new(channel="online")
    act(api, d3, "receive", "tiepnhan")
    clock.at("2026-03-03 09:00")
    d4 = new("gpxd-nha-o")
    clock.at("2026-03-03 10:00")
    run_to_end(api, "ho-kinh-doanh", d1)
    clock.at("2026-03-05 16:00")
    run_to_end(api, "ho-kinh-doanh", d2)
    clock.at("2026-03-09 09:00")
    run_to_end(api, "ho-kinh-doanh", d3)
    clock.at("2026-03-10 09:00")
    d6, d7 = new(), new(channel="online")
    act(api, d7, "refuse", "tiepnhan", reasons=["Không thuộc thẩm quyền"])
    for _ in range(2):
        act(api, d6, "request_supplement", "chuyenvien", missing=["Giấy đề nghị"])
        act(api, d6, "supplement_received", "tiepnhan")
    clock.at("2026-03-11 09:00")
    run_to_end(api, "ho-kinh-doanh", d6)
    clock.at("2026-03-12 09:00")
    for code in (d1, d2):
        act(api, code, "require_payment", "tiepnhan", amount=100000)
    pay_online(api.client.application, d1)  # through the payment platform: the only way to count as online
    assert act(api, d2, "record_payment", "tiepnhan", online=False).status_code == 200
    act(api, d3, "exempt_fee", "lanhdao", reason="Miễn lệ phí theo nghị quyết của tỉnh")  # waived, not paid
    for code in (d1, d2, d3):
        assert act(api, code, "return_result", "tiepnhan").status_code == 200
    clock.at("2026-03-13 09:00")
    for code, rating in ((d1, 3), (d2, 1), (d3, 2)):
        rated = api.post(f"/public/dossiers/{code}/rating", json={"pin": pins[code], "rating": rating})
        assert rated.status_code == 200
    clock.at("2026-03-31 09:00")
    new()  # D5
    clock.at("2026-04-10 09:00")
    assert d4  # D4 stays open

    [march] = figures(api, start="2026-03-01", end="2026-04-01")
    assert {k: march[k] for k in ("received", "online", "supplement_requests", "processed", "early", "on_time",
                                  "late", "open_within_time", "open_overdue", "paid", "paid_online", "ratings",
                                  "dissatisfied")} == {
        "received": 6, "online": 1, "supplement_requests": 2, "processed": 4, "early": 1, "on_time": 1,
        "late": 2, "open_within_time": 1, "open_overdue": 1, "paid": 2, "paid_online": 1, "ratings": 3,
        "dissatisfied": 1}
    assert march["rates"] == {"on_time": 50.0, "late": 50.0, "online": 16.67, "online_payment": 50.0,
                              "average_rating": 2.0, "satisfaction": 16.67,  # 100 - (50 + 33.33)
                              "digitisation": 0.0, "data_reuse": 0.0,  # no file kept, no data reused in this set
                              "electronic_results": 0.0}  # nor any result issued electronically

    by_procedure = {g["key"]: g for g in figures(api, start="2026-03-01", end="2026-04-01", group_by="procedure")}
    assert by_procedure["ho-kinh-doanh"]["received"] == 5 and by_procedure["gpxd-nha-o"]["received"] == 1
    assert by_procedure["gpxd-nha-o"]["open_overdue"] == 1 and by_procedure["gpxd-nha-o"]["processed"] == 0

    by_month = {g["key"]: g for g in figures(api, start="2026-02-01", end="2026-05-01", group_by="month")}
    assert by_month["2026-03"]["received"] == 6 and by_month["2026-03"]["processed"] == 4
    [april] = figures(api, start="2026-04-01", end="2026-05-01")  # as of now, 10 April
    assert (april["received"], april["processed"], april["open_overdue"], april["open_within_time"]) == (0, 0, 2, 0)

    # figures are for leaders, not for reception officers
    assert api.get("/stats?start=2026-03-01&end=2026-04-01", "tiepnhan").status_code == 403
    assert api.get("/stats?start=2026-04-01&end=2026-03-01", "lanhdao").status_code == 422
