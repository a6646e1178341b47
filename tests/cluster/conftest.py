"""Fixtures for the three-node tests (make test-cluster): a cluster of three real Cassandra nodes
on 127.0.0.2-4 started by `tests/cassandra/start --nodes 3 --first-ip 2`, beside the single node
of the other tests on 127.0.0.1, which these tests never touch. The Gateway class and helpers come
from tests/it/conftest.py."""

import importlib.util
import os
import re
import subprocess
import time

import pytest
import requests
from cassandra.auth import PlainTextAuthProvider
from cassandra.cluster import Cluster

_spec = importlib.util.spec_from_file_location(
    "it_conftest", os.path.join(os.path.dirname(__file__), "..", "it", "conftest.py"))
it = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(it)

Gateway = it.Gateway
get_token = it.get_token

FIRST_IP = 2
NODES = [f"127.0.0.{FIRST_IP + i}" for i in range(3)]
CASS = os.path.join(it.ROOT, "tests", "cassandra")
RUN = os.path.join(CASS, "run", f"ip{FIRST_IP}")


def contact_points():
    return ",".join(f"{h}:9042" for h in NODES[:1])


def node_pid(n):
    """The PID of node N (1-based), or None when it is not running."""
    try:
        with open(os.path.join(RUN, f"n{n}", "pid")) as f:
            pid = int(f.read().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except OSError:
        return None
    return pid


def kill9(n):
    """kill -9 of node N by its PID; returns once the process is gone."""
    pid = node_pid(n)
    assert pid is not None, f"node {n} is not running"
    os.kill(pid, 9)
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except OSError:
            return
        time.sleep(0.05)
    raise AssertionError(f"node {n} (pid {pid}) survived SIGKILL")


def nodetool(n, *args):
    subprocess.run([os.path.join(CASS, "nodetool"), "--first-ip", str(FIRST_IP), "-n", str(n),
                    *args], check=True, timeout=120, capture_output=True)


def start_cluster():
    subprocess.run([os.path.join(CASS, "start"), "--nodes", "3", "--first-ip", str(FIRST_IP)],
                   check=True, timeout=600)


def stop_cluster():
    subprocess.run([os.path.join(CASS, "stop"), "--first-ip", str(FIRST_IP)], check=True,
                   timeout=120)


class Page:
    """A /metrics page: sample values by name and labels."""

    LINE = re.compile(r'^([a-z_]+)(\{([^}]*)\})? (\S+)$')

    def __init__(self, text):
        self.samples = []
        for line in text.splitlines():
            if not line or line.startswith("#"):
                continue
            m = self.LINE.match(line)
            assert m, line
            labels = dict(re.findall(r'([a-z_]+)="([^"]*)"', m.group(3) or ""))
            self.samples.append((m.group(1), labels, float(m.group(4))))

    def get(self, name, **labels):
        for n, l, v in self.samples:
            if n == name and l == labels:
                return v
        return 0.0


def scrape(gw):
    r = requests.get(gw.url("/metrics"), timeout=10)
    assert r.status_code == 200
    return Page(r.text)


def node_label(host):
    return f"{host}:9042"


@pytest.fixture(scope="session")
def cluster_up():
    """The three nodes, started (or found running) once for the session."""
    start_cluster()
    yield


@pytest.fixture(scope="session")
def driver(cluster_up):
    cluster = Cluster(NODES, protocol_version=5,
                      auth_provider=PlainTextAuthProvider(it.USER, it.PASSWORD))
    s = cluster.connect()
    yield s
    cluster.shutdown()
