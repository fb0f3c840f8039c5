"""A bounded run of a real fuzzer, schemathesis, over the OpenAPI document: anonymous, as an officer and as an
administrator who also designs procedures.

It runs in-process against `api.create_app()` (WSGI) on a SQLite database seeded with the organisation, the
shipped procedures and dossiers at several stages. SQLite only: what is fuzzed is the HTTP layer, the schemas
and the engine's handling of input; both databases are covered by the rest of the suite. The seed is fixed and
the number of examples per operation bounded, so a run sends the same requests every time and takes about two
minutes (`MOTCUA_FUZZ_EXAMPLES` and `MOTCUA_FUZZ_SEED` change them, to search further).

A run fails on:
- any 5xx, and any exception that escapes the app;
- any error that is not `application/problem+json`, any success that is neither JSON nor the media type its
  operation documents;
- any answer the OpenAPI document does not describe: its status, content type, body (401 `reason`, 422
  `errors`...) and headers, and `Allow` on 405 for a method the path does not take.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from flask import Flask
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema

from api import create_app
from engine.people.organisation import create_user, save_unit
from engine.procedures.catalog import load_folder
from engine.store.migrate import upgrade

from .conftest import OFFICERS, PASSWORD, UNITS, Api, make_settings
from .test_flow import run_to_end
from .test_lifecycle import HKD, act, submit

EXAMPLES = int(os.environ.get("MOTCUA_FUZZ_EXAMPLES", "80"))
SEED = int(os.environ.get("MOTCUA_FUZZ_SEED", "20260112"))
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance", "response_headers_conformance", "unsupported_method",
          "allow_header_conformance")
WHO = {"anonymous": None, "officer": "tatca", "administrator": "thietke"}


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    tmp = tmp_path_factory.mktemp("fuzz")
    url = f"sqlite:///{tmp / 'fuzz.db'}"
    upgrade(url)
    app = create_app(make_settings(url, upload_dir=tmp / "uploads", audit_checkpoint_file=tmp / "checkpoints.jsonl",
                                   scheduler=False))
    services = app.extensions["motcua"]
    with services.session_factory() as session:
        load_folder(session, services.cache, services.settings.processes_dir, services.settings.forms_dir)
        for code, name, level, parent in UNITS:
            save_unit(session, code, name, level, parent)
        for username, memberships in OFFICERS.items():
            create_user(session, username, PASSWORD, username.title(), memberships)
        create_user(session, "thietke", PASSWORD, "Thiết Kế", [("CM", "admin"), ("CM", "designer"),
                                                               ("CM", "reform_officer"), ("CM", "leader")])
        session.commit()
    api = Api(app.test_client())
    run_to_end(api, HKD, submit(api)["code"])  # finished, returned: history, documents, ratings
    submit(api)  # waiting for the specialist
    act(api, submit(api)["code"], "request_supplement", missing=["Bản sao giấy tờ pháp lý"])
    yield app
    services.engine.dispose()


def _config(headers: dict[str, str]) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict({
        "seed": SEED,
        "cache": {"enabled": False},  # no state kept between runs (nor a .schemathesis/ folder in the tree)
        "continue-on-failure": True,
        "auth": {"auto-signup": False},
        # the in-process client does not undo gzip, which the app sends to clients that ask for it
        "headers": {"Accept-Encoding": "identity", **headers},
        "generation": {"max-examples": EXAMPLES, "deterministic": True, "database": "none"},
        # a PDF is rendered in a child process (seconds): a few examples of those routes say what they can
        "operations": [{"include-path-regex": r"\.pdf$", "generation": {"max-examples": 3}}],
        "phases": {"stateful": {"enabled": False}},
        "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
    })


def _media(declared: dict[str, Any], status: int) -> set[str]:
    response = declared.get(str(status)) or declared.get(f"{str(status)[0]}XX") or declared.get("default") or {}
    return set(response.get("content", {}))


def _not_json(case: Any, response: Any) -> str | None:
    """Errors are problem documents; a success is JSON unless its operation documents another body."""
    mimetype = (response.headers.get("content-type") or [""])[0].split(";")[0].strip()
    if response.status_code >= 400:
        return None if mimetype == "application/problem+json" else f"an error as {mimetype or 'nothing'}"
    if not response.content or response.status_code in (204, 304):
        return None
    if mimetype == "application/json" or mimetype in _media(case.operation.definition.raw["responses"],
                                                            response.status_code):
        return None
    return f"a success as {mimetype or 'nothing'}"


@pytest.mark.parametrize("who", list(WHO))
def test_no_5xx_and_the_openapi_document_holds(fuzz_app: Flask, who: str, capsys: pytest.CaptureFixture[str]
                                               ) -> None:
    headers = {}
    if WHO[who]:
        headers["Authorization"] = f"Bearer {Api(fuzz_app.test_client()).token(WHO[who])}"
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzz_app, config=_config(headers))
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            recorder = event.recorder
            for case_id, interaction in recorder.interactions.items():
                if interaction.response is None:
                    failures.append(f"{recorder.label}: no answer")
                    continue
                statuses[interaction.response.status_code] += 1
                wrong = _not_json(recorder.cases[case_id].value, interaction.response)
                if wrong:
                    failures.append(f"{recorder.label}: {interaction.response.status_code}, {wrong}")
            for checks in recorder.checks.values():
                for check in checks:
                    if check.failure_info is not None:
                        failure = check.failure_info.failure
                        failures.append(f"{recorder.label}: {check.name}: {failure.title}: {failure.message[:300]}"
                                        f"\n    {check.failure_info.code_sample[:400]}")
        elif isinstance(event, events.NonFatalError | events.FatalError):
            failures.append(f"{getattr(event, 'label', 'run')}: {event.info.message if hasattr(event, 'info') else ''}"
                            f" {getattr(event, 'value', getattr(event, 'exception', ''))}"[:600])
    with capsys.disabled():
        print(f"\nfuzz ({who}): {sum(statuses.values())} requests, {sum(n for s, n in statuses.items() if s >= 500)} "
              f"5xx; by status {dict(sorted(statuses.items()))}")
    unique = sorted(set(failures))
    assert not unique, f"{len(unique)} distinct failure(s):\n" + "\n".join(unique[:60])
    assert sum(statuses.values()) > 500  # the run did run
