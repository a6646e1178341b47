/*
 * api_schema.c: the /v2/schemas endpoints (see api_schema.h).
 *
 * Every handler starts with the token and grant check (auth_check), then either reads the snapshot
 * or runs one DDL statement:
 *
 *     POST/DELETE --validate--> CQL text (names double-quoted, numbers validated) --QUERY-->
 *         --ok--> reload the keyspace, publish --> 201 / 204
 *         --error--> api_error_from_cql (or the 6.2 text for an unknown data centre)
 */
#include "api/api_schema.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

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

/* Route prefixes of tables, columns, indexes and user types (3.2-3.5). */
#define TABLES  "/v2/schemas/keyspaces/{ks}/tables"
#define COLUMNS TABLES "/{t}/columns"
#define INDEXES TABLES "/{t}/indexes"
#define TYPES   "/v2/schemas/keyspaces/{ks}/types"

/* ---- reading the snapshot -------------------------------------------------------------------- */

/* A 200 answer of the snapshot being written. */
struct reply {
    struct cql_wr body;             /* the response body */
    struct jw     j;                /* the JSON writer over it */
    bool          raw;              /* no {"data": wrapper */
};

/* Starts R's body and opens the {"data": wrapper unless RAW. Returns the writer. */
static struct jw *
reply_begin(struct reply *r, bool raw)
{
    r->raw = raw;
    http_body_init(&r->body);
    jw_init(&r->j, &r->body);
    if (!raw) {
        jw_object_begin(&r->j);
        jw_key(&r->j, "data");
    }
    return &r->j;
}

/* Closes R's wrapper, drops M and answers REQ 200 with R's body. */
static void
reply_end(struct http_req *req, struct reply *r, struct cass_meta *m)
{
    if (!r->raw) {
        jw_object_end(&r->j);
    }
    if (jw_finish(&r->j) != 0 && r->body.err == 0) {
        r->body.err = E_INVALID;
    }
    cass_meta_unref(m);
    http_respond_json(req, 200, &r->body);
}

