"""gzip for text responses when the browser accepts it: commune centers' lines are slow, and HTML, CSS, JS and
JSON shrink five- to tenfold. Static files are compressed once per file version and kept in memory."""

from __future__ import annotations

import gzip
from collections import OrderedDict

from flask import Flask, Response, request

COMPRESSIBLE = frozenset({"text/html", "text/css", "text/csv", "text/javascript", "application/javascript",
                          "application/json", "application/problem+json", "image/svg+xml"})
MIN_BYTES = 1024  # below this the gzip header costs more than it saves
LEVEL = 6
_static_cache: OrderedDict[tuple[str, str], bytes] = OrderedDict()
_STATIC_CACHE_FILES = 64


def _static_body(response: Response) -> bytes:
    """A static file's compressed bytes, by path and ETag (a new build has a new ETag)."""
    key = (request.path, response.headers.get("ETag", ""))
    body = _static_cache.get(key)
    if body is None:
        response.direct_passthrough = False
        body = gzip.compress(response.get_data(), LEVEL)
        _static_cache[key] = body
        while len(_static_cache) > _STATIC_CACHE_FILES:
            _static_cache.popitem(last=False)
    else:
        _static_cache.move_to_end(key)
    return body


def compress(response: Response) -> Response:
    streamed = response.is_streamed and not response.direct_passthrough  # static files pass through, not stream
    if (response.status_code not in (200, 201, 400, 403, 404, 409, 422) or streamed
            or response.mimetype not in COMPRESSIBLE or "Content-Encoding" in response.headers
            or "gzip" not in request.headers.get("Accept-Encoding", "").lower()):
        return response
    response.vary.add("Accept-Encoding")
    if (response.content_length or 0) < MIN_BYTES and not response.direct_passthrough:
        return response
    static = response.direct_passthrough  # a file sent from disk
    body = _static_body(response) if static else gzip.compress(response.get_data(), LEVEL)
    response.set_data(body)
    response.headers["Content-Encoding"] = "gzip"
    etag, weak = response.get_etag()
    if etag and not weak:  # the bytes differ from the file's, the content does not (as nginx does it)
        response.set_etag(etag, weak=True)
    return response


def init_compression(app: Flask) -> None:
    app.after_request(compress)
