/*
 * fuzz_seg.c: v5 segments and envelope reassembly (proto/cql_seg.c), then the envelopes they carry.
 *
 * Input: one control byte, then a stream of segments as a v5 connection receives them.
 *
 *   control bit 0      lz4 segments (8-byte headers) instead of uncompressed ones (6-byte headers)
 *   control bit 1      rewrite the header CRC24 and payload CRC32 of every segment first, so
 *                      mutated inputs get past the checksums into lengths, lz4 and reassembly
 *   control bit 3      assemble split envelopes with a 4 KiB limit instead of CQL_SEG_ASM_MAX
 *   control bits 2-4   all set: the round trip below uses an envelope large enough to be split
 *
 * Every segment that decodes has its payload extracted (into a buffer of exactly raw_len bytes);
 * self-contained payloads are decoded as envelopes, the others fed to cql_seg_asm and the
 * assembled envelope decoded. Envelope bodies then go through every response decoder as v5.
 *
 * Two round-trip properties run on every input (the bytes after the control byte):
 *   - as the body of one synthetic envelope, cql_seg_encode_frames must produce segments that
 *     decode, extract and reassemble back to exactly that envelope;
 *   - as a run of envelopes, cql_seg_encode_frames must either refuse them with CQL_EPROTO and
 *     write nothing, or produce segments whose payloads concatenate back to the same bytes.
 */
#include "fuzz_common.h"

#include "cql_crc.h"
#include "cql_seg.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_SMALL_ASM_MAX    4096u
#define FZ_SPLIT_TARGET     (2u * CQL_SEG_MAX_PAYLOAD + 4096u)

static uint64_t
get_le(const uint8_t *p, size_t n)
{
    uint64_t v = 0;

    for (size_t i = n; i > 0; i--) {
        v = v << 8 | p[i - 1];
    }
    return v;
}

