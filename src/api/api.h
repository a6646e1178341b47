/*
 * api.h: the API layer's shared state: per-worker Cassandra pools, the process-wide topology and
 * schema snapshots, and readiness.
 *
 *     main thread: api_register_routes -> routes, worker hooks, readiness callback
 *     every worker (init hook): struct api_worker with its cass_pool, first to the contact point
 *     readiness: worker 0's sequence below is done and every worker has a ready connection
 *     worker 0, on one of its ready sessions (the "control" connection), each time it gets one:
 *         auth tables (--auth table) -> REGISTER TOPOLOGY_CHANGE STATUS_CHANGE SCHEMA_CHANGE
 *         -> topology (system.local, system.peers_v2) -> publish, wake every worker to sync its
 *         pool -> full schema load -> publish -> READY; then every SCHEMA_CHANGE event reloads its
 *         keyspace, every TOPOLOGY_CHANGE the topology, and STATUS_CHANGE marks a node down or up
 *         (an UP makes every worker reconnect to it at once). When the control connection's node
 *         is lost, the sequence moves to another ready session of worker 0.
 *
 * The schema snapshot is immutable and reference counted (cass_meta.h). Publication is a pointer
 * swap under one mutex that also bumps a generation; a request takes a reference with
 * api_schema_ref at its start and drops it with cass_meta_unref at its end. A worker keeps its
 * own reference to the snapshot it last saw and takes the mutex only when the generation moved. A keyspace reload builds on the snapshot current when it
 * started and is published only if that snapshot is still current; otherwise it is done again on
 * the newer one, so two reloads racing on different workers never lose each other's change.
 */
#ifndef API_API_H
#define API_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "cass/cass_meta.h"
#include "cass/cass_pool.h"
#include "cass/cass_topo.h"
#include "core/conf.h"
#include "http/http_msg.h"
#include "http/router.h"

struct auth_cache;
struct auth_check;
struct authz_cache;

/* Keyspaces worker 0 can queue for reload while it is busy; more means one full reload. */
#define API_RELOAD_QUEUE 32

/* The API layer's state of one worker (worker->api). */
struct api_worker {
    struct worker        *worker;       /* owner */
    const struct conf    *conf;         /* the process configuration */
    struct cass_conn_opts opts;         /* session options (strings below and in conf) */
    char                  host[256];    /* first contact point's host */
    int                   port;         /* and its port */
    struct cass_pool      pool;         /* connections to every node, prepared cache */
    uv_async_t            wake;         /* a topology was published or a node came up */
    bool                  wake_open;    /* wake is initialised and not closed */
    uint64_t              kicks_seen;   /* UP events acted on */
    uint64_t              missing_at;   /* loop time of the last reload for a missing name */
    struct auth_cache    *tokens;       /* validated tokens (auth.c) */
    struct auth_check    *checks;       /* password checks in flight (auth.c) */
    struct authz_cache   *roles;        /* token roles' grants (authz.c) */
    bool                  stopping;     /* the stop hook ran */
    bool                  connected;    /* pool has a ready connection (counted for readiness) */
    /* worker 0 only: the control sequence */
    bool                  control;      /* this worker runs it */
    struct cass_session  *ctl;          /* the session it runs on, NULL while none is ready */
    bool                  topo_pending; /* a topology reload is owed (TOPOLOGY_CHANGE) */
    uint64_t              gen;          /* bumped on each session ready and loss */
    bool                  busy;         /* a control step or reload is in flight */
    bool                  full_pending; /* a full reload is owed (queue overflow) */
    char                 *queue[API_RELOAD_QUEUE]; /* keyspaces to reload (malloc'd) */
    size_t                nqueue;       /* entries in queue */
    uv_timer_t            retry;        /* retries a failed control step */
    bool                  retry_open;   /* retry is initialised and not closed */
};

/* The api_worker of the loop REQ runs on. */
struct api_worker *api_worker_of(const struct http_req *req);

/*
 * A ready Cassandra connection of the worker, or NULL (answer 503). Statements given the worker's
 * pool (q->pool) pick their own connection again when they are sent.
 */
struct cass_conn *api_conn(struct api_worker *aw);

/* A reference to the current topology (drop it with cass_topo_unref), or NULL before the first. */
struct cass_topo *api_topo_ref(void);

/* ---- schema snapshot ------------------------------------------------------------------------ */

/* A reference to the current snapshot (drop it with cass_meta_unref), or NULL before the first. */
struct cass_meta *api_schema_ref(void);

/*
 * Called once when a keyspace reload ends: STATUS 0 when the new snapshot is published, or the
 * negative code of the failure (E_SERVER, E_CLOSED, ...).
 */
typedef void (*api_reload_cb)(void *data, int status);

/*
 * Reloads keyspace KS (LEN bytes, copied) over AW's session and publishes the result. Returns 0
 * when the reload started (CB runs once, later), or a negative code when it could not start
 * (E_NOTREADY without a connection or before the first snapshot; CB will not run).
 */
int api_schema_reload_keyspace(struct api_worker *aw, const char *ks, size_t len,
                               api_reload_cb cb, void *data) MUSTCHECK;

/* Longest wait for schema agreement after a change made through cqlgate, milliseconds. */
#define API_AGREEMENT_MS 10000

/*
 * After a schema change made through cqlgate: waits until every node that is up reports the same
 * schema version (each node's own system.local, asked on this worker's connection to it, every
 * 200 ms, at most API_AGREEMENT_MS; past that a warning is logged and it goes on; a node's view of
 * its peers would lag behind them), then reloads keyspace KS as
 * api_schema_reload_keyspace does, so the next request sees the change on every node and worker.
 * Returns as api_schema_reload_keyspace.
 */
int api_schema_settle_keyspace(struct api_worker *aw, const char *ks, size_t len,
                               api_reload_cb cb, void *data) MUSTCHECK;

/* ---- answering ------------------------------------------------------------------------------ */

/*
 * Answers REQ with the error for a failed Cassandra request: STATUS E_SERVER uses ERR (the
 * server's error), anything else is a transport failure (timeout, lost or no connection).
 */
void api_respond_cass_error(struct http_req *req, int status, const struct cql_error *err);

/* Answers 503 because no Cassandra connection is ready. */
void api_respond_not_ready(struct http_req *req);

/*
 * Answers STATUS with the error description A B C D E, written into REQ's arena: B and D are
 * slices (B_LEN and D_LEN bytes), and any part but A may be NULL.
 */
void api_respond_msg(struct http_req *req, int status, const char *a, const char *b, size_t b_len,
                     const char *c, const char *d, size_t d_len, const char *e);

/* True when the query parameter `raw` is a case-insensitive "true" (Java's Boolean.parseBoolean). */
bool api_raw(struct http_req *req);

/*
 * Appends NAME (LEN bytes) to W as a CQL quoted identifier: in double quotes, with every double
 * quote inside doubled. Names are always quoted, so no name can end the identifier early.
 */
void api_quote_ident(struct cql_wr *w, const char *name, size_t len);

/* Appends S (LEN bytes) to W as a CQL string literal: in single quotes, with ' doubled. */
void api_quote_string(struct cql_wr *w, const char *s, size_t len);

/* Sets W up as a growable writer whose memory comes from arena A (freed with it). */
void api_arena_wr(struct cql_wr *w, struct arena *a);

/* The API layer's registration point, called by main.c (see there); CONF picks optional routes. */
void api_register_routes(struct router *r, const struct conf *conf);

#endif /* API_API_H */
