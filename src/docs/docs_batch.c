/*
 * docs_batch.c: the one LOGGED BATCH of a document write (see docs_batch.h).
 *
 *     docs_batch_start --> prepare INSERT (cache) --> BATCH --RESULT--> done(0)
 *                                                       |--UNPREPARED--> PREPARE --> BATCH again
 *                                                       +--ERROR / timeout--> done(status)
 */
#include "docs/docs_batch.h"

#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "core/log.h"
#include "cql_murmur3.h"
#include "cql_req.h"
#include "cql_resp.h"

/* Appends the string literal S to the writer W. */
#define WR_LIT(w, s) cql_wr_raw((w), (s), sizeof(s) - 1)

/* Re-prepares after UNPREPARED before a batch's failure is final. */
#define MAX_REPREPARES 2

void
docs_batch_init(struct docs_batch *b, struct http_req *req, const struct docs_names *n,
                const char *id, size_t id_len, int64_t ts)
{
    memset(b, 0, sizeof(*b));
    b->req = req;
    b->n = n;
    b->id = id;
    b->id_len = id_len;
    b->ts = ts;
    b->ttl = -1;
    api_arena_wr(&b->vals, &req->arena);
    api_arena_wr(&b->ins_cql, &req->arena);
}

/* ---- the deletes ----------------------------------------------------------------------------- */

/*
 * Starts delete statement WHERE (its conditions after "key = ?", starting with " AND" or empty)
 * with values ts-1 and the key; returns it for more values, or NULL (the failure shows later).
 */
static struct docs_batch_del *
del_begin(struct docs_batch *b, struct cql_wr *text)
{
    struct docs_batch_del *d;
    uint8_t be[8];

    if (b->ndel == b->cap) {
        uint16_t cap = b->cap < 4 ? 4 : (uint16_t)(b->cap * 2);
        struct docs_batch_del *v;

        if (cap <= b->cap) {
            b->vals.err = E_INVALID;
            return NULL;
        }
        v = arena_alloc(&b->req->arena, cap * sizeof(*v));
        if (b->ndel > 0) {
            memcpy(v, b->del, b->ndel * sizeof(*v));
        }
        b->del = v;
        b->cap = cap;
    }
    d = &b->del[b->ndel++];
    api_arena_wr(text, &b->req->arena);
    WR_LIT(text, "DELETE FROM ");
    docs_api_table_name(text, b->n);
    WR_LIT(text, " USING TIMESTAMP ? WHERE key = ?");
    d->off = b->vals.len;
    cql_put_be64(be, (uint64_t)(b->ts - 1));
    cql_wr_bytes(&b->vals, be, 8);
    cql_wr_bytes(&b->vals, b->id, (int32_t)b->id_len);
    d->count = 2;
    return d;
}

/* Appends " AND p<i> <op> ?" to TEXT. */
static void
cond(struct cql_wr *text, size_t i, const char *op)
{
    char buf[48];
    int len = snprintf(buf, sizeof(buf), " AND p%zu %s ?", i, op);

    cql_wr_raw(text, buf, (size_t)len);
}

/* Appends p0 = ? .. p<k-1> = ? and their values. */
static void
path_eq(struct docs_batch *b, struct docs_batch_del *d, struct cql_wr *text,
        const struct cql_str *path, size_t k)
{
    for (size_t i = 0; i < k; i++) {
        cond(text, i, "=");
        cql_wr_bytes(&b->vals, path[i].p, (int32_t)path[i].len);
        d->count++;
    }
}

static void
del_end(struct docs_batch_del *d, struct cql_wr *text)
{
    d->cql.p = (const char *)text->p;
    d->cql.len = text->len;
}

void
docs_batch_del_partition(struct docs_batch *b)
{
    struct cql_wr text;
    struct docs_batch_del *d = del_begin(b, &text);

    if (d != NULL) {
        del_end(d, &text);
    }
}

void
docs_batch_del_subtree(struct docs_batch *b, const struct cql_str *path, size_t k)
{
    struct cql_wr text;
    struct docs_batch_del *d = del_begin(b, &text);

    if (d != NULL) {
        path_eq(b, d, &text, path, k);
        del_end(d, &text);
    }
}

