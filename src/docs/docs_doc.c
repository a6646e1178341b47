/*
 * docs_doc.c: whole documents (see docs_doc.h).
 *
 * Every handler keeps its state in a struct doc_op in the request's arena (req->data) and goes
 * through the same checks in Stargate's order: the token, the route's names, the query and body
 * validation, the namespace and collection, the request's own content (shredding, `fields`),
 * then the role's grant, then the statements:
 *
 *     write:  validate --> collection? --missing--> grant CREATE --> create it --+
 *                          |                                                     |
 *                          +--found----------------------------------------------+--> shred
 *             --> grant MODIFY --> prepare INSERT (and DELETE) --> BATCH --> 201 / 200
 *     read:   validate --> collection --> fields --> grant SELECT --> pages --> 200 / 404
 *     delete: collection --> grant MODIFY --> DELETE --> 204
 */
#include "docs/docs_doc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/auth.h"
#include "api/cql_json.h"
#include "cass/cass_query.h"
#include "core/json_w.h"
#include "core/log.h"
#include "cql_req.h"
#include "cql_resp.h"
#include "cql_value.h"
#include "docs/doc_shred.h"
#include "docs/docs_api.h"
#include "docs/docs_schema.h"
#include "docs/docs_search.h"

/* Appends the string literal S to the writer W. */
#define WR_LIT(w, s) cql_wr_raw((w), (s), sizeof(s) - 1)

/* Re-prepares after UNPREPARED before a batch's failure is final. */
#define MAX_REPREPARES 2

#define DOCUMENTS "/v2/namespaces/{ks}/collections/{t}"

/* A document's batch in flight. */
struct doc_batch {
    struct cass_query    ins;       /* the INSERT, prepared through the worker's cache */
    struct cass_query    del;       /* PUT: the DELETE of the old document */
    struct cass_req      creq;      /* the BATCH, or a PREPARE after UNPREPARED */
    struct cass_conn    *conn;      /* where it all runs */
    struct cql_wr        ins_cql;   /* the INSERT's text (arena) */
    struct cql_wr        del_cql;   /* the DELETE's text (arena) */
    struct cql_wr        vals;      /* every statement's [value]s, one after the other (arena) */
    size_t              *off;       /* where statement i's values start in vals */
    uint16_t            *count;     /* how many values statement i has */
    uint16_t             n;         /* statements */
    int                  pending;   /* prepares not answered yet */
    int                  status;    /* the first prepare failure, or 0 */
    struct docs_failure  fail;      /* it, rendered */
    int                  reprepares;/* PREPAREs sent again after UNPREPARED */
    bool                 reprep_del;/* re-preparing: the DELETE is next */
};

/* One document request (in the request's arena, at req->data). */
struct doc_op {
    struct http_req            *req;        /* the request */
    struct docs_names           n;          /* namespace and collection */
    const char                 *id;         /* the document id: decoded, valid UTF-8 */
    size_t                      id_len;     /* its length */
    char                        uuid[37];   /* POST: the id made for it */
    bool                        replace;    /* PUT: the old document goes first */
    int32_t                     ttl;        /* writes: seconds, or -1 for none */
    const struct cql_json_node *body;       /* writes: the parsed body */
    struct doc_shred_rows       rows;       /* writes: the shredded body */
    bool                        raw;        /* read: raw=true */
    const char                 *fields_arg; /* read: the `fields` parameter, or NULL */
    struct doc_shred_fields     fields;     /* read: it, parsed */
    struct doc_shred_asm        doc;        /* read: the document being put together */
    size_t                      nrows;      /* read: rows read, filtered or not */
    struct cql_bytes            page;       /* read: the next page's state (arena), or none */
    struct cass_query           q;          /* read, delete: the statement */
    struct cql_wr               cql;        /* its text (arena) */
    struct cql_wr               vals;       /* its values (arena) */
    uint16_t                    nvals;      /* how many */
    struct doc_batch            b;          /* writes */
};

static struct doc_op *
op_new(struct http_req *req)
{
    struct doc_op *op = arena_alloc(&req->arena, sizeof(*op));

    memset(op, 0, sizeof(*op));
    op->req = req;
    op->ttl = -1;
    op->page.len = CQL_NULL;
    req->data = op;
    return op;
}

