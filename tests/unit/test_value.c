/*
 * test_value.c: value codecs of proto/cql_value: stringified text to bytes, bytes to JSON.
 * Byte vectors are derived by hand from native_protocol_v5.spec section 6 (and cross-checked
 * against Java's BigInteger, BigDecimal and java.time where noted).
 */
#include "test.h"

#include "cql_value.h"

#include <stdlib.h>

/* ---- helpers --------------------------------------------------------------------------------- */

#define M "org.apache.cassandra.db.marshal."

/* address { street text, zip int } */
#define ADDRESS_CLASS                                                                              \
    M "UserType(ks,61646472657373,737472656574:" M "UTF8Type,7a6970:" M "Int32Type)"

/*
 * A type from CQL type text, or from a marshal class name when it starts with "org.", in
 * test_alloc. Types live until the test ends or test_alloc is more than half full; the tests
 * below use only a few hundred.
 */
static const struct cql_type *
ty(const char *s)
{
    struct cql_type *t = NULL;
    int rc;

    if (test_alloc_used() > TEST_ALLOC_SIZE / 2) {
        test_alloc_reset(SIZE_MAX);
    }
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

/* Output buffer shared by the helpers (no growth: capacity failures would show as ENOSPC). */
static uint8_t obuf[1 << 20];
static const char *last_err;

static int
enc_t(const struct cql_type *t, const char *text, size_t len, struct cql_wr *w)
{
    cql_wr_init(w, obuf, sizeof(obuf), NULL, NULL);
    last_err = NULL;
    return cql_value_from_text(t, text, len, w, &last_err);
}

/* JSON of P (LEN; < 0 is null) as a NUL-terminated string in a static buffer. */
static char jbuf[1 << 16];

static int
json_t(const struct cql_type *t, const uint8_t *p, int32_t len, unsigned flags)
{
    struct cql_wr w;
    int rc;

    cql_wr_init(&w, (uint8_t *)jbuf, sizeof(jbuf) - 1, NULL, NULL);
    last_err = NULL;
    rc = cql_value_to_json_opts(t, p, len, flags, &w, &last_err);
    jbuf[rc == 0 ? w.len : 0] = '\0';
    return rc;
}

/* Text to bytes, compared with the hex vector WANT. */
#define ENC(type, text, want)                                                                      \
    do {                                                                                           \
        struct cql_wr w_;                                                                          \
        uint8_t want_[4096];                                                                       \
        long n_ = test_unhex((want), want_, sizeof(want_));                                        \
        int rc_ = enc_t(ty(type), (text), strlen(text), &w_);                                      \
        if (rc_ != 0) {                                                                            \
            test_fail(__FILE__, __LINE__, "%s '%s': rc %d (%s)", (type), (text), rc_,              \
                      last_err ? last_err : "?");                                                  \
            return;                                                                                \
        }                                                                                          \
        OK(n_ >= 0);                                                                               \
        MEMEQ(w_.p, w_.len, want_, n_);                                                            \
    } while (0)

/* Text that must fail with CODE. */
#define ENC_ERR(type, text, code)                                                                  \
    do {                                                                                           \
        struct cql_wr w_;                                                                          \
        int rc_ = enc_t(ty(type), (text), strlen(text), &w_);                                      \
        if (rc_ != (code)) {                                                                       \
            test_fail(__FILE__, __LINE__, "%s '%s': rc %d, want %d", (type), (text), rc_,          \
                      (int)(code));                                                                \
            return;                                                                                \
        }                                                                                          \
        OK(last_err != NULL);                                                                      \
    } while (0)

/* Bytes (hex, or "null") to JSON. */
#define DEC_FLAGS(type, hex, flags, want)                                                          \
    do {                                                                                           \
        uint8_t in_[4096];                                                                         \
        long n_ = strcmp((hex), "null") == 0 ? -1 : test_unhex((hex), in_, sizeof(in_));           \
        int rc_ = json_t(ty(type), in_, (int32_t)n_, (flags));                                     \
        if (rc_ != 0) {                                                                            \
            test_fail(__FILE__, __LINE__, "%s %s: rc %d (%s)", (type), (hex), rc_,                 \
                      last_err ? last_err : "?");                                                  \
            return;                                                                                \
        }                                                                                          \
        STREQ(jbuf, (want));                                                                       \
    } while (0)

#define DEC(type, hex, want) DEC_FLAGS(type, hex, 0, want)

/* Bytes that must fail to render with CODE. */
#define DEC_ERR(type, hex, code)                                                                   \
    do {                                                                                           \
        uint8_t in_[4096];                                                                         \
        long n_ = test_unhex((hex), in_, sizeof(in_));                                             \
        OK(n_ >= 0);                                                                               \
        EQ(json_t(ty(type), in_, (int32_t)n_, 0), (code));                                         \
        OK(last_err != NULL);                                                                      \
    } while (0)

/* Text to bytes to JSON. */
#define RT(type, text, want)                                                                       \
    do {                                                                                           \
        struct cql_wr w_;                                                                          \
        const struct cql_type *t_ = ty(type);                                                      \
        int rc_ = enc_t(t_, (text), strlen(text), &w_);                                            \
        if (rc_ != 0) {                                                                            \
            test_fail(__FILE__, __LINE__, "%s '%s': rc %d (%s)", (type), (text), rc_,              \
                      last_err ? last_err : "?");                                                  \
            return;                                                                                \
        }                                                                                          \
        EQ(json_t(t_, w_.p, (int32_t)w_.len, 0), 0);                                               \
        STREQ(jbuf, (want));                                                                       \
    } while (0)

/* ---- integers -------------------------------------------------------------------------------- */

TEST(value_int_edges)
{
    ENC("int", "0", "00000000");
    ENC("int", "2147483647", "7fffffff");
    ENC("int", "-2147483648", "80000000");
    ENC("int", "+5", "00000005");
    ENC("int", "-0", "00000000");
    ENC("int", "007", "00000007");
    ENC_ERR("int", "2147483648", CQL_ERANGE);
    STREQ(last_err, "value out of range for int");
    ENC_ERR("int", "-2147483649", CQL_ERANGE);
    ENC_ERR("int", "99999999999999999999999", CQL_ERANGE);
    ENC_ERR("int", "", CQL_ETYPE);
    ENC_ERR("int", "1.0", CQL_ETYPE);
    ENC_ERR("int", " 1", CQL_ETYPE);
    ENC_ERR("int", "0x10", CQL_ETYPE);
    ENC_ERR("int", "-", CQL_ETYPE);
    ENC_ERR("int", "99999999999999999999999x", CQL_ETYPE);
    DEC("int", "7fffffff", "2147483647");
    DEC("int", "80000000", "-2147483648");
    DEC_ERR("int", "000001", CQL_EPROTO);
    DEC_ERR("int", "0000000001", CQL_EPROTO);
}

TEST(value_bigint_smallint_tinyint_counter)
{
    ENC("bigint", "9223372036854775807", "7fffffffffffffff");
    ENC("bigint", "-9223372036854775808", "8000000000000000");
    ENC_ERR("bigint", "9223372036854775808", CQL_ERANGE);
    STREQ(last_err, "value out of range for bigint");
    ENC_ERR("bigint", "-9223372036854775809", CQL_ERANGE);
    ENC("smallint", "32767", "7fff");
    ENC("smallint", "-32768", "8000");
    ENC_ERR("smallint", "32768", CQL_ERANGE);
    STREQ(last_err, "value out of range for smallint");
    ENC_ERR("smallint", "-32769", CQL_ERANGE);
    ENC("tinyint", "127", "7f");
    ENC("tinyint", "-128", "80");
    ENC_ERR("tinyint", "128", CQL_ERANGE);
    STREQ(last_err, "value out of range for tinyint");
    ENC_ERR("tinyint", "-129", CQL_ERANGE);
    ENC("counter", "+1", "0000000000000001");
    ENC("counter", "-3", "fffffffffffffffd");
    DEC("bigint", "8000000000000000", "-9223372036854775808");
    DEC("smallint", "8000", "-32768");
    DEC("tinyint", "ff", "-1");
    DEC("counter", "0000000000000002", "\"2\"");
    DEC("counter", "ffffffffffffffff", "\"-1\"");
    DEC_ERR("smallint", "01", CQL_EPROTO);
    DEC_ERR("tinyint", "0102", CQL_EPROTO);
}

TEST(value_varint)
{
    ENC("varint", "0", "00");
    ENC("varint", "-0", "00");
    ENC("varint", "1", "01");
    ENC("varint", "-1", "ff");
    ENC("varint", "127", "7f");
    ENC("varint", "128", "0080");
    ENC("varint", "-128", "80");
    ENC("varint", "-129", "ff7f");
    ENC("varint", "255", "00ff");
    ENC("varint", "256", "0100");
    ENC("varint", "-256", "ff00");
    ENC("varint", "-257", "feff");
    ENC("varint", "+0000042", "2a");
    ENC("varint", "9223372036854775808", "008000000000000000");
    ENC("varint", "-9223372036854775808", "8000000000000000");
    ENC("varint", "123456789012345678905", "06b14e9f812f366c39");
    /* 2^200 and its neighbours */
    ENC("varint", "1606938044258990275541962092341162602522202993782792835301376",
        "01 00000000000000000000000000000000000000000000000000");
    ENC("varint", "-1606938044258990275541962092341162602522202993782792835301376",
        "ff 00000000000000000000000000000000000000000000000000");
    ENC("varint", "1606938044258990275541962092341162602522202993782792835301377",
        "01 00000000000000000000000000000000000000000000000001");
    ENC("varint", "-1606938044258990275541962092341162602522202993782792835301377",
        "fe ffffffffffffffffffffffffffffffffffffffffffffffffff");
    ENC_ERR("varint", "", CQL_ETYPE);
    ENC_ERR("varint", "1e3", CQL_ETYPE);
    ENC_ERR("varint", "12a", CQL_ETYPE);
    DEC("varint", "00", "0");
    DEC("varint", "ff", "-1");
    DEC("varint", "0080", "128");
    DEC("varint", "80", "-128");
    DEC("varint", "ff7f", "-129");
    DEC("varint", "000000ff", "255");          /* redundant sign bytes are still valid */
    DEC("varint", "8000000000000000", "-9223372036854775808");
    DEC("varint", "01 00000000000000000000000000000000000000000000000000",
        "1606938044258990275541962092341162602522202993782792835301376");
    DEC("varint", "ff 00000000000000000000000000000000000000000000000000",
        "-1606938044258990275541962092341162602522202993782792835301376");
    DEC("varint", "", "null");
    RT("varint", "-340282366920938463463374607431768211456",
       "-340282366920938463463374607431768211456");
    RT("varint", "99999999999999999999999999999999999999999999",
       "99999999999999999999999999999999999999999999");
}

TEST(value_varint_long_round_trip)
{
    char text[3002];
    struct cql_wr w;
    const struct cql_type *t = ty("varint");

    text[0] = '-';
    for (int i = 1; i < 3001; i++) {
        text[i] = (char)('1' + i % 9);
    }
    text[3001] = '\0';
    EQ(enc_t(t, text, strlen(text), &w), 0);
    EQ(json_t(t, w.p, (int32_t)w.len, 0), 0);
    STREQ(jbuf, text);
}

/* ---- decimal --------------------------------------------------------------------------------- */

TEST(value_decimal_encode)
{
    ENC("decimal", "1.23", "00000002 7b");
    ENC("decimal", "1E+3", "fffffffd 01");
    ENC("decimal", "1e3", "fffffffd 01");
    ENC("decimal", "-0.000", "00000003 00");
    ENC("decimal", "1e-400", "00000190 01");
    ENC("decimal", "0.00001", "00000005 01");
    ENC("decimal", "123.45e2", "00000000 3039");
    ENC("decimal", "-1.5E-7", "00000008 f1");
    ENC("decimal", ".5", "00000001 05");
    ENC("decimal", "5.", "00000000 05");
    ENC("decimal", "+12345678901234567890.5", "00000001 06b14e9f812f366c39");
    ENC("decimal", "1E+2147483647", "80000001 01");
    ENC("decimal", "1E-2147483647", "7fffffff 01");
    ENC_ERR("decimal", "1E+2147483648", CQL_ERANGE);      /* exponent past int32 */
    ENC_ERR("decimal", "1E-2147483648", CQL_ERANGE);      /* scale past int32 */
    ENC_ERR("decimal", "0.1E-2147483647", CQL_ERANGE);
    ENC_ERR("decimal", ".", CQL_ETYPE);
    ENC_ERR("decimal", "1e", CQL_ETYPE);
    ENC_ERR("decimal", "1e+", CQL_ETYPE);
    ENC_ERR("decimal", "--1", CQL_ETYPE);
    ENC_ERR("decimal", "1.2.3", CQL_ETYPE);
    ENC_ERR("decimal", "NaN", CQL_ETYPE);
    ENC_ERR("decimal", "", CQL_ETYPE);
}

TEST(value_decimal_json)
{
    /* Java BigDecimal.toString forms. */
    DEC("decimal", "fffffffd 01", "1E+3");
    DEC("decimal", "00000002 7b", "1.23");
    DEC("decimal", "0000000a 01", "1E-10");
    DEC("decimal", "00000003 00", "0.000");
    DEC("decimal", "0000000a 00", "0E-10");
    DEC("decimal", "fffffffd 00", "0E+3");
    DEC("decimal", "00000005 01", "0.00001");
    DEC("decimal", "00000006 01", "0.000001");
    DEC("decimal", "00000007 01", "1E-7");
    DEC("decimal", "00000008 f1", "-1.5E-7");
    DEC("decimal", "00000000 3039", "12345");
    DEC("decimal", "00000001 cfc7", "-1234.5");
    DEC("decimal", "00000005 cfc7", "-0.12345");
    DEC("decimal", "00000006 cfc7", "-0.012345");
    DEC("decimal", "80000000 01", "1E+2147483648");         /* scale INT32_MIN */
    DEC("decimal", "7fffffff cfc7", "-1.2345E-2147483643"); /* scale INT32_MAX */
    DEC("decimal", "ffffffff 3039", "1.2345E+5");
    DEC("decimal", "", "null");
    DEC_ERR("decimal", "00000001", CQL_EPROTO);
    DEC_ERR("decimal", "000001", CQL_EPROTO);
    RT("decimal", "1E+3", "1E+3");
    RT("decimal", "-0.000", "0.000");
    RT("decimal", "1e-400", "1E-400");
    RT("decimal", "0.00001", "0.00001");
    RT("decimal", "3.14159265358979323846264338327950288419716939937510",
       "3.14159265358979323846264338327950288419716939937510");
}

/* ---- floating point -------------------------------------------------------------------------- */

TEST(value_float_double)
{
    ENC("float", "1.5", "3fc00000");
    ENC("float", "-0.0", "80000000");
    ENC("float", "NaN", "7fc00000");
    ENC("float", "Infinity", "7f800000");
    ENC("float", "+Infinity", "7f800000");
    ENC("float", "-Infinity", "ff800000");
    ENC("float", "1e40", "7f800000");      /* past float range: Infinity, as Java does */
    ENC("float", "0.1", "3dcccccd");
    ENC("float", "1.5f", "3fc00000");
    ENC("double", "1.5", "3ff8000000000000");
    ENC("double", "0.1", "3fb999999999999a");
    ENC("double", "NaN", "7ff8000000000000");
    ENC("double", "Infinity", "7ff0000000000000");
    ENC("double", "-Infinity", "fff0000000000000");
    ENC("double", "1e-400", "0000000000000000");
    ENC("double", ".5", "3fe0000000000000");
    ENC("double", "2.", "4000000000000000");
    ENC_ERR("double", "", CQL_ETYPE);
    ENC_ERR("double", "nan", CQL_ETYPE);
    ENC_ERR("double", "inf", CQL_ETYPE);
    ENC_ERR("double", "0x1p3", CQL_ETYPE);
    ENC_ERR("double", "1e", CQL_ETYPE);
    ENC_ERR("double", ".", CQL_ETYPE);
    ENC_ERR("double", " 1", CQL_ETYPE);
    ENC_ERR("float", "1,5", CQL_ETYPE);

    DEC("float", "3fc00000", "1.5");
    DEC("float", "3dcccccd", "0.1");
    DEC("float", "00000001", "1.4E-45");
    DEC("float", "7f7fffff", "3.4028235E38");
    DEC("float", "4b189680", "1.0E7");
    DEC("float", "7fc00000", "\"NaN\"");
    DEC("float", "ff800000", "\"-Infinity\"");
    DEC("float", "80000000", "-0.0");
    DEC("double", "3fb999999999999a", "0.1");
    DEC("double", "0000000000000001", "4.9E-324");
    DEC("double", "7fefffffffffffff", "1.7976931348623157E308");
    DEC("double", "0000000000000000", "0.0");
    DEC("double", "7ff0000000000000", "\"Infinity\"");
    DEC("double", "7ff8000000000000", "\"NaN\"");
    DEC_ERR("double", "3ff80000", CQL_EPROTO);
    RT("double", "100", "100.0");
    RT("double", "1e7", "1.0E7");
    RT("double", "9999999", "9999999.0");
    RT("double", "0.001", "0.001");
    RT("double", "0.0001", "1.0E-4");
    RT("double", "1e23", "1.0E23");
    RT("double", "-123456.789", "-123456.789");
    RT("double", "2.2250738585072014E-308", "2.2250738585072014E-308");
    RT("double", "1.0000000000000002", "1.0000000000000002");
    RT("float", "16777216", "1.6777216E7");
    RT("float", "3.3333333", "3.3333333");
}

/* ---- boolean, uuid, strings, blob ------------------------------------------------------------ */

TEST(value_boolean)
{
    ENC("boolean", "true", "01");
    ENC("boolean", "FALSE", "00");
    ENC("boolean", "True", "01");
    ENC_ERR("boolean", "yes", CQL_ETYPE);
    ENC_ERR("boolean", "1", CQL_ETYPE);
    DEC("boolean", "01", "true");
    DEC("boolean", "02", "true");
    DEC("boolean", "00", "false");
    DEC("boolean", "", "null");
    DEC_ERR("boolean", "0001", CQL_EPROTO);
}

TEST(value_uuid_timeuuid)
{
    ENC("uuid", "550e8400-e29b-41d4-a716-446655440000", "550e8400e29b41d4a716446655440000");
    ENC("uuid", "550E8400-E29B-41D4-A716-446655440000", "550e8400e29b41d4a716446655440000");
    ENC("uuid", "1-2-3-4-5", "00000001000200030004000000000005");
    ENC_ERR("uuid", "550e8400e29b41d4a716446655440000", CQL_ETYPE);
    ENC_ERR("uuid", "550e8400-e29b-41d4-a716-44665544000g", CQL_ETYPE);
    ENC_ERR("uuid", "550e8400-e29b-41d4-a716-4466554400000", CQL_ETYPE);
    ENC_ERR("uuid", "550e8400-e29b-41d4-a716", CQL_ETYPE);
    ENC_ERR("uuid", "", CQL_ETYPE);
    ENC("timeuuid", "50554d6e-29bb-11e5-b345-feff819cdc9f", "50554d6e29bb11e5b345feff819cdc9f");
    ENC_ERR("timeuuid", "550e8400-e29b-41d4-a716-446655440000", CQL_ETYPE);
    STREQ(last_err, "timeuuid must be a version 1 UUID");
    DEC("uuid", "550E8400E29B41D4A716446655440000", "\"550e8400-e29b-41d4-a716-446655440000\"");
    DEC("timeuuid", "50554d6e29bb11e5b345feff819cdc9f", "\"50554d6e-29bb-11e5-b345-feff819cdc9f\"");
    DEC("uuid", "", "null");
    DEC_ERR("uuid", "550e8400e29b41d4a7164466554400", CQL_EPROTO);
}

TEST(value_text_ascii)
{
    struct cql_wr w;
    const struct cql_type *text = ty("text");

    ENC("text", "hello", "68656c6c6f");
    ENC("text", "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80", "68c3a96c6c6f20e282ac20f09f9880");
    ENC("varchar", "", "");
    ENC("ascii", "abc", "616263");
    ENC_ERR("ascii", "caf\xc3\xa9", CQL_ETYPE);
    ENC_ERR("text", "\xff", CQL_ETYPE);
    ENC_ERR("text", "\xc0\x80", CQL_ETYPE);              /* overlong */
    ENC_ERR("text", "\xed\xa0\x80", CQL_ETYPE);          /* surrogate */
    ENC_ERR("text", "\xf4\x90\x80\x80", CQL_ETYPE);      /* past U+10FFFF */
    ENC_ERR("text", "\xe2\x82", CQL_ETYPE);              /* truncated */
    /* Quote stripping (rest-v2.md 5.1, quirk Q7): 'hi' is hi, '' inside is '. */
    ENC("text", "'hi'", "6869");
    ENC("text", "'it''s'", "69742773");
    ENC("text", "''", "");
    ENC("text", "'", "27");
    /* An embedded NUL is data. */
    EQ(enc_t(text, "a\0b", 3, &w), 0);
    EQ(w.len, 3);

    DEC("text", "68656c6c6f", "\"hello\"");
    DEC("text", "", "\"\"");
    DEC("text", "null", "null");
    DEC("text", "61 22 62 5c 63 0a 0d 09 08 0c 01 1f 7f 2f",
        "\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0001\\u001f\x7f/\"");
    DEC("text", "c3a9 e282ac f09f9880", "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
    DEC("ascii", "616263", "\"abc\"");
    DEC_ERR("text", "ff", CQL_EPROTO);
    DEC_ERR("text", "c0 80", CQL_EPROTO);
    DEC_ERR("ascii", "c3a9", CQL_EPROTO);
}

TEST(value_blob)
{
    ENC("blob", "AQID", "010203");
    ENC("blob", "AQI", "0102");
    ENC("blob", "AQI=", "0102");
    ENC("blob", "AQ==", "01");
    ENC("blob", "AQ", "01");
    ENC("blob", "", "");
    ENC("blob", "+/8=", "fbff");
    ENC("blob", "0x0102ff", "0102ff");
    ENC("blob", "0X", "");
    ENC("blob", "0xAbCd", "abcd");
    ENC_ERR("blob", "-_8=", CQL_ETYPE);                 /* URL-safe alphabet */
    ENC_ERR("blob", "A", CQL_ETYPE);
    ENC_ERR("blob", "AQ=", CQL_ETYPE);
    ENC_ERR("blob", "AQ==AQ==", CQL_ETYPE);
    ENC_ERR("blob", "AQ I", CQL_ETYPE);
    ENC_ERR("blob", "0x012", CQL_ETYPE);                /* odd hex is not hex, nor Base64 */
    DEC("blob", "010203", "\"AQID\"");
    DEC("blob", "0102", "\"AQI=\"");
    DEC("blob", "01", "\"AQ==\"");
    DEC("blob", "fbff", "\"+/8=\"");
    DEC("blob", "", "\"\"");                             /* empty, not null */
    DEC("blob", "null", "null");
    DEC(M "DynamicCompositeType(a=>" M "BytesType)", "0102", "\"AQI=\"");
}

/* ---- dates and times ------------------------------------------------------------------------- */

TEST(value_timestamp_encode)
{
    ENC("timestamp", "2021-04-23T18:42:22.139Z", "00000179000a3f3b");
    ENC("timestamp", "2021-04-23T20:42:22.139+02:00", "00000179000a3f3b");
    ENC("timestamp", "2021-04-23T20:42:22.139+0200", "00000179000a3f3b");
    ENC("timestamp", "2021-04-23T20:42:22.139+02", "00000179000a3f3b");
    ENC("timestamp", "2021-04-23T13:12:22.139-05:30", "00000179000a3f3b");
    ENC("timestamp", "2021-04-23 18:42:22.1399999Z", "00000179000a3f3b");  /* truncated */
    ENC("timestamp", "1970-01-01T00:00:00Z", "0000000000000000");
    ENC("timestamp", "1970-01-01T00:00Z", "0000000000000000");
    ENC("timestamp", "1969-12-31T23:59:59.999Z", "ffffffffffffffff");
    ENC("timestamp", "1969-12-31T23:59:59.9999Z", "ffffffffffffffff");
    ENC("timestamp", "1900-01-01T00:00:00Z", "fffffdfdae01dc00");
    ENC("timestamp", "1619203342139", "00000179000a3f3b");
    ENC("timestamp", "-1", "ffffffffffffffff");
    ENC_ERR("timestamp", "2021-04-23T18:42:22", CQL_ETYPE);   /* no offset */
    ENC_ERR("timestamp", "2021-04-23", CQL_ETYPE);
    ENC_ERR("timestamp", "2021-04-23T25:00:00Z", CQL_ETYPE);
    ENC_ERR("timestamp", "2021-02-29T00:00:00Z", CQL_ETYPE);
    ENC_ERR("timestamp", "2021-04-23T18:42:22+19:00", CQL_ETYPE);
    ENC_ERR("timestamp", "2021-04-23T18:42:22Zjunk", CQL_ETYPE);
    ENC_ERR("timestamp", "9223372036854775808", CQL_ERANGE);
    ENC_ERR("timestamp", "999999999-01-01T00:00:00Z", CQL_ERANGE);
}

TEST(value_timestamp_json)
{
    DEC("timestamp", "00000179000a3f3b", "\"2021-04-23T18:42:22.139Z\"");
    DEC("timestamp", "0000000000000000", "\"1970-01-01T00:00:00Z\"");
    DEC("timestamp", "ffffffffffffffff", "\"1969-12-31T23:59:59.999Z\"");
    DEC("timestamp", "fffffdfdae01dc00", "\"1900-01-01T00:00:00Z\"");
    /* Cross-checked with java.time.Instant.toString. */
    RT("timestamp", "1619203342100", "\"2021-04-23T18:42:22.100Z\"");
    RT("timestamp", "253402300800000", "\"+10000-01-01T00:00:00Z\"");
    RT("timestamp", "-62135596800000", "\"0001-01-01T00:00:00Z\"");
    RT("timestamp", "-62167219200000", "\"0000-01-01T00:00:00Z\"");
    RT("timestamp", "-62198755200000", "\"-0001-01-01T00:00:00Z\"");
    RT("timestamp", "9223372036854775807", "\"+292278994-08-17T07:12:55.807Z\"");
    RT("timestamp", "-9223372036854775808", "\"-292275055-05-16T16:47:04.192Z\"");
    RT("timestamp", "-315360000000000", "\"-8024-08-22T00:00:00Z\"");
    RT("timestamp", "'2000-02-29T12:00:00.5+00:00'", "\"2000-02-29T12:00:00.500Z\"");
    RT("timestamp", "+10000-01-01T00:00:00Z", "\"+10000-01-01T00:00:00Z\"");
    RT("timestamp", "-0001-01-01T00:00:00Z", "\"-0001-01-01T00:00:00Z\"");
    DEC("timestamp", "", "null");
    DEC_ERR("timestamp", "00000179000a3f", CQL_EPROTO);
}

TEST(value_date)
{
    ENC("date", "1970-01-01", "80000000");
    ENC("date", "1969-12-31", "7fffffff");
    ENC("date", "2021-04-23", "80004934");
    ENC("date", "1900-01-01", "7fff9c21");
    ENC("date", "0001-01-01", "7ff506c6");
    ENC("date", "2020-02-29", "80004791");
    ENC("date", "5881580-07-11", "ffffffff");      /* the last representable day */
    ENC("date", "-5877641-06-23", "00000000");     /* the first */
    ENC_ERR("date", "5881580-07-12", CQL_ERANGE);
    ENC_ERR("date", "-5877641-06-22", CQL_ERANGE);
    ENC_ERR("date", "2021-02-29", CQL_ETYPE);
    ENC_ERR("date", "2021-13-01", CQL_ETYPE);
    ENC_ERR("date", "2021-00-10", CQL_ETYPE);
    ENC_ERR("date", "2021-1-01", CQL_ETYPE);
    ENC_ERR("date", "20210101", CQL_ETYPE);
    ENC_ERR("date", "12345", CQL_ETYPE);           /* numbers are rejected */
    ENC_ERR("date", "2021-01-01T00:00:00Z", CQL_ETYPE);
    DEC("date", "80000000", "\"1970-01-01\"");
    DEC("date", "7fffffff", "\"1969-12-31\"");
    DEC("date", "80004934", "\"2021-04-23\"");
    DEC("date", "7fff9c21", "\"1900-01-01\"");
    DEC("date", "7ff506c6", "\"0001-01-01\"");
    /* Outside years 1..9999: the signed day count. */
    DEC("date", "7ff506c5", "-719163");
    DEC("date", "00000000", "-2147483648");
    DEC("date", "ffffffff", "2147483647");
    RT("date", "9999-12-31", "\"9999-12-31\"");
    RT("date", "+10000-01-01", "2932897");
    DEC("date", "", "null");
    DEC_ERR("date", "800000", CQL_EPROTO);
}

TEST(value_time)
{
    ENC("time", "00:00", "0000000000000000");
    ENC("time", "12:34:56.789", "000029327b048f40");
    ENC("time", "23:59:59.999999999", "00004e94914effff");
    ENC("time", "1:00", "0000034630b8a000");
    ENC_ERR("time", "24:00", CQL_ETYPE);
    ENC_ERR("time", "12:60", CQL_ETYPE);
    ENC_ERR("time", "12:00:00.1234567890", CQL_ETYPE);
    ENC_ERR("time", "12", CQL_ETYPE);
    ENC_ERR("time", "12:00:00Z", CQL_ETYPE);
    ENC_ERR("time", "43200000000000", CQL_ETYPE);
    DEC("time", "0000000000000000", "\"00:00:00\"");
    DEC("time", "000029327b048f40", "\"12:34:56.789\"");
    DEC("time", "00004e94914effff", "\"23:59:59.999999999\"");
    RT("time", "00:00:00.5", "\"00:00:00.5\"");
    RT("time", "10:11:12.000001", "\"10:11:12.000001\"");
    DEC_ERR("time", "00004e94914f0000", CQL_EPROTO);   /* 24:00 */
    DEC_ERR("time", "ffffffffffffffff", CQL_EPROTO);
}

TEST(value_duration)
{
    ENC("duration", "1y2mo", "1c0000");
    ENC("duration", "14mo", "1c0000");
    ENC("duration", "1h30m", "0000fc09d29229e000");
    ENC("duration", "-1h30m", "0000fc09d29229dfff");
    ENC("duration", "2w", "001c00");
    ENC("duration", "2W", "001c00");
    ENC("duration", "P1DT2H", "0002fc0d18c2e28000");
    ENC("duration", "P2W", "001c00");
    ENC("duration", "P0001-02-03T04:05:06", "1c06fc1ac003cfe800");
    ENC("duration", "1y2mo2w3h4m5s6ms7us8ns", "1c1cfc14173b51b5c0");
    ENC("duration", "5us", "0000a710");
    ENC("duration", "5\xc2\xb5s", "0000a710");
    ENC("duration", "2147483647mo", "f0fffffffe0000");
    ENC("duration", "-1mo2d3ns", "010305");
    ENC("duration", "P", "000000");
    ENC("duration", "0s", "000000");
    ENC_ERR("duration", "2147483648mo", CQL_ERANGE);
    ENC_ERR("duration", "178956971y", CQL_ERANGE);
    ENC_ERR("duration", "99999999999999999999ns", CQL_ERANGE);
    ENC_ERR("duration", "1h1h", CQL_ETYPE);
    ENC_ERR("duration", "30m1h", CQL_ETYPE);
    ENC_ERR("duration", "1h-30m", CQL_ETYPE);             /* one sign for the whole value */
    ENC_ERR("duration", "1x", CQL_ETYPE);
    ENC_ERR("duration", "h", CQL_ETYPE);
    ENC_ERR("duration", "", CQL_ETYPE);
    ENC_ERR("duration", "-", CQL_ETYPE);
    ENC_ERR("duration", "1 h", CQL_ETYPE);
    ENC_ERR("duration", "P1D2Y", CQL_ETYPE);
    ENC_ERR("duration", "PT1W", CQL_ETYPE);
    DEC("duration", "1c0000", "\"1y2mo\"");
    DEC("duration", "0000fc09d29229dfff", "\"-1h30m\"");
    DEC("duration", "000000", "\"\"");
    DEC("duration", "010305", "\"-1mo2d3ns\"");
    RT("duration", "2w", "\"14d\"");
    RT("duration", "1y2mo2w3h4m5s6ms7us8ns", "\"1y2mo14d3h4m5s6ms7us8ns\"");
    RT("duration", "P1Y2M3DT4H5M6S", "\"1y2mo3d4h5m6s\"");
    RT("duration", "90m", "\"1h30m\"");
    RT("duration", "-P2W", "\"-14d\"");
    DEC_ERR("duration", "020100", CQL_EPROTO);           /* months 1, days -1: mixed signs */
    DEC_ERR("duration", "0000", CQL_EPROTO);
    DEC_ERR("duration", "00000000", CQL_EPROTO);
    DEC_ERR("duration", "f1000000000000", CQL_EPROTO);   /* months past int32 */
    DEC_ERR("duration", "0000c0", CQL_EPROTO);           /* truncated vint */
}

TEST(value_inet)
{
    ENC("inet", "127.0.0.1", "7f000001");
    ENC("inet", "::1", "00000000000000000000000000000001");
    ENC("inet", "[::1]", "00000000000000000000000000000001");
    ENC("inet", "::", "00000000000000000000000000000000");
    ENC("inet", "2001:db8::ff00:42:8329", "20010db8000000000000ff0000428329");
    ENC("inet", "2001:DB8:0:0:0:0:0:1", "20010db8000000000000000000000001");
    ENC("inet", "1::", "00010000000000000000000000000000");
    ENC("inet", "::ffff:1.2.3.4", "01020304");
    ENC("inet", "::ffff:102:304", "01020304");
    ENC("inet", "64:ff9b::192.0.2.33", "0064ff9b0000000000000000c0000221");
    ENC_ERR("inet", "1.2.3", CQL_ETYPE);
    ENC_ERR("inet", "256.0.0.1", CQL_ETYPE);
    ENC_ERR("inet", "1.2.3.4.5", CQL_ETYPE);
    ENC_ERR("inet", "localhost", CQL_ETYPE);
    ENC_ERR("inet", "1::2::3", CQL_ETYPE);
    ENC_ERR("inet", "1:2:3:4:5:6:7:8:9", CQL_ETYPE);
    ENC_ERR("inet", "1:2:3:4:5:6:7", CQL_ETYPE);
    ENC_ERR("inet", "12345::", CQL_ETYPE);
    ENC_ERR("inet", ":1", CQL_ETYPE);
    ENC_ERR("inet", "1:", CQL_ETYPE);
    ENC_ERR("inet", "fe80::1%eth0", CQL_ETYPE);
    ENC_ERR("inet", "", CQL_ETYPE);
    DEC("inet", "7f000001", "\"127.0.0.1\"");
    DEC("inet", "00000000000000000000000000000001", "\"0:0:0:0:0:0:0:1\"");
    DEC("inet", "20010db8000000000000ff0000428329", "\"2001:db8:0:0:0:ff00:42:8329\"");
    DEC("inet", "00000000000000000000ffff01020304", "\"1.2.3.4\"");
    DEC("inet", "", "null");
    DEC_ERR("inet", "0102030405", CQL_EPROTO);
}

/* ---- null and empty -------------------------------------------------------------------------- */

TEST(value_null_versus_empty)
{
    static const char *types[] = {
        "int", "bigint", "boolean", "uuid", "timestamp", "date", "time", "varint", "decimal",
        "double", "inet", "duration",
    };

    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        DEC(types[i], "null", "null");
        DEC(types[i], "", "null");
    }
    DEC("text", "null", "null");
    DEC("text", "", "\"\"");
    DEC("blob", "", "\"\"");
    DEC("list<int>", "null", "null");
    DEC("list<int>", "", "[]");
    DEC("map<int, int>", "", "{}");
    DEC("frozen<tuple<int, int>>", "null", "null");
    DEC("frozen<tuple<int, int>>", "", "[null,null]");
    DEC(ADDRESS_CLASS, "", "{}");
    DEC(ADDRESS_CLASS, "null", "null");
    DEC_FLAGS("list<int>", "null", CQL_JSON_EMPTY_FOR_NULL, "[]");
    DEC_FLAGS("set<int>", "null", CQL_JSON_EMPTY_FOR_NULL, "[]");
    DEC_FLAGS("map<int, int>", "null", CQL_JSON_EMPTY_FOR_NULL, "{}");
    DEC_FLAGS("map<int, int>", "null", CQL_JSON_EMPTY_FOR_NULL | CQL_JSON_MAP_ENTRIES, "[]");
    DEC_FLAGS(ADDRESS_CLASS, "null", CQL_JSON_EMPTY_FOR_NULL, "{}");
    DEC_FLAGS("int", "null", CQL_JSON_EMPTY_FOR_NULL, "null");
}

/* ---- collections ----------------------------------------------------------------------------- */

TEST(value_list_set)
{
    ENC("list<int>", "[1, 2, 3]",
        "00000003 00000004 00000001 00000004 00000002 00000004 00000003");
    ENC("list<int>", "[]", "00000000");
    ENC("list<int>", " [ 1 ,2 ] ", "00000002 00000004 00000001 00000004 00000002");
    ENC("list<int>", "{1}", "00000001 00000004 00000001");
    ENC("set<text>", "{'a', 'b'}", "00000002 00000001 61 00000001 62");
    ENC("set<text>", "[a, b]", "00000002 00000001 61 00000001 62");
    ENC("set<text>", "{}", "00000000");
    ENC("list<text>", "['it''s', '', 'a b', x.y-z_1&2+]",
        "00000004 00000004 69742773 00000000 00000003 612062 0000000a 782e792d7a5f312632 2b");
    ENC("list<timestamp>", "['1970-01-01T00:00:00Z', 0]",
        "00000002 00000008 0000000000000000 00000008 0000000000000000");
    ENC("list<int>", "'[1]'", "00000001 00000004 00000001");
    ENC_ERR("list<int>", "[1, 2", CQL_ETYPE);
    ENC_ERR("list<int>", "[1 2]", CQL_ETYPE);
    ENC_ERR("list<int>", "[1,]", CQL_ETYPE);
    ENC_ERR("list<int>", "[1] x", CQL_ETYPE);
    ENC_ERR("list<int>", "(1)", CQL_ETYPE);
    ENC_ERR("list<int>", "[null]", CQL_ETYPE);
    ENC_ERR("list<int>", "[1:2]", CQL_ETYPE);
    ENC_ERR("list<int>", "['1", CQL_ETYPE);
    ENC_ERR("list<int>", "[2147483648]", CQL_ERANGE);
    ENC_ERR("list<text>", "[a b]", CQL_ETYPE);
    ENC_ERR("list<timestamp>", "[1970-01-01T00:00:00Z]", CQL_ETYPE);  /* ':' must be quoted */
    ENC_ERR("list<int>", "", CQL_ETYPE);
    DEC("list<int>", "00000003 00000004 00000001 00000004 00000002 00000004 00000003", "[1,2,3]");
    DEC("set<text>", "00000002 00000001 61 00000001 62", "[\"a\",\"b\"]");
    DEC("list<int>", "00000000", "[]");
    DEC("list<int>", "00000001 ffffffff", "[null]");
}

TEST(value_map)
{
    ENC("map<text, int>", "{'a': 1, b: 2}",
        "00000002 00000001 61 00000004 00000001 00000001 62 00000004 00000002");
    ENC("map<text, int>", "{}", "00000000");
    ENC("map<text, int>", "[{'key': 'a', 'value': 1}, {\"value\": 2, \"key\": b}]",
        "00000002 00000001 61 00000004 00000001 00000001 62 00000004 00000002");
    ENC("map<text, int>", "[ {} ]", "00000000");
    ENC("map<text, int>", "[]", "00000000");
    ENC("map<int, boolean>", "{123: true}", "00000001 00000004 0000007b 00000001 01");
    ENC_ERR("map<text, int>", "[{'key': 'a'}]", CQL_ETYPE);
    STREQ(last_err, "Map entry missing value");
    ENC_ERR("map<text, int>", "[{'value': 1}]", CQL_ETYPE);
    STREQ(last_err, "Map entry missing key");
    ENC_ERR("map<text, int>", "[{'key': 'a', 'value': 1, 'x': 2}]", CQL_ETYPE);
    STREQ(last_err, "Map entry must have exactly 2 elements");
    ENC_ERR("map<text, int>", "[{'key': 'a', 'key': 'b'}]", CQL_ETYPE);
    ENC_ERR("map<text, int>", "{'a' 1}", CQL_ETYPE);
    ENC_ERR("map<text, int>", "{'a': null}", CQL_ETYPE);
    ENC_ERR("map<text, int>", "{'a': x}", CQL_ETYPE);
    DEC("map<text, int>", "00000002 00000001 61 00000004 00000001 00000001 62 00000004 00000002",
        "{\"a\":1,\"b\":2}");
    DEC("map<int, boolean>", "00000001 00000004 0000007b 00000001 01", "{\"123\":true}");
    DEC_FLAGS("map<int, boolean>", "00000001 00000004 0000007b 00000001 01",
              CQL_JSON_MAP_ENTRIES, "[{\"key\":123,\"value\":true}]");
    DEC_FLAGS("map<int, boolean>", "00000000", CQL_JSON_MAP_ENTRIES, "[]");
    /* Keys that render as non-strings are quoted, with their inner strings escaped. */
    RT("map<frozen<list<text>>, int>", "{['a\"b', c]: 1}",
       "{\"[\\\"a\\\\\\\"b\\\",\\\"c\\\"]\":1}");
    RT("map<timestamp, double>", "{'2021-04-23T18:42:22.139Z': 1.5}",
       "{\"2021-04-23T18:42:22.139Z\":1.5}");
    RT("map<uuid, blob>", "{550e8400-e29b-41d4-a716-446655440000: AQID}",
       "{\"550e8400-e29b-41d4-a716-446655440000\":\"AQID\"}");
    RT("map<double, int>", "{NaN: 1, -1.5: 2}", "{\"NaN\":1,\"-1.5\":2}");
}

TEST(value_nested_collections)
{
    const char *type = "list<frozen<map<text, frozen<set<int>>>>>";

    ENC(type, "[{'a': {1, 2}}, {}]",
        "00000002"
        "  00000021 00000001 00000001 61 00000014 00000002 00000004 00000001 00000004 00000002"
        "  00000004 00000000");
    RT(type, "[{'a': {1, 2}}, {}]", "[{\"a\":[1,2]},{}]");
    RT(type, "[{'x y': {}, b: {-1}}]", "[{\"x y\":[],\"b\":[-1]}]");
    RT(type, "['{q: {3}}']", "[{\"q\":[3]}]");
    ENC_ERR(type, "['{''q'': {3}}']", CQL_ETYPE);     /* escaped quotes in a quoted literal */
    RT("list<frozen<list<frozen<list<int>>>>>", "[[[1], []], [[2, 3]]]", "[[[1],[]],[[2,3]]]");
    ENC_ERR(type, "[{'a': {1, 'x'}}]", CQL_ETYPE);
    ENC_ERR(type, "[{'a': [1]], {}]", CQL_ETYPE);
}

TEST(value_tuple)
{
    const char *type = "frozen<tuple<int, text, boolean>>";

    ENC(type, "(1, 'a', true)", "00000004 00000001 00000001 61 00000001 01");
    ENC(type, "(1, null, false)", "00000004 00000001 ffffffff 00000001 00");
    ENC(type, "(1)", "00000004 00000001 ffffffff ffffffff");
    ENC(type, "()", "ffffffff ffffffff ffffffff");
    ENC(type, "(NULL, 'null', true)", "ffffffff 00000004 6e756c6c 00000001 01");
    ENC_ERR(type, "(1, 'a', true, 2)", CQL_ETYPE);
    ENC_ERR(type, "[1, 'a', true]", CQL_ETYPE);
    ENC_ERR(type, "(x, 'a', true)", CQL_ETYPE);
    DEC(type, "00000004 00000001 00000001 61 00000001 01", "[1,\"a\",true]");
    DEC(type, "00000004 00000001", "[1,null,null]");          /* missing trailing fields */
    DEC(type, "00000004 00000001 ffffffff 00000001 00", "[1,null,false]");
    RT("tuple<int, frozen<list<text>>>", "(7, ['x', 'y'])", "[7,[\"x\",\"y\"]]");
    RT("tuple<int, frozen<list<text>>>", "(7, null)", "[7,null]");
    DEC_ERR(type, "00000004 00000001 00000001 61 00000001 01 00", CQL_EPROTO);
    DEC_ERR(type, "00000004 000000", CQL_EPROTO);
}

TEST(value_udt)
{
    ENC(ADDRESS_CLASS, "{street: 'Main', zip: 12345}", "00000004 4d61696e 00000004 00003039");
    ENC(ADDRESS_CLASS, "{zip: 12345, 'street': 'Main'}", "00000004 4d61696e 00000004 00003039");
    ENC(ADDRESS_CLASS, "{zip: 1}", "ffffffff 00000004 00000001");
    ENC(ADDRESS_CLASS, "{}", "ffffffff ffffffff");
    ENC(ADDRESS_CLASS, "{STREET: x}", "00000001 78 ffffffff");   /* bare names fold case */
    ENC(ADDRESS_CLASS, "{street: null, zip: 2}", "ffffffff 00000004 00000002");
    ENC_ERR(ADDRESS_CLASS, "{'Street': 'x'}", CQL_ETYPE);        /* quoted names are exact */
    STREQ(last_err, "unrecognized field");
    ENC_ERR(ADDRESS_CLASS, "{foo: 1}", CQL_ETYPE);
    STREQ(last_err, "unrecognized field");
    ENC_ERR(ADDRESS_CLASS, "{zip: 1, zip: 2}", CQL_ETYPE);
    ENC_ERR(ADDRESS_CLASS, "{zip 1}", CQL_ETYPE);
    ENC_ERR(ADDRESS_CLASS, "{zip: 1", CQL_ETYPE);
    ENC_ERR(ADDRESS_CLASS, "{zip: 'x'}", CQL_ETYPE);
    ENC_ERR("address", "{street: 'x'}", CQL_ETYPE);              /* unresolved */
    DEC(ADDRESS_CLASS, "00000004 4d61696e 00000004 00003039",
        "{\"street\":\"Main\",\"zip\":12345}");
    DEC(ADDRESS_CLASS, "00000004 4d61696e", "{\"street\":\"Main\"}");   /* trailing omitted */
    DEC(ADDRESS_CLASS, "ffffffff 00000004 00000001", "{\"street\":null,\"zip\":1}");
    DEC_ERR(ADDRESS_CLASS, "00000004 4d61696e 00000004 00003039 00000000", CQL_EPROTO);
    DEC_ERR("address", "00000000", CQL_EPROTO);
    DEC("address", "", "{}");
    RT(M "ListType(" M "FrozenType(" ADDRESS_CLASS "))", "[{street: 'a b', zip: 1}, {}]",
       "[{\"street\":\"a b\",\"zip\":1},{\"street\":null,\"zip\":null}]");
}

TEST(value_vector)
{
    ENC("vector<float, 3>", "[1.0, 2.0, 3.5]", "3f800000 40000000 40600000");
    ENC("vector<text, 2>", "['a', 'bc']", "01 61 02 6263");
    ENC("vector<smallint, 2>", "[1, -1]", "02 0001 02 ffff");   /* smallint is variable-size */
    ENC("vector<frozen<list<int>>, 2>", "[[1], []]",
        "0c 00000001 00000004 00000001 04 00000000");
    ENC_ERR("vector<float, 3>", "[1.0, 2.0]", CQL_ETYPE);
    ENC_ERR("vector<float, 3>", "[1.0, 2.0, 3.0, 4.0]", CQL_ETYPE);
    ENC_ERR("vector<float, 3>", "{1.0, 2.0, 3.0}", CQL_ETYPE);
    ENC_ERR("vector<float, 2>", "[1.0, null]", CQL_ETYPE);
    DEC("vector<float, 3>", "3f800000 40000000 40600000", "[1.0,2.0,3.5]");
    DEC("vector<text, 2>", "01 61 02 6263", "[\"a\",\"bc\"]");
    DEC("vector<text, 2>", "00 00", "[\"\",\"\"]");
    RT(M "VectorType(" M "FloatType , 3)", "[0.1, -0.5, 1e10]", "[0.1,-0.5,1.0E10]");
    RT("vector<bigint, 2>", "[1, -1]", "[1,-1]");
    DEC_ERR("vector<float, 3>", "3f800000 40000000", CQL_EPROTO);
    DEC_ERR("vector<float, 3>", "3f800000 40000000 40600000 00", CQL_EPROTO);
    DEC_ERR("vector<text, 2>", "01 61", CQL_EPROTO);
    DEC_ERR("vector<text, 2>", "05 61 02 6263", CQL_EPROTO);
    DEC_ERR("vector<text, 2>", "01 61 02 6263 00", CQL_EPROTO);
    DEC_ERR("vector<text, 2147483647>", "01 61", CQL_EPROTO);
}

/* ---- hostile bytes --------------------------------------------------------------------------- */

TEST(value_vector_long_element)
{
    /* 150 bytes of blob: the element length needs a two-byte [unsigned vint] (80 96). */
    const struct cql_type *t = ty("vector<blob, 1>");
    char text[256] = "[";
    char want[256] = "[\"";
    struct cql_wr w;

    for (int i = 0; i < 200; i++) {
        strcat(text, "A");
        strcat(want, "A");
    }
    strcat(text, "]");
    strcat(want, "\"]");
    EQ(enc_t(t, text, strlen(text), &w), 0);
    EQ(w.len, 152);
    EQ(w.p[0], 0x80);
    EQ(w.p[1], 150);
    EQ(json_t(t, w.p, (int32_t)w.len, 0), 0);
    STREQ(jbuf, want);
}

TEST(value_hostile_collections)
{
    DEC_ERR("list<int>", "7fffffff 00000000", CQL_EPROTO);          /* count 2^31-1, 4 bytes */
    DEC_ERR("set<text>", "7fffffff", CQL_EPROTO);
    DEC_ERR("map<int, int>", "40000000 00000000 00000000", CQL_EPROTO);
    DEC_ERR("list<int>", "ffffffff", CQL_EPROTO);                   /* negative count */
    DEC_ERR("list<int>", "000001", CQL_EPROTO);                     /* short count */
    DEC_ERR("list<int>", "00000001 00000004 0000", CQL_EPROTO);     /* truncated element */
    DEC_ERR("list<int>", "00000001 7fffffff 00000000", CQL_EPROTO); /* huge element length */
    DEC_ERR("list<int>", "00000000 00", CQL_EPROTO);                /* trailing byte */
    DEC_ERR("list<int>", "00000001 00000002 0001", CQL_EPROTO);     /* bad element size */
    DEC_ERR("map<int, int>", "00000001 00000004 00000001", CQL_EPROTO);
    DEC_ERR("frozen<tuple<int>>", "7fffffff", CQL_EPROTO);
    DEC_ERR(ADDRESS_CLASS, "00000004 4d61", CQL_EPROTO);
}

TEST(value_hostile_every_prefix)
{
    /* Every proper prefix of a nested value either renders (a shorter valid value) or fails. */
    const struct cql_type *t = ty("list<frozen<map<text, frozen<tuple<int, text>>>>>");
    struct cql_wr w;
    uint8_t copy[256];

    static const char text[] = "[{'k': (1, 'v')}, {'a': (2, 'b'), 'c': (3, null)}]";

    EQ(enc_t(t, text, strlen(text), &w), 0);
    memcpy(copy, w.p, w.len);
    for (size_t n = 0; n < w.len; n++) {
        int rc = json_t(t, copy, (int32_t)n, 0);

        OK(rc == 0 || rc == CQL_EPROTO);
    }
    EQ(json_t(t, copy, (int32_t)w.len, 0), 0);
    STREQ(jbuf, "[{\"k\":[1,\"v\"]},{\"a\":[2,\"b\"],\"c\":[3,null]}]");
}

TEST(value_depth_limit)
{
    char type[1024] = "";
    char text[256] = "";
    struct cql_type *t;
    struct cql_wr w;

    for (int i = 0; i < CQL_VALUE_MAX_DEPTH; i++) {
        strcat(type, "frozen<list<");
    }
    strcat(type, "int");
    for (int i = 0; i < CQL_VALUE_MAX_DEPTH; i++) {
        strcat(type, ">>");
    }
    test_alloc_reset(SIZE_MAX);
    /* The type itself is too deep to parse; build it directly. */
    EQ(cql_type_parse(type, strlen(type), &test_alloc, &t, NULL), CQL_ETYPE);
    t = cql_type_new_native(&test_alloc, CQL_TYPE_INT);
    for (int i = 0; i < CQL_VALUE_MAX_DEPTH + 1; i++) {
        struct cql_type *l = cql_type_new_native(&test_alloc, CQL_TYPE_LIST);
        const struct cql_type **sub = cql_alloc(&test_alloc, sizeof(*sub));

        sub[0] = t;
        l->n = 1;
        l->sub = sub;
        t = l;
        strcat(text, "[");
    }
    EQ(enc_t(t, text, strlen(text), &w), CQL_ETYPE);
    STREQ(last_err, "value nested too deeply");
}

/* ---- output growth and helpers --------------------------------------------------------------- */

TEST(value_growing_writer)
{
    /* Scratch space borrowed from a writer that has to grow must survive reallocation. */
    const struct cql_type *t = ty("list<varint>");
    static const char text[] =
        "[340282366920938463463374607431768211456, -1, 0, 99999999999999999999999999999]";
    struct cql_wr w;
    struct cql_wr j;
    const char *err = NULL;
    bool ok;

    cql_wr_init(&w, NULL, 0, test_grow, NULL);
    cql_wr_init(&j, NULL, 0, test_grow, NULL);
    ok = cql_value_from_text(t, text, strlen(text), &w, &err) == 0
         && cql_value_to_json(t, w.p, (int32_t)w.len, &j, &err) == 0;
    if (ok) {
        ok = j.len == 76 && memcmp(j.p, "[340282366920938463463374607431768211456,-1,0,"
                                        "99999999999999999999999999999]", 76) == 0;
    }
    free(w.p);
    free(j.p);
    OK(ok);
}

TEST(value_full_writer_reports_enospc)
{
    uint8_t small[3];
    struct cql_wr w;
    const char *err = NULL;

    cql_wr_init(&w, small, sizeof(small), NULL, NULL);
    EQ(cql_value_from_text(ty("int"), "1", 1, &w, &err), CQL_ENOSPC);
    cql_wr_init(&w, small, sizeof(small), NULL, NULL);
    EQ(cql_value_to_json(ty("text"), (const uint8_t *)"abcdef", 6, &w, &err), CQL_ENOSPC);
    cql_wr_init(&w, small, sizeof(small), NULL, NULL);
    EQ(cql_value_to_json(ty("varint"), (const uint8_t *)"\x7f\xff\xff\xff", 4, &w, &err),
       CQL_ENOSPC);
}

TEST(value_fmt_helpers)
{
    char buf[64];
    struct cql_wr w;

    cql_wr_init(&w, (uint8_t *)buf, sizeof(buf), NULL, NULL);
    cql_fmt_int64(&w, INT64_MIN);
    SLICEEQ(w.p, w.len, "-9223372036854775808");
    cql_wr_init(&w, (uint8_t *)buf, sizeof(buf), NULL, NULL);
    cql_fmt_double(&w, 1.0 / 3);
    SLICEEQ(w.p, w.len, "0.3333333333333333");
    cql_wr_init(&w, (uint8_t *)buf, sizeof(buf), NULL, NULL);
    cql_fmt_float(&w, 1.0f / 3);
    SLICEEQ(w.p, w.len, "0.33333334");
    cql_wr_init(&w, (uint8_t *)buf, sizeof(buf), NULL, NULL);
    EQ(cql_json_string(&w, "x\"", 2), 0);
    SLICEEQ(w.p, w.len, "\"x\\\"\"");
    cql_wr_init(&w, (uint8_t *)buf, sizeof(buf), NULL, NULL);
    EQ(cql_json_string(&w, "\xfe", 1), CQL_EPROTO);
}

/* ---- random inputs --------------------------------------------------------------------------- */

static uint64_t rng_state;

static uint32_t
rng(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng_state >> 33);
}

