/* test_frame.c: the envelope header and the v4 lz4 body of proto/cql_frame. */
#include "test.h"

#include "cql_frame.h"
#include "cql_req.h"
#include "cql_resp.h"

#include <stdlib.h>

/* Deterministic bytes: compressible when PERIOD is small, noise when it is 0. */
static void
fill(uint8_t *p, size_t len, size_t period)
{
    uint32_t x = 2463534242u;

    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = period == 0 ? (uint8_t)x : (uint8_t)("cassandra-rows:"[i % period % 15]);
    }
}

/* ---- header ---------------------------------------------------------------------------------- */

TEST(frame_decode_header_fields)
{
    /* v5 response, flags 0x08, stream -1, EVENT, body "abc". */
    static const uint8_t in[] = { 0x85, 0x08, 0xff, 0xff, 0x0c, 0x00, 0x00, 0x00, 0x03,
                                  'a', 'b', 'c', 'x' };
    struct cql_frame f;
    const char *desc = NULL;

    EQ(cql_frame_decode(in, sizeof(in), 1024, &f, &desc), 12);
    EQ(f.version, 5);
    OK(f.response);
    EQ(f.flags, CQL_FLAG_WARNING);
    EQ(f.stream, -1);
    EQ(f.opcode, CQL_OP_EVENT);
    EQ(f.length, 3);
    OK(f.body == in + 9);
}

TEST(frame_every_proper_prefix_is_eagain)
{
    size_t len = 0;
    uint8_t *v = test_vector("v4_rows_local.hex", &len);
    struct cql_frame f;
    const char *desc = NULL;

    OK(v != NULL);
    for (size_t n = 0; n < len; n++) {
        uint8_t *p = test_dup(v, n);

        EQ(cql_frame_decode(p, n, 1 << 20, &f, &desc), CQL_EAGAIN);
        free(p);
    }
    EQ(cql_frame_decode(v, len, 1 << 20, &f, &desc), (int64_t)len);
    free(v);
}

TEST(frame_bad_version_byte)
{
    static const uint8_t ok3[] = { 0x83, 0, 0, 0, 2, 0, 0, 0, 0 };
    uint8_t b[9] = { 0, 0, 0, 0, 5, 0, 0, 0, 0 };
    static const uint8_t bad[] = { 0x00, 0x01, 0x02, 0x06, 0x07, 0x42, 0x80, 0x86, 0xff };
    struct cql_frame f;
    const char *desc = NULL;

    EQ(cql_frame_decode(ok3, sizeof(ok3), 0, &f, &desc), 9);
    for (size_t i = 0; i < sizeof(bad); i++) {
        b[0] = bad[i];
        desc = NULL;
        EQ(cql_frame_decode(b, 1, 0, &f, &desc), CQL_EPROTO);   /* refused on the first byte */
        EQ(cql_frame_decode(b, sizeof(b), 0, &f, &desc), CQL_EPROTO);
        OK(desc != NULL);
    }
}

TEST(frame_body_over_limit_is_too_big)
{
    static const uint8_t in[] = { 0x84, 0, 0, 1, 8, 0x00, 0x01, 0x00, 0x01 };  /* 65537 */
    struct cql_frame f;
    const char *desc = NULL;

    EQ(cql_frame_decode(in, sizeof(in), 65536, &f, &desc), CQL_ETOOBIG);
    OK(desc != NULL);
    EQ(cql_frame_decode(in, sizeof(in), 65537, &f, &desc), CQL_EAGAIN);
    EQ(cql_frame_decode(in, 8, 0, &f, &desc), CQL_EAGAIN);     /* length not known yet */
}

TEST(frame_begin_finish_patch_length)
{
    struct cql_wr w;
    size_t off;

    cql_wr_init(&w, NULL, 0, test_grow, NULL);
    cql_wr_raw(&w, "xy", 2);
    off = cql_frame_begin(&w, 5, CQL_FLAG_TRACING, 0x1234, CQL_OP_QUERY);
    EQ(off, 2);
    cql_wr_int(&w, 7);
    cql_wr_byte(&w, 1);
    EQ(cql_frame_finish(&w, off), 0);
    MEMEQ(w.p, w.len, "xy\x05\x02\x12\x34\x07\x00\x00\x00\x05\x00\x00\x00\x07\x01", 16);
    free(w.p);
}