/*
 * Decodes {id} into OP. The server decodes a path as UTF-8 and puts U+FFFD where it cannot, so
 * a document id is always valid text. Answers 404 and returns -1 for a bad escape.
 */
static int
id_of(struct doc_op *op)
{
    struct http_req *req = op->req;
    size_t len = 0;
    const char *s = http_req_param_n(req, "id", &len);
    struct cql_wr w;

    if (s == NULL) {
        http_respond_error(req, 404, "HTTP 404 Not Found", NULL);
        return -1;
    }
    op->id = s;
    op->id_len = len;
    if (cql_utf8_valid((const uint8_t *)s, len)) {
        return 0;
    }
    api_arena_wr(&w, &req->arena);
    for (size_t i = 0; i < len;) {
        size_t k = cql_utf8_seq((const uint8_t *)s + i, len - i);

        if (k == 0) {
            WR_LIT(&w, "\xef\xbf\xbd");
            k = 1;
        } else {
            cql_wr_raw(&w, s + i, k);
        }
        i += k;
    }
    op->id = (const char *)w.p;
    op->id_len = w.len;
    return 0;
}

/* Answers 200 (or 201) with {"documentId":"<id>"}. */
static void
respond_id(struct doc_op *op, int status)
{
    struct cql_wr body;
    struct jw j;

    http_body_init(&body);
    jw_init(&j, &body);
    jw_object_begin(&j);
    jw_key(&j, "documentId");
    jw_string_n(&j, op->id, op->id_len);
    jw_object_end(&j);
    if (jw_finish(&j) != 0 && body.err == 0) {
        body.err = E_INVALID;
    }
    http_respond_json(op->req, status, &body);
}

/* Sets up OP's single statement (read or delete) on the worker's session; false when none. */
static bool
stmt_setup(struct doc_op *op, cass_query_cb done)
{
    struct api_worker *aw = api_worker_of(op->req);
    struct cass_conn *c = api_conn(aw);

    if (c == NULL) {
        api_respond_not_ready(op->req);
        return false;
    }
    memset(&op->q, 0, sizeof(op->q));
    op->q.conn = c;
    op->q.cache = &aw->pool.cache;
    op->q.cql = (const char *)op->cql.p;
    op->q.cql_len = op->cql.len;
    cql_query_params_init(&op->q.params, CQL_CL_LOCAL_QUORUM);
    op->q.params.values.p = op->vals.p;
    op->q.params.values.len = op->vals.len;
    op->q.params.values.count = op->nvals;
    op->q.timeout_ms = aw->conf->request_timeout_ms;
    op->q.done_cb = done;
    return true;
}

/* Runs OP's single statement; on failure to send, answers. */
static void
stmt_run(struct doc_op *op)
{
    int rc;

    if (op->cql.err != 0 || op->vals.err != 0) {
        http_respond_error(op->req, 500, "Internal error: the statement could not be built",
                           NULL);
        return;
    }
    rc = cass_query_run(&op->q);
    if (rc != 0) {
        cass_query_release(&op->q);
        api_respond_cass_error(op->req, rc, NULL);
    }
}

/* ---- the batch of a write -------------------------------------------------------------------- */

static void batch_send(struct doc_op *op);

