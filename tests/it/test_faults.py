"""Failures a real node will not produce on demand, played by a scripted peer: a server that
stops answering (request deadline), one that hangs up mid-request, one that sends garbage, and
one that never finishes the handshake."""

import socket
import struct
import threading

import pytest

from conftest import run_cqlc


def envelope(opcode, stream, body, version=4):
    return struct.pack(">BBhBI", 0x80 | version, 0, stream, opcode, len(body)) + body


def string_multimap(entries):
    out = struct.pack(">H", len(entries))
    for key, values in entries.items():
        out += struct.pack(">H", len(key)) + key.encode()
        out += struct.pack(">H", len(values))
        for v in values:
            out += struct.pack(">H", len(v)) + v.encode()
    return out


class Peer:
    """A v4-only CQL peer: refuses v5 like an old node, answers OPTIONS and STARTUP, and then
    does what `after_ready` says with the first request."""

    def __init__(self, after_ready, handshake=True, v5=False):
        self.after_ready = after_ready
        self.handshake = handshake
        self.v5 = v5
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)
            threading.Thread(target=self.handle, args=(c,), daemon=True).start()

    def read_envelope(self, c):
        head = b""
        while len(head) < 9:
            chunk = c.recv(9 - len(head))
            if not chunk:
                return None
            head += chunk
        version, _, stream, opcode, length = struct.unpack(">BBhBI", head)
        body = b""
        while len(body) < length:
            body += c.recv(length - len(body))
        return version, stream, opcode, body

    def handle(self, c):
        try:
            while True:
                env = self.read_envelope(c)
                if env is None:
                    return
                version, stream, opcode, _ = env
                if version == 5 and self.v5:
                    if opcode == 0x05:
                        c.sendall(envelope(0x06, stream, string_multimap(
                            {"PROTOCOL_VERSIONS": ["5/v5"]}), version=5))
                        continue
                    c.sendall(envelope(0x02, stream, b"", version=5))
                    self.after_ready(c, stream)
                    return
                if version == 5:
                    msg = b"Invalid or unsupported protocol version (5)"
                    c.sendall(envelope(0x00, stream, struct.pack(">iH", 0x0A, len(msg)) + msg))
                    c.close()
                    return
                if not self.handshake:
                    continue
                if opcode == 0x05:
                    c.sendall(envelope(0x06, stream, string_multimap(
                        {"CQL_VERSION": ["3.4.7"], "PROTOCOL_VERSIONS": ["4/v4"]})))
                elif opcode == 0x01:
                    c.sendall(envelope(0x02, stream, b""))
                else:
                    self.after_ready(c, stream)
                    if c.fileno() < 0:
                        return
        except OSError:
            pass

    def close(self):
        self.sock.close()
        for c in self.conns:
            try:
                c.close()
            except OSError:
                pass


def silent(c, stream):
    pass


def hang_up(c, stream):
    c.close()


def garbage(c, stream):
    c.sendall(b"\x84\x00\x00\x01\x08\xff\xff\xff\xff" + b"x" * 32)


def corrupt_segment(c, stream):
    """After READY the connection talks in v5 segments: send one whose payload CRC is wrong."""
    c.recv(65536)
    payload = envelope(0x08, 0, struct.pack(">i", 1), version=5)
    word = len(payload) | 1 << 17
    header = word.to_bytes(3, "little")
    crc24 = 0x875060
    for b in header:
        crc24 ^= b << 16
        for _ in range(8):
            crc24 <<= 1
            if crc24 & 0x1000000:
                crc24 ^= 0x1974F0B
    header += (crc24 & 0xFFFFFF).to_bytes(3, "little")
    c.sendall(header + payload + b"\x00\x00\x00\x00")
    c.recv(65536)


@pytest.fixture
def peer(request):
    p = Peer(*request.param)
    yield p
    p.close()


@pytest.mark.parametrize("peer", [(silent,)], indirect=True)
def test_request_deadline(peer):
    res = run_cqlc("--port", str(peer.port), "--simple", "--timeout", "300", "-e", "SELECT 1",
                   "-e", "SELECT 2", auth=False, check=False)
    assert res.code == 2
    assert [e["error"] for e in res.errors] == ["E_TIMEOUT", "E_TIMEOUT"]


@pytest.mark.parametrize("peer", [(hang_up,)], indirect=True)
def test_connection_lost_mid_request(peer):
    res = run_cqlc("--port", str(peer.port), "--simple", "-e", "SELECT 1", "-e", "SELECT 2",
                   auth=False, check=False)
    assert res.code == 1
    assert [e["error"] for e in res.errors] == ["E_CLOSED", "E_NOTREADY"]
    assert "closed by the server" in res.stderr


@pytest.mark.parametrize("peer", [(garbage,)], indirect=True)
def test_oversized_envelope_closes_the_connection(peer):
    res = run_cqlc("--port", str(peer.port), "--simple", "-e", "SELECT 1", auth=False,
                   check=False)
    assert res.code == 1
    assert res.errors[0]["error"] == "E_CLOSED"
    assert "bad envelope" in res.stderr and "size limit" in res.stderr


@pytest.mark.parametrize("peer", [(corrupt_segment, True, True)], indirect=True)
def test_corrupt_v5_segment_closes_the_connection(peer):
    res = run_cqlc("--port", str(peer.port), "--simple", "-e", "SELECT 1", auth=False,
                   check=False)
    assert res.code == 1
    assert res.errors[0]["error"] == "E_CLOSED"
    assert "bad segment" in res.stderr and "CRC32 mismatch" in res.stderr


@pytest.mark.parametrize("peer", [(silent, False)], indirect=True)
def test_handshake_deadline(peer):
    res = run_cqlc("--port", str(peer.port), "--timeout", "300", "-e", "SELECT 1", auth=False,
                   check=False)
    assert res.code == 1
    assert "timed out" in res.stderr
