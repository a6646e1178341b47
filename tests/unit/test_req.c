/*
 * test_req.c: request encoders of proto/cql_req against hand-built golden bytes, v4 and v5, and
 * against the requests captured in tests/vectors (*.req.hex).
 */
#include "test.h"

#include "cql_req.h"

#include <stdlib.h>

/* Compares LEN bytes at P with the hex string HEX (spaces and '|' ignored). */
#define HEXEQ(p, len, hex)                                                                         \
    do {                                                                                           \
        uint8_t want_[1024];                                                                       \
        long wn_ = test_unhex((hex), want_, sizeof(want_));                                        \
        OK(wn_ >= 0);                                                                              \
        MEMEQ((p), (len), want_, (size_t)wn_);                                                     \
    } while (0)

/* Compares LEN bytes at P with vector NAME. */
#define VECEQ(p, len, name)                                                                        \
    do {                                                                                           \
        size_t vn_ = 0;                                                                            \
        uint8_t *v_ = test_vector((name), &vn_);                                                   \
        OK(v_ != NULL);                                                                            \
        if (vn_ != (size_t)(len) || memcmp(v_, (p), vn_) != 0) {                                   \
            free(v_);                                                                              \
            test_fail(__FILE__, __LINE__, "encoding differs from %s", (name));                     \
            return;                                                                                \
        }                                                                                          \
        free(v_);                                                                                  \
    } while (0)

/* Pre-encoded values: [int] 1, null, and named k=42, v=unset. */
static const uint8_t two_values[] = { 0, 0, 0, 4, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff };
static const uint8_t named_values[] = { 0, 1, 'k', 0, 0, 0, 4, 0, 0, 0, 42,
                                        0, 1, 'v', 0xff, 0xff, 0xff, 0xfe };

#define TS_HEX "00060a24181e4000"           /* 1700000000000000 us */
#define NOW_HEX "6553f100"                  /* 1700000000 s */

/* Fills QP with every option a QUERY can carry on V4 (the v5 extras stay off). */
static void
all_v4_params(struct cql_query_params *qp)
{
    cql_query_params_init(qp, CQL_CL_QUORUM);
    qp->values.p = two_values;
    qp->values.len = sizeof(two_values);
    qp->values.count = 2;
    qp->skip_metadata = true;
    qp->page_size = 100;
    qp->paging_state.p = (const uint8_t *)"ps";
    qp->paging_state.len = 2;
    qp->has_serial = true;
    qp->serial_consistency = CQL_CL_LOCAL_SERIAL;
    qp->has_timestamp = true;
    qp->timestamp = 1700000000000000;
}

/* ---- handshake ------------------------------------------------------------------------------- */

TEST(req_options_v4_v5)
{
    struct cql_wr w;

    cql_wr_init(&w, NULL, 0, test_grow, NULL);
    EQ(cql_req_options(&w, 4, 0), 0);
    HEXEQ(w.p, w.len, "04 00 0000 05 00000000");
    VECEQ(w.p, w.len, "v4_supported.req.hex");
    w.len = 0;
    EQ(cql_req_options(&w, 5, 7), 0);
    HEXEQ(w.p, w.len, "05 00 0007 05 00000000");
    free(w.p);
}

TEST(req_startup_v4_v5)
{
    static const char *const kv[] = { "CQL_VERSION", "3.0.0", "COMPRESSION", "lz4" };
    struct cql_wr w;

    cql_wr_init(&w, NULL, 0, test_grow, NULL);
    EQ(cql_req_startup(&w, 4, 1, kv, 1), 0);
    HEXEQ(w.p, w.len, "04 00 0001 01 00000016 | 0001"
                      "| 000b 43514c5f56455253494f4e | 0005 332e302e30");
    VECEQ(w.p, w.len, "v4_authenticate.req.hex");
    w.len = 0;
    EQ(cql_req_startup(&w, 5, 0, kv, 1), 0);
    VECEQ(w.p, w.len, "v5_authenticate.req.hex");
    w.len = 0;
    EQ(cql_req_startup(&w, 5, 0, kv, 2), 0);
    HEXEQ(w.p, w.len, "05 00 0000 01 00000028 | 0002"
                      "| 000b 43514c5f56455253494f4e | 0005 332e302e30"
                      "| 000b 434f4d5052455353494f4e | 0003 6c7a34");
    w.len = 0;
    EQ(cql_req_startup(&w, 4, 0, kv, 2), 0);
    VECEQ(w.p, w.len, "v4_lz4_authenticate.req.hex");
    free(w.p);
}