static const char *const random_types[] = {
    "int", "bigint", "varint", "decimal", "float", "double", "boolean", "uuid", "timestamp", "date",
    "time", "duration", "inet", "blob", "text", "ascii", "list<int>", "set<text>",
    "map<text, frozen<list<int>>>", "frozen<tuple<int, text, duration>>", "vector<float, 2>",
    "vector<text, 3>", "list<frozen<map<varint, frozen<set<decimal>>>>>", ADDRESS_CLASS,
};

TEST(value_random_bytes_never_crash)
{
    uint8_t in[64];

    rng_state = 42;
    for (size_t k = 0; k < sizeof(random_types) / sizeof(random_types[0]); k++) {
        const struct cql_type *t = ty(random_types[k]);

        for (int i = 0; i < 3000; i++) {
            size_t n = rng() % sizeof(in);
            int rc;

            for (size_t j = 0; j < n; j++) {
                /* Small numbers now and then, so lengths and counts are sometimes plausible. */
                in[j] = (uint8_t)(rng() % 4 == 0 ? rng() % 6 : rng());
            }
            rc = json_t(t, in, (int32_t)n, i % 2 == 0 ? 0 : CQL_JSON_MAP_ENTRIES);
            OK(rc == 0 || rc == CQL_EPROTO);
        }
    }
}

