"""The docs pages work offline: every asset they load comes from this server."""
import json
import re

import pytest
import yaml
from django.core.management import call_command
from django.test import Client

DOCS_PAGES = ["/api/docs/", "/api/redoc/"]


@pytest.mark.parametrize("path", DOCS_PAGES)
def test_docs_pages_load_assets_from_this_server(client, path):
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets, html[:500]
    assert all(url.startswith("/static/drf_spectacular_sidecar/") for url in assets), assets
    assert "cdn" not in html.lower()


def test_schema_is_served(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert "/api/transactions/" in response.json()["paths"]


@pytest.mark.parametrize(("query", "media_type"), [
    ("", "application/vnd.oai.openapi"),  # YAML by default
    ("?format=yaml", "application/vnd.oai.openapi"),
    ("?format=json", "application/vnd.oai.openapi+json"),
])
def test_schema_format_query_chooses_json_or_yaml(client, query, media_type):
    response = client.get(f"/api/schema/{query}")
    assert response.status_code == 200
    assert response["Content-Type"].split(";")[0] == media_type
    text = response.content.decode()
    document = json.loads(text) if media_type.endswith("+json") else yaml.safe_load(text)
    assert document["openapi"].startswith("3.") and "/api/transactions/" in document["paths"]


@pytest.mark.django_db
def test_format_query_chooses_a_renderer_on_the_schema_only(alice, client_for):
    """Elsewhere `format` is the history's unknown parameter, as any other."""
    response = client_for(alice).get("/api/transactions/?format=json")
    assert response.status_code == 400
    assert response.json()["details"]["format"][0]["code"] == "unknown_parameter"
    assert client_for(alice).get("/api/wallet/me/?format=yaml")["Content-Type"] == "application/json"


def test_whitenoise_serves_collected_assets_without_debug(settings, tmp_path):
    """What gunicorn does under `make run`: collectstatic, then the app serves the files."""
    settings.DEBUG = False
    settings.WHITENOISE_USE_FINDERS = False
    settings.STATIC_ROOT = tmp_path / "static"
    call_command("collectstatic", "--noinput", verbosity=0)

    client = Client()  # a fresh handler builds WhiteNoise over the new STATIC_ROOT
    html = client.get("/api/docs/").content.decode()
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert response.getvalue()
    assert client.get("/static/admin/css/base.css").status_code == 200
    assert client.get("/static/no-such-file.js").status_code == 404


@pytest.mark.parametrize("path", DOCS_PAGES)
def test_options_on_a_docs_page_lists_the_allowed_methods(client, path):
    response = client.options(path)
    assert response.status_code == 200
    assert {m.strip() for m in response["Allow"].split(",")} >= {"GET", "HEAD", "OPTIONS"}
    assert response.content == b""
