/* test_seg.c: v5 segments, their checksums, lz4 and reassembly (proto/cql_seg). */
#include "test.h"

#include "cql_crc.h"
#include "cql_req.h"
#include "cql_resp.h"
#include "cql_seg.h"

#include <stdlib.h>

/* Deterministic bytes: compressible text when COMPRESSIBLE, else noise. */
static void
fill(uint8_t *p, size_t len, bool compressible, uint32_t seed)
{
    static const char text[] = "SELECT payload FROM cqlgate_vectors.big WHERE id = ";
    uint32_t x = seed * 2654435761u + 0x9e3779b9u;

    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = compressible ? (uint8_t)text[i % (sizeof(text) - 1)] : (uint8_t)x;
    }
}

/* Appends an envelope of TOTAL bytes (header included) on STREAM to W. */
static void
add_envelope(struct cql_wr *w, int16_t stream, size_t total, bool compressible)
{
    size_t off = cql_frame_begin(w, 5, 0, stream, CQL_OP_QUERY);
    uint8_t *body = cql_wr_reserve(w, total - CQL_FRAME_HEADER_LEN);

    if (body != NULL) {
        fill(body, total - CQL_FRAME_HEADER_LEN, compressible, (uint32_t)stream);
    }
    (void)cql_frame_finish(w, off);
}

/* One decoded segment with its payload copied (and decompressed) into heap memory. */
struct seg_copy {
    bool     self_contained;    /* header flag */
    bool     compressed;        /* lz4 block on the wire */
    size_t   wire;              /* bytes the segment spanned */
    uint8_t *raw;               /* payload, malloc'd */
    size_t   raw_len;           /* its length */
};

/* Decodes every segment of P into SEGS (up to MAX); returns the count, or -1 on any error. */
static int
split_segments(const uint8_t *p, size_t len, bool lz4, struct seg_copy *segs, int max)
{
    int n = 0;

    for (size_t off = 0; off < len; n++) {
        struct cql_seg s;
        const char *desc = NULL;
        ssize_t used = cql_seg_decode(p + off, len - off, lz4, &s, &desc);

        if (used <= 0 || n == max) {
            return -1;
        }
        segs[n].self_contained = s.self_contained;
        segs[n].compressed = s.compressed;
        segs[n].wire = (size_t)used;
        segs[n].raw = malloc(s.raw_len + 1);
        segs[n].raw_len = s.raw_len;
        if (segs[n].raw == NULL || cql_seg_payload(&s, segs[n].raw, s.raw_len, &desc)
                                   != (ssize_t)s.raw_len) {
            return -1;
        }
        off += (size_t)used;
    }
    return n;
}

static void
free_segments(struct seg_copy *segs, int n)
{
    for (int i = 0; i < n; i++) {
        free(segs[i].raw);
    }
}

/* True when P (LEN bytes) is a run of whole envelopes. */
static bool
whole_envelopes(const uint8_t *p, size_t len)
{
    for (size_t off = 0; off < len;) {
        struct cql_frame f;
        const char *desc = NULL;
        ssize_t n = cql_frame_decode(p + off, len - off, SIZE_MAX, &f, &desc);

        if (n <= 0) {
            return false;
        }
        off += (size_t)n;
    }
    return true;
}

/* ---- the spec's vectors ---------------------------------------------------------------------- */

static const char options_segment_hex[] = "090002 a4c8c1 050000000500000000 1086284d";

TEST(seg_spec_options_vector)
{
    uint8_t want[19];
    struct cql_wr env, w;
    struct cql_seg s;
    const char *desc = NULL;

    EQ(test_unhex(options_segment_hex, want, sizeof(want)), 19);
    cql_wr_init(&env, NULL, 0, test_grow, NULL);
    cql_wr_init(&w, NULL, 0, test_grow, NULL);
    EQ(cql_req_options(&env, 5, 0), 0);
    EQ(cql_seg_encode_frames(&w, env.p, env.len, false, &desc), 0);
    MEMEQ(w.p, w.len, want, sizeof(want));

    EQ(cql_seg_decode(want, sizeof(want), false, &s, &desc), 19);
    OK(s.self_contained);
    OK(!s.compressed);
    EQ(s.wire_len, 9);
    EQ(s.raw_len, 9);
    OK(s.payload == want + 6);
    free(env.p);
    free(w.p);
}