TEST(req_auth_response)
{
    static const uint8_t token[] = "\0cassandra\0cassandra";
    struct cql_wr w;

    cql_wr_init(&w, NULL, 0, test_grow, NULL);
    EQ(cql_req_auth_response(&w, 4, 2, token, 20), 0);
    HEXEQ(w.p, w.len, "04 00 0002 0f 00000018 | 00000014"
                      "| 00 63617373616e647261 00 63617373616e647261");
    VECEQ(w.p, w.len, "v4_auth_success.req.hex");
    w.len = 0;
    EQ(cql_req_auth_plain(&w, 4, 2, "cassandra", "cassandra"), 0);
    VECEQ(w.p, w.len, "v4_auth_success.req.hex");
    w.len = 0;
    EQ(cql_req_auth_plain(&w, 4, 1, "cassandra", "wrong-password"), 0);
    VECEQ(w.p, w.len, "v4_error_badcreds.req.hex");
    w.len = 0;
    EQ(cql_req_auth_response(&w, 5, 3, NULL, -1), 0);
    HEXEQ(w.p, w.len, "05 00 0003 0f 00000004 ffffffff");
    w.len = 0;
    EQ(cql_req_auth_response(&w, 5, 3, NULL, 0), 0);
    HEXEQ(w.p, w.len, "05 00 0003 0f 00000004 00000000");
    free(w.p);
}

TEST(req_sasl_plain_token)
{
    uint8_t buf[32];
    size_t len = 0;

    EQ(cql_req_sasl_plain(buf, sizeof(buf), "cassandra", "cassandra", &len), 0);
    MEMEQ(buf, len, "\0cassandra\0cassandra", 20);
    EQ(cql_req_sasl_plain(buf, 20, "cassandra", "cassandra", &len), 0);
    EQ(cql_req_sasl_plain(buf, 19, "cassandra", "cassandra", &len), CQL_ENOSPC);
    EQ(cql_req_sasl_plain(buf, 2, "", "", &len), 0);
    EQ(len, 2);
    EQ(cql_req_sasl_plain(buf, 1, "", "", &len), CQL_ENOSPC);
}

TEST(req_register)
{
    static const char *const events[] = { "TOPOLOGY_CHANGE", "STATUS_CHANGE", "SCHEMA_CHANGE" };
    struct cql_wr w;

    cql_wr_init(&w, NULL, 0, test_grow, NULL);
    EQ(cql_req_register(&w, 4, 9, events, 3), 0);
    HEXEQ(w.p, w.len, "04 00 0009 0b 00000031 | 0003"
                      "| 000f 544f504f4c4f47595f4348414e4745"
                      "| 000d 5354415455535f4348414e4745"
                      "| 000d 534348454d415f4348414e4745");
    w.len = 0;
    EQ(cql_req_register(&w, 5, 9, events, 1), 0);
    HEXEQ(w.p, w.len, "05 00 0009 0b 00000013 | 0001 | 000f 544f504f4c4f47595f4348414e4745");
    free(w.p);
}

/* ---- QUERY ----------------------------------------------------------------------------------- */

