/*
 * cass_query.c: prepare, execute, re-prepare and page one statement (see cass_query.h).
 *
 * Prepared ids are the same on every node (they hash the text and keyspace), so one cache serves
 * every connection of a worker. A node that restarted, or that dropped the statement when a table
 * changed, answers UNPREPARED: the query then prepares the same text on that connection and sends
 * its EXECUTE again, at most twice, without its caller noticing.
 */
#include "cass/cass_query.h"

#include <string.h>

#include "cass/cass_pool.h"
#include "core/log.h"
#include "cql_murmur3.h"

#define MAX_REPREPARES 2

/* ---- cache ----------------------------------------------------------------------------------- */

static uint64_t
hash_text(const char *p, size_t len)
{
    uint64_t h = 1469598103934665603ULL;      /* FNV-1a */

    for (size_t i = 0; i < len; i++) {
        h ^= (uint8_t)p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

void
cass_pcache_init(struct cass_pcache *pc, size_t max)
{
    memset(pc, 0, sizeof(*pc));
    pc->nbuckets = 256;
    while (pc->nbuckets < max) {
        pc->nbuckets *= 2;
    }
    pc->buckets = xcalloc(pc->nbuckets, sizeof(*pc->buckets));
    pc->max = max == 0 ? 1 : max;
}

static void
entry_free(struct cass_prepared *e)
{
    arena_deinit(&e->arena);
    free(e->cql);
    free(e);
}

static void
lru_unlink(struct cass_pcache *pc, struct cass_prepared *e)
{
    if (e->lru_prev != NULL) {
        e->lru_prev->lru_next = e->lru_next;
    } else {
        pc->lru_head = e->lru_next;
    }
    if (e->lru_next != NULL) {
        e->lru_next->lru_prev = e->lru_prev;
    } else {
        pc->lru_tail = e->lru_prev;
    }
    e->lru_prev = e->lru_next = NULL;
}

static void
lru_push_front(struct cass_pcache *pc, struct cass_prepared *e)
{
    e->lru_prev = NULL;
    e->lru_next = pc->lru_head;
    if (pc->lru_head != NULL) {
        pc->lru_head->lru_prev = e;
    } else {
        pc->lru_tail = e;
    }
    pc->lru_head = e;
}

/* Takes E out of the hash table and the LRU list; it is freed when its last user lets go. */
static void
entry_remove(struct cass_pcache *pc, struct cass_prepared *e)
{
    struct cass_prepared **pp = &pc->buckets[e->hash & (pc->nbuckets - 1)];

    while (*pp != NULL && *pp != e) {
        pp = &(*pp)->hnext;
    }
    if (*pp == e) {
        *pp = e->hnext;
        lru_unlink(pc, e);
        pc->count--;
    }
    e->hnext = NULL;
    e->hash = 0;
    e->cql_len = 0;     /* marks it removed */
}

void
cass_pcache_deinit(struct cass_pcache *pc)
{
    for (size_t i = 0; i < pc->nbuckets; i++) {
        struct cass_prepared *e = pc->buckets[i];

        while (e != NULL) {
            struct cass_prepared *next = e->hnext;
            entry_free(e);
            e = next;
        }
    }
    free(pc->buckets);
    memset(pc, 0, sizeof(*pc));
}

static struct cass_prepared *
cache_find(struct cass_pcache *pc, const char *cql, size_t len, uint64_t h)
{
    struct cass_prepared *e = pc->buckets[h & (pc->nbuckets - 1)];

    for (; e != NULL; e = e->hnext) {
        if (e->hash == h && e->cql_len == len && memcmp(e->cql, cql, len) == 0) {
            return e;
        }
    }
    return NULL;
}

/* Evicts least-recently-used entries nobody holds until the cache is within its bound. */
static void
cache_trim(struct cass_pcache *pc)
{
    struct cass_prepared *e = pc->lru_tail;

    while (pc->count > pc->max && e != NULL) {
        struct cass_prepared *prev = e->lru_prev;

        if (e->refs == 0) {
            entry_remove(pc, e);
            entry_free(e);
        }
        e = prev;
    }
}

void
cass_query_release(struct cass_query *q)
{
    struct cass_prepared *e = q->prep;

    q->prep = NULL;
    if (e == NULL) {
        return;
    }
    ASSERT(e->refs > 0);
    e->refs--;
    if (e->refs == 0 && e->cql_len == 0) {
        entry_free(e);
    } else if (e->refs == 0) {
        cache_trim(q->cache);
    }
}

/* ---- responses ------------------------------------------------------------------------------- */

/* Positions R at the message proper, past any tracing id, warnings and custom payload. */
static int
open_body(const struct cass_resp *resp, struct cql_rd *r)
{
    struct cql_resp_extra x;

    return cql_resp_open(resp->flags, resp->body, resp->len, r, &x);
}

/*
 * Copies a RESULT envelope into E's arena and decodes it there, so ids, column specs and types
 * outlive the receive buffer. Returns 0 or a negative code.
 */
static int
decode_into_entry(struct cass_prepared *e, const struct cass_resp *resp, struct cql_result *res)
{
    struct cass_resp held = *resp;
    struct cql_alloc a = arena_cql_alloc(&e->arena);
    struct cql_rd r;
    int rc;

    held.body = arena_memdup(&e->arena, resp->body, resp->len);
    rc = open_body(&held, &r);
    if (rc == 0) {
        rc = cql_resp_result(&r, resp->version, &a, res);
    }
    return rc;
}

/* Takes the id and metadata of a PREPARED answer into E. */
static int
entry_fill(struct cass_prepared *e, const struct cass_resp *resp)
{
    struct cql_result res;
    int rc = decode_into_entry(e, resp, &res);

    if (rc != 0) {
        return rc;
    }
    if (res.kind != CQL_RESULT_PREPARED) {
        return E_PROTOCOL;
    }
    e->id = res.prepared_id;
    e->result_metadata_id = res.result_metadata_id;
    e->bind = res.bind;
    e->result = res.meta;
    e->ready = true;
    return 0;
}

/* Decodes an ERROR envelope into RES; a malformed one becomes E_PROTOCOL. */
static void
decode_error(const struct cass_resp *resp, struct cass_result *res)
{
    struct cql_rd r;

    res->status = E_SERVER;
    if (open_body(resp, &r) != 0 || cql_resp_error(&r, resp->version, &res->error) != 0) {
        res->status = E_PROTOCOL;
    }
}

static int send_prepare(struct cass_query *q);
static int send_prepare_on(struct cass_query *q, struct cass_conn *avoid);
static int send_execute(struct cass_query *q);
static bool retryable(const struct cass_query *q, const struct cass_result *res);
static int retry(struct cass_query *q);

static void
notify_waiters(struct cass_prepared *e, const struct cass_result *res)
{
    struct cass_query *w = e->waiters;

    e->waiters = NULL;
    while (w != NULL) {
        struct cass_query *next = w->next_waiter;

        w->next_waiter = NULL;
        w->prepared_cb(w, res);
        w = next;
    }
}

static void
on_prepared(struct cass_query *q, const struct cass_resp *resp, int status)
{
    struct cass_prepared *e = q->prep;
    struct cass_result res;

    memset(&res, 0, sizeof(res));
    res.status = status;
    /* A PREPARE changes nothing: after a lost connection, another node is asked. */
    if (status == E_CLOSED && q->pool != NULL && q->tries++ < CASS_QUERY_MAX_TRIES
        && send_prepare_on(q, q->conn) == 0) {
        return;
    }
    if (status == 0 && resp->opcode == CQL_OP_ERROR) {
        decode_error(resp, &res);
    } else if (status == 0 && resp->opcode == CQL_OP_RESULT) {
        res.status = entry_fill(e, resp);
    } else if (status == 0) {
        res.status = E_PROTOCOL;
    }
    if (res.status != 0 && e->cql_len != 0) {
        entry_remove(q->cache, e);      /* nobody else may use a failed entry */
    }
    notify_waiters(e, &res);
}

/* An UNPREPARED answer to an EXECUTE: prepare again on this connection, then execute again. */
static void
on_reprepared(struct cass_query *q, const struct cass_resp *resp, int status)
{
    struct cass_prepared *e = q->prep;
    struct cass_result res;
    int rc;

    memset(&res, 0, sizeof(res));
    res.status = status;
    if (status == 0 && resp->opcode == CQL_OP_ERROR) {
        decode_error(resp, &res);
    } else if (status == 0) {
        res.status = resp->opcode == CQL_OP_RESULT ? entry_fill(e, resp) : E_PROTOCOL;
    }
    if (res.status == 0) {
        rc = send_execute(q);
        if (rc == 0) {
            return;
        }
        res.status = rc;
    }
    q->done_cb(q, &res);
}

static void
on_executed(struct cass_query *q, const struct cass_resp *resp, int status)
{
    struct cass_result res;
    struct arena scratch;
    struct cql_alloc a;
    struct cql_rd r;
    int rc;

    memset(&res, 0, sizeof(res));
    res.status = status;
    if (status != 0) {
        if (retryable(q, &res) && retry(q) == 0) {
            return;
        }
        q->done_cb(q, &res);
        return;
    }
    if (resp->opcode == CQL_OP_ERROR) {
        decode_error(resp, &res);
        if (retryable(q, &res) && retry(q) == 0) {
            return;
        }
        if (res.status == E_SERVER && res.error.code == CQL_ERRCODE_UNPREPARED && !q->simple
            && q->reprepares < MAX_REPREPARES) {
            log_info("%s: statement unprepared on the server; preparing it again",
                     cass_conn_name(q->conn));
            q->reprepares++;
            q->cache->reprepares++;
            rc = send_prepare(q);
            if (rc == 0) {
                return;
            }
            res.status = rc;
        }
        q->done_cb(q, &res);
        return;
    }
    if (resp->opcode != CQL_OP_RESULT) {
        res.status = E_PROTOCOL;
        q->done_cb(q, &res);
        return;
    }
    arena_init(&scratch, 4096);
    a = arena_cql_alloc(&scratch);
    rc = open_body(resp, &r);
    if (rc == 0) {
        rc = cql_resp_result(&r, resp->version, &a, &res.result);
    }
    res.status = rc;
    if (rc == 0 && res.result.kind == CQL_RESULT_ROWS) {
        struct cql_rows_meta *m = &res.result.meta;

        res.ncols = m->columns_count;
        res.cols = m->cols;
        if ((m->flags & CQL_MF_METADATA_CHANGED) != 0 && q->prep != NULL) {
            /* v5: the table changed since the prepare; keep the new id and columns. */
            struct cql_result kept;

            if (decode_into_entry(q->prep, resp, &kept) == 0) {
                q->prep->result_metadata_id = kept.meta.new_metadata_id;
                q->prep->result = kept.meta;
            }
        } else if (m->cols == NULL && q->prep != NULL) {
            res.cols = q->prep->result.cols;
            res.ncols = q->prep->result.columns_count;
        }
    }
    q->done_cb(q, &res);
    arena_deinit(&scratch);
}

static void
on_response(struct cass_req *req, int status, const struct cass_resp *resp)
{
    struct cass_query *q = container_of(req, struct cass_query, req);

    if (q->executing) {
        on_executed(q, resp, status);
    } else if (q->reprepares > 0) {
        on_reprepared(q, resp, status);
    } else {
        on_prepared(q, resp, status);
    }
}

/* ---- requests -------------------------------------------------------------------------------- */

/* Most partition key components routed; a longer key goes round-robin. */
#define MAX_PK_PARTS 32

/* Bytes of a routing key computed on the stack; a longer key goes round-robin. */
#define MAX_ROUTING_KEY 1024

/*
 * Computes Q's token once, when Q is an EXECUTE whose positional values bind every partition key
 * column (the PREPARED metadata's pk indexes); sets q->has_token.
 */
static void
query_route(struct cass_query *q)
{
    const struct cql_prepared_meta *b;
    struct cql_bytes parts[MAX_PK_PARTS];
    uint8_t key[MAX_ROUTING_KEY];
    struct cql_wr w;
    struct cql_rd r;

    q->routed = true;
    q->has_token = false;
    if (q->simple || q->prep == NULL || !q->prep->ready) {
        return;
    }
    b = &q->prep->bind;
    if (b->pk_count <= 0 || b->pk_count > MAX_PK_PARTS || b->cols == NULL
        || q->params.values.named || q->params.values.count != b->columns_count) {
        return;
    }
    cql_rd_init(&r, q->params.values.p, q->params.values.len);
    for (int32_t i = 0; i < b->columns_count; i++) {
        struct cql_bytes v = cql_rd_value(&r);

        for (int32_t j = 0; j < b->pk_count; j++) {
            if (b->pk_index[j] == i) {
                parts[j] = v;
            }
        }
    }
    if (!cql_rd_ok(&r)) {
        return;
    }
    cql_wr_init(&w, key, sizeof(key), NULL, NULL);
    if (cass_ring_routing_key(&w, parts, (size_t)b->pk_count) != 0 || w.err != 0) {
        return;
    }
    q->token = cql_murmur3_token(w.p, w.len);
    q->has_token = true;
}

/* A connection for Q's next request from its pool, by token when it has one. */
static struct cass_conn *
query_pick(struct cass_query *q, bool executing, struct cass_conn *avoid, int *rc)
{
    if (executing && !q->routed) {
        query_route(q);
    }
    if (executing && q->has_token) {
        const struct cql_col_spec *pk = &q->prep->bind.cols[q->prep->bind.pk_index[0]];

        return cass_pool_pick_token(q->pool, pk->keyspace, q->token, avoid, rc);
    }
    return cass_pool_pick(q->pool, avoid, rc);
}

/*
 * Takes a stream id for Q, on a connection the pool picks when Q has one (AVOID: one to skip);
 * returns the writer its frame goes into, or NULL with *RC set.
 */
static struct cql_wr *
query_begin_on(struct cass_query *q, bool executing, int16_t *stream, int *rc,
               struct cass_conn *avoid)
{
    struct cql_wr *w;

    if (q->pool != NULL) {
        q->conn = query_pick(q, executing, avoid, rc);
        if (q->conn == NULL) {
            return NULL;
        }
    }
    w = cass_conn_begin(q->conn, &q->req, stream, rc);

    if (w != NULL) {
        q->executing = executing;
        q->req.cb = on_response;
    }
    return w;
}

/*
 * Sends Q's PREPARE: on a picked connection (skipping AVOID) for a first prepare, on q->conn
 * itself for a re-prepare, whose EXECUTE must follow on the connection that forgot the id.
 */
static int
send_prepare_on(struct cass_query *q, struct cass_conn *avoid)
{
    struct cql_str ks = { NULL, 0 };
    struct cass_pool *pool = q->pool;
    int16_t stream;
    int rc = 0;
    struct cql_wr *w;

    if (q->reprepares > 0) {
        q->pool = NULL;
    }
    w = query_begin_on(q, false, &stream, &rc, avoid);
    q->pool = pool;

    if (w == NULL) {
        return rc;
    }
    (void)cql_req_prepare(w, cass_conn_version(q->conn), stream, q->prep->cql, q->prep->cql_len,
                          ks);
    q->cache->prepares++;
    return cass_conn_commit(q->conn, &q->req, q->timeout_ms);
}

static int
send_prepare(struct cass_query *q)
{
    return send_prepare_on(q, NULL);
}

static int
send_execute_on(struct cass_query *q, struct cass_conn *avoid)
{
    struct cass_prepared *e = q->prep;
    int version;
    int16_t stream;
    int rc = 0;
    struct cql_wr *w = query_begin_on(q, true, &stream, &rc, avoid);

    if (w == NULL) {
        return rc;
    }
    version = cass_conn_version(q->conn);
    q->tries++;
    /* With v5's metadata ids the server says when the columns changed, so they can be skipped. */
    q->params.skip_metadata = cql_version_has_result_metadata_id(version)
                              && e->result.cols != NULL;
    (void)cql_req_execute(w, version, stream, e->id, e->result_metadata_id, &q->params);
    return cass_conn_commit(q->conn, &q->req, q->timeout_ms);
}

static int
send_execute(struct cass_query *q)
{
    return send_execute_on(q, NULL);
}

static int send_simple_on(struct cass_query *q, struct cass_conn *avoid);

/*
 * Whether the failed attempt RES of Q may be sent again to another node: Q is idempotent, has a
 * pool and tries left, and the failure says the statement did not run (Overloaded,
 * IsBootstrapping), ran only as a read (a read timeout with the data received), or may have run
 * on a connection now gone (safe only because Q is idempotent).
 */
static bool
retryable(const struct cass_query *q, const struct cass_result *res)
{
    if (q->pool == NULL || !q->idempotent || q->tries >= CASS_QUERY_MAX_TRIES) {
        return false;
    }
    if (res->status == E_CLOSED) {
        return true;
    }
    if (res->status != E_SERVER) {
        return false;
    }
    switch (res->error.code) {
    case CQL_ERRCODE_OVERLOADED:
    case CQL_ERRCODE_IS_BOOTSTRAPPING:
        return true;
    case CQL_ERRCODE_READ_TIMEOUT:
        return res->error.data_present;
    default:
        return false;
    }
}

/* Sends Q's last request again on another node; returns 0 or why it could not. */
static int
retry(struct cass_query *q)
{
    struct cass_conn *failed = q->conn;

    log_debug("%s: retrying on another node", cass_conn_name(failed));
    q->reprepares = 0;
    if (q->simple) {
        return send_simple_on(q, failed);
    }
    return send_execute_on(q, failed);
}

int
cass_query_prepare(struct cass_query *q)
{
    struct cass_pcache *pc = q->cache;
    uint64_t h = hash_text(q->cql, q->cql_len);
    struct cass_prepared *e = cache_find(pc, q->cql, q->cql_len, h);
    int rc;

    q->reprepares = 0;
    q->simple = false;
    if (e != NULL) {
        e->refs++;
        q->prep = e;
        lru_unlink(pc, e);
        lru_push_front(pc, e);
        if (e->ready) {
            return 1;
        }
        q->next_waiter = e->waiters;
        e->waiters = q;
        return 0;
    }
    e = xcalloc(1, sizeof(*e));
    e->cql = xmalloc(q->cql_len + 1);
    memcpy(e->cql, q->cql, q->cql_len);
    e->cql[q->cql_len] = '\0';
    e->cql_len = q->cql_len;
    e->hash = h;
    e->refs = 1;
    arena_init(&e->arena, 1024);
    e->hnext = pc->buckets[h & (pc->nbuckets - 1)];
    pc->buckets[h & (pc->nbuckets - 1)] = e;
    lru_push_front(pc, e);
    pc->count++;
    q->prep = e;
    rc = send_prepare(q);
    if (rc != 0) {
        entry_remove(pc, e);
        cass_query_release(q);
        return rc;
    }
    e->waiters = q;
    q->next_waiter = NULL;
    cache_trim(pc);
    return 0;
}

int
cass_query_execute(struct cass_query *q)
{
    ASSERT(q->prep != NULL && q->prep->ready);
    q->reprepares = 0;
    q->simple = false;
    return send_execute(q);
}

static void
on_run_prepared(struct cass_query *q, const struct cass_result *res)
{
    int rc = res->status;

    if (rc == 0) {
        rc = cass_query_execute(q);
        if (rc == 0) {
            return;
        }
    }
    if (res->status != 0) {
        q->done_cb(q, res);
    } else {
        struct cass_result failed = { .status = rc };

        q->done_cb(q, &failed);
    }
}

int
cass_query_run(struct cass_query *q)
{
    int rc;

    q->prepared_cb = on_run_prepared;
    rc = cass_query_prepare(q);
    if (rc == 1) {
        return cass_query_execute(q);
    }
    return rc;
}

static int
send_simple_on(struct cass_query *q, struct cass_conn *avoid)
{
    int16_t stream;
    int rc = 0;
    struct cql_wr *w;

    q->simple = true;                   /* before the pick: a QUERY is not routed */
    w = query_begin_on(q, true, &stream, &rc, avoid);
    if (w == NULL) {
        return rc;
    }
    q->tries++;
    q->params.skip_metadata = false;
    (void)cql_req_query(w, cass_conn_version(q->conn), stream, q->cql, q->cql_len, &q->params);
    return cass_conn_commit(q->conn, &q->req, q->timeout_ms);
}

int
cass_query_simple(struct cass_query *q)
{
    return send_simple_on(q, NULL);
}
