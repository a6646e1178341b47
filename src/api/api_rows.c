/*
 * api_rows.c: the /v2/keyspaces row endpoints (see api_rows.h).
 *
 * Every handler starts with the token and grant check (auth_check), then builds one statement:
 *
 *     path {ks}/{t} --snapshot--> table --key segments, body, query params--> CQL text with
 *         quoted names and ? markers + encoded [value]s --prepare, EXECUTE--> answer
 *
 * The snapshot reference is dropped before the statement is sent: the CQL text, the values and
 * the names of error messages all live in the request's arena by then.
 */
#include "api/api_rows.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "api/api_read.h"
#include "api/auth.h"
#include "api/cql_json.h"
#include "cass/cass_query.h"

/* Appends the string literal S to the writer W. */
#define WR_LIT(w, s) cql_wr_raw((w), (s), sizeof(s) - 1)

#define ROWS_BASE   "/v2/keyspaces/{ks}/{t}"

/* What a statement answers on success. */
enum rows_kind {
    ROWS_READ = 0,                  /* 200 RowsResponse */
    ROWS_CREATE,                    /* 201, the request body */
    ROWS_UPDATE,                    /* 200 {"data": body} or the bare body */
    ROWS_DELETE,                    /* 204 */
};

/* One row statement in flight (in the request's arena). */
struct rows_op {
    struct cass_query           q;          /* the statement */
    struct http_req            *req;        /* the request it answers */
    struct cql_wr               cql;        /* its text (arena) */
    struct cql_wr               vals;       /* its [value]s (arena) */
    uint16_t                    nvals;      /* how many */
    int                         kind;       /* enum rows_kind */
    unsigned                    flags;      /* CQL_JSON_* of the request */
    const struct cql_json_node *body;       /* ROWS_UPDATE: the parsed body */
    struct api_read             rd;         /* ROWS_READ: the page asked for */
    bool                        idempotent; /* may run again on another node after a failure */
};

/* ---- small helpers --------------------------------------------------------------------------- */

/* Answers 400 with the concatenation of A and B (B_LEN bytes; B may be NULL). */
static void
respond_400(struct http_req *req, const char *a, const char *b, size_t b_len)
{
    struct cql_wr msg;

    api_arena_wr(&msg, &req->arena);
    cql_wr_raw(&msg, a, strlen(a));
    if (b != NULL) {
        cql_wr_raw(&msg, b, b_len);
    }
    http_respond_error_n(req, 400, (const char *)msg.p, msg.len, NULL);
}

static struct rows_op *
op_new(struct http_req *req, int kind)
{
    struct rows_op *op = arena_alloc(&req->arena, sizeof(*op));

    memset(op, 0, sizeof(*op));
    op->req = req;
    op->kind = kind;
    op->idempotent = kind == ROWS_READ;
    op->flags = api_read_map_flags(req);
    api_arena_wr(&op->cql, &req->arena);
    api_arena_wr(&op->vals, &req->arena);
    return op;
}

/* The keyspace and table of the path, decoded. */
struct rpath {
    const char *ks, *t;
    size_t      ks_len, t_len;
};

/* Decodes {ks} and {t}; answers 400 and returns -1 when one is badly escaped. */
static int
rpath_of(struct http_req *req, struct rpath *p)
{
    p->ks = http_req_param_n(req, "ks", &p->ks_len);
    if (p->ks == NULL) {
        http_respond_error(req, 400, "Request invalid: badly escaped keyspace name.", NULL);
        return -1;
    }
    p->t = http_req_param_n(req, "t", &p->t_len);
    if (p->t == NULL) {
        http_respond_error(req, 400, "Request invalid: badly escaped table name.", NULL);
        return -1;
    }
    return 0;
}

/* Marks (in req->data) a request whose keyspace was reloaded once because a name was missing. */
static char reloaded_once;

static void
on_missing_reloaded(void *data, int status)
{
    struct http_req *req = data;

    (void)status;                   /* the names are looked up again either way */
    req->match.route->handler(req);
}

/* Least time between two reloads for missing names on one worker, milliseconds. */
#define MISSING_RELOAD_MS 1000

/*
 * A keyspace or table of REQ's path is missing from the snapshot: it may have been created by
 * another client an instant ago, its SCHEMA_CHANGE event still on the way. The keyspace is reloaded
 * once and the request handled again. Returns true when that was started (REQ is answered later).
 * At most one such reload per worker per MISSING_RELOAD_MS, so requests for names that do not
 * exist cannot turn into a stream of schema reads.
 */