void
docs_batch_del_keys(struct docs_batch *b, const struct cql_str *path, size_t k,
                    const struct cql_str *keys, size_t nkeys)
{
    struct cql_wr text;
    struct docs_batch_del *d = del_begin(b, &text);
    size_t len = 4;
    uint8_t be[4];

    if (d == NULL) {
        return;
    }
    path_eq(b, d, &text, path, k);
    cond(&text, k, "IN");
    /* a list<text> value: [int n], then [int len][bytes] per key */
    for (size_t i = 0; i < nkeys; i++) {
        len += 4 + keys[i].len;
    }
    cql_put_be32(be, (uint32_t)len);
    cql_wr_raw(&b->vals, be, 4);
    cql_put_be32(be, (uint32_t)nkeys);
    cql_wr_raw(&b->vals, be, 4);
    for (size_t i = 0; i < nkeys; i++) {
        cql_wr_bytes(&b->vals, keys[i].p, (int32_t)keys[i].len);
    }
    d->count++;
    del_end(d, &text);
}

void
docs_batch_del_exact(struct docs_batch *b, const struct cql_str *path, size_t k)
{
    struct cql_wr text;
    struct docs_batch_del *d = del_begin(b, &text);

    if (d == NULL) {
        return;
    }
    path_eq(b, d, &text, path, k);
    for (size_t i = k; i < DOC_SHRED_DEPTH; i++) {
        cond(&text, i, "=");
        cql_wr_bytes(&b->vals, "", 0);
        d->count++;
    }
    del_end(d, &text);
}

void
docs_batch_del_array(struct docs_batch *b, const struct cql_str *path, size_t k)
{
    struct cql_wr text;
    struct docs_batch_del *d = del_begin(b, &text);

    if (d == NULL) {
        return;
    }
    path_eq(b, d, &text, path, k);
    cond(&text, k, ">=");
    WR_LIT(&b->vals, "\0\0\0\x08[000000]");
    cond(&text, k, "<=");
    WR_LIT(&b->vals, "\0\0\0\x08[999999]");
    d->count += 2;
    del_end(d, &text);
}

bool
docs_batch_fits(const struct docs_batch *b, const struct doc_shred_rows *rows)
{
    return rows->n + b->ndel <= DOCS_BATCH_MAX_STATEMENTS;
}

/* ---- sending --------------------------------------------------------------------------------- */

static void batch_send(struct docs_batch *b);

static void
batch_end(struct docs_batch *b, int status, const struct cql_error *err)
{
    cass_query_release(&b->ins);
    b->done(b, status, err);
}

/* Decodes the ERROR envelope RESP into E; false when it is malformed. */
static bool
error_of(const struct cass_resp *resp, struct cql_error *e)
{
    struct cql_resp_extra x;
    struct cql_rd r;

    return cql_resp_open(resp->flags, resp->body, resp->len, &r, &x) == 0
           && cql_resp_error(&r, resp->version, e) == 0;
}

/* A PREPARE sent again after UNPREPARED answered; the id does not change, so resend the batch. */
static void
on_reprepared(struct cass_req *creq, int status, const struct cass_resp *resp)
{
    struct docs_batch *b = container_of(creq, struct docs_batch, creq);
    struct cql_error err;

    if (status != 0) {
        batch_end(b, status, NULL);
    } else if (resp->opcode == CQL_OP_ERROR) {
        batch_end(b, error_of(resp, &err) ? E_SERVER : E_PROTOCOL, &err);
    } else if (resp->opcode != CQL_OP_RESULT) {
        batch_end(b, E_PROTOCOL, NULL);
    } else {
        batch_send(b);
    }
}

/* The writer of the batch's next request (BATCH or PREPARE), or NULL after ending the batch. */
static struct cql_wr *
batch_begin(struct docs_batch *b, int16_t *stream)
{
    int rc = 0;
    struct cql_wr *w = cass_conn_begin(b->conn, &b->creq, stream, &rc);

    if (w == NULL) {
        batch_end(b, rc, NULL);
    }
    return w;
}

/* Queues the request written since batch_begin; CB gets its answer. */
static void
batch_commit(struct docs_batch *b, cass_req_cb cb)
{
    int rc;

    b->creq.cb = cb;
    rc = cass_conn_commit(b->conn, &b->creq, api_worker_of(b->req)->conf->request_timeout_ms);
    if (rc != 0) {
        batch_end(b, rc, NULL);
    }
}

