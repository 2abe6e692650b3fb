"""``/metrics`` as a test reads it: behind its token, parsed by prometheus-client's own parser."""
from prometheus_client.parser import text_string_to_metric_families

METRICS_TOKEN = "metrics-scrape-token-0123456789"


def scrape(api) -> dict:
    """``/metrics`` read with prometheus-client's own parser: {(sample name, labels): value}."""
    response = api.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {METRICS_TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.content.decode())
            for sample in family.samples}


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)