static void
put_le(uint8_t *p, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static size_t
header_len(bool lz4)
{
    return lz4 ? CQL_SEG_LZ4_HEADER_LEN : CQL_SEG_HEADER_LEN;
}

/* Rewrites the checksums of every whole segment header and payload of P in place. */
static void
fix_crcs(uint8_t *p, size_t len, bool lz4)
{
    size_t hlen = header_len(lz4), wlen = hlen - 3, off = 0;

    while (len - off >= hlen) {
        size_t wire = (size_t)(get_le(p + off, wlen) & CQL_SEG_MAX_PAYLOAD);

        put_le(p + off + wlen, cql_crc24(p + off, wlen), 3);
        if (len - off - hlen < wire + CQL_SEG_TRAILER_LEN) {
            break;
        }
        put_le(p + off + hlen + wire, cql_crc32(p + off + hlen, wire), 4);
        off += hlen + wire + CQL_SEG_TRAILER_LEN;
    }
}

/* Decodes the envelopes of a self-contained payload (or an assembled envelope) as v5 responses. */
static void
envelopes(const uint8_t *p, size_t len)
{
    static const struct fz_resp_opts o = { CQL_VERSION_V5, 0, FZ_BUMP_SIZE };

    while (len > 0) {
        struct cql_frame f;
        const char *desc = NULL;
        ssize_t n = cql_frame_decode(p, len, CQL_SEG_ASM_MAX, &f, &desc);
        uint8_t *body;

        if (n < 0) {
            FZ_CHECK(n == CQL_EAGAIN || desc != NULL, "cql_frame_decode failed without a description");
            return;
        }
        FZ_CHECK((size_t)n == CQL_FRAME_HEADER_LEN + (size_t)f.length && (size_t)n <= len,
                 "cql_frame_decode span does not match the envelope");
        body = fz_dup(f.body, f.length);
        fz_response(f.flags, body, f.length, &o);
        free(body);
        p += n;
        len -= (size_t)n;
    }
}

/*
 * Decodes the segment at P (LEN bytes) and copies its payload into a malloc'd buffer of exactly
 * raw_len bytes (*OUT, *OUT_LEN). Returns the segment's span, or a negative code (nothing to free).
 */
static ssize_t
segment(const uint8_t *p, size_t len, bool lz4, struct cql_seg *s, uint8_t **out, size_t *out_len)
{
    size_t hlen = header_len(lz4);
    const char *desc = NULL;
    ssize_t n = cql_seg_decode(p, len, lz4, s, &desc), m;
    uint8_t *raw;

    if (n < 0) {
        FZ_CHECK(n == CQL_EAGAIN || n == CQL_ECRC || n == CQL_EPROTO,
                 "cql_seg_decode returned an unexpected error");
        FZ_CHECK(n == CQL_EAGAIN || desc != NULL, "cql_seg_decode failed without a description");
        return n;
    }
    FZ_CHECK((size_t)n == hlen + s->wire_len + CQL_SEG_TRAILER_LEN && (size_t)n <= len
                 && s->payload == p + hlen,
             "cql_seg_decode span does not match the segment");
    FZ_CHECK(s->wire_len <= CQL_SEG_MAX_PAYLOAD && s->raw_len <= CQL_SEG_MAX_PAYLOAD,
             "segment lengths past 17 bits");
    FZ_CHECK(s->compressed || s->raw_len == s->wire_len, "stored segment with two lengths");
    FZ_CHECK(lz4 || !s->compressed, "compressed segment without lz4");
    FZ_CHECK(cql_seg_decode(p, (size_t)n - 1, lz4, s, &desc) == CQL_EAGAIN
                 && cql_seg_decode(p, hlen - 1, lz4, s, &desc) == CQL_EAGAIN,
             "a proper prefix of a segment is not CQL_EAGAIN");
    FZ_CHECK(cql_seg_decode(p, (size_t)n, lz4, s, &desc) == n, "cql_seg_decode is not repeatable");

    raw = malloc(s->raw_len == 0 ? 1 : s->raw_len);
    if (raw == NULL) {
        abort();
    }
    if (s->raw_len > 0) {
        FZ_CHECK(cql_seg_payload(s, raw, s->raw_len - 1, &desc) == CQL_ETOOBIG,
                 "a payload larger than the buffer is not CQL_ETOOBIG");
    }
    m = cql_seg_payload(s, raw, s->raw_len, &desc);
    if (m < 0) {
        FZ_CHECK(s->compressed && m == CQL_EPROTO && desc != NULL,
                 "cql_seg_payload failed on a stored payload");
        free(raw);
        return m;
    }
    FZ_CHECK((size_t)m == s->raw_len, "cql_seg_payload returned another length than raw_len");
    *out = raw;
    *out_len = (size_t)m;
    return n;
}

/* The segment stream P (LEN bytes) through decoding, extraction and reassembly. */
static void
stream(const uint8_t *p, size_t len, bool lz4, size_t asm_max)
{
    struct cql_seg_asm a;

    cql_seg_asm_init(&a, fz_grow, NULL);
    a.max = asm_max;
    while (len > 0) {
        struct cql_seg s;
        uint8_t *raw = NULL;
        size_t raw_len = 0;
        ssize_t n = segment(p, len, lz4, &s, &raw, &raw_len);
        const char *desc = NULL;
        int rc;

        if (n < 0) {
            break;
        }
        if (s.self_contained) {
            envelopes(raw, raw_len);
        } else {
            rc = cql_seg_asm_feed(&a, raw, raw_len, &desc);
            FZ_CHECK(rc >= -0x7fff && rc <= 1, "cql_seg_asm_feed returned an odd value");
            if (rc < 0) {
                FZ_CHECK(desc != NULL, "cql_seg_asm_feed failed without a description");
                cql_seg_asm_reset(&a);
            } else if (rc == 1) {
                uint8_t *env;

                FZ_CHECK(a.need == a.buf.len && a.need >= CQL_FRAME_HEADER_LEN
                             && a.need == CQL_FRAME_HEADER_LEN + (size_t)cql_be32(a.buf.p + 5),
                         "assembled envelope of the wrong length");
                env = fz_dup(a.buf.p, a.buf.len);
                envelopes(env, a.buf.len);
                free(env);
                cql_seg_asm_reset(&a);
            } else {
                FZ_CHECK(a.need == 0 || a.buf.len < a.need, "assembler waits past the envelope");
            }
        }
        free(raw);
        p += n;
        len -= (size_t)n;
    }
    free(a.buf.p);
}

/*
 * Decodes every segment of P (which must all decode) and gathers their payloads: self-contained
 * ones appended as they are, split runs through cql_seg_asm. Returns the gathered bytes (malloc'd)
 * in *OUT and their length.
 */
static size_t
gather(const uint8_t *p, size_t len, bool lz4, uint8_t **out, size_t *nseg, size_t *nsplit)
{
    struct cql_seg_asm a;
    struct cql_wr w;

    cql_wr_init(&w, NULL, 0, fz_grow, NULL);
    cql_seg_asm_init(&a, fz_grow, NULL);
    *nseg = 0;
    *nsplit = 0;
    while (len > 0) {
        struct cql_seg s;
        uint8_t *raw = NULL;
        size_t raw_len = 0;
        ssize_t n = segment(p, len, lz4, &s, &raw, &raw_len);
        const char *desc = NULL;
        int rc;

        FZ_CHECK(n > 0, "a segment written by cql_seg_encode_frames does not decode");
        (*nseg)++;
        if (s.self_contained) {
            FZ_CHECK(a.buf.len == 0, "self-contained segment inside a split envelope");
            cql_wr_raw(&w, raw, raw_len);
        } else {
            (*nsplit)++;
            rc = cql_seg_asm_feed(&a, raw, raw_len, &desc);
            FZ_CHECK(rc == 0 || rc == 1, "cql_seg_asm_feed refused segments it should take");
            if (rc == 1) {
                cql_wr_raw(&w, a.buf.p, a.buf.len);
                cql_seg_asm_reset(&a);
            }
        }
        free(raw);
        p += n;
        len -= (size_t)n;
    }
    FZ_CHECK(a.buf.len == 0, "segments end inside a split envelope");
    FZ_CHECK(w.err == 0, "gathering payloads failed");
    free(a.buf.p);
    *out = w.p;
    return w.len;
}

/* cql_seg_encode_frames of the envelope run FRAMES (LEN bytes) round-trips, or is refused. */
static void
round_trip(const uint8_t *frames, size_t len, bool lz4, bool must_encode)
{
    struct cql_wr w;
    const char *desc = NULL;
    uint8_t *back = NULL, *copy;
    size_t back_len, nseg, nsplit, env0;
    int rc;

    cql_wr_init(&w, NULL, 0, fz_grow, NULL);
    rc = cql_seg_encode_frames(&w, frames, len, lz4, &desc);
    if (rc != 0) {
        FZ_CHECK(!must_encode, "cql_seg_encode_frames refused one whole envelope");
        FZ_CHECK(rc == CQL_EPROTO && w.len == 0 && desc != NULL,
                 "cql_seg_encode_frames refused envelopes other than as documented");
        free(w.p);
        return;
    }
    copy = fz_dup(w.p, w.len);
    back_len = gather(copy, w.len, lz4, &back, &nseg, &nsplit);
    FZ_CHECK(back_len == len && (len == 0 || memcmp(back, frames, len) == 0),
             "segments do not decode back to the envelopes they were made from");
    if (len > 0) {
        env0 = CQL_FRAME_HEADER_LEN + (size_t)cql_be32(frames + 5);
        FZ_CHECK(env0 <= CQL_SEG_MAX_PAYLOAD || nsplit > 1,
                 "an envelope larger than a segment was not split");
        FZ_CHECK(env0 > CQL_SEG_MAX_PAYLOAD || nsplit == 0,
                 "an envelope that fits a segment was split");
    } else {
        FZ_CHECK(nseg == 0, "segments written for no envelopes");
    }
    free(back);
    free(copy);
    free(w.p);
}

/* The input as the body of one synthetic v5 envelope (repeated to SPLIT when large). */
static void
synthetic(const uint8_t *body, size_t len, bool lz4, bool large)
{
    size_t reps = 1, total;
    struct cql_wr w;
    size_t off;

    if (large && len > 0) {
        reps = FZ_SPLIT_TARGET / len + 1;
    }
    cql_wr_init(&w, NULL, 0, fz_grow, NULL);
    off = cql_frame_begin(&w, CQL_VERSION_V5 | CQL_VERSION_RESPONSE, 0, 3, CQL_OP_RESULT);
    for (size_t i = 0; i < reps; i++) {
        cql_wr_raw(&w, body, len);
    }
    FZ_CHECK(cql_frame_finish(&w, off) == 0, "cql_frame_finish failed");
    total = w.len;
    FZ_CHECK(total == CQL_FRAME_HEADER_LEN + reps * len, "synthetic envelope of the wrong size");
    round_trip(w.p, total, lz4, true);
    free(w.p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t ctl, *copy;
    bool lz4;
    size_t len;

    if (size < 1) {
        return 0;
    }
    ctl = data[0];
    lz4 = (ctl & 1) != 0;
    len = size - 1;
    copy = fz_dup(data + 1, len);
    if ((ctl & 2) != 0) {
        fix_crcs(copy, len, lz4);
    }
    stream(copy, len, lz4, (ctl & 8) != 0 ? FZ_SMALL_ASM_MAX : CQL_SEG_ASM_MAX);
    free(copy);

    synthetic(data + 1, len, lz4, (ctl & 0x1c) == 0x1c);
    round_trip(data + 1, len, lz4, false);
    return 0;
}
