#!/usr/bin/python3
"""Capture real CQL native-protocol responses from the local test Cassandra as hex vectors.

Needs the single node with authentication from tests/cassandra/start (127.0.0.1:9042,
login cassandra/cassandra). Uses raw sockets only (no driver); python3-lz4 for LZ4.

    tests/cassandra/start
    /usr/bin/python3 tests/vectors/capture.py [--host 127.0.0.1] [--port 9042] [--out DIR]

For every exchange it writes NAME.hex (the exact bytes the server sent) and NAME.req.hex
(the exact bytes sent to trigger it). Each capture is decoded by the small parser below
(envelope lengths, body structure, segment CRC24/CRC32, LZ4) before it is written; any
inconsistency aborts the run and nothing further is written.

It also creates the keyspace cqlgate_vectors with one table of fixed content, used for the
multi-segment capture (no system table returns more than 128 KiB on a fresh node).
"""

import argparse
import datetime
import os
import socket
import struct
import sys
import zlib

import lz4.block

# ---------------------------------------------------------------------------------------------
# opcodes, consistency

ERROR, STARTUP, READY, AUTHENTICATE, OPTIONS, SUPPORTED, QUERY, RESULT, PREPARE, EXECUTE = (
    0x00, 0x01, 0x02, 0x03, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A)
REGISTER, EVENT, BATCH, AUTH_CHALLENGE, AUTH_RESPONSE, AUTH_SUCCESS = (
    0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x10)
OPNAMES = {ERROR: "ERROR", STARTUP: "STARTUP", READY: "READY", AUTHENTICATE: "AUTHENTICATE",
           OPTIONS: "OPTIONS", SUPPORTED: "SUPPORTED", QUERY: "QUERY", RESULT: "RESULT",
           PREPARE: "PREPARE", EXECUTE: "EXECUTE", REGISTER: "REGISTER", EVENT: "EVENT",
           BATCH: "BATCH", AUTH_CHALLENGE: "AUTH_CHALLENGE", AUTH_RESPONSE: "AUTH_RESPONSE",
           AUTH_SUCCESS: "AUTH_SUCCESS"}
CL_ONE = 0x0001

F_COMPRESSED, F_TRACING, F_CUSTOM_PAYLOAD, F_WARNING = 0x01, 0x02, 0x04, 0x08

SEG_MAX_PAYLOAD = (1 << 17) - 1


