/*
 * api_schema.c: the /v2/schemas endpoints (see api_schema.h).
 *
 * Every handler starts with the token check (auth_check_token), then either reads the snapshot
 * or runs one DDL statement:
 *
 *     POST/DELETE --validate--> CQL text (names double-quoted, numbers validated) --QUERY-->
 *         --ok--> reload the keyspace, publish --> 201 / 204
 *         --error--> api_error_from_cql (or the 6.2 text for an unknown data centre)
 */
#include "api/api_schema.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/api_error.h"
#include "api/auth.h"
#include "api/cql_json.h"
#include "core/json_w.h"
#include "core/log.h"

/* Appends the string literal S to the writer W. */
#define WR_LIT(w, s) cql_wr_raw((w), (s), sizeof(s) - 1)

/* Replicas when the request gives none (6.2). */
#define DEFAULT_SIMPLE_REPLICAS     1
#define DEFAULT_DC_REPLICAS         3

/* ---- reading the snapshot -------------------------------------------------------------------- */

static void
write_keyspace(struct jw *j, const struct cass_meta_keyspace *ks)
{
    jw_object_begin(j);
    jw_key(j, "name");
    jw_string_n(j, ks->name.p, ks->name.len);
    if (ks->strategy == CASS_META_STRATEGY_NTS) {
        jw_key(j, "datacenters");
        jw_array_begin(j);
        for (uint32_t i = 0; i < ks->ndcs; i++) {
            jw_object_begin(j);
            jw_key(j, "name");
            jw_string_n(j, ks->dcs[i].name.p, ks->dcs[i].name.len);
            jw_key(j, "replicas");
            jw_int64(j, ks->dcs[i].replicas);
            jw_object_end(j);
        }
        jw_array_end(j);
    }
    jw_object_end(j);
}

/*
 * The path parameter NAME, percent-decoded into the arena, with its length in *LEN (a name may
 * hold %00). NULL when it is badly escaped.
 */
static const char *
path_param(struct http_req *req, const char *name, size_t *len)
{
    const struct router_param *p = http_req_param_raw(req, name);

    if (p == NULL) {
        return NULL;
    }
    return router_pct_decode(&req->arena, p->p, p->len, len);
}

static void
keyspaces_list(struct http_req *req)
{
    struct cass_meta *m = api_schema_ref();
    bool raw = api_raw(req);
    struct cql_wr body;
    struct jw j;

    if (m == NULL) {
        api_respond_not_ready(req);
        return;
    }
    http_body_init(&body);
    jw_init(&j, &body);
    if (!raw) {
        jw_object_begin(&j);
        jw_key(&j, "data");
    }
    jw_array_begin(&j);
    for (uint32_t i = 0; i < m->nkeyspaces; i++) {
        write_keyspace(&j, &m->keyspaces[i]);
    }
    jw_array_end(&j);
    if (!raw) {
        jw_object_end(&j);
    }
    if (jw_finish(&j) != 0 && body.err == 0) {
        body.err = E_INVALID;
    }
    cass_meta_unref(m);
    http_respond_json(req, 200, &body);
}

static void
keyspace_get(struct http_req *req)
{
    struct cass_meta *m;
    const struct cass_meta_keyspace *ks;
    struct cql_wr body;
    struct cql_wr msg;
    struct jw j;
    size_t len = 0;
    const char *name = path_param(req, "ks", &len);

    if (name == NULL) {
        http_respond_error(req, 400, "Request invalid: badly escaped keyspace name.", NULL);
        return;
    }
    m = api_schema_ref();
    if (m == NULL) {
        api_respond_not_ready(req);
        return;
    }
    ks = cass_meta_keyspace(m, name, len);
    if (ks == NULL) {
        cass_meta_unref(m);
        api_arena_wr(&msg, &req->arena);
        WR_LIT(&msg, "Unable to describe keyspace '");
        cql_wr_raw(&msg, name, len);
        WR_LIT(&msg, "'");
        http_respond_error_n(req, 404, (const char *)msg.p, msg.len, NULL);
        return;
    }
    http_body_init(&body);
    jw_init(&j, &body);
    if (!api_raw(req)) {
        jw_object_begin(&j);
        jw_key(&j, "data");
        write_keyspace(&j, ks);
        jw_object_end(&j);
    } else {
        write_keyspace(&j, ks);
    }
    if (jw_finish(&j) != 0 && body.err == 0) {
        body.err = E_INVALID;
    }
    cass_meta_unref(m);
    http_respond_json(req, 200, &body);
}