TEST(value_random_text_never_crash)
{
    static const char alphabet[] = "0123456789abcdefxyzEe+-.:'\"[]{}(), PTWYMDHS\xc2\xb5\xff";
    char in[48];

    rng_state = 7;
    for (size_t k = 0; k < sizeof(random_types) / sizeof(random_types[0]); k++) {
        const struct cql_type *t = ty(random_types[k]);

        for (int i = 0; i < 3000; i++) {
            size_t n = rng() % sizeof(in);
            struct cql_wr w;
            int rc;

            for (size_t j = 0; j < n; j++) {
                in[j] = alphabet[rng() % (sizeof(alphabet) - 1)];
            }
            rc = enc_t(t, in, n, &w);
            OK(rc == 0 || rc == CQL_ETYPE || rc == CQL_ERANGE);
            if (rc == 0) {
                /* Whatever parses must render. */
                EQ(json_t(t, w.p, (int32_t)w.len, 0), 0);
            }
        }
    }
}

/* The escapes of cql_json_string, one byte at a time, for comparison (valid UTF-8 input only). */
static void
json_string_ref(struct cql_wr *w, const uint8_t *p, size_t len)
{
    cql_wr_byte(w, '"');
    for (size_t i = 0; i < len; i++) {
        uint8_t c = p[i];
        char esc[8];

        switch (c) {
        case '"': cql_wr_raw(w, "\\\"", 2); break;
        case '\\': cql_wr_raw(w, "\\\\", 2); break;
        case '\n': cql_wr_raw(w, "\\n", 2); break;
        case '\r': cql_wr_raw(w, "\\r", 2); break;
        case '\t': cql_wr_raw(w, "\\t", 2); break;
        case '\b': cql_wr_raw(w, "\\b", 2); break;
        case '\f': cql_wr_raw(w, "\\f", 2); break;
        default:
            if (c < 0x20) {
                snprintf(esc, sizeof(esc), "\\u%04x", c);
                cql_wr_raw(w, esc, 6);
            } else {
                cql_wr_byte(w, c);
            }
        }
    }
    cql_wr_byte(w, '"');
}

