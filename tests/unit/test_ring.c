/*
 * test_ring.c: the token ring and replica placement of src/cass/cass_ring: small rings worked by
 * hand (who owns which token, SimpleStrategy RF 1 to 4, NetworkTopologyStrategy over two DCs
 * with racks, vnodes, a single node, a node without tokens), cass_ring_find at the edges, rings
 * that do not build, shared and thread-safe replications, routing keys, and a comparison with
 * the replicas the DataStax Python driver's token map gives (tests/vectors/ring_replicas.txt,
 * written by tests/vectors/ring_gen.py).
 */
#include "test.h"

#include <pthread.h>
#include <stdlib.h>

#include "cass/cass_ring.h"
#include "cql_murmur3.h"

/* ---- helpers --------------------------------------------------------------------------------- */

/* A node of a hand-made ring: DC, rack and up to 4 tokens. */
struct hnode {
    const char *dc;                         /* data centre */
    const char *rack;                       /* rack */
    size_t      ntokens;                    /* tokens used below */
    int64_t     tokens[4];                  /* the tokens */
};

/* Builds a ring from N hand-made nodes; returns the build's code. */
static int
build(const struct hnode *h, size_t n, struct cass_ring **out)
{
    struct cass_ring_node nodes[16];

    ASSERT(n <= 16);
    for (size_t i = 0; i < n; i++) {
        nodes[i].dc = (struct cql_str){ h[i].dc, strlen(h[i].dc) };
        nodes[i].rack = (struct cql_str){ h[i].rack, strlen(h[i].rack) };
        nodes[i].tokens = h[i].tokens;
        nodes[i].ntokens = h[i].ntokens;
    }
    return cass_ring_build(nodes, n, out);
}

/* Most DCs a test replication names. */
#define MAX_DCS 8

/* A keyspace carrying only a replication, as a schema snapshot would have it. */
struct hks {
    struct cass_meta_keyspace ks;           /* what cass_ring_replicas reads */
    struct cass_meta_dc       dcs[MAX_DCS]; /* its DCs, sorted by name */
    char                      names[MAX_DCS][32]; /* their names */
};

static void
ks_simple(struct hks *k, int32_t rf)
{
    memset(k, 0, sizeof(*k));
    k->ks.strategy = CASS_META_STRATEGY_SIMPLE;
    k->ks.replication_factor = rf;
    k->ks.dcs = k->dcs;
}

/*
 * A NetworkTopologyStrategy keyspace from "dc=rf,dc=rf" (the DCs are sorted by name, as in a
 * snapshot). Returns false on a malformed spec.
 */
static bool
ks_nts(struct hks *k, const char *spec)
{
    const char *s = spec;

    memset(k, 0, sizeof(*k));
    k->ks.strategy = CASS_META_STRATEGY_NTS;
    k->ks.dcs = k->dcs;
    while (*s != '\0') {
        const char *eq = strchr(s, '=');
        size_t len = eq != NULL ? (size_t)(eq - s) : 0;
        uint32_t i = k->ks.ndcs;

        if (eq == NULL || len == 0 || len >= sizeof(k->names[0]) || i == MAX_DCS) {
            return false;
        }
        memcpy(k->names[i], s, len);
        k->names[i][len] = '\0';
        k->dcs[i].replicas = (int32_t)strtol(eq + 1, (char **)&s, 10);
        if (*s == ',') {
            s++;
        }
        /* Insertion into name order; the names stay where they are, only the entries move. */
        k->dcs[i].name = (struct cql_str){ k->names[i], len };
        for (uint32_t j = i; j > 0 && strcmp(k->dcs[j - 1].name.p, k->dcs[j].name.p) > 0; j--) {
            struct cass_meta_dc t = k->dcs[j];

            k->dcs[j] = k->dcs[j - 1];
            k->dcs[j - 1] = t;
        }
        k->ks.ndcs++;
    }
    return true;
}

/* The replicas at POS as a string of node ids in base 36 ("" for none). */
static const char *
at(const struct cass_ring_replicas *reps, size_t pos)
{
    static char buf[64];
    size_t n;
    const uint16_t *ids = cass_ring_at(reps, pos, &n);

    ASSERT(n < sizeof(buf));
    for (size_t i = 0; i < n; i++) {
        buf[i] = "0123456789abcdefghijklmnopqrstuvwxyz"[ids[i]];
    }
    buf[n] = '\0';
    return buf;
}

/* ---- the ring -------------------------------------------------------------------------------- */