static void
send_reprepare(struct docs_batch *b)
{
    struct cql_str ks = { NULL, 0 };
    struct cql_wr *w;
    int16_t stream;

    w = batch_begin(b, &stream);
    if (w != NULL) {
        (void)cql_req_prepare(w, cass_conn_version(b->conn), stream, (const char *)b->ins_cql.p,
                              b->ins_cql.len, ks);
        batch_commit(b, on_reprepared);
    }
}

static void
on_batch(struct cass_req *creq, int status, const struct cass_resp *resp)
{
    struct docs_batch *b = container_of(creq, struct docs_batch, creq);
    struct cql_error err;

    if (status != 0) {
        batch_end(b, status, NULL);
        return;
    }
    if (resp->opcode == CQL_OP_RESULT) {
        batch_end(b, 0, NULL);
        return;
    }
    if (resp->opcode != CQL_OP_ERROR || !error_of(resp, &err)) {
        batch_end(b, E_PROTOCOL, NULL);
        return;
    }
    if (err.code == CQL_ERRCODE_UNPREPARED && b->reprepares < MAX_REPREPARES) {
        log_info("%s: a document's batch refers to a statement the server forgot; preparing "
                 "it again", cass_conn_name(b->conn));
        b->reprepares++;
        send_reprepare(b);
        return;
    }
    batch_end(b, E_SERVER, &err);
}

/* Sends the LOGGED BATCH: the deletes as query strings, then the prepared INSERT per row. */
static void
batch_send(struct docs_batch *b)
{
    uint16_t n = (uint16_t)(b->ndel + b->rows->n);
    struct cql_batch_stmt *stmts = arena_alloc(&b->req->arena, n * sizeof(*stmts));
    struct cql_query_params qp;
    struct cql_wr *w;
    int16_t stream;

    for (uint16_t i = 0; i < n; i++) {
        memset(&stmts[i], 0, sizeof(stmts[i]));
        if (i < b->ndel) {
            const struct docs_batch_del *d = &b->del[i];
            size_t end = i + 1 < b->ndel ? b->del[i + 1].off : b->off[0];

            stmts[i].query = d->cql;
            stmts[i].values.p = b->vals.p + d->off;
            stmts[i].values.len = end - d->off;
            stmts[i].values.count = d->count;
        } else {
            size_t r = i - b->ndel;
            size_t end = r + 1 < b->rows->n ? b->off[r + 1] : b->vals.len;

            stmts[i].prepared = true;
            stmts[i].id = b->ins.prep->id;
            stmts[i].values.p = b->vals.p + b->off[r];
            stmts[i].values.len = end - b->off[r];
            stmts[i].values.count = b->count[r];
        }
    }
    cql_query_params_init(&qp, CQL_CL_LOCAL_QUORUM);
    w = batch_begin(b, &stream);
    if (w != NULL) {
        (void)cql_req_batch(w, cass_conn_version(b->conn), stream, CQL_BATCH_LOGGED, stmts, n,
                            &qp);
        batch_commit(b, on_batch);
    }
}

static void
on_insert_prepared(struct cass_query *q, const struct cass_result *res)
{
    struct docs_batch *b = q->data;

    if (res->status != 0) {
        batch_end(b, res->status, &res->error);
        return;
    }
    batch_send(b);
}

int
docs_batch_whole(struct docs_batch *b, struct http_req *req, const struct docs_names *n,
                 const char *id, size_t id_len, int64_t ts, const struct cql_json_node *doc,
                 bool replace, struct doc_shred_rows *rows)
{
    struct doc_shred_err err;

    if (doc_shred_json(doc, NULL, &req->arena, rows, &err) != 0) {
        http_respond_error_n(req, 400, err.desc, err.len, NULL);
        return -1;
    }
    docs_batch_init(b, req, n, id, id_len, ts);
    if (replace) {
        docs_batch_del_partition(b);
    }
    if (!docs_batch_fits(b, rows)) {
        http_respond_error(req, 400, DOCS_BATCH_TOO_MANY_ROWS, NULL);
        return -1;
    }
    return 0;
}

