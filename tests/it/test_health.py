"""Stargate's health routes: /stargate/health, /ready and /live, UP or DOWN with Cassandra."""

import requests

from conftest import Gateway, free_port

UP = {"status": "UP", "checks": [{"name": "cassandra", "status": "UP"}]}
DOWN = {"status": "DOWN", "checks": [{"name": "cassandra", "status": "DOWN"}]}


def test_stargate_health_up(gateway):
    for path in ("/stargate/health", "/stargate/health/ready", "/api/rest/stargate/health"):
        r = requests.get(gateway.url(path), timeout=5)
        assert r.status_code == 200, path
        assert r.headers["Content-Type"].startswith("application/json")
        assert r.json() == UP
    r = requests.get(gateway.url("/stargate/health/live"), timeout=5)
    assert r.status_code == 200 and r.json() == {"status": "UP", "checks": []}


def test_stargate_health_down_without_cassandra():
    gw = Gateway(contact_points=f"127.0.0.1:{free_port()}", wait_ready=False)
    try:
        for path in ("/stargate/health", "/stargate/health/ready"):
            r = requests.get(gw.url(path), timeout=5)
            assert r.status_code == 503, path
            assert r.json() == DOWN
        r = requests.get(gw.url("/stargate/health/live"), timeout=5)
        assert r.status_code == 200 and r.json()["status"] == "UP"
        assert requests.get(gw.url("/checker/readiness"), timeout=5).text == "NOT READY"
    finally:
        gw.stop_clean()