static bool
reload_missing(struct http_req *req, const struct rpath *p)
{
    struct api_worker *aw = api_worker_of(req);
    uint64_t now = uv_now(aw->pool.loop);

    if (req->data == &reloaded_once
        || (aw->missing_at != 0 && now - aw->missing_at < MISSING_RELOAD_MS)) {
        return false;
    }
    aw->missing_at = now;
    req->data = &reloaded_once;
    return api_schema_reload_keyspace(aw, p->ks, p->ks_len, on_missing_reloaded, req) == 0;
}

/*
 * Decodes the path of REQ into P (rpath_of) and finds its table in a new reference *M; on failure
 * answers REQ and returns -1.
 */
static int
table_find(struct http_req *req, struct rpath *p, struct cass_meta **m,
           const struct cass_meta_table **t)
{
    const struct cass_meta_keyspace *ks;
    struct cql_wr msg;

    if (rpath_of(req, p) != 0) {
        return -1;
    }
    *m = api_schema_ref();
    if (*m == NULL) {
        api_respond_not_ready(req);
        return -1;
    }
    ks = cass_meta_keyspace(*m, p->ks, p->ks_len);
    if ((ks == NULL || cass_meta_table(ks, p->t, p->t_len) == NULL) && reload_missing(req, p)) {
        cass_meta_unref(*m);
        return -1;
    }
    if (ks == NULL) {
        cass_meta_unref(*m);
        api_arena_wr(&msg, &req->arena);
        WR_LIT(&msg, "Keyspace '");
        cql_wr_raw(&msg, p->ks, p->ks_len);
        WR_LIT(&msg, "' not found");
        http_respond_error_n(req, 400, (const char *)msg.p, msg.len, NULL);
        return -1;
    }
    *t = cass_meta_table(ks, p->t, p->t_len);
    if (*t == NULL) {
        cass_meta_unref(*m);
        api_arena_wr(&msg, &req->arena);
        WR_LIT(&msg, "Table '");
        cql_wr_raw(&msg, p->t, p->t_len);
        WR_LIT(&msg, "' not found (in keyspace '");
        cql_wr_raw(&msg, p->ks, p->ks_len);
        WR_LIT(&msg, "')");
        http_respond_error_n(req, 400, (const char *)msg.p, msg.len, NULL);
        return -1;
    }
    return 0;
}

/* Appends "ks"."t" to W. */
static void
append_table(struct cql_wr *w, const struct rpath *p)
{
    api_quote_ident(w, p->ks, p->ks_len);
    cql_wr_byte(w, '.');
    api_quote_ident(w, p->t, p->t_len);
}

/*
 * Converts V as type TYPE (FLAGS as cql_json_to_value takes them, plus the request's map form)
 * into OP's values for column C of table T. On a bad value answers 400 with PREFIX and the
 * deserialization message and returns -1 (also for an internal failure, answered 500).
 */
static int
bind_value(struct rows_op *op, const struct cass_meta_table *t, const struct cass_meta_column *c,
           const struct cql_type *type, const struct cql_json_node *v, unsigned flags,
           const char *prefix)
{
    static const char too_many[] = "too many values";
    struct cql_json_err err;
    char buf[CQL_JSON_DETAIL_MAX + 256];
    int rc;

    if (op->nvals == UINT16_MAX) {
        respond_400(op->req, prefix, too_many, sizeof(too_many) - 1);
        return -1;
    }
    memset(&err, 0, sizeof(err));
    rc = cql_json_to_value(type, v, flags | (op->flags & CQL_JSON_MAP_ENTRIES), &op->vals, &err);
    if (rc == CQL_ENOSPC || op->vals.err != 0) {
        http_respond_error(op->req, 500, "Internal error: the value could not be encoded", NULL);
        return -1;
    }
    if (rc != 0) {
        cql_json_field_error(buf, sizeof(buf), t->name, c->name, &err);
        respond_400(op->req, prefix, buf, strlen(buf));
        return -1;
    }
    op->nvals++;
    return 0;
}

/* bind_value for column C's own type, in top-level mode. */
static int
add_value(struct rows_op *op, const struct cass_meta_table *t, const struct cass_meta_column *c,
          const struct cql_json_node *v, const char *prefix)
{
    return bind_value(op, t, c, c->type, v, 0, prefix);
}

/*
 * Splits the {pk...} parameter into segments, percent-decoded after splitting (4.5; a raw ';'
 * ends a segment's value), checks their number against T's key, converts each with the
 * stringified rules of its column, and appends `"k1" = ? AND ...` to OP's text. Returns the
 * number of segments, or -1 after answering REQ.
 */
