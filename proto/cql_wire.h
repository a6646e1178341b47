/*
 * cql_wire.h: the primitive notations of the native protocol (native_protocol_v5.spec, section 3)
 * read from a bounds-checked cursor and written to a growable buffer.
 *
 * Both sides keep a sticky error, so a run of reads or writes needs one check at the end
 * (PgBouncer's PktBuf.failed, cpp-driver's CHECK_REMAINING). A reader that ran out of bytes returns
 * zero values from then on and reports CQL_EPROTO; a writer that could not grow drops further
 * writes and reports CQL_ENOSPC.
 */
#ifndef CQL_WIRE_H
#define CQL_WIRE_H

#include "cql.h"

#include <string.h>

/* A [string] or [long string]: points into the buffer being read, not NUL-terminated. */
struct cql_str {
    const char *p;                  /* first byte */
    size_t      len;                /* length in bytes */
};

/* A [bytes], [short bytes] or [value]: len >= 0, or CQL_NULL (-1) / CQL_UNSET (-2). */
struct cql_bytes {
    const uint8_t *p;               /* first byte, NULL when len < 0 */
    int32_t        len;             /* length, or CQL_NULL / CQL_UNSET */
};

#define CQL_NULL    (-1)
#define CQL_UNSET   (-2)

/* An [inet] (address and port) or [inetaddr] (port 0). */
struct cql_inet {
    uint8_t  len;                   /* 4 or 16 */
    uint8_t  addr[16];              /* network order */
    int32_t  port;                  /* 0 for [inetaddr] */
};

/* ---- reading --------------------------------------------------------------------------------- */

struct cql_rd {
    const uint8_t *p;               /* next byte to read */
    const uint8_t *end;             /* one past the last readable byte */
    int            err;             /* 0, or the first error (sticky) */
    const char    *err_desc;        /* static description of err */
};

static inline void
cql_rd_init(struct cql_rd *r, const void *p, size_t len)
{
    r->p = p;
    r->end = r->p + len;
    r->err = 0;
    r->err_desc = NULL;
}

static inline size_t cql_rd_left(const struct cql_rd *r) { return (size_t)(r->end - r->p); }
static inline bool cql_rd_ok(const struct cql_rd *r) { return r->err == 0; }

/* Marks the reader failed with ERR and DESC unless it already failed; returns ERR. */
int cql_rd_fail(struct cql_rd *r, int err, const char *desc);

const uint8_t *cql_rd_raw(struct cql_rd *r, size_t n);     /* NULL when short */
uint8_t  cql_rd_byte(struct cql_rd *r);
uint16_t cql_rd_short(struct cql_rd *r);
int32_t  cql_rd_int(struct cql_rd *r);
int64_t  cql_rd_long(struct cql_rd *r);
struct cql_str cql_rd_string(struct cql_rd *r);             /* [string]: [short] n + n bytes */
struct cql_str cql_rd_long_string(struct cql_rd *r);        /* [long string]: [int] n + n bytes */
struct cql_bytes cql_rd_bytes(struct cql_rd *r);            /* [bytes]: [int] n, n < 0 is null */
struct cql_bytes cql_rd_value(struct cql_rd *r);            /* [value]: as [bytes], -2 is unset */
struct cql_bytes cql_rd_short_bytes(struct cql_rd *r);      /* [short bytes] */
const uint8_t *cql_rd_uuid(struct cql_rd *r);               /* 16 bytes */
struct cql_inet cql_rd_inet(struct cql_rd *r);              /* [inet] */
struct cql_inet cql_rd_inetaddr(struct cql_rd *r);          /* [inetaddr] */
uint64_t cql_rd_uvint(struct cql_rd *r);                    /* [unsigned vint], v5 section 3 */
int64_t  cql_rd_vint(struct cql_rd *r);                     /* [vint], zigzag */

/* ---- writing --------------------------------------------------------------------------------- */

/*
 * Grows the buffer to at least NEED bytes, keeping the first LEN; returns the new buffer and its
 * capacity in *CAP, or NULL to refuse. A writer without one writes into a fixed buffer.
 */
