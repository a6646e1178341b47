/*
 * cql_type.c: CQL type descriptors from [option] metadata, from Java marshal class names and from
 * CQL type text, and back to CQL type text.
 *
 * Everything here builds small read-only trees in the caller's allocator; nothing is freed singly.
 * Recursion is bounded by CQL_TYPE_MAX_DEPTH, and counts read from the wire are checked against
 * the bytes left before anything is allocated for them, so hostile metadata fails fast.
 */
#include "cql_type.h"

#define MARSHAL_PREFIX      "org.apache.cassandra.db.marshal."
#define MARSHAL_PREFIX_LEN  (sizeof(MARSHAL_PREFIX) - 1)

/* ---- tree building --------------------------------------------------------------------------- */

/* Allocates a zeroed type of ID with room for N subtypes (and N field names for UDTs). */
static struct cql_type *
type_alloc(const struct cql_alloc *a, int id, size_t n)
{
    struct cql_type *t = cql_alloc(a, sizeof(*t));

    if (t == NULL) {
        return NULL;
    }
    memset(t, 0, sizeof(*t));
    t->id = (uint16_t)id;
    t->n = (uint16_t)n;
    if (n > 0) {
        const struct cql_type **sub = cql_alloc(a, n * sizeof(*sub));

        if (sub == NULL) {
            return NULL;
        }
        memset(sub, 0, n * sizeof(*sub));
        t->sub = sub;
        if (id == CQL_TYPE_UDT) {
            struct cql_str *names = cql_alloc(a, n * sizeof(*names));

            if (names == NULL) {
                return NULL;
            }
            memset(names, 0, n * sizeof(*names));
            t->field_names = names;
        }
    }
    return t;
}

/* Copies LEN bytes at P into A as a slice; false when A is exhausted. */
static bool
str_dup(const struct cql_alloc *a, const char *p, size_t len, struct cql_str *out)
{
    char *d;

    out->p = "";
    out->len = 0;
    if (len == 0) {
        return true;
    }
    d = cql_alloc(a, len);
    if (d == NULL) {
        return false;
    }
    memcpy(d, p, len);
    out->p = d;
    out->len = len;
    return true;
}

struct cql_type *
cql_type_new_native(const struct cql_alloc *a, int id)
{
    return type_alloc(a, id, 0);
}

static bool
is_native_id(int id)
{
    switch (id) {
    case CQL_TYPE_ASCII:
    case CQL_TYPE_BIGINT:
    case CQL_TYPE_BLOB:
    case CQL_TYPE_BOOLEAN:
    case CQL_TYPE_COUNTER:
    case CQL_TYPE_DECIMAL:
    case CQL_TYPE_DOUBLE:
    case CQL_TYPE_FLOAT:
    case CQL_TYPE_INT:
    case CQL_TYPE_TIMESTAMP:
    case CQL_TYPE_UUID:
    case CQL_TYPE_VARCHAR:
    case CQL_TYPE_VARINT:
    case CQL_TYPE_TIMEUUID:
    case CQL_TYPE_INET:
    case CQL_TYPE_DATE:
    case CQL_TYPE_TIME:
    case CQL_TYPE_SMALLINT:
    case CQL_TYPE_TINYINT:
    case CQL_TYPE_DURATION:
        return true;
    }
    return false;
}

/* ---- Java marshal class names ---------------------------------------------------------------- */

/*
 * The short marshal class names of the native types. DateType is the pre-2.0 timestamp class; its
 * values are the same 8 bytes.
 */
static const struct {
    const char *name;                   /* class name without the package */
    int         id;                     /* CQL_TYPE_* */
} marshal_natives[] = {
    { "AsciiType",          CQL_TYPE_ASCII     },
    { "LongType",           CQL_TYPE_BIGINT    },
    { "BytesType",          CQL_TYPE_BLOB      },
    { "BooleanType",        CQL_TYPE_BOOLEAN   },
    { "CounterColumnType",  CQL_TYPE_COUNTER   },
    { "DecimalType",        CQL_TYPE_DECIMAL   },
    { "DoubleType",         CQL_TYPE_DOUBLE    },
    { "FloatType",          CQL_TYPE_FLOAT     },
    { "Int32Type",          CQL_TYPE_INT       },
    { "TimestampType",      CQL_TYPE_TIMESTAMP },
    { "DateType",           CQL_TYPE_TIMESTAMP },
    { "UUIDType",           CQL_TYPE_UUID      },
    { "UTF8Type",           CQL_TYPE_VARCHAR   },
    { "IntegerType",        CQL_TYPE_VARINT    },
    { "TimeUUIDType",       CQL_TYPE_TIMEUUID  },
    { "InetAddressType",    CQL_TYPE_INET      },
    { "SimpleDateType",     CQL_TYPE_DATE      },
    { "TimeType",           CQL_TYPE_TIME      },
    { "ShortType",          CQL_TYPE_SMALLINT  },
    { "ByteType",           CQL_TYPE_TINYINT   },
    { "DurationType",       CQL_TYPE_DURATION  },
};

