/*
 * test_resp.c: response decoders of proto/cql_resp on hand-built bodies (v4 and v5) and on the
 * server responses captured in tests/vectors. Every hand-built body is also cut at every length:
 * a prefix must fail cleanly, and the sanitizer build checks that nothing reads past its end.
 */
#include "test.h"

#include "cql_resp.h"

#include <stdlib.h>

/* ---- helpers --------------------------------------------------------------------------------- */

static void *
null_alloc(void *ctx, size_t n)
{
    (void)ctx;
    (void)n;
    return NULL;
}

/* Decodes HEX into a malloc'd buffer of exactly its length. */
static uint8_t *
unhex(const char *hex, size_t *len)
{
    uint8_t *tmp = malloc(strlen(hex) / 2 + 1);
    uint8_t *out;
    long n;

    if (tmp == NULL) {
        abort();
    }
    n = test_unhex(hex, tmp, strlen(hex) / 2 + 1);
    if (n < 0) {
        free(tmp);
        return NULL;
    }
    out = test_dup(tmp, (size_t)n);
    free(tmp);
    *len = (size_t)n;
    return out;
}

/* A decoder under test: returns 0 or a negative code for the LEN bytes at P. */
typedef int (*decode_fn)(const uint8_t *p, size_t len, int version);

static int
dec_error(const uint8_t *p, size_t len, int version)
{
    struct cql_rd r;
    struct cql_error e;

    cql_rd_init(&r, p, len);
    return cql_resp_error(&r, version, &e);
}

static int
dec_result(const uint8_t *p, size_t len, int version)
{
    struct cql_alloc a = test_alloc;
    struct cql_rd r;
    struct cql_result res;

    test_alloc_reset(SIZE_MAX);
    cql_rd_init(&r, p, len);
    return cql_resp_result(&r, version, &a, &res);
}

static int
dec_event(const uint8_t *p, size_t len, int version)
{
    struct cql_rd r;
    struct cql_event ev;

    cql_rd_init(&r, p, len);
    return cql_resp_event(&r, version, &ev);
}

static int
dec_token(const uint8_t *p, size_t len, int version)
{
    struct cql_rd r;
    struct cql_bytes t;

    (void)version;
    cql_rd_init(&r, p, len);
    return cql_resp_auth_token(&r, &t);
}

static int
dec_authenticate(const uint8_t *p, size_t len, int version)
{
    struct cql_rd r;
    struct cql_str s;

    (void)version;
    cql_rd_init(&r, p, len);
    return cql_resp_authenticate(&r, &s);
}

static int
dec_supported(const uint8_t *p, size_t len, int version)
{
    struct cql_resp_multimap m;
    struct cql_str key;
    struct cql_rd vals;
    uint16_t n;
    int rc;

    (void)version;
    cql_resp_multimap_init(&m, p, len);
    do {
        rc = cql_resp_multimap_next(&m, &key, &vals, &n);
    } while (rc == 1);
    return rc;
}

/*
 * Decodes the whole BODY (must succeed) and every proper prefix of it, each in a buffer of
 * exactly that size (must fail with a negative code and not crash).
 */
static void
check_truncations(const uint8_t *body, size_t len, int version, decode_fn dec)
{
    EQ(dec(body, len, version), 0);
    for (size_t n = 0; n < len; n++) {
        uint8_t *q = test_dup(body, n);
        int rc = dec(q, n, version);

        free(q);
        if (rc >= 0) {
            test_fail(__FILE__, __LINE__, "prefix %zu of %zu decoded (%d)", n, len, rc);
            return;
        }
    }
}

/* Parses HEX into BUF/LEN (a variable named buf is freed by the caller) or fails the test. */
#define BODY(hex)                                                                                  \
    do {                                                                                           \
        free(buf);                                                                                 \
        buf = unhex((hex), &len);                                                                  \
        OK(buf != NULL);                                                                           \
        cql_rd_init(&r, buf, len);                                                                 \
    } while (0)

#define TRUNCATIONS(version, fn)                                                                   \
    do {                                                                                           \
        check_truncations(buf, len, (version), (fn));                                              \
        if (test_failed) {                                                                         \
            free(buf);                                                                             \
            return;                                                                                \
        }                                                                                          \
    } while (0)

/* ---- envelope prefixes ----------------------------------------------------------------------- */

TEST(resp_open_skips_tracing_warnings_payload)
{
    static const char hex[] =
        "000102030405060708090a0b0c0d0e0f"              /* tracing id */
        "0002 0001 61 0002 6262"                        /* warnings: "a", "bb" */
        "0001 0001 6b 00000002 7676"                    /* custom payload: k -> "vv" */
        "0001 7a";                                      /* the message: [string] "z" */
    uint8_t *buf = NULL;
    size_t len = 0;
    struct cql_rd r, w;
    struct cql_resp_extra x;
    struct cql_str s;
    uint8_t flags = CQL_FLAG_TRACING | CQL_FLAG_WARNING | CQL_FLAG_CUSTOM_PAYLOAD;

    BODY(hex);
    EQ(cql_resp_open(flags, buf, len, &r, &x), 0);
    OK(x.tracing_id == buf);
    EQ(x.nwarnings, 2);
    cql_rd_init(&w, x.warnings, x.warnings_len);
    s = cql_rd_string(&w);
    SLICEEQ(s.p, s.len, "a");
    s = cql_rd_string(&w);
    SLICEEQ(s.p, s.len, "bb");
    EQ(cql_rd_left(&w), 0);
    EQ(x.npayload, 1);
    EQ(x.payload_len, 9);
    s = cql_rd_string(&r);
    SLICEEQ(s.p, s.len, "z");
    EQ(cql_rd_left(&r), 0);

    /* Only warnings: they come first. */
    EQ(cql_resp_open(CQL_FLAG_WARNING, buf + 16, len - 16, &r, &x), 0);
    OK(x.tracing_id == NULL);
    EQ(x.nwarnings, 2);
    EQ(x.npayload, 0);
    EQ(cql_rd_left(&r), 3 + 11);
    /* Every cut inside the prefixes fails. */
    for (size_t n = 0; n < len - 3; n++) {
        uint8_t *q = malloc(n + 1);

        OK(q != NULL);
        memcpy(q, buf, n);
        EQ(cql_resp_open(flags, q, n, &r, &x), CQL_EPROTO);
        OK(x.tracing_id == NULL && x.warnings == NULL);
        free(q);
    }
    free(buf);
}

