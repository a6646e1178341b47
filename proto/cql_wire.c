/*
 * cql_wire.c: native-protocol primitives on a bounds-checked cursor and a growable writer.
 * See cql_wire.h for the sticky-error contract.
 */
#include "cql_wire.h"

/* ---- name tables ----------------------------------------------------------------------------- */

const char *
cql_opcode_name(int opcode)
{
    switch (opcode) {
#define XX(name, val) case val: return #name;
    CQL_OPCODE_MAP(XX)
#undef XX
    }
    return "UNKNOWN";
}

const char *
cql_consistency_name(int cl)
{
    switch (cl) {
#define XX(name, val) case val: return #name;
    CQL_CONSISTENCY_MAP(XX)
#undef XX
    }
    return "UNKNOWN";
}

static bool
name_eq(const char *a, size_t alen, const char *b)
{
    size_t i;

    for (i = 0; i < alen && b[i] != '\0'; i++) {
        char c = a[i];
        if (c >= 'a' && c <= 'z') {
            c = (char)(c - 'a' + 'A');
        }
        if (c != b[i]) {
            return false;
        }
    }
    return i == alen && b[i] == '\0';
}

int
cql_consistency_parse(const char *name, size_t len)
{
#define XX(n, val) if (name_eq(name, len, #n)) { return val; }
    CQL_CONSISTENCY_MAP(XX)
#undef XX
    return -1;
}

const char *
cql_errcode_name(int code)
{
    switch (code) {
#define XX(name, val, desc) case val: return #name;
    CQL_ERRCODE_MAP(XX)
#undef XX
    }
    return "UNKNOWN";
}

const char *
cql_errcode_desc(int code)
{
    switch (code) {
#define XX(name, val, desc) case val: return desc;
    CQL_ERRCODE_MAP(XX)
#undef XX
    }
    return "Unknown error";
}

const char *
cql_type_name(int type_id)
{
    switch (type_id) {
#define XX(name, val, text) case val: return text;
    CQL_TYPE_MAP(XX)
#undef XX
    }
    return "unknown";
}

const char *
cql_err_name(int err)
{
    switch (err) {
#define XX(name, val, desc) case val: return #name;
    CQL_ERR_MAP(XX)
#undef XX
    }
    return NULL;
}

const char *
cql_strerror(int err)
{
    switch (err) {
#define XX(name, val, desc) case val: return desc;
    CQL_ERR_MAP(XX)
#undef XX
    }
    return "unknown error";
}

/* ---- reading --------------------------------------------------------------------------------- */

int
cql_rd_fail(struct cql_rd *r, int err, const char *desc)
{
    if (r->err == 0) {
        r->err = err;
        r->err_desc = desc;
        r->p = r->end;
    }
    return err;
}

const uint8_t *
cql_rd_raw(struct cql_rd *r, size_t n)
{
    const uint8_t *p = r->p;

    if (r->err != 0 || cql_rd_left(r) < n) {
        cql_rd_fail(r, CQL_EPROTO, "truncated message");
        return NULL;
    }
    r->p += n;
    return p;
}

uint8_t
cql_rd_byte(struct cql_rd *r)
{
    const uint8_t *p = cql_rd_raw(r, 1);

    return p == NULL ? 0 : p[0];
}

uint16_t
cql_rd_short(struct cql_rd *r)
{
    const uint8_t *p = cql_rd_raw(r, 2);

    return p == NULL ? 0 : cql_be16(p);
}

int32_t
cql_rd_int(struct cql_rd *r)
{
    const uint8_t *p = cql_rd_raw(r, 4);

    return p == NULL ? 0 : (int32_t)cql_be32(p);
}

int64_t
cql_rd_long(struct cql_rd *r)
{
    const uint8_t *p = cql_rd_raw(r, 8);

    return p == NULL ? 0 : (int64_t)cql_be64(p);
}

struct cql_str
cql_rd_string(struct cql_rd *r)
{
    struct cql_str s;
    uint16_t n = cql_rd_short(r);

    s.p = (const char *)cql_rd_raw(r, n);
    s.len = s.p == NULL ? 0 : n;
    return s;
}

