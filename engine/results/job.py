"""The scheduler's `results` job: drafts rendered, remote requests asked about, leader-signed results sealed
and issued, issued results' archive time stamps renewed before they run out; one row at a time, every external
call outside any transaction. A service that does not answer stops the polling (the next run asks again); a row
that fails keeps its message and is tried again."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from engine.signing.config import SigningSettings

from .issue import OpenUow, render_draft, seal_and_issue
from .models import RENDERING, SIGNED, ResultDocument
from .remote import Remote, ServiceUnavailable, pending_ids, poll_remote
from .renewal import renew_due

log = logging.getLogger(__name__)
BATCH = 50
BACKOFF = timedelta(seconds=30)


@dataclass(frozen=True)
class Worked:
    rendered: int = 0
    polled: int = 0
    issued: int = 0
    renewed: int = 0

    @property
    def items(self) -> int:
        return self.rendered + self.polled + self.issued + self.renewed


def _ids(open_uow: OpenUow, state: str) -> list[int]:
    """Rows in `state` due now: one that failed n times in a row waits n x BACKOFF seconds after its last try."""
    with open_uow() as uow:
        now = uow.clock()
        rows = uow.session.execute(select(ResultDocument.id, ResultDocument.attempts, ResultDocument.updated_at)
                                   .where(ResultDocument.state == state)
                                   .order_by(ResultDocument.updated_at).limit(BATCH)).all()
    return [row_id for row_id, attempts, at in rows if not attempts or now - at >= BACKOFF * attempts]


def finish_signed(open_uow: OpenUow, settings: SigningSettings | None) -> int:
    settings = settings or SigningSettings.from_env()
    return sum(seal_and_issue(open_uow, row_id, settings) for row_id in _ids(open_uow, SIGNED))


def poll(open_uow: OpenUow, remote: Remote | None, settings: SigningSettings, transaction: str | None = None) -> int:
    if remote is None:
        return 0
    polled = 0
    for row_id in pending_ids(open_uow, transaction):
        try:
            poll_remote(open_uow, row_id, remote, settings)
        except ServiceUnavailable as exc:
            log.warning("results: the remote signing service did not answer (%s); asking again later", exc)
            break
        polled += 1
    return polled


def run_results(open_uow: OpenUow, remote: Remote | None, settings: SigningSettings | None = None) -> Worked:
    settings = settings or SigningSettings.from_env()
    rendered = sum(render_draft(open_uow, row_id) for row_id in _ids(open_uow, RENDERING))
    polled = poll(open_uow, remote, settings)
    issued = finish_signed(open_uow, settings)
    with open_uow() as uow:
        now = uow.clock()
    renewed = renew_due(open_uow, settings, timedelta(days=settings.renew_before_days), now)
    return Worked(rendered, polled, issued, renewed)
