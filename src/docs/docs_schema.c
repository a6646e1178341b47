/*
 * docs_schema.c: namespaces and collections of the Document API (see docs_schema.h).
 *
 * Reads come from the published schema snapshot. A change runs as a chain of statements on the
 * worker's session; once any of them changed the schema, the nodes are given time to agree on
 * it and the keyspace is reloaded and published before the answer goes out, as REST v2's DDL
 * does (api_schema_settle_keyspace), so the next request on any node and worker sees the change:
 *
 *     validate --> snapshot checks (404, 409, 400) --> grant check --> statement, statement, ...
 *         --> schema agreement, reload the keyspace --> 201 / 204, or the first failure
 */
#include "docs/docs_schema.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/api_schema.h"
#include "api/auth.h"
#include "api/cql_json.h"
#include "cass/cass_query.h"
#include "core/json_w.h"
#include "core/log.h"
#include "docs/doc_shred.h"
#include "docs/json_schema.h"

/* Appends the string literal S to the writer W. */
#define WR_LIT(w, s) cql_wr_raw((w), (s), sizeof(s) - 1)

/*
 * Most statements of one chain: a table, four indexes and the creator's grant; or an upgrade's
 * drop and creation of each of four indexes.
 */
#define CHAIN_MAX           8

/* Replicas when the request gives none (1.1). */
#define DEFAULT_SIMPLE_REPLICAS 1
#define DEFAULT_DC_REPLICAS     3

#define NAMESPACES  "/v2/schemas/namespaces"
#define COLLECTIONS "/v2/namespaces/{ks}/collections"

/* Whether the cluster has SAI, learnt once from system.local (Cassandra 5.0 brought it). */
enum sai_state {
    SAI_UNKNOWN = 0,
    SAI_YES,
    SAI_NO,
};

static atomic_int sai_state;

/* ---- statements in a row --------------------------------------------------------------------- */

struct chain;
typedef void (*chain_cb)(struct chain *c);

/* The statements of one change, run one after the other (in the request's arena). */
struct chain {
    struct cass_query   q;                  /* the statement in flight */
    struct http_req    *req;                /* the request it serves */
    const char         *ks;                 /* the keyspace to reload afterwards */
    size_t              ks_len;             /* its length */
    struct cql_wr       stmt[CHAIN_MAX];    /* the statements (arena) */
    bool                grant[CHAIN_MAX];   /* the creator's GRANT: run only when the first
                                               statement created something; failure is logged */
    size_t              n;                  /* statements */
    size_t              next;               /* the one in flight */
    bool                created;            /* the first statement changed the schema */
    bool                reload;             /* the keyspace must be reloaded before done */
    struct docs_failure fail;               /* the first failure; fail.status 0 when none */
    chain_cb            done;               /* runs once, after the reload */
};

static void chain_send(struct chain *c);

static void
chain_init(struct chain *c, struct http_req *req, const char *ks, size_t ks_len, chain_cb done)
{
    memset(c, 0, sizeof(*c));
    c->req = req;
    c->ks = ks;
    c->ks_len = ks_len;
    c->done = done;
}

/* A new statement at the end of C; the caller writes its text. */
static struct cql_wr *
chain_add(struct chain *c, bool grant)
{
    struct cql_wr *w = &c->stmt[c->n];

    ASSERT(c->n < CHAIN_MAX);
    c->grant[c->n++] = grant;
    api_arena_wr(w, &c->req->arena);
    return w;
}

/*
 * Queues the GRANT that gives the token's role every permission on what C's first statement
 * creates, as Cassandra gives its creator: ON <what> A[.B]. Nothing for the gateway's own login
 * or without tokens.
 */
static void
chain_add_grant(struct chain *c, const char *what, const struct docs_names *n)
{
    struct http_req *req = c->req;
    const char *login = api_worker_of(req)->conf->username;
    struct cql_wr *w;

    if (req->user == NULL || (login != NULL && strcmp(login, req->user) == 0)) {
        return;
    }
    w = chain_add(c, true);
    WR_LIT(w, "GRANT ALL PERMISSIONS ON ");
    cql_wr_raw(w, what, strlen(what));
    cql_wr_byte(w, ' ');
    if (n->coll != NULL) {
        docs_api_table_name(w, n);
    } else {
        api_quote_ident(w, n->ns, n->ns_len);
    }
    WR_LIT(w, " TO ");
    api_quote_ident(w, req->user, req->user_len);
}

static void
on_chain_reloaded(void *data, int status)
{
    struct chain *c = data;

    (void)status;                   /* logged by the reload; the change itself is done */
    c->done(c);
}

static void
chain_finish(struct chain *c)
{
    int rc;

    if (!c->reload) {
        c->done(c);
        return;
    }
    rc = api_schema_settle_keyspace(api_worker_of(c->req), c->ks, c->ks_len, on_chain_reloaded,
                                    c);
    if (rc != 0) {
        log_warn("docs: cannot reload keyspace %.*s after a change: %s", (int)c->ks_len, c->ks,
                 err_str(rc));
        c->done(c);
    }
}

static void
on_chain_stmt(struct cass_query *q, const struct cass_result *res)
{
    struct chain *c = container_of(q, struct chain, q);
    bool grant = c->grant[c->next];

    cass_query_release(q);
    if (res->status != 0 && grant) {
        log_warn("docs: granting the creator %s its permissions failed: %.*s", c->req->user,
                 res->status == E_SERVER ? (int)res->error.message.len : 64,
                 res->status == E_SERVER ? res->error.message.p : err_str(res->status));
    } else if (res->status != 0) {
        docs_api_failure(c->req, res->status, &res->error, &c->fail);
        /* a table created meanwhile by someone else is worth a reload too */
        c->reload = c->reload || c->fail.code == CQL_ERRCODE_ALREADY_EXISTS;
        chain_finish(c);
        return;
    } else if (grant) {
        authz_grants_changed();
    } else if (res->result.kind == CQL_RESULT_SCHEMA_CHANGE) {
        c->created = c->created || c->next == 0;
        c->reload = true;
    }
    c->next++;
    chain_send(c);
}

