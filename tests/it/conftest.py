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
