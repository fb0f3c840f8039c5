"""Workflow state <-> bytes, with the spec stored by reference.

SpiffWorkflow's default serializer writes the whole process spec into every instance (about two thirds of
the bytes, and half of the deserialization time). A dossier row instead stores only the instance; the
spec is stored once per procedure version and handed back in when the workflow is restored.

The instance's JSON is deflated (zlib, level 1): a task tree repeats its keys and ids, so it shrinks to about a
third for some 40 µs, and every completion writes it (less WAL, no TOAST compression on PostgreSQL, a third of
the disk). States written before that are plain JSON and still load.
"""

from __future__ import annotations

import zlib
from datetime import date, datetime
from decimal import Decimal
from types import ModuleType
from typing import Any
from uuid import UUID

import orjson
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.migration.version_migration import MIGRATIONS
from SpiffWorkflow.bpmn.serializer.workflow import VERSION
from SpiffWorkflow.bpmn.specs import BpmnProcessSpec
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

VERSION_KEY = "serializer_version"


class ByReferenceWorkflowConverter(BpmnWorkflowConverter):
    """Writes the instance only; `from_dict` takes the spec from the caller (the version cache)."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any], spec: BpmnProcessSpec | None = None,
                  subprocess_specs: dict[str, BpmnProcessSpec] | None = None) -> BpmnWorkflow:
        if spec is None:
            raise ValueError("a workflow stored by reference needs its spec to be restored")
        workflow = self.target_class(spec, subprocess_specs or {}, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _registry(encoder_mode: bool) -> Any:
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = ByReferenceWorkflowConverter
    registry = BpmnWorkflowSerializer.configure(config)
    registry.register(date, lambda v: {"value": v.isoformat()}, lambda v: date.fromisoformat(v["value"]))
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda v: Decimal(v["value"]))
    # In encoder mode task data is left for orjson's `default` hook, as the stock JSON encoder does;
    # that avoids walking every data dict twice.
    registry._encoder_mode = encoder_mode
    return registry


# Separate registries: the encoder-mode flag is instance state and must not flip under another thread.
STATE_REGISTRY = _registry(encoder_mode=True)
SPEC_REGISTRY = _registry(encoder_mode=False)

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_NON_STR_KEYS


def _default(obj: Any) -> Any:
    typename = STATE_REGISTRY.typenames.get(type(obj))
    if typename is not None:
        return STATE_REGISTRY.convert_to_dict[typename](obj)
    if callable(obj) or isinstance(obj, ModuleType):
        return None
    if isinstance(obj, set | frozenset):
        return list(obj)
    raise TypeError(f"cannot store a value of type {type(obj).__name__} in a dossier")


STATE_COMPRESSION = 1  # zlib level: the fastest; higher levels gain a few percent for half again the time


def dump_workflow(workflow: BpmnWorkflow) -> bytes:
    dct = STATE_REGISTRY.convert(workflow)
    dct[VERSION_KEY] = VERSION
    return zlib.compress(orjson.dumps(dct, default=_default, option=_OPTIONS), STATE_COMPRESSION)


def state_json(state: bytes) -> bytes:
    """A stored state's JSON: deflated, or plain as written before deflating."""
    return state if state[:1] == b"{" else zlib.decompress(state)


def load_workflow(state: bytes, spec: BpmnProcessSpec,
                  subprocess_specs: dict[str, BpmnProcessSpec]) -> BpmnWorkflow:
    dct = orjson.loads(state_json(state))
    version = dct.pop(VERSION_KEY, VERSION)
    if version != VERSION and version in MIGRATIONS:
        MIGRATIONS[version](dct)
    return STATE_REGISTRY.restore(dct, spec=spec, subprocess_specs=subprocess_specs)


def dump_spec(spec: BpmnProcessSpec, subprocess_specs: dict[str, BpmnProcessSpec]) -> bytes:
    dct = {
        "spec": SPEC_REGISTRY.convert(spec),
        "subprocess_specs": {name: SPEC_REGISTRY.convert(s) for name, s in subprocess_specs.items()},
    }
    return orjson.dumps(dct, default=_default, option=_OPTIONS)


def load_spec(blob: bytes) -> tuple[BpmnProcessSpec, dict[str, BpmnProcessSpec]]:
    dct = orjson.loads(blob)
    spec = SPEC_REGISTRY.restore(dct["spec"])
    subs = {name: SPEC_REGISTRY.restore(s) for name, s in dct["subprocess_specs"].items()}
    return spec, subs


def encode_json(value: Any) -> bytes:
    """orjson with the same conventions as stored state (dates, Decimals) for API bodies."""
    return orjson.dumps(value, default=_default_plain, option=orjson.OPT_NON_STR_KEYS)


def _default_plain(obj: Any) -> Any:
    if isinstance(obj, Decimal):
        return str(obj)
    if isinstance(obj, set | frozenset):
        return list(obj)
    raise TypeError(f"not JSON serializable: {type(obj).__name__}")


__all__ = ["datetime", "dump_spec", "dump_workflow", "encode_json", "load_spec", "load_workflow", "state_json"]