static void
chain_send(struct chain *c)
{
    struct api_worker *aw = api_worker_of(c->req);
    struct cass_conn *conn;
    int rc;

    while (c->next < c->n && c->grant[c->next] && !c->created) {
        c->next++;
    }
    if (c->next == c->n) {
        chain_finish(c);
        return;
    }
    conn = api_conn(aw);
    if (conn == NULL || c->stmt[c->next].err != 0) {
        docs_api_failure(c->req, conn == NULL ? E_NOTREADY : E_INVALID, NULL, &c->fail);
        chain_finish(c);
        return;
    }
    memset(&c->q, 0, sizeof(c->q));
    c->q.conn = conn;
    c->q.cache = &aw->pool.cache;
    c->q.cql = (const char *)c->stmt[c->next].p;
    c->q.cql_len = c->stmt[c->next].len;
    cql_query_params_init(&c->q.params, CQL_CL_LOCAL_QUORUM);
    c->q.timeout_ms = aw->conf->request_timeout_ms;
    c->q.done_cb = on_chain_stmt;
    rc = cass_query_simple(&c->q);
    if (rc != 0) {
        cass_query_release(&c->q);
        docs_api_failure(c->req, rc, NULL, &c->fail);
        chain_finish(c);
    }
}

/* Runs the chain at req->data, once the grant check let REQ through. */
static void
chain_run(struct http_req *req)
{
    chain_send(req->data);
}

/* ---- collections and their indexes ---------------------------------------------------------- */

/* The four indexed columns of a collection (2.1). */
static const char *const indexed[] = { "leaf", "text_value", "dbl_value", "bool_value" };

/* True when IX is an SAI index. */
static bool
index_is_sai(const struct cass_meta_index *ix)
{
    static const char sai[] = "StorageAttachedIndex";
    size_t n = sizeof(sai) - 1;

    return ix->class_name.len >= n
           && memcmp(ix->class_name.p + ix->class_name.len - n, sai, n) == 0;
}

/* True when IX indexes the plain column COLUMN. */
static bool
index_on(const struct cass_meta_index *ix, const char *column)
{
    size_t n = strlen(column);

    return ix->target.len == n && memcmp(ix->target.p, column, n) == 0;
}

/* True when COLUMN of T has an SAI index. */
static bool
column_has_sai(const struct cass_meta_table *t, const char *column)
{
    for (uint32_t i = 0; i < t->nindexes; i++) {
        if (index_on(t->indexes[i], column) && index_is_sai(t->indexes[i])) {
            return true;
        }
    }
    return false;
}

/* True when collection T lacks an SAI index on one of its four columns, SAI not known absent. */
static bool
upgrade_available(const struct cass_meta_table *t)
{
    if (atomic_load(&sai_state) == SAI_NO) {
        return false;
    }
    for (size_t i = 0; i < ARRAY_SIZE(indexed); i++) {
        if (!column_has_sai(t, indexed[i])) {
            return true;
        }
    }
    return false;
}

/* Writes Stargate's CollectionDto of T into J. */
static void
write_collection(struct jw *j, const struct cass_meta_table *t)
{
    bool up = upgrade_available(t);

    jw_object_begin(j);
    jw_key(j, "name");
    jw_string_n(j, t->name.p, t->name.len);
    jw_key(j, "upgradeAvailable");
    jw_bool(j, up);
    if (up) {
        jw_key(j, "upgradeType");
        jw_string(j, "SAI_INDEX_UPGRADE");
    }
    jw_object_end(j);
}

/* ---- reading the snapshot -------------------------------------------------------------------- */

/* Starts {"data": unless RAW. */
static void
data_begin(struct jw *j, struct cql_wr *body, bool raw)
{
    http_body_init(body);
    jw_init(j, body);
    if (!raw) {
        jw_object_begin(j);
        jw_key(j, "data");
    }
}

/* Ends what data_begin started, drops M and answers 200. */
static void
data_end(struct http_req *req, struct jw *j, struct cql_wr *body, bool raw, struct cass_meta *m)
{
    if (!raw) {
        jw_object_end(j);
    }
    if (jw_finish(j) != 0 && body->err == 0) {
        body->err = E_INVALID;
    }
    cass_meta_unref(m);
    http_respond_json(req, 200, body);
}

static void
namespaces_list(struct http_req *req)
{
    struct cass_meta *m = api_schema_ref();
    bool raw = api_raw(req);
    struct cql_wr body;
    struct jw j;

    if (m == NULL) {
        api_respond_not_ready(req);
        return;
    }
    data_begin(&j, &body, raw);
    jw_array_begin(&j);
    for (uint32_t i = 0; i < m->nkeyspaces; i++) {
        api_schema_write_keyspace(&j, &m->keyspaces[i], true);
    }
    jw_array_end(&j);
    data_end(req, &j, &body, raw, m);
}

/*
 * GET /v2/schemas/namespaces/{ns} (COLLECTIONS false), or GET /v2/namespaces/{ns}/collections:
 * the collection tables of the namespace as Stargate's CollectionDto (write_collection).
 */
static void
namespace_read(struct http_req *req, bool collections)
{
    struct docs_names n;
    struct cass_meta *m;
    const struct cass_meta_keyspace *ks;
    bool raw = api_raw(req);
    struct cql_wr body;
    struct jw j;

    if (docs_api_names(req, false, &n) != 0
        || (ks = docs_api_namespace(req, &n, collections, &m)) == NULL) {
        return;
    }
    data_begin(&j, &body, raw);
    if (!collections) {
        api_schema_write_keyspace(&j, ks, true);
        data_end(req, &j, &body, raw, m);
        return;
    }
    jw_array_begin(&j);
    for (uint32_t i = 0; i < ks->ntables; i++) {
        if (doc_shred_is_collection(&ks->tables[i])) {
            write_collection(&j, &ks->tables[i]);
        }
    }
    jw_array_end(&j);
    data_end(req, &j, &body, raw, m);
}