TEST(resp_open_ready_empty_body)
{
    static const uint8_t ready[] = { 0x84, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00 };
    struct cql_frame f;
    const char *desc = NULL;
    struct cql_rd r;
    struct cql_resp_extra x;

    EQ(cql_frame_decode(ready, sizeof(ready), 0, &f, &desc), 9);
    EQ(f.opcode, CQL_OP_READY);
    EQ(cql_resp_open_frame(&f, f.body, f.length, &r, &x), 0);
    EQ(cql_rd_left(&r), 0);
    EQ(cql_resp_open(0, NULL, 0, &r, &x), 0);
    EQ(cql_resp_open(CQL_FLAG_TRACING, NULL, 0, &r, &x), CQL_EPROTO);
}

/* ---- ERROR ----------------------------------------------------------------------------------- */

TEST(resp_error_message_only_codes)
{
    static const int32_t codes[] = { 0x0000, 0x000a, 0x0100, 0x1001, 0x1002, 0x1003, 0x1600,
                                     0x2000, 0x2100, 0x2200, 0x2300, 0x7777 };
    uint8_t body[16] = { 0, 0, 0, 0, 0, 3, 'b', 'a', 'd' };
    struct cql_rd r;
    struct cql_error e;

    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        for (int v = 4; v <= 5; v++) {
            cql_put_be32(body, (uint32_t)codes[i]);
            cql_rd_init(&r, body, 9);
            EQ(cql_resp_error(&r, v, &e), 0);
            EQ(e.code, codes[i]);
            SLICEEQ(e.message.p, e.message.len, "bad");
            EQ(e.unprepared_id.len, CQL_NULL);
            check_truncations(body, 9, v, dec_error);
            if (test_failed) {
                return;
            }
        }
    }
}

TEST(resp_error_unavailable)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    struct cql_rd r;
    struct cql_error e;

    BODY("00001000 0001 6d | 0004 | 00000003 | 00000001");
    EQ(cql_resp_error(&r, 4, &e), 0);
    EQ(e.code, CQL_ERRCODE_UNAVAILABLE);
    EQ(e.consistency, CQL_CL_QUORUM);
    EQ(e.blockfor, 3);
    EQ(e.alive, 1);
    TRUNCATIONS(4, dec_error);
    TRUNCATIONS(5, dec_error);
    free(buf);
}

TEST(resp_error_write_timeout_v4_v5)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    struct cql_rd r;
    struct cql_error e;

    BODY("00001100 0001 6d | 0006 | 00000001 | 00000002 | 0006 53494d504c45");
    EQ(cql_resp_error(&r, 4, &e), 0);
    EQ(e.consistency, CQL_CL_LOCAL_QUORUM);
    EQ(e.received, 1);
    EQ(e.blockfor, 2);
    SLICEEQ(e.write_type.p, e.write_type.len, "SIMPLE");
    OK(!e.has_contentions);
    TRUNCATIONS(4, dec_error);
    cql_rd_init(&r, buf, len);
    EQ(cql_resp_error(&r, 5, &e), 0);       /* not CAS: no contentions in v5 either */
    OK(!e.has_contentions);
    TRUNCATIONS(5, dec_error);

    BODY("00001100 0001 6d | 0009 | 00000000 | 00000001 | 0003 434153");
    EQ(cql_resp_error(&r, 4, &e), 0);       /* v4 has no contentions field */
    SLICEEQ(e.write_type.p, e.write_type.len, "CAS");
    OK(!e.has_contentions);
    TRUNCATIONS(4, dec_error);

    BODY("00001100 0001 6d | 0009 | 00000000 | 00000001 | 0003 434153 | 0005");
    EQ(cql_resp_error(&r, 5, &e), 0);
    OK(e.has_contentions);
    EQ(e.contentions, 5);
    EQ(e.consistency, CQL_CL_LOCAL_SERIAL);
    TRUNCATIONS(5, dec_error);
    free(buf);
}

TEST(resp_error_read_timeout)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    struct cql_rd r;
    struct cql_error e;

    BODY("00001200 0001 6d | 0001 | 00000000 | 00000001 | 01");
    EQ(cql_resp_error(&r, 4, &e), 0);
    EQ(e.code, CQL_ERRCODE_READ_TIMEOUT);
    EQ(e.received, 0);
    EQ(e.blockfor, 1);
    OK(e.data_present);
    TRUNCATIONS(4, dec_error);
    TRUNCATIONS(5, dec_error);
    free(buf);
}

