#!/usr/bin/python3
"""Readiness probes for the local test Cassandra (used by tests/cassandra/start).

Run with /usr/bin/python3: Debian's python3-cassandra is only importable there.

  wait_ready.py port  HOST [--pid PID] [--timeout S]
      Wait until HOST:9042 answers a v4 OPTIONS with SUPPORTED (raw socket).
  wait_ready.py login HOST [--no-auth] [--pid PID] [--timeout S]
      Wait until a driver session on HOST can log in as cassandra/cassandra
      (or just connect, with --no-auth) and read system.local.
  wait_ready.py cluster HOST... [--no-auth] [--timeout S]
      Wait until every HOST lists all the other HOSTs in system.peers_v2; with auth,
      make system_auth SimpleStrategy RF = number of hosts and read-repair the roles
      at ALL so that a login still works with one node down.

Exit status: 0 ready, 1 timed out (or failed), 2 the process PID died.
"""

import argparse
import logging
import os
import socket
import struct
import sys
import time

PORT = 9042


class Died(Exception):
    pass


def alive(pid):
    if pid is None:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0); look at its state.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def options_probe(host, timeout=2.0):
    """True if host answers OPTIONS (v4) with SUPPORTED."""
    with socket.create_connection((host, PORT), timeout=timeout) as s:
        s.sendall(struct.pack(">BBhBI", 0x04, 0, 0, 0x05, 0))
        hdr = b""
        while len(hdr) < 9:
            chunk = s.recv(9 - len(hdr))
            if not chunk:
                return False
            hdr += chunk
        return hdr[0] == 0x84 and hdr[4] == 0x06


def retry(what, fn, timeout, pid=None, interval=0.5):
    deadline = time.monotonic() + timeout
    last = None
    while True:
        if not alive(pid):
            raise Died(f"process {pid} exited while waiting for {what}")
        try:
            r = fn()
            if r is not False:
                return r
        except Exception as e:  # noqa: BLE001 - every failure means "not yet"
            last = e
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{what}: not ready after {timeout:.0f} s"
                               + (f" (last error: {type(last).__name__}: {last})" if last else ""))
        time.sleep(interval)


def session_for(host, auth, timeout=5.0):
    from cassandra.auth import PlainTextAuthProvider
    from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
    from cassandra.policies import WhiteListRoundRobinPolicy

    profile = ExecutionProfile(load_balancing_policy=WhiteListRoundRobinPolicy([host]),
                               request_timeout=20)
    cluster = Cluster(
        contact_points=[host],
        port=PORT,
        protocol_version=4,
        auth_provider=PlainTextAuthProvider("cassandra", "cassandra") if auth else None,
        execution_profiles={EXEC_PROFILE_DEFAULT: profile},
        schema_metadata_enabled=False,
        token_metadata_enabled=False,
        connect_timeout=timeout,
        control_connection_timeout=timeout,
    )
    try:
        session = cluster.connect()
    except Exception:
        cluster.shutdown()
        raise
    return cluster, session


def check_login(host, auth):
    cluster, session = session_for(host, auth)
    try:
        row = session.execute("SELECT release_version FROM system.local").one()
        return row.release_version
    finally:
        cluster.shutdown()


def check_peers(host, others, auth):
    cluster, session = session_for(host, auth)
    try:
        peers = {str(r.peer) for r in session.execute("SELECT peer FROM system.peers_v2")}
        missing = set(others) - peers
        if missing:
            raise RuntimeError(f"{host} does not list {sorted(missing)} in system.peers_v2")
        return True
    finally:
        cluster.shutdown()


def fix_system_auth(host, rf, auth):
    from cassandra import ConsistencyLevel
    from cassandra.query import SimpleStatement

    cluster, session = session_for(host, auth)
    try:
        row = session.execute(
            "SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = 'system_auth'").one()
        repl = dict(row.replication)
        if not (repl.get("class", "").endswith("SimpleStrategy")
                and repl.get("replication_factor") == str(rf)):
            session.execute("ALTER KEYSPACE system_auth WITH replication = "
                            f"{{'class': 'SimpleStrategy', 'replication_factor': {rf}}}")
        # The roles were written while RF was 1: a read at ALL repairs every replica
        # (blocking read repair) so that QUORUM logins work with one node down.
        session.execute(SimpleStatement("SELECT role, can_login, is_superuser, salted_hash "
                                        "FROM system_auth.roles",
                                        consistency_level=ConsistencyLevel.ALL))
        return True
    finally:
        cluster.shutdown()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mode", choices=["port", "login", "cluster"])
    ap.add_argument("hosts", nargs="+")
    ap.add_argument("--pid", type=int)
    ap.add_argument("--timeout", type=float, default=180)
    ap.add_argument("--no-auth", dest="auth", action="store_false")
    a = ap.parse_args()

    logging.basicConfig(level=logging.CRITICAL)
    logging.getLogger("cassandra").setLevel(logging.CRITICAL + 1)

    try:
        if a.mode == "port":
            for h in a.hosts:
                retry(f"CQL port {h}:{PORT}", lambda: options_probe(h), a.timeout, a.pid)
        elif a.mode == "login":
            for h in a.hosts:
                what = f"{'login as cassandra' if a.auth else 'connect'} on {h}"
                retry(what, lambda: check_login(h, a.auth), a.timeout, a.pid)
        else:
            deadline = time.monotonic() + a.timeout
            for h in a.hosts:
                others = [o for o in a.hosts if o != h]
                retry(f"peers of {h}", lambda: check_peers(h, others, a.auth),
                      max(1.0, deadline - time.monotonic()), interval=1.0)
            if a.auth:
                retry(f"system_auth RF {len(a.hosts)}",
                      lambda: fix_system_auth(a.hosts[0], len(a.hosts), a.auth),
                      max(1.0, deadline - time.monotonic()), interval=1.0)
    except Died as e:
        print(f"wait_ready: {e}", file=sys.stderr)
        return 2
    except TimeoutError as e:
        print(f"wait_ready: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
