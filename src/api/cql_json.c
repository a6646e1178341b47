/*
 * cql_json.c: REST v2 values between JSON and CQL (see cql_json.h).
 *
 * Layout of this file:
 *   messages        UTF-8 checks and the bounded, always-valid-UTF-8 builder behind err->detail
 *   parser          JSON text to a struct cql_json_node tree, numbers kept as text
 *   writer          a tree back to compact JSON
 *   JSON -> CQL     strict conversion per type; stringified text goes to cql_value_from_text
 *   CQL -> JSON     rows and the RowsResponse envelope, values through cql_value_to_json_opts
 *   Base64          page states
 *
 * The type-by-type text parsers (integers with range checks, decimals, timestamps, durations,
 * inet literals, the structured-literal grammar) live in proto/cql_value.c. Strict conversion
 * here only checks that the JSON token suits the type and then hands the token's text, exactly as
 * sent, to that parser; that is how 9223372036854775807 on bigint and 30-digit decimals stay
 * exact without any arithmetic in this file.
 */
#include "api/cql_json.h"

#include <stdlib.h>
#include <string.h>

/* ---- messages -------------------------------------------------------------------------------- */

/* Longest piece of a client's value or of a type's text quoted in a message. */
#define QUOTE_MAX   48
#define TYPE_MAX    96


/*
 * A message being built into a fixed buffer. `len` counts every byte asked for, so the caller
 * learns the full length as snprintf reports it; only whole bytes that fit are stored, and
 * msg_end cuts the stored text back to a character boundary.
 */
struct msg {
    char   *buf;                    /* destination */
    size_t  cap;                    /* its size, NUL included */
    size_t  len;                    /* bytes the whole message needs */
    size_t  fit;                    /* bytes stored in buf */
};

static void
msg_init(struct msg *m, char *buf, size_t cap)
{
    m->buf = buf;
    m->cap = cap;
    m->len = 0;
    m->fit = 0;
}

static void
msg_raw(struct msg *m, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (m->fit + 1 < m->cap) {
            m->buf[m->fit++] = s[i];
        }
    }
    m->len += n;
}

static void
msg_str(struct msg *m, const char *s)
{
    msg_raw(m, s, strlen(s));
}

static void
msg_uint(struct msg *m, uint64_t v)
{
    char buf[24];
    size_t i = sizeof(buf);

    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    msg_raw(m, buf + i, sizeof(buf) - i);
}

/*
 * Appends at most MAX bytes of S as printable UTF-8: malformed bytes and control characters
 * become '?', and "..." marks a cut.
 */
static void
msg_quote(struct msg *m, const char *s, size_t len, size_t max)
{
    const uint8_t *p = (const uint8_t *)s;
    size_t used = 0;
    size_t i = 0;

    while (i < len) {
        size_t n = cql_utf8_seq(p + i, len - i);

        if (used + (n == 0 ? 1 : n) > max) {
            msg_str(m, "...");
            return;
        }
        if (n == 0 || p[i] < 0x20 || p[i] == 0x7f) {
            msg_raw(m, "?", 1);
            n = n == 0 ? 1 : n;
        } else {
            msg_raw(m, s + i, n);
        }
        used += n;
        i += n;
    }
}

/* Appends the CQL text of type T ("map<text, int>"), shortened when long. */
static void
msg_type(struct msg *m, const struct cql_type *t)
{
    char buf[TYPE_MAX + 1];
    struct cql_wr w;

    cql_wr_init(&w, (uint8_t *)buf, TYPE_MAX, NULL, NULL);
    (void)cql_type_format(t, &w);
    msg_quote(m, buf, w.len, TYPE_MAX);
    if (w.err != 0) {
        msg_str(m, "...");
    }
}

/* NUL-terminates the stored text, cutting a character the buffer could not hold whole. */
static size_t
msg_end(struct msg *m)
{
    if (m->cap == 0) {
        return m->len;
    }
    if (m->fit < m->len && m->fit > 0) {
        size_t k = m->fit - 1;
        uint8_t lead;
        size_t need;

        while (k > 0 && ((uint8_t)m->buf[k] & 0xc0) == 0x80) {
            k--;
        }
        lead = (uint8_t)m->buf[k];
        need = lead < 0x80 ? 1 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
        if (k + need > m->fit) {
            m->fit = k;
        }
    }
    m->buf[m->fit] = '\0';
    return m->len;
}

/* Starts ERR's detail for a failure of class DESC; NULL when the caller passed no ERR. */
static struct msg *
err_begin(struct cql_json_err *err, struct msg *m, const char *desc)
{
    if (err == NULL) {
        return NULL;
    }
    err->desc = desc;
    err->offset = 0;
    msg_init(m, err->detail, sizeof(err->detail));
    return m;
}

/* ERR's detail is DESC itself; returns CODE. */
static int
err_plain(struct cql_json_err *err, int code, const char *desc)
{
    struct msg m;

    if (err_begin(err, &m, desc) != NULL) {
        msg_str(&m, desc);
        msg_end(&m);
    }
    return code;
}

const char *
cql_json_kind_name(int kind)
{
    switch (kind) {
    case CQL_JSON_NULL:
        return "Null";
    case CQL_JSON_FALSE:
    case CQL_JSON_TRUE:
        return "Boolean";
    case CQL_JSON_NUMBER:
        return "Number";
    case CQL_JSON_STRING:
        return "String";
    case CQL_JSON_ARRAY:
        return "Array";
    case CQL_JSON_OBJECT:
        return "Object";
    }
    return "Unknown";
}

/* ---- parser ---------------------------------------------------------------------------------- */

struct parser {
    const char             *start;  /* first byte of the text */
    const char             *p;      /* next byte to read */
    const char             *end;    /* one past the last byte */
    const struct cql_alloc *a;      /* nodes and unescaped strings */
    unsigned                flags;  /* CQL_JSON_NO_DUPLICATES or 0 */
    struct cql_json_err    *err;    /* where failures are described, or NULL */
};

/* Describes a syntax error at AT as "<desc> at line L, column C"; returns CQL_EPROTO. */
static int
parse_fail_named(struct parser *ps, const char *at, const char *desc, const char *name,
                 size_t name_len)
{
    struct msg m;
    size_t line = 1;
    size_t col = 1;

    if (err_begin(ps->err, &m, desc) == NULL) {
        return CQL_EPROTO;
    }
    for (const char *q = ps->start; q < at; q++) {
        if (*q == '\n') {
            line++;
            col = 1;
        } else if (((uint8_t)*q & 0xc0) != 0x80) {
            col++;
        }
    }
    ps->err->offset = (size_t)(at - ps->start);
    msg_str(&m, desc);
    if (name != NULL) {
        msg_str(&m, " '");
        msg_quote(&m, name, name_len, QUOTE_MAX);
        msg_str(&m, "'");
    }
    msg_str(&m, " at line ");
    msg_uint(&m, line);
    msg_str(&m, ", column ");
    msg_uint(&m, col);
    msg_end(&m);
    return CQL_EPROTO;
}