TEST(resp_error_read_failure_v4_v5)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    struct cql_rd r, m;
    struct cql_error e;
    struct cql_inet addr;

    BODY("00001300 0001 6d | 0004 | 00000001 | 00000002 | 00000001 | 00");
    EQ(cql_resp_error(&r, 4, &e), 0);
    EQ(e.numfailures, 1);
    OK(e.reasonmap == NULL);
    OK(!e.data_present);
    TRUNCATIONS(4, dec_error);

    BODY("00001300 0001 6d | 0004 | 00000001 | 00000002 | 00000002"
         "| 04 7f000001 0000 | 10 00000000000000000000000000000001 0001 | 01");
    EQ(cql_resp_error(&r, 5, &e), 0);
    EQ(e.numfailures, 2);
    OK(e.data_present);
    EQ(e.reasonmap_len, 7 + 19);
    cql_rd_init(&m, e.reasonmap, e.reasonmap_len);
    addr = cql_rd_inetaddr(&m);
    EQ(addr.len, 4);
    MEMEQ(addr.addr, 4, "\x7f\x00\x00\x01", 4);
    EQ(cql_rd_short(&m), 0);
    addr = cql_rd_inetaddr(&m);
    EQ(addr.len, 16);
    EQ(addr.addr[15], 1);
    EQ(cql_rd_short(&m), 1);
    TRUNCATIONS(5, dec_error);

    BODY("00001300 0001 6d | 0004 | 00000001 | 00000002 | ffffffff | 00");
    EQ(cql_resp_error(&r, 5, &e), CQL_EPROTO);
    BODY("00001300 0001 6d | 0004 | 00000001 | 00000002 | 00000001 | 05 7f00000100 0000 | 00");
    EQ(cql_resp_error(&r, 5, &e), CQL_EPROTO);      /* a 5-byte address */
    free(buf);
}

TEST(resp_error_write_failure_v4_v5)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    struct cql_rd r;
    struct cql_error e;

    BODY("00001500 0001 6d | 0001 | 00000000 | 00000001 | 00000001 | 0005 4241544348");
    EQ(cql_resp_error(&r, 4, &e), 0);
    EQ(e.code, CQL_ERRCODE_WRITE_FAILURE);
    EQ(e.numfailures, 1);
    SLICEEQ(e.write_type.p, e.write_type.len, "BATCH");
    TRUNCATIONS(4, dec_error);

    BODY("00001500 0001 6d | 0001 | 00000000 | 00000001 | 00000001 | 04 0a000002 0003"
         "| 0005 4241544348");
    EQ(cql_resp_error(&r, 5, &e), 0);
    EQ(e.numfailures, 1);
    EQ(e.reasonmap_len, 7);
    SLICEEQ(e.write_type.p, e.write_type.len, "BATCH");
    TRUNCATIONS(5, dec_error);
    free(buf);
}

TEST(resp_error_function_failure)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    struct cql_rd r, a;
    struct cql_error e;
    struct cql_str s;

    BODY("00001400 0001 6d | 0002 6b73 | 0001 66 | 0002 | 0003 696e74 | 0004 74657874");
    EQ(cql_resp_error(&r, 4, &e), 0);
    SLICEEQ(e.keyspace.p, e.keyspace.len, "ks");
    SLICEEQ(e.function.p, e.function.len, "f");
    EQ(e.nargs, 2);
    cql_rd_init(&a, e.arg_types, e.arg_types_len);
    s = cql_rd_string(&a);
    SLICEEQ(s.p, s.len, "int");
    s = cql_rd_string(&a);
    SLICEEQ(s.p, s.len, "text");
    EQ(cql_rd_left(&a), 0);
    TRUNCATIONS(4, dec_error);
    TRUNCATIONS(5, dec_error);
    free(buf);
}

TEST(resp_error_cas_unknown_exists_unprepared)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    struct cql_rd r;
    struct cql_error e;

    BODY("00001700 0001 6d | 0008 | 00000000 | 00000002");
    EQ(cql_resp_error(&r, 5, &e), 0);
    EQ(e.code, CQL_ERRCODE_CAS_WRITE_UNKNOWN);
    EQ(e.consistency, CQL_CL_SERIAL);
    EQ(e.blockfor, 2);
    TRUNCATIONS(5, dec_error);

    BODY("00002400 0001 6d | 0002 6b73 | 0001 74");
    EQ(cql_resp_error(&r, 4, &e), 0);
    SLICEEQ(e.keyspace.p, e.keyspace.len, "ks");
    SLICEEQ(e.table.p, e.table.len, "t");
    TRUNCATIONS(4, dec_error);
    BODY("00002400 0001 6d | 0002 6b73 | 0000");
    EQ(cql_resp_error(&r, 5, &e), 0);
    EQ(e.table.len, 0);
    TRUNCATIONS(5, dec_error);

    BODY("00002500 0001 6d | 0004 deadbeef");
    EQ(cql_resp_error(&r, 5, &e), 0);
    EQ(e.code, CQL_ERRCODE_UNPREPARED);
    MEMEQ(e.unprepared_id.p, e.unprepared_id.len, "\xde\xad\xbe\xef", 4);
    TRUNCATIONS(4, dec_error);
    TRUNCATIONS(5, dec_error);
    free(buf);
}

/* Decodes captured envelope NAME and checks its ERROR code and message. */
static void
check_error_vector(const char *name, int version, int32_t code, const char *message)
{
    size_t len = 0;
    uint8_t *v = test_vector(name, &len);
    struct cql_frame f;
    const char *desc = NULL;
    struct cql_rd r;
    struct cql_resp_extra x;
    struct cql_error e;

    OK(v != NULL);
    EQ(cql_frame_decode(v, len, 1 << 20, &f, &desc), (int64_t)len);
    EQ(f.version, version);
    EQ(f.opcode, CQL_OP_ERROR);
    EQ(cql_resp_open_frame(&f, f.body, f.length, &r, &x), 0);
    EQ(cql_resp_error(&r, version, &e), 0);
    EQ(e.code, code);
    SLICEEQ(e.message.p, e.message.len, message);
    check_truncations(f.body, f.length, version, dec_error);
    free(v);
}

