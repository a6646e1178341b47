/*
 * api.c: the API layer's registration, per-worker state, schema publication and readiness (see
 * api.h for the picture).
 *
 * Worker 0's control sequence runs each time it gets a control session (its first ready one, or
 * another when the control node is lost); that reloads topology and schema whole, since events
 * may have been missed meanwhile:
 *
 *     session ready --> auth tables --> REGISTER --> topology --> full load --> READY --> queue
 *          ^                 \______________\___________\___________\--failed--> retry in 1 s
 *          |                                                                          |
 *     control lost: another ready session, or NOT READY   SCHEMA_CHANGE --> keyspace reload
 *                                                         TOPOLOGY_CHANGE --> topology reload
 *                                                         STATUS_CHANGE --> node down / up
 */
#include "api/api.h"

#include <arpa/inet.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "api/api_cql.h"
#include "api/api_error.h"
#include "api/api_rows.h"
#include "api/api_schema.h"
#include "api/auth.h"
#include "api/openapi.h"
#include "cass/cass_schema.h"
#include "cass/cass_topo.h"
#include "core/log.h"
#include "cql_req.h"
#include "cql_resp.h"
#include "docs/docs_api.h"
#include "http/http_server.h"

/* Delay before a failed control step is tried again on the same connection. */
#define CONTROL_RETRY_MS    1000

/* Times a keyspace reload is redone because another one was published meanwhile. */
#define RELOAD_TRIES        8

static uv_mutex_t        schema_lock;       /* guards schema_current and schema_gen's bumps */
static atomic_uint_fast64_t schema_gen;     /* bumped by every publication */
static _Thread_local bool              tl_cache;  /* this thread keeps a snapshot (workers) */
static _Thread_local struct cass_meta *tl_schema; /* its reference to the snapshot of tl_gen */
static _Thread_local uint64_t          tl_gen;    /* schema_gen when tl_schema was taken */
static struct cass_meta *schema_current;    /* the published snapshot (one reference), or NULL */
static atomic_bool       ready_flag;        /* worker 0 connected and a snapshot published */
static atomic_int        live_workers;      /* workers between init and fini */
static atomic_int        connected_workers; /* workers with a ready connection */
static uv_mutex_t        topo_lock;         /* guards topo_current, topo_gen and workers */
static struct cass_topo *topo_current;      /* the published topology (one reference), or NULL */
static uint64_t          topo_gen;          /* gen given to the last topology published */
static char              local_dc[64];      /* --local-dc, or the contact point's DC once known */
static atomic_uint_fast64_t kicks;          /* UP events seen: workers reconnect at once */
static struct api_worker *workers[1024];    /* every live worker, for wake_all */
static size_t            nworkers;          /* entries in workers */

/* ---- small helpers --------------------------------------------------------------------------- */

struct api_worker *
api_worker_of(const struct http_req *req)
{
    return ((struct worker *)req->worker)->api;
}

struct cass_conn *
api_conn(struct api_worker *aw)
{
    return cass_pool_any(&aw->pool);
}

/* Worker 0's control connection, or NULL. */
static struct cass_conn *
ctl_conn(struct api_worker *aw)
{
    return aw->ctl != NULL ? cass_session_conn(aw->ctl) : NULL;
}

void
api_arena_wr(struct cql_wr *w, struct arena *a)
{
    cql_wr_init(w, NULL, 0, arena_wr_grow, a);
}

static void
quote(struct cql_wr *w, const char *s, size_t len, char q)
{
    cql_wr_byte(w, (uint8_t)q);
    for (size_t i = 0; i < len; i++) {
        if (s[i] == q) {
            cql_wr_byte(w, (uint8_t)q);
        }
        cql_wr_byte(w, (uint8_t)s[i]);
    }
    cql_wr_byte(w, (uint8_t)q);
}

void
api_quote_ident(struct cql_wr *w, const char *name, size_t len)
{
    quote(w, name, len, '"');
}

void
api_quote_string(struct cql_wr *w, const char *s, size_t len)
{
    quote(w, s, len, '\'');
}

bool
api_raw(struct http_req *req)
{
    const char *v = http_req_query(req, "raw");

    return v != NULL && strcasecmp(v, "true") == 0;
}

void
api_respond_cass_error(struct http_req *req, int status, const struct cql_error *err)
{
    struct cql_wr desc;
    struct api_error e;

    http_body_init(&desc);
    if (status == E_SERVER && err != NULL) {
        e = api_error_from_cql(err, &desc);
    } else {
        e = api_error_from_status(status, &desc);
    }
    http_respond_error_n(req, e.status, (const char *)desc.p, desc.len, e.grpc);
    http_body_free(&desc);
}

void
api_respond_not_ready(struct http_req *req)
{
    api_respond_cass_error(req, E_NOTREADY, NULL);
}

