/*
 * test_cql_json.c: src/api/cql_json: the request-body JSON parser, JSON to CQL values in both
 * input modes of rest-v2.md 5.1 (every type, edge values, the messages of 5.2), rows to JSON
 * with the v2.0 empties and compactMapData, RowsResponse, Base64, and a table of hostile input.
 * Expected bytes either are written out (natives) or come from cql_value_from_text on the
 * equivalent CQL literal, which test_value.c pins against the protocol spec.
 */
#include "test.h"

#include "api/cql_json.h"
#include "core/arena.h"
#include "cql_value.h"

#include <stdlib.h>

/* ---- helpers --------------------------------------------------------------------------------- */

#define M "org.apache.cassandra.db.marshal."

/* address { street text, zip int } */
#define ADDRESS_CLASS                                                                              \
    M "UserType(ks,61646472657373,737472656574:" M "UTF8Type,7a6970:" M "Int32Type)"

/* A type from CQL type text, or from a marshal class name when it starts with "org.". */
static const struct cql_type *
ty(const char *s)
{
    struct cql_type *t = NULL;
    int rc;

    if (strncmp(s, "org.", 4) == 0) {
        rc = cql_type_from_class(s, strlen(s), &test_alloc, &t);
    } else {
        rc = cql_type_parse(s, strlen(s), &test_alloc, &t, NULL);
    }
    if (rc != 0) {
        fprintf(stderr, "  bad test type %s\n", s);
        abort();
    }
    return t;
}

/*
 * JSON trees live in their own arena, emptied by jreset() at the start of each check macro (a
 * tree a test parses by hand lives until the next macro).
 */
static struct arena jarena;
static bool jarena_ready;

static void
jreset(void)
{
    if (jarena_ready) {
        arena_deinit(&jarena);
    }
    arena_init(&jarena, 4096);
    jarena_ready = true;
}

static struct cql_alloc
jalloc(void)
{
    if (!jarena_ready) {
        jreset();
    }
    return arena_cql_alloc(&jarena);
}

static struct cql_json_err last;

/* Parses TEXT (LEN bytes) with FLAGS; the tree, or NULL with `last` describing the failure. */
static struct cql_json_node *
jsn(const char *text, size_t len, unsigned flags, int *rc)
{
    struct cql_alloc a = jalloc();
    struct cql_json_node *v = NULL;

    *rc = cql_json_parse(text, len, flags, &a, &v, &last);
    return v;
}

/* Parses TEXT, which must be valid JSON. */
static struct cql_json_node *
js(const char *text)
{
    int rc;
    struct cql_json_node *v = jsn(text, strlen(text), 0, &rc);

    if (rc != 0) {
        fprintf(stderr, "  bad test JSON %s: %s\n", text, last.detail);
        abort();
    }
    return v;
}

/* Output buffer shared by the helpers; a fixed buffer, so a capacity failure shows as ENOSPC. */
static uint8_t obuf[1 << 20];
static uint8_t lbuf[1 << 16];

/* Converts JSON text to a [value] of TYPE in obuf (after a 3-byte canary, checked on failure). */
static int
conv(const char *type, const char *json, unsigned flags, struct cql_wr *w)
{
    const struct cql_type *t = ty(type);
    int rc;

    jreset();
    cql_wr_init(w, obuf, sizeof(obuf), NULL, NULL);
    cql_wr_raw(w, "abc", 3);
    rc = cql_json_to_value(t, js(json), flags, w, &last);
    if (rc != 0 && (w->len != 3 || memcmp(w->p, "abc", 3) != 0)) {
        fprintf(stderr, "  output not restored after a failure\n");
        return -1;
    }
    return rc;
}

/* The value bytes after the canary and the 4-byte length, which must match them. */
static bool
body_of(const struct cql_wr *w, const uint8_t **p, long *n)
{
    if (w->len < 7) {
        return false;
    }
    *n = (long)(int32_t)cql_be32(w->p + 3);
    *p = w->p + 7;
    return *n < 0 ? w->len == 7 : (size_t)*n == w->len - 7;
}

/* JSON to the value bytes in hex (no length prefix). */
#define TO(type, json, flags, want)                                                                \
    do {                                                                                           \
        struct cql_wr w_;                                                                          \
        uint8_t want_[4096];                                                                       \
        const uint8_t *p_;                                                                         \
        long n_;                                                                                   \
        long wn_ = test_unhex((want), want_, sizeof(want_));                                       \
        int rc_ = conv((type), (json), (flags), &w_);                                              \
        if (rc_ != 0) {                                                                            \
            test_fail(__FILE__, __LINE__, "%s %s: rc %d (%s)", (type), (json), rc_, last.detail); \
            return;                                                                                \
        }                                                                                          \
        OK(wn_ >= 0);                                                                              \
        OK(body_of(&w_, &p_, &n_));                                                                \
        MEMEQ(p_, n_, want_, wn_);                                                                 \
    } while (0)

/* JSON to the same bytes as the CQL literal LIT. */
#define SAME(type, json, flags, lit)                                                               \
    do {                                                                                           \
        struct cql_wr w_;                                                                          \
        struct cql_wr l_;                                                                          \
        const uint8_t *p_;                                                                         \
        long n_;                                                                                   \
        const char *d_ = NULL;                                                                     \
        int rc_ = conv((type), (json), (flags), &w_);                                              \
        if (rc_ != 0) {                                                                            \
            test_fail(__FILE__, __LINE__, "%s %s: rc %d (%s)", (type), (json), rc_, last.detail); \
            return;                                                                                \
        }                                                                                          \
        OK(body_of(&w_, &p_, &n_));                                                                \
        cql_wr_init(&l_, lbuf, sizeof(lbuf), NULL, NULL);                                          \
        EQ(cql_value_from_text(ty(type), (lit), strlen(lit), &l_, &d_), 0);                        \
        MEMEQ(p_, n_, l_.p, l_.len);                                                               \
    } while (0)

/* JSON to a value that renders (cql_value_to_json_opts) as WANT. */
#define TO_JSON(type, json, flags, want)                                                           \
    do {                                                                                           \
        struct cql_wr w_;                                                                          \
        struct cql_wr j_;                                                                          \
        const uint8_t *p_;                                                                         \
        long n_;                                                                                   \
        const char *d_ = NULL;                                                                     \
        int rc_ = conv((type), (json), (flags), &w_);                                              \
        if (rc_ != 0) {                                                                            \
            test_fail(__FILE__, __LINE__, "%s %s: rc %d (%s)", (type), (json), rc_, last.detail); \
            return;                                                                                \
        }                                                                                          \
        OK(body_of(&w_, &p_, &n_));                                                                \
        cql_wr_init(&j_, lbuf, sizeof(lbuf) - 1, NULL, NULL);                                      \
        EQ(cql_value_to_json_opts(ty(type), p_, (int32_t)n_, (flags) & CQL_JSON_MAP_ENTRIES,     \
                                  &j_, &d_), 0);                                                   \
        lbuf[j_.len] = '\0';                                                                       \
        STREQ((const char *)lbuf, (want));                                                         \
    } while (0)

/* JSON to a null [value]: the length -1 and nothing after it. */
#define TO_NULL(type, json, flags)                                                                 \
    do {                                                                                           \
        struct cql_wr w_;                                                                          \
        const uint8_t *p_;                                                                         \
        long n_;                                                                                   \
        EQ(conv((type), (json), (flags), &w_), 0);                                                 \
        OK(body_of(&w_, &p_, &n_));                                                                \
        EQ(n_, CQL_NULL);                                                                          \
        UEQ(w_.len, 7);                                                                            \
    } while (0)

/* JSON that must fail with CODE and, unless DETAIL is NULL, exactly that message. */
#define TO_ERR(type, json, flags, code, msg)                                                    \
    do {                                                                                           \
        struct cql_wr w_;                                                                          \
        const char *want_ = (msg);                                                              \
        int rc_ = conv((type), (json), (flags), &w_);                                              \
        if (rc_ != (code)) {                                                                       \
            test_fail(__FILE__, __LINE__, "%s %s: rc %d, want %d (%s)", (type), (json), rc_,       \
                      (int)(code), last.detail);                                                   \
            return;                                                                                \
        }                                                                                          \
        OK(last.desc != NULL);                                                                     \
        OK(last.detail[0] != '\0');                                                                \
        if (want_ != NULL) {                                                                       \
            STREQ(last.detail, want_);                                                             \
        }                                                                                          \
    } while (0)

/* ---- parser ---------------------------------------------------------------------------------- */

TEST(cql_json_parse_kinds)
{
    struct cql_json_node *v = js(" {\"a\": [1, -2.50, 3e2, -0], \"b\": \"x\", \"c\": null,"
                                 " \"d\": true, \"e\": false, \"f\": {}} ");
    const struct cql_json_node *a;
    const struct cql_json_node *e;

    EQ(v->kind, CQL_JSON_OBJECT);
    EQ(v->n, 6);
    a = cql_json_get(v, "a", 1);
    OK(a != NULL);
    EQ(a->kind, CQL_JSON_ARRAY);
    EQ(a->n, 4);
    e = a->child;
    SLICEEQ(e->s, e->len, "1");
    OK(e->integral);
    e = e->next;
    SLICEEQ(e->s, e->len, "-2.50");
    OK(!e->integral);
    e = e->next;
    SLICEEQ(e->s, e->len, "3e2");
    OK(!e->integral);
    e = e->next;
    SLICEEQ(e->s, e->len, "-0");
    OK(e->integral);
    OK(e->next == NULL);
    SLICEEQ(cql_json_get(v, "b", 1)->s, cql_json_get(v, "b", 1)->len, "x");
    EQ(cql_json_get(v, "c", 1)->kind, CQL_JSON_NULL);
    EQ(cql_json_get(v, "d", 1)->kind, CQL_JSON_TRUE);
    EQ(cql_json_get(v, "e", 1)->kind, CQL_JSON_FALSE);
    EQ(cql_json_get(v, "f", 1)->kind, CQL_JSON_OBJECT);
    EQ(cql_json_get(v, "f", 1)->n, 0);
    OK(cql_json_get(v, "g", 1) == NULL);
    OK(cql_json_get(a, "a", 1) == NULL);
    EQ(cql_json_get(v, "b", 1)->offset, 33);

    /* Scalars at the top, a byte order mark, and the kind names. */
    EQ(js("42")->kind, CQL_JSON_NUMBER);
    EQ(js("\xef\xbb\xbf\"x\"")->kind, CQL_JSON_STRING);
    EQ(js("null")->kind, CQL_JSON_NULL);
    STREQ(cql_json_kind_name(CQL_JSON_STRING), "String");
    STREQ(cql_json_kind_name(CQL_JSON_TRUE), "Boolean");
    STREQ(cql_json_kind_name(CQL_JSON_OBJECT), "Object");
}

