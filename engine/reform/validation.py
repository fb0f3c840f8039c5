"""Validation a procedure designer can act on: every problem names its BPMN element, a code, and a
message in Vietnamese and English. Errors block publishing; warnings do not.

Beyond what compiling already checks (XML, XSD, metadata, forms, sandboxed scripts), the diagram's
structure is checked here: lanes and roles, time budgets (each step's, and the longest path's against the
legal time), reachability and dead ends, and gateways that can leave a dossier stuck.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from lxml import etree

from engine.dossiers.priorities import PRIORITIES
from engine.dossiers.projection import PRIORITY_PROPERTY
from engine.errors import InvalidPackage
from engine.people.actors import ROLES
from engine.procedures.escalation_rules import STEP_PROPERTIES, property_rules
from engine.procedures.metadata import METADATA_FILE, parse_metadata
from engine.procedures.packages import ProcedurePackage
from engine.procedures.specs import BUDGET_PROPERTY, compile_package
from engine.procedures.xmlsafe import parse_xml
from engine.time.working_time import parse_budget

from .parser_findings import explain

NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
      "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core"}
FLOW_NODES = ("startEvent", "endEvent", "userTask", "manualTask", "task", "scriptTask", "serviceTask",
              "businessRuleTask", "sendTask", "receiveTask", "callActivity", "subProcess", "exclusiveGateway",
              "inclusiveGateway", "parallelGateway", "eventBasedGateway", "intermediateCatchEvent",
              "intermediateThrowEvent", "boundaryEvent")
DAY = timedelta(hours=8)

MESSAGES: dict[str, tuple[str, str]] = {
    "task-no-lane": ("Bước “{name}” không thuộc làn (vai trò) nào.", "Step “{name}” is in no lane (role)."),
    "lane-unknown-role": ("Làn “{lane}” không phải là vai trò đã biết ({roles}).",
                          "Lane “{lane}” names no known role ({roles})."),
    "step-no-budget": ("Bước “{name}” chưa có thời hạn xử lý (timeBudget).",
                       "Step “{name}” has no time budget (timeBudget)."),
    "step-bad-budget": ("Thời hạn “{budget}” của bước “{name}” không hợp lệ.",
                        "The time budget “{budget}” of step “{name}” is not valid."),
    "budget-exceeds-legal": ("Tổng thời hạn các bước trên đường dài nhất ({total} giờ làm việc) vượt thời hạn "
                             "luật định ({legal} giờ làm việc).",
                             "The step budgets on the longest path ({total} working hours) exceed the legal "
                             "time ({legal} working hours)."),
    "unreachable": ("Phần tử “{name}” không thể đạt tới từ sự kiện bắt đầu.",
                    "Element “{name}” cannot be reached from the start event."),
    "dead-end": ("Phần tử “{name}” không có luồng đi ra và không phải sự kiện kết thúc.",
                 "Element “{name}” has no outgoing flow and is not an end event."),
    "gateway-incomplete": ("Cổng “{name}” có luồng ra không điều kiện và không có luồng mặc định.",
                           "Gateway “{name}” has outgoing flows without conditions and no default flow."),
    "gateway-no-default": ("Cổng “{name}” không có luồng mặc định: hồ sơ sẽ dừng nếu không điều kiện nào đúng.",
                           "Gateway “{name}” has no default flow: a dossier stops if no condition holds."),
    "step-bad-escalation": ("Giá trị “{value}” của thuộc tính leo thang {prop} ở bước “{name}” không hợp lệ ({hint}).",
                            "The value “{value}” of the escalation property {prop} on step “{name}” is not valid "
                            "({hint_en})."),
    "timer-bad-duration": ("Thời lượng “{value}” (workingDuration) của hẹn giờ “{name}” không hợp lệ.",
                           "The duration “{value}” (workingDuration) of timer “{name}” is not valid."),
    "step-bad-priority": ("Độ ưu tiên “{value}” của bước “{name}” không thuộc thang: hãy dùng normal (bình "
                          "thường), urgent (khẩn) hoặc most_urgent (thượng khẩn).",
                          "The priority “{value}” of step “{name}” is not on the scale: use normal, urgent or "
                          "most_urgent."),
    "compile": ("{message}", "{message}"),
}
# What each escalation property accepts, for the message (vi, en).
ESCALATION_HINTS = {"warnBeforeHours": ("số giờ làm việc ≥ 0", "working hours ≥ 0"),
                    "reescalateAfterHours": ("số giờ làm việc ≥ 0", "working hours ≥ 0"),
                    "warnRemaining": ("tỉ lệ từ 0 đến 1, ví dụ 0,25", "a share from 0 to 1, e.g. 0.25"),
                    "escalateAtDue": ("true hoặc false", "true or false")}
ERRORS = {"task-no-lane", "lane-unknown-role", "step-bad-budget", "step-bad-escalation", "budget-exceeds-legal",
          "unreachable", "dead-end", "gateway-incomplete", "timer-bad-duration", "compile"}
WORKING_DURATION = "workingDuration"  # a timer's duration in working time, read when a dossier reaches it


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str  # error | warning
    element: str | None
    message_vi: str
    message_en: str
    file: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def _finding(code: str, element: str | None, file: str | None = None, **values: Any) -> Finding:
    vi, en = MESSAGES[code]
    return Finding(code, "error" if code in ERRORS else "warning", element, vi.format(**values),
                   en.format(**values), file)


def validate_package(package: ProcedurePackage, roles: Iterable[str] = ROLES) -> list[Finding]:
    """Every problem of a package; an empty list means it can be published."""
    findings: list[Finding] = []
    try:
        compile_package(package)
    except InvalidPackage as exc:
        findings = [Finding(e.code, "error", e.element or _element_at(package, p.file, e.line), e.message_vi,
                            e.message_en, p.file) for p in exc.problems for e in (explain(p),)]
    meta, _problems = parse_metadata(package.files.get(METADATA_FILE, b""))
    if meta is None or not any(name == meta["bpmn"] for name in package.files):
        return findings
    # The diagram's structure is checked whenever it parses, to say more than the parser's first error.
    with contextlib.suppress(InvalidPackage):
        findings.extend(structural_findings(package, meta, set(roles)))
    return findings


def _element_at(package: ProcedurePackage, file: str | None, line: int | None) -> str | None:
    """The element a parser's line number points into: the innermost one with an id that starts on or before
    it (the schema names a tag and a line, and the designer's page marks elements by id)."""
    content = package.files.get(file or "")
    if line is None or content is None:
        return None
    try:
        root = parse_xml(content, file or "")
    except InvalidPackage:
        return None
    found = None
    for node in root.iter():
        if isinstance(node.tag, str) and (node.sourceline or 0) <= line and node.get("id"):
            found = node.get("id")
        if (node.sourceline or 0) > line:
            break
    return found


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity == "error" for f in findings)