/* The parameterised classes cqlgate understands. */
enum cls_kind {
    CLS_UNKNOWN = 0,
    CLS_LIST,
    CLS_SET,
    CLS_MAP,
    CLS_TUPLE,
    CLS_UDT,
    CLS_VECTOR,
    CLS_FROZEN,
    CLS_REVERSED,
};

static const struct {
    const char   *name;                 /* class name without the package */
    enum cls_kind kind;                 /* what it builds */
} marshal_params[] = {
    { "ListType",       CLS_LIST     },
    { "SetType",        CLS_SET      },
    { "MapType",        CLS_MAP      },
    { "TupleType",      CLS_TUPLE    },
    { "UserType",       CLS_UDT      },
    { "VectorType",     CLS_VECTOR   },
    { "FrozenType",     CLS_FROZEN   },
    { "ReversedType",   CLS_REVERSED },
};

/* A cursor over class-name text. */
struct cls {
    const char          *p;             /* next character */
    const char          *end;           /* one past the last character */
    const struct cql_alloc *a;          /* where trees and strings go */
};

/* Internal result of the class parser: the text is not a class name we can read. */
#define CLS_ESYNTAX  (-1)

static bool
slice_eq(const char *p, size_t len, const char *s)
{
    return strlen(s) == len && memcmp(p, s, len) == 0;
}

static void
cls_blanks(struct cls *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')) {
        c->p++;
    }
}

/* A class name, keyspace, hex field name or number: anything up to punctuation or a blank. */
static size_t
cls_word(struct cls *c, const char **start)
{
    cls_blanks(c);
    *start = c->p;
    while (c->p < c->end) {
        char ch = *c->p;

        if (ch == '(' || ch == ')' || ch == ',' || ch == ':' || ch == ' ' || ch == '\t'
            || ch == '\n' || ch == '\r') {
            break;
        }
        c->p++;
    }
    return (size_t)(c->p - *start);
}

static bool
cls_peek(struct cls *c, char ch)
{
    cls_blanks(c);
    return c->p < c->end && *c->p == ch;
}

/*
 * Skips a balanced parameter list starting at '(' and returns how many top-level parameters it
 * holds (0 for "()"); -1 when the parentheses do not balance. The cursor is not moved.
 */
static int
cls_count_params(const struct cls *c)
{
    const char *p = c->p;
    int depth = 0;
    int count = 0;
    bool any = false;

    for (; p < c->end; p++) {
        if (*p == '(') {
            depth++;
            if (depth == 1) {
                continue;
            }
        } else if (*p == ')') {
            depth--;
            if (depth == 0) {
                return any ? count + 1 : 0;
            }
        } else if (*p == ',' && depth == 1) {
            count++;
        }
        if (depth >= 1 && *p != ' ') {
            any = true;
        }
        if (count >= 65535) {
            return -1;
        }
    }
    return -1;
}

/* Moves past a balanced parameter list at '('. */
static void
cls_skip_params(struct cls *c)
{
    int depth = 0;

    for (; c->p < c->end; c->p++) {
        if (*c->p == '(') {
            depth++;
        } else if (*c->p == ')') {
            depth--;
            if (depth == 0) {
                c->p++;
                return;
            }
        }
    }
}

static int cls_type(struct cls *c, int depth, struct cql_type **out);

/* Expects CH (after blanks); CLS_ESYNTAX otherwise. */
static int
cls_expect(struct cls *c, char ch)
{
    if (!cls_peek(c, ch)) {
        return CLS_ESYNTAX;
    }
    c->p++;
    return 0;
}

/* Reads N comma-separated types into T->sub, the list's '(' already consumed; eats the ')'. */
static int
cls_subtypes(struct cls *c, int depth, struct cql_type *t, size_t first, size_t n)
{
    for (size_t i = first; i < n; i++) {
        struct cql_type *sub;
        int rc;

        if (i > first && cls_expect(c, ',') != 0) {
            return CLS_ESYNTAX;
        }
        rc = cls_type(c, depth + 1, &sub);
        if (rc != 0) {
            return rc;
        }
        t->sub[i] = sub;
    }
    return cls_expect(c, ')');
}

/* Decodes hex text (UserType names) into A. */
static int
cls_unhex(struct cls *c, const char *p, size_t len, struct cql_str *out)
{
    char *d;

    if (len % 2 != 0) {
        return CLS_ESYNTAX;
    }
    out->p = "";
    out->len = 0;
    if (len == 0) {
        return 0;
    }
    d = cql_alloc(c->a, len / 2);
    if (d == NULL) {
        return CQL_ENOMEM;
    }
    for (size_t i = 0; i < len; i += 2) {
        int hi = cql_hex_digit(p[i]);
        int lo = cql_hex_digit(p[i + 1]);

        if (hi < 0 || lo < 0) {
            return CLS_ESYNTAX;
        }
        d[i / 2] = (char)(hi << 4 | lo);
    }
    out->p = d;
    out->len = len / 2;
    return 0;
}