TEST(cql_json_parse_strings)
{
    struct cql_json_node *v;

    v = js("\"q\\\"b\\\\s\\/b\\bf\\fn\\nr\\rt\\t\"");
    MEMEQ(v->s, v->len, "q\"b\\s/b\bf\fn\nr\rt\t", 16);
    v = js("\"\\u00e9\\u20AC\\ud83d\\ude00\"");
    MEMEQ(v->s, v->len, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9);
    v = js("\"a\\u0000b\"");
    MEMEQ(v->s, v->len, "a\0b", 3);
    v = js("\"caf\xc3\xa9 \xf0\x9f\x98\x80\"");
    MEMEQ(v->s, v->len, "caf\xc3\xa9 \xf0\x9f\x98\x80", 10);
    /* An escape-free string points into the source. */
    {
        const char *src = "[\"plain\"]";
        int rc;

        v = jsn(src, strlen(src), 0, &rc);
        EQ(rc, 0);
        OK(v->child->s == src + 2);
    }
    v = js("{\"k\\u00e9y\":1}");
    MEMEQ(v->child->name, v->child->name_len, "k\xc3\xa9y", 4);
}

/* Text that must not parse, with the expected message. */
#define PARSE_ERR(text, len, msg)                                                               \
    do {                                                                                           \
        int rc_;                                                                                   \
        jreset();                                                                                  \
        OK(jsn((text), (len), 0, &rc_) == NULL);                                                   \
        EQ(rc_, CQL_EPROTO);                                                                       \
        OK(last.desc != NULL);                                                                     \
        if ((msg) != NULL) {                                                                       \
            STREQ(last.detail, (const char *)(msg));                                               \
        }                                                                                          \
    } while (0)

#define PERR(text, msg) PARSE_ERR((text), strlen(text), (msg))

TEST(cql_json_parse_errors)
{
    PERR("", "unexpected end of input at line 1, column 1");
    PERR("   ", "unexpected end of input at line 1, column 4");
    PERR("[1,\n  x]", "unexpected character at line 2, column 3");
    PERR("[1,]", "unexpected character at line 1, column 4");
    PERR("{\"a\":1,}", "expected a member name at line 1, column 8");
    PERR("{\"a\" 1}", "expected ':' after a member name at line 1, column 6");
    PERR("{a:1}", "expected a member name at line 1, column 2");
    PERR("[1 2]", "expected ',' or ']' in array at line 1, column 4");
    PERR("{\"a\":1 \"b\":2}", "expected ',' or '}' in object at line 1, column 8");
    PERR("[1", "expected ',' or ']' in array at line 1, column 3");
    PERR("1 2", "unexpected text after the JSON value at line 1, column 3");
    PERR("\"abc", "unterminated string at line 1, column 1");
    PERR("\"abc\\", "unterminated string at line 1, column 1");
    PERR("\"a\tb\"", "control character in string at line 1, column 3");
    PERR("\"\\x\"", "invalid escape in string at line 1, column 2");
    PERR("\"\\u12\"", "invalid \\u escape in string at line 1, column 2");
    PERR("\"\\u12g4\"", "invalid \\u escape in string at line 1, column 2");
    PERR("\"\\ud83d\"", "unpaired surrogate in string at line 1, column 2");
    PERR("\"\\ud83d\\u0041\"", "unpaired surrogate in string at line 1, column 2");
    PERR("\"\\ude00\"", "unpaired surrogate in string at line 1, column 2");
    PERR("\"\xc3\x28\"", "invalid UTF-8 in string at line 1, column 2");
    PERR("\"\xc0\xaf\"", NULL);                        /* overlong '/' */
    PERR("\"\xed\xa0\x80\"", NULL);                    /* an encoded surrogate */
    PERR("\"\xf4\x90\x80\x80\"", NULL);                /* past U+10FFFF */
    PERR("\"\xe2\x82\"", NULL);                        /* truncated sequence */
    PERR("{\"\xff\":1}", NULL);                        /* member names too */
    PERR("01", "unexpected text after the JSON value at line 1, column 2");
    PERR("-", "invalid number at line 1, column 1");
    PERR("1.", "invalid number at line 1, column 1");
    PERR(".5", "unexpected character at line 1, column 1");
    PERR("1e", "invalid number at line 1, column 1");
    PERR("1e+", "invalid number at line 1, column 1");
    PERR("+1", "unexpected character at line 1, column 1");
    PERR("NaN", "unexpected character at line 1, column 1");
    PERR("Infinity", "unexpected character at line 1, column 1");
    PERR("-Infinity", "invalid number at line 1, column 1");
    PERR("0x10", "unexpected text after the JSON value at line 1, column 2");
    PERR("tru", "unexpected character at line 1, column 1");
    PERR("nulls", "unexpected text after the JSON value at line 1, column 5");
    PERR("'a'", "unexpected character at line 1, column 1");
    PARSE_ERR("[1,\0 2]", 7, "unexpected character at line 1, column 4");
    /* Columns count characters, not bytes. */
    PERR("[\"\xc3\xa9\xc3\xa9\", x]", "unexpected character at line 1, column 8");
    EQ(last.offset, 9);
}

TEST(cql_json_parse_depth)
{
    static char buf[20010];
    int rc;

    for (size_t i = 0; i < 64; i++) {
        buf[i] = '[';
        buf[64 + i] = ']';
    }
    jreset();
    OK(jsn(buf, 128, 0, &rc) != NULL);
    EQ(rc, 0);
    for (size_t i = 0; i < 65; i++) {
        buf[i] = '[';
        buf[65 + i] = ']';
    }
    PARSE_ERR(buf, 130, "JSON nested too deeply at line 1, column 65");
    EQ(last.offset, 64);
    for (size_t i = 0; i < 10000; i++) {
        buf[i] = '[';
        buf[10000 + i] = ']';
    }
    PARSE_ERR(buf, 20000, "JSON nested too deeply at line 1, column 65");
    PARSE_ERR(buf, 10000, "JSON nested too deeply at line 1, column 65");
    for (size_t i = 0; i < 10000; i++) {
        memcpy(buf + 2 * i, "{\"", 2);
    }
    PARSE_ERR(buf, 20000, NULL);
    for (size_t i = 0; i < 4000; i++) {
        memcpy(buf + 5 * i, "{\"a\":", 5);
    }
    PARSE_ERR(buf, 20000, NULL);
}

TEST(cql_json_parse_duplicates)
{
    static char big[4096];
    size_t n = 0;
    struct cql_json_node *v;
    int rc;

    /* Without the flag the last one wins, as in a Jackson tree. */
    v = js("{\"a\":1,\"b\":2,\"a\":3}");
    EQ(v->n, 3);
    SLICEEQ(cql_json_get(v, "a", 1)->s, 1, "3");
    jreset();
    OK(jsn("{\"a\":1,\"a\":2}", 13, CQL_JSON_NO_DUPLICATES, &rc) == NULL);
    EQ(rc, CQL_EPROTO);
    STREQ(last.detail, "Duplicate field 'a' at line 1, column 12");
    OK(jsn("{\"x\":{\"a\":1,\"b\":{\"\":1,\"\":2}}}", 29, CQL_JSON_NO_DUPLICATES, &rc) == NULL);
    STREQ(last.detail, "Duplicate field '' at line 1, column 26");
    OK(jsn("[{\"a\":1},{\"a\":1}]", 17, CQL_JSON_NO_DUPLICATES, &rc) != NULL);
    /* Large objects are checked by sorting: distinct names pass, one repeat fails. */
    big[n++] = '{';
    for (int i = 0; i < 200; i++) {
        n += (size_t)snprintf(big + n, sizeof(big) - n, "%s\"k%d\":%d", i > 0 ? "," : "", i, i);
    }
    big[n++] = '}';
    OK(jsn(big, n, CQL_JSON_NO_DUPLICATES, &rc) != NULL);
    EQ(rc, 0);
    n--;
    n += (size_t)snprintf(big + n, sizeof(big) - n, ",\"k7\":0}");
    OK(jsn(big, n, CQL_JSON_NO_DUPLICATES, &rc) == NULL);
    EQ(rc, CQL_EPROTO);
    OK(strncmp(last.detail, "Duplicate field 'k7' at line 1, column ", 39) == 0);
    EQ(last.offset, n - 2);
}

TEST(cql_json_parse_nomem)
{
    struct cql_json_node *v = NULL;
    const char *text = "[\"a\\n\", [1, 2, 3], {\"b\": \"c\"}]";
    int rc;

    /* Every allocation limit short of enough fails cleanly. */
    for (size_t limit = 0; limit < 4096; limit += 16) {
        test_alloc_reset(limit);
        rc = cql_json_parse(text, strlen(text), 0, &test_alloc, &v, &last);
        if (rc == 0) {
            break;
        }
        EQ(rc, CQL_ENOMEM);
        OK(v == NULL);
        STREQ(last.detail, "allocator returned no memory");
    }
    EQ(rc, 0);
    test_alloc_reset(SIZE_MAX);
}

TEST(cql_json_write_roundtrip)
{
    struct cql_wr w;
    const char *in = " { \"a\" : [ 1 , 2.50 , -0 , 1E+2 ] , \"b\" : \"x\\ny\\u0001\\u00e9\" ,"
                     " \"c\" : null , \"d\" : true , \"e\" : false , \"f\" : { } , \"g\" : [ ] } ";

    cql_wr_init(&w, obuf, sizeof(obuf) - 1, NULL, NULL);
    EQ(cql_json_write(&w, js(in)), 0);
    obuf[w.len] = '\0';
    STREQ((const char *)obuf, "{\"a\":[1,2.50,-0,1E+2],\"b\":\"x\\ny\\u0001\xc3\xa9\",\"c\":null,"
                              "\"d\":true,\"e\":false,\"f\":{},\"g\":[]}");
    cql_wr_init(&w, obuf, 4, NULL, NULL);
    EQ(cql_json_write(&w, js("[1,2,3]")), CQL_ENOSPC);
}

/* ---- JSON -> CQL: scalars -------------------------------------------------------------------- */

TEST(cql_json_text)
{
    /* Top level: stringified, with single quotes stripped (Q7). */
    TO("text", "\"hi\"", 0, "6869");
    TO("text", "\"'hi'\"", 0, "6869");
    TO("text", "\"'it''s'\"", 0, "69742773");
    TO("text", "\"''\"", 0, "");
    TO("text", "\"\"", 0, "");
    TO("text", "\"'\"", 0, "27");
    TO("varchar", "\"\\u00e9\"", 0, "c3a9");
    TO("text", "\"a\\u0000b\"", 0, "610062");
    /* Strict (nested, or the STRICT flag): verbatim. */
    TO("text", "\"'hi'\"", CQL_JSON_STRICT, "27686927");
    TO_JSON("list<text>", "[\"'hi'\", \"it''s\"]", 0, "[\"'hi'\",\"it''s\"]");
    /* Any scalar as its text; numbers exactly as sent. */
    TO("text", "123", 0, "313233");
    TO("text", "1.50", 0, "312e3530");
    TO("text", "-0", 0, "2d30");
    TO("text", "1E+3", 0, "31452b33");
    TO("text", "true", 0, "74727565");
    TO("text", "false", CQL_JSON_STRICT, "66616c7365");
    TO("ascii", "42", 0, "3432");
    TO("ascii", "\"'a'\"", 0, "61");
    TO_ERR("ascii", "\"caf\\u00e9\"", 0, CQL_ETYPE, NULL);
    TO_ERR("ascii", "[\"\\u00e9\"]", 0, CQL_ETYPE, NULL);
    TO_ERR("list<ascii>", "[\"\\u00e9\"]", 0, CQL_ETYPE,
           "Invalid String value ('\xc3\xa9') for type ascii: non-ASCII character in ascii value");
    TO_ERR("text", "[1]", 0, CQL_ETYPE, "Cannot coerce Array value [...] into expected type: text");
    TO_ERR("text", "{\"a\":1}", 0, CQL_ETYPE,
           "Cannot coerce Object value {...} into expected type: text");
    TO_ERR("list<text>", "[null]", 0, CQL_ETYPE, "null is not allowed inside list<text>");
}