static int
parse_fail(struct parser *ps, const char *at, const char *desc)
{
    return parse_fail_named(ps, at, desc, NULL, 0);
}

static void *
parse_alloc(struct parser *ps, size_t size)
{
    return cql_alloc(ps->a, size);
}

static int
parse_nomem(struct parser *ps)
{
    return err_plain(ps->err, CQL_ENOMEM, "allocator returned no memory");
}

static void
skip_blanks(struct parser *ps)
{
    while (ps->p < ps->end
           && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')) {
        ps->p++;
    }
}

static int
hex4(const char *s)
{
    int v = 0;

    for (int i = 0; i < 4; i++) {
        char c = s[i];
        int d;

        if (c >= '0' && c <= '9') {
            d = c - '0';
        } else if (c >= 'a' && c <= 'f') {
            d = c - 'a' + 10;
        } else if (c >= 'A' && c <= 'F') {
            d = c - 'A' + 10;
        } else {
            return -1;
        }
        v = v << 4 | d;
    }
    return v;
}

static size_t
utf8_put(char *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | cp >> 12);
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | cp >> 18);
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/*
 * Decodes the escapes of the string body [S, E) (already checked to be UTF-8 outside escapes)
 * into a copy from the allocator. Unescaping never lengthens: \n is 2 bytes for 1, \uXXXX 6 for
 * at most 3, a surrogate pair 12 for 4.
 */
static int
parse_unescape(struct parser *ps, const char *s, const char *e, const char **out, size_t *len)
{
    char *buf = parse_alloc(ps, (size_t)(e - s) + 1);
    size_t o = 0;

    if (buf == NULL) {
        return parse_nomem(ps);
    }
    while (s < e) {
        const char *at = s;
        int cp;

        if (*s != '\\') {
            buf[o++] = *s++;
            continue;
        }
        s++;
        switch (*s) {
        case '"':
        case '\\':
        case '/':
            buf[o++] = *s++;
            continue;
        case 'b':
            buf[o++] = '\b';
            s++;
            continue;
        case 'f':
            buf[o++] = '\f';
            s++;
            continue;
        case 'n':
            buf[o++] = '\n';
            s++;
            continue;
        case 'r':
            buf[o++] = '\r';
            s++;
            continue;
        case 't':
            buf[o++] = '\t';
            s++;
            continue;
        case 'u':
            break;
        default:
            return parse_fail(ps, at, "invalid escape in string");
        }
        if (e - s < 5 || (cp = hex4(s + 1)) < 0) {
            return parse_fail(ps, at, "invalid \\u escape in string");
        }
        s += 5;
        if (cp >= 0xdc00 && cp <= 0xdfff) {
            return parse_fail(ps, at, "unpaired surrogate in string");
        }
        if (cp >= 0xd800 && cp <= 0xdbff) {
            int lo;

            if (e - s < 6 || s[0] != '\\' || s[1] != 'u' || (lo = hex4(s + 2)) < 0
                || lo < 0xdc00 || lo > 0xdfff) {
                return parse_fail(ps, at, "unpaired surrogate in string");
            }
            s += 6;
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        }
        o += utf8_put(buf + o, (uint32_t)cp);
    }
    buf[o] = '\0';
    *out = buf;
    *len = o;
    return 0;
}

/* A string at ps->p (the opening quote). Escape-free strings point into the source. */
static int
parse_string(struct parser *ps, const char **out, size_t *len)
{
    const char *begin = ps->p + 1;
    const char *q = begin;
    bool escapes = false;

    for (;;) {
        uint8_t c;

        if (q == ps->end) {
            return parse_fail(ps, ps->p, "unterminated string");
        }
        c = (uint8_t)*q;
        if (c == '"') {
            break;
        }
        if (c == '\\') {
            escapes = true;
            q += q + 1 < ps->end ? 2 : 1;
            continue;
        }
        if (c < 0x20) {
            return parse_fail(ps, q, "control character in string");
        }
        if (c >= 0x80) {
            size_t n = cql_utf8_seq((const uint8_t *)q, (size_t)(ps->end - q));

            if (n == 0) {
                return parse_fail(ps, q, "invalid UTF-8 in string");
            }
            q += n;
            continue;
        }
        q++;
    }
    ps->p = q + 1;
    if (!escapes) {
        *out = begin;
        *len = (size_t)(q - begin);
        return 0;
    }
    return parse_unescape(ps, begin, q, out, len);
}

static bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* A number at ps->p, RFC 8259 section 6: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static int
parse_number(struct parser *ps, struct cql_json_node *v)
{
    const char *q = ps->p;
    const char *e = ps->end;

    v->kind = CQL_JSON_NUMBER;
    v->integral = true;
    if (*q == '-') {
        q++;
    }
    if (q == e || !is_digit(*q)) {
        return parse_fail(ps, ps->p, "invalid number");
    }
    if (*q == '0') {
        q++;
    } else {
        while (q < e && is_digit(*q)) {
            q++;
        }
    }
    if (q < e && *q == '.') {
        q++;
        if (q == e || !is_digit(*q)) {
            return parse_fail(ps, ps->p, "invalid number");
        }
        while (q < e && is_digit(*q)) {
            q++;
        }
        v->integral = false;
    }
    if (q < e && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < e && (*q == '+' || *q == '-')) {
            q++;
        }
        if (q == e || !is_digit(*q)) {
            return parse_fail(ps, ps->p, "invalid number");
        }
        while (q < e && is_digit(*q)) {
            q++;
        }
        v->integral = false;
    }
    v->s = ps->p;
    v->len = (size_t)(q - ps->p);
    ps->p = q;
    return 0;
}

static int
parse_word(struct parser *ps, const char *word, int kind, struct cql_json_node *v)
{
    size_t n = strlen(word);

    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0) {
        return parse_fail(ps, ps->p, "unexpected character");
    }
    ps->p += n;
    v->kind = (uint8_t)kind;
    return 0;
}

static int parse_value(struct parser *ps, int depth, struct cql_json_node *v);