class _Graph:
    def __init__(self, process: etree._Element) -> None:
        self.nodes: dict[str, etree._Element] = {}
        for tag in FLOW_NODES:
            for node in process.findall(f"bpmn:{tag}", NS):
                self.nodes[node.get("id")] = node
        self.out: dict[str, list[etree._Element]] = {n: [] for n in self.nodes}
        for flow in process.findall("bpmn:sequenceFlow", NS):
            if flow.get("sourceRef") in self.out:
                self.out[flow.get("sourceRef")].append(flow)
        self.attached: dict[str, list[str]] = {}
        for node_id, node in self.nodes.items():
            if etree.QName(node).localname == "boundaryEvent":
                self.attached.setdefault(node.get("attachedToRef"), []).append(node_id)

    def kind(self, node_id: str) -> str:
        return etree.QName(self.nodes[node_id]).localname

    def successors(self, node_id: str) -> list[str]:
        nexts = [f.get("targetRef") for f in self.out.get(node_id, [])]
        return [n for n in nexts + self.attached.get(node_id, []) if n in self.nodes]

    def name(self, node_id: str) -> str:
        return self.nodes[node_id].get("name") or node_id


def structural_findings(package: ProcedurePackage, meta: dict[str, Any], roles: set[str]) -> list[Finding]:
    bpmn_file = meta["bpmn"]
    root = parse_xml(package.files[bpmn_file], bpmn_file)
    process = next((p for p in root.findall("bpmn:process", NS) if p.get("id") == meta["process_id"]), None)
    if process is None:
        return []  # compiling reports the missing process
    graph = _Graph(process)
    findings: list[Finding] = []
    lane_of = {ref.text: lane.get("name") for lane in process.iter(f"{{{NS['bpmn']}}}lane")
               for ref in lane.findall("bpmn:flowNodeRef", NS)}
    budgets: dict[str, timedelta] = {}
    for node_id in graph.nodes:
        duration = _property(graph.nodes[node_id], WORKING_DURATION)
        if duration:
            try:
                parse_budget(duration, DAY)
            except ValueError:  # every dossier reaching the timer would fail there
                findings.append(_finding("timer-bad-duration", node_id, bpmn_file, name=graph.name(node_id),
                                         value=duration))
        if graph.kind(node_id) != "userTask":
            continue
        name = graph.name(node_id)
        lane = lane_of.get(node_id)
        if not lane:
            findings.append(_finding("task-no-lane", node_id, bpmn_file, name=name))
        elif lane not in roles:
            findings.append(_finding("lane-unknown-role", node_id, bpmn_file, lane=lane,
                                     roles=", ".join(sorted(roles))))
        findings.extend(_escalation_findings(graph.nodes[node_id], node_id, name, bpmn_file))
        priority = _property(graph.nodes[node_id], PRIORITY_PROPERTY)
        if priority is not None and priority.strip() not in PRIORITIES:
            findings.append(_finding("step-bad-priority", node_id, bpmn_file, name=name, value=priority))
        budget = _property(graph.nodes[node_id], BUDGET_PROPERTY)
        if not budget:
            findings.append(_finding("step-no-budget", node_id, bpmn_file, name=name))
            continue
        try:
            budgets[node_id] = parse_budget(budget, DAY)
        except ValueError:
            findings.append(_finding("step-bad-budget", node_id, bpmn_file, name=name, budget=budget))
    findings.extend(_flow_findings(graph, bpmn_file))
    findings.extend(_budget_findings(graph, budgets, meta, bpmn_file))
    return findings


