/*
 * cass_pool.c: a worker's sessions to every node and the per-request pick (see cass_pool.h).
 *
 * Nodes are heap objects so that the sessions inside them (and the host strings their options
 * point to) never move. A node dropped from the topology is marked stale, its sessions are closed,
 * and it is freed from the last session's close callback.
 */
#include "cass/cass_pool.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "core/metrics.h"

/* Set while an event said the node (by metrics node id) is down; cleared by UP or a reconnect. */
static atomic_bool marked_down[METRICS_MAX_NODES];

void
cass_pool_mark_down(const char *host, int port, bool down)
{
    int id = metrics_node_register(host, port);

    if (id >= 0 && id < METRICS_MAX_NODES) {
        atomic_store(&marked_down[id], down);
        metrics_node_set_down(id, down);
    }
}

bool
cass_pool_is_marked_down(int metric)
{
    return metric >= 0 && metric < METRICS_MAX_NODES && atomic_load(&marked_down[metric]);
}

/* ---- nodes ---------------------------------------------------------------------------------- */

static void
maybe_closed(struct cass_pool *p)
{
    if (p->closing && p->nnodes == 0 && p->closed_cb != NULL) {
        void (*cb)(struct cass_pool *) = p->closed_cb;

        p->closed_cb = NULL;
        cass_pcache_deinit(&p->cache);
        free(p->nodes);
        p->nodes = NULL;
        free(p->by_topo);
        p->by_topo = NULL;
        cass_topo_unref(p->topo);
        p->topo = NULL;
        cb(p);
    }
}

static void
node_remove(struct cass_pool *p, struct cass_pool_node *n)
{
    for (size_t i = 0; p->topo != NULL && i < p->topo->nnodes; i++) {
        if (p->by_topo[i] == n) {
            p->by_topo[i] = NULL;
        }
    }
    for (size_t i = 0; i < p->nnodes; i++) {
        if (p->nodes[i] == n) {
            memmove(&p->nodes[i], &p->nodes[i + 1], (p->nnodes - i - 1) * sizeof(p->nodes[0]));
            p->nnodes--;
            break;
        }
    }
    free(n->sess);
    free(n);
}

static void
on_session_closed(struct cass_session *s)
{
    struct cass_pool_node *n = s->data;
    struct cass_pool *p = n->pool;

    if (--n->nopen == 0) {
        node_remove(p, n);
        maybe_closed(p);
    }
}

static void
on_session_state(struct cass_session *s, int status)
{
    struct cass_pool_node *n = s->data;
    struct cass_pool *p = n->pool;

    if (status == 0) {
        n->nready++;
        p->nready++;
        if (cass_pool_is_marked_down(n->metric)) {
            atomic_store(&marked_down[n->metric], false);
            metrics_node_set_down(n->metric, false);
        }
    } else {
        n->nready--;
        p->nready--;
    }
    if (p->state_cb != NULL) {
        p->state_cb(p, s, status);
    }
}

/* Closes N's sessions; N is freed once they are all closed. */
static void
node_close(struct cass_pool_node *n)
{
    n->stale = true;
    for (size_t i = 0; i < n->nsess; i++) {
        if (n->sess[i].ready) {
            on_session_state(&n->sess[i], E_CLOSED);
            n->sess[i].ready = false;   /* counted down here; cass_session_close stays quiet */
            metrics_node_ready(n->sess[i].node, -1);
        }
    }
    for (size_t i = 0; i < n->nsess; i++) {
        cass_session_close(&n->sess[i], on_session_closed);
    }
}

static struct cass_pool_node *
node_add(struct cass_pool *p, const char *host, int port, const char *dc)
{
    struct cass_pool_node *n = xcalloc(1, sizeof(*n));

    n->pool = p;
    snprintf(n->host, sizeof(n->host), "%s", host);
    n->port = port;
    snprintf(n->dc, sizeof(n->dc), "%s", dc);
    n->local = p->local_dc[0] == '\0' || n->dc[0] == '\0' || strcmp(n->dc, p->local_dc) == 0;
    n->nsess = p->pool_size;
    n->nopen = n->nsess;
    n->sess = xcalloc(n->nsess, sizeof(*n->sess));
    p->nodes = xrealloc(p->nodes, (p->nnodes + 1) * sizeof(p->nodes[0]));
    p->nodes[p->nnodes++] = n;
    for (size_t i = 0; i < n->nsess; i++) {
        struct cass_conn_opts o = p->opts;

        o.host = n->host;
        o.port = n->port;
        cass_session_init(&n->sess[i], p->loop, &o, on_session_state, n);
        cass_session_start(&n->sess[i]);
    }
    n->metric = n->sess[0].node;
    return n;
}