struct cql_str
cql_rd_long_string(struct cql_rd *r)
{
    struct cql_str s = { NULL, 0 };
    int32_t n = cql_rd_int(r);

    if (n < 0) {
        cql_rd_fail(r, CQL_EPROTO, "negative [long string] length");
        return s;
    }
    s.p = (const char *)cql_rd_raw(r, (size_t)n);
    s.len = s.p == NULL ? 0 : (size_t)n;
    return s;
}

static struct cql_bytes
rd_bytes(struct cql_rd *r, int32_t min_len)
{
    struct cql_bytes b = { NULL, CQL_NULL };
    int32_t n = cql_rd_int(r);

    if (r->err != 0) {
        return b;
    }
    if (n < 0) {
        if (n < min_len) {
            cql_rd_fail(r, CQL_EPROTO, "invalid negative length");
            return b;
        }
        b.len = n;
        return b;
    }
    b.p = cql_rd_raw(r, (size_t)n);
    b.len = b.p == NULL ? CQL_NULL : n;
    return b;
}

struct cql_bytes
cql_rd_bytes(struct cql_rd *r)
{
    /* Any negative length means null for [bytes]; normalise it. */
    struct cql_bytes b = rd_bytes(r, INT32_MIN);

    if (b.len < 0) {
        b.len = CQL_NULL;
    }
    return b;
}

struct cql_bytes
cql_rd_value(struct cql_rd *r)
{
    return rd_bytes(r, CQL_UNSET);
}

struct cql_bytes
cql_rd_short_bytes(struct cql_rd *r)
{
    struct cql_bytes b;
    uint16_t n = cql_rd_short(r);

    b.p = cql_rd_raw(r, n);
    b.len = b.p == NULL ? CQL_NULL : n;
    return b;
}

const uint8_t *
cql_rd_uuid(struct cql_rd *r)
{
    return cql_rd_raw(r, 16);
}

struct cql_inet
cql_rd_inetaddr(struct cql_rd *r)
{
    struct cql_inet in;
    const uint8_t *p;

    memset(&in, 0, sizeof(in));
    in.len = cql_rd_byte(r);
    if (r->err != 0) {
        return in;
    }
    if (in.len != 4 && in.len != 16) {
        cql_rd_fail(r, CQL_EPROTO, "inet address length is neither 4 nor 16");
        in.len = 0;
        return in;
    }
    p = cql_rd_raw(r, in.len);
    if (p != NULL) {
        memcpy(in.addr, p, in.len);
    }
    return in;
}

struct cql_inet
cql_rd_inet(struct cql_rd *r)
{
    struct cql_inet in = cql_rd_inetaddr(r);

    in.port = cql_rd_int(r);
    return in;
}

/*
 * [unsigned vint]: the count of leading one bits in the first byte is the number of extra bytes;
 * the value is big-endian over the remaining bits (native_protocol_v5.spec, section 3).
 */
uint64_t
cql_rd_uvint(struct cql_rd *r)
{
    uint8_t first = cql_rd_byte(r);
    int extra = 0;
    uint64_t v;
    const uint8_t *p;

    while (extra < 8 && (first & (0x80 >> extra)) != 0) {
        extra++;
    }
    v = extra == 8 ? 0 : (uint64_t)(first & (0xff >> (extra + 1)));
    p = cql_rd_raw(r, (size_t)extra);
    if (p == NULL) {
        return 0;
    }
    for (int i = 0; i < extra; i++) {
        v = v << 8 | p[i];
    }
    return v;
}