static void
namespace_get(struct http_req *req)
{
    namespace_read(req, false);
}

static void
collections_list(struct http_req *req)
{
    namespace_read(req, true);
}

/* ---- request bodies -------------------------------------------------------------------------- */

/* Java's String.isBlank: empty, or only whitespace. */
static bool
blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c != ' ' && (c < 0x09 || c > 0x0d) && (c < 0x1c || c > 0x1f)) {
            return false;
        }
    }
    return true;
}

/*
 * Parses REQ's body as the JSON object a DTO is bound from. Answers and returns NULL on
 * failure: no body (or a JSON null) is "Request invalid: payload not provided.", text that is
 * not JSON "Unable to process JSON: ...", and a body Jackson cannot bind (not an object) 400.
 */
static const struct cql_json_node *
dto_body(struct http_req *req)
{
    struct cql_alloc a = arena_cql_alloc(&req->arena);
    struct cql_json_node *root = NULL;
    struct cql_json_err err;

    if (docs_api_body_empty(req)) {
        http_respond_error(req, 400, "Request invalid: payload not provided.", NULL);
        return NULL;
    }
    if (cql_json_parse((const char *)req->body, req->body_len, 0, &a, &root, &err) != 0) {
        docs_api_fail(req, 400, "Unable to process JSON: ", err.detail, strlen(err.detail), ".");
        return NULL;
    }
    if (root->kind == CQL_JSON_NULL) {
        http_respond_error(req, 400, "Request invalid: payload not provided.", NULL);
        return NULL;
    }
    if (root->kind != CQL_JSON_OBJECT) {
        http_respond_error(req, 400, "HTTP 400 Bad Request", NULL);
        return NULL;
    }
    return root;
}

/*
 * Binds V to a Java String as Jackson does: a string, or a number or boolean as its text. Sets
 * *S and *LEN (NULL for an absent or null member); returns -1 for an object or an array.
 */
static int
dto_string(const struct cql_json_node *v, const char **s, size_t *len)
{
    *s = NULL;
    *len = 0;
    if (v == NULL || v->kind == CQL_JSON_NULL) {
        return 0;
    }
    switch (v->kind) {
    case CQL_JSON_STRING:
    case CQL_JSON_NUMBER:
        *s = v->s;
        *len = v->len;
        return 0;
    case CQL_JSON_TRUE:
        *s = "true";
        *len = 4;
        return 0;
    case CQL_JSON_FALSE:
        *s = "false";
        *len = 5;
        return 0;
    default:
        return -1;
    }
}

/*
 * Binds V to a Java Integer as Jackson does: an integral number in range, a fraction cut
 * (ACCEPT_FLOAT_AS_INT), a string holding an integer, "" and null as null. Sets *SET and *OUT;
 * returns -1 when Jackson would refuse the value. A copies a fraction's text for strtod.
 */
static int
dto_int(struct arena *a, const struct cql_json_node *v, bool *set, int32_t *out)
{
    *set = false;
    if (v == NULL || v->kind == CQL_JSON_NULL
        || (v->kind == CQL_JSON_STRING && v->len == 0)) {
        return 0;
    }
    if (v->kind == CQL_JSON_NUMBER && !v->integral) {
        double d = strtod(arena_strndup(a, v->s, v->len), NULL);

        if (!(d > -2147483649.0 && d < 2147483648.0)) {
            return -1;
        }
        *out = (int32_t)d;
    } else if (v->kind != CQL_JSON_NUMBER && v->kind != CQL_JSON_STRING) {
        return -1;
    } else if (doc_shred_parse_int(v->s, v->len, out) != 0) {
        return -1;
    }
    *set = true;
    return 0;
}

/* ---- POST /v2/schemas/namespaces (1.1) ------------------------------------------------------- */

/* One data centre of a namespace request. */
struct dc {
    const char *name;               /* its name (the body's text) */
    size_t      len;                /* its length */
    bool        has_replicas;       /* replicas given */
    int32_t     replicas;           /* replicas, when given */
};

/* A namespace creation in flight (in the request's arena). */
struct ns_create {
    struct chain      c;            /* CREATE KEYSPACE and the creator's grant */
    struct docs_names n;            /* the new namespace */
    bool              has_replicas; /* the body gave replicas */
    int32_t           replicas;     /* them */
    struct dc        *dcs;          /* the body's datacenters, or NULL when not given */
    size_t            ndcs;         /* how many */
};

/* Binds the body's datacenters into NC. Returns -1 when Jackson would refuse them. */
static int
bind_datacenters(struct http_req *req, struct ns_create *nc, const struct cql_json_node *v,
                 struct docs_violations *viol)
{
    size_t i = 0;

    if (v == NULL || v->kind == CQL_JSON_NULL) {
        return 0;
    }
    if (v->kind != CQL_JSON_ARRAY) {
        return -1;
    }
    nc->dcs = arena_alloc(&req->arena, (v->n > 0 ? v->n : 1) * sizeof(*nc->dcs));
    for (const struct cql_json_node *e = v->child; e != NULL; e = e->next) {
        struct dc *d = &nc->dcs[i];

        if (e->kind == CQL_JSON_NULL) {
            continue;
        }
        if (e->kind != CQL_JSON_OBJECT
            || dto_string(cql_json_get(e, "name", 4), &d->name, &d->len) != 0
            || dto_int(&req->arena, cql_json_get(e, "replicas", 8), &d->has_replicas,
                       &d->replicas) != 0) {
            return -1;
        }
        if (d->name == NULL || blank(d->name, d->len)) {
            docs_api_violation(viol, "a datacenter `name` is required when using "
                                     "`NetworkTopologyStrategy`");
        }
        if (d->has_replicas && d->replicas < 1) {
            docs_api_violation(viol, "minimum amount of `replicas` for a datacenter is one");
        }
        i++;
    }
    nc->ndcs = i;
    return 0;
}

