/*
 * docs_write.c: writes below a document's root, PATCH, the built-in functions and the batch
 * write of the Document API (see docs_write.h).
 *
 * Every handler keeps its state in a struct wr_op in the request's arena (req->data) and checks
 * in Stargate's order: the token, the route's names and path, the query and body, the namespace
 * and collection (writes create a missing one), the shredding, the role's grant, then the
 * statements:
 *
 *     PUT   .../{id}/{path}  [ttl-auto: SELECT TTL] --> BATCH: subtree DELETE @ts-1, INSERTs @ts
 *     PATCH .../{id}[/{path}] [ttl-auto: SELECT TTL] --> BATCH: DELETE the body's keys, the value
 *                            at the path and the array elements under it @ts-1, INSERTs @ts
 *     POST  .../{id}[/{path}]/function --> read the path --> $push / $pop / $set
 *                            --> SELECT TTL --> BATCH as above
 *     POST  .../{coll}/batch --> one BATCH per document, all at once --> 202
 */
#include "docs/docs_write.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "api/auth.h"
#include "api/cql_json.h"
#include "cass/cass_query.h"
#include "core/json_w.h"
#include "cql_resp.h"
#include "docs/doc_shred.h"
#include "docs/docs_api.h"
#include "docs/docs_batch.h"
#include "docs/docs_read.h"
#include "docs/docs_schema.h"

/* Appends the string literal S to the writer W. */
#define WR_LIT(w, s) cql_wr_raw((w), (s), sizeof(s) - 1)

#define DOCUMENTS "/v2/namespaces/{ks}/collections/{t}"

/* What a request does. */
enum wr_kind {
    WR_PUT = 0,                     /* PUT at a path */
    WR_PATCH,                       /* PATCH at the root or a path */
    WR_FUNCTION,                    /* $push, $pop or $set */
    WR_BATCH,                       /* the batch write */
};

/* The built-in functions (1.4). */
enum wr_fn {
    FN_PUSH = 0,                    /* append value to the array at the path */
    FN_POP,                         /* remove the array's last element */
    FN_SET,                         /* replace each dotted path of value's keys */
};

/* One document of a batch write. */
struct wr_doc {
    struct docs_batch      b;       /* its batch */
    const char            *id;      /* its id (arena) */
    size_t                 id_len;  /* its length */
    struct doc_shred_rows  rows;    /* its rows */
    struct wr_op          *op;      /* the request */
};

/* One request (in the request's arena, at req->data). */
struct wr_op {
    struct docs_head            head;       /* first: docs_api_ensure_collection's */
    struct http_req            *req;        /* the request */
    struct docs_names           n;          /* namespace and collection */
    uint8_t                     kind;       /* enum wr_kind */
    const char                 *id;         /* the document id */
    size_t                      id_len;     /* its length */
    struct docs_path            path;       /* the path below the root (n 0 for none) */
    const struct doc_shred_seg *prefix;     /* it as a shredding prefix, or NULL */
    const struct cql_json_node *body;       /* the parsed body */
    bool                        ttl_auto;   /* ttl-auto=true (functions always) */
    int32_t                     ttl;        /* TTL of the rows written: 0 unless ttl-auto */
    bool                        raw;        /* functions: raw=true */
    uint8_t                     fn;         /* functions: enum wr_fn */
    const struct cql_json_node *value;      /* functions: the body's value, or NULL */
    struct cql_str              data;       /* functions: the answer's data (JSON text) */
    struct doc_shred_rows       rows;       /* the rows to insert */
    struct docs_batch           b;          /* the write */
    struct docs_read            rd;         /* functions: the value at the path */
    struct cass_query           q;          /* SELECT TTL, or the DELETE of a path */
    struct cql_wr               cql;        /* its text (arena) */
    struct cql_wr               vals;       /* its values (arena) */
    uint16_t                    nvals;      /* how many */
    int32_t                     batch_ttl;  /* batch write: ttl, or -1 */
    const char                 *id_path;    /* batch write: the id-path parameter, or NULL */
    struct wr_doc              *docs;       /* batch write: the documents */
    size_t                      ndocs;      /* how many */
    size_t                      pending;    /* batch write: batches not ended yet */
    struct cql_str             *done_ids;   /* batch write: ids written, in completion order */
    size_t                      ndone;      /* how many */
};