void
cass_pool_init(struct cass_pool *p, uv_loop_t *loop, const struct cass_conn_opts *opts,
               const char *host, int port, size_t pool_size, uint32_t max_in_flight,
               cass_pool_cb state_cb, void *data)
{
    memset(p, 0, sizeof(*p));
    p->loop = loop;
    p->opts = *opts;
    p->pool_size = pool_size == 0 ? 1 : pool_size;
    p->max_in_flight = max_in_flight == 0 ? CASS_MAX_STREAMS : max_in_flight;
    p->state_cb = state_cb;
    p->data = data;
    cass_pcache_init(&p->cache, 4096);
    (void)node_add(p, host, port, "");
}

void
cass_pool_sync(struct cass_pool *p, const struct cass_topo *t, const char *local_dc)
{
    size_t n = p->nnodes;

    if (p->closing || t == NULL || t->nnodes == 0) {
        return;
    }
    cass_topo_unref(p->topo);
    p->topo = cass_topo_ref((struct cass_topo *)t);
    free(p->by_topo);
    p->by_topo = xcalloc(t->nnodes, sizeof(*p->by_topo));
    if (local_dc != NULL && local_dc[0] != '\0') {
        snprintf(p->local_dc, sizeof(p->local_dc), "%s", local_dc);
    }
    /* Nodes gone from the topology first; the array shrinks only from close callbacks. */
    for (size_t i = 0; i < n; i++) {
        struct cass_pool_node *pn = p->nodes[i];
        int k = cass_topo_find(t, pn->host, pn->port);

        if (pn->stale) {
            continue;
        }
        if (k < 0) {
            log_info("cluster: %s:%d left the topology; closing its connections", pn->host,
                     pn->port);
            node_close(pn);
            continue;
        }
        snprintf(pn->dc, sizeof(pn->dc), "%s", t->nodes[k].dc);
    }
    for (size_t k = 0; k < t->nnodes; k++) {
        const struct cass_topo_node *tn = &t->nodes[k];
        bool have = false;

        for (size_t i = 0; i < p->nnodes && !have; i++) {
            have = !p->nodes[i]->stale && p->nodes[i]->port == tn->port
                   && strcmp(p->nodes[i]->host, tn->host) == 0;
        }
        if (!have) {
            (void)node_add(p, tn->host, tn->port, tn->dc);
        }
    }
    for (size_t i = 0; i < p->nnodes; i++) {
        struct cass_pool_node *pn = p->nodes[i];
        int k = pn->stale ? -1 : cass_topo_find(t, pn->host, pn->port);

        pn->local = p->local_dc[0] == '\0' || strcmp(pn->dc, p->local_dc) == 0;
        if (k >= 0) {
            p->by_topo[k] = pn;
        }
    }
}

/* ---- picking -------------------------------------------------------------------------------- */

/*
 * A ready connection of N that is not AVOID and has room, least busy of its sessions after the
 * round-robin start; NULL otherwise. *FULL is set when a ready one was skipped for being full.
 */
static struct cass_conn *
node_conn(struct cass_pool *p, struct cass_pool_node *n, struct cass_conn *avoid, bool *full)
{
    struct cass_conn *best = NULL;
    uint32_t best_load = 0;

    if (n->stale || n->nready == 0 || cass_pool_is_marked_down(n->metric)) {
        return NULL;
    }
    for (size_t j = 0; j < n->nsess; j++) {
        struct cass_session *s = &n->sess[(n->rr + j) % n->nsess];
        struct cass_conn *c = cass_session_conn(s);
        uint32_t load;

        if (c == NULL || c == avoid) {
            continue;
        }
        load = cass_conn_in_flight(c);
        if (load >= p->max_in_flight) {
            *full = true;
            continue;
        }
        if (best == NULL || load < best_load) {
            best = c;
            best_load = load;
        }
    }
    n->rr++;
    return best;
}