/* Orders members by name, for the duplicate check of large objects. */
static int
member_cmp(const void *x, const void *y)
{
    const struct cql_json_node *a = *(const struct cql_json_node *const *)x;
    const struct cql_json_node *b = *(const struct cql_json_node *const *)y;
    size_t n = a->name_len < b->name_len ? a->name_len : b->name_len;
    int c = n == 0 ? 0 : memcmp(a->name, b->name, n);

    if (c != 0) {
        return c;
    }
    return a->name_len < b->name_len ? -1 : a->name_len > b->name_len ? 1 : 0;
}

static bool
same_name(const struct cql_json_node *a, const struct cql_json_node *b)
{
    return a->name_len == b->name_len && (a->name_len == 0
                                          || memcmp(a->name, b->name, a->name_len) == 0);
}

/*
 * Refuses an object whose members repeat a name: pairwise for small objects, else by sorting a
 * pointer array from the allocator, so a hostile object cannot make this quadratic.
 */
static int
check_duplicates(struct parser *ps, const struct cql_json_node *obj)
{
    const struct cql_json_node *dup = NULL;

    if (obj->n <= 16) {
        for (const struct cql_json_node *a = obj->child; a != NULL && dup == NULL; a = a->next) {
            for (const struct cql_json_node *b = a->next; b != NULL; b = b->next) {
                if (same_name(a, b)) {
                    dup = b;
                    break;
                }
            }
        }
    } else {
        const struct cql_json_node **v = parse_alloc(ps, obj->n * sizeof(*v));
        size_t i = 0;

        if (v == NULL) {
            return parse_nomem(ps);
        }
        for (const struct cql_json_node *a = obj->child; a != NULL; a = a->next) {
            v[i++] = a;
        }
        qsort(v, obj->n, sizeof(*v), member_cmp);
        for (i = 1; i < obj->n && dup == NULL; i++) {
            if (same_name(v[i - 1], v[i])) {
                dup = v[i - 1]->offset > v[i]->offset ? v[i - 1] : v[i];
            }
        }
    }
    if (dup == NULL) {
        return 0;
    }
    return parse_fail_named(ps, ps->start + dup->offset, "Duplicate field", dup->name,
                            dup->name_len);
}

/* An array or object at ps->p; DEPTH counts it. */
static int
parse_container(struct parser *ps, int depth, struct cql_json_node *v)
{
    bool object = *ps->p == '{';
    char close = object ? '}' : ']';
    struct cql_json_node **tail = &v->child;
    int max = (ps->flags & CQL_JSON_DEEP) != 0 ? CQL_JSON_DEEP_MAX_DEPTH : CQL_JSON_MAX_DEPTH;
    int rc;

    if (depth > max) {
        return parse_fail(ps, ps->p, "JSON nested too deeply");
    }
    v->kind = object ? CQL_JSON_OBJECT : CQL_JSON_ARRAY;
    ps->p++;
    skip_blanks(ps);
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
        return 0;
    }
    for (;;) {
        struct cql_json_node *e = parse_alloc(ps, sizeof(*e));

        if (e == NULL) {
            return parse_nomem(ps);
        }
        memset(e, 0, sizeof(*e));
        if (object) {
            skip_blanks(ps);
            if (ps->p == ps->end || *ps->p != '"') {
                return parse_fail(ps, ps->p, "expected a member name");
            }
            rc = parse_string(ps, &e->name, &e->name_len);
            if (rc != 0) {
                return rc;
            }
            skip_blanks(ps);
            if (ps->p == ps->end || *ps->p != ':') {
                return parse_fail(ps, ps->p, "expected ':' after a member name");
            }
            ps->p++;
        }
        rc = parse_value(ps, depth, e);
        if (rc != 0) {
            return rc;
        }
        *tail = e;
        tail = &e->next;
        v->n++;
        skip_blanks(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == close) {
            ps->p++;
            break;
        }
        return parse_fail(ps, ps->p, object ? "expected ',' or '}' in object"
                                            : "expected ',' or ']' in array");
    }
    if (object && (ps->flags & CQL_JSON_NO_DUPLICATES) != 0 && v->n > 1) {
        return check_duplicates(ps, v);
    }
    return 0;
}

/*
 * One value of any kind. Recursion goes one level per container and stops at
 * CQL_JSON_MAX_DEPTH (or CQL_JSON_DEEP_MAX_DEPTH), so the stack stays small whatever the input.
 */
static int
parse_value(struct parser *ps, int depth, struct cql_json_node *v)
{
    skip_blanks(ps);
    if (ps->p == ps->end) {
        return parse_fail(ps, ps->p, "unexpected end of input");
    }
    v->offset = (size_t)(ps->p - ps->start);
    switch (*ps->p) {
    case '{':
    case '[':
        return parse_container(ps, depth + 1, v);
    case '"':
        v->kind = CQL_JSON_STRING;
        return parse_string(ps, &v->s, &v->len);
    case 't':
        return parse_word(ps, "true", CQL_JSON_TRUE, v);
    case 'f':
        return parse_word(ps, "false", CQL_JSON_FALSE, v);
    case 'n':
        return parse_word(ps, "null", CQL_JSON_NULL, v);
    default:
        if (*ps->p == '-' || is_digit(*ps->p)) {
            return parse_number(ps, v);
        }
        return parse_fail(ps, ps->p, "unexpected character");
    }
}

int
cql_json_parse(const char *s, size_t len, unsigned flags, const struct cql_alloc *a,
               struct cql_json_node **out, struct cql_json_err *err)
{
    struct parser ps = { s, s, s + len, a, flags, err };
    struct cql_json_node *root;
    int rc;

    *out = NULL;
    if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
        ps.p += 3;
    }
    root = parse_alloc(&ps, sizeof(*root));
    if (root == NULL) {
        return parse_nomem(&ps);
    }
    memset(root, 0, sizeof(*root));
    rc = parse_value(&ps, 0, root);
    if (rc != 0) {
        return rc;
    }
    skip_blanks(&ps);
    if (ps.p != ps.end) {
        return parse_fail(&ps, ps.p, "unexpected text after the JSON value");
    }
    *out = root;
    return 0;
}

const struct cql_json_node *
cql_json_get(const struct cql_json_node *obj, const char *name, size_t len)
{
    const struct cql_json_node *found = NULL;

    if (obj == NULL || obj->kind != CQL_JSON_OBJECT) {
        return NULL;
    }
    for (const struct cql_json_node *m = obj->child; m != NULL; m = m->next) {
        if (m->name_len == len && (len == 0 || memcmp(m->name, name, len) == 0)) {
            found = m;
        }
    }
    return found;
}

/* ---- writer ---------------------------------------------------------------------------------- */