void
api_respond_msg(struct http_req *req, int status, const char *a, const char *b, size_t b_len,
                const char *c, const char *d, size_t d_len, const char *e)
{
    struct cql_wr msg;

    api_arena_wr(&msg, &req->arena);
    cql_wr_raw(&msg, a, strlen(a));
    if (b != NULL) {
        cql_wr_raw(&msg, b, b_len);
    }
    if (c != NULL) {
        cql_wr_raw(&msg, c, strlen(c));
    }
    if (d != NULL) {
        cql_wr_raw(&msg, d, d_len);
    }
    if (e != NULL) {
        cql_wr_raw(&msg, e, strlen(e));
    }
    http_respond_error_n(req, status, (const char *)msg.p, msg.len, NULL);
}

/* ---- topology publication -------------------------------------------------------------------- */

struct cass_topo *
api_topo_ref(void)
{
    struct cass_topo *t;

    uv_mutex_lock(&topo_lock);
    t = cass_topo_ref(topo_current);
    uv_mutex_unlock(&topo_lock);
    return t;
}

/* Wakes every worker to sync its pool with the topology and act on UP events. */
static void
wake_all(void)
{
    uv_mutex_lock(&topo_lock);
    for (size_t i = 0; i < nworkers; i++) {
        uv_async_send(&workers[i]->wake);
    }
    uv_mutex_unlock(&topo_lock);
}

/* Publishes T (taking over the caller's reference, NULL to forget) and wakes every worker. */
static void
topo_publish(struct cass_topo *t)
{
    struct cass_topo *old;

    uv_mutex_lock(&topo_lock);
    old = topo_current;
    if (t != NULL) {
        t->gen = ++topo_gen;
    }
    topo_current = t;
    uv_mutex_unlock(&topo_lock);
    cass_topo_unref(old);
    if (t != NULL) {
        wake_all();
    }
}

/* On a worker's loop: brings its pool in line with the topology, reconnects after an UP. */
static void
on_wake(uv_async_t *a)
{
    struct api_worker *aw = container_of(a, struct api_worker, wake);
    struct cass_topo *t = api_topo_ref();
    uint64_t k = atomic_load(&kicks);
    char dc[sizeof(local_dc)];

    if (aw->stopping) {
        cass_topo_unref(t);
        return;
    }
    if (t != NULL && (aw->pool.topo == NULL || t->gen != aw->pool.topo->gen)) {
        uv_mutex_lock(&topo_lock);
        memcpy(dc, local_dc, sizeof(dc));
        uv_mutex_unlock(&topo_lock);
        cass_pool_sync(&aw->pool, t, dc);
    }
    cass_topo_unref(t);
    if (k != aw->kicks_seen) {
        aw->kicks_seen = k;
        cass_pool_kick(&aw->pool);
    }
}

/* ---- schema publication ---------------------------------------------------------------------- */

/* A NUL-terminated heap copy of the LEN bytes of NAME. */
static char *
dup_name(const char *name, size_t len)
{
    char *p = xmalloc(len + 1);

    memcpy(p, name, len);
    p[len] = '\0';
    return p;
}

/*
 * A worker keeps a reference to the snapshot it last saw and takes the lock only when the
 * generation moved, so requests share no lock: one atomic load, one atomic reference count.
 */
struct cass_meta *
api_schema_ref(void)
{
    struct cass_meta *m;

    if (tl_cache && atomic_load(&schema_gen) == tl_gen) {
        return tl_schema != NULL ? cass_meta_ref(tl_schema) : NULL;
    }
    uv_mutex_lock(&schema_lock);
    m = schema_current != NULL ? cass_meta_ref(schema_current) : NULL;
    if (tl_cache) {
        struct cass_meta *old = tl_schema;

        tl_schema = m != NULL ? cass_meta_ref(m) : NULL;
        tl_gen = atomic_load(&schema_gen);
        uv_mutex_unlock(&schema_lock);
        cass_meta_unref(old);
        return m;
    }
    uv_mutex_unlock(&schema_lock);
    return m;
}

/*
 * Publishes M (taking over the caller's reference) when the current snapshot is still BASE, or
 * unconditionally when FORCE. Returns false, with M dropped, when another snapshot was published
 * since BASE was taken.
 */
static bool
schema_publish(struct cass_meta *m, const struct cass_meta *base, bool force)
{
    struct cass_meta *old = NULL;
    bool done = false;

    uv_mutex_lock(&schema_lock);
    if (force || schema_current == base) {
        old = schema_current;
        schema_current = m;
        atomic_fetch_add(&schema_gen, 1);
        done = true;
    }
    uv_mutex_unlock(&schema_lock);
    cass_meta_unref(done ? old : m);
    return done;
}

/* One keyspace reload: a cass_schema_load_keyspace over the snapshot BASE, redone on conflict. */
struct reload {
    struct api_worker *aw;          /* whose session it runs on */
    char              *ks;          /* the keyspace (malloc'd) */
    size_t             len;         /* its length */
    struct cass_meta  *base;        /* the snapshot it builds on (a reference) */
    int                tries;       /* loads done */
    api_reload_cb      cb;          /* completion */
    void              *data;        /* passed to cb */
};