int64_t
cql_rd_vint(struct cql_rd *r)
{
    uint64_t u = cql_rd_uvint(r);

    return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

/* ---- writing --------------------------------------------------------------------------------- */

uint8_t *
cql_wr_reserve(struct cql_wr *w, size_t n)
{
    uint8_t *p;

    if (w->err != 0) {
        return NULL;
    }
    /* An empty growable writer has no buffer yet: give it one even for 0 bytes, so the pointer
     * returned is never NULL + 0. */
    if (w->cap - w->len < n || w->p == NULL) {
        size_t cap = 0;
        uint8_t *np = NULL;

        if (w->grow != NULL && n <= SIZE_MAX / 2 - w->len) {
            np = w->grow(w->ctx, w->p, w->len, w->len + n, &cap);
        }
        if (np == NULL || cap < w->len + n) {
            w->err = CQL_ENOSPC;
            return NULL;
        }
        w->p = np;
        w->cap = cap;
    }
    p = w->p + w->len;
    w->len += n;
    return p;
}

void
cql_wr_raw_slow(struct cql_wr *w, const void *src, size_t n)
{
    uint8_t *p = cql_wr_reserve(w, n);

    if (p != NULL && n > 0) {
        memcpy(p, src, n);
    }
}

void
cql_wr_byte_slow(struct cql_wr *w, uint8_t v)
{
    uint8_t *p = cql_wr_reserve(w, 1);

    if (p != NULL) {
        p[0] = v;
    }
}

void
cql_wr_short(struct cql_wr *w, uint16_t v)
{
    uint8_t *p = cql_wr_reserve(w, 2);

    if (p != NULL) {
        cql_put_be16(p, v);
    }
}

void
cql_wr_int(struct cql_wr *w, int32_t v)
{
    uint8_t *p = cql_wr_reserve(w, 4);

    if (p != NULL) {
        cql_put_be32(p, (uint32_t)v);
    }
}

void
cql_wr_long(struct cql_wr *w, int64_t v)
{
    uint8_t *p = cql_wr_reserve(w, 8);

    if (p != NULL) {
        cql_put_be64(p, (uint64_t)v);
    }
}

void
cql_wr_string(struct cql_wr *w, const char *s, size_t len)
{
    if (len > UINT16_MAX) {
        if (w->err == 0) {
            w->err = CQL_ERANGE;
        }
        return;
    }
    cql_wr_short(w, (uint16_t)len);
    cql_wr_raw(w, s, len);
}

void
cql_wr_long_string(struct cql_wr *w, const char *s, size_t len)
{
    if (len > INT32_MAX) {
        if (w->err == 0) {
            w->err = CQL_ERANGE;
        }
        return;
    }
    cql_wr_int(w, (int32_t)len);
    cql_wr_raw(w, s, len);
}

void
cql_wr_bytes(struct cql_wr *w, const void *p, int32_t len)
{
    cql_wr_int(w, len);
    if (len > 0) {
        cql_wr_raw(w, p, (size_t)len);
    }
}

void
cql_wr_short_bytes(struct cql_wr *w, const void *p, size_t len)
{
    if (len > UINT16_MAX) {
        if (w->err == 0) {
            w->err = CQL_ERANGE;
        }
        return;
    }
    cql_wr_short(w, (uint16_t)len);
    cql_wr_raw(w, p, len);
}

void
cql_wr_uuid(struct cql_wr *w, const uint8_t uuid[16])
{
    cql_wr_raw(w, uuid, 16);
}

void
cql_wr_inet(struct cql_wr *w, const struct cql_inet *in)
{
    cql_wr_byte(w, in->len);
    cql_wr_raw(w, in->addr, in->len);
    cql_wr_int(w, in->port);
}

void
cql_wr_uvint(struct cql_wr *w, uint64_t v)
{
    uint8_t buf[9];
    int extra = 0;

    /* Values of 7*(extra+1) bits or fewer fit in 1+extra bytes; 8 extra bytes hold all 64. */
    while (extra < 8 && v >> (7 * (extra + 1)) != 0) {
        extra++;
    }
    for (int i = extra; i >= 1; i--) {
        buf[i] = (uint8_t)v;
        v >>= 8;
    }
    buf[0] = extra == 8 ? 0xff : (uint8_t)(~(0xff >> extra) | (uint8_t)v);
    cql_wr_raw(w, buf, (size_t)extra + 1);
}

void
cql_wr_vint(struct cql_wr *w, int64_t v)
{
    cql_wr_uvint(w, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

void
cql_wr_string_list(struct cql_wr *w, const char *const *items, size_t n)
{
    cql_wr_short(w, (uint16_t)n);
    for (size_t i = 0; i < n; i++) {
        cql_wr_string(w, items[i], strlen(items[i]));
    }
}

void
cql_wr_string_map(struct cql_wr *w, const char *const *kv, size_t npairs)
{
    cql_wr_short(w, (uint16_t)npairs);
    for (size_t i = 0; i < 2 * npairs; i++) {
        cql_wr_string(w, kv[i], strlen(kv[i]));
    }
}

void
cql_wr_patch_int(struct cql_wr *w, size_t off, int32_t v)
{
    if (w->err == 0 && off + 4 <= w->len) {
        cql_put_be32(w->p + off, (uint32_t)v);
    }
}