TEST(req_query_defaults)
{
    struct cql_wr w;
    struct cql_query_params qp;

    cql_wr_init(&w, NULL, 0, test_grow, NULL);
    EQ(cql_req_query(&w, 4, 5, "SELECT 1", 8, NULL), 0);
    HEXEQ(w.p, w.len, "04 00 0005 07 0000000f | 00000008 53454c4543542031 | 0001 | 00");
    w.len = 0;
    EQ(cql_req_query(&w, 5, 5, "SELECT 1", 8, NULL), 0);
    HEXEQ(w.p, w.len, "05 00 0005 07 00000012 | 00000008 53454c4543542031 | 0001 | 00000000");
    /* A zeroed struct sends no paging state, like cql_query_params_init. */
    memset(&qp, 0, sizeof(qp));
    qp.consistency = CQL_CL_ONE;
    w.len = 0;
    EQ(cql_req_query(&w, 4, 5, "SELECT 1", 8, &qp), 0);
    HEXEQ(w.p, w.len, "04 00 0005 07 0000000f | 00000008 53454c4543542031 | 0001 | 00");
    free(w.p);
}

TEST(req_query_v4_every_flag)
{
    struct cql_wr w;
    struct cql_query_params qp;

    all_v4_params(&qp);
    cql_wr_init(&w, NULL, 0, test_grow, NULL);
    EQ(cql_req_query(&w, 4, 5, "SELECT 1", 8, &qp), 0);
    HEXEQ(w.p, w.len, "04 00 0005 07 00000031"
                      "| 00000008 53454c4543542031"
                      "| 0004 | 3f"
                      "| 0002 00000004 00000001 ffffffff"
                      "| 00000064"
                      "| 00000002 7073"
                      "| 0009"
                      "| " TS_HEX);
    /* Named values set 0x40. */
    cql_query_params_init(&qp, CQL_CL_ONE);
    qp.values.p = named_values;
    qp.values.len = sizeof(named_values);
    qp.values.count = 2;
    qp.values.named = true;
    w.len = 0;
    EQ(cql_req_query(&w, 4, 5, "SELECT 1", 8, &qp), 0);
    HEXEQ(w.p, w.len, "04 00 0005 07 00000023"
                      "| 00000008 53454c4543542031 | 0001 | 41"
                      "| 0002 0001 6b 00000004 0000002a 0001 76 fffffffe");
    free(w.p);
}

TEST(req_query_v5_every_flag)
{
    struct cql_wr w;
    struct cql_query_params qp;

    all_v4_params(&qp);
    qp.keyspace.p = "ks";
    qp.keyspace.len = 2;
    qp.has_now = true;
    qp.now_in_seconds = 1700000000;
    cql_wr_init(&w, NULL, 0, test_grow, NULL);
    EQ(cql_req_query(&w, 5, 5, "SELECT 1", 8, &qp), 0);
    HEXEQ(w.p, w.len, "05 00 0005 07 0000003c"
                      "| 00000008 53454c4543542031"
                      "| 0004 | 000001bf"
                      "| 0002 00000004 00000001 ffffffff"
                      "| 00000064"
                      "| 00000002 7073"
                      "| 0009"
                      "| " TS_HEX
                      "| 0002 6b73"
                      "| " NOW_HEX);
    /* Named values, keyspace alone. */
    cql_query_params_init(&qp, CQL_CL_LOCAL_ONE);
    qp.values.p = named_values;
    qp.values.len = sizeof(named_values);
    qp.values.count = 2;
    qp.values.named = true;
    qp.keyspace.p = "ks";
    qp.keyspace.len = 2;
    w.len = 0;
    EQ(cql_req_query(&w, 5, 5, "SELECT 1", 8, &qp), 0);
    HEXEQ(w.p, w.len, "05 00 0005 07 0000002a"
                      "| 00000008 53454c4543542031 | 000a | 000000c1"
                      "| 0002 0001 6b 00000004 0000002a 0001 76 fffffffe"
                      "| 0002 6b73");
    free(w.p);
}

