"""The web UI's files: the member's phone pages (/m/), the leader's console (/console/), the
platform operator's console (/ops/) and what they share (/web/...), served as they are from
``gateway/web`` (no build step).

Entry pages are revalidated on every visit (``no-cache`` + ETag) so a deploy is seen at once;
other files may be cached for a few minutes, vendored libraries for a day. Only files inside
``gateway/web`` are ever served: ``..``, absolute paths and hidden files answer 404 problem+json.
The invitation and product links that referral prints on posters (``/c/<slug>/join?invite=``,
``/c/<slug>/products/<id>``) open the member's pages.
"""

import json
from pathlib import Path
from urllib.parse import quote, urlencode

from werkzeug.security import safe_join
from werkzeug.utils import redirect, send_file
from werkzeug.wrappers import Response

from gateway.http import Route
from services.infra.errors import NotFound

WEB_ROOT = Path(__file__).resolve().parent.parent / "web"

# Libraries that deploy/setup.sh (and deploy/Dockerfile for the image) copy from npm packages
# into gateway/web/vendor (git-ignored).
VENDOR = {"chart": "chart.umd.min.js", "qrcode": "qrcode.js"}

CONTENT_TYPES = {
    ".html": "text/html",
    ".js": "text/javascript",
    ".css": "text/css",
    ".json": "application/json; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".txt": "text/plain",
}

# The pages load nothing from elsewhere (the machine may be offline); a live stream's video may
# come from the leader's streaming provider, and the packing slips open as blob: documents.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; media-src 'self' https: http: blob:; connect-src 'self' ws: wss:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)

static = Route.decorator  # not ``route``: these are not API endpoints and stay out of OpenAPI


def web_file(relative):
    """The file under ``gateway/web`` for a URL path, or NotFound (never outside the folder)."""
    parts = [part for part in relative.split("/") if part]
    if not parts or any(part.startswith(".") for part in parts):
        raise NotFound("No such file.")
    joined = safe_join(str(WEB_ROOT), *parts)
    if joined is None:
        raise NotFound("No such file.")
    path = Path(joined)
    if path.suffix not in CONTENT_TYPES or not path.is_file():
        raise NotFound("No such file.")
    return path


def serve(request, relative, max_age):
    path = web_file(relative)
    response = send_file(
        path,
        request.environ,
        mimetype=CONTENT_TYPES[path.suffix],
        conditional=True,
        etag=True,
        max_age=max_age,
    )
    response.cache_control.public = max_age is not None and max_age > 0
    if max_age == 0:
        response.cache_control.no_cache = True
    response.headers["X-Content-Type-Options"] = "nosniff"
    if path.suffix == ".html":
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers["Referrer-Policy"] = "same-origin"
    return response


def invite_query(code):
    """``?invite=CODE`` to carry a poster's invite code into the member's pages; nothing for a
    missing or malformed one (the join page then simply asks)."""
    code = code or ""
    return f"?{urlencode({'invite': code})}" if code.isalnum() and len(code) <= 16 else ""


class WebRoutes:
    @static("GET", "/m/")
    def member_app(self, request):
        return serve(request, "m/index.html", 0)

    @static("GET", "/console/")
    def console_app(self, request):
        return serve(request, "console/index.html", 0)

    @static("GET", "/ops/")
    def operator_app(self, request):
        """The platform operator's console (平台运维)."""
        return serve(request, "ops/index.html", 0)

    @static("GET", "/web/<path:path>")
    def web_asset(self, request, path):
        if path.startswith("vendor/"):
            return serve(request, path, 86400)
        return serve(request, path, 0 if path.endswith(".html") else 300)

    @static("GET", "/web/vendor.json")
    def vendor_manifest(self, request):
        """Which vendored libraries are installed, so the pages never ask for a missing one."""
        present = {
            name: f"/web/vendor/{file}"
            for name, file in VENDOR.items()
            if (WEB_ROOT / "vendor" / file).is_file()
        }
        return Response(
            json.dumps(present), mimetype="application/json", headers={"Cache-Control": "no-cache"}
        )

    @static("GET", "/")
    def home(self, request):
        return redirect("/m/", code=302)

    @static("GET", "/c/<slug>/join")
    def invitation(self, request, slug):
        """An invite link (from GET /me/referral or a poster) opens the join page, code filled
        in."""
        query = invite_query(request.args.get("invite") or request.args.get("code"))
        return redirect(f"/m/#/join/{quote(slug, safe='')}{query}", code=302)

    @static("GET", "/c/<slug>/products/<product_id>")
    def shared_product(self, request, slug, product_id):
        """A product poster's QR code opens the product (after joining, for someone new)."""
        query = invite_query(request.args.get("invite"))
        return redirect(
            f"/m/#/c/{quote(slug, safe='')}/products/{quote(product_id, safe='')}{query}", code=302
        )
