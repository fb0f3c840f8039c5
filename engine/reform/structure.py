"""The diagram as graphs a designer's mistakes can be found in: one scope per process and per sub-process
(embedded, event, transaction, ad-hoc), each analysed on its own, as BPMN runs them.

What BPMN starts without a sequence flow is a root, not "unreachable": start events, event sub-processes
(their start event triggers them), compensation handlers (an association from a compensation boundary event
reaches them), every activity of an ad-hoc sub-process, and — in a scope with no start event — every node
without an incoming flow. Link events continue at their catching twin; boundary events leave their activity.
What ends without an outgoing flow is not a "dead end" either: end events, the same roots, link throws,
compensation boundary events, ad-hoc activities, and any node of a scope that draws no end event (BPMN's
implicit end).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NS = {"bpmn": BPMN, "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
      "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI"}
SCOPE_TAGS = ("subProcess", "transaction", "adHocSubProcess")
FLOW_NODES = frozenset({
    "startEvent", "endEvent", "userTask", "manualTask", "task", "scriptTask", "serviceTask", "businessRuleTask",
    "sendTask", "receiveTask", "callActivity", "exclusiveGateway", "inclusiveGateway", "parallelGateway",
    "eventBasedGateway", "complexGateway", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
    *SCOPE_TAGS})


def local(node: etree._Element) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def _has(node: etree._Element, definition: str) -> bool:
    return node.find(f"bpmn:{definition}", NS) is not None


@dataclass
class Scope:
    """A process or sub-process: its own flow nodes and sequence flows."""

    element: etree._Element
    parent: Scope | None = None
    nodes: dict[str, etree._Element] = field(default_factory=dict)
    out: dict[str, list[etree._Element]] = field(default_factory=dict)
    incoming: dict[str, list[str]] = field(default_factory=dict)
    attached: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ad_hoc(self) -> bool:
        return local(self.element) == "adHocSubProcess"

    def kind(self, node_id: str) -> str:
        return local(self.nodes[node_id])

    def name(self, node_id: str) -> str:
        return self.nodes[node_id].get("name") or node_id

    def starts(self) -> list[str]:
        return [n for n in self.nodes if self.kind(n) == "startEvent"]

    def is_event_subprocess(self, node_id: str) -> bool:
        return self.kind(node_id) == "subProcess" and self.nodes[node_id].get("triggeredByEvent") == "true"

    def is_compensation(self, node_id: str) -> bool:
        node = self.nodes[node_id]
        return node.get("isForCompensation") == "true" or (
            self.kind(node_id) == "boundaryEvent" and _has(node, "compensateEventDefinition"))

    def link_name(self, node_id: str) -> str | None:
        link = self.nodes[node_id].find("bpmn:linkEventDefinition", NS)
        return None if link is None else (link.get("name") or link.get("id") or "")

    def roots(self) -> list[str]:
        """What runs without an incoming sequence flow (see the module's docstring)."""
        starts = self.starts()
        found = [n for n in self.nodes if self.is_event_subprocess(n) or self.is_compensation(n)]
        if self.ad_hoc:
            return list(self.nodes)
        if starts:
            return starts + found
        return found + [n for n in self.nodes if not self.incoming.get(n) and self.kind(n) != "boundaryEvent"
                        and not (self.kind(n) == "intermediateCatchEvent" and self.link_name(n) is not None)]

    def successors(self, node_id: str) -> list[str]:
        nexts = [f.get("targetRef") for f in self.out.get(node_id, [])] + self.attached.get(node_id, [])
        if self.kind(node_id) == "intermediateThrowEvent" and (link := self.link_name(node_id)) is not None:
            nexts += [n for n in self.nodes if self.kind(n) == "intermediateCatchEvent" and self.link_name(n) == link]
        return [n for n in nexts if n in self.nodes]

    def may_end(self, node_id: str) -> bool:
        """Whether the node may have no outgoing flow."""
        kind = self.kind(node_id)
        return (kind == "endEvent" or self.ad_hoc or self.is_event_subprocess(node_id)
                or self.is_compensation(node_id)
                or (kind == "intermediateThrowEvent" and self.link_name(node_id) is not None)
                or not any(self.kind(n) == "endEvent" for n in self.nodes))

    def reachable(self) -> set[str]:
        seen = set(self.roots())
        stack = list(seen)
        while stack:
            for nxt in self.successors(stack.pop()):
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return seen


def scopes(process: etree._Element) -> Iterator[Scope]:
    """The process's scope, then every sub-process's, outermost first."""
    pending = [Scope(process)]
    while pending:
        scope = pending.pop(0)
        for child in scope.element:
            if local(child) in FLOW_NODES and child.get("id"):
                scope.nodes[child.get("id")] = child
                if local(child) in SCOPE_TAGS:
                    pending.append(Scope(child, scope))
        scope.out = {n: [] for n in scope.nodes}
        for flow in scope.element.findall("bpmn:sequenceFlow", NS):
            if flow.get("sourceRef") in scope.out:
                scope.out[flow.get("sourceRef")].append(flow)
                scope.incoming.setdefault(flow.get("targetRef"), []).append(flow.get("sourceRef"))
        for node_id, node in scope.nodes.items():
            if local(node) == "boundaryEvent":
                scope.attached.setdefault(node.get("attachedToRef"), []).append(node_id)
        yield scope


def lane_of(process: etree._Element, node: etree._Element) -> str | None:
    """The lane SpiffWorkflow gives a node: a sub-process hands its own lane down to everything inside it,
    so the outermost enclosing element drawn in a lane decides."""
    lanes = {ref.text: lane.get("name") for lane in process.iter(f"{{{BPMN}}}lane")
             for ref in lane.findall("bpmn:flowNodeRef", NS)}
    chain = [node, *(a for a in node.iterancestors() if local(a) in SCOPE_TAGS)]
    for element in reversed(chain):
        if lanes.get(element.get("id")):
            return lanes[element.get("id")]
    return None


def drawn_ids(root: etree._Element) -> set[str]:
    """Elements the diagram draws (a shape or an edge): the ones the designer's page can highlight."""
    return {e.get("bpmnElement") for e in root.iter(f"{{{NS['bpmndi']}}}BPMNShape", f"{{{NS['bpmndi']}}}BPMNEdge")}


def nearest_drawn(root: etree._Element, element_id: str, process_id: str | None) -> str | None:
    """The element if drawn, else its nearest drawn ancestor, else the process (or the pool showing it)."""
    drawn = drawn_ids(root)
    if element_id in drawn:
        return element_id
    base = element_id.split(".", 1)[0]  # SpiffWorkflow's own task specs: `Task.BoundaryEventSplit`
    found = root.xpath("//*[@id=$id]", id=base)
    for element in ([found[0], *found[0].iterancestors()] if found else []):
        if element.get("id") in drawn:
            return element.get("id")
        if local(element) == "process":
            break
    pools = [p.get("id") for p in root.iter(f"{{{BPMN}}}participant") if p.get("processRef") == process_id]
    drawn_pool = next((p for p in pools if p in drawn), None)
    return drawn_pool or process_id or element_id