/* The 201 of a created namespace: Location, and the request's DTO echoed without its nulls. */
static void
on_namespace_created(struct chain *c)
{
    struct ns_create *nc = container_of(c, struct ns_create, c);
    struct http_req *req = c->req;
    struct cql_wr body;
    struct jw j;

    if (c->fail.status != 0) {
        docs_api_respond_failure(req, &c->fail);
        return;
    }
    docs_api_location(req, NAMESPACES, nc->n.ns, nc->n.ns_len);
    http_body_init(&body);
    jw_init(&j, &body);
    jw_object_begin(&j);
    jw_key(&j, "name");
    jw_string_n(&j, nc->n.ns, nc->n.ns_len);
    if (nc->has_replicas) {
        jw_key(&j, "replicas");
        jw_int64(&j, nc->replicas);
    }
    if (nc->dcs != NULL) {
        jw_key(&j, "datacenters");
        jw_array_begin(&j);
        for (size_t i = 0; i < nc->ndcs; i++) {
            jw_object_begin(&j);
            jw_key(&j, "name");
            jw_string_n(&j, nc->dcs[i].name, nc->dcs[i].len);
            jw_key(&j, "replicas");
            if (nc->dcs[i].has_replicas) {
                jw_int64(&j, nc->dcs[i].replicas);
            } else {
                jw_null(&j);
            }
            jw_object_end(&j);
        }
        jw_array_end(&j);
    }
    jw_object_end(&j);
    if (jw_finish(&j) != 0 && body.err == 0) {
        body.err = E_INVALID;
    }
    http_respond_json(req, 201, &body);
}

static void
namespace_create(struct http_req *req)
{
    const struct cql_json_node *root = dto_body(req);
    struct docs_violations viol = { { NULL }, 0 };
    struct ns_create *nc;
    struct cass_meta *m;
    struct cql_wr *w;
    char num[16];

    if (root == NULL) {
        return;
    }
    nc = arena_alloc(&req->arena, sizeof(*nc));
    memset(nc, 0, sizeof(*nc));
    if (dto_string(cql_json_get(root, "name", 4), &nc->n.ns, &nc->n.ns_len) != 0
        || dto_int(&req->arena, cql_json_get(root, "replicas", 8), &nc->has_replicas,
                   &nc->replicas) != 0
        || bind_datacenters(req, nc, cql_json_get(root, "datacenters", 11), &viol) != 0) {
        http_respond_error(req, 400, "HTTP 400 Bad Request", NULL);
        return;
    }
    if (nc->n.ns == NULL || blank(nc->n.ns, nc->n.ns_len)) {
        docs_api_violation(&viol, "`name` is required to create a namespace");
    }
    if (nc->has_replicas && nc->replicas < 1) {
        docs_api_violation(&viol, "minimum amount of `replicas` for `SimpleStrategy` is one");
    }
    if (docs_api_violations_respond(req, &viol)) {
        return;
    }
    if (memchr(nc->n.ns, '\0', nc->n.ns_len) != NULL) {
        /* Cassandra 5.0 echoes such a name with a wrong length; refuse it as it would */
        http_respond_error(req, 400, "Invalid argument for gRPC operation "
                           "(Status.Code.INVALID_ARGUMENT->400): INVALID_ARGUMENT: Keyspace name "
                           "must not contain a NUL character", "INVALID_ARGUMENT");
        return;
    }
    m = api_schema_ref();
    if (m == NULL) {
        api_respond_not_ready(req);
        return;
    }
    if (cass_meta_keyspace(m, nc->n.ns, nc->n.ns_len) != NULL) {
        cass_meta_unref(m);
        docs_api_fail(req, 409, "Create failed: namespace ", nc->n.ns, nc->n.ns_len,
                      " already exists.");
        return;
    }
    cass_meta_unref(m);

    chain_init(&nc->c, req, nc->n.ns, nc->n.ns_len, on_namespace_created);
    w = chain_add(&nc->c, false);
    WR_LIT(w, "CREATE KEYSPACE IF NOT EXISTS ");
    api_quote_ident(w, nc->n.ns, nc->n.ns_len);
    if (nc->ndcs == 0) {
        snprintf(num, sizeof(num), "%d",
                 nc->has_replicas ? (int)nc->replicas : DEFAULT_SIMPLE_REPLICAS);
        WR_LIT(w, " WITH replication = { 'class': 'SimpleStrategy', 'replication_factor': ");
        cql_wr_raw(w, num, strlen(num));
    } else {
        WR_LIT(w, " WITH replication = { 'class': 'NetworkTopologyStrategy'");
        for (size_t i = 0; i < nc->ndcs; i++) {
            snprintf(num, sizeof(num), "%d", nc->dcs[i].has_replicas ? (int)nc->dcs[i].replicas
                                                                     : DEFAULT_DC_REPLICAS);
            WR_LIT(w, ", ");
            api_quote_string(w, nc->dcs[i].name, nc->dcs[i].len);
            WR_LIT(w, ": ");
            cql_wr_raw(w, num, strlen(num));
        }
    }
    WR_LIT(w, " }");
    chain_add_grant(&nc->c, "KEYSPACE", &nc->n);
    req->data = &nc->c;
    docs_api_need(req, AUTHZ_CREATE, AUTHZ_ALL_KEYSPACES, chain_run);
}

/* ---- DELETE /v2/schemas/namespaces/{ns} and .../collections/{coll} --------------------------- */

/* A drop in flight (in the request's arena). */
struct drop {
    struct chain      c;            /* the DROP */
    struct docs_names n;            /* what is dropped */
};

static void
on_dropped(struct chain *c)
{
    if (c->fail.status != 0) {
        docs_api_respond_failure(c->req, &c->fail);
        return;
    }
    http_respond(c->req, 204, NULL, NULL, 0);
}