static int
write_node(struct cql_wr *out, const struct cql_json_node *v, int depth)
{
    int rc;

    if (depth > CQL_JSON_MAX_DEPTH) {
        return CQL_EPROTO;
    }
    switch (v->kind) {
    case CQL_JSON_NULL:
        cql_wr_raw(out, "null", 4);
        break;
    case CQL_JSON_FALSE:
        cql_wr_raw(out, "false", 5);
        break;
    case CQL_JSON_TRUE:
        cql_wr_raw(out, "true", 4);
        break;
    case CQL_JSON_NUMBER:
        cql_wr_raw(out, v->s, v->len);
        break;
    case CQL_JSON_STRING:
        rc = cql_json_string(out, v->s, v->len);
        if (rc != 0) {
            return rc;
        }
        break;
    case CQL_JSON_ARRAY:
    case CQL_JSON_OBJECT:
        cql_wr_byte(out, v->kind == CQL_JSON_ARRAY ? '[' : '{');
        for (const struct cql_json_node *e = v->child; e != NULL; e = e->next) {
            if (e != v->child) {
                cql_wr_byte(out, ',');
            }
            if (v->kind == CQL_JSON_OBJECT) {
                rc = cql_json_string(out, e->name, e->name_len);
                if (rc != 0) {
                    return rc;
                }
                cql_wr_byte(out, ':');
            }
            rc = write_node(out, e, depth + 1);
            if (rc != 0) {
                return rc;
            }
        }
        cql_wr_byte(out, v->kind == CQL_JSON_ARRAY ? ']' : '}');
        break;
    default:
        return CQL_EPROTO;
    }
    return out->err;
}

int
cql_json_write(struct cql_wr *out, const struct cql_json_node *v)
{
    return write_node(out, v, 0);
}

/* ---- JSON -> CQL ----------------------------------------------------------------------------- */

/* One conversion: the caller's options and where its failure is described. */
struct conv {
    unsigned             flags;     /* CQL_JSON_* of the call */
    struct cql_json_err *err;       /* or NULL */
};

static int
conv_nospc(struct conv *c)
{
    return err_plain(c->err, CQL_ENOSPC, "output buffer could not grow");
}

/* Appends V the way a message quotes it: 'string', a number as sent, [...] and {...}. */
static void
msg_value(struct msg *m, const struct cql_json_node *v)
{
    switch (v->kind) {
    case CQL_JSON_NULL:
        msg_str(m, "null");
        break;
    case CQL_JSON_FALSE:
        msg_str(m, "false");
        break;
    case CQL_JSON_TRUE:
        msg_str(m, "true");
        break;
    case CQL_JSON_NUMBER:
        msg_quote(m, v->s, v->len, QUOTE_MAX);
        break;
    case CQL_JSON_STRING:
        msg_str(m, "'");
        msg_quote(m, v->s, v->len, QUOTE_MAX);
        msg_str(m, "'");
        break;
    case CQL_JSON_ARRAY:
        msg_str(m, "[...]");
        break;
    default:
        msg_str(m, "{...}");
        break;
    }
}

/* "Cannot coerce <Kind> value <v> into expected type: <type>" */
static int
fail_kind(struct conv *c, const struct cql_type *t, const struct cql_json_node *v)
{
    struct msg m;

    if (err_begin(c->err, &m, "JSON value of the wrong kind for the column type") != NULL) {
        msg_str(&m, "Cannot coerce ");
        msg_str(&m, cql_json_kind_name(v->kind));
        msg_str(&m, " value ");
        msg_value(&m, v);
        msg_str(&m, " into expected type: ");
        msg_type(&m, t);
        msg_end(&m);
    }
    return CQL_ETYPE;
}

/* "Invalid <what> (<value>) for type <type>: <desc>", the value quoted as QUOTE asks. */
static int
fail_value(struct conv *c, int code, const struct cql_type *t, const char *what, const char *s,
           size_t len, bool quote, const char *desc)
{
    struct msg m;

    if (err_begin(c->err, &m, desc) != NULL) {
        msg_str(&m, "Invalid ");
        msg_str(&m, what);
        msg_str(&m, quote ? " ('" : " (");
        msg_quote(&m, s, len, QUOTE_MAX);
        msg_str(&m, quote ? "') for type " : ") for type ");
        msg_type(&m, t);
        msg_str(&m, ": ");
        msg_str(&m, desc);
        msg_end(&m);
    }
    return code;
}

/* "<prefix><n><middle><m>", for the arity messages of 5.2. */
static int
fail_count(struct conv *c, const char *desc, const char *prefix, uint64_t n, const char *middle,
           uint64_t got)
{
    struct msg m;

    if (err_begin(c->err, &m, desc) != NULL) {
        msg_str(&m, prefix);
        msg_uint(&m, n);
        msg_str(&m, middle);
        msg_uint(&m, got);
        msg_end(&m);
    }
    return CQL_ETYPE;
}

/* "<prefix><type>", for structural failures that name the enclosing type. */
static int
fail_in_type(struct conv *c, const char *desc, const char *prefix, const struct cql_type *t)
{
    struct msg m;

    if (err_begin(c->err, &m, desc) != NULL) {
        msg_str(&m, prefix);
        msg_type(&m, t);
        msg_end(&m);
    }
    return CQL_ETYPE;
}

/* The [int] length written at AT becomes the size of what follows it. */
static int
patch_len(struct conv *c, struct cql_wr *out, size_t at)
{
    if (out->err != 0) {
        return conv_nospc(c);
    }
    if (out->len - at - 4 > INT32_MAX) {
        return err_plain(c->err, CQL_ERANGE, "value too large");
    }
    cql_wr_patch_int(out, at, (int32_t)(out->len - at - 4));
    return 0;
}

/*
 * Text S (LEN) read with the stringified rules of T through cql_value_from_text. WHAT names the
 * text in a failure ("String value", "Number value", "map key"); numbers are quoted bare.
 */
static int
from_text(const struct cql_type *t, const char *s, size_t len, const char *what,
          struct conv *c, struct cql_wr *out)
{
    const char *desc = "not a valid value for the type";
    size_t mark = out->len;
    int rc = cql_value_from_text(t, s, len, out, &desc);

    if (rc == 0) {
        return 0;
    }
    if (rc == CQL_ENOSPC || out->err != 0) {
        return conv_nospc(c);
    }
    out->len = mark;
    return fail_value(c, rc == CQL_ERANGE ? CQL_ERANGE : CQL_ETYPE, t, what, s, len,
                      strcmp(what, "Number value") != 0, desc);
}

