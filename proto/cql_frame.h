/*
 * cql_frame.h: the envelope (called "frame" up to v4) that carries every CQL message: a 9-byte
 * big-endian header and a body (native_protocol_v4.spec and v5.spec, section 2).
 *
 * On v4 connections envelopes are the wire format, and with lz4 negotiated their bodies are
 * compressed one by one (section 5): 4-byte big-endian uncompressed length + raw LZ4 block. On v5
 * connections the same envelopes travel inside segments (cql_seg.h) and the compression flag is
 * never used; segments compress instead.
 *
 *     0         8        16        24        32         40
 *     +---------+---------+---------+---------+---------+
 *     | version |  flags  |      stream       | opcode  |
 *     +---------+---------+---------+---------+---------+
 *     |                length                 |  body ...
 *     +---------+---------+---------+---------+
 *
 * Decoding is in place (the body points into the caller's bytes); encoding appends to a
 * struct cql_wr whose sticky error is checked once at cql_frame_finish.
 */
#ifndef CQL_FRAME_H
#define CQL_FRAME_H

#include "cql_wire.h"

#define CQL_FRAME_HEADER_LEN 9

/* One envelope, decoded in place. */
struct cql_frame {
    uint8_t        version;         /* low 7 bits of byte 0 (3, 4 or 5) */
    bool           response;        /* bit 7 of byte 0: set on server-to-client envelopes */
    uint8_t        flags;           /* CQL_FLAG_* */
    int16_t        stream;          /* request id echoed by the answer; -1 for EVENTs */
    uint8_t        opcode;          /* CQL_OP_* (not checked here) */
    uint32_t       length;          /* body length in bytes */
    const uint8_t *body;            /* the body, pointing into the decoded input */
};

/*
 * Decodes the envelope at the start of P. Returns the bytes it spans (9 + length), CQL_EAGAIN
 * when LEN holds only a proper prefix of it, CQL_EPROTO when the version byte is not 3, 4 or 5
 * in its low 7 bits (checked on the first byte, so garbage fails early), or CQL_ETOOBIG when the
 * body length exceeds MAX_BODY (checked once the header is complete, before waiting for the
 * body). On errors *ERR_DESC points at a static description. F is filled only on success.
 */
ssize_t cql_frame_decode(const uint8_t *p, size_t len, size_t max_body, struct cql_frame *f,
                         const char **err_desc) CQL_MUSTCHECK;

/*
 * Appends a request header with VERSION (direction bit clear), FLAGS, STREAM and OPCODE, and a
 * zero body length for cql_frame_finish to patch. Returns the header's offset in W.
 */
size_t cql_frame_begin(struct cql_wr *w, int version, uint8_t flags, int16_t stream,
                       uint8_t opcode);

/*
 * Patches the body length of the envelope begun at OFF to cover everything written after its
 * header. Returns w->err: 0, or the writer's sticky error (CQL_ERANGE for a body over 2^31-1
 * bytes, which Cassandra rejects as a negative length).
 */
int cql_frame_finish(struct cql_wr *w, size_t off);

/*
 * v4 compression of one request: appends to DST a copy of the whole uncompressed envelope FRAME
 * (header and body, FRAME_LEN bytes) with flag 0x01 set and the body replaced by the 4-byte
 * big-endian uncompressed length and the raw LZ4 block (section 5). An envelope with an empty
 * body is copied unchanged and without the flag: Cassandra decompresses only flagged bodies, so
 * this is always accepted. FRAME must not point into DST, whose buffer may move.
 * Returns dst->err: CQL_EPROTO when FRAME is not exactly one envelope, CQL_ETOOBIG for a body
 * LZ4 cannot take, CQL_ECOMPRESS if LZ4 fails, or the writer's error. Any failure is left in
 * dst->err, like the writer's own.
 */
int cql_frame_compress_lz4(struct cql_wr *dst, const uint8_t *frame, size_t frame_len);

/*
 * The uncompressed length announced by the v4 lz4 body of F (its first 4 bytes, big-endian), so
 * the caller can size OUT for cql_frame_decompress_lz4; 0 when the body is shorter than that.
 */
uint32_t cql_frame_lz4_body_len(const struct cql_frame *f);

/*
 * Decompresses the v4 lz4 body of F into OUT (CAP bytes). Returns the uncompressed body length;
 * CQL_ETOOBIG when it exceeds CAP; CQL_EPROTO for a body without its length prefix, a corrupt
 * block, or a block that does not decode to exactly the announced length. An announced length
 * of 0 gives an empty body, whether a zero token follows (what LZ4 makes of empty input; the
 * server compresses every response once lz4 is agreed, empty READY bodies included) or not.
 * The compression flag itself is not checked: call this when f->flags has CQL_FLAG_COMPRESSION.
 */
ssize_t cql_frame_decompress_lz4(const struct cql_frame *f, uint8_t *out, size_t cap,
                                 const char **err_desc) CQL_MUSTCHECK;

#endif /* CQL_FRAME_H */
