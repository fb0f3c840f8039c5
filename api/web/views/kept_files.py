"""Files chosen before a refused online submission, offered again so that the applicant need not choose them again.

The engine stored every file that passed its checks (content-addressed, under MOTCUA_UPLOAD_DIR). The page carries
each as a token signed with the server key and bound to the browser session: nobody can attach a stored file by
guessing its hash, and a token taken from another session is worthless. A token whose file is gone is dropped.
"""

from __future__ import annotations

from typing import Any

from flask import session
from itsdangerous import BadSignature, URLSafeSerializer

from engine.dossiers.attachments import EXTENSIONS, StoredFile

from ...services import services

SALT = "portal-kept-file"
MAX_KEPT = 100


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(services().settings.secret_key, salt=SALT)


def keep_token(f: StoredFile) -> str:
    return str(_signer().dumps({"d": f.document, "n": f.file_name, "t": f.content_type, "s": f.size,
                                "h": f.sha256, "c": session.get("csrf", "")}))


def kept_files(tokens: list[str]) -> list[StoredFile]:
    found: list[StoredFile] = []
    upload_dir = services().settings.upload_dir
    nonce = session.get("csrf")
    for token in tokens[:MAX_KEPT]:
        try:
            value: Any = _signer().loads(token)
        except BadSignature:
            continue
        if not isinstance(value, dict) or not nonce or value.get("c") != nonce or value.get("t") not in EXTENSIONS:
            continue
        sha = str(value.get("h", ""))
        relative = f"{sha[:2]}/{sha}"
        if len(sha) != 64 or not (upload_dir / relative).is_file():
            continue
        found.append(StoredFile(str(value["d"]), str(value["n"]), value["t"], int(value["s"]), sha, relative))
    return found
