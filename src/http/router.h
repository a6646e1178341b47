/*
 * router.h: path templates to handlers. Pure: no I/O, no libuv; the HTTP connection calls
 * router_match once a request is complete and the handler runs with the match in the request.
 *
 * A template is a path of segments: literals, `{name}` (exactly one non-empty segment) and, last
 * only, `{name...}` (one or more remaining segments, returned as one raw slice, slashes included):
 *
 *     /v2/keyspaces/{ks}/{table}/rows        literal "rows" wins over ...
 *     /v2/keyspaces/{ks}/{table}/{pk...}     ... a parameter at the same position
 *
 * Precedence: among the routes that match the path and allow the method, segments are compared
 * left to right and the first difference decides: a literal beats `{name}`, which beats
 * `{name...}`; between equal templates the one added first wins. A path that some route matches
 * but no route allows the method for is a 405 (with the allowed methods); otherwise a 404.
 * HEAD is allowed wherever GET is. Every route also answers under the prefix `/api/rest`, used
 * when the whole path matches nothing. One trailing slash is ignored ("/v2/schemas/keyspaces/").
 *
 * Parameters come back raw (still percent-encoded); router_pct_decode decodes one segment.
 */
#ifndef HTTP_ROUTER_H
#define HTTP_ROUTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/util.h"

/* Methods the router knows; anything else parses as HTTP_METHOD_OTHER and matches no route. */
#define ROUTER_METHOD_MAP(XX)                                                                      \
    XX(GET,     0)                                                                                 \
    XX(HEAD,    1)                                                                                 \
    XX(POST,    2)                                                                                 \
    XX(PUT,     3)                                                                                 \
    XX(DELETE,  4)                                                                                 \
    XX(PATCH,   5)                                                                                 \
    XX(OPTIONS, 6)                                                                                 \
    XX(OTHER,   7)

enum http_method {
#define XX(name, val) HTTP_METHOD_##name = (val),
    ROUTER_METHOD_MAP(XX)
#undef XX
};

/* Method masks for router_add: HTTP_M(GET) | HTTP_M(PUT). */
#define HTTP_M(name)    (1u << HTTP_METHOD_##name)
#define HTTP_M_ANY      (HTTP_M(GET) | HTTP_M(HEAD) | HTTP_M(POST) | HTTP_M(PUT)                   \
                         | HTTP_M(DELETE) | HTTP_M(PATCH) | HTTP_M(OPTIONS))

/* Limits of one template. */
#define ROUTER_MAX_SEGMENTS 16
#define ROUTER_MAX_PARAMS   8

/* The prefix under which every route answers too. */
#define ROUTER_PREFIX       "/api/rest"

const char *http_method_name(enum http_method m);

struct http_req;

/*
 * A request handler. It runs on the worker's loop thread with the request complete (body read)
 * and must answer it exactly once, now or later; see http_msg.h for the contract.
 */
typedef void (*http_handler_cb)(struct http_req *req);

enum route_seg_kind {
    ROUTE_LITERAL = 0,              /* must equal the path segment */
    ROUTE_PARAM,                    /* {name}: any one non-empty segment */
    ROUTE_REST,                     /* {name...}: all remaining segments, at least one */
};

struct route_seg {
    enum route_seg_kind kind;       /* what it matches; also its precedence (lower wins) */
    const char         *text;       /* literal text or parameter name, inside route.tmpl */
    size_t              len;        /* length of text */
};

struct route {
    unsigned         methods;       /* HTTP_M() mask */
    char            *tmpl;          /* owned copy of the template, cut into segments */
    char            *pattern;       /* owned copy of the template as given, for logs */
    const char      *name;          /* route name for metrics (static) */
    unsigned         id;            /* 0, 1, ... in order of router_add (per-route metrics) */
    http_handler_cb  handler;       /* called with the matched request */
    size_t           nseg;          /* segments in seg */
    struct route_seg seg[ROUTER_MAX_SEGMENTS]; /* the template's segments, in order */
};

struct router {
    struct route **routes;          /* in order of router_add */
    size_t         n;               /* routes */
    size_t         cap;             /* slots in routes */
};

/* One matched parameter: a raw slice of the request path. */
struct router_param {
    const char *name;               /* parameter name, NUL-terminated, owned by the route */
    const char *p;                  /* first byte in the path */
    size_t      len;                /* bytes */
};

struct router_match {
    const struct route *route;      /* the route to run, or NULL */
    int                 status;     /* 0 when matched, else 404 or 405 */
    unsigned            allowed;    /* with 405: the methods the path allows (HTTP_M mask) */
    size_t              nparams;    /* entries in params */
    struct router_param params[ROUTER_MAX_PARAMS]; /* in template order */
};

void router_init(struct router *r);
void router_deinit(struct router *r);

/*
 * Adds a route for METHODS (an HTTP_M mask) and TMPL, a template as described above; NAME is a
 * static string naming the route in metrics and logs. TMPL is copied. Returns 0, or E_INVALID for
 * a malformed template (not starting with '/', a brace not spanning a whole segment, `{name...}`
 * not last, too many segments or parameters, an empty method mask or a NULL handler). The new
 * route's id is the number of routes added before it.
 * Routes are added at startup, before the workers run; the router is read-only afterwards.
 */
int router_add(struct router *r, unsigned methods, const char *tmpl, http_handler_cb handler,
               const char *name) MUSTCHECK;

/*
 * Matches METHOD and PATH (LEN bytes, no query string, still percent-encoded) and fills OUT.
 * Parameters point into PATH.
 */
void router_match(const struct router *r, enum http_method method, const char *path, size_t len,
                  struct router_match *out);

/* The parameter called NAME in M, or NULL. */
const struct router_param *router_param(const struct router_match *m, const char *name);

/*
 * Percent-decodes one path segment P (LEN bytes) into a NUL-terminated copy in A and stores its
 * length (which may include NUL bytes from %00) in *OUT_LEN when OUT_LEN is not NULL. `+` stays
 * a plus. Returns NULL when a '%' is not followed by two hex digits.
 */
char *router_pct_decode(struct arena *a, const char *p, size_t len, size_t *out_len);

/*
 * Looks up NAME in the query string Q (QLEN bytes, without the '?'): pairs split on '&', key and
 * value on the first '=', both decoded with `+` as a space. The first pair whose decoded key is
 * NAME wins; a key without '=' has the empty value. Returns 1 and sets *VALUE to the decoded
 * value (NUL-terminated, in A), 0 when absent, or E_INVALID when that pair has a bad escape.
 */
int router_query(struct arena *a, const char *q, size_t qlen, const char *name,
                 const char **value);

#endif /* HTTP_ROUTER_H */