/* Ends OP's batch: STATUS 0 answers the write's success, anything else its failure. */
static void
batch_end(struct doc_op *op, int status, const struct cql_error *err)
{
    struct doc_batch *b = &op->b;

    cass_query_release(&b->ins);
    cass_query_release(&b->del);
    if (status != 0) {
        api_respond_cass_error(op->req, status, err);
        return;
    }
    if (op->replace) {
        respond_id(op, 200);
        return;
    }
    docs_api_location(op->req, NULL, op->id, op->id_len);
    respond_id(op, 201);
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

static void send_reprepare(struct doc_op *op);

/* A PREPARE sent again after UNPREPARED answered; the ids do not change, so resend the batch. */
static void
on_reprepared(struct cass_req *creq, int status, const struct cass_resp *resp)
{
    struct doc_op *op = container_of(creq, struct doc_op, b.creq);
    struct cql_error err;

    if (status != 0) {
        batch_end(op, status, NULL);
    } else if (resp->opcode == CQL_OP_ERROR) {
        batch_end(op, error_of(resp, &err) ? E_SERVER : E_PROTOCOL, &err);
    } else if (resp->opcode != CQL_OP_RESULT) {
        batch_end(op, E_PROTOCOL, NULL);
    } else if (op->b.reprep_del) {
        op->b.reprep_del = false;
        send_reprepare(op);
    } else {
        batch_send(op);
    }
}

/* The writer of the batch's next request (BATCH or PREPARE), or NULL after ending the batch. */
static struct cql_wr *
batch_begin(struct doc_op *op, int16_t *stream)
{
    int rc = 0;
    struct cql_wr *w = cass_conn_begin(op->b.conn, &op->b.creq, stream, &rc);

    if (w == NULL) {
        batch_end(op, rc, NULL);
    }
    return w;
}

/* Queues the request written since batch_begin; CB gets its answer. */
static void
batch_commit(struct doc_op *op, cass_req_cb cb)
{
    int rc;

    op->b.creq.cb = cb;
    rc = cass_conn_commit(op->b.conn, &op->b.creq,
                          api_worker_of(op->req)->conf->request_timeout_ms);
    if (rc != 0) {
        batch_end(op, rc, NULL);
    }
}

/* Prepares the DELETE (when reprep_del) or the INSERT again on the batch's connection. */
static void
send_reprepare(struct doc_op *op)
{
    struct doc_batch *b = &op->b;
    struct cql_wr *text = b->reprep_del ? &b->del_cql : &b->ins_cql;
    struct cql_str ks = { NULL, 0 };
    struct cql_wr *w;
    int16_t stream;

    w = batch_begin(op, &stream);
    if (w != NULL) {
        (void)cql_req_prepare(w, cass_conn_version(b->conn), stream, (const char *)text->p,
                              text->len, ks);
        batch_commit(op, on_reprepared);
    }
}

static void
on_batch(struct cass_req *creq, int status, const struct cass_resp *resp)
{
    struct doc_op *op = container_of(creq, struct doc_op, b.creq);
    struct doc_batch *b = &op->b;
    struct cql_error err;

    if (status != 0) {
        batch_end(op, status, NULL);
        return;
    }
    if (resp->opcode == CQL_OP_RESULT) {
        batch_end(op, 0, NULL);
        return;
    }
    if (resp->opcode != CQL_OP_ERROR || !error_of(resp, &err)) {
        batch_end(op, E_PROTOCOL, NULL);
        return;
    }
    if (err.code == CQL_ERRCODE_UNPREPARED && b->reprepares < MAX_REPREPARES) {
        log_info("%s: a document's batch refers to statements the server forgot; preparing "
                 "them again", cass_conn_name(b->conn));
        b->reprepares++;
        b->reprep_del = op->replace;
        send_reprepare(op);
        return;
    }
    batch_end(op, E_SERVER, &err);
}

/* Sends the LOGGED BATCH of OP's statements, both prepared by now. */
static void
batch_send(struct doc_op *op)
{
    struct doc_batch *b = &op->b;
    struct cql_batch_stmt *stmts = arena_alloc(&op->req->arena, b->n * sizeof(*stmts));
    struct cql_query_params qp;
    struct cql_wr *w;
    int16_t stream;

    for (uint16_t i = 0; i < b->n; i++) {
        size_t end = i + 1 < b->n ? b->off[i + 1] : b->vals.len;
        bool del = op->replace && i == 0;

        memset(&stmts[i], 0, sizeof(stmts[i]));
        stmts[i].prepared = true;
        stmts[i].id = del ? b->del.prep->id : b->ins.prep->id;
        stmts[i].values.p = b->vals.p + b->off[i];
        stmts[i].values.len = end - b->off[i];
        stmts[i].values.count = b->count[i];
    }
    cql_query_params_init(&qp, CQL_CL_LOCAL_QUORUM);
    w = batch_begin(op, &stream);
    if (w != NULL) {
        (void)cql_req_batch(w, cass_conn_version(b->conn), stream, CQL_BATCH_LOGGED, stmts, b->n,
                            &qp);
        batch_commit(op, on_batch);
    }
}

/* One of the batch's statements is prepared (or failed to be); the last one sends the batch. */
static void
on_stmt_prepared(struct cass_query *q, const struct cass_result *res)
{
    struct doc_op *op = q->data;
    struct doc_batch *b = &op->b;

    if (res->status != 0 && b->status == 0) {
        b->status = res->status;
        docs_api_failure(op->req, res->status, &res->error, &b->fail);
    }
    if (--b->pending > 0) {
        return;
    }
    if (b->status != 0) {
        cass_query_release(&b->ins);
        cass_query_release(&b->del);
        docs_api_respond_failure(op->req, &b->fail);
        return;
    }
    batch_send(op);
}

/* Prepares TEXT through the cache into Q; counts it pending unless it is ready at once. */
static void
batch_prepare(struct doc_op *op, struct cass_query *q, const struct cql_wr *text)
{
    struct api_worker *aw = api_worker_of(op->req);
    struct doc_batch *b = &op->b;
    int rc;

    memset(q, 0, sizeof(*q));
    q->conn = b->conn;
    q->cache = &aw->pool.cache;
    q->cql = (const char *)text->p;
    q->cql_len = text->len;
    q->timeout_ms = aw->conf->request_timeout_ms;
    q->prepared_cb = on_stmt_prepared;
    q->data = op;
    rc = cass_query_prepare(q);
    if (rc == 0) {
        b->pending++;
    } else if (rc < 0 && b->status == 0) {
        b->status = rc;
        docs_api_failure(op->req, rc, NULL, &b->fail);
    }
}

/* Builds OP's statements and values, prepares them and sends the batch. */
static void
batch_start(struct http_req *req)
{
    struct doc_op *op = req->data;
    struct doc_batch *b = &op->b;
    int64_t ts = docs_api_now_us();
    uint8_t be[8];
    uint16_t i = 0;

    b->conn = api_conn(api_worker_of(req));
    if (b->conn == NULL) {
        api_respond_not_ready(req);
        return;
    }
    api_arena_wr(&b->ins_cql, &req->arena);
    WR_LIT(&b->ins_cql, "INSERT INTO ");
    docs_api_table_name(&b->ins_cql, &op->n);
    WR_LIT(&b->ins_cql, " (");
    doc_shred_columns(&b->ins_cql);
    WR_LIT(&b->ins_cql, ") VALUES (?");
    for (int k = 1; k < DOC_SHRED_NCOLS; k++) {
        WR_LIT(&b->ins_cql, ", ?");
    }
    if (op->ttl >= 0) {
        WR_LIT(&b->ins_cql, ") USING TTL ? AND TIMESTAMP ?");
    } else {
        WR_LIT(&b->ins_cql, ") USING TIMESTAMP ?");
    }

    b->n = (uint16_t)(op->rows.n + (op->replace ? 1 : 0));
    b->off = arena_alloc(&req->arena, b->n * sizeof(*b->off));
    b->count = arena_alloc(&req->arena, b->n * sizeof(*b->count));
    api_arena_wr(&b->vals, &req->arena);
    if (op->replace) {
        /* the old document goes a microsecond before the new one is written */
        api_arena_wr(&b->del_cql, &req->arena);
        WR_LIT(&b->del_cql, "DELETE FROM ");
        docs_api_table_name(&b->del_cql, &op->n);
        WR_LIT(&b->del_cql, " USING TIMESTAMP ? WHERE key = ?");
        b->off[0] = 0;
        b->count[0] = 2;
        cql_put_be64(be, (uint64_t)(ts - 1));
        cql_wr_bytes(&b->vals, be, 8);
        cql_wr_bytes(&b->vals, op->id, (int32_t)op->id_len);
        i = 1;
    }
    for (size_t r = 0; r < op->rows.n; r++, i++) {
        b->off[i] = b->vals.len;
        b->count[i] = doc_shred_bind(&b->vals, &op->rows.v[r], op->id, op->id_len, op->ttl, ts);
    }
    if (b->vals.err != 0 || b->ins_cql.err != 0 || b->del_cql.err != 0) {
        http_respond_error(req, 500, "Internal error: the statements could not be built", NULL);
        return;
    }
    b->pending = 1;                 /* held until both prepares are started */
    batch_prepare(op, &b->ins, &b->ins_cql);
    if (op->replace) {
        batch_prepare(op, &b->del, &b->del_cql);
    }
    on_stmt_prepared(&b->ins, &(struct cass_result){ .status = 0 });
}

/* ---- POST /{coll} and PUT /{coll}/{id} ------------------------------------------------------- */

/* The collection is there: shred the body, then check the role may write. */
static void
write_shred(struct doc_op *op)
{
    struct http_req *req = op->req;
    struct doc_shred_err err;

    if (doc_shred_json(op->body, NULL, &req->arena, &op->rows, &err) != 0) {
        http_respond_error_n(req, 400, err.desc, err.len, NULL);
        return;
    }
    if (op->rows.n + (op->replace ? 1 : 0) > DOCS_DOC_MAX_STATEMENTS) {
        http_respond_error(req, 400, "Request invalid: a document is written in one batch, "
                           "which holds at most 65535 statements (one per value).", NULL);
        return;
    }
    docs_api_need(req, AUTHZ_MODIFY, AUTHZ_TABLE, batch_start);
}

static void
on_write_collection_created(struct http_req *req, const struct docs_failure *fail)
{
    struct doc_op *op = req->data;
    const struct cass_meta_table *t;
    struct cass_meta *m;

    if (fail != NULL && fail->code != CQL_ERRCODE_ALREADY_EXISTS) {
        docs_api_respond_failure(req, fail);
        return;
    }
    if (docs_api_collection(req, &op->n, false, &m, &t) != DOCS_COLL_FOUND) {
        return;
    }
    cass_meta_unref(m);
    write_shred(op);
}

static void
write_create_collection(struct http_req *req)
{
    struct doc_op *op = req->data;

    docs_schema_create_collection(req, &op->n, on_write_collection_created);
}

/*
 * Reads a write's `ttl` and body into OP. Answers and returns -1 on failure: a ttl that is not
 * an integer is a 404 (the route does not take it); a body that is not JSON "Unable to process
 * JSON: ..."; then the bean validations together: a ttl below 1, a missing body.
 */
static int
write_validate(struct doc_op *op)
{
    struct http_req *req = op->req;
    struct cql_alloc a = arena_cql_alloc(&req->arena);
    const char *ttl = http_req_query(req, "ttl");
    struct docs_violations viol = { { NULL }, 0 };
    struct cql_json_node *root = NULL;
    struct cql_json_err err;
    bool empty = docs_api_body_empty(req);

    if (ttl != NULL && doc_shred_parse_int(ttl, strlen(ttl), &op->ttl) != 0) {
        http_respond_error(req, 404, "HTTP 404 Not Found", NULL);
        return -1;
    }
    if (!empty && cql_json_parse((const char *)req->body, req->body_len, CQL_JSON_DEEP, &a,
                                 &root, &err) != 0) {
        docs_api_fail(req, 400, "Unable to process JSON: ", err.detail, strlen(err.detail), ".");
        return -1;
    }
    if (ttl != NULL && op->ttl < 1) {
        docs_api_violation(&viol, "TTL value must be a positive integer");
    }
    if (empty) {
        docs_api_violation(&viol, "payload must not be empty");
    }
    if (docs_api_violations_respond(req, &viol)) {
        return -1;
    }
    op->body = root;
    return 0;
}

/* POST /{coll} (REPLACE false) and PUT /{coll}/{id}. */
static void
document_write(struct http_req *req, bool replace)
{
    struct doc_op *op = op_new(req);
    const struct cass_meta_table *t;
    struct cass_meta *m;
    uint8_t u[16];

    op->replace = replace;
    if (docs_api_names(req, true, &op->n) != 0 || (replace && id_of(op) != 0)
        || write_validate(op) != 0) {
        return;
    }
    if (!replace) {
        if (auth_uuid_v4(u) != 0) {
            http_respond_error(req, 500, "Internal error: no random bytes for a document id",
                               NULL);
            return;
        }
        auth_uuid_format(u, op->uuid);
        op->id = op->uuid;
        op->id_len = 36;
    }
    switch (docs_api_collection(req, &op->n, true, &m, &t)) {
    case DOCS_COLL_FOUND:
        cass_meta_unref(m);
        write_shred(op);
        return;
    case DOCS_COLL_MISSING:
        cass_meta_unref(m);
        docs_api_need(req, AUTHZ_CREATE, AUTHZ_KEYSPACE, write_create_collection);
        return;
    default:
        return;
    }
}

static void
document_create(struct http_req *req)
{
    document_write(req, false);
}

static void
document_replace(struct http_req *req)
{
    document_write(req, true);
}

/* ---- GET /{coll}/{id} ------------------------------------------------------------------------ */

static void read_page(struct http_req *req);

/* Answers the read once every page is in. */
static void
read_answer(struct doc_op *op)
{
    struct http_req *req = op->req;
    struct cql_wr body;
    struct jw j;
    int rc;

    if (op->nrows == 0) {
        docs_api_fail(req, 404, "A document with the id ", op->id, op->id_len,
                      " does not exist.");
        return;
    }
    http_body_init(&body);
    if (op->raw) {
        if (doc_shred_asm_write(&op->doc, &body) != 0 && body.err == 0) {
            body.err = E_INVALID;
        }
        http_respond_json(req, 200, &body);
        return;
    }
    jw_init(&j, &body);
    jw_object_begin(&j);
    jw_key(&j, "documentId");
    jw_string_n(&j, op->id, op->id_len);
    jw_key(&j, "data");
    if (jw_value(&j) != NULL) {
        rc = doc_shred_asm_write(&op->doc, &body);
        if (rc != 0) {
            jw_fail(&j, rc);
        }
    }
    jw_object_end(&j);
    if (jw_finish(&j) != 0 && body.err == 0) {
        body.err = E_INVALID;
    }
    http_respond_json(req, 200, &body);
}

static void
on_read_page(struct cass_query *q, const struct cass_result *res)
{
    struct doc_op *op = container_of(q, struct doc_op, q);
    struct cql_bytes cells[DOC_SHRED_NCELLS];
    const struct cql_rows_meta *meta = &res->result.meta;
    struct doc_shred_in in;
    struct cql_rd rows;

    if (res->status != 0) {
        cass_query_release(q);
        api_respond_cass_error(op->req, res->status, &res->error);
        return;
    }
    if (res->result.kind != CQL_RESULT_ROWS || res->ncols != DOC_SHRED_NCELLS) {
        cass_query_release(q);
        http_respond_error(op->req, 500, "Internal error: unexpected columns reading a document",
                           NULL);
        return;
    }
    cql_rd_init(&rows, res->result.rows, res->result.rows_len);
    for (int32_t i = 0; i < res->result.rows_count; i++) {
        if (cql_rows_next(&rows, DOC_SHRED_NCELLS, cells) != 0) {
            cass_query_release(q);
            http_respond_error(op->req, 500, "Internal error: a malformed row reading a document",
                               NULL);
            return;
        }
        doc_shred_cells(cells, &in);
        op->nrows++;
        if (doc_shred_fields_match(&op->fields, &in)) {
            doc_shred_asm_row(&op->doc, &in);
        }
    }
    op->page.len = CQL_NULL;
    if ((meta->flags & CQL_MF_HAS_MORE_PAGES) != 0 && meta->paging_state.len > 0) {
        op->page.p = arena_memdup(&op->req->arena, meta->paging_state.p,
                                  (size_t)meta->paging_state.len);
        op->page.len = meta->paging_state.len;
    }
    cass_query_release(q);
    if (op->page.len != CQL_NULL) {
        read_page(op->req);
        return;
    }
    read_answer(op);
}

/* Asks for the next page of the document's rows (the first one when there is no state). */
static void
read_page(struct http_req *req)
{
    struct doc_op *op = req->data;

    if (!stmt_setup(op, on_read_page)) {
        return;
    }
    op->q.params.page_size = DOCS_DOC_PAGE_ROWS;
    op->q.params.paging_state = op->page;
    stmt_run(op);
}

static void
document_get(struct http_req *req)
{
    struct doc_op *op = op_new(req);
    const char *size = http_req_query(req, "page-size");
    const struct cass_meta_table *t;
    struct doc_shred_err err;
    struct cass_meta *m;
    int32_t n;

    if (docs_api_names(req, true, &op->n) != 0 || id_of(op) != 0) {
        return;
    }
    if (size != NULL && doc_shred_parse_int(size, strlen(size), &n) != 0) {
        http_respond_error(req, 404, "HTTP 404 Not Found", NULL);
        return;
    }
    if (size != NULL && n < 1) {
        http_respond_error(req, 400, "Request invalid: the minimum number of results to return "
                           "is one.", NULL);
        return;
    }
    if (size != NULL || http_req_query(req, "where") != NULL) {
        docs_search_document(req, &op->n, op->id, op->id_len, size != NULL ? n : -1);
        return;
    }
    op->raw = api_raw(req);
    if (docs_api_collection(req, &op->n, false, &m, &t) != DOCS_COLL_FOUND) {
        return;
    }
    cass_meta_unref(m);
    op->fields_arg = http_req_query(req, "fields");
    if (op->fields_arg != NULL
        && doc_shred_fields_parse(op->fields_arg, strlen(op->fields_arg), &req->arena,
                                  &op->fields, &err) != 0) {
        http_respond_error_n(req, 400, err.desc, err.len, NULL);
        return;
    }
    doc_shred_asm_init(&op->doc, &req->arena);
    api_arena_wr(&op->cql, &req->arena);
    WR_LIT(&op->cql, "SELECT ");
    doc_shred_columns(&op->cql);
    WR_LIT(&op->cql, ", WRITETIME(leaf) FROM ");
    docs_api_table_name(&op->cql, &op->n);
    WR_LIT(&op->cql, " WHERE key = ?");
    api_arena_wr(&op->vals, &req->arena);
    cql_wr_bytes(&op->vals, op->id, (int32_t)op->id_len);
    op->nvals = 1;
    docs_api_need(req, AUTHZ_SELECT, AUTHZ_TABLE, read_page);
}

/* ---- DELETE /{coll}/{id} --------------------------------------------------------------------- */

static void
on_deleted(struct cass_query *q, const struct cass_result *res)
{
    struct doc_op *op = container_of(q, struct doc_op, q);

    cass_query_release(q);
    if (res->status != 0) {
        api_respond_cass_error(op->req, res->status, &res->error);
        return;
    }
    http_respond(op->req, 204, NULL, NULL, 0);
}

static void
delete_run(struct http_req *req)
{
    struct doc_op *op = req->data;
    uint8_t be[8];

    api_arena_wr(&op->cql, &req->arena);
    WR_LIT(&op->cql, "DELETE FROM ");
    docs_api_table_name(&op->cql, &op->n);
    WR_LIT(&op->cql, " USING TIMESTAMP ? WHERE key = ?");
    api_arena_wr(&op->vals, &req->arena);
    cql_put_be64(be, (uint64_t)docs_api_now_us());
    cql_wr_bytes(&op->vals, be, 8);
    cql_wr_bytes(&op->vals, op->id, (int32_t)op->id_len);
    op->nvals = 2;
    if (stmt_setup(op, on_deleted)) {
        stmt_run(op);
    }
}

static void
document_delete(struct http_req *req)
{
    struct doc_op *op = op_new(req);
    const struct cass_meta_table *t;
    struct cass_meta *m;

    if (docs_api_names(req, true, &op->n) != 0 || id_of(op) != 0
        || docs_api_collection(req, &op->n, false, &m, &t) != DOCS_COLL_FOUND) {
        return;
    }
    cass_meta_unref(m);
    docs_api_need(req, AUTHZ_MODIFY, AUTHZ_TABLE, delete_run);
}

/* ---- routes ---------------------------------------------------------------------------------- */

/* on_FN checks the token, then runs FN; each FN checks the grants it needs itself. */
#define TOKEN(fn)                                                                                  \
    static void on_##fn(struct http_req *req)                                                      \
    {                                                                                              \
        auth_check_token(req, fn);                                                                 \
    }

TOKEN(document_create)
TOKEN(document_replace)
TOKEN(document_get)
TOKEN(document_delete)

int
docs_doc_add_routes(struct router *r)
{
    int rc = 0;

    rc |= router_add(r, HTTP_M(POST), DOCUMENTS, on_document_create, "docs_document_create");
    rc |= router_add(r, HTTP_M(PUT), DOCUMENTS "/{id}", on_document_replace,
                     "docs_document_replace");
    rc |= router_add(r, HTTP_M(GET), DOCUMENTS "/{id}", on_document_get, "docs_document_get");
    rc |= router_add(r, HTTP_M(DELETE), DOCUMENTS "/{id}", on_document_delete,
                     "docs_document_delete");
    return rc != 0 ? E_INVALID : 0;
}
