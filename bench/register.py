"""The dossier register's latency over many dossiers, on PostgreSQL: GET /api/v1/dossiers through the API.

    .venv/bin/python bench/register.py [--dossiers 1000000] [--requests 200] [--state-bytes 1500]

Starts its own PostgreSQL server (bench/pgbench_support.py), seeds one province and 64 commune centers, a
reception officer in one commune and a provincial leader, and N dossiers over three years (statuses,
channels, persons and businesses, some received in one commune for another's competence, a workflow state
of a realistic size), stored in the order they arrived, loaded with COPY. Then times the register's common
queries through the API (the test client: routing, the actor, marshmallow, the JSON, as a request pays them)
and prints p50 / p95 per query, with the total each one reports. Never fails on timing.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import orjson  # noqa: E402
from inbox import GIVEN, MIDDLE, PASSWORD, SURNAMES  # noqa: E402
from pgbench_support import postgres_app  # noqa: E402
from sqlalchemy import select, text  # noqa: E402

from engine.dossiers.applicants import applicant_facts  # noqa: E402
from engine.people.organisation import create_user, save_unit  # noqa: E402
from engine.procedures.catalog import load_folder  # noqa: E402
from engine.procedures.models import ProcedureVersion  # noqa: E402

COMMUNES = 64
BUSINESS_WORDS = ["Xây dựng", "Thương mại", "Dịch vụ", "Thủy sản", "Vận tải", "Nông nghiệp", "Du lịch", "Điện tử",
                  "Cà phê", "Tạp hóa", "May mặc", "Cơ khí"]
STATUSES = [("returned", 70), ("processed", 6), ("processing", 10), ("received", 2), ("supplement_requested", 3),
            ("payment_required", 1), ("refused", 3), ("stopped", 2), ("registered", 3)]
CHANNELS = [("online", 75), ("counter", 22), ("postal", 3)]
COLUMNS = ("id", "code", "procedure_code", "procedure_version_id", "status", "channel", "applicant_name", "applicant",
           "data", "applicant_kind", "applicant_key", "search_text", "result_delivery", "reused_fields",
           "reception_unit", "competent_unit", "state", "lock_version", "created_at", "updated_at", "received_at",
           "due_at", "processed_at", "returned_at", "finished_at", "paused_at", "paused_seconds", "supplement_count",
           "fee_amount")


def weighted(rng: random.Random, choices: list[tuple[str, int]]) -> str:
    return rng.choices([c for c, _ in choices], [w for _, w in choices])[0]


def make_rows(n: int, versions: dict[str, int], state_bytes: int, now: datetime):  # type: ignore[no-untyped-def]
    """The dossiers, as tuples in COLUMNS' order; the 1,000th is a known person (the id search finds them)."""
    rng = random.Random(13)
    procedures = sorted(versions)
    span = 3 * 365 * 86400
    # dossiers are stored as they arrive: ids, and the table's order, follow the received time
    arrivals = sorted(rng.randrange(span) for _ in range(n))
    state = os.urandom(state_bytes)  # deflated states do not compress further; one value, stored n times
    for i in range(n):
        unit = f"X{i % COMMUNES:02d}"
        competent = unit if rng.random() > 0.05 else f"X{rng.randrange(COMMUNES):02d}"
        business = rng.random() < 0.2
        person = f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
        if business:
            name = f"Công ty TNHH {rng.choice(BUSINESS_WORDS)} {rng.choice(GIVEN)} {rng.choice(SURNAMES)}"
            applicant = {"kind": "business", "name": name, "tax_code": f"{rng.randrange(10**9, 10**10)}",
                         "representative": person, "phone": "0290 3812 345"}
        else:
            name = person
            applicant = {"kind": "person", "name": name, "id_number": f"{rng.randrange(10**11):012d}",
                         "phone": "0912 345 678", "address": f"Khóm {rng.randint(1, 9)}, {unit}"}
        if i == 999:
            applicant = {"kind": "person", "name": "Trần Thị Bích Ngọc", "id_number": "096123456789"}
            name = applicant["name"]
        status = weighted(rng, STATUSES)
        received = now - timedelta(seconds=span - arrivals[i])
        code = f"{unit}-{received.strftime('%y%m%d')}-{i:07d}"
        facts = applicant_facts(code, applicant)
        due = received + timedelta(days=rng.randint(3, 15))
        finished = processed = returned = paused = None
        if status in ("returned", "processed", "refused", "stopped"):
            finished = received + timedelta(days=rng.randint(1, 18))
            if finished > now:
                finished = now
            processed = finished if status in ("returned", "processed") else None
            returned = finished + timedelta(days=1) if status == "returned" else None
        if status == "supplement_requested":
            paused = received + timedelta(days=1)
        registered = status == "registered"
        procedure = procedures[i % len(procedures)]
        yield (i + 1, code, procedure, versions[procedure], status, weighted(rng, CHANNELS), name,
               orjson.dumps(applicant).decode(), '{"ghi_chu": "Hồ sơ thử nghiệm"}', facts.kind, facts.key,
               facts.search_text, "counter", None, unit, competent, None if registered else state, 1, received,
               received, None if registered else received, None if registered else due, processed, returned,
               finished, paused, 0, 1 if paused else 0, 0)