TEST(seg_empty_self_contained_header_vector)
{
    struct cql_wr w;
    struct cql_seg s;
    const char *desc = NULL;

    cql_wr_init(&w, NULL, 0, test_grow, NULL);
    EQ(cql_seg_encode(&w, NULL, 0, true, false), 0);
    MEMEQ(w.p, w.len, "\x00\x00\x02\x6a\x36\xc4\xd3\x7e\x77\x44", 10);
    EQ(cql_seg_decode(w.p, w.len, false, &s, &desc), 10);
    EQ(s.raw_len, 0);
    free(w.p);
}

/* ---- prefixes and corruption ----------------------------------------------------------------- */

/* Checks that every proper prefix of the segment P decodes to CQL_EAGAIN. */
static void
check_prefixes(const uint8_t *p, size_t len, bool lz4)
{
    struct cql_seg s;
    const char *desc = NULL;

    for (size_t n = 0; n < len; n++) {
        uint8_t *q = test_dup(p, n);
        ssize_t rc = cql_seg_decode(q, n, lz4, &s, &desc);

        free(q);
        if (rc != CQL_EAGAIN) {
            test_fail(__FILE__, __LINE__, "prefix %zu of %zu: %zd", n, len, rc);
            return;
        }
    }
    EQ(cql_seg_decode(p, len, lz4, &s, &desc), (int64_t)len);
}

TEST(seg_every_proper_prefix_is_eagain)
{
    uint8_t opt[19];
    uint8_t payload[3000];
    struct cql_wr w;
    size_t len = 0;
    uint8_t *v;

    EQ(test_unhex(options_segment_hex, opt, sizeof(opt)), 19);
    check_prefixes(opt, sizeof(opt), false);
    if (test_failed) {
        return;
    }
    fill(payload, sizeof(payload), true, 1);
    cql_wr_init(&w, NULL, 0, test_grow, NULL);
    EQ(cql_seg_encode(&w, payload, sizeof(payload), true, true), 0);
    check_prefixes(w.p, w.len, true);
    if (test_failed) {
        return;
    }
    v = test_vector("v5_seg_rows_local.hex", &len);
    OK(v != NULL);
    check_prefixes(v, len, false);
    free(v);
    free(w.p);
}

/* Flips every bit of the segment P in turn: the result must be CQL_ECRC or CQL_EPROTO. */
static void
check_bit_flips(uint8_t *p, size_t len, bool lz4)
{
    struct cql_seg s;
    const char *desc = NULL;

    for (size_t bit = 0; bit < len * 8; bit++) {
        ssize_t rc;

        p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        rc = cql_seg_decode(p, len, lz4, &s, &desc);
        p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        if (rc != CQL_ECRC && rc != CQL_EPROTO) {
            test_fail(__FILE__, __LINE__, "bit %zu of %zu: %zd", bit, len * 8, rc);
            return;
        }
    }
    EQ(cql_seg_decode(p, len, lz4, &s, &desc), (int64_t)len);
}

TEST(seg_every_bit_flip_is_detected)
{
    uint8_t payload[200];
    struct cql_wr w;
    size_t len = 0;
    uint8_t *v;

    fill(payload, sizeof(payload), false, 7);
    cql_wr_init(&w, NULL, 0, test_grow, NULL);
    EQ(cql_seg_encode(&w, payload, 77, true, false), 0);            /* uncompressed */
    check_bit_flips(w.p, w.len, false);
    if (test_failed) {
        return;
    }
    w.len = 0;
    EQ(cql_seg_encode(&w, payload, sizeof(payload), false, true), 0);  /* lz4, stored */
    check_bit_flips(w.p, w.len, true);
    if (test_failed) {
        return;
    }
    fill(payload, sizeof(payload), true, 7);
    w.len = 0;
    EQ(cql_seg_encode(&w, payload, sizeof(payload), true, true), 0);   /* lz4, compressed */
    OK(w.len < sizeof(payload));
    check_bit_flips(w.p, w.len, true);
    if (test_failed) {
        return;
    }
    v = test_vector("v5_lz4_seg_rows_local.hex", &len);
    OK(v != NULL);
    check_bit_flips(v, len, true);
    free(v);
    free(w.p);
}

