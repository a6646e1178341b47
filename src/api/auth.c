/*
 * auth.c: token issue and validation (see auth.h).
 *
 * Issuing a token checks the password the way Cassandra does, with a real SASL handshake on a
 * one-off connection carrying the client's credentials, so cqlgate never reads password hashes.
 * The connection is closed as soon as the handshake has answered; the token row is then written
 * over the worker's standing session.
 *
 *     request --validate--> check (in the request's arena, on aw->checks)
 *        --cass_conn_start(user, password)--> on_check_conn: close the one-off connection
 *        --ok--> INSERT token USING TTL --> 201 {"authToken":"<uuid>"}
 *        --bad credentials--> 401; unreachable --> 503
 */
#include "api/auth.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "api/api_error.h"
#include "api/cql_json.h"
#include "core/json_w.h"
#include "core/log.h"
#include "http/http_server.h"

#define AUTH_KEYSPACE_CQL                                                                          \
    "CREATE KEYSPACE IF NOT EXISTS data_endpoint_auth WITH replication = "                         \
    "{'class': 'SimpleStrategy', 'replication_factor': 1}"
#define AUTH_TABLE_CQL                                                                             \
    "CREATE TABLE IF NOT EXISTS data_endpoint_auth.\"token\" (auth_token uuid PRIMARY KEY, "           \
    "username text, created_timestamp int)"
#define TOKEN_INSERT_CQL                                                                           \
    "INSERT INTO data_endpoint_auth.\"token\" (auth_token, username, created_timestamp) "              \
    "VALUES (?, ?, ?) USING TTL ?"
#define TOKEN_SELECT_CQL                                                                           \
    "SELECT username, created_timestamp FROM data_endpoint_auth.\"token\" WHERE auth_token = ?"

#define CACHE_CONTROL_ERROR "no-store, no-transform, max-age=0, s-maxage=0"

#define MISSING_TOKEN                                                                              \
    "Role unauthorized for operation: Missing token, expecting one in the X-Cassandra-Token "      \
    "header."
#define INVALID_TOKEN                                                                              \
    "Unauthenticated gRPC operation (Status.Code.UNAUTHENTICATED->401): UNAUTHENTICATED: "         \
    "Invalid token"

/* A validated token, trusted until EXPIRES (loop time). */
struct auth_cache_entry {
    uint8_t  token[16];             /* the UUID */
    uint64_t expires;               /* loop time in ms; 0 marks an empty slot */
    char    *user;                  /* the token's role (malloc'd), or NULL */
    size_t   user_len;              /* bytes in user */
};

struct auth_cache {
    struct auth_cache_entry slots[AUTH_CACHE_SLOTS]; /* indexed by the token's first bytes */
};

/* A password check in flight: one request's one-off connection, then its INSERT. */
struct auth_check {
    struct api_worker *aw;          /* the worker */
    struct http_req   *req;         /* the request it answers */
    struct cass_conn  *conn;        /* the one-off connection while its handshake runs */
    const char        *user;        /* the username (in the request's arena) */
    uint8_t            token[16];   /* the new token */
    struct cass_query  q;           /* the INSERT */
    struct cql_wr      values;      /* its bound values (arena) */
    struct auth_check *prev;        /* aw->checks while the handshake runs */
    struct auth_check *next;
};

/* ---- UUIDs ----------------------------------------------------------------------------------- */

int
auth_uuid_parse(const char *s, size_t len, uint8_t out[16])
{
    size_t n = 0;

    if (len != 36) {
        return -1;
    }
    for (size_t i = 0; i < 36; i += 2) {
        int hi, lo;

        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') {
                return -1;
            }
            i++;
        }
        hi = cql_hex_digit(s[i]);
        lo = cql_hex_digit(s[i + 1]);
        if (hi < 0 || lo < 0) {
            return -1;
        }
        out[n++] = (uint8_t)(hi << 4 | lo);
    }
    return n == 16 ? 0 : -1;
}

void
auth_uuid_format(const uint8_t u[16], char out[37])
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;

    for (size_t i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            out[o++] = '-';
        }
        out[o++] = hex[u[i] >> 4];
        out[o++] = hex[u[i] & 15];
    }
    out[o] = '\0';
}

int
auth_uuid_v4(uint8_t u[16])
{
    size_t got = 0;

    while (got < 16) {
        ssize_t n = getrandom(u + got, 16 - got, 0);

        if (n < 0) {
            return -1;
        }
        got += (size_t)n;
    }
    u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);
    u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
    return 0;
}

