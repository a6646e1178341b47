/*
 * authz.c: the token role's grants, loaded, cached and checked (see authz.h).
 *
 *     authz_check --cache hit--> decide
 *                 --miss--> (once per worker: the cluster's authorizer from system_views.settings)
 *                   --> for each role reached, in order: its roles row (is_superuser, member_of;
 *                       new roles join the list) and its role_permissions rows
 *                   --> cache --> decide
 *     decide: allowed --> THEN(req); refused --> 401 PERMISSION_DENIED
 *
 * A load lives in the request's arena; the role it builds is malloc'd and moves into the cache.
 * Concurrent misses on one role each load it; the last one to finish stays in the cache.
 */
#include "api/authz.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/api_error.h"
#include "cass/cass_query.h"
#include "core/log.h"
#include "http/http_server.h"

#define SETTINGS_CQL                                                                               \
    "SELECT value FROM system_views.settings WHERE name IN ('authorizer', "                        \
    "'authorizer.class_name')"
#define ROLE_CQL "SELECT is_superuser, member_of FROM system_auth.roles WHERE role = ?"
#define PERMS_CQL "SELECT resource, permissions FROM system_auth.role_permissions WHERE role = ?"

/* Rows asked for per page of a role's permissions; a role with more fails closed. */
#define PERMS_PAGE          5000

/* Appends the string literal S to the writer W. */
#define WR_LIT(w, s) cql_wr_raw((w), (s), sizeof(s) - 1)

/* What a worker knows of the cluster's authorizer. */
enum authz_mode {
    MODE_UNKNOWN = 0,               /* not asked yet */
    MODE_ENFORCE,                   /* grants are checked (CassandraAuthorizer, or unknown) */
    MODE_ALLOW_ALL,                 /* AllowAllAuthorizer: every role may do anything */
};

/* Bumped by authz_grants_changed; a cached role loaded before the last bump is stale. */
static atomic_uint_fast64_t grants_epoch;

void
authz_grants_changed(void)
{
    atomic_fetch_add(&grants_epoch, 1);
}

struct authz_cache {
    enum authz_mode   mode;         /* the cluster's authorizer */
    struct authz_role slots[AUTHZ_CACHE_SLOTS]; /* indexed by a hash of the role name */
};

/* ---- permissions and resources --------------------------------------------------------------- */

static const char *const perm_names[] = {
    [AUTHZ_SELECT] = "SELECT", [AUTHZ_MODIFY] = "MODIFY", [AUTHZ_CREATE] = "CREATE",
    [AUTHZ_ALTER] = "ALTER",   [AUTHZ_DROP] = "DROP",
};

unsigned
authz_perm_bit(const char *name, size_t len)
{
    for (size_t p = AUTHZ_SELECT; p <= AUTHZ_DROP; p++) {
        if (strlen(perm_names[p]) == len && memcmp(perm_names[p], name, len) == 0) {
            return AUTHZ_BIT(p);
        }
    }
    return 0;
}

/* Whether R holds a grant on the resource "data" + SUFFIX carrying permission bit BIT. */
static bool
holds(const struct authz_role *r, unsigned bit, const char *a, size_t a_len, const char *b,
      size_t b_len, const char *c, size_t c_len)
{
    for (size_t i = 0; i < r->ngrants; i++) {
        const struct authz_grant *g = &r->grants[i];

        if ((g->perms & bit) != 0 && g->len == 4 + a_len + b_len + c_len
            && memcmp(g->resource, "data", 4) == 0
            && memcmp(g->resource + 4, a, a_len) == 0
            && memcmp(g->resource + 4 + a_len, b, b_len) == 0
            && memcmp(g->resource + 4 + a_len + b_len, c, c_len) == 0) {
            return true;
        }
    }
    return false;
}