TEST(seg_padding_bits_are_refused)
{
    uint8_t h[10] = { 0 };
    uint8_t z[12] = { 0 };
    uint32_t crc;
    struct cql_seg s;
    const char *desc = NULL;

    /* Uncompressed: empty payload, self-contained, bit 18 set; valid CRCs all round. */
    h[2] = 0x02 | 0x04;
    crc = cql_crc24(h, 3);
    h[3] = (uint8_t)crc;
    h[4] = (uint8_t)(crc >> 8);
    h[5] = (uint8_t)(crc >> 16);
    h[6] = 0xd3;
    h[7] = 0x7e;
    h[8] = 0x77;
    h[9] = 0x44;
    EQ(cql_seg_decode(h, sizeof(h), false, &s, &desc), CQL_EPROTO);
    /* lz4: bit 35 set. */
    z[4] = 0x08;
    crc = cql_crc24(z, 5);
    z[5] = (uint8_t)crc;
    z[6] = (uint8_t)(crc >> 8);
    z[7] = (uint8_t)(crc >> 16);
    z[8] = 0xd3;
    z[9] = 0x7e;
    z[10] = 0x77;
    z[11] = 0x44;
    EQ(cql_seg_decode(z, sizeof(z), true, &s, &desc), CQL_EPROTO);
    z[4] = 0x04;                                        /* only self-contained: fine */
    crc = cql_crc24(z, 5);
    z[5] = (uint8_t)crc;
    z[6] = (uint8_t)(crc >> 8);
    z[7] = (uint8_t)(crc >> 16);
    EQ(cql_seg_decode(z, sizeof(z), true, &s, &desc), 12);
    OK(s.self_contained);
}

TEST(seg_lz4_block_that_lies_about_its_length)
{
    uint8_t payload[4000];
    struct cql_wr w;
    struct cql_seg s;
    const char *desc = NULL;
    uint8_t *out = malloc(sizeof(payload));
    uint64_t word = 0;
    uint32_t crc;

    OK(out != NULL);
    fill(payload, sizeof(payload), true, 3);
    cql_wr_init(&w, NULL, 0, test_grow, NULL);
    EQ(cql_seg_encode(&w, payload, sizeof(payload), true, true), 0);
    /* Announce one byte less than the block holds and re-seal the header. */
    for (int i = 4; i >= 0; i--) {
        word = word << 8 | w.p[i];
    }
    word -= (uint64_t)1 << 17;
    for (int i = 0; i < 5; i++) {
        w.p[i] = (uint8_t)(word >> (8 * i));
    }
    crc = cql_crc24(w.p, 5);
    w.p[5] = (uint8_t)crc;
    w.p[6] = (uint8_t)(crc >> 8);
    w.p[7] = (uint8_t)(crc >> 16);
    EQ(cql_seg_decode(w.p, w.len, true, &s, &desc), (int64_t)w.len);
    EQ(s.raw_len, sizeof(payload) - 1);
    EQ(cql_seg_payload(&s, out, sizeof(payload), &desc), CQL_EPROTO);
    EQ(cql_seg_payload(&s, out, 10, &desc), CQL_ETOOBIG);
    free(out);
    free(w.p);
}

/* ---- lz4 ------------------------------------------------------------------------------------- */

TEST(seg_lz4_compressible_round_trip)
{
    size_t len = CQL_SEG_MAX_PAYLOAD;
    uint8_t *payload = malloc(len);
    uint8_t *out = malloc(len);
    struct cql_wr w;
    struct cql_seg s;
    const char *desc = NULL;

    OK(payload != NULL && out != NULL);
    fill(payload, len, true, 5);
    cql_wr_init(&w, NULL, 0, test_grow, NULL);
    EQ(cql_seg_encode(&w, payload, len, false, true), 0);
    EQ(cql_seg_decode(w.p, w.len, true, &s, &desc), (int64_t)w.len);
    OK(s.compressed);
    OK(!s.self_contained);
    EQ(s.raw_len, len);
    OK(s.wire_len < len / 10);
    EQ(w.len, 8 + s.wire_len + 4);
    EQ(cql_seg_payload(&s, out, len, &desc), (int64_t)len);
    MEMEQ(out, len, payload, len);
    /* The same payload on an uncompressed connection. */
    w.len = 0;
    EQ(cql_seg_encode(&w, payload, len, true, false), 0);
    EQ(w.len, 6 + len + 4);
    EQ(cql_seg_decode(w.p, w.len, false, &s, &desc), (int64_t)w.len);
    EQ(cql_seg_payload(&s, out, len, &desc), (int64_t)len);
    MEMEQ(out, len, payload, len);
    free(payload);
    free(out);
    free(w.p);
}

