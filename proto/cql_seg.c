/*
 * cql_seg.c: v5 segment framing (native_protocol_v5.spec, section 2). The layouts are those of
 * Cassandra's FrameEncoderCrc/FrameDecoderCrc and FrameEncoderLZ4/FrameDecoderLZ4; the checksums
 * live in cql_crc.c.
 */
#include "cql_seg.h"

#include "cql_crc.h"
#include "cql_frame.h"

#include <lz4.h>

#define LEN_MASK        0x1ffffu            /* a 17-bit length field */

/* Records ERR as the writer's sticky error unless it already has one; returns the error. */
static int
wr_fail(struct cql_wr *w, int err)
{
    if (w->err == 0) {
        w->err = err;
    }
    return w->err;
}

static uint64_t
get_le(const uint8_t *p, int n)
{
    uint64_t v = 0;

    for (int i = n - 1; i >= 0; i--) {
        v = v << 8 | p[i];
    }
    return v;
}

static void
put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

/* ---- decoding -------------------------------------------------------------------------------- */

ssize_t
cql_seg_decode(const uint8_t *p, size_t len, bool lz4, struct cql_seg *s, const char **err_desc)
{
    int wlen = lz4 ? 5 : 3;
    size_t hlen = (size_t)wlen + 3;
    uint64_t word;
    uint32_t wire, raw = 0, crc;
    bool self_contained;
    size_t total;

    if (len < hlen) {
        return CQL_EAGAIN;
    }
    word = get_le(p, wlen);
    if (cql_crc24(p, (size_t)wlen) != (uint32_t)get_le(p + wlen, 3)) {
        *err_desc = "segment header CRC24 mismatch";
        return CQL_ECRC;
    }
    wire = (uint32_t)(word & LEN_MASK);
    if (lz4) {
        raw = (uint32_t)((word >> 17) & LEN_MASK);
        self_contained = ((word >> 34) & 1) != 0;
        if ((word >> 35) != 0) {
            *err_desc = "segment header padding bits are set";
            return CQL_EPROTO;
        }
    } else {
        self_contained = ((word >> 17) & 1) != 0;
        if ((word >> 18) != 0) {
            *err_desc = "segment header padding bits are set";
            return CQL_EPROTO;
        }
    }
    total = hlen + wire + CQL_SEG_TRAILER_LEN;
    if (len < total) {
        return CQL_EAGAIN;
    }
    crc = (uint32_t)get_le(p + hlen + wire, 4);
    if (cql_crc32(p + hlen, wire) != crc) {
        *err_desc = "segment payload CRC32 mismatch";
        return CQL_ECRC;
    }
    s->self_contained = self_contained;
    s->wire_len = wire;
    s->compressed = lz4 && raw != 0;
    s->raw_len = s->compressed ? raw : wire;
    s->payload = p + hlen;
    return (ssize_t)total;
}

ssize_t
cql_seg_payload(const struct cql_seg *s, uint8_t *out, size_t cap, const char **err_desc)
{
    int n;

    if (s->raw_len > cap) {
        *err_desc = "segment payload larger than the output buffer";
        return CQL_ETOOBIG;
    }
    if (!s->compressed) {
        if (s->wire_len > 0) {
            memcpy(out, s->payload, s->wire_len);
        }
        return (ssize_t)s->wire_len;
    }
    n = LZ4_decompress_safe((const char *)s->payload, (char *)out, (int)s->wire_len,
                            (int)s->raw_len);
    if (n < 0 || (uint32_t)n != s->raw_len) {
        *err_desc = "corrupt lz4 segment payload";
        return CQL_EPROTO;
    }
    return (ssize_t)s->raw_len;
}

/* ---- encoding -------------------------------------------------------------------------------- */

int
cql_seg_encode(struct cql_wr *w, const uint8_t *payload, size_t len, bool self_contained,
               bool lz4)
{
    size_t hlen = lz4 ? CQL_SEG_LZ4_HEADER_LEN : CQL_SEG_HEADER_LEN;
    size_t start = w->len, wire = len;
    uint64_t word;
    uint8_t *out;
    int n = 0;

    if (w->err != 0) {
        return w->err;
    }
    if (len > CQL_SEG_MAX_PAYLOAD) {
        return wr_fail(w, CQL_ETOOBIG);
    }
    out = cql_wr_reserve(w, hlen + len + CQL_SEG_TRAILER_LEN);
    if (out == NULL) {
        return w->err;
    }
    if (lz4 && len > 1) {
        /* A block of len-1 bytes at most: LZ4 gives up (0) when it cannot shrink the payload. */
        n = LZ4_compress_default((const char *)payload, (char *)out + hlen, (int)len,
                                 (int)len - 1);
    }
    if (n > 0) {
        wire = (size_t)n;
        word = (uint64_t)wire | (uint64_t)len << 17 | (uint64_t)self_contained << 34;
    } else {
        if (len > 0) {
            memcpy(out + hlen, payload, len);
        }
        word = lz4 ? ((uint64_t)len | (uint64_t)self_contained << 34)
                   : ((uint64_t)len | (uint64_t)self_contained << 17);
    }
    put_le(out, word, (int)hlen - 3);
    put_le(out + hlen - 3, cql_crc24(out, hlen - 3), 3);
    put_le(out + hlen + wire, cql_crc32(out + hlen, wire), 4);
    w->len = start + hlen + wire + CQL_SEG_TRAILER_LEN;
    return 0;
}