TEST(cql_json_boolean)
{
    TO("boolean", "true", 0, "01");
    TO("boolean", "false", 0, "00");
    TO("boolean", "\"TRUE\"", 0, "01");
    TO("boolean", "\"'false'\"", 0, "00");
    TO_ERR("boolean", "\"true\"", CQL_JSON_STRICT, CQL_ETYPE,
           "Cannot coerce String value 'true' into expected type: boolean");
    TO_ERR("boolean", "1", 0, CQL_ETYPE,
           "Cannot coerce Number value 1 into expected type: boolean");
    TO_ERR("boolean", "\"yes\"", 0, CQL_ETYPE,
           "Invalid String value ('yes') for type boolean: not a boolean (expected true or false)");
    TO_ERR("list<boolean>", "[\"true\"]", 0, CQL_ETYPE, NULL);
}

TEST(cql_json_integers)
{
    TO("tinyint", "-128", 0, "80");
    TO("tinyint", "127", 0, "7f");
    TO_ERR("tinyint", "128", 0, CQL_ERANGE,
           "Invalid Number value (128) for type tinyint: value out of range for tinyint");
    TO_ERR("tinyint", "-129", 0, CQL_ERANGE, NULL);
    TO("smallint", "-32768", 0, "8000");
    TO("smallint", "32767", 0, "7fff");
    TO_ERR("smallint", "32768", 0, CQL_ERANGE, NULL);
    TO_ERR("smallint", "-32769", 0, CQL_ERANGE, NULL);
    TO("int", "-2147483648", 0, "80000000");
    TO("int", "2147483647", 0, "7fffffff");
    TO("int", "-0", 0, "00000000");
    TO_ERR("int", "2147483648", 0, CQL_ERANGE,
           "Invalid Number value (2147483648) for type int: value out of range for int");
    TO_ERR("int", "-2147483649", 0, CQL_ERANGE, NULL);
    TO("bigint", "9223372036854775807", 0, "7fffffffffffffff");
    TO("bigint", "-9223372036854775808", 0, "8000000000000000");
    TO_JSON("bigint", "9223372036854775807", 0, "9223372036854775807");
    TO_JSON("bigint", "-9223372036854775808", 0, "-9223372036854775808");
    TO_JSON("bigint", "9007199254740993", 0, "9007199254740993");  /* 2^53 + 1: no double */
    TO_ERR("bigint", "9223372036854775808", 0, CQL_ERANGE, NULL);
    TO_ERR("bigint", "-9223372036854775809", 0, CQL_ERANGE, NULL);
    TO_ERR("bigint", "18446744073709551616", 0, CQL_ERANGE, NULL);
    /* Fractions and exponents are refused (Q15: no truncation), whatever the value. */
    TO_ERR("int", "1.5", 0, CQL_ETYPE,
           "Invalid Number value (1.5) for type int: not an integer (no fraction or exponent "
           "allowed)");
    TO_ERR("int", "1.0", 0, CQL_ETYPE, NULL);
    TO_ERR("int", "1e2", 0, CQL_ETYPE, NULL);
    TO_ERR("bigint", "-0.0", 0, CQL_ETYPE, NULL);
    /* Strings are stringified at the top level only. */
    TO("int", "\"30\"", 0, "0000001e");
    TO("int", "\"'30'\"", 0, "0000001e");
    TO("int", "\"+30\"", 0, "0000001e");
    TO("bigint", "\"9223372036854775807\"", 0, "7fffffffffffffff");
    TO_ERR("int", "\"30\"", CQL_JSON_STRICT, CQL_ETYPE,
           "Cannot coerce String value '30' into expected type: int");
    TO_ERR("int", "\"abc\"", 0, CQL_ETYPE,
           "Invalid String value ('abc') for type int: not an integer");
    TO_ERR("int", "\"2147483648\"", 0, CQL_ERANGE,
           "Invalid String value ('2147483648') for type int: value out of range for int");
    TO_ERR("int", "\"1.5\"", 0, CQL_ETYPE, NULL);
    TO_ERR("int", "true", 0, CQL_ETYPE,
           "Cannot coerce Boolean value true into expected type: int");
    TO_ERR("int", "[]", 0, CQL_ETYPE, NULL);
    TO_ERR("list<int>", "[\"1\",\"2\"]", 0, CQL_ETYPE,
           "Cannot coerce String value '1' into expected type: int");
}

TEST(cql_json_counter_varint_decimal)
{
    TO("counter", "5", 0, "0000000000000005");
    TO("counter", "-3", 0, "fffffffffffffffd");
    TO("counter", "\"+1\"", 0, "0000000000000001");
    TO("counter", "\"-3\"", 0, "fffffffffffffffd");
    TO_ERR("counter", "1.5", 0, CQL_ETYPE, NULL);
    TO_ERR("counter", "9223372036854775808", 0, CQL_ERANGE, NULL);
    /* varint: integral numbers of any size, exact. */
    TO("varint", "0", 0, "00");
    TO("varint", "-1", 0, "ff");
    TO("varint", "128", 0, "0080");
    TO_JSON("varint", "1267650600228229401496703205376", 0, "1267650600228229401496703205376");
    TO("varint", "1267650600228229401496703205376", 0, "10000000000000000000000000");
    TO_JSON("varint", "-1267650600228229401496703205376", 0, "-1267650600228229401496703205376");
    TO_JSON("varint", "\"1267650600228229401496703205376\"", 0,
            "1267650600228229401496703205376");
    TO_ERR("varint", "1.5", 0, CQL_ETYPE,
           "Invalid Number value (1.5) for type varint: not an integer (no fraction or exponent "
           "allowed)");
    TO_ERR("varint", "1e30", 0, CQL_ETYPE, NULL);
    TO_ERR("varint", "\"1e30\"", 0, CQL_ETYPE, NULL);
    /* decimal: from the number's text, exact. */
    TO_JSON("decimal", "12345678901234567890.123456789", 0, "12345678901234567890.123456789");
    TO_JSON("decimal", "1234567890.12345678901234567890", 0, "1234567890.12345678901234567890");
    TO_JSON("decimal", "-123456789012345678901234567890", 0, "-123456789012345678901234567890");
    TO_JSON("decimal", "\"12345678901234567890.123456789\"", 0,
            "12345678901234567890.123456789");
    TO_JSON("decimal", "1.10", 0, "1.10");
    TO_JSON("decimal", "1E+3", 0, "1E+3");
    TO_JSON("decimal", "1e-10", 0, "1E-10");
    TO_JSON("decimal", "-0.000", 0, "0.000");
    TO("decimal", "1.5", 0, "00000001 0f");
    TO_ERR("decimal", "\"abc\"", 0, CQL_ETYPE,
           "Invalid String value ('abc') for type decimal: not a decimal number");
    TO_ERR("decimal", "true", 0, CQL_ETYPE, NULL);
    TO_ERR("decimal", "1e2147483648", 0, CQL_ERANGE, NULL);
    TO_ERR("list<decimal>", "[\"1.5\"]", 0, CQL_ETYPE, NULL);
}

TEST(cql_json_floats)
{
    TO("float", "1.5", 0, "3fc00000");
    TO("float", "-0.0", 0, "80000000");
    TO("float", "16777217", 0, "4b800000");        /* rounded once, from the text */
    TO("double", "0.1", 0, "3fb999999999999a");
    TO("double", "-1e-320", 0, "80000000000007e8");
    TO("double", "1", 0, "3ff0000000000000");
    TO_JSON("double", "1e400", 0, "\"Infinity\"");     /* Java: overflow is an infinity */
    TO_JSON("float", "3.5e38", 0, "\"Infinity\"");
    TO_JSON("double", "1.7976931348623157e308", 0, "1.7976931348623157E308");
    /* Strings at the top level, NaN and the infinities included. */
    TO("float", "\"NaN\"", 0, "7fc00000");
    TO("double", "\"NaN\"", 0, "7ff8000000000000");
    TO("double", "\"Infinity\"", 0, "7ff0000000000000");
    TO("double", "\"-Infinity\"", 0, "fff0000000000000");
    TO("float", "\"'-Infinity'\"", 0, "ff800000");
    TO("double", "\"2.5\"", 0, "4004000000000000");
    TO_ERR("double", "\"NaN\"", CQL_JSON_STRICT, CQL_ETYPE,
           "Cannot coerce String value 'NaN' into expected type: double");
    TO_ERR("list<double>", "[\"Infinity\"]", 0, CQL_ETYPE, NULL);
    TO_ERR("double", "\"nan\"", 0, CQL_ETYPE, NULL);
    TO_ERR("float", "false", 0, CQL_ETYPE, NULL);
    SAME("list<double>", "\"[NaN, -Infinity, 1.5]\"", 0, "[NaN, -Infinity, 1.5]");
}

TEST(cql_json_uuid_inet_blob)
{
    TO("uuid", "\"a8098c1a-f86e-11da-bd1a-00112444be1e\"", 0, "a8098c1af86e11dabd1a00112444be1e");
    TO("uuid", "\"A8098C1A-F86E-11DA-BD1A-00112444BE1E\"", CQL_JSON_STRICT,
       "a8098c1af86e11dabd1a00112444be1e");
    TO("timeuuid", "\"a8098c1a-f86e-11da-bd1a-00112444be1e\"", 0,
       "a8098c1af86e11dabd1a00112444be1e");
    TO_ERR("uuid", "123", 0, CQL_ETYPE, "Cannot coerce Number value 123 into expected type: uuid");
    TO_ERR("uuid", "\"not-really-uuid\"", 0, CQL_ETYPE,
           "Invalid String value ('not-really-uuid') for type uuid: not a UUID");
    TO_ERR("timeuuid", "\"a8098c1a-f86e-41da-bd1a-00112444be1e\"", 0, CQL_ETYPE,
           "Invalid String value ('a8098c1a-f86e-41da-bd1a-00112444be1e') for type timeuuid: "
           "timeuuid must be a version 1 UUID");
    TO("inet", "\"127.0.0.1\"", 0, "7f000001");
    TO("inet", "\"::1\"", 0, "00000000000000000000000000000001");
    TO_ERR("inet", "\"localhost\"", 0, CQL_ETYPE, NULL);      /* Q16: no name lookup */
    TO_ERR("inet", "2130706433", 0, CQL_ETYPE, NULL);
    TO("blob", "\"AQID\"", 0, "010203");
    TO("blob", "\"AQI\"", 0, "0102");
    TO("blob", "\"AQI=\"", CQL_JSON_STRICT, "0102");
    TO("blob", "\"\"", 0, "");
    TO("blob", "\"0xcafe\"", 0, "cafe");
    TO_JSON("list<blob>", "[\"AQID\", \"+/8=\"]", 0, "[\"AQID\",\"+/8=\"]");
    TO_ERR("blob", "\"-_8=\"", 0, CQL_ETYPE, NULL);           /* URL-safe: refused (5.2) */
    TO_ERR("blob", "\"AQID!\"", 0, CQL_ETYPE,
           "Invalid String value ('AQID!') for type blob: not standard Base64");
    TO_ERR("blob", "\"A\"", 0, CQL_ETYPE, NULL);
    TO_ERR("blob", "[1,2]", 0, CQL_ETYPE, NULL);
    TO_ERR("blob", "12", 0, CQL_ETYPE, NULL);
}