/* Drops N: the collection when N names one, else the namespace, once REQ may. */
static void
drop_start(struct http_req *req, const struct docs_names *n)
{
    struct drop *d = arena_alloc(&req->arena, sizeof(*d));
    struct cql_wr *w;

    d->n = *n;
    chain_init(&d->c, req, n->ns, n->ns_len, on_dropped);
    w = chain_add(&d->c, false);
    if (n->coll != NULL) {
        WR_LIT(w, "DROP TABLE ");
        docs_api_table_name(w, n);
    } else {
        WR_LIT(w, "DROP KEYSPACE ");
        api_quote_ident(w, n->ns, n->ns_len);
    }
    req->data = &d->c;
    docs_api_need(req, AUTHZ_DROP, n->coll != NULL ? AUTHZ_TABLE : AUTHZ_KEYSPACE, chain_run);
}

static void
namespace_delete(struct http_req *req)
{
    struct docs_names n;
    struct cass_meta *m;

    if (docs_api_names(req, false, &n) != 0 || docs_api_namespace(req, &n, false, &m) == NULL) {
        return;
    }
    cass_meta_unref(m);
    drop_start(req, &n);
}

static void
collection_delete(struct http_req *req)
{
    struct docs_names n;
    struct cass_meta *m;
    const struct cass_meta_table *t;

    if (docs_api_names(req, true, &n) != 0
        || docs_api_collection(req, &n, false, &m, &t) != DOCS_COLL_FOUND) {
        return;
    }
    cass_meta_unref(m);
    drop_start(req, &n);
}

/* ---- whether the cluster has SAI ------------------------------------------------------------- */

/* The release_version query of a chain that needs sai_state (in the request's arena). */
struct sai_probe {
    struct cass_query q;            /* SELECT release_version */
    struct chain     *c;            /* the chain waiting */
    chain_cb          then;         /* what runs once sai_state is known */
};

/* SAI came with Cassandra 5.0: reads the major version of system.local's release_version. */
static void
on_release_version(struct cass_query *q, const struct cass_result *res)
{
    struct sai_probe *p = container_of(q, struct sai_probe, q);
    struct chain *c = p->c;
    struct cql_bytes cell;
    struct cql_rd rows;

    if (res->status != 0) {
        cass_query_release(q);
        docs_api_failure(c->req, res->status, &res->error, &c->fail);
        c->done(c);
        return;
    }
    cql_rd_init(&rows, res->result.rows, res->result.rows_len);
    if (res->result.kind == CQL_RESULT_ROWS && res->result.rows_count > 0 && res->ncols == 1
        && cql_rows_next(&rows, 1, &cell) == 0 && cell.len > 0) {
        int major = atoi(arena_strndup(&c->req->arena, (const char *)cell.p, (size_t)cell.len));

        atomic_store(&sai_state, major >= 5 ? SAI_YES : SAI_NO);
    } else {
        atomic_store(&sai_state, SAI_NO);
    }
    cass_query_release(q);
    p->then(c);
}

/* Runs THEN(C) once sai_state is known: at once, or after asking the node; a failure is C's. */
static void
sai_known(struct chain *c, chain_cb then)
{
    static const char version_cql[] = "SELECT release_version FROM system.local";
    struct api_worker *aw = api_worker_of(c->req);
    struct cass_conn *conn = api_conn(aw);
    struct sai_probe *p;
    int rc;

    if (atomic_load(&sai_state) != SAI_UNKNOWN) {
        then(c);
        return;
    }
    if (conn == NULL) {
        docs_api_failure(c->req, E_NOTREADY, NULL, &c->fail);
        c->done(c);
        return;
    }
    p = arena_alloc(&c->req->arena, sizeof(*p));
    memset(p, 0, sizeof(*p));
    p->c = c;
    p->then = then;
    p->q.conn = conn;
    p->q.cache = &aw->pool.cache;
    p->q.cql = version_cql;
    p->q.cql_len = sizeof(version_cql) - 1;
    cql_query_params_init(&p->q.params, CQL_CL_ONE);
    p->q.timeout_ms = aw->conf->request_timeout_ms;
    p->q.done_cb = on_release_version;
    rc = cass_query_simple(&p->q);
    if (rc != 0) {
        cass_query_release(&p->q);
        docs_api_failure(c->req, rc, NULL, &c->fail);
        c->done(c);
    }
}

/* Appends to W the CREATE [CUSTOM] INDEX of COLUMN on collection N, SAI when SAI. */
static void
write_create_index(struct cql_wr *w, const struct docs_names *n, const char *column, bool sai)
{
    WR_LIT(w, "CREATE ");
    if (sai) {
        WR_LIT(w, "CUSTOM ");
    }
    WR_LIT(w, "INDEX IF NOT EXISTS ON ");
    docs_api_table_name(w, n);
    WR_LIT(w, " (");
    cql_wr_raw(w, column, strlen(column));
    cql_wr_byte(w, ')');
    if (sai) {
        WR_LIT(w, " USING 'StorageAttachedIndex'");
    }
}

/* ---- creating a collection ------------------------------------------------------------------- */

/* A collection creation in flight (in the request's arena). */
struct creation {
    struct chain      c;            /* table, indexes, grant */
    struct docs_names n;            /* the collection */
    docs_created_cb   cb;           /* the caller's */
};

static void
on_collection_created(struct chain *c)
{
    struct creation *cr = container_of(c, struct creation, c);

    cr->cb(c->req, c->fail.status != 0 ? &c->fail : NULL);
}

/* Queues the table, its four indexes and the creator's grant, then runs them. */
static void
creation_run(struct chain *c)
{
    struct creation *cr = container_of(c, struct creation, c);
    bool sai = atomic_load(&sai_state) == SAI_YES;
    struct cql_wr *w = chain_add(c, false);

    WR_LIT(w, "CREATE TABLE ");
    docs_api_table_name(w, &cr->n);
    cql_wr_byte(w, ' ');
    doc_shred_table_columns(w, sai);
    for (size_t i = 0; i < ARRAY_SIZE(indexed); i++) {
        write_create_index(chain_add(c, false), &cr->n, indexed[i], sai);
    }
    chain_add_grant(c, "TABLE", &cr->n);
    chain_send(c);
}

