#!/usr/bin/python3
"""Write the seed corpora of the libFuzzer drivers in tests/fuzz/.

    /usr/bin/python3 tests/fuzz/seed.py        (or: make fuzz-seeds)

Writes tests/fuzz/corpus/<target>/<name> (small binary files; the directories are emptied first,
so the output depends only on this script and tests/vectors/):

  fuzz_frame   a control byte (bit 0: v4 or v5 decoders) + envelopes. Every server response in
               tests/vectors/*.hex: v4 envelopes as captured (lz4 bodies included), v5 envelopes
               taken out of their segments (and decompressed), the 301 KB v5_seg_large RESULT cut
               down to its first rows. Then envelopes built here for the message shapes no capture
               shows: every ERROR code's extras, the other RESULT kinds, EVENTs, auth tokens,
               tracing / warning / custom payload prefixes, Rows of every type family.
  fuzz_seg     a control byte (bit 0: lz4 segments) + a segment stream. The v5 segment captures
               (responses and requests) as captured, except v5_seg_large, which is over the 64 KiB
               input limit: its envelope, cut down as above, is split here over runs of
               non-self-contained segments, uncompressed and lz4.
  fuzz_value   "type\\0value" pairs written by hand below, one or more per CQL type family, and a
               few binary [option] + value inputs.

The .hex format of tests/vectors: '#' comment lines, then hex digits; whitespace is ignored.
Checksums are computed as Cassandra does (CRC24 over the header word, CRC32 primed with
FA 2D 55 CA); they are checked against the captured segments before anything is written.
"""

import glob
import os
import struct
import sys
import zlib

import lz4.block as lz4block

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.join(HERE, "..", "vectors")
CORPUS = os.path.join(HERE, "corpus")

MAX_INPUT = 65536           # -max_len of make fuzz
SEG_MAX_PAYLOAD = (1 << 17) - 1

CTL_V4, CTL_V5 = 0x00, 0x01         # fuzz_frame control byte
CTL_PLAIN, CTL_LZ4 = 0x00, 0x01     # fuzz_seg control byte

# ---- hex vectors ----------------------------------------------------------------------------


def load_hex(path):
    text = []
    with open(path) as f:
        for line in f:
            if line.lstrip().startswith("#"):
                continue
            text.append("".join(line.split()))
    return bytes.fromhex("".join(text))


# ---- v5 segments ----------------------------------------------------------------------------

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


def segment(payload, self_contained):
    word = len(payload) | (int(self_contained) << 17)
    return (word.to_bytes(3, "little") + crc24(word, 3).to_bytes(3, "little")
            + payload + crc32_seg(payload).to_bytes(4, "little"))


def lz4_segment(payload, self_contained):
    block = lz4block.compress(payload, store_size=False) if payload else b""
    if 0 < len(block) < len(payload):
        word = len(block) | (len(payload) << 17) | (int(self_contained) << 34)
        wire = block
    else:
        word = len(payload) | (int(self_contained) << 34)     # stored: uncompressed length 0
        wire = payload
    return (word.to_bytes(5, "little") + crc24(word, 5).to_bytes(3, "little")
            + wire + crc32_seg(wire).to_bytes(4, "little"))


def split_segments(data, lz4):
    """Yields (self_contained, raw payload) of every segment of DATA, checking the checksums."""
    hlen = 8 if lz4 else 6
    wlen = hlen - 3
    off = 0
    while off < len(data):
        word = int.from_bytes(data[off:off + wlen], "little")
        if crc24(word, wlen) != int.from_bytes(data[off + wlen:off + hlen], "little"):
            sys.exit("seed.py: CRC24 mismatch at offset %d (does crc24 still match?)" % off)
        wire = word & SEG_MAX_PAYLOAD
        if lz4:
            raw = (word >> 17) & SEG_MAX_PAYLOAD
            self_contained = bool((word >> 34) & 1)
        else:
            raw = 0
            self_contained = bool((word >> 17) & 1)
        payload = data[off + hlen:off + hlen + wire]
        crc = int.from_bytes(data[off + hlen + wire:off + hlen + wire + 4], "little")
        if crc32_seg(payload) != crc:
            sys.exit("seed.py: CRC32 mismatch at offset %d" % off)
        if raw:
            payload = lz4block.decompress(payload, uncompressed_size=raw)
        yield self_contained, payload
        off += hlen + wire + 4