/* Three nodes with one token each: -100 (node 0), 0 (node 1), 100 (node 2). */
static const struct hnode three[] = {
    { "dc1", "r1", 1, { -100 } },
    { "dc1", "r1", 1, { 0 } },
    { "dc1", "r1", 1, { 100 } },
};

TEST(ring_three_nodes_own_their_ranges)
{
    struct cass_ring *r;
    size_t n;
    size_t node;
    const struct cass_ring_node *nodes;

    EQ(build(three, 3, &r), 0);
    EQ(cass_ring_size(r), 3);
    nodes = cass_ring_nodes(r, &n);
    EQ(n, 3);
    SLICEEQ(nodes[2].dc.p, nodes[2].dc.len, "dc1");
    EQ(nodes[2].dc.p[3], '\0');
    EQ(nodes[1].tokens[0], 0);
    EQ(cass_ring_token(r, 0, &node), -100);
    EQ(node, 0);
    EQ(cass_ring_token(r, 2, &node), 100);
    EQ(node, 2);

    /* A position owns (previous token, its token]; above the last wraps to the first. */
    EQ(cass_ring_find(r, INT64_MIN), 0);
    EQ(cass_ring_find(r, -101), 0);
    EQ(cass_ring_find(r, -100), 0);
    EQ(cass_ring_find(r, -99), 1);
    EQ(cass_ring_find(r, 0), 1);
    EQ(cass_ring_find(r, 1), 2);
    EQ(cass_ring_find(r, 100), 2);
    EQ(cass_ring_find(r, 101), 0);
    EQ(cass_ring_find(r, INT64_MAX), 0);
    cass_ring_unref(r);
}

TEST(ring_find_at_the_extremes)
{
    static const struct hnode edges[] = {
        { "dc1", "r1", 2, { INT64_MIN, INT64_MAX } },
        { "dc1", "r1", 1, { 7 } },
    };
    struct cass_ring *r;

    EQ(build(edges, 2, &r), 0);
    EQ(cass_ring_find(r, INT64_MIN), 0);
    EQ(cass_ring_find(r, INT64_MIN + 1), 1);
    EQ(cass_ring_find(r, 7), 1);
    EQ(cass_ring_find(r, 8), 2);
    EQ(cass_ring_find(r, INT64_MAX), 2);
    cass_ring_unref(r);
}

TEST(ring_simple_strategy_rf_1_to_4)
{
    static const char *const want[5][3] = {
        { "", "", "" },
        { "0", "1", "2" },
        { "01", "12", "20" },
        { "012", "120", "201" },
        { "012", "120", "201" },            /* RF 4 on 3 nodes: all of them */
    };
    struct cass_ring *r;
    struct hks k;

    EQ(build(three, 3, &r), 0);
    for (int rf = 0; rf <= 4; rf++) {
        const struct cass_ring_replicas *reps;

        ks_simple(&k, rf);
        reps = cass_ring_replicas(r, &k.ks);
        OK(reps != NULL);
        EQ(reps->stride, rf < 3 ? rf : 3);
        for (size_t pos = 0; pos < 3; pos++) {
            STREQ(at(reps, pos), want[rf][pos]);
        }
        /* A key's token leads to the same rows. */
        STREQ(at(reps, cass_ring_find(r, 50)), want[rf][2]);
        STREQ(at(reps, cass_ring_find(r, 101)), want[rf][0]);
    }
    cass_ring_unref(r);
}

TEST(ring_simple_strategy_vnodes)
{
    /* Tokens 0:n0 100:n1 150:n2 200:n0 300:n1. */
    static const struct hnode vn[] = {
        { "dc1", "r1", 2, { 200, 0 } },
        { "dc1", "r1", 2, { 300, 100 } },
        { "dc1", "r1", 1, { 150 } },
    };
    static const char *const rf2[] = { "01", "12", "20", "01", "10" };
    static const char *const rf3[] = { "012", "120", "201", "012", "102" };
    struct cass_ring *r;
    struct hks k;
    const struct cass_ring_replicas *reps;

    EQ(build(vn, 3, &r), 0);
    EQ(cass_ring_size(r), 5);
    EQ(cass_ring_token(r, 3, NULL), 200);
    ks_simple(&k, 2);
    reps = cass_ring_replicas(r, &k.ks);
    for (size_t pos = 0; pos < 5; pos++) {
        STREQ(at(reps, pos), rf2[pos]);
    }
    ks_simple(&k, 3);
    reps = cass_ring_replicas(r, &k.ks);
    for (size_t pos = 0; pos < 5; pos++) {
        STREQ(at(reps, pos), rf3[pos]);
    }
    cass_ring_unref(r);
}