static void on_reloaded(void *data, int status, const char *message, struct cass_meta *m);

static int
reload_start(struct reload *r)
{
    struct cass_conn *c = ctl_conn(r->aw) != NULL ? ctl_conn(r->aw) : api_conn(r->aw);
    int rc;

    cass_meta_unref(r->base);
    r->base = NULL;
    if (c == NULL) {
        return E_NOTREADY;
    }
    r->base = api_schema_ref();
    if (r->base == NULL) {
        return E_NOTREADY;
    }
    r->tries++;
    rc = cass_schema_load_keyspace(c, &r->aw->pool.cache, r->ks, r->len, r->base, on_reloaded,
                                   r);
    if (rc != 0) {
        cass_meta_unref(r->base);
        r->base = NULL;
    }
    return rc;
}

static void
reload_free(struct reload *r)
{
    cass_meta_unref(r->base);
    free(r->ks);
    free(r);
}

static void
on_reloaded(void *data, int status, const char *message, struct cass_meta *m)
{
    struct reload *r = data;
    api_reload_cb cb = r->cb;
    void *cb_data = r->data;

    if (status == 0 && !schema_publish(m, r->base, false)) {
        if (r->tries < RELOAD_TRIES) {
            status = reload_start(r);
            if (status == 0) {
                return;
            }
        } else {
            log_warn("schema: keyspace %.*s changed %d times during its reload; the next event "
                     "reloads it", (int)r->len, r->ks, r->tries);
        }
    } else if (status != 0) {
        log_warn("schema: reloading keyspace %.*s failed: %s", (int)r->len, r->ks, message);
    }
    reload_free(r);
    cb(cb_data, status);
}

int
api_schema_reload_keyspace(struct api_worker *aw, const char *ks, size_t len, api_reload_cb cb,
                           void *data)
{
    struct reload *r = xcalloc(1, sizeof(*r));
    int rc;

    r->aw = aw;
    r->ks = dup_name(ks, len);
    r->len = len;
    r->cb = cb;
    r->data = data;
    rc = reload_start(r);
    if (rc != 0) {
        reload_free(r);
    }
    return rc;
}

/* ---- schema agreement ------------------------------------------------------------------------ */

/* Between polls of the nodes' schema versions. */
#define AGREEMENT_POLL_MS 200

/* Asked of each node on its own connection: its own version, not its view of the others. */
#define AGREEMENT_CQL "SELECT schema_version FROM system.local WHERE key = 'local'"

struct agreement;

/* One node's answer in one poll. */
struct agreement_probe {
    struct cass_query  q;           /* the SELECT on that node */
    struct agreement  *a;           /* owner */
    uint8_t            version[16]; /* its schema version */
    bool               answered;    /* version is set */
};

/* One wait for schema agreement, then a keyspace reload. */
struct agreement {
    struct api_worker      *aw;         /* whose pool it polls */
    uv_timer_t              timer;      /* next poll */
    uint64_t                deadline;   /* loop time when it gives up waiting */
    struct agreement_probe *probes;     /* this poll's questions, one per node up */
    size_t                  nprobes;    /* how many */
    size_t                  pending;    /* of which not answered yet */
    char                   *ks;         /* the keyspace to reload (malloc'd) */
    size_t                  len;        /* its length */
    api_reload_cb           cb;         /* completion */
    void                   *data;       /* passed to cb */
};

static void
on_agreement_closed(uv_handle_t *h)
{
    struct agreement *a = container_of((uv_timer_t *)h, struct agreement, timer);

    free(a->ks);
    free(a);
}

/* Ends the wait: the reload runs (its callback answers), or the callback runs at once. */
static void
agreement_done(struct agreement *a)
{
    int rc = api_schema_reload_keyspace(a->aw, a->ks, a->len, a->cb, a->data);

    if (rc != 0) {
        a->cb(a->data, rc);
    }
    uv_close((uv_handle_t *)&a->timer, on_agreement_closed);
}

/* True when every node that answered this poll has the same schema version. */
static bool
agrees(const struct agreement *a)
{
    const uint8_t *first = NULL;

    for (size_t i = 0; i < a->nprobes; i++) {
        if (!a->probes[i].answered) {
            continue;               /* a node lost meanwhile answers nothing anyway */
        }
        if (first != NULL && memcmp(first, a->probes[i].version, 16) != 0) {
            return false;
        }
        first = a->probes[i].version;
    }
    return true;
}

static void agreement_poll(struct agreement *a);

static void
on_agreement_timer(uv_timer_t *t)
{
    agreement_poll(container_of(t, struct agreement, timer));
}