/* ---- DDL ------------------------------------------------------------------------------------- */

/* One keyspace DDL statement in flight (in the request's arena). */
struct ddl {
    struct cass_query q;            /* the statement */
    struct http_req  *req;          /* the request it answers */
    struct cql_wr     cql;          /* its text (arena) */
    const char       *ks;           /* the keyspace (arena) */
    size_t            ks_len;       /* its length */
    int               status;       /* HTTP status of success: 201 or 204 */
    const char       *dcs;          /* create, NTS: "[dc1, dc2]" for the unknown-DC message */
    size_t            dcs_len;      /* its length */
};

static void
ddl_answer(struct ddl *d)
{
    struct http_req *req = d->req;
    struct cql_wr body;
    struct jw j;

    if (d->status == 204) {
        http_respond(req, 204, NULL, NULL, 0);
        return;
    }
    http_body_init(&body);
    jw_init(&j, &body);
    jw_object_begin(&j);
    jw_key(&j, "name");
    jw_string_n(&j, d->ks, d->ks_len);
    jw_object_end(&j);
    if (jw_finish(&j) != 0 && body.err == 0) {
        body.err = E_INVALID;
    }
    http_respond_json(req, d->status, &body);
}

static void
on_ddl_reloaded(void *data, int status)
{
    (void)status;                   /* logged by the reload; the DDL itself succeeded */
    ddl_answer(data);
}

/* True for Cassandra's refusal of a data centre name it does not know (6.2). */
static bool
unknown_dc(const struct cql_error *e)
{
    static const char needle[] = "Unrecognized strategy option";
    size_t n = sizeof(needle) - 1;

    if (e->code != CQL_ERRCODE_CONFIG_ERROR) {
        return false;
    }
    for (size_t i = 0; i + n <= e->message.len; i++) {
        if (memcmp(e->message.p + i, needle, n) == 0) {
            return true;
        }
    }
    return false;
}

static void
on_ddl_done(struct cass_query *q, const struct cass_result *res)
{
    struct ddl *d = container_of(q, struct ddl, q);
    struct http_req *req = d->req;
    int rc;

    cass_query_release(q);
    if (res->status == E_SERVER && d->dcs != NULL && unknown_dc(&res->error)) {
        struct cql_wr msg;

        api_arena_wr(&msg, &req->arena);
        WR_LIT(&msg, "Bad request: one or more of datacenters passed (");
        cql_wr_raw(&msg, d->dcs, d->dcs_len);
        WR_LIT(&msg, ") invalid");
        http_respond_error_n(req, 400, (const char *)msg.p, msg.len, NULL);
        return;
    }
    if (res->status != 0) {
        api_respond_cass_error(req, res->status, &res->error);
        return;
    }
    rc = api_schema_reload_keyspace(api_worker_of(req), d->ks, d->ks_len, on_ddl_reloaded, d);
    if (rc != 0) {
        log_warn("schema: cannot reload keyspace %.*s after a change: %s", (int)d->ks_len, d->ks,
                 err_str(rc));
        ddl_answer(d);
    }
}

/*
 * A name with a NUL byte is never valid in Cassandra, and Cassandra 5.0 sends the error echoing
 * it with a wrong [string] length, so such a statement is refused here, with the answer
 * Cassandra would give.
 */
static bool
refuse_nul(struct http_req *req, const char *what, const char *s, size_t len)
{
    struct cql_wr msg;

    if (memchr(s, '\0', len) == NULL) {
        return false;
    }
    api_arena_wr(&msg, &req->arena);
    WR_LIT(&msg, "Invalid argument for gRPC operation (Status.Code.INVALID_ARGUMENT->400): "
                 "INVALID_ARGUMENT: ");
    cql_wr_raw(&msg, what, strlen(what));
    WR_LIT(&msg, " must not contain a NUL character");
    http_respond_error_n(req, 400, (const char *)msg.p, msg.len, "INVALID_ARGUMENT");
    return true;
}