TEST(seg_lz4_incompressible_is_stored)
{
    uint8_t payload[1000];
    uint8_t out[1000];
    struct cql_wr w;
    struct cql_seg s;
    const char *desc = NULL;

    fill(payload, sizeof(payload), false, 9);
    cql_wr_init(&w, NULL, 0, test_grow, NULL);
    EQ(cql_seg_encode(&w, payload, sizeof(payload), true, true), 0);
    EQ(w.len, 8 + sizeof(payload) + 4);
    /* Uncompressed-length field (bits 17-33) is 0; compressed length is the payload length. */
    EQ(w.p[0] | w.p[1] << 8 | (w.p[2] & 1) << 16, sizeof(payload));
    EQ((w.p[2] >> 1) | w.p[3] << 7 | (w.p[4] & 3) << 15, 0);
    OK((w.p[4] & 0x04) != 0);
    MEMEQ(w.p + 8, sizeof(payload), payload, sizeof(payload));
    EQ(cql_seg_decode(w.p, w.len, true, &s, &desc), (int64_t)w.len);
    OK(!s.compressed);
    OK(s.self_contained);
    EQ(s.raw_len, sizeof(payload));
    EQ(cql_seg_payload(&s, out, sizeof(out), &desc), (int64_t)sizeof(out));
    MEMEQ(out, sizeof(out), payload, sizeof(payload));
    free(w.p);
}

TEST(seg_lz4_tiny_payloads)
{
    struct cql_wr w;
    struct cql_seg s;
    const char *desc = NULL;
    uint8_t out[1];

    cql_wr_init(&w, NULL, 0, test_grow, NULL);
    EQ(cql_seg_encode(&w, NULL, 0, true, true), 0);
    EQ(w.len, 12);
    EQ(cql_seg_decode(w.p, w.len, true, &s, &desc), 12);
    EQ(s.raw_len, 0);
    EQ(cql_seg_payload(&s, out, 0, &desc), 0);
    w.len = 0;
    EQ(cql_seg_encode(&w, (const uint8_t *)"z", 1, true, true), 0);
    EQ(cql_seg_decode(w.p, w.len, true, &s, &desc), 13);
    EQ(cql_seg_payload(&s, out, 1, &desc), 1);
    EQ(out[0], 'z');
    free(w.p);
}

TEST(seg_encode_refuses_oversized_payload)
{
    static uint8_t big[CQL_SEG_MAX_PAYLOAD + 1];
    struct cql_wr w;

    cql_wr_init(&w, NULL, 0, test_grow, NULL);
    EQ(cql_seg_encode(&w, big, sizeof(big), true, false), CQL_ETOOBIG);
    EQ(w.err, CQL_ETOOBIG);
    EQ(w.len, 0);
    free(w.p);
}

/* ---- framing runs of envelopes --------------------------------------------------------------- */

TEST(seg_encode_frames_packs_whole_envelopes)
{
    struct cql_wr env, w;
    struct seg_copy segs[8];
    size_t total = 0;
    const char *desc = NULL;
    uint8_t *joined;
    int n;

    cql_wr_init(&env, NULL, 0, test_grow, NULL);
    cql_wr_init(&w, NULL, 0, test_grow, NULL);
    for (int16_t i = 0; i < 100; i++) {
        add_envelope(&env, i, 2000 + (size_t)i, i % 2 == 0);
    }
    EQ(env.err, 0);
    EQ(cql_seg_encode_frames(&w, env.p, env.len, false, &desc), 0);
    n = split_segments(w.p, w.len, false, segs, 8);
    EQ(n, 2);
    joined = malloc(env.len);
    OK(joined != NULL);
    for (int i = 0; i < n; i++) {
        OK(segs[i].self_contained);
        OK(segs[i].raw_len <= CQL_SEG_MAX_PAYLOAD);
        OK(whole_envelopes(segs[i].raw, segs[i].raw_len));
        memcpy(joined + total, segs[i].raw, segs[i].raw_len);
        total += segs[i].raw_len;
    }
    MEMEQ(joined, total, env.p, env.len);
    /* The first segment is as full as whole envelopes allow: the next one did not fit. */
    OK(segs[0].raw_len + CQL_FRAME_HEADER_LEN + cql_be32(segs[1].raw + 5) > CQL_SEG_MAX_PAYLOAD);
    free(joined);
    free_segments(segs, n);
    free(env.p);
    free(w.p);
}

