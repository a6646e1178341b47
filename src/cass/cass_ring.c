/*
 * cass_ring.c: the token ring and replica placement (see cass_ring.h).
 *
 * A ring is built once and never changed, except for its list of computed replications, which
 * grows on first use of each. That list is published through an atomic pointer: readers load its
 * head (acquire) and walk entries that are complete before they are linked in; a writer computes
 * a missing entry under the ring's mutex, checks again that no one else did, and links it in at
 * the head (release). Entries live as long as the ring.
 *
 * SimpleStrategy is computed backwards over the ring: the replicas at position i are the owner
 * of i followed by the replicas at i + 1 without that owner, cut to RF, so the whole table costs
 * one walk plus npositions x RF steps, however unevenly the tokens are spread.
 *
 * NetworkTopologyStrategy is computed per data centre: the replicas a DC contributes from a
 * position depend only on the DC's own tokens from there on (the walk keeps a separate state per
 * DC), so each DC is walked once from each of its own tokens over its own tokens, and the ring's
 * rows merge those DC lists by their distance from the row's position, which gives the order of
 * Cassandra's single walk. A small DC next to a large one is then not walked over the large one's
 * tokens.
 */
#include "cass/cass_ring.h"

#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "cql_murmur3.h"

/* A node id meaning "none" (a node without tokens has no DC in the ring). */
#define NO_ID UINT16_MAX

/* One computed replication: its key and its replicas. */
struct ring_repl {
    struct ring_repl         *next;         /* older entry; immutable once published */
    uint8_t                   strategy;     /* CASS_META_STRATEGY_SIMPLE or _NTS */
    int32_t                   rf;           /* SimpleStrategy: replication_factor */
    struct cass_meta_dc      *dcs;          /* NTS: the DCs with replicas > 0, by name (heap) */
    size_t                    ndcs;         /* how many */
    char                     *names;        /* the DC names, NUL-terminated, one heap block */
    struct cass_ring_replicas reps;         /* ids and counts are heap arrays of the entry */
};

struct cass_ring {
    atomic_uint                     refs;       /* references; freed when it drops to 0 */
    struct arena                    arena;      /* nodes, names, tokens and the topology */
    const struct cass_ring_node    *nodes;      /* every node given, by id */
    size_t                          nnodes;     /* how many */
    const int64_t                  *tokens;     /* npositions tokens, ascending */
    const uint16_t                 *owner;      /* npositions node ids: who owns each token */
    size_t                          npositions; /* tokens of the ring */
    const struct cql_str           *dcs;        /* distinct DCs of the nodes with tokens */
    size_t                          ndcs;       /* how many */
    const uint16_t                 *dc_nodes;   /* ndcs: nodes with tokens in each DC */
    const uint16_t                 *dc_racks;   /* ndcs: distinct racks of those nodes */
    size_t                          nring_nodes; /* nodes with tokens, all DCs */
    const uint16_t                 *node_dc;    /* nnodes: DC index, NO_ID without tokens */
    const uint16_t                 *node_rack;  /* nnodes: rack index inside its DC */
    uv_mutex_t                      lock;       /* serialises computing replications */
    _Atomic(struct ring_repl *)     repls;      /* computed replications, newest first */
};

