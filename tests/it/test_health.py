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


class GatedProxy:
    """A TCP proxy to the local Cassandra that can refuse new connections and cut open ones. It
    marks the connection that registers for SCHEMA_CHANGE events (cqlgate's control connection)."""

    def __init__(self):
        import socket
        import threading
        self.lock = threading.Lock()
        self.accepting = True
        self.pairs = []             # [client, server, is_control]
        self.srv = socket.socket()
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(16)
        self.port = self.srv.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        import socket
        import threading
        while True:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            if not self.accepting:
                c.close()
                continue
            s = socket.create_connection(("127.0.0.1", 9042))
            pair = [c, s, False]
            with self.lock:
                self.pairs.append(pair)
            threading.Thread(target=self._pump, args=(pair, c, s, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(pair, s, c, False), daemon=True).start()

    def _pump(self, pair, a, b, upstream):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                if upstream and b"SCHEMA_CHANGE" in data:
                    pair[2] = True
                b.sendall(data)
        except OSError:
            pass
        for sock in (a, b):
            try:
                sock.close()
            except OSError:
                pass

    def cut_worker(self):
        """Closes one connection that is not the control connection."""
        import socket
        with self.lock:
            pair = next(p for p in self.pairs if not p[2] and p[0].fileno() >= 0)
        for sock in pair[:2]:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self):
        self.srv.close()
        with self.lock:
            for c, s, _ in self.pairs:
                c.close()
                s.close()


def test_readiness_needs_every_worker_connected():
    import time
    proxy = GatedProxy()
    gw = Gateway(contact_points=f"127.0.0.1:{proxy.port}", workers=2)
    try:
        assert requests.get(gw.url("/checker/readiness"), timeout=5).text == "READY"
        # One worker loses its connection and cannot get another: the gateway is not ready,
        # although the control connection (and the schema) are fine.
        proxy.accepting = False
        proxy.cut_worker()
        deadline = time.monotonic() + 10
        while gw.ready() and time.monotonic() < deadline:
            time.sleep(0.05)
        r = requests.get(gw.url("/checker/readiness"), timeout=5)
        assert r.status_code == 503 and r.text == "NOT READY"
        assert requests.get(gw.url("/stargate/health/ready"), timeout=5).json() == DOWN
        proxy.accepting = True
        gw.wait_ready(timeout=30)
    finally:
        gw.stop_clean()
        proxy.close()