TEST(seg_encode_frames_boundary_sizes)
{
    struct cql_wr env, w;
    struct seg_copy segs[4];
    const char *desc = NULL;
    int n;

    cql_wr_init(&env, NULL, 0, test_grow, NULL);
    cql_wr_init(&w, NULL, 0, test_grow, NULL);
    add_envelope(&env, 1, CQL_SEG_MAX_PAYLOAD, false);           /* fits exactly */
    EQ(cql_seg_encode_frames(&w, env.p, env.len, false, &desc), 0);
    n = split_segments(w.p, w.len, false, segs, 4);
    EQ(n, 1);
    OK(segs[0].self_contained);
    EQ(segs[0].raw_len, CQL_SEG_MAX_PAYLOAD);
    free_segments(segs, n);

    env.len = 0;
    w.len = 0;
    add_envelope(&env, 2, CQL_SEG_MAX_PAYLOAD + 1, false);       /* one byte too many */
    EQ(cql_seg_encode_frames(&w, env.p, env.len, false, &desc), 0);
    n = split_segments(w.p, w.len, false, segs, 4);
    EQ(n, 2);
    OK(!segs[0].self_contained && !segs[1].self_contained);
    EQ(segs[0].raw_len, CQL_SEG_MAX_PAYLOAD);
    EQ(segs[1].raw_len, 1);
    free_segments(segs, n);

    env.len = 0;
    w.len = 0;
    EQ(cql_seg_encode_frames(&w, env.p, 0, true, &desc), 0);    /* nothing to send */
    EQ(w.len, 0);
    free(env.p);
    free(w.p);
}

TEST(seg_encode_frames_refuses_partial_envelopes)
{
    struct cql_wr env, w;
    const char *desc = NULL;

    cql_wr_init(&env, NULL, 0, test_grow, NULL);
    cql_wr_init(&w, NULL, 0, test_grow, NULL);
    add_envelope(&env, 1, 100, true);
    add_envelope(&env, 2, 50, true);
    EQ(cql_seg_encode_frames(&w, env.p, env.len - 1, false, &desc), CQL_EPROTO);
    OK(desc != NULL);
    EQ(w.len, 0);
    EQ(w.err, CQL_EPROTO);
    cql_wr_init(&w, w.p, w.cap, test_grow, NULL);
    desc = NULL;
    EQ(cql_seg_encode_frames(&w, env.p, 104, false, &desc), CQL_EPROTO);  /* inside a header */
    OK(desc != NULL);
    EQ(w.len, 0);
    free(env.p);
    free(w.p);
}

/*
 * Frames [small][big][small] and checks the layout (self-contained, a run of non-self-contained
 * segments, self-contained) and that cql_seg_asm gives the big envelope back byte for byte.
 */
static void
split_and_reassemble(size_t big, bool compressible, bool lz4)
{
    struct cql_wr env, w;
    struct seg_copy segs[16];
    struct cql_seg_asm a;
    const char *desc = NULL;
    size_t small1 = 300, small2 = 40;
    int n, runs, got = 0;

    cql_wr_init(&env, NULL, 0, test_grow, NULL);
    cql_wr_init(&w, NULL, 0, test_grow, NULL);
    add_envelope(&env, 1, small1, true);
    add_envelope(&env, 2, big, compressible);
    add_envelope(&env, 3, small2, false);
    EQ(env.err, 0);
    EQ(cql_seg_encode_frames(&w, env.p, env.len, lz4, &desc), 0);
    n = split_segments(w.p, w.len, lz4, segs, 16);
    runs = (int)((big + CQL_SEG_MAX_PAYLOAD - 1) / CQL_SEG_MAX_PAYLOAD);
    EQ(n, runs + 2);
    OK(segs[0].self_contained);
    MEMEQ(segs[0].raw, segs[0].raw_len, env.p, small1);
    OK(segs[n - 1].self_contained);
    MEMEQ(segs[n - 1].raw, segs[n - 1].raw_len, env.p + small1 + big, small2);
    if (lz4 && compressible) {
        OK(segs[1].compressed);
        OK(segs[1].wire < CQL_SEG_MAX_PAYLOAD / 4);
    }
    if (lz4 && !compressible) {
        OK(!segs[1].compressed);
    }

    cql_seg_asm_init(&a, test_grow, NULL);
    for (int i = 1; i < n - 1; i++) {
        int rc;

        OK(!segs[i].self_contained);
        rc = cql_seg_asm_feed(&a, segs[i].raw, segs[i].raw_len, &desc);
        EQ(rc, i == n - 2 ? 1 : 0);
        got += rc;
    }
    EQ(got, 1);
    EQ(a.need, big);
    MEMEQ(a.buf.p, a.buf.len, env.p + small1, big);
    cql_seg_asm_reset(&a);
    EQ(a.buf.len, 0);
    EQ(a.need, 0);
    free(a.buf.p);
    free_segments(segs, n);
    free(env.p);
    free(w.p);
}