TEST(resp_error_captured_vectors)
{
    check_error_vector("v4_error_invalid.hex", 4, CQL_ERRCODE_INVALID,
                       "keyspace nosuch does not exist");
    check_error_vector("v4_error_syntax.hex", 4, CQL_ERRCODE_SYNTAX_ERROR,
                       "line 1:21 no viable alternative at input 'table' "
                       "(SELECT * FROM nosuch.[table])");
    check_error_vector("v4_error_badcreds.hex", 4, CQL_ERRCODE_BAD_CREDENTIALS,
                       "Provided username cassandra and/or password are incorrect");
    check_error_vector("error_bad_version.hex", 5, CQL_ERRCODE_PROTOCOL_ERROR,
                       "Invalid or unsupported protocol version (7); supported versions are "
                       "(3/v3, 4/v4, 5/v5, 6/v6-beta)");
}

/* ---- handshake ------------------------------------------------------------------------------- */

TEST(resp_authenticate_and_tokens)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    struct cql_rd r;
    struct cql_bytes t;
    struct cql_str s;

    BODY("ffffffff");                                   /* AUTH_SUCCESS, null token */
    EQ(cql_resp_auth_token(&r, &t), 0);
    EQ(t.len, CQL_NULL);
    OK(t.p == NULL);
    TRUNCATIONS(4, dec_token);
    BODY("00000003 616263");                            /* AUTH_CHALLENGE "abc" */
    EQ(cql_resp_auth_token(&r, &t), 0);
    MEMEQ(t.p, t.len, "abc", 3);
    TRUNCATIONS(5, dec_token);
    BODY("00000000");
    EQ(cql_resp_auth_token(&r, &t), 0);
    EQ(t.len, 0);
    BODY("0003 786978");
    EQ(cql_resp_authenticate(&r, &s), 0);
    SLICEEQ(s.p, s.len, "xix");
    TRUNCATIONS(4, dec_authenticate);
    free(buf);
}

TEST(resp_handshake_captured_vectors)
{
    static const char *const names[] = { "v4_authenticate.hex", "v5_authenticate.hex" };
    size_t len = 0;
    uint8_t *v;
    struct cql_frame f;
    const char *desc = NULL;
    struct cql_rd r;
    struct cql_resp_extra x;
    struct cql_str cls;
    struct cql_bytes t;

    for (size_t i = 0; i < 2; i++) {
        v = test_vector(names[i], &len);
        OK(v != NULL);
        EQ(cql_frame_decode(v, len, 1024, &f, &desc), (int64_t)len);
        EQ(f.version, 4 + i);
        EQ(f.opcode, CQL_OP_AUTHENTICATE);
        EQ(cql_resp_open_frame(&f, f.body, f.length, &r, &x), 0);
        EQ(cql_resp_authenticate(&r, &cls), 0);
        SLICEEQ(cls.p, cls.len, "org.apache.cassandra.auth.PasswordAuthenticator");
        check_truncations(f.body, f.length, 4, dec_authenticate);
        free(v);
        if (test_failed) {
            return;
        }
    }
    v = test_vector("v4_auth_success.hex", &len);
    OK(v != NULL);
    EQ(cql_frame_decode(v, len, 1024, &f, &desc), (int64_t)len);
    EQ(f.opcode, CQL_OP_AUTH_SUCCESS);
    EQ(cql_resp_open_frame(&f, f.body, f.length, &r, &x), 0);
    EQ(cql_resp_auth_token(&r, &t), 0);
    EQ(t.len, CQL_NULL);
    free(v);
}

TEST(resp_supported_lookup_and_listing)
{
    size_t len = 0;
    uint8_t *v = test_vector("v4_supported.hex", &len);
    struct cql_frame f;
    const char *desc = NULL;
    struct cql_resp_multimap m;
    struct cql_str key, val;
    struct cql_rd vals;
    uint16_t n;
    int keys = 0, values = 0;

    OK(v != NULL);
    EQ(cql_frame_decode(v, len, 1024, &f, &desc), (int64_t)len);
    EQ(f.opcode, CQL_OP_SUPPORTED);
    OK(cql_resp_supported_has(f.body, f.length, "COMPRESSION", "lz4"));
    OK(cql_resp_supported_has(f.body, f.length, "COMPRESSION", "snappy"));
    OK(!cql_resp_supported_has(f.body, f.length, "COMPRESSION", "zstd"));
    OK(!cql_resp_supported_has(f.body, f.length, "compression", "lz4"));
    OK(cql_resp_supported_has(f.body, f.length, "PROTOCOL_VERSIONS", "5/v5"));
    OK(cql_resp_supported_has(f.body, f.length, "PROTOCOL_VERSIONS", "6/v6-beta"));
    OK(!cql_resp_supported_has(f.body, f.length, "PROTOCOL_VERSIONS", "5/v5-beta"));
    OK(cql_resp_supported_has(f.body, f.length, "CQL_VERSION", "3.4.7"));
    OK(!cql_resp_supported_has(f.body, f.length, "lz4", "COMPRESSION"));

    cql_resp_multimap_init(&m, f.body, f.length);
    while (cql_resp_multimap_next(&m, &key, &vals, &n) == 1) {
        keys++;
        for (uint16_t i = 0; i < n; i++) {
            val = cql_rd_string(&vals);
            OK(val.len > 0);
            values++;
        }
        OK(cql_rd_ok(&vals) && cql_rd_left(&vals) == 0);
    }
    EQ(m.r.err, 0);
    EQ(keys, 3);
    EQ(values, 4 + 2 + 1);
    check_truncations(f.body, f.length, 4, dec_supported);
    for (size_t cut = 0; cut < f.length; cut++) {
        uint8_t *q = malloc(cut + 1);

        OK(q != NULL);
        memcpy(q, f.body, cut);
        OK(!cql_resp_supported_has(q, cut, "PROTOCOL_VERSIONS", "3/v3"));
        free(q);
    }
    OK(!cql_resp_supported_has(NULL, 0, "COMPRESSION", "lz4"));
    free(v);
}