/*
 * Two DCs, one token each, in ring order:
 *     10 n0 dc1/A   20 n1 dc2/X   30 n2 dc1/A   40 n3 dc1/B
 *     50 n4 dc2/Y   60 n5 dc1/B   70 n6 dc2/X   80 n7 dc1/C
 * dc1: 5 nodes on racks A, B, C; dc2: 3 nodes on racks X, Y.
 */
static const struct hnode two_dcs[] = {
    { "dc1", "A", 1, { 10 } }, { "dc2", "X", 1, { 20 } }, { "dc1", "A", 1, { 30 } },
    { "dc1", "B", 1, { 40 } }, { "dc2", "Y", 1, { 50 } }, { "dc1", "B", 1, { 60 } },
    { "dc2", "X", 1, { 70 } }, { "dc1", "C", 1, { 80 } },
};

/* The replicas of replication SPEC on two_dcs at each position, compared with WANT. */
static void
check_two_dcs(const char *spec, size_t stride, const char *const want[8])
{
    struct cass_ring *r;
    struct hks k;
    const struct cass_ring_replicas *reps;

    EQ(build(two_dcs, 8, &r), 0);
    OK(ks_nts(&k, spec));
    reps = cass_ring_replicas(r, &k.ks);
    OK(reps != NULL);
    EQ(reps->stride, stride);
    for (size_t pos = 0; pos < 8; pos++) {
        size_t n;

        (void)cass_ring_at(reps, pos, &n);
        EQ(n, stride);
        if (strcmp(at(reps, pos), want[pos]) != 0) {
            test_fail(__FILE__, __LINE__, "%s at %zu: %s, want %s", spec, pos, at(reps, pos),
                      want[pos]);
            break;
        }
    }
    cass_ring_unref(r);
}

TEST(ring_nts_two_dcs_racks_first)
{
    /*
     * dc1 RF 3 over 3 racks: one node per rack, no repeats (n2 and n5 are skipped from 10: their
     * racks are used); dc2 RF 2 over 2 racks. In ring order, as Cassandra lists them.
     */
    static const char *const want[8] = {
        "01347", "12347", "23467", "34670", "45670", "56704", "67034", "70134",
    };

    check_two_dcs("dc1=3,dc2=2", 5, want);
}

TEST(ring_nts_two_dcs_rack_repeats)
{
    /*
     * dc1 RF 4 over 3 racks: one repeat allowed, and it is the first met (from 10: n2 right
     * after n0, before n3 and n7; the drivers would list it last). dc2 RF 1: its first node.
     */
    static const char *const want[8] = {
        "01237", "12357", "23457", "34570", "45702", "56702", "67023", "70123",
    };

    check_two_dcs("dc1=4,dc2=1", 5, want);
}

TEST(ring_nts_fewer_racks_than_rf)
{
    /* dc2 RF 3 over racks X, Y: all three nodes, the repeated rack where it is met. */
    static const char *const want[8] = {
        "146", "146", "461", "461", "461", "614", "614", "146",
    };

    check_two_dcs("dc2=3", 3, want);
}

TEST(ring_nts_rf_above_dc_nodes)
{
    /* dc2 RF 7 on 3 nodes: all three; dc1 RF 1 alongside. */
    static const char *const want[8] = {
        "0146", "1246", "2461", "3461", "4561", "5614", "6714", "7146",
    };

    check_two_dcs("dc1=1,dc2=7", 4, want);
}

TEST(ring_nts_dc_without_nodes_and_exact_names)
{
    static const char *const dc1[8] = {
        "0", "2", "2", "3", "5", "5", "7", "7",
    };
    static const char *const none[8] = { "", "", "", "", "", "", "", "" };

    /* dc9 has no node: it adds nothing and does not hold dc1 back. */
    check_two_dcs("dc1=1,dc9=3", 1, dc1);
    /* Names compare exactly: DC1 and "dc1 " are not dc1. */
    check_two_dcs("DC1=3", 0, none);
    check_two_dcs("dc1 =3", 0, none);
    /* RF 0 adds nothing either. */
    check_two_dcs("dc1=0,dc2=0", 0, none);
}

