/*
 * docs_api.c: the Document API's routes and the helpers its handlers share (see docs_api.h).
 */
#include "docs/docs_api.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api/api.h"
#include "api/api_error.h"
#include "api/auth.h"
#include "core/json_w.h"
#include "cql_value.h"
#include "docs/doc_shred.h"
#include "docs/docs_doc.h"
#include "docs/docs_schema.h"
#include "docs/docs_search.h"
#include "docs/docs_write.h"

/* Appends the string literal S to the writer W. */
#define WR_LIT(w, s) cql_wr_raw((w), (s), sizeof(s) - 1)

int
docs_api_add_routes(struct router *r)
{
    int rc = docs_schema_add_routes(r);

    if (rc == 0) {
        rc = docs_doc_add_routes(r);
    }
    if (rc == 0) {
        rc = docs_search_add_routes(r);
    }
    if (rc == 0) {
        rc = docs_write_add_routes(r);
    }
    return rc;
}

bool
docs_api_word(const char *s, size_t len)
{
    if (len == 0) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        char c = s[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
              || c == '_')) {
            return false;
        }
    }
    return true;
}

int
docs_api_names(struct http_req *req, bool with_coll, struct docs_names *n)
{
    memset(n, 0, sizeof(*n));
    n->ns = http_req_param_n(req, "ks", &n->ns_len);
    if (with_coll) {
        n->coll = http_req_param_n(req, "t", &n->coll_len);
    }
    if (n->ns == NULL || !docs_api_word(n->ns, n->ns_len)
        || (with_coll && (n->coll == NULL || !docs_api_word(n->coll, n->coll_len)))) {
        http_respond_error(req, 404, "HTTP 404 Not Found", NULL);
        return -1;
    }
    return 0;
}

bool
docs_api_body_empty(const struct http_req *req)
{
    for (size_t i = 0; i < req->body_len; i++) {
        uint8_t c = req->body[i];

        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            return false;
        }
    }
    return true;
}

void
docs_api_fail(struct http_req *req, int status, const char *a, const char *b, size_t b_len,
              const char *c)
{
    api_respond_msg(req, status, a, b, b_len, c, NULL, 0, NULL);
}

void
docs_api_violation(struct docs_violations *v, const char *msg)
{
    for (size_t i = 0; i < v->n; i++) {
        if (strcmp(v->msg[i], msg) == 0) {
            return;
        }
    }
    if (v->n < ARRAY_SIZE(v->msg)) {
        v->msg[v->n++] = msg;
    }
}

bool
docs_api_violations_respond(struct http_req *req, const struct docs_violations *v)
{
    struct cql_wr msg;

    if (v->n == 0) {
        return false;
    }
    api_arena_wr(&msg, &req->arena);
    WR_LIT(&msg, "Request invalid: ");
    for (size_t i = 0; i < v->n; i++) {
        if (i > 0) {
            WR_LIT(&msg, ", ");
        }
        cql_wr_raw(&msg, v->msg[i], strlen(v->msg[i]));
    }
    cql_wr_byte(&msg, '.');
    http_respond_error_n(req, 400, (const char *)msg.p, msg.len, NULL);
    return true;
}

const struct cass_meta_keyspace *
docs_api_namespace(struct http_req *req, const struct docs_names *n, bool in_collections,
                   struct cass_meta **m)
{
    const struct cass_meta_keyspace *ks;

    *m = api_schema_ref();
    if (*m == NULL) {
        api_respond_not_ready(req);
        return NULL;
    }
    ks = cass_meta_keyspace(*m, n->ns, n->ns_len);
    if (ks != NULL) {
        return ks;
    }
    cass_meta_unref(*m);
    *m = NULL;
    if (in_collections) {
        docs_api_fail(req, 404, "Unknown namespace ", n->ns, n->ns_len,
                      ", you must create it first.");
    } else {
        docs_api_fail(req, 404, "Namespace ", n->ns, n->ns_len, " does not exist.");
    }
    return NULL;
}

enum docs_coll
docs_api_collection(struct http_req *req, const struct docs_names *n, bool missing_ok,
                    struct cass_meta **m, const struct cass_meta_table **t)
{
    const struct cass_meta_keyspace *ks;
    struct cql_wr msg;