TEST(seg_large_envelope_round_trip_plain)
{
    split_and_reassemble(300 * 1024, false, false);
}

TEST(seg_large_envelope_round_trip_lz4_compressible)
{
    split_and_reassemble(300 * 1024, true, true);
}

TEST(seg_large_envelope_round_trip_lz4_incompressible)
{
    split_and_reassemble(300 * 1024, false, true);
}

/* ---- reassembly edge cases ------------------------------------------------------------------- */

TEST(seg_asm_header_split_across_segments)
{
    struct cql_wr env;
    struct cql_seg_asm a;
    const char *desc = NULL;

    cql_wr_init(&env, NULL, 0, test_grow, NULL);
    add_envelope(&env, 9, 40, true);
    cql_seg_asm_init(&a, test_grow, NULL);
    EQ(cql_seg_asm_feed(&a, env.p, 4, &desc), 0);
    EQ(a.need, 0);
    EQ(cql_seg_asm_feed(&a, env.p + 4, 0, &desc), 0);
    EQ(cql_seg_asm_feed(&a, env.p + 4, 5, &desc), 0);
    EQ(a.need, 40);
    EQ(cql_seg_asm_feed(&a, env.p + 9, 31, &desc), 1);
    MEMEQ(a.buf.p, a.buf.len, env.p, 40);
    cql_seg_asm_reset(&a);
    /* Reused: all in one feed. */
    EQ(cql_seg_asm_feed(&a, env.p, 40, &desc), 1);
    free(a.buf.p);
    free(env.p);
}

TEST(seg_asm_refuses_bytes_past_the_end)
{
    struct cql_wr env;
    struct cql_seg_asm a;
    const char *desc = NULL;

    cql_wr_init(&env, NULL, 0, test_grow, NULL);
    add_envelope(&env, 9, 40, true);
    add_envelope(&env, 10, 40, true);
    cql_seg_asm_init(&a, test_grow, NULL);
    EQ(cql_seg_asm_feed(&a, env.p, 41, &desc), CQL_EPROTO);      /* header and overrun at once */
    OK(desc != NULL);
    EQ(cql_seg_asm_feed(&a, env.p, 1, &desc), CQL_EPROTO);       /* stays failed until reset */
    cql_seg_asm_reset(&a);
    EQ(cql_seg_asm_feed(&a, env.p, 20, &desc), 0);
    desc = NULL;
    EQ(cql_seg_asm_feed(&a, env.p + 20, 21, &desc), CQL_EPROTO); /* overrun of a known length */
    OK(desc != NULL);
    cql_seg_asm_reset(&a);
    EQ(cql_seg_asm_feed(&a, env.p, 40, &desc), 1);
    EQ(cql_seg_asm_feed(&a, env.p + 40, 1, &desc), CQL_EPROTO);  /* fed again without reset */
    free(a.buf.p);
    free(env.p);
}

TEST(seg_asm_refuses_oversized_envelope)
{
    static const uint8_t hdr[9] = { 0x85, 0, 0, 1, 8, 0x00, 0x10, 0x00, 0x00 };   /* 1 MiB */
    struct cql_seg_asm a;
    const char *desc = NULL;

    cql_seg_asm_init(&a, test_grow, NULL);
    EQ(a.max, CQL_SEG_ASM_MAX);
    a.max = 4096;
    EQ(cql_seg_asm_feed(&a, hdr, sizeof(hdr), &desc), CQL_ETOOBIG);
    free(a.buf.p);
}

