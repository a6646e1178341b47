/*
 * api_cql.c: POST /v2/cql (see api_cql.h).
 *
 * The handler starts with the token check, which lets only superuser roles through (cqlgate does
 * not parse the statement, so it cannot know what grants it would need), then checks the request
 * and sends the body as it is:
 *
 *     body: blank? not UTF-8? a NUL outside literals? USE? --> 400
 *     query: page-size, page-state, raw, compactMapData (api_read_params); keyspace (v5 only)
 *         --QUERY--> error --> api_respond_cass_error (a refused page-state: 400)
 *                --> SCHEMA_CHANGE --> reload that keyspace, publish --> empty page
 *                --> ROWS, VOID --> api_read_respond
 *
 * The statement is never prepared: raw CQL is as varied as its callers, and preparing each
 * text would only churn the worker's prepared-statement cache.
 */
#include "api/api_cql.h"

#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "api/api_read.h"
#include "api/auth.h"
#include "cass/cass_query.h"
#include "core/log.h"
#include "cql_value.h"

/* One statement in flight (in the request's arena). */
struct cql_op {
    struct cass_query q;            /* the QUERY */
    struct http_req  *req;          /* the request it answers */
    struct api_read   rd;           /* page asked for, rendering flags */
    char             *ks;           /* keyspace a schema change touched (arena), for the reload */
    size_t            ks_len;       /* its length */
};

/* ---- the statement text ---------------------------------------------------------------------- */

