"""Every state change is audited in its own transaction, chained by a keyed hash, checkpointed outside the
database; tampering with the database (or the checkpoint file) is detected, on both databases."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import orjson
import pytest
from flask import Flask
from sqlalchemy import create_engine, delete, select, text, update
from sqlalchemy.orm import Session

from api.cli import main as cli_main
from engine.runtime import Runtime
from engine.scheduling.scheduler import build_scheduler, job_checkpoint, job_context, job_delivery
from engine.store.audit import HASHED_FIELDS, AuditKeys, entry_hash
from engine.store.checkpoints import Checkpoint, read_checkpoints
from engine.store.migrate import upgrade
from engine.store.models import GENESIS, AuditEntry, AuditHead

from . import pgserver
from .conftest import AUDIT_KEY, PASSWORD, Api, make_settings
from .test_flow import PATHS, run_to_end
from .test_lifecycle import HKD, submit

KEYS = AuditKeys.derive(AUDIT_KEY)


def verify(api: Api) -> dict[str, Any]:
    resp = api.get("/audit/verify", "quantri")
    assert resp.status_code == 200
    return resp.get_json()


def sql(app: Flask, statement: str) -> None:
    with app.extensions["motcua"].engine.begin() as conn:
        conn.execute(text(statement))


@pytest.fixture
def cli(app: Flask, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Callable[..., int]:
    """`motcua ...` in-process, on the test's database and checkpoint file."""
    monkeypatch.setenv("MOTCUA_DATABASE_URL", database_url)
    monkeypatch.setenv("MOTCUA_AUDIT_CHECKPOINT_FILE", str(app.extensions["motcua"].settings.audit_checkpoint_file))
    return lambda *args: cli_main(list(args))


def test_history_records_who_when_what_and_the_chain_verifies(api: Api, app: Flask) -> None:
    code = submit(api)["code"]
    run_to_end(api, "ho-kinh-doanh", code)
    history = api.get(f"/dossiers/{code}/history", "tiepnhan").get_json()["items"]
    # the leader's approval asks for the result document (rendered by the results job, then signed by the leader)
    assert [e["action"] for e in history] == ["submitted", "received"] + ["claimed", "task_completed"] * 2 + [
        "result_requested", "claimed", "task_completed"]
    completed = history[3]
    assert completed["actor_unit"] == "CM-AX" and completed["actor_id"] and completed["at"].endswith("+07:00")
    assert completed["before"] == {"status": "received"} and completed["after"]["status"] == "processing"
    assert completed["detail"]["data"]["y_kien_tham_dinh"].startswith("Hồ sơ hợp lệ")
    assert api.get("/dossiers/CM-AX-000000-00009/history", "tiepnhan").status_code == 404
    result = verify(api)
    assert result["ok"] is True and result["checked"] == len(history) + 4  # four sign-ins are audited too
    assert result["legacy_until"] == 0 and result["code"] == ""
    assert api.get("/audit/verify", "lanhdao").status_code == 403


def test_entries_are_keyed_not_plain_hashes(api: Api, app: Flask) -> None:
    submit(api)
    with app.extensions["motcua"].session_factory() as session:
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).first()
        values = {k: getattr(entry, k) for k in HASHED_FIELDS}
    assert entry.hash == entry_hash(values, KEYS.entries)
    assert entry.hash not in (entry_hash(values), entry_hash(values, AuditKeys.derive("another key").entries))


def test_sign_ins_and_administration_are_audited(api: Api, app: Flask) -> None:
    api.token("lanhdao")
    api.client.post("/api/v1/auth/token", json={"username": "lanhdao", "password": "wrong-password"})
    created = api.post("/users", "quantri", json={"username": "can.bo.moi", "password": PASSWORD,
                                                  "full_name": "Cán bộ Mới",
                                                  "memberships": [{"unit": "CM-TT", "role": "reception"}]})
    assert created.status_code == 201 and created.get_json()["roles"] == ["reception"]
    api.call("PATCH", f"/users/{created.get_json()['id']}", "quantri", json={"active": False})
    with app.extensions["motcua"].engine.connect() as conn:
        actions = [r[0] for r in conn.execute(text("SELECT action FROM audit_log ORDER BY seq"))]
    assert actions.count("signed_in") == 2 and "user_created" in actions and actions[-1] == "user_changed"