def _property(node: etree._Element, name: str) -> str | None:
    values = node.xpath(f"bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property[@name='{name}']"
                        "/@value", namespaces=NS)
    return values[0] if values else None


def _escalation_findings(node: etree._Element, node_id: str, name: str, bpmn_file: str) -> list[Finding]:
    """The step's escalation overrides must parse: the scheduler reads them for every task of the step."""
    drawn = {prop: value for prop in STEP_PROPERTIES if (value := _property(node, prop)) is not None}
    _rules, bad = property_rules(drawn)
    return [_finding("step-bad-escalation", node_id, bpmn_file, name=name, prop=prop, value=value,
                     hint=ESCALATION_HINTS[prop][0], hint_en=ESCALATION_HINTS[prop][1]) for prop, value in bad.items()]


def _flow_findings(graph: _Graph, bpmn_file: str) -> list[Finding]:
    findings: list[Finding] = []
    starts = [n for n in graph.nodes if graph.kind(n) == "startEvent"]
    seen, stack = set(starts), list(starts)
    while stack:
        for nxt in graph.successors(stack.pop()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    for node_id in graph.nodes:
        kind = graph.kind(node_id)
        if node_id not in seen:
            findings.append(_finding("unreachable", node_id, bpmn_file, name=graph.name(node_id)))
        if kind != "endEvent" and not graph.out.get(node_id):
            findings.append(_finding("dead-end", node_id, bpmn_file, name=graph.name(node_id)))
        if kind in ("exclusiveGateway", "inclusiveGateway") and len(graph.out[node_id]) > 1:
            default = graph.nodes[node_id].get("default")
            unconditioned = [f for f in graph.out[node_id] if f.find("bpmn:conditionExpression", NS) is None
                             and f.get("id") != default]
            if unconditioned and not default:
                findings.append(_finding("gateway-incomplete", node_id, bpmn_file, name=graph.name(node_id)))
            elif not default:
                findings.append(_finding("gateway-no-default", node_id, bpmn_file, name=graph.name(node_id)))
    return findings


def _budget_findings(graph: _Graph, budgets: dict[str, timedelta], meta: dict[str, Any],
                     bpmn_file: str) -> list[Finding]:
    """The longest path from a start event, loops (send-backs) taken once, against the legal time.

    A depth-first walk (with its own stack: a diagram may be long) marks the edges that close a loop; without
    them the diagram is acyclic, and a node's longest path is known once all its successors are finished."""
    longest: dict[str, timedelta] = {}
    on_path: set[str] = set()
    for start in (s for s in graph.nodes if graph.kind(s) == "startEvent"):
        if start in longest:
            continue
        stack = [(start, iter(graph.successors(start)))]
        on_path.add(start)
        while stack:
            node_id, successors = stack[-1]
            nxt = next((n for n in successors if n not in on_path and n not in longest), None)
            if nxt is not None:
                stack.append((nxt, iter(graph.successors(nxt))))
                on_path.add(nxt)
                continue
            stack.pop()
            on_path.discard(node_id)
            after = [longest[n] for n in graph.successors(node_id) if n in longest]
            longest[node_id] = max(after, default=timedelta(0)) + budgets.get(node_id, timedelta(0))
    total = max((longest[s] for s in graph.nodes if graph.kind(s) == "startEvent"), default=timedelta(0))
    legal = meta["legal_time"]
    legal_hours = legal["value"] * (8 if legal["unit"] == "working_days" else 1)
    total_hours = total.total_seconds() / 3600
    if total_hours > legal_hours:
        return [_finding("budget-exceeds-legal", None, bpmn_file, total=f"{total_hours:g}",
                         legal=f"{legal_hours:g}")]
    return []
