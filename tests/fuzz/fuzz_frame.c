/*
 * fuzz_frame.c: envelopes and every response decoder (proto/cql_frame.c, proto/cql_resp.c, and
 * the value renderer for Rows cells).
 *
 * Input: one control byte, then a run of envelopes as they arrive on a v4 or v5 connection.
 *
 *   control bit 0      protocol version given to the decoders: 0 -> v4, 1 -> v5
 *   control bits 1-2   CQL_JSON_* flags used to render Rows cells
 *   control bits 3-7   all set: a tight allocator budget (64 * bits 1-2 + 32 bytes), driving the
 *                      RESULT decoder into its CQL_ENOMEM paths
 *
 * Every envelope that decodes is checked (span, prefix behaviour), its body decompressed when it
 * is a v4 lz4 body (and recompressed to check the round trip), and then run through every
 * response decoder whatever its opcode says (fz_response).
 */
#include "fuzz_common.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Envelope bodies above this are refused with CQL_ETOOBIG (inputs are at most 64 KiB anyway). */
#define FZ_MAX_BODY     (64u * 1024)

/* Every proper prefix of a decodable envelope of N bytes at P is CQL_EAGAIN. */
static void
check_prefixes(const uint8_t *p, size_t n)
{
    static const size_t cuts[] = { 0, 1, CQL_FRAME_HEADER_LEN - 1, CQL_FRAME_HEADER_LEN };
    struct cql_frame f;
    const char *desc = NULL;

    for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
        if (cuts[i] < n) {
            FZ_CHECK(cql_frame_decode(p, cuts[i], FZ_MAX_BODY, &f, &desc) == CQL_EAGAIN,
                     "a proper prefix of an envelope is not CQL_EAGAIN");
        }
    }
    FZ_CHECK(cql_frame_decode(p, n - 1, FZ_MAX_BODY, &f, &desc) == CQL_EAGAIN,
             "an envelope minus its last byte is not CQL_EAGAIN");
}

/*
 * cql_frame_compress_lz4 of the envelope (header of F, body BODY) must decode and decompress back
 * to BODY.
 */
static void
check_lz4_round_trip(const struct cql_frame *f, const uint8_t *body, size_t len)
{
    struct cql_wr env, z;
    struct cql_frame g;
    const char *desc = NULL;
    uint8_t *copy, *out;
    ssize_t n;
    size_t off;

    cql_wr_init(&env, NULL, 0, fz_grow, NULL);
    cql_wr_init(&z, NULL, 0, fz_grow, NULL);
    off = cql_frame_begin(&env, f->version, (uint8_t)(f->flags & ~CQL_FLAG_COMPRESSION),
                          f->stream, f->opcode);
    cql_wr_raw(&env, body, len);
    FZ_CHECK(cql_frame_finish(&env, off) == 0, "cql_frame_finish failed");
    FZ_CHECK(cql_frame_compress_lz4(&z, env.p, env.len) == 0, "cql_frame_compress_lz4 failed");
    copy = fz_dup(z.p, z.len);
    n = cql_frame_decode(copy, z.len, SIZE_MAX, &g, &desc);
    FZ_CHECK(n >= 0 && (size_t)n == z.len, "a compressed envelope does not decode");
    if (len == 0) {
        FZ_CHECK((g.flags & CQL_FLAG_COMPRESSION) == 0 && g.length == 0,
                 "an empty body was compressed");
    } else {
        FZ_CHECK((g.flags & CQL_FLAG_COMPRESSION) != 0, "compressed envelope without the flag");
        FZ_CHECK(cql_frame_lz4_body_len(&g) == len, "compressed envelope announces another length");
        out = malloc(len);
        if (out == NULL) {
            abort();
        }
        n = cql_frame_decompress_lz4(&g, out, len, &desc);
        FZ_CHECK(n >= 0 && (size_t)n == len && memcmp(out, body, len) == 0,
                 "lz4 body does not decompress to what was compressed");
        free(out);
    }
    FZ_CHECK(g.version == f->version && g.stream == f->stream && g.opcode == f->opcode,
             "compression changed the envelope header");
    free(copy);
    free(z.p);
    free(env.p);
}

/* A v4 lz4 body: decompress it into a buffer of exactly the announced size, then decode it. */
static void
lz4_body(const struct cql_frame *f, const struct fz_resp_opts *o)
{
    uint32_t raw = cql_frame_lz4_body_len(f);
    const char *desc = NULL;
    uint8_t *out;
    ssize_t n;

    if (raw > FZ_LZ4_MAX) {
        n = cql_frame_decompress_lz4(f, NULL, FZ_LZ4_MAX, &desc);
        FZ_CHECK(n < 0 && desc != NULL, "an oversized lz4 body was accepted");
        return;
    }
    out = malloc(raw == 0 ? 1 : raw);
    if (out == NULL) {
        abort();
    }
    if (raw > 0) {
        n = cql_frame_decompress_lz4(f, out, raw - 1, &desc);
        FZ_CHECK(n == CQL_ETOOBIG, "an lz4 body larger than the buffer is not CQL_ETOOBIG");
    }
    n = cql_frame_decompress_lz4(f, out, raw, &desc);
    if (n < 0) {
        FZ_CHECK(desc != NULL, "cql_frame_decompress_lz4 failed without a description");
    } else {
        FZ_CHECK((size_t)n == raw, "lz4 body decompressed to another length than announced");
        check_lz4_round_trip(f, out, (size_t)n);
        fz_response(f->flags, out, (size_t)n, o);
    }
    free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz_resp_opts o;
    const uint8_t *p;
    size_t len;
    uint8_t ctl;

    if (size < 1) {
        return 0;
    }
    ctl = data[0];
    o.version = (ctl & 1) != 0 ? CQL_VERSION_V5 : CQL_VERSION_V4;
    o.json_flags = (ctl >> 1) & 3;
    o.alloc_limit = (ctl & 0xf8) == 0xf8 ? 64u * ((ctl >> 1) & 3) + 32 : FZ_BUMP_SIZE;
    p = data + 1;
    len = size - 1;

    while (len > 0) {
        struct cql_frame f;
        const char *desc = NULL;
        ssize_t n = cql_frame_decode(p, len, FZ_MAX_BODY, &f, &desc);
        uint8_t *body;

        if (n < 0) {
            FZ_CHECK(n == CQL_EAGAIN || n == CQL_EPROTO || n == CQL_ETOOBIG,
                     "cql_frame_decode returned an unexpected error");
            FZ_CHECK(n == CQL_EAGAIN || desc != NULL, "cql_frame_decode failed without a description");
            break;
        }
        FZ_CHECK((size_t)n == CQL_FRAME_HEADER_LEN + (size_t)f.length && (size_t)n <= len
                     && f.body == p + CQL_FRAME_HEADER_LEN,
                 "cql_frame_decode span does not match the envelope");
        FZ_CHECK(f.version >= 3 && f.version <= CQL_VERSION_V5, "odd envelope version accepted");
        check_prefixes(p, (size_t)n);

        if ((f.flags & CQL_FLAG_COMPRESSION) != 0 && !cql_version_has_segments(o.version)) {
            /* Decompression reads f.body: point it at an exact copy so ASan sees every overrun. */
            body = fz_dup(f.body, f.length);
            f.body = body;
            lz4_body(&f, &o);
        } else {
            body = fz_dup(f.body, f.length);
            fz_response(f.flags, body, f.length, &o);
            if (!cql_version_has_segments(o.version)) {
                check_lz4_round_trip(&f, body, f.length);
            }
        }
        free(body);
        p += n;
        len -= (size_t)n;
    }
    return 0;
}