# --- tampering --------------------------------------------------------------------------------------------
@dataclass
class Trail:
    """Three dossiers' histories; a signed checkpoint after the second; the third's entries after it."""

    dossiers: list[int]
    checkpoint: int
    head: int


@pytest.fixture
def trail(api: Api, app: Flask, cli: Callable[..., int]) -> Trail:
    codes = []
    for n in range(3):
        codes.append(submit(api)["code"])
        run_to_end(api, HKD, codes[-1])
        if n == 1:
            assert cli("audit", "checkpoint") == 0
    api.token("quantri")  # the verifier's own sign-in is audited too: before the head is read
    with app.extensions["motcua"].session_factory() as session:
        ids = [session.scalar(text("SELECT id FROM dossiers WHERE code = :c"), {"c": c}) for c in codes]
        head = session.get(AuditHead, 1).seq
    checkpoint = read_checkpoints(app.extensions["motcua"].settings.audit_checkpoint_file, KEYS).last
    assert checkpoint is not None and 10 < checkpoint.seq < head - 5
    return Trail(ids, checkpoint.seq, head)


def _values(entry: AuditEntry) -> dict[str, Any]:
    return {k: getattr(entry, k) for k in HASHED_FIELDS}


def rechain(session: Session, start: int, key: bytes | None = None) -> None:
    """What someone holding the database but not the key does after an edit: recompute every hash from
    `start` on (plain SHA-256, or a guessed key), and the head's."""
    prev = session.scalar(select(AuditEntry.hash).where(AuditEntry.seq == start - 1)) or GENESIS
    seq = start - 1
    for entry in session.scalars(select(AuditEntry).where(AuditEntry.seq >= start).order_by(AuditEntry.seq)):
        entry.prev_hash = prev
        entry.hash = prev = entry_hash(_values(entry), key)
        seq = entry.seq
    head = session.get(AuditHead, 1)
    head.seq, head.hash = seq, prev


def renumber(session: Session) -> int:
    """Close the gaps left by deleted entries (from the first gap on), as if they had never been; returns
    the first position renumbered."""
    entries = list(session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))
    first = next(n for n, e in enumerate(entries, 1) if e.seq != n)
    for n, entry in enumerate(entries, 1):
        if entry.seq != n:
            session.execute(update(AuditEntry).where(AuditEntry.id == entry.id).values(seq=n))
    session.expire_all()
    return first


def first_of(session: Session, dossier_id: int) -> int:
    return session.scalar(select(AuditEntry.seq).where(AuditEntry.dossier_id == dossier_id).order_by(AuditEntry.seq))


def edit(seq: int, **values: Any) -> Callable[[Session, Trail], int]:
    def tamper(session: Session, trail: Trail) -> int:
        at = trail.head if seq == -1 else seq
        session.execute(update(AuditEntry).where(AuditEntry.seq == at).values(**values))
        return at
    return tamper


def edit_and_rechain(key: bytes | None) -> Callable[[Session, Trail], int]:
    def tamper(session: Session, trail: Trail) -> int:
        session.execute(update(AuditEntry).where(AuditEntry.seq == 5).values(detail={"data": {"sửa": "lén"}}))
        rechain(session, 5, key)
        return 5
    return tamper


def move_to_other_dossier(session: Session, trail: Trail) -> int:
    at = first_of(session, trail.dossiers[0]) + 1
    session.execute(update(AuditEntry).where(AuditEntry.seq == at).values(dossier_id=trail.dossiers[1]))
    return at


def delete_one(session: Session, trail: Trail) -> int:
    session.execute(delete(AuditEntry).where(AuditEntry.seq == 7))
    return 7


def delete_renumber_rechain(session: Session, trail: Trail) -> int:
    session.execute(delete(AuditEntry).where(AuditEntry.seq == 7))
    rechain(session, renumber(session))
    return 7


def erase_dossier(session: Session, trail: Trail) -> int:
    first = first_of(session, trail.dossiers[1])
    session.execute(delete(AuditEntry).where(AuditEntry.dossier_id == trail.dossiers[1]))
    return first


def erase_dossier_renumber_rechain(session: Session, trail: Trail) -> int:
    first = first_of(session, trail.dossiers[1])
    session.execute(delete(AuditEntry).where(AuditEntry.dossier_id == trail.dossiers[1]))
    rechain(session, renumber(session))
    return first


