/*
 * auth.h: Stargate's table-based tokens (spec/rest-v2.md, sections 1.1, 1.2, 1.4 and 1.5).
 *
 *     POST /v1/auth {"username","password"}        \  one-off SASL handshake with those
 *     POST /v1/auth/token/generate {"key","secret"} / credentials -> random UUID v4 ->
 *                                                    INSERT ... USING TTL <token-ttl> -> 201
 *     every /v2 route: auth_check_token(req, then) -> X-Cassandra-Token -> per-worker cache (5 s)
 *                      or SELECT ... WHERE auth_token = ? -> row rewritten with a fresh TTL
 *                      (asynchronously; the sliding window) -> then(req)
 *
 * With --auth none there are no tokens: auth_check calls the handler at once and every statement
 * runs with the service login's rights. With tokens, the route's need is checked against the
 * token role's grants first (authz.h). Tokens and passwords never reach the log.
 */
#ifndef API_AUTH_H
#define API_AUTH_H

#include "api/api.h"
#include "api/authz.h"
#include "http/router.h"

/* Milliseconds a validated token is trusted by a worker without asking Cassandra again. */
#define AUTH_CACHE_MS       5000

/* Tokens one worker's cache holds (direct-mapped; a collision replaces the older entry). */
#define AUTH_CACHE_SLOTS    4096

/* Adds POST /v1/auth and POST /v1/auth/token/generate to R. Returns 0 or E_INVALID. */
int auth_add_routes(struct router *r) MUSTCHECK;

/* Sets up, answers the checks of, and frees AW's auth state (the api.c worker hooks). */
void auth_worker_init(struct api_worker *aw);
void auth_worker_stop(struct api_worker *aw);
void auth_worker_fini(struct api_worker *aw);

/*
 * Creates the token keyspace and table (IF NOT EXISTS) over AW's session. Returns 0 when started
 * (CB(DATA, status) runs once, later) or a negative code (CB will not run).
 */
int auth_setup_tables(struct api_worker *aw, void (*cb)(void *data, int status), void *data)
    MUSTCHECK;

/*
 * Checks REQ's X-Cassandra-Token and that its role may do NEED (authz.h), then runs THEN(REQ),
 * now or after CQL round trips. Otherwise answers REQ itself: the 401s of section 1.5, or the
 * 5xx of a Cassandra failure. Every /v2 handler starts with it.
 */
void auth_check(struct http_req *req, struct authz_need need, http_handler_cb then);

/* auth_check for a route any authenticated role may use (schema reads). */
void auth_check_token(struct http_req *req, http_handler_cb then);

/* Parses a UUID in 8-4-4-4-12 hex form (either case) from S (LEN bytes). Returns 0 or -1. */
int auth_uuid_parse(const char *s, size_t len, uint8_t out[16]);

/* Writes U as 36 lower-case characters and a NUL to OUT. */
void auth_uuid_format(const uint8_t u[16], char out[37]);

/* Fills U with a random (version 4) UUID from the kernel's generator. Returns 0 or -1. */
int auth_uuid_v4(uint8_t u[16]) MUSTCHECK;

#endif /* API_AUTH_H */
