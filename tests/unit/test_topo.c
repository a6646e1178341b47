/*
 * test_topo.c: topology snapshots of src/cass/cass_topo built from hand-made system.local and
 * system.peers_v2 rows: addresses, ports, the connection's address for system.local, tokens, schema agreement, rows
 * skipped, and malformed cells.
 */
#include "test.h"

#include <stdlib.h>

#include "cass/cass_topo.h"

/* ---- helpers --------------------------------------------------------------------------------- */

/* Column specs with only their names set (the builder finds columns by name). */
static void
specs(struct cql_col_spec *cols, const char *const *names, size_t n)
{
    memset(cols, 0, n * sizeof(*cols));
    for (size_t i = 0; i < n; i++) {
        cols[i].name.p = names[i];
        cols[i].name.len = strlen(names[i]);
    }
}

static void
cell_null(struct cql_wr *w)
{
    cql_wr_int(w, -1);
}

static void
cell_text(struct cql_wr *w, const char *s)
{
    cql_wr_bytes(w, s, (int32_t)strlen(s));
}

static void
cell_inet4(struct cql_wr *w, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    uint8_t ip[4] = { a, b, c, d };

    cql_wr_bytes(w, ip, 4);
}

static void
cell_int(struct cql_wr *w, int32_t v)
{
    cql_wr_int(w, 4);
    cql_wr_int(w, v);
}

static void
cell_uuid(struct cql_wr *w, uint8_t fill)
{
    uint8_t u[16];

    memset(u, fill, sizeof(u));
    cql_wr_bytes(w, u, 16);
}

/* A set<text> cell of the N decimal tokens. */
static void
cell_tokens(struct cql_wr *w, const char *const *tokens, size_t n)
{
    size_t len = 4;

    for (size_t i = 0; i < n; i++) {
        len += 4 + strlen(tokens[i]);
    }
    cql_wr_int(w, (int32_t)len);
    cql_wr_int(w, (int32_t)n);
    for (size_t i = 0; i < n; i++) {
        cell_text(w, tokens[i]);
    }
}

static const char *const local_names[] = {
    "rpc_address", "rpc_port", "data_center", "rack", "tokens", "schema_version", "host_id",
    "partitioner",
};

static const char *const peer_names[] = {
    "native_address", "native_port", "data_center", "rack", "tokens", "schema_version", "host_id",
};

/* One system.local row. */
static void
local_row(struct cql_wr *w, uint8_t last_octet, uint8_t schema)
{
    static const char *const tokens[] = { "-9223372036854775808" };

    cell_inet4(w, 127, 0, 0, last_octet);
    cell_int(w, 9042);
    cell_text(w, "dc1");
    cell_text(w, "r1");
    cell_tokens(w, tokens, 1);
    cell_uuid(w, schema);
    cell_uuid(w, 0xa0);
    cell_text(w, CASS_TOPO_MURMUR3);
}

/* ---- tests ----------------------------------------------------------------------------------- */

TEST(topo_tokens)
{
    static const char *const tokens[] = { "-9223372036854775808", "0", "9223372036854775807",
                                          "42" };
    int64_t out[8];
    size_t n = 0;
    struct cql_wr w;
    uint8_t *p;

    cql_wr_init(&w, NULL, 0, test_grow, NULL);
    cell_tokens(&w, tokens, 4);
    p = w.p;
    EQ(cass_topo_parse_tokens(p + 4, (int32_t)(w.len - 4), out, 8, &n), 0);
    UEQ(n, 4);
    EQ(out[0], INT64_MIN);
    EQ(out[1], 0);
    EQ(out[2], INT64_MAX);
    EQ(out[3], 42);
    /* more tokens than room, and every truncation, fail */
    EQ(cass_topo_parse_tokens(p + 4, (int32_t)(w.len - 4), out, 3, &n), E_PROTOCOL);
    for (size_t cut = 0; cut < w.len - 4; cut++) {
        EQ(cass_topo_parse_tokens(p + 4, (int32_t)cut, out, 8, &n), E_PROTOCOL);
    }
    /* null: no tokens */
    EQ(cass_topo_parse_tokens(NULL, -1, out, 8, &n), 0);
    UEQ(n, 0);
    free(p);
}