/* UserType(keyspace,hexname,hexfield:type,...): NPARAMS counts keyspace and name too. */
static int
cls_udt(struct cls *c, int depth, int nparams, struct cql_type **out)
{
    struct cql_type *t;
    const char *w;
    size_t wlen;
    int rc;

    if (nparams < 2) {
        return CLS_ESYNTAX;
    }
    t = type_alloc(c->a, CQL_TYPE_UDT, (size_t)nparams - 2);
    if (t == NULL) {
        return CQL_ENOMEM;
    }
    wlen = cls_word(c, &w);
    if (wlen == 0 || !str_dup(c->a, w, wlen, &t->keyspace)) {
        return wlen == 0 ? CLS_ESYNTAX : CQL_ENOMEM;
    }
    if (cls_expect(c, ',') != 0) {
        return CLS_ESYNTAX;
    }
    wlen = cls_word(c, &w);
    rc = cls_unhex(c, w, wlen, &t->name);
    if (rc != 0) {
        return rc;
    }
    for (size_t i = 0; i < t->n; i++) {
        struct cql_type *sub;

        if (cls_expect(c, ',') != 0) {
            return CLS_ESYNTAX;
        }
        wlen = cls_word(c, &w);
        rc = cls_unhex(c, w, wlen, (struct cql_str *)&t->field_names[i]);
        if (rc != 0) {
            return rc;
        }
        if (cls_expect(c, ':') != 0) {
            return CLS_ESYNTAX;
        }
        rc = cls_type(c, depth + 1, &sub);
        if (rc != 0) {
            return rc;
        }
        t->sub[i] = sub;
    }
    *out = t;
    return cls_expect(c, ')');
}

/* VectorType(elem , dim): the dimension must be a positive int32. */
static int
cls_vector(struct cls *c, int depth, struct cql_type **out)
{
    struct cql_type *t = type_alloc(c->a, CQL_TYPE_VECTOR, 1);
    struct cql_type *sub;
    const char *w;
    size_t wlen;
    int64_t dim = 0;
    int rc;

    if (t == NULL) {
        return CQL_ENOMEM;
    }
    rc = cls_type(c, depth + 1, &sub);
    if (rc != 0) {
        return rc;
    }
    t->sub[0] = sub;
    if (cls_expect(c, ',') != 0) {
        return CLS_ESYNTAX;
    }
    wlen = cls_word(c, &w);
    if (wlen == 0 || wlen > 10) {
        return CLS_ESYNTAX;
    }
    for (size_t i = 0; i < wlen; i++) {
        if (w[i] < '0' || w[i] > '9') {
            return CLS_ESYNTAX;
        }
        dim = dim * 10 + (w[i] - '0');
    }
    if (dim <= 0 || dim > INT32_MAX) {
        return CLS_ESYNTAX;
    }
    t->dim = (int32_t)dim;
    *out = t;
    return cls_expect(c, ')');
}

/* A class we do not model: CUSTOM holding its full text, parameters included. */
static int
cls_custom(struct cls *c, const char *start, struct cql_type **out)
{
    struct cql_type *t;

    if (cls_peek(c, '(')) {
        if (cls_count_params(c) < 0) {
            return CLS_ESYNTAX;
        }
        cls_skip_params(c);
    }
    t = type_alloc(c->a, CQL_TYPE_CUSTOM, 0);
    if (t == NULL || !str_dup(c->a, start, (size_t)(c->p - start), &t->custom)) {
        return CQL_ENOMEM;
    }
    *out = t;
    return 0;
}

static int
cls_type(struct cls *c, int depth, struct cql_type **out)
{
    const char *start;
    const char *name;
    size_t len = cls_word(c, &start);
    enum cls_kind kind = CLS_UNKNOWN;
    struct cql_type *t;
    int nparams;
    int rc;

    if (depth > CQL_TYPE_MAX_DEPTH) {
        return CQL_ETYPE;
    }
    if (len == 0) {
        return CLS_ESYNTAX;
    }
    name = start;
    if (len > MARSHAL_PREFIX_LEN && memcmp(name, MARSHAL_PREFIX, MARSHAL_PREFIX_LEN) == 0) {
        name += MARSHAL_PREFIX_LEN;
        len -= MARSHAL_PREFIX_LEN;
    } else if (memchr(name, '.', len) != NULL) {
        return cls_custom(c, start, out);
    }
    if (!cls_peek(c, '(')) {
        for (size_t i = 0; i < sizeof(marshal_natives) / sizeof(marshal_natives[0]); i++) {
            if (slice_eq(name, len, marshal_natives[i].name)) {
                t = type_alloc(c->a, marshal_natives[i].id, 0);
                if (t == NULL) {
                    return CQL_ENOMEM;
                }
                *out = t;
                return 0;
            }
        }
        return cls_custom(c, start, out);
    }
    for (size_t i = 0; i < sizeof(marshal_params) / sizeof(marshal_params[0]); i++) {
        if (slice_eq(name, len, marshal_params[i].name)) {
            kind = marshal_params[i].kind;
        }
    }
    nparams = cls_count_params(c);
    if (nparams < 0) {
        return CLS_ESYNTAX;
    }
    if (kind == CLS_UNKNOWN) {
        return cls_custom(c, start, out);
    }
    c->p++;     /* the '(' */
    switch (kind) {
    case CLS_LIST:
    case CLS_SET:
    case CLS_MAP:
    case CLS_TUPLE: {
        static const int ids[] = { 0, CQL_TYPE_LIST, CQL_TYPE_SET, CQL_TYPE_MAP, CQL_TYPE_TUPLE };
        size_t want = kind == CLS_MAP ? 2 : kind == CLS_TUPLE ? (size_t)nparams : 1;

        if ((size_t)nparams != want) {
            return CLS_ESYNTAX;
        }
        t = type_alloc(c->a, ids[kind], want);
        if (t == NULL) {
            return CQL_ENOMEM;
        }
        rc = cls_subtypes(c, depth, t, 0, want);
        *out = t;
        return rc;
    }
    case CLS_UDT:
        return cls_udt(c, depth, nparams, out);
    case CLS_VECTOR:
        return nparams == 2 ? cls_vector(c, depth, out) : CLS_ESYNTAX;
    case CLS_FROZEN:
    case CLS_REVERSED:
        if (nparams != 1) {
            return CLS_ESYNTAX;
        }
        rc = cls_type(c, depth + 1, &t);
        if (rc != 0) {
            return rc;
        }
        if (kind == CLS_FROZEN) {
            t->frozen = true;
        }
        *out = t;
        return cls_expect(c, ')');
    case CLS_UNKNOWN:
        break;
    }
    return CLS_ESYNTAX;
}

