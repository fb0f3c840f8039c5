"""One JSON exchange over HTTP, the same way for every connector: the answer's status and its JSON (None when it is
not JSON), or `Unreachable` when no answer came. What a status means is each connector's own business."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any


class Unreachable(Exception):
    """No answer: refused, reset, unknown host, or nothing within the timeout (`timed_out`)."""

    def __init__(self, reason: str, timed_out: bool = False) -> None:
        super().__init__(reason)
        self.timed_out = timed_out


def exchange(method: str, url: str, body: Any, headers: dict[str, str], timeout: float,
             limit: int) -> tuple[int, Any]:
    """(status, the answer's JSON or None); at most `limit` bytes of the answer are read."""
    data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json", "Accept": "application/json",
                                              **headers})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw = response.status, response.read(limit)
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read(limit) if exc.fp else b""
    except TimeoutError:
        raise Unreachable(f"no answer within {timeout:g} s", timed_out=True) from None
    except (urllib.error.URLError, OSError) as exc:
        raise Unreachable(str(getattr(exc, "reason", exc))) from None
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, None