def erase_newest_dossier_renumber_rechain(session: Session, trail: Trail) -> int:
    """The dossier whose entries are all after the checkpoint: only the key shows it."""
    first = first_of(session, trail.dossiers[2])
    session.execute(delete(AuditEntry).where(AuditEntry.dossier_id == trail.dossiers[2]))
    rechain(session, renumber(session))
    return first


def swap(session: Session, trail: Trail) -> int:
    a, b = (session.scalar(select(AuditEntry).where(AuditEntry.seq == s)) for s in (4, 5))
    a_id, b_id = a.id, b.id
    session.execute(update(AuditEntry).where(AuditEntry.id == a_id).values(seq=-4))
    session.execute(update(AuditEntry).where(AuditEntry.id == b_id).values(seq=4))
    session.execute(update(AuditEntry).where(AuditEntry.id == a_id).values(seq=5))
    return 4


def cut_behind_checkpoint(session: Session, trail: Trail) -> int:
    keep = trail.checkpoint - 3
    session.execute(delete(AuditEntry).where(AuditEntry.seq > keep))
    last = session.scalar(select(AuditEntry.hash).where(AuditEntry.seq == keep))
    session.execute(update(AuditHead).values(seq=keep, hash=last))
    return keep + 1


def erase_everything(session: Session, trail: Trail) -> int:
    session.execute(delete(AuditEntry))
    session.execute(update(AuditHead).values(seq=0, hash=GENESIS))
    return 1


def cut_tail_leave_head(session: Session, trail: Trail) -> int:
    session.execute(delete(AuditEntry).where(AuditEntry.seq > trail.head - 2))
    return trail.head - 1


def pass_off_as_legacy(session: Session, trail: Trail) -> int:
    """Rewrite everything with plain SHA-256 and move the boundary so it all looks older than the key."""
    session.execute(update(AuditEntry).where(AuditEntry.seq == 5).values(detail={}))
    rechain(session, 1)
    session.execute(update(AuditHead).values(legacy_until=trail.head))
    return 1


TAMPERING: dict[str, tuple[Callable[[Session, Trail], int], str]] = {
    "edit detail": (edit(3, detail={"reasons": ["sửa lén"]}), "hash-mismatch"),
    "edit actor": (edit(3, actor_id=None), "hash-mismatch"),
    "edit time": (edit(6, at=datetime(2020, 1, 1, tzinfo=UTC)), "hash-mismatch"),
    "edit the newest entry": (edit(-1, action="claimed"), "hash-mismatch"),
    "move an entry to another dossier": (move_to_other_dossier, "hash-mismatch"),
    "edit and re-chain with SHA-256": (edit_and_rechain(None), "hash-mismatch"),
    "edit and re-chain with a guessed key": (edit_and_rechain(AuditKeys.derive("motcua").entries), "hash-mismatch"),
    "delete one entry": (delete_one, "missing-entry"),
    "delete, renumber and re-chain": (delete_renumber_rechain, "hash-mismatch"),
    "erase a dossier's entries": (erase_dossier, "missing-entry"),
    "erase a dossier's entries, renumber and re-chain": (erase_dossier_renumber_rechain, "hash-mismatch"),
    "erase the newest dossier, renumber and re-chain": (erase_newest_dossier_renumber_rechain, "hash-mismatch"),
    "swap two entries": (swap, "broken-link"),
    "cut the tail behind the checkpoint and move the head": (cut_behind_checkpoint, "truncated"),
    "erase everything and reset the head": (erase_everything, "truncated"),
    "cut the tail, leave the head": (cut_tail_leave_head, "truncated"),
    "re-chain everything as entries from before the key": (pass_off_as_legacy, "boundary-moved"),
}


@pytest.mark.parametrize("case", list(TAMPERING))
def test_tampering_with_the_database_is_detected(api: Api, app: Flask, trail: Trail, cli: Callable[..., int],
                                                 case: str) -> None:
    assert verify(api)["ok"] is True and cli("audit", "verify") == 0
    tamper, code = TAMPERING[case]
    with app.extensions["motcua"].session_factory() as session:
        at = tamper(session, trail)
        session.commit()
    result = verify(api)
    assert (result["ok"], result["code"], result["broken_at"]) == (False, code, at), result
    assert cli("audit", "verify") == 1
    # the checkpoint job checks what is new since the last checkpoint: it refuses a tampered tail, and a
    # checkpoint it takes of an intact tail does not launder an edit behind it
    refused = cli("audit", "checkpoint") == 1
    assert refused or at <= trail.checkpoint
    after = verify(api)
    assert (after["ok"], after["code"], after["broken_at"]) == (False, code, at)