TEST(cql_json_dates_and_times)
{
    TO("timestamp", "1619203342139", 0, "00000179000a3f3b");
    TO_JSON("timestamp", "1619203342139", 0, "\"2021-04-23T18:42:22.139Z\"");
    TO_JSON("timestamp", "-1", 0, "\"1969-12-31T23:59:59.999Z\"");
    TO_JSON("timestamp", "\"2021-04-23T18:42:22.139Z\"", 0, "\"2021-04-23T18:42:22.139Z\"");
    TO_JSON("timestamp", "\"2021-04-23T20:42:22.139+02:00\"", 0, "\"2021-04-23T18:42:22.139Z\"");
    TO_JSON("timestamp", "\"2021-04-23T20:42:22.139+0200\"", 0, "\"2021-04-23T18:42:22.139Z\"");
    TO_JSON("timestamp", "\"2021-04-23T13:42:22.139123-05\"", 0, "\"2021-04-23T18:42:22.139Z\"");
    TO_JSON("timestamp", "\"'2021-04-23T18:42:22Z'\"", 0, "\"2021-04-23T18:42:22Z\"");
    TO_JSON("timestamp", "\"1619203342139\"", 0, "\"2021-04-23T18:42:22.139Z\"");
    TO_JSON("list<timestamp>", "[\"2021-04-23T18:42:22.139Z\", 0]", 0,
            "[\"2021-04-23T18:42:22.139Z\",\"1970-01-01T00:00:00Z\"]");
    TO_ERR("timestamp", "\"2021-04-23T18:42:22\"", 0, CQL_ETYPE,
           "Invalid String value ('2021-04-23T18:42:22') for type timestamp: timestamp needs an "
           "offset (Z, +HH, +HHmm or +HH:mm)");
    TO_ERR("timestamp", "1.5", 0, CQL_ETYPE, NULL);
    TO_ERR("timestamp", "1e3", 0, CQL_ETYPE, NULL);
    TO_ERR("timestamp", "9223372036854775808", 0, CQL_ERANGE, NULL);
    TO_ERR("timestamp", "true", 0, CQL_ETYPE, NULL);
    SAME("date", "\"2021-04-23\"", 0, "2021-04-23");
    SAME("date", "\"2021-04-23\"", CQL_JSON_STRICT, "2021-04-23");
    TO_ERR("date", "18740", 0, CQL_ETYPE,
           "Cannot coerce Number value 18740 into expected type: date");
    TO_ERR("date", "\"2021-02-30\"", 0, CQL_ETYPE, NULL);
    SAME("time", "\"18:42:22.139\"", 0, "18:42:22.139");
    TO_JSON("time", "\"18:42:22.100\"", 0, "\"18:42:22.1\"");
    TO_ERR("time", "3600", 0, CQL_ETYPE, NULL);
    TO_JSON("duration", "\"1h30m\"", 0, "\"1h30m\"");
    TO_JSON("duration", "\"2w\"", 0, "\"14d\"");
    TO_JSON("duration", "\"P1DT2H\"", 0, "\"1d2h\"");
    TO_ERR("duration", "90", 0, CQL_ETYPE, NULL);
    TO_ERR("duration", "\"1x\"", 0, CQL_ETYPE, NULL);
}

TEST(cql_json_null)
{
    TO_NULL("int", "null", 0);
    TO_NULL("text", "null", CQL_JSON_STRICT);
    TO_NULL("list<int>", "null", 0);
    TO_NULL(ADDRESS_CLASS, "null", 0);
    TO_NULL("map<int, int>", "null", CQL_JSON_MAP_ENTRIES);
    TO_NULL("vector<float, 2>", "  null ", 0);
    /* The string "null" is text, not a null. */
    TO("text", "\"null\"", 0, "6e756c6c");
    TO_ERR("int", "\"null\"", 0, CQL_ETYPE, NULL);
}

/* ---- JSON -> CQL: structured ----------------------------------------------------------------- */

TEST(cql_json_lists_and_sets)
{
    TO("list<int>", "[1, 2]", 0, "00000002 00000004 00000001 00000004 00000002");
    TO("list<int>", "[]", 0, "00000000");
    SAME("list<int>", "\"[1,2]\"", 0, "[1, 2]");
    SAME("list<int>", "\"'[1, 2]'\"", 0, "[1, 2]");
    SAME("set<text>", "[\"a\", \"b c\"]", 0, "{'a', 'b c'}");
    SAME("set<int>", "\"{3, 1}\"", 0, "{3, 1}");
    SAME("list<frozen<list<int>>>", "[[1], [2, 3], []]", 0, "[[1], [2, 3], []]");
    SAME("list<frozen<map<text, int>>>", "[{\"a\": 1}]", 0, "[{'a': 1}]");
    SAME("list<timestamp>", "[\"2021-04-23T18:42:22Z\"]", 0, "['2021-04-23T18:42:22Z']");
    SAME("list<bigint>", "[9223372036854775807]", 0, "[9223372036854775807]");
    TO_ERR("list<int>", "[1, null]", 0, CQL_ETYPE, "null is not allowed inside list<int>");
    TO_ERR("list<int>", "[1, 1.5]", 0, CQL_ETYPE, NULL);
    TO_ERR("list<int>", "{\"a\": 1}", 0, CQL_ETYPE,
           "Cannot coerce Object value {...} into expected type: list<int>");
    TO_ERR("list<int>", "1", 0, CQL_ETYPE, NULL);
    TO_ERR("list<frozen<list<int>>>", "[\"[1]\"]", 0, CQL_ETYPE,
           "Cannot coerce String value '[1]' into expected type: frozen<list<int>>");
    TO_ERR("list<int>", "\"[1, 'x']\"", 0, CQL_ETYPE, NULL);
    TO_ERR("list<int>", "[\"1\"]", CQL_JSON_STRICT, CQL_ETYPE, NULL);
}

TEST(cql_json_maps_compact)
{
    SAME("map<text, int>", "{\"a\": 1, \"b\": 2}", 0, "{'a': 1, 'b': 2}");
    TO("map<text, int>", "{}", 0, "00000000");
    /* Q6: keys use the stringified rules of their type... */
    SAME("map<int, boolean>", "{\"123\": true, \"-4\": false}", 0, "{123: true, -4: false}");
    SAME("map<timestamp, text>", "{\"2021-04-23T18:42:22Z\": \"x\"}", 0,
         "{'2021-04-23T18:42:22Z': 'x'}");
    SAME("map<uuid, int>", "{\"a8098c1a-f86e-11da-bd1a-00112444be1e\": 1}", 0,
         "{a8098c1a-f86e-11da-bd1a-00112444be1e: 1}");
    SAME("map<frozen<list<int>>, int>", "{\"[1, 2]\": 3}", 0, "{[1, 2]: 3}");
    SAME("map<double, int>", "{\"NaN\": 1}", 0, "{NaN: 1}");
    /* ...except text keys, taken verbatim as reads render them. */
    TO_JSON("map<text, int>", "{\"'a'\": 1, \"b:c\": 2}", 0, "{\"'a'\":1,\"b:c\":2}");
    /* Values are strict. */
    SAME("map<text, frozen<list<int>>>", "{\"a\": [1, 2]}", 0, "{'a': [1, 2]}");
    TO_ERR("map<text, int>", "{\"a\": \"1\"}", 0, CQL_ETYPE,
           "Cannot coerce String value '1' into expected type: int");
    TO_ERR("map<text, int>", "{\"a\": null}", 0, CQL_ETYPE,
           "null is not allowed inside map<text, int>");
    TO_ERR("map<int, boolean>", "{\"x\": true}", 0, CQL_ETYPE,
           "Invalid map key ('x') for type int: not an integer");
    TO_ERR("map<tinyint, int>", "{\"300\": 1}", 0, CQL_ERANGE,
           "Invalid map key ('300') for type tinyint: value out of range for tinyint");
    TO_ERR("map<int, int>", "[{\"key\": 1, \"value\": 2}]", 0, CQL_ETYPE,
           "Cannot coerce Array value [...] into expected type: map<int, int>");
    /* The string form, both shapes, in either mode. */
    SAME("map<int, boolean>", "\"{123: true}\"", 0, "{123: true}");
    SAME("map<int, boolean>", "\"[{'key': 123, 'value': true}]\"", 0, "{123: true}");
    SAME("map<int, boolean>", "\"{123: true}\"", CQL_JSON_MAP_ENTRIES, "{123: true}");
}

TEST(cql_json_maps_entries)
{
    const unsigned E = CQL_JSON_MAP_ENTRIES;

    SAME("map<int, boolean>", "[{\"key\": 123, \"value\": true}, {\"value\": false, \"key\": 4}]",
         E, "{123: true, 4: false}");
    TO("map<int, boolean>", "[]", E, "00000000");
    TO_JSON("map<int, boolean>", "[{\"key\": 123, \"value\": true}]", E,
            "[{\"key\":123,\"value\":true}]");
    SAME("map<text, frozen<list<int>>>", "[{\"key\": \"'a'\", \"value\": [1]}]", E,
         "{'''a''': [1]}");
    TO_ERR("map<int, boolean>", "[{\"key\": 1}]", E, CQL_ETYPE,
           "Map entry must have exactly 2 elements");
    TO_ERR("map<int, boolean>", "[{\"key\": 1, \"value\": true, \"x\": 0}]", E, CQL_ETYPE,
           "Map entry must have exactly 2 elements");
    TO_ERR("map<int, boolean>", "[{}]", E, CQL_ETYPE, "Map entry must have exactly 2 elements");
    TO_ERR("map<int, boolean>", "[{\"k\": 1, \"value\": true}]", E, CQL_ETYPE,
           "Map entry missing key");
    TO_ERR("map<int, boolean>", "[{\"key\": 1, \"val\": true}]", E, CQL_ETYPE,
           "Map entry missing value");
    TO_ERR("map<int, boolean>", "[{\"key\": 1, \"key\": 2}]", E, CQL_ETYPE,
           "Map entry missing value");
    TO_ERR("map<int, boolean>", "[[1, true]]", E, CQL_ETYPE, "Map entry must be a JSON object");
    TO_ERR("map<int, boolean>", "[{\"key\": \"1\", \"value\": true}]", E, CQL_ETYPE,
           "Cannot coerce String value '1' into expected type: int");
    TO_ERR("map<int, boolean>", "[{\"key\": null, \"value\": true}]", E, CQL_ETYPE, NULL);
    TO_ERR("map<int, boolean>", "{\"1\": true}", E, CQL_ETYPE,
           "Cannot coerce Object value {...} into expected type: map<int, boolean>");
}