int
cql_type_from_class(const char *s, size_t len, const struct cql_alloc *a, struct cql_type **out)
{
    struct cls c = { s, s + len, a };
    struct cql_type *t = NULL;
    int rc = cls_type(&c, 1, &t);

    if (rc == 0) {
        cls_blanks(&c);
        if (c.p != c.end) {
            rc = CLS_ESYNTAX;
        }
    }
    if (rc == CLS_ESYNTAX) {
        /* Not something we can read: keep the whole class name as an opaque custom type. */
        t = type_alloc(a, CQL_TYPE_CUSTOM, 0);
        if (t == NULL || !str_dup(a, s, len, &t->custom)) {
            return CQL_ENOMEM;
        }
        rc = 0;
    }
    if (rc != 0) {
        return rc;
    }
    *out = t;
    return 0;
}

/* ---- [option] (native_protocol_v5.spec, section 4.2.5.2) ------------------------------------- */

static int read_option(struct cql_rd *r, const struct cql_alloc *a, int depth,
                       struct cql_type **out);

/* Reads a [string] and copies it into A. */
static int
read_name(struct cql_rd *r, const struct cql_alloc *a, struct cql_str *out)
{
    struct cql_str s = cql_rd_string(r);

    if (r->err != 0) {
        return r->err;
    }
    if (!str_dup(a, s.p, s.len, out)) {
        return cql_rd_fail(r, CQL_ENOMEM, "allocator returned no memory");
    }
    return 0;
}

/* UDT option: [string] keyspace, [string] name, [short] n, n x ([string] field, [option]). */
static int
read_udt(struct cql_rd *r, const struct cql_alloc *a, int depth, struct cql_type **out)
{
    struct cql_str ks;
    struct cql_str name;
    struct cql_type *t;
    size_t n;
    int rc;

    rc = read_name(r, a, &ks);
    if (rc == 0) {
        rc = read_name(r, a, &name);
    }
    if (rc != 0) {
        return rc;
    }
    n = cql_rd_short(r);
    /* Each field needs at least a 2-byte name length and a 2-byte type id. */
    if (r->err != 0 || cql_rd_left(r) < n * 4) {
        return cql_rd_fail(r, CQL_EPROTO, "truncated user type");
    }
    t = type_alloc(a, CQL_TYPE_UDT, n);
    if (t == NULL) {
        return cql_rd_fail(r, CQL_ENOMEM, "allocator returned no memory");
    }
    t->keyspace = ks;
    t->name = name;
    for (size_t i = 0; i < n; i++) {
        struct cql_type *sub;

        rc = read_name(r, a, (struct cql_str *)&t->field_names[i]);
        if (rc == 0) {
            rc = read_option(r, a, depth + 1, &sub);
        }
        if (rc != 0) {
            return rc;
        }
        t->sub[i] = sub;
    }
    *out = t;
    return 0;
}