typedef uint8_t *(*cql_wr_grow_cb)(void *ctx, uint8_t *old, size_t len, size_t need, size_t *cap);

struct cql_wr {
    uint8_t       *p;               /* buffer start */
    size_t         len;             /* bytes written */
    size_t         cap;             /* bytes available at p */
    cql_wr_grow_cb grow;            /* NULL for a fixed buffer */
    void          *ctx;             /* passed to grow */
    int            err;             /* 0, or the first error (sticky) */
};

static inline void
cql_wr_init(struct cql_wr *w, uint8_t *buf, size_t cap, cql_wr_grow_cb grow, void *ctx)
{
    w->p = buf;
    w->len = 0;
    w->cap = cap;
    w->grow = grow;
    w->ctx = ctx;
    w->err = 0;
}

/* Makes room for N more bytes and returns where they go, or NULL (and sets err). */
uint8_t *cql_wr_reserve(struct cql_wr *w, size_t n);

/* The out-of-line halves of cql_wr_raw and cql_wr_byte: the writer must grow (or has failed). */
void cql_wr_raw_slow(struct cql_wr *w, const void *p, size_t n);
void cql_wr_byte_slow(struct cql_wr *w, uint8_t v);

/* Appends N bytes from P. Inline: the JSON writers call it for every token. */
static inline void
cql_wr_raw(struct cql_wr *w, const void *p, size_t n)
{
    if (w->err == 0 && w->p != NULL && w->cap - w->len >= n) {
        if (n > 0) {
            memcpy(w->p + w->len, p, n);
        }
        w->len += n;
        return;
    }
    cql_wr_raw_slow(w, p, n);
}

/* Appends one byte. Inline, as cql_wr_raw. */
static inline void
cql_wr_byte(struct cql_wr *w, uint8_t v)
{
    if (w->err == 0 && w->p != NULL && w->len < w->cap) {
        w->p[w->len++] = v;
        return;
    }
    cql_wr_byte_slow(w, v);
}

void cql_wr_short(struct cql_wr *w, uint16_t v);
void cql_wr_int(struct cql_wr *w, int32_t v);
void cql_wr_long(struct cql_wr *w, int64_t v);
void cql_wr_string(struct cql_wr *w, const char *s, size_t len);       /* [string] */
void cql_wr_long_string(struct cql_wr *w, const char *s, size_t len);  /* [long string] */
void cql_wr_bytes(struct cql_wr *w, const void *p, int32_t len);       /* [bytes]/[value]; len<0 */
void cql_wr_short_bytes(struct cql_wr *w, const void *p, size_t len);  /* [short bytes] */
void cql_wr_uuid(struct cql_wr *w, const uint8_t uuid[16]);
void cql_wr_inet(struct cql_wr *w, const struct cql_inet *in);         /* [inet] */
void cql_wr_uvint(struct cql_wr *w, uint64_t v);
void cql_wr_vint(struct cql_wr *w, int64_t v);

/* [string list] and [string map] from arrays of NUL-terminated strings (kv: key, value, ...). */
void cql_wr_string_list(struct cql_wr *w, const char *const *items, size_t n);
void cql_wr_string_map(struct cql_wr *w, const char *const *kv, size_t npairs);

/* Overwrites 4 bytes at OFF with V, big-endian (a length known only after writing its body). */
void cql_wr_patch_int(struct cql_wr *w, size_t off, int32_t v);

/* The value of hex digit C (either case), or -1. */
static inline int
cql_hex_digit(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* ---- byte order helpers ---------------------------------------------------------------------- */

static inline uint16_t cql_be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t
cql_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t cql_be64(const uint8_t *p) { return (uint64_t)cql_be32(p) << 32 | cql_be32(p + 4); }
static inline void cql_put_be16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void
cql_put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}
static inline void
cql_put_be64(uint8_t *p, uint64_t v)
{
    cql_put_be32(p, (uint32_t)(v >> 32));
    cql_put_be32(p + 4, (uint32_t)v);
}

#endif /* CQL_WIRE_H */
