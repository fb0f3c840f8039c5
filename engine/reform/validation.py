"""Validation a procedure designer can act on: every problem names its BPMN element, a code, and a
message in Vietnamese and English. Errors block publishing; warnings do not.

Beyond what compiling already checks (XML, XSD, metadata, forms, sandboxed scripts), the diagram's
structure is checked here: lanes and roles, time budgets (each step's, and the longest path's against the
legal time), reachability and dead ends, and gateways that can leave a dossier stuck.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import replace
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

from .data_flow import data_flow_findings
from .findings import ESCALATION_HINTS, Finding, finding
from .parser_findings import explain
from .structure import NS, Scope, lane_of, nearest_drawn, scopes

DAY = timedelta(hours=8)
WORKING_DURATION = "workingDuration"  # a timer's duration in working time, read when a dossier reaches it
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"


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
    return _on_the_diagram(package, meta, findings)


def _on_the_diagram(package: ProcedurePackage, meta: dict[str, Any], findings: list[Finding]) -> list[Finding]:
    """Each finding about the diagram names an element the designer's page can highlight: the element if it is
    drawn, else its nearest drawn ancestor, else the process (or the pool showing it)."""
    bpmn_file = meta["bpmn"]
    try:
        root = parse_xml(package.files[bpmn_file], bpmn_file)
    except InvalidPackage:
        return findings
    placed: list[Finding] = []
    for f in findings:
        if f.file in (bpmn_file, None) and f.code != "xml-syntax":
            f = replace(f, element=nearest_drawn(root, f.element or meta["process_id"], meta["process_id"]),
                        file=bpmn_file)
        placed.append(f)
    return placed


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


def structural_findings(package: ProcedurePackage, meta: dict[str, Any], roles: set[str]) -> list[Finding]:
    bpmn_file = meta["bpmn"]
    root = parse_xml(package.files[bpmn_file], bpmn_file)
    process = next((p for p in root.findall("bpmn:process", NS) if p.get("id") == meta["process_id"]), None)
    if process is None:
        return []  # compiling reports the missing process
    findings: list[Finding] = []
    budgets: dict[str, timedelta] = {}
    all_scopes = list(scopes(process))
    for scope in all_scopes:  # sub-processes' contents are checked as the top level's are
        for node_id in scope.nodes:
            findings.extend(_node_findings(process, scope, node_id, roles, budgets, bpmn_file))
        findings.extend(_flow_findings(scope, bpmn_file))
    findings.extend(_budget_findings(all_scopes, budgets, meta, bpmn_file))
    findings.extend(extension_findings(process, bpmn_file))
    findings.extend(data_flow_findings(package, meta, process, bpmn_file))
    return findings


def _node_findings(process: etree._Element, scope: Scope, node_id: str, roles: set[str],
                   budgets: dict[str, timedelta], bpmn_file: str) -> list[Finding]:
    findings: list[Finding] = []
    node = scope.nodes[node_id]
    duration = _property(node, WORKING_DURATION)
    if duration:
        try:
            parse_budget(duration, DAY)
        except ValueError:  # every dossier reaching the timer would fail there
            findings.append(finding("timer-bad-duration", node_id, bpmn_file, name=scope.name(node_id),
                                     value=duration))
    if scope.kind(node_id) != "userTask":
        return findings
    name = scope.name(node_id)
    lane = lane_of(process, node)
    if not lane:
        findings.append(finding("task-no-lane", node_id, bpmn_file, name=name))
    elif lane not in roles:
        findings.append(finding("lane-unknown-role", node_id, bpmn_file, lane=lane,
                                 roles=", ".join(sorted(roles))))
    findings.extend(_escalation_findings(node, node_id, name, bpmn_file))
    priority = _property(node, PRIORITY_PROPERTY)
    if priority is not None and priority.strip() not in PRIORITIES:
        findings.append(finding("step-bad-priority", node_id, bpmn_file, name=name, value=priority))
    budget = _property(node, BUDGET_PROPERTY)
    if not budget:
        findings.append(finding("step-no-budget", node_id, bpmn_file, name=name))
        return findings
    try:
        budgets[node_id] = parse_budget(budget, DAY)
    except ValueError:
        findings.append(finding("step-bad-budget", node_id, bpmn_file, name=name, budget=budget))
    return findings


def extension_findings(process: etree._Element, bpmn_file: str) -> list[Finding]:
    """What another modeler draws that Motcua does not run: said as a warning, never a block."""
    findings = [finding("data-store-ignored", ref.get("id"), bpmn_file, name=ref.get("name") or ref.get("id"))
                for ref in process.iter(f"{{{NS['bpmn']}}}dataStoreReference")]
    for form in process.iter(f"{{{CAMUNDA}}}formData"):
        node = next((a for a in form.iterancestors() if a.get("id")), None)
        if node is not None:
            fields = ", ".join(f"“{f.get('id')}”" for f in form.iter(f"{{{CAMUNDA}}}formField") if f.get("id"))
            findings.append(finding("camunda-form-ignored", node.get("id"), bpmn_file,
                                    name=node.get("name") or node.get("id"), fields=fields or "—"))
    return findings


def _property(node: etree._Element, name: str) -> str | None:
    values = node.xpath(f"bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property[@name='{name}']"
                        "/@value", namespaces=NS)
    return values[0] if values else None


def _escalation_findings(node: etree._Element, node_id: str, name: str, bpmn_file: str) -> list[Finding]:
    """The step's escalation overrides must parse: the scheduler reads them for every task of the step."""
    drawn = {prop: value for prop in STEP_PROPERTIES if (value := _property(node, prop)) is not None}
    _rules, bad = property_rules(drawn)
    return [finding("step-bad-escalation", node_id, bpmn_file, name=name, prop=prop, value=value,
                     hint=ESCALATION_HINTS[prop][0], hint_en=ESCALATION_HINTS[prop][1]) for prop, value in bad.items()]