/* Checks that FRAMES is a run of whole envelopes; returns 0 or CQL_EPROTO with *ERR_DESC set. */
static int
check_frames(const uint8_t *frames, size_t len, const char **err_desc)
{
    size_t off = 0;

    while (off < len) {
        uint32_t body;

        if (len - off < CQL_FRAME_HEADER_LEN) {
            *err_desc = "output ends inside an envelope header";
            return CQL_EPROTO;
        }
        body = cql_be32(frames + off + 5);
        if (body > len - off - CQL_FRAME_HEADER_LEN) {
            *err_desc = "output ends inside an envelope body";
            return CQL_EPROTO;
        }
        off += CQL_FRAME_HEADER_LEN + body;
    }
    return 0;
}

int
cql_seg_encode_frames(struct cql_wr *w, const uint8_t *frames, size_t len, bool lz4,
                      const char **err_desc)
{
    size_t off = 0, group = 0, group_len = 0;

    if (w->err != 0) {
        return w->err;
    }
    if (check_frames(frames, len, err_desc) != 0) {
        return wr_fail(w, CQL_EPROTO);
    }
    while (off < len && w->err == 0) {
        size_t env = CQL_FRAME_HEADER_LEN + cql_be32(frames + off + 5);

        if (env <= CQL_SEG_MAX_PAYLOAD && group_len + env <= CQL_SEG_MAX_PAYLOAD) {
            group_len += env;
            off += env;
            continue;
        }
        if (group_len > 0) {
            (void)cql_seg_encode(w, frames + group, group_len, true, lz4);
        }
        if (env <= CQL_SEG_MAX_PAYLOAD) {
            group = off;
            group_len = env;
            off += env;
            continue;
        }
        for (size_t done = 0; done < env;) {
            size_t n = env - done < CQL_SEG_MAX_PAYLOAD ? env - done : CQL_SEG_MAX_PAYLOAD;

            (void)cql_seg_encode(w, frames + off + done, n, false, lz4);
            done += n;
        }
        off += env;
        group = off;
        group_len = 0;
    }
    if (group_len > 0) {
        (void)cql_seg_encode(w, frames + group, group_len, true, lz4);
    }
    return w->err;
}

/* ---- reassembly ------------------------------------------------------------------------------ */

void
cql_seg_asm_init(struct cql_seg_asm *a, cql_wr_grow_cb grow, void *ctx)
{
    cql_wr_init(&a->buf, NULL, 0, grow, ctx);
    a->need = 0;
    a->max = CQL_SEG_ASM_MAX;
}

int
cql_seg_asm_feed(struct cql_seg_asm *a, const uint8_t *raw, size_t len, const char **err_desc)
{
    if (a->buf.err != 0) {
        *err_desc = "envelope assembly failed earlier";
        return a->buf.err;
    }
    if (a->need != 0 && len > a->need - a->buf.len) {
        *err_desc = "segment data runs past the end of the envelope";
        return wr_fail(&a->buf, CQL_EPROTO);
    }
    cql_wr_raw(&a->buf, raw, len);
    if (a->buf.err != 0) {
        *err_desc = "no memory for the envelope being assembled";
        return a->buf.err;
    }
    if (a->need == 0 && a->buf.len >= CQL_FRAME_HEADER_LEN) {
        size_t total = CQL_FRAME_HEADER_LEN + (size_t)cql_be32(a->buf.p + 5);

        if (total > a->max) {
            *err_desc = "split envelope exceeds the size limit";
            return wr_fail(&a->buf, CQL_ETOOBIG);
        }
        if (a->buf.len > total) {
            *err_desc = "segment data runs past the end of the envelope";
            return wr_fail(&a->buf, CQL_EPROTO);
        }
        a->need = total;
    }
    return a->need != 0 && a->buf.len == a->need ? 1 : 0;
}

void
cql_seg_asm_reset(struct cql_seg_asm *a)
{
    a->buf.len = 0;
    a->buf.err = 0;
    a->need = 0;
}
