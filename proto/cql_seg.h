/*
 * cql_seg.h: v5 segments, the checksummed (and optionally lz4-compressed) outer framing that
 * carries envelopes once a v5 connection has finished STARTUP (native_protocol_v5.spec,
 * section 2, where segments are called "frames"; Cassandra's FrameEncoderCrc/FrameEncoderLZ4).
 *
 * Every integer of a segment's header and trailer is little-endian:
 *
 *   uncompressed:  3-byte word {bits 0-16 payload length, bit 17 self-contained, 18-23 zero}
 *                  3-byte CRC24 of the word | payload | 4-byte CRC32 of the payload
 *   lz4:           5-byte word {bits 0-16 compressed length, 17-33 uncompressed length,
 *                  bit 34 self-contained, 35-39 zero} | 3-byte CRC24 of the word
 *                  | raw LZ4 block (no length prefix) | 4-byte CRC32 of the compressed bytes
 *
 * An uncompressed length of 0 on an lz4 connection means the payload is stored as is (the sender
 * does that whenever compression does not shrink it). A self-contained segment holds one or more
 * whole envelopes; an envelope too large for one segment is cut into a run of non-self-contained
 * segments that carries that envelope only, and the receiver glues them back (cql_seg_asm).
 */
#ifndef CQL_SEG_H
#define CQL_SEG_H

#include "cql_wire.h"

#define CQL_SEG_MAX_PAYLOAD     131071      /* 2^17-1, the 17-bit length fields */
#define CQL_SEG_HEADER_LEN      6           /* uncompressed segment header */
#define CQL_SEG_LZ4_HEADER_LEN  8           /* lz4 segment header */
#define CQL_SEG_TRAILER_LEN     4           /* CRC32 */

/* Envelopes assembled from non-self-contained segments are refused past this size (256 MiB,
 * Cassandra's hard limit on native_transport_max_frame_size). */
#define CQL_SEG_ASM_MAX         (256u * 1024 * 1024)

/* One segment, decoded in place. */
struct cql_seg {
    bool           self_contained;  /* payload is one or more whole envelopes */
    uint32_t       wire_len;        /* payload bytes on the wire (compressed length for lz4) */
    uint32_t       raw_len;         /* payload length once decompressed (wire_len when stored) */
    bool           compressed;      /* payload is an lz4 block: lz4 connection, length field != 0 */
    const uint8_t *payload;         /* the payload, pointing into the decoded input */
};

/*
 * Decodes the segment at the start of P on a connection with (LZ4) or without compression.
 * Checks the header CRC24 as soon as the header is complete, then the payload CRC32. Returns the
 * bytes the segment spans; CQL_EAGAIN for every proper prefix (also when the header is known but
 * the payload is not all there); CQL_ECRC for a checksum mismatch (the connection is then
 * unusable); CQL_EPROTO for nonzero padding bits. *ERR_DESC is set on errors; S only on success.
 */
ssize_t cql_seg_decode(const uint8_t *p, size_t len, bool lz4, struct cql_seg *s,
                       const char **err_desc) CQL_MUSTCHECK;

/*
 * Copies the payload of S into OUT (CAP bytes), decompressing it when s->compressed. Returns
 * s->raw_len; CQL_ETOOBIG when that exceeds CAP; CQL_EPROTO for a corrupt LZ4 block or one that
 * does not decode to exactly raw_len bytes.
 */
ssize_t cql_seg_payload(const struct cql_seg *s, uint8_t *out, size_t cap,
                        const char **err_desc) CQL_MUSTCHECK;

/*
 * Appends one segment carrying LEN bytes of PAYLOAD (LEN <= CQL_SEG_MAX_PAYLOAD, else
 * CQL_ETOOBIG). With LZ4 the payload is compressed, or stored with an uncompressed-length field
 * of 0 when compression does not make it strictly smaller (Cassandra's rule). PAYLOAD must not
 * point into W. Returns w->err; a failure is left there as the writer's sticky error.
 */
int cql_seg_encode(struct cql_wr *w, const uint8_t *payload, size_t len, bool self_contained,
                   bool lz4);

/*
 * Frames a run of whole consecutive envelopes (FRAMES, LEN bytes; 9-byte headers with their
 * lengths) into segments appended to W. As many whole envelopes as fit go into each
 * self-contained segment (payload up to CQL_SEG_MAX_PAYLOAD); an envelope larger than that is
 * cut into a run of non-self-contained segments carrying only it. Nothing is written and
 * CQL_EPROTO is returned (and left in w->err) when FRAMES does not end on an envelope boundary.
 * FRAMES must not point into W. Returns w->err.
 */
int cql_seg_encode_frames(struct cql_wr *w, const uint8_t *frames, size_t len, bool lz4,
                          const char **err_desc);

/*
 * Reassembly of one envelope split over non-self-contained segments. The bytes gather in a
 * writer whose grow callback (and so the memory) belongs to the caller, who frees buf.p when
 * done with the assembler; reset keeps the buffer for the next envelope.
 */
struct cql_seg_asm {
    struct cql_wr  buf;             /* bytes of the envelope so far */
    size_t         need;            /* whole envelope length once its header is in, else 0 */
    size_t         max;             /* largest envelope accepted (default CQL_SEG_ASM_MAX) */
};

void cql_seg_asm_init(struct cql_seg_asm *a, cql_wr_grow_cb grow, void *ctx);

/*
 * Feeds the raw (decompressed) payload of one non-self-contained segment. Returns 1 when a whole
 * envelope is in a->buf (use it, then call cql_seg_asm_reset), 0 when more segments are needed,
 * or a negative error: CQL_EPROTO when the bytes run past the envelope's end, CQL_ETOOBIG when
 * its header announces more than a->max, or the writer's error when the buffer cannot grow.
 * After an error the assembler must be reset.
 */
int cql_seg_asm_feed(struct cql_seg_asm *a, const uint8_t *raw, size_t len,
                     const char **err_desc) CQL_MUSTCHECK;

/* Forgets the envelope being assembled (and any error), keeping the buffer. */
void cql_seg_asm_reset(struct cql_seg_asm *a);

#endif /* CQL_SEG_H */