TEST(seg_asm_reports_writer_failure)
{
    uint8_t small[16];
    struct cql_wr env;
    struct cql_seg_asm a;
    const char *desc = NULL;

    cql_wr_init(&env, NULL, 0, test_grow, NULL);
    add_envelope(&env, 9, 40, true);
    cql_seg_asm_init(&a, NULL, NULL);
    cql_wr_init(&a.buf, small, sizeof(small), NULL, NULL);      /* fixed 16-byte buffer */
    EQ(cql_seg_asm_feed(&a, env.p, 12, &desc), 0);
    EQ(cql_seg_asm_feed(&a, env.p + 12, 12, &desc), CQL_ENOSPC);
    free(env.p);
}

/* ---- captured vectors ------------------------------------------------------------------------ */

/* Checks that BODY is the RESULT Rows of system.local captured by tests/vectors/capture.py. */
static void
check_rows_local(const uint8_t *env, size_t len, int version)
{
    struct cql_alloc a = test_alloc;
    struct cql_frame f;
    const char *desc = NULL;
    struct cql_rd r, rows;
    struct cql_resp_extra x;
    struct cql_result res;
    struct cql_bytes cells[3];

    EQ(cql_frame_decode(env, len, 1 << 20, &f, &desc), (int64_t)len);
    EQ(f.version, version);
    OK(f.response);
    EQ(f.opcode, CQL_OP_RESULT);
    EQ(cql_resp_open_frame(&f, f.body, f.length, &r, &x), 0);
    EQ(cql_resp_result(&r, version, &a, &res), 0);
    EQ(res.kind, CQL_RESULT_ROWS);
    EQ(res.meta.flags, CQL_MF_GLOBAL_TABLES_SPEC);
    EQ(res.meta.columns_count, 3);
    OK(res.meta.cols != NULL);
    SLICEEQ(res.meta.cols[0].keyspace.p, res.meta.cols[0].keyspace.len, "system");
    SLICEEQ(res.meta.cols[2].table.p, res.meta.cols[2].table.len, "local");
    SLICEEQ(res.meta.cols[1].name.p, res.meta.cols[1].name.len, "cluster_name");
    EQ(res.meta.cols[2].type->id, CQL_TYPE_VARCHAR);
    EQ(res.rows_count, 1);
    cql_rd_init(&rows, res.rows, res.rows_len);
    EQ(cql_rows_next(&rows, 3, cells), 0);
    SLICEEQ(cells[0].p, cells[0].len, "local");
    SLICEEQ(cells[1].p, cells[1].len, "cqlgate-test");
    SLICEEQ(cells[2].p, cells[2].len, "5.0.2");
    EQ(cql_rd_left(&rows), 0);
}

TEST(seg_vector_rows_local)
{
    size_t len = 0;
    uint8_t *v = test_vector("v5_seg_rows_local.hex", &len);
    struct seg_copy segs[2];
    int n;

    OK(v != NULL);
    n = split_segments(v, len, false, segs, 2);
    EQ(n, 1);
    OK(segs[0].self_contained);
    check_rows_local(segs[0].raw, segs[0].raw_len, 5);
    free_segments(segs, n);
    free(v);
}

TEST(seg_vector_lz4_rows_local)
{
    size_t len = 0, plen = 0;
    uint8_t *v = test_vector("v5_lz4_seg_rows_local.hex", &len);
    uint8_t *plain = test_vector("v5_seg_rows_local.hex", &plen);
    struct seg_copy segs[2];
    struct cql_seg s;
    const char *desc = NULL;
    int n;

    OK(v != NULL && plain != NULL);
    n = split_segments(v, len, true, segs, 2);
    EQ(n, 1);
    OK(segs[0].compressed);
    check_rows_local(segs[0].raw, segs[0].raw_len, 5);
    /* Same envelope as the uncompressed capture. */
    EQ(cql_seg_decode(plain, plen, false, &s, &desc), (int64_t)plen);
    MEMEQ(segs[0].raw, segs[0].raw_len, s.payload, s.wire_len);
    free_segments(segs, n);
    free(v);
    free(plain);
}