/* ---- RESULT ---------------------------------------------------------------------------------- */

TEST(resp_result_void_and_set_keyspace)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    struct cql_rd r;
    struct cql_result res;
    struct cql_alloc a = test_alloc;

    BODY("00000001");
    EQ(cql_resp_result(&r, 4, &a, &res), 0);
    EQ(res.kind, CQL_RESULT_VOID);
    TRUNCATIONS(4, dec_result);
    BODY("00000003 | 0002 6b73");
    EQ(cql_resp_result(&r, 5, &a, &res), 0);
    EQ(res.kind, CQL_RESULT_SET_KEYSPACE);
    SLICEEQ(res.keyspace.p, res.keyspace.len, "ks");
    TRUNCATIONS(5, dec_result);
    BODY("00000006");
    EQ(cql_resp_result(&r, 5, &a, &res), CQL_EPROTO);
    OK(r.err_desc != NULL);
    free(buf);
}

TEST(resp_result_rows_global_spec)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    struct cql_rd r, rows;
    struct cql_result res;
    struct cql_alloc a = test_alloc;
    struct cql_bytes cells[2];

    BODY("00000002 | 00000001 | 00000002 | 0002 6b73 | 0001 74"
         "| 0001 61 0009 | 0001 62 000d"
         "| 00000002 | 00000004 00000001 | 00000001 78 | 00000004 00000002 | ffffffff");
    EQ(cql_resp_result(&r, 4, &a, &res), 0);
    EQ(res.kind, CQL_RESULT_ROWS);
    EQ(res.meta.flags, CQL_MF_GLOBAL_TABLES_SPEC);
    EQ(res.meta.columns_count, 2);
    EQ(res.meta.paging_state.len, CQL_NULL);
    EQ(res.meta.new_metadata_id.len, CQL_NULL);
    SLICEEQ(res.meta.cols[1].keyspace.p, res.meta.cols[1].keyspace.len, "ks");
    SLICEEQ(res.meta.cols[1].table.p, res.meta.cols[1].table.len, "t");
    SLICEEQ(res.meta.cols[0].name.p, res.meta.cols[0].name.len, "a");
    EQ(res.meta.cols[0].type->id, CQL_TYPE_INT);
    EQ(res.meta.cols[1].type->id, CQL_TYPE_VARCHAR);
    EQ(res.rows_count, 2);
    EQ(cql_rd_left(&r), 0);
    cql_rd_init(&rows, res.rows, res.rows_len);
    EQ(cql_rows_next(&rows, 2, cells), 0);
    EQ(cql_be32(cells[0].p), 1);
    MEMEQ(cells[1].p, cells[1].len, "x", 1);
    EQ(cql_rows_next(&rows, 2, cells), 0);
    EQ(cql_be32(cells[0].p), 2);
    EQ(cells[1].len, CQL_NULL);
    EQ(cql_rd_left(&rows), 0);
    EQ(cql_rows_next(&rows, 2, cells), CQL_EPROTO);
    TRUNCATIONS(4, dec_result);
    TRUNCATIONS(5, dec_result);
    free(buf);
}

TEST(resp_result_rows_per_column_spec)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    struct cql_rd r;
    struct cql_result res;
    struct cql_alloc a = test_alloc;

    BODY("00000002 | 00000000 | 00000002"
         "| 0002 6b73 0001 74 0001 61 0009"
         "| 0002 6b73 0002 7432 0001 62 0020 000d"
         "| 00000000");
    EQ(cql_resp_result(&r, 4, &a, &res), 0);
    EQ(res.meta.flags, 0);
    SLICEEQ(res.meta.cols[0].table.p, res.meta.cols[0].table.len, "t");
    SLICEEQ(res.meta.cols[1].table.p, res.meta.cols[1].table.len, "t2");
    EQ(res.meta.cols[1].type->id, CQL_TYPE_LIST);
    EQ(res.meta.cols[1].type->sub[0]->id, CQL_TYPE_VARCHAR);
    EQ(res.rows_count, 0);
    EQ(res.rows_len, 0);
    TRUNCATIONS(4, dec_result);
    free(buf);
}

TEST(resp_result_rows_paging_and_no_metadata)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    struct cql_rd r;
    struct cql_result res;
    struct cql_alloc a = test_alloc;

    BODY("00000002 | 00000003 | 00000001 | 00000004 70616765 | 0002 6b73 0001 74"
         "| 0001 61 0009 | 00000000");
    EQ(cql_resp_result(&r, 4, &a, &res), 0);
    EQ(res.meta.flags, CQL_MF_GLOBAL_TABLES_SPEC | CQL_MF_HAS_MORE_PAGES);
    MEMEQ(res.meta.paging_state.p, res.meta.paging_state.len, "page", 4);
    OK(res.meta.cols != NULL);
    TRUNCATIONS(4, dec_result);

    BODY("00000002 | 00000006 | 00000002 | 00000002 7073"
         "| 00000001 | 00000004 00000001 | 00000001 78");
    EQ(cql_resp_result(&r, 5, &a, &res), 0);
    EQ(res.meta.flags, CQL_MF_NO_METADATA | CQL_MF_HAS_MORE_PAGES);
    EQ(res.meta.columns_count, 2);
    OK(res.meta.cols == NULL);
    MEMEQ(res.meta.paging_state.p, res.meta.paging_state.len, "ps", 2);
    EQ(res.rows_count, 1);
    EQ(res.rows_len, 13);
    TRUNCATIONS(4, dec_result);
    TRUNCATIONS(5, dec_result);
    free(buf);
}

