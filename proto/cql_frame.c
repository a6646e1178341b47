/*
 * cql_frame.c: the 9-byte envelope header and the v4 lz4 body (native_protocol_v4.spec,
 * sections 2 and 5). Where the spec text and Cassandra disagree, this follows
 * org.apache.cassandra.transport.Envelope and Compressor.LZ4Compressor.
 */
#include "cql_frame.h"

#include <limits.h>
#include <lz4.h>

/* Records ERR as the writer's sticky error unless it already has one; returns the error. */
static int
wr_fail(struct cql_wr *w, int err)
{
    if (w->err == 0) {
        w->err = err;
    }
    return w->err;
}

static bool
version_ok(uint8_t b)
{
    uint8_t v = b & CQL_VERSION_MASK;

    return v >= 3 && v <= CQL_VERSION_V5;
}

/* ---- decoding -------------------------------------------------------------------------------- */

ssize_t
cql_frame_decode(const uint8_t *p, size_t len, size_t max_body, struct cql_frame *f,
                 const char **err_desc)
{
    uint32_t body;

    if (len == 0) {
        return CQL_EAGAIN;
    }
    if (!version_ok(p[0])) {
        *err_desc = "envelope version is not 3, 4 or 5";
        return CQL_EPROTO;
    }
    if (len < CQL_FRAME_HEADER_LEN) {
        return CQL_EAGAIN;
    }
    body = cql_be32(p + 5);
    if (body > max_body) {
        *err_desc = "envelope body exceeds the size limit";
        return CQL_ETOOBIG;
    }
    if (len - CQL_FRAME_HEADER_LEN < body) {
        return CQL_EAGAIN;
    }
    f->version = p[0] & CQL_VERSION_MASK;
    f->response = (p[0] & CQL_VERSION_RESPONSE) != 0;
    f->flags = p[1];
    f->stream = (int16_t)cql_be16(p + 2);
    f->opcode = p[4];
    f->length = body;
    f->body = p + CQL_FRAME_HEADER_LEN;
    return (ssize_t)(CQL_FRAME_HEADER_LEN + body);
}

/* ---- encoding -------------------------------------------------------------------------------- */

size_t
cql_frame_begin(struct cql_wr *w, int version, uint8_t flags, int16_t stream, uint8_t opcode)
{
    size_t off = w->len;
    uint8_t *h = cql_wr_reserve(w, CQL_FRAME_HEADER_LEN);

    if (h != NULL) {
        h[0] = (uint8_t)(version & CQL_VERSION_MASK);
        h[1] = flags;
        cql_put_be16(h + 2, (uint16_t)stream);
        h[4] = opcode;
        cql_put_be32(h + 5, 0);
    }
    return off;
}

int
cql_frame_finish(struct cql_wr *w, size_t off)
{
    size_t body;

    if (w->err != 0) {
        return w->err;
    }
    if (off > w->len || w->len - off < CQL_FRAME_HEADER_LEN) {
        return wr_fail(w, CQL_EPROTO);
    }
    body = w->len - off - CQL_FRAME_HEADER_LEN;
    if (body > INT32_MAX) {
        return wr_fail(w, CQL_ERANGE);
    }
    cql_put_be32(w->p + off + 5, (uint32_t)body);
    return 0;
}

/* ---- v4 lz4 bodies --------------------------------------------------------------------------- */

int
cql_frame_compress_lz4(struct cql_wr *dst, const uint8_t *frame, size_t frame_len)
{
    size_t body_len, start;
    uint8_t *out;
    int bound, n;

    if (dst->err != 0) {
        return dst->err;
    }
    if (frame_len < CQL_FRAME_HEADER_LEN
        || cql_be32(frame + 5) != frame_len - CQL_FRAME_HEADER_LEN) {
        return wr_fail(dst, CQL_EPROTO);
    }
    body_len = frame_len - CQL_FRAME_HEADER_LEN;
    if (body_len == 0) {
        cql_wr_raw(dst, frame, frame_len);
        return dst->err;
    }
    if (body_len > LZ4_MAX_INPUT_SIZE) {
        return wr_fail(dst, CQL_ETOOBIG);
    }
    bound = LZ4_compressBound((int)body_len);
    start = dst->len;
    out = cql_wr_reserve(dst, CQL_FRAME_HEADER_LEN + 4 + (size_t)bound);
    if (out == NULL) {
        return dst->err;
    }
    n = LZ4_compress_default((const char *)frame + CQL_FRAME_HEADER_LEN,
                             (char *)out + CQL_FRAME_HEADER_LEN + 4, (int)body_len, bound);
    if (n <= 0 || (size_t)n + 4 > INT32_MAX) {
        dst->len = start;
        return wr_fail(dst, CQL_ECOMPRESS);
    }
    memcpy(out, frame, CQL_FRAME_HEADER_LEN);
    out[1] |= CQL_FLAG_COMPRESSION;
    cql_put_be32(out + 5, (uint32_t)n + 4);
    cql_put_be32(out + CQL_FRAME_HEADER_LEN, (uint32_t)body_len);
    dst->len = start + CQL_FRAME_HEADER_LEN + 4 + (size_t)n;
    return 0;
}

uint32_t
cql_frame_lz4_body_len(const struct cql_frame *f)
{
    return f->length < 4 ? 0 : cql_be32(f->body);
}

ssize_t
cql_frame_decompress_lz4(const struct cql_frame *f, uint8_t *out, size_t cap,
                         const char **err_desc)
{
    uint32_t raw;
    size_t packed;
    int n;

    if (f->length < 4) {
        *err_desc = "lz4 body shorter than its length prefix";
        return CQL_EPROTO;
    }
    raw = cql_be32(f->body);
    packed = f->length - 4;
    if (raw > cap) {
        *err_desc = "lz4 body larger than the output buffer";
        return CQL_ETOOBIG;
    }
    if (raw == 0) {
        /* An empty body compresses to a single zero token; accept it bare too. */
        if (packed == 0 || (packed == 1 && f->body[4] == 0)) {
            return 0;
        }
        *err_desc = "lz4 body of an empty message holds data";
        return CQL_EPROTO;
    }
    if (raw > INT_MAX || packed > INT_MAX) {
        *err_desc = "lz4 body too large";
        return CQL_ETOOBIG;
    }
    n = LZ4_decompress_safe((const char *)f->body + 4, (char *)out, (int)packed, (int)raw);
    if (n < 0 || (uint32_t)n != raw) {
        *err_desc = "corrupt lz4 body";
        return CQL_EPROTO;
    }
    return (ssize_t)raw;
}