static int
add_key_where(struct rows_op *op, const struct cass_meta_table *t, const char *prefix)
{
    struct http_req *req = op->req;
    const struct router_param *p = http_req_param_raw(req, "pk");
    uint32_t nkey = t->npartition + t->nclustering;
    const char *s, *end;
    uint32_t n = 0;
    char num[160];

    if (p == NULL) {
        http_respond_error(req, 400, "Request invalid: missing primary key.", NULL);
        return -1;
    }
    for (size_t i = 0; i <= p->len; i++) {
        if (i == p->len || p->p[i] == '/') {
            n++;
        }
    }
    if (n < t->npartition) {
        snprintf(num, sizeof(num), "Number of key values provided (%u) less than number of "
                 "partition keys (%u)", n, t->npartition);
        respond_400(req, prefix, num, strlen(num));
        return -1;
    }
    if (n > nkey) {
        snprintf(num, sizeof(num), "Number of key values provided (%u) exceeds number of "
                 "partition keys (%u) and clustering keys (%u)", n, t->npartition,
                 t->nclustering);
        respond_400(req, prefix, num, strlen(num));
        return -1;
    }
    WR_LIT(&op->cql, " WHERE ");
    s = p->p;
    end = p->p + p->len;
    for (uint32_t k = 0; k < n; k++) {
        const char *e = memchr(s, '/', (size_t)(end - s));
        const char *semi;
        const struct cass_meta_column *c = &t->columns[k];
        struct cql_json_node node;
        size_t len = 0;
        char *seg;

        if (e == NULL) {
            e = end;
        }
        semi = memchr(s, ';', (size_t)(e - s));
        seg = router_pct_decode(&req->arena, s, (size_t)((semi != NULL ? semi : e) - s), &len);
        if (seg == NULL) {
            respond_400(req, prefix, "badly escaped key value", 23);
            return -1;
        }
        memset(&node, 0, sizeof(node));
        node.kind = CQL_JSON_STRING;
        node.s = seg;
        node.len = len;
        if (add_value(op, t, c, &node, prefix) != 0) {
            return -1;
        }
        if (k > 0) {
            WR_LIT(&op->cql, " AND ");
        }
        api_quote_ident(&op->cql, c->name.p, c->name.len);
        WR_LIT(&op->cql, " = ?");
        s = e + 1;
    }
    return (int)n;
}

/* ---- running and answering ------------------------------------------------------------------- */

static void
on_rows_done(struct cass_query *q, const struct cass_result *res)
{
    struct rows_op *op = container_of(q, struct rows_op, q);
    struct http_req *req = op->req;
    struct cql_wr body;

    cass_query_release(q);
    if (op->kind == ROWS_READ && api_read_refused_state(req, &op->rd, res)) {
        return;
    }
    if (res->status != 0) {
        api_respond_cass_error(req, res->status, &res->error);
        return;
    }
    switch (op->kind) {
    case ROWS_READ:
        api_read_respond(req, res, op->flags);
        return;
    case ROWS_CREATE:
        http_respond(req, 201, NULL, req->body, req->body_len);
        return;
    case ROWS_UPDATE:
        http_body_init(&body);
        if (!(op->flags & CQL_JSON_RAW)) {
            WR_LIT(&body, "{\"data\":");
        }
        if (cql_json_write(&body, op->body) != 0 && body.err == 0) {
            body.err = E_INVALID;
        }
        if (!(op->flags & CQL_JSON_RAW)) {
            cql_wr_byte(&body, '}');
        }
        http_respond_json(req, 200, &body);
        return;
    default:
        http_respond(req, 204, NULL, NULL, 0);
        return;
    }
}

/* Sends OP's statement; the answer comes from on_rows_done. */
static void
op_run(struct rows_op *op)
{
    struct api_worker *aw = api_worker_of(op->req);
    struct cass_conn *c = api_conn(aw);
    int rc;

    if (c == NULL) {
        api_respond_not_ready(op->req);
        return;
    }
    if (op->cql.err != 0 || op->vals.err != 0) {
        http_respond_error(op->req, 500, "Internal error: the statement could not be built", NULL);
        return;
    }
    memset(&op->q, 0, sizeof(op->q));
    op->q.conn = c;
    op->q.pool = &aw->pool;
    /*
     * Reads, and writes without a counter, may run again on another replica after a failure:
     * REST v2 writes whole values (no list appends, no lightweight transactions). A counter
     * update fails fast, since it may have been applied.
     */
    op->q.idempotent = op->idempotent;
    op->q.cache = &aw->pool.cache;
    op->q.cql = (const char *)op->cql.p;
    op->q.cql_len = op->cql.len;
    cql_query_params_init(&op->q.params, CQL_CL_LOCAL_QUORUM);
    op->q.params.values.p = op->vals.p;
    op->q.params.values.len = op->vals.len;
    op->q.params.values.count = op->nvals;
    if (op->kind == ROWS_READ) {
        api_read_page(&op->rd, &op->q.params);
    }
    op->q.timeout_ms = aw->conf->request_timeout_ms;
    op->q.done_cb = on_rows_done;
    rc = cass_query_run(&op->q);
    if (rc != 0) {
        cass_query_release(&op->q);
        api_respond_cass_error(op->req, rc, NULL);
    }
}