static int
read_option(struct cql_rd *r, const struct cql_alloc *a, int depth, struct cql_type **out)
{
    int id = cql_rd_short(r);
    struct cql_type *t;
    struct cql_str cls;
    size_t n;
    int rc;

    if (r->err != 0) {
        return r->err;
    }
    if (depth > CQL_TYPE_MAX_DEPTH) {
        return cql_rd_fail(r, CQL_ETYPE, "type nesting too deep");
    }
    switch (id) {
    case CQL_TYPE_CUSTOM:
        cls = cql_rd_string(r);
        if (r->err != 0) {
            return r->err;
        }
        rc = cql_type_from_class(cls.p, cls.len, a, &t);
        if (rc != 0) {
            return cql_rd_fail(r, rc, rc == CQL_ETYPE ? "type nesting too deep"
                                                      : "allocator returned no memory");
        }
        *out = t;
        return 0;
    case CQL_TYPE_LIST:
    case CQL_TYPE_SET:
    case CQL_TYPE_MAP:
        n = id == CQL_TYPE_MAP ? 2 : 1;
        break;
    case CQL_TYPE_TUPLE:
        n = cql_rd_short(r);
        break;
    case CQL_TYPE_UDT:
        return read_udt(r, a, depth, out);
    default:
        if (!is_native_id(id)) {
            return cql_rd_fail(r, CQL_EPROTO, "unknown type id in [option]");
        }
        t = type_alloc(a, id, 0);
        if (t == NULL) {
            return cql_rd_fail(r, CQL_ENOMEM, "allocator returned no memory");
        }
        *out = t;
        return 0;
    }
    /* list, set, map, tuple: N subtype options, each at least 2 bytes. */
    if (r->err != 0 || cql_rd_left(r) < n * 2) {
        return cql_rd_fail(r, CQL_EPROTO, "truncated type option");
    }
    t = type_alloc(a, id, n);
    if (t == NULL) {
        return cql_rd_fail(r, CQL_ENOMEM, "allocator returned no memory");
    }
    for (size_t i = 0; i < n; i++) {
        struct cql_type *sub;

        rc = read_option(r, a, depth + 1, &sub);
        if (rc != 0) {
            return rc;
        }
        t->sub[i] = sub;
    }
    *out = t;
    return 0;
}

int
cql_type_read_option(struct cql_rd *r, const struct cql_alloc *a, struct cql_type **out)
{
    if (r->err != 0) {
        return r->err;
    }
    return read_option(r, a, 1, out);
}

/* ---- CQL type text --------------------------------------------------------------------------- */

/* The native type keywords of CQL type text; varchar is an alias that formats as text. */
static const struct {
    const char *name;                   /* keyword, lower case */
    int         id;                     /* CQL_TYPE_* */
} cql_keywords[] = {
    { "ascii",      CQL_TYPE_ASCII     },
    { "bigint",     CQL_TYPE_BIGINT    },
    { "blob",       CQL_TYPE_BLOB      },
    { "boolean",    CQL_TYPE_BOOLEAN   },
    { "counter",    CQL_TYPE_COUNTER   },
    { "date",       CQL_TYPE_DATE      },
    { "decimal",    CQL_TYPE_DECIMAL   },
    { "double",     CQL_TYPE_DOUBLE    },
    { "duration",   CQL_TYPE_DURATION  },
    { "float",      CQL_TYPE_FLOAT     },
    { "inet",       CQL_TYPE_INET      },
    { "int",        CQL_TYPE_INT       },
    { "smallint",   CQL_TYPE_SMALLINT  },
    { "text",       CQL_TYPE_VARCHAR   },
    { "time",       CQL_TYPE_TIME      },
    { "timestamp",  CQL_TYPE_TIMESTAMP },
    { "timeuuid",   CQL_TYPE_TIMEUUID  },
    { "tinyint",    CQL_TYPE_TINYINT   },
    { "uuid",       CQL_TYPE_UUID      },
    { "varchar",    CQL_TYPE_VARCHAR   },
    { "varint",     CQL_TYPE_VARINT    },
};

/* Words that open a parameterised type; a user type by one of these names must be quoted. */
static const char *const cql_generics[] = { "list", "set", "map", "tuple", "frozen", "vector" };

/* A cursor over CQL type text. */
struct tp {
    const char             *p;          /* next character */
    const char             *end;        /* one past the last */
    const struct cql_alloc *a;          /* where trees go */
    const char             *err;        /* description of the first error */
};

static bool
is_ident_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool
is_ident_char(char c)
{
    return is_ident_start(c) || (c >= '0' && c <= '9');
}

static char
to_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Case-insensitive comparison of a slice with a lower-case NUL-terminated word. */
static bool
word_is(const char *p, size_t len, const char *w)
{
    size_t i;

    for (i = 0; i < len && w[i] != '\0'; i++) {
        if (to_lower(p[i]) != w[i]) {
            return false;
        }
    }
    return i == len && w[i] == '\0';
}

static void
tp_blanks(struct tp *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')) {
        c->p++;
    }
}

static bool
tp_eat(struct tp *c, char ch)
{
    tp_blanks(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return true;
    }
    return false;
}

static int
tp_fail(struct tp *c, int err, const char *desc)
{
    if (c->err == NULL) {
        c->err = desc;
    }
    return err;
}

/*
 * A string between QUOTEs at C (the opening quote is next), where a doubled quote stands for one,
 * unescaped into the allocator. UNTERMINATED and EMPTY are the error descriptions.
 */
static int
tp_quoted(struct tp *c, char quote, const char *unterminated, const char *empty,
          struct cql_str *out)
{
    const char *start = ++c->p;
    char *d;
    size_t n = 0;

