/*
 * authz.h: Cassandra's own authorization for the roles behind tokens (spec/rest-v2.md, 1.4, 1.5).
 *
 * Statements run over the gateway's own login, so cqlgate checks the token's role itself, the way
 * Cassandra's CassandraAuthorizer would, before each statement:
 *
 *     role --system_auth.roles--> is_superuser, member_of (followed transitively)
 *          --system_auth.role_permissions--> (resource, permissions) of every role reached
 *          --> struct authz_role, cached per worker for AUTHZ_CACHE_MS
 *     route's need (SELECT on <table ks.t>, CREATE on <keyspace ks>, ...)
 *          --granted on the resource or a parent (data, data/ks, all tables of ks, data/ks/t)--> run
 *          --else--> 401 PERMISSION_DENIED with Cassandra's own message
 *
 * A superuser role may do anything. When the cluster runs AllowAllAuthorizer (read once per
 * worker from system_views.settings) every role may do anything, as Cassandra would allow.
 * Schema reads need no grant: Cassandra lets every role read system_schema.
 */
#ifndef API_AUTHZ_H
#define API_AUTHZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cql_wire.h"
#include "http/router.h"

struct api_worker;
struct http_req;

/* Milliseconds a role's grants are trusted (Cassandra's own roles_validity default is 2 s). */
#define AUTHZ_CACHE_MS      2000

/* Roles one worker's cache holds (direct-mapped by name). */
#define AUTHZ_CACHE_SLOTS   256

/* Most roles followed through member_of for one role; beyond, the load fails closed. */
#define AUTHZ_MAX_ROLES     64

/* What a route needs of the token's role. */
enum authz_perm {
    AUTHZ_NONE = 0,                 /* any authenticated role */
    AUTHZ_SELECT,
    AUTHZ_MODIFY,
    AUTHZ_CREATE,
    AUTHZ_ALTER,
    AUTHZ_DROP,
    AUTHZ_SUPERUSER,                /* a superuser role only (raw CQL: its targets are unknown) */
};

/* Where the need applies; names come from the path parameters {ks} and {t}. */
enum authz_on {
    AUTHZ_ALL_KEYSPACES = 0,        /* <all keyspaces>, the resource "data" */
    AUTHZ_KEYSPACE,                 /* <keyspace ks>, "data/ks" */
    AUTHZ_TABLE,                    /* <table ks.t>, "data/ks/t" */
};

/* A route's need. */
struct authz_need {
    enum authz_perm perm;
    enum authz_on   on;
};

/* One resource a role (or a role granted to it) holds permissions on. */
struct authz_grant {
    char    *resource;              /* data, data/ks, data/ks/STAR (all its tables) or data/ks/t */
    size_t   len;                   /* bytes in resource */
    unsigned perms;                 /* AUTHZ_BIT() of each permission held */
};

/* One role's effective grants: its own and those of every role granted to it, transitively. */
struct authz_role {
    char               *name;       /* the role (owned) */
    size_t              name_len;   /* bytes in name */
    uint64_t            expires;    /* loop time in ms; 0 marks an empty slot */
    uint64_t            epoch;      /* authz_grants_changed calls seen when loading started */
    bool                superuser;  /* it, or a role granted to it, is a superuser */
    bool                allow_all;  /* the cluster does not authorize (AllowAllAuthorizer) */
    struct authz_grant *grants;     /* malloc'd */
    size_t              ngrants;    /* entries in grants */
};

#define AUTHZ_BIT(p)        (1u << (p))

/*
 * The AUTHZ_BIT of the Cassandra permission NAME ("SELECT", "MODIFY", ...), or 0 for one no route
 * needs (AUTHORIZE, DESCRIBE, EXECUTE, UNMASK, ...).
 */
unsigned authz_perm_bit(const char *name, size_t len);

/* Whether R may do NEED on KS (KS_LEN bytes) and T (T_LEN bytes); unused names may be NULL. */
bool authz_allows(const struct authz_role *r, struct authz_need need, const char *ks,
                  size_t ks_len, const char *t, size_t t_len);

/*
 * Appends to W Cassandra's refusal of NEED for the role R: for example
 *     User bob has no SELECT permission on <table ks.t> or any of its parents
 */
void authz_denial(struct cql_wr *w, const struct authz_role *r, struct authz_need need,
                  const char *ks, size_t ks_len, const char *t, size_t t_len);

/* Frees what R owns and marks it empty. */
void authz_role_clear(struct authz_role *r);

/*
 * Says that cqlgate itself just changed grants (a creator's GRANT): every worker's cached roles
 * are loaded again before their next use. Callable from any worker.
 */
void authz_grants_changed(void);

/* Sets up and frees AW's role cache (auth.c's worker hooks call these). */
void authz_worker_init(struct api_worker *aw);
void authz_worker_fini(struct api_worker *aw);

/*
 * Checks that USER (USER_LEN bytes, copied to req->user) may do NEED on REQ's {ks} and {t}, from
 * the worker's cache or after loading the role's grants; then runs THEN(REQ). Otherwise answers REQ itself: 401
 * PERMISSION_DENIED, 400 for a bad path name, or the error of a failed load.
 */
void authz_check(struct http_req *req, const char *user, size_t user_len, struct authz_need need,
                 http_handler_cb then);

#endif /* API_AUTHZ_H */