TEST(frame_unknown_version_request_vector)
{
    size_t len = 0;
    uint8_t *want = test_vector("error_bad_version.req.hex", &len);
    struct cql_wr w;
    size_t off;

    OK(want != NULL);
    cql_wr_init(&w, NULL, 0, test_grow, NULL);
    off = cql_frame_begin(&w, 7, 0, 0, CQL_OP_OPTIONS);
    EQ(cql_frame_finish(&w, off), 0);
    MEMEQ(w.p, w.len, want, len);
    /* The request encoders refuse such a version outright. */
    w.len = 0;
    EQ(cql_req_options(&w, 7, 0), CQL_EVERSION);
    EQ(w.len, 0);
    free(w.p);
    free(want);
}

TEST(frame_finish_reports_sticky_error)
{
    uint8_t buf[12];
    struct cql_wr w;
    size_t off;

    cql_wr_init(&w, buf, sizeof(buf), NULL, NULL);
    off = cql_frame_begin(&w, 4, 0, 1, CQL_OP_QUERY);
    cql_wr_int(&w, 1);
    EQ(cql_frame_finish(&w, off), CQL_ENOSPC);
}

/* ---- v4 lz4 bodies --------------------------------------------------------------------------- */

/* Compresses one envelope with BODY_LEN bytes of FILL(period) and decompresses it back. */
static void
lz4_round_trip(size_t body_len, size_t period, bool expect_smaller)
{
    struct cql_wr env, z;
    struct cql_frame f;
    const char *desc = NULL;
    uint8_t *body = malloc(body_len + 1);
    uint8_t *out;
    size_t off;
    ssize_t n;

    OK(body != NULL);
    fill(body, body_len, period);
    cql_wr_init(&env, NULL, 0, test_grow, NULL);
    cql_wr_init(&z, NULL, 0, test_grow, NULL);
    off = cql_frame_begin(&env, 4, 0, 42, CQL_OP_QUERY);
    cql_wr_raw(&env, body, body_len);
    EQ(cql_frame_finish(&env, off), 0);
    EQ(cql_frame_compress_lz4(&z, env.p, env.len), 0);

    EQ(cql_frame_decode(z.p, z.len, 1 << 30, &f, &desc), (int64_t)z.len);
    EQ(f.stream, 42);
    EQ(f.opcode, CQL_OP_QUERY);
    EQ(f.flags, CQL_FLAG_COMPRESSION);
    UEQ(cql_frame_lz4_body_len(&f), body_len);
    if (expect_smaller) {
        OK(f.length < body_len / 4);
    }
    out = malloc(body_len + 1);
    OK(out != NULL);
    n = cql_frame_decompress_lz4(&f, out, body_len, &desc);
    EQ(n, (int64_t)body_len);
    MEMEQ(out, body_len, body, body_len);
    if (body_len > 0) {
        EQ(cql_frame_decompress_lz4(&f, out, body_len - 1, &desc), CQL_ETOOBIG);
    }
    free(out);
    free(body);
    free(env.p);
    free(z.p);
}

TEST(frame_lz4_round_trip_compressible)
{
    lz4_round_trip(100000, 7, true);
    if (test_failed) {
        return;
    }
    lz4_round_trip(1, 1, false);
}

TEST(frame_lz4_round_trip_incompressible)
{
    lz4_round_trip(70000, 0, false);
    if (test_failed) {
        return;
    }
    lz4_round_trip(13, 0, false);
}

TEST(frame_lz4_empty_body_stays_uncompressed)
{
    static const uint8_t ready[] = { 0x04, 0x00, 0x00, 0x03, 0x05, 0x00, 0x00, 0x00, 0x00 };
    struct cql_wr z;

    cql_wr_init(&z, NULL, 0, test_grow, NULL);
    EQ(cql_frame_compress_lz4(&z, ready, sizeof(ready)), 0);
    MEMEQ(z.p, z.len, ready, sizeof(ready));
    free(z.p);
}