/* ---- the token cache ------------------------------------------------------------------------- */

static struct auth_cache_entry *
cache_slot(struct auth_cache *c, const uint8_t token[16])
{
    size_t i = ((size_t)token[0] << 8 | token[1]) ^ ((size_t)token[14] << 8 | token[15]);

    return &c->slots[i % AUTH_CACHE_SLOTS];
}

/* The cached entry of TOKEN while it is trusted, or NULL. */
static const struct auth_cache_entry *
cache_hit(struct auth_cache *c, const uint8_t token[16], uint64_t now)
{
    struct auth_cache_entry *e = cache_slot(c, token);

    return e->expires > now && memcmp(e->token, token, 16) == 0 ? e : NULL;
}

static void
cache_put(struct auth_cache *c, const uint8_t token[16], struct cql_bytes user, uint64_t now)
{
    struct auth_cache_entry *e = cache_slot(c, token);
    size_t len = user.len > 0 ? (size_t)user.len : 0;

    memcpy(e->token, token, 16);
    e->expires = now + AUTH_CACHE_MS;
    e->user = xrealloc(e->user, len + 1);
    memcpy(e->user, user.p, len);
    e->user[len] = '\0';
    e->user_len = len;
}

/* ---- bound values ---------------------------------------------------------------------------- */

static void
value_int(struct cql_wr *w, int32_t v)
{
    cql_wr_int(w, 4);
    cql_wr_int(w, v);
}

/* The four values of TOKEN_INSERT_CQL; CREATED is the created_timestamp cell as stored. */
static void
insert_values(struct cql_wr *w, const uint8_t token[16], const char *user, size_t user_len,
              struct cql_bytes created, uint64_t ttl)
{
    cql_wr_bytes(w, token, 16);
    cql_wr_bytes(w, user, (int32_t)user_len);
    cql_wr_bytes(w, created.p, created.len);
    value_int(w, ttl > INT32_MAX ? INT32_MAX : (int32_t)ttl);
}

static void
query_setup(struct cass_query *q, struct api_worker *aw, struct cass_conn *c, const char *cql,
            const struct cql_wr *values, uint16_t count)
{
    memset(q, 0, sizeof(*q));
    q->conn = c;
    q->pool = &aw->pool;
    q->cache = &aw->pool.cache;
    q->cql = cql;
    q->cql_len = strlen(cql);
    cql_query_params_init(&q->params, CQL_CL_LOCAL_QUORUM);
    q->params.values.p = values->p;
    q->params.values.len = values->len;
    q->params.values.count = count;
    q->timeout_ms = aw->conf->request_timeout_ms;
}

/* ---- the auth API's answers ------------------------------------------------------------------ */

/* Answers REQ with STATUS and {"description":"<DESC><DETAIL>"} (section 1.1's error body). */
static void
respond_auth_error(struct http_req *req, int status, const char *desc, const char *detail,
                   size_t detail_len)
{
    struct cql_wr body;
    struct cql_wr text;
    struct jw j;

    api_arena_wr(&text, &req->arena);
    cql_wr_raw(&text, desc, strlen(desc));
    cql_wr_raw(&text, detail, detail_len);
    http_body_init(&body);
    jw_init(&j, &body);
    jw_object_begin(&j);
    jw_key(&j, "description");
    jw_string_n(&j, (const char *)text.p, text.len);
    jw_object_end(&j);
    if (jw_finish(&j) != 0 && body.err == 0) {
        body.err = E_INVALID;
    }
    http_resp_add_header(req, "Cache-Control", CACHE_CONTROL_ERROR);
    http_respond_json(req, status, &body);
}

/* Dropwizard's own answer to a body Jackson could not read. */
static void
respond_bad_json(struct http_req *req)
{
    static const char body[] = "{\"code\":400,\"message\":\"Unable to process JSON\"}";

    http_resp_add_header(req, "Cache-Control", CACHE_CONTROL_ERROR);
    http_respond(req, 400, HTTP_JSON, body, sizeof(body) - 1);
}