    for (;;) {
        if (c->p == c->end) {
            return tp_fail(c, CQL_ETYPE, unterminated);
        }
        if (*c->p == quote) {
            if (c->p + 1 < c->end && c->p[1] == quote) {
                c->p += 2;
                n++;
                continue;
            }
            break;
        }
        c->p++;
        n++;
    }
    if (n == 0) {
        return tp_fail(c, CQL_ETYPE, empty);
    }
    d = cql_alloc(c->a, n);
    if (d == NULL) {
        return tp_fail(c, CQL_ENOMEM, "allocator returned no memory");
    }
    for (size_t i = 0; start < c->p; i++) {
        d[i] = *start;
        start += *start == quote ? 2 : 1;
    }
    c->p++;
    out->p = d;
    out->len = n;
    return 0;
}

/*
 * A name: a bare identifier (folded to lower case, as CQL does) or a double-quoted one ("" is a
 * quote) kept as written. Copied into the allocator.
 */
static int
tp_name(struct tp *c, struct cql_str *out, bool *quoted)
{
    const char *start;
    char *d;
    size_t n;

    tp_blanks(c);
    *quoted = c->p < c->end && *c->p == '"';
    if (*quoted) {
        return tp_quoted(c, '"', "unterminated quoted name", "empty quoted name", out);
    }
    start = c->p;
    if (c->p == c->end || !is_ident_start(*c->p)) {
        return tp_fail(c, CQL_ETYPE, "expected a type name");
    }
    while (c->p < c->end && is_ident_char(*c->p)) {
        c->p++;
    }
    n = (size_t)(c->p - start);
    d = cql_alloc(c->a, n);
    if (d == NULL) {
        return tp_fail(c, CQL_ENOMEM, "allocator returned no memory");
    }
    for (size_t i = 0; i < n; i++) {
        d[i] = to_lower(start[i]);
    }
    out->p = d;
    out->len = n;
    return 0;
}

static int tp_type(struct tp *c, int depth, struct cql_type **out);

/* Reads N comma-separated subtypes into T and the closing '>'. */
static int
tp_params(struct tp *c, int depth, struct cql_type *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct cql_type *sub;
        int rc;

        if (i > 0 && !tp_eat(c, ',')) {
            return tp_fail(c, CQL_ETYPE, "expected ',' between type parameters");
        }
        rc = tp_type(c, depth + 1, &sub);
        if (rc != 0) {
            return rc;
        }
        t->sub[i] = sub;
    }
    if (!tp_eat(c, '>')) {
        return tp_fail(c, CQL_ETYPE, "expected '>' to close the type parameters");
    }
    return 0;
}

/* Counts the top-level parameters of a tuple<...> without moving the cursor. */
static size_t
tp_count_params(const struct tp *c)
{
    int depth = 0;
    size_t n = 1;
    bool quote = false;

    for (const char *p = c->p; p < c->end; p++) {
        if (*p == '\'' || *p == '"') {
            quote = !quote;
        } else if (quote) {
            continue;
        } else if (*p == '<') {
            depth++;
        } else if (*p == '>') {
            if (depth-- == 0) {
                break;
            }
        } else if (*p == ',' && depth == 0) {
            n++;
        }
    }
    return n;
}

/* 'custom.Class.Name' with '' escapes. */
static int
tp_custom(struct tp *c, struct cql_type **out)
{
    struct cql_type *t = type_alloc(c->a, CQL_TYPE_CUSTOM, 0);
    int rc;

    if (t == NULL) {
        return tp_fail(c, CQL_ENOMEM, "allocator returned no memory");
    }
    rc = tp_quoted(c, '\'', "unterminated custom type class name", "empty custom type class name",
                   &t->custom);
    if (rc != 0) {
        return rc;
    }
    *out = t;
    return 0;
}

/* vector<T, N>: after "vector<". */
static int
tp_vector(struct tp *c, int depth, struct cql_type **out)
{
    struct cql_type *t = type_alloc(c->a, CQL_TYPE_VECTOR, 1);
    struct cql_type *sub;
    int64_t dim = 0;
    int rc;

    if (t == NULL) {
        return tp_fail(c, CQL_ENOMEM, "allocator returned no memory");
    }
    rc = tp_type(c, depth + 1, &sub);
    if (rc != 0) {
        return rc;
    }
    t->sub[0] = sub;
    if (!tp_eat(c, ',')) {
        return tp_fail(c, CQL_ETYPE, "expected ',' before the vector dimension");
    }
    tp_blanks(c);
    if (c->p == c->end || *c->p < '0' || *c->p > '9') {
        return tp_fail(c, CQL_ETYPE, "expected a vector dimension");
    }
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        dim = dim * 10 + (*c->p++ - '0');
        if (dim > INT32_MAX) {
            return tp_fail(c, CQL_ETYPE, "vector dimension too large");
        }
    }
    if (dim == 0) {
        return tp_fail(c, CQL_ETYPE, "vector dimension must be positive");
    }
    if (!tp_eat(c, '>')) {
        return tp_fail(c, CQL_ETYPE, "expected '>' after the vector dimension");
    }
    t->dim = (int32_t)dim;
    *out = t;
    return 0;
}