static struct wr_op *
op_new(struct http_req *req, enum wr_kind kind)
{
    struct wr_op *op = arena_alloc(&req->arena, sizeof(*op));

    memset(op, 0, sizeof(*op));
    op->req = req;
    op->kind = (uint8_t)kind;
    op->batch_ttl = -1;
    req->data = op;
    return op;
}

/* Whether query parameter NAME reads as true, as Java's Boolean.parseBoolean reads it. */
static bool
query_true(struct http_req *req, const char *name)
{
    const char *v = http_req_query(req, name);

    return v != NULL && strcasecmp(v, "true") == 0;
}

/* OP's path as the parent chain doc_shred_json prefixes rows with (NULL for the root). */
static const struct doc_shred_seg *
prefix_of(struct wr_op *op, const struct cql_str *seg, size_t n)
{
    const struct doc_shred_seg *parent = NULL;

    for (size_t i = 0; i < n; i++) {
        struct doc_shred_seg *s = arena_alloc(&op->req->arena, sizeof(*s));

        s->parent = parent;
        s->p = seg[i].p;
        s->len = seg[i].len;
        s->depth = (uint32_t)(i + 1);
        parent = s;
    }
    return parent;
}

/* ---- the write of one document --------------------------------------------------------------- */

static void
on_written(struct docs_batch *b, int status, const struct cql_error *err)
{
    struct wr_op *op = b->data;
    struct docs_prof_step steps[2];
    struct cql_str prof = { NULL, 0 };

    if (status != 0) {
        api_respond_cass_error(op->req, status, err);
        return;
    }
    if (op->kind != WR_FUNCTION) {
        docs_api_respond_id(op->req, 200, op->id, op->id_len,
                            docs_batch_profile(b, op->kind == WR_PATCH ? "ASYNC PATCH" : NULL));
        return;
    }
    if (docs_api_profile_wanted(op->req)) {
        size_t n = 0;

        if (op->fn != FN_SET) {
            docs_read_prof_step(&op->rd, &steps[n++]);
        }
        docs_batch_prof_step(b, op->fn == FN_SET ? "ASYNC SET" : "ASYNC UPDATE", &steps[n++]);
        prof = docs_api_profile(op->req, steps, n);
    }
    docs_api_respond_data(op->req, op->id, op->id_len, op->raw, op->data.p, op->data.len,
                          prof.p != NULL ? &prof : NULL);
}

/* Sends OP's batch: its deletes are in OP->b already. */
static void
write_send(struct wr_op *op)
{
    docs_batch_start(&op->b, &op->rows, op->ttl, on_written);
}

/* SELECT TTL(leaf) answered: the first row's TTL is the write's (0 when none). */
static void
on_ttl(struct cass_query *q, const struct cass_result *res)
{
    struct wr_op *op = container_of(q, struct wr_op, q);
    struct cql_bytes cells[3];
    struct cql_rd rows;

    if (res->status != 0) {
        cass_query_release(q);
        api_respond_cass_error(op->req, res->status, &res->error);
        return;
    }
    op->ttl = 0;
    if (res->result.kind == CQL_RESULT_ROWS && res->ncols == 3 && res->result.rows_count > 0) {
        cql_rd_init(&rows, res->result.rows, res->result.rows_len);
        if (cql_rows_next(&rows, 3, cells) == 0 && cells[1].len == 4) {
            op->ttl = (int32_t)cql_be32(cells[1].p);
        }
    }
    cass_query_release(q);
    write_send(op);
}

/*
 * The role may write: with ttl-auto the document's current TTL is read first (2.4), as
 * Stargate's `SELECT key, TTL(leaf), WRITETIME(leaf) ... WHERE key = ?` reads it.
 */