void
docs_schema_create_collection(struct http_req *req, const struct docs_names *n,
                              docs_created_cb cb)
{
    struct creation *cr = arena_alloc(&req->arena, sizeof(*cr));

    memset(cr, 0, sizeof(*cr));
    cr->n = *n;
    cr->cb = cb;
    chain_init(&cr->c, req, n->ns, n->ns_len, on_collection_created);
    sai_known(&cr->c, creation_run);
}

/* ---- POST /v2/namespaces/{ns}/collections/{coll}/upgrade (1.2) ------------------------------- */

/*
 * Stargate's V1 upgraded a collection whose indexes were not SAI on a cluster that has SAI (a
 * collection made on Cassandra 4, served on 5.0) by replacing them with SAI indexes; V2 refuses
 * every upgrade. cqlgate does the V1 upgrade where it applies and V2's refusal everywhere else.
 */

/* An upgrade in flight (in the request's arena). */
struct upgrade {
    struct chain      c;            /* the drops and creations of indexes */
    struct docs_names n;            /* the collection */
    bool              raw;          /* raw=true: the collection without {"data": */
};

static void
on_upgraded(struct chain *c)
{
    struct upgrade *u = container_of(c, struct upgrade, c);
    struct cass_meta *m;
    const struct cass_meta_table *t;
    struct cql_wr body;
    struct jw j;

    if (c->fail.status != 0) {
        docs_api_respond_failure(c->req, &c->fail);
        return;
    }
    if (docs_api_collection(c->req, &u->n, false, &m, &t) != DOCS_COLL_FOUND) {
        return;
    }
    data_begin(&j, &body, u->raw);
    write_collection(&j, t);
    data_end(c->req, &j, &body, u->raw, m);
}

/*
 * Once sai_state is known: V2's 400 when there is nothing to upgrade, else, per column without
 * an SAI index, DROP INDEX IF EXISTS of its other indexes (an unnamed CREATE would find the old
 * name taken; IF EXISTS, as the snapshot may not know yet of a drop made elsewhere) and
 * CREATE CUSTOM INDEX ... USING 'StorageAttachedIndex'.
 */
static void
upgrade_run(struct chain *c)
{
    struct upgrade *u = container_of(c, struct upgrade, c);
    struct http_req *req = c->req;
    const struct cass_meta_table *t;
    struct cass_meta *m;

    if (docs_api_collection(req, &u->n, false, &m, &t) != DOCS_COLL_FOUND) {
        return;
    }
    if (!upgrade_available(t)) {
        cass_meta_unref(m);
        http_respond_error(req, 400, "The collection cannot be upgraded in given manner.", NULL);
        return;
    }
    for (size_t i = 0; i < ARRAY_SIZE(indexed); i++) {
        uint32_t drops = 0;

        if (column_has_sai(t, indexed[i])) {
            continue;
        }
        for (uint32_t k = 0; k < t->nindexes; k++) {
            drops += index_on(t->indexes[k], indexed[i]);
        }
        if (c->n + drops + 1 > CHAIN_MAX) {
            break;                  /* the rest stays upgradable: a second call finishes it */
        }
        for (uint32_t k = 0; k < t->nindexes; k++) {
            if (index_on(t->indexes[k], indexed[i])) {
                struct cql_wr *w = chain_add(c, false);

                WR_LIT(w, "DROP INDEX IF EXISTS ");
                api_quote_ident(w, u->n.ns, u->n.ns_len);
                cql_wr_byte(w, '.');
                api_quote_ident(w, t->indexes[k]->name.p, t->indexes[k]->name.len);
            }
        }
        write_create_index(chain_add(c, false), &u->n, indexed[i], true);
    }
    cass_meta_unref(m);
    chain_send(c);
}

static void
upgrade_checked(struct http_req *req)
{
    struct upgrade *u = req->data;

    sai_known(&u->c, upgrade_run);
}

static void
collection_upgrade(struct http_req *req)
{
    struct upgrade *u = arena_alloc(&req->arena, sizeof(*u));
    const struct cql_json_node *root, *type;
    const struct cass_meta_table *t;
    struct cass_meta *m;

    memset(u, 0, sizeof(*u));
    if (docs_api_names(req, true, &u->n) != 0 || (root = dto_body(req)) == NULL) {
        return;
    }
    type = cql_json_get(root, "upgradeType", 11);
    if (type == NULL || type->kind == CQL_JSON_NULL) {
        http_respond_error(req, 400, "Request invalid: `upgradeType` is required to upgrade a "
                           "collection.", NULL);
        return;
    }
    if (type->kind != CQL_JSON_STRING || type->len != 17
        || memcmp(type->s, "SAI_INDEX_UPGRADE", 17) != 0) {
        http_respond_error(req, 400, "HTTP 400 Bad Request", NULL);
        return;
    }
    if (docs_api_collection(req, &u->n, false, &m, &t) != DOCS_COLL_FOUND) {
        return;
    }
    cass_meta_unref(m);
    u->raw = api_raw(req);
    chain_init(&u->c, req, u->n.ns, u->n.ns_len, on_upgraded);
    req->data = u;
    docs_api_need(req, AUTHZ_ALTER, AUTHZ_TABLE, upgrade_checked);
}

/* ---- POST /v2/namespaces/{ns}/collections (1.2) ---------------------------------------------- */

/* A POST .../collections in flight: the name from the body (in the request's arena). */
struct coll_create {
    struct docs_names n;            /* the new collection */
};