    *t = NULL;
    ks = docs_api_namespace(req, n, true, m);
    if (ks == NULL) {
        return DOCS_COLL_ANSWERED;
    }
    *t = cass_meta_table(ks, n->coll, n->coll_len);
    if (*t == NULL && missing_ok) {
        return DOCS_COLL_MISSING;
    }
    if (*t == NULL) {
        docs_api_fail(req, 404, "Collection '", n->coll, n->coll_len, "' not found.");
        goto answered;
    }
    if (!doc_shred_is_collection(*t)) {
        api_arena_wr(&msg, &req->arena);
        WR_LIT(&msg, "The database table ");
        cql_wr_raw(&msg, n->ns, n->ns_len);
        cql_wr_byte(&msg, '.');
        cql_wr_raw(&msg, n->coll, n->coll_len);
        WR_LIT(&msg, " is not a Documents collection. Accessing arbitrary tables via the "
                     "Documents API is not permitted.");
        http_respond_error_n(req, 400, (const char *)msg.p, msg.len, NULL);
        goto answered;
    }
    return DOCS_COLL_FOUND;

answered:
    cass_meta_unref(*m);
    *m = NULL;
    *t = NULL;
    return DOCS_COLL_ANSWERED;
}

void
docs_api_need(struct http_req *req, enum authz_perm perm, enum authz_on on, http_handler_cb then)
{
    if (req->user == NULL) {
        then(req);
        return;
    }
    authz_check(req, req->user, req->user_len, (struct authz_need){ perm, on }, then);
}

void
docs_api_location(struct http_req *req, const char *path, const char *name, size_t len)
{
    const char *host = http_req_header(req, "Host");
    struct cql_wr loc;
    size_t plen;

    if (path == NULL) {
        path = req->path;
    }
    plen = strlen(path);
    while (plen > 0 && path[plen - 1] == '/') {
        plen--;
    }
    api_arena_wr(&loc, &req->arena);
    WR_LIT(&loc, "http://");
    cql_wr_raw(&loc, host != NULL ? host : "localhost", strlen(host != NULL ? host : "localhost"));
    cql_wr_raw(&loc, path, plen);
    cql_wr_byte(&loc, '/');
    cql_wr_raw(&loc, name, len);
    cql_wr_byte(&loc, '\0');
    if (loc.err == 0) {
        http_resp_add_header(req, "Location", (const char *)loc.p);
    }
}

void
docs_api_failure(struct http_req *req, int status, const struct cql_error *err,
                 struct docs_failure *f)
{
    struct cql_wr desc;
    struct api_error e;

    api_arena_wr(&desc, &req->arena);
    if (status == E_SERVER && err != NULL) {
        e = api_error_from_cql(err, &desc);
        f->code = err->code;
    } else {
        e = api_error_from_status(status, &desc);
        f->code = 0;
    }
    f->status = e.status;
    f->grpc = e.grpc;
    f->desc = (const char *)desc.p;
    f->len = desc.len;
}

void
docs_api_respond_failure(struct http_req *req, const struct docs_failure *f)
{
    http_respond_error_n(req, f->status, f->desc != NULL ? f->desc : "", f->len, f->grpc);
}

bool
docs_api_query_setup(struct http_req *req, struct cass_query *q, const struct cql_wr *cql,
                     const struct cql_wr *vals, uint16_t nvals, cass_query_cb done)
{
    struct api_worker *aw = api_worker_of(req);
    struct cass_conn *c = api_conn(aw);

    if (c == NULL) {
        return false;
    }
    memset(q, 0, sizeof(*q));
    q->conn = c;
    q->pool = &aw->pool;
    q->idempotent = true;
    q->cache = &aw->pool.cache;
    q->cql = (const char *)cql->p;
    q->cql_len = cql->len;
    cql_query_params_init(&q->params, CQL_CL_LOCAL_QUORUM);
    q->params.values.p = vals->p;
    q->params.values.len = vals->len;
    q->params.values.count = nvals;
    q->timeout_ms = aw->conf->request_timeout_ms;
    q->done_cb = done;
    return true;
}

void
docs_api_run(struct http_req *req, struct cass_query *q, const struct cql_wr *cql,
             const struct cql_wr *vals, uint16_t nvals, cass_query_cb done)
{
    int rc;

    if (api_conn(api_worker_of(req)) == NULL) {
        api_respond_not_ready(req);
        return;
    }
    if (cql->err != 0 || vals->err != 0) {
        http_respond_error(req, 500, "Internal error: the statement could not be built", NULL);
        return;
    }
    (void)docs_api_query_setup(req, q, cql, vals, nvals, done);
    rc = cass_query_run(q);
    if (rc != 0) {
        cass_query_release(q);
        api_respond_cass_error(req, rc, NULL);
    }
}

void
docs_api_table_name(struct cql_wr *w, const struct docs_names *n)
{
    api_quote_ident(w, n->ns, n->ns_len);
    cql_wr_byte(w, '.');
    api_quote_ident(w, n->coll, n->coll_len);
}

int64_t
docs_api_now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- collections made by writes -------------------------------------------------------------- */