TEST(resp_result_rows_metadata_changed_v5)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    struct cql_rd r;
    struct cql_result res;
    struct cql_alloc a = test_alloc;

    BODY("00000002 | 00000009 | 00000001 | 0004 01020304 | 0002 6b73 0001 74"
         "| 0001 61 0009 | 00000000");
    EQ(cql_resp_result(&r, 5, &a, &res), 0);
    EQ(res.meta.flags, CQL_MF_GLOBAL_TABLES_SPEC | CQL_MF_METADATA_CHANGED);
    MEMEQ(res.meta.new_metadata_id.p, res.meta.new_metadata_id.len, "\x01\x02\x03\x04", 4);
    EQ(res.meta.paging_state.len, CQL_NULL);
    EQ(res.meta.cols[0].type->id, CQL_TYPE_INT);
    TRUNCATIONS(5, dec_result);
    cql_rd_init(&r, buf, len);
    EQ(cql_resp_result(&r, 4, &a, &res), CQL_EPROTO);   /* not a v4 flag */

    /* With more pages: paging state first, then the new id (the server's byte order). */
    BODY("00000002 | 0000000b | 00000001 | 00000002 7073 | 0002 0102 | 0002 6b73 0001 74"
         "| 0001 61 0009 | 00000000");
    EQ(cql_resp_result(&r, 5, &a, &res), 0);
    MEMEQ(res.meta.paging_state.p, res.meta.paging_state.len, "ps", 2);
    MEMEQ(res.meta.new_metadata_id.p, res.meta.new_metadata_id.len, "\x01\x02", 2);
    TRUNCATIONS(5, dec_result);
    free(buf);
}

TEST(resp_result_prepared_v4_v5)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    struct cql_rd r;
    struct cql_result res;
    struct cql_alloc a = test_alloc;

    BODY("00000004 | 0002 abcd"
         "| 00000001 00000002 00000001 0000 | 0002 6b73 0001 74 | 0001 6b 0009 | 0001 76 000d"
         "| 00000001 00000001 0002 6b73 0001 74 0001 76 000d");
    EQ(cql_resp_result(&r, 4, &a, &res), 0);
    EQ(res.kind, CQL_RESULT_PREPARED);
    MEMEQ(res.prepared_id.p, res.prepared_id.len, "\xab\xcd", 2);
    EQ(res.result_metadata_id.len, CQL_NULL);
    EQ(res.bind.flags, CQL_MF_GLOBAL_TABLES_SPEC);
    EQ(res.bind.columns_count, 2);
    EQ(res.bind.pk_count, 1);
    EQ(res.bind.pk_index[0], 0);
    SLICEEQ(res.bind.cols[1].name.p, res.bind.cols[1].name.len, "v");
    EQ(res.bind.cols[1].type->id, CQL_TYPE_VARCHAR);
    EQ(res.meta.columns_count, 1);
    SLICEEQ(res.meta.cols[0].name.p, res.meta.cols[0].name.len, "v");
    TRUNCATIONS(4, dec_result);

    BODY("00000004 | 0002 abcd | 0002 ef01"
         "| 00000001 00000002 00000002 0001 0000 | 0002 6b73 0001 74 | 0001 6b 0009"
         "| 0001 76 000d"
         "| 00000004 00000000");
    EQ(cql_resp_result(&r, 5, &a, &res), 0);
    MEMEQ(res.result_metadata_id.p, res.result_metadata_id.len, "\xef\x01", 2);
    EQ(res.bind.pk_count, 2);
    EQ(res.bind.pk_index[0], 1);
    EQ(res.bind.pk_index[1], 0);
    EQ(res.meta.flags, CQL_MF_NO_METADATA);
    EQ(res.meta.columns_count, 0);
    OK(res.meta.cols == NULL);
    TRUNCATIONS(5, dec_result);

    /* No bind markers and an unroutable statement. */
    BODY("00000004 | 0001 aa | 0001 bb | 00000000 00000000 00000000 | 00000004 00000000");
    EQ(cql_resp_result(&r, 5, &a, &res), 0);
    EQ(res.bind.columns_count, 0);
    EQ(res.bind.pk_count, 0);
    OK(res.bind.pk_index == NULL && res.bind.cols == NULL);
    TRUNCATIONS(5, dec_result);
    free(buf);
}

TEST(resp_result_prepared_captured_vector)
{
    size_t len = 0;
    uint8_t *v = test_vector("v4_prepared.hex", &len);
    struct cql_frame f;
    const char *desc = NULL;
    struct cql_rd r;
    struct cql_resp_extra x;
    struct cql_result res;
    struct cql_alloc a = test_alloc;

    OK(v != NULL);
    EQ(cql_frame_decode(v, len, 1 << 20, &f, &desc), (int64_t)len);
    EQ(f.stream, 5);
    EQ(cql_resp_open_frame(&f, f.body, f.length, &r, &x), 0);
    EQ(cql_resp_result(&r, 4, &a, &res), 0);
    EQ(res.kind, CQL_RESULT_PREPARED);
    MEMEQ(res.prepared_id.p, res.prepared_id.len,
          "\x72\x2f\x01\xe1\x94\x73\x75\x82\xd0\x66\x9d\xcf\x7f\x32\x30\x01", 16);
    EQ(res.bind.columns_count, 1);
    EQ(res.bind.pk_count, 1);
    EQ(res.bind.pk_index[0], 0);
    SLICEEQ(res.bind.cols[0].name.p, res.bind.cols[0].name.len, "key");
    SLICEEQ(res.bind.cols[0].keyspace.p, res.bind.cols[0].keyspace.len, "system");
    EQ(res.bind.cols[0].type->id, CQL_TYPE_VARCHAR);
    OK(res.meta.columns_count > 10);
    SLICEEQ(res.meta.cols[1].name.p, res.meta.cols[1].name.len, "bootstrapped");
    SLICEEQ(res.meta.cols[2].name.p, res.meta.cols[2].name.len, "broadcast_address");
    EQ(res.meta.cols[2].type->id, CQL_TYPE_INET);
    EQ(res.meta.cols[3].type->id, CQL_TYPE_INT);
    EQ(cql_rd_left(&r), 0);
    check_truncations(f.body, f.length, 4, dec_result);
    free(v);
}