TEST(seg_vector_large_split_envelope)
{
    struct cql_alloc alloc = test_alloc;
    size_t len = 0;
    uint8_t *v = test_vector("v5_seg_large.hex", &len);
    struct seg_copy segs[8];
    struct cql_seg_asm a;
    struct cql_frame f;
    struct cql_rd r, rows;
    struct cql_resp_extra x;
    struct cql_result res;
    struct cql_bytes cells[2];
    const char *desc = NULL;
    bool seen[100] = { false };
    int n, rc = 0;

    OK(v != NULL);
    n = split_segments(v, len, false, segs, 8);
    EQ(n, 3);
    cql_seg_asm_init(&a, test_grow, NULL);
    for (int i = 0; i < n; i++) {
        OK(!segs[i].self_contained);
        rc = cql_seg_asm_feed(&a, segs[i].raw, segs[i].raw_len, &desc);
        EQ(rc, i == n - 1 ? 1 : 0);
    }
    EQ(segs[0].raw_len, 131054);        /* Cassandra's cut: 128 KiB buffer less 10 bytes */
    EQ(a.buf.len, 301264);
    EQ(cql_frame_decode(a.buf.p, a.buf.len, 1 << 20, &f, &desc), 301264);
    EQ(f.stream, 3);
    EQ(cql_resp_open_frame(&f, f.body, f.length, &r, &x), 0);
    EQ(cql_resp_result(&r, 5, &alloc, &res), 0);
    EQ(res.kind, CQL_RESULT_ROWS);
    EQ(res.meta.columns_count, 2);
    EQ(res.meta.cols[0].type->id, CQL_TYPE_INT);
    EQ(res.meta.cols[1].type->id, CQL_TYPE_VARCHAR);
    EQ(res.rows_count, 100);
    cql_rd_init(&rows, res.rows, res.rows_len);
    for (int i = 0; i < 100; i++) {
        int32_t id;

        EQ(cql_rows_next(&rows, 2, cells), 0);
        EQ(cells[0].len, 4);
        id = (int32_t)cql_be32(cells[0].p);
        OK(id >= 0 && id < 100 && !seen[id]);
        seen[id] = true;
        EQ(cells[1].len, 3000);
    }
    EQ(cql_rd_left(&rows), 0);
    free(a.buf.p);
    free_segments(segs, n);
    free(v);
}

TEST(seg_vector_auth_success)
{
    size_t len = 0;
    uint8_t *v = test_vector("v5_seg_auth_success.hex", &len);
    struct seg_copy segs[2];
    struct cql_frame f;
    struct cql_rd r;
    struct cql_resp_extra x;
    struct cql_bytes token;
    const char *desc = NULL;
    int n;

    OK(v != NULL);
    n = split_segments(v, len, false, segs, 2);
    EQ(n, 1);
    EQ(cql_frame_decode(segs[0].raw, segs[0].raw_len, 1024, &f, &desc), 13);
    EQ(f.opcode, CQL_OP_AUTH_SUCCESS);
    EQ(f.stream, 1);
    EQ(cql_resp_open_frame(&f, f.body, f.length, &r, &x), 0);
    EQ(cql_resp_auth_token(&r, &token), 0);
    EQ(token.len, CQL_NULL);
    OK(token.p == NULL);
    free_segments(segs, n);
    free(v);
}

/* Encodes ENV (whole envelopes) into segments and compares with vector NAME. */
static void
check_request_vector(const char *name, const struct cql_wr *env, bool lz4)
{
    size_t len = 0;
    uint8_t *want = test_vector(name, &len);
    struct cql_wr w;
    const char *desc = NULL;

    OK(want != NULL);
    cql_wr_init(&w, NULL, 0, test_grow, NULL);
    EQ(env->err, 0);
    EQ(cql_seg_encode_frames(&w, env->p, env->len, lz4, &desc), 0);
    MEMEQ(w.p, w.len, want, len);
    free(w.p);
    free(want);
}

TEST(seg_vector_requests_are_reproduced)
{
    static const char local[] = "SELECT key, cluster_name, release_version FROM system.local";
    static const char big[] = "SELECT * FROM cqlgate_vectors.big";
    struct cql_query_params qp;
    struct cql_wr env;

    cql_wr_init(&env, NULL, 0, test_grow, NULL);
    cql_query_params_init(&qp, CQL_CL_ONE);
    (void)cql_req_query(&env, 5, 2, local, strlen(local), &qp);
    check_request_vector("v5_seg_rows_local.req.hex", &env, false);
    check_request_vector("v5_lz4_seg_rows_local.req.hex", &env, true);
    if (test_failed) {
        return;
    }
    env.len = 0;
    qp.page_size = 5000;
    (void)cql_req_query(&env, 5, 3, big, strlen(big), &qp);
    check_request_vector("v5_seg_large.req.hex", &env, false);
    env.len = 0;
    (void)cql_req_auth_plain(&env, 5, 1, "cassandra", "cassandra");
    check_request_vector("v5_seg_auth_success.req.hex", &env, false);
    free(env.p);
}