static void
ddl_run(struct ddl *d)
{
    struct api_worker *aw = api_worker_of(d->req);
    struct cass_conn *c = api_conn(aw);
    int rc;

    if (c == NULL) {
        api_respond_not_ready(d->req);
        return;
    }
    if (d->cql.err != 0) {
        http_respond_error(d->req, 500, "Internal error: the statement could not be built", NULL);
        return;
    }
    memset(&d->q, 0, sizeof(d->q));
    d->q.conn = c;
    d->q.cache = &aw->sess.cache;
    d->q.cql = (const char *)d->cql.p;
    d->q.cql_len = d->cql.len;
    cql_query_params_init(&d->q.params, CQL_CL_LOCAL_QUORUM);
    d->q.timeout_ms = aw->conf->request_timeout_ms;
    d->q.done_cb = on_ddl_done;
    rc = cass_query_simple(&d->q);
    if (rc != 0) {
        cass_query_release(&d->q);
        api_respond_cass_error(d->req, rc, NULL);
    }
}

static struct ddl *
ddl_new(struct http_req *req, const char *ks, size_t len, int status)
{
    struct ddl *d = arena_alloc(&req->arena, sizeof(*d));

    memset(d, 0, sizeof(*d));
    d->req = req;
    d->ks = ks;
    d->ks_len = len;
    d->status = status;
    api_arena_wr(&d->cql, &req->arena);
    return d;
}

/* ---- POST /v2/schemas/keyspaces (6.2) -------------------------------------------------------- */

/* Answers 400 with PREFIX, the payload as compact JSON (ROOT), and SUFFIX. */
static void
respond_payload_error(struct http_req *req, const char *prefix, const struct cql_json_node *root,
                      const char *suffix)
{
    struct cql_wr msg;

    api_arena_wr(&msg, &req->arena);
    cql_wr_raw(&msg, prefix, strlen(prefix));
    if (cql_json_write(&msg, root) != 0) {
        WR_LIT(&msg, "(unprintable)");
    }
    cql_wr_raw(&msg, suffix, strlen(suffix));
    http_respond_error_n(req, 400, (const char *)msg.p, msg.len, NULL);
}

/* Jackson's complaint about binding V to a field of type JAVA_TYPE, as 6.2's "problem". */
static void
respond_bind_error(struct http_req *req, const struct cql_json_node *root,
                   const struct cql_json_node *v, const char *java_type)
{
    char suffix[160];

    snprintf(suffix, sizeof(suffix),
             ") for Keyspace creation, problem Cannot deserialize value of type `%s` from %s "
             "value", java_type, cql_json_kind_name(v->kind));
    respond_payload_error(req, "Malformatted JSON payload (", root, suffix);
}

/*
 * Reads a replica count from V as Jackson binds an `int`: an integral number in range, or a
 * string holding one. Returns 0 with *OUT, or -1.
 */
static int
replicas_of(const struct cql_json_node *v, int32_t *out)
{
    int64_t n = 0;
    size_t i = 0;
    bool neg = false;

    if (v->kind == CQL_JSON_NUMBER && !v->integral) {
        return -1;
    }
    if (v->kind != CQL_JSON_NUMBER && v->kind != CQL_JSON_STRING) {
        return -1;
    }
    if (i < v->len && (v->s[i] == '-' || v->s[i] == '+')) {
        neg = v->s[i] == '-';
        i++;
    }
    if (i == v->len || v->len - i > 10) {
        return -1;
    }
    for (; i < v->len; i++) {
        if (v->s[i] < '0' || v->s[i] > '9') {
            return -1;
        }
        n = n * 10 + (v->s[i] - '0');
    }
    n = neg ? -n : n;
    if (n < INT32_MIN || n > INT32_MAX) {
        return -1;
    }
    *out = (int32_t)n;
    return 0;
}

/* A string field as Jackson binds a String: 1 with *S and *LEN, 0 when absent or null, else -1. */
static int
string_of(const struct cql_json_node *v, const char **s, size_t *len)
{
    if (v == NULL || v->kind == CQL_JSON_NULL) {
        return 0;
    }
    switch (v->kind) {
    case CQL_JSON_STRING:
    case CQL_JSON_NUMBER:
        *s = v->s;
        *len = v->len;
        return 1;
    case CQL_JSON_TRUE:
        *s = "true";
        *len = 4;
        return 1;
    case CQL_JSON_FALSE:
        *s = "false";
        *len = 5;
        return 1;
    default:
        return -1;
    }
}