/* A parameterised type NAME< ... > after its '<'. */
static int
tp_generic(struct tp *c, const char *name, int depth, struct cql_type **out)
{
    struct cql_type *t;
    int rc;

    if (strcmp(name, "frozen") == 0) {
        rc = tp_type(c, depth + 1, &t);
        if (rc != 0) {
            return rc;
        }
        if (t->id != CQL_TYPE_LIST && t->id != CQL_TYPE_SET && t->id != CQL_TYPE_MAP
            && t->id != CQL_TYPE_TUPLE && t->id != CQL_TYPE_UDT && t->id != CQL_TYPE_VECTOR) {
            return tp_fail(c, CQL_ETYPE, "frozen<> needs a collection, tuple or user type");
        }
        if (!tp_eat(c, '>')) {
            return tp_fail(c, CQL_ETYPE, "expected '>' after frozen<...");
        }
        t->frozen = true;
        *out = t;
        return 0;
    }
    if (strcmp(name, "vector") == 0) {
        return tp_vector(c, depth, out);
    }
    if (strcmp(name, "list") == 0 || strcmp(name, "set") == 0) {
        t = type_alloc(c->a, name[0] == 'l' ? CQL_TYPE_LIST : CQL_TYPE_SET, 1);
    } else if (strcmp(name, "map") == 0) {
        t = type_alloc(c->a, CQL_TYPE_MAP, 2);
    } else {
        size_t n = tp_count_params(c);

        if (n > UINT16_MAX) {
            return tp_fail(c, CQL_ETYPE, "too many tuple fields");
        }
        t = type_alloc(c->a, CQL_TYPE_TUPLE, n);
    }
    if (t == NULL) {
        return tp_fail(c, CQL_ENOMEM, "allocator returned no memory");
    }
    rc = tp_params(c, depth, t, t->n);
    *out = t;
    return rc;
}

static int
tp_type(struct tp *c, int depth, struct cql_type **out)
{
    const char *start;
    size_t len;
    struct cql_type *t;
    struct cql_str name;
    bool quoted;
    int rc;

    if (depth > CQL_TYPE_MAX_DEPTH) {
        return tp_fail(c, CQL_ETYPE, "type nesting too deep");
    }
    tp_blanks(c);
    if (c->p < c->end && *c->p == '\'') {
        return tp_custom(c, out);
    }
    start = c->p;
    while (c->p < c->end && is_ident_char(*c->p)) {
        c->p++;
    }
    len = (size_t)(c->p - start);
    tp_blanks(c);
    if (len > 0 && c->p < c->end && *c->p == '<') {
        for (size_t i = 0; i < sizeof(cql_generics) / sizeof(cql_generics[0]); i++) {
            if (word_is(start, len, cql_generics[i])) {
                c->p++;
                return tp_generic(c, cql_generics[i], depth, out);
            }
        }
        return tp_fail(c, CQL_ETYPE, "unknown parameterised type");
    }
    for (size_t i = 0; i < sizeof(cql_keywords) / sizeof(cql_keywords[0]); i++) {
        if (len > 0 && word_is(start, len, cql_keywords[i].name)) {
            t = type_alloc(c->a, cql_keywords[i].id, 0);
            if (t == NULL) {
                return tp_fail(c, CQL_ENOMEM, "allocator returned no memory");
            }
            *out = t;
            return 0;
        }
    }
    /* A user type: [keyspace.]name, each part bare or double-quoted. */
    c->p = start;
    t = type_alloc(c->a, CQL_TYPE_UDT, 0);
    if (t == NULL) {
        return tp_fail(c, CQL_ENOMEM, "allocator returned no memory");
    }
    rc = tp_name(c, &name, &quoted);
    if (rc != 0) {
        return rc;
    }
    if (c->p < c->end && *c->p == '.') {
        c->p++;
        t->keyspace = name;
        rc = tp_name(c, &name, &quoted);
        if (rc != 0) {
            return rc;
        }
    }
    t->name = name;
    *out = t;
    return 0;
}

int
cql_type_parse(const char *s, size_t len, const struct cql_alloc *a, struct cql_type **out,
               const char **err_desc)
{
    struct tp c = { s, s + len, a, NULL };
    struct cql_type *t = NULL;
    int rc = tp_type(&c, 1, &t);

    if (rc == 0) {
        tp_blanks(&c);
        if (c.p != c.end) {
            rc = tp_fail(&c, CQL_ETYPE, "unexpected text after type");
        }
    }
    if (rc != 0) {
        if (err_desc != NULL) {
            *err_desc = c.err != NULL ? c.err : "malformed type";
        }
        return rc;
    }
    *out = t;
    return 0;
}

/* ---- formatting ------------------------------------------------------------------------------ */

static void
wr_text(struct cql_wr *w, const char *s)
{
    cql_wr_raw(w, s, strlen(s));
}