TEST(req_query_v5_options_refused_on_v4)
{
    struct cql_wr w;
    struct cql_query_params qp;

    cql_wr_init(&w, NULL, 0, test_grow, NULL);
    cql_query_params_init(&qp, CQL_CL_ONE);
    qp.keyspace.p = "ks";
    qp.keyspace.len = 2;
    EQ(cql_req_query(&w, 4, 1, "SELECT 1", 8, &qp), CQL_EVERSION);
    EQ(w.len, 0);
    EQ(w.err, CQL_EVERSION);
    cql_wr_init(&w, w.p, w.cap, test_grow, NULL);
    cql_query_params_init(&qp, CQL_CL_ONE);
    qp.has_now = true;
    EQ(cql_req_query(&w, 4, 1, "SELECT 1", 8, &qp), CQL_EVERSION);
    EQ(w.len, 0);
    cql_wr_init(&w, w.p, w.cap, test_grow, NULL);
    EQ(cql_req_query(&w, 3, 1, "SELECT 1", 8, NULL), CQL_EVERSION);
    cql_wr_init(&w, w.p, w.cap, test_grow, NULL);
    EQ(cql_req_query(&w, 6, 1, "SELECT 1", 8, NULL), CQL_EVERSION);
    EQ(w.len, 0);
    free(w.p);
}

TEST(req_query_refuses_malformed_values)
{
    static const uint8_t bad_len[] = { 0, 0, 0, 9, 1, 2 };            /* 9 bytes announced */
    static const uint8_t bad_neg[] = { 0xff, 0xff, 0xff, 0xfd };      /* -3 */
    static const uint8_t extra[] = { 0, 0, 0, 0, 7 };                 /* stray byte */
    const struct cql_values cases[] = {
        { bad_len, sizeof(bad_len), 1, false },
        { bad_neg, sizeof(bad_neg), 1, false },
        { extra, sizeof(extra), 1, false },
        { two_values, sizeof(two_values), 3, false },                 /* count too high */
        { two_values, sizeof(two_values), 1, false },                 /* count too low */
        { two_values, sizeof(two_values), 2, true },                  /* no names present */
        { NULL, 0, 1, false },
    };
    struct cql_wr w;
    struct cql_query_params qp;

    cql_wr_init(&w, NULL, 0, test_grow, NULL);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cql_query_params_init(&qp, CQL_CL_ONE);
        qp.values = cases[i];
        cql_wr_init(&w, w.p, w.cap, test_grow, NULL);
        EQ(cql_req_query(&w, 5, 1, "SELECT 1", 8, &qp), CQL_EPROTO);
        EQ(w.len, 0);
    }
    free(w.p);
}

TEST(req_query_captured_vectors)
{
    static const char local[] = "SELECT key, cluster_name, release_version FROM system.local";
    struct cql_wr w;
    struct cql_query_params qp;

    cql_query_params_init(&qp, CQL_CL_ONE);
    cql_wr_init(&w, NULL, 0, test_grow, NULL);
    EQ(cql_req_query(&w, 4, 3, local, strlen(local), &qp), 0);
    VECEQ(w.p, w.len, "v4_rows_local.req.hex");
    w.len = 0;
    EQ(cql_req_query(&w, 4, 4, "SELECT * FROM nosuch.tbl", 24, &qp), 0);
    VECEQ(w.p, w.len, "v4_error_invalid.req.hex");
    w.len = 0;
    EQ(cql_req_query(&w, 4, 6, "SELECT * FROM nosuch.table", 26, &qp), 0);
    VECEQ(w.p, w.len, "v4_error_syntax.req.hex");
    free(w.p);
}

TEST(req_fixed_buffer_overflow_is_reported)
{
    uint8_t buf[16];
    struct cql_wr w;

    cql_wr_init(&w, buf, sizeof(buf), NULL, NULL);
    EQ(cql_req_query(&w, 4, 1, "SELECT 1", 8, NULL), CQL_ENOSPC);
    EQ(w.err, CQL_ENOSPC);
}

/* ---- PREPARE and EXECUTE --------------------------------------------------------------------- */