/*
 * Appends the NetworkTopologyStrategy entries of DCS ('dc': n, ...) to D's CQL and records the
 * names for the unknown-DC message. Answers REQ and returns -1 on a validation error.
 */
static int
add_datacenters(struct http_req *req, struct ddl *d, const struct cql_json_node *root,
                const struct cql_json_node *dcs)
{
    struct cql_wr names;
    const struct cql_json_node *e;

    if (dcs->kind != CQL_JSON_ARRAY) {
        respond_bind_error(req, root, dcs, "java.util.ArrayList<DatacenterDefinition>");
        return -1;
    }
    if (dcs->n == 0) {
        respond_payload_error(req, "malformatted JSON payload (", root,
                              ") for Keyspace creation: empty 'datacenters'");
        return -1;
    }
    for (e = dcs->child; e != NULL; e = e->next) {
        const struct cql_json_node *r;
        const char *s = NULL;
        size_t len = 0;
        int32_t n = DEFAULT_DC_REPLICAS;

        if (e->kind == CQL_JSON_NULL) {
            continue;               /* checked below: a null entry has no name */
        }
        if (e->kind != CQL_JSON_OBJECT) {
            respond_bind_error(req, root, e, "DatacenterDefinition");
            return -1;
        }
        if (string_of(cql_json_get(e, "name", 4), &s, &len) < 0) {
            respond_bind_error(req, root, cql_json_get(e, "name", 4), "java.lang.String");
            return -1;
        }
        r = cql_json_get(e, "replicas", 8);
        if (r != NULL && r->kind != CQL_JSON_NULL && replicas_of(r, &n) != 0) {
            respond_bind_error(req, root, r, "int");
            return -1;
        }
    }
    api_arena_wr(&names, &req->arena);
    cql_wr_byte(&names, '[');
    for (e = dcs->child; e != NULL; e = e->next) {
        const struct cql_json_node *r = e->kind == CQL_JSON_OBJECT ? cql_json_get(e, "replicas", 8)
                                                                   : NULL;
        const char *s = NULL;
        size_t len = 0;
        int32_t n = DEFAULT_DC_REPLICAS;
        char num[16];

        if (e->kind != CQL_JSON_OBJECT || string_of(cql_json_get(e, "name", 4), &s, &len) != 1
            || len == 0) {
            respond_payload_error(req, "malformatted JSON payload (", root,
                                  ") for Keyspace creation: one of 'datacenters' entries "
                                  "missing 'name'");
            return -1;
        }
        if (refuse_nul(req, "Data centre name", s, len)) {
            return -1;
        }
        if (r != NULL && r->kind != CQL_JSON_NULL) {
            (void)replicas_of(r, &n);
        }
        snprintf(num, sizeof(num), "%" PRId32, n);
        WR_LIT(&d->cql, ", ");
        api_quote_string(&d->cql, s, len);
        WR_LIT(&d->cql, ": ");
        cql_wr_raw(&d->cql, num, strlen(num));
        if (e != dcs->child) {
            WR_LIT(&names, ", ");
        }
        cql_wr_raw(&names, s, len);
    }
    cql_wr_byte(&names, ']');
    d->dcs = (const char *)names.p;
    d->dcs_len = names.len;
    return 0;
}