TEST(cql_json_tuples)
{
    SAME("tuple<int, text>", "[1, \"a\"]", 0, "(1, 'a')");
    SAME("tuple<int, text>", "[null, \"a\"]", 0, "(null, 'a')");
    SAME("tuple<int, text>", "[1, null]", 0, "(1, null)");
    SAME("tuple<int, frozen<list<text>>>", "[1, [\"x\"]]", 0, "(1, ['x'])");
    SAME("tuple<int, text>", "\"(1, 'a')\"", 0, "(1, 'a')");
    TO_ERR("tuple<int, text>", "[1]", 0, CQL_ETYPE, "Tuple expected 2 values, got 1");
    TO_ERR("tuple<int, text>", "[1, \"a\", 3]", 0, CQL_ETYPE, "Tuple expected 2 values, got 3");
    TO_ERR("tuple<int, text>", "[]", 0, CQL_ETYPE, "Tuple expected 2 values, got 0");
    TO_ERR("tuple<int, text>", "[\"1\", \"a\"]", 0, CQL_ETYPE, NULL);
    TO_ERR("tuple<int, text>", "{\"0\": 1}", 0, CQL_ETYPE, NULL);
}

TEST(cql_json_udts)
{
    SAME(ADDRESS_CLASS, "{\"street\": \"Main\", \"zip\": 12345}", 0,
         "{street: 'Main', zip: 12345}");
    SAME(ADDRESS_CLASS, "{\"zip\": 12345, \"street\": \"Main\"}", 0,
         "{street: 'Main', zip: 12345}");
    SAME(ADDRESS_CLASS, "{\"street\": \"x\"}", 0, "{street: 'x'}");
    SAME(ADDRESS_CLASS, "{\"zip\": null, \"street\": \"x\"}", 0, "{street: 'x'}");
    SAME(ADDRESS_CLASS, "{}", 0, "{}");
    SAME(ADDRESS_CLASS, "{\"zip\": 1, \"zip\": 2}", 0, "{zip: 2}");
    SAME(ADDRESS_CLASS, "\"{street: 'Main', zip: 1}\"", 0, "{street: 'Main', zip: 1}");
    TO_ERR(ADDRESS_CLASS, "{\"zipp\": 1}", 0, CQL_ETYPE,
           "UDT 'address' does not have field 'zipp'");
    TO_ERR(ADDRESS_CLASS, "{\"Street\": \"x\"}", 0, CQL_ETYPE,
           "UDT 'address' does not have field 'Street'");
    TO_ERR(ADDRESS_CLASS, "{\"zip\": \"1\"}", 0, CQL_ETYPE,
           "Cannot coerce String value '1' into expected type: int");
    TO_ERR(ADDRESS_CLASS, "[\"Main\", 1]", 0, CQL_ETYPE, NULL);
    TO_ERR("address", "{}", 0, CQL_ETYPE, "UDT 'address' is not resolved");
    SAME(M "ListType(" ADDRESS_CLASS ")", "[{\"zip\": 1}]", 0, "[{zip: 1}]");
}

TEST(cql_json_vectors)
{
    TO("vector<float, 3>", "[1, 2.5, -0.0]", 0, "3f800000 40200000 80000000");
    SAME("vector<float, 3>", "\"[1, 2.5, -0.0]\"", 0, "[1, 2.5, -0.0]");
    SAME("vector<text, 2>", "[\"a\", \"bc\"]", 0, "['a', 'bc']");
    SAME("vector<bigint, 2>", "[9223372036854775807, 0]", 0, "[9223372036854775807, 0]");
    TO_ERR("vector<float, 3>", "[1, 2]", 0, CQL_ETYPE, "Expected vector of size 3, got 2");
    TO_ERR("vector<float, 3>", "[1, 2, 3, 4]", 0, CQL_ETYPE, "Expected vector of size 3, got 4");
    TO_ERR("vector<float, 3>", "[1, \"2\", 3]", 0, CQL_ETYPE,
           "Cannot coerce String value '2' into expected type: float");
    TO_ERR("vector<float, 3>", "[1, null, 3]", 0, CQL_ETYPE,
           "null is not allowed inside vector<float, 3>");
    TO_ERR("vector<float, 3>", "{}", 0, CQL_ETYPE, NULL);
}

TEST(cql_json_writer_growth)
{
    static const char *const json = "{\"a\": [1, 2, 3], \"bb\": [], \"ccc\": [4]}";
    const struct cql_type *t = ty("map<text, frozen<list<bigint>>>");
    struct cql_wr grown;
    struct cql_wr fixed;
    uint8_t small[16];
    uint8_t *copy;
    int rc;

    /* A growing writer reallocates often (test_grow), and the bytes come out the same. */
    jreset();
    cql_wr_init(&grown, NULL, 0, test_grow, NULL);
    EQ(cql_json_to_value(t, js(json), 0, &grown, &last), 0);
    copy = test_dup(grown.p, grown.len);
    free(grown.p);
    /* A writer too small fails with ENOSPC and a message, at every size. */
    for (size_t cap = 0; cap < sizeof(small); cap++) {
        cql_wr_init(&fixed, small, cap, NULL, NULL);
        rc = cql_json_to_value(t, js(json), 0, &fixed, &last);
        EQ(rc, CQL_ENOSPC);
        STREQ(last.detail, "output buffer could not grow");
    }
    cql_wr_init(&fixed, obuf, sizeof(obuf), NULL, NULL);
    EQ(cql_json_to_value(t, js(json), 0, &fixed, &last), 0);
    MEMEQ(fixed.p, fixed.len, copy, fixed.len);
    free(copy);
}

/* ---- messages and helpers -------------------------------------------------------------------- */

TEST(cql_json_field_error_text)
{
    struct cql_str table = { "users", 5 };
    struct cql_str col = { "age", 3 };
    char buf[400];
    char tiny[12];
    size_t n;

    TO_ERR("int", "\"x\"", 0, CQL_ETYPE, NULL);
    n = cql_json_field_error(buf, sizeof(buf), table, col, &last);
    STREQ(buf, "Failed to deserialize field 'users.age', problem: Invalid String value ('x') for "
               "type int: not an integer");
    EQ(n, strlen(buf));
    /* Truncation keeps a terminated prefix and reports the full length. */
    EQ(cql_json_field_error(tiny, sizeof(tiny), table, col, &last), n);
    STREQ(tiny, "Failed to d");
    EQ(cql_json_field_error(NULL, 0, table, col, &last), n);
    /* A cut never splits a character; names that are not UTF-8 are quoted with '?'. */
    table.p = "\xc3\xa9t\xff";
    table.len = 4;
    EQ(cql_json_field_error(buf, 31, table, col, &last), n - 1);
    STREQ(buf, "Failed to deserialize field '");
    EQ(cql_json_field_error(buf, 32, table, col, &last), n - 1);
    STREQ(buf, "Failed to deserialize field '\xc3\xa9");
    cql_json_field_error(buf, sizeof(buf), table, col, NULL);
    STREQ(buf, "Failed to deserialize field '\xc3\xa9t?.age', problem: invalid value");
}

TEST(cql_json_messages_are_clean)
{
    static char big[400];
    struct cql_json_node node;
    struct cql_wr w;
    int rc;

    /* Long values are shortened; the message stays valid UTF-8 with no control bytes. */
    memset(big, 'x', sizeof(big));
    memcpy(big, "\"\xc3\xa9", 3);
    big[sizeof(big) - 1] = '"';
    jreset();
    {
        int prc;
        struct cql_json_node *v = jsn(big, sizeof(big), 0, &prc);

        EQ(prc, 0);
        cql_wr_init(&w, obuf, sizeof(obuf), NULL, NULL);
        rc = cql_json_to_value(ty("uuid"), v, 0, &w, &last);
    }
    EQ(rc, CQL_ETYPE);
    {
        char want[128] = "Invalid String value ('\xc3\xa9";
        size_t k = strlen(want);

        memset(want + k, 'x', 46);
        strcpy(want + k + 46, "...') for type uuid: not a UUID");
        STREQ(last.detail, want);
    }
    EQ(w.len, 0);
    /* A hand-built node with invalid UTF-8 and a NUL: refused, and quoted with '?'. */
    memset(&node, 0, sizeof(node));
    node.kind = CQL_JSON_STRING;
    node.s = "a\xff\0b";
    node.len = 4;
    rc = cql_json_to_value(ty("text"), &node, CQL_JSON_STRICT, &w, &last);
    EQ(rc, CQL_ETYPE);
    STREQ(last.detail, "Invalid String value ('a??b') for type text: text is not valid UTF-8");
    rc = cql_json_to_value(ty("text"), &node, 0, &w, &last);
    EQ(rc, CQL_ETYPE);
    STREQ(last.detail, "Invalid String value ('a??b') for type text: text is not valid UTF-8");
    /* A caller may pass no error struct. */
    rc = cql_json_to_value(ty("text"), &node, 0, &w, NULL);
    EQ(rc, CQL_ETYPE);
    EQ(w.len, 0);
}

TEST(cql_json_contains_types)
{
    const struct cql_type *l = ty("list<int>");
    const struct cql_type *s = ty("frozen<set<text>>");
    const struct cql_type *m = ty("map<text, bigint>");
    const struct cql_type *i = ty("int");

    OK(cql_json_contains_type(l, CQL_JSON_CONTAINS) == l->sub[0]);
    OK(cql_json_contains_type(s, CQL_JSON_CONTAINS) == s->sub[0]);
    OK(cql_json_contains_type(m, CQL_JSON_CONTAINS) == m->sub[1]);
    OK(cql_json_contains_type(m, CQL_JSON_CONTAINS_KEY) == m->sub[0]);
    OK(cql_json_contains_type(m, CQL_JSON_CONTAINS_ENTRY_KEY) == m->sub[0]);
    OK(cql_json_contains_type(m, CQL_JSON_CONTAINS_ENTRY_VALUE) == m->sub[1]);
    OK(cql_json_contains_type(l, CQL_JSON_CONTAINS_KEY) == NULL);
    OK(cql_json_contains_type(s, CQL_JSON_CONTAINS_ENTRY_VALUE) == NULL);
    OK(cql_json_contains_type(i, CQL_JSON_CONTAINS) == NULL);
    OK(cql_json_contains_type(m, 99) == NULL);
    /* The operand converts like a scalar: stringified at the top, strict for $in elements. */
    {
        struct cql_wr w;

        jreset();
        cql_wr_init(&w, obuf, sizeof(obuf), NULL, NULL);
        EQ(cql_json_to_value(cql_json_contains_type(m, CQL_JSON_CONTAINS), js("\"7\""), 0, &w,
                             &last), 0);
        EQ(cql_json_to_value(cql_json_contains_type(m, CQL_JSON_CONTAINS), js("\"7\""),
                             CQL_JSON_STRICT, &w, &last), CQL_ETYPE);
    }
}

