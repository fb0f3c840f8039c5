"""Task completions per second: Motcua's full API path against bare SpiffWorkflow, same BPMN, same data.

    .venv/bin/python bench/throughput.py [--dossiers N] [--procedure CODE] [--no-postgres] [--show-sql]

Modes:
  bare in memory          one BpmnWorkflow per dossier, never serialized
  bare stateless default  SpiffWorkflow's default JSON serializer around every completion (spec included)
  API on SQLite / PG      POST /api/v1/tasks/{id}/complete through Flask's test client: token check,
                          marshmallow + form validation, sandboxed scripts, load, engine, save, projection,
                          history, one commit

The API path interleaves the dossiers as real traffic does (a dossier's next step comes hours later, after
many other dossiers' steps): each completion picks a random open dossier, so consecutive completions rarely
touch the same one and no per-dossier cache can help. It counts the SQL statements each completion sends
(every statement the engine executes, plus BEGIN and COMMIT; on PostgreSQL each is one round trip).
Prints figures only; it never fails on timing.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer  # noqa: E402
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow  # noqa: E402
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser  # noqa: E402
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG  # noqa: E402
from SpiffWorkflow.util.task import TaskState  # noqa: E402
from sqlalchemy import event, func, select  # noqa: E402

from api import create_app  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.dossiers.models import Dossier  # noqa: E402
from engine.people.organisation import create_user, save_unit  # noqa: E402
from engine.procedures.catalog import load_folder  # noqa: E402
from engine.store.migrate import upgrade  # noqa: E402

PATHS = json.loads((ROOT / "tests" / "data" / "paths.json").read_text(encoding="utf-8"))
USERS = {"reception": "bench_tn", "specialist": "bench_cv", "leader": "bench_ld"}
PASSWORD = "bench-password-1"


def parse(procedure: str) -> tuple[Any, Any]:
    meta_dir = ROOT / "processes" / procedure
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_bpmn_file(str(meta_dir / "process.bpmn"))
    process_id = procedure.replace("-", "_")
    return parser.get_spec(process_id), parser.get_subprocess_specs(process_id)


def bare_in_memory(procedure: str, n: int) -> tuple[float, int]:
    spec, subs = parse(procedure)
    steps = PATHS[procedure]["steps"]
    completions, started = 0, time.perf_counter()
    for _ in range(n):
        wf = BpmnWorkflow(spec, subs)
        wf.get_next_task(state=TaskState.READY).data.update(PATHS[procedure]["start"])
        wf.do_engine_steps()
        while not wf.is_completed():
            task = wf.get_tasks(state=TaskState.READY, manual=True)[0]
            task.data.update(steps[task.task_spec.name])
            task.run()
            wf.do_engine_steps()
            completions += 1
    return completions / (time.perf_counter() - started), completions


def bare_stateless(procedure: str, n: int) -> tuple[float, int, int]:
    spec, subs = parse(procedure)
    steps = PATHS[procedure]["steps"]
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    states = []
    for _ in range(n):
        wf = BpmnWorkflow(spec, subs)
        wf.get_next_task(state=TaskState.READY).data.update(PATHS[procedure]["start"])
        wf.do_engine_steps()
        states.append(serializer.serialize_json(wf))
    completions, size, started = 0, 0, time.perf_counter()
    for state in states:
        while True:
            wf = serializer.deserialize_json(state)
            if wf.is_completed():
                size = max(size, len(state))
                break
            task = wf.get_tasks(state=TaskState.READY, manual=True)[0]
            task.data.update(steps[task.task_spec.name])
            task.run()
            wf.do_engine_steps()
            state = serializer.serialize_json(wf)
            completions += 1
    return completions / (time.perf_counter() - started), completions, size


def server_processes(datadir: Path | None) -> list[Path]:
    """The /proc stat files of a PostgreSQL server's processes (the postmaster and its children, the test
    client's backend among them), found once: reading them per request must cost little."""
    if datadir is None:
        return []
    postmaster = int((datadir / "postmaster.pid").read_text().split()[0])
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        if int(stat.parent.name) == postmaster or ppid == postmaster:
            found.append(stat)
    return found