TEST(topo_tokens_malformed)
{
    static const char *const bad[] = { "", "-", "12a", "9223372036854775808",
                                       "-9223372036854775809", "99999999999999999999", "+1" };
    int64_t out[2];
    size_t n;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct cql_wr w;

        cql_wr_init(&w, NULL, 0, test_grow, NULL);
        cell_tokens(&w, &bad[i], 1);
        if (cass_topo_parse_tokens(w.p + 4, (int32_t)(w.len - 4), out, 2, &n) != E_PROTOCOL) {
            free(w.p);
            test_fail(__FILE__, __LINE__, "token \"%s\" accepted", bad[i]);
            return;
        }
        free(w.p);
    }
}

TEST(topo_build)
{
    static const char *const t2[] = { "-3074457345618258603" };
    static const char *const t3[] = { "3074457345618258602", "5" };
    struct cql_col_spec lcols[8], pcols[7];
    struct cass_topo_builder *b = cass_topo_builder_create();
    struct cass_topo *t = NULL;
    struct cql_wr w;
    int rc;

    specs(lcols, local_names, 8);
    specs(pcols, peer_names, 7);
    cql_wr_init(&w, NULL, 0, test_grow, NULL);
    local_row(&w, 2, 1);
    rc = cass_topo_builder_rows(b, CASS_TOPO_LOCAL, lcols, 8, w.p, w.len, 1, "127.0.0.2", 9042);
    w.len = 0;
    EQ(rc, 0);
    /* two peers, one half-joined (no data centre) and one without an address: both skipped */
    cell_inet4(&w, 127, 0, 0, 3);
    cell_int(&w, 9043);
    cell_text(&w, "dc2");
    cell_text(&w, "r2");
    cell_tokens(&w, t2, 1);
    cell_uuid(&w, 1);
    cell_uuid(&w, 0xa1);
    cell_inet4(&w, 127, 0, 0, 4);
    cell_int(&w, 9042);
    cell_text(&w, "dc1");
    cell_text(&w, "r1");
    cell_tokens(&w, t3, 2);
    cell_uuid(&w, 1);
    cell_uuid(&w, 0xa2);
    cell_inet4(&w, 127, 0, 0, 5);
    cell_int(&w, 9042);
    cell_null(&w);
    cell_null(&w);
    cell_null(&w);
    cell_null(&w);
    cell_null(&w);
    cell_null(&w);
    cell_int(&w, 9042);
    cell_text(&w, "dc1");
    cell_text(&w, "r1");
    cell_null(&w);
    cell_null(&w);
    cell_null(&w);
    rc = cass_topo_builder_rows(b, CASS_TOPO_PEERS_V2, pcols, 7, w.p, w.len, 4, "127.0.0.2",
                                9042);
    free(w.p);
    EQ(rc, 0);
    EQ(cass_topo_builder_finish(b, &t), 0);
    cass_topo_builder_destroy(b);
    UEQ(t->nnodes, 3);
    STREQ(t->partitioner, CASS_TOPO_MURMUR3);
    STREQ(t->nodes[0].host, "127.0.0.2");
    STREQ(t->nodes[1].host, "127.0.0.3");
    EQ(t->nodes[1].port, 9043);
    STREQ(t->nodes[1].dc, "dc2");
    STREQ(t->nodes[1].rack, "r2");
    UEQ(t->nodes[2].ntokens, 2);
    EQ(t->nodes[2].tokens[1], 5);
    EQ(cass_topo_find(t, "127.0.0.3", 9043), 1);
    EQ(cass_topo_find(t, "127.0.0.3", 9042), -1);
    EQ(cass_topo_find(t, "127.0.0.9", 9042), -1);
    /* the ring: node ids are topology indexes; token 4 is owned by the node holding token 5 */
    OK(t->ring != NULL);
    {
        size_t n = 0;

        (void)cass_ring_nodes(t->ring, &n);
        UEQ(n, 3);
    }
    EQ(t->nodes[2].schema_version[0], 1);
    EQ(t->nodes[2].host_id[0], 0xa2);
    OK(cass_topo_ref(t) == t);
    cass_topo_unref(t);
    cass_topo_unref(t);
    cass_topo_unref(NULL);
}