/* ---- CQL -> JSON ----------------------------------------------------------------------------- */

/* Cells built from CQL literals, in one pool. */
static uint8_t cellbuf[1 << 16];
static struct cql_wr cellw;

static struct cql_bytes
cell(const char *type, const char *lit)
{
    struct cql_bytes b = { NULL, CQL_NULL };
    size_t at = cellw.len;
    const char *d = NULL;

    if (lit == NULL) {
        return b;
    }
    if (lit[0] == '\0') {
        b.p = cellw.p + at;
        b.len = 0;
        return b;
    }
    if (cql_value_from_text(ty(type), lit, strlen(lit), &cellw, &d) != 0) {
        fprintf(stderr, "  bad test literal %s for %s: %s\n", lit, type, d ? d : "?");
        abort();
    }
    b.p = cellw.p + at;
    b.len = (int32_t)(cellw.len - at);
    return b;
}

struct row_case {
    const char *name;               /* column name */
    const char *type;               /* CQL type */
    const char *lit;                /* CQL literal of the cell, NULL for null */
};

/* Renders the row of NC columns CASES into obuf as a NUL-terminated string. */
static int
render_row(const struct row_case *cases, size_t nc, unsigned flags, const char **desc)
{
    static struct cql_col_spec cols[64];
    static struct cql_bytes cells[64];
    struct cql_wr w;
    int rc;

    cql_wr_init(&cellw, cellbuf, sizeof(cellbuf), NULL, NULL);
    for (size_t i = 0; i < nc; i++) {
        memset(&cols[i], 0, sizeof(cols[i]));
        cols[i].name.p = cases[i].name;
        cols[i].name.len = strlen(cases[i].name);
        cols[i].type = ty(cases[i].type);
        cells[i] = cell(cases[i].type, cases[i].lit);
    }
    cql_wr_init(&w, obuf, sizeof(obuf) - 1, NULL, NULL);
    rc = cql_json_row(&w, cols, (int32_t)nc, cells, flags, desc);
    obuf[rc == 0 ? w.len : 0] = '\0';
    return rc;
}

#define ROW(cases, flags, want)                                                                    \
    do {                                                                                           \
        const char *d_ = NULL;                                                                     \
        int rc_ = render_row((cases), sizeof(cases) / sizeof((cases)[0]), (flags), &d_);          \
        if (rc_ != 0) {                                                                            \
            test_fail(__FILE__, __LINE__, "rc %d (%s)", rc_, d_ ? d_ : "?");                       \
            return;                                                                                \
        }                                                                                          \
        STREQ((const char *)obuf, (want));                                                         \
    } while (0)

TEST(cql_json_row_every_type)
{
    static const struct row_case all[] = {
        { "a", "ascii", "hi" },
        { "t", "text", "caf\xc3\xa9 \"q\"\n" },
        { "bo", "boolean", "true" },
        { "ti", "tinyint", "-128" },
        { "si", "smallint", "32767" },
        { "i", "int", "-2147483648" },
        { "bi", "bigint", "9223372036854775807" },
        { "c", "counter", "2" },
        { "vi", "varint", "1267650600228229401496703205376" },
        { "de", "decimal", "12345678901234567890.123456789" },
        { "f", "float", "1.5" },
        { "d", "double", "0.1" },
        { "nan", "double", "NaN" },
        { "u", "uuid", "a8098c1a-f86e-11da-bd1a-00112444be1e" },
        { "tu", "timeuuid", "a8098c1a-f86e-11da-bd1a-00112444be1e" },
        { "ts", "timestamp", "2021-04-23T18:42:22.139Z" },
        { "dt", "date", "2021-04-23" },
        { "tm", "time", "18:42:22.139" },
        { "du", "duration", "1h30m" },
        { "ip", "inet", "::1" },
        { "bl", "blob", "AQID" },
        { "l", "list<int>", "[1, 2]" },
        { "s", "set<text>", "{'a', 'b'}" },
        { "m", "map<int, boolean>", "{123: true}" },
        { "mt", "map<text, int>", "{'k': 1}" },
        { "tp", "tuple<int, text>", "(1, 'x')" },
        { "ud", ADDRESS_CLASS, "{street: 'Main', zip: 1}" },
        { "ve", "vector<float, 2>", "[1, 2]" },
    };

    ROW(all, 0,
        "{\"a\":\"hi\",\"t\":\"caf\xc3\xa9 \\\"q\\\"\\n\",\"bo\":true,\"ti\":-128,\"si\":32767,"
        "\"i\":-2147483648,\"bi\":9223372036854775807,\"c\":\"2\","
        "\"vi\":1267650600228229401496703205376,\"de\":12345678901234567890.123456789,"
        "\"f\":1.5,\"d\":0.1,\"nan\":\"NaN\",\"u\":\"a8098c1a-f86e-11da-bd1a-00112444be1e\","
        "\"tu\":\"a8098c1a-f86e-11da-bd1a-00112444be1e\",\"ts\":\"2021-04-23T18:42:22.139Z\","
        "\"dt\":\"2021-04-23\",\"tm\":\"18:42:22.139\",\"du\":\"1h30m\","
        "\"ip\":\"0:0:0:0:0:0:0:1\",\"bl\":\"AQID\",\"l\":[1,2],\"s\":[\"a\",\"b\"],"
        "\"m\":{\"123\":true},\"mt\":{\"k\":1},\"tp\":[1,\"x\"],"
        "\"ud\":{\"street\":\"Main\",\"zip\":1},\"ve\":[1.0,2.0]}");
    ROW(all, CQL_JSON_MAP_ENTRIES,
        "{\"a\":\"hi\",\"t\":\"caf\xc3\xa9 \\\"q\\\"\\n\",\"bo\":true,\"ti\":-128,\"si\":32767,"
        "\"i\":-2147483648,\"bi\":9223372036854775807,\"c\":\"2\","
        "\"vi\":1267650600228229401496703205376,\"de\":12345678901234567890.123456789,"
        "\"f\":1.5,\"d\":0.1,\"nan\":\"NaN\",\"u\":\"a8098c1a-f86e-11da-bd1a-00112444be1e\","
        "\"tu\":\"a8098c1a-f86e-11da-bd1a-00112444be1e\",\"ts\":\"2021-04-23T18:42:22.139Z\","
        "\"dt\":\"2021-04-23\",\"tm\":\"18:42:22.139\",\"du\":\"1h30m\","
        "\"ip\":\"0:0:0:0:0:0:0:1\",\"bl\":\"AQID\",\"l\":[1,2],\"s\":[\"a\",\"b\"],"
        "\"m\":[{\"key\":123,\"value\":true}],\"mt\":[{\"key\":\"k\",\"value\":1}],"
        "\"tp\":[1,\"x\"],\"ud\":{\"street\":\"Main\",\"zip\":1},\"ve\":[1.0,2.0]}");
}

TEST(cql_json_row_nulls_and_empties)
{
    static const struct row_case nulls[] = {
        { "i", "int", NULL },
        { "t", "text", NULL },
        { "c", "counter", NULL },
        { "l", "list<int>", NULL },
        { "s", "set<text>", NULL },
        { "m", "map<int, boolean>", NULL },
        { "tp", "tuple<int, text>", NULL },
        { "ud", ADDRESS_CLASS, NULL },
        { "ve", "vector<float, 2>", NULL },
        { "fl", "frozen<list<int>>", NULL },
    };
    static const struct row_case empties[] = {
        { "t", "text", "" },
        { "b", "blob", "" },
        { "i", "int", "" },
        { "l", "list<int>", "[]" },
        { "s", "set<text>", "{}" },
        { "m", "map<int, boolean>", "{}" },
        { "tp", "tuple<int, text>", "(null, null)" },
        { "ud", ADDRESS_CLASS, "{}" },
    };

    /* Q13 (v2.0): null collections are empty, a null UDT is {}, a null tuple stays null. */
    ROW(nulls, 0,
        "{\"i\":null,\"t\":null,\"c\":null,\"l\":[],\"s\":[],\"m\":{},\"tp\":null,\"ud\":{},"
        "\"ve\":[],\"fl\":[]}");
    ROW(nulls, CQL_JSON_MAP_ENTRIES,
        "{\"i\":null,\"t\":null,\"c\":null,\"l\":[],\"s\":[],\"m\":[],\"tp\":null,\"ud\":{},"
        "\"ve\":[],\"fl\":[]}");
    ROW(empties, 0,
        "{\"t\":\"\",\"b\":\"\",\"i\":null,\"l\":[],\"s\":[],\"m\":{},\"tp\":[null,null],"
        "\"ud\":{\"street\":null,\"zip\":null}}");
    ROW(empties, CQL_JSON_MAP_ENTRIES,
        "{\"t\":\"\",\"b\":\"\",\"i\":null,\"l\":[],\"s\":[],\"m\":[],\"tp\":[null,null],"
        "\"ud\":{\"street\":null,\"zip\":null}}");
}

TEST(cql_json_row_errors)
{
    struct cql_col_spec col;
    struct cql_bytes bad = { (const uint8_t *)"\x01\x02", 2 };
    struct cql_bytes unset = { NULL, CQL_UNSET };
    struct cql_wr w;
    const char *desc = NULL;

    memset(&col, 0, sizeof(col));
    col.name.p = "i";
    col.name.len = 1;
    col.type = ty("int");
    cql_wr_init(&w, obuf, sizeof(obuf) - 1, NULL, NULL);
    EQ(cql_json_row(&w, &col, 1, &bad, 0, &desc), CQL_EPROTO);
    OK(desc != NULL);
    cql_wr_init(&w, obuf, sizeof(obuf) - 1, NULL, NULL);
    EQ(cql_json_row(&w, &col, 1, &unset, 0, &desc), 0);
    SLICEEQ(w.p, w.len, "{\"i\":null}");
    cql_wr_init(&w, obuf, sizeof(obuf) - 1, NULL, NULL);
    EQ(cql_json_row(&w, NULL, 1, &unset, 0, &desc), CQL_EPROTO);
    col.type = NULL;
    EQ(cql_json_row(&w, &col, 1, &unset, 0, &desc), CQL_EPROTO);
    STREQ(desc, "column without a type");
    col.type = ty("int");
    col.name.p = "\xff";
    EQ(cql_json_row(&w, &col, 1, &unset, 0, &desc), CQL_EPROTO);
    STREQ(desc, "column name is not valid UTF-8");
    cql_wr_init(&w, obuf, 0, NULL, NULL);
    EQ(cql_json_row(&w, NULL, 0, NULL, 0, &desc), CQL_ENOSPC);
    cql_wr_init(&w, obuf, sizeof(obuf) - 1, NULL, NULL);
    EQ(cql_json_row(&w, NULL, 0, NULL, 0, NULL), 0);
    SLICEEQ(w.p, w.len, "{}");
}

