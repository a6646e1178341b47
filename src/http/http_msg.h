/*
 * http_msg.h: one HTTP request as handlers see it, and the calls that answer it.
 *
 * The connection (http_conn.c) parses a request into a struct http_req, matches it with the
 * router and calls the route's handler. Everything the request holds (path, query, headers,
 * body, parameters) stays valid until the request is answered and written; it lives in the
 * request's arena, which the handler may use for its own per-request memory.
 *
 * The contract between handlers and the HTTP layer:
 *   - A handler answers its request exactly once, by one of http_respond, http_respond_json or
 *     http_respond_error, either before it returns or later from any callback on the same
 *     worker loop (a CQL completion, a timer). Answering twice, or never, is a bug: the first
 *     asserts, the second holds the connection (and its later pipelined requests) until the
 *     client or the drain timeout closes it.
 *   - After the answer call, REQ is gone: the HTTP layer frees it (arena included) once the
 *     response is written. Nothing obtained from REQ may be used after answering.
 *   - Responses on one connection go out in request order (HTTP/1.1 pipelining), whatever order
 *     the handlers answer in; the HTTP layer holds a finished later response until the earlier
 *     ones are written.
 *   - If the client goes away before the answer, the request stays valid (detached: conn is
 *     NULL and http_req_gone says so) and the answer call just frees it. A handler may check
 *     http_req_gone to skip work, but it must still answer once.
 *   - Extra response headers (http_resp_add_header) are added before the answer call.
 *   - Every response carries Content-Type and Content-Length (except 204 and 304, which carry
 *     neither), and Connection: close when the connection closes after it. A HEAD request gets
 *     the headers of the GET answer without its body.
 */
#ifndef HTTP_MSG_H
#define HTTP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cql_wire.h"
#include "core/arena.h"
#include "http/router.h"

/* Status codes and reason phrases the gateway sends. */
#define HTTP_MSG_STATUS_MAP(XX)                                                                    \
    XX(100, "Continue")                                                                            \
    XX(200, "OK")                                                                                  \
    XX(201, "Created")                                                                             \
    XX(202, "Accepted")                                                                            \
    XX(204, "No Content")                                                                          \
    XX(301, "Moved Permanently")                                                                   \
    XX(302, "Found")                                                                               \
    XX(304, "Not Modified")                                                                        \
    XX(400, "Bad Request")                                                                         \
    XX(401, "Unauthorized")                                                                        \
    XX(403, "Forbidden")                                                                           \
    XX(404, "Not Found")                                                                           \
    XX(405, "Method Not Allowed")                                                                  \
    XX(406, "Not Acceptable")                                                                      \
    XX(408, "Request Timeout")                                                                     \
    XX(409, "Conflict")                                                                            \
    XX(411, "Length Required")                                                                     \
    XX(413, "Request Entity Too Large")                                                            \
    XX(414, "URI Too Long")                                                                        \
    XX(415, "Unsupported Media Type")                                                              \
    XX(417, "Expectation Failed")                                                                  \
    XX(422, "Unprocessable Entity")                                                                \
    XX(429, "Too Many Requests")                                                                   \
    XX(431, "Request Header Fields Too Large")                                                     \
    XX(500, "Internal Server Error")                                                               \
    XX(501, "Not Implemented")                                                                     \
    XX(502, "Bad Gateway")                                                                         \
    XX(503, "Service Unavailable")                                                                 \
    XX(504, "Gateway Timeout")                                                                     \
    XX(505, "HTTP Version Not Supported")

/* The reason phrase of STATUS ("Not Found"), or "Unknown". */
const char *http_status_text(int status);

#define HTTP_JSON       "application/json"
#define HTTP_TEXT       "text/plain"

struct http_conn;

/* One request header; name and value are also NUL-terminated. */
struct http_header {
    const char *name;               /* as sent (compare case-insensitively) */
    size_t      name_len;           /* bytes in name */
    const char *value;              /* without surrounding whitespace */
    size_t      value_len;          /* bytes in value */
};