/* A name as CQL needs it: bare when a plain lower-case identifier that is no type keyword. */
static void
fmt_name(struct cql_wr *w, struct cql_str s)
{
    bool plain = s.len > 0 && s.p[0] >= 'a' && s.p[0] <= 'z';

    for (size_t i = 0; i < s.len && plain; i++) {
        char ch = s.p[i];

        plain = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
    }
    for (size_t i = 0; i < sizeof(cql_keywords) / sizeof(cql_keywords[0]) && plain; i++) {
        plain = !slice_eq(s.p, s.len, cql_keywords[i].name);
    }
    for (size_t i = 0; i < sizeof(cql_generics) / sizeof(cql_generics[0]) && plain; i++) {
        plain = !slice_eq(s.p, s.len, cql_generics[i]);
    }
    if (plain) {
        cql_wr_raw(w, s.p, s.len);
        return;
    }
    cql_wr_byte(w, '"');
    for (size_t i = 0; i < s.len; i++) {
        if (s.p[i] == '"') {
            cql_wr_byte(w, '"');
        }
        cql_wr_byte(w, (uint8_t)s.p[i]);
    }
    cql_wr_byte(w, '"');
}

static void
fmt_type(const struct cql_type *t, struct cql_wr *w)
{
    if (t->frozen) {
        wr_text(w, "frozen<");
    }
    switch (t->id) {
    case CQL_TYPE_CUSTOM:
        cql_wr_byte(w, '\'');
        for (size_t i = 0; i < t->custom.len; i++) {
            if (t->custom.p[i] == '\'') {
                cql_wr_byte(w, '\'');
            }
            cql_wr_byte(w, (uint8_t)t->custom.p[i]);
        }
        cql_wr_byte(w, '\'');
        break;
    case CQL_TYPE_LIST:
    case CQL_TYPE_SET:
    case CQL_TYPE_MAP:
    case CQL_TYPE_TUPLE:
        wr_text(w, t->id == CQL_TYPE_LIST ? "list<" : t->id == CQL_TYPE_SET ? "set<"
                 : t->id == CQL_TYPE_MAP ? "map<" : "tuple<");
        for (size_t i = 0; i < t->n; i++) {
            if (i > 0) {
                wr_text(w, ", ");
            }
            fmt_type(t->sub[i], w);
        }
        cql_wr_byte(w, '>');
        break;
    case CQL_TYPE_VECTOR: {
        char digits[12];
        size_t n = 0;
        uint32_t v = (uint32_t)t->dim;

        wr_text(w, "vector<");
        fmt_type(t->sub[0], w);
        wr_text(w, ", ");
        do {
            digits[sizeof(digits) - 1 - n++] = (char)('0' + v % 10);
            v /= 10;
        } while (v != 0);
        cql_wr_raw(w, digits + sizeof(digits) - n, n);
        cql_wr_byte(w, '>');
        break;
    }
    case CQL_TYPE_UDT:
        if (t->keyspace.len > 0) {
            fmt_name(w, t->keyspace);
            cql_wr_byte(w, '.');
        }
        fmt_name(w, t->name);
        break;
    default:
        wr_text(w, cql_type_name(t->id));
        break;
    }
    if (t->frozen) {
        cql_wr_byte(w, '>');
    }
}

size_t
cql_type_format(const struct cql_type *t, struct cql_wr *w)
{
    size_t start = w->len;

    fmt_type(t, w);
    return w->err != 0 ? 0 : w->len - start;
}

/* ---- properties ------------------------------------------------------------------------------ */

/*
 * Fixed sizes as Cassandra 5.0 declares them (AbstractType.valueLengthIfFixed). Note what is not
 * fixed there, although its values always have one size: counter, date, time, smallint and
 * tinyint. Vectors of those carry a length before each element.
 */
int
cql_type_fixed_size(const struct cql_type *t)
{
    int64_t sub;

    switch (t->id) {
    case CQL_TYPE_BOOLEAN:
        return 1;
    case CQL_TYPE_INT:
    case CQL_TYPE_FLOAT:
        return 4;
    case CQL_TYPE_BIGINT:
    case CQL_TYPE_DOUBLE:
    case CQL_TYPE_TIMESTAMP:
        return 8;
    case CQL_TYPE_UUID:
    case CQL_TYPE_TIMEUUID:
        return 16;
    case CQL_TYPE_VECTOR:
        sub = t->n == 1 ? cql_type_fixed_size(t->sub[0]) : -1;
        if (sub < 0 || t->dim <= 0 || sub * t->dim > INT32_MAX) {
            return -1;
        }
        return (int)(sub * t->dim);
    }
    return -1;
}

static bool
str_eq(struct cql_str a, struct cql_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

bool
cql_type_equal(const struct cql_type *x, const struct cql_type *y)
{
    if (x->id != y->id || x->n != y->n || x->dim != y->dim || x->frozen != y->frozen
        || !str_eq(x->custom, y->custom) || !str_eq(x->keyspace, y->keyspace)
        || !str_eq(x->name, y->name)) {
        return false;
    }
    for (size_t i = 0; i < x->n; i++) {
        if (x->field_names != NULL && !str_eq(x->field_names[i], y->field_names[i])) {
            return false;
        }
        if (!cql_type_equal(x->sub[i], y->sub[i])) {
            return false;
        }
    }
    return true;
}