TEST(frame_lz4_compress_refuses_non_envelope)
{
    static const uint8_t bad[] = { 0x04, 0x00, 0x00, 0x03, 0x07, 0x00, 0x00, 0x00, 0x05, 1, 2 };
    struct cql_wr z;

    cql_wr_init(&z, NULL, 0, test_grow, NULL);
    EQ(cql_frame_compress_lz4(&z, bad, sizeof(bad)), CQL_EPROTO);
    EQ(z.err, CQL_EPROTO);
    EQ(z.len, 0);
    EQ(cql_frame_compress_lz4(&z, bad, 5), CQL_EPROTO);
    free(z.p);
}

TEST(frame_lz4_decompress_empty_and_malformed)
{
    /* The server compresses an empty body (READY) to a zero length and one zero token. */
    static const uint8_t empty5[] = { 0x84, 1, 0, 0, 2, 0, 0, 0, 5, 0, 0, 0, 0, 0x00 };
    static const uint8_t empty4[] = { 0x84, 1, 0, 0, 2, 0, 0, 0, 4, 0, 0, 0, 0 };
    static const uint8_t junk0[] = { 0x84, 1, 0, 0, 2, 0, 0, 0, 5, 0, 0, 0, 0, 0x10 };
    static const uint8_t short3[] = { 0x84, 1, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0 };
    /* "abc" as a literal run (token 0x30), but the prefix announces 4 bytes. */
    static const uint8_t lying[] = { 0x84, 1, 0, 0, 8, 0, 0, 0, 8, 0, 0, 0, 4, 0x30, 'a', 'b',
                                     'c' };
    static const uint8_t honest[] = { 0x84, 1, 0, 0, 8, 0, 0, 0, 8, 0, 0, 0, 3, 0x30, 'a', 'b',
                                      'c' };
    /* A match token pointing before the start of the output. */
    static const uint8_t corrupt[] = { 0x84, 1, 0, 0, 8, 0, 0, 0, 9, 0, 0, 0, 20, 0x1f, 'a',
                                       0x40, 0x00, 0x00 };
    uint8_t out[32];
    struct cql_frame f;
    const char *desc = NULL;

    OK(cql_frame_decode(empty5, sizeof(empty5), 100, &f, &desc) > 0);
    EQ(cql_frame_decompress_lz4(&f, out, 0, &desc), 0);
    OK(cql_frame_decode(empty4, sizeof(empty4), 100, &f, &desc) > 0);
    EQ(cql_frame_decompress_lz4(&f, out, sizeof(out), &desc), 0);
    OK(cql_frame_decode(junk0, sizeof(junk0), 100, &f, &desc) > 0);
    EQ(cql_frame_decompress_lz4(&f, out, sizeof(out), &desc), CQL_EPROTO);
    OK(cql_frame_decode(short3, sizeof(short3), 100, &f, &desc) > 0);
    UEQ(cql_frame_lz4_body_len(&f), 0);
    EQ(cql_frame_decompress_lz4(&f, out, sizeof(out), &desc), CQL_EPROTO);
    OK(cql_frame_decode(lying, sizeof(lying), 100, &f, &desc) > 0);
    EQ(cql_frame_decompress_lz4(&f, out, sizeof(out), &desc), CQL_EPROTO);
    OK(cql_frame_decode(honest, sizeof(honest), 100, &f, &desc) > 0);
    EQ(cql_frame_decompress_lz4(&f, out, sizeof(out), &desc), 3);
    MEMEQ(out, 3, "abc", 3);
    OK(cql_frame_decode(corrupt, sizeof(corrupt), 100, &f, &desc) > 0);
    desc = NULL;
    EQ(cql_frame_decompress_lz4(&f, out, sizeof(out), &desc), CQL_EPROTO);
    OK(desc != NULL);
}

