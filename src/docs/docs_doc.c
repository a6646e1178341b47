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
 *                          +--found----------------------------------------------+
 *             --> JSON schema (4) --> shred --> grant MODIFY --> BATCH (docs_batch) --> 201 / 200
 *     read:   validate --> collection --> fields --> grant SELECT --> pages (docs_read)
 *             --> the value at the path --> 200 / 404
 *     delete: collection --> grant MODIFY --> DELETE (of the path, if any) --> 204
 */
#include "docs/docs_doc.h"

#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/auth.h"
#include "api/cql_json.h"
#include "cass/cass_query.h"
#include "cql_resp.h"
#include "cql_value.h"
#include "docs/doc_shred.h"
#include "docs/docs_api.h"
#include "docs/docs_batch.h"
#include "docs/docs_read.h"
#include "docs/docs_schema.h"
#include "docs/docs_search.h"

/* Appends the string literal S to the writer W. */
#define WR_LIT(w, s) cql_wr_raw((w), (s), sizeof(s) - 1)

#define DOCUMENTS "/v2/namespaces/{ks}/collections/{t}"

/* One document request (in the request's arena, at req->data). */
struct doc_op {
    struct docs_head            head;       /* first: docs_api_ensure_collection's */
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
    struct docs_path            path;       /* read, delete: the path below the root, or n 0 */
    struct docs_read            rd;         /* read */
    struct cass_query           q;          /* delete: the statement */
    struct cql_wr               cql;        /* its text (arena) */
    struct cql_wr               vals;       /* its values (arena) */
    uint16_t                    nvals;      /* how many */
    struct docs_batch           b;          /* writes */
};

static struct doc_op *
op_new(struct http_req *req)
{
    struct doc_op *op = arena_alloc(&req->arena, sizeof(*op));

    memset(op, 0, sizeof(*op));
    op->req = req;
    op->ttl = -1;
    req->data = op;
    return op;
}

/* ---- POST /{coll} and PUT /{coll}/{id} ------------------------------------------------------- */

static void
on_written(struct docs_batch *b, int status, const struct cql_error *err)
{
    struct doc_op *op = b->data;

    if (status != 0) {
        api_respond_cass_error(op->req, status, err);
        return;
    }
    if (!op->replace) {
        docs_api_location(op->req, NULL, op->id, op->id_len);
    }
    docs_api_respond_id(op->req, op->replace ? 200 : 201, op->id, op->id_len,
                        docs_batch_profile(&op->b, NULL));
}

/* The grant is there: one batch, the old document deleted first on PUT. */
static void
write_run(struct http_req *req)
{
    struct doc_op *op = req->data;

    docs_batch_start(&op->b, &op->rows, op->ttl, on_written);
}

/* The collection is there: validate (its JSON schema) and shred the body, then the grant. */
static void
write_shred(struct http_req *req)
{
    struct doc_op *op = req->data;

    if (docs_schema_validate(req, docs_schema_json_schema(req, &op->n), op->body) != 0) {
        return;
    }
    if (docs_batch_whole(&op->b, req, &op->n, op->id, op->id_len, docs_api_now_us(), op->body,
                         op->replace, &op->rows) != 0) {
        return;
    }
    op->b.data = op;
    docs_api_need(req, AUTHZ_MODIFY, AUTHZ_TABLE, write_run);
}

/* POST /{coll} (REPLACE false) and PUT /{coll}/{id}. */
static void
document_write(struct http_req *req, bool replace)
{
    struct doc_op *op = op_new(req);
    uint8_t u[16];

    op->replace = replace;
    if (docs_api_names(req, true, &op->n) != 0
        || (replace && docs_api_id(req, &op->id, &op->id_len) != 0)
        || docs_api_write_body(req, "ttl", "payload must not be empty", &op->ttl, &op->body) != 0) {
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
    docs_api_ensure_collection(req, &op->n, write_shred);
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

/* Answers the read once every page is in: the value at the path, wrapped unless raw. */
static void
on_read(struct docs_read *r, int status, const struct cql_error *err)
{
    struct doc_op *op = container_of(r, struct doc_op, rd);
    struct http_req *req = op->req;
    struct cql_str prof = { NULL, 0 };
    struct cql_wr val;

    if (docs_read_value(r, status, err, op->id, op->id_len, &op->path, &val) != 0) {
        return;
    }
    if (docs_api_profile_wanted(req)) {
        struct docs_prof_step st;

        docs_read_prof_step(r, &st);
        prof = docs_api_profile(req, &st, 1);
    }
    docs_api_respond_data(req, op->id, op->id_len, op->raw, (const char *)val.p, val.len,
                          prof.p != NULL ? &prof : NULL);
}

static void
read_run(struct http_req *req)
{
    struct doc_op *op = req->data;

    docs_read_start(&op->rd, req, &op->n, op->id, op->id_len, op->path.seg, op->path.n,
                    &op->fields, on_read);
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

    if (docs_api_names(req, true, &op->n) != 0 || docs_api_id(req, &op->id, &op->id_len) != 0
        || docs_api_path(req, true, false, &op->path) != 0) {
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
        docs_search_document(req, &op->n, op->id, op->id_len, op->path.seg, op->path.n,
                             size != NULL ? n : -1);
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
    docs_api_need(req, AUTHZ_SELECT, AUTHZ_TABLE, read_run);
}

/* ---- DELETE /{coll}/{id}[/{path}]: the partition, or the subtree at the path (D1, D2) --------------------------------------------------------------------- */

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
    char buf[24];
    uint8_t be[8];

    api_arena_wr(&op->cql, &req->arena);
    WR_LIT(&op->cql, "DELETE FROM ");
    docs_api_table_name(&op->cql, &op->n);
    WR_LIT(&op->cql, " USING TIMESTAMP ? WHERE key = ?");
    api_arena_wr(&op->vals, &req->arena);
    cql_put_be64(be, (uint64_t)docs_api_now_us());
    cql_wr_bytes(&op->vals, be, 8);
    cql_wr_bytes(&op->vals, op->id, (int32_t)op->id_len);
    for (size_t i = 0; i < op->path.n; i++) {
        int len = snprintf(buf, sizeof(buf), " AND p%zu = ?", i);

        cql_wr_raw(&op->cql, buf, (size_t)len);
        cql_wr_bytes(&op->vals, op->path.seg[i].p, (int32_t)op->path.seg[i].len);
    }
    op->nvals = (uint16_t)(2 + op->path.n);
    docs_api_run(req, &op->q, &op->cql, &op->vals, op->nvals, on_deleted);
}

static void
document_delete(struct http_req *req)
{
    struct doc_op *op = op_new(req);
    const struct cass_meta_table *t;
    struct cass_meta *m;

    if (docs_api_names(req, true, &op->n) != 0 || docs_api_id(req, &op->id, &op->id_len) != 0
        || docs_api_path(req, false, false, &op->path) != 0
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
    rc |= router_add(r, HTTP_M(GET), DOCUMENTS "/{id}/{path...}", on_document_get,
                     "docs_document_get_path");
    rc |= router_add(r, HTTP_M(DELETE), DOCUMENTS "/{id}", on_document_delete,
                     "docs_document_delete");
    rc |= router_add(r, HTTP_M(DELETE), DOCUMENTS "/{id}/{path...}", on_document_delete,
                     "docs_document_delete_path");
    return rc != 0 ? E_INVALID : 0;
}