/* Every probe of the poll answered (or failed): done, or poll again later. */
static void
agreement_judge(struct agreement *a)
{
    bool done = agrees(a);

    free(a->probes);
    a->probes = NULL;
    a->nprobes = 0;
    if (done || a->aw->stopping) {
        agreement_done(a);
    } else if (uv_now(a->timer.loop) >= a->deadline) {
        log_warn("schema: no agreement on the schema version of keyspace %.*s after %d ms; "
                 "going on", (int)a->len, a->ks, API_AGREEMENT_MS);
        agreement_done(a);
    } else {
        uv_timer_start(&a->timer, on_agreement_timer, AGREEMENT_POLL_MS, 0);
    }
}

static void
on_probe(struct cass_query *q, const struct cass_result *res)
{
    struct agreement_probe *pr = container_of(q, struct agreement_probe, q);
    struct agreement *a = pr->a;
    struct cql_bytes cell;
    struct cql_rd r;

    if (res->status == 0 && res->result.kind == CQL_RESULT_ROWS && res->result.rows_count == 1
        && res->ncols == 1) {
        cql_rd_init(&r, res->result.rows, res->result.rows_len);
        if (cql_rows_next(&r, 1, &cell) == 0 && cell.len == 16) {
            memcpy(pr->version, cell.p, 16);
            pr->answered = true;
        }
    }
    if (--a->pending == 0) {
        agreement_judge(a);
    }
}

/* Asks every node this worker reaches for its own schema version. */
static void
agreement_poll(struct agreement *a)
{
    struct cass_pool *p = &a->aw->pool;

    a->probes = xcalloc(p->nnodes > 0 ? p->nnodes : 1, sizeof(*a->probes));
    a->nprobes = 0;
    a->pending = 1;                 /* held until every probe is sent */
    for (size_t i = 0; i < p->nnodes && !a->aw->stopping; i++) {
        struct cass_pool_node *n = p->nodes[i];
        struct agreement_probe *pr = &a->probes[a->nprobes];
        struct cass_conn *c = NULL;

        for (size_t j = 0; j < n->nsess && c == NULL && !n->stale; j++) {
            c = cass_session_conn(&n->sess[j]);
        }
        if (c == NULL || cass_pool_is_marked_down(n->metric)) {
            continue;
        }
        pr->a = a;
        pr->q.conn = c;
        pr->q.cql = AGREEMENT_CQL;
        pr->q.cql_len = sizeof(AGREEMENT_CQL) - 1;
        pr->q.timeout_ms = a->aw->conf->request_timeout_ms;
        pr->q.done_cb = on_probe;
        cql_query_params_init(&pr->q.params, CQL_CL_ONE);
        if (cass_query_simple(&pr->q) == 0) {
            a->nprobes++;
            a->pending++;
        } else {
            memset(pr, 0, sizeof(*pr));
        }
    }
    if (--a->pending == 0) {
        agreement_judge(a);
    }
}

int
api_schema_settle_keyspace(struct api_worker *aw, const char *ks, size_t len, api_reload_cb cb,
                           void *data)
{
    struct agreement *a;

    if (api_conn(aw) == NULL) {
        return E_NOTREADY;
    }
    a = xcalloc(1, sizeof(*a));
    a->aw = aw;
    a->ks = dup_name(ks, len);
    a->len = len;
    a->cb = cb;
    a->data = data;
    uv_timer_init(&aw->worker->loop, &a->timer);
    a->deadline = uv_now(&aw->worker->loop) + API_AGREEMENT_MS;
    agreement_poll(a);
    return 0;
}

/* ---- worker 0: the control sequence ---------------------------------------------------------- */

/* One step of the control sequence in flight; stale once the session reconnected (GEN). */
struct control_step {
    struct api_worker *aw;          /* worker 0 */
    uint64_t           gen;         /* aw->gen when the step started */
    struct cass_req    req;         /* REGISTER */
    bool               then_load;   /* topology step: the full schema load follows */
};

static void control_next(struct api_worker *aw);
static void control_step_register(struct control_step *st);
static void control_step_load(struct control_step *st);
static void control_step_topo(struct control_step *st);

static struct control_step *
step_new(struct api_worker *aw)
{
    struct control_step *st = xcalloc(1, sizeof(*st));

    st->aw = aw;
    st->gen = aw->gen;
    return st;
}

static void control_start(struct api_worker *aw);

static void
on_control_retry(uv_timer_t *t)
{
    struct api_worker *aw = container_of(t, struct api_worker, retry);

    if (aw->busy || aw->stopping || ctl_conn(aw) == NULL) {
        return;
    }
    if (!atomic_load(&ready_flag)) {
        control_start(aw);
    } else {
        aw->full_pending = true;        /* a reload after the first one failed */
        control_next(aw);
    }
}

/*
 * Ends step ST (freed here). Returns true when the sequence goes on: the step succeeded on the
 * connection it started on and the worker is not stopping. A step of an earlier connection just
 * ends (the sequence of the current one owns aw->busy); a failure on the current one is logged
 * and the sequence is tried again after CONTROL_RETRY_MS.
 */