def _flow_findings(scope: Scope, bpmn_file: str) -> list[Finding]:
    findings: list[Finding] = []
    seen = scope.reachable()
    for node_id in scope.nodes:
        kind = scope.kind(node_id)
        if node_id not in seen:
            findings.append(finding("unreachable", node_id, bpmn_file, name=scope.name(node_id)))
        if not scope.out.get(node_id) and not scope.may_end(node_id):
            if kind.endswith("Gateway") or kind == "startEvent":  # nothing to route or start: a drawing mistake
                vi, en = ("một cổng", "a gateway") if kind.endswith("Gateway") else ("một sự kiện bắt đầu",
                                                                                   "a start event")
                findings.append(finding("dead-end", node_id, bpmn_file, name=scope.name(node_id), kind_vi=vi,
                                        kind_en=en))
            else:
                findings.append(finding("implicit-end", node_id, bpmn_file, name=scope.name(node_id)))
        if kind in ("exclusiveGateway", "inclusiveGateway") and len(scope.out[node_id]) > 1:
            default = scope.nodes[node_id].get("default")
            unconditioned = [f for f in scope.out[node_id] if f.find("bpmn:conditionExpression", NS) is None
                             and f.get("id") != default]
            if unconditioned and not default:
                findings.append(finding("gateway-incomplete", node_id, bpmn_file, name=scope.name(node_id)))
            elif not default:
                findings.append(finding("gateway-no-default", node_id, bpmn_file, name=scope.name(node_id)))
    return findings


def _budget_findings(scopes_: list[Scope], budgets: dict[str, timedelta], meta: dict[str, Any],
                     bpmn_file: str) -> list[Finding]:
    """The longest path from a start event, loops (send-backs) taken once, against the legal time; a
    sub-process counts its own longest path (innermost first)."""
    for scope in reversed(scopes_[1:]):
        budgets[scope.element.get("id")] = _longest(scope, budgets)
    total = _longest(scopes_[0], budgets)
    legal = meta["legal_time"]
    legal_hours = legal["value"] * (8 if legal["unit"] == "working_days" else 1)
    total_hours = total.total_seconds() / 3600
    if total_hours > legal_hours:
        return [finding("budget-exceeds-legal", None, bpmn_file, total=f"{total_hours:g}",
                         legal=f"{legal_hours:g}")]
    return []


def _longest(graph: Scope, budgets: dict[str, timedelta]) -> timedelta:
    """A depth-first walk (with its own stack: a diagram may be long) marks the edges that close a loop; without
    them the diagram is acyclic, and a node's longest path is known once all its successors are finished."""
    longest: dict[str, timedelta] = {}
    on_path: set[str] = set()
    starts = graph.starts() or graph.roots()
    for start in starts:
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
    return max((longest[s] for s in starts), default=timedelta(0))
