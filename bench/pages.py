"""Every page of a running Motcua (`make run`), signed in with the demo accounts: status, bytes, server time.

    .venv/bin/python bench/pages.py http://127.0.0.1:8000 var/demo-accounts.txt

Submits one counter dossier (from tests/data/paths.json) so the task and dossier pages have something to show.
Exits non-zero if a page does not answer 200; prints figures and never judges timing.
"""

from __future__ import annotations

import http.cookiejar
import json
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

PATHS = Path(__file__).resolve().parent.parent / "tests" / "data" / "paths.json"
PROCEDURE = "ho-kinh-doanh"


class Browser:
    """A cookie jar and the site's base URL: one signed-in (or anonymous) visitor."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> tuple[int, bytes, str]:
        try:
            with self.opener.open(self.base + path) as resp:
                return resp.status, resp.read(), resp.headers.get("Server-Timing", "")
        except urllib.error.HTTPError as err:
            return err.code, err.read(), err.headers.get("Server-Timing", "")

    def sign_in(self, username: str, password: str) -> Browser:
        _, body, _ = self.get("/login")
        token = re.search(rb'name="csrf_token" value="([^"]+)"', body)
        assert token, "the sign-in page has no CSRF field"
        form = {"csrf_token": token.group(1).decode(), "username": username, "password": password}
        self.opener.open(self.base + "/login", urllib.parse.urlencode(form).encode()).read()
        return self


def post_json(url: str, body: dict[str, Any], token: str | None = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, json.dumps(body).encode(), headers)
    with urllib.request.urlopen(request) as resp:
        return json.load(resp)


def main(base: str, accounts_file: str) -> int:
    accounts = dict(line.split("\t")[:2] for line in Path(accounts_file).read_text().splitlines() if line)
    token = post_json(f"{base}/api/v1/auth/token",
                      {"username": "tiepnhan", "password": accounts["tiepnhan"]})["access_token"]
    example = json.loads(PATHS.read_text("utf-8"))[PROCEDURE]
    dossier = post_json(f"{base}/api/v1/dossiers", {"procedure": PROCEDURE, "applicant": example["applicant"],
                                                     "data": example["start"], "channel": "counter"}, token)
    code = dossier["code"]

    def user(name: str) -> Browser:
        return Browser(base).sign_in(name, accounts[name])

    visitor, specialist, leader, admin = Browser(base), user("chuyenvien"), user("lanhdao"), user("quantri")
    _, inbox, _ = specialist.get("/inbox?view=claimable")
    task = re.search(rb"/tasks/([0-9a-f-]{36})", inbox)
    version = f"/designer/{PROCEDURE}/versions/1"
    pages: list[tuple[Browser, str]] = [
        *((visitor, p) for p in ("/", "/?lang=en", f"/procedures/{PROCEDURE}", f"/procedures/{PROCEDURE}/submit",
                                 "/track", "/login")),
        (specialist, "/inbox"), (specialist, "/inbox?view=claimable"), (specialist, f"/dossiers/{code}"),
        *([(specialist, f"/tasks/{task.group(1).decode()}")] if task else []),
        (leader, "/inbox?view=team"), (leader, "/handover"), (leader, "/dashboard/"),
        (leader, "/dashboard/export.csv"), (leader, "/dashboard/overdue.csv"),
        (admin, "/designer/"), (admin, version), (admin, f"{version}/forms/hkd-tham-dinh"),
        (admin, f"/designer/{PROCEDURE}/diff"), (admin, f"{version}/what-if"), (admin, f"{version}/publish"),
        (admin, f"/designer/{PROCEDURE}/migrate"),
        *((admin, p) for p in ("/admin/units", "/admin/accounts", "/admin/accounts?q=nguyen", "/admin/roles",
                               "/admin/calendar", "/admin/audit")),
    ]
    failed = 0
    for who, path in pages:
        status, body, timing = who.get(path)
        failed += status != 200
        print(f"{status} {len(body):>7} B  {timing:<16} {path}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