def _forge_line(path: Path, trail: Trail) -> None:
    forged = Checkpoint(trail.head - 3, "f" * 64, datetime.now(UTC), 0).signed(AuditKeys.derive("not the key"))
    path.write_bytes(path.read_bytes() + orjson.dumps(forged.as_dict()) + b"\n")


def _edit_line(path: Path, trail: Trail) -> None:
    line = orjson.loads(path.read_bytes().splitlines()[0])
    path.write_bytes(orjson.dumps({**line, "seq": line["seq"] - 2}) + b"\n")


def _garble_line(path: Path, trail: Trail) -> None:
    path.write_bytes(path.read_bytes() + b"{not json\n")


@pytest.mark.parametrize("forge", [_forge_line, _edit_line, _garble_line])
def test_a_checkpoint_file_altered_is_reported(api: Api, app: Flask, trail: Trail, cli: Callable[..., int],
                                              forge: Callable[[Path, Trail], None]) -> None:
    forge(app.extensions["motcua"].settings.audit_checkpoint_file, trail)
    result = verify(api)
    assert (result["ok"], result["code"]) == (False, "checkpoint-forged")
    assert cli("audit", "verify") == 1


def test_what_only_the_next_checkpoint_can_show(api: Api, app: Flask, trail: Trail, cli: Callable[..., int]) -> None:
    """The limit, stated: removing the entries newer than the last checkpoint, head moved back with them,
    leaves a chain no key can tell from one that never grew. Checkpoints come every
    MOTCUA_AUDIT_CHECKPOINT_INTERVAL (5 minutes by default); older entries are covered."""
    with app.extensions["motcua"].session_factory() as session:
        cut_at = trail.checkpoint + 2
        session.execute(delete(AuditEntry).where(AuditEntry.seq > cut_at))
        last = session.scalar(select(AuditEntry.hash).where(AuditEntry.seq == cut_at))
        session.execute(update(AuditHead).values(seq=cut_at, hash=last))
        session.commit()
    assert cli("audit", "verify") == 0


def test_removing_the_newest_entries_is_detected(api: Api, app: Flask) -> None:
    submit(api)
    api.token("quantri")  # sign in first: signing in appends an entry too
    sql(app, "DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)")
    result = verify(api)
    assert result["ok"] is False and result["code"] == "truncated" and "removed" in result["reason"]


def test_concurrent_transactions_chain_without_forking(api: Api, app: Flask) -> None:
    codes = [submit(api)["code"] for _ in range(6)]
    tasks = [api.get(f"/tasks?dossier={c}", "chuyenvien").get_json()["items"][0]["id"] for c in codes]
    for task in tasks:
        api.post(f"/tasks/{task}/claim", "chuyenvien")
    token = api.token("chuyenvien")

    def complete(task: str) -> int:
        return app.test_client().post(f"/api/v1/tasks/{task}/complete", headers={"Authorization": f"Bearer {token}"},
                                      json={"data": PATHS["ho-kinh-doanh"]["steps"]["Task_ThamDinh"]}).status_code

    with ThreadPoolExecutor(6) as pool:
        assert list(pool.map(complete, tasks)) == [200] * 6
    result = verify(api)
    assert result["ok"] is True, result