static bool
step_end(struct control_step *st, int status, const char *what)
{
    struct api_worker *aw = st->aw;
    bool current = st->gen == aw->gen;

    free(st);
    if (!current) {
        return false;
    }
    aw->busy = false;
    if (aw->stopping) {
        return false;
    }
    if (status != 0) {
        log_warn("control: %s failed: %s; retrying", what, err_str(status));
        if (aw->retry_open && ctl_conn(aw) != NULL) {
            uv_timer_start(&aw->retry, on_control_retry, CONTROL_RETRY_MS, 0);
        }
        return false;
    }
    return true;
}

static void
on_full_loaded(void *data, int status, const char *message, struct cass_meta *m)
{
    struct control_step *st = data;
    struct api_worker *aw = st->aw;

    if (status != 0) {
        log_warn("control: schema load failed: %s", message);
    }
    if (status == 0 && (st->gen != aw->gen || aw->stopping)) {
        cass_meta_unref(m);
    } else if (status == 0) {
        schema_publish(m, NULL, true);
    }
    if (!step_end(st, status, "schema load")) {
        return;
    }
    aw->full_pending = false;
    if (!atomic_load(&ready_flag)) {
        log_info("control: schema loaded; ready");
    }
    atomic_store(&ready_flag, true);
    control_next(aw);
}

static void
control_step_load(struct control_step *st)
{
    struct api_worker *aw = st->aw;
    int rc = cass_schema_load(ctl_conn(aw), &aw->pool.cache, on_full_loaded, st);

    if (rc != 0) {
        (void)step_end(st, rc, "schema load");
    }
}

/* Logs the nodes of T and the data centre preferred. */
static void
log_topology(const struct cass_topo *t, const char *dc)
{
    char line[1024];
    size_t off = 0;

    for (size_t i = 0; i < t->nnodes && off < sizeof(line); i++) {
        int n = snprintf(line + off, sizeof(line) - off, "%s%s:%d (%s/%s)", i > 0 ? ", " : "",
                         t->nodes[i].host, t->nodes[i].port, t->nodes[i].dc, t->nodes[i].rack);

        off += n > 0 ? (size_t)n : 0;
    }
    log_info("cluster: %zu node(s), local data centre %s: %s", t->nnodes, dc,
             off > 0 ? line : "-");
}

/*
 * A topology load ended. The first one fixes the local data centre (--local-dc, else the contact
 * point's) and refuses a partitioner other than Murmur3: tokens of any other mean nothing to the
 * ring, and a gateway routing by them would send requests to the wrong replicas.
 */
static void
on_topo_loaded(void *data, int status, const char *message, struct cass_topo *t)
{
    struct control_step *st = data;
    struct api_worker *aw = st->aw;
    bool then_load = st->then_load;
    bool dc_found = false;

    if (status != 0) {
        log_warn("control: topology load failed: %s", message);
    }
    if (status == 0 && (st->gen != aw->gen || aw->stopping)) {
        cass_topo_unref(t);
        t = NULL;
    }
    if (t != NULL && strcmp(t->partitioner, CASS_TOPO_MURMUR3) != 0) {
        log_error("cluster: the partitioner is %s; cqlgate supports %s only: exiting",
                  t->partitioner[0] != '\0' ? t->partitioner : "(unknown)", CASS_TOPO_MURMUR3);
        _exit(1);   /* at start, before anything is served: no state worth a clean shutdown */
    }
    if (t != NULL) {
        uv_mutex_lock(&topo_lock);
        if (local_dc[0] == '\0') {
            snprintf(local_dc, sizeof(local_dc), "%s",
                     aw->conf->local_dc[0] != '\0' ? aw->conf->local_dc : t->nodes[0].dc);
        }
        uv_mutex_unlock(&topo_lock);
        for (size_t i = 0; i < t->nnodes; i++) {
            dc_found = dc_found || strcmp(t->nodes[i].dc, local_dc) == 0;
        }
        if (!dc_found) {
            log_warn("cluster: no node is in the local data centre %s", local_dc);
        }
        log_topology(t, local_dc);
        topo_publish(t);
    }
    if (!step_end(st, status, "topology load")) {
        return;
    }
    aw->topo_pending = false;
    if (then_load) {
        aw->busy = true;
        control_step_load(step_new(aw));
    } else {
        control_next(aw);
    }
}

static void
control_step_topo(struct control_step *st)
{
    struct api_worker *aw = st->aw;
    struct cass_conn *c = ctl_conn(aw);
    int rc = c != NULL ? cass_topo_load(c, aw->ctl->opts.host, aw->ctl->opts.port, on_topo_loaded,
                                        st)
                       : E_NOTREADY;

    if (rc != 0) {
        (void)step_end(st, rc, "topology load");
    }
}