def seed(app, n: int, state_bytes: int) -> None:  # type: ignore[no-untyped-def]
    services = app.extensions["motcua"]
    settings = services.settings
    with services.session_factory() as session:
        load_folder(session, services.cache, settings.processes_dir, settings.forms_dir)
        save_unit(session, "CM", "Tỉnh Cà Mau", "province", None)
        for i in range(COMMUNES):
            save_unit(session, f"X{i:02d}", f"Xã {i:02d}", "commune", "CM")
        create_user(session, "tn07", PASSWORD, "Tiếp nhận 07", [("X07", "reception")])
        create_user(session, "lanhdao_tinh", PASSWORD, "Lãnh đạo tỉnh", [("CM", "leader")])
        session.commit()
        versions = {code: vid for code, vid in session.execute(
            select(ProcedureVersion.procedure_code, ProcedureVersion.id).order_by(ProcedureVersion.id))}
    started = time.perf_counter()
    now = datetime.now(UTC)
    # indexes are built once after the load, much faster than kept up row by row (the trigram one above all)
    with services.engine.begin() as conn:
        indexes = conn.execute(text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'dossiers' AND indexname NOT IN "
            "(SELECT conname FROM pg_constraint WHERE conrelid = 'dossiers'::regclass)")).all()
        for name, _definition in indexes:
            conn.execute(text(f'DROP INDEX "{name}"'))
    raw = services.engine.raw_connection()
    try:
        with raw.cursor() as cursor, cursor.copy(f"COPY dossiers ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in make_rows(n, versions, state_bytes, now):
                copy.write_row(row)
        raw.commit()
    finally:
        raw.close()
    loaded = time.perf_counter()
    with services.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("SET maintenance_work_mem = '512MB'"))
        for _name, definition in indexes:
            conn.execute(text(definition))
    print(f"loaded in {loaded - started:.1f} s, indexes built in {time.perf_counter() - loaded:.1f} s")
    # what autovacuum does soon after a bulk load: statistics and the visibility map
    with services.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("SELECT setval(pg_get_serial_sequence('dossiers', 'id'), :n)"), {"n": n})
        conn.execute(text("VACUUM ANALYZE dossiers"))
        size = conn.execute(text("SELECT pg_size_pretty(pg_total_relation_size('dossiers'))")).scalar()
    print(f"seeded {n} dossiers over {COMMUNES} communes in {time.perf_counter() - started:.1f} s "
          f"(table and indexes: {size})")


def timed(client, path: str, token: str, requests: int) -> tuple[float, float, str]:  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {token}"}
    samples, total = [], ""
    client.get(path, headers=headers)  # warm the caches and the connection pool
    for _ in range(requests):
        t0 = time.perf_counter()
        resp = client.get(path, headers=headers)
        samples.append(time.perf_counter() - t0)
        resp.close()
        if resp.status_code != 200:
            return float("nan"), float("nan"), f"HTTP {resp.status_code}: {resp.get_data(as_text=True)[:200]}"
        body = resp.get_json()
        total = {"exact": "", "about": "~", "more_than": ">"}[body["total_kind"]] + str(body["total"])
    samples.sort()
    return statistics.median(samples) * 1000, samples[int(len(samples) * 0.95)] * 1000, total


def deep_cursor(client, path: str, token: str, pages: int) -> str:  # type: ignore[no-untyped-def]
    """Follow `next_cursor` for some pages and return the path of the page after them."""
    headers = {"Authorization": f"Bearer {token}"}
    cursor = None
    for _ in range(pages):
        body = client.get(path + (f"&after={cursor}" if cursor else ""), headers=headers).get_json()
        cursor = body["next_cursor"]
    return path + f"&after={cursor}"