# --- checkpoints ------------------------------------------------------------------------------------------
def test_the_scheduler_job_writes_signed_checkpoints_and_sends_them_to_the_webhook(app_factory: Any, tmp_path: Path
                                                                                   ) -> None:
    received: list[dict[str, Any]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(orjson.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    hook = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    try:
        app = app_factory(webhook_url=f"http://127.0.0.1:{hook.server_port}/hook")
        api = Api(app.test_client())
        settings = app.extensions["motcua"].settings
        runtime = Runtime.from_settings(settings)
        build_scheduler(settings, job_context(settings, runtime.uow, runtime.clock))  # not started: jobs by hand
        assert job_checkpoint() == 1  # the first checkpoint, of an empty chain, pins the scheme boundary
        assert job_checkpoint() == 0  # nothing new
        submit(api)
        assert job_checkpoint() == 1
        assert job_delivery() == 3  # the two checkpoints to the webhook; the applicant's SMS (no gateway: retried)
    finally:
        hook.shutdown()
    found = read_checkpoints(settings.audit_checkpoint_file, KEYS)
    assert [c.seq for c in found.checkpoints] == [0, 3] and not found.rejected  # sign-in, submitted, received
    sent = [Checkpoint.from_dict(m["checkpoint"]) for m in received if m.get("kind") == "audit-checkpoint"]
    assert sorted(c.seq for c in sent) == [0, 3] and all(c.is_signed_by(KEYS) for c in sent)
    assert not any(c.is_signed_by(AuditKeys.derive("another key")) for c in sent)
    with app.extensions["motcua"].session_factory() as session:
        assert found.last.hash == session.get(AuditHead, 1).hash
    assert verify(api)["checkpoints"] == 2


def test_a_checkpoint_is_not_taken_of_a_broken_chain(api: Api, app: Flask, cli: Callable[..., int]) -> None:
    submit(api)
    assert cli("audit", "checkpoint") == 0
    submit(api)
    sql(app, "UPDATE audit_log SET step = 'x' WHERE seq = (SELECT MAX(seq) FROM audit_log)")
    assert cli("audit", "checkpoint") == 1
    assert len(read_checkpoints(app.extensions["motcua"].settings.audit_checkpoint_file, KEYS).checkpoints) == 1


# --- a chain from before the key ------------------------------------------------------------------------------
@pytest.fixture(params=["sqlite", "postgresql"])
def old_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database as the last version before the keyed chain left it, with plain SHA-256 entries in it."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/old.db"
    else:
        server: pgserver.PostgresServer = request.getfixturevalue("pg")
        url = server.create_database(f"motcua_old_chain_{tmp_path.name[-20:].replace('-', '_')}")
    upgrade(url, "0010")
    engine = create_engine(url)
    prev, at = GENESIS, datetime(2026, 1, 5, 2, tzinfo=UTC)
    with engine.begin() as conn:
        for seq in range(1, 6):
            values = {"seq": seq, "at": at + timedelta(minutes=seq), "actor_id": None, "actor_unit": "CM",
                      "action": "unit_saved", "entity": "unit", "entity_id": f"U{seq}", "dossier_id": None,
                      "task_id": None, "step": None, "before": None, "after": {"name": f"Đơn vị {seq}"},
                      "detail": {}, "prev_hash": prev}
            values["hash"] = prev = entry_hash(values)
            conn.execute(AuditEntry.__table__.insert(), values)
        conn.execute(text("UPDATE audit_head SET seq = 5, hash = :h WHERE id = 1"), {"h": prev})
    engine.dispose()
    upgrade(url)
    return url


def test_a_chain_from_before_the_key_still_verifies_and_stays_protected(old_database: str, tmp_path: Path) -> None:
    settings = make_settings(old_database, audit_checkpoint_file=tmp_path / "checkpoints.jsonl")
    runtime = Runtime.from_settings(settings)
    with runtime.uow() as uow:
        uow.record(None, "unit_saved", "unit", "U6", after={"name": "Đơn vị 6"})
        uow.record(None, "unit_saved", "unit", "U7", after={"name": "Đơn vị 7"})
        uow.commit()
    with runtime.uow() as uow:
        from engine.store.checkpoints import take_checkpoint, verify_trail

        result = verify_trail(uow.session, uow.audit_keys, uow.checkpoint_file)
        assert (result.ok, result.checked, result.legacy_until) == (True, 7, 5)
        new = uow.session.scalar(select(AuditEntry).where(AuditEntry.seq == 6))
        assert new.hash == entry_hash(_values(new), KEYS.entries)  # keyed from the first new entry on
        assert take_checkpoint(uow.session, uow.audit_keys, uow.checkpoint_file, datetime.now(UTC))[1] is not None
        uow.session.execute(update(AuditEntry).where(AuditEntry.seq == 2).values(entity_id="U99"))  # an old entry
        result = verify_trail(uow.session, uow.audit_keys, uow.checkpoint_file)
        assert (result.ok, result.code, result.broken_at) == (False, "hash-mismatch", 2)
        uow.session.rollback()
        # re-chain the new entries as old ones, moving the boundary: the checkpoint remembers where it was
        uow.session.execute(update(AuditEntry).where(AuditEntry.seq == 7).values(entity_id="U99"))
        rechain(uow.session, 6)
        uow.session.execute(update(AuditHead).values(legacy_until=7))
        result = verify_trail(uow.session, uow.audit_keys, uow.checkpoint_file)
        assert (result.ok, result.code) == (False, "boundary-moved")
    runtime.engine.dispose()