/* Answers a failed Cassandra request of a token issue: 500 for a server error, else 503/504. */
static void
respond_issue_failure(struct http_req *req, int status, const struct cql_error *err)
{
    struct cql_wr desc;
    struct api_error e;

    if (status == E_SERVER && err != NULL) {
        respond_auth_error(req, 500, "Failed to create token: ", err->message.p,
                           err->message.len);
        return;
    }
    api_arena_wr(&desc, &req->arena);
    e = api_error_from_status(status, &desc);
    respond_auth_error(req, e.status, "Failed to create token: ", (const char *)desc.p,
                       desc.len);
}

/* 401: the handshake refused USER's credentials (or they could never log in). */
static void
respond_bad_credentials(struct http_req *req, const char *user)
{
    static const char head[] = "Provided username ";
    static const char tail[] = " and/or password are incorrect";
    struct cql_wr w;

    api_arena_wr(&w, &req->arena);
    cql_wr_raw(&w, head, sizeof(head) - 1);
    cql_wr_raw(&w, user, strlen(user));
    cql_wr_raw(&w, tail, sizeof(tail) - 1);
    respond_auth_error(req, 401, "Failed to create token: ", (const char *)w.p, w.len);
}

static void
respond_token(struct http_req *req, const uint8_t token[16], uint64_t ttl)
{
    char cc[96];
    char id[37];
    struct cql_wr body;
    struct jw j;
    uint64_t age = ttl > 100 ? ttl - 10 : (ttl > 0 ? ttl - 1 : 0);

    auth_uuid_format(token, id);
    snprintf(cc, sizeof(cc), "no-transform, max-age=%llu, s-maxage=%llu",
             (unsigned long long)age, (unsigned long long)age);
    http_body_init(&body);
    jw_init(&j, &body);
    jw_object_begin(&j);
    jw_key(&j, "authToken");
    jw_string(&j, id);
    jw_object_end(&j);
    if (jw_finish(&j) != 0 && body.err == 0) {
        body.err = E_INVALID;
    }
    http_resp_add_header(req, "Cache-Control", cc);
    http_respond_json(req, 201, &body);
}

/* ---- issuing a token ------------------------------------------------------------------------- */

static void
check_unlink(struct auth_check *chk)
{
    struct api_worker *aw = chk->aw;

    if (chk->prev != NULL) {
        chk->prev->next = chk->next;
    } else if (aw->checks == chk) {
        aw->checks = chk->next;
    }
    if (chk->next != NULL) {
        chk->next->prev = chk->prev;
    }
    chk->prev = NULL;
    chk->next = NULL;
}

static void
on_token_inserted(struct cass_query *q, const struct cass_result *res)
{
    struct auth_check *chk = container_of(q, struct auth_check, q);
    struct http_req *req = chk->req;

    cass_query_release(q);
    if (res->status != 0) {
        respond_issue_failure(req, res->status, &res->error);
        return;
    }
    respond_token(req, chk->token, chk->aw->conf->token_ttl);
}

static void
insert_token(struct auth_check *chk)
{
    struct api_worker *aw = chk->aw;
    struct http_req *req = chk->req;
    struct cass_conn *c = api_conn(aw);
    uint8_t created[4];
    struct cql_bytes cb = { created, 4 };
    int32_t now = (int32_t)time(NULL);
    int rc;

    if (c == NULL) {
        respond_issue_failure(req, E_NOTREADY, NULL);
        return;
    }
    if (auth_uuid_v4(chk->token) != 0) {
        respond_auth_error(req, 500, "Failed to create token: ", "no random bytes",
                           strlen("no random bytes"));
        return;
    }
    created[0] = (uint8_t)((uint32_t)now >> 24);
    created[1] = (uint8_t)((uint32_t)now >> 16);
    created[2] = (uint8_t)((uint32_t)now >> 8);
    created[3] = (uint8_t)now;
    api_arena_wr(&chk->values, &req->arena);
    insert_values(&chk->values, chk->token, chk->user, strlen(chk->user), cb,
                  aw->conf->token_ttl);
    query_setup(&chk->q, aw, c, TOKEN_INSERT_CQL, &chk->values, 4);
    chk->q.done_cb = on_token_inserted;
    rc = cass_query_run(&chk->q);
    if (rc != 0) {
        cass_query_release(&chk->q);
        respond_issue_failure(req, rc, NULL);
    }
}