static void
write_run(struct http_req *req)
{
    struct wr_op *op = req->data;

    if (!op->ttl_auto) {
        write_send(op);
        return;
    }
    api_arena_wr(&op->cql, &req->arena);
    WR_LIT(&op->cql, "SELECT key, TTL(leaf), WRITETIME(leaf) FROM ");
    docs_api_table_name(&op->cql, &op->n);
    WR_LIT(&op->cql, " WHERE key = ? LIMIT 1");
    api_arena_wr(&op->vals, &req->arena);
    cql_wr_bytes(&op->vals, op->id, (int32_t)op->id_len);
    op->nvals = 1;
    docs_api_run(req, &op->q, &op->cql, &op->vals, op->nvals, on_ttl);
}

/* Checks the batch's size, then the role's grant, then writes. */
static void
write_checked(struct wr_op *op)
{
    if (!docs_batch_fits(&op->b, &op->rows)) {
        http_respond_error(op->req, 400, DOCS_BATCH_TOO_MANY_ROWS, NULL);
        return;
    }
    docs_api_need(op->req, AUTHZ_MODIFY, AUTHZ_TABLE, write_run);
}

/* ---- PUT .../{id}/{path} and PATCH .../{id}[/{path}] ---------------------------------------- */

/*
 * The first-level keys of a PATCH body under OP's path, in their stored form, from the shredded
 * rows (a key repeated in the body is one key). Returns how many, the keys in *KEYS.
 */
static size_t
patch_keys(struct wr_op *op, struct cql_str **keys)
{
    struct cql_str path[DOC_SHRED_DEPTH];
    struct cql_str *k = arena_alloc(&op->req->arena, (op->rows.n + 1) * sizeof(*k));
    size_t n = 0;

    for (size_t r = 0; r < op->rows.n; r++) {
        size_t len = doc_shred_path(&op->rows.v[r], path);
        struct cql_str key;
        bool seen = false;

        if (len <= op->path.n) {
            continue;
        }
        key = path[op->path.n];
        for (size_t i = 0; i < n && !seen; i++) {
            seen = k[i].len == key.len && memcmp(k[i].p, key.p, key.len) == 0;
        }
        if (!seen) {
            k[n++] = key;
        }
    }
    *keys = k;
    return n;
}

/*
 * The collection is there: with a JSON schema, a write below the root is refused and a PATCH of
 * the root validates its body alone (4); then shred the body under the path, then the
 * statements (2.4, 2.5).
 */
static void
update_shred(struct http_req *req)
{
    struct wr_op *op = req->data;
    struct doc_shred_err err;
    struct cql_str *keys;
    size_t nkeys;

    if (op->path.n > 0 ? docs_schema_partial(req, &op->n) != 0
                       : docs_schema_validate(req, docs_schema_json_schema(req, &op->n),
                                              op->body) != 0) {
        return;
    }
    op->prefix = prefix_of(op, op->path.seg, op->path.n);
    if (doc_shred_json(op->body, op->prefix, &req->arena, &op->rows, &err) != 0) {
        http_respond_error_n(req, 400, err.desc, err.len, NULL);
        return;
    }
    docs_batch_init(&op->b, req, &op->n, op->id, op->id_len, docs_api_now_us());
    op->b.data = op;
    if (op->kind == WR_PUT) {
        docs_batch_del_subtree(&op->b, op->path.seg, op->path.n);
    } else {
        nkeys = patch_keys(op, &keys);
        if (nkeys > 0) {
            docs_batch_del_keys(&op->b, op->path.seg, op->path.n, keys, nkeys);
        }
        docs_batch_del_exact(&op->b, op->path.seg, op->path.n);
        docs_batch_del_array(&op->b, op->path.seg, op->path.n);
    }
    write_checked(op);
}

/*
 * PUT at a path and PATCH: the names, the id, the path (as written: only "[n]" is padded), the
 * body, then PATCH's own rules (an array or an empty object is refused; a primitive only below
 * the root, which doc_shred_json checks).
 */
static void
update(struct http_req *req, enum wr_kind kind)
{
    struct wr_op *op = op_new(req, kind);

    if (docs_api_names(req, true, &op->n) != 0 || docs_api_id(req, &op->id, &op->id_len) != 0
        || docs_api_path(req, false, false, &op->path) != 0
        || docs_api_write_body(req, NULL, "payload must not be empty", NULL, &op->body) != 0) {
        return;
    }
    op->ttl_auto = query_true(req, "ttl-auto");
    if (kind == WR_PATCH && op->body->kind == CQL_JSON_ARRAY) {
        http_respond_error(req, 400, "A patch operation must be done with a JSON object, not an "
                           "array.", NULL);
        return;
    }
    if (kind == WR_PATCH && op->body->kind == CQL_JSON_OBJECT && op->body->n == 0) {
        http_respond_error(req, 400, "A patch operation must be done with a non-empty JSON "
                           "object.", NULL);
        return;
    }
    docs_api_ensure_collection(req, &op->n, update_shred);
}

