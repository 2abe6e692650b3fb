"""The web client's page and the API's cross-origin rules, as a browser receives them."""
import re

import pytest

pytestmark = pytest.mark.django_db
ORIGIN = "https://app.example.com"


def _csp(response) -> dict[str, str]:
    return {d.split()[0]: d.partition(" ")[2] for d in response["Content-Security-Policy"].split("; ")}


def test_the_page_is_served_at_the_root_with_a_strict_content_security_policy(client):
    response = client.get("/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    policy = _csp(response)
    assert policy["default-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["script-src"] == policy["style-src"] == policy["connect-src"] == "'self'"
    assert "unsafe" not in response["Content-Security-Policy"]
    assert "no-store" in response["Cache-Control"]
    assert response["X-Frame-Options"] == "DENY"


def test_the_page_has_no_inline_script_or_style_and_loads_only_its_own_files(client):
    html = client.get("/").content.decode()
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []  # every script is a file
    assert "<style" not in html and " style=" not in html
    assert re.findall(r"<[^>]*\son\w+=", html) == []  # no inline event handler
    assert sorted(re.findall(r'(?:src|href)="([^"#]+)"', html)) == [
        "/api/docs/", "/static/web/app.css", "/static/web/favicon.svg", "/static/web/js/main.js"]


def test_only_the_root_is_the_page(client):
    assert client.get("/wallet").status_code == 404
    assert client.post("/").status_code == 405


def test_no_origin_may_call_the_api_across_origins_by_default(client):
    response = client.options("/api/wallet/transfer/", HTTP_ORIGIN=ORIGIN,
                              HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
                              HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, idempotency-key")
    assert "Access-Control-Allow-Origin" not in response


def test_a_listed_origin_passes_the_preflight_for_the_headers_a_client_sends(client, settings):
    settings.CORS_ALLOWED_ORIGINS = [ORIGIN]
    asked = "authorization, content-type, idempotency-key"
    response = client.options("/api/wallet/transfer/", HTTP_ORIGIN=ORIGIN,
                              HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
                              HTTP_ACCESS_CONTROL_REQUEST_HEADERS=asked)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    allowed = {h.strip() for h in response["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", "idempotency-key"} <= allowed
    assert "POST" in response["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Credentials" not in response  # bearer tokens, never cookies

    answer = client.get("/api/wallet/me/", HTTP_ORIGIN=ORIGIN)
    assert answer.status_code == 401 and answer["Access-Control-Allow-Origin"] == ORIGIN
    exposed = {h.strip().lower() for h in answer["Access-Control-Expose-Headers"].split(",")}
    assert {"retry-after", "idempotent-replayed", "content-disposition"} <= exposed


def test_an_unlisted_origin_is_refused_even_when_others_are_listed(client, settings):
    settings.CORS_ALLOWED_ORIGINS = [ORIGIN]
    response = client.options("/api/wallet/transfer/", HTTP_ORIGIN="https://evil.example",
                              HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
    assert "Access-Control-Allow-Origin" not in response
