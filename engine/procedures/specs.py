"""Compile a procedure package (metadata + BPMN + DMN + forms) into runnable SpiffWorkflow specs.

Everything a designer can get wrong is reported as a list of Problems rather than the first exception,
so a modeler can highlight each offending element.
"""

from __future__ import annotations

import re
from copy import deepcopy
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import SPIFF_XSD, SpiffBpmnParser

from engine.errors import InvalidPackage, Problem

from .forms import FormDefinition, check_form
from .metadata import METADATA_FILE, parse_metadata
from .packages import ProcedurePackage
from .result_template import check_result_template
from .sandbox import MAX_EXPRESSION_CHARS, ScriptRejected, compile_expression, compile_script
from .xmlsafe import parse_xml

FORM_PROPERTY = "formKey"
BUDGET_PROPERTY = "timeBudget"
# SpiffWorkflow's DMN engine puts the input in place of each `?` of a cell with this (quadratic) pattern, on
# every evaluation: cells are bounded in length and in question marks at upload.
DMN_INPUT_MARK = re.compile(r'(\?)(?=(?:[^\'"]|[\'"][^\'"]*[\'"])*$)')
MAX_DMN_MARKS = 20
# A provincial procedure has a few dozen steps: a few hundred elements with ids (flow nodes, flows, lanes,
# shapes). SpiffWorkflow's parser follows the flows recursively and fails near 480 steps in a row; a chain of
# 1,500 tasks also made the validator recurse too deep.
MAX_ELEMENTS = 2000  # with an id, in one BPMN or DMN file
MAX_FLOW_NODES = 250  # tasks, events, gateways, sub-processes
# SpiffWorkflow's own task specs in every process: an element with one of these ids replaces it, and every
# submission then fails (a start event named `Start`) or a dossier ends at once (a task named `End`).
RESERVED_IDS = frozenset({"Start", "End", "Root"})
RESERVED_SUFFIXES = (".EndJoin", ".BoundaryEventSplit", ".BoundaryEventJoin", ".BoundaryEventParent")
# What the BPMN 2.0 schema (and SpiffWorkflow's own extensions) define; other namespaces are modelers' own.
OWN_NAMESPACES = frozenset({
    "http://www.omg.org/spec/BPMN/20100524/MODEL", "http://www.omg.org/spec/BPMN/20100524/DI",
    "http://www.omg.org/spec/DD/20100524/DC", "http://www.omg.org/spec/DD/20100524/DI",
    "http://spiffworkflow.org/bpmn/schema/1.0/core", "http://www.w3.org/2001/XMLSchema-instance",
    "http://www.w3.org/XML/1998/namespace"})
BPMN_NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}


class LenientValidator(BpmnValidator):
    """The BPMN schema check, blind to other modelers' extensions: elements and attributes in their own
    namespaces (colours, Camunda's or Signavio's properties, even where BPMN has no extension point, as in the
    diagram interchange) are left out of a copy that is validated instead."""

    def validate(self, bpmn: Any, filename: str | None = None) -> None:
        root = bpmn.getroot() if hasattr(bpmn, "getroot") else bpmn
        self.preprocess(root)  # SpiffWorkflow's own fix-up, which its parser then reads
        if any(_foreign(e.tag) or any(_foreign(a) for a in e.attrib) for e in root.iter() if isinstance(e.tag, str)):
            root = _without_foreign(root)
        super().validate(root, filename)


def _foreign(name: str) -> bool:
    return name.startswith("{") and name[1:].split("}", 1)[0] not in OWN_NAMESPACES


def _without_foreign(root: etree._Element) -> etree._Element:
    copy = deepcopy(root)  # keeps the source lines, for the findings
    for element in list(copy.iter()):
        if not isinstance(element.tag, str) or _foreign(element.tag):
            if element.getparent() is not None and isinstance(element.tag, str):
                element.getparent().remove(element)
            continue
        for name in [a for a in element.attrib if _foreign(a)]:
            del element.attrib[name]
    return copy


VALIDATOR = LenientValidator(imports={"spiffworkflow": SPIFF_XSD})