struct cass_conn *
cass_pool_pick(struct cass_pool *p, struct cass_conn *avoid, int *err)
{
    bool full = false;

    for (int pass = 0; pass < 2 && p->nnodes > 0; pass++) {
        size_t start = p->rr++;

        for (size_t i = 0; i < p->nnodes; i++) {
            struct cass_pool_node *n = p->nodes[(start + i) % p->nnodes];
            struct cass_conn *c;

            if (n->local != (pass == 0)) {
                continue;
            }
            c = node_conn(p, n, avoid, &full);
            if (c != NULL) {
                return c;
            }
        }
    }
    *err = full ? E_BUSY : E_NOTREADY;
    return NULL;
}

/* Most replicas of one token tried before the plain pick. */
#define MAX_REPLICAS 32

/* Copies the replicas of TOKEN in keyspace KS into IDS; returns how many (0: no routing). */
static size_t
replicas_of(struct cass_pool *p, struct cql_str ks, int64_t token, uint16_t *ids)
{
    struct cass_ring *ring = p->topo != NULL ? p->topo->ring : NULL;
    const struct cass_ring_replicas *reps = NULL;
    const struct cass_meta_keyspace *k;
    const uint16_t *at;
    struct cass_meta *m;
    size_t n = 0;

    if (ring == NULL || p->schema == NULL) {
        return 0;
    }
    m = p->schema();
    k = m != NULL ? cass_meta_keyspace(m, ks.p, ks.len) : NULL;
    if (k != NULL) {
        reps = cass_ring_replicas(ring, k);
    }
    if (reps != NULL) {
        at = cass_ring_at(reps, cass_ring_find(ring, token), &n);
        n = n > MAX_REPLICAS ? MAX_REPLICAS : n;
        memcpy(ids, at, n * sizeof(*ids));
    }
    cass_meta_unref(m);
    return n;
}

struct cass_conn *
cass_pool_pick_token(struct cass_pool *p, struct cql_str ks, int64_t token,
                     struct cass_conn *avoid, int *err)
{
    uint16_t ids[MAX_REPLICAS];
    size_t n = replicas_of(p, ks, token, ids);
    size_t start = n > 0 ? p->rr++ % n : 0;
    bool full = false;

    for (int pass = 0; pass < 2 && n > 0; pass++) {
        for (size_t i = 0; i < n; i++) {
            uint16_t id = ids[(start + i) % n];
            struct cass_pool_node *pn = id < p->topo->nnodes ? p->by_topo[id] : NULL;
            struct cass_conn *c;

            if (pn == NULL || pn->local != (pass == 0)) {
                continue;
            }
            c = node_conn(p, pn, avoid, &full);
            if (c != NULL) {
                return c;
            }
        }
    }
    return cass_pool_pick(p, avoid, err);
}

struct cass_conn *
cass_pool_any(struct cass_pool *p)
{
    for (size_t i = 0; i < p->nnodes; i++) {
        struct cass_pool_node *n = p->nodes[i];

        if (n->stale || n->nready == 0 || cass_pool_is_marked_down(n->metric)) {
            continue;
        }
        for (size_t j = 0; j < n->nsess; j++) {
            struct cass_conn *c = cass_session_conn(&n->sess[j]);

            if (c != NULL) {
                return c;
            }
        }
    }
    return NULL;
}

void
cass_pool_kick(struct cass_pool *p)
{
    for (size_t i = 0; i < p->nnodes; i++) {
        struct cass_pool_node *n = p->nodes[i];

        for (size_t j = 0; j < n->nsess && !n->stale; j++) {
            cass_session_kick(&n->sess[j]);
        }
    }
}

void
cass_pool_close(struct cass_pool *p, void (*closed_cb)(struct cass_pool *p))
{
    size_t n = p->nnodes;

    p->closing = true;
    p->closed_cb = closed_cb;
    for (size_t i = 0; i < n; i++) {
        if (!p->nodes[i]->stale) {
            node_close(p->nodes[i]);
        }
    }
    maybe_closed(p);
}