static void
on_collection_created(struct http_req *req, const struct docs_failure *fail)
{
    const struct docs_head *h = req->data;
    const struct cass_meta_table *t;
    struct docs_names n;
    struct cass_meta *m;

    if (fail != NULL && fail->code != CQL_ERRCODE_ALREADY_EXISTS) {
        docs_api_respond_failure(req, fail);
        return;
    }
    if (docs_api_names(req, true, &n) != 0
        || docs_api_collection(req, &n, false, &m, &t) != DOCS_COLL_FOUND) {
        return;
    }
    cass_meta_unref(m);
    h->next(req);
}

static void
create_collection(struct http_req *req)
{
    struct docs_names *n = arena_alloc(&req->arena, sizeof(*n));

    if (docs_api_names(req, true, n) == 0) {
        docs_schema_create_collection(req, n, on_collection_created);
    }
}

void
docs_api_ensure_collection(struct http_req *req, const struct docs_names *n,
                           http_handler_cb next)
{
    struct docs_head *h = req->data;
    const struct cass_meta_table *t;
    struct cass_meta *m;

    h->next = next;
    switch (docs_api_collection(req, n, true, &m, &t)) {
    case DOCS_COLL_FOUND:
        cass_meta_unref(m);
        next(req);
        return;
    case DOCS_COLL_MISSING:
        cass_meta_unref(m);
        docs_api_need(req, AUTHZ_CREATE, AUTHZ_KEYSPACE, create_collection);
        return;
    default:
        return;
    }
}

/* ---- document ids and paths ------------------------------------------------------------------ */

int
docs_api_id(struct http_req *req, const char **id, size_t *len)
{
    size_t n = 0;
    const char *s = http_req_param_n(req, "id", &n);
    struct cql_wr w;

    if (s == NULL) {
        http_respond_error(req, 404, "HTTP 404 Not Found", NULL);
        return -1;
    }
    *id = s;
    *len = n;
    if (cql_utf8_valid((const uint8_t *)s, n)) {
        return 0;
    }
    api_arena_wr(&w, &req->arena);
    for (size_t i = 0; i < n;) {
        size_t k = cql_utf8_seq((const uint8_t *)s + i, n - i);

        if (k == 0) {
            WR_LIT(&w, "\xef\xbf\xbd");
            k = 1;
        } else {
            cql_wr_raw(&w, s + i, k);
        }
        i += k;
    }
    *id = (const char *)w.p;
    *len = w.len;
    return 0;
}

/*
 * Answers STATUS with {"documentId":"<id>"}, then "data":DATA unless DATA is NULL, then
 * "profile":PROFILE unless PROFILE is NULL (both JSON text).
 */
static void
respond_document(struct http_req *req, int status, const char *id, size_t id_len,
                 const char *data, size_t len, const struct cql_str *profile)
{
    struct cql_wr body;
    struct jw j;

    http_body_init(&body);
    jw_init(&j, &body);
    jw_object_begin(&j);
    jw_key(&j, "documentId");
    jw_string_n(&j, id, id_len);
    if (data != NULL) {
        jw_key(&j, "data");
        jw_raw(&j, data, len);
    }
    if (profile != NULL) {
        jw_key(&j, "profile");
        jw_raw(&j, profile->p, profile->len);
    }
    jw_object_end(&j);
    if (jw_finish(&j) != 0 && body.err == 0) {
        body.err = E_INVALID;
    }
    http_respond_json(req, status, &body);
}

void
docs_api_respond_data(struct http_req *req, const char *id, size_t id_len, bool raw,
                      const char *data, size_t len, const struct cql_str *profile)
{
    struct cql_wr body;

    if (raw) {
        http_body_init(&body);
        cql_wr_raw(&body, data, len);
        http_respond_json(req, 200, &body);
        return;
    }
    respond_document(req, 200, id, id_len, data, len, profile);
}

void
docs_api_respond_id(struct http_req *req, int status, const char *id, size_t len,
                    const struct cql_str *profile)
{
    respond_document(req, status, id, len, NULL, 0, profile);
}

bool
docs_api_profile_wanted(struct http_req *req)
{
    const char *v = http_req_query(req, "profile");

    return v != NULL && strcasecmp(v, "true") == 0;
}

/* Stargate's order of a step's statements: execution count, rows, then text, all descending. */
static int
prof_cmp(const void *pa, const void *pb)
{
    const struct docs_prof *a = pa, *b = pb;
    int c;

    if (a->execs != b->execs) {
        return a->execs > b->execs ? -1 : 1;
    }
    if (a->rows != b->rows) {
        return a->rows > b->rows ? -1 : 1;
    }
    c = memcmp(a->cql, b->cql, a->len < b->len ? a->len : b->len);
    if (c == 0 && a->len != b->len) {
        c = a->len < b->len ? -1 : 1;
    }
    return -c;
}