static void
on_registered(struct cass_req *req, int status, const struct cass_resp *resp)
{
    struct control_step *st = container_of(req, struct control_step, req);
    struct api_worker *aw = st->aw;

    if (status == 0 && resp->opcode != CQL_OP_READY) {
        status = E_PROTOCOL;
    }
    if (!step_end(st, status, "REGISTER")) {
        return;
    }
    aw->busy = true;
    st = step_new(aw);
    st->then_load = true;
    control_step_topo(st);
}

static void
control_step_register(struct control_step *st)
{
    static const char *const events[] = { "TOPOLOGY_CHANGE", "STATUS_CHANGE", "SCHEMA_CHANGE" };
    struct api_worker *aw = st->aw;
    struct cass_conn *c = ctl_conn(aw);
    struct cql_wr *w;
    int16_t stream;
    int rc = E_NOTREADY;

    st->req.cb = on_registered;
    w = c != NULL ? cass_conn_begin(c, &st->req, &stream, &rc) : NULL;
    if (w != NULL) {
        (void)cql_req_register(w, cass_conn_version(c), stream, events, ARRAY_SIZE(events));
        rc = cass_conn_commit(c, &st->req, aw->conf->request_timeout_ms);
    }
    if (rc != 0) {
        (void)step_end(st, rc, "REGISTER");
    }
}

static void
on_auth_tables(void *data, int status)
{
    struct control_step *st = data;
    struct api_worker *aw = st->aw;

    if (!step_end(st, status, "creating the auth token table")) {
        return;
    }
    aw->busy = true;
    control_step_register(step_new(aw));
}

static void
control_start(struct api_worker *aw)
{
    struct control_step *st;
    int rc;

    aw->busy = true;
    st = step_new(aw);
    if (aw->conf->auth != CONF_AUTH_TABLE) {
        control_step_register(st);
        return;
    }
    rc = auth_setup_tables(aw, on_auth_tables, st);
    if (rc != 0) {
        (void)step_end(st, rc, "creating the auth token table");
    }
}

/* A keyspace reload of the queue ended. */
static void
on_queued_reload(void *data, int status)
{
    struct control_step *st = data;
    struct api_worker *aw = st->aw;

    /* on_reloaded logged a failure; a reconnect reloads everything anyway. */
    if (step_end(st, 0, "keyspace reload") && status == 0) {
        control_next(aw);
    } else if (status != 0 && !aw->stopping && ctl_conn(aw) != NULL && aw->retry_open) {
        uv_timer_start(&aw->retry, on_control_retry, CONTROL_RETRY_MS, 0);
    }
}

/* Starts the next queued reload, if the sequence is idle and ready. */
static void
control_next(struct api_worker *aw)
{
    while (!aw->busy && !aw->stopping && atomic_load(&ready_flag) && ctl_conn(aw) != NULL) {
        struct control_step *st;
        char *ks;
        int rc;

        if (aw->topo_pending) {
            aw->busy = true;
            control_step_topo(step_new(aw));
            return;
        }
        if (aw->full_pending) {
            aw->busy = true;
            control_step_load(step_new(aw));
            return;
        }
        if (aw->nqueue == 0) {
            return;
        }
        ks = aw->queue[0];
        memmove(&aw->queue[0], &aw->queue[1], (aw->nqueue - 1) * sizeof(aw->queue[0]));
        aw->nqueue--;
        st = step_new(aw);
        aw->busy = true;
        rc = api_schema_reload_keyspace(aw, ks, strlen(ks), on_queued_reload, st);
        free(ks);
        if (rc != 0) {
            free(st);
            aw->busy = false;
            return;
        }
    }
}

/* Queues keyspace KS for reload (once), or a full reload when the queue is full. */
static void
control_enqueue(struct api_worker *aw, struct cql_str ks)
{
    for (size_t i = 0; i < aw->nqueue; i++) {
        if (strlen(aw->queue[i]) == ks.len && memcmp(aw->queue[i], ks.p, ks.len) == 0) {
            return;
        }
    }
    if (aw->nqueue == API_RELOAD_QUEUE || memchr(ks.p, '\0', ks.len) != NULL) {
        aw->full_pending = true;
        return;
    }
    aw->queue[aw->nqueue++] = dup_name(ks.p, ks.len);
}

/* The address of IN as text into DST; false when it is neither IPv4 nor IPv6. */
static bool
cell_addr(const struct cql_inet *in, char *dst, size_t cap)
{
    int af = in->len == 4 ? AF_INET : in->len == 16 ? AF_INET6 : 0;

    return af != 0 && inet_ntop(af, in->addr, dst, (socklen_t)cap) != NULL;
}

/* A STATUS_CHANGE about the node at IN: DOWN takes it out of every picker, UP reconnects. */
static void
on_status_change(const struct cql_event *ev)
{
    char host[64];
    bool up = ev->change.len == 2 && memcmp(ev->change.p, "UP", 2) == 0;

    if (!cell_addr(&ev->node, host, sizeof(host))) {
        return;
    }
    log_info("cluster: %s:%d is %s", host, (int)ev->node.port, up ? "up" : "down");
    cass_pool_mark_down(host, (int)ev->node.port, !up);
    if (up) {
        atomic_fetch_add(&kicks, 1);
        wake_all();
    }
}

