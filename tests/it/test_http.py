"""The HTTP front of the real build/cqlgate binary: keep-alive, pipelining, chunked bodies,
100-continue, limits, timeouts, routing status codes, shutdown, configuration and connection
counts. These routes need no Cassandra, so neither do these tests."""

import json
import os
import resource
import select
import signal
import socket
import subprocess
import time

import pytest
import requests

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("CQLGATE_BUILD", os.path.join(ROOT, "build"))
CQLGATE = os.path.join(BUILD, "cqlgate")
HOST = "127.0.0.1"

KEYS = ["listen", "workers", "max-body", "max-header-bytes", "max-headers", "max-connections",
        "header-timeout-ms", "idle-timeout-ms", "drain-timeout-ms", "log-level",
        "contact-points", "username", "password", "protocol-version", "compression",
        "request-timeout-ms", "auth", "cql-endpoint", "token-ttl", "local-dc"]


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Gateway:
    """One cqlgate process on free loopback ports."""

    def __init__(self, *args, ports=1, env=None, workers=2):
        full_env = dict(os.environ)
        full_env.update(env or {})
        for attempt in range(3):
            # A port found free may be taken before cqlgate binds it; cqlgate then refuses to
            # start (exit 1) rather than share it, and another port is tried.
            self.ports = [free_port() for _ in range(ports)]
            self.port = self.ports[0]
            listen = ",".join(f"{HOST}:{p}" for p in self.ports)
            cmd = [CQLGATE, "--listen", listen, "--workers", str(workers)] + list(args)
            self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                         env=full_env)
            if self._wait_up():
                return
            err = self.proc.stderr.read().decode()
            if "address already in use" not in err or attempt == 2:
                raise AssertionError("cqlgate did not start: " + err)

    def _wait_up(self):
        deadline = time.monotonic() + 5
        while True:
            try:
                socket.create_connection((HOST, self.port), timeout=1).close()
                return True
            except OSError:
                if self.proc.poll() is not None:
                    return False
                if time.monotonic() > deadline:
                    self.proc.kill()
                    self.proc.wait()
                    return False
                time.sleep(0.02)

    def url(self, path, port=None):
        return f"http://{HOST}:{port or self.port}{path}"

    def stop(self, timeout=5):
        """SIGTERM, and the exit status; the process must end within TIMEOUT seconds."""
        if self.proc.stderr.closed:
            return self.proc.returncode
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("cqlgate did not stop after SIGTERM")
        self.stderr = self.proc.stderr.read().decode()
        self.proc.stdout.close()
        self.proc.stderr.close()
        return self.proc.returncode


@pytest.fixture
def gw():
    g = Gateway()
    yield g
    assert g.stop() == 0, g.stderr


@pytest.fixture
def start():
    """Starts gateways with extra flags; each must stop with status 0."""
    started = []

    def run(*args, **kw):
        g = Gateway(*args, **kw)
        started.append(g)
        return g

    yield run
    for g in started:
        assert g.stop() == 0, g.stderr


class Conn:
    """A raw client socket that reads responses one at a time."""

    def __init__(self, port, timeout=5):
        self.sock = socket.create_connection((HOST, port), timeout=timeout)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed")
        self.buf += chunk

    def read_until(self, marker):
        while marker not in self.buf:
            self._fill()
        i = self.buf.index(marker) + len(marker)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def read_response(self):
        """Returns (status, headers with lower-case names, body)."""
        head = self.read_until(b"\r\n\r\n").decode()
        lines = head.split("\r\n")
        version, status, _ = lines[0].split(" ", 2)
        assert version == "HTTP/1.1"
        headers = {}
        for line in lines[1:]:
            if line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        n = int(headers.get("content-length", "0"))
        while len(self.buf) < n:
            self._fill()
        body, self.buf = self.buf[:n], self.buf[n:]
        return int(status), headers, body

    def at_eof(self, timeout=2):
        """True when the server closes the connection within TIMEOUT seconds."""
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buf += chunk
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False

    def close(self):
        self.sock.close()


def error_body(body, code):
    doc = json.loads(body)
    assert list(doc) == ["description", "code", "grpcStatus", "internalTxId"]
    assert doc["code"] == code
    assert doc["grpcStatus"] is None and doc["internalTxId"] is None
    return doc["description"]


def get(path, extra=""):
    return f"GET {path} HTTP/1.1\r\nHost: x\r\n{extra}\r\n"


# ---- routes ------------------------------------------------------------------------------------