static void
keyspace_create(struct http_req *req)
{
    struct cql_alloc a = arena_cql_alloc(&req->arena);
    struct cql_json_node *root = NULL;
    struct cql_json_err err;
    const struct cql_json_node *name_v, *replicas_v, *dcs_v;
    const char *name = NULL;
    size_t name_len = 0;
    int32_t replicas = DEFAULT_SIMPLE_REPLICAS;
    struct ddl *d;
    char num[16];
    int rc;

    if (req->body == NULL || req->body_len == 0) {
        http_respond_error(req, 400, "Invalid JSON payload for Keyspace creation, problem: "
                           "No content to map due to end-of-input", NULL);
        return;
    }
    if (cql_json_parse((const char *)req->body, req->body_len, 0, &a, &root, &err) != 0) {
        struct cql_wr msg;
        static const char head[] = "Invalid JSON payload for Keyspace creation, problem: ";

        api_arena_wr(&msg, &req->arena);
        cql_wr_raw(&msg, head, sizeof(head) - 1);
        cql_wr_raw(&msg, err.detail, strlen(err.detail));
        http_respond_error_n(req, 400, (const char *)msg.p, msg.len, NULL);
        return;
    }
    if (root->kind != CQL_JSON_OBJECT) {
        respond_payload_error(req, "Invalid JSON payload for Keyspace creation; must be JSON "
                              "Object: ", root, "");
        return;
    }
    name_v = cql_json_get(root, "name", 4);
    replicas_v = cql_json_get(root, "replicas", 8);
    dcs_v = cql_json_get(root, "datacenters", 11);
    rc = string_of(name_v, &name, &name_len);
    if (rc < 0) {
        respond_bind_error(req, root, name_v, "java.lang.String");
        return;
    }
    if (replicas_v != NULL && replicas_v->kind != CQL_JSON_NULL
        && replicas_of(replicas_v, &replicas) != 0) {
        respond_bind_error(req, root, replicas_v, "int");
        return;
    }
    if (rc == 0) {
        respond_payload_error(req, "Missing 'name' String property in payload Object: ", root,
                              "");
        return;
    }

    if (refuse_nul(req, "Keyspace name", name, name_len)) {
        return;
    }
    d = ddl_new(req, arena_strndup(&req->arena, name, name_len), name_len, 201);
    WR_LIT(&d->cql, "CREATE KEYSPACE IF NOT EXISTS ");
    api_quote_ident(&d->cql, name, name_len);
    WR_LIT(&d->cql, " WITH replication = {'class': ");
    if (dcs_v != NULL && dcs_v->kind != CQL_JSON_NULL) {
        WR_LIT(&d->cql, "'NetworkTopologyStrategy'");
        if (add_datacenters(req, d, root, dcs_v) != 0) {
            return;
        }
    } else {
        snprintf(num, sizeof(num), "%" PRId32, replicas);
        WR_LIT(&d->cql, "'SimpleStrategy', 'replication_factor': ");
        cql_wr_raw(&d->cql, num, strlen(num));
    }
    cql_wr_byte(&d->cql, '}');
    ddl_run(d);
}

/* ---- DELETE /v2/schemas/keyspaces/{ks} ------------------------------------------------------- */

static void
keyspace_delete(struct http_req *req)
{
    size_t len = 0;
    const char *name = path_param(req, "ks", &len);
    struct ddl *d;

    if (name == NULL) {
        http_respond_error(req, 400, "Request invalid: badly escaped keyspace name.", NULL);
        return;
    }
    if (refuse_nul(req, "Keyspace name", name, len)) {
        return;
    }
    d = ddl_new(req, name, len, 204);
    WR_LIT(&d->cql, "DROP KEYSPACE IF EXISTS ");
    api_quote_ident(&d->cql, name, len);
    ddl_run(d);
}

/* ---- routes ---------------------------------------------------------------------------------- */

static void
on_keyspaces_get(struct http_req *req)
{
    auth_check_token(req, keyspaces_list);
}

static void
on_keyspaces_post(struct http_req *req)
{
    auth_check_token(req, keyspace_create);
}

static void
on_keyspace_get(struct http_req *req)
{
    auth_check_token(req, keyspace_get);
}

static void
on_keyspace_delete(struct http_req *req)
{
    auth_check_token(req, keyspace_delete);
}

int
api_schema_add_routes(struct router *r)
{
    int rc = 0;

    rc |= router_add(r, HTTP_M(GET), "/v2/schemas/keyspaces", on_keyspaces_get,
                     "schema_keyspaces_list");
    rc |= router_add(r, HTTP_M(POST), "/v2/schemas/keyspaces", on_keyspaces_post,
                     "schema_keyspace_create");
    rc |= router_add(r, HTTP_M(GET), "/v2/schemas/keyspaces/{ks}", on_keyspace_get,
                     "schema_keyspace_get");
    rc |= router_add(r, HTTP_M(DELETE), "/v2/schemas/keyspaces/{ks}", on_keyspace_delete,
                     "schema_keyspace_delete");
    return rc != 0 ? E_INVALID : 0;
}
