/*
 * cass_pool.h: a worker's connections to every node of the cluster, and the choice of one per
 * request (load balancing).
 *
 * One pool per worker loop. It starts with the contact point alone; each topology snapshot
 * (cass_topo.h) then gives the nodes to hold --pool-size cass_sessions to (each kept up with
 * backoff and jitter, see cass_session.h), and nodes gone from it are closed. The pool also owns
 * the worker's prepared-statement cache, shared by all its connections (prepared ids are the same
 * on every node).
 *
 *     topology --cass_pool_sync--> nodes[]: host, dc, sessions[pool_size]
 *     request  --cass_pool_pick--> local DC first, round-robin, skipping down or saturated nodes
 *     routed   --cass_pool_pick_token--> the token's replicas (ring of the topology, replication
 *              of the keyspace): local ones first, round-robin among them; then as above
 *
 * Health: a node is down for the picker while none of its sessions is ready, or while a
 * STATUS_CHANGE DOWN event said so (cass_pool_mark_down, process-wide) and no reconnect since
 * proved otherwise. cass_pool_kick makes every waiting session try again at once (an UP event).
 * Backpressure: a connection with --max-in-flight requests in flight is not picked; when every
 * candidate is saturated the pick fails with E_BUSY, and the caller answers 503 at once.
 */
#ifndef CASS_POOL_H
#define CASS_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "cass/cass_query.h"
#include "cass/cass_session.h"
#include "cass/cass_topo.h"

struct cass_pool;

/* One node of a pool. */
struct cass_pool_node {
    struct cass_pool    *pool;      /* owner */
    char                 host[64];  /* native address */
    int                  port;      /* native port */
    char                 dc[64];    /* data centre, "" until the topology says */
    bool                 local;     /* in the pool's local data centre (or no DC known) */
    bool                 stale;     /* left out of the latest topology: being closed */
    int                  metric;    /* metrics node id, or -1 */
    struct cass_session *sess;      /* pool_size sessions */
    size_t               nsess;     /* how many */
    size_t               nready;    /* of which ready */
    size_t               nopen;     /* of which not yet closed */
    size_t               rr;        /* round-robin over sess */
};

/* A reference to the current schema snapshot (cass_meta_unref it), or NULL. */
typedef struct cass_meta *(*cass_pool_schema_cb)(void);

/* Session S became ready (STATUS 0) or lost its connection; S->data is its cass_pool_node. */
typedef void (*cass_pool_cb)(struct cass_pool *p, struct cass_session *s, int status);

struct cass_pool {
    uv_loop_t              *loop;       /* the worker's loop */
    struct cass_conn_opts   opts;       /* connection options; host and port are per node */
    size_t                  pool_size;  /* sessions per node */
    uint32_t                max_in_flight; /* requests in flight past which a connection is full */
    char                    local_dc[64]; /* preferred data centre, "" until known */
    struct cass_pcache      cache;      /* the worker's prepared statements */
    struct cass_pool_node **nodes;      /* every node, stale ones included */
    size_t                  nnodes;     /* how many */
    size_t                  rr;         /* round-robin over nodes */
    size_t                  nready;     /* ready sessions over every node */
    struct cass_topo       *topo;       /* the topology last synced (a reference), or NULL */
    struct cass_pool_node **by_topo;    /* topo->nnodes: the pool node of each topology node */
    cass_pool_schema_cb     schema;     /* keyspace replication for routing, or NULL */
    bool                    closing;    /* cass_pool_close was called */
    cass_pool_cb            state_cb;   /* session ready / lost */
    void                   *data;       /* caller's */
    void                  (*closed_cb)(struct cass_pool *p);  /* close finished */
};

/*
 * Sets P up on LOOP with one node, HOST:PORT (the contact point), and starts connecting to it.
 * OPTS strings must outlive P; POOL_SIZE sessions per node; STATE_CB may be NULL.
 */
void cass_pool_init(struct cass_pool *p, uv_loop_t *loop, const struct cass_conn_opts *opts,
                    const char *host, int port, size_t pool_size, uint32_t max_in_flight,
                    cass_pool_cb state_cb, void *data);

/*
 * Brings P's nodes in line with T: opens sessions to nodes new in T, closes those of nodes no
 * longer in it. LOCAL_DC is the preferred data centre ("" or NULL: keep the current one). A T
 * with no node changes nothing.
 */
void cass_pool_sync(struct cass_pool *p, const struct cass_topo *t, const char *local_dc);

/*
 * A ready, unsaturated connection for one request: a node of the local data centre first, in
 * round-robin, then the others; down nodes and AVOID (a connection that just failed, or NULL) are
 * skipped. Returns NULL with *ERR E_NOTREADY (no node up) or E_BUSY (every candidate
 * saturated).
 */
struct cass_conn *cass_pool_pick(struct cass_pool *p, struct cass_conn *avoid, int *err);

/*
 * As cass_pool_pick, but the replicas of TOKEN in keyspace KS come first: those of the local data
 * centre in round-robin, then the others, each skipped when down or saturated. Without a ring,
 * a schema callback or a known keyspace, or when no replica can take it, the plain pick.
 */
struct cass_conn *cass_pool_pick_token(struct cass_pool *p, struct cql_str ks, int64_t token,
                                       struct cass_conn *avoid, int *err);

/*
 * Any ready connection of a node that is not down, however busy, or NULL: whether a request can
 * be tried at all (the pick when it is sent may still find every connection saturated).
 */
struct cass_conn *cass_pool_any(struct cass_pool *p);

/* Makes every session waiting to reconnect try at once. */
void cass_pool_kick(struct cass_pool *p);

/* Closes every session; CLOSED_CB runs once all are closed and the cache is freed. */
void cass_pool_close(struct cass_pool *p, void (*closed_cb)(struct cass_pool *p));

/* ---- process-wide node health ---------------------------------------------------------------- */

/* Marks HOST:PORT down (an event said so) or up; every worker's picker sees it. */
void cass_pool_mark_down(const char *host, int port, bool down);

/* True while HOST:PORT is marked down. */
bool cass_pool_is_marked_down(int metric);

#endif /* CASS_POOL_H */
