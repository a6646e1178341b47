/*
 * http_msg.c: request accessors, the answer calls and the rendering of response heads (see
 * http_msg.h for the handler contract). Bytes reach the socket through http_conn.c, which writes
 * answered requests in arrival order.
 */
#include "http/http_msg.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cql_value.h"
#include "core/json_w.h"
#include "core/log.h"
#include "core/metrics.h"
#include "http/http_conn.h"

const char *
http_status_text(int status)
{
    switch (status) {
#define XX(code, text) case code: return text;
    HTTP_MSG_STATUS_MAP(XX)
#undef XX
    }
    return "Unknown";
}

/* ---- buffers --------------------------------------------------------------------------------- */

/* A cql_wr_grow_cb over realloc, for bodies handed over with http_respond_json. */
static uint8_t *
on_malloc_grow(void *ctx, uint8_t *old, size_t len, size_t need, size_t *cap)
{
    size_t n = need < 1024 ? 1024 : need + need / 2;

    (void)ctx;
    (void)len;
    *cap = n;
    return xrealloc(old, n);
}

void
http_body_init(struct cql_wr *w)
{
    cql_wr_init(w, NULL, 0, on_malloc_grow, NULL);
}

void
http_body_free(struct cql_wr *w)
{
    free(w->p);
    http_body_init(w);
}

/* ---- life of a request ----------------------------------------------------------------------- */

struct http_req *
http_req__create(struct http_conn *conn, void *worker, uint64_t now)
{
    struct http_req *req = xcalloc(1, sizeof(*req));

    arena_init(&req->arena, 2048);
    req->conn = conn;
    req->worker = worker;
    req->start_ms = now;
    req->start_ns = uv_hrtime();
    req->state = HTTP_REQ_PARSING;
    req->method = HTTP_METHOD_OTHER;        /* until the request line is parsed */
    req->path = "";
    req->query = "";
    cql_wr_init(&req->gather, NULL, 0, arena_wr_grow, &req->arena);
    cql_wr_init(&req->extra, NULL, 0, arena_wr_grow, &req->arena);
    cql_wr_init(&req->head, NULL, 0, arena_wr_grow, &req->arena);
    http_body_init(&req->body_w);
    return req;
}

void
http_req__destroy(struct http_req *req)
{
    free(req->body_w.p);
    free(req->resp_owned);
    arena_deinit(&req->arena);
    free(req);
}

/* ---- reading the request --------------------------------------------------------------------- */

const char *
http_req_header(const struct http_req *req, const char *name)
{
    size_t len = strlen(name);

    for (size_t i = 0; i < req->nheaders; i++) {
        const struct http_header *h = &req->headers[i];

        if (h->name_len == len && strncasecmp(h->name, name, len) == 0) {
            return h->value;
        }
    }
    return NULL;
}

const char *
http_req_query(struct http_req *req, const char *name)
{
    const char *v;

    if (router_query(&req->arena, req->query, req->query_len, name, &v) != 1) {
        return NULL;
    }
    return v;
}

const struct router_param *
http_req_param_raw(const struct http_req *req, const char *name)
{
    return router_param(&req->match, name);
}

const char *
http_req_param_n(struct http_req *req, const char *name, size_t *len)
{
    const struct router_param *p = router_param(&req->match, name);

    if (p == NULL) {
        return NULL;
    }
    return router_pct_decode(&req->arena, p->p, p->len, len);
}

const char *
http_req_param(struct http_req *req, const char *name)
{
    return http_req_param_n(req, name, NULL);
}

bool
http_req_gone(const struct http_req *req)
{
    return req->conn == NULL;
}

const char *
http_req_route_name(const struct http_req *req)
{
    return req->match.route != NULL ? req->match.route->name : "-";
}

/* ---- answering ------------------------------------------------------------------------------- */

static bool
header_safe(const char *s)
{
    return strpbrk(s, "\r\n") == NULL;
}

void
http_resp_add_header(struct http_req *req, const char *name, const char *value)
{
    if (name[0] == '\0' || !header_safe(name) || !header_safe(value) || strchr(name, ':') != NULL) {
        log_warn("dropping response header with a forbidden character (%s)",
                 http_req_route_name(req));
        return;
    }
    cql_wr_raw(&req->extra, name, strlen(name));
    cql_wr_raw(&req->extra, ": ", 2);
    cql_wr_raw(&req->extra, value, strlen(value));
    cql_wr_raw(&req->extra, "\r\n", 2);
}

/* Counts REQ's answer with STATUS in the metrics, once per request (its client may have left). */
static void
count_answer(const struct http_req *req, int status)
{
    metrics_http_request(req->match.route != NULL ? (int)req->match.route->id : -1,
                         (unsigned)req->method, status, req->start_ns);
}

/*
 * Records the answer and hands REQ back to its connection, or frees it when the client left.
 * BODY is either in REQ's arena or OWNED (malloc'd, freed with REQ).
 */