def without_data_stores(root: etree._Element) -> list[str]:
    """Motcua connects no data store: one drawn is documentation (validation warns). Its definition and the
    associations reading or writing it are taken out before SpiffWorkflow, which would refuse the diagram."""
    stores = root.xpath("//bpmn:dataStore", namespaces=BPMN_NS)
    references = set(root.xpath("//bpmn:dataStoreReference/@id", namespaces=BPMN_NS))
    for association in root.xpath("//bpmn:dataInputAssociation | //bpmn:dataOutputAssociation", namespaces=BPMN_NS):
        ends = association.xpath("bpmn:sourceRef/text() | bpmn:targetRef/text()", namespaces=BPMN_NS)
        if references & {e.strip() for e in ends}:
            association.getparent().remove(association)
    for store in stores:
        if store.getparent() is not None and etree.QName(store.getparent()).localname == "definitions":
            store.getparent().remove(store)  # one misplaced inside a process is the schema's finding
    return [s.get("name") or s.get("id") for s in stores]


@dataclass(frozen=True)
class Step:
    """A human step of a procedure, as drawn: its lane (a role), its form and its time budget."""

    bpmn_id: str
    name: str
    role: str | None
    form_key: str | None
    time_budget: str | None
    properties: dict[str, str]


@dataclass
class CompiledProcedure:
    code: str
    content_hash: str
    meta: dict[str, Any]
    spec: BpmnProcessSpec
    subprocess_specs: dict[str, BpmnProcessSpec]
    forms: dict[str, FormDefinition]
    steps: dict[str, Step] = field(default_factory=dict)
    start_form: str | None = None
    version_id: int | None = None
    version_number: int | None = None
    has_timers: bool = False  # lets saving skip looking for waiting timers in procedures that have none


def compile_package(package: ProcedurePackage) -> CompiledProcedure:
    """Parse and check a package; raise InvalidPackage listing every problem found."""
    meta, problems = parse_metadata(package.files.get(METADATA_FILE, b""))
    if METADATA_FILE not in package.files:
        problems = [Problem("metadata-missing", f"{METADATA_FILE} is missing", file=METADATA_FILE)]
    if meta is None:
        raise InvalidPackage(problems)
    if meta["code"] != package.code:
        raise InvalidPackage([Problem("metadata-invalid", f"code '{meta['code']}' does not match the "
                                      f"folder '{package.code}'", file=METADATA_FILE, field="code")])

    # forms first: one nested too deeply cannot even be hashed
    problems = [problem for name, schema_json in package.forms.items() for problem in check_form(name, schema_json)]
    if problems:
        raise InvalidPackage(problems)
    spec, subprocess_specs = _parse_bpmn(package, meta)
    compiled = CompiledProcedure(
        code=package.code, content_hash=package.content_hash, meta=meta, spec=spec,
        subprocess_specs=subprocess_specs, forms={name: FormDefinition(name, schema_json)
                                              for name, schema_json in package.forms.items()},
    )
    problems.extend(_check_scripts(spec, subprocess_specs))
    problems.extend(collect_steps(compiled, package.bpmn_name))
    sign_step = meta["result"].get("sign_step")
    if sign_step and sign_step not in compiled.steps:
        problems.append(Problem("metadata-invalid", f"{METADATA_FILE}: result.sign_step: '{sign_step}' is not a "
                                "user task of the process", file=METADATA_FILE, field="result.sign_step"))
    problems.extend(check_result_template(package.files, meta))
    if problems:
        raise InvalidPackage(problems)
    return compiled


def _parse_bpmn(package: ProcedurePackage, meta: dict[str, Any]
                ) -> tuple[BpmnProcessSpec, dict[str, BpmnProcessSpec]]:
    parser = SpiffBpmnParser(validator=VALIDATOR)
    documents = [(meta["bpmn"], "bpmn"), *((name, "dmn") for name in meta["dmn"])]
    for filename, kind in documents:
        content = package.files.get(filename)
        if content is None:
            raise InvalidPackage([Problem("file-missing", f"{filename} is named in {METADATA_FILE} but "
                                          "is not in the package", file=filename)])
        root = parse_xml(content, filename)
        problems = _bounds(root, filename)
        if problems:
            raise InvalidPackage(problems)
        # XML comments say nothing to the engine, and SpiffWorkflow's task parsers trip on one inside a task
        etree.strip_tags(root, etree.Comment, etree.ProcessingInstruction)
        if kind == "bpmn":
            without_data_stores(root)
        try:
            if kind == "bpmn":
                parser.add_bpmn_xml(root.getroottree(), filename)
            else:
                parser.add_dmn_xml(root, filename)
        except ValidationException as exc:
            raise InvalidPackage([_problem_from(exc, "bpmn-invalid", filename)]) from exc
        except (SpiffWorkflowException, etree.XPathError) as exc:  # XPath: an id with a quote, say
            raise InvalidPackage([Problem("bpmn-invalid", f"{filename}: {exc}", file=filename)]) from exc
    try:
        spec = parser.get_spec(meta["process_id"])
        subprocess_specs = parser.get_subprocess_specs(meta["process_id"])
    except ValidationException as exc:
        raise InvalidPackage([_problem_from(exc, "bpmn-invalid", meta["bpmn"])]) from exc
    except (SpiffWorkflowException, KeyError, ValueError, etree.XPathError) as exc:
        raise InvalidPackage([Problem("bpmn-invalid", f"{meta['bpmn']}: {exc}", file=meta["bpmn"])]) from exc
    except Exception as exc:  # the parser trips on hostile input in ways of its own (DMN tables parse here)
        raise InvalidPackage([Problem("bpmn-invalid", f"{meta['bpmn']}: {type(exc).__name__}: {str(exc)[:300]}",
                                      file=meta["bpmn"])]) from exc
    return spec, subprocess_specs