class Malformed(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# encoding


def e_string(s):
    b = s.encode()
    return struct.pack(">H", len(b)) + b


def e_long_string(s):
    b = s.encode()
    return struct.pack(">i", len(b)) + b


def e_bytes(b):
    return struct.pack(">i", -1) if b is None else struct.pack(">i", len(b)) + b


def e_string_map(d):
    out = struct.pack(">H", len(d))
    for k, v in d.items():
        out += e_string(k) + e_string(v)
    return out


def envelope(version, stream, opcode, body, flags=0):
    return struct.pack(">BBhBI", version, flags, stream, opcode, len(body)) + body


def query_body(version, cql, consistency=CL_ONE, page_size=None):
    flags = 0
    params = b""
    if page_size is not None:
        flags |= 0x04
        params += struct.pack(">i", page_size)
    # flags is a [byte] in v4 and an [int] in v5
    fl = struct.pack(">B", flags) if version < 5 else struct.pack(">I", flags)
    return e_long_string(cql) + struct.pack(">H", consistency) + fl + params


def prepare_body(version, cql):
    return e_long_string(cql) + (struct.pack(">I", 0) if version >= 5 else b"")


def sasl_plain(user, password):
    return b"\x00" + user.encode() + b"\x00" + password.encode()


def v4_lz4_compress(body):
    """v4 LZ4 body: 4-byte big-endian uncompressed length + raw LZ4 block."""
    return struct.pack(">I", len(body)) + lz4.block.compress(body, store_size=False)


# ---------------------------------------------------------------------------------------------
# v5 segments: CRC24 header check, CRC32 payload check (primed with FA 2D 55 CA)

CRC24_INIT = 0x875060
CRC24_POLY = 0x1974F0B
CRC32_PRIME = zlib.crc32(b"\xfa\x2d\x55\xca")


def crc24(value, nbytes):
    crc = CRC24_INIT
    for _ in range(nbytes):
        crc ^= (value & 0xFF) << 16
        value >>= 8
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= CRC24_POLY
    return crc & 0xFFFFFF


def crc32_seg(data):
    return zlib.crc32(data, CRC32_PRIME) & 0xFFFFFFFF


def segment(payload, self_contained=True):
    if len(payload) > SEG_MAX_PAYLOAD:
        raise ValueError("payload too large for one segment")
    word = len(payload) | (int(self_contained) << 17)
    return (word.to_bytes(3, "little") + crc24(word, 3).to_bytes(3, "little")
            + payload + crc32_seg(payload).to_bytes(4, "little"))


def lz4_segment(payload, self_contained=True):
    if len(payload) > SEG_MAX_PAYLOAD:
        raise ValueError("payload too large for one segment")
    comp = lz4.block.compress(payload, store_size=False)
    if len(comp) >= len(payload):
        comp, ulen = payload, 0            # stored uncompressed: uncompressed length 0
    else:
        ulen = len(payload)
    word = len(comp) | (ulen << 17) | (int(self_contained) << 34)
    return (word.to_bytes(5, "little") + crc24(word, 5).to_bytes(3, "little")
            + comp + crc32_seg(comp).to_bytes(4, "little"))


def _check_crc_vectors():
    # Known answers (protocol spec / Crc.java); fail fast if this file is broken.
    assert crc24(0x020000, 3).to_bytes(3, "little") == bytes.fromhex("6a36c4")
    assert crc24(0x01FFFF, 3).to_bytes(3, "little") == bytes.fromhex("3891fe")
    assert crc32_seg(b"") == 0x44777ED3
    assert segment(bytes.fromhex("050000000500000000")) == bytes.fromhex(
        "090002a4c8c1050000000500000000" "1086284d")


# ---------------------------------------------------------------------------------------------
# decoding


class Reader:
    def __init__(self, data):
        self.b = bytes(data)
        self.p = 0

    def take(self, n):
        if n < 0 or self.p + n > len(self.b):
            raise Malformed(f"need {n} bytes at offset {self.p}, only {len(self.b) - self.p} left")
        v = self.b[self.p:self.p + n]
        self.p += n
        return v

    def byte(self):
        return self.take(1)[0]

    def short(self):
        return struct.unpack(">H", self.take(2))[0]

    def int(self):
        return struct.unpack(">i", self.take(4))[0]

    def string(self):
        return self.take(self.short()).decode()

    def long_string(self):
        return self.take(self.int()).decode()

    def bytes_(self):
        n = self.int()
        return None if n < 0 else self.take(n)

    def short_bytes(self):
        return self.take(self.short())

    def string_list(self):
        return [self.string() for _ in range(self.short())]

    def string_multimap(self):
        return {self.string(): self.string_list() for _ in range(self.short())}

    def bytes_map(self):
        return {self.string(): self.bytes_() for _ in range(self.short())}

    def inet(self):
        n = self.byte()
        addr = self.take(n)
        return addr, self.int()

    def option(self, version):
        t = self.short()
        if t == 0x0000:
            return f"custom({self.string()})"
        if t in (0x0020, 0x0022):
            return ("list" if t == 0x20 else "set") + f"<{self.option(version)}>"
        if t == 0x0021:
            return f"map<{self.option(version)},{self.option(version)}>"
        if t == 0x0030:
            ks, name = self.string(), self.string()
            fields = [(self.string(), self.option(version)) for _ in range(self.short())]
            return f"udt {ks}.{name}{fields}"
        if t == 0x0031:
            return "tuple<" + ",".join(self.option(version) for _ in range(self.short())) + ">"
        simple = {0x01: "ascii", 0x02: "bigint", 0x03: "blob", 0x04: "boolean", 0x05: "counter",
                  0x06: "decimal", 0x07: "double", 0x08: "float", 0x09: "int", 0x0B: "timestamp",
                  0x0C: "uuid", 0x0D: "varchar", 0x0E: "varint", 0x0F: "timeuuid", 0x10: "inet",
                  0x11: "date", 0x12: "time", 0x13: "smallint", 0x14: "tinyint"}
        if t in simple:
            return simple[t]
        if t == 0x15 and version >= 5:
            return "duration"
        raise Malformed(f"unknown type id 0x{t:04x}")

    def done(self):
        if self.p != len(self.b):
            raise Malformed(f"{len(self.b) - self.p} trailing bytes in body")


def parse_rows_metadata(r, version, prepared_bind=False):
    flags = r.int()
    ncols = r.int()
    out = {"flags": flags, "columns": ncols}
    if prepared_bind:
        pk = r.int()
        out["pk_index"] = [r.short() for _ in range(pk)]
    else:
        if flags & 0x02:
            out["paging_state"] = r.bytes_()
        if flags & 0x08:
            if version < 5:
                raise Malformed("Metadata_changed flag on v4")
            out["new_metadata_id"] = r.short_bytes().hex()
    if flags & 0x04 and not prepared_bind:
        return out
    glob = None
    if flags & 0x01:
        glob = (r.string(), r.string())
    specs = []
    for _ in range(ncols):
        ks_t = glob if glob else (r.string(), r.string())
        specs.append((ks_t, r.string(), r.option(version)))
    out["specs"] = [f"{k}.{t}.{n}:{ty}" for (k, t), n, ty in specs]
    return out


def parse_body(version, opcode, body):
    """Decode a response body (already decompressed, prefixes removed); return a summary."""
    r = Reader(body)
    if opcode == ERROR:
        code = r.int()
        msg = r.string()
        extra = ""
        if code == 0x1000:                       # unavailable
            extra = f" cl={r.short()} required={r.int()} alive={r.int()}"
        elif code == 0x1100:                     # write timeout
            extra = f" cl={r.short()} received={r.int()} blockfor={r.int()} type={r.string()}"
        elif code == 0x1200:                     # read timeout
            extra = f" cl={r.short()} received={r.int()} blockfor={r.int()} present={r.byte()}"
        elif code == 0x2400:                     # already exists
            extra = f" ks={r.string()} table={r.string()}"
        elif code == 0x2500:                     # unprepared
            extra = f" id={r.short_bytes().hex()}"
        r.done()
        return f"ERROR code=0x{code:04x} message={msg!r}{extra}"
    if opcode == READY:
        r.done()
        return "READY"
    if opcode == AUTHENTICATE:
        cls = r.string()
        r.done()
        return f"AUTHENTICATE {cls}"
    if opcode == SUPPORTED:
        mm = r.string_multimap()
        r.done()
        return f"SUPPORTED {mm}"
    if opcode == AUTH_SUCCESS:
        tok = r.bytes_()
        r.done()
        return f"AUTH_SUCCESS token={'null' if tok is None else tok.hex()}"
    if opcode == AUTH_CHALLENGE:
        tok = r.bytes_()
        r.done()
        return f"AUTH_CHALLENGE token={tok!r}"
    if opcode == RESULT:
        kind = r.int()
        if kind == 1:
            r.done()
            return "RESULT Void"
        if kind == 2:
            md = parse_rows_metadata(r, version)
            nrows = r.int()
            ncells = 0
            for _ in range(nrows):
                for _ in range(md["columns"]):
                    r.bytes_()
                    ncells += 1
            r.done()
            specs = md.get("specs", [])
            return (f"RESULT Rows flags=0x{md['flags']:x} columns={md['columns']} rows={nrows}"
                    f" specs={specs}")
        if kind == 3:
            ks = r.string()
            r.done()
            return f"RESULT Set_keyspace {ks}"
        if kind == 4:
            pid = r.short_bytes()
            rmid = r.short_bytes() if version >= 5 else None
            bind = parse_rows_metadata(r, version, prepared_bind=True)
            res = parse_rows_metadata(r, version)
            r.done()
            return (f"RESULT Prepared id={pid.hex()}"
                    + (f" result_metadata_id={rmid.hex()}" if rmid is not None else "")
                    + f" bind={bind.get('specs')} pk_index={bind['pk_index']}"
                    f" result={res.get('specs')}")
        if kind == 5:
            change, target = r.string(), r.string()
            if target == "KEYSPACE":
                names = [r.string()]
            elif target in ("TABLE", "TYPE"):
                names = [r.string(), r.string()]
            else:
                names = [r.string(), r.string(), r.string_list()]
            r.done()
            return f"RESULT Schema_change {change} {target} {names}"
        raise Malformed(f"unknown RESULT kind {kind}")
    if opcode == EVENT:
        return f"EVENT {r.string()}"
    raise Malformed(f"unexpected response opcode 0x{opcode:02x}")


def parse_envelopes(data, version, lz4_body=False):
    """Split data into whole envelopes (lengths must add up exactly) and decode each."""
    out = []
    p = 0
    while p < len(data):
        if len(data) - p < 9:
            raise Malformed(f"{len(data) - p} stray bytes after the last envelope")
        ver, flags, stream, opcode, length = struct.unpack(">BBhBI", data[p:p + 9])
        if ver != (0x80 | version):
            raise Malformed(f"version byte 0x{ver:02x}, expected 0x{0x80 | version:02x}")
        body = data[p + 9:p + 9 + length]
        if len(body) != length:
            raise Malformed(f"body length {length} but only {len(body)} bytes present")
        if flags & F_COMPRESSED:
            if version >= 5 or not lz4_body:
                raise Malformed("compression flag on an envelope that must not be compressed")
            (ulen,) = struct.unpack(">I", body[:4])
            body = lz4.block.decompress(body[4:], uncompressed_size=ulen)
            if len(body) != ulen:
                raise Malformed("LZ4 body length mismatch")
        r = Reader(body)
        pre = []
        if flags & F_TRACING:
            pre.append(f"tracing={r.take(16).hex()}")
        if flags & F_WARNING:
            pre.append(f"warnings={r.string_list()}")
        if flags & F_CUSTOM_PAYLOAD:
            pre.append(f"custom_payload={r.bytes_map()}")
        summary = parse_body(version, opcode, body[r.p:])
        out.append({"version": ver, "flags": flags, "stream": stream, "opcode": opcode,
                    "length": length, "summary": summary, "prefix": pre})
        p += 9 + length
    return out


def parse_segments(data, compressed):
    """Check every segment of a v5 segment stream; return (segments, envelope byte runs)."""
    segs = []
    runs = []          # each: concatenated payload that must hold whole envelopes
    pending = None     # payload of a non-self-contained run in progress
    p = 0
    hlen = 8 if compressed else 6
    while p < len(data):
        if len(data) - p < hlen:
            raise Malformed("truncated segment header")
        hdr = data[p:p + hlen]
        wlen = hlen - 3
        word = int.from_bytes(hdr[:wlen], "little")
        hcrc = int.from_bytes(hdr[wlen:], "little")
        if crc24(word, wlen) != hcrc:
            raise Malformed(f"segment header CRC24 mismatch at offset {p}")
        if compressed:
            clen = word & 0x1FFFF
            ulen = (word >> 17) & 0x1FFFF
            sc = (word >> 34) & 1
            if word >> 35:
                raise Malformed("reserved header bits set")
        else:
            clen = word & 0x1FFFF
            ulen = 0
            sc = (word >> 17) & 1
            if word >> 18:
                raise Malformed("reserved header bits set")
        body = data[p + hlen:p + hlen + clen]
        trailer = data[p + hlen + clen:p + hlen + clen + 4]
        if len(body) != clen or len(trailer) != 4:
            raise Malformed("truncated segment payload")
        if crc32_seg(body) != int.from_bytes(trailer, "little"):
            raise Malformed(f"segment payload CRC32 mismatch at offset {p}")
        if compressed and ulen:
            payload = lz4.block.decompress(body, uncompressed_size=ulen)
            if len(payload) != ulen:
                raise Malformed("LZ4 segment length mismatch")
        else:
            payload = body
        segs.append({"offset": p, "payload_len": clen, "uncompressed_len": ulen,
                     "self_contained": bool(sc), "total": hlen + clen + 4})
        if sc:
            if pending is not None:
                raise Malformed("self-contained segment inside a split envelope")
            runs.append(payload)
        else:
            pending = (pending or b"") + payload
            if len(pending) >= 9:
                need = 9 + struct.unpack(">I", pending[5:9])[0]
                if len(pending) == need:
                    runs.append(pending)
                    pending = None
                elif len(pending) > need:
                    raise Malformed("split envelope run carries more than one envelope")
        p += hlen + clen + 4
    if pending is not None:
        raise Malformed("segment stream ends inside a split envelope")
    return segs, runs


# ---------------------------------------------------------------------------------------------
# connection


class Conn:
    def __init__(self, host, port):
        self.s = socket.create_connection((host, port), timeout=15)

    def send(self, data):
        self.s.sendall(data)

    def recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.s.recv(n - len(buf))
            if not chunk:
                raise Malformed(f"connection closed after {len(buf)} of {n} bytes")
            buf += chunk
        return buf

    def recv_envelope(self):
        hdr = self.recv_exact(9)
        return hdr + self.recv_exact(struct.unpack(">I", hdr[5:9])[0])

    def recv_segments(self, compressed):
        """Read segments until they hold one complete response envelope."""
        hlen = 8 if compressed else 6
        raw = b""
        pending = b""
        while True:
            hdr = self.recv_exact(hlen)
            word = int.from_bytes(hdr[:hlen - 3], "little")
            clen = word & 0x1FFFF
            sc = (word >> (34 if compressed else 17)) & 1
            rest = self.recv_exact(clen + 4)
            raw += hdr + rest
            if sc:
                return raw
            payload = rest[:clen]
            ulen = (word >> 17) & 0x1FFFF if compressed else 0
            if ulen:
                payload = lz4.block.decompress(payload, uncompressed_size=ulen)
            pending += payload
            if len(pending) >= 9 and len(pending) >= 9 + struct.unpack(">I", pending[5:9])[0]:
                return raw

    def close(self):
        self.s.close()


# ---------------------------------------------------------------------------------------------
# output


class Writer:
    def __init__(self, outdir, host):
        self.outdir = outdir
        self.host = host
        self.date = datetime.date.today().isoformat()
        self.release = "unknown"
        self.files = {}         # written only once every capture has been checked

    def _write(self, name, data, comments):
        hx = data.hex()
        text = "".join(f"# {c}\n" for c in comments)
        text += "".join(hx[i:i + 64] + "\n" for i in range(0, len(hx), 64))
        self.files[name] = text

    def flush(self):
        for name, text in self.files.items():
            with open(os.path.join(self.outdir, name), "w") as f:
                f.write(text)

    def pair(self, name, req, req_desc, resp, resp_desc):
        head = [f"Apache Cassandra {self.release}, captured {self.date} by tests/vectors/capture.py"]
        self._write(f"{name}.req.hex", req,
                    [f"{name}: request sent ({len(req)} bytes)"] + req_desc + head)
        self._write(f"{name}.hex", resp,
                    [f"{name}: server response ({len(resp)} bytes)"] + resp_desc + head)
        print(f"{name}.hex: {len(resp)} bytes; {resp_desc[-1] if resp_desc else ''}"[:200])


def describe(envs):
    return [f"envelope version=0x{e['version']:02x} flags=0x{e['flags']:02x} stream={e['stream']} "
            f"opcode=0x{e['opcode']:02x} ({OPNAMES.get(e['opcode'], '?')}) length={e['length']}"
            + (f" {' '.join(e['prefix'])}" if e["prefix"] else "")
            for e in envs] + [e["summary"][:400] for e in envs]


def describe_segs(segs):
    return [f"segment @{s['offset']}: payload {s['payload_len']} bytes"
            + (f" (uncompressed {s['uncompressed_len']})" if s['uncompressed_len'] else "")
            + (", self-contained" if s["self_contained"] else ", NOT self-contained")
            + f", {s['total']} bytes with header and CRC32 trailer" for s in segs]


def expect(envs, opcode, what):
    if len(envs) != 1 or envs[0]["opcode"] != opcode:
        raise Malformed(f"{what}: expected one {OPNAMES[opcode]}, got "
                        + ", ".join(e["summary"][:200] for e in envs))
    return envs[0]


# ---------------------------------------------------------------------------------------------
# scenarios

Q_LOCAL = "SELECT key, cluster_name, release_version FROM system.local"
Q_NOSUCH = "SELECT * FROM nosuch.tbl"
Q_SYNTAX = "SELECT * FROM nosuch.table"     # 'table' is a reserved word: syntax error
Q_PREPARE = "SELECT * FROM system.local WHERE key = ?"
BIG_ROWS = 100
BIG_PAYLOAD = 3000
Q_BIG = "SELECT * FROM cqlgate_vectors.big"
STARTUP_OPTS = {"CQL_VERSION": "3.0.0"}


def big_payload(i):
    unit = f"row {i:04d} of cqlgate_vectors.big; "
    return (unit * (BIG_PAYLOAD // len(unit) + 1))[:BIG_PAYLOAD]


class V4:
    """Unframed v4 (or unframed pre-segment v5) request/response with optional v4 LZ4 bodies."""

    def __init__(self, conn, version=4):
        self.c = conn
        self.version = version
        self.stream = 0
        self.lz4 = False        # compress request bodies (v4 LZ4)
        self.lz4_in = False     # responses may carry flag 0x01

    def request(self, opcode, body):
        flags = 0
        if self.lz4:
            body = v4_lz4_compress(body)
            flags |= F_COMPRESSED
        req = envelope(self.version, self.stream, opcode, body, flags)
        self.stream += 1
        self.c.send(req)
        resp = self.c.recv_envelope()
        envs = parse_envelopes(resp, self.version, lz4_body=self.lz4 or self.lz4_in)
        return req, resp, envs


class V5:
    """Segmented v5 after the STARTUP exchange."""

    def __init__(self, conn, compressed, stream=1):
        self.c = conn
        self.compressed = compressed
        self.stream = stream

    def request(self, opcode, body):
        env = envelope(5, self.stream, opcode, body)
        self.stream += 1
        req = (lz4_segment if self.compressed else segment)(env)
        # Check our own request encoding with the same parser.
        _, runs = parse_segments(req, self.compressed)
        assert runs == [env]
        self.c.send(req)
        resp = self.c.recv_segments(self.compressed)
        segs, runs = parse_segments(resp, self.compressed)
        envs = []
        for run in runs:
            envs += parse_envelopes(run, 5)
        return req, resp, segs, envs


def setup_big_table(host, port):
    """Create cqlgate_vectors.big with fixed content (idempotent)."""
    c = Conn(host, port)
    v = V4(c)
    _, _, envs = v.request(STARTUP, e_string_map(STARTUP_OPTS))
    expect(envs, AUTHENTICATE, "setup STARTUP")
    _, _, envs = v.request(AUTH_RESPONSE, e_bytes(sasl_plain("cassandra", "cassandra")))
    expect(envs, AUTH_SUCCESS, "setup login")
    for cql in ("CREATE KEYSPACE IF NOT EXISTS cqlgate_vectors WITH replication = "
                "{'class': 'SimpleStrategy', 'replication_factor': 1}",
                "CREATE TABLE IF NOT EXISTS cqlgate_vectors.big (id int PRIMARY KEY, payload text)"):
        _, _, envs = v.request(QUERY, query_body(4, cql))
        expect(envs, RESULT, cql)
    for i in range(BIG_ROWS):
        cql = f"INSERT INTO cqlgate_vectors.big (id, payload) VALUES ({i}, '{big_payload(i)}')"
        _, _, envs = v.request(QUERY, query_body(4, cql))
        expect(envs, RESULT, "insert")
    c.close()


def run(host, port, w):
    # --- v4, no compression ----------------------------------------------------------------
    c = Conn(host, port)
    v = V4(c)
    req, resp, envs = v.request(OPTIONS, b"")
    expect(envs, SUPPORTED, "v4 OPTIONS")
    w.pair("v4_supported", req, ["v4 OPTIONS, stream 0, empty body"], resp, describe(envs))

    req, resp, envs = v.request(STARTUP, e_string_map(STARTUP_OPTS))
    expect(envs, AUTHENTICATE, "v4 STARTUP")
    w.pair("v4_authenticate", req, ["v4 STARTUP {CQL_VERSION: 3.0.0}, stream 1 (after v4_supported)"],
           resp, describe(envs))

    req, resp, envs = v.request(AUTH_RESPONSE, e_bytes(sasl_plain("cassandra", "cassandra")))
    expect(envs, AUTH_SUCCESS, "v4 login")
    w.pair("v4_auth_success", req,
           ["v4 AUTH_RESPONSE token 00 'cassandra' 00 'cassandra', stream 2 (after v4_authenticate)"],
           resp, describe(envs))

    req, resp, envs = v.request(QUERY, query_body(4, Q_LOCAL))
    e = expect(envs, RESULT, "v4 rows")
    if "Rows" not in e["summary"]:
        raise Malformed(e["summary"])
    w.pair("v4_rows_local", req, [f"v4 QUERY {Q_LOCAL!r} consistency ONE, flags 0x00, stream 3"],
           resp, describe(envs))

    req, resp, envs = v.request(QUERY, query_body(4, Q_NOSUCH))
    e = expect(envs, ERROR, "v4 invalid query")
    if "code=0x2200" not in e["summary"]:
        raise Malformed(e["summary"])
    w.pair("v4_error_invalid", req, [f"v4 QUERY {Q_NOSUCH!r} consistency ONE, stream 4"],
           resp, describe(envs))

    req, resp, envs = v.request(PREPARE, prepare_body(4, Q_PREPARE))
    e = expect(envs, RESULT, "v4 prepare")
    if "Prepared" not in e["summary"]:
        raise Malformed(e["summary"])
    w.pair("v4_prepared", req, [f"v4 PREPARE {Q_PREPARE!r}, stream 5"], resp, describe(envs))

    req, resp, envs = v.request(QUERY, query_body(4, Q_SYNTAX))
    e = expect(envs, ERROR, "v4 syntax error")
    if "code=0x2000" not in e["summary"]:
        raise Malformed(e["summary"])
    w.pair("v4_error_syntax", req, [f"v4 QUERY {Q_SYNTAX!r} consistency ONE, stream 6"],
           resp, describe(envs))
    c.close()

    # --- v4, wrong password on a fresh connection ------------------------------------------
    c = Conn(host, port)
    v = V4(c)
    _, _, envs = v.request(STARTUP, e_string_map(STARTUP_OPTS))
    expect(envs, AUTHENTICATE, "v4 STARTUP (bad creds)")
    req, resp, envs = v.request(AUTH_RESPONSE, e_bytes(sasl_plain("cassandra", "wrong-password")))
    e = expect(envs, ERROR, "v4 bad credentials")
    if "code=0x0100" not in e["summary"]:
        raise Malformed(e["summary"])
    w.pair("v4_error_badcreds", req,
           ["v4 AUTH_RESPONSE token 00 'cassandra' 00 'wrong-password', stream 1,",
            "on a fresh connection after STARTUP {CQL_VERSION: 3.0.0} (stream 0) -> AUTHENTICATE"],
           resp, describe(envs))
    c.close()

    # --- v4 with LZ4 -------------------------------------------------------------------------
    c = Conn(host, port)
    v = V4(c)
    v.lz4_in = True     # the server already compresses its reply to STARTUP
    req, resp, envs = v.request(STARTUP, e_string_map(dict(STARTUP_OPTS, COMPRESSION="lz4")))
    e = expect(envs, AUTHENTICATE, "v4 lz4 STARTUP")
    w.pair("v4_lz4_authenticate", req,
           ["v4 STARTUP {CQL_VERSION: 3.0.0, COMPRESSION: lz4}, stream 0, uncompressed"],
           resp, [f"the reply to STARTUP is already compressed (flags 0x{e['flags']:02x})"]
           + describe(envs))
    v.lz4 = True        # from here on requests are compressed too (flag 0x01)
    _, _, envs = v.request(AUTH_RESPONSE, e_bytes(sasl_plain("cassandra", "cassandra")))
    expect(envs, AUTH_SUCCESS, "v4 lz4 login")
    req, resp, envs = v.request(QUERY, query_body(4, Q_LOCAL))
    e = expect(envs, RESULT, "v4 lz4 rows")
    if not e["flags"] & F_COMPRESSED:
        raise Malformed("v4 lz4 rows response is not compressed")
    w.pair("v4_lz4_rows_local", req,
           [f"v4 QUERY {Q_LOCAL!r} consistency ONE, stream 2, flag 0x01, body LZ4-compressed",
            "(4-byte BE uncompressed length + raw LZ4 block); connection opened with",
            "STARTUP {CQL_VERSION: 3.0.0, COMPRESSION: lz4} (stream 0), AUTH_RESPONSE (stream 1)"],
           resp, describe(envs))
    c.close()

    # --- v5, uncompressed segments ---------------------------------------------------------
    c = Conn(host, port)
    v = V4(c, version=5)        # STARTUP and its reply are unframed
    req, resp, envs = v.request(STARTUP, e_string_map(STARTUP_OPTS))
    expect(envs, AUTHENTICATE, "v5 STARTUP")
    w.pair("v5_authenticate", req,
           ["v5 STARTUP {CQL_VERSION: 3.0.0}, stream 0, unframed (no segment)"], resp,
           ["unframed: the reply to STARTUP is not in a segment"] + describe(envs))
    s = V5(c, compressed=False)
    req, resp, segs, envs = s.request(AUTH_RESPONSE, e_bytes(sasl_plain("cassandra", "cassandra")))
    expect(envs, AUTH_SUCCESS, "v5 login")
    w.pair("v5_seg_auth_success", req,
           ["v5 AUTH_RESPONSE token 00 'cassandra' 00 'cassandra', stream 1,",
            "in one self-contained uncompressed segment (after v5_authenticate)"],
           resp, describe_segs(segs) + describe(envs))

    req, resp, segs, envs = s.request(QUERY, query_body(5, Q_LOCAL))
    e = expect(envs, RESULT, "v5 rows")
    if "Rows" not in e["summary"]:
        raise Malformed(e["summary"])
    w.pair("v5_seg_rows_local", req,
           [f"v5 QUERY {Q_LOCAL!r} consistency ONE, flags [int] 0, stream 2, one segment"],
           resp, describe_segs(segs) + describe(envs))

    req, resp, segs, envs = s.request(QUERY, query_body(5, Q_BIG, page_size=5000))
    e = expect(envs, RESULT, "v5 large rows")
    if f"rows={BIG_ROWS}" not in e["summary"]:
        raise Malformed("large result: " + e["summary"][:200])
    if len(segs) < 2 or e["length"] + 9 <= 128 * 1024:
        raise Malformed(f"large result is {e['length'] + 9} bytes in {len(segs)} segment(s)")
    w.pair("v5_seg_large", req,
           [f"v5 QUERY {Q_BIG!r} consistency ONE, flags [int] 0x04, page size 5000, stream 3",
            f"(table made by capture.py: {BIG_ROWS} rows, id int 0..{BIG_ROWS - 1}, payload text of "
            f"{BIG_PAYLOAD} chars)"],
           resp, [f"one {e['length'] + 9}-byte envelope split over {len(segs)} segments"]
           + describe_segs(segs) + describe(envs))
    c.close()

    # --- v5, LZ4 segments ----------------------------------------------------------------------
    c = Conn(host, port)
    v = V4(c, version=5)
    _, _, envs = v.request(STARTUP, e_string_map(dict(STARTUP_OPTS, COMPRESSION="lz4")))
    expect(envs, AUTHENTICATE, "v5 lz4 STARTUP")
    s = V5(c, compressed=True)
    _, _, segs, envs = s.request(AUTH_RESPONSE, e_bytes(sasl_plain("cassandra", "cassandra")))
    expect(envs, AUTH_SUCCESS, "v5 lz4 login")
    req, resp, segs, envs = s.request(QUERY, query_body(5, Q_LOCAL))
    e = expect(envs, RESULT, "v5 lz4 rows")
    if "Rows" not in e["summary"]:
        raise Malformed(e["summary"])
    w.pair("v5_lz4_seg_rows_local", req,
           [f"v5 QUERY {Q_LOCAL!r} consistency ONE, stream 2, in one self-contained LZ4 segment;",
            "connection opened with unframed STARTUP {CQL_VERSION: 3.0.0, COMPRESSION: lz4}",
            "(stream 0) and AUTH_RESPONSE (stream 1) in an LZ4 segment"],
           resp, describe_segs(segs) + describe(envs))
    c.close()

    # --- unsupported protocol version ----------------------------------------------------------
    c = Conn(host, port)
    req = envelope(0x07, 0, OPTIONS, b"")
    c.send(req)
    # 5.0.2 answers with one unframed ERROR envelope and leaves the connection open.
    resp = c.recv_envelope()
    c.close()
    envs = parse_envelopes(resp, resp[0] & 0x7F)
    e = expect(envs, ERROR, "bad version")
    if "code=0x000a" not in e["summary"]:
        raise Malformed(e["summary"])
    w.pair("error_bad_version", req, ["OPTIONS with version byte 0x07, stream 0, empty body"],
           resp, [f"unframed reply, header version byte 0x{resp[0]:02x}"] + describe(envs))


def server_release(host, port):
    c = Conn(host, port)
    v = V4(c)
    v.request(STARTUP, e_string_map(STARTUP_OPTS))
    v.request(AUTH_RESPONSE, e_bytes(sasl_plain("cassandra", "cassandra")))
    _, resp, _ = v.request(QUERY, query_body(4, "SELECT release_version FROM system.local"))
    c.close()
    r = Reader(resp[9:])
    r.int()
    md = parse_rows_metadata(r, 4)
    assert md["columns"] == 1 and r.int() == 1
    return r.bytes_().decode()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=9042)
    ap.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    a = ap.parse_args()

    _check_crc_vectors()
    w = Writer(a.out, a.host)
    try:
        w.release = server_release(a.host, a.port)
        setup_big_table(a.host, a.port)
        run(a.host, a.port, w)
    except (Malformed, OSError) as e:
        print(f"capture: FAILED (nothing written): {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    w.flush()
    print(f"capture: wrote {len(w.files)} files to {a.out} (server {w.release})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