TEST(ring_nts_vnodes)
{
    /*
     * Two nodes of rack A with two tokens each and one of rack B, one DC:
     *     0 n0/A  1 n1/A  2 n1/A  10 n2/B  30 n0/A
     * RF 2 over 2 racks takes no repeat: from 0, n1 (twice) is skipped for n2.
     * RF 3: one repeat, the first met (n1 at 1); its second token changes nothing.
     */
    static const struct hnode vn[] = {
        { "dc1", "A", 2, { 0, 30 } },
        { "dc1", "A", 2, { 1, 2 } },
        { "dc1", "B", 1, { 10 } },
    };
    static const char *const rf2[] = { "02", "12", "12", "20", "02" };
    static const char *const rf3[] = { "012", "120", "120", "201", "012" };
    struct cass_ring *r;
    struct hks k;
    const struct cass_ring_replicas *reps;

    EQ(build(vn, 3, &r), 0);
    OK(ks_nts(&k, "dc1=2"));
    reps = cass_ring_replicas(r, &k.ks);
    for (size_t pos = 0; pos < 5; pos++) {
        STREQ(at(reps, pos), rf2[pos]);
    }
    OK(ks_nts(&k, "dc1=3"));
    reps = cass_ring_replicas(r, &k.ks);
    for (size_t pos = 0; pos < 5; pos++) {
        STREQ(at(reps, pos), rf3[pos]);
    }
    cass_ring_unref(r);
}

TEST(ring_single_node)
{
    static const struct hnode one[] = { { "dc1", "r1", 1, { 42 } } };
    struct cass_ring *r;
    struct hks k;

    EQ(build(one, 1, &r), 0);
    EQ(cass_ring_find(r, INT64_MIN), 0);
    EQ(cass_ring_find(r, 42), 0);
    EQ(cass_ring_find(r, 43), 0);
    ks_simple(&k, 3);
    STREQ(at(cass_ring_replicas(r, &k.ks), 0), "0");
    OK(ks_nts(&k, "dc1=3"));
    STREQ(at(cass_ring_replicas(r, &k.ks), 0), "0");
    cass_ring_unref(r);
}

TEST(ring_node_without_tokens)
{
    /*
     * Node 1 has no token: it keeps its id but is no replica, and its rack B does not count, so
     * dc1 has one rack and RF 2 may repeat it.
     */
    static const struct hnode h[] = {
        { "dc1", "A", 1, { -5 } },
        { "dc1", "B", 0, { 0 } },
        { "dc1", "A", 1, { 5 } },
    };
    struct cass_ring *r;
    struct hks k;
    size_t n;

    EQ(build(h, 3, &r), 0);
    (void)cass_ring_nodes(r, &n);
    EQ(n, 3);
    EQ(cass_ring_size(r), 2);
    ks_simple(&k, 3);
    STREQ(at(cass_ring_replicas(r, &k.ks), 0), "02");
    STREQ(at(cass_ring_replicas(r, &k.ks), 1), "20");
    OK(ks_nts(&k, "dc1=2"));
    STREQ(at(cass_ring_replicas(r, &k.ks), 0), "02");
    STREQ(at(cass_ring_replicas(r, &k.ks), 1), "20");
    cass_ring_unref(r);
}

TEST(ring_build_rejects)
{
    static const struct hnode dup[] = {
        { "dc1", "r1", 1, { 7 } },
        { "dc1", "r1", 2, { 8, 7 } },
    };
    static const struct hnode self_dup[] = { { "dc1", "r1", 2, { 9, 9 } } };
    static const struct hnode empty[] = {
        { "dc1", "r1", 0, { 0 } },
        { "dc1", "r1", 0, { 0 } },
    };
    struct cass_ring_node many[CASS_RING_MAX_NODES + 1];
    int64_t tokens[CASS_RING_MAX_NODES + 1];
    struct cass_ring *r = (struct cass_ring *)&r;

    EQ(cass_ring_build(NULL, 0, &r), E_INVALID);
    OK(r == NULL);
    EQ(build(dup, 2, &r), E_INVALID);
    OK(r == NULL);
    EQ(build(self_dup, 1, &r), E_INVALID);
    EQ(build(empty, 2, &r), E_INVALID);

    for (size_t i = 0; i <= CASS_RING_MAX_NODES; i++) {
        tokens[i] = (int64_t)i;
        many[i] = (struct cass_ring_node){ { "dc1", 3 }, { "r1", 2 }, &tokens[i], 1 };
    }
    EQ(cass_ring_build(many, CASS_RING_MAX_NODES + 1, &r), E_INVALID);
    EQ(cass_ring_build(many, CASS_RING_MAX_NODES, &r), 0);
    EQ(cass_ring_size(r), CASS_RING_MAX_NODES);
    cass_ring_unref(r);

    /* Too many tokens in all, without reading them. */
    many[0].ntokens = CASS_RING_MAX_TOKENS;
    EQ(cass_ring_build(many, 2, &r), E_INVALID);
    many[0].ntokens = SIZE_MAX;
    EQ(cass_ring_build(many, 2, &r), E_INVALID);
}