/* ---- reads ----------------------------------------------------------------------------------- */

/*
 * Reads page-size, page-state, raw and compactMapData into OP (api_read_params) and writes
 * `SELECT <fields> FROM` and the table P. Returns 0, or -1 after answering 400.
 */
static int
read_begin(struct rows_op *op, const struct rpath *p)
{
    const char *fields = http_req_query(op->req, "fields");
    bool any = false;

    if (api_read_params(op->req, &op->rd) != 0) {
        return -1;
    }
    op->flags = op->rd.flags;
    WR_LIT(&op->cql, "SELECT ");
    if (fields != NULL) {
        const char *s = fields;

        while (*s != '\0') {
            const char *e = strchr(s, ',');
            const char *b = s;

            if (e == NULL) {
                e = s + strlen(s);
            }
            s = *e == ',' ? e + 1 : e;
            while (b < e && (*b == ' ' || *b == '\t')) {
                b++;
            }
            while (e > b && (e[-1] == ' ' || e[-1] == '\t')) {
                e--;
            }
            if (e == b) {
                continue;
            }
            if (any) {
                WR_LIT(&op->cql, ", ");
            }
            api_quote_ident(&op->cql, b, (size_t)(e - b));
            any = true;
        }
    }
    if (!any) {
        cql_wr_byte(&op->cql, '*');
    }
    WR_LIT(&op->cql, " FROM ");
    append_table(&op->cql, p);
    return 0;
}

/* Appends the ORDER BY of the sort parameter, if any. Returns 0, or -1 after answering 400. */
static int
read_sort(struct rows_op *op)
{
    struct http_req *req = op->req;
    const char *sort = http_req_query(req, "sort");
    struct cql_alloc a = arena_cql_alloc(&req->arena);
    struct cql_json_node *root = NULL;
    struct cql_json_err err;
    struct cql_wr msg;
    bool first = true;

    if (sort == NULL || sort[0] == '\0') {
        return 0;
    }
    api_arena_wr(&msg, &req->arena);
    if (cql_json_parse(sort, strlen(sort), 0, &a, &root, &err) != 0) {
        WR_LIT(&msg, "Invalid 'sort' parameter, problem: Invalid 'sort' argument, not valid JSON (");
        cql_wr_raw(&msg, err.detail, strlen(err.detail));
        WR_LIT(&msg, ")");
        http_respond_error_n(req, 400, (const char *)msg.p, msg.len, NULL);
        return -1;
    }
    if (root->kind != CQL_JSON_OBJECT) {
        WR_LIT(&msg, "Invalid 'sort' parameter, problem: Invalid 'sort' argument, not JSON "
                     "Object (");
        cql_wr_raw(&msg, sort, strlen(sort));
        WR_LIT(&msg, ")");
        http_respond_error_n(req, 400, (const char *)msg.p, msg.len, NULL);
        return -1;
    }
    for (const struct cql_json_node *m = root->child; m != NULL; m = m->next) {
        bool desc = m->kind == CQL_JSON_STRING && m->len == 4 && strncasecmp(m->s, "desc", 4) == 0;

        if (first) {
            WR_LIT(&op->cql, " ORDER BY ");
        } else {
            WR_LIT(&op->cql, ", ");
        }
        api_quote_ident(&op->cql, m->name, m->name_len);
        if (desc) {
            WR_LIT(&op->cql, " DESC");
        } else {
            WR_LIT(&op->cql, " ASC");
        }
        first = false;
    }
    return 0;
}

static void
rows_get_all(struct http_req *req)
{
    struct rpath p;
    struct rows_op *op;

    if (rpath_of(req, &p) != 0) {
        return;
    }
    op = op_new(req, ROWS_READ);
    if (read_begin(op, &p) != 0 || read_sort(op) != 0) {
        return;
    }
    op_run(op);
}

/* ---- writes ---------------------------------------------------------------------------------- */