static void
on_created(struct http_req *req, const struct docs_failure *fail)
{
    struct coll_create *cc = req->data;

    if (fail != NULL && fail->code == CQL_ERRCODE_ALREADY_EXISTS) {
        docs_api_fail(req, 409, "Create failed: collection ", cc->n.coll, cc->n.coll_len,
                      " already exists.");
        return;
    }
    if (fail != NULL) {
        docs_api_respond_failure(req, fail);
        return;
    }
    docs_api_location(req, NULL, cc->n.coll, cc->n.coll_len);
    http_respond(req, 201, NULL, NULL, 0);
}

static void
collection_create_run(struct http_req *req)
{
    struct coll_create *cc = req->data;

    docs_schema_create_collection(req, &cc->n, on_created);
}

static void
collection_create(struct http_req *req)
{
    struct coll_create *cc = arena_alloc(&req->arena, sizeof(*cc));
    const struct cql_json_node *root;
    const struct cass_meta_table *t;
    struct cass_meta *m;
    enum docs_coll found;

    if (docs_api_names(req, false, &cc->n) != 0 || (root = dto_body(req)) == NULL) {
        return;
    }
    if (dto_string(cql_json_get(root, "name", 4), &cc->n.coll, &cc->n.coll_len) != 0) {
        http_respond_error(req, 400, "HTTP 400 Bad Request", NULL);
        return;
    }
    if (cc->n.coll == NULL || blank(cc->n.coll, cc->n.coll_len)) {
        http_respond_error(req, 400, "Request invalid: `name` is required to create a "
                           "collection.", NULL);
        return;
    }
    found = docs_api_collection(req, &cc->n, true, &m, &t);
    if (found == DOCS_COLL_ANSWERED) {
        return;
    }
    cass_meta_unref(m);
    if (found == DOCS_COLL_FOUND) {
        docs_api_fail(req, 409, "Create failed: collection ", cc->n.coll, cc->n.coll_len,
                      " already exists.");
        return;
    }
    if (!docs_api_word(cc->n.coll, cc->n.coll_len)) {
        docs_api_fail(req, 400, "Could not create collection ", cc->n.coll, cc->n.coll_len,
                      ", it has invalid characters. Valid characters are alphanumeric and "
                      "underscores.");
        return;
    }
    req->data = cc;
    docs_api_need(req, AUTHZ_CREATE, AUTHZ_KEYSPACE, collection_create_run);
}

/* ---- the JSON schema of a collection (1.2, 4) ------------------------------------------------ */

/*
 * The schema in a table comment (LEN bytes at S), as Stargate reads it: the member "schema" of
 * the comment parsed as JSON. NULL for an empty comment, one that is not JSON or has no schema
 * (or a null one). The tree lives in REQ's arena.
 */
static const struct cql_json_node *
comment_schema(struct http_req *req, const char *s, size_t len)
{
    struct cql_alloc a = arena_cql_alloc(&req->arena);
    struct cql_json_node *root = NULL;
    const struct cql_json_node *schema;

    if (len == 0 || cql_json_parse(arena_strndup(&req->arena, s, len), len, CQL_JSON_DEEP, &a,
                                   &root, NULL) != 0) {
        return NULL;
    }
    schema = cql_json_get(root, "schema", 6);
    return schema != NULL && schema->kind != CQL_JSON_NULL ? schema : NULL;
}

const struct cql_json_node *
docs_schema_json_schema(struct http_req *req, const struct docs_names *n)
{
    const struct cql_json_node *schema = NULL;
    struct cass_meta *m = api_schema_ref();
    const struct cass_meta_keyspace *ks;
    const struct cass_meta_table *t;

    if (m == NULL) {
        return NULL;
    }
    ks = cass_meta_keyspace(m, n->ns, n->ns_len);
    t = ks != NULL ? cass_meta_table(ks, n->coll, n->coll_len) : NULL;
    if (t != NULL) {
        schema = comment_schema(req, t->comment.p, t->comment.len);
    }
    cass_meta_unref(m);
    return schema;
}

int
docs_schema_validate(struct http_req *req, const struct cql_json_node *schema,
                     const struct cql_json_node *doc)
{
    struct cql_wr msg;

    if (schema == NULL) {
        return 0;
    }
    api_arena_wr(&msg, &req->arena);
    WR_LIT(&msg, "Invalid JSON: [");
    if (json_schema_validate(schema, doc, &msg) == 0) {
        return 0;
    }
    cql_wr_byte(&msg, ']');
    http_respond_error_n(req, 400, (const char *)msg.p, msg.len, NULL);
    return -1;
}

int
docs_schema_partial(struct http_req *req, const struct docs_names *n)
{
    if (docs_schema_json_schema(req, n) == NULL) {
        return 0;
    }
    http_respond_error(req, 400, "When a collection has a JSON schema, partial updates of "
                       "documents are disallowed for performance reasons.", NULL);
    return -1;
}

/* Answers 200 {"schema": SCHEMA}. */
static void
respond_schema(struct http_req *req, const struct cql_json_node *schema)
{
    struct cql_wr text;
    struct cql_wr body;
    struct jw j;

    api_arena_wr(&text, &req->arena);
    if (cql_json_write(&text, schema) != 0 && text.err == 0) {
        text.err = E_INVALID;
    }
    http_body_init(&body);
    jw_init(&j, &body);
    jw_object_begin(&j);
    jw_key(&j, "schema");
    jw_raw(&j, text.p, text.len);
    jw_object_end(&j);
    if ((jw_finish(&j) != 0 || text.err != 0) && body.err == 0) {
        body.err = E_INVALID;
    }
    http_respond_json(req, 200, &body);
}

/* A json-schema request (in the request's arena). */
struct schema_op {
    struct chain                c;          /* PUT: the ALTER TABLE */
    struct docs_names           n;          /* the collection */
    const char                 *comment;    /* GET: the table's comment (arena) */
    size_t                      comment_len;/* its length */
    const struct cql_json_node *schema;     /* PUT: the body */
};