/* CQL's blanks (Cassandra's lexer, WS). */
static bool
is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool
is_word(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* The offset of the first occurrence of the two characters A, B in S at or after I, or LEN. */
static size_t
find2(const char *s, size_t len, size_t i, char a, char b)
{
    for (; i + 1 < len; i++) {
        if (s[i] == a && s[i + 1] == b) {
            return i;
        }
    }
    return len;
}

/*
 * When a comment starts at S[I] (Cassandra's lexer: `--` or `//` to the end of the line, `/ *`
 * to `* /` without the spaces, not nested), the offset just past it; otherwise I. An
 * unterminated comment runs to LEN.
 */
static size_t
skip_comment(const char *s, size_t len, size_t i)
{
    if (i + 1 >= len) {
        return i;
    }
    if ((s[i] == '-' && s[i + 1] == '-') || (s[i] == '/' && s[i + 1] == '/')) {
        while (i < len && s[i] != '\n' && s[i] != '\r') {
            i++;
        }
        return i;
    }
    if (s[i] == '/' && s[i + 1] == '*') {
        i = find2(s, len, i + 2, '*', '/');
        return i < len ? i + 2 : len;
    }
    return i;
}

/*
 * When a string literal starts at S[I] ('...' with '' inside, or $$...$$), the offset just past
 * it; otherwise I. An unterminated literal runs to LEN.
 */
static size_t
skip_string(const char *s, size_t len, size_t i)
{
    if (s[i] == '\'') {
        for (i++; i < len; i++) {
            if (s[i] == '\'' && (i + 1 == len || s[i + 1] != '\'')) {
                return i + 1;
            }
            if (s[i] == '\'') {
                i++;                        /* '' is a quote inside the literal */
            }
        }
        return len;
    }
    if (i + 1 < len && s[i] == '$' && s[i + 1] == '$') {
        i = find2(s, len, i + 2, '$', '$');
        return i < len ? i + 2 : len;
    }
    return i;
}

bool
api_cql_is_use(const char *s, size_t len)
{
    size_t i = 0;

    for (;;) {
        size_t next;

        while (i < len && is_blank(s[i])) {
            i++;
        }
        next = skip_comment(s, len, i);
        if (next == i) {
            break;
        }
        i = next;
    }
    return len - i >= 3 && strncasecmp(s + i, "use", 3) == 0
           && (len - i == 3 || !is_word(s[i + 3]));
}

bool
api_cql_stray_nul(const char *s, size_t len)
{
    size_t i = 0;

    while (i < len) {
        size_t next = skip_comment(s, len, i);

        if (next == i) {
            next = skip_string(s, len, i);
        }
        if (next != i) {
            i = next;
            continue;
        }
        if (s[i] == '\0') {
            return true;
        }
        if (s[i] == '"') {
            /* A quoted name ("" inside is a quote): a ' in it starts no literal. */
            for (i++; i < len && (s[i] != '"' || (i + 1 < len && s[i + 1] == '"')); i++) {
                if (s[i] == '\0') {
                    return true;
                }
                if (s[i] == '"') {
                    i++;
                }
            }
        }
        i++;
    }
    return false;
}

/* True when the body is absent or only blanks (Java's String.isBlank, in ASCII). */
static bool
body_blank(const struct http_req *req)
{
    for (size_t i = 0; i < req->body_len; i++) {
        char c = (char)req->body[i];

        if (!is_blank(c) && c != '\v' && c != '\f') {
            return false;
        }
    }
    return true;
}

/* ---- running and answering ------------------------------------------------------------------- */

/* The empty page: what a statement without rows answers, once the schema caught up. */
static void
respond_empty(struct cql_op *op)
{
    struct cass_result none;

    memset(&none, 0, sizeof(none));
    none.result.kind = CQL_RESULT_VOID;
    api_read_respond(op->req, &none, op->rd.flags);
}

static void
on_reloaded(void *data, int status)
{
    (void)status;                   /* logged by the reload; the statement itself succeeded */
    respond_empty(data);
}

static void
on_cql_done(struct cass_query *q, const struct cass_result *res)
{
    struct cql_op *op = container_of(q, struct cql_op, q);
    struct http_req *req = op->req;
    const struct cql_str *ks = &res->result.schema.keyspace;
    int rc;

    cass_query_release(q);
    if (api_read_refused_state(req, &op->rd, res)) {
        return;
    }
    if (res->status != 0) {
        api_respond_cass_error(req, res->status, &res->error);
        return;
    }
    if (res->result.kind != CQL_RESULT_SCHEMA_CHANGE || ks->len == 0) {
        api_read_respond(req, res, op->rd.flags);
        return;
    }
    /* The answer waits for the snapshot, so the next request sees the change already. */
    op->ks = arena_alloc(&req->arena, ks->len);
    memcpy(op->ks, ks->p, ks->len);
    op->ks_len = ks->len;
    rc = api_schema_settle_keyspace(api_worker_of(req), op->ks, op->ks_len, on_reloaded, op);
    if (rc != 0) {
        log_warn("schema: cannot reload keyspace %.*s after a change: %s", (int)op->ks_len,
                 op->ks, err_str(rc));
        respond_empty(op);
    }
}

static void
cql_run(struct http_req *req)
{
    struct api_worker *aw = api_worker_of(req);
    const char *ks = http_req_query(req, "keyspace");
    struct cass_conn *c;
    struct cql_op *op;
    int rc;

    if (body_blank(req)) {
        http_respond_error(req, 400, "Request invalid: CQL query body required.", NULL);
        return;
    }
    if (!cql_utf8_valid(req->body, req->body_len)) {
        http_respond_error(req, 400, "Request invalid: CQL query body is not valid UTF-8.", NULL);
        return;
    }
    if (api_cql_stray_nul((const char *)req->body, req->body_len)) {
        http_respond_error(req, 400, "Request invalid: a NUL character is allowed only inside a "
                           "string literal or a comment.", NULL);
        return;
    }
    if (api_cql_is_use((const char *)req->body, req->body_len)) {
        http_respond_error(req, 400, "Request invalid: USE is not supported; name the keyspace "
                           "in the 'keyspace' parameter or in the statement.", NULL);
        return;
    }
    op = arena_alloc(&req->arena, sizeof(*op));
    memset(op, 0, sizeof(*op));
    op->req = req;
    if (api_read_params(req, &op->rd) != 0) {
        return;
    }
    c = api_conn(aw);
    if (c == NULL) {
        api_respond_not_ready(req);
        return;
    }
    if (ks != NULL && ks[0] != '\0' && !cql_version_has_keyspace_param(cass_conn_version(c))) {
        http_respond_error(req, 400, "Request invalid: the 'keyspace' parameter needs native "
                           "protocol v5, and the connection to Cassandra speaks v4; qualify the "
                           "table names with their keyspace instead.", NULL);
        return;
    }
    if (ks != NULL && strlen(ks) > UINT16_MAX) {
        http_respond_error(req, 400, "Request invalid: the 'keyspace' parameter is longer than "
                           "65535 bytes.", NULL);
        return;
    }
    op->q.conn = c;
    op->q.pool = &aw->pool;
    op->q.cache = &aw->pool.cache;
    op->q.cql = (const char *)req->body;
    op->q.cql_len = req->body_len;
    cql_query_params_init(&op->q.params, CQL_CL_LOCAL_QUORUM);
    api_read_page(&op->rd, &op->q.params);
    if (ks != NULL) {
        op->q.params.keyspace.p = ks;
        op->q.params.keyspace.len = strlen(ks);
    }
    op->q.timeout_ms = aw->conf->request_timeout_ms;
    op->q.done_cb = on_cql_done;
    rc = cass_query_simple(&op->q);
    if (rc != 0) {
        cass_query_release(&op->q);
        api_respond_cass_error(req, rc, NULL);
    }
}

/* ---- route ----------------------------------------------------------------------------------- */

static void
on_cql(struct http_req *req)
{
    auth_check(req, (struct authz_need){ AUTHZ_SUPERUSER, AUTHZ_ALL_KEYSPACES }, cql_run);
}

int
api_cql_add_routes(struct router *r, const struct conf *conf)
{
    if (!conf->cql_endpoint) {
        return 0;
    }
    return router_add(r, HTTP_M(POST), "/v2/cql", on_cql, "cql") != 0 ? E_INVALID : 0;
}