/* Parses REQ's body as a JSON object; answers 400 and returns NULL when it is not one. */
static const struct cql_json_node *
body_object(struct http_req *req)
{
    struct cql_alloc a = arena_cql_alloc(&req->arena);
    struct cql_json_node *root = NULL;
    struct cql_json_err err;

    if (req->body == NULL || req->body_len == 0) {
        http_respond_error(req, 400, "Invalid JSON payload: No content to map due to end-of-input",
                           NULL);
        return NULL;
    }
    if (cql_json_parse((const char *)req->body, req->body_len, CQL_JSON_NO_DUPLICATES, &a, &root,
                       &err) != 0) {
        respond_400(req, "Invalid JSON payload: ", err.detail, strlen(err.detail));
        return NULL;
    }
    if (root->kind != CQL_JSON_OBJECT) {
        http_respond_error(req, 400, "Invalid JSON payload: must be a JSON Object", NULL);
        return NULL;
    }
    return root;
}

/* The column of T that member V names; answers the unknown-field 400 and returns NULL. */
static const struct cass_meta_column *
body_column(struct http_req *req, const struct cass_meta_table *t, const struct cql_json_node *v,
            const char *prefix)
{
    const struct cass_meta_column *c = cass_meta_column(t, v->name, v->name_len);
    struct cql_wr msg;

    if (c != NULL) {
        return c;
    }
    api_arena_wr(&msg, &req->arena);
    cql_wr_raw(&msg, prefix, strlen(prefix));
    WR_LIT(&msg, "Unknown field name '");
    cql_wr_raw(&msg, v->name, v->name_len);
    WR_LIT(&msg, "' (table '");
    cql_wr_raw(&msg, t->name.p, t->name.len);
    WR_LIT(&msg, "'); known fields: [");
    for (uint32_t i = 0; i < t->ncolumns; i++) {
        if (i > 0) {
            WR_LIT(&msg, ", ");
        }
        cql_wr_raw(&msg, t->columns[i].name.p, t->columns[i].name.len);
    }
    WR_LIT(&msg, "]");
    http_respond_error_n(req, 400, (const char *)msg.p, msg.len, NULL);
    return NULL;
}

static void
row_create(struct http_req *req)
{
    static const char prefix[] = "Invalid path for row to create, problem: ";
    const struct cql_json_node *root;
    struct rpath p;
    struct rows_op *op;
    struct cass_meta *m;
    const struct cass_meta_table *t;
    struct cql_wr marks;

    if (table_find(req, &p, &m, &t) != 0) {
        return;
    }
    root = body_object(req);
    if (root == NULL) {
        cass_meta_unref(m);
        return;
    }
    op = op_new(req, ROWS_CREATE);
    op->idempotent = !t->counter;
    api_arena_wr(&marks, &req->arena);
    WR_LIT(&op->cql, "INSERT INTO ");
    append_table(&op->cql, &p);
    WR_LIT(&op->cql, " (");
    for (const struct cql_json_node *v = root->child; v != NULL; v = v->next) {
        const struct cass_meta_column *c = body_column(req, t, v, prefix);

        if (c == NULL || add_value(op, t, c, v, prefix) != 0) {
            cass_meta_unref(m);
            return;
        }
        if (v != root->child) {
            WR_LIT(&op->cql, ", ");
            WR_LIT(&marks, ", ");
        }
        api_quote_ident(&op->cql, c->name.p, c->name.len);
        cql_wr_byte(&marks, '?');
    }
    cass_meta_unref(m);
    WR_LIT(&op->cql, ") VALUES (");
    cql_wr_raw(&op->cql, marks.p, marks.len);
    cql_wr_byte(&op->cql, ')');
    if (marks.err != 0) {
        op->cql.err = marks.err;
    }
    op_run(op);
}

