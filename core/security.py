"""Security headers on every response, including a CSP that allows no inline script; NUL-free input."""

from flask import Flask, Request, g, request
from werkzeug.datastructures import ImmutableMultiDict, iter_multi_items


class _WithoutNul(ImmutableMultiDict):
    """Query and form values with NUL characters removed: no text here has a use for them, and
    PostgreSQL refuses them in text columns (a 500 where a form should simply save)."""

    def __init__(self, mapping=None):
        if mapping is not None:
            mapping = [
                (key.replace("\x00", ""), value.replace("\x00", "") if isinstance(value, str) else value)
                for key, value in iter_multi_items(mapping)
            ]
        super().__init__(mapping)


class CleanRequest(Request):
    parameter_storage_class = _WithoutNul


def allow_inline_styles() -> None:
    """Let this page's charts style themselves: plotly.js sets inline styles as it draws.

    Scripts stay strictly same-origin; only styles are relaxed, and only on chart pages.
    """
    g.csp_inline_styles = True


CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def register(app: Flask) -> None:
    app.request_class = CleanRequest

    @app.after_request
    def add_headers(response):
        headers = response.headers
        csp = CSP
        if g.get("csp_inline_styles"):
            csp = csp.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
        headers.setdefault("Content-Security-Policy", csp)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config.get("HSTS"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        # Pages may show sensitive material: do not keep them in shared or browser caches.
        if request.endpoint not in ("static", "govuk_assets", "vendor"):
            headers.setdefault("Cache-Control", "no-store")
        return response