/* Every special byte at every offset of strings around the 8-byte words the scan skips. */
TEST(json_string_word_scan)
{
    static const char *const specials[] = { "\"", "\\", "\n", "\x01", "\x1f", "\x7f", " ",
                                            "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80" };
    uint8_t buf[40];

    for (size_t len = 0; len <= 24; len++) {
        for (size_t s = 0; s < sizeof(specials) / sizeof(specials[0]); s++) {
            size_t slen = strlen(specials[s]);

            for (size_t at = 0; at + slen <= len; at++) {
                struct cql_wr got, want;

                memset(buf, 'a', len);
                memcpy(buf + at, specials[s], slen);
                cql_wr_init(&got, NULL, 0, test_grow, NULL);
                cql_wr_init(&want, NULL, 0, test_grow, NULL);
                EQ(cql_json_string(&got, (const char *)buf, len), 0);
                json_string_ref(&want, buf, len);
                OK(got.len == want.len && memcmp(got.p, want.p, got.len) == 0);
                free(got.p);
                free(want.p);
            }
        }
    }
    /* invalid UTF-8 is refused wherever it sits, inside a word or not */
    for (size_t at = 0; at < 20; at++) {
        struct cql_wr w;

        memset(buf, 'a', 20);
        buf[at] = 0xff;
        cql_wr_init(&w, NULL, 0, test_grow, NULL);
        EQ(cql_json_string(&w, (const char *)buf, 20), CQL_EPROTO);
        free(w.p);
    }
}