static void
on_event(struct cass_conn *c, const struct cass_resp *resp)
{
    struct cass_session *s = cass_conn_data(c);
    struct cass_pool_node *n = s->data;
    struct api_worker *aw = n->pool->data;
    struct cql_resp_extra x;
    struct cql_event ev;
    struct cql_rd r;

    if (cql_resp_open(resp->flags, resp->body, resp->len, &r, &x) != 0
        || cql_resp_event(&r, resp->version, &ev) != 0) {
        log_warn("%s: malformed EVENT; reloading the whole schema", cass_conn_name(c));
        aw->full_pending = true;
    } else if (ev.type.len == 13 && memcmp(ev.type.p, "SCHEMA_CHANGE", 13) == 0) {
        control_enqueue(aw, ev.schema.keyspace);
    } else if (ev.type.len == 15 && memcmp(ev.type.p, "TOPOLOGY_CHANGE", 15) == 0) {
        aw->topo_pending = true;
    } else if (ev.type.len == 13 && memcmp(ev.type.p, "STATUS_CHANGE", 13) == 0) {
        on_status_change(&ev);
    }
    control_next(aw);
}

static void
queue_clear(struct api_worker *aw)
{
    for (size_t i = 0; i < aw->nqueue; i++) {
        free(aw->queue[i]);
    }
    aw->nqueue = 0;
    aw->full_pending = false;
    aw->topo_pending = false;
}

/* A ready session of worker 0 other than NOT, or NULL. */
static struct cass_session *
other_ready_session(struct api_worker *aw, const struct cass_session *not)
{
    for (size_t i = 0; i < aw->pool.nnodes; i++) {
        struct cass_pool_node *n = aw->pool.nodes[i];

        for (size_t j = 0; j < n->nsess && !n->stale; j++) {
            if (&n->sess[j] != not && cass_session_conn(&n->sess[j]) != NULL) {
                return &n->sess[j];
            }
        }
    }
    return NULL;
}

/* Makes S the control session and starts the control sequence on it. */
static void
control_take(struct api_worker *aw, struct cass_session *s)
{
    aw->ctl = s;
    aw->gen++;
    aw->busy = false;
    if (aw->retry_open) {
        uv_timer_stop(&aw->retry);
    }
    queue_clear(aw);
    cass_conn_set_event_cb(s->conn, on_event);
    control_start(aw);
}

/*
 * A session of worker 0 became ready (STATUS 0) or lost its connection. The first ready one
 * carries the control sequence; when it is lost, the sequence moves to another ready session,
 * and readiness is kept (the snapshots stay valid); with none, cqlgate is not ready until one is.
 */
static void
on_control_session(struct api_worker *aw, struct cass_session *s, int status)
{
    struct cass_session *next;

    if (status == 0) {
        if (aw->ctl == NULL && !aw->stopping) {
            control_take(aw, s);
        }
        return;
    }
    if (s != aw->ctl) {
        return;
    }
    aw->ctl = NULL;
    aw->gen++;
    aw->busy = false;
    queue_clear(aw);
    next = aw->stopping ? NULL : other_ready_session(aw, s);
    if (next != NULL) {
        log_warn("control: connection to %s:%d lost; moving to %s:%d", s->opts.host,
                 s->opts.port, next->opts.host, next->opts.port);
        control_take(aw, next);
        return;
    }
    atomic_store(&ready_flag, false);
    log_warn("control: connection lost; not ready until a node answers");
}

/* A session of a worker's pool became ready (STATUS 0) or lost its connection. */
static void
on_pool_state(struct cass_pool *p, struct cass_session *s, int status)
{
    struct api_worker *aw = p->data;

    if ((p->nready > 0) != aw->connected) {
        aw->connected = p->nready > 0;
        atomic_fetch_add(&connected_workers, aw->connected ? 1 : -1);
    }
    if (aw->control) {
        on_control_session(aw, s, status);
    }
}

/* Ready: the schema is published and every worker has a connection to answer with. */
static bool
on_ready_check(void)
{
    return atomic_load(&ready_flag)
           && atomic_load(&connected_workers) == atomic_load(&live_workers);
}

/* ---- worker hooks ---------------------------------------------------------------------------- */