/* The one-off connection's handshake answered: STATUS 0 means the password is right. */
static void
on_check_conn(struct cass_conn *c, int status)
{
    struct auth_check *chk = cass_conn_data(c);
    struct http_req *req = chk->req;
    char msg[600];

    chk->conn = NULL;
    check_unlink(chk);
    cass_conn_close(c, NULL);
    if (status == 0) {
        insert_token(chk);
        return;
    }
    if (status == E_AUTH) {
        respond_bad_credentials(req, chk->user);
        return;
    }
    log_warn("auth: cannot check a password: %s", cass_conn_error(c));
    snprintf(msg, sizeof(msg), "Cassandra is unreachable: %s", cass_conn_error(c));
    respond_auth_error(req, 503, "Failed to create token: ", msg, strlen(msg));
}

/*
 * Reads the credential field NAME of OBJ. Returns 1 with *OUT (NUL-terminated, in the arena)
 * for a non-empty value, 0 when absent, null or empty, -1 when Jackson could not bind it to a
 * String (an array or an object; other scalars are taken as their text, as Jackson does), and 2
 * for a string holding a NUL byte, which no login can have (SASL PLAIN separates with NUL).
 */
static int
credential(struct http_req *req, const struct cql_json_node *obj, const char *name,
           const char **out)
{
    const struct cql_json_node *v = cql_json_get(obj, name, strlen(name));

    if (v == NULL || v->kind == CQL_JSON_NULL) {
        return 0;
    }
    switch (v->kind) {
    case CQL_JSON_STRING:
    case CQL_JSON_NUMBER:
        if (v->len == 0) {
            return 0;
        }
        *out = arena_strndup(&req->arena, v->s, v->len);
        return memchr(v->s, '\0', v->len) != NULL ? 2 : 1;
    case CQL_JSON_TRUE:
        *out = "true";
        return 1;
    case CQL_JSON_FALSE:
        *out = "false";
        return 1;
    default:
        return -1;
    }
}

static bool
blank(const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n') {
            return false;
        }
    }
    return true;
}

/* POST /v1/auth (USER_KEY "username") and /v1/auth/token/generate (USER_KEY "key"). */
static void
issue(struct http_req *req, const char *user_key, const char *pass_key)
{
    struct api_worker *aw = api_worker_of(req);
    struct cql_alloc a = arena_cql_alloc(&req->arena);
    struct cql_json_node *root = NULL;
    struct cass_conn_opts opts;
    struct auth_check *chk;
    const char *user = NULL;
    const char *pass = NULL;
    char msg[64];
    int ru, rp, rc;

    if (req->body == NULL || blank(req->body, req->body_len)) {
        respond_auth_error(req, 400, "Must provide a body to the request", "", 0);
        return;
    }
    if (cql_json_parse((const char *)req->body, req->body_len, 0, &a, &root, NULL) != 0) {
        respond_bad_json(req);
        return;
    }
    if (root->kind == CQL_JSON_NULL) {
        respond_auth_error(req, 400, "Must provide a body to the request", "", 0);
        return;
    }
    if (root->kind != CQL_JSON_OBJECT) {
        respond_bad_json(req);
        return;
    }
    ru = credential(req, root, user_key, &user);
    rp = credential(req, root, pass_key, &pass);
    if (ru < 0 || rp < 0) {
        respond_bad_json(req);
        return;
    }
    if (ru == 0 || rp == 0) {
        snprintf(msg, sizeof(msg), "Must provide %s in request", ru == 0 ? user_key : pass_key);
        respond_auth_error(req, 400, msg, "", 0);
        return;
    }
    if (ru == 2 || rp == 2) {
        respond_bad_credentials(req, user);
        return;
    }
    if (aw->conf->auth != CONF_AUTH_TABLE) {
        static const char why[] = "tokens are not used with --auth none";

        respond_auth_error(req, 500, "Failed to create token: ", why, sizeof(why) - 1);
        return;
    }

    chk = arena_alloc(&req->arena, sizeof(*chk));
    memset(chk, 0, sizeof(*chk));
    chk->aw = aw;
    chk->req = req;
    chk->user = user;
    opts = aw->opts;
    opts.user = user;
    opts.password = pass;
    chk->conn = cass_conn_create(&((struct worker *)req->worker)->loop, &opts);
    chk->next = aw->checks;
    if (aw->checks != NULL) {
        aw->checks->prev = chk;
    }
    aw->checks = chk;
    rc = cass_conn_start(chk->conn, on_check_conn, chk);
    if (rc != 0) {
        struct cass_conn *c = chk->conn;

        chk->conn = NULL;
        check_unlink(chk);
        cass_conn_close(c, NULL);
        snprintf(msg, sizeof(msg), "Cassandra is unreachable: %s", uv_strerror(rc));
        respond_auth_error(req, 503, "Failed to create token: ", msg, strlen(msg));
    }
}

