"""The register's ways to a page (`engine/dossiers/register_reading.py`): the window over the newest dossiers and
the candidates of a search text give the pages, cursors and order that reading in index order gives, and say
their totals truthfully. Over the world of `test_register.py` plus eight dossiers received at CM-AX on 9 March
(Nguyễn Văn Bình 1..8, one an hour, the 4th and 8th for CM-TT's competence), looked at by the provincial leader
(the whole organisation: where those ways apply) and by a commune's reception.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from engine.dossiers import register_reading
from engine.dossiers.models import Dossier

from .test_register import HKD, World, _submit, world  # noqa: F401  (the fixture)

SEARCHES = [
    "q=nguyen", "q=nguyen&order=asc", "q=van+binh&sort=due&order=asc", "q=van&sort=code&order=desc",
    "q=binh&sort=finished", "q=nguyen&status=received,processing", "q=khang", "q=012345670003",
    "q=nguyen&paused=false&channel=counter", "q=-26030", "sort=due",
]


@pytest.fixture
def crowd(world: World) -> World:  # noqa: F811
    clock = world.app.extensions["motcua"].clock
    for n in range(1, 9):
        clock.at(f"2026-03-09 {8 + n:02d}:00")
        world.codes[f"B{n}"] = _submit(world.api, "tiepnhan", HKD, f"Nguyễn Văn Bình {n}", f"01234567{n:04d}")
    with world.app.extensions["motcua"].session_factory() as session:
        for n in (4, 8):
            row = session.scalars(select(Dossier).where(Dossier.code == world.codes[f"B{n}"])).one()
            row.competent_unit = "CM-TT"
        session.commit()
    clock.at("2026-04-10 09:00")
    return world


def walk(register: World, query: str, user: str, limit: int) -> tuple[list[str], list[str], list[tuple[int, str]]]:
    """The codes paged by offset and by cursor, and the totals each page said."""
    by_offset, by_cursor, totals, cursor = [], [], [], None
    for offset in range(0, 40, limit):
        body = register.get(f"{query}&limit={limit}&offset={offset}", user).get_json()
        by_offset += [i["code"] for i in body["items"]]
        totals.append((body["total"], body["total_kind"]))
        if not body["next_cursor"]:
            break
    for _ in range(40):
        body = register.get(f"{query}&limit={limit}" + (f"&after={cursor}" if cursor else ""), user).get_json()
        by_cursor += [i["code"] for i in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    return by_offset, by_cursor, totals


@pytest.mark.parametrize("query", SEARCHES)
@pytest.mark.parametrize("user", ["lanhdaotinh", "tiepnhan"])
def test_every_way_pages_as_reading_in_index_order_does(crowd: World, monkeypatch: Any, query: str, user: str
                                                        ) -> None:
    fast = {limit: walk(crowd, query, user, limit) for limit in (1, 3, 50)}
    monkeypatch.setattr(register_reading, "WINDOW", 0)  # the window never holds a page
    monkeypatch.setattr(register_reading, "CANDIDATES", 0)  # every search text is crowded
    for limit, (by_offset, by_cursor, totals) in fast.items():
        plain_offset, plain_cursor, _ = walk(crowd, query, user, limit)
        assert by_offset == by_cursor == plain_offset == plain_cursor, (limit, by_offset, plain_offset)
        assert all(total >= len(by_offset) or kind != "exact" for total, kind in totals)
        assert len(set(by_offset)) == len(by_offset)
    assert fast[50][0] or user == "tiepnhan", "every search here finds something for the province"


def test_a_common_text_is_paged_from_the_window_and_its_total_is_not_counted(crowd: World, monkeypatch: Any
                                                                              ) -> None:
    def refused(*_args: Any, **_kw: Any) -> Any:
        raise AssertionError("read in index order")

    monkeypatch.setattr(register_reading, "in_order", refused)
    body = crowd.get("q=binh&limit=3", "lanhdaotinh").get_json()
    assert [i["code"] for i in body["items"]] == [crowd.codes[f"B{n}"] for n in (8, 7, 6)]
    postgres = crowd.app.extensions["motcua"].engine.dialect.name == "postgresql"
    # PostgreSQL estimates from how deep into the window the page reached; SQLite counts, as ever
    assert body["total_kind"] == ("about" if postgres else "exact") and body["total"] >= 4
    assert postgres or body["total"] == 8


def test_a_rare_text_is_found_among_few_candidates_and_counted_exactly(crowd: World, monkeypatch: Any) -> None:
    monkeypatch.setattr(register_reading, "in_order", lambda *_a, **_k: pytest.fail("read in index order"))
    body = crowd.get("q=khang", "lanhdaotinh").get_json()
    assert ([i["code"] for i in body["items"]], body["total"], body["total_kind"]) == (
        [crowd.codes["OTHER"]], 1, "exact")
    body = crowd.get("q=nguyen&sort=received&order=asc&limit=2&offset=8", "lanhdaotinh").get_json()
    assert (body["total"], body["total_kind"]) == (10, "exact")  # two of the world, eight Bình
    assert ([i["code"] for i in body["items"]], body["next_cursor"]) == ([crowd.codes["B7"], crowd.codes["B8"]], None)


def test_a_crowded_text_says_more_than_the_candidates(crowd: World, monkeypatch: Any) -> None:
    monkeypatch.setattr(register_reading, "WINDOW", 0)
    monkeypatch.setattr(register_reading, "CANDIDATES", 5)
    body = crowd.get("q=nguyen&limit=3", "lanhdaotinh").get_json()
    assert (body["total"], body["total_kind"]) == (5, "more_than") and len(body["items"]) == 3
    body = crowd.get("q=nguyen&limit=3&offset=9", "lanhdaotinh").get_json()
    assert (body["total"], body["total_kind"]) == (10, "exact")  # the last page: everything is seen


def test_a_deep_offset_past_the_dated_rows_reaches_the_undated_ones(crowd: World) -> None:
    everything = crowd.codes_of("sort=received&limit=50", "lanhdaotinh")
    assert everything[-1] == crowd.codes["REFUSED"]  # never received: no date, last
    last = crowd.codes_of(f"sort=received&limit=2&offset={len(everything) - 1}", "lanhdaotinh")
    assert last == [crowd.codes["REFUSED"]]