/* Splits the first entry of the contact-point list into HOST (CAP bytes) and *PORT. */
static void
first_contact_point(const char *list, char *host, size_t cap, int *port)
{
    size_t n = strcspn(list, ",");
    const char *p = list;
    const char *colon;
    size_t hlen;

    while (n > 0 && (*p == ' ' || *p == '\t')) {
        p++;
        n--;
    }
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t')) {
        n--;
    }
    *port = 9042;
    if (n > 0 && p[0] == '[') {
        const char *end = memchr(p, ']', n);

        hlen = end != NULL ? (size_t)(end - p - 1) : n - 1;
        colon = end != NULL && (size_t)(end - p) + 1 < n && end[1] == ':' ? end + 1 : NULL;
        p++;
    } else {
        colon = memchr(p, ':', n);
        if (colon != NULL && memchr(colon + 1, ':', n - (size_t)(colon - p) - 1) != NULL) {
            colon = NULL;               /* a bare IPv6 literal */
        }
        hlen = colon != NULL ? (size_t)(colon - p) : n;
    }
    if (colon != NULL) {
        *port = atoi(colon + 1);
    }
    if (hlen >= cap) {
        hlen = cap - 1;
    }
    memcpy(host, p, hlen);
    host[hlen] = '\0';
}

static void
on_worker_init(struct worker *w)
{
    struct api_worker *aw = xcalloc(1, sizeof(*aw));
    const struct conf *c = w->conf;

    tl_cache = true;
    tl_gen = UINT64_MAX;                /* no snapshot seen yet */
    atomic_fetch_add(&live_workers, 1);
    aw->worker = w;
    aw->conf = c;
    aw->control = w->id == 0;
    first_contact_point(c->contact_points, aw->host, sizeof(aw->host), &aw->port);
    aw->opts.host = aw->host;
    aw->opts.port = aw->port;
    aw->opts.user = c->username != NULL && c->username[0] != '\0' ? c->username : NULL;
    aw->opts.password = c->password;
    aw->opts.version = (int)c->protocol_version;
    aw->opts.lz4 = c->compression == CONF_COMPRESSION_LZ4;
    aw->opts.connect_timeout_ms = c->request_timeout_ms;
    w->api = aw;
    auth_worker_init(aw);
    if (aw->control) {
        uv_timer_init(&w->loop, &aw->retry);
        aw->retry_open = true;
    }
    uv_async_init(&w->loop, &aw->wake, on_wake);
    aw->wake_open = true;
    cass_pool_init(&aw->pool, &w->loop, &aw->opts, aw->host, aw->port, (size_t)c->pool_size,
                   (uint32_t)c->max_in_flight, on_pool_state, aw);
    aw->pool.schema = api_schema_ref;
    uv_mutex_lock(&topo_lock);
    if (nworkers < ARRAY_SIZE(workers)) {
        workers[nworkers++] = aw;
    }
    uv_mutex_unlock(&topo_lock);
    on_wake(&aw->wake);     /* a topology published before this worker started */
}

static void
on_pool_closed(struct cass_pool *p)
{
    (void)p;
}

static void
on_worker_stop(struct worker *w)
{
    struct api_worker *aw = w->api;

    if (aw == NULL) {
        return;
    }
    aw->stopping = true;
    auth_worker_stop(aw);
    if (aw->retry_open) {
        aw->retry_open = false;
        uv_close((uv_handle_t *)&aw->retry, NULL);
    }
    uv_mutex_lock(&topo_lock);
    for (size_t i = 0; i < nworkers; i++) {
        if (workers[i] == aw) {
            workers[i] = workers[--nworkers];
            break;
        }
    }
    uv_mutex_unlock(&topo_lock);
    if (aw->wake_open) {
        aw->wake_open = false;
        uv_close((uv_handle_t *)&aw->wake, NULL);
    }
    aw->ctl = NULL;
    cass_pool_close(&aw->pool, on_pool_closed);
}

static void
on_worker_fini(struct worker *w)
{
    struct api_worker *aw = w->api;

    if (aw == NULL) {
        return;
    }
    queue_clear(aw);
    auth_worker_fini(aw);
    tl_cache = false;
    cass_meta_unref(tl_schema);
    tl_schema = NULL;
    if (aw->connected) {
        atomic_fetch_sub(&connected_workers, 1);
    }
    free(aw);
    w->api = NULL;
    if (atomic_fetch_sub(&live_workers, 1) == 1) {
        schema_publish(NULL, NULL, true);
        topo_publish(NULL);
        uv_mutex_lock(&topo_lock);
        local_dc[0] = '\0';
        uv_mutex_unlock(&topo_lock);
        atomic_store(&ready_flag, false);
    }
}

/* ---- registration ---------------------------------------------------------------------------- */

void
api_register_routes(struct router *r, const struct conf *conf)
{
    int rc = uv_mutex_init(&schema_lock);

    ASSERT(rc == 0);
    rc = uv_mutex_init(&topo_lock);
    ASSERT(rc == 0);
    rc = auth_add_routes(r);
    ASSERT(rc == 0);                /* the templates are constants */
    rc = api_schema_add_routes(r);
    ASSERT(rc == 0);
    ASSERT(api_rows_add_routes(r) == 0);
    ASSERT(api_cql_add_routes(r, conf) == 0);
    ASSERT(openapi_add_routes(r) == 0);
    ASSERT(docs_api_add_routes(r) == 0);
    http_server_set_hooks(on_worker_init, on_worker_stop, on_worker_fini);
    http_server_set_ready_cb(on_ready_check);
}
