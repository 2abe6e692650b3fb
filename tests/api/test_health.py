"""GET /healthz (liveness, no I/O) and GET /readyz (readiness: 200 when the database and the
broker answer, else 503 naming the part). Both public."""
import socket
from unittest import mock

import pytest
from django.db import OperationalError

pytestmark = pytest.mark.django_db
URL = "/readyz"
LIVENESS = "/healthz"


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_healthy_without_broker_configured(api, settings):
    settings.CELERY_BROKER_URL = None
    response = api.get(URL)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "not_configured"}


def test_healthy_with_real_redis_broker(api, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/4"
    response = api.get(URL)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_broker_down_is_503(api, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{unused_port()}/4"
    response = api.get(URL)
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "broker": "down"}


def test_amqp_broker_down_is_503_quickly(api, settings):
    import time

    settings.CELERY_BROKER_URL = f"amqp://guest:guest@127.0.0.1:{unused_port()}//"
    started = time.monotonic()
    response = api.get(URL)
    assert response.status_code == 503
    assert response.json()["broker"] == "down"
    assert time.monotonic() - started < 5


def test_filesystem_broker(api, settings, tmp_path):
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": str(tmp_path),
                                                "data_folder_out": str(tmp_path)}
    assert api.get(URL).json()["broker"] == "ok"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": str(tmp_path / "missing"),
                                                "data_folder_out": str(tmp_path)}
    assert api.get(URL).status_code == 503


def test_database_down_is_503(api, settings):
    settings.CELERY_BROKER_URL = None
    with mock.patch("apps.core.health.connection.cursor", side_effect=OperationalError("down")):
        response = api.get(URL)
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "down", "broker": "not_configured"}


@pytest.mark.parametrize("url", [URL, LIVENESS])
def test_health_needs_no_token_and_ignores_a_bad_one(api, url):
    api.credentials(HTTP_AUTHORIZATION="Bearer garbage")
    assert api.get(url).status_code == 200


def test_liveness_answers_without_touching_the_database_or_the_broker(api, settings,
                                                                       django_assert_num_queries):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{unused_port()}/4"  # down, and never asked
    no_io = AssertionError("liveness must not check a dependency")
    with mock.patch("apps.core.health.database_status", side_effect=no_io), \
            mock.patch("apps.core.health.broker_status", side_effect=no_io), \
            django_assert_num_queries(0):
        response = api.get(LIVENESS)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
