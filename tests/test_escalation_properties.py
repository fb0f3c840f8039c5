"""A step's escalation rule drawn in the diagram (BPMN properties) overrides procedure.toml; malformed values
are element-level validation errors, so the designer sees them on the step before publishing."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from engine.dossiers.models import TaskRecord
from engine.procedures.escalation_rules import property_rules, rules_for
from engine.procedures.packages import read_package
from engine.reform.validation import has_errors, validate_package

from .conftest import Api, FakeClock
from .test_escalation import run_sweep
from .test_lifecycle import submit

ROOT = Path(__file__).resolve().parent.parent
META = {"escalation": {"warn_before_hours": 8, "reescalate_after_hours": 8, "warn_remaining": 0.25,
                       "escalate_at_due": True, "steps": {"Task_PheDuyet": {"warn_before_hours": 4}}}}
THAM_DINH = '<spiffworkflow:property name="timeBudget" value="P4D" />'


def test_properties_override_the_toml_step_and_procedure_rules() -> None:
    rules = rules_for(META, "Task_PheDuyet", {"warnBeforeHours": "2", "reescalateAfterHours": "1,5",
                                              "escalateAtDue": "False"})
    assert (rules.warn_before_hours, rules.reescalate_after_hours, rules.escalate_at_due) == (2.0, 1.5, False)
    assert rules_for(META, "Task_PheDuyet", {}).warn_before_hours == 4  # without properties: the toml's step
    assert rules_for(META, "Task_ThamDinh", {"formKey": "x", "timeBudget": "P4D"}).warn_before_hours == 8


def test_a_drawn_share_replaces_a_fixed_warning_from_the_toml() -> None:
    rules = rules_for(META, "Task_PheDuyet", {"warnRemaining": "0.5"})
    assert rules.warn_remaining == 0.5 and rules.warn_before_hours is None
    both = rules_for(META, "Task_PheDuyet", {"warnRemaining": "0.5", "warnBeforeHours": "3"})
    assert both.warn_before_hours == 3  # a fixed warning drawn beside it still wins, as in the toml


def test_malformed_and_empty_values() -> None:
    rules, bad = property_rules({"warnBeforeHours": "-1", "warnRemaining": "1.5", "escalateAtDue": "có",
                                 "reescalateAfterHours": "nan"})
    assert rules == {} and set(bad) == {"warnBeforeHours", "warnRemaining", "escalateAtDue", "reescalateAfterHours"}
    assert property_rules({"warnBeforeHours": "  ", "warnRemaining": ""}) == ({}, {})  # blank = not set
    # the scheduler never trips on a malformed value that slipped through: the toml's rule applies
    assert rules_for(META, "Task_PheDuyet", {"warnBeforeHours": "abc"}).warn_before_hours == 4


@pytest.fixture
def gpxd_dir(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "processes" / "gpxd-nha-o", tmp_path / "processes" / "gpxd-nha-o")
    shutil.copytree(ROOT / "processes" / "ho-kinh-doanh", tmp_path / "processes" / "ho-kinh-doanh")
    shutil.copytree(ROOT / "forms", tmp_path / "forms")
    return tmp_path / "processes" / "gpxd-nha-o"


def _draw(folder: Path, properties: str) -> None:
    path = folder / "process.bpmn"
    text = path.read_text(encoding="utf-8")
    assert THAM_DINH in text
    path.write_text(text.replace(THAM_DINH, THAM_DINH + properties, 1), encoding="utf-8")


def test_validation_names_the_step_with_a_malformed_value(gpxd_dir: Path) -> None:
    _draw(gpxd_dir, '<spiffworkflow:property name="warnRemaining" value="25%" />'
                    '<spiffworkflow:property name="escalateAtDue" value="true" />')
    findings = validate_package(read_package(gpxd_dir, gpxd_dir.parent.parent / "forms"))
    bad = [f for f in findings if f.code == "step-bad-escalation"]
    assert [(f.element, f.severity) for f in bad] == [("Task_ThamDinh", "error")]
    assert "warnRemaining" in bad[0].message_en and "25%" in bad[0].message_vi and has_errors(findings)


def test_well_formed_values_are_valid(gpxd_dir: Path) -> None:
    _draw(gpxd_dir, '<spiffworkflow:property name="warnBeforeHours" value="2" />'
                    '<spiffworkflow:property name="escalateAtDue" value="false" />')
    assert validate_package(read_package(gpxd_dir, gpxd_dir.parent.parent / "forms")) == []


def test_the_scheduler_uses_the_drawn_rule(app_factory: Any, gpxd_dir: Path) -> None:
    """The toml warns Task_ThamDinh 8 working hours before its due time; the diagram says 2."""
    clock = FakeClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    _draw(gpxd_dir, '<spiffworkflow:property name="warnBeforeHours" value="2" />')
    app: Flask = app_factory(processes_dir=gpxd_dir.parent, forms_dir=gpxd_dir.parent.parent / "forms", clock=clock)
    api = Api(app.test_client())
    clock.at("2026-03-02 09:00")
    code = submit(api, "gpxd-nha-o")["code"]  # Task_ThamDinh P4D: due Fri 6 Mar 09:00
    services = app.extensions["motcua"]
    with services.uow() as uow:
        task = uow.session.scalars(select(TaskRecord).where(TaskRecord.dossier_code == code)).one()
        assert task.bpmn_id == "Task_ThamDinh"
        expected = uow.calendar.subtract_working_time(task.due_at, timedelta(hours=2))
        assert task.next_escalation_at == expected
    clock.at("2026-03-05 09:00")  # the toml's 8-hour warning would fire here
    assert run_sweep(app) == {}
    clock.now = expected.astimezone(UTC) if expected.tzinfo else expected.replace(tzinfo=UTC)
    assert run_sweep(app) == {"warning": 1}