/* Where a request is in its life; private to src/http. */
enum http_req_state {
    HTTP_REQ_PARSING = 1,           /* bytes still arriving */
    HTTP_REQ_HANDLING,              /* handed to the handler, no answer yet */
    HTTP_REQ_ANSWERED,              /* answer recorded, waiting for its turn to be written */
    HTTP_REQ_WRITING,               /* its bytes are in the connection's pending write */
};

/* Per-header offsets while the request is parsed (the gathered bytes may still move). */
struct http_hdr_off {
    uint32_t name_off;              /* offset of the name in gather */
    uint32_t name_len;              /* bytes of the name */
    uint32_t value_off;             /* offset of the value in gather */
    uint32_t value_len;             /* bytes of the value */
};

struct http_req {
    /* ---- for handlers: read-only ---------------------------------------------------------- */
    enum http_method    method;     /* HTTP_METHOD_OTHER for methods the router does not know */
    const char         *path;       /* raw path, still percent-encoded, NUL-terminated */
    size_t              path_len;   /* bytes in path */
    const char         *query;      /* raw query string without '?', "" when none */
    size_t              query_len;  /* bytes in query */
    struct http_header *headers;    /* in the order received */
    size_t              nheaders;   /* entries in headers */
    const uint8_t      *body;       /* request body (de-chunked), NULL when empty */
    size_t              body_len;   /* bytes in body */
    bool                keep_alive; /* the connection stays open after this request */
    uint8_t             http_minor; /* 0 for HTTP/1.0, 1 for HTTP/1.1 */
    struct router_match match;      /* the route and its raw path parameters */
    struct arena        arena;      /* per-request memory, freed after the response is written */
    struct http_conn   *conn;       /* the connection it came from; NULL once the client left */
    void               *worker;     /* the struct worker of this loop (http_server.h) */
    uint64_t            start_ms;   /* loop time when its first byte arrived */
    uint64_t            start_ns;   /* uv_hrtime() then, for the latency metric */
    /* ---- for handlers: free use ----------------------------------------------------------- */
    void               *data;       /* the handler's own pointer */
    const char         *user;       /* the authenticated role (NUL-terminated), or NULL */
    size_t              user_len;   /* bytes in user */
    /* ---- private to src/http -------------------------------------------------------------- */
    struct http_req    *next;       /* the connection's queue, in arrival order */
    enum http_req_state state;      /* see enum http_req_state */
    struct cql_wr       gather;     /* URL and header bytes while parsing (arena-backed) */
    struct http_hdr_off *offs;      /* header offsets into gather while parsing */
    size_t              offs_cap;   /* slots in offs */
    size_t              header_bytes; /* URL and header bytes received, for the limit */
    struct cql_wr       body_w;     /* the body being received (malloc'd, freed with req) */
    struct cql_wr       extra;      /* extra response header lines (arena-backed) */
    struct cql_wr       head;       /* status line and headers, rendered when written */
    int                 status;     /* response status */
    int                 err_status; /* status of a limit broken while parsing (413, 414, 431) */
    const char         *err_desc;   /* its description (in the arena) */
    const char         *ctype;      /* response Content-Type (in the arena) */
    const uint8_t      *resp_body;  /* response body */
    size_t              resp_len;   /* bytes in resp_body */
    uint8_t            *resp_owned; /* malloc'd body to free with the request, or NULL */
    unsigned            in_field:1; /* the parser is inside a header name */
    unsigned            in_value:1; /* the parser is inside a header value */
    unsigned            headers_done:1; /* the header block is complete */
    unsigned            want_continue:1; /* the client expects 100 Continue */
    unsigned            continue_sent:1; /* 100 Continue is queued or written */
    unsigned            close_after:1; /* close the connection after this response */
};

/* ---- reading the request ------------------------------------------------------------------ */

/* The value of the first header called NAME (any case), NUL-terminated, or NULL. */
const char *http_req_header(const struct http_req *req, const char *name);