/* Text or ascii bytes taken verbatim, after the encoding check. */
static int
verbatim_text(const struct cql_type *t, const char *s, size_t len, const char *what,
              struct conv *c, struct cql_wr *out)
{
    if (t->id == CQL_TYPE_ASCII) {
        for (size_t i = 0; i < len; i++) {
            if ((uint8_t)s[i] >= 0x80) {
                return fail_value(c, CQL_ETYPE, t, what, s, len, true,
                                  "non-ASCII character in ascii value");
            }
        }
    } else if (!cql_utf8_valid((const uint8_t *)s, len)) {
        return fail_value(c, CQL_ETYPE, t, what, s, len, true, "text is not valid UTF-8");
    }
    cql_wr_raw(out, s, len);
    return out->err != 0 ? conv_nospc(c) : 0;
}

/* Strict text: any scalar as its text form (5.2). */
static int
strict_text(const struct cql_type *t, const struct cql_json_node *v, struct conv *c,
            struct cql_wr *out)
{
    switch (v->kind) {
    case CQL_JSON_STRING:
        return verbatim_text(t, v->s, v->len, "String value", c, out);
    case CQL_JSON_NUMBER:
        return verbatim_text(t, v->s, v->len, "Number value", c, out);
    case CQL_JSON_TRUE:
        return verbatim_text(t, "true", 4, "Boolean value", c, out);
    case CQL_JSON_FALSE:
        return verbatim_text(t, "false", 5, "Boolean value", c, out);
    }
    return fail_kind(c, t, v);
}

/* A number that must be integral (tinyint .. bigint, counter, varint, timestamp millis). */
static int
strict_integer(const struct cql_type *t, const struct cql_json_node *v, struct conv *c,
               struct cql_wr *out)
{
    if (!v->integral) {
        return fail_value(c, CQL_ETYPE, t, "Number value", v->s, v->len, false,
                          "not an integer (no fraction or exponent allowed)");
    }
    return from_text(t, v->s, v->len, "Number value", c, out);
}

static int conv_value(const struct cql_type *t, const struct cql_json_node *v, int depth,
                      bool top, struct conv *c, struct cql_wr *out);

/*
 * One element of a structured value as [bytes], strictly. A JSON null is a null field where
 * NULLABLE (tuple and UDT fields) and an error inside PARENT otherwise (collections).
 */
static int
conv_elem(const struct cql_type *t, const struct cql_type *parent, bool nullable,
          const struct cql_json_node *v, int depth, struct conv *c, struct cql_wr *out)
{
    size_t at = out->len;
    int rc;

    if (v->kind == CQL_JSON_NULL) {
        if (!nullable) {
            return fail_in_type(c, "null element in a collection", "null is not allowed inside ",
                                parent);
        }
        cql_wr_int(out, CQL_NULL);
        return out->err != 0 ? conv_nospc(c) : 0;
    }
    cql_wr_int(out, 0);
    rc = conv_value(t, v, depth, false, c, out);
    return rc != 0 ? rc : patch_len(c, out, at);
}

/* An [int] count written at AT becomes N. */
static int
patch_count(struct conv *c, struct cql_wr *out, size_t at, size_t n)
{
    if (out->err != 0) {
        return conv_nospc(c);
    }
    if (n > INT32_MAX) {
        return err_plain(c->err, CQL_ERANGE, "too many elements");
    }
    cql_wr_patch_int(out, at, (int32_t)n);
    return 0;
}

/* list and set: [int] n, then n [bytes]. */
static int
conv_list(const struct cql_type *t, const struct cql_json_node *v, int depth, struct conv *c,
          struct cql_wr *out)
{
    size_t at = out->len;
    int rc;

    cql_wr_int(out, 0);
    for (const struct cql_json_node *e = v->child; e != NULL; e = e->next) {
        rc = conv_elem(t->sub[0], t, false, e, depth + 1, c, out);
        if (rc != 0) {
            return rc;
        }
    }
    return patch_count(c, out, at, v->n);
}

/* A compact map key: text and ascii verbatim, other types with the stringified rules (Q6). */
static int
conv_key(const struct cql_type *kt, const struct cql_json_node *m, struct conv *c,
         struct cql_wr *out)
{
    size_t at = out->len;
    int rc;

    cql_wr_int(out, 0);
    if (kt->id == CQL_TYPE_VARCHAR || kt->id == CQL_TYPE_ASCII) {
        rc = verbatim_text(kt, m->name, m->name_len, "map key", c, out);
    } else {
        rc = from_text(kt, m->name, m->name_len, "map key", c, out);
    }
    return rc != 0 ? rc : patch_len(c, out, at);
}

/* compactMapData=true: {"k": v, ...}. */
static int
conv_map_object(const struct cql_type *t, const struct cql_json_node *v, int depth,
                struct conv *c, struct cql_wr *out)
{
    size_t at = out->len;
    int rc;

    cql_wr_int(out, 0);
    for (const struct cql_json_node *m = v->child; m != NULL; m = m->next) {
        rc = conv_key(t->sub[0], m, c, out);
        if (rc == 0) {
            rc = conv_elem(t->sub[1], t, false, m, depth + 1, c, out);
        }
        if (rc != 0) {
            return rc;
        }
    }
    return patch_count(c, out, at, v->n);
}

/* compactMapData=false: [{"key": k, "value": v}, ...], with Stargate's messages (5.2). */
static int
conv_map_entries(const struct cql_type *t, const struct cql_json_node *v, int depth,
                 struct conv *c, struct cql_wr *out)
{
    size_t at = out->len;
    int rc;

    cql_wr_int(out, 0);
    for (const struct cql_json_node *e = v->child; e != NULL; e = e->next) {
        const struct cql_json_node *k;
        const struct cql_json_node *val;

        if (e->kind != CQL_JSON_OBJECT) {
            return err_plain(c->err, CQL_ETYPE, "Map entry must be a JSON object");
        }
        if (e->n != 2) {
            return err_plain(c->err, CQL_ETYPE, "Map entry must have exactly 2 elements");
        }
        k = cql_json_get(e, "key", 3);
        if (k == NULL) {
            return err_plain(c->err, CQL_ETYPE, "Map entry missing key");
        }
        val = cql_json_get(e, "value", 5);
        if (val == NULL) {
            return err_plain(c->err, CQL_ETYPE, "Map entry missing value");
        }
        rc = conv_elem(t->sub[0], t, false, k, depth + 2, c, out);
        if (rc == 0) {
            rc = conv_elem(t->sub[1], t, false, val, depth + 2, c, out);
        }
        if (rc != 0) {
            return rc;
        }
    }
    return patch_count(c, out, at, v->n);
}

/* tuple: an array of exactly the arity; each field [bytes], null allowed. */
static int
conv_tuple(const struct cql_type *t, const struct cql_json_node *v, int depth, struct conv *c,
           struct cql_wr *out)
{
    size_t i = 0;
    int rc;