static void
document_put_path(struct http_req *req)
{
    update(req, WR_PUT);
}

static void
document_patch(struct http_req *req)
{
    update(req, WR_PATCH);
}

/* ---- POST .../{id}[/{path}]/function --------------------------------------------------------- */

/* Answers 400 "<HEAD><json>." */
static void
fail_with_json(struct wr_op *op, const char *head, struct cql_str json)
{
    docs_api_fail(op->req, 400, head, json.p, json.len, ".");
}

/* A new array node: the elements of A less the last DROP, then EXTRA unless it is NULL. */
static struct cql_json_node *
array_of(struct wr_op *op, const struct cql_json_node *a, const struct cql_json_node *extra,
         size_t drop)
{
    struct cql_json_node *arr = arena_alloc(&op->req->arena, sizeof(*arr));
    struct cql_json_node **tail = &arr->child;
    size_t keep = (a != NULL ? a->n : 0) - drop;
    const struct cql_json_node *e = a != NULL ? a->child : NULL;

    memset(arr, 0, sizeof(*arr));
    arr->kind = CQL_JSON_ARRAY;
    for (size_t i = 0; i < keep && e != NULL; i++, e = e->next) {
        struct cql_json_node *c = arena_alloc(&op->req->arena, sizeof(*c));

        *c = *e;
        c->next = NULL;
        *tail = c;
        tail = &c->next;
        arr->n++;
    }
    if (extra != NULL) {
        struct cql_json_node *c = arena_alloc(&op->req->arena, sizeof(*c));

        *c = *extra;
        c->next = NULL;
        c->name = NULL;
        c->name_len = 0;
        *tail = c;
        arr->n++;
    }
    return arr;
}

/* NODE as compact JSON (arena). */
static struct cql_str
json_text(struct wr_op *op, const struct cql_json_node *node)
{
    struct cql_wr w;

    api_arena_wr(&w, &op->req->arena);
    if (cql_json_write(&w, node) != 0 || w.err != 0) {
        return (struct cql_str){ "null", 4 };
    }
    return (struct cql_str){ (const char *)w.p, w.len };
}

/* $push and $pop: the array at the path, read; the new one replaces it (as PUT at the path). */
static void
function_array(struct wr_op *op, const struct cql_json_node *old)
{
    static const struct cql_json_node null_node = { .kind = CQL_JSON_NULL };
    const struct cql_json_node *last = NULL;
    struct cql_json_node *arr;

    if (op->fn == FN_PUSH) {
        arr = array_of(op, old, op->value != NULL ? op->value : &null_node, 0);
        op->data = json_text(op, arr);
    } else {
        for (last = old->child; last != NULL && last->next != NULL; last = last->next) {
        }
        arr = array_of(op, old, NULL, 1);
        op->data = json_text(op, last);
    }
    op->body = arr;
    op->prefix = prefix_of(op, op->path.seg, op->path.n);
    docs_batch_init(&op->b, op->req, &op->n, op->id, op->id_len, docs_api_now_us());
    op->b.data = op;
    docs_batch_del_subtree(&op->b, op->path.seg, op->path.n);
}

/*
 * $set: each key of the value object is a dotted path below OP's path (escapes kept as written,
 * "[n]" padded); its subtree is deleted and the key's value written there, as PUT at that path
 * without ttl-auto does. Stargate writes each key in a batch of its own; here they share one.
 * The answer's data is an empty object, as Stargate's SetFunction gives it.
 */
