"""Does every variable a condition, script or timer reads get set before, on every path to it?

A dossier's task data starts as the submission form's answers (engine/dossiers/workflows.new_workflow) and
grows by each step's form fields, each script's assignments and each decision table's outputs. A designer who
deletes the step whose form sets `phe_duyet` leaves a gateway that tests it: every dossier would fail there.
So, over the whole diagram (sub-processes entered and left as they run), a classic data-flow analysis: what is
set on every path (must) and on some path (may) before each element. A read set on no path is an error, one set
on some paths only a warning. Expressions and scripts are Python (SpiffWorkflow's), read with `ast`; what
cannot be known here (a call activity, a message's payload, a loop's items) counts as setting everything.
"""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Iterable
from typing import Any

from lxml import etree

from engine.errors import InvalidPackage
from engine.procedures.forms import FormDefinition
from engine.procedures.packages import ProcedurePackage
from engine.procedures.sandbox import _BUILTINS, SCRIPT_GLOBALS
from engine.procedures.specs import FORM_PROPERTY, MAX_FLOW_NODES
from engine.procedures.xmlsafe import parse_xml

from .findings import Finding, finding
from .structure import FLOW_NODES, NS, SCOPE_TAGS, Scope, local, scopes

ALL = None  # "everything is set": after what cannot be known here
KNOWN_NAMES = frozenset(dir(builtins)) | frozenset(_BUILTINS) | frozenset(SCRIPT_GLOBALS) | {"floor", "ceil"}
ISO_8601 = re.compile(r"^R?\d*/?P(?:T?\d)|^\d{4}-\d\d-\d\d")  # an unquoted duration or date, not a variable
START = "#start"
Vars = frozenset[str] | None  # None: everything


def _parse(source: str, mode: str) -> ast.AST | None:
    try:
        return ast.parse(source.strip(), mode=mode)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None  # compiling reports it


