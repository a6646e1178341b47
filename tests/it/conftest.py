"""Fixtures for the integration tests: the real Cassandra started by tests/cassandra/start, the
cqlc client built on cqlgate's own connection layer, and the Python cassandra-driver as the
independent reference client."""

import decimal
import json
import os
import subprocess

import pytest
from cassandra.auth import PlainTextAuthProvider
from cassandra.cluster import Cluster

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("CQLGATE_BUILD", os.path.join(ROOT, "build"))
CQLC = os.path.join(BUILD, "tests", "it", "cqlc")
HOST = "127.0.0.1"
USER = "cassandra"
PASSWORD = "cassandra"
KEYSPACE = "cqlgate_it"


class Result:
    """What one cqlc run printed: rows and errors as parsed JSON lines, plus the raw output."""

    def __init__(self, proc):
        self.code = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        # Decimals parse exactly, so varint and decimal values compare without a float's loss.
        self.lines = [json.loads(line, parse_float=decimal.Decimal)
                      for line in proc.stdout.splitlines() if line.strip()]

    @property
    def errors(self):
        return [l for l in self.lines if "error" in l]

    @property
    def rows(self):
        return [l for l in self.lines if "error" not in l]


def run_cqlc(*args, auth=True, timeout=120, check=True):
    cmd = [CQLC, "--host", HOST]
    if auth:
        cmd += ["-u", USER, "-p", PASSWORD]
    cmd += list(args)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    res = Result(proc)
    if check and res.code != 0:
        raise AssertionError(f"cqlc exited {res.code}: {res.stdout}\n{res.stderr}")
    return res


@pytest.fixture(scope="session")
def cqlc():
    assert os.access(CQLC, os.X_OK), f"{CQLC} is not built (make all)"
    return run_cqlc


@pytest.fixture(scope="session")
def session():
    cluster = Cluster([HOST], protocol_version=5,
                      auth_provider=PlainTextAuthProvider(USER, PASSWORD))
    s = cluster.connect()
    s.execute(f"CREATE KEYSPACE IF NOT EXISTS {KEYSPACE} WITH replication = "
              "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    s.set_keyspace(KEYSPACE)
    yield s
    cluster.shutdown()


# ---- the gateway itself --------------------------------------------------------------------------

import signal
import socket
import tempfile
import time

import requests

CQLGATE = os.path.join(BUILD, "cqlgate")


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Gateway:
    """One build*/cqlgate process on a free loopback port, logging to a temporary file. It is
    stopped by its PID with SIGTERM, and must then exit 0 (every loop closed cleanly)."""

    def __init__(self, *args, contact_points=f"{HOST}:9042", workers=2, wait_ready=True,
                 credentials=True):
        assert os.access(CQLGATE, os.X_OK), f"{CQLGATE} is not built (make)"
        self.log = tempfile.NamedTemporaryFile(prefix="cqlgate-", suffix=".log", delete=False)
        for attempt in range(3):
            self.port = free_port()
            cmd = [CQLGATE, "--listen", f"{HOST}:{self.port}", "--workers", str(workers),
                   "--contact-points", contact_points]
            if credentials:
                cmd += ["--username", USER, "--password", PASSWORD]
            cmd += list(args)
            self.log.seek(0)
            self.log.truncate()
            self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=self.log)
            if self._wait_listening():
                break
            if "address already in use" not in self.output() or attempt == 2:
                raise AssertionError("cqlgate did not start:\n" + self.output())
        if wait_ready:
            self.wait_ready()

    def _wait_listening(self):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection((HOST, self.port), timeout=1).close()
                return True
            except OSError:
                if self.proc.poll() is not None:
                    return False
                time.sleep(0.02)
        self.proc.kill()
        self.proc.wait()
        return False

    def output(self):
        with open(self.log.name, errors="replace") as f:
            return f.read()

    def url(self, path):
        return f"http://{HOST}:{self.port}{path}"

    def ready(self):
        r = requests.get(self.url("/checker/readiness"), timeout=5)
        return r.status_code == 200 and r.text == "READY"

    def wait_ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.ready():
                return
            assert self.proc.poll() is None, "cqlgate exited:\n" + self.output()
            time.sleep(0.05)
        raise AssertionError("cqlgate did not become ready:\n" + self.output())

    def stop(self, timeout=20):
        """SIGTERM to the PID; returns the exit status (the process must end within TIMEOUT)."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            raise AssertionError("cqlgate did not stop on SIGTERM:\n" + self.output())
        return rc

    def stop_clean(self):
        rc = self.stop()
        out = self.output()
        os.unlink(self.log.name)
        assert rc == 0, f"cqlgate exited {rc}:\n{out}"
        return out


@pytest.fixture(scope="session")
def gateway():
    """A gateway against the local Cassandra, with table tokens (the default), ready."""
    gw = Gateway()
    yield gw
    gw.stop_clean()


def get_token(gw, user=USER, password=PASSWORD):
    """A fresh token from GW's POST /v1/auth."""
    r = requests.post(gw.url("/v1/auth"), json={"username": user, "password": password},
                      timeout=30)
    assert r.status_code == 201, r.text
    return r.json()["authToken"]


@pytest.fixture(scope="session")
def token(gateway):
    return get_token(gateway)


@pytest.fixture(scope="session")
def driver():
    """The Python driver as the independent client, with no keyspace set."""
    cluster = Cluster([HOST], protocol_version=5,
                      auth_provider=PlainTextAuthProvider(USER, PASSWORD))
    s = cluster.connect()
    yield s
    cluster.shutdown()