TEST(req_prepare_v4_v5)
{
    static const char sel[] = "SELECT * FROM system.local WHERE key = ?";
    struct cql_str none = { NULL, 0 }, ks = { "ks", 2 };
    struct cql_wr w;

    cql_wr_init(&w, NULL, 0, test_grow, NULL);
    EQ(cql_req_prepare(&w, 4, 4, "SELECT 1", 8, none), 0);
    HEXEQ(w.p, w.len, "04 00 0004 09 0000000c | 00000008 53454c4543542031");
    w.len = 0;
    EQ(cql_req_prepare(&w, 4, 5, sel, strlen(sel), none), 0);
    VECEQ(w.p, w.len, "v4_prepared.req.hex");
    w.len = 0;
    EQ(cql_req_prepare(&w, 5, 4, "SELECT 1", 8, none), 0);
    HEXEQ(w.p, w.len, "05 00 0004 09 00000010 | 00000008 53454c4543542031 | 00000000");
    w.len = 0;
    EQ(cql_req_prepare(&w, 5, 4, "SELECT 1", 8, ks), 0);
    HEXEQ(w.p, w.len, "05 00 0004 09 00000014 | 00000008 53454c4543542031 | 00000001"
                      "| 0002 6b73");
    w.len = 0;
    EQ(cql_req_prepare(&w, 4, 4, "SELECT 1", 8, ks), CQL_EVERSION);
    EQ(w.len, 0);
    free(w.p);
}

TEST(req_execute_v4_v5)
{
    static const uint8_t idb[] = { 0xde, 0xad, 0xbe, 0xef };
    static const uint8_t rmidb[] = { 0xca, 0xfe };
    struct cql_bytes id = { idb, 4 }, rmid = { rmidb, 2 }, none = { NULL, CQL_NULL };
    struct cql_query_params qp;
    struct cql_wr w;

    cql_wr_init(&w, NULL, 0, test_grow, NULL);
    EQ(cql_req_execute(&w, 4, 6, id, none, NULL), 0);
    HEXEQ(w.p, w.len, "04 00 0006 0a 00000009 | 0004 deadbeef | 0001 | 00");
    w.len = 0;
    EQ(cql_req_execute(&w, 4, 6, id, rmid, NULL), 0);      /* no metadata id before v5 */
    HEXEQ(w.p, w.len, "04 00 0006 0a 00000009 | 0004 deadbeef | 0001 | 00");
    w.len = 0;
    EQ(cql_req_execute(&w, 5, 6, id, rmid, NULL), 0);
    HEXEQ(w.p, w.len, "05 00 0006 0a 00000010 | 0004 deadbeef | 0002 cafe | 0001 | 00000000");
    w.len = 0;
    EQ(cql_req_execute(&w, 5, 6, id, none, NULL), 0);
    HEXEQ(w.p, w.len, "05 00 0006 0a 0000000e | 0004 deadbeef | 0000 | 0001 | 00000000");

    all_v4_params(&qp);
    w.len = 0;
    EQ(cql_req_execute(&w, 4, 6, id, none, &qp), 0);
    HEXEQ(w.p, w.len, "04 00 0006 0a 0000002b | 0004 deadbeef"
                      "| 0004 | 3f"
                      "| 0002 00000004 00000001 ffffffff"
                      "| 00000064 | 00000002 7073 | 0009 | " TS_HEX);
    qp.keyspace.p = "ks";
    qp.keyspace.len = 2;
    qp.has_now = true;
    qp.now_in_seconds = 1700000000;
    w.len = 0;
    EQ(cql_req_execute(&w, 5, 6, id, rmid, &qp), 0);
    HEXEQ(w.p, w.len, "05 00 0006 0a 0000003a | 0004 deadbeef | 0002 cafe"
                      "| 0004 | 000001bf"
                      "| 0002 00000004 00000001 ffffffff"
                      "| 00000064 | 00000002 7073 | 0009 | " TS_HEX
                      "| 0002 6b73 | " NOW_HEX);
    w.len = 0;
    EQ(cql_req_execute(&w, 5, 6, none, rmid, NULL), CQL_EPROTO);     /* an id is required */
    EQ(w.len, 0);
    free(w.p);
}