def _bounds(root: etree._Element, filename: str) -> list[Problem]:
    """What SpiffWorkflow would accept but a dossier could not live with: more elements than any procedure
    has (parsing, validating and running a chain of thousands of steps recurse and take seconds), and ids
    SpiffWorkflow gives its own task specs, so that the diagram's element would be taken for them."""
    elements = root.xpath("//*[@id]")
    if len(elements) > MAX_ELEMENTS:
        return [Problem("bpmn-too-large", f"{filename}: {len(elements)} elements; a procedure may have at most "
                        f"{MAX_ELEMENTS}", file=filename)]
    nodes = sum(_is_flow_node(etree.QName(element).localname) for element in elements)
    if nodes > MAX_FLOW_NODES:
        return [Problem("bpmn-too-large", f"{filename}: {nodes} steps, events and gateways; a procedure may have "
                        f"at most {MAX_FLOW_NODES}", file=filename)]
    return [Problem("bpmn-reserved-id", f"{filename}: the id '{element_id}' is reserved by the workflow engine; "
                    "rename the element", file=filename, element=element_id)
            for element in elements if _reserved(element_id := element.get("id"))]


def _is_flow_node(tag: str) -> bool:
    return tag.endswith(("Task", "Event", "Gateway")) or tag in ("task", "subProcess", "callActivity", "transaction")


def _reserved(element_id: str) -> bool:
    return element_id in RESERVED_IDS or element_id.endswith(RESERVED_SUFFIXES)


def _problem_from(exc: ValidationException, code: str, filename: str) -> Problem:
    where = f" (line {exc.line_number})" if getattr(exc, "line_number", "") else ""
    return Problem(code, f"{filename}{where}: {exc}", file=filename, element=getattr(exc, "id", None) or None)


def _all_specs(spec: BpmnProcessSpec, subs: dict[str, BpmnProcessSpec]) -> list[BpmnProcessSpec]:
    return [spec, *subs.values()]


def _check_scripts(spec: BpmnProcessSpec, subs: dict[str, BpmnProcessSpec]) -> list[Problem]:
    """Compile every script and expression with the sandbox now (bounded in size and nesting), so a hostile
    one never reaches a dossier: scripts, conditions, timer and loop expressions, and DMN tables' cells."""
    problems: list[Problem] = []
    for process in _all_specs(spec, subs):
        for task_spec in process.task_specs.values():
            element = getattr(task_spec, "bpmn_id", None) or task_spec.name
            for source, kind in _sources(task_spec):
                try:
                    (compile_script if kind == "script" else compile_expression)(source)
                except ScriptRejected as exc:
                    problems.append(Problem("script-rejected", f"{element}: {exc}", element=element))
                except SyntaxError as exc:
                    problems.append(Problem("script-syntax", f"{element}: {exc}", element=element))
                except (RecursionError, MemoryError):  # the parser's own limits: nested far beyond any script
                    problems.append(Problem("script-too-deep", f"{element}: the script is nested too deeply to "
                                            "compile", element=element))
            problems.extend(_check_decision(task_spec, element))
    return problems