def names(source: str | None, mode: str = "exec") -> tuple[set[str], set[str]]:
    """(names read before being bound in the source, names it binds). Order is the source's, except that an
    assignment binds its targets after its value is read (`x = x + 1` reads x) and a for loop binds its target
    before its body; function and lambda parameters and comprehension variables are bound throughout."""
    tree = _parse(source or "", mode) if source and source.strip() else None
    if tree is None:
        return set(), set()
    always = (0, -1)
    bound_at: dict[int, tuple[int, int]] = {}  # id(Name node) -> where it is bound
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            after = (node.end_lineno or 0, node.end_col_offset or 0)
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                bound_at.update((id(n), after) for n in ast.walk(target) if isinstance(n, ast.Name))
        elif isinstance(node, ast.For):
            after = (node.iter.end_lineno or 0, node.iter.end_col_offset or 0)
            bound_at.update((id(n), after) for n in ast.walk(node.target) if isinstance(n, ast.Name))
        elif isinstance(node, ast.comprehension):
            bound_at.update((id(n), always) for n in ast.walk(node.target) if isinstance(n, ast.Name))
    first_read: dict[str, tuple[int, int]] = {}
    first_bound: dict[str, tuple[int, int]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            at = (node.lineno, node.col_offset)
            if isinstance(node.ctx, ast.Load):
                first_read[node.id] = min(first_read.get(node.id, at), at)
            if not isinstance(node.ctx, ast.Load):
                where = bound_at.get(id(node), at)
                first_bound[node.id] = min(first_bound.get(node.id, where), where)
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            at = (node.lineno, node.col_offset)  # `x += 1` reads x first
            first_read[node.target.id] = min(first_read.get(node.target.id, at), at)
        elif isinstance(node, ast.arg):
            first_bound[node.arg] = always
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            first_bound[node.name] = always
        elif isinstance(node, ast.alias):
            first_bound[(node.asname or node.name).split(".")[0]] = always
    read = {n for n, at in first_read.items() if n not in first_bound or at < first_bound[n]}
    return read - KNOWN_NAMES, set(first_bound)


def _text(node: etree._Element, path: str) -> str | None:
    found = node.find(path, NS)
    return found.text if found is not None else None


def _property(node: etree._Element, name: str) -> str | None:
    values = node.xpath("bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property[@name=$n]/@value",
                        namespaces=NS, n=name)
    return values[0] if values else None


class _Diagram:
    """The diagram as one graph: each sub-process entered at its own node and left at `<id>#exit`."""

    def __init__(self, package: ProcedurePackage, meta: dict[str, Any], process: etree._Element) -> None:
        self.package, self.meta = package, meta
        self.nodes: dict[str, etree._Element] = {}
        self.preds: dict[str, list[str]] = {START: []}
        self.gen: dict[str, Vars] = {START: frozenset()}
        self.decisions = self._decisions()
        by_element = {}
        for scope in scopes(process):
            by_element[scope.element.get("id")] = scope
            self._add_scope(scope, by_element)

    def _entry(self, scope: Scope) -> str:
        return START if scope.parent is None else scope.element.get("id")

    def _add_scope(self, scope: Scope, by_element: dict[str, Scope]) -> None:
        entry = self._entry(scope)
        roots = set(scope.roots())
        for node_id, node in scope.nodes.items():
            self.nodes[node_id] = node
            self.gen[node_id] = self._sets(node)
            self.preds.setdefault(node_id, [])
            if node_id in roots:
                self.preds[node_id].append(entry)
            if local(node) in SCOPE_TAGS:
                self.gen[node_id + "#exit"] = frozenset()
                self.preds.setdefault(node_id + "#exit", [])
        for node_id in scope.nodes:
            source = node_id + "#exit" if local(scope.nodes[node_id]) in SCOPE_TAGS else node_id
            for nxt in scope.successors(node_id):
                if scope.kind(nxt) == "boundaryEvent" and scope.nodes[nxt].get("attachedToRef") == node_id:
                    continue  # a boundary event leaves its activity before it completes: see below
                self.preds[nxt].append(source)
        for node_id, node in scope.nodes.items():
            if scope.kind(node_id) == "boundaryEvent":
                self.preds[node_id] = list(self.preds.get(node.get("attachedToRef"), []))
        if scope.parent is not None:  # the sub-process completes when its flows end
            ends = [n for n in scope.nodes if not scope.out.get(n) and scope.may_end(n)
                    and not scope.is_event_subprocess(n) and not scope.is_compensation(n)]
            exit_id = scope.element.get("id") + "#exit"
            self.preds[exit_id] = [entry] if scope.ad_hoc or not ends else [
                n + "#exit" if local(scope.nodes[n]) in SCOPE_TAGS else n for n in ends]

    def _decisions(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for name in self.meta.get("dmn", []):
            try:
                root = parse_xml(self.package.files.get(name, b""), name)
            except InvalidPackage:  # compiling reports a DMN it cannot read
                continue
            for decision in root.iter("{*}decision"):
                found[decision.get("id", "")] = [o.get("name") for o in decision.iter("{*}output") if o.get("name")]
        return found

    def _sets(self, node: etree._Element) -> Vars:
        kind = local(node)
        if kind in ("callActivity", "serviceTask", "receiveTask") or node.find("bpmn:messageEventDefinition", NS) \
                is not None or node.find("bpmn:multiInstanceLoopCharacteristics", NS) is not None \
                or node.find("bpmn:standardLoopCharacteristics", NS) is not None:
            return ALL
        found: set[str] = set()
        form_key = _property(node, FORM_PROPERTY)
        if form_key:
            schema = self.package.forms.get(form_key)
            if not isinstance(schema, dict):
                return ALL  # a missing form is reported as such
            try:
                found.update(FormDefinition(form_key, schema).keys)
            except (AttributeError, TypeError, KeyError):
                return ALL
        for path in ("bpmn:script", "bpmn:extensionElements/spiffworkflow:preScript",
                     "bpmn:extensionElements/spiffworkflow:postScript"):
            found |= names(_text(node, path))[1]
        if kind == "businessRuleTask":
            decision = _text(node, "bpmn:extensionElements/spiffworkflow:calledDecisionId")
            outputs = self.decisions.get(decision or "")
            if outputs is None:
                return ALL  # compiling reports a missing decision
            found.update(outputs)
        for ref in node.xpath("bpmn:dataInputAssociation/bpmn:sourceRef/text()", namespaces=NS):
            data_object = node.getroottree().xpath("//bpmn:dataObjectReference[@id=$id]/@dataObjectRef",
                                                   namespaces=NS, id=ref.strip())
            found.add(data_object[0] if data_object else ref.strip())
        return frozenset(found)

    def reads(self, node_id: str) -> Iterable[tuple[str, bool]]:
        """(variable, read after the element's own work) for each variable the element reads."""
        node = self.nodes[node_id]
        if self.gen[node_id] is ALL:
            return
        pre = _text(node, "bpmn:extensionElements/spiffworkflow:preScript")
        pre_read, pre_set = names(pre)
        yield from ((v, False) for v in pre_read)
        script_read, _ = names(_text(node, "bpmn:script"))
        yield from ((v, False) for v in script_read - pre_set)
        yield from ((v, True) for v in names(_text(node, "bpmn:extensionElements/spiffworkflow:postScript"))[0])
        if _property(node, "workingDuration") is None:
            for timer in node.iterfind("bpmn:timerEventDefinition/*", NS):
                if timer.text and not ISO_8601.match(timer.text.strip()):
                    yield from ((v, False) for v in names(timer.text, "eval")[0])
        for flow in node.getparent().findall("bpmn:sequenceFlow", NS):
            if flow.get("sourceRef") == node_id:
                yield from ((v, True) for v in names(_text(flow, "bpmn:conditionExpression"), "eval")[0])


def _meet(values: list[Vars], union: bool) -> Vars:
    if union:
        return ALL if any(v is ALL for v in values) else frozenset().union(*values)
    known = [v for v in values if v is not ALL]
    return ALL if not known else frozenset.intersection(*known)


def _solve(diagram: _Diagram, union: bool) -> dict[str, Vars]:
    """What is set after each node: on every path (intersection, from "everything") or on some (union)."""
    out: dict[str, Vars] = {n: (frozenset() if union else ALL) for n in diagram.preds}
    out[START] = frozenset()
    changed = True
    while changed:
        changed = False
        for node_id, preds in diagram.preds.items():
            if node_id == START or not preds:
                continue
            before = _meet([out[p] for p in preds if p in out], union)
            gen = diagram.gen.get(node_id, frozenset())
            after = ALL if before is ALL or gen is ALL else before | gen
            if after != out[node_id]:
                out[node_id], changed = after, True
    return out


def data_flow_findings(package: ProcedurePackage, meta: dict[str, Any], process: etree._Element,
                       bpmn_file: str) -> list[Finding]:
    if sum(1 for e in process.iter() if local(e) in FLOW_NODES) > MAX_FLOW_NODES:
        return []  # compiling says the diagram is too large; the analysis is quadratic at worst
    diagram = _Diagram(package, meta, process)
    must, may = _solve(diagram, union=False), _solve(diagram, union=True)
    findings: list[Finding] = []
    for node_id, node in diagram.nodes.items():
        preds = diagram.preds.get(node_id) or []
        before_must = _meet([must[p] for p in preds if p in must], False) if preds else ALL
        before_may = _meet([may[p] for p in preds if p in may], True) if preds else ALL
        own = diagram.gen[node_id] or frozenset()
        name = node.get("name") or node_id
        for variable in sorted({v for v, after in diagram.reads(node_id) if not (after and v in own)}):
            if before_must is ALL or variable in before_must:
                continue
            if before_may is ALL or variable in before_may:
                setters = [diagram.nodes[n].get("name") or n for n, gen in diagram.gen.items()
                           if n in diagram.nodes and gen is not ALL and variable in gen][:3]
                findings.append(finding("data-partly-set", node_id, bpmn_file, name=name, variable=variable,
                                        setters=", ".join(f"“{s}”" for s in setters) or "?"))
            else:
                findings.append(finding("data-unset", node_id, bpmn_file, name=name, variable=variable))
    return findings