static void
row_update(struct http_req *req)
{
    static const char prefix[] = "Invalid path for row to update, problem: ";
    const struct cql_json_node *root;
    struct rpath p;
    struct rows_op *op;
    struct cass_meta *m;
    const struct cass_meta_table *t;

    if (table_find(req, &p, &m, &t) != 0) {
        return;
    }
    root = body_object(req);
    if (root == NULL) {
        cass_meta_unref(m);
        return;
    }
    op = op_new(req, ROWS_UPDATE);
    op->idempotent = !t->counter;
    op->body = root;
    if (api_raw(req)) {
        op->flags |= CQL_JSON_RAW;
    }
    WR_LIT(&op->cql, "UPDATE ");
    append_table(&op->cql, &p);
    WR_LIT(&op->cql, " SET ");
    for (const struct cql_json_node *v = root->child; v != NULL; v = v->next) {
        const struct cass_meta_column *c = body_column(req, t, v, prefix);

        if (c == NULL || add_value(op, t, c, v, prefix) != 0) {
            cass_meta_unref(m);
            return;
        }
        if (v != root->child) {
            WR_LIT(&op->cql, ", ");
        }
        api_quote_ident(&op->cql, c->name.p, c->name.len);
        WR_LIT(&op->cql, " = ");
        if (c->type->id == CQL_TYPE_COUNTER) {
            api_quote_ident(&op->cql, c->name.p, c->name.len);
            WR_LIT(&op->cql, " + ");
        }
        cql_wr_byte(&op->cql, '?');
    }
    if (add_key_where(op, t, prefix) < 0) {
        cass_meta_unref(m);
        return;
    }
    cass_meta_unref(m);
    op_run(op);
}

static void
row_delete(struct http_req *req)
{
    static const char prefix[] = "Invalid path for row to delete, problem: ";
    struct rpath p;
    struct rows_op *op;
    struct cass_meta *m;
    const struct cass_meta_table *t;

    if (table_find(req, &p, &m, &t) != 0) {
        return;
    }
    op = op_new(req, ROWS_DELETE);
    op->idempotent = true;              /* deleting twice deletes once */
    WR_LIT(&op->cql, "DELETE FROM ");
    append_table(&op->cql, &p);
    if (add_key_where(op, t, prefix) < 0) {
        cass_meta_unref(m);
        return;
    }
    cass_meta_unref(m);
    op_run(op);
}

/* ---- where search ---------------------------------------------------------------------------- */

static const char where_prefix[] = "Invalid 'where' parameter, problem: ";

/* Answers 400 with the where prefix and A, B (B_LEN bytes) and C. */
static void
where_fail(struct http_req *req, const char *a, const char *b, size_t b_len, const char *c)
{
    struct cql_wr msg;

    api_arena_wr(&msg, &req->arena);
    cql_wr_raw(&msg, where_prefix, sizeof(where_prefix) - 1);
    cql_wr_raw(&msg, a, strlen(a));
    if (b != NULL) {
        cql_wr_raw(&msg, b, b_len);
    }
    cql_wr_raw(&msg, c, strlen(c));
    http_respond_error_n(req, 400, (const char *)msg.p, msg.len, NULL);
}

/* The where operators (4.2). */
enum where_op {
    W_EQ = 0, W_LT, W_LTE, W_GT, W_GTE, W_IN, W_CONTAINS, W_CONTAINS_KEY, W_CONTAINS_ENTRY,
    W_EXISTS, W_NE, W_NIN, W_UNKNOWN,
};

static const struct {
    const char *name;
    const char *cql;
} where_ops[] = {
    [W_EQ] = { "$eq", " = ?" },
    [W_LT] = { "$lt", " < ?" },
    [W_LTE] = { "$lte", " <= ?" },
    [W_GT] = { "$gt", " > ?" },
    [W_GTE] = { "$gte", " >= ?" },
    [W_IN] = { "$in", NULL },
    [W_CONTAINS] = { "$contains", " CONTAINS ?" },
    [W_CONTAINS_KEY] = { "$containsKey", " CONTAINS KEY ?" },
    [W_CONTAINS_ENTRY] = { "$containsEntry", "[?] = ?" },
    [W_EXISTS] = { "$exists", " = ?" },
    [W_NE] = { "$ne", NULL },
    [W_NIN] = { "$nin", NULL },
};

static int
where_op_of(const char *s, size_t len)
{
    for (int i = 0; i < W_UNKNOWN; i++) {
        if (strlen(where_ops[i].name) == len && strncasecmp(where_ops[i].name, s, len) == 0) {
            return i;
        }
    }
    return W_UNKNOWN;
}

/* bind_value with the where prefix (section 4.3). */
static int
where_value(struct rows_op *op, const struct cass_meta_table *t, const struct cass_meta_column *c,
            const struct cql_type *type, const struct cql_json_node *v, unsigned flags)
{
    return bind_value(op, t, c, type, v, flags, where_prefix);
}

/* Appends " WHERE " before the first condition and " AND " before the others. */
static void
where_join(struct rows_op *op, bool *first)
{
    if (*first) {
        WR_LIT(&op->cql, " WHERE ");
    } else {
        WR_LIT(&op->cql, " AND ");
    }
    *first = false;
}