static void
on_auth(struct http_req *req)
{
    issue(req, "username", "password");
}

static void
on_token_generate(struct http_req *req)
{
    issue(req, "key", "secret");
}

/* ---- checking a token ------------------------------------------------------------------------ */

/* One token lookup in flight (in the request's arena). */
struct token_check {
    struct cass_query q;            /* the SELECT */
    struct http_req  *req;          /* the request waiting for it */
    struct authz_need need;         /* what the route needs of the token's role */
    http_handler_cb   then;         /* its handler */
    uint8_t           token[16];    /* the token */
    struct cql_wr     values;       /* the bound token */
};

/* The asynchronous re-write of a token row (heap; freed when it ends). */
struct token_touch {
    struct cass_query q;            /* the INSERT */
    struct cql_wr     values;       /* its bound values (malloc'd) */
};

static void
on_touched(struct cass_query *q, const struct cass_result *res)
{
    struct token_touch *t = container_of(q, struct token_touch, q);

    if (res->status != 0) {
        log_warn("auth: refreshing a token's TTL failed: %s", err_str(res->status));
    }
    cass_query_release(q);
    http_body_free(&t->values);
    free(t);
}

/* Re-writes the row of TOKEN with a fresh TTL (Stargate's sliding window); nobody waits on it. */
static void
token_touch(struct api_worker *aw, const uint8_t token[16], struct cql_bytes user,
            struct cql_bytes created)
{
    struct cass_conn *c = api_conn(aw);
    struct token_touch *t;

    if (c == NULL || user.len < 0) {
        return;
    }
    t = xcalloc(1, sizeof(*t));
    http_body_init(&t->values);
    insert_values(&t->values, token, (const char *)user.p, (size_t)user.len, created,
                  aw->conf->token_ttl);
    query_setup(&t->q, aw, c, TOKEN_INSERT_CQL, &t->values, 4);
    t->q.done_cb = on_touched;
    if (t->values.err != 0 || cass_query_run(&t->q) != 0) {
        cass_query_release(&t->q);
        http_body_free(&t->values);
        free(t);
    }
}

static void
on_token_selected(struct cass_query *q, const struct cass_result *res)
{
    struct token_check *tc = container_of(q, struct token_check, q);
    struct http_req *req = tc->req;
    struct api_worker *aw = api_worker_of(req);
    const struct auth_cache_entry *e;
    struct cql_bytes cells[2];
    struct cql_rd rows;

    if (res->status != 0) {
        cass_query_release(q);
        api_respond_cass_error(req, res->status, &res->error);
        return;
    }
    cql_rd_init(&rows, res->result.rows, res->result.rows_len);
    if (res->result.kind != CQL_RESULT_ROWS || res->result.rows_count < 1
        || res->result.meta.columns_count != 2 || cql_rows_next(&rows, 2, cells) != 0
        || cells[0].len <= 0) {
        cass_query_release(q);
        http_respond_error(req, 401, INVALID_TOKEN, "UNAUTHENTICATED");
        return;
    }
    token_touch(aw, tc->token, cells[0], cells[1]);
    cache_put(aw->tokens, tc->token, cells[0], uv_now(&((struct worker *)req->worker)->loop));
    cass_query_release(q);
    e = cache_slot(aw->tokens, tc->token);
    authz_check(req, e->user, e->user_len, tc->need, tc->then);
}