/* A ROWS result of two columns (id int, tags list<text>) and the given rows. */
static void
make_result(struct cql_result *res, struct cql_col_spec *cols, uint8_t *rows, size_t cap,
            int32_t nrows, bool more)
{
    static const uint8_t state[] = { 0xfb, 0xff, 0x01 };
    struct cql_wr w;

    memset(res, 0, sizeof(*res));
    memset(cols, 0, 2 * sizeof(*cols));
    cols[0].name.p = "id";
    cols[0].name.len = 2;
    cols[0].type = ty("int");
    cols[1].name.p = "tags";
    cols[1].name.len = 4;
    cols[1].type = ty("list<text>");
    cql_wr_init(&w, rows, cap, NULL, NULL);
    for (int32_t i = 0; i < nrows; i++) {
        uint8_t id[4];
        struct cql_bytes tags;

        cql_put_be32(id, (uint32_t)(i + 1));
        cql_wr_bytes(&w, id, 4);
        cql_wr_init(&cellw, cellbuf, sizeof(cellbuf), NULL, NULL);
        tags = cell("list<text>", i == 0 ? "['a']" : NULL);
        cql_wr_bytes(&w, tags.p, tags.len);
    }
    res->kind = CQL_RESULT_ROWS;
    res->meta.flags = more ? CQL_MF_HAS_MORE_PAGES : 0;
    res->meta.columns_count = 2;
    res->meta.cols = cols;
    res->meta.paging_state.p = more ? state : NULL;
    res->meta.paging_state.len = more ? 3 : CQL_NULL;
    res->rows_count = nrows;
    res->rows = rows;
    res->rows_len = w.len;
}

#define RESP(res, cols, flags, want)                                                               \
    do {                                                                                           \
        struct cql_wr w_;                                                                          \
        const char *d_ = NULL;                                                                     \
        cql_wr_init(&w_, obuf, sizeof(obuf), NULL, NULL);                                          \
        EQ(cql_json_rows_response(&w_, (cols), (res), (flags), &d_), 0);                           \
        SLICEEQ(w_.p, w_.len, (want));                                                             \
    } while (0)

TEST(cql_json_rows_responses)
{
    struct cql_result res;
    struct cql_col_spec cols[2];
    uint8_t rows[256];
    struct cql_wr w;
    const char *desc = NULL;

    make_result(&res, cols, rows, sizeof(rows), 2, true);
    RESP(&res, NULL, 0,
         "{\"count\":2,\"pageState\":\"+/8B\",\"data\":[{\"id\":1,\"tags\":[\"a\"]},"
         "{\"id\":2,\"tags\":[]}]}");
    RESP(&res, NULL, CQL_JSON_RAW, "[{\"id\":1,\"tags\":[\"a\"]},{\"id\":2,\"tags\":[]}]");
    /* Columns from elsewhere (a result read with skip-metadata). */
    res.meta.cols = NULL;
    RESP(&res, cols, 0,
         "{\"count\":2,\"pageState\":\"+/8B\",\"data\":[{\"id\":1,\"tags\":[\"a\"]},"
         "{\"id\":2,\"tags\":[]}]}");
    cql_wr_init(&w, obuf, sizeof(obuf), NULL, NULL);
    EQ(cql_json_rows_response(&w, NULL, &res, 0, &desc), CQL_EPROTO);
    make_result(&res, cols, rows, sizeof(rows), 1, false);
    RESP(&res, NULL, 0, "{\"count\":1,\"data\":[{\"id\":1,\"tags\":[\"a\"]}]}");
    make_result(&res, cols, rows, sizeof(rows), 0, false);
    RESP(&res, NULL, 0, "{\"count\":0,\"data\":[]}");
    RESP(&res, NULL, CQL_JSON_RAW, "[]");
    /* A last page can still carry more-pages with a state; an empty page with one too. */
    make_result(&res, cols, rows, sizeof(rows), 0, true);
    RESP(&res, NULL, 0, "{\"count\":0,\"pageState\":\"+/8B\",\"data\":[]}");
    /* Results without rows (DML, DDL) read as an empty page. */
    memset(&res, 0, sizeof(res));
    res.kind = CQL_RESULT_VOID;
    RESP(&res, NULL, 0, "{\"count\":0,\"data\":[]}");
    /* Truncated rows fail without reading past the end. */
    make_result(&res, cols, rows, sizeof(rows), 2, false);
    res.rows_len -= 3;
    cql_wr_init(&w, obuf, sizeof(obuf), NULL, NULL);
    EQ(cql_json_rows_response(&w, NULL, &res, 0, &desc), CQL_EPROTO);
    STREQ(desc, "truncated row");
}

/* ---- Base64 ---------------------------------------------------------------------------------- */

#define B64_DEC(text, want_hex)                                                                    \
    do {                                                                                           \
        struct cql_wr w_;                                                                          \
        uint8_t want_[256];                                                                        \
        long n_ = test_unhex((want_hex), want_, sizeof(want_));                                    \
        uint8_t *in_ = test_dup((text), strlen(text));                                             \
        int rc_;                                                                                   \
        cql_wr_init(&w_, obuf, sizeof(obuf), NULL, NULL);                                          \
        rc_ = cql_json_base64_decode((const char *)in_, strlen(text), &w_);                        \
        free(in_);                                                                                 \
        EQ(rc_, 0);                                                                                \
        MEMEQ(w_.p, w_.len, want_, n_);                                                            \
    } while (0)

#define B64_BAD(text)                                                                              \
    do {                                                                                           \
        struct cql_wr w_;                                                                          \
        uint8_t *in_ = test_dup((text), strlen(text));                                             \
        int rc_;                                                                                   \
        cql_wr_init(&w_, obuf, sizeof(obuf), NULL, NULL);                                          \
        cql_wr_raw(&w_, "x", 1);                                                                   \
        rc_ = cql_json_base64_decode((const char *)in_, strlen(text), &w_);                        \
        free(in_);                                                                                 \
        if (rc_ != CQL_ETYPE) {                                                                    \
            test_fail(__FILE__, __LINE__, "'%s' decoded (rc %d)", (text), rc_);                    \
            return;                                                                                \
        }                                                                                          \
        UEQ(w_.len, 1);                                                                            \
    } while (0)