static int
function_set(struct wr_op *op)
{
    struct http_req *req = op->req;
    size_t total = 0;
    struct doc_shred_rows *parts;
    size_t np = 0;
    struct doc_shred_err err;

    if (op->value == NULL || op->value->kind != CQL_JSON_OBJECT || op->value->n == 0) {
        http_respond_error(req, 400, "The $set operation requires a non-empty JSON object of "
                           "paths and values.", NULL);
        return -1;
    }
    docs_batch_init(&op->b, req, &op->n, op->id, op->id_len, docs_api_now_us());
    op->b.data = op;
    parts = arena_alloc(&req->arena, op->value->n * sizeof(*parts));
    for (const struct cql_json_node *m = op->value->child; m != NULL; m = m->next, np++) {
        struct cql_str seg[DOC_SHRED_DEPTH];
        size_t n = op->path.n;
        size_t i = 0;

        memcpy(seg, op->path.seg, n * sizeof(seg[0]));
        while (i <= m->name_len) {
            size_t j = i;

            while (j < m->name_len && !(m->name[j] == '.' && (j == 0 || m->name[j - 1] != '\\'))) {
                j++;
            }
            if (n == DOC_SHRED_DEPTH) {
                http_respond_error(req, 400, "Max depth of 64 exceeded.", NULL);
                return -1;
            }
            if (doc_shred_path_seg(&req->arena, (struct cql_str){ m->name + i, j - i }, false,
                                   &seg[n], &err) != 0) {
                http_respond_error_n(req, 400, err.desc, err.len, NULL);
                return -1;
            }
            n++;
            i = j + 1;
        }
        docs_batch_del_subtree(&op->b, seg, n);
        if (doc_shred_json(m, prefix_of(op, seg, n), &req->arena, &parts[np], &err) != 0) {
            http_respond_error_n(req, 400, err.desc, err.len, NULL);
            return -1;
        }
        total += parts[np].n;
    }
    op->rows.v = arena_alloc(&req->arena, (total + 1) * sizeof(*op->rows.v));
    op->rows.n = 0;
    for (size_t k = 0; k < np; k++) {
        memcpy(op->rows.v + op->rows.n, parts[k].v, parts[k].n * sizeof(*op->rows.v));
        op->rows.n += parts[k].n;
    }
    op->rows.cap = total + 1;
    op->data = (struct cql_str){ "{}", 2 };
    op->ttl_auto = false;
    return 0;
}

/* The document (or its path) is read: apply the function, then write like PUT at the path. */
static void
on_function_read(struct docs_read *r, int status, const struct cql_error *err)
{
    struct wr_op *op = container_of(r, struct wr_op, rd);
    struct http_req *req = op->req;
    struct cql_alloc a = arena_cql_alloc(&req->arena);
    struct cql_json_node *old = NULL;
    struct cql_json_err jerr;
    struct doc_shred_err serr;
    struct cql_wr val;

    if (docs_read_value(r, status, err, op->id, op->id_len, &op->path, &val) != 0) {
        return;
    }
    if (cql_json_parse((const char *)val.p, val.len, CQL_JSON_DEEP, &a, &old, &jerr) != 0) {
        http_respond_error(req, 500, "Internal error: the document read back is not JSON", NULL);
        return;
    }
    if (old->kind != CQL_JSON_ARRAY) {
        fail_with_json(op, op->fn == FN_PUSH ? "The path provided to push to has no array, found "
                                             : "The path provided to pop from has no array, found ",
                       (struct cql_str){ (const char *)val.p, val.len });
        return;
    }
    if (op->fn == FN_POP && old->n == 0) {
        http_respond_error(req, 400, "No data available to pop.", NULL);
        return;
    }
    function_array(op, old);
    if (doc_shred_json(op->body, op->prefix, &req->arena, &op->rows, &serr) != 0) {
        http_respond_error_n(req, 400, serr.desc, serr.len, NULL);
        return;
    }
    write_checked(op);
}

static void
function_read(struct http_req *req)
{
    struct wr_op *op = req->data;

    docs_read_start(&op->rd, req, &op->n, op->id, op->id_len, op->path.seg, op->path.n, NULL,
                    on_function_read);
}

/* The role may write; $push and $pop must read the document too, $set writes blind. */
static void
function_granted(struct http_req *req)
{
    struct wr_op *op = req->data;

    if (op->fn != FN_SET) {
        docs_api_need(req, AUTHZ_SELECT, AUTHZ_TABLE, function_read);
    } else if (function_set(op) == 0) {
        write_checked(op);
    }
}

