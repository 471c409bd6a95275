"""The web console's files (web/, built by Vite into web/dist) served beside the API.

One page application: every page path (`/`, `/office/...`, `/h5/...`,
`/public/...`, `/login`) answers index.html and the browser's router takes it
from there; `/assets/...` are Vite's hashed files, cached for a year. The API
under /api/v1 stays the only way to data: these routes serve files and nothing
else, and never shadow an API path.
"""

import mimetypes
import os
from pathlib import Path

from nameko.exceptions import ConfigurationError
from werkzeug.security import safe_join
from werkzeug.wrappers import Response

from .http import ApiEntrypoint, error_response

DEFAULT_CONSOLE_DIR = Path(__file__).resolve().parents[2] / "web" / "dist"
# Element Plus sets inline styles; photos of an appeal are links residents give.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: https: http:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'"
)
NOT_BUILT = """<!doctype html><html lang="zh-CN"><meta charset="utf-8">
<title>一张网</title><body style="font-family:sans-serif;padding:2em">
<h1>控制台尚未构建</h1><p>The web console has not been built: run <code>make run</code>
(or <code>make console</code>). The API is at <a href="/api/v1/health">/api/v1</a>.</p>
"""


def console_dir(config):
    """`CONSOLE_DIR` from the gateway's config, else web/dist beside the gateway."""
    value = config.get("CONSOLE_DIR") or ""
    path = Path(value) if value else DEFAULT_CONSOLE_DIR
    if value and not path.is_dir():
        raise ConfigurationError(f"CONSOLE_DIR {value!r} is not a folder")
    return path


def _file_response(path, cache):
    mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if mimetype.startswith("text/") or mimetype in ("application/javascript", "image/svg+xml"):
        mimetype += "; charset=utf-8"
    response = Response(path.read_bytes(), status=200, content_type=mimetype)
    response.headers["Cache-Control"] = cache
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def page(folder):
    index = folder / "index.html"
    if not index.is_file():
        return Response(NOT_BUILT, status=503, content_type="text/html; charset=utf-8")
    response = _file_response(index, "no-cache")
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def asset(folder, name):
    joined = safe_join(str(folder / "assets"), name)
    if joined is None or not os.path.isfile(joined):
        return error_response(404, "not_found", "no such file")
    return _file_response(Path(joined), "public, max-age=31536000, immutable")


class ConsoleRoutes:
    """The console's pages and files; not in the OpenAPI document, which is the API's."""

    @ApiEntrypoint.decorator("GET", "/")
    def console_root(self, request):
        return page(console_dir(self.config))

    @ApiEntrypoint.decorator("GET", "/login")
    def console_login(self, request):
        return page(console_dir(self.config))

    @ApiEntrypoint.decorator("GET", "/<any(office,h5,public):section>")
    def console_section(self, request, section):
        return page(console_dir(self.config))

    @ApiEntrypoint.decorator("GET", "/<any(office,h5,public):section>/<path:rest>")
    def console_page(self, request, section, rest):
        return page(console_dir(self.config))

    @ApiEntrypoint.decorator("GET", "/assets/<path:name>")
    def console_asset(self, request, name):
        return asset(console_dir(self.config), name)

    @ApiEntrypoint.decorator("GET", "/favicon.svg")
    def console_icon(self, request):
        path = console_dir(self.config) / "favicon.svg"
        if not path.is_file():
            return error_response(404, "not_found", "no such file")
        return _file_response(path, "public, max-age=86400")