static bool
str_eq(struct cql_str a, struct cql_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

/* A NUL-terminated copy of S in A. */
static struct cql_str
str_dup(struct arena *a, struct cql_str s)
{
    struct cql_str d = { arena_strndup(a, s.len > 0 ? s.p : "", s.len), s.len };

    return d;
}

/* ---- building -------------------------------------------------------------------------------- */

/* A token and its owner, for sorting. */
struct tok {
    int64_t  token;                         /* the token */
    uint16_t node;                          /* its node */
};

static int
tok_cmp(const void *a, const void *b)
{
    int64_t x = ((const struct tok *)a)->token;
    int64_t y = ((const struct tok *)b)->token;

    return x < y ? -1 : x > y ? 1 : 0;
}

/*
 * Gives every node with tokens its DC index and its rack index inside that DC, and counts nodes
 * and racks per DC. Quadratic in the nodes, which are at most CASS_RING_MAX_NODES, once a build.
 */
static void
build_topology(struct cass_ring *r, struct cass_ring_node *nodes)
{
    struct arena *a = &r->arena;
    struct cql_str *dcs = arena_alloc(a, r->nnodes * sizeof(*dcs));
    uint16_t *dc_nodes = arena_alloc(a, r->nnodes * sizeof(*dc_nodes));
    uint16_t *dc_racks = arena_alloc(a, r->nnodes * sizeof(*dc_racks));
    uint16_t *node_dc = arena_alloc(a, r->nnodes * sizeof(*node_dc));
    uint16_t *node_rack = arena_alloc(a, r->nnodes * sizeof(*node_rack));
    size_t ndcs = 0;

    for (size_t i = 0; i < r->nnodes; i++) {
        size_t d = 0;

        node_dc[i] = NO_ID;
        node_rack[i] = NO_ID;
        if (nodes[i].ntokens == 0) {
            continue;
        }
        while (d < ndcs && !str_eq(dcs[d], nodes[i].dc)) {
            d++;
        }
        if (d == ndcs) {
            dcs[ndcs] = nodes[i].dc;
            dc_nodes[ndcs] = 0;
            dc_racks[ndcs] = 0;
            ndcs++;
        }
        node_dc[i] = (uint16_t)d;
        dc_nodes[d]++;
        r->nring_nodes++;
        /* A rack seen on an earlier node of the same DC keeps that node's index. */
        for (size_t j = 0; j < i && node_rack[i] == NO_ID; j++) {
            if (node_dc[j] == d && str_eq(nodes[j].rack, nodes[i].rack)) {
                node_rack[i] = node_rack[j];
            }
        }
        if (node_rack[i] == NO_ID) {
            node_rack[i] = dc_racks[d]++;
        }
    }
    r->dcs = dcs;
    r->ndcs = ndcs;
    r->dc_nodes = dc_nodes;
    r->dc_racks = dc_racks;
    r->node_dc = node_dc;
    r->node_rack = node_rack;
}

int
cass_ring_build(const struct cass_ring_node *nodes, size_t nnodes, struct cass_ring **out)
{
    struct cass_ring *r;
    struct cass_ring_node *copy;
    struct tok *toks;
    int64_t *tokens;
    uint16_t *owner;
    size_t total = 0;
    size_t n = 0;
    int rc;

    *out = NULL;
    if (nnodes == 0 || nnodes > CASS_RING_MAX_NODES) {
        return E_INVALID;
    }
    for (size_t i = 0; i < nnodes; i++) {
        if (nodes[i].ntokens > CASS_RING_MAX_TOKENS - total) {
            return E_INVALID;
        }
        total += nodes[i].ntokens;
    }
    if (total == 0) {
        return E_INVALID;
    }

    toks = xmalloc(total * sizeof(*toks));
    for (size_t i = 0; i < nnodes; i++) {
        for (size_t k = 0; k < nodes[i].ntokens; k++) {
            toks[n].token = nodes[i].tokens[k];
            toks[n].node = (uint16_t)i;
            n++;
        }
    }
    qsort(toks, total, sizeof(*toks), tok_cmp);
    for (size_t i = 1; i < total; i++) {
        if (toks[i].token == toks[i - 1].token) {
            free(toks);
            return E_INVALID;
        }
    }

    r = xcalloc(1, sizeof(*r));
    rc = uv_mutex_init(&r->lock);
    if (rc != 0) {
        free(toks);
        free(r);
        return rc;
    }
    atomic_init(&r->refs, 1);
    atomic_init(&r->repls, NULL);
    arena_init(&r->arena, 4096);

    copy = arena_alloc(&r->arena, nnodes * sizeof(*copy));
    for (size_t i = 0; i < nnodes; i++) {
        copy[i].dc = str_dup(&r->arena, nodes[i].dc);
        copy[i].rack = str_dup(&r->arena, nodes[i].rack);
        copy[i].ntokens = nodes[i].ntokens;
        copy[i].tokens = nodes[i].ntokens == 0
                             ? NULL
                             : arena_memdup(&r->arena, nodes[i].tokens,
                                            nodes[i].ntokens * sizeof(*nodes[i].tokens));
    }
    r->nodes = copy;
    r->nnodes = nnodes;

    tokens = arena_alloc(&r->arena, total * sizeof(*tokens));
    owner = arena_alloc(&r->arena, total * sizeof(*owner));
    for (size_t i = 0; i < total; i++) {
        tokens[i] = toks[i].token;
        owner[i] = toks[i].node;
    }
    free(toks);
    r->tokens = tokens;
    r->owner = owner;
    r->npositions = total;
    build_topology(r, copy);
    *out = r;
    return 0;
}

void
cass_ring_ref(struct cass_ring *r)
{
    atomic_fetch_add_explicit(&r->refs, 1, memory_order_relaxed);
}

void
cass_ring_unref(struct cass_ring *r)
{
    struct ring_repl *e;

    if (r == NULL) {
        return;
    }
    /* Release our writes, and acquire everyone else's before the memory goes. */
    if (atomic_fetch_sub_explicit(&r->refs, 1, memory_order_acq_rel) != 1) {
        return;
    }
    e = atomic_load_explicit(&r->repls, memory_order_acquire);
    while (e != NULL) {
        struct ring_repl *next = e->next;

        free((void *)e->reps.ids);
        free((void *)e->reps.counts);
        free(e->dcs);
        free(e->names);
        free(e);
        e = next;
    }
    uv_mutex_destroy(&r->lock);
    arena_deinit(&r->arena);
    free(r);
}

const struct cass_ring_node *
cass_ring_nodes(const struct cass_ring *r, size_t *n)
{
    *n = r->nnodes;
    return r->nodes;
}

size_t
cass_ring_size(const struct cass_ring *r)
{
    return r->npositions;
}

int64_t
cass_ring_token(const struct cass_ring *r, size_t pos, size_t *node)
{
    ASSERT(pos < r->npositions);
    if (node != NULL) {
        *node = r->owner[pos];
    }
    return r->tokens[pos];
}

size_t
cass_ring_find(const struct cass_ring *r, int64_t token)
{
    size_t lo = 0;
    size_t hi = r->npositions;

    /* The first position whose token is >= TOKEN, or npositions when there is none. */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (r->tokens[mid] < token) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo == r->npositions ? 0 : lo;
}

const uint16_t *
cass_ring_at(const struct cass_ring_replicas *reps, size_t pos, size_t *count)
{
    *count = reps->counts[pos];
    return reps->ids + pos * reps->stride;
}

/* ---- SimpleStrategy -------------------------------------------------------------------------- */

/* Fills IDS (npositions x CAP) with the first CAP distinct nodes from each position. */
static void
simple_fill(const struct cass_ring *r, uint16_t *ids, size_t cap)
{
    size_t n = r->npositions;
    uint16_t *last = ids + (n - 1) * cap;
    size_t m = 0;

    /* The last position by a walk (it wraps to the start); one lap meets every ring node. */
    for (size_t k = 0; k < n && m < cap; k++) {
        uint16_t node = r->owner[(n - 1 + k) % n];
        bool seen = false;

        for (size_t j = 0; j < m && !seen; j++) {
            seen = last[j] == node;
        }
        if (!seen) {
            last[m++] = node;
        }
    }
    ASSERT(m == cap);

    /* Every other position: its owner, then the next position's replicas without it. */
    for (size_t i = n - 1; i-- > 0;) {
        uint16_t *row = ids + i * cap;
        const uint16_t *next = row + cap;

        row[0] = r->owner[i];
        m = 1;
        for (size_t j = 0; j < cap && m < cap; j++) {
            if (next[j] != row[0]) {
                row[m++] = next[j];
            }
        }
        ASSERT(m == cap);
    }
}

/* ---- NetworkTopologyStrategy ----------------------------------------------------------------- */

/* One DC of a replication being computed. */
struct nts_dc {
    size_t    *pos;                         /* the DC's ring positions, ascending */
    size_t     n;                           /* how many */
    size_t     want;                        /* replicas it gives: min(RF, its nodes) */
    int64_t    repeats;                     /* RF - its racks: nodes on a used rack it takes */
    uint16_t  *ids;                         /* n x want: replicas walking from pos[j] */
    uint32_t  *steps;                       /* n x want: how many DC tokens after pos[j] each is */
    size_t     next;                        /* merge cursor: first j with pos[j] >= the row */
    size_t     start;                       /* the row's list: next, or 0 past the last token */
    size_t     taken;                       /* entries of that list merged into the row */
};

/*
 * Walks DC D from each of its tokens over its own tokens, applying Cassandra's rules: a node on
 * a rack not used yet is taken; a node on a used rack only while repeats are left and if it is
 * not taken already. RACK_SEEN and NODE_SEEN are scratch arrays stamped with the walk's number, so
 * nothing is cleared between walks.
 */
static void
nts_walk(const struct cass_ring *r, struct nts_dc *d, uint32_t *rack_seen, uint32_t *node_seen,
         uint32_t *stamp)
{
    for (size_t j = 0; j < d->n; j++) {
        uint16_t *ids = d->ids + j * d->want;
        uint32_t *steps = d->steps + j * d->want;
        int64_t repeats = d->repeats;
        size_t m = 0;

        (*stamp)++;
        for (size_t k = 0; k < d->n && m < d->want; k++) {
            uint16_t node = r->owner[d->pos[(j + k) % d->n]];
            uint16_t rack = r->node_rack[node];

            if (rack_seen[rack] != *stamp) {
                rack_seen[rack] = *stamp;
            } else if (repeats <= 0 || node_seen[node] == *stamp) {
                continue;
            } else {
                repeats--;
            }
            node_seen[node] = *stamp;
            ids[m] = node;
            steps[m] = (uint32_t)k;
            m++;
        }
        /* One lap always suffices: want <= nodes, and racks plus allowed repeats cover want. */
        ASSERT(m == d->want);
    }
}

/*
 * Writes the row of position I: the DCs' lists from their first token at or after I, merged by
 * distance from I (the order of one walk over the whole ring).
 */
static void
nts_row(const struct cass_ring *r, struct nts_dc *dcs, size_t ndcs, size_t i, uint16_t *row,
        size_t stride)
{
    size_t n = r->npositions;

    for (size_t d = 0; d < ndcs; d++) {
        while (dcs[d].next < dcs[d].n && dcs[d].pos[dcs[d].next] < i) {
            dcs[d].next++;
        }
        dcs[d].start = dcs[d].next < dcs[d].n ? dcs[d].next : 0;
        dcs[d].taken = 0;
    }
    for (size_t m = 0; m < stride; m++) {
        struct nts_dc *best = NULL;
        size_t best_dist = SIZE_MAX;

        for (size_t d = 0; d < ndcs; d++) {
            struct nts_dc *dc = &dcs[d];
            size_t step;
            size_t dist;

            if (dc->taken == dc->want) {
                continue;
            }
            step = dc->steps[dc->start * dc->want + dc->taken];
            dist = (dc->pos[(dc->start + step) % dc->n] + n - i) % n;
            if (dist < best_dist) {
                best = dc;
                best_dist = dist;
            }
        }
        ASSERT(best != NULL);
        row[m] = best->ids[best->start * best->want + best->taken];
        best->taken++;
    }
}

/* The RF of DC NAME in KS (exact name), or 0 when KS does not name it. */
static int32_t
nts_rf(const struct cass_meta_keyspace *ks, struct cql_str name)
{
    for (uint32_t i = 0; i < ks->ndcs; i++) {
        if (str_eq(ks->dcs[i].name, name)) {
            return ks->dcs[i].replicas;
        }
    }
    return 0;
}

/* Fills E's replicas for KS under NetworkTopologyStrategy. */
static void
nts_fill(const struct cass_ring *r, const struct cass_meta_keyspace *ks, struct ring_repl *e)
{
    struct nts_dc *dcs = xcalloc(r->ndcs, sizeof(*dcs));
    uint32_t *rack_seen = xcalloc(r->nnodes, sizeof(*rack_seen));
    uint32_t *node_seen = xcalloc(r->nnodes, sizeof(*node_seen));
    uint32_t stamp = 0;
    size_t ndcs = 0;
    size_t stride = 0;
    uint16_t *ids;

    for (size_t d = 0; d < r->ndcs; d++) {
        int32_t rf = nts_rf(ks, r->dcs[d]);
        struct nts_dc *dc = &dcs[ndcs];

        if (rf <= 0) {
            continue;
        }
        dc->want = (size_t)rf < r->dc_nodes[d] ? (size_t)rf : r->dc_nodes[d];
        dc->repeats = (int64_t)rf - r->dc_racks[d];
        for (size_t p = 0; p < r->npositions; p++) {
            dc->n += r->node_dc[r->owner[p]] == d;
        }
        dc->pos = xmalloc(dc->n * sizeof(*dc->pos));
        dc->n = 0;
        for (size_t p = 0; p < r->npositions; p++) {
            if (r->node_dc[r->owner[p]] == d) {
                dc->pos[dc->n++] = p;
            }
        }
        dc->ids = xmalloc(dc->n * dc->want * sizeof(*dc->ids));
        dc->steps = xmalloc(dc->n * dc->want * sizeof(*dc->steps));
        nts_walk(r, dc, rack_seen, node_seen, &stamp);
        stride += dc->want;
        ndcs++;
    }

    ids = xmalloc((r->npositions * stride + 1) * sizeof(*ids));
    for (size_t i = 0; i < r->npositions; i++) {
        nts_row(r, dcs, ndcs, i, ids + i * stride, stride);
    }
    e->reps.ids = ids;
    e->reps.stride = stride;

    for (size_t d = 0; d < ndcs; d++) {
        free(dcs[d].pos);
        free(dcs[d].ids);
        free(dcs[d].steps);
    }
    free(dcs);
    free(rack_seen);
    free(node_seen);
}

/* ---- replications ---------------------------------------------------------------------------- */

/* True when entry E was computed for the replication of KS. */
static bool
repl_matches(const struct ring_repl *e, const struct cass_meta_keyspace *ks)
{
    size_t j = 0;

    if (e->strategy != ks->strategy) {
        return false;
    }
    if (ks->strategy == CASS_META_STRATEGY_SIMPLE) {
        return e->rf == ks->replication_factor;
    }
    /* The DCs with replicas, in the keyspace's (sorted) order; the others change nothing. */
    for (uint32_t i = 0; i < ks->ndcs; i++) {
        if (ks->dcs[i].replicas <= 0) {
            continue;
        }
        if (j == e->ndcs || e->dcs[j].replicas != ks->dcs[i].replicas
            || !str_eq(e->dcs[j].name, ks->dcs[i].name)) {
            return false;
        }
        j++;
    }
    return j == e->ndcs;
}

/* A new entry for the replication of KS, its replicas computed on R. */
static struct ring_repl *
repl_create(const struct cass_ring *r, const struct cass_meta_keyspace *ks)
{
    struct ring_repl *e = xcalloc(1, sizeof(*e));
    size_t nlen = 0;
    uint16_t *counts;
    char *name;

    e->strategy = ks->strategy;
    if (ks->strategy == CASS_META_STRATEGY_SIMPLE) {
        size_t rf = ks->replication_factor > 0 ? (size_t)ks->replication_factor : 0;
        size_t cap = rf < r->nring_nodes ? rf : r->nring_nodes;
        uint16_t *ids = xmalloc((r->npositions * cap + 1) * sizeof(*ids));

        e->rf = ks->replication_factor;
        if (cap > 0) {
            simple_fill(r, ids, cap);
        }
        e->reps.ids = ids;
        e->reps.stride = cap;
    } else {
        for (uint32_t i = 0; i < ks->ndcs; i++) {
            if (ks->dcs[i].replicas > 0) {
                e->ndcs++;
                nlen += ks->dcs[i].name.len + 1;
            }
        }
        e->dcs = xcalloc(e->ndcs + 1, sizeof(*e->dcs));
        e->names = xmalloc(nlen + 1);
        name = e->names;
        e->ndcs = 0;
        for (uint32_t i = 0; i < ks->ndcs; i++) {
            struct cql_str s = ks->dcs[i].name;

            if (ks->dcs[i].replicas <= 0) {
                continue;
            }
            if (s.len > 0) {
                memcpy(name, s.p, s.len);
            }
            name[s.len] = '\0';
            e->dcs[e->ndcs].name.p = name;
            e->dcs[e->ndcs].name.len = s.len;
            e->dcs[e->ndcs].replicas = ks->dcs[i].replicas;
            e->ndcs++;
            name += s.len + 1;
        }
        nts_fill(r, ks, e);
    }
    counts = xmalloc(r->npositions * sizeof(*counts));
    for (size_t i = 0; i < r->npositions; i++) {
        counts[i] = (uint16_t)e->reps.stride;
    }
    e->reps.counts = counts;
    return e;
}

/* The published entry for KS's replication, or NULL. */
static const struct ring_repl *
repl_find(struct cass_ring *r, const struct cass_meta_keyspace *ks)
{
    const struct ring_repl *e = atomic_load_explicit(&r->repls, memory_order_acquire);

    while (e != NULL && !repl_matches(e, ks)) {
        e = e->next;
    }
    return e;
}

const struct cass_ring_replicas *
cass_ring_replicas(struct cass_ring *r, const struct cass_meta_keyspace *ks)
{
    const struct ring_repl *found;
    struct ring_repl *e;

    if (ks->strategy != CASS_META_STRATEGY_SIMPLE && ks->strategy != CASS_META_STRATEGY_NTS) {
        return NULL;
    }
    found = repl_find(r, ks);
    if (found != NULL) {
        return &found->reps;
    }
    uv_mutex_lock(&r->lock);
    found = repl_find(r, ks);
    if (found == NULL) {
        e = repl_create(r, ks);
        e->next = atomic_load_explicit(&r->repls, memory_order_relaxed);
        atomic_store_explicit(&r->repls, e, memory_order_release);
        found = e;
    }
    uv_mutex_unlock(&r->lock);
    return &found->reps;
}

/* ---- routing keys ---------------------------------------------------------------------------- */

int
cass_ring_routing_key(struct cql_wr *w, const struct cql_bytes *parts, size_t n)
{
    int rc;

    if (n == 0) {
        return E_INVALID;
    }
    for (size_t i = 0; i < n; i++) {
        if (parts[i].len < 0 || parts[i].len > UINT16_MAX) {
            return E_INVALID;
        }
    }
    rc = cql_routing_key_compose(w, parts, n);
    return rc == CQL_ERANGE ? E_INVALID : rc;
}