void
api_schema_write_keyspace(struct jw *j, const struct cass_meta_keyspace *ks, bool replicas)
{
    jw_object_begin(j);
    jw_key(j, "name");
    jw_string_n(j, ks->name.p, ks->name.len);
    if (replicas && ks->strategy == CASS_META_STRATEGY_SIMPLE) {
        jw_key(j, "replicas");
        jw_int64(j, ks->replication_factor);
    } else if (ks->strategy == CASS_META_STRATEGY_NTS) {
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

static void
keyspaces_list(struct http_req *req)
{
    struct cass_meta *m = api_schema_ref();
    struct reply r;
    struct jw *j;

    if (m == NULL) {
        api_respond_not_ready(req);
        return;
    }
    j = reply_begin(&r, api_raw(req));
    jw_array_begin(j);
    for (uint32_t i = 0; i < m->nkeyspaces; i++) {
        api_schema_write_keyspace(j, &m->keyspaces[i], false);
    }
    jw_array_end(j);
    reply_end(req, &r, m);
}

static void
keyspace_get(struct http_req *req)
{
    struct cass_meta *m;
    const struct cass_meta_keyspace *ks;
    struct cql_wr msg;
    struct reply r;
    size_t len = 0;
    const char *name = http_req_param_n(req, "ks", &len);

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
    api_schema_write_keyspace(reply_begin(&r, api_raw(req)), ks, false);
    reply_end(req, &r, m);
}

/* ---- DDL ------------------------------------------------------------------------------------- */

/* One keyspace DDL statement in flight (in the request's arena). */
struct ddl {
    struct cass_query q;            /* the statement */
    struct http_req  *req;          /* the request it answers */
    struct cql_wr     cql;          /* its text (arena) */
    const char       *ks;           /* the keyspace (arena) */
    size_t            ks_len;       /* its length */
    int               status;       /* HTTP status of success: 200, 201 or 204 */
    const char       *dcs;          /* create, NTS: "[dc1, dc2]" for the unknown-DC message */
    size_t            dcs_len;      /* its length */
    const char       *ans;          /* the name the answer shows (the keyspace by default) */
    size_t            ans_len;      /* its length */
    int               body;         /* enum ddl_body: what a success answers */
    bool              udt_create;   /* CREATE TYPE: "already exists" becomes 400 Bad request */
    struct cql_wr    *next;         /* statements to run after this one, in order (arena) */
    size_t            nnext;        /* how many */
    size_t            inext;        /* the next one to run */
    int               err_status;   /* a later statement failed: its HTTP status, else 0 */
    const char       *err_grpc;     /* its grpcStatus */
    struct cql_wr     err_desc;     /* its description (arena) */
    struct cql_wr     grant;        /* the creator's GRANT once the first statement created, or
                                       empty (arena) */
    bool              created;      /* the first statement created its resource */
};

/* The body of a successful DDL answer (201 and 200). */
enum ddl_body {
    DDL_BODY_NAME = 0,              /* {"name": ans} */
    DDL_BODY_SUCCESS,               /* {"success": true} (index create) */
    DDL_BODY_EMPTY,                 /* nothing (type update) */
};

static void
ddl_answer(struct ddl *d)
{
    struct http_req *req = d->req;
    struct cql_wr body;
    struct jw j;

    if (d->err_status != 0) {
        http_respond_error_n(req, d->err_status, (const char *)d->err_desc.p, d->err_desc.len,
                             d->err_grpc);
        return;
    }
    if (d->status == 204 || d->body == DDL_BODY_EMPTY) {
        http_respond(req, d->status, NULL, NULL, 0);
        return;
    }
    http_body_init(&body);
    jw_init(&j, &body);
    jw_object_begin(&j);
    if (d->body == DDL_BODY_SUCCESS) {
        jw_key(&j, "success");
        jw_bool(&j, true);
    } else {
        jw_key(&j, "name");
        jw_string_n(&j, d->ans, d->ans_len);
    }
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

/* True when the message of E holds NEEDLE. */
static bool
error_mentions(const struct cql_error *e, const char *needle)
{
    size_t n = strlen(needle);

    for (size_t i = 0; i + n <= e->message.len; i++) {
        if (memcmp(e->message.p + i, needle, n) == 0) {
            return true;
        }
    }
    return false;
}

static void ddl_send(struct ddl *d, cass_query_cb done);
static void ddl_run(struct ddl *d);
static void ddl_reload(struct ddl *d);

/*
 * Cassandra gives the creator of a keyspace or table every permission on it. Statements run as
 * the gateway's login, so a token role that created one is given them here, as it would be had
 * it run the statement itself. Schema reload and answer follow either way; the resource exists.
 */
static void
on_grant_done(struct cass_query *q, const struct cass_result *res)
{
    struct ddl *d = container_of(q, struct ddl, q);

    cass_query_release(q);
    if (res->status == 0) {
        authz_grants_changed();
    } else {
        log_warn("schema: granting the creator %s its permissions failed: %.*s", d->req->user,
                 res->status == E_SERVER ? (int)res->error.message.len : 64,
                 res->status == E_SERVER ? res->error.message.p : err_str(res->status));
    }
    ddl_reload(d);
}

/* Queues the creator's GRANT on D, ON ("KEYSPACE" or "TABLE") NAME_A[.NAME_B]. */
static void
ddl_grant_creator(struct ddl *d, const char *on, const char *a, size_t a_len, const char *b,
                  size_t b_len)
{
    struct http_req *req = d->req;
    const char *login = api_worker_of(req)->conf->username;

    if (req->user == NULL || (login != NULL && strcmp(login, req->user) == 0)) {
        return;
    }
    api_arena_wr(&d->grant, &req->arena);
    WR_LIT(&d->grant, "GRANT ALL PERMISSIONS ON ");
    cql_wr_raw(&d->grant, on, strlen(on));
    cql_wr_byte(&d->grant, ' ');
    api_quote_ident(&d->grant, a, a_len);
    if (b != NULL) {
        cql_wr_byte(&d->grant, '.');
        api_quote_ident(&d->grant, b, b_len);
    }
    WR_LIT(&d->grant, " TO ");
    api_quote_ident(&d->grant, req->user, req->user_len);
}

static void
on_ddl_done(struct cass_query *q, const struct cass_result *res)
{
    struct ddl *d = container_of(q, struct ddl, q);
    struct http_req *req = d->req;

    cass_query_release(q);
    if (res->status == 0 && d->inext == 0 && res->result.kind == CQL_RESULT_SCHEMA_CHANGE) {
        d->created = true;
    }
    if (res->status == E_SERVER && d->udt_create
        && (res->error.code == CQL_ERRCODE_ALREADY_EXISTS
            || (res->error.code == CQL_ERRCODE_INVALID
                && error_mentions(&res->error, "already exists")))) {
        struct cql_wr msg;

        api_arena_wr(&msg, &req->arena);
        WR_LIT(&msg, "Bad request: ");
        cql_wr_raw(&msg, res->error.message.p, res->error.message.len);
        http_respond_error_n(req, 400, (const char *)msg.p, msg.len, NULL);
        return;
    }
    if (res->status != 0 && d->inext > 0) {
        /* an earlier statement of the chain changed the schema: reload, then answer the error */
        struct api_error e;

        api_arena_wr(&d->err_desc, &req->arena);
        if (res->status == E_SERVER) {
            e = api_error_from_cql(&res->error, &d->err_desc);
        } else {
            e = api_error_from_status(res->status, &d->err_desc);
        }
        d->err_status = e.status;
        d->err_grpc = e.grpc;
    } else if (res->status == 0 && d->inext < d->nnext) {
        d->cql = d->next[d->inext++];
        ddl_run(d);
        return;
    }
    if (res->status == E_SERVER && d->dcs != NULL && unknown_dc(&res->error)) {
        struct cql_wr msg;

        api_arena_wr(&msg, &req->arena);
        WR_LIT(&msg, "Bad request: one or more of datacenters passed (");
        cql_wr_raw(&msg, d->dcs, d->dcs_len);
        WR_LIT(&msg, ") invalid");
        http_respond_error_n(req, 400, (const char *)msg.p, msg.len, NULL);
        return;
    }
    if (res->status != 0 && d->err_status == 0) {
        api_respond_cass_error(req, res->status, &res->error);
        return;
    }
    if (d->created && d->grant.len > 0 && d->err_status == 0) {
        d->cql = d->grant;
        ddl_send(d, on_grant_done);
        return;
    }
    ddl_reload(d);
}

/* Waits for schema agreement, reloads D's keyspace, then answers. */
static void
ddl_reload(struct ddl *d)
{
    struct http_req *req = d->req;
    int rc;

    rc = api_schema_settle_keyspace(api_worker_of(req), d->ks, d->ks_len, on_ddl_reloaded, d);
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

/* Sends D's current statement; DONE runs when it answers. */
static void
ddl_send(struct ddl *d, cass_query_cb done)
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
    d->q.pool = &aw->pool;
    d->q.cache = &aw->pool.cache;
    d->q.cql = (const char *)d->cql.p;
    d->q.cql_len = d->cql.len;
    cql_query_params_init(&d->q.params, CQL_CL_LOCAL_QUORUM);
    d->q.timeout_ms = aw->conf->request_timeout_ms;
    d->q.done_cb = done;
    rc = cass_query_simple(&d->q);
    if (rc != 0) {
        cass_query_release(&d->q);
        api_respond_cass_error(d->req, rc, NULL);
    }
}

static void
ddl_run(struct ddl *d)
{
    ddl_send(d, on_ddl_done);
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
    d->ans = ks;
    d->ans_len = len;
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
    ddl_grant_creator(d, "KEYSPACE", name, name_len, NULL, 0);
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
    const char *name = http_req_param_n(req, "ks", &len);
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

/* ---- tables and columns: reading (3.2, 3.3) -------------------------------------------------- */

static void
respond_no_keyspace(struct http_req *req, const char *ks, size_t ks_len)
{
    api_respond_msg(req, 400, "Keyspace '", ks, ks_len, "' not found", NULL, 0, NULL);
}

static void
respond_no_table(struct http_req *req, int status, const char *ks, size_t ks_len, const char *t,
                 size_t t_len)
{
    api_respond_msg(req, status, "Table '", t, t_len, "' not found (in keyspace ", ks, ks_len, ")");
}

static void
respond_no_column(struct http_req *req, int status, const char *t, size_t t_len, const char *col,
                  size_t col_len)
{
    api_respond_msg(req, status, "Column '", col, col_len, "' not found in table '", t, t_len, "'");
}

/* The path parameters of a table or column route, percent-decoded. */
struct tpath {
    const char *ks, *t, *col;
    size_t      ks_len, t_len, col_len;
};

/*
 * Decodes {ks}, {t} (WITH_TABLE) and {col} (WITH_COL) of REQ into P. Answers 400 and returns -1
 * when one is badly escaped.
 */
static int
tpath_of(struct http_req *req, struct tpath *p, bool with_table, bool with_col)
{
    memset(p, 0, sizeof(*p));
    p->ks = http_req_param_n(req, "ks", &p->ks_len);
    if (p->ks == NULL) {
        http_respond_error(req, 400, "Request invalid: badly escaped keyspace name.", NULL);
        return -1;
    }
    if (with_table) {
        p->t = http_req_param_n(req, "t", &p->t_len);
        if (p->t == NULL) {
            http_respond_error(req, 400, "Request invalid: badly escaped table name.", NULL);
            return -1;
        }
    }
    if (with_col) {
        p->col = http_req_param_n(req, "col", &p->col_len);
        if (p->col == NULL) {
            http_respond_error(req, 400, "Request invalid: badly escaped column name.", NULL);
            return -1;
        }
    }
    return 0;
}

/*
 * Finds P's keyspace (and table when P has one) in a new reference *M. On failure answers REQ
 * (400 for a keyspace, NO_TABLE_STATUS for a table), drops the reference and returns -1.
 */
static int
tpath_find(struct http_req *req, const struct tpath *p, int no_table_status, struct cass_meta **m,
           const struct cass_meta_keyspace **ks, const struct cass_meta_table **t)
{
    *m = api_schema_ref();
    if (*m == NULL) {
        api_respond_not_ready(req);
        return -1;
    }
    *ks = cass_meta_keyspace(*m, p->ks, p->ks_len);
    if (*ks == NULL) {
        cass_meta_unref(*m);
        respond_no_keyspace(req, p->ks, p->ks_len);
        return -1;
    }
    if (t == NULL) {
        return 0;
    }
    *t = cass_meta_table(*ks, p->t, p->t_len);
    if (*t == NULL) {
        cass_meta_unref(*m);
        respond_no_table(req, no_table_status, p->ks, p->ks_len, p->t, p->t_len);
        return -1;
    }
    return 0;
}

static void
write_column(struct jw *j, const struct cass_meta_column *c, struct cql_wr *tmp)
{
    tmp->len = 0;
    if (cass_meta_type_text(c->type, tmp) != 0) {
        jw_fail(j, E_INVALID);
        return;
    }
    jw_object_begin(j);
    jw_key(j, "name");
    jw_string_n(j, c->name.p, c->name.len);
    jw_key(j, "typeDefinition");
    jw_string_n(j, (const char *)tmp->p, tmp->len);
    jw_key(j, "static");
    jw_bool(j, c->kind == CASS_META_STATIC);
    jw_object_end(j);
}

static void
write_table(struct jw *j, const struct cass_meta_table *t, struct cql_wr *tmp)
{
    uint32_t nkey = t->npartition + t->nclustering;

    jw_object_begin(j);
    jw_key(j, "name");
    jw_string_n(j, t->name.p, t->name.len);
    jw_key(j, "keyspace");
    jw_string_n(j, t->keyspace->name.p, t->keyspace->name.len);
    jw_key(j, "columnDefinitions");
    jw_array_begin(j);
    for (uint32_t i = 0; i < t->ncolumns; i++) {
        write_column(j, &t->columns[i], tmp);
    }
    jw_array_end(j);
    jw_key(j, "primaryKey");
    jw_object_begin(j);
    jw_key(j, "partitionKey");
    jw_array_begin(j);
    for (uint32_t i = 0; i < t->npartition; i++) {
        jw_string_n(j, t->columns[i].name.p, t->columns[i].name.len);
    }
    jw_array_end(j);
    jw_key(j, "clusteringKey");
    jw_array_begin(j);
    for (uint32_t i = t->npartition; i < nkey; i++) {
        jw_string_n(j, t->columns[i].name.p, t->columns[i].name.len);
    }
    jw_array_end(j);
    jw_object_end(j);
    jw_key(j, "tableOptions");
    jw_object_begin(j);
    if (t->default_ttl != 0) {
        jw_key(j, "defaultTimeToLive");
        jw_int64(j, t->default_ttl);
    }
    jw_key(j, "clusteringExpression");
    jw_array_begin(j);
    for (uint32_t i = t->npartition; i < nkey; i++) {
        jw_object_begin(j);
        jw_key(j, "column");
        jw_string_n(j, t->columns[i].name.p, t->columns[i].name.len);
        jw_key(j, "order");
        jw_string(j, t->columns[i].order == CASS_META_ORDER_DESC ? "DESC" : "ASC");
        jw_object_end(j);
    }
    jw_array_end(j);
    jw_object_end(j);
    jw_object_end(j);
}

static void
tables_list(struct http_req *req)
{
    struct tpath p;
    struct cass_meta *m;
    const struct cass_meta_keyspace *ks;
    struct cql_wr tmp;
    struct reply r;
    struct jw *j;

    if (tpath_of(req, &p, false, false) != 0 || tpath_find(req, &p, 400, &m, &ks, NULL) != 0) {
        return;
    }
    api_arena_wr(&tmp, &req->arena);
    j = reply_begin(&r, api_raw(req));
    jw_array_begin(j);
    for (uint32_t i = 0; i < ks->ntables; i++) {
        write_table(j, &ks->tables[i], &tmp);
    }
    jw_array_end(j);
    reply_end(req, &r, m);
}

static void
table_get(struct http_req *req)
{
    struct tpath p;
    struct cass_meta *m;
    const struct cass_meta_keyspace *ks;
    const struct cass_meta_table *t;
    struct cql_wr tmp;
    struct reply r;
    struct jw *j;

    if (tpath_of(req, &p, true, false) != 0 || tpath_find(req, &p, 404, &m, &ks, &t) != 0) {
        return;
    }
    api_arena_wr(&tmp, &req->arena);
    j = reply_begin(&r, api_raw(req));
    write_table(j, t, &tmp);
    reply_end(req, &r, m);
}

static void
columns_list(struct http_req *req)
{
    struct tpath p;
    struct cass_meta *m;
    const struct cass_meta_keyspace *ks;
    const struct cass_meta_table *t;
    struct cql_wr tmp;
    struct reply r;
    struct jw *j;

    if (tpath_of(req, &p, true, false) != 0 || tpath_find(req, &p, 400, &m, &ks, &t) != 0) {
        return;
    }
    api_arena_wr(&tmp, &req->arena);
    j = reply_begin(&r, api_raw(req));
    jw_array_begin(j);
    for (uint32_t i = 0; i < t->ncolumns; i++) {
        write_column(j, &t->columns[i], &tmp);
    }
    jw_array_end(j);
    reply_end(req, &r, m);
}

static void
column_get(struct http_req *req)
{
    struct tpath p;
    struct cass_meta *m;
    const struct cass_meta_keyspace *ks;
    const struct cass_meta_table *t;
    const struct cass_meta_column *c;
    struct cql_wr tmp;
    struct reply r;
    struct jw *j;

    if (tpath_of(req, &p, true, true) != 0 || tpath_find(req, &p, 400, &m, &ks, &t) != 0) {
        return;
    }
    c = cass_meta_column(t, p.col, p.col_len);
    if (c == NULL) {
        cass_meta_unref(m);
        respond_no_column(req, 404, p.t, p.t_len, p.col, p.col_len);
        return;
    }
    api_arena_wr(&tmp, &req->arena);
    j = reply_begin(&r, api_raw(req));
    write_column(j, c, &tmp);
    reply_end(req, &r, m);
}

/* ---- tables and columns: request bodies (6.1, 6.3) ------------------------------------------- */

/* Parses REQ's body as a JSON object for WHAT; answers 400 and returns NULL when it is not one. */
static const struct cql_json_node *
body_object(struct http_req *req, const char *what)
{
    struct cql_alloc a = arena_cql_alloc(&req->arena);
    struct cql_json_node *root = NULL;
    struct cql_json_err err;
    struct cql_wr msg;

    api_arena_wr(&msg, &req->arena);
    if (req->body == NULL || req->body_len == 0) {
        WR_LIT(&msg, "Invalid JSON payload for ");
        cql_wr_raw(&msg, what, strlen(what));
        WR_LIT(&msg, ", problem: No content to map due to end-of-input");
        http_respond_error_n(req, 400, (const char *)msg.p, msg.len, NULL);
        return NULL;
    }
    if (cql_json_parse((const char *)req->body, req->body_len, 0, &a, &root, &err) != 0) {
        WR_LIT(&msg, "Invalid JSON payload for ");
        cql_wr_raw(&msg, what, strlen(what));
        WR_LIT(&msg, ", problem: ");
        cql_wr_raw(&msg, err.detail, strlen(err.detail));
        http_respond_error_n(req, 400, (const char *)msg.p, msg.len, NULL);
        return NULL;
    }
    if (root->kind != CQL_JSON_OBJECT) {
        WR_LIT(&msg, "Invalid JSON payload for ");
        cql_wr_raw(&msg, what, strlen(what));
        WR_LIT(&msg, "; must be JSON Object: ");
        if (cql_json_write(&msg, root) != 0) {
            WR_LIT(&msg, "(unprintable)");
        }
        http_respond_error_n(req, 400, (const char *)msg.p, msg.len, NULL);
        return NULL;
    }
    return root;
}

/* Validation messages, joined as "Request invalid: <m1>, <m2>." (rest-v2 2). */
struct vmsgs {
    struct cql_wr w;
    unsigned      n;
};

static void
vmsg_add(struct vmsgs *v, const char *m)
{
    cql_wr_raw(&v->w, v->n == 0 ? "Request invalid: " : ", ", v->n == 0 ? 17 : 2);
    cql_wr_raw(&v->w, m, strlen(m));
    v->n++;
}

/* Answers 400 with the messages and returns true when there are any. */
static bool
vmsg_respond(struct http_req *req, struct vmsgs *v)
{
    if (v->n == 0) {
        return false;
    }
    cql_wr_byte(&v->w, '.');
    http_respond_error_n(req, 400, (const char *)v->w.p, v->w.len, NULL);
    return true;
}

/* True when S (LEN bytes) is empty or only white space (Bean Validation's @NotBlank). */
static bool
blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (!isspace((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}

/* A required string member: 1 with *S and *LEN when present and not blank, 0 when absent or
 * blank, -1 when not a string-like value. */
static int
required_string(const struct cql_json_node *obj, const char *key, const char **s, size_t *len)
{
    int rc = string_of(cql_json_get(obj, key, strlen(key)), s, len);

    if (rc == 1 && blank(*s, *len)) {
        return 0;
    }
    return rc;
}

/* Answers 400 for a member of the wrong JSON kind. */
static void
respond_bad_member(struct http_req *req, const char *what, const char *member, const char *want)
{
    struct cql_wr msg;

    api_arena_wr(&msg, &req->arena);
    WR_LIT(&msg, "Invalid JSON payload for ");
    cql_wr_raw(&msg, what, strlen(what));
    WR_LIT(&msg, ", problem: '");
    cql_wr_raw(&msg, member, strlen(member));
    WR_LIT(&msg, "' must be ");
    cql_wr_raw(&msg, want, strlen(want));
    http_respond_error_n(req, 400, (const char *)msg.p, msg.len, NULL);
}

/*
 * A boolean member: *OUT set from true/false (or the strings "true"/"false", any case), left
 * alone when absent or null. Returns -1 for anything else.
 */
static int
bool_of(const struct cql_json_node *v, bool *out)
{
    if (v == NULL || v->kind == CQL_JSON_NULL) {
        return 0;
    }
    if (v->kind == CQL_JSON_TRUE || v->kind == CQL_JSON_FALSE) {
        *out = v->kind == CQL_JSON_TRUE;
        return 0;
    }
    if (v->kind == CQL_JSON_STRING && v->len == 4 && strncasecmp(v->s, "true", 4) == 0) {
        *out = true;
        return 0;
    }
    if (v->kind == CQL_JSON_STRING && v->len == 5 && strncasecmp(v->s, "false", 5) == 0) {
        *out = false;
        return 0;
    }
    return -1;
}

/*
 * Appends the CQL type text TYPE (LEN bytes) of column COL to W, after parsing it: what goes into
 * the statement is the parsed type written back (natives by name, user type names quoted), never
 * the client's text. Answers 400 and returns -1 when the text is not a CQL type.
 */
static int
append_type(struct http_req *req, struct cql_wr *w, const char *col, size_t col_len,
            const char *type, size_t len)
{
    struct cql_alloc a = arena_cql_alloc(&req->arena);
    struct cql_type *t = NULL;
    const char *desc = NULL;
    struct cql_wr msg;

    if (memchr(type, '\0', len) == NULL
        && cql_type_parse(type, len, &a, &t, &desc) == 0 && t != NULL) {
        (void)cql_type_format(t, w);
        return 0;
    }
    api_arena_wr(&msg, &req->arena);
    WR_LIT(&msg, "Invalid argument for gRPC operation (Status.Code.INVALID_ARGUMENT->400): "
                 "INVALID_ARGUMENT: Invalid type definition '");
    cql_wr_raw(&msg, type, len);
    WR_LIT(&msg, "' for column '");
    cql_wr_raw(&msg, col, col_len);
    WR_LIT(&msg, "'");
    if (desc != NULL) {
        WR_LIT(&msg, ": ");
        cql_wr_raw(&msg, desc, strlen(desc));
    }
    http_respond_error_n(req, 400, (const char *)msg.p, msg.len, "INVALID_ARGUMENT");
    return -1;
}

/*
 * Reads tableOptions.defaultTimeToLive: 1 with *TTL when given, 0 when absent or null. Answers
 * 400 and returns -1 when it is not an integer in [0, 2^31).
 */
static int
ttl_of(struct http_req *req, const struct cql_json_node *opts, int32_t *ttl)
{
    const struct cql_json_node *v = opts != NULL ? cql_json_get(opts, "defaultTimeToLive", 17)
                                                 : NULL;

    if (v == NULL || v->kind == CQL_JSON_NULL) {
        return 0;
    }
    if (replicas_of(v, ttl) != 0 || *ttl < 0) {
        http_respond_error(req, 400, "Request invalid: TableOptions.defaultTimeToLive must be a "
                           "non-negative integer.", NULL);
        return -1;
    }
    return 1;
}

/* Appends the decimal N to W. */
static void
append_int(struct cql_wr *w, int64_t n)
{
    char num[24];

    snprintf(num, sizeof(num), "%" PRId64, n);
    cql_wr_raw(w, num, strlen(num));
}

/* Appends "ks"."t" to W. */
static void
append_table_name(struct cql_wr *w, const char *ks, size_t ks_len, const char *t, size_t t_len)
{
    api_quote_ident(w, ks, ks_len);
    cql_wr_byte(w, '.');
    api_quote_ident(w, t, t_len);
}

/* True when the string array ARR (may be NULL) holds S. */
static bool
names_hold(const struct cql_json_node *arr, const char *s, size_t len)
{
    for (const struct cql_json_node *e = arr != NULL ? arr->child : NULL; e != NULL; e = e->next) {
        if (e->kind == CQL_JSON_STRING && e->len == len && memcmp(e->s, s, len) == 0) {
            return true;
        }
    }
    return false;
}

/* The columnDefinitions entry named S, or NULL. */
static const struct cql_json_node *
column_def(const struct cql_json_node *defs, const char *s, size_t len)
{
    for (const struct cql_json_node *e = defs->child; e != NULL; e = e->next) {
        const char *n = NULL;
        size_t nl = 0;

        if (string_of(cql_json_get(e, "name", 4), &n, &nl) == 1 && nl == len
            && memcmp(n, s, len) == 0) {
            return e;
        }
    }
    return NULL;
}

/*
 * Appends one column definition "name" type [STATIC] to D's CQL. Answers 400 and returns -1 on a
 * bad definition.
 */
static int
append_column_def(struct http_req *req, struct cql_wr *w, const struct cql_json_node *def,
                  bool allow_static)
{
    const char *name = NULL, *type = NULL;
    size_t name_len = 0, type_len = 0;
    bool is_static = false;

    if (required_string(def, "name", &name, &name_len) != 1) {
        http_respond_error(req, 400, "Request invalid: columnDefinition.name must be provided.",
                           NULL);
        return -1;
    }
    if (required_string(def, "typeDefinition", &type, &type_len) != 1) {
        http_respond_error(req, 400, "Request invalid: columnDefinition.typeDefinition must be "
                           "provided.", NULL);
        return -1;
    }
    if (bool_of(cql_json_get(def, "static", 6), &is_static) != 0) {
        respond_bad_member(req, "ColumnDefinition", "static", "a boolean");
        return -1;
    }
    if (refuse_nul(req, "Column name", name, name_len)) {
        return -1;
    }
    api_quote_ident(w, name, name_len);
    cql_wr_byte(w, ' ');
    if (append_type(req, w, name, name_len, type, type_len) != 0) {
        return -1;
    }
    if (is_static && allow_static) {
        WR_LIT(w, " STATIC");
    }
    return 0;
}

/* Checks that KEY (may be NULL) is an array of non-blank strings; answers 400 otherwise. */
static int
check_key_names(struct http_req *req, const struct cql_json_node *key, const char *member)
{
    if (key == NULL || key->kind == CQL_JSON_NULL) {
        return 0;
    }
    if (key->kind != CQL_JSON_ARRAY) {
        respond_bad_member(req, "TableAdd", member, "an array of column names");
        return -1;
    }
    for (const struct cql_json_node *e = key->child; e != NULL; e = e->next) {
        if (e->kind != CQL_JSON_STRING || blank(e->s, e->len)) {
            respond_bad_member(req, "TableAdd", member, "an array of column names");
            return -1;
        }
        if (refuse_nul(req, "Column name", e->s, e->len)) {
            return -1;
        }
    }
    return 0;
}

/* ---- POST .../tables (6.1) ------------------------------------------------------------------- */

/*
 * Appends " WITH CLUSTERING ORDER BY (..)" for EXPR (may be NULL) to W; sets *WITH when it wrote
 * the WITH. Answers 400 and returns -1 on a bad entry (rest-v2 9 Q8).
 */
static int
append_clustering(struct http_req *req, struct cql_wr *w, const struct cql_json_node *expr,
                  bool *with)
{
    bool first = true;

    if (expr == NULL || expr->kind == CQL_JSON_NULL) {
        return 0;
    }
    if (expr->kind != CQL_JSON_ARRAY) {
        respond_bad_member(req, "TableAdd", "clusteringExpression", "an array");
        return -1;
    }
    for (const struct cql_json_node *e = expr->child; e != NULL; e = e->next) {
        const char *col = NULL, *order = NULL;
        size_t col_len = 0, order_len = 0;
        int rc;

        if (e->kind != CQL_JSON_OBJECT || required_string(e, "column", &col, &col_len) != 1) {
            http_respond_error(req, 400, "Request invalid: clusteringExpression.column must be "
                               "provided.", NULL);
            return -1;
        }
        rc = string_of(cql_json_get(e, "order", 5), &order, &order_len);
        if (rc < 0) {
            respond_bad_member(req, "TableAdd", "clusteringExpression.order", "ASC or DESC");
            return -1;
        }
        if (rc == 0 || !((order_len == 3 && strncasecmp(order, "ASC", 3) == 0)
                         || (order_len == 4 && strncasecmp(order, "DESC", 4) == 0))) {
            api_respond_msg(req, 400, "Unrecognized ordering value '", rc == 0 ? "null" : order,
                            rc == 0 ? 4 : order_len, "'", NULL, 0, NULL);
            return -1;
        }
        if (refuse_nul(req, "Column name", col, col_len)) {
            return -1;
        }
        if (first) {
            WR_LIT(w, " WITH CLUSTERING ORDER BY (");
        } else {
            WR_LIT(w, ", ");
        }
        first = false;
        api_quote_ident(w, col, col_len);
        if (order_len == 3) {
            WR_LIT(w, " ASC");
        } else {
            WR_LIT(w, " DESC");
        }
    }
    if (!first) {
        cql_wr_byte(w, ')');
        *with = true;
    }
    return 0;
}

static void
table_create(struct http_req *req)
{
    const struct cql_json_node *root, *defs, *pk, *part, *clus, *opts;
    struct tpath p;
    struct cass_meta *m;
    const struct cass_meta_keyspace *ks;
    const char *name = NULL;
    size_t name_len = 0;
    bool if_not_exists = false, with = false;
    int32_t ttl = 0;
    int has_ttl;
    struct vmsgs v;
    struct ddl *d;

    if (tpath_of(req, &p, false, false) != 0 || (root = body_object(req, "TableAdd")) == NULL) {
        return;
    }
    api_arena_wr(&v.w, &req->arena);
    v.n = 0;
    if (required_string(root, "name", &name, &name_len) != 1) {
        vmsg_add(&v, "TableAdd.name must be provided");
    }
    defs = cql_json_get(root, "columnDefinitions", 17);
    if (defs == NULL || defs->kind != CQL_JSON_ARRAY || defs->n == 0) {
        vmsg_add(&v, "TableAdd.columnDefinitions must be provided");
    }
    pk = cql_json_get(root, "primaryKey", 10);
    part = pk != NULL && pk->kind == CQL_JSON_OBJECT ? cql_json_get(pk, "partitionKey", 12) : NULL;
    if (part == NULL || part->kind != CQL_JSON_ARRAY || part->n == 0) {
        vmsg_add(&v, "TableAdd.primaryKey.partitionKey must be provided");
    }
    if (vmsg_respond(req, &v)) {
        return;
    }
    clus = cql_json_get(pk, "clusteringKey", 13);
    opts = cql_json_get(root, "tableOptions", 12);
    if (opts != NULL && opts->kind != CQL_JSON_NULL && opts->kind != CQL_JSON_OBJECT) {
        respond_bad_member(req, "TableAdd", "tableOptions", "an object");
        return;
    }
    if (opts != NULL && opts->kind == CQL_JSON_NULL) {
        opts = NULL;
    }
    if (bool_of(cql_json_get(root, "ifNotExists", 11), &if_not_exists) != 0) {
        respond_bad_member(req, "TableAdd", "ifNotExists", "a boolean");
        return;
    }
    if (check_key_names(req, part, "primaryKey.partitionKey") != 0
        || check_key_names(req, clus, "primaryKey.clusteringKey") != 0
        || refuse_nul(req, "Table name", name, name_len)
        || (has_ttl = ttl_of(req, opts, &ttl)) < 0) {
        return;
    }
    for (const struct cql_json_node *e = defs->child; e != NULL; e = e->next) {
        if (e->kind != CQL_JSON_OBJECT) {
            respond_bad_member(req, "TableAdd", "columnDefinitions", "an array of objects");
            return;
        }
    }
    if (tpath_find(req, &p, 400, &m, &ks, NULL) != 0) {
        return;
    }
    cass_meta_unref(m);

    d = ddl_new(req, p.ks, p.ks_len, 201);
    ddl_grant_creator(d, "TABLE", p.ks, p.ks_len, name, name_len);
    d->ans = name;
    d->ans_len = name_len;
    WR_LIT(&d->cql, "CREATE TABLE ");
    if (if_not_exists) {
        WR_LIT(&d->cql, "IF NOT EXISTS ");
    }
    append_table_name(&d->cql, p.ks, p.ks_len, name, name_len);
    WR_LIT(&d->cql, " (");
    /* the key columns in primaryKey order, then the others in body order */
    for (int pass = 0; pass < 2; pass++) {
        const struct cql_json_node *key = pass == 0 ? part : clus;

        for (const struct cql_json_node *e = key != NULL && key->kind == CQL_JSON_ARRAY
                 ? key->child : NULL; e != NULL; e = e->next) {
            const struct cql_json_node *def = column_def(defs, e->s, e->len);

            if (def == NULL) {
                api_respond_msg(req, 400, "Request invalid: primary key column '", e->s, e->len,
                                "' is not in columnDefinitions.", NULL, 0, NULL);
                return;
            }
            if (append_column_def(req, &d->cql, def, false) != 0) {
                return;
            }
            WR_LIT(&d->cql, ", ");
        }
    }
    for (const struct cql_json_node *e = defs->child; e != NULL; e = e->next) {
        const char *n = NULL;
        size_t nl = 0;

        if (string_of(cql_json_get(e, "name", 4), &n, &nl) == 1
            && (names_hold(part, n, nl) || names_hold(clus, n, nl))) {
            continue;
        }
        if (append_column_def(req, &d->cql, e, true) != 0) {
            return;
        }
        WR_LIT(&d->cql, ", ");
    }
    WR_LIT(&d->cql, "PRIMARY KEY ((");
    for (const struct cql_json_node *e = part->child; e != NULL; e = e->next) {
        if (e != part->child) {
            WR_LIT(&d->cql, ", ");
        }
        api_quote_ident(&d->cql, e->s, e->len);
    }
    cql_wr_byte(&d->cql, ')');
    for (const struct cql_json_node *e = clus != NULL && clus->kind == CQL_JSON_ARRAY
             ? clus->child : NULL; e != NULL; e = e->next) {
        WR_LIT(&d->cql, ", ");
        api_quote_ident(&d->cql, e->s, e->len);
    }
    WR_LIT(&d->cql, "))");
    if (append_clustering(req, &d->cql, opts != NULL ? cql_json_get(opts, "clusteringExpression",
                                                                      20) : NULL, &with) != 0) {
        return;
    }
    if (has_ttl == 1) {
        if (with) {
            WR_LIT(&d->cql, " AND default_time_to_live = ");
        } else {
            WR_LIT(&d->cql, " WITH default_time_to_live = ");
        }
        append_int(&d->cql, ttl);
    }
    ddl_run(d);
}

/* ---- PUT .../tables/{t} ---------------------------------------------------------------------- */

static void
table_update(struct http_req *req)
{
    const struct cql_json_node *root, *opts, *expr;
    struct tpath p;
    struct cass_meta *m;
    const struct cass_meta_keyspace *ks;
    const struct cass_meta_table *t;
    const char *name = NULL;
    size_t name_len = 0;
    int32_t ttl = 0;
    int has_ttl;
    struct ddl *d;

    if (tpath_of(req, &p, true, false) != 0 || (root = body_object(req, "TableUpdate")) == NULL) {
        return;
    }
    if (required_string(root, "name", &name, &name_len) != 1) {
        http_respond_error(req, 400, "Request invalid: TableAdd.name must be provided.", NULL);
        return;
    }
    opts = cql_json_get(root, "tableOptions", 12);
    if (opts != NULL && opts->kind != CQL_JSON_NULL && opts->kind != CQL_JSON_OBJECT) {
        respond_bad_member(req, "TableUpdate", "tableOptions", "an object");
        return;
    }
    if (opts != NULL && opts->kind == CQL_JSON_NULL) {
        opts = NULL;
    }
    if (tpath_find(req, &p, 400, &m, &ks, &t) != 0) {
        return;
    }
    cass_meta_unref(m);
    expr = opts != NULL ? cql_json_get(opts, "clusteringExpression", 20) : NULL;
    if (expr != NULL && expr->kind != CQL_JSON_NULL
        && (expr->kind != CQL_JSON_ARRAY || expr->n > 0)) {
        http_respond_error(req, 400, "Cannot update the clustering order of a table", NULL);
        return;
    }
    has_ttl = ttl_of(req, opts, &ttl);
    if (has_ttl < 0) {
        return;
    }
    if (has_ttl == 0) {
        http_respond_error(req, 400, "No update provided for defaultTTL", NULL);
        return;
    }
    d = ddl_new(req, p.ks, p.ks_len, 200);
    d->ans = p.t;
    d->ans_len = p.t_len;
    WR_LIT(&d->cql, "ALTER TABLE ");
    append_table_name(&d->cql, p.ks, p.ks_len, p.t, p.t_len);
    WR_LIT(&d->cql, " WITH default_time_to_live = ");
    append_int(&d->cql, ttl);
    ddl_run(d);
}

/* ---- DELETE .../tables/{t} ------------------------------------------------------------------- */

static void
table_delete(struct http_req *req)
{
    struct tpath p;
    struct ddl *d;

    if (tpath_of(req, &p, true, false) != 0 || refuse_nul(req, "Keyspace name", p.ks, p.ks_len)
        || refuse_nul(req, "Table name", p.t, p.t_len)) {
        return;
    }
    d = ddl_new(req, p.ks, p.ks_len, 204);
    WR_LIT(&d->cql, "DROP TABLE IF EXISTS ");
    append_table_name(&d->cql, p.ks, p.ks_len, p.t, p.t_len);
    ddl_run(d);
}

/* ---- columns: POST, PUT, DELETE (3.3, 6.3) --------------------------------------------------- */

static void
column_create(struct http_req *req)
{
    const struct cql_json_node *root;
    struct tpath p;
    struct cass_meta *m;
    const struct cass_meta_keyspace *ks;
    const struct cass_meta_table *t;
    const char *name = NULL;
    size_t name_len = 0;
    struct ddl *d;

    if (tpath_of(req, &p, true, false) != 0
        || (root = body_object(req, "ColumnDefinition")) == NULL) {
        return;
    }
    if (required_string(root, "name", &name, &name_len) != 1) {
        http_respond_error(req, 400, "Request invalid: columnDefinition.name must be provided.",
                           NULL);
        return;
    }
    if (tpath_find(req, &p, 400, &m, &ks, &t) != 0) {
        return;
    }
    cass_meta_unref(m);
    d = ddl_new(req, p.ks, p.ks_len, 201);
    d->ans = name;
    d->ans_len = name_len;
    WR_LIT(&d->cql, "ALTER TABLE ");
    append_table_name(&d->cql, p.ks, p.ks_len, p.t, p.t_len);
    WR_LIT(&d->cql, " ADD ");
    if (append_column_def(req, &d->cql, root, true) != 0) {
        return;
    }
    ddl_run(d);
}

/*
 * Finds the table and column of a column route in a snapshot; answers 400 for any of them missing.
 * Returns 0, or -1 when it answered.
 */
static int
column_must_exist(struct http_req *req, const struct tpath *p)
{
    struct cass_meta *m;
    const struct cass_meta_keyspace *ks;
    const struct cass_meta_table *t;
    bool found;

    if (tpath_find(req, p, 400, &m, &ks, &t) != 0) {
        return -1;
    }
    found = cass_meta_column(t, p->col, p->col_len) != NULL;
    cass_meta_unref(m);
    if (!found) {
        respond_no_column(req, 400, p->t, p->t_len, p->col, p->col_len);
        return -1;
    }
    return 0;
}

static void
column_update(struct http_req *req)
{
    const struct cql_json_node *root;
    struct tpath p;
    const char *name = NULL;
    size_t name_len = 0;
    struct ddl *d;
    struct cql_wr body;
    struct jw j;

    if (tpath_of(req, &p, true, true) != 0
        || (root = body_object(req, "ColumnDefinition")) == NULL) {
        return;
    }
    if (required_string(root, "name", &name, &name_len) != 1) {
        http_respond_error(req, 400, "Request invalid: columnDefinition.name must be provided.",
                           NULL);
        return;
    }
    if (column_must_exist(req, &p) != 0 || refuse_nul(req, "Column name", name, name_len)) {
        return;
    }
    if (name_len == p.col_len && memcmp(name, p.col, name_len) == 0) {
        http_body_init(&body);
        jw_init(&j, &body);
        jw_object_begin(&j);
        jw_key(&j, "name");
        jw_string_n(&j, name, name_len);
        jw_object_end(&j);
        if (jw_finish(&j) != 0 && body.err == 0) {
            body.err = E_INVALID;
        }
        http_respond_json(req, 200, &body);
        return;
    }
    d = ddl_new(req, p.ks, p.ks_len, 200);
    d->ans = name;
    d->ans_len = name_len;
    WR_LIT(&d->cql, "ALTER TABLE ");
    append_table_name(&d->cql, p.ks, p.ks_len, p.t, p.t_len);
    WR_LIT(&d->cql, " RENAME ");
    api_quote_ident(&d->cql, p.col, p.col_len);
    WR_LIT(&d->cql, " TO ");
    api_quote_ident(&d->cql, name, name_len);
    ddl_run(d);
}

static void
column_delete(struct http_req *req)
{
    struct tpath p;
    struct ddl *d;

    if (tpath_of(req, &p, true, true) != 0 || column_must_exist(req, &p) != 0) {
        return;
    }
    d = ddl_new(req, p.ks, p.ks_len, 204);
    WR_LIT(&d->cql, "ALTER TABLE ");
    append_table_name(&d->cql, p.ks, p.ks_len, p.t, p.t_len);
    WR_LIT(&d->cql, " DROP ");
    api_quote_ident(&d->cql, p.col, p.col_len);
    ddl_run(d);
}

/* ---- indexes: GET, POST, DELETE (3.4, 6.4) --------------------------------------------------- */

/* True unless the query parameter NAME is "false" (any case). */
static bool
query_true_default(struct http_req *req, const char *name)
{
    const char *v = http_req_query(req, name);

    return v == NULL || strcasecmp(v, "false") != 0;
}

/* True when the query parameter NAME is "true" (any case). */
static bool
query_true(struct http_req *req, const char *name)
{
    const char *v = http_req_query(req, name);

    return v != NULL && strcasecmp(v, "true") == 0;
}

static void
write_index(struct jw *j, const struct cass_meta_keyspace *ks, const struct cass_meta_index *ix,
            bool compact)
{
    jw_object_begin(j);
    jw_key(j, "keyspace_name");
    jw_string_n(j, ks->name.p, ks->name.len);
    jw_key(j, "table_name");
    jw_string_n(j, ix->table_name.p, ix->table_name.len);
    jw_key(j, "index_name");
    jw_string_n(j, ix->name.p, ix->name.len);
    jw_key(j, "kind");
    jw_string_n(j, ix->kind.p, ix->kind.len);
    jw_key(j, "options");
    if (compact) {
        jw_object_begin(j);
        for (uint32_t i = 0; i < ix->noptions; i++) {
            jw_key_n(j, ix->options[i].key.p, ix->options[i].key.len);
            jw_string_n(j, ix->options[i].value.p, ix->options[i].value.len);
        }
        jw_object_end(j);
    } else {
        jw_array_begin(j);
        for (uint32_t i = 0; i < ix->noptions; i++) {
            jw_object_begin(j);
            jw_key(j, "key");
            jw_string_n(j, ix->options[i].key.p, ix->options[i].key.len);
            jw_key(j, "value");
            jw_string_n(j, ix->options[i].value.p, ix->options[i].value.len);
            jw_object_end(j);
        }
        jw_array_end(j);
    }
    jw_object_end(j);
}

static void
indexes_list(struct http_req *req)
{
    struct tpath p;
    struct cass_meta *m;
    const struct cass_meta_keyspace *ks;
    const struct cass_meta_table *t;
    bool compact = query_true_default(req, "compactMapData");
    struct reply r;
    struct jw *j;

    if (tpath_of(req, &p, true, false) != 0 || tpath_find(req, &p, 400, &m, &ks, &t) != 0) {
        return;
    }
    j = reply_begin(&r, true);
    jw_array_begin(j);
    for (uint32_t i = 0; i < t->nindexes; i++) {
        write_index(j, ks, t->indexes[i], compact);
    }
    jw_array_end(j);
    reply_end(req, &r, m);
}

/* Answers 400 INVALID_ARGUMENT with "<what> '<s>'<tail>". */
static void
respond_invalid_arg(struct http_req *req, const char *what, const char *s, size_t len,
                    const char *tail)
{
    struct cql_wr msg;

    api_arena_wr(&msg, &req->arena);
    WR_LIT(&msg, "Invalid argument for gRPC operation (Status.Code.INVALID_ARGUMENT->400): "
                 "INVALID_ARGUMENT: ");
    cql_wr_raw(&msg, what, strlen(what));
    WR_LIT(&msg, " '");
    cql_wr_raw(&msg, s, len);
    cql_wr_byte(&msg, '\'');
    cql_wr_raw(&msg, tail, strlen(tail));
    http_respond_error_n(req, 400, (const char *)msg.p, msg.len, "INVALID_ARGUMENT");
}

/* The CQL function of an IndexAdd kind (6.4), or NULL for an unknown one. */
static const char *
index_kind_fn(const char *k, size_t len)
{
    static const char *const kinds[][2] = {
        {"KEYS", "keys"}, {"VALUES", "values"}, {"ENTRIES", "entries"}, {"FULL", "full"},
    };

    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        if (strlen(kinds[i][0]) == len && memcmp(kinds[i][0], k, len) == 0) {
            return kinds[i][1];
        }
    }
    return NULL;
}

static void
index_create(struct http_req *req)
{
    const struct cql_json_node *root, *opts;
    struct tpath p;
    struct cass_meta *m;
    const struct cass_meta_keyspace *ks;
    const struct cass_meta_table *t;
    const char *col = NULL, *name = NULL, *type = NULL, *kind = NULL, *fn = NULL;
    size_t col_len = 0, name_len = 0, type_len = 0, kind_len = 0;
    bool if_not_exists = false, found;
    int has_name, has_type, has_kind;
    struct ddl *d;

    if (tpath_of(req, &p, true, false) != 0 || (root = body_object(req, "IndexAdd")) == NULL) {
        return;
    }
    if (required_string(root, "column", &col, &col_len) != 1) {
        http_respond_error(req, 400, "Request invalid: IndexAddRequest.column must be provided.",
                           NULL);
        return;
    }
    has_name = required_string(root, "name", &name, &name_len);
    has_type = required_string(root, "type", &type, &type_len);
    has_kind = string_of(cql_json_get(root, "kind", 4), &kind, &kind_len);
    if (has_name < 0) {
        respond_bad_member(req, "IndexAdd", "name", "a string");
        return;
    }
    if (has_type < 0) {
        respond_bad_member(req, "IndexAdd", "type", "a string");
        return;
    }
    if (bool_of(cql_json_get(root, "ifNotExists", 11), &if_not_exists) != 0) {
        respond_bad_member(req, "IndexAdd", "ifNotExists", "a boolean");
        return;
    }
    opts = cql_json_get(root, "options", 7);
    if (opts != NULL && opts->kind == CQL_JSON_NULL) {
        opts = NULL;
    }
    if (opts != NULL && opts->kind != CQL_JSON_OBJECT) {
        respond_bad_member(req, "IndexAdd", "options", "an object");
        return;
    }
    if (opts != NULL && has_type != 1) {
        http_respond_error(req, 400, "Index 'type' must be specified if 'options' are specified",
                           NULL);
        return;
    }
    if (has_kind < 0) {
        respond_bad_member(req, "IndexAdd", "kind", "one of KEYS, VALUES, ENTRIES, FULL");
        return;
    }
    if (has_kind == 1 && (fn = index_kind_fn(kind, kind_len)) == NULL) {
        respond_invalid_arg(req, "Invalid index kind", kind, kind_len,
                            ": must be one of KEYS, VALUES, ENTRIES, FULL");
        return;
    }
    for (const struct cql_json_node *e = opts != NULL ? opts->child : NULL; e != NULL;
         e = e->next) {
        const char *v = NULL;
        size_t vl = 0;

        if (string_of(e, &v, &vl) != 1) {
            respond_bad_member(req, "IndexAdd", "options", "an object of strings");
            return;
        }
        if (refuse_nul(req, "Index option", e->name, e->name_len)
            || refuse_nul(req, "Index option", v, vl)) {
            return;
        }
    }
    if (refuse_nul(req, "Column name", col, col_len)
        || (has_name == 1 && refuse_nul(req, "Index name", name, name_len))
        || (has_type == 1 && refuse_nul(req, "Index type", type, type_len))) {
        return;
    }
    if (tpath_find(req, &p, 400, &m, &ks, &t) != 0) {
        return;
    }
    found = cass_meta_column(t, col, col_len) != NULL;
    cass_meta_unref(m);
    if (!found) {
        respond_no_column(req, 404, p.t, p.t_len, col, col_len);
        return;
    }
    d = ddl_new(req, p.ks, p.ks_len, 201);
    d->body = DDL_BODY_SUCCESS;
    WR_LIT(&d->cql, "CREATE ");
    if (has_type == 1) {
        WR_LIT(&d->cql, "CUSTOM ");
    }
    WR_LIT(&d->cql, "INDEX ");
    if (if_not_exists) {
        WR_LIT(&d->cql, "IF NOT EXISTS ");
    }
    if (has_name == 1) {
        api_quote_ident(&d->cql, name, name_len);
        cql_wr_byte(&d->cql, ' ');
    }
    WR_LIT(&d->cql, "ON ");
    append_table_name(&d->cql, p.ks, p.ks_len, p.t, p.t_len);
    WR_LIT(&d->cql, " (");
    if (fn != NULL) {
        cql_wr_raw(&d->cql, fn, strlen(fn));
        cql_wr_byte(&d->cql, '(');
    }
    api_quote_ident(&d->cql, col, col_len);
    if (fn != NULL) {
        cql_wr_byte(&d->cql, ')');
    }
    cql_wr_byte(&d->cql, ')');
    if (has_type == 1) {
        WR_LIT(&d->cql, " USING ");
        api_quote_string(&d->cql, type, type_len);
    }
    if (opts != NULL && opts->n > 0) {
        WR_LIT(&d->cql, " WITH OPTIONS = {");
        for (const struct cql_json_node *e = opts->child; e != NULL; e = e->next) {
            const char *v = NULL;
            size_t vl = 0;

            (void)string_of(e, &v, &vl);
            if (e != opts->child) {
                WR_LIT(&d->cql, ", ");
            }
            api_quote_string(&d->cql, e->name, e->name_len);
            WR_LIT(&d->cql, ": ");
            api_quote_string(&d->cql, v, vl);
        }
        cql_wr_byte(&d->cql, '}');
    }
    ddl_run(d);
}

static void
index_delete(struct http_req *req)
{
    struct tpath p;
    struct cass_meta *m;
    const struct cass_meta_keyspace *ks;
    const struct cass_meta_table *t;
    const char *idx;
    size_t idx_len = 0;
    struct ddl *d;

    if (tpath_of(req, &p, true, false) != 0) {
        return;
    }
    idx = http_req_param_n(req, "idx", &idx_len);
    if (idx == NULL) {
        http_respond_error(req, 400, "Request invalid: badly escaped index name.", NULL);
        return;
    }
    if (tpath_find(req, &p, 400, &m, &ks, &t) != 0) {
        return;
    }
    cass_meta_unref(m);
    if (refuse_nul(req, "Index name", idx, idx_len)) {
        return;
    }
    d = ddl_new(req, p.ks, p.ks_len, 204);
    WR_LIT(&d->cql, "DROP INDEX ");
    if (query_true(req, "ifExists")) {
        WR_LIT(&d->cql, "IF EXISTS ");
    }
    append_table_name(&d->cql, p.ks, p.ks_len, idx, idx_len);
    ddl_run(d);
}

/* ---- user-defined types (3.5, 6.5) ----------------------------------------------------------- */

static void
write_udt(struct jw *j, const struct cass_meta_keyspace *ks, const struct cass_meta_udt *u)
{
    jw_object_begin(j);
    jw_key(j, "name");
    jw_string_n(j, u->name.p, u->name.len);
    jw_key(j, "keyspace");
    jw_string_n(j, ks->name.p, ks->name.len);
    jw_key(j, "fields");
    jw_array_begin(j);
    for (uint32_t i = 0; i < u->type->n; i++) {
        jw_object_begin(j);
        jw_key(j, "name");
        jw_string_n(j, u->type->field_names[i].p, u->type->field_names[i].len);
        jw_key(j, "typeDefinition");
        jw_string_n(j, u->field_types[i].p, u->field_types[i].len);
        jw_object_end(j);
    }
    jw_array_end(j);
    jw_object_end(j);
}

static void
types_list(struct http_req *req)
{
    struct tpath p;
    struct cass_meta *m;
    const struct cass_meta_keyspace *ks;
    struct reply r;
    struct jw *j;

    if (tpath_of(req, &p, false, false) != 0) {
        return;
    }
    m = api_schema_ref();
    if (m == NULL) {
        api_respond_not_ready(req);
        return;
    }
    ks = cass_meta_keyspace(m, p.ks, p.ks_len);
    j = reply_begin(&r, api_raw(req));
    jw_array_begin(j);
    for (uint32_t i = 0; ks != NULL && i < ks->nudts; i++) {
        write_udt(j, ks, &ks->udts[i]);
    }
    jw_array_end(j);
    reply_end(req, &r, m);
}

static void
type_get(struct http_req *req)
{
    struct tpath p;
    struct cass_meta *m;
    const struct cass_meta_keyspace *ks;
    const struct cass_meta_udt *u = NULL;
    const char *name;
    size_t name_len = 0;
    struct reply r;
    struct jw *j;

    if (tpath_of(req, &p, false, false) != 0) {
        return;
    }
    name = http_req_param_n(req, "type", &name_len);
    if (name == NULL) {
        http_respond_error(req, 400, "Request invalid: badly escaped type name.", NULL);
        return;
    }
    m = api_schema_ref();
    if (m == NULL) {
        api_respond_not_ready(req);
        return;
    }
    ks = cass_meta_keyspace(m, p.ks, p.ks_len);
    if (ks != NULL) {
        u = cass_meta_udt(ks, name, name_len);
    }
    if (u == NULL) {
        cass_meta_unref(m);
        api_respond_msg(req, 404, "No definition found for UDT '", name, name_len, "' (keyspace '",
                        p.ks, p.ks_len, "')");
        return;
    }
    j = reply_begin(&r, api_raw(req));
    write_udt(j, ks, u);
    reply_end(req, &r, m);
}

/* Appends one UDT field "f" type to W. Answers 400 and returns -1 on a bad field. */
static int
append_udt_field(struct http_req *req, struct cql_wr *w, const struct cql_json_node *f)
{
    const char *name = NULL, *type = NULL;
    size_t name_len = 0, type_len = 0;

    if (f->kind != CQL_JSON_OBJECT || required_string(f, "name", &name, &name_len) != 1
        || required_string(f, "typeDefinition", &type, &type_len) != 1) {
        http_respond_error(req, 400, "Field 'name' and 'typeDefinition' must be provided", NULL);
        return -1;
    }
    if (refuse_nul(req, "Field name", name, name_len)) {
        return -1;
    }
    api_quote_ident(w, name, name_len);
    cql_wr_byte(w, ' ');
    return append_type(req, w, name, name_len, type, type_len);
}

/* The "name" of a type body: 1 with *NAME, or answers 400 and returns -1. */
static int
type_name_of(struct http_req *req, const struct cql_json_node *root, const char **name,
             size_t *len)
{
    if (required_string(root, "name", name, len) != 1) {
        http_respond_error(req, 400, "typeName must be provided", NULL);
        return -1;
    }
    if (refuse_nul(req, "Type name", *name, *len)) {
        return -1;
    }
    return 1;
}

static void
type_create(struct http_req *req)
{
    const struct cql_json_node *root, *fields;
    struct tpath p;
    struct cass_meta *m;
    const struct cass_meta_keyspace *ks;
    const char *name = NULL;
    size_t name_len = 0;
    bool if_not_exists = false;
    struct ddl *d;

    if (tpath_of(req, &p, false, false) != 0
        || (root = body_object(req, "UserDefinedTypeAdd")) == NULL
        || type_name_of(req, root, &name, &name_len) < 0) {
        return;
    }
    fields = cql_json_get(root, "fields", 6);
    if (fields == NULL || fields->kind != CQL_JSON_ARRAY || fields->n == 0) {
        http_respond_error(req, 400, "There should be at least one field defined", NULL);
        return;
    }
    if (bool_of(cql_json_get(root, "ifNotExists", 11), &if_not_exists) != 0) {
        respond_bad_member(req, "UserDefinedTypeAdd", "ifNotExists", "a boolean");
        return;
    }
    if (tpath_find(req, &p, 400, &m, &ks, NULL) != 0) {
        return;
    }
    cass_meta_unref(m);
    d = ddl_new(req, p.ks, p.ks_len, 201);
    d->ans = name;
    d->ans_len = name_len;
    d->udt_create = true;
    WR_LIT(&d->cql, "CREATE TYPE ");
    if (if_not_exists) {
        WR_LIT(&d->cql, "IF NOT EXISTS ");
    }
    append_table_name(&d->cql, p.ks, p.ks_len, name, name_len);
    WR_LIT(&d->cql, " (");
    for (const struct cql_json_node *f = fields->child; f != NULL; f = f->next) {
        if (f != fields->child) {
            WR_LIT(&d->cql, ", ");
        }
        if (append_udt_field(req, &d->cql, f) != 0) {
            return;
        }
    }
    cql_wr_byte(&d->cql, ')');
    ddl_run(d);
}

/* A non-empty array member, or NULL when absent, null or empty; *BAD set for another kind. */
static const struct cql_json_node *
list_member(const struct cql_json_node *root, const char *key, bool *bad)
{
    const struct cql_json_node *v = cql_json_get(root, key, strlen(key));

    if (v == NULL || v->kind == CQL_JSON_NULL) {
        return NULL;
    }
    if (v->kind != CQL_JSON_ARRAY) {
        *bad = true;
        return NULL;
    }
    return v->n > 0 ? v : NULL;
}

static void
type_update(struct http_req *req)
{
    const struct cql_json_node *root, *add, *ren;
    struct tpath p;
    struct cass_meta *m;
    const struct cass_meta_keyspace *ks;
    const char *name = NULL;
    size_t name_len = 0, nstmts = 0, i = 0;
    bool bad = false;
    struct cql_wr *stmts;
    struct ddl *d;

    if (tpath_of(req, &p, false, false) != 0
        || (root = body_object(req, "UserDefinedTypeUpdate")) == NULL
        || type_name_of(req, root, &name, &name_len) < 0) {
        return;
    }
    add = list_member(root, "addFields", &bad);
    ren = list_member(root, "renameFields", &bad);
    if (bad) {
        respond_bad_member(req, "UserDefinedTypeUpdate", "addFields/renameFields", "an array");
        return;
    }
    if (add == NULL && ren == NULL) {
        http_respond_error(req, 400, "addFields and/or renameFields is required to update an UDT",
                           NULL);
        return;
    }
    if (tpath_find(req, &p, 400, &m, &ks, NULL) != 0) {
        return;
    }
    cass_meta_unref(m);
    nstmts = (add != NULL ? add->n : 0) + (ren != NULL ? 1 : 0);
    stmts = arena_alloc(&req->arena, nstmts * sizeof(*stmts));
    for (const struct cql_json_node *f = add != NULL ? add->child : NULL; f != NULL;
         f = f->next, i++) {
        api_arena_wr(&stmts[i], &req->arena);
        WR_LIT(&stmts[i], "ALTER TYPE ");
        append_table_name(&stmts[i], p.ks, p.ks_len, name, name_len);
        WR_LIT(&stmts[i], " ADD ");
        if (append_udt_field(req, &stmts[i], f) != 0) {
            return;
        }
    }
    if (ren != NULL) {
        api_arena_wr(&stmts[i], &req->arena);
        WR_LIT(&stmts[i], "ALTER TYPE ");
        append_table_name(&stmts[i], p.ks, p.ks_len, name, name_len);
        WR_LIT(&stmts[i], " RENAME ");
        for (const struct cql_json_node *r = ren->child; r != NULL; r = r->next) {
            const char *from = NULL, *to = NULL;
            size_t from_len = 0, to_len = 0;

            if (r->kind != CQL_JSON_OBJECT || required_string(r, "from", &from, &from_len) != 1
                || required_string(r, "to", &to, &to_len) != 1) {
                http_respond_error(req, 400, "Field 'from' and 'to' must be provided", NULL);
                return;
            }
            if (refuse_nul(req, "Field name", from, from_len)
                || refuse_nul(req, "Field name", to, to_len)) {
                return;
            }
            if (r != ren->child) {
                WR_LIT(&stmts[i], " AND ");
            }
            api_quote_ident(&stmts[i], from, from_len);
            WR_LIT(&stmts[i], " TO ");
            api_quote_ident(&stmts[i], to, to_len);
        }
        i++;
    }
    for (size_t k = 0; k < nstmts; k++) {
        if (stmts[k].err != 0) {
            http_respond_error(req, 500, "Internal error: the statement could not be built", NULL);
            return;
        }
    }
    d = ddl_new(req, p.ks, p.ks_len, 200);
    d->body = DDL_BODY_EMPTY;
    d->cql = stmts[0];
    d->next = stmts + 1;
    d->nnext = nstmts - 1;
    ddl_run(d);
}

static void
type_delete(struct http_req *req)
{
    struct tpath p;
    const char *name;
    size_t name_len = 0;
    struct ddl *d;

    if (tpath_of(req, &p, false, false) != 0) {
        return;
    }
    name = http_req_param_n(req, "type", &name_len);
    if (name == NULL) {
        http_respond_error(req, 400, "Request invalid: badly escaped type name.", NULL);
        return;
    }
    if (refuse_nul(req, "Keyspace name", p.ks, p.ks_len)
        || refuse_nul(req, "Type name", name, name_len)) {
        return;
    }
    d = ddl_new(req, p.ks, p.ks_len, 204);
    WR_LIT(&d->cql, "DROP TYPE IF EXISTS ");
    append_table_name(&d->cql, p.ks, p.ks_len, name, name_len);
    ddl_run(d);
}

/* ---- routes ---------------------------------------------------------------------------------- */

/* on_FN checks the token and that its role holds PERM on ON, then runs FN. */
#define AUTHED(fn, perm, on)                                                                       \
    static void on_##fn(struct http_req *req)                                                      \
    {                                                                                              \
        auth_check(req, (struct authz_need){ AUTHZ_##perm, AUTHZ_##on }, fn);                      \
    }

/* Reading the schema needs no grant (Cassandra lets every role read system_schema); changing it
 * needs what the CQL statement would: CREATE on the parent, ALTER or DROP on the resource. */
AUTHED(keyspaces_list, NONE, ALL_KEYSPACES)
AUTHED(keyspace_get, NONE, ALL_KEYSPACES)
AUTHED(keyspace_create, CREATE, ALL_KEYSPACES)
AUTHED(keyspace_delete, DROP, KEYSPACE)
AUTHED(tables_list, NONE, ALL_KEYSPACES)
AUTHED(table_get, NONE, ALL_KEYSPACES)
AUTHED(table_create, CREATE, KEYSPACE)
AUTHED(table_update, ALTER, TABLE)
AUTHED(table_delete, DROP, TABLE)
AUTHED(columns_list, NONE, ALL_KEYSPACES)
AUTHED(column_get, NONE, ALL_KEYSPACES)
AUTHED(column_create, ALTER, TABLE)
AUTHED(column_update, ALTER, TABLE)
AUTHED(column_delete, ALTER, TABLE)
AUTHED(indexes_list, NONE, ALL_KEYSPACES)
AUTHED(index_create, ALTER, TABLE)
AUTHED(index_delete, ALTER, TABLE)
AUTHED(types_list, NONE, ALL_KEYSPACES)
AUTHED(type_get, NONE, ALL_KEYSPACES)
AUTHED(type_create, CREATE, KEYSPACE)
AUTHED(type_update, ALTER, KEYSPACE)
AUTHED(type_delete, DROP, KEYSPACE)

int
api_schema_add_routes(struct router *r)
{
    int rc = 0;

    rc |= router_add(r, HTTP_M(GET), "/v2/schemas/keyspaces", on_keyspaces_list,
                     "schema_keyspaces_list");
    rc |= router_add(r, HTTP_M(POST), "/v2/schemas/keyspaces", on_keyspace_create,
                     "schema_keyspace_create");
    rc |= router_add(r, HTTP_M(GET), "/v2/schemas/keyspaces/{ks}", on_keyspace_get,
                     "schema_keyspace_get");
    rc |= router_add(r, HTTP_M(DELETE), "/v2/schemas/keyspaces/{ks}", on_keyspace_delete,
                     "schema_keyspace_delete");
    rc |= router_add(r, HTTP_M(GET), TABLES, on_tables_list, "schema_tables_list");
    rc |= router_add(r, HTTP_M(POST), TABLES, on_table_create, "schema_table_create");
    rc |= router_add(r, HTTP_M(GET), TABLES "/{t}", on_table_get, "schema_table_get");
    rc |= router_add(r, HTTP_M(PUT), TABLES "/{t}", on_table_update, "schema_table_update");
    rc |= router_add(r, HTTP_M(DELETE), TABLES "/{t}", on_table_delete, "schema_table_delete");
    rc |= router_add(r, HTTP_M(GET), COLUMNS, on_columns_list, "schema_columns_list");
    rc |= router_add(r, HTTP_M(POST), COLUMNS, on_column_create, "schema_column_create");
    rc |= router_add(r, HTTP_M(GET), COLUMNS "/{col}", on_column_get, "schema_column_get");
    rc |= router_add(r, HTTP_M(PUT), COLUMNS "/{col}", on_column_update, "schema_column_update");
    rc |= router_add(r, HTTP_M(DELETE), COLUMNS "/{col}", on_column_delete,
                     "schema_column_delete");
    rc |= router_add(r, HTTP_M(GET), INDEXES, on_indexes_list, "schema_indexes_list");
    rc |= router_add(r, HTTP_M(POST), INDEXES, on_index_create, "schema_index_create");
    rc |= router_add(r, HTTP_M(DELETE), INDEXES "/{idx}", on_index_delete,
                     "schema_index_delete");
    rc |= router_add(r, HTTP_M(GET), TYPES, on_types_list, "schema_types_list");
    rc |= router_add(r, HTTP_M(POST), TYPES, on_type_create, "schema_type_create");
    rc |= router_add(r, HTTP_M(PUT), TYPES, on_type_update, "schema_type_update");
    rc |= router_add(r, HTTP_M(GET), TYPES "/{type}", on_type_get, "schema_type_get");
    rc |= router_add(r, HTTP_M(DELETE), TYPES "/{type}", on_type_delete, "schema_type_delete");
    return rc != 0 ? E_INVALID : 0;
}