bool
authz_allows(const struct authz_role *r, struct authz_need need, const char *ks, size_t ks_len,
             const char *t, size_t t_len)
{
    unsigned bit = AUTHZ_BIT(need.perm);

    if (need.perm == AUTHZ_NONE || r->superuser || r->allow_all) {
        return true;
    }
    if (need.perm == AUTHZ_SUPERUSER) {
        return false;
    }
    /* The resource itself or any of its parents: data, data/ks, all tables of ks, data/ks/t. */
    if (holds(r, bit, "", 0, "", 0, "", 0)) {
        return true;
    }
    if (need.on == AUTHZ_ALL_KEYSPACES) {
        return false;
    }
    if (holds(r, bit, "/", 1, ks, ks_len, "", 0)) {
        return true;
    }
    if (need.on == AUTHZ_KEYSPACE) {
        return false;
    }
    if (holds(r, bit, "/", 1, ks, ks_len, "/*", 2)) {
        return true;
    }
    for (size_t i = 0; i < r->ngrants; i++) {
        const struct authz_grant *g = &r->grants[i];

        if ((g->perms & bit) != 0 && g->len == 6 + ks_len + t_len
            && memcmp(g->resource, "data/", 5) == 0 && memcmp(g->resource + 5, ks, ks_len) == 0
            && g->resource[5 + ks_len] == '/'
            && memcmp(g->resource + 6 + ks_len, t, t_len) == 0) {
            return true;
        }
    }
    return false;
}

void
authz_denial(struct cql_wr *w, const struct authz_role *r, struct authz_need need, const char *ks,
             size_t ks_len, const char *t, size_t t_len)
{
    WR_LIT(w, "User ");
    cql_wr_raw(w, r->name, r->name_len);
    if (need.perm == AUTHZ_SUPERUSER || need.perm == AUTHZ_NONE) {
        WR_LIT(w, " is not a superuser: raw CQL needs a superuser role");
        return;
    }
    WR_LIT(w, " has no ");
    cql_wr_raw(w, perm_names[need.perm], strlen(perm_names[need.perm]));
    WR_LIT(w, " permission on ");
    switch (need.on) {
    case AUTHZ_ALL_KEYSPACES:
        WR_LIT(w, "<all keyspaces>");
        break;
    case AUTHZ_KEYSPACE:
        WR_LIT(w, "<keyspace ");
        cql_wr_raw(w, ks, ks_len);
        WR_LIT(w, ">");
        break;
    case AUTHZ_TABLE:
        WR_LIT(w, "<table ");
        cql_wr_raw(w, ks, ks_len);
        WR_LIT(w, ".");
        cql_wr_raw(w, t, t_len);
        WR_LIT(w, ">");
        break;
    }
    WR_LIT(w, " or any of its parents");
}

void
authz_role_clear(struct authz_role *r)
{
    for (size_t i = 0; i < r->ngrants; i++) {
        free(r->grants[i].resource);
    }
    free(r->grants);
    free(r->name);
    memset(r, 0, sizeof(*r));
}

/* Adds PERMS on RESOURCE to R, merging with a grant R already holds on it. */
static void
grant_add(struct authz_role *r, const uint8_t *resource, size_t len, unsigned perms)
{
    struct authz_grant *g;

    for (size_t i = 0; i < r->ngrants; i++) {
        if (r->grants[i].len == len && memcmp(r->grants[i].resource, resource, len) == 0) {
            r->grants[i].perms |= perms;
            return;
        }
    }
    r->grants = xrealloc(r->grants, (r->ngrants + 1) * sizeof(*r->grants));
    g = &r->grants[r->ngrants++];
    g->resource = xmalloc(len + 1);
    memcpy(g->resource, resource, len);
    g->resource[len] = '\0';
    g->len = len;
    g->perms = perms;
}

/* ---- the per-worker cache -------------------------------------------------------------------- */

void
authz_worker_init(struct api_worker *aw)
{
    aw->roles = xcalloc(1, sizeof(*aw->roles));
}

void
authz_worker_fini(struct api_worker *aw)
{
    if (aw->roles == NULL) {
        return;
    }
    for (size_t i = 0; i < AUTHZ_CACHE_SLOTS; i++) {
        authz_role_clear(&aw->roles->slots[i]);
    }
    free(aw->roles);
    aw->roles = NULL;
}

static struct authz_role *
cache_slot(struct authz_cache *c, const char *name, size_t len)
{
    uint32_t h = 2166136261u;       /* FNV-1a */

    for (size_t i = 0; i < len; i++) {
        h = (h ^ (uint8_t)name[i]) * 16777619u;
    }
    return &c->slots[h % AUTHZ_CACHE_SLOTS];
}