/* ---- replications ---------------------------------------------------------------------------- */

TEST(ring_replicas_everywhere_strategies)
{
    static const uint8_t everywhere[] = {
        CASS_META_STRATEGY_LOCAL, CASS_META_STRATEGY_EVERYWHERE, CASS_META_STRATEGY_OTHER,
    };
    struct cass_ring *r;
    struct hks k;

    EQ(build(three, 3, &r), 0);
    for (size_t i = 0; i < sizeof(everywhere); i++) {
        ks_simple(&k, 3);
        k.ks.strategy = everywhere[i];
        OK(cass_ring_replicas(r, &k.ks) == NULL);
    }
    cass_ring_unref(r);
}

TEST(ring_replicas_shared_per_replication)
{
    struct cass_ring *r;
    struct hks a, b;
    const struct cass_ring_replicas *ra;

    EQ(build(two_dcs, 8, &r), 0);
    /* Two keyspaces with the same replication get the same replicas. */
    OK(ks_nts(&a, "dc1=3,dc2=2"));
    OK(ks_nts(&b, "dc2=2,dc1=3"));
    ra = cass_ring_replicas(r, &a.ks);
    OK(ra != NULL);
    OK(cass_ring_replicas(r, &b.ks) == ra);
    /* A DC with RF 0 changes nothing. */
    OK(ks_nts(&b, "dc1=3,dc2=2,dc3=0"));
    OK(cass_ring_replicas(r, &b.ks) == ra);
    /* Anything else is another replication. */
    OK(ks_nts(&b, "dc1=3,dc2=1"));
    OK(cass_ring_replicas(r, &b.ks) != ra);
    OK(ks_nts(&b, "dc1=3,dc3=2"));
    OK(cass_ring_replicas(r, &b.ks) != ra);
    OK(ks_nts(&b, "dc1=3"));
    OK(cass_ring_replicas(r, &b.ks) != ra);
    ks_simple(&b, 5);
    OK(cass_ring_replicas(r, &b.ks) != ra);
    OK(cass_ring_replicas(r, &b.ks) == cass_ring_replicas(r, &b.ks));
    ks_simple(&a, 4);
    OK(cass_ring_replicas(r, &a.ks) != cass_ring_replicas(r, &b.ks));
    cass_ring_unref(r);
}

#define RING_THREADS 4

/* What one thread of the test below looks up, and what it got. */
struct ring_worker {
    struct cass_ring                *ring;   /* shared ring */
    const struct cass_meta_keyspace *ks;     /* the replication to look up */
    const struct cass_ring_replicas *got;    /* the answer */
};

static void *
ring_worker(void *arg)
{
    struct ring_worker *w = arg;

    cass_ring_ref(w->ring);
    w->got = cass_ring_replicas(w->ring, w->ks);
    cass_ring_unref(w->ring);
    return NULL;
}

TEST(ring_replicas_computed_once_across_threads)
{
    pthread_t th[RING_THREADS];
    struct ring_worker w[RING_THREADS];
    struct hks k[RING_THREADS];
    struct cass_ring *r;

    EQ(build(two_dcs, 8, &r), 0);
    for (int i = 0; i < RING_THREADS; i++) {
        OK(ks_nts(&k[i], "dc1=2,dc2=2"));
        w[i] = (struct ring_worker){ r, &k[i].ks, NULL };
    }
    for (int i = 0; i < RING_THREADS; i++) {
        OK(pthread_create(&th[i], NULL, ring_worker, &w[i]) == 0);
    }
    for (int i = 0; i < RING_THREADS; i++) {
        pthread_join(th[i], NULL);
    }
    for (int i = 0; i < RING_THREADS; i++) {
        OK(w[i].got != NULL);
        OK(w[i].got == w[0].got);
    }
    STREQ(at(w[0].got, 0), "0134");
    cass_ring_unref(r);
}

