"""Legal time and fee per submission channel: the channel's own entry overrides the procedure's default, and
every shipped procedure.toml (which has none) still reads and counts exactly as before."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from engine.procedures.metadata import fee_for, parse_metadata
from engine.procedures.toml_writer import dumps
from engine.time.clock import LOCAL_TZ
from engine.time.deadlines import dossier_due, legal_time_for, shift_appointment
from engine.time.working_time import WorkingCalendar

ROOT = Path(__file__).resolve().parent.parent
HKD_TOML = (ROOT / "processes" / "ho-kinh-doanh" / "procedure.toml").read_text("utf-8")
CHANNELS = """
[channels.online]
legal_time = { value = 2, unit = "working_days" }
fee = { amount = 50000, note = "Giảm 50% khi nộp trực tuyến" }

[channels.postal]
legal_time = { value = 12, unit = "working_hours", cutoff = "15:00" }
"""


def meta_with(extra: str) -> dict[str, Any]:
    meta, problems = parse_metadata((HKD_TOML + extra).encode())
    assert meta is not None, problems
    return meta


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL_TZ)


@pytest.fixture
def calendar() -> WorkingCalendar:
    return WorkingCalendar()


def test_shipped_procedures_read_as_before() -> None:
    # the two written before channels existed (the tthc-* ones come from the national catalogue, with its code)
    for folder in sorted(p for p in (ROOT / "processes").iterdir() if not p.name.startswith("tthc-")):
        meta, problems = parse_metadata((folder / "procedure.toml").read_bytes())
        assert meta is not None, problems
        assert meta["channels"] == {} and meta["national_code"]  # the code came later, the rest reads as before
        for channel in ("counter", "online", "postal", None):
            assert legal_time_for(meta, channel) == meta["legal_time"]
            assert fee_for(meta, channel) == meta["fee"]["amount"]
        # the old `original` flag decides the kind
        assert {d["kind"] for d in meta["documents"]} <= {"original", "copy"}
        assert all(d["original"] == (d["kind"] == "original") for d in meta["documents"])


def test_due_dates_per_channel(calendar: WorkingCalendar) -> None:
    meta = meta_with(CHANNELS)
    monday_four_pm = local("2026-03-02 16:00")
    # counter: the default, 3 working days; online: 2 working days; postal: 12 working hours after a 15:00
    # cut-off, so counted from Tuesday morning
    counter = dossier_due(calendar, meta, monday_four_pm, "counter")
    online = dossier_due(calendar, meta, monday_four_pm, "online")
    postal = dossier_due(calendar, meta, monday_four_pm, "postal")
    assert counter == dossier_due(calendar, meta, monday_four_pm)  # no channel: the default
    assert counter.date().isoformat() == "2026-03-05"
    assert online.date().isoformat() == "2026-03-04"
    assert postal.astimezone(LOCAL_TZ).date().isoformat() == "2026-03-04"
    assert postal < online  # 12 working hours from Tuesday 07:30 ends on Wednesday, before its close
    assert fee_for(meta, "online") == 50000 and fee_for(meta, "counter") == 100000


def test_a_pause_moves_the_appointment_by_the_channels_unit(calendar: WorkingCalendar) -> None:
    meta = meta_with(CHANNELS)
    due = dossier_due(calendar, meta, local("2026-03-02 09:00"), "postal")
    paused = calendar.working_time_between(local("2026-03-02 10:00"), local("2026-03-02 10:05"))
    # working hours: the exact time moves; working days (online): the close of the landing day
    assert shift_appointment(calendar, meta, due, paused, "postal") == calendar.add_working_time(due, paused)
    online = dossier_due(calendar, meta, local("2026-03-02 09:00"), "online")
    moved = shift_appointment(calendar, meta, online, paused, "online")
    assert moved == calendar.close_of_day(calendar.add_working_time(online, paused))


@pytest.mark.parametrize("extra, field", [
    ('\n[channels.fax]\nfee = { amount = 1 }\n', "channels"),
    ('\n[channels.online]\nlegal_time = { value = 0, unit = "working_days" }\n', "channels.online.legal_time"),
    ('\n[channels.online]\nlegal_time = { value = 2, unit = "days" }\n', "channels.online.legal_time"),
    ('\n[channels.online]\nlegal_time = { value = 2, unit = "working_days", cutoff = "25:00" }\n', "channels"),
    ('\n[channels.online]\nfee = { amount = -5 }\n', "channels.online.fee"),
])
def test_invalid_channel_entries_are_named(extra: str, field: str) -> None:
    meta, problems = parse_metadata((HKD_TOML + extra).encode())
    assert meta is None and problems[0].field.startswith(field.split(".")[0])
    assert field in (problems[0].field or "") or field == "channels"


def test_national_code_kinds_and_sources() -> None:
    text = HKD_TOML.replace('national_code = "2.000720"', 'national_code = "1.001612"', 1)
    text = text.replace("original = false\nrequired = false", 'kind = "certified_copy"\nrequired = false\n'
                        'condition = "Khi hộ gia đình đăng ký"\nform = "mau-01.docx"', 1)
    meta, problems = parse_metadata(text.encode())
    assert meta is not None, problems
    assert meta["national_code"] == "1.001612"
    assert meta["documents"][1]["kind"] == "certified_copy" and meta["documents"][1]["form"] == "mau-01.docx"
    bad, problems = parse_metadata(text.replace('"1.001612"', '"abc"').encode())
    assert bad is None and problems[0].field == "national_code"


def test_the_writer_reads_back_what_it_wrote() -> None:
    import tomllib

    for folder in sorted((ROOT / "processes").iterdir()):
        raw = tomllib.loads((folder / "procedure.toml").read_text("utf-8"))
        assert tomllib.loads(dumps(raw)) == raw
    tricky = {"a": 'quote " backslash \\ newline \n tab \t', "b": [1, 2.5, True], "c": {"d": {"e": "x"}},
              "f": [{"g": 1}, {"g": 2}], "legal_source": {"documents": ["text", {"number": "1", "title": "t"}]}}
    assert tomllib.loads(dumps(tricky)) == tricky