    if (v->n != t->n) {
        return fail_count(c, "wrong number of tuple values", "Tuple expected ", t->n,
                          " values, got ", v->n);
    }
    for (const struct cql_json_node *e = v->child; e != NULL; e = e->next, i++) {
        rc = conv_elem(t->sub[i], t, true, e, depth + 1, c, out);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

/* "UDT '<name>' <middle>'<field>'" */
static int
fail_udt(struct conv *c, const char *desc, const struct cql_type *t, const char *middle,
         const char *f, size_t flen)
{
    struct msg m;

    if (err_begin(c->err, &m, desc) != NULL) {
        msg_str(&m, "UDT '");
        msg_quote(&m, t->name.p, t->name.len, QUOTE_MAX);
        msg_str(&m, "' ");
        msg_str(&m, middle);
        if (f != NULL) {
            msg_str(&m, " '");
            msg_quote(&m, f, flen, QUOTE_MAX);
            msg_str(&m, "'");
        }
        msg_end(&m);
    }
    return CQL_ETYPE;
}

/*
 * UDT: an object by exact field name. Every member must name a field; the fields are then written
 * in their declared order, the last member of a repeated name winning, null when left out.
 */
static int
conv_udt(const struct cql_type *t, const struct cql_json_node *v, int depth, struct conv *c,
         struct cql_wr *out)
{
    int rc;

    if (t->n == 0) {
        return fail_udt(c, "user type is not resolved", t, "is not resolved", NULL, 0);
    }
    for (const struct cql_json_node *m = v->child; m != NULL; m = m->next) {
        bool known = false;

        for (size_t f = 0; f < t->n && !known; f++) {
            known = t->field_names[f].len == m->name_len
                 && (m->name_len == 0
                     || memcmp(t->field_names[f].p, m->name, m->name_len) == 0);
        }
        if (!known) {
            return fail_udt(c, "unknown user type field", t, "does not have field", m->name,
                            m->name_len);
        }
    }
    for (size_t f = 0; f < t->n; f++) {
        const struct cql_json_node *m = cql_json_get(v, t->field_names[f].p,
                                                     t->field_names[f].len);

        if (m == NULL) {
            cql_wr_int(out, CQL_NULL);
            continue;
        }
        rc = conv_elem(t->sub[f], t, true, m, depth + 1, c, out);
        if (rc != 0) {
            return rc;
        }
    }
    return out->err != 0 ? conv_nospc(c) : 0;
}

/* Puts the [unsigned vint] N in front of the bytes written since AT. */
static int
insert_uvint(struct conv *c, struct cql_wr *out, size_t at, uint64_t n)
{
    uint8_t buf[9];
    struct cql_wr lw;
    size_t body = out->len - at;

    cql_wr_init(&lw, buf, sizeof(buf), NULL, NULL);
    cql_wr_uvint(&lw, n);
    if (cql_wr_reserve(out, lw.len) == NULL) {
        return conv_nospc(c);
    }
    memmove(out->p + at + lw.len, out->p + at, body);
    memcpy(out->p + at, buf, lw.len);
    return 0;
}

/*
 * vector<T, N>: an array of exactly N non-null elements, concatenated when T has a fixed size and
 * each after an [unsigned vint] length otherwise (the encoding Cassandra 5.0 uses).
 */
static int
conv_vector(const struct cql_type *t, const struct cql_json_node *v, int depth, struct conv *c,
            struct cql_wr *out)
{
    int fixed = cql_type_fixed_size(t->sub[0]);
    int rc;

    if (t->dim < 0 || v->n != (size_t)t->dim) {
        return fail_count(c, "wrong vector size", "Expected vector of size ",
                          (uint64_t)(t->dim < 0 ? 0 : t->dim), ", got ", v->n);
    }
    for (const struct cql_json_node *e = v->child; e != NULL; e = e->next) {
        size_t at = out->len;

        if (e->kind == CQL_JSON_NULL) {
            return fail_in_type(c, "null element in a vector", "null is not allowed inside ", t);
        }
        rc = conv_value(t->sub[0], e, depth + 1, false, c, out);
        if (rc != 0) {
            return rc;
        }
        if (out->err != 0) {
            return conv_nospc(c);
        }
        if (fixed >= 0 && out->len - at != (size_t)fixed) {
            return fail_in_type(c, "vector element of the wrong size",
                                "element of the wrong size inside ", t);
        }
        if (fixed < 0) {
            rc = insert_uvint(c, out, at, out->len - at);
            if (rc != 0) {
                return rc;
            }
        }
    }
    return 0;
}

/* Scalars whose strict JSON form is a string read with the stringified rules. */
static bool
takes_string_only(int id)
{
    switch (id) {
    case CQL_TYPE_UUID:
    case CQL_TYPE_TIMEUUID:
    case CQL_TYPE_DATE:
    case CQL_TYPE_TIME:
    case CQL_TYPE_DURATION:
    case CQL_TYPE_INET:
    case CQL_TYPE_BLOB:
    case CQL_TYPE_CUSTOM:
        return true;
    }
    return false;
}

/* Strict scalars: the JSON kind is checked here, the text parsed by cql_value_from_text. */
static int
conv_scalar(const struct cql_type *t, const struct cql_json_node *v, struct conv *c,
            struct cql_wr *out)
{
    switch (t->id) {
    case CQL_TYPE_ASCII:
    case CQL_TYPE_VARCHAR:
        return strict_text(t, v, c, out);
    case CQL_TYPE_BOOLEAN:
        if (v->kind != CQL_JSON_TRUE && v->kind != CQL_JSON_FALSE) {
            break;
        }
        cql_wr_byte(out, v->kind == CQL_JSON_TRUE ? 1 : 0);
        return out->err != 0 ? conv_nospc(c) : 0;
    case CQL_TYPE_TINYINT:
    case CQL_TYPE_SMALLINT:
    case CQL_TYPE_INT:
    case CQL_TYPE_BIGINT:
    case CQL_TYPE_COUNTER:
    case CQL_TYPE_VARINT:
        if (v->kind != CQL_JSON_NUMBER) {
            break;
        }
        return strict_integer(t, v, c, out);
    case CQL_TYPE_DECIMAL:
    case CQL_TYPE_FLOAT:
    case CQL_TYPE_DOUBLE:
        if (v->kind != CQL_JSON_NUMBER) {
            break;
        }
        return from_text(t, v->s, v->len, "Number value", c, out);
    case CQL_TYPE_TIMESTAMP:
        if (v->kind == CQL_JSON_NUMBER) {
            return strict_integer(t, v, c, out);
        }
        if (v->kind != CQL_JSON_STRING) {
            break;
        }
        return from_text(t, v->s, v->len, "String value", c, out);
    default:
        if (!takes_string_only(t->id) || v->kind != CQL_JSON_STRING) {
            break;
        }
        return from_text(t, v->s, v->len, "String value", c, out);
    }
    return fail_kind(c, t, v);
}

/*
 * The value bytes (no length) of T for V. TOP marks the value of a column or a `where` operand,
 * where a JSON string takes the stringified route unless the caller asked for strict.
 */
static int
conv_value(const struct cql_type *t, const struct cql_json_node *v, int depth, bool top,
           struct conv *c, struct cql_wr *out)
{
    if (depth > CQL_JSON_MAX_DEPTH) {
        return err_plain(c->err, CQL_ETYPE, "JSON value nested too deeply");
    }
    if (top && v->kind == CQL_JSON_STRING && (c->flags & CQL_JSON_STRICT) == 0) {
        return from_text(t, v->s, v->len, "String value", c, out);
    }
    switch (t->id) {
    case CQL_TYPE_LIST:
    case CQL_TYPE_SET:
        if (v->kind != CQL_JSON_ARRAY || t->n < 1) {
            break;
        }
        return conv_list(t, v, depth, c, out);
    case CQL_TYPE_MAP:
        if (t->n < 2) {
            break;
        }
        if ((c->flags & CQL_JSON_MAP_ENTRIES) != 0 && v->kind == CQL_JSON_ARRAY) {
            return conv_map_entries(t, v, depth, c, out);
        }
        if ((c->flags & CQL_JSON_MAP_ENTRIES) == 0 && v->kind == CQL_JSON_OBJECT) {
            return conv_map_object(t, v, depth, c, out);
        }
        break;
    case CQL_TYPE_TUPLE:
        if (v->kind != CQL_JSON_ARRAY) {
            break;
        }
        return conv_tuple(t, v, depth, c, out);
    case CQL_TYPE_UDT:
        if (v->kind != CQL_JSON_OBJECT) {
            break;
        }
        return conv_udt(t, v, depth, c, out);
    case CQL_TYPE_VECTOR:
        if (v->kind != CQL_JSON_ARRAY || t->n < 1) {
            break;
        }
        return conv_vector(t, v, depth, c, out);
    default:
        return conv_scalar(t, v, c, out);
    }
    return fail_kind(c, t, v);
}

int
cql_json_to_value(const struct cql_type *t, const struct cql_json_node *v, unsigned flags,
                  struct cql_wr *out, struct cql_json_err *err)
{
    struct conv c = { flags, err };
    size_t mark = out->len;
    int rc;

    if (err != NULL) {
        err->desc = NULL;
        err->offset = 0;
        err->detail[0] = '\0';
    }
    if (v->kind == CQL_JSON_NULL) {
        cql_wr_int(out, CQL_NULL);
        return out->err != 0 ? conv_nospc(&c) : 0;
    }
    cql_wr_int(out, 0);
    rc = conv_value(t, v, 1, true, &c, out);
    if (rc == 0) {
        rc = patch_len(&c, out, mark);
    }
    if (rc != 0 && out->len > mark) {
        out->len = mark;
    }
    return rc;
}

size_t
cql_json_field_error(char *buf, size_t cap, struct cql_str table, struct cql_str column,
                     const struct cql_json_err *err)
{
    struct msg m;
    const char *detail = err != NULL && err->detail[0] != '\0' ? err->detail
                       : err != NULL && err->desc != NULL      ? err->desc
                                                               : "invalid value";

    msg_init(&m, buf, cap);
    msg_str(&m, "Failed to deserialize field '");
    msg_quote(&m, table.p, table.len, SIZE_MAX);
    msg_str(&m, ".");
    msg_quote(&m, column.p, column.len, SIZE_MAX);
    msg_str(&m, "', problem: ");
    msg_str(&m, detail);
    return msg_end(&m);
}

const struct cql_type *
cql_json_contains_type(const struct cql_type *t, int what)
{
    bool map = t->id == CQL_TYPE_MAP && t->n >= 2;

    switch (what) {
    case CQL_JSON_CONTAINS:
        if ((t->id == CQL_TYPE_LIST || t->id == CQL_TYPE_SET) && t->n >= 1) {
            return t->sub[0];
        }
        return map ? t->sub[1] : NULL;
    case CQL_JSON_CONTAINS_KEY:
    case CQL_JSON_CONTAINS_ENTRY_KEY:
        return map ? t->sub[0] : NULL;
    case CQL_JSON_CONTAINS_ENTRY_VALUE:
        return map ? t->sub[1] : NULL;
    }
    return NULL;
}

/* ---- CQL -> JSON ----------------------------------------------------------------------------- */

static int
row_fail(const char **err_desc, int code, const char *desc)
{
    if (err_desc != NULL) {
        *err_desc = desc;
    }
    return code;
}

/* Most columns and key bytes whose keys a response renders once, not once per row. */
#define KEYS_MAX_COLS   256
#define KEYS_MAX_BYTES  4096

/* The "<name>": of every column, escaped once for a whole response. */
struct row_keys {
    uint8_t  buf[KEYS_MAX_BYTES];   /* the keys, one after the other */
    uint16_t off[KEYS_MAX_COLS + 1]; /* key i is buf[off[i]] .. buf[off[i + 1]] */
};

/* Renders the keys of COLS into K; false when they do not fit (rows then escape each name). */
static bool
row_keys_init(struct row_keys *k, const struct cql_col_spec *cols, int32_t ncols)
{
    struct cql_wr w;

    if (ncols > KEYS_MAX_COLS) {
        return false;
    }
    cql_wr_init(&w, k->buf, sizeof(k->buf), NULL, NULL);
    for (int32_t i = 0; i < ncols; i++) {
        k->off[i] = (uint16_t)w.len;
        if (cql_json_string(&w, cols[i].name.p, cols[i].name.len) != 0) {
            return false;
        }
        cql_wr_byte(&w, ':');
    }
    k->off[ncols] = (uint16_t)w.len;
    return w.err == 0;
}

/*
 * "<name>":<value> for one cell; VFLAGS are cql_value_to_json_opts options. KEY is the cell's
 * rendered key (with its colon), or NULL to escape the column's name here.
 */
static int
write_cell(struct cql_wr *out, const struct cql_col_spec *col, const uint8_t *p, int32_t len,
           unsigned vflags, const char **err_desc, const struct cql_bytes *key)
{
    const char *desc = NULL;
    int rc;

    if (col->type == NULL) {
        return row_fail(err_desc, CQL_EPROTO, "column without a type");
    }
    if (key != NULL) {
        cql_wr_raw(out, key->p, (size_t)key->len);
    } else {
        rc = cql_json_string(out, col->name.p, col->name.len);
        if (rc == CQL_EPROTO) {
            return row_fail(err_desc, rc, "column name is not valid UTF-8");
        }
        cql_wr_byte(out, ':');
    }
    rc = cql_value_to_json_opts(col->type, p, len < 0 ? CQL_NULL : len, vflags, out, &desc);
    if (rc != 0) {
        return row_fail(err_desc, rc, desc != NULL ? desc : "value does not render");
    }
    return out->err != 0 ? row_fail(err_desc, out->err, "output buffer could not grow") : 0;
}

/* The value options every row uses: v2.0 empties (Q13) and the caller's map form. */
static unsigned
row_flags(unsigned flags)
{
    return CQL_JSON_EMPTY_FOR_NULL | (flags & CQL_JSON_MAP_ENTRIES);
}

int
cql_json_row(struct cql_wr *out, const struct cql_col_spec *cols, int32_t ncols,
             const struct cql_bytes *cells, unsigned flags, const char **err_desc)
{
    unsigned vflags = row_flags(flags);
    int rc;

    if (ncols > 0 && (cols == NULL || cells == NULL)) {
        return row_fail(err_desc, CQL_EPROTO, "row without column metadata");
    }
    cql_wr_byte(out, '{');
    for (int32_t i = 0; i < ncols; i++) {
        if (i > 0) {
            cql_wr_byte(out, ',');
        }
        rc = write_cell(out, &cols[i], cells[i].p, cells[i].len, vflags, err_desc, NULL);
        if (rc != 0) {
            return rc;
        }
    }
    cql_wr_byte(out, '}');
    return out->err != 0 ? row_fail(err_desc, out->err, "output buffer could not grow") : 0;
}

/* One row read cell by cell from R, so no cell array is needed; KEYS may be NULL. */
static int
row_from_reader(struct cql_wr *out, const struct cql_col_spec *cols, int32_t ncols,
                struct cql_rd *r, unsigned vflags, const char **err_desc,
                const struct row_keys *keys)
{
    int rc;

    cql_wr_byte(out, '{');
    for (int32_t i = 0; i < ncols; i++) {
        struct cql_bytes b = cql_rd_bytes(r);

        if (r->err != 0) {
            return row_fail(err_desc, CQL_EPROTO, "truncated row");
        }
        if (i > 0) {
            cql_wr_byte(out, ',');
        }
        if (keys != NULL) {
            struct cql_bytes key = { keys->buf + keys->off[i],
                                     (int32_t)(keys->off[i + 1] - keys->off[i]) };

            rc = write_cell(out, &cols[i], b.p, b.len, vflags, err_desc, &key);
        } else {
            rc = write_cell(out, &cols[i], b.p, b.len, vflags, err_desc, NULL);
        }
        if (rc != 0) {
            return rc;
        }
    }
    cql_wr_byte(out, '}');
    return 0;
}

int
cql_json_rows_response(struct cql_wr *out, const struct cql_col_spec *cols,
                       const struct cql_result *res, unsigned flags, const char **err_desc)
{
    bool rows = res->kind == CQL_RESULT_ROWS;
    int32_t nrows = rows ? res->rows_count : 0;
    int32_t ncols = rows ? res->meta.columns_count : 0;
    unsigned vflags = row_flags(flags);
    bool raw = (flags & CQL_JSON_RAW) != 0;
    struct row_keys keys;
    bool have_keys = false;
    struct cql_rd r;
    int rc;

    if (cols == NULL) {
        cols = res->meta.cols;
    }
    if (nrows < 0 || ncols < 0 || (nrows > 0 && ncols > 0 && cols == NULL)) {
        return row_fail(err_desc, CQL_EPROTO, "rows without column metadata");
    }
    if (!raw) {
        cql_wr_raw(out, "{\"count\":", 9);
        cql_fmt_int64(out, nrows);
        if (rows && (res->meta.flags & CQL_MF_HAS_MORE_PAGES) != 0
            && res->meta.paging_state.len >= 0) {
            cql_wr_raw(out, ",\"pageState\":\"", 14);
            cql_base64_encode(out, res->meta.paging_state.p,
                              (size_t)res->meta.paging_state.len);
            cql_wr_byte(out, '"');
        }
        cql_wr_raw(out, ",\"data\":", 8);
    }
    cql_wr_byte(out, '[');
    if (nrows > 1) {
        have_keys = row_keys_init(&keys, cols, ncols);
    }
    cql_rd_init(&r, rows ? res->rows : NULL, rows ? res->rows_len : 0);
    for (int32_t i = 0; i < nrows; i++) {
        if (i > 0) {
            cql_wr_byte(out, ',');
        }
        rc = row_from_reader(out, cols, ncols, &r, vflags, err_desc, have_keys ? &keys : NULL);
        if (rc != 0) {
            return rc;
        }
    }
    cql_wr_byte(out, ']');
    if (!raw) {
        cql_wr_byte(out, '}');
    }
    return out->err != 0 ? row_fail(err_desc, out->err, "output buffer could not grow") : 0;
}

/* ---- Base64 ---------------------------------------------------------------------------------- */


/* The 6-bit value of C, noting which alphabet's letters it uses (1 standard, 2 URL-safe). */
static int
b64_digit(char c, int *alphabets)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '+' || c == '/') {
        *alphabets |= 1;
        return c == '+' ? 62 : 63;
    }
    if (c == '-' || c == '_') {
        *alphabets |= 2;
        return c == '-' ? 62 : 63;
    }
    return -1;
}

int
cql_json_base64_decode(const char *s, size_t len, struct cql_wr *out)
{
    size_t mark = out->len;
    size_t pad = 0;
    int alphabets = 0;
    uint32_t acc = 0;
    int bits = 0;

    while (pad < 2 && pad < len && s[len - 1 - pad] == '=') {
        pad++;
    }
    if (pad > 0 && len % 4 != 0) {
        return CQL_ETYPE;
    }
    len -= pad;
    if (len % 4 == 1) {
        return CQL_ETYPE;
    }
    for (size_t i = 0; i < len; i++) {
        int v = b64_digit(s[i], &alphabets);

        if (v < 0 || alphabets == 3) {
            out->len = mark;
            return CQL_ETYPE;
        }
        acc = (acc << 6 | (uint32_t)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            cql_wr_byte(out, (uint8_t)(acc >> bits));
        }
    }
    /* Bits left over must be zero, so each byte string has exactly one encoding. */
    if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) {
        out->len = mark;
        return CQL_ETYPE;
    }
    return out->err != 0 ? CQL_ENOSPC : 0;
}