/*
 * POST .../{id}/{path...}: only ".../function" is a route (1.4); the path before it may be empty.
 * The body is {"operation": "$push" | "$pop" | "$set", "value": ...}.
 */
static void
document_function(struct http_req *req)
{
    static const char *const names[] = { "$push", "$pop", "$set" };
    struct wr_op *op = op_new(req, WR_FUNCTION);
    const struct router_param *raw = http_req_param_raw(req, "path");
    const struct cql_json_node *operation = NULL;
    const struct cass_meta_table *t;
    struct cass_meta *m;
    size_t i;

    if (raw == NULL || raw->len < 8 || memcmp(raw->p + raw->len - 8, "function", 8) != 0
        || (raw->len > 8 && raw->p[raw->len - 9] != '/')) {
        http_respond_error(req, 405, "HTTP 405 Method Not Allowed", NULL);
        return;
    }
    if (docs_api_names(req, true, &op->n) != 0 || docs_api_id(req, &op->id, &op->id_len) != 0
        || docs_api_path(req, true, true, &op->path) != 0
        || docs_api_write_body(req, NULL, "payload not provided", NULL, &op->body) != 0) {
        return;
    }
    if (op->body->kind == CQL_JSON_OBJECT) {
        operation = cql_json_get(op->body, "operation", 9);
        op->value = cql_json_get(op->body, "value", 5);
    }
    for (i = 0; i < ARRAY_SIZE(names); i++) {
        if (operation != NULL && operation->kind == CQL_JSON_STRING
            && operation->len == strlen(names[i])
            && memcmp(operation->s, names[i], operation->len) == 0) {
            break;
        }
    }
    if (i == ARRAY_SIZE(names)) {
        http_respond_error(req, 400, "Request invalid: available built-in functions are [$pop, "
                           "$push, $set].", NULL);
        return;
    }
    op->fn = (uint8_t)i;
    op->raw = api_raw(req);
    op->ttl_auto = true;
    if (docs_api_collection(req, &op->n, false, &m, &t) != DOCS_COLL_FOUND) {
        return;
    }
    cass_meta_unref(m);
    if (docs_schema_partial(req, &op->n) != 0) {
        return;
    }
    docs_api_need(req, AUTHZ_MODIFY, AUTHZ_TABLE, function_granted);
}

/* ---- POST .../{coll}/batch ------------------------------------------------------------------- */

/* Answers 202 {"documentIds":[...]} with the ids written, in the order they were. */
static void
batch_answer(struct wr_op *op)
{
    struct cql_wr body;
    struct jw j;

    http_body_init(&body);
    jw_init(&j, &body);
    jw_object_begin(&j);
    jw_key(&j, "documentIds");
    jw_array_begin(&j);
    for (size_t i = 0; i < op->ndone; i++) {
        jw_string_n(&j, op->done_ids[i].p, op->done_ids[i].len);
    }
    jw_array_end(&j);
    if (docs_api_profile_wanted(op->req)) {
        struct docs_prof_step *steps = arena_alloc(&op->req->arena,
                                                   (op->ndocs + 1) * sizeof(*steps));
        struct cql_str prof;

        for (size_t i = 0; i < op->ndocs; i++) {
            docs_batch_prof_step(&op->docs[i].b, NULL, &steps[i]);
        }
        prof = docs_api_profile(op->req, steps, op->ndocs);
        jw_key(&j, "profile");
        jw_raw(&j, prof.p, prof.len);
    }
    jw_object_end(&j);
    if (jw_finish(&j) != 0 && body.err == 0) {
        body.err = E_INVALID;
    }
    http_respond_json(op->req, 202, &body);
}

/* One document's batch ended; a failure only leaves its id out, as Stargate's does. */
static void
on_doc_written(struct docs_batch *b, int status, const struct cql_error *err)
{
    struct wr_doc *d = b->data;
    struct wr_op *op = d->op;

    (void)err;
    if (status == 0) {
        op->done_ids[op->ndone++] = (struct cql_str){ d->id, d->id_len };
    }
    if (--op->pending == 0) {
        batch_answer(op);
    }
}