def _check_decision(task_spec: Any, element: str) -> list[Problem]:
    """A business rule task's decision table: every expression SpiffWorkflow's DMN engine will evaluate, built
    as it builds them (`DMNEngine.evaluate`), compiled through the sandbox. Findings name the task (the DMN's
    elements are not in the diagram) and the table's rule and column."""
    table = getattr(getattr(task_spec, "dmnEngine", None), "decision_table", None)
    if table is None:
        return []
    problems: list[Problem] = []
    name = table.name or table.id

    def check(source: str, where: str) -> None:
        try:
            compile_expression(source)
        except ScriptRejected as exc:
            problems.append(Problem("dmn-rejected", f"{element}: decision '{name}', {where}: {exc}",
                                    element=element))

    for column in table.inputs:
        label = column.label or column.id
        if not column.expression:  # SpiffWorkflow would evaluate repr() of task data instead
            problems.append(Problem("dmn-rejected", f"{element}: decision '{name}', input '{label}' has no "
                                    "expression", element=element))
        else:
            check(column.expression, f"input '{label}'")
    for rule in table.rules:
        for entry in rule.inputEntries:
            where = f"rule {rule.row_number} ({rule.id}), input '{entry.input.label or entry.input.id}'"
            for cell in entry.lhs:
                if cell is None:
                    continue
                if len(cell) > MAX_EXPRESSION_CHARS or cell.count("?") > MAX_DMN_MARKS:
                    problems.append(Problem("dmn-rejected", f"{element}: decision '{name}', {where}: longer than "
                                            f"{MAX_EXPRESSION_CHARS:,} characters or more than {MAX_DMN_MARKS} '?'",
                                            element=element))
                    continue
                check(_dmn_test(cell, entry.input.expression or "None"), where)
        for out in rule.outputEntries:
            if out.text:
                check(out.text, f"rule {rule.row_number} ({rule.id}), output '{out.output.name or out.output.id}'")
    return problems


def _dmn_test(cell: str, input_expression: str) -> str:
    """The expression DMNEngine.evaluate builds from an input cell (a `?` stands for the input)."""
    marked = DMN_INPUT_MARK.sub("dmninputexpr", cell)
    if "dmninputexpr" in marked:
        return marked
    for candidate, needs_eq in ((cell, True), (f"v {cell}", False)):
        try:
            compile(candidate, "<dmn>", "exec", dont_inherit=True, flags=0x400)  # ast.PyCF_ONLY_AST: parse only
        except SyntaxError:
            continue
        except (RecursionError, MemoryError, ValueError):
            return cell  # compile_expression says why
        return f"({input_expression}) == ({cell})" if needs_eq else input_expression + cell
    return cell  # neither parses: compile_expression reports the syntax error


def _sources(task_spec: Any) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for attr in ("script", "prescript", "postscript"):
        value = getattr(task_spec, attr, None)
        if isinstance(value, str) and value.strip():
            found.append((value, "script"))
    for condition, _target in getattr(task_spec, "cond_task_specs", []) or []:
        # conditions are wrapped in an operator object whose first argument is the expression
        expression = condition.args[0] if hasattr(condition, "args") and condition.args else condition
        if isinstance(expression, str) and expression.strip():
            found.append((expression, "expression"))
    for attr in ("cardinality", "condition"):
        value = getattr(task_spec, attr, None)
        if isinstance(value, str) and value.strip():
            found.append((value, "expression"))
    event = getattr(task_spec, "event_definition", None)
    expression = getattr(event, "expression", None)
    if isinstance(expression, str) and expression.strip():
        found.append((expression, "expression"))
    return found


def collect_steps(compiled: CompiledProcedure, bpmn_file: str) -> list[Problem]:
    """Index the human steps and the start form; report form keys that name no form."""
    problems: list[Problem] = []
    compiled.has_timers = any(isinstance(getattr(spec, "event_definition", None), TimerEventDefinition)
                              for process in _all_specs(compiled.spec, compiled.subprocess_specs)
                              for spec in process.task_specs.values())
    start = compiled.spec.start
    for process in _all_specs(compiled.spec, compiled.subprocess_specs):
        for task_spec in process.task_specs.values():
            props = (getattr(task_spec, "extensions", None) or {}).get("properties", {}) or {}
            form_key = props.get(FORM_PROPERTY)
            if form_key and form_key not in compiled.forms:
                problems.append(Problem("form-unknown", f"{task_spec.name}: form '{form_key}' not found",
                                        file=bpmn_file, element=task_spec.name))
            if isinstance(task_spec, UserTask):
                compiled.steps[task_spec.name] = Step(
                    bpmn_id=task_spec.name, name=task_spec.bpmn_name or task_spec.name,
                    role=task_spec.lane, form_key=form_key, time_budget=props.get(BUDGET_PROPERTY),
                    properties=dict(props))
            elif form_key and process is compiled.spec and task_spec in start.outputs:
                compiled.start_form = form_key
    return problems