def envelopes_of_segments(data, lz4):
    """The envelopes carried by a segment stream, split runs glued back."""
    out, pending = [], b""
    for self_contained, payload in split_segments(data, lz4):
        if self_contained:
            out.extend(split_envelopes(payload))
        else:
            pending += payload
            if len(pending) >= 9 and len(pending) == 9 + struct.unpack(">I", pending[5:9])[0]:
                out.append(pending)
                pending = b""
    return out


# ---- envelopes ------------------------------------------------------------------------------


def split_envelopes(data):
    out, off = [], 0
    while off + 9 <= len(data):
        n = 9 + struct.unpack(">I", data[off + 5:off + 9])[0]
        out.append(data[off:off + n])
        off += n
    return out


def envelope(version, opcode, body, flags=0, stream=0):
    return struct.pack(">BBhBI", 0x80 | version, flags, stream, opcode, len(body)) + body


def e_short(v):
    return struct.pack(">H", v)


def e_int(v):
    return struct.pack(">i", v)


def e_string(s):
    b = s.encode() if isinstance(s, str) else s
    return e_short(len(b)) + b


def e_bytes(b):
    return e_int(-1) if b is None else e_int(len(b)) + b


def e_short_bytes(b):
    return e_short(len(b)) + b


def e_string_list(items):
    return e_short(len(items)) + b"".join(e_string(s) for s in items)


def e_vint(v):
    """A [vint]: zigzag, then the [unsigned vint] of native_protocol_v5.spec section 3."""
    u = ((v << 1) ^ (v >> 63)) & (2**64 - 1)
    n = next((n for n in range(8) if u < 1 << (7 * (n + 1))), 8)
    if n == 8:
        return b"\xff" + u.to_bytes(8, "big")
    raw = u.to_bytes(n + 1, "big")
    return bytes([((0xFF << (8 - n)) & 0xFF) | raw[0]]) + raw[1:]


def e_inet(addr, port):
    return bytes([len(addr)]) + addr + e_int(port)


# [option] type encodings
def o_native(type_id):
    return e_short(type_id)


def o_list(sub):
    return e_short(0x20) + sub


def o_set(sub):
    return e_short(0x22) + sub


def o_map(k, v):
    return e_short(0x21) + k + v


def o_tuple(*subs):
    return e_short(0x31) + e_short(len(subs)) + b"".join(subs)


def o_udt(ks, name, fields):
    return (e_short(0x30) + e_string(ks) + e_string(name) + e_short(len(fields))
            + b"".join(e_string(f) + t for f, t in fields))


def o_custom(cls):
    return e_short(0x00) + e_string(cls)


INT, BIGINT, TEXT, BOOLEAN, DOUBLE, FLOAT = (o_native(9), o_native(2), o_native(0x0D),
                                             o_native(4), o_native(7), o_native(8))
MARSHAL = "org.apache.cassandra.db.marshal."


def rows_body(cols, rows, version=4, flags=0x0001, paging_state=None):
    """A RESULT Rows body with a global table spec: COLS is [(name, option)], ROWS lists of bytes."""
    meta = e_int(flags | (0x0002 if paging_state is not None else 0)) + e_int(len(cols))
    if paging_state is not None:
        meta += e_bytes(paging_state)
    if flags & 0x0001:
        meta += e_string("ks") + e_string("t")
    for name, opt in cols:
        if not flags & 0x0001:
            meta += e_string("ks") + e_string("t")
        meta += e_string(name) + opt
    body = e_int(2) + meta + e_int(len(rows))
    for row in rows:
        body += b"".join(e_bytes(c) for c in row)
    return body


# ---- cutting the large capture down ---------------------------------------------------------


def skip_option(b, off):
    tid = struct.unpack(">H", b[off:off + 2])[0]
    off += 2
    if tid == 0x00:
        n = struct.unpack(">H", b[off:off + 2])[0]
        return off + 2 + n
    if tid in (0x20, 0x22):
        return skip_option(b, off)
    if tid == 0x21:
        return skip_option(b, skip_option(b, off))
    if tid == 0x30:
        for _ in range(2):
            off += 2 + struct.unpack(">H", b[off:off + 2])[0]
        n = struct.unpack(">H", b[off:off + 2])[0]
        off += 2
        for _ in range(n):
            off += 2 + struct.unpack(">H", b[off:off + 2])[0]
            off = skip_option(b, off)
        return off
    if tid == 0x31:
        n = struct.unpack(">H", b[off:off + 2])[0]
        off += 2
        for _ in range(n):
            off = skip_option(b, off)
        return off
    return off