TEST(resp_result_schema_change_targets)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    struct cql_rd r, args;
    struct cql_result res;
    struct cql_alloc a = test_alloc;
    struct cql_str s;

    BODY("00000005 | 0007 43524541544544 | 0008 4b45595350414345 | 0002 6b73");
    EQ(cql_resp_result(&r, 4, &a, &res), 0);
    SLICEEQ(res.schema.change_type.p, res.schema.change_type.len, "CREATED");
    SLICEEQ(res.schema.target.p, res.schema.target.len, "KEYSPACE");
    SLICEEQ(res.schema.keyspace.p, res.schema.keyspace.len, "ks");
    EQ(res.schema.name.len, 0);
    TRUNCATIONS(4, dec_result);

    BODY("00000005 | 0007 55504441544544 | 0005 5441424c45 | 0002 6b73 | 0001 74");
    EQ(cql_resp_result(&r, 5, &a, &res), 0);
    SLICEEQ(res.schema.change_type.p, res.schema.change_type.len, "UPDATED");
    SLICEEQ(res.schema.name.p, res.schema.name.len, "t");
    TRUNCATIONS(5, dec_result);

    BODY("00000005 | 0007 44524f50504544 | 0004 54595045 | 0002 6b73 | 0004 61646472");
    EQ(cql_resp_result(&r, 5, &a, &res), 0);
    SLICEEQ(res.schema.target.p, res.schema.target.len, "TYPE");
    SLICEEQ(res.schema.name.p, res.schema.name.len, "addr");
    TRUNCATIONS(5, dec_result);

    BODY("00000005 | 0007 43524541544544 | 0008 46554e4354494f4e | 0002 6b73 | 0001 66"
         "| 0002 0003 696e74 0004 74657874");
    EQ(cql_resp_result(&r, 4, &a, &res), 0);
    SLICEEQ(res.schema.target.p, res.schema.target.len, "FUNCTION");
    EQ(res.schema.nargs, 2);
    cql_rd_init(&args, res.schema.arg_types, res.schema.arg_types_len);
    s = cql_rd_string(&args);
    SLICEEQ(s.p, s.len, "int");
    s = cql_rd_string(&args);
    SLICEEQ(s.p, s.len, "text");
    TRUNCATIONS(4, dec_result);

    BODY("00000005 | 0007 44524f50504544 | 0009 414747524547415445 | 0002 6b73"
         "| 0003 616767 | 0000");
    EQ(cql_resp_result(&r, 5, &a, &res), 0);
    SLICEEQ(res.schema.target.p, res.schema.target.len, "AGGREGATE");
    SLICEEQ(res.schema.name.p, res.schema.name.len, "agg");
    EQ(res.schema.nargs, 0);
    TRUNCATIONS(5, dec_result);

    BODY("00000005 | 0007 43524541544544 | 0003 464f4f | 0002 6b73");
    EQ(cql_resp_result(&r, 5, &a, &res), CQL_EPROTO);
    free(buf);
}

TEST(resp_result_hostile_counts_and_allocator)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    struct cql_rd r;
    struct cql_result res;
    struct cql_alloc a = test_alloc;
    struct cql_alloc none = { null_alloc, NULL };

    /* Two billion columns announced in a tiny body: refused before any allocation. */
    BODY("00000002 | 00000000 | 7fffffff | 0002 6b73 0001 74 0001 61 0009 | 00000000");
    EQ(cql_resp_result(&r, 4, &none, &res), CQL_EPROTO);
    BODY("00000002 | 00000000 | ffffffff | 00000000");
    EQ(cql_resp_result(&r, 4, &a, &res), CQL_EPROTO);
    /* Rows: a huge row count with no columns costs nothing; with columns it runs out. */
    BODY("00000002 | 00000004 | 00000000 | 7fffffff");
    EQ(cql_resp_result(&r, 4, &a, &res), 0);
    EQ(res.rows_count, INT32_MAX);
    EQ(res.rows_len, 0);
    BODY("00000002 | 00000004 | 00000001 | 7fffffff | 00000000");
    EQ(cql_resp_result(&r, 4, &a, &res), CQL_EPROTO);
    BODY("00000002 | 00000004 | 00000001 | 80000000");
    EQ(cql_resp_result(&r, 4, &a, &res), CQL_EPROTO);
    /* pk_count past the body. */
    BODY("00000004 | 0001 aa | 00000000 00000000 7fffffff 0000");
    EQ(cql_resp_result(&r, 4, &a, &res), CQL_EPROTO);
    /* The allocator says no. */
    BODY("00000002 | 00000001 | 00000001 | 0002 6b73 | 0001 74 | 0001 61 0009 | 00000000");
    EQ(cql_resp_result(&r, 4, &none, &res), CQL_ENOMEM);
    OK(r.err_desc != NULL);
    /* An unknown type id inside a column spec. */
    BODY("00000002 | 00000001 | 00000001 | 0002 6b73 | 0001 74 | 0001 61 00ee | 00000000");
    OK(cql_resp_result(&r, 4, &a, &res) < 0);
    free(buf);
}

/* ---- EVENT ----------------------------------------------------------------------------------- */