void
auth_check(struct http_req *req, struct authz_need need, http_handler_cb then)
{
    struct api_worker *aw = api_worker_of(req);
    const struct auth_cache_entry *e;
    const char *hdr;
    struct token_check *tc;
    struct cass_conn *c;
    uint8_t token[16];
    int rc;

    if (aw->conf->auth == CONF_AUTH_NONE) {
        then(req);
        return;
    }
    hdr = http_req_header(req, "X-Cassandra-Token");
    if (hdr == NULL) {
        http_respond_error(req, 401, MISSING_TOKEN, NULL);
        return;
    }
    if (auth_uuid_parse(hdr, strlen(hdr), token) != 0) {
        http_respond_error(req, 401, INVALID_TOKEN, "UNAUTHENTICATED");
        return;
    }
    e = cache_hit(aw->tokens, token, uv_now(&((struct worker *)req->worker)->loop));
    if (e != NULL) {
        authz_check(req, e->user, e->user_len, need, then);
        return;
    }
    c = api_conn(aw);
    if (c == NULL) {
        api_respond_not_ready(req);
        return;
    }
    tc = arena_alloc(&req->arena, sizeof(*tc));
    memset(tc, 0, sizeof(*tc));
    tc->req = req;
    tc->need = need;
    tc->then = then;
    memcpy(tc->token, token, 16);
    api_arena_wr(&tc->values, &req->arena);
    cql_wr_bytes(&tc->values, token, 16);
    query_setup(&tc->q, aw, c, TOKEN_SELECT_CQL, &tc->values, 1);
    tc->q.done_cb = on_token_selected;
    rc = cass_query_run(&tc->q);
    if (rc != 0) {
        cass_query_release(&tc->q);
        api_respond_cass_error(req, rc, NULL);
    }
}

/* ---- the token table ------------------------------------------------------------------------- */

/* The two CREATEs of the token table, one after the other (heap). */
struct setup {
    struct cass_query  q;           /* the statement in flight */
    struct api_worker *aw;          /* whose session */
    int                step;        /* 0: keyspace, 1: table */
    void             (*cb)(void *data, int status);
    void              *data;        /* passed to cb */
};

static int setup_send(struct setup *s);

static void
on_setup_done(struct cass_query *q, const struct cass_result *res)
{
    struct setup *s = container_of(q, struct setup, q);
    int status = res->status;

    cass_query_release(q);
    if (status == E_SERVER) {
        log_warn("auth: creating the token table failed: %.*s", (int)res->error.message.len,
                 res->error.message.p);
    }
    if (status == 0 && s->step == 0) {
        s->step = 1;
        status = setup_send(s);
        if (status == 0) {
            return;
        }
    }
    s->cb(s->data, status);
    free(s);
}

static int
setup_send(struct setup *s)
{
    struct cass_conn *c = api_conn(s->aw);
    struct cql_wr none;

    if (c == NULL) {
        return E_NOTREADY;
    }
    cql_wr_init(&none, NULL, 0, NULL, NULL);
    query_setup(&s->q, s->aw, c, s->step == 0 ? AUTH_KEYSPACE_CQL : AUTH_TABLE_CQL, &none, 0);
    s->q.done_cb = on_setup_done;
    return cass_query_simple(&s->q);
}

int
auth_setup_tables(struct api_worker *aw, void (*cb)(void *data, int status), void *data)
{
    struct setup *s = xcalloc(1, sizeof(*s));
    int rc;

    s->aw = aw;
    s->cb = cb;
    s->data = data;
    rc = setup_send(s);
    if (rc != 0) {
        free(s);
    }
    return rc;
}

/* ---- registration and worker state ----------------------------------------------------------- */

int
auth_add_routes(struct router *r)
{
    int rc = 0;

    rc |= router_add(r, HTTP_M(POST), "/v1/auth", on_auth, "auth");
    rc |= router_add(r, HTTP_M(POST), "/v1/auth/token/generate", on_token_generate,
                     "auth_token_generate");
    return rc != 0 ? E_INVALID : 0;
}

void
auth_worker_init(struct api_worker *aw)
{
    aw->tokens = xcalloc(1, sizeof(*aw->tokens));
    aw->checks = NULL;
    authz_worker_init(aw);
}

void
auth_worker_stop(struct api_worker *aw)
{
    while (aw->checks != NULL) {
        struct auth_check *chk = aw->checks;
        struct cass_conn *c = chk->conn;

        chk->conn = NULL;
        check_unlink(chk);
        cass_conn_close(c, NULL);
        respond_auth_error(chk->req, 503, "Failed to create token: ", "cqlgate is stopping",
                           strlen("cqlgate is stopping"));
    }
}

void
auth_worker_fini(struct api_worker *aw)
{
    authz_worker_fini(aw);
    for (size_t i = 0; i < AUTH_CACHE_SLOTS; i++) {
        free(aw->tokens->slots[i].user);
    }
    free(aw->tokens);
    aw->tokens = NULL;
}

void
auth_check_token(struct http_req *req, http_handler_cb then)
{
    auth_check(req, (struct authz_need){ AUTHZ_NONE, AUTHZ_ALL_KEYSPACES }, then);
}