/*
 * The query parameter NAME, decoded (`+` is a space), NUL-terminated in the request's arena, or
 * NULL when absent or badly escaped. The first occurrence wins.
 */
const char *http_req_query(struct http_req *req, const char *name);

/* The raw (percent-encoded) path parameter NAME of the matched route, or NULL. */
const struct router_param *http_req_param_raw(const struct http_req *req, const char *name);

/*
 * The path parameter NAME, percent-decoded into the request's arena; NULL when absent or badly
 * escaped. For a `{name...}` parameter this decodes the whole remainder, slashes included; split
 * the raw one first when segments matter.
 */
const char *http_req_param(struct http_req *req, const char *name);

/* http_req_param with the decoded length in *LEN (a name may hold %00). */
const char *http_req_param_n(struct http_req *req, const char *name, size_t *len);

/* True when the client went away; the request must still be answered (which frees it). */
bool http_req_gone(const struct http_req *req);

/* The route's name for metrics and logs, or "-" when no route matched. */
const char *http_req_route_name(const struct http_req *req);

/* ---- answering ---------------------------------------------------------------------------- */

/*
 * Adds the response header "NAME: VALUE" (both copied). A name or value holding CR, LF or NUL
 * is refused (logged and dropped). Content-Type, Content-Length and Connection are the HTTP
 * layer's own and must not be added.
 */
void http_resp_add_header(struct http_req *req, const char *name, const char *value);

/*
 * Answers REQ with STATUS, CONTENT_TYPE (NULL: application/json) and BODY (LEN bytes, copied;
 * BODY may be NULL when LEN is 0). See the contract at the top: REQ is gone after this call.
 */
void http_respond(struct http_req *req, int status, const char *content_type, const void *body,
                  size_t len);

/*
 * Answers REQ with STATUS and the JSON in BODY, taking ownership of BODY's buffer: it must have
 * been set up with http_body_init (malloc-backed). BODY is left empty. A BODY whose writer failed
 * (BODY->err) is answered with 500 instead.
 */
void http_respond_json(struct http_req *req, int status, struct cql_wr *body);

/*
 * Answers REQ with STATUS and Stargate v2's error body (spec/rest-v2.md, section 2):
 *     {"description":"<DESCRIPTION>","code":<STATUS>,"grpcStatus":<GRPC_STATUS|null>,
 *      "internalTxId":null}
 * GRPC_STATUS NULL writes null. _n takes a description that is not NUL-terminated.
 */
void http_respond_error(struct http_req *req, int status, const char *description,
                        const char *grpc_status);
void http_respond_error_n(struct http_req *req, int status, const char *description, size_t len,
                          const char *grpc_status);

/* Sets W up as an empty, malloc-backed body buffer for http_respond_json. */
void http_body_init(struct cql_wr *w);

/* Frees the buffer of a body that will not be sent after all. */
void http_body_free(struct cql_wr *w);

/* Appends the error body described at http_respond_error to W (pure; used by the tests too). */
void http_error_body(struct cql_wr *w, int status, const char *description, size_t len,
                     const char *grpc_status);

/* ---- private to src/http ------------------------------------------------------------------ */

/* A new request for CONN on WORKER's loop, at loop time NOW. */
struct http_req *http_req__create(struct http_conn *conn, void *worker, uint64_t now);

/* Frees REQ and everything it owns. */
void http_req__destroy(struct http_req *req);

/*
 * Renders REQ's status line and headers into req->head. CLOSE adds Connection: close; otherwise
 * an HTTP/1.0 client that asked for keep-alive gets Connection: keep-alive.
 */
void http_req__render_head(struct http_req *req, bool close);

/* True when the response carries a body on the wire (not HEAD, not 204 or 304). */
bool http_req__sends_body(const struct http_req *req);

/* Answers REQ without checking whether it was answered before (for the connection's own errors). */
void http_req__answer(struct http_req *req, int status, const char *content_type,
                      const void *body, size_t len);

#endif /* HTTP_MSG_H */
