"""Where a `next` parameter may send the browser: only to a path on this site.

A browser reading a Location header drops tabs, newlines and leading control characters, reads a backslash
as a slash, and takes `//host` as another site; a proxy or a second decoding may undo percent-encoding, and
Unicode compatibility forms turn a fullwidth solidus into `/`. So `/%09/evil.example`, `/\\evil.example`,
`/%2F%2Fevil.example` and their kin must all be refused. A target is accepted only when every reading of it
(as given, percent-decoded again and again, NFKC-normalised, with what browsers strip removed and backslashes
as slashes) is a path that starts with exactly one `/`, and the target itself holds no control, format or
space character and no backslash.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import unquote, urlsplit

MAX_LENGTH = 2000
MAX_DECODINGS = 5


def _invisible(char: str) -> bool:
    return unicodedata.category(char)[0] in "CZ"  # controls, format characters, spaces and separators


def _readings(target: str) -> list[str] | None:
    found, current = [target], target
    for _ in range(MAX_DECODINGS):
        decoded = unquote(current, errors="strict") if "%" in current else current
        if decoded == current:
            break
        found.append(decoded)
        current = decoded
    else:
        return None  # still changing: nested encodings are nobody's real link
    return found + [unicodedata.normalize("NFKC", f) for f in found]


def _is_local_path(reading: str) -> bool:
    bare = "".join(c for c in reading if not _invisible(c)).replace("\\", "/")
    if not bare.startswith("/") or bare.startswith("//"):
        return False
    parts = urlsplit(bare)
    return not parts.scheme and not parts.netloc


def same_site_path(target: str | None) -> str | None:
    """`target` if it can only lead to a path on this site, else None."""
    if not target or len(target) > MAX_LENGTH or "\\" in target or any(_invisible(c) for c in target):
        return None
    try:
        readings = _readings(target)
    except UnicodeDecodeError:  # percent-encoded bytes that are not UTF-8
        return None
    if readings is None or not all(_is_local_path(r) for r in readings):
        return None
    return target