def cut_rows(env, keep):
    """ENV (a RESULT Rows envelope without prefixes) with only its first KEEP rows."""
    body = env[9:]
    kind, flags, ncols = struct.unpack(">iii", body[:12])
    assert kind == 2 and flags & 0x0006 == 0, "cut_rows: unexpected Rows metadata"
    off = 12
    if flags & 0x0001:
        for _ in range(2):
            off += 2 + struct.unpack(">H", body[off:off + 2])[0]
    for _ in range(ncols):
        for _ in range(1 if flags & 0x0001 else 3):
            off += 2 + struct.unpack(">H", body[off:off + 2])[0]
        off = skip_option(body, off)
    nrows = struct.unpack(">i", body[off:off + 4])[0]
    assert keep <= nrows
    cells = off + 4
    for _ in range(keep * ncols):
        n = struct.unpack(">i", body[cells:cells + 4])[0]
        cells += 4 + max(n, 0)
    new_body = body[:off] + e_int(keep) + body[off + 4:cells]
    return env[:5] + struct.pack(">I", len(new_body)) + new_body


# ---- seeds ----------------------------------------------------------------------------------


def frame_seeds():
    seeds = {}
    for path in sorted(glob.glob(os.path.join(VECTORS, "*.hex"))):
        name = os.path.basename(path)[:-4]
        if name.endswith(".req"):
            continue
        data = load_hex(path)
        if name.startswith("v5_lz4_seg"):
            envs = envelopes_of_segments(data, lz4=True)
        elif name.startswith("v5_seg"):
            envs = envelopes_of_segments(data, lz4=False)
        else:
            envs = [data]
        ctl = CTL_V5 if name.startswith("v5") else CTL_V4
        if name == "v5_seg_large":
            seeds["v5_rows_big_cut"] = bytes([ctl]) + cut_rows(envs[0], 3)
            continue
        seeds[name] = bytes([ctl]) + b"".join(envs)
        if name == "error_bad_version":
            seeds[name + "_as_v5"] = bytes([CTL_V5]) + data

    v4, v5 = 4, 5
    ERROR, READY, AUTHENTICATE, SUPPORTED, RESULT, EVENT, AUTH_CHALLENGE, AUTH_SUCCESS = (
        0x00, 0x02, 0x03, 0x06, 0x08, 0x0C, 0x0E, 0x10)
    ip4 = bytes([127, 0, 0, 1])
    ip6 = bytes(15) + b"\x01"

    def err(code, msg, extra=b""):
        return e_int(code) + e_string(msg) + extra

    replicas = e_short(0x0004) + e_int(1) + e_int(2)
    reasonmap = e_int(2) + e_inet(ip4, 0)[:-4] + e_short(0) + e_inet(ip6, 0)[:-4] + e_short(1)
    built = {
        "error_unavailable": (v4, ERROR, err(0x1000, "unavailable", e_short(4) + e_int(3) + e_int(1))),
        "error_write_timeout": (v4, ERROR, err(0x1100, "wt", replicas + e_string("SIMPLE"))),
        "error_write_timeout_cas_v5": (v5, ERROR, err(0x1100, "wt", replicas + e_string("CAS") + e_short(7))),
        "error_read_timeout": (v4, ERROR, err(0x1200, "rt", replicas + b"\x01")),
        "error_read_failure_v4": (v4, ERROR, err(0x1300, "rf", replicas + e_int(1) + b"\x00")),
        "error_read_failure_v5": (v5, ERROR, err(0x1300, "rf", replicas + reasonmap + b"\x01")),
        "error_write_failure_v4": (v4, ERROR, err(0x1500, "wf", replicas + e_int(1) + e_string("BATCH"))),
        "error_write_failure_v5": (v5, ERROR, err(0x1500, "wf", replicas + reasonmap + e_string("CAS"))),
        "error_cas_unknown": (v5, ERROR, err(0x1700, "cas", replicas)),
        "error_function_failure": (v4, ERROR, err(0x1400, "ff", e_string("ks") + e_string("fn") + e_string_list(["int", "text"]))),
        "error_already_exists": (v4, ERROR, err(0x2400, "ae", e_string("ks") + e_string("t"))),
        "error_unprepared": (v5, ERROR, err(0x2500, "unprepared", e_short_bytes(bytes(range(16))))),
        "error_unknown_code": (v4, ERROR, err(0x7777, "who knows")),
        "ready": (v5, READY, b""),
        "authenticate_v5": (v5, AUTHENTICATE, e_string("org.apache.cassandra.auth.PasswordAuthenticator")),
        "auth_challenge": (v4, AUTH_CHALLENGE, e_bytes(b"\x00challenge")),
        "auth_success_token": (v5, AUTH_SUCCESS, e_bytes(b"token")),
        "supported_multi": (v5, SUPPORTED, e_short(2) + e_string("COMPRESSION") + e_string_list(["lz4", "snappy"])
                            + e_string("PROTOCOL_VERSIONS") + e_string_list(["4/v4", "5/v5"])),
        "result_void": (v4, RESULT, e_int(1)),
        "result_set_keyspace": (v4, RESULT, e_int(3) + e_string("system")),
        "result_schema_keyspace": (v4, RESULT, e_int(5) + e_string("CREATED") + e_string("KEYSPACE") + e_string("ks")),
        "result_schema_table": (v5, RESULT, e_int(5) + e_string("UPDATED") + e_string("TABLE") + e_string("ks") + e_string("t")),
        "result_schema_function": (v5, RESULT, e_int(5) + e_string("DROPPED") + e_string("FUNCTION") + e_string("ks")
                                   + e_string("f") + e_string_list(["int", "frozen<list<text>>"])),
        "event_topology": (v4, EVENT, e_string("TOPOLOGY_CHANGE") + e_string("NEW_NODE") + e_inet(ip4, 9042)),
        "event_status_v6": (v5, EVENT, e_string("STATUS_CHANGE") + e_string("DOWN") + e_inet(ip6, 9042)),
        "event_schema_aggregate": (v5, EVENT, e_string("SCHEMA_CHANGE") + e_string("CREATED") + e_string("AGGREGATE")
                                   + e_string("ks") + e_string("agg") + e_string_list(["double"])),
        "event_schema_type": (v4, EVENT, e_string("SCHEMA_CHANGE") + e_string("CREATED") + e_string("TYPE")
                              + e_string("ks") + e_string("address")),
    }
    # Prefixes: tracing id, warnings, custom payload, in the order Cassandra writes them.
    prefix = bytes(range(16)) + e_string_list(["slow query", "tombstones"]) + e_short(1) + e_string("k") + e_bytes(b"v")
    built["result_void_prefixed"] = (v4, RESULT, prefix + e_int(1), 0x02 | 0x04 | 0x08)
    built["error_warning_prefixed"] = (v5, ERROR, e_string_list(["w"]) + err(0x2200, "invalid"), 0x08)

    # Rows of every type family, with the values Cassandra would send.
    udt = o_udt("ks", "address", [("street", TEXT), ("zip", INT), ("tags", o_set(TEXT))])
    vec = o_custom(MARSHAL + "VectorType(" + MARSHAL + "FloatType,3)")
    vec_text = o_custom(MARSHAL + "VectorType(" + MARSHAL + "UTF8Type,2)")
    cols = [
        ("a", o_native(0x01)), ("b", BIGINT), ("c", o_native(0x03)), ("d", BOOLEAN),
        ("e", o_native(0x05)), ("f", o_native(0x06)), ("g", DOUBLE), ("h", FLOAT), ("i", INT),
        ("j", o_native(0x0B)), ("k", o_native(0x0C)), ("l", TEXT), ("m", o_native(0x0E)),
        ("n", o_native(0x0F)), ("o", o_native(0x10)), ("p", o_native(0x11)), ("q", o_native(0x12)),
        ("r", o_native(0x13)), ("s", o_native(0x14)), ("t", o_native(0x15)),
    ]
    row = [
        b"ascii", struct.pack(">q", -42), b"\x00\xff", b"\x01", struct.pack(">q", 2),
        e_int(3) + b"\x30\x39", struct.pack(">d", 1.5), struct.pack(">f", 0.1), e_int(7),
        struct.pack(">q", 1619203342139), bytes.fromhex("550e8400e29b41d4a716446655440000"),
        "héllo \"wörld\"\n".encode(), bytes.fromhex("00ffffffffffffffffff"),
        bytes.fromhex("c0a8fd02d7e911eb9a030242ac130003"), bytes([10, 0, 0, 1]),
        struct.pack(">I", 2**31 + 18740), struct.pack(">q", 45296789000000), struct.pack(">h", -3),
        b"\x7f", e_vint(1) + e_vint(2) + e_vint(3600 * 10**9 + 7),
    ]
    built["result_rows_natives"] = (v5, RESULT, rows_body(cols, [row, [None] * len(cols)], 5))
    coll_cols = [
        ("l", o_list(INT)), ("s", o_set(TEXT)), ("m", o_map(TEXT, INT)), ("t", o_tuple(INT, TEXT, BOOLEAN)),
        ("u", udt), ("v", vec), ("w", vec_text), ("n", o_list(o_map(INT, o_list(TEXT)))),
        ("c", o_custom("com.example.Weird")), ("x", o_custom(MARSHAL + "ListType(" + MARSHAL + "Int32Type)")),
    ]

    def coll(*items):
        return e_int(len(items)) + b"".join(e_bytes(i) for i in items)

    def pairs(*items):
        return e_int(len(items) // 2) + b"".join(e_bytes(i) for i in items)

    coll_row = [
        coll(e_int(1), e_int(2)), coll(b"a", b"b"), pairs(b"k", e_int(1), b"z", e_int(2)),
        e_bytes(e_int(1)) + e_bytes(b"x") + e_bytes(None), e_bytes(b"main st") + e_bytes(e_int(12345)),
        struct.pack(">fff", 1.0, -2.5, 3.25), b"\x02hi\x05there",
        coll(pairs(e_int(1), coll(b"x", b"y"))), b"\xde\xad", coll(e_int(9)),
    ]
    built["result_rows_collections"] = (v4, RESULT, rows_body(coll_cols, [coll_row], 4, flags=0))
    built["result_rows_no_metadata"] = (v4, RESULT, e_int(2) + e_int(0x0004 | 0x0002) + e_int(2) + e_bytes(b"page")
                                        + e_int(1) + e_bytes(b"x") + e_bytes(None))
    built["result_rows_metadata_changed_v5"] = (v5, RESULT, e_int(2) + e_int(0x0008 | 0x0001) + e_int(1)
                                                + e_short_bytes(b"mdid") + e_string("ks") + e_string("t")
                                                + e_string("a") + INT + e_int(1) + e_bytes(e_int(5)))
    bind = e_int(1) + e_int(2) + e_int(1) + e_short(0) + e_string("ks") + e_string("t") \
        + e_string("k") + TEXT + e_string("v") + o_list(INT)
    built["result_prepared_v4"] = (v4, RESULT, e_int(4) + e_short_bytes(b"id") + bind + e_int(0x0004) + e_int(0))
    built["result_prepared_v5"] = (v5, RESULT, e_int(4) + e_short_bytes(b"id") + e_short_bytes(b"md") + bind
                                   + e_int(1) + e_int(1) + e_string("ks") + e_string("t") + e_string("x") + udt)

    for name, spec in sorted(built.items()):
        version, opcode, body = spec[:3]
        flags = spec[3] if len(spec) > 3 else 0
        env = envelope(version, opcode, body, flags, stream=1)
        ctl = CTL_V5 if version == v5 else CTL_V4
        seeds[name] = bytes([ctl]) + env
        if version == v4:
            # The same message as a v4 lz4 body (flag 0x01, length prefix, raw block).
            block = lz4block.compress(body, store_size=False) if body else b"\x00"
            z = struct.pack(">I", len(body)) + block
            seeds[name + "_lz4"] = bytes([ctl]) + envelope(version, opcode, z, flags | 0x01, stream=1)
    # Two envelopes back to back, as one read from the socket delivers them.
    seeds["two_envelopes"] = bytes([CTL_V4]) + seeds["result_void"][1:] + seeds["event_topology"][1:]
    return seeds


def seg_seeds():
    seeds = {}
    for path in sorted(glob.glob(os.path.join(VECTORS, "v5_*seg*.hex"))):
        name = os.path.basename(path)[:-4].replace(".req", "_req")
        data = load_hex(path)
        lz4 = "lz4" in name
        list(split_segments(data, lz4))        # checks the CRCs
        if len(data) + 1 > MAX_INPUT:
            continue
        seeds[name] = bytes([CTL_LZ4 if lz4 else CTL_PLAIN]) + data

    # v5_seg_large cut to a few rows, split as the server splits (here into small pieces).
    big = envelopes_of_segments(load_hex(os.path.join(VECTORS, "v5_seg_large.hex")), lz4=False)[0]
    env = cut_rows(big, 3)
    for piece, tag in ((4096, "4k"), (1000, "1k")):
        chunks = [env[i:i + piece] for i in range(0, len(env), piece)]
        seeds["large_cut_split_" + tag] = bytes([CTL_PLAIN]) + b"".join(segment(c, False) for c in chunks)
        seeds["large_cut_split_" + tag + "_lz4"] = bytes([CTL_LZ4]) + b"".join(lz4_segment(c, False) for c in chunks)
    # A split envelope followed by a self-contained segment with two small envelopes.
    small = envelope(5, 0x08, e_int(1), stream=2) + envelope(5, 0x10, e_bytes(None), stream=3)
    chunks = [env[i:i + 3000] for i in range(0, len(env), 3000)]
    seeds["split_then_self_contained"] = bytes([CTL_PLAIN]) + b"".join(
        segment(c, False) for c in chunks) + segment(small, True)
    seeds["split_then_self_contained_lz4"] = bytes([CTL_LZ4]) + b"".join(
        lz4_segment(c, False) for c in chunks) + lz4_segment(small, True)
    seeds["empty_segment"] = bytes([CTL_PLAIN]) + segment(b"", True)
    seeds["empty_segment_lz4"] = bytes([CTL_LZ4]) + lz4_segment(b"", True)
    # The same streams with the checksum rewriting of the driver on (control bit 1).
    for name in ("v5_seg_rows_local", "v5_lz4_seg_rows_local", "large_cut_split_1k"):
        seeds[name + "_fixcrc"] = bytes([seeds[name][0] | 0x02]) + seeds[name][1:]
    for name, data in seeds.items():
        lz4 = bool(data[0] & 1)
        for _ in split_segments(data[1:], lz4):
            pass
    return seeds


# Hand-written "type\0value" pairs: every CQL type family in the stringified forms of rest-v2.md
# section 5 and proto/cql_value.h, including edge values and a few that must be refused.
VALUE_SEEDS = [
    ("ascii_plain", "ascii", "hello"),
    ("text_unicode", "text", "h\u00e9llo \u4e16\u754c \U0001f600"),
    ("varchar_quoted", "varchar", "'it''s'"),
    ("boolean_true", "boolean", "TRUE"),
    ("boolean_bad", "boolean", "yes"),
    ("tinyint_min", "tinyint", "-128"),
    ("smallint_max", "smallint", "32767"),
    ("int_plus", "int", "+2147483647"),
    ("int_overflow", "int", "2147483648"),
    ("bigint_min", "bigint", "-9223372036854775808"),
    ("counter_neg", "counter", "-3"),
    ("varint_big", "varint", "-123456789012345678901234567890123456789"),
    ("decimal_exp", "decimal", "-1.2345E-10"),
    ("decimal_plain", "decimal", "12345.6789000"),
    ("float_small", "float", "1.0E-5"),
    ("float_nan", "float", "NaN"),
    ("double_inf", "double", "-Infinity"),
    ("double_pi", "double", "3.141592653589793"),
    ("uuid_v4", "uuid", "550e8400-e29b-41d4-a716-446655440000"),
    ("timeuuid_v1", "timeuuid", "c0a8fd02-d7e9-11eb-9a03-0242ac130003"),
    ("timestamp_iso", "timestamp", "2021-04-23T18:42:22.139Z"),
    ("timestamp_offset", "timestamp", "2021-04-23 18:42:22.123456789+05:30"),
    ("timestamp_millis", "timestamp", "1619203342139"),
    ("date_plain", "date", "2021-04-23"),
    ("date_far", "date", "-12345-01-01"),
    ("time_nanos", "time", "23:59:59.123456789"),
    ("duration_units", "duration", "1y2mo3w4d5h6m7s8ms9us10ns"),
    ("duration_iso", "duration", "P1Y2M3DT4H5M6S"),
    ("duration_iso_weeks", "duration", "-P2W"),
    ("duration_iso_alt", "duration", "P0001-02-03T04:05:06"),
    ("inet_v4", "inet", "127.0.0.1"),
    ("inet_v6", "inet", "::ffff:10.0.0.1"),
    ("inet_v6_full", "inet", "2001:db8::8a2e:370:7334"),
    ("blob_base64", "blob", "AAEC/w=="),
    ("blob_hex", "blob", "0xcafebabe"),
    ("list_int", "list<int>", "[1, -2, 3]"),
    ("set_text", "set<text>", "{'a', 'b c', 'it''s'}"),
    ("map_compact", "map<text, int>", "{a: 1, 'b c': 2}"),
    ("map_entries", "map<int, boolean>", "[{'key': 1, 'value': true}, {\"key\": 2, \"value\": false}]"),
    ("map_empty_entries", "map<int, int>", "[ {} ]"),
    ("tuple_mixed", "tuple<int, text, timestamp>", "(1, 'x', '2021-01-01T00:00:00Z')"),
    ("tuple_null", "frozen<tuple<int, text>>", "(null, 'y')"),
    ("nested", "map<text, frozen<list<frozen<set<int>>>>>", "{k: [{1, 2}, {3}], 'l': []}"),
    ("vector_float", "vector<float, 3>", "[1.0, -2.5, 3]"),
    ("vector_text", "vector<text, 2>", "['a', 'bb']"),
    ("vector_bigint", "vector<bigint, 2>", "[1, 2]"),
    ("udt_unresolved", "ks.address", "{street: 'x'}"),
    ("udt_quoted", "\"MyType\"", "{f: 1}"),
    ("custom_quoted", "'org.example.Custom'", "0x00ff"),
    ("udt_class", MARSHAL + "UserType(ks,61646472657373,737472656574:" + MARSHAL + "UTF8Type,"
     "7a6970:" + MARSHAL + "Int32Type,74616773:" + MARSHAL + "FrozenType(" + MARSHAL + "SetType("
     + MARSHAL + "UTF8Type)))", "{street: 'main st', 'zip': 12345, tags: {a, b}}"),
    ("vector_class", MARSHAL + "VectorType(" + MARSHAL + "DoubleType , 2)", "[1.5, 2.5]"),
    ("map_class", MARSHAL + "MapType(" + MARSHAL + "TimeUUIDType," + MARSHAL + "ReversedType("
     + MARSHAL + "DurationType))", "{c0a8fd02-d7e9-11eb-9a03-0242ac130003: 1h30m}"),
    ("type_only", "frozen<map<text, tuple<int, vector<float, 2>>>>", None),
]

# Binary inputs for cql_type_read_option: an [option] (starting with a NUL byte, so the type text
# is empty) followed by value bytes.
OPTION_SEEDS = [
    ("option_int", o_native(9) + e_int(42)),
    ("option_list_text", o_list(TEXT) + e_int(2) + e_bytes(b"a") + e_bytes(b"bc")),
    ("option_map", o_map(TEXT, BIGINT) + e_int(1) + e_bytes(b"k") + e_bytes(struct.pack(">q", 7))),
    ("option_udt", o_udt("ks", "u", [("a", INT), ("b", o_list(TEXT))]) + e_bytes(e_int(1)) + e_bytes(None)),
    ("option_tuple", o_tuple(INT, o_native(0x06)) + e_bytes(e_int(1)) + e_bytes(e_int(2) + b"\x01\x00")),
    ("option_vector", o_custom(MARSHAL + "VectorType(" + MARSHAL + "Int32Type,2)") + e_int(1) + e_int(2)),
    ("option_duration_v4", o_custom(MARSHAL + "DurationType") + b"\x02\x04\x06"),
]


def value_seeds():
    seeds = {}
    for name, type_text, value in VALUE_SEEDS:
        data = type_text.encode()
        if value is not None:
            data += b"\x00" + value.encode()
        seeds[name] = data
    for name, data in OPTION_SEEDS:
        assert data[0] == 0
        seeds[name] = data
    return seeds


def write(target, seeds):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    for old in os.listdir(d):
        if not old.startswith("regress_"):      # inputs that once found a bug stay
            os.remove(os.path.join(d, old))
    for name, data in sorted(seeds.items()):
        if len(data) > MAX_INPUT:
            sys.exit("seed.py: %s/%s is %d bytes, over -max_len" % (target, name, len(data)))
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
    print("seed.py: %d seeds in %s" % (len(seeds), os.path.relpath(d)))


def main():
    write("fuzz_frame", frame_seeds())
    write("fuzz_seg", seg_seeds())
    write("fuzz_value", value_seeds())


if __name__ == "__main__":
    main()
