/* test_murmur3.c: Murmur3 tokens and routing keys of proto/cql_murmur3 (cassandra-local.md, D). */
#include "test.h"

#include "cql_murmur3.h"

/* Hashes the bytes given in hex. */
static int64_t
token_hex(const char *hex)
{
    uint8_t buf[256];
    long n = test_unhex(hex, buf, sizeof(buf));

    return cql_murmur3_token(buf, n < 0 ? 0 : (size_t)n);
}

TEST(murmur3_spec_vectors)
{
    EQ(token_hex("00000001"), INT64_C(-4069959284402364209));           /* int 1 */
    EQ(token_hex("ffffffff"), INT64_C(7297452126230313552));            /* int -1 */
    EQ(token_hex("0000000000000001"), INT64_C(6292367497774912474));    /* bigint 1 */
    EQ(token_hex("61"), INT64_C(-8839064797231613815));                 /* text 'a' */
    EQ(token_hex("68656c6c6f"), INT64_C(-3758069500696749310));         /* text 'hello' */
    EQ(token_hex("ff"), INT64_C(-4442228696663692417));                 /* blob ff */
    EQ(token_hex("000102030405060708090a0b0c0d0e0f"), INT64_C(4920504430128807728));
    /* Signed tail: bytes >= 0x80 after a full block sign-extend. */
    EQ(token_hex("000102030405060708090a0b0c0d0e0f 808182"), INT64_C(-5542717999435258826));
    /* Composite (int 1, text 'a'). */
    EQ(token_hex("0004 00000001 00 0001 61 00"), INT64_C(6516349416904725244));
}

TEST(murmur3_empty_key_is_ring_minimum)
{
    EQ(cql_murmur3_token((const uint8_t *)"", 0), INT64_MIN);
}

TEST(murmur3_every_tail_length)
{
    uint8_t key[40];

    /* Every tail length 0..15 after 0, 1 and 2 blocks must be deterministic and distinct. */
    for (size_t i = 0; i < sizeof(key); i++) {
        key[i] = (uint8_t)(0x80 + i);
    }
    for (size_t n = 1; n < sizeof(key); n++) {
        int64_t t = cql_murmur3_token(key, n);

        EQ(t, cql_murmur3_token(key, n));
        OK(t != cql_murmur3_token(key, n - 1) || n == 1);
        OK(t != INT64_MIN);
    }
}

TEST(murmur3_routing_key_compose)
{
    static const uint8_t one[4] = { 0, 0, 0, 1 };
    uint8_t buf[64];
    uint8_t want[32];
    struct cql_wr w;
    struct cql_bytes parts[2] = { { one, 4 }, { (const uint8_t *)"a", 1 } };
    long n;

    cql_wr_init(&w, buf, sizeof(buf), NULL, NULL);
    EQ(cql_routing_key_compose(&w, parts, 1), 0);
    MEMEQ(w.p, w.len, one, 4);

    cql_wr_init(&w, buf, sizeof(buf), NULL, NULL);
    EQ(cql_routing_key_compose(&w, parts, 2), 0);
    n = test_unhex("0004 00000001 00 0001 61 00", want, sizeof(want));
    MEMEQ(w.p, w.len, want, n);
    EQ(cql_murmur3_token(w.p, w.len), INT64_C(6516349416904725244));
}

TEST(murmur3_routing_key_errors)
{
    uint8_t buf[8];
    struct cql_wr w;
    struct cql_bytes null_part[2] = { { NULL, CQL_NULL }, { (const uint8_t *)"a", 1 } };
    struct cql_bytes big[2] = { { buf, 70000 }, { buf, 1 } };
    struct cql_bytes ok[2] = { { (const uint8_t *)"abcdef", 6 }, { (const uint8_t *)"a", 1 } };

    cql_wr_init(&w, buf, sizeof(buf), NULL, NULL);
    EQ(cql_routing_key_compose(&w, null_part, 0), CQL_ERANGE);
    EQ(cql_routing_key_compose(&w, null_part, 1), CQL_ERANGE);
    EQ(cql_routing_key_compose(&w, null_part, 2), CQL_ERANGE);
    EQ(cql_routing_key_compose(&w, big, 2), CQL_ERANGE);
    EQ(w.len, 0);
    EQ(cql_routing_key_compose(&w, ok, 2), CQL_ENOSPC);      /* 9 + 4 bytes > 8 */
}