static uint64_t
loop_now(struct http_req *req)
{
    return uv_now(&((struct worker *)req->worker)->loop);
}

/* ---- deciding -------------------------------------------------------------------------------- */

/* The request's names for NEED, decoded; on failure REQ is answered and -1 returned. */
struct names {
    const char *ks;
    size_t      ks_len;
    const char *t;
    size_t      t_len;
};

static int
names_of(struct http_req *req, struct authz_need need, struct names *n)
{
    memset(n, 0, sizeof(*n));
    if (need.on >= AUTHZ_KEYSPACE) {
        n->ks = http_req_param_n(req, "ks", &n->ks_len);
        if (n->ks == NULL) {
            http_respond_error(req, 400, "Request invalid: badly escaped keyspace name.", NULL);
            return -1;
        }
    }
    if (need.on == AUTHZ_TABLE) {
        n->t = http_req_param_n(req, "t", &n->t_len);
        if (n->t == NULL) {
            http_respond_error(req, 400, "Request invalid: badly escaped table name.", NULL);
            return -1;
        }
    }
    return 0;
}

/* Runs THEN(REQ) when R may do NEED, else answers Cassandra's refusal. */
static void
decide(struct http_req *req, const struct authz_role *r, struct authz_need need,
       http_handler_cb then)
{
    struct names n;
    struct cql_error e;
    struct cql_wr msg;

    if (need.perm == AUTHZ_NONE || r->superuser || r->allow_all) {
        then(req);
        return;
    }
    if (names_of(req, need, &n) != 0) {
        return;
    }
    if (authz_allows(r, need, n.ks, n.ks_len, n.t, n.t_len)) {
        then(req);
        return;
    }
    api_arena_wr(&msg, &req->arena);
    authz_denial(&msg, r, need, n.ks, n.ks_len, n.t, n.t_len);
    memset(&e, 0, sizeof(e));
    e.code = CQL_ERRCODE_UNAUTHORIZED;
    e.message.p = (const char *)msg.p;
    e.message.len = msg.len;
    api_respond_cass_error(req, E_SERVER, &e);
}

/* ---- loading a role -------------------------------------------------------------------------- */

enum load_step {
    STEP_SETTINGS = 0,              /* the cluster's authorizer */
    STEP_ROLE,                      /* todo[next]'s roles row */
    STEP_PERMS,                     /* todo[next]'s permissions */
};

/* One load in flight (in the request's arena). */
struct authz_load {
    struct cass_query  q;           /* the statement in flight */
    struct http_req   *req;         /* the request waiting */
    struct authz_need  need;        /* what it needs */
    http_handler_cb    then;        /* its handler */
    enum load_step     step;        /* what q is */
    struct authz_role  role;        /* being built (malloc'd parts) */
    struct cql_str     todo[AUTHZ_MAX_ROLES]; /* roles to read, the token's first (arena) */
    size_t             ntodo;       /* entries in todo */
    size_t             next;        /* the one being read */
    struct cql_wr      values;      /* the bound role name (arena) */
};

static int load_send(struct authz_load *l);

/* Ends L: the role goes into the cache and the request is decided. */
static void
load_done(struct authz_load *l)
{
    struct api_worker *aw = api_worker_of(l->req);
    struct authz_role *slot = cache_slot(aw->roles, l->role.name, l->role.name_len);

    authz_role_clear(slot);
    *slot = l->role;
    slot->allow_all = aw->roles->mode == MODE_ALLOW_ALL;
    slot->expires = loop_now(l->req) + AUTHZ_CACHE_MS;
    memset(&l->role, 0, sizeof(l->role));
    decide(l->req, slot, l->need, l->then);
}

/* Ends L with a failure: STATUS as from src/cass, ERR the server's error or NULL. */
static void
load_fail(struct authz_load *l, int status, const struct cql_error *err)
{
    authz_role_clear(&l->role);
    api_respond_cass_error(l->req, status, err);
}