TEST(topo_local_address)
{
    struct cql_col_spec cols[8];
    struct cass_topo_builder *b = cass_topo_builder_create();
    struct cass_topo *t = NULL;
    struct cql_wr w;

    specs(cols, local_names, 8);
    cql_wr_init(&w, NULL, 0, test_grow, NULL);
    local_row(&w, 0, 1);                /* rpc_address 0.0.0.0 */
    EQ(cass_topo_builder_rows(b, CASS_TOPO_LOCAL, cols, 8, w.p, w.len, 1, "db.example", 9142), 0);
    free(w.p);
    EQ(cass_topo_builder_finish(b, &t), 0);
    STREQ(t->nodes[0].host, "db.example");
    EQ(t->nodes[0].port, 9142);         /* the connection's, not the row's (a proxy) */
    cass_topo_unref(t);
    cass_topo_builder_destroy(b);
}

TEST(topo_errors)
{
    struct cql_col_spec cols[8];
    struct cass_topo_builder *b = cass_topo_builder_create();
    struct cass_topo *t = NULL;
    struct cql_wr w;

    specs(cols, local_names, 8);
    /* no system.local row */
    EQ(cass_topo_builder_finish(b, &t), E_INVALID);
    OK(t == NULL);
    OK(strstr(cass_topo_builder_error(b), "system.local") != NULL);
    /* a truncated row, and rows without metadata */
    cql_wr_init(&w, NULL, 0, test_grow, NULL);
    local_row(&w, 2, 1);
    EQ(cass_topo_builder_rows(b, CASS_TOPO_LOCAL, cols, 8, w.p, w.len - 1, 1, "h", 9042),
       E_PROTOCOL);
    EQ(cass_topo_builder_rows(b, CASS_TOPO_LOCAL, NULL, 0, w.p, w.len, 1, "h", 9042),
       E_PROTOCOL);
    free(w.p);
    /* malformed tokens */
    cql_wr_init(&w, NULL, 0, test_grow, NULL);
    cell_inet4(&w, 127, 0, 0, 2);
    cell_int(&w, 9042);
    cell_text(&w, "dc1");
    cell_text(&w, "r1");
    cell_text(&w, "xx");
    cell_uuid(&w, 1);
    cell_uuid(&w, 2);
    cell_text(&w, CASS_TOPO_MURMUR3);
    EQ(cass_topo_builder_rows(b, CASS_TOPO_LOCAL, cols, 8, w.p, w.len, 1, "h", 9042),
       E_PROTOCOL);
    OK(strstr(cass_topo_builder_error(b), "tokens") != NULL);
    free(w.p);
    cass_topo_builder_destroy(b);
}

TEST(topo_other_partitioner)
{
    struct cql_col_spec cols[8];
    struct cass_topo_builder *b = cass_topo_builder_create();
    struct cass_topo *t = NULL;
    static const char *const hex[] = { "6b6579" };
    struct cql_wr w;

    specs(cols, local_names, 8);
    cql_wr_init(&w, NULL, 0, test_grow, NULL);
    cell_inet4(&w, 127, 0, 0, 2);
    cell_int(&w, 9042);
    cell_text(&w, "dc1");
    cell_text(&w, "r1");
    cell_tokens(&w, hex, 1);
    cell_uuid(&w, 1);
    cell_uuid(&w, 2);
    cell_text(&w, "org.apache.cassandra.dht.ByteOrderedPartitioner");
    /* its tokens are not numbers: kept out, so the caller can refuse the partitioner by name */
    EQ(cass_topo_builder_rows(b, CASS_TOPO_LOCAL, cols, 8, w.p, w.len, 1, "h", 9042), 0);
    free(w.p);
    EQ(cass_topo_builder_finish(b, &t), 0);
    STREQ(t->partitioner, "org.apache.cassandra.dht.ByteOrderedPartitioner");
    UEQ(t->nodes[0].ntokens, 0);
    OK(t->ring == NULL);
    cass_topo_unref(t);
    cass_topo_builder_destroy(b);
}
