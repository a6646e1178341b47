/* test_json_w.c: the streaming JSON writer of src/core/json_w. */
#include "test.h"

#include <math.h>
#include <stdlib.h>

#include "core/json_w.h"
#include "core/util.h"
#include "cql_value.h"

/* A writer over a test_grow buffer; free w.p afterwards. */
static void
start(struct jw *j, struct cql_wr *w)
{
    cql_wr_init(w, NULL, 0, test_grow, NULL);
    jw_init(j, w);
}

TEST(json_w_nested_commas)
{
    struct cql_wr w;
    struct jw j;

    start(&j, &w);
    jw_object_begin(&j);
    jw_key(&j, "count");
    jw_int64(&j, 2);
    jw_key(&j, "data");
    jw_array_begin(&j);
    jw_object_begin(&j);
    jw_key(&j, "a");
    jw_null(&j);
    jw_key(&j, "b");
    jw_bool(&j, true);
    jw_object_end(&j);
    jw_object_begin(&j);
    jw_object_end(&j);
    jw_array_begin(&j);
    jw_array_end(&j);
    jw_bool(&j, false);
    jw_array_end(&j);
    jw_key(&j, "pageState");
    jw_string(&j, "x");
    jw_object_end(&j);
    EQ(jw_finish(&j), 0);
    SLICEEQ(w.p, w.len,
            "{\"count\":2,\"data\":[{\"a\":null,\"b\":true},{},[],false],\"pageState\":\"x\"}");
    free(w.p);
}

TEST(json_w_scalars)
{
    static const struct {
        double      v;                  /* input */
        const char *want;               /* rendering */
    } doubles[] = {
        { 1.0, "1.0" },
        { -0.5, "-0.5" },
        { 0.1, "0.1" },
        { 1e21, "1.0E21" },
        { 1.5e-7, "1.5E-7" },
        { 123456.789, "123456.789" },
    };
    struct cql_wr w;
    struct jw j;

    start(&j, &w);
    jw_array_begin(&j);
    jw_int64(&j, INT64_MIN);
    jw_int64(&j, 0);
    jw_uint64(&j, UINT64_MAX);
    jw_uint64(&j, 0);
    jw_double(&j, NAN);
    jw_double(&j, INFINITY);
    jw_double(&j, -INFINITY);
    jw_raw(&j, "{\"pre\":[1]}", 11);
    jw_array_end(&j);
    EQ(jw_finish(&j), 0);
    SLICEEQ(w.p, w.len, "[-9223372036854775808,0,18446744073709551615,0,\"NaN\",\"Infinity\","
                        "\"-Infinity\",{\"pre\":[1]}]");
    free(w.p);

    for (size_t i = 0; i < ARRAY_SIZE(doubles); i++) {
        char *end;

        start(&j, &w);
        jw_double(&j, doubles[i].v);
        EQ(jw_finish(&j), 0);
        SLICEEQ(w.p, w.len, doubles[i].want);
        /* The digits read back as the same double. */
        cql_wr_byte(&w, '\0');
        OK(strtod((const char *)w.p, &end) == doubles[i].v);
        free(w.p);
    }
}