def test_operational_routes(gw):
    r = requests.get(gw.url("/checker/liveness"))
    assert (r.status_code, r.text, r.headers["Content-Type"]) == (200, "UP", "text/plain")
    r = requests.get(gw.url("/health"))
    assert (r.status_code, r.text, r.headers["Content-Type"]) == (200, "UP", "application/json")
    r = requests.get(gw.url("/checker/readiness"))
    assert (r.status_code, r.text) == (503, "NOT READY")


def test_404_405_and_prefix(gw):
    r = requests.get(gw.url("/v2/keyspaces"))
    assert r.status_code == 404
    assert error_body(r.content, 404) == "HTTP 404 Not Found"
    assert r.headers["Content-Type"] == "application/json"
    r = requests.post(gw.url("/checker/liveness"), data="x")
    assert r.status_code == 405
    assert error_body(r.content, 405) == "HTTP 405 Method Not Allowed"
    assert r.headers["Allow"] == "GET, HEAD"
    r = requests.get(gw.url("/api/rest/checker/liveness"))
    assert (r.status_code, r.text) == (200, "UP")
    r = requests.get(gw.url("/api/rest/health/"))
    assert (r.status_code, r.text) == (200, "UP")
    assert requests.delete(gw.url("/api/rest/health")).status_code == 405
    assert requests.get(gw.url("/api/restx/health")).status_code == 404
    r = requests.head(gw.url("/health"))
    assert (r.status_code, r.headers["Content-Length"], r.content) == (200, "2", b"")


def test_every_listener_serves_every_route(start):
    g = start(ports=2)
    for port in g.ports:
        assert requests.get(g.url("/checker/liveness", port)).text == "UP"
        assert requests.get(g.url("/health", port)).text == "UP"


# ---- connection handling -----------------------------------------------------------------------

def test_keep_alive(gw):
    c = Conn(gw.port)
    for path in ["/health", "/checker/liveness", "/nope", "/health", "/checker/readiness"]:
        c.send(get(path))
        status, headers, _ = c.read_response()
        assert status in (200, 404, 503)
        assert "connection" not in headers
    c.close()
    with requests.Session() as s:
        for _ in range(5):
            assert s.get(gw.url("/health")).text == "UP"


