"""The portal connector's interface, and its HTTP implementation (the adapter protocol public integrations show;
../shared/integrations.md):

- sign in: `POST {url}{auth_path}` JSON `{"username", "password"}` with the `dstcode` header, answered
  `{"session": "...", "error_code": 0}`; the session is reused until the portal refuses it, then renewed once;
- call: `POST {url}{call_path}` JSON `{"session", "madonvi", "service", ...}`, answered `{"error_code": 0, ...}`
  (or "00"); what counts as success or as a refused session is data (`mapping/protocol.toml`).

`push(payload)` sends Motcua's sync message (docs/connectors.md) as `DongBoHoSoMC` then `CapNhatTienDoHoSoMC`.
Errors are `PortalError`; its `permanent` says whether retrying can help (the outbox reads it by name only).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from connectors.http import Unreachable, exchange

from .config import PortalSettings
from .mapping import MappingError, dossier_record, load, progress_record

MAX_ANSWER = 16 * 1024 * 1024  # a whole catalogue may come back from LayDanhSachTTHC


class PortalError(RuntimeError):
    """The portal refused or could not be reached. `permanent`: it refused the data itself (a retry sends the same
    and is refused again); otherwise (unreachable, timeout, 5xx, session refused) a later try may succeed.
    `answered`: the portal (or its adapter) answered at all; the health check tells refused from unreachable."""

    def __init__(self, reason: str, permanent: bool = False, answered: bool = False) -> None:
        super().__init__(reason)
        self.permanent, self.answered = permanent, answered


def _code(answer: dict[str, Any]) -> Any:
    return answer.get("error_code", answer.get("errorCode"))


def _reason(answer: dict[str, Any]) -> str:
    for key in ("message", "error_message", "errorMessage", "msg"):
        if answer.get(key):
            return str(answer[key])[:500]
    return f"error_code {_code(answer)!r}"


def succeeded(answer: dict[str, Any]) -> bool:
    return _code(answer) in load("protocol.toml")["success_codes"]


def session_refused(answer: dict[str, Any]) -> bool:
    protocol = load("protocol.toml")
    if _code(answer) in protocol["session_refused_codes"]:
        return True
    reason = _reason(answer).lower()
    return not succeeded(answer) and any(word in reason for word in protocol["session_refused_words"])


class PortalClient:
    """One per process is enough: the session is shared by the threads that push (renewed under a lock, once for
    all of them when it expires)."""

    def __init__(self, settings: PortalSettings) -> None:
        if not settings.url:
            raise PortalError("no national portal configured (MOTCUA_PORTAL_URL)")
        self.settings = settings
        self._session: str | None = None
        self._lock = threading.Lock()

    # --- transport ---------------------------------------------------------------------------------------
    def _post(self, path: str, body: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
        seconds = timeout or self.settings.timeout
        headers = {"dstcode": self.settings.dstcode} if self.settings.dstcode else {}
        try:
            status, answer = exchange("POST", f"{self.settings.url}{path}", body, headers, seconds, MAX_ANSWER)
        except Unreachable as exc:
            if exc.timed_out:
                raise PortalError(f"the portal did not answer within {seconds:g} s") from None
            raise PortalError(f"the portal could not be reached: {exc}") from None
        if status in (401, 403):  # the adapter's way of refusing a session
            return {"error_code": status, "message": f"the portal answered {status} (session)"}
        if not 200 <= status < 300:
            # 5xx, 408, 429: the portal is unwell, a later try may pass; another 4xx refuses the request itself
            transient = status >= 500 or status in (408, 429)
            raise PortalError(f"the portal answered {status}", permanent=not transient, answered=True)
        if answer is None:
            raise PortalError("the portal's answer is not JSON", answered=True)
        if not isinstance(answer, dict):
            raise PortalError("the portal's answer is not a JSON object", answered=True)
        return answer

    # --- session -----------------------------------------------------------------------------------------
    def sign_in(self, timeout: float | None = None) -> dict[str, Any]:
        """A new session (kept for the next calls); the portal's whole answer."""
        answer = self._post(self.settings.auth_path,
                            {"username": self.settings.username, "password": self.settings.password}, timeout)
        if not succeeded(answer) or not answer.get("session"):
            raise PortalError(f"the portal refused to sign in: {_reason(answer)}", answered=True)
        self._session = str(answer["session"])
        return answer

    def _current(self) -> str:
        with self._lock:
            if self._session is None:
                self.sign_in()
            assert self._session is not None
            return self._session

    def _renewed(self, stale: str) -> str:
        """A fresh session, unless another thread already renewed the one refused."""
        with self._lock:
            if self._session == stale:
                self._session = None
                self.sign_in()
            assert self._session is not None
            return self._session

    # --- calls -------------------------------------------------------------------------------------------
    def call(self, service: str, **fields: Any) -> dict[str, Any]:
        """One service call; signs in first when needed and once more when the session is refused."""
        session = self._current()
        for attempt in (1, 2):
            body = {"session": session, "madonvi": self.settings.unit, "service": service, **fields}
            answer = self._post(self.settings.call_path, body)
            if not session_refused(answer):
                break
            if attempt == 2:
                raise PortalError(f"the portal refused the session again: {_reason(answer)}", answered=True)
            session = self._renewed(session)
        if not succeeded(answer):
            raise PortalError(_reason(answer), permanent=True, answered=True)
        return answer

    def push(self, payload: dict[str, Any]) -> None:
        """The dossier record, then the progress of the step that changed it."""
        try:
            record = dossier_record(payload)
            progress = progress_record(payload) if payload.get("progress") else None
        except MappingError as exc:  # the same payload would fail the same way: no retry helps
            raise PortalError(f"the message cannot be mapped: {exc}", permanent=True) from None
        self.call("DongBoHoSoMC", isUpdating=bool(payload.get("updating")), data=[record])
        if progress is not None:
            self.call("CapNhatTienDoHoSoMC", data=[progress])

    def procedure(self, code: str) -> dict[str, Any]:
        """One procedure record of the national database (LayThuTuc), by its national code."""
        data = self.call("LayThuTuc", maTTHC=code).get("data")
        if isinstance(data, list):  # some adapters wrap the one record in a list
            data = data[0] if data else None
        if not isinstance(data, dict):
            raise PortalError(f"the portal has no procedure {code}", permanent=True, answered=True)
        return data

    def procedures(self) -> list[dict[str, Any]]:
        """The procedure records the portal lists for this unit (LayDanhSachTTHC)."""
        data = self.call("LayDanhSachTTHC").get("data") or []
        return [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []

    def lookup(self, dossier_code: str) -> dict[str, Any] | None:
        """The portal's record of a dossier (TraCuuHoSo), None when it has none."""
        data = self.call("TraCuuHoSo", maHoSo=dossier_code).get("data")
        return data if isinstance(data, dict) else None


def client_from_env() -> PortalClient | None:
    """The configured client, or None when MOTCUA_PORTAL_URL is unset."""
    settings = PortalSettings.from_env()
    return PortalClient(settings) if settings.url else None


def pusher_from_env() -> Callable[[dict[str, Any]], None] | None:
    """What the outbox's delivery calls with each sync message, or None when no portal is configured."""
    client = client_from_env()
    return client.push if client is not None else None