/* One condition: operator node E on column C. Returns 0, or -1 after answering. */
static int
where_cond(struct rows_op *op, const struct cass_meta_table *t, const struct cass_meta_column *c,
           const struct cql_json_node *e, bool *first)
{
    struct http_req *req = op->req;
    int w = where_op_of(e->name, e->name_len);
    const struct cql_type *type;
    const struct cql_json_node *k, *v;
    struct cql_wr msg;

    if (w == W_UNKNOWN || w == W_NE || w == W_NIN) {
        where_fail(req, "Operation ", e->name, e->name_len, " is not supported.");
        return -1;
    }
    if (e->kind == CQL_JSON_NULL) {
        api_arena_wr(&msg, &req->arena);
        cql_wr_raw(&msg, where_prefix, sizeof(where_prefix) - 1);
        WR_LIT(&msg, "Value entry for field ");
        cql_wr_raw(&msg, c->name.p, c->name.len);
        WR_LIT(&msg, ", operation ");
        cql_wr_raw(&msg, e->name, e->name_len);
        WR_LIT(&msg, " was expecting a value, but found null.");
        http_respond_error_n(req, 400, (const char *)msg.p, msg.len, NULL);
        return -1;
    }
    switch (w) {
    case W_IN:
        if (e->kind != CQL_JSON_ARRAY || e->n == 0) {
            where_fail(req, "Value entry for field '", c->name.p, c->name.len,
                       "', operation $in must be a non-empty array");
            return -1;
        }
        where_join(op, first);
        api_quote_ident(&op->cql, c->name.p, c->name.len);
        WR_LIT(&op->cql, " IN (");
        for (v = e->child; v != NULL; v = v->next) {
            if (where_value(op, t, c, c->type, v, CQL_JSON_STRICT) != 0) {
                return -1;
            }
            if (v != e->child) {
                WR_LIT(&op->cql, ", ");
            }
            cql_wr_byte(&op->cql, '?');
        }
        cql_wr_byte(&op->cql, ')');
        return 0;
    case W_CONTAINS:
    case W_CONTAINS_KEY:
        type = cql_json_contains_type(c->type, w == W_CONTAINS ? CQL_JSON_CONTAINS
                                                               : CQL_JSON_CONTAINS_KEY);
        if (type == NULL) {
            where_fail(req, "Field '", c->name.p, c->name.len,
                       w == W_CONTAINS ? "' not of container type (list, map, set); has to be for "
                                         "operation $contains"
                                       : "' not of map type; has to be for operation "
                                         "$containsKey");
            return -1;
        }
        if (where_value(op, t, c, type, e, 0) != 0) {
            return -1;
        }
        break;
    case W_CONTAINS_ENTRY:
        type = cql_json_contains_type(c->type, CQL_JSON_CONTAINS_ENTRY_KEY);
        if (type == NULL) {
            where_fail(req, "Field '", c->name.p, c->name.len,
                       "' not of map type; has to be for operation $containsEntry");
            return -1;
        }
        k = cql_json_get(e, "key", 3);
        v = cql_json_get(e, "value", 5);
        if (e->kind != CQL_JSON_OBJECT || k == NULL || v == NULL) {
            where_fail(req, "Value entry for field ", c->name.p, c->name.len,
                       ", operation $containsEntry must be an object with two fields 'key' and "
                       "'value'");
            return -1;
        }
        if (where_value(op, t, c, type, k, 0) != 0
            || where_value(op, t, c,
                           cql_json_contains_type(c->type, CQL_JSON_CONTAINS_ENTRY_VALUE), v,
                           0) != 0) {
            return -1;
        }
        break;
    case W_EXISTS:
        if (e->kind != CQL_JSON_TRUE) {
            where_fail(req, "`$exists` only supports the value `true`.", NULL, 0, "");
            return -1;
        }
        if (where_value(op, t, c, c->type, e, 0) != 0) {
            return -1;
        }
        break;
    default:
        /* $eq and the slices: an array adds one condition per element (4.2). */
        if (e->kind == CQL_JSON_ARRAY) {
            for (v = e->child; v != NULL; v = v->next) {
                if (where_value(op, t, c, c->type, v, 0) != 0) {
                    return -1;
                }
                where_join(op, first);
                api_quote_ident(&op->cql, c->name.p, c->name.len);
                cql_wr_raw(&op->cql, where_ops[w].cql, strlen(where_ops[w].cql));
            }
            return 0;
        }
        if (where_value(op, t, c, c->type, e, 0) != 0) {
            return -1;
        }
        break;
    }
    where_join(op, first);
    api_quote_ident(&op->cql, c->name.p, c->name.len);
    cql_wr_raw(&op->cql, where_ops[w].cql, strlen(where_ops[w].cql));
    return 0;
}