TEST(ring_reference_counts)
{
    struct cass_ring *r;
    struct hks k;
    const struct cass_ring_replicas *reps;

    EQ(build(three, 3, &r), 0);
    cass_ring_ref(r);
    ks_simple(&k, 2);
    reps = cass_ring_replicas(r, &k.ks);
    cass_ring_unref(r);
    /* Still held once: the replicas are readable (ASan would see a freed ring). */
    STREQ(at(reps, 1), "12");
    cass_ring_unref(r);
    cass_ring_unref(NULL);
}

/* ---- routing keys ---------------------------------------------------------------------------- */

TEST(ring_routing_key_single_and_composite)
{
    uint8_t buf[64];
    struct cql_wr w;
    struct cql_bytes one[] = { { (const uint8_t *)"\x00\x00\x00\x2a", 4 } };
    struct cql_bytes two[] = {
        { (const uint8_t *)"ab", 2 },
        { (const uint8_t *)"", 0 },
        { (const uint8_t *)"\x01", 1 },
    };

    cql_wr_init(&w, buf, sizeof(buf), NULL, NULL);
    EQ(cass_ring_routing_key(&w, one, 1), 0);
    MEMEQ(w.p, w.len, "\x00\x00\x00\x2a", 4);
    /* The token of int 42, as the Python driver's murmur3 computes it. */
    EQ(cql_murmur3_token(w.p, w.len), INT64_C(-7160136740246525330));

    cql_wr_init(&w, buf, sizeof(buf), NULL, NULL);
    EQ(cass_ring_routing_key(&w, two, 3), 0);
    MEMEQ(w.p, w.len, "\x00\x02" "ab" "\x00" "\x00\x00" "\x00" "\x00\x01" "\x01" "\x00", 12);
}

TEST(ring_routing_key_rejects)
{
    uint8_t buf[16];
    struct cql_wr w;
    uint8_t *big = calloc(1, 65536);
    struct cql_bytes parts[2] = { { (const uint8_t *)"a", 1 }, { NULL, CQL_NULL } };

    OK(big != NULL);
    cql_wr_init(&w, buf, sizeof(buf), NULL, NULL);
    EQ(cass_ring_routing_key(&w, parts, 0), E_INVALID);
    EQ(cass_ring_routing_key(&w, &parts[1], 1), E_INVALID);
    EQ(cass_ring_routing_key(&w, parts, 2), E_INVALID);
    parts[1].len = CQL_UNSET;
    EQ(cass_ring_routing_key(&w, parts, 2), E_INVALID);
    EQ(w.len, 0);

    /* 65535 bytes is the most a component may have, alone or in a composite. */
    parts[1] = (struct cql_bytes){ big, 65536 };
    EQ(cass_ring_routing_key(&w, &parts[1], 1), E_INVALID);
    EQ(cass_ring_routing_key(&w, parts, 2), E_INVALID);
    EQ(w.len, 0);
    parts[1].len = 65535;
    cql_wr_init(&w, NULL, 0, test_grow, NULL);
    EQ(cass_ring_routing_key(&w, parts, 2), 0);
    EQ(w.len, 4 + 2 + 65535 + 1);
    free(w.p);
    /* A writer without room reports its own error. */
    cql_wr_init(&w, buf, sizeof(buf), NULL, NULL);
    OK(cass_ring_routing_key(&w, &parts[1], 1) < 0);
    OK(w.err != 0);
    free(big);
}

/* ---- the Python driver's token map ----------------------------------------------------------- */

/* A ring of the vector file being read. */
struct vring {
    struct cass_ring     *ring;             /* built from the node lines */
    struct cass_ring_node nodes[40];        /* its nodes */
    int64_t               tokens[40][8];    /* their tokens */
    char                  names[40][2][16]; /* their DC and rack */
    size_t                nnodes;           /* how many */
    struct hks            ks;               /* the current replication */
    const struct cass_ring_replicas *reps;  /* its replicas */
    size_t                checked;          /* rows compared */
    size_t                ordered;          /* of which compared in full order, every DC */
};

static int
id_of(char c)
{
    const char *d = "0123456789abcdefghijklmnopqrstuvwxyz";
    const char *p = strchr(d, c);

    return p != NULL && c != '\0' ? (int)(p - d) : -1;
}