/* ---- BATCH ----------------------------------------------------------------------------------- */

TEST(req_batch_mixed_statements)
{
    static const uint8_t seven[] = { 0, 0, 0, 4, 0, 0, 0, 7 };
    static const uint8_t idb[] = { 0xbe, 0xef };
    struct cql_batch_stmt stmts[2];
    struct cql_query_params qp;
    struct cql_wr w;

    memset(stmts, 0, sizeof(stmts));
    stmts[0].query.p = "INSERT 1";
    stmts[0].query.len = 8;
    stmts[0].values.p = seven;
    stmts[0].values.len = sizeof(seven);
    stmts[0].values.count = 1;
    stmts[1].prepared = true;
    stmts[1].id.p = idb;
    stmts[1].id.len = 2;
    all_v4_params(&qp);     /* values, paging and skip_metadata are ignored by BATCH */

    cql_wr_init(&w, NULL, 0, test_grow, NULL);
    EQ(cql_req_batch(&w, 4, 8, CQL_BATCH_LOGGED, stmts, 2, &qp), 0);
    HEXEQ(w.p, w.len, "04 00 0008 0d 0000002e"
                      "| 00 | 0002"
                      "| 00 00000008 494e534552542031 0001 00000004 00000007"
                      "| 01 0002 beef 0000"
                      "| 0004 | 30 | 0009 | " TS_HEX);
    qp.keyspace.p = "ks";
    qp.keyspace.len = 2;
    qp.has_now = true;
    qp.now_in_seconds = 1700000000;
    w.len = 0;
    EQ(cql_req_batch(&w, 5, 8, CQL_BATCH_UNLOGGED, stmts, 2, &qp), 0);
    HEXEQ(w.p, w.len, "05 00 0008 0d 00000039"
                      "| 01 | 0002"
                      "| 00 00000008 494e534552542031 0001 00000004 00000007"
                      "| 01 0002 beef 0000"
                      "| 0004 | 000001b0 | 0009 | " TS_HEX "| 0002 6b73 | " NOW_HEX);
    /* Plain: consistency and empty flags only. */
    w.len = 0;
    EQ(cql_req_batch(&w, 5, 8, CQL_BATCH_COUNTER, stmts + 1, 1, NULL), 0);
    HEXEQ(w.p, w.len, "05 00 0008 0d 00000010 | 02 | 0001 | 01 0002 beef 0000"
                      "| 0001 | 00000000");
    free(w.p);
}

TEST(req_batch_refusals)
{
    struct cql_batch_stmt s;
    struct cql_query_params qp;
    struct cql_wr w;

    cql_wr_init(&w, NULL, 0, test_grow, NULL);
    memset(&s, 0, sizeof(s));
    s.query.p = "X";
    s.query.len = 1;
    s.values.p = named_values;
    s.values.len = sizeof(named_values);
    s.values.count = 2;
    s.values.named = true;
    EQ(cql_req_batch(&w, 5, 1, CQL_BATCH_LOGGED, &s, 1, NULL), CQL_EPROTO);   /* names */
    EQ(w.len, 0);
    memset(&s, 0, sizeof(s));
    s.prepared = true;
    s.id.len = CQL_NULL;
    cql_wr_init(&w, w.p, w.cap, test_grow, NULL);
    EQ(cql_req_batch(&w, 5, 1, CQL_BATCH_LOGGED, &s, 1, NULL), CQL_EPROTO);   /* no id */
    memset(&s, 0, sizeof(s));
    cql_query_params_init(&qp, CQL_CL_ONE);
    qp.has_now = true;
    cql_wr_init(&w, w.p, w.cap, test_grow, NULL);
    EQ(cql_req_batch(&w, 4, 1, CQL_BATCH_LOGGED, &s, 1, &qp), CQL_EVERSION);
    EQ(w.len, 0);
    free(w.p);
}