TEST(frame_lz4_decompress_survives_random_bodies)
{
    uint8_t body[64 + 9];
    uint8_t out[256];
    struct cql_frame f;
    const char *desc = NULL;

    for (unsigned seed = 0; seed < 2000; seed++) {
        uint32_t x = seed * 2654435761u + 1;
        ssize_t n;

        for (size_t i = 0; i < sizeof(body); i++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            body[i] = (uint8_t)x;
        }
        body[0] = 0x84;
        body[1] = CQL_FLAG_COMPRESSION;
        cql_put_be32(body + 5, 64);
        cql_put_be32(body + 9, seed % 300);
        OK(cql_frame_decode(body, sizeof(body), 100, &f, &desc) == (ssize_t)sizeof(body));
        n = cql_frame_decompress_lz4(&f, out, sizeof(out), &desc);
        OK(n < 0 || (size_t)n == seed % 300);
    }
}

/* ---- captured vectors ------------------------------------------------------------------------ */

/* Decodes the single envelope of vector NAME into F (the buffer is returned for freeing). */
static uint8_t *
load_envelope(const char *name, struct cql_frame *f)
{
    size_t len = 0;
    uint8_t *v = test_vector(name, &len);
    const char *desc = NULL;

    if (v == NULL) {
        return NULL;
    }
    if (cql_frame_decode(v, len, 1 << 20, f, &desc) != (ssize_t)len) {
        test_fail(__FILE__, __LINE__, "%s is not exactly one envelope", name);
        free(v);
        return NULL;
    }
    return v;
}

TEST(frame_vector_lz4_rows_matches_plain_rows)
{
    struct cql_frame plain, z;
    uint8_t *a = load_envelope("v4_rows_local.hex", &plain);
    uint8_t *b = load_envelope("v4_lz4_rows_local.hex", &z);
    uint8_t out[512];
    const char *desc = NULL;
    ssize_t n;

    OK(a != NULL && b != NULL);
    EQ(z.flags, CQL_FLAG_COMPRESSION);
    UEQ(cql_frame_lz4_body_len(&z), plain.length);
    n = cql_frame_decompress_lz4(&z, out, sizeof(out), &desc);
    EQ(n, plain.length);
    MEMEQ(out, (size_t)n, plain.body, plain.length);
    free(a);
    free(b);
}

TEST(frame_vector_lz4_authenticate)
{
    struct cql_frame f;
    uint8_t *v = load_envelope("v4_lz4_authenticate.hex", &f);
    uint8_t out[256];
    const char *desc = NULL;
    struct cql_rd r;
    struct cql_resp_extra x;
    struct cql_str cls;
    ssize_t n;

    OK(v != NULL);
    EQ(f.opcode, CQL_OP_AUTHENTICATE);
    OK((f.flags & CQL_FLAG_COMPRESSION) != 0);
    n = cql_frame_decompress_lz4(&f, out, sizeof(out), &desc);
    OK(n > 0);
    EQ(cql_resp_open_frame(&f, out, (size_t)n, &r, &x), 0);
    EQ(cql_resp_authenticate(&r, &cls), 0);
    SLICEEQ(cls.p, cls.len, "org.apache.cassandra.auth.PasswordAuthenticator");
    free(v);
}

TEST(frame_vector_lz4_query_request_is_reproduced)
{
    static const char cql[] = "SELECT key, cluster_name, release_version FROM system.local";
    size_t len = 0;
    uint8_t *want = test_vector("v4_lz4_rows_local.req.hex", &len);
    struct cql_wr plain, z;
    struct cql_query_params qp;

    OK(want != NULL);
    cql_wr_init(&plain, NULL, 0, test_grow, NULL);
    cql_wr_init(&z, NULL, 0, test_grow, NULL);
    cql_query_params_init(&qp, CQL_CL_ONE);
    EQ(cql_req_query(&plain, 4, 2, cql, strlen(cql), &qp), 0);
    EQ(cql_frame_compress_lz4(&z, plain.p, plain.len), 0);
    MEMEQ(z.p, z.len, want, len);
    free(plain.p);
    free(z.p);
    free(want);
}