/* Appends the conditions of the where parameter W to OP. Returns 0, or -1 after answering. */
static int
add_where(struct rows_op *op, const struct cass_meta_table *t, const char *w)
{
    struct http_req *req = op->req;
    struct cql_alloc a = arena_cql_alloc(&req->arena);
    struct cql_json_node *root = NULL;
    struct cql_json_err err;
    bool first = true;

    memset(&err, 0, sizeof(err));
    if (cql_json_parse(w, strlen(w), CQL_JSON_NO_DUPLICATES, &a, &root, &err) != 0) {
        where_fail(req, "Input provided is not valid json. ", err.detail, strlen(err.detail), "");
        return -1;
    }
    if (root->kind != CQL_JSON_OBJECT) {
        where_fail(req, "Was expecting a JSON object as input for where parameter.", NULL, 0, "");
        return -1;
    }
    for (const struct cql_json_node *f = root->child; f != NULL; f = f->next) {
        const struct cass_meta_column *c = body_column(req, t, f, where_prefix);

        if (c == NULL) {
            return -1;
        }
        if (f->kind != CQL_JSON_OBJECT) {
            where_fail(req, "Entry for field ", f->name, f->name_len,
                       " was expecting a JSON object as input.");
            return -1;
        }
        for (const struct cql_json_node *e = f->child; e != NULL; e = e->next) {
            if (where_cond(op, t, c, e, &first) != 0) {
                return -1;
            }
        }
    }
    return 0;
}

/* True when S is NULL or holds only blanks. */
static bool
blank(const char *s)
{
    if (s == NULL) {
        return true;
    }
    for (; *s != '\0'; s++) {
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n') {
            return false;
        }
    }
    return true;
}

/*
 * Reads the rows of the path's table that the where parameter W selects, or the {pk...} key of
 * the path when W is NULL.
 */
static void
rows_read(struct http_req *req, const char *w)
{
    static const char prefix[] = "Invalid path for row to find, problem: ";
    struct rpath p;
    struct rows_op *op;
    struct cass_meta *m;
    const struct cass_meta_table *t;
    int rc;

    if (table_find(req, &p, &m, &t) != 0) {
        return;
    }
    op = op_new(req, ROWS_READ);
    rc = read_begin(op, &p);
    if (rc == 0) {
        rc = w == NULL ? add_key_where(op, t, prefix) : add_where(op, t, w);
    }
    cass_meta_unref(m);
    if (rc < 0 || read_sort(op) != 0) {
        return;
    }
    op_run(op);
}

static void
rows_get_key(struct http_req *req)
{
    rows_read(req, NULL);
}

static void
rows_get_where(struct http_req *req)
{
    const char *w = http_req_query(req, "where");

    if (blank(w)) {
        http_respond_error(req, 400, "Request invalid: 'where' must be provided.", NULL);
        return;
    }
    rows_read(req, w);
}

/* ---- routes ---------------------------------------------------------------------------------- */

/* on_FN checks the token and that its role holds PERM on the table, then runs FN. */
#define AUTHED(fn, perm)                                                                           \
    static void on_##fn(struct http_req *req)                                                      \
    {                                                                                              \
        auth_check(req, (struct authz_need){ AUTHZ_##perm, AUTHZ_TABLE }, fn);                     \
    }

AUTHED(rows_get_all, SELECT)
AUTHED(rows_get_where, SELECT)
AUTHED(rows_get_key, SELECT)
AUTHED(row_create, MODIFY)
AUTHED(row_update, MODIFY)
AUTHED(row_delete, MODIFY)

int
api_rows_add_routes(struct router *r)
{
    int rc = 0;

    rc |= router_add(r, HTTP_M(POST), ROWS_BASE, on_row_create, "rows_create");
    rc |= router_add(r, HTTP_M(GET), ROWS_BASE, on_rows_get_where, "rows_get_where");
    rc |= router_add(r, HTTP_M(GET), ROWS_BASE "/rows", on_rows_get_all, "rows_get_all");
    rc |= router_add(r, HTTP_M(GET), ROWS_BASE "/{pk...}", on_rows_get_key, "rows_get_key");
    rc |= router_add(r, HTTP_M(PUT) | HTTP_M(PATCH), ROWS_BASE "/{pk...}", on_row_update,
                     "rows_update");
    rc |= router_add(r, HTTP_M(DELETE), ROWS_BASE "/{pk...}", on_row_delete, "rows_delete");
    return rc != 0 ? E_INVALID : 0;
}
