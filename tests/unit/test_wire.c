/* test_wire.c: the native-protocol primitives of proto/cql_wire. */
#include "test.h"

#include "cql_wire.h"

#include <stdlib.h>

TEST(wire_round_trip_primitives)
{
    struct cql_wr w;
    struct cql_rd r;
    static const uint8_t uuid[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
    struct cql_inet in = { 4, { 127, 0, 0, 2 }, 9042 };
    struct cql_str s;
    struct cql_bytes b;
    struct cql_inet got;

    cql_wr_init(&w, NULL, 0, test_grow, NULL);
    cql_wr_byte(&w, 0xab);
    cql_wr_short(&w, 0xfffe);
    cql_wr_int(&w, -2);
    cql_wr_long(&w, INT64_MIN);
    cql_wr_string(&w, "hello", 5);
    cql_wr_long_string(&w, "", 0);
    cql_wr_bytes(&w, NULL, CQL_NULL);
    cql_wr_bytes(&w, NULL, CQL_UNSET);
    cql_wr_bytes(&w, "xy", 2);
    cql_wr_short_bytes(&w, "z", 1);
    cql_wr_uuid(&w, uuid);
    cql_wr_inet(&w, &in);
    EQ(w.err, 0);

    cql_rd_init(&r, w.p, w.len);
    EQ(cql_rd_byte(&r), 0xab);
    EQ(cql_rd_short(&r), 0xfffe);
    EQ(cql_rd_int(&r), -2);
    EQ(cql_rd_long(&r), INT64_MIN);
    s = cql_rd_string(&r);
    SLICEEQ(s.p, s.len, "hello");
    s = cql_rd_long_string(&r);
    EQ(s.len, 0);
    b = cql_rd_value(&r);
    EQ(b.len, CQL_NULL);
    b = cql_rd_value(&r);
    EQ(b.len, CQL_UNSET);
    b = cql_rd_bytes(&r);
    MEMEQ(b.p, b.len, "xy", 2);
    b = cql_rd_short_bytes(&r);
    MEMEQ(b.p, b.len, "z", 1);
    MEMEQ(cql_rd_uuid(&r), 16, uuid, 16);
    got = cql_rd_inet(&r);
    EQ(got.len, 4);
    MEMEQ(got.addr, 4, in.addr, 4);
    EQ(got.port, 9042);
    EQ(cql_rd_left(&r), 0);
    OK(cql_rd_ok(&r));
    free(w.p);
}

TEST(wire_truncation_is_sticky)
{
    static const uint8_t buf[] = { 0x00, 0x05, 'a', 'b' };
    struct cql_rd r;
    struct cql_str s;

    cql_rd_init(&r, buf, sizeof(buf));
    s = cql_rd_string(&r);
    OK(s.p == NULL);
    EQ(r.err, CQL_EPROTO);
    EQ(cql_rd_int(&r), 0);
    EQ(r.err, CQL_EPROTO);
}

TEST(wire_value_rejects_bad_negative_length)
{
    static const uint8_t buf[] = { 0xff, 0xff, 0xff, 0xfd };
    struct cql_rd r;

    cql_rd_init(&r, buf, sizeof(buf));
    (void)cql_rd_value(&r);
    EQ(r.err, CQL_EPROTO);
    cql_rd_init(&r, buf, sizeof(buf));
    EQ(cql_rd_bytes(&r).len, CQL_NULL);
    OK(cql_rd_ok(&r));
}

TEST(wire_fixed_buffer_overflow_is_sticky)
{
    uint8_t buf[4];
    struct cql_wr w;

    cql_wr_init(&w, buf, sizeof(buf), NULL, NULL);
    cql_wr_int(&w, 7);
    EQ(w.err, 0);
    cql_wr_byte(&w, 1);
    EQ(w.err, CQL_ENOSPC);
    cql_wr_short(&w, 1);
    EQ(w.len, 4);
}

TEST(wire_vint_edges)
{
    static const int64_t sv[] = { 0, 1, -1, 63, -64, 64, 8191, -8192, INT32_MAX, INT32_MIN,
                                  INT64_MAX, INT64_MIN };
    static const uint64_t uv[] = { 0, 127, 128, 16383, 16384, (1ULL << 56) - 1, 1ULL << 56,
                                   UINT64_MAX };
    uint8_t buf[16];
    struct cql_wr w;
    struct cql_rd r;

    for (size_t i = 0; i < sizeof(uv) / sizeof(uv[0]); i++) {
        cql_wr_init(&w, buf, sizeof(buf), NULL, NULL);
        cql_wr_uvint(&w, uv[i]);
        EQ(w.err, 0);
        cql_rd_init(&r, buf, w.len);
        UEQ(cql_rd_uvint(&r), uv[i]);
        EQ(cql_rd_left(&r), 0);
    }
    for (size_t i = 0; i < sizeof(sv) / sizeof(sv[0]); i++) {
        cql_wr_init(&w, buf, sizeof(buf), NULL, NULL);
        cql_wr_vint(&w, sv[i]);
        cql_rd_init(&r, buf, w.len);
        EQ(cql_rd_vint(&r), sv[i]);
        EQ(cql_rd_left(&r), 0);
    }
    /* Known encodings: 127 fits one byte; 128 takes two (10000000 10000000). */
    cql_wr_init(&w, buf, sizeof(buf), NULL, NULL);
    cql_wr_uvint(&w, 128);
    MEMEQ(buf, w.len, "\x80\x80", 2);
    cql_wr_init(&w, buf, sizeof(buf), NULL, NULL);
    cql_wr_uvint(&w, UINT64_MAX);
    EQ(w.len, 9);
    EQ(buf[0], 0xff);
}

TEST(wire_name_tables)
{
    STREQ(cql_opcode_name(CQL_OP_AUTH_SUCCESS), "AUTH_SUCCESS");
    STREQ(cql_consistency_name(CQL_CL_LOCAL_QUORUM), "LOCAL_QUORUM");
    EQ(cql_consistency_parse("local_one", 9), CQL_CL_LOCAL_ONE);
    EQ(cql_consistency_parse("QUORUMX", 7), -1);
    STREQ(cql_errcode_name(CQL_ERRCODE_UNPREPARED), "UNPREPARED");
    STREQ(cql_type_name(CQL_TYPE_VARCHAR), "text");
    STREQ(cql_err_name(CQL_EAGAIN), "EAGAIN");
}

TEST(wire_empty_growable_writer_reserves_zero_bytes)
{
    struct cql_wr w;
    uint8_t *p;

    /* An empty writer has no buffer yet; a 0-byte reservation still gets a real pointer. */
    cql_wr_init(&w, NULL, 0, test_grow, NULL);
    p = cql_wr_reserve(&w, 0);
    OK(p != NULL);
    EQ(w.len, 0);
    EQ(w.err, 0);
    free(w.p);
}