/* Writes one step: no nested steps, statements that never ran left out. */
static void
write_prof_step(struct jw *j, const struct docs_prof_step *st)
{
    qsort(st->queries, st->n, sizeof(*st->queries), prof_cmp);
    jw_object_begin(j);
    jw_key(j, "description");
    jw_string_n(j, st->desc, st->desc_len);
    jw_key(j, "queries");
    jw_array_begin(j);
    for (size_t i = 0; i < st->n; i++) {
        const struct docs_prof *q = &st->queries[i];

        if (q->execs == 0) {
            continue;
        }
        jw_object_begin(j);
        jw_key(j, "cql");
        jw_string_n(j, q->cql, q->len);
        jw_key(j, "executionCount");
        jw_uint64(j, q->execs);
        jw_key(j, "rowCount");
        jw_uint64(j, q->rows);
        jw_object_end(j);
    }
    jw_array_end(j);
    jw_key(j, "nested");
    jw_array_begin(j);
    jw_array_end(j);
    jw_object_end(j);
}

struct cql_str
docs_api_profile(struct http_req *req, struct docs_prof_step *steps, size_t n)
{
    struct cql_wr w;
    struct jw j;

    api_arena_wr(&w, &req->arena);
    jw_init(&j, &w);
    jw_object_begin(&j);
    jw_key(&j, "description");
    jw_string(&j, "root");
    jw_key(&j, "queries");
    jw_array_begin(&j);
    jw_array_end(&j);
    jw_key(&j, "nested");
    jw_array_begin(&j);
    for (size_t i = 0; i < n; i++) {
        write_prof_step(&j, &steps[i]);
    }
    jw_array_end(&j);
    jw_object_end(&j);
    if (jw_finish(&j) != 0 || w.err != 0) {
        return (struct cql_str){ "null", 4 };
    }
    return (struct cql_str){ (const char *)w.p, w.len };
}

int
docs_api_path(struct http_req *req, bool read, bool drop_last, struct docs_path *p)
{
    const struct router_param *raw = http_req_param_raw(req, "path");
    struct doc_shred_err err;
    size_t i = 0;

    p->n = 0;
    if (raw == NULL) {
        return 0;
    }
    while (i < raw->len) {
        size_t j = i;
        struct cql_str u;
        size_t len;

        while (j < raw->len && raw->p[j] != '/') {
            j++;
        }
        if (j > i) {
            u.p = router_pct_decode(&req->arena, raw->p + i, j - i, &len);
            u.len = len;
            if (u.p == NULL) {
                http_respond_error(req, 404, "HTTP 404 Not Found", NULL);
                return -1;
            }
            if (p->n == DOCS_API_MAX_PATH) {
                http_respond_error(req, 400, "Max depth of 64 exceeded.", NULL);
                return -1;
            }
            p->url[p->n++] = u;
        }
        i = j + 1;
    }
    if (drop_last && p->n > 0) {
        p->n--;
    }
    for (size_t k = 0; k < p->n; k++) {
        if (doc_shred_path_seg(&req->arena, p->url[k], read, &p->seg[k], &err) != 0) {
            http_respond_error_n(req, 400, err.desc, err.len, NULL);
            return -1;
        }
    }
    return 0;
}

void
docs_api_path_text(struct cql_wr *w, const struct docs_path *p)
{
    cql_wr_byte(w, '[');
    for (size_t k = 0; k < p->n; k++) {
        if (k > 0) {
            WR_LIT(w, ", ");
        }
        cql_wr_raw(w, p->url[k].p, p->url[k].len);
    }
    cql_wr_byte(w, ']');
}

int
docs_api_write_body(struct http_req *req, const char *ttl_name, const char *empty_msg,
                    int32_t *ttl, const struct cql_json_node **body)
{
    struct cql_alloc a = arena_cql_alloc(&req->arena);
    const char *t = ttl_name != NULL ? http_req_query(req, ttl_name) : NULL;
    struct docs_violations viol = { { NULL }, 0 };
    struct cql_json_node *root = NULL;
    struct cql_json_err err;
    bool empty = docs_api_body_empty(req);

    if (t != NULL && doc_shred_parse_int(t, strlen(t), ttl) != 0) {
        http_respond_error(req, 404, "HTTP 404 Not Found", NULL);
        return -1;
    }
    if (!empty && cql_json_parse((const char *)req->body, req->body_len, CQL_JSON_DEEP, &a,
                                 &root, &err) != 0) {
        docs_api_fail(req, 400, "Unable to process JSON: ", err.detail, strlen(err.detail), ".");
        return -1;
    }
    if (t != NULL && *ttl < 1) {
        docs_api_violation(&viol, "TTL value must be a positive integer");
    }
    if (empty) {
        docs_api_violation(&viol, empty_msg);
    }
    if (docs_api_violations_respond(req, &viol)) {
        return -1;
    }
    *body = root;
    return 0;
}
