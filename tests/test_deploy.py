"""What runs in front of the app: docker-compose puts nginx (the official image) before it, with the request
timeouts and body size of the app, and the app takes clients' addresses from the proxy only when told to.
Docker does not run here, so the compose file is checked as data (parsed YAML), not started."""

from __future__ import annotations

import re
from typing import Any

import yaml
from sqlalchemy import select

from engine.config import PROJECT_ROOT
from engine.store.models import AuditEntry

from .conftest import PASSWORD


def test_compose_puts_nginx_in_front_and_keeps_the_app_inside() -> None:
    services = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())["services"]
    proxy, app, scheduler = services["proxy"], services["app"], services["scheduler"]
    assert proxy["image"].startswith("nginx:") and proxy["ports"] == ["8000:80"]
    template = next(v.split(":")[0] for v in proxy["volumes"] if v.endswith("default.conf.template:ro"))
    assert (PROJECT_ROOT / template).is_file()
    assert "ports" not in app and app["expose"] == ["8000"]  # reachable through nginx only
    assert app["environment"]["MOTCUA_SCHEDULER"] == "0"
    network = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())["networks"]["default"]
    assert app["environment"]["MOTCUA_TRUSTED_PROXIES"] == network["ipam"]["config"][0]["subnet"]
    assert app["environment"]["MOTCUA_REQUEST_MAX_MB"] == proxy["environment"]["MOTCUA_REQUEST_MAX_MB"]
    assert scheduler["command"] == ["motcua", "scheduler"] and scheduler["restart"] == "unless-stopped"

    conf = (PROJECT_ROOT / template).read_text()
    directives = dict(re.findall(r"^[ \t]*([a-z_]+)[ \t]+([^;#\n]+);", conf, re.M))
    assert directives["client_header_timeout"] == "10s" and directives["client_body_timeout"] == "30s"
    assert directives["client_max_body_size"] == "${MOTCUA_REQUEST_MAX_MB}m"
    assert directives["proxy_request_buffering"] == "on" and directives["proxy_pass"] == "http://motcua"
    assert directives["server"] == "app:8000"
    # the official image fills in only variables matching the filter: nginx's own $remote_addr stays
    assert re.fullmatch(r"\w+", proxy["environment"]["NGINX_ENVSUBST_FILTER"])


def _signed_in_from(app_factory: Any, **overrides: Any) -> str:
    app = app_factory(**overrides)
    resp = app.test_client().post("/api/v1/auth/token", json={"username": "tiepnhan", "password": PASSWORD},
                                  headers={"X-Forwarded-For": "203.0.113.7"},
                                  environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert resp.status_code == 200
    with app.extensions["motcua"].session_factory() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "signed_in")
                                .order_by(AuditEntry.id.desc())).first()
    return entry.detail["client"]


def test_the_client_address_comes_from_the_proxy_only_when_there_is_one(app_factory: Any) -> None:
    assert _signed_in_from(app_factory) == "10.0.0.2"  # no proxy: a client's own X-Forwarded-For is ignored
    assert _signed_in_from(app_factory, trusted_proxies=("10.0.0.0/8",)) == "203.0.113.7"