void
docs_batch_start(struct docs_batch *b, const struct doc_shred_rows *rows, int32_t ttl,
                 docs_batch_cb done)
{
    struct api_worker *aw = api_worker_of(b->req);
    int rc, err;

    b->rows = rows;
    b->ttl = ttl;
    b->done = done;
    b->conn = api_conn(aw);
    if (b->conn != NULL) {
        struct cql_str ks = { b->n->ns, b->n->ns_len };
        struct cass_conn *replica = cass_pool_pick_token(
            &aw->pool, ks, cql_murmur3_token((const uint8_t *)b->id, b->id_len), NULL, &err);

        if (replica != NULL) {
            b->conn = replica;
        }
    }
    if (b->conn == NULL) {
        done(b, E_NOTREADY, NULL);
        return;
    }
    WR_LIT(&b->ins_cql, "INSERT INTO ");
    docs_api_table_name(&b->ins_cql, b->n);
    WR_LIT(&b->ins_cql, " (");
    doc_shred_columns(&b->ins_cql);
    WR_LIT(&b->ins_cql, ") VALUES (?");
    for (int k = 1; k < DOC_SHRED_NCOLS; k++) {
        WR_LIT(&b->ins_cql, ", ?");
    }
    if (ttl >= 0) {
        WR_LIT(&b->ins_cql, ") USING TTL ? AND TIMESTAMP ?");
    } else {
        WR_LIT(&b->ins_cql, ") USING TIMESTAMP ?");
    }
    b->off = arena_alloc(&b->req->arena, (rows->n + 1) * sizeof(*b->off));
    b->count = arena_alloc(&b->req->arena, (rows->n + 1) * sizeof(*b->count));
    b->off[0] = b->vals.len;        /* where the deletes' values end, also with no rows */
    for (size_t r = 0; r < rows->n; r++) {
        b->off[r] = b->vals.len;
        b->count[r] = doc_shred_bind(&b->vals, &rows->v[r], b->id, b->id_len, ttl, b->ts);
    }
    if (b->vals.err != 0 || b->ins_cql.err != 0) {
        done(b, E_INVALID, NULL);
        return;
    }
    memset(&b->ins, 0, sizeof(b->ins));
    b->ins.conn = b->conn;
    b->ins.cache = &aw->pool.cache;
    b->ins.cql = (const char *)b->ins_cql.p;
    b->ins.cql_len = b->ins_cql.len;
    b->ins.timeout_ms = aw->conf->request_timeout_ms;
    b->ins.prepared_cb = on_insert_prepared;
    b->ins.data = b;
    rc = cass_query_prepare(&b->ins);
    if (rc < 0) {
        batch_end(b, rc, NULL);
    } else if (rc > 0) {
        batch_send(b);
    }
}

void
docs_batch_prof_step(const struct docs_batch *b, const char *desc, struct docs_prof_step *st)
{
    struct docs_prof *q = arena_alloc(&b->req->arena, ((size_t)b->ndel + 1) * sizeof(*q));
    size_t n = 0;

    for (uint16_t i = 0; i < b->ndel; i++) {
        const struct cql_str *t = &b->del[i].cql;
        size_t k = 0;

        while (k < n && !(q[k].len == t->len && memcmp(q[k].cql, t->p, t->len) == 0)) {
            k++;
        }
        if (k == n) {
            q[n++] = (struct docs_prof){ t->p, t->len, 0, 0 };
        }
        q[k].execs++;
        q[k].rows++;
    }
    if (b->rows != NULL && b->rows->n > 0) {
        q[n++] = (struct docs_prof){ (const char *)b->ins_cql.p, b->ins_cql.len, b->rows->n,
                                     b->rows->n };
    }
    if (desc == NULL) {
        desc = b->ndel == 0 ? "ASYNC INSERT" : "ASYNC UPDATE";
    }
    st->desc = desc;
    st->desc_len = strlen(desc);
    st->queries = q;
    st->n = n;
}

const struct cql_str *
docs_batch_profile(const struct docs_batch *b, const char *desc)
{
    struct cql_str *out;
    struct docs_prof_step st;

    if (!docs_api_profile_wanted(b->req)) {
        return NULL;
    }
    docs_batch_prof_step(b, desc, &st);
    out = arena_alloc(&b->req->arena, sizeof(*out));
    *out = docs_api_profile(b->req, &st, 1);
    return out;
}
