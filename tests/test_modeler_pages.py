"""The designer's modeler page carries bpmn-js's Vietnamese dictionary and the element templates (common one-stop
steps); a diagram built from those templates validates; the diff page says which elements to colour."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from engine.procedures.packages import read_package
from engine.reform.element_templates import element_templates, form_for

from .conftest import Api
from .test_officer_pages import signed_in
from .test_reform import HKD, reformed_package

ROOT = Path(__file__).resolve().parent.parent


def page_config(html: str, element_id: str) -> dict[str, Any]:
    found = re.search(rf'<script type="application/json" id="{element_id}">(.*?)</script>', html, re.S)
    assert found, element_id
    return dict(json.loads(found.group(1)))


def test_the_modeler_page_carries_the_translations_and_the_templates(app_factory: Any) -> None:
    pages, _token = signed_in(app_factory(), "quantri")
    config = page_config(pages.get(f"/designer/{HKD}/versions/1").get_data(as_text=True), "designer-config")
    assert config["translations"]["Create start event"] == "Tạo sự kiện bắt đầu"
    assert config["translations"]["Append task"] == "Thêm bước tiếp theo"
    assert config["text"]["budgetDays"] == "Thời hạn: số ngày làm việc"
    assert config["dayHours"] == 8  # the default calendar: 7:30-11:30 and 13:00-17:00
    templates = {t["id"]: t for t in config["templates"]}
    assert list(templates) == ["receive", "appraise", "approve", "return", "transfer"]
    assert templates["receive"] == {**templates["receive"], "label": "Tiếp nhận", "role": "reception",
                                    "timeBudget": "PT4H", "type": "bpmn:UserTask"}
    assert templates["transfer"]["label"] == "Chuyển đơn vị khác"
    english = page_config(pages.get(f"/designer/{HKD}/versions/1?lang=en").get_data(as_text=True), "designer-config")
    assert english["translations"] == {}  # bpmn-js speaks English by itself
    assert [t["label"] for t in english["templates"]][:2] == ["Receive", "Appraise"]
    assert english["text"]["leaveUnsaved"].startswith("You have unsaved changes")


def template_diagram(forms: list[str]) -> str:
    """A one-stop procedure drawn from the templates alone: a start event, one task per template in the lane of
    its role, an end event; with its diagram interchange, as the modeler would save it."""
    templates = element_templates("vi")
    roles = list(dict.fromkeys(t["role"] for t in templates))
    nodes = [("startEvent", "StartEvent_1", None)] + [("userTask", f"Task_{t['id']}", t) for t in templates] + \
        [("endEvent", "EndEvent_1", None)]
    lane_of = {node: (t["role"] if t else "reception") for _kind, node, t in nodes}
    lanes = "".join(f'<bpmn:lane id="Lane_{r}" name="{r}">'
                    + "".join(f"<bpmn:flowNodeRef>{n}</bpmn:flowNodeRef>" for n, lr in lane_of.items() if lr == r)
                    + "</bpmn:lane>" for r in roles)
    body = []
    for i, (kind, node, template) in enumerate(nodes):
        flows = (f"<bpmn:incoming>F{i - 1}</bpmn:incoming>" if i else "") + \
            (f"<bpmn:outgoing>F{i}</bpmn:outgoing>" if i < len(nodes) - 1 else "")
        if template is None:
            form = '<bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property name="formKey" ' \
                   'value="hkd-nop-ho-so" /></spiffworkflow:properties></bpmn:extensionElements>' if i == 0 else ""
            body.append(f'<bpmn:{kind} id="{node}">{form}{flows}</bpmn:{kind}>')
            continue
        body.append(
            f'<bpmn:userTask id="{node}" name="{template["name"]}"><bpmn:extensionElements>'
            f'<spiffworkflow:instructionsForEndUser>{template["instructions"]}</spiffworkflow:instructionsForEndUser>'
            f'<spiffworkflow:properties><spiffworkflow:property name="formKey" value="{form_for(template, forms)}" />'
            f'<spiffworkflow:property name="timeBudget" value="{template["timeBudget"]}" />'
            f"</spiffworkflow:properties></bpmn:extensionElements>{flows}</bpmn:userTask>")
    body += [f'<bpmn:sequenceFlow id="F{i}" sourceRef="{nodes[i][1]}" targetRef="{nodes[i + 1][1]}" />'
             for i in range(len(nodes) - 1)]
    shapes = [f'<bpmndi:BPMNShape id="{r}_di" bpmnElement="Lane_{r}" isHorizontal="true">'
              f'<dc:Bounds x="160" y="{80 + 120 * j}" width="{130 * len(nodes) + 40}" height="120" />'
              "</bpmndi:BPMNShape>" for j, r in enumerate(roles)]
    shapes.append(f'<bpmndi:BPMNShape id="P_di" bpmnElement="P" isHorizontal="true"><dc:Bounds x="130" y="80" '
                  f'width="{130 * len(nodes) + 70}" height="{120 * len(roles)}" /></bpmndi:BPMNShape>')
    for i, (_kind, node, _t) in enumerate(nodes):
        y = 100 + 120 * roles.index(lane_of[node])
        shapes.append(f'<bpmndi:BPMNShape id="{node}_di" bpmnElement="{node}">'
                      f'<dc:Bounds x="{200 + 130 * i}" y="{y}" width="100" height="80" /></bpmndi:BPMNShape>')
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
            'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
            'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="D" '
            'targetNamespace="http://bpmn.io/schema/bpmn"><bpmn:collaboration id="C">'
            '<bpmn:participant id="P" processRef="ho_kinh_doanh" /></bpmn:collaboration>'
            f'<bpmn:process id="ho_kinh_doanh" isExecutable="true"><bpmn:laneSet id="LS">{lanes}</bpmn:laneSet>'
            + "".join(body) + '</bpmn:process><bpmndi:BPMNDiagram id="DI"><bpmndi:BPMNPlane id="PL" '
            'bpmnElement="C">' + "".join(shapes) + "</bpmndi:BPMNPlane></bpmndi:BPMNDiagram></bpmn:definitions>")


def test_a_diagram_built_from_the_templates_validates(app_factory: Any) -> None:
    api = Api(app_factory().test_client())
    package = read_package(ROOT / "processes" / HKD, ROOT / "forms")
    # the package's forms, one per template under the names the templates look for (hkd-tham-dinh exists)
    base = package.forms["hkd-tham-dinh"]
    forms = {"hkd-nop-ho-so": package.forms["hkd-nop-ho-so"],
             **{f"hkd-{t['form']}": base for t in element_templates("vi")}}
    files = package.text_files()
    files["process.bpmn"] = template_diagram(sorted(forms))
    files["procedure.toml"] = files["procedure.toml"].replace("value = 3\n", "value = 5\n", 1)
    # the result is signed after the new diagram's approval step, which the template named "approve"
    files["procedure.toml"] = files["procedure.toml"].replace('"Task_PheDuyet"', '"Task_approve"')
    resp = api.post("/procedures/validate", "quantri", json={"code": HKD, "files": files, "forms": forms})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["valid"] is True, resp.get_json()["problems"]
    assert [p for p in resp.get_json()["problems"] if p["severity"] == "error"] == []
    # a template whose form the package lacks points at no form: the designer picks one
    assert form_for(element_templates("vi")[0], ["hkd-tham-dinh"]) == ""


def test_the_diff_page_says_which_elements_to_colour(app_factory: Any) -> None:
    api = Api(app_factory().test_client())
    number = api.post(f"/procedures/{HKD}/drafts", "quantri", json=reformed_package()).get_json()["version"]["number"]
    pages, _token = signed_in(api.client.application, "quantri")
    html = pages.get(f"/designer/{HKD}/diff?from=1&to={number}").get_data(as_text=True)
    old = re.search(r'data-diagram="old"([^>]*)>', html)
    new = re.search(r'data-diagram="new"([^>]*)>', html)
    assert old and new
    assert 'data-removed="Task_NhanKetQua"' in old.group(1)  # red on the old diagram
    assert 'data-changed="Task_PheDuyet"' in old.group(1) and 'data-changed="Task_PheDuyet"' in new.group(1)
    assert 'data-added=""' in new.group(1) and 'data-removed=""' in new.group(1)
    diagrams = page_config(html, "diff-diagrams")
    assert "Task_NhanKetQua" in diagrams["old"] and "Task_NhanKetQua" not in diagrams["new"]
    assert "data-legend" in html and "vendor/bpmn-viewer.js" in html
    back = pages.get(f"/designer/{HKD}/diff?from={number}&to=1").get_data(as_text=True)  # the other way round
    added = re.search(r'data-diagram="new"([^>]*)>', back)
    assert added and 'data-added="Task_NhanKetQua"' in added.group(1)  # green on the new diagram