def lines(body: bytes) -> int:
    return body.count(b"\r\n") - 1  # the header


def explain(app, client, path: str, token: str) -> None:  # type: ignore[no-untyped-def]
    """The plans of the statements one request runs on `dossiers` (EXPLAIN ANALYZE, buffers)."""
    from sqlalchemy import event

    engine = app.extensions["motcua"].engine
    seen: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if "FROM dossiers" in statement and statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        client.get(path, headers={"Authorization": f"Bearer {token}"})
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    with engine.connect() as conn:
        for statement, parameters in seen:
            plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).scalars()
            print("    " + "\n    ".join(plan))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--state-bytes", type=int, default=1500)
    parser.add_argument("--explain", action="store_true", help="print the plans of the queries too")
    args = parser.parse_args()
    with postgres_app("register") as app:
        seed(app, args.dossiers, args.state_bytes)
        client = app.test_client()
        token = {u: client.post("/api/v1/auth/token", json={"username": u, "password": PASSWORD}).get_json()[
            "access_token"] for u in ("tn07", "lanhdao_tinh")}
        today = datetime.now(UTC).date()
        month = (today.replace(day=1) - timedelta(days=40)).replace(day=1)
        month_end = (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)

        def q(**params: object) -> str:
            return "/api/v1/dossiers?" + urlencode({k: v for k, v in params.items() if v is not None})

        cases = [
            ("commune: default view (received, newest first, 50)", "tn07", q()),
            ("commune: sorted by due date, soonest first", "tn07", q(sort="due", order="asc")),
            ("commune: received in one month, result returned", "tn07",
             q(received_from=month.isoformat(), received_to=month_end.isoformat(), status="returned")),
            ("commune: overdue", "tn07", q(overdue="true")),
            ("commune: paused (awaiting a supplement)", "tn07", q(paused="true")),
            ("commune: name 'nguyen thi' (no diacritics)", "tn07", q(q="nguyen thi")),
            ("commune: deep page, offset 5,000", "tn07", q(offset=5000)),
            ("commune: deep page by cursor (page 100)", "tn07",
             deep_cursor(client, q(), token["tn07"], 100)),
            ("province: default view, 65 units", "lanhdao_tinh", q()),
            ("province: name 'tran thi bich ngoc'", "lanhdao_tinh", q(q="tran thi bich ngoc")),
            ("province: name 'nguyen van an'", "lanhdao_tinh", q(q="nguyen van an")),
            ("province: business name 'thuy san'", "lanhdao_tinh", q(q="cong ty tnhh thuy san")),
            ("province: personal id 096123456789", "lanhdao_tinh", q(q="096123456789")),
            ("province: code part '-0123456'", "lanhdao_tinh", q(q="-0123456")),
            ("province: finished in one month, by finish date", "lanhdao_tinh",
             q(finished_from=month.isoformat(), finished_to=month_end.isoformat(), sort="finished")),
            ("province: one procedure, online, refused", "lanhdao_tinh",
             q(procedure="ho-kinh-doanh", channel="online", status="refused")),
        ]
        print(f"{'GET /api/v1/dossiers':52s} {'p50':>8s} {'p95':>8s} {'total':>8s}")
        for label, user, path in cases:
            p50, p95, total = timed(client, path, token[user], args.requests)
            print(f"{label:52s} {p50:6.2f}ms {p95:6.2f}ms {total:>8s}", flush=True)
            if args.explain:
                explain(app, client, path, token[user])
        headers = {"Authorization": f"Bearer {token['tn07']}"}
        t0 = time.perf_counter()
        resp = client.get("/api/v1/dossiers/export.csv?" + urlencode(
            {"received_from": month.isoformat(), "received_to": month_end.isoformat()}), headers=headers)
        body = resp.get_data()
        resp.close()
        print(f"CSV export, a commune's month: {lines(body)} rows, {len(body)} bytes in "
              f"{(time.perf_counter() - t0) * 1000:.0f} ms")
        t0 = time.perf_counter()
        resp = client.get("/api/v1/dossiers/export.csv", headers=headers)
        body = resp.get_data()
        resp.close()
        print(f"CSV export, a commune's whole register: {lines(body)} rows, {len(body)} bytes in "
              f"{(time.perf_counter() - t0) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
