"""Inbox latency with many open tasks, on PostgreSQL: GET /api/v1/tasks through the API (test client).

    .venv/bin/python bench/inbox.py [--tasks 200000] [--requests 200]

Seeds one province and 64 commune centers, one specialist per commune and a provincial leader, and N open
tasks (with their dossiers) spread over the communes, then times the inbox: a commune officer's default
view, a text search without diacritics, the overdue filter, and the provincial leader's view of everything.
Prints p50/p95; never fails on timing.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from pgbench_support import postgres_app  # noqa: E402
from sqlalchemy import insert, select, text  # noqa: E402

from engine.dossiers.models import Dossier, TaskRecord  # noqa: E402
from engine.people.organisation import create_user, save_unit  # noqa: E402
from engine.procedures.catalog import load_folder  # noqa: E402
from engine.procedures.models import ProcedureVersion  # noqa: E402
from engine.text import fold as fold_text  # noqa: E402
from engine.work.counts import fold  # noqa: E402

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Hoàng", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương"]
MIDDLE = ["Văn", "Thị", "Minh", "Hữu", "Ngọc", "Thanh", "Đức", "Quốc", "Thu", "Hoàng"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hùng", "Lan", "Linh", "Nam", "Phúc", "Quân", "Thảo",
         "Trang", "Tuấn", "Vy", "Yến", "Khoa", "Đạt", "Hiếu"]
PASSWORD = "bench-password-1"
BATCH = 5000


def seed(app, n_tasks: int) -> None:  # type: ignore[no-untyped-def]
    services = app.extensions["motcua"]
    settings = services.settings
    with services.session_factory() as session:
        load_folder(session, services.cache, settings.processes_dir, settings.forms_dir)
        save_unit(session, "CM", "Tỉnh Cà Mau", "province", None)
        for i in range(64):
            save_unit(session, f"X{i:02d}", f"Xã {i:02d}", "commune", "CM")
            create_user(session, f"cv{i:02d}", PASSWORD, f"Chuyên viên {i:02d}", [(f"X{i:02d}", "specialist")])
        create_user(session, "lanhdao_tinh", PASSWORD, "Lãnh đạo tỉnh", [("CM", "leader")])
        session.commit()
        version = session.scalars(select(ProcedureVersion).where(ProcedureVersion.procedure_code == "ho-kinh-doanh")
                                  ).one()
    rng = random.Random(7)
    now = datetime.now(UTC)
    dossier_table, task_table = Dossier.__table__, TaskRecord.__table__
    started = time.perf_counter()
    with services.engine.begin() as conn:
        for first in range(0, n_tasks, BATCH):
            dossiers, tasks = [], []
            for n in range(first, min(first + BATCH, n_tasks)):
                unit = f"X{n % 64:02d}"
                name = f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
                code = f"{unit}-261124-{n:06d}"
                created = now - timedelta(hours=rng.randint(1, 400))
                dossiers.append({"id": n + 1, "code": code, "procedure_code": "ho-kinh-doanh",
                                 "procedure_version_id": version.id, "status": "processing", "channel": "online",
                                 "applicant_name": name, "applicant": {"name": name}, "data": {},
                                 "reception_unit": unit, "competent_unit": unit, "state": b"{}", "lock_version": 1,
                                 "created_at": created, "updated_at": created, "received_at": created,
                                 "due_at": created + timedelta(days=5), "paused_seconds": 0, "supplement_count": 0,
                                 "fee_amount": 0})
                tasks.append({"id": str(uuid.UUID(int=rng.getrandbits(128))), "dossier_id": n + 1,
                              "bpmn_id": "Task_ThamDinh", "name": "Thẩm định hồ sơ", "role": "specialist",
                              "unit_code": unit, "state": "open", "created_at": created,
                              "due_at": created + timedelta(hours=rng.randint(4, 240)), "priority": rng.randint(0, 3),
                              "dossier_code": code, "procedure_code": "ho-kinh-doanh", "applicant_name": name,
                              "search_text": fold_text(f"{code} {name}")})
            conn.execute(insert(dossier_table), dossiers)
            conn.execute(insert(task_table), tasks)
    with services.session_factory() as session:  # what the scheduler's count job does within a minute
        fold(session)
        session.commit()
    # and what autovacuum does soon after a bulk load: statistics, the visibility map, the fold's dead rows
    with services.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    print(f"seeded {n_tasks} open tasks over 64 communes in {time.perf_counter() - started:.1f} s")


def timed(client, path: str, token: str, requests: int) -> tuple[float, float, int]:  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {token}"}
    samples, total = [], 0
    client.get(path, headers=headers)  # warm the caches and the connection pool
    for _ in range(requests):
        t0 = time.perf_counter()
        resp = client.get(path, headers=headers)
        samples.append(time.perf_counter() - t0)
        assert resp.status_code == 200, resp.get_json()
        total = resp.get_json()["total"]
    samples.sort()
    return statistics.median(samples) * 1000, samples[int(len(samples) * 0.95)] * 1000, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with postgres_app("inbox") as app:
        seed(app, args.tasks)
        client = app.test_client()
        token = {u: client.post("/api/v1/auth/token", json={"username": u, "password": PASSWORD}).get_json()[
            "access_token"] for u in ("cv07", "lanhdao_tinh")}
        cases = [
            ("commune specialist, default view (due first, 50)", "cv07", "/api/v1/tasks"),
            ("commune specialist, search 'nguyen van' (no diacritics)", "cv07", "/api/v1/tasks?q=nguyen%20van"),
            ("commune specialist, overdue, by priority", "cv07", "/api/v1/tasks?overdue=true&sort=priority"),
            ("province leader, all 64 communes (team view)", "lanhdao_tinh", "/api/v1/tasks?view=team"),
            ("province leader, default view (all)", "lanhdao_tinh", "/api/v1/tasks"),
            ("province leader, search 'tran thi' across the province", "lanhdao_tinh",
             "/api/v1/tasks?view=team&q=tran%20thi"),
        ]
        print(f"{'GET /api/v1/tasks':58s} {'p50':>8s} {'p95':>8s} {'total':>8s}")
        for label, user, path in cases:
            p50, p95, total = timed(client, path, token[user], args.requests)
            print(f"{label:58s} {p50:6.2f}ms {p95:6.2f}ms {total:8d}")


if __name__ == "__main__":
    main()