TEST(json_w_string_escapes)
{
    struct cql_wr w;
    struct jw j;

    start(&j, &w);
    jw_object_begin(&j);
    jw_key(&j, "k\"ey");
    jw_string(&j, "a\"b\\c\n\t\x01/\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
    jw_key_n(&j, "nul", 3);
    jw_string_n(&j, "x\0y", 3);
    jw_object_end(&j);
    EQ(jw_finish(&j), 0);
    SLICEEQ(w.p, w.len, "{\"k\\\"ey\":\"a\\\"b\\\\c\\n\\t\\u0001/\xc3\xa9\xe2\x82\xac"
                        "\xf0\x9f\x98\x80\",\"nul\":\"x\\u0000y\"}");
    free(w.p);
}

TEST(json_w_invalid_utf8_is_replaced)
{
    struct cql_wr w;
    struct jw j;

    start(&j, &w);
    jw_array_begin(&j);
    jw_string(&j, "ok\xff\"x\xc3");             /* a stray byte, then a truncated sequence */
    jw_string(&j, "\xed\xa0\x80");              /* an encoded surrogate */
    jw_string(&j, "\xc0\xaf");                  /* an overlong '/' */
    jw_array_end(&j);
    EQ(jw_finish(&j), 0);
    SLICEEQ(w.p, w.len, "[\"ok\xef\xbf\xbd\\\"x\xef\xbf\xbd\","
                        "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\","
                        "\"\xef\xbf\xbd\xef\xbf\xbd\"]");
    free(w.p);
}

TEST(json_w_value_hook)
{
    struct cql_wr w;
    struct cql_wr *out;
    struct jw j;

    start(&j, &w);
    jw_object_begin(&j);
    jw_key(&j, "a");
    out = jw_value(&j);
    OK(out == &w);
    cql_wr_raw(out, "[1,2]", 5);
    jw_key(&j, "b");
    jw_array_begin(&j);
    jw_int64(&j, 1);
    out = jw_value(&j);
    OK(out != NULL);
    cql_wr_raw(out, "\"v\"", 3);
    jw_array_end(&j);
    jw_object_end(&j);
    EQ(jw_finish(&j), 0);
    SLICEEQ(w.p, w.len, "{\"a\":[1,2],\"b\":[1,\"v\"]}");
    free(w.p);
}

TEST(json_w_shape_errors)
{
    struct cql_wr w;
    struct jw j;

    /* A value in an object without a key. */
    start(&j, &w);
    jw_object_begin(&j);
    jw_int64(&j, 1);
    EQ(jw_finish(&j), E_INVALID);
    free(w.p);

    /* A key in an array. */
    start(&j, &w);
    jw_array_begin(&j);
    jw_key(&j, "k");
    EQ(jw_finish(&j), E_INVALID);
    free(w.p);

    /* Two keys in a row. */
    start(&j, &w);
    jw_object_begin(&j);
    jw_key(&j, "a");
    jw_key(&j, "b");
    EQ(jw_finish(&j), E_INVALID);
    free(w.p);

    /* Mismatched end, then the error sticks: later writes do nothing. */
    start(&j, &w);
    jw_array_begin(&j);
    jw_object_end(&j);
    jw_array_end(&j);
    EQ(jw_finish(&j), E_INVALID);
    SLICEEQ(w.p, w.len, "[");
    free(w.p);

    /* An end with nothing open; a key left without its value; two top-level values. */
    start(&j, &w);
    jw_array_end(&j);
    EQ(jw_finish(&j), E_INVALID);
    free(w.p);
    start(&j, &w);
    jw_object_begin(&j);
    jw_key(&j, "a");
    jw_object_end(&j);
    EQ(jw_finish(&j), E_INVALID);
    free(w.p);
    start(&j, &w);
    jw_int64(&j, 1);
    jw_int64(&j, 2);
    EQ(jw_finish(&j), E_INVALID);
    free(w.p);

    /* Unfinished, and nothing at all. */
    start(&j, &w);
    jw_array_begin(&j);
    EQ(jw_finish(&j), E_INVALID);
    free(w.p);
    start(&j, &w);
    EQ(jw_finish(&j), E_INVALID);
    free(w.p);
}

TEST(json_w_depth_limit)
{
    struct cql_wr w;
    struct jw j;

    start(&j, &w);
    for (int i = 0; i < JW_MAX_DEPTH; i++) {
        if (i % 2 == 0) {
            jw_array_begin(&j);
        } else {
            jw_object_begin(&j);
            if (i < JW_MAX_DEPTH - 1) {
                jw_key(&j, "k");
            }
        }
    }
    EQ(j.err, 0);
    for (int i = JW_MAX_DEPTH - 1; i >= 0; i--) {
        if (i % 2 == 0) {
            jw_array_end(&j);
        } else {
            jw_object_end(&j);
        }
    }
    EQ(jw_finish(&j), 0);
    free(w.p);

    start(&j, &w);
    for (int i = 0; i <= JW_MAX_DEPTH; i++) {
        jw_array_begin(&j);
    }
    EQ(jw_finish(&j), E_INVALID);
    EQ(w.len, JW_MAX_DEPTH);
    free(w.p);
}

TEST(json_w_buffer_full)
{
    uint8_t buf[8];
    struct cql_wr w;
    struct jw j;

    cql_wr_init(&w, buf, sizeof(buf), NULL, NULL);
    jw_init(&j, &w);
    jw_array_begin(&j);
    jw_string(&j, "longer than eight bytes");
    jw_array_end(&j);
    EQ(jw_finish(&j), CQL_ENOSPC);

    cql_wr_init(&w, buf, sizeof(buf), NULL, NULL);
    jw_init(&j, &w);
    jw_array_begin(&j);
    jw_int64(&j, 12);
    jw_array_end(&j);
    EQ(jw_finish(&j), 0);
    SLICEEQ(buf, w.len, "[12]");
}