def test_http10_closes_unless_keep_alive(gw):
    c = Conn(gw.port)
    c.send("GET /health HTTP/1.0\r\n\r\n")
    status, headers, body = c.read_response()
    assert (status, body, headers["connection"]) == (200, b"UP", "close")
    assert c.at_eof()
    c.close()
    c = Conn(gw.port)
    c.send("GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    status, headers, _ = c.read_response()
    assert headers["connection"] == "keep-alive"
    c.send("GET /checker/liveness HTTP/1.0\r\n\r\n")
    status, headers, body = c.read_response()
    assert (body, headers["connection"]) == (b"UP", "close")
    assert c.at_eof()
    c.close()


def test_connection_close(gw):
    c = Conn(gw.port)
    c.send(get("/health"))
    assert c.read_response()[0] == 200
    c.send(get("/health", "Connection: close\r\n") + get("/health"))
    status, headers, _ = c.read_response()
    assert headers["connection"] == "close"
    assert c.at_eof()
    assert c.buf == b""                     # the request after the closing one is not answered
    c.close()


def test_pipelining_50_in_order(gw):
    paths = ["/health", "/checker/liveness", "/nope", "/checker/readiness", "/api/rest/health"]
    want = {"/health": (200, b"UP"), "/checker/liveness": (200, b"UP"), "/nope": (404, None),
            "/checker/readiness": (503, b"NOT READY"), "/api/rest/health": (200, b"UP")}
    order = [paths[i % len(paths)] for i in range(50)]
    c = Conn(gw.port)
    c.send("".join(get(p) for p in order))
    for p in order:
        status, _, body = c.read_response()
        assert status == want[p][0], p
        if want[p][1] is not None:
            assert body == want[p][1]
    c.send(get("/health"))
    assert c.read_response()[2] == b"UP"
    c.close()


def test_chunked_body_to_unknown_route(gw):
    c = Conn(gw.port)
    c.send("POST /v2/nothing HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
           "Content-Type: application/json\r\n\r\n"
           "4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n")
    status, headers, body = c.read_response()
    assert status == 404 and headers["content-type"] == "application/json"
    error_body(body, 404)
    c.send(get("/health"))
    assert c.read_response()[:1] == (200,)
    c.close()


def test_expect_100_continue(gw):
    c = Conn(gw.port)
    c.send("POST /v2/nothing HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
           "Expect: 100-continue\r\n\r\n")
    assert c.read_until(b"\r\n\r\n") == b"HTTP/1.1 100 Continue\r\n\r\n"
    c.send("hello")
    status, _, body = c.read_response()
    assert status == 404
    # Over the limit: 413 at once, without 100 Continue and without reading the body.
    c.send("POST /v2/nothing HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n"
           "Expect: 100-continue\r\n\r\n")
    status, headers, body = c.read_response()
    assert status == 413 and headers["connection"] == "close"
    assert "larger than the limit of 1048576 bytes" in error_body(body, 413)
    assert c.at_eof()
    c.close()


def test_body_over_limit(gw):
    c = Conn(gw.port)
    head = "POST /v2/nothing HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (2 << 20)
    try:
        c.send(head.encode() + b"x" * (2 << 20))
    except (BrokenPipeError, ConnectionResetError):
        pass
    status, headers, body = c.read_response()
    assert status == 413 and headers["connection"] == "close"
    error_body(body, 413)
    c.close()
    # Chunked: cut when the chunks pass the limit.
    c = Conn(gw.port)
    chunk = b"%x\r\n" % (256 << 10) + b"y" * (256 << 10) + b"\r\n"
    try:
        c.send(b"POST /v2/nothing HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
               + chunk * 5 + b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass
    status, _, body = c.read_response()
    assert status == 413
    error_body(body, 413)
    c.close()
    # Exactly at the limit is fine (404: no such route).
    r = requests.post(gw.url("/v2/nothing"), data=b"z" * (1 << 20))
    assert r.status_code == 404, r.text


def test_header_limits_431(gw):
    c = Conn(gw.port)
    c.send(get("/health", "".join(f"X-H{i}: {i}\r\n" for i in range(101))))
    status, headers, body = c.read_response()
    assert status == 431 and headers["connection"] == "close"
    assert "more than 100 header fields" in error_body(body, 431)
    c.close()
    c = Conn(gw.port)
    c.send(get("/health", "X-Big: " + "b" * 17000 + "\r\n"))
    status, _, body = c.read_response()
    assert status == 431
    error_body(body, 431)
    c.close()
    # 99 extra headers plus Host is exactly 100.
    c = Conn(gw.port)
    c.send(get("/health", "".join(f"X-H{i}: {i}\r\n" for i in range(99))))
    assert c.read_response()[0] == 200
    c.close()
    c = Conn(gw.port)
    c.send(get("/health?" + "q" * 17000))
    assert c.read_response()[0] == 414
    c.close()


@pytest.mark.parametrize("raw", [
    "GARBAGE\r\n\r\n",
    "GET /health HTTP/1.1\r\nBad Header Line\r\n\r\n",
    "GET /health HTTP/9.9\r\n\r\n",
    "GET health HTTP/1.1\r\n\r\n",
    "POST /health HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
])
def test_malformed_request_400(gw, raw):
    c = Conn(gw.port)
    c.send(raw)
    status, headers, body = c.read_response()
    assert status == 400 and headers["connection"] == "close"
    assert error_body(body, 400).startswith("Malformed")
    assert c.at_eof()
    c.close()


def test_header_timeout_cuts_slow_loris(start):
    g = start("--header-timeout-ms", "300")
    c = Conn(g.port)
    t0 = time.monotonic()
    data = b"GET /health HTTP/1.1\r\nX-Slow: " + b"z" * 100
    answered = None
    for b in data:
        try:
            c.sock.sendall(bytes([b]))
        except (BrokenPipeError, ConnectionResetError):
            break
        r, _, _ = select.select([c.sock], [], [], 0.1)
        if r:
            answered = time.monotonic() - t0
            break
    assert answered is not None, "the server never cut the trickle"
    assert 0.25 <= answered <= 0.8, answered
    status, headers, body = c.read_response()
    assert status == 408 and headers["connection"] == "close"
    error_body(body, 408)
    assert c.at_eof()
    c.close()
    # A connection that sends nothing is closed at the same deadline, silently.
    c = Conn(g.port)
    t0 = time.monotonic()
    assert c.at_eof(timeout=2)
    assert 0.25 <= time.monotonic() - t0 <= 0.8
    assert c.buf == b""
    c.close()


def test_idle_timeout(start):
    g = start("--idle-timeout-ms", "300")
    c = Conn(g.port)
    c.send(get("/health"))
    assert c.read_response()[0] == 200
    t0 = time.monotonic()
    assert c.at_eof(timeout=3)
    assert 0.25 <= time.monotonic() - t0 <= 1.0
    c.close()


# ---- connections -------------------------------------------------------------------------------

def raise_fd_limit(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(n, hard), hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def test_2000_concurrent_keep_alive_connections(start):
    n = 2000
    if raise_fd_limit(2 * n + 200) < 2 * n + 200:
        pytest.skip("file descriptor limit too low")
    g = start()
    conns = []
    try:
        for _ in range(n):
            conns.append(Conn(g.port))
        req = get("/health").encode()
        for c in conns:
            c.sock.sendall(req)
        for c in conns:
            assert c.read_response()[2] == b"UP"
        # Every connection is still open and usable.
        for c in conns[::97]:
            c.send(get("/checker/liveness"))
            assert c.read_response()[2] == b"UP"
    finally:
        for c in conns:
            c.close()


def test_max_connections(start):
    g = start("--max-connections", "10", workers=1)
    time.sleep(0.2)                         # the start-up probe's connection is gone
    conns = [Conn(g.port) for _ in range(10)]
    for c in conns:
        c.send(get("/health"))
        assert c.read_response()[0] == 200
    extra = Conn(g.port)
    try:
        extra.send(get("/health"))
    except (BrokenPipeError, ConnectionResetError):
        pass
    assert extra.at_eof()
    assert extra.buf == b""
    extra.close()
    conns.pop().close()
    time.sleep(0.1)
    c = Conn(g.port)
    c.send(get("/health"))
    assert c.read_response()[0] == 200
    c.close()
    for c in conns:
        c.close()


# ---- process -----------------------------------------------------------------------------------

def test_sigterm_exits_0_promptly_and_closes_idle_connections():
    g = Gateway()
    c = Conn(g.port)
    c.send(get("/health"))
    assert c.read_response()[0] == 200
    t0 = time.monotonic()
    assert g.stop() == 0, g.stderr
    assert time.monotonic() - t0 < 1.0
    assert c.at_eof(timeout=1)
    c.close()
    assert "stopped" in g.stderr


def test_port_in_use_exits_1(gw):
    p = subprocess.run([CQLGATE, "--listen", f"{HOST}:{gw.port}", "--workers", "1"],
                       capture_output=True, text=True, timeout=5)
    assert p.returncode == 1
    assert "address already in use" in p.stderr
    assert requests.get(gw.url("/health")).text == "UP"


def test_help_lists_every_key():
    p = subprocess.run([CQLGATE, "--help"], capture_output=True, text=True, timeout=5)
    assert p.returncode == 0
    for key in KEYS:
        assert f"--{key} " in p.stdout, key
        assert "CQLGATE_" + key.upper().replace("-", "_") in p.stdout, key
    assert "default: 1048576" in p.stdout
    assert "0.0.0.0:8081,0.0.0.0:8082,0.0.0.0:8180,0.0.0.0:8084" in p.stdout


@pytest.mark.parametrize("args,needle", [
    (["--max-body", "lots"], "max-body"),
    (["--listen", "127.0.0.1:99999"], "listen"),
    (["--compression", "zstd"], "compression"),
    (["--protocol-version", "3"], "protocol-version"),
    (["--bogus", "1"], "--bogus"),
    (["--workers"], "needs a value"),
])
def test_bad_flag_exits_2(args, needle):
    p = subprocess.run([CQLGATE] + args, capture_output=True, text=True, timeout=5)
    assert p.returncode == 2
    assert needle in p.stderr


def test_bad_env_exits_2():
    env = dict(os.environ, CQLGATE_IDLE_TIMEOUT_MS="soon")
    p = subprocess.run([CQLGATE], capture_output=True, text=True, timeout=5, env=env)
    assert p.returncode == 2
    assert "CQLGATE_IDLE_TIMEOUT_MS" in p.stderr


def test_env_vars_and_flag_precedence(start):
    port = free_port()
    g = start(env={"CQLGATE_MAX_HEADERS": "2", "CQLGATE_PASSWORD": "hunter2",
                   "CQLGATE_LISTEN": f"{HOST}:{port}"})
    c = Conn(g.port)
    c.send(get("/health", "A: 1\r\nB: 2\r\n"))
    assert c.read_response()[0] == 431
    c.close()
    # The flag (--listen from the fixture) won over CQLGATE_LISTEN.
    with pytest.raises(OSError):
        socket.create_connection((HOST, port), timeout=1).close()
    g2 = start("--max-headers", "5", env={"CQLGATE_MAX_HEADERS": "2"})
    c = Conn(g2.port)
    c.send(get("/health", "A: 1\r\nB: 2\r\n"))
    assert c.read_response()[0] == 200
    c.close()
    g.stop()
    assert "password=****" in g.stderr and "hunter2" not in g.stderr
