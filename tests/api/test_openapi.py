"""The OpenAPI document is complete, and the explorer page loads only local files."""

import re

from tests.helpers import sign_in

DOC_ROUTES = {"/api/v1/openapi.json", "/api/v1/docs"}
ERROR_REF = {"$ref": "#/components/schemas/Error"}


def _spec(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def _openapi_path(rule) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)


def test_every_api_route_is_documented(app, client):
    spec = _spec(client)
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1") or rule.rule in DOC_ROUTES:
            continue
        operations = spec["paths"].get(_openapi_path(rule))
        assert operations is not None, f"{rule.rule} is not in the OpenAPI document"
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in operations, f"{method} {rule.rule} is not documented"


def test_operations_have_schemas_and_error_responses(client):
    spec = _spec(client)
    responses = spec["components"]["responses"]
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "A personal access token",
    }
    assert spec["security"] == [{"bearerAuth": []}]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            where = f"{method.upper()} {path}"
            success = [s for s in operation["responses"] if s.startswith("2")]
            assert success, where
            for status in success:
                content = operation["responses"][status]["content"]
                # JSON, but for the guardian notice's letter (a PDF, documented as binary).
                kind = "application/pdf" if path.endswith("/notices/letter") else "application/json"
                assert list(content) == [kind] and "schema" in content[kind], where
            assert "401" in operation["responses"], where
            if "{" in path:
                assert "404" in operation["responses"], where
            if method == "post":
                assert {"403", "409", "422"} <= set(operation["responses"]), where
                assert "requestBody" in operation or "parameters" in operation, where
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    name = response["$ref"].rsplit("/", 1)[1]
                    assert responses[name]["content"]["application/json"]["schema"] == ERROR_REF, where


def test_explorer_page_uses_only_local_assets_and_no_inline_script(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith(("/", "data:")) for s in sources), sources
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in sources
    assert re.search(r"<script>", html) is None  # the CSP allows script files only
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "LICENSE"):
        with client.get(f"/static/vendor/swagger-ui/{asset}") as served:
            assert served.status_code == 200, asset


def test_account_page_links_to_the_explorer(client, make):
    school = make.school()
    sign_in(client, make.user("teacher", schools=[school]))
    page = client.get("/account").get_data(as_text=True)
    assert 'href="/api/v1/docs"' in page