static void
answer(struct http_req *req, int status, const char *content_type, const uint8_t *body,
       size_t len, uint8_t *owned)
{
    count_answer(req, status);
    if (req->conn == NULL) {
        free(owned);
        http_req__destroy(req);
        return;
    }
    if (content_type == NULL) {
        content_type = HTTP_JSON;
    }
    req->status = status;
    req->ctype = arena_strndup(&req->arena, content_type, strlen(content_type));
    req->resp_body = body;
    req->resp_len = len;
    req->resp_owned = owned;
    http_conn__answered(req->conn, req);
}

void
http_req__answer(struct http_req *req, int status, const char *content_type, const void *body,
                 size_t len)
{
    const uint8_t *copy = NULL;

    if (req->conn != NULL && len > 0) {
        copy = arena_memdup(&req->arena, body, len);
    }
    answer(req, status, content_type, copy, len, NULL);
}

void
http_respond(struct http_req *req, int status, const char *content_type, const void *body,
             size_t len)
{
    ASSERT(req->state == HTTP_REQ_HANDLING);
    http_req__answer(req, status, content_type, body, len);
}

void
http_respond_json(struct http_req *req, int status, struct cql_wr *body)
{
    uint8_t *p = body->p;
    size_t len = body->len;
    int err = body->err;

    ASSERT(req->state == HTTP_REQ_HANDLING);
    body->p = NULL;
    http_body_free(body);
    if (err != 0) {
        free(p);
        log_error("response body of %s failed: %s", http_req_route_name(req), err_str(err));
        http_respond_error(req, 500, "Internal error: the response could not be built", NULL);
        return;
    }
    answer(req, status, HTTP_JSON, p, len, p);
}

void
http_error_body(struct cql_wr *w, int status, const char *description, size_t len,
                const char *grpc_status)
{
    struct jw j;
    int rc;

    jw_init(&j, w);
    jw_object_begin(&j);
    jw_key(&j, "description");
    jw_string_n(&j, description, len);
    jw_key(&j, "code");
    jw_int64(&j, status);
    jw_key(&j, "grpcStatus");
    if (grpc_status != NULL) {
        jw_string(&j, grpc_status);
    } else {
        jw_null(&j);
    }
    jw_key(&j, "internalTxId");
    jw_null(&j);
    jw_object_end(&j);
    rc = jw_finish(&j);
    ASSERT(rc == 0 || w->err != 0);         /* only a buffer that cannot grow fails */
}

void
http_respond_error_n(struct http_req *req, int status, const char *description, size_t len,
                     const char *grpc_status)
{
    struct cql_wr w;

    ASSERT(req->state == HTTP_REQ_HANDLING || req->state == HTTP_REQ_PARSING);
    if (req->conn == NULL) {
        count_answer(req, status);
        http_req__destroy(req);
        return;
    }
    cql_wr_init(&w, NULL, 0, arena_wr_grow, &req->arena);
    http_error_body(&w, status, description, len, grpc_status);
    answer(req, status, HTTP_JSON, w.p, w.len, NULL);
}

void
http_respond_error(struct http_req *req, int status, const char *description,
                   const char *grpc_status)
{
    http_respond_error_n(req, status, description, strlen(description), grpc_status);
}

/* ---- rendering ------------------------------------------------------------------------------- */

bool
http_req__sends_body(const struct http_req *req)
{
    return req->method != HTTP_METHOD_HEAD && req->status != 204 && req->status != 304
           && req->resp_len > 0;
}

static void
wr_str(struct cql_wr *w, const char *s)
{
    cql_wr_raw(w, s, strlen(s));
}

void
http_req__render_head(struct http_req *req, bool close)
{
    struct cql_wr *w = &req->head;
    char digits[24];
    size_t n = sizeof(digits);
    size_t len = req->resp_len;
    int status = req->status;

    /* Written by hand, not with snprintf: this runs once per response. */
    w->len = 0;
    wr_str(w, "HTTP/1.1 ");
    cql_wr_byte(w, (uint8_t)('0' + status / 100 % 10));
    cql_wr_byte(w, (uint8_t)('0' + status / 10 % 10));
    cql_wr_byte(w, (uint8_t)('0' + status % 10));
    cql_wr_byte(w, ' ');
    wr_str(w, http_status_text(status));
    wr_str(w, "\r\n");
    if (status != 204 && status != 304) {
        wr_str(w, "Content-Type: ");
        wr_str(w, req->ctype);
        wr_str(w, "\r\nContent-Length: ");
        do {
            digits[--n] = (char)('0' + len % 10);
            len /= 10;
        } while (len > 0);
        cql_wr_raw(w, digits + n, sizeof(digits) - n);
        wr_str(w, "\r\n");
    }
    cql_wr_raw(w, req->extra.p, req->extra.len);
    if (close) {
        wr_str(w, "Connection: close\r\n");
    } else if (req->http_minor == 0) {
        wr_str(w, "Connection: keep-alive\r\n");
    }
    wr_str(w, "\r\n");
}