static void
batch_run(struct http_req *req)
{
    struct wr_op *op = req->data;

    op->pending = op->ndocs + 1;    /* held until every batch is started */
    for (size_t i = 0; i < op->ndocs; i++) {
        docs_batch_start(&op->docs[i].b, &op->docs[i].rows, op->batch_ttl, on_doc_written);
    }
    if (--op->pending == 0) {
        batch_answer(op);
    }
}

/*
 * The id of document DOC at the id-path SEGS (NSEG segments, "[n]" as array indices): the
 * textual form of a scalar there. Answers 400 and returns -1 otherwise.
 */
static int
batch_id(struct wr_op *op, const struct cql_json_node *doc, const struct cql_str *segs,
         size_t nseg, struct wr_doc *d)
{
    const struct cql_json_node *v = doc;
    struct cql_wr msg;
    struct cql_str found;
    struct cql_str whole;

    for (size_t i = 0; i < nseg && v != NULL; i++) {
        const struct cql_json_node *c = NULL;
        int32_t idx;

        if (v->kind == CQL_JSON_OBJECT) {
            c = cql_json_get(v, segs[i].p, segs[i].len);
        } else if (v->kind == CQL_JSON_ARRAY && segs[i].len > 2 && segs[i].p[0] == '['
                   && doc_shred_parse_int(segs[i].p + 1, segs[i].len - 2, &idx) == 0
                   && idx >= 0) {
            c = v->child;
            for (int32_t k = 0; k < idx && c != NULL; k++) {
                c = c->next;
            }
        }
        v = c;
    }
    if (v != NULL && (v->kind == CQL_JSON_STRING || v->kind == CQL_JSON_NUMBER
                      || v->kind == CQL_JSON_TRUE || v->kind == CQL_JSON_FALSE)) {
        found = json_text(op, v);
        if (v->kind == CQL_JSON_STRING) {
            found = (struct cql_str){ v->s, v->len };
        }
        d->id = found.p;
        d->id_len = found.len;
        return 0;
    }
    found = v != NULL ? json_text(op, v) : (struct cql_str){ "missing node", 12 };
    whole = json_text(op, doc);
    api_arena_wr(&msg, &op->req->arena);
    WR_LIT(&msg, "JSON document ");
    cql_wr_raw(&msg, whole.p, whole.len);
    WR_LIT(&msg, " requires a scalar value at the path ");
    for (size_t i = 0; i < nseg; i++) {
        cql_wr_byte(&msg, '/');
        if (segs[i].len > 2 && segs[i].p[0] == '[') {
            cql_wr_raw(&msg, segs[i].p + 1, segs[i].len - 2);
        } else {
            cql_wr_raw(&msg, segs[i].p, segs[i].len);
        }
    }
    WR_LIT(&msg, " in order to resolve document ID, found ");
    cql_wr_raw(&msg, found.p, found.len);
    WR_LIT(&msg, ". Batch write failed.");
    http_respond_error_n(op->req, 400, (const char *)msg.p, msg.len, NULL);
    return -1;
}

/*
 * Splits the id-path P at each '.' not escaped by a backslash, resolving the escapes \. \, \*
 * in each segment. Returns the segments (arena) and their count in *N.
 */
static struct cql_str *
id_path_segments(struct wr_op *op, const char *p, size_t *n)
{
    size_t len = strlen(p);
    struct cql_str *segs = arena_alloc(&op->req->arena, (len + 1) * sizeof(*segs));
    struct doc_shred_err err;
    size_t i = 0;

    *n = 0;
    while (i <= len) {
        size_t j = i;

        while (j < len && !(p[j] == '.' && (j == 0 || p[j - 1] != '\\'))) {
            j++;
        }
        if (j > i && doc_shred_path_seg(&op->req->arena, (struct cql_str){ p + i, j - i }, true,
                                        &segs[*n], &err) == 0) {
            (*n)++;
        }
        i = j + 1;
    }
    return segs;
}

/*
 * The collection is there: ids, duplicates, each document against the JSON schema and shredded,
 * then the grant and the batches; nothing is written unless every document passed.
 */