TEST(resp_event_topology_and_status)
{
    static const char *const bodies[] = {
        "000f 544f504f4c4f47595f4348414e4745 | 0008 4e45575f4e4f4445 | 04 7f000002 00002352",
        ("000f 544f504f4c4f47595f4348414e4745 | 000c 52454d4f5645445f4e4f4445"
         "| 10 00000000000000000000000000000001 00002352"),
        "000f 544f504f4c4f47595f4348414e4745 | 000a 4d4f5645445f4e4f4445 | 04 7f000003 00002352",
        "000d 5354415455535f4348414e4745 | 0002 5550 | 04 0a000003 00002352",
        "000d 5354415455535f4348414e4745 | 0004 444f574e | 04 0a000003 00002353",
    };
    static const char *const changes[] = { "NEW_NODE", "REMOVED_NODE", "MOVED_NODE", "UP",
                                           "DOWN" };
    uint8_t *buf = NULL;
    size_t len = 0;
    struct cql_rd r;
    struct cql_event ev;

    for (size_t i = 0; i < 5; i++) {
        BODY(bodies[i]);
        EQ(cql_resp_event(&r, 5, &ev), 0);
        SLICEEQ(ev.type.p, ev.type.len, i < 3 ? "TOPOLOGY_CHANGE" : "STATUS_CHANGE");
        SLICEEQ(ev.change.p, ev.change.len, changes[i]);
        EQ(ev.node.len, i == 1 ? 16 : 4);
        EQ(ev.node.port, i == 4 ? 9043 : 9042);
        TRUNCATIONS(4, dec_event);
    }
    EQ(ev.node.addr[0], 10);
    EQ(ev.node.addr[3], 3);
    BODY("000d 5354415455535f4348414e4745 | 0002 5550 | 05 0a00000300 00002352");
    EQ(cql_resp_event(&r, 5, &ev), CQL_EPROTO);
    BODY("0003 464f4f | 0001 78");                          /* unknown type: skippable */
    EQ(cql_resp_event(&r, 5, &ev), 0);
    SLICEEQ(ev.type.p, ev.type.len, "FOO");
    free(buf);
}

TEST(resp_event_schema_changes)
{
    static const char *const bodies[] = {
        ("000d 534348454d415f4348414e4745 | 0007 43524541544544 | 0008 4b45595350414345"
         "| 0002 6b73"),
        ("000d 534348454d415f4348414e4745 | 0007 55504441544544 | 0005 5441424c45 | 0002 6b73"
         "| 0001 74"),
        ("000d 534348454d415f4348414e4745 | 0007 44524f50504544 | 0004 54595045 | 0002 6b73"
         "| 0004 61646472"),
        ("000d 534348454d415f4348414e4745 | 0007 43524541544544 | 0008 46554e4354494f4e"
         "| 0002 6b73 | 0001 66 | 0001 0003 696e74"),
        ("000d 534348454d415f4348414e4745 | 0007 44524f50504544 | 0009 414747524547415445"
         "| 0002 6b73 | 0003 616767 | 0002 0003 696e74 0004 74657874"),
    };
    static const char *const targets[] = { "KEYSPACE", "TABLE", "TYPE", "FUNCTION",
                                           "AGGREGATE" };
    static const char *const names[] = { "", "t", "addr", "f", "agg" };
    static const int nargs[] = { 0, 0, 0, 1, 2 };
    uint8_t *buf = NULL;
    size_t len = 0;
    struct cql_rd r;
    struct cql_event ev;

    for (size_t i = 0; i < 5; i++) {
        BODY(bodies[i]);
        EQ(cql_resp_event(&r, 4, &ev), 0);
        SLICEEQ(ev.type.p, ev.type.len, "SCHEMA_CHANGE");
        SLICEEQ(ev.schema.target.p, ev.schema.target.len, targets[i]);
        SLICEEQ(ev.schema.keyspace.p, ev.schema.keyspace.len, "ks");
        EQ(ev.schema.name.len, strlen(names[i]));
        OK(ev.schema.name.len == 0 || memcmp(ev.schema.name.p, names[i], strlen(names[i])) == 0);
        EQ(ev.schema.nargs, nargs[i]);
        OK(ev.change.p == ev.schema.change_type.p && ev.change.len == ev.schema.change_type.len);
        EQ(ev.node.len, 0);
        TRUNCATIONS(5, dec_event);
    }
    BODY("000d 534348454d415f4348414e4745 | 0007 43524541544544 | 0005 494e444558 | 0002 6b73");
    EQ(cql_resp_event(&r, 5, &ev), CQL_EPROTO);
    free(buf);
}

/* ---- random input ---------------------------------------------------------------------------- */

TEST(resp_random_bodies_never_crash)
{
    uint8_t body[96];
    struct cql_alloc a;
    struct cql_rd r;
    struct cql_result res;
    struct cql_error e;
    struct cql_event ev;
    struct cql_resp_extra x;

    for (unsigned seed = 1; seed < 20000; seed++) {
        uint32_t s = seed * 2654435761u;
        size_t n = seed % sizeof(body);
        uint8_t *q;

        for (size_t i = 0; i < sizeof(body); i++) {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            /* Mostly small numbers, so lengths and counts often fit and parsing goes deep. */
            body[i] = (uint8_t)((s & 0x300) != 0 ? s % 6 : s);
        }
        cql_put_be32(body, seed % 7);                   /* every result kind and then some */
        q = malloc(n + 1);
        OK(q != NULL);
        memcpy(q, body, n);
        test_alloc_reset(SIZE_MAX);
        a = test_alloc;
        cql_rd_init(&r, q, n);
        (void)cql_resp_result(&r, 4 + seed % 2, &a, &res);
        cql_rd_init(&r, q, n);
        (void)cql_resp_error(&r, 4 + seed % 2, &e);
        cql_rd_init(&r, q, n);
        (void)cql_resp_event(&r, 5, &ev);
        (void)cql_resp_open((uint8_t)seed, q, n, &r, &x);
        (void)cql_resp_supported_has(q, n, "A", "B");
        free(q);
    }
}