/* Calls FN(ARG, element) for each element of the set<text> cell CELL; -1 when it is malformed. */
static int
set_each(struct cql_bytes cell, void (*fn)(void *arg, const uint8_t *p, size_t len), void *arg)
{
    struct cql_rd r;
    int32_t n;

    if (cell.len < 0) {
        return 0;
    }
    cql_rd_init(&r, cell.p, (size_t)cell.len);
    n = cql_rd_int(&r);
    for (int32_t i = 0; i < n && r.err == 0; i++) {
        struct cql_bytes e = cql_rd_bytes(&r);

        if (r.err == 0 && e.len >= 0) {
            fn(arg, e.p, (size_t)e.len);
        }
    }
    return r.err != 0 || n < 0 ? -1 : 0;
}

static void
add_member_of(void *arg, const uint8_t *p, size_t len)
{
    struct authz_load *l = arg;
    char *copy;

    for (size_t i = 0; i < l->ntodo; i++) {
        if (l->todo[i].len == len && memcmp(l->todo[i].p, p, len) == 0) {
            return;
        }
    }
    if (l->ntodo == AUTHZ_MAX_ROLES) {
        l->ntodo = AUTHZ_MAX_ROLES + 1;     /* marks the overflow */
        return;
    }
    copy = arena_alloc(&l->req->arena, len + 1);
    memcpy(copy, p, len);
    copy[len] = '\0';
    l->todo[l->ntodo].p = copy;
    l->todo[l->ntodo].len = len;
    l->ntodo++;
}

/* The permission bits of one set<text> element, accumulated into *(unsigned *)ARG. */
static void
add_perm(void *arg, const uint8_t *p, size_t len)
{
    *(unsigned *)arg |= authz_perm_bit((const char *)p, len);
}

/* Reads the rows of the finished step of L; returns 0 or -1 for a malformed answer. */
static int
load_read(struct authz_load *l, const struct cass_result *res)
{
    const struct cql_result *rs = &res->result;
    struct cql_bytes cells[2];
    struct cql_rd rows;

    if (rs->kind != CQL_RESULT_ROWS) {
        return -1;
    }
    cql_rd_init(&rows, rs->rows, rs->rows_len);
    for (int32_t i = 0; i < rs->rows_count; i++) {
        int32_t ncols = l->step == STEP_SETTINGS ? 1 : 2;

        if (rs->meta.columns_count != ncols || cql_rows_next(&rows, ncols, cells) != 0) {
            return -1;
        }
        if (l->step == STEP_SETTINGS) {
            if (cells[0].len > 0 && memmem(cells[0].p, (size_t)cells[0].len, "AllowAll", 8)) {
                api_worker_of(l->req)->roles->mode = MODE_ALLOW_ALL;
            }
        } else if (l->step == STEP_ROLE) {
            if (cells[0].len == 1 && cells[0].p[0] != 0) {
                l->role.superuser = true;
            }
            if (set_each(cells[1], add_member_of, l) != 0 || l->ntodo > AUTHZ_MAX_ROLES) {
                return -1;
            }
        } else {
            unsigned perms = 0;

            if (cells[0].len <= 0 || set_each(cells[1], add_perm, &perms) != 0) {
                return -1;
            }
            grant_add(&l->role, cells[0].p, (size_t)cells[0].len, perms);
        }
    }
    if (l->step == STEP_PERMS && (rs->meta.flags & CQL_MF_HAS_MORE_PAGES) != 0) {
        return -1;
    }
    return 0;
}