/* The RF of DC NAME in the current NTS replication (0 when it is not named). */
static int32_t
vring_rf(const struct vring *v, struct cql_str name)
{
    for (uint32_t i = 0; i < v->ks.ks.ndcs; i++) {
        if (v->ks.dcs[i].name.len == name.len
            && memcmp(v->ks.dcs[i].name.p, name.p, name.len) == 0) {
            return v->ks.dcs[i].replicas;
        }
    }
    return 0;
}

/* Distinct racks of the nodes with tokens in DC NAME. */
static size_t
vring_racks(const struct vring *v, struct cql_str name)
{
    size_t n = 0;

    for (size_t i = 0; i < v->nnodes; i++) {
        bool first = v->nodes[i].ntokens > 0 && v->nodes[i].dc.len == name.len
                     && memcmp(v->nodes[i].dc.p, name.p, name.len) == 0;

        for (size_t j = 0; j < i && first; j++) {
            first = !(v->nodes[j].ntokens > 0 && strcmp(v->names[j][0], v->names[i][0]) == 0
                      && strcmp(v->names[j][1], v->names[i][1]) == 0);
        }
        n += first;
    }
    return n;
}

/*
 * Compares our replicas at POS with the driver's list PY. The driver lists NTS replicas DC by
 * DC and, inside a DC whose RF exceeds its racks, new racks before repeats; when RF exceeds a
 * DC's nodes it may also list a node twice. So: the same distinct nodes; per DC the same first
 * replica; and per DC the same order where the rack rule leaves no choice (RF up to the racks,
 * or a single rack), and for SimpleStrategy the same order throughout.
 */
static bool
vring_compare(struct vring *v, size_t pos, const char *py, int line)
{
    size_t n;
    const uint16_t *ids = cass_ring_at(v->reps, pos, &n);
    bool simple = v->ks.ks.strategy == CASS_META_STRATEGY_SIMPLE;
    char ours[64];
    bool in_py[40] = { false };
    size_t distinct = 0;
    bool full = true;

    snprintf(ours, sizeof(ours), "%s", at(v->reps, pos));
    for (const char *c = py; *c != '\0'; c++) {
        int id = id_of(*c);

        if (id < 0 || (size_t)id >= v->nnodes) {
            test_fail(__FILE__, line, "bad id '%c'", *c);
            return false;
        }
        distinct += !in_py[id];
        in_py[id] = true;
    }
    if (distinct != n) {
        goto differ;
    }
    for (size_t i = 0; i < n; i++) {
        if (!in_py[ids[i]]) {
            goto differ;
        }
    }
    if (simple) {
        if (strcmp(ours, py) != 0) {
            goto differ;
        }
    }
    for (size_t d = 0; d < n && !simple; d++) {
        struct cql_str dc = v->nodes[ids[d]].dc;
        char sub_ours[64], sub_py[64];
        size_t a = 0, b = 0;
        bool seen = false;

        for (size_t i = 0; i < d && !seen; i++) {
            seen = strcmp(v->nodes[ids[i]].dc.p, dc.p) == 0;
        }
        if (seen) {
            continue;
        }
        /* This DC's replicas, in each list's order (the driver's without repeats). */
        for (size_t i = 0; i < n; i++) {
            if (strcmp(v->nodes[ids[i]].dc.p, dc.p) == 0) {
                sub_ours[a++] = ours[i];
            }
        }
        for (const char *c = py; *c != '\0'; c++) {
            if (strcmp(v->nodes[id_of(*c)].dc.p, dc.p) == 0 && memchr(sub_py, *c, b) == NULL) {
                sub_py[b++] = *c;
            }
        }
        sub_ours[a] = '\0';
        sub_py[b] = '\0';
        if (a != b || sub_ours[0] != sub_py[0]) {
            goto differ;
        }
        if ((size_t)vring_rf(v, dc) <= vring_racks(v, dc) || vring_racks(v, dc) == 1) {
            if (strcmp(sub_ours, sub_py) != 0) {
                goto differ;
            }
        } else {
            full = false;
        }
    }
    v->checked++;
    v->ordered += full;
    return true;

differ:
    test_fail(__FILE__, __LINE__, "ring_replicas.txt line %d, position %zu: ours %s, driver %s",
              line, pos, ours, py);
    return false;
}