/* GET: the role may read the collection; its schema, or 404. */
static void
json_schema_read(struct http_req *req)
{
    struct schema_op *op = req->data;
    const struct cql_json_node *schema = comment_schema(req, op->comment, op->comment_len);

    if (schema == NULL) {
        http_respond_error(req, 404, "The JSON schema is not set for the collection.", NULL);
        return;
    }
    respond_schema(req, schema);
}

static void
json_schema_get(struct http_req *req)
{
    struct schema_op *op = arena_alloc(&req->arena, sizeof(*op));
    const struct cass_meta_table *t;
    struct cass_meta *m;

    memset(op, 0, sizeof(*op));
    if (docs_api_names(req, true, &op->n) != 0
        || docs_api_collection(req, &op->n, false, &m, &t) != DOCS_COLL_FOUND) {
        return;
    }
    op->comment = arena_strndup(&req->arena, t->comment.p, t->comment.len);
    op->comment_len = t->comment.len;
    cass_meta_unref(m);
    req->data = op;
    docs_api_need(req, AUTHZ_SELECT, AUTHZ_TABLE, json_schema_read);
}

static void
on_json_schema_set(struct chain *c)
{
    struct schema_op *op = container_of(c, struct schema_op, c);

    if (c->fail.status != 0) {
        docs_api_respond_failure(c->req, &c->fail);
        return;
    }
    respond_schema(c->req, op->schema);
}

/*
 * PUT: the body must be a draft-4 schema; it becomes the table comment {"schema":<body>} as
 * Stargate writes it, and the keyspace is reloaded, so that the next write sees it.
 */
static void
json_schema_put(struct http_req *req)
{
    struct schema_op *op = arena_alloc(&req->arena, sizeof(*op));
    struct cql_alloc a = arena_cql_alloc(&req->arena);
    struct cql_json_node *root = NULL;
    const struct cass_meta_table *t;
    struct cql_json_err err;
    struct cass_meta *m;
    struct cql_wr comment;
    struct cql_wr report;
    struct cql_wr *w;

    memset(op, 0, sizeof(*op));
    if (docs_api_names(req, true, &op->n) != 0) {
        return;
    }
    if (!docs_api_body_empty(req)
        && cql_json_parse((const char *)req->body, req->body_len, CQL_JSON_DEEP, &a, &root,
                          &err) != 0) {
        docs_api_fail(req, 400, "Unable to process JSON: ", err.detail, strlen(err.detail), ".");
        return;
    }
    if (root == NULL || root->kind == CQL_JSON_NULL) {
        http_respond_error(req, 400, "Request invalid: json schema not provided.", NULL);
        return;
    }
    if (docs_api_collection(req, &op->n, false, &m, &t) != DOCS_COLL_FOUND) {
        return;
    }
    cass_meta_unref(m);
    api_arena_wr(&report, &req->arena);
    if (json_schema_check(root, &report) != 0) {
        http_respond_error_n(req, 400, (const char *)report.p, report.len, NULL);
        return;
    }
    op->schema = root;
    api_arena_wr(&comment, &req->arena);
    WR_LIT(&comment, "{\"schema\":");
    if (cql_json_write(&comment, root) != 0 && comment.err == 0) {
        comment.err = E_INVALID;
    }
    cql_wr_byte(&comment, '}');
    chain_init(&op->c, req, op->n.ns, op->n.ns_len, on_json_schema_set);
    w = chain_add(&op->c, false);
    WR_LIT(w, "ALTER TABLE ");
    docs_api_table_name(w, &op->n);
    WR_LIT(w, " WITH comment = ");
    api_quote_string(w, (const char *)comment.p, comment.len);
    if (comment.err != 0 && w->err == 0) {
        w->err = comment.err;
    }
    req->data = &op->c;
    docs_api_need(req, AUTHZ_ALTER, AUTHZ_TABLE, chain_run);
}

/* ---- routes ---------------------------------------------------------------------------------- */

/* on_FN checks the token, then runs FN; each FN checks the grants it needs itself. */
#define TOKEN(fn)                                                                                  \
    static void on_##fn(struct http_req *req)                                                      \
    {                                                                                              \
        auth_check_token(req, fn);                                                                 \
    }

TOKEN(namespaces_list)
TOKEN(namespace_get)
TOKEN(namespace_create)
TOKEN(namespace_delete)
TOKEN(collections_list)
TOKEN(collection_create)
TOKEN(collection_delete)
TOKEN(collection_upgrade)
TOKEN(json_schema_get)
TOKEN(json_schema_put)

int
docs_schema_add_routes(struct router *r)
{
    int rc = 0;

    rc |= router_add(r, HTTP_M(GET), NAMESPACES, on_namespaces_list, "docs_namespaces_list");
    rc |= router_add(r, HTTP_M(POST), NAMESPACES, on_namespace_create, "docs_namespace_create");
    rc |= router_add(r, HTTP_M(GET), NAMESPACES "/{ks}", on_namespace_get, "docs_namespace_get");
    rc |= router_add(r, HTTP_M(DELETE), NAMESPACES "/{ks}", on_namespace_delete,
                     "docs_namespace_delete");
    rc |= router_add(r, HTTP_M(GET), COLLECTIONS, on_collections_list, "docs_collections_list");
    rc |= router_add(r, HTTP_M(POST), COLLECTIONS, on_collection_create,
                     "docs_collection_create");
    rc |= router_add(r, HTTP_M(DELETE), COLLECTIONS "/{t}", on_collection_delete,
                     "docs_collection_delete");
    rc |= router_add(r, HTTP_M(POST), COLLECTIONS "/{t}/upgrade", on_collection_upgrade,
                     "docs_collection_upgrade");
    rc |= router_add(r, HTTP_M(GET), COLLECTIONS "/{t}/json-schema", on_json_schema_get,
                     "docs_json_schema_get");
    rc |= router_add(r, HTTP_M(PUT), COLLECTIONS "/{t}/json-schema", on_json_schema_put,
                     "docs_json_schema_put");
    return rc != 0 ? E_INVALID : 0;
}
