"""Form 07, the dossier register, as a PDF/A on landscape A4: the rows of a register search of the officer's
units (as the CSV export has them), rendered outside any transaction, stored and audited like the other forms."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.dossiers.documents import DocumentRenderer, _fmt_d
from engine.dossiers.register import RegisterQuery
from engine.errors import ValidationFailed
from engine.people.actors import Actor
from engine.people.models import Unit
from engine.people.places import place_name
from engine.rendering.pdf import html_to_pdf
from engine.rendering.service import RenderedPdf, UowFactory, _keep
from engine.time.clock import LOCAL_TZ

from .register_form import COLUMNS, register_rows

MAX_ROWS = 2_000  # one PDF; a longer register is exported as CSV, or searched by a narrower period
TEMPLATE = "07-register.html"


def _cell(value: Any) -> Any:
    return _fmt_d(value) if isinstance(value, datetime) else ("" if value is None else value)


def render_register_pdf(uow_factory: UowFactory, renderer: DocumentRenderer, actor: Actor,
                        query: RegisterQuery) -> RenderedPdf:
    with uow_factory() as uow:
        rows: list[list[Any]] = []
        for row in register_rows(uow, actor, query):  # a unit not the officer's raises NotFound here
            if len(rows) >= MAX_ROWS:
                raise ValidationFailed("too many dossiers for one PDF", {
                    "limit": [f"Sổ theo dõi quá {MAX_ROWS} hồ sơ: hãy thu hẹp khoảng thời gian hoặc tải CSV."]})
            rows.append([_cell(v) for v in row])
        unit = uow.session.get(Unit, query.unit) if query.unit else None
        context = {"doc": {"kind": "register", "number": "07", "title": "Sổ theo dõi hồ sơ"},
                   "columns": [vi for vi, _ in COLUMNS], "rows": rows,
                   "unit_name": unit.name if unit else None, "place": place_name(unit),
                   "now": uow.clock().astimezone(LOCAL_TZ),
                   "period": {"from": query.received.start,
                              "to": query.received.end}}
        html = renderer.env.get_template(TEMPLATE).render(**context)
    pdf = html_to_pdf(html, title="Sổ theo dõi hồ sơ (mẫu 07)")
    doc = _keep(uow_factory, actor, None, None, None, "register", pdf, "document_rendered")
    stamp = context["now"].strftime("%Y%m%d-%H%M")
    return RenderedPdf(doc, pdf, f"so-theo-doi-ho-so-{stamp}.pdf")
