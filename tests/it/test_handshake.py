"""Handshake: v4 and v5, with and without lz4, credentials right and wrong, and the fall back to
v4 when a server refuses v5 (shown by a proxy in front of the real node)."""

import socket
import struct
import threading

import pytest

from conftest import run_cqlc

RELEASE = "SELECT release_version FROM system.local"


@pytest.mark.parametrize("version", [4, 5])
@pytest.mark.parametrize("compression", ["none", "lz4"])
def test_handshake_versions_and_compression(cqlc, version, compression):
    args = ["--info", "--protocol", str(version)]
    if compression == "lz4":
        args += ["--compression", "lz4"]
    res = cqlc(*args, "-e", RELEASE)
    assert res.lines[0] == {"protocol": version, "compression": compression}
    assert res.lines[1]["release_version"].startswith("5.0.")


def test_handshake_negotiates_v5_by_default(cqlc):
    res = cqlc("--info", "-e", RELEASE)
    assert res.lines[0]["protocol"] == 5


@pytest.mark.parametrize("version", [4, 5])
def test_wrong_password_is_a_clear_authentication_error(version):
    res = run_cqlc("-u", "cassandra", "-p", "wrong", "--protocol", str(version), "-e", RELEASE,
                   auth=False, check=False)
    assert res.code == 1
    assert "Bad credentials" in res.stderr
    assert "incorrect" in res.stderr
    assert res.stdout == ""


def test_missing_credentials_are_refused():
    res = run_cqlc("-e", RELEASE, auth=False, check=False)
    assert res.code == 1
    assert "requires authentication" in res.stderr


def test_connection_refused_is_reported():
    res = run_cqlc("--port", "1", "-e", RELEASE, check=False)
    assert res.code == 1
    assert "cannot connect" in res.stderr and "refused" in res.stderr


def test_unknown_host_is_reported():
    res = run_cqlc("--host", "no-such-host.invalid", "-e", RELEASE, check=False)
    assert res.code == 1
    assert "cannot resolve no-such-host.invalid" in res.stderr


class V4OnlyProxy:
    """Forwards to the real node, but answers any v5 envelope the way a Cassandra 3.x/4.0 node
    without v5 does: a protocol error naming the version, then it closes the connection."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.refused = 0
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.handle, args=(client,), daemon=True).start()

    def handle(self, client):
        first = client.recv(9, socket.MSG_PEEK)
        if first and first[0] == 0x05:
            self.refused += 1
            msg = (b"Invalid or unsupported protocol version (5); "
                   b"supported versions are (3/v3, 4/v4)")
            body = struct.pack(">i", 0x000A) + struct.pack(">H", len(msg)) + msg
            stream = struct.unpack(">h", first[2:4])[0]
            client.sendall(struct.pack(">BBhBI", 0x84, 0, stream, 0x00, len(body)) + body)
            client.close()
            return
        upstream = socket.create_connection(("127.0.0.1", 9042))

        def pump(a, b):
            try:
                while True:
                    data = a.recv(65536)
                    if not data:
                        break
                    b.sendall(data)
            except OSError:
                pass
            finally:
                for s in (a, b):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

        threading.Thread(target=pump, args=(client, upstream), daemon=True).start()
        pump(upstream, client)

    def close(self):
        self.sock.close()


def test_falls_back_to_v4_when_the_server_refuses_v5(cqlc):
    proxy = V4OnlyProxy()
    try:
        res = cqlc("--port", str(proxy.port), "--info", "-e", RELEASE)
        assert res.lines[0]["protocol"] == 4
        assert res.lines[1]["release_version"].startswith("5.0.")
        assert proxy.refused == 1
    finally:
        proxy.close()


def test_pinned_v5_does_not_fall_back(cqlc):
    proxy = V4OnlyProxy()
    try:
        res = cqlc("--port", str(proxy.port), "--protocol", "5", "-e", RELEASE, check=False)
        assert res.code == 1
        assert "refused protocol v5" in res.stderr
    finally:
        proxy.close()
