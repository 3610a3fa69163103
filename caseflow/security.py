"""Security headers on every response (a static, strict policy: all scripts are files)."""

from flask import Flask, request

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


def init_security(app: Flask) -> None:
    production = app.config["ENV_NAME"] == "production"

    @app.before_request
    def screen_input():
        """Refuse text no field may hold before any view reads it (see inputs.py)."""
        from caseflow.inputs import screen_request

        return screen_request()

    @app.after_request
    def set_security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if production:
            headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        # Records about children are never kept in shared caches or the browser's history cache.
        if not request.path.startswith("/static/"):
            headers.setdefault("Cache-Control", "no-store")
        return response
