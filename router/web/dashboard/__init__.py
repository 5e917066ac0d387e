"""The dashboard at ``/``: server-rendered pages over the store, the rules and the
lifecycle actions, behind a login with the admin token.

``init_app`` registers the blueprint and the session settings; the page
modules register their routes on ``bp`` when imported (bottom of this file).
"""

from __future__ import annotations

from flask import Blueprint, Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response as WerkzeugResponse

from router.pipeline.runtime import Runtime
from router.web import images
from router.web.dashboard import session as login

bp = Blueprint("dashboard", __name__, template_folder="../templates",
               static_folder="../static", static_url_path="/assets")

# Pages are small and self-contained: no inline script, no third-party origin.
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")


def init_app(app: Flask, runtime: Runtime) -> None:
    """Register the dashboard on ``app`` (session key and cookie flags from settings)."""
    if runtime.settings.trust_forwarded_proto:
        # Behind a TLS-terminating proxy: only then does X-Forwarded-Proto count.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=0, x_proto=1,  # type: ignore[method-assign]
                                x_host=0, x_port=0, x_prefix=0)
    login.configure(app, runtime)
    images.install(app, runtime.settings)
    app.register_blueprint(bp)


@bp.before_request
def _csrf() -> None:
    login.check_csrf(request)


@bp.after_request
def _headers(resp: WerkzeugResponse) -> WerkzeugResponse:
    resp.headers.setdefault("Content-Security-Policy", CSP)
    resp.headers["X-Frame-Options"] = "DENY"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    # Signed link tokens sit in URLs: never hand them to another site.
    resp.headers["Referrer-Policy"] = "no-referrer"
    if request.endpoint != "dashboard.static" and "Cache-Control" not in resp.headers:
        resp.headers["Cache-Control"] = "no-store"
    return resp


# The page modules register their routes on ``bp``.
import router.web.dashboard.actions  # noqa: E402
import router.web.dashboard.auth_views  # noqa: E402
import router.web.dashboard.cameras_page  # noqa: E402
import router.web.dashboard.filters  # noqa: E402
import router.web.dashboard.incidents_pages  # noqa: E402
import router.web.dashboard.link_views  # noqa: E402
import router.web.dashboard.pages  # noqa: E402
import router.web.dashboard.rules_page  # noqa: E402, F401