static void
on_load_step(struct cass_query *q, const struct cass_result *res)
{
    struct authz_load *l = container_of(q, struct authz_load, q);
    struct api_worker *aw = api_worker_of(l->req);
    int rc;

    if (res->status != 0) {
        if (l->step == STEP_SETTINGS && res->status == E_SERVER) {
            /* No system_views (before Cassandra 4.0): check the grants. */
            aw->roles->mode = MODE_ENFORCE;
        } else {
            cass_query_release(q);
            load_fail(l, res->status, &res->error);
            return;
        }
    } else if (load_read(l, res) != 0) {
        log_warn("authz: unexpected answer loading the grants of role %s", l->role.name);
        cass_query_release(q);
        load_fail(l, E_PROTOCOL, NULL);
        return;
    }
    cass_query_release(q);
    switch (l->step) {
    case STEP_SETTINGS:
        if (aw->roles->mode != MODE_ALLOW_ALL) {
            aw->roles->mode = MODE_ENFORCE;
        }
        l->step = STEP_ROLE;
        if (aw->roles->mode == MODE_ALLOW_ALL) {
            load_done(l);
            return;
        }
        break;
    case STEP_ROLE:
        l->step = STEP_PERMS;
        break;
    case STEP_PERMS:
        l->step = STEP_ROLE;
        l->next++;
        if (l->role.superuser || l->next == l->ntodo) {
            load_done(l);
            return;
        }
        break;
    }
    rc = load_send(l);
    if (rc != 0) {
        load_fail(l, rc, NULL);
    }
}

/* Sends L's current step. Returns 0 or a negative code. */
static int
load_send(struct authz_load *l)
{
    struct api_worker *aw = api_worker_of(l->req);
    struct cass_conn *c = api_conn(aw);
    const char *cql = l->step == STEP_SETTINGS ? SETTINGS_CQL
                    : l->step == STEP_ROLE     ? ROLE_CQL
                                               : PERMS_CQL;
    int rc;

    if (c == NULL) {
        return E_NOTREADY;
    }
    memset(&l->q, 0, sizeof(l->q));
    l->q.conn = c;
    l->q.pool = &aw->pool;
    l->q.idempotent = true;         /* reads */
    l->q.cache = &aw->pool.cache;
    l->q.cql = cql;
    l->q.cql_len = strlen(cql);
    l->q.timeout_ms = aw->conf->request_timeout_ms;
    l->q.done_cb = on_load_step;
    cql_query_params_init(&l->q.params, CQL_CL_LOCAL_QUORUM);
    if (l->step == STEP_SETTINGS) {
        l->q.params.consistency = CQL_CL_ONE;
        rc = cass_query_simple(&l->q);
    } else {
        api_arena_wr(&l->values, &l->req->arena);
        cql_wr_bytes(&l->values, l->todo[l->next].p, (int32_t)l->todo[l->next].len);
        l->q.params.values.p = l->values.p;
        l->q.params.values.len = l->values.len;
        l->q.params.values.count = 1;
        l->q.params.page_size = PERMS_PAGE;
        rc = l->values.err != 0 ? l->values.err : cass_query_run(&l->q);
    }
    if (rc != 0) {
        cass_query_release(&l->q);
    }
    return rc;
}

void
authz_check(struct http_req *req, const char *user, size_t user_len, struct authz_need need,
            http_handler_cb then)
{
    struct api_worker *aw = api_worker_of(req);
    struct authz_role *r;
    struct authz_load *l;
    char *copy = arena_alloc(&req->arena, user_len + 1);
    int rc;

    memcpy(copy, user, user_len);
    copy[user_len] = '\0';
    req->user = copy;
    req->user_len = user_len;
    if (need.perm == AUTHZ_NONE || aw->roles->mode == MODE_ALLOW_ALL) {
        then(req);
        return;
    }
    r = cache_slot(aw->roles, user, user_len);
    if (r->expires > loop_now(req) && r->epoch == atomic_load(&grants_epoch)
        && r->name_len == user_len
        && memcmp(r->name, user, user_len) == 0) {
        decide(req, r, need, then);
        return;
    }
    l = arena_alloc(&req->arena, sizeof(*l));
    memset(l, 0, sizeof(*l));
    l->req = req;
    l->need = need;
    l->then = then;
    l->role.name = xmalloc(user_len + 1);
    memcpy(l->role.name, user, user_len);
    l->role.name[user_len] = '\0';
    l->role.name_len = user_len;
    l->role.epoch = atomic_load(&grants_epoch);
    l->todo[0].p = l->role.name;
    l->todo[0].len = user_len;
    l->ntodo = 1;
    l->step = aw->roles->mode == MODE_UNKNOWN ? STEP_SETTINGS : STEP_ROLE;
    rc = load_send(l);
    if (rc != 0) {
        load_fail(l, rc, NULL);
    }
}