/* Reads a node line ("node DC RACK T1,T2,..." past "node ") into V. */
static bool
vring_node(struct vring *v, char *rest)
{
    size_t i = v->nnodes;
    char *dc = strtok(rest, " \n");
    char *rack = strtok(NULL, " \n");
    char *toks = strtok(NULL, " \n");

    if (i == 40 || dc == NULL || rack == NULL || toks == NULL || strlen(dc) >= 16
        || strlen(rack) >= 16) {
        return false;
    }
    strcpy(v->names[i][0], dc);
    strcpy(v->names[i][1], rack);
    v->nodes[i].dc = (struct cql_str){ v->names[i][0], strlen(dc) };
    v->nodes[i].rack = (struct cql_str){ v->names[i][1], strlen(rack) };
    v->nodes[i].tokens = v->tokens[i];
    v->nodes[i].ntokens = 0;
    for (char *t = strtok(toks, ","); t != NULL && strcmp(t, "-") != 0; t = strtok(NULL, ",")) {
        if (v->nodes[i].ntokens == 8) {
            return false;
        }
        v->tokens[i][v->nodes[i].ntokens++] = strtoll(t, NULL, 10);
    }
    v->nnodes++;
    return true;
}

/* Reads a "tok TOKEN IDS" or "key HEX IDS" line (past the keyword) and compares its row. */
static bool
vring_probe(struct vring *v, char *rest, bool is_key, int line)
{
    char *what = strtok(rest, " \n");
    char *py = strtok(NULL, " \n");
    int64_t token;

    if (what == NULL || v->reps == NULL) {
        return false;
    }
    if (is_key) {
        uint8_t key[64];
        long len = test_unhex(what, key, sizeof(key));

        if (len <= 0) {
            return false;
        }
        token = cql_murmur3_token(key, (size_t)len);
    } else {
        token = strtoll(what, NULL, 10);
    }
    return vring_compare(v, cass_ring_find(v->ring, token), py != NULL ? py : "", line);
}

/* Handles one line of the vector file; false (and a failure) when it is wrong. */
static bool
vring_line(struct vring *v, char *s, int line)
{
    if (strncmp(s, "ring ", 5) == 0) {
        size_t checked = v->checked;
        size_t ordered = v->ordered;

        cass_ring_unref(v->ring);
        memset(v, 0, sizeof(*v));
        v->checked = checked;
        v->ordered = ordered;
        return true;
    }
    if (strncmp(s, "node ", 5) == 0) {
        return vring_node(v, s + 5);
    }
    if (strncmp(s, "repl ", 5) == 0) {
        char *spec = strtok(s + 5, " \n");
        char *arg = strtok(NULL, " \n");

        if (v->ring == NULL && cass_ring_build(v->nodes, v->nnodes, &v->ring) != 0) {
            return false;
        }
        if (spec == NULL || arg == NULL) {
            return false;
        }
        if (strcmp(spec, "simple") == 0) {
            ks_simple(&v->ks, (int32_t)strtol(arg, NULL, 10));
        } else if (strcmp(spec, "nts") != 0 || !ks_nts(&v->ks, arg)) {
            return false;
        }
        v->reps = cass_ring_replicas(v->ring, &v->ks.ks);
        return v->reps != NULL;
    }
    if (strncmp(s, "at ", 3) == 0) {
        size_t pos = 0;

        for (char *py = strtok(s + 3, " \n"); py != NULL; py = strtok(NULL, " \n"), pos++) {
            if (v->reps == NULL || pos >= cass_ring_size(v->ring)
                || !vring_compare(v, pos, py, line)) {
                return false;
            }
        }
        return pos == cass_ring_size(v->ring);
    }
    if (strncmp(s, "tok ", 4) == 0 || strncmp(s, "key ", 4) == 0) {
        return vring_probe(v, s + 4, s[0] == 'k', line);
    }
    return s[0] == '#' || s[0] == '\n';
}

TEST(ring_matches_python_driver_token_map)
{
    static struct vring v;
    FILE *f = fopen("tests/vectors/ring_replicas.txt", "r");
    char s[1024];
    int line = 0;
    size_t rings = 0;

    OK(f != NULL);
    memset(&v, 0, sizeof(v));
    while (fgets(s, sizeof(s), f) != NULL) {
        line++;
        rings += strncmp(s, "ring ", 5) == 0;
        if (!vring_line(&v, s, line)) {
            test_fail(__FILE__, __LINE__, "ring_replicas.txt line %d: %.60s", line, s);
            break;
        }
    }
    fclose(f);
    cass_ring_unref(v.ring);
    OK(test_failed == 0);
    EQ(rings, 3);
    /* Every row of the file was compared, most of them in full order. */
    OK(v.checked > 350);
    OK(v.ordered > v.checked / 2);
}