TEST(cql_json_base64)
{
    static const char *const rfc[][2] = {
        { "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
        { "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
    };
    struct cql_wr w;
    uint8_t all[256];

    /* RFC 4648 section 10 vectors, both ways, padded and not. */
    for (size_t i = 0; i < sizeof(rfc) / sizeof(rfc[0]); i++) {
        size_t n = strlen(rfc[i][0]);
        size_t e = strlen(rfc[i][1]);

        cql_wr_init(&w, obuf, sizeof(obuf), NULL, NULL);
        cql_base64_encode(&w, (const uint8_t *)rfc[i][0], n);
        SLICEEQ(w.p, w.len, rfc[i][1]);
        cql_wr_init(&w, obuf, sizeof(obuf), NULL, NULL);
        EQ(cql_json_base64_decode(rfc[i][1], e, &w), 0);
        MEMEQ(w.p, w.len, rfc[i][0], n);
        while (e > 0 && rfc[i][1][e - 1] == '=') {
            e--;
        }
        cql_wr_init(&w, obuf, sizeof(obuf), NULL, NULL);
        EQ(cql_json_base64_decode(rfc[i][1], e, &w), 0);
        MEMEQ(w.p, w.len, rfc[i][0], n);
    }
    /* Every byte value round-trips. */
    for (size_t i = 0; i < sizeof(all); i++) {
        all[i] = (uint8_t)(255 - i);
    }
    cql_wr_init(&w, obuf, sizeof(obuf), NULL, NULL);
    cql_base64_encode(&w, all, sizeof(all));
    {
        struct cql_wr d;
        uint8_t back[512];

        cql_wr_init(&d, back, sizeof(back), NULL, NULL);
        EQ(cql_json_base64_decode((const char *)w.p, w.len, &d), 0);
        MEMEQ(d.p, d.len, all, sizeof(all));
    }
    /* Both alphabets. */
    B64_DEC("+/8=", "fbff");
    B64_DEC("-_8=", "fbff");
    B64_DEC("-_8", "fbff");
    B64_DEC("+/8B", "fbff01");
    B64_DEC("-_8B", "fbff01");
    B64_DEC("AAAA", "000000");
    /* Everything else is refused, leaving the output as it was. */
    B64_BAD("+_8=");               /* mixed alphabets */
    B64_BAD("-/8=");
    B64_BAD("Z");                  /* no whole byte */
    B64_BAD("Zm9vY");
    B64_BAD("Zg=");                /* padding that does not complete a quantum */
    B64_BAD("Zm8==");
    B64_BAD("Zg===");
    B64_BAD("====");
    B64_BAD("==");
    B64_BAD("=");
    B64_BAD("Zg==Zg==");           /* '=' inside */
    B64_BAD("Z=g=");
    B64_BAD("Zh==");               /* non-zero bits left over */
    B64_BAD("Zm9=");
    B64_BAD(" Zg==");              /* blanks, line breaks, other characters */
    B64_BAD("Zg==\n");
    B64_BAD("Zm 9v");
    B64_BAD("Zm9v!");
    B64_BAD("Zm9v.");
    B64_BAD("Zm9\xc3\xa9");
    {
        uint8_t one[1];

        cql_wr_init(&w, one, sizeof(one), NULL, NULL);
        EQ(cql_json_base64_decode("Zm9v", 4, &w), CQL_ENOSPC);
        cql_wr_init(&w, one, sizeof(one), NULL, NULL);
        cql_base64_encode(&w, (const uint8_t *)"f", 1);
        EQ(w.err, CQL_ENOSPC);
    }
}

/* ---- hostile input --------------------------------------------------------------------------- */

/* How a hostile body is made: literal text, or one of the generators below. */
enum hostile_gen {
    GEN_TEXT = 0,       /* TEXT as is */
    GEN_OPEN,           /* N times TEXT */
    GEN_NEST,           /* N times '[', TEXT, N times ']' */
    GEN_DIGITS,         /* TEXT, then N digits */
    GEN_STRING,         /* '"', TEXT, N times 'x', '"' */
    GEN_MEMBERS,        /* an object of N members "k<i>": i */
};

struct hostile_case {
    const char *what;               /* for failure messages */
    int         gen;                /* enum hostile_gen */
    const char *text;               /* literal text or the generator's piece */
    size_t      n;                  /* the generator's count */
    const char *type;               /* column type to convert to */
    unsigned    flags;              /* CQL_JSON_* */
    int         parse_rc;           /* expected cql_json_parse result */
    int         conv_rc;            /* expected cql_json_to_value result, when it parsed */
};

static const struct hostile_case hostile[] = {
    { "10,000 open arrays", GEN_OPEN, "[", 10000, "int", 0, CQL_EPROTO, 0 },
    { "10,000 nested arrays", GEN_NEST, "1", 10000, "list<int>", 0, CQL_EPROTO, 0 },
    { "10,000 open objects", GEN_OPEN, "{\"a\":", 10000, "int", 0, CQL_EPROTO, 0 },
    { "64 nested arrays on a shallow type", GEN_NEST, "1", 64, "list<frozen<list<int>>>", 0, 0,
      CQL_ETYPE },
    { "65 nested arrays", GEN_NEST, "1", 65, "list<int>", 0, CQL_EPROTO, 0 },
    { "10,000 nested literal brackets", GEN_OPEN, "\"[", 1, "list<frozen<list<int>>>", 0, 0,
      CQL_ETYPE },
    { "a 400-digit number on int", GEN_DIGITS, "9", 400, "int", 0, 0, CQL_ERANGE },
    { "a 400-digit number on bigint", GEN_DIGITS, "-9", 400, "bigint", 0, 0, CQL_ERANGE },
    { "a 400-digit number on varint", GEN_DIGITS, "9", 400, "varint", 0, 0, 0 },
    { "a 400-digit number on decimal", GEN_DIGITS, "0.", 400, "decimal", 0, 0, 0 },
    { "a 400-digit number on double", GEN_DIGITS, "9", 400, "double", 0, 0, 0 },
    { "a 400-digit number on text", GEN_DIGITS, "9", 400, "text", 0, 0, 0 },
    { "a 400-digit number on timestamp", GEN_DIGITS, "9", 400, "timestamp", 0, 0, CQL_ERANGE },
    { "100,001 digits on varint", GEN_DIGITS, "1", 100001, "varint", 0, 0, CQL_ERANGE },
    { "a huge exponent on decimal", GEN_TEXT, "1e99999999999999999999", 0, "decimal", 0, 0,
      CQL_ERANGE },
    { "a huge exponent on double", GEN_TEXT, "1e99999999999999999999", 0, "double", 0, 0, 0 },
    { "a tiny exponent on float", GEN_TEXT, "1e-99999999999999999999", 0, "float", 0, 0, 0 },
    { "a huge exponent on int", GEN_TEXT, "1e99999999999999999999", 0, "int", 0, 0, CQL_ETYPE },
    { "invalid UTF-8 for text", GEN_TEXT, "\"ab\xc3\"", 0, "text", 0, CQL_EPROTO, 0 },
    { "invalid UTF-8 nested", GEN_TEXT, "[\"\xfe\"]", 0, "list<text>", 0, CQL_EPROTO, 0 },
    { "an unpaired surrogate", GEN_TEXT, "\"\\udfff\"", 0, "text", 0, CQL_EPROTO, 0 },
    { "a NUL escape on text", GEN_TEXT, "\"\\u0000\"", 0, "text", 0, 0, 0 },
    { "a raw NUL in a string", GEN_TEXT, "\"a\"", 0, "text", 0, CQL_EPROTO, 0 },
    { "a 1 MB string on text", GEN_STRING, "", 1 << 20, "text", 0, 0, 0 },
    { "a 1 MB string on uuid", GEN_STRING, "", 1 << 20, "uuid", 0, 0, CQL_ETYPE },
    { "a 1 MB string on blob", GEN_STRING, "", 1 << 20, "blob", 0, 0, 0 },
    { "a 1 MB quoted literal", GEN_STRING, "'", 1 << 20, "text", 0, 0, 0 },
    { "a long stringified list", GEN_STRING, "[", 1000, "list<int>", 0, 0, CQL_ETYPE },
    { "20,000 members on a UDT", GEN_MEMBERS, "", 20000, ADDRESS_CLASS, 0, 0, CQL_ETYPE },
    { "20,000 members on a map", GEN_MEMBERS, "", 20000, "map<text, int>", 0, 0, 0 },
    { "20,000 distinct members, checked", GEN_MEMBERS, "", 20000, "map<text, int>",
      CQL_JSON_NO_DUPLICATES, 0, 0 },
    { "a bare word", GEN_TEXT, "undefined", 0, "text", 0, CQL_EPROTO, 0 },
    { "a single quote string", GEN_TEXT, "'x'", 0, "text", 0, CQL_EPROTO, 0 },
    { "a lone minus", GEN_TEXT, "-", 0, "int", 0, CQL_EPROTO, 0 },
    { "an empty body", GEN_TEXT, "", 0, "int", 0, CQL_EPROTO, 0 },
    { "a map key that is a literal bomb", GEN_TEXT, "{\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\": 1}",
      0, "map<frozen<list<int>>, int>", 0, 0, CQL_ETYPE },
    { "a tuple of the wrong shape", GEN_TEXT, "[[[[1]]]]", 0, "tuple<int>", 0, 0, CQL_ETYPE },
};

static size_t
gen_body(const struct hostile_case *hc, char *buf, size_t cap)
{
    size_t n = 0;
    size_t tl = strlen(hc->text);

    switch (hc->gen) {
    case GEN_OPEN:
        for (size_t i = 0; i < hc->n && n + tl <= cap; i++) {
            memcpy(buf + n, hc->text, tl);
            n += tl;
        }
        /* A stringified literal bomb: a string of brackets. */
        if (hc->text[0] == '"') {
            memset(buf + n, '[', 10000);
            n += 10000;
            buf[n++] = '"';
        }
        return n;
    case GEN_NEST:
        memset(buf, '[', hc->n);
        n = hc->n;
        memcpy(buf + n, hc->text, tl);
        n += tl;
        memset(buf + n, ']', hc->n);
        return n + hc->n;
    case GEN_DIGITS:
        memcpy(buf, hc->text, tl);
        memset(buf + tl, '7', hc->n);
        return tl + hc->n;
    case GEN_STRING:
        buf[n++] = '"';
        memcpy(buf + n, hc->text, tl);
        n += tl;
        memset(buf + n, 'x', hc->n);
        n += hc->n;
        if (hc->text[0] == '\'') {
            buf[n++] = '\'';
        }
        buf[n++] = '"';
        return n;
    case GEN_MEMBERS:
        buf[n++] = '{';
        for (size_t i = 0; i < hc->n; i++) {
            n += (size_t)snprintf(buf + n, cap - n, "%s\"k%zu\":%zu", i > 0 ? "," : "", i, i);
        }
        buf[n++] = '}';
        return n;
    default:
        memcpy(buf, hc->text, tl);
        /* The raw NUL case puts a NUL byte inside the quotes. */
        if (strcmp(hc->what, "a raw NUL in a string") == 0) {
            memcpy(buf, "\"a\0b\"", 5);
            return 5;
        }
        return tl;
    }
}

TEST(cql_json_hostile)
{
    size_t cap = (1 << 20) + 64 * 1024;
    char *buf = malloc(cap);
    uint8_t *out = malloc(4 << 20);

    OK(buf != NULL && out != NULL);
    for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
        const struct hostile_case *hc = &hostile[i];
        size_t n = gen_body(hc, buf, cap);
        char *exact = (char *)test_dup(buf, n);
        struct cql_json_node *v;
        struct cql_wr w;
        int rc;

        jreset();
        v = jsn(exact, n, hc->flags, &rc);
        if (rc != hc->parse_rc) {
            test_fail(__FILE__, __LINE__, "%s: parse rc %d, want %d (%s)", hc->what, rc,
                      hc->parse_rc, last.detail);
            free(exact);
            break;
        }
        if (rc != 0) {
            OK(last.detail[0] != '\0');
            free(exact);
            continue;
        }
        cql_wr_init(&w, out, 4 << 20, NULL, NULL);
        rc = cql_json_to_value(ty(hc->type), v, hc->flags, &w, &last);
        free(exact);
        if (rc != hc->conv_rc) {
            test_fail(__FILE__, __LINE__, "%s: conversion rc %d, want %d (%s)", hc->what, rc,
                      hc->conv_rc, last.detail);
            break;
        }
        if (rc != 0) {
            OK(last.detail[0] != '\0');
            OK(w.len == 0);
        } else {
            OK(w.len >= 4);
        }
    }
    free(buf);
    free(out);
    jreset();
}

/*
 * Keys are escaped once per response when the columns fit, and per row otherwise: both give the
 * rows cql_json_row gives, for a name that needs escaping and for more columns than fit.
 */
TEST(cql_json_rows_response_keys)
{
    static const int32_t counts[] = { 3, 300 };
    static struct cql_col_spec cols[300];
    static char names[300][8];
    static uint8_t rows[300 * 8 * 2 + 64];

    for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
        int32_t ncols = counts[c];
        struct cql_result res;
        struct cql_wr w, want;
        const char *d = NULL;
        struct cql_bytes cells[300];

        memset(&res, 0, sizeof(res));
        for (int32_t i = 0; i < ncols; i++) {
            snprintf(names[i], sizeof(names[i]), i == 1 ? "a\"b%d" : "c%d", i);
            cols[i].name.p = names[i];
            cols[i].name.len = strlen(names[i]);
            cols[i].type = ty("int");
        }
        cql_wr_init(&w, rows, sizeof(rows), NULL, NULL);
        for (int32_t r = 0; r < 2; r++) {
            for (int32_t i = 0; i < ncols; i++) {
                uint8_t v[4];

                cql_put_be32(v, (uint32_t)(r * 1000 + i));
                cql_wr_bytes(&w, v, 4);
            }
        }
        OK(w.err == 0);
        res.kind = CQL_RESULT_ROWS;
        res.meta.columns_count = ncols;
        res.meta.cols = cols;
        res.meta.paging_state.len = CQL_NULL;
        res.rows_count = 2;
        res.rows = rows;
        res.rows_len = w.len;
        /* the expected text, row by row through cql_json_row */
        cql_wr_init(&want, NULL, 0, test_grow, NULL);
        cql_wr_raw(&want, "[", 1);
        for (int32_t r = 0; r < 2; r++) {
            for (int32_t i = 0; i < ncols; i++) {
                cells[i].p = rows + (size_t)(r * ncols + i) * 8 + 4;
                cells[i].len = 4;
            }
            if (r > 0) {
                cql_wr_byte(&want, ',');
            }
            EQ(cql_json_row(&want, cols, ncols, cells, 0, &d), 0);
        }
        cql_wr_byte(&want, ']');
        cql_wr_init(&w, obuf, sizeof(obuf), NULL, NULL);
        EQ(cql_json_rows_response(&w, NULL, &res, CQL_JSON_RAW, &d), 0);
        OK(w.len == want.len && memcmp(w.p, want.p, w.len) == 0);
        OK(memmem(w.p, w.len, "\"a\\\"b1\":1", 9) != NULL);
        free(want.p);
    }
}