/* Significant digits of a formatted number ("1.2345E-7" has 5; "120.0" has 2). */
static int
sig_digits(const char *s, size_t len)
{
    char d[64];
    size_t n = 0, lead = 0;

    for (size_t i = 0; i < len && s[i] != 'E'; i++) {
        if (s[i] >= '0' && s[i] <= '9' && n < sizeof(d)) {
            d[n++] = s[i];
        }
    }
    while (lead < n && d[lead] == '0') {
        lead++;
    }
    while (n > lead && d[n - 1] == '0') {
        n--;
    }
    return n > lead ? (int)(n - lead) : 1;
}

/* Doubles of every magnitude read back exactly, in no more digits than the nearest search needs. */
TEST(value_fmt_double_shortest_round_trip)
{
    uint64_t x = 88172645463325252ull;

    for (int i = 0; i < 20000; i++) {
        struct cql_wr w;
        double v, back;
        uint64_t bits;
        char *end;
        char buf[64];
        int nearest = 17;

        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        bits = i % 2 == 0 ? x : (x & 0x800fffffffffffffull) | (uint64_t)(1023 + i % 40 - 20) << 52;
        memcpy(&v, &bits, sizeof(v));
        if (i % 5 == 0) {
            v = (double)(int64_t)(x % 2000001) / (double)(1u << (i % 23)); /* exact decimals */
        }
        if (v != v || v - v != 0 || v == 0) {
            continue;
        }
        for (int p = 1; p <= 17; p++) {
            snprintf(buf, sizeof(buf), "%.*e", p - 1, v);
            if (strtod(buf, &end) == v) {
                nearest = p;
                break;
            }
        }
        cql_wr_init(&w, NULL, 0, test_grow, NULL);
        cql_fmt_double(&w, v);
        cql_wr_byte(&w, '\0');
        OK(w.err == 0);
        back = strtod((const char *)w.p, &end);
        if (back != v || sig_digits((const char *)w.p, w.len - 1) > nearest) {
            fprintf(stderr, "  %.17g printed as %s (nearest needs %d digits)\n", v,
                    (const char *)w.p, nearest);
            free(w.p);
            OK(false);
        }
        free(w.p);
    }
}