static void
batch_shred(struct http_req *req)
{
    struct wr_op *op = req->data;
    const struct cql_json_node *schema = docs_schema_json_schema(req, &op->n);
    const struct cql_json_node *e;
    struct cql_str *segs = NULL;
    size_t nseg = 0;
    int64_t ts = docs_api_now_us();
    size_t i = 0;
    uint8_t u[16];

    if (op->id_path != NULL) {
        segs = id_path_segments(op, op->id_path, &nseg);
    }
    op->ndocs = op->body->n;
    op->docs = arena_alloc(&req->arena, (op->ndocs + 1) * sizeof(*op->docs));
    op->done_ids = arena_alloc(&req->arena, (op->ndocs + 1) * sizeof(*op->done_ids));
    for (e = op->body->child; e != NULL; e = e->next, i++) {
        struct wr_doc *d = &op->docs[i];

        memset(d, 0, sizeof(*d));
        d->op = op;
        if (op->id_path != NULL) {
            if (batch_id(op, e, segs, nseg, d) != 0) {
                return;
            }
        } else {
            char *s = arena_alloc(&req->arena, 37);

            if (auth_uuid_v4(u) != 0) {
                http_respond_error(req, 500, "Internal error: no random bytes for a document "
                                   "id", NULL);
                return;
            }
            auth_uuid_format(u, s);
            d->id = s;
            d->id_len = 36;
        }
        for (size_t k = 0; k < i; k++) {
            if (op->docs[k].id_len == d->id_len && memcmp(op->docs[k].id, d->id, d->id_len) == 0) {
                docs_api_fail(req, 400, "Found duplicate ID ", d->id, d->id_len,
                              " in more than one document when doing batched document write.");
                return;
            }
        }
    }
    e = op->body->child;
    for (i = 0; i < op->ndocs; i++, e = e->next) {
        struct wr_doc *d = &op->docs[i];

        if (docs_schema_validate(req, schema, e) != 0
            || docs_batch_whole(&d->b, req, &op->n, d->id, d->id_len, ts, e,
                                op->id_path != NULL, &d->rows) != 0) {
            return;
        }
        d->b.data = d;
    }
    docs_api_need(req, AUTHZ_MODIFY, AUTHZ_TABLE, batch_run);
}

static void
document_batch(struct http_req *req)
{
    struct wr_op *op = op_new(req, WR_BATCH);

    if (docs_api_names(req, true, &op->n) != 0
        || docs_api_write_body(req, "ttl", "payload must not be empty", &op->batch_ttl,
                               &op->body) != 0) {
        return;
    }
    if (op->body->kind != CQL_JSON_ARRAY) {
        http_respond_error(req, 400, "The payload for the batched document write must be a JSON "
                           "array.", NULL);
        return;
    }
    op->id_path = http_req_query(req, "id-path");
    docs_api_ensure_collection(req, &op->n, batch_shred);
}

/* ---- routes ---------------------------------------------------------------------------------- */

/* on_FN checks the token, then runs FN; each FN checks the grants it needs itself. */
#define TOKEN(fn)                                                                                  \
    static void on_##fn(struct http_req *req)                                                      \
    {                                                                                              \
        auth_check_token(req, fn);                                                                 \
    }

TOKEN(document_put_path)
TOKEN(document_patch)
TOKEN(document_function)
TOKEN(document_batch)

int
docs_write_add_routes(struct router *r)
{
    int rc = 0;

    rc |= router_add(r, HTTP_M(POST), DOCUMENTS "/batch", on_document_batch,
                     "docs_document_batch");
    rc |= router_add(r, HTTP_M(PUT), DOCUMENTS "/{id}/{path...}", on_document_put_path,
                     "docs_document_put_path");
    rc |= router_add(r, HTTP_M(PATCH), DOCUMENTS "/{id}", on_document_patch,
                     "docs_document_patch");
    rc |= router_add(r, HTTP_M(PATCH), DOCUMENTS "/{id}/{path...}", on_document_patch,
                     "docs_document_patch_path");
    rc |= router_add(r, HTTP_M(POST), DOCUMENTS "/{id}/{path...}", on_document_function,
                     "docs_document_function");
    return rc != 0 ? E_INVALID : 0;
}