def server_cpu(stats: list[Path]) -> float:
    """CPU seconds these processes have used so far."""
    total = 0.0
    for stat in stats:
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime
    return total


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def api_path(procedure: str, n: int, database_url: str, show_sql: bool = False,
             datadir: Path | None = None) -> dict[str, float]:
    upgrade(database_url)
    settings = Settings().with_overrides(database_url=database_url, secret_key="bench")
    app = create_app(settings)
    services = app.extensions["motcua"]
    with services.session_factory() as session:
        load_folder(session, services.cache, settings.processes_dir, settings.forms_dir)
        save_unit(session, "BENCH", "Đơn vị đo", "commune", None)
        for role, username in USERS.items():
            create_user(session, username, PASSWORD, username, [("BENCH", role)])
        session.commit()
    client = app.test_client()
    headers = {}
    for role, username in USERS.items():
        token = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
        headers[role] = {"Authorization": f"Bearer {token.get_json()['access_token']}"}

    steps = PATHS[procedure]["steps"]
    body = {"procedure": procedure, "applicant": PATHS[procedure]["applicant"],
            "data": PATHS[procedure]["start"], "channel": "counter"}
    pending: list[dict[str, Any]] = []
    started = time.perf_counter()
    for _ in range(n):
        resp = client.post("/api/v1/dossiers", json=body, headers=headers["reception"])
        assert resp.status_code == 201, resp.get_json()
    submit_rate = n / (time.perf_counter() - started)
    last = client.get(f"/api/v1/dossiers/{resp.get_json()['code']}", headers=headers["reception"]).get_json()
    first_role = last["open_tasks"][0]["role"]  # the lane of the procedure's first step
    while len(pending) < n:
        page = client.get(f"/api/v1/tasks?limit=500&offset={len(pending)}&procedure={procedure}",
                          headers=headers[first_role])
        items = page.get_json()["items"]
        assert items, "submitted dossiers have no open first step"
        pending += items

    # An officer claims a step, then completes it. Completions/s counts the completion requests (what
    # the bare loops do); the claim+complete cycle rate is printed beside it.
    counting = {"on": False, "statements": 0, "seen": []}

    def count(conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        if counting["on"]:
            counting["statements"] += 1
            if show_sql and len(counting["seen"]) < 40:
                counting["seen"].append(" ".join(statement.split())[:160])

    def count_tx(conn: Any) -> None:  # BEGIN and COMMIT are round trips too
        count(conn, None, "BEGIN / COMMIT")

    event.listen(services.engine, "before_cursor_execute", count)
    event.listen(services.engine, "commit", count_tx)
    event.listen(services.engine, "begin", count_tx)
    rng = random.Random(11)
    latencies: list[float] = []
    cpu = {"client": 0.0, "server": 0.0}
    server = server_processes(datadir)
    completions, claiming = 0, 0.0
    open_steps = list(pending)
    while open_steps:
        i = rng.randrange(len(open_steps))  # a random open dossier: real traffic interleaves them
        current = open_steps[i]
        t0 = time.perf_counter()
        claim = client.post(f"/api/v1/tasks/{current['id']}/claim", headers=headers[current["role"]])
        assert claim.status_code == 200, claim.get_json()
        claiming += time.perf_counter() - t0
        s0 = server_cpu(server)
        counting["on"] = True
        c0, t1 = time.process_time(), time.perf_counter()
        resp = client.post(f"/api/v1/tasks/{current['id']}/complete",
                           json={"data": steps[current["bpmn_id"]]}, headers=headers[current["role"]])
        latencies.append(time.perf_counter() - t1)
        cpu["client"] += time.process_time() - c0
        counting["on"] = False
        cpu["server"] += server_cpu(server) - s0
        assert resp.status_code == 200, resp.get_json()
        completions += 1
        nxt = resp.get_json()["next_tasks"]
        if nxt:
            open_steps[i] = nxt[0]
        else:
            open_steps[i] = open_steps[-1]
            open_steps.pop()
    working = sum(latencies)  # the completion requests themselves (not the bench's own bookkeeping)
    rate = completions / working
    with services.session_factory() as session:
        finished = session.scalar(select(func.count()).select_from(Dossier).where(Dossier.finished_at.is_not(None)))
        sizes = list(session.scalars(select(func.length(Dossier.state))))
    assert finished == n
    services.engine.dispose()
    latencies.sort()
    if show_sql:
        print(f"statements of the first completions on {services.engine.dialect.name}:")
        for line in counting["seen"]:
            print("   ", line)
    return {"rate": rate, "cycle_rate": completions / (working + claiming), "completions": completions,
            "submit_rate": submit_rate,
            "statements": counting["statements"] / completions,
            "client_cpu_ms": cpu["client"] / completions * 1000, "server_cpu_ms": cpu["server"] / completions * 1000,
            "p50_ms": statistics.median(latencies) * 1000, "p95_ms": latencies[int(len(latencies) * .95)] * 1000,
            "state_max": max(sizes), "state_mean": statistics.fmean(sizes)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dossiers", type=int, default=300)
    parser.add_argument("--procedure", default="gpxd-nha-o", choices=sorted(PATHS))
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--show-sql", action="store_true", help="print the statements of the first completions")
    args = parser.parse_args()
    n, proc = args.dossiers, args.procedure

    print(f"procedure {proc}, {n} dossiers, {len(PATHS[proc]['steps'])} human steps each")
    mem_rate, _ = bare_in_memory(proc, n)
    st_rate, _, default_size = bare_stateless(proc, n)
    print(f"{'bare SpiffWorkflow, in memory':44s} {mem_rate:8.0f} completions/s")
    print(f"{'bare SpiffWorkflow, stateless, default JSON':44s} {st_rate:8.0f} completions/s"
          f"   state {default_size / 1024:.1f} KB")

    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        results["SQLite"] = api_path(proc, n, f"sqlite:///{tmp}/bench.db", args.show_sql)
    if not args.no_postgres:
        from tests import pgserver

        server = pgserver.start(durable=True)
        try:
            results["PostgreSQL"] = api_path(proc, n, server.create_database("bench"), args.show_sql,
                                             datadir=server.datadir)
        finally:
            server.stop()
    for name, r in results.items():
        print(f"{'Motcua API path, ' + name:44s} {r['rate']:8.0f} completions/s"
              f"   p50 {r['p50_ms']:.2f} ms, p95 {r['p95_ms']:.2f} ms; claim+complete {r['cycle_rate']:.0f}/s;"
              f" submit {r['submit_rate']:.0f}/s; {r['statements']:.1f} SQL statements/completion;"
              f" CPU/completion {r['client_cpu_ms']:.2f} ms here + {r['server_cpu_ms']:.2f} ms in the server;"
              f" state max {r['state_max'] / 1024:.1f} KB, mean {r['state_mean'] / 1024:.1f} KB")
    print()
    for name, r in results.items():
        print(f"ratio API/{name} : bare stateless default = {r['rate'] / st_rate:.2f}   "
              f"API/{name} : bare in memory = {r['rate'] / mem_rate:.2f}")


if __name__ == "__main__":
    main()
