"""The connectors to external systems (the national portal, the SMS gateway, ...): each one's title, whether it
is configured, its health now (each check bounded by its own short timeout), whether it talks to a stand-in
server, and the names of the settings it reads with whether each is set. Never a setting's value: some are
secrets."""

from __future__ import annotations

import os
from dataclasses import dataclass

from flask import render_template

from connectors.registry import Health, all_connectors, check_all

from ...pages import page
from .blueprint import bp


@dataclass(frozen=True)
class ConnectorRow:
    name: str
    title: str
    configured: bool
    health: Health
    settings: list[tuple[str, bool]]  # (variable, is set)


def connector_rows() -> list[ConnectorRow]:
    found = check_all()
    return [ConnectorRow(c.name, c.title, c.configured(), found[c.name],
                         [(name, bool(os.environ.get(name))) for name in c.env]) for c in all_connectors()]


@bp.get("/connectors")
@page("admin")
def connectors() -> str:
    return render_template("admin/connectors.html", rows=connector_rows())
