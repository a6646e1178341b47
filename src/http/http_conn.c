/*
 * http_conn.c: one client connection (see http_conn.h).
 *
 * Every request gets a struct http_req the moment its first byte arrives, and joins the
 * connection's queue; the queue is the pipelining order. Requests leave it only from the head,
 * once answered, so a later request that finishes first waits for the earlier ones:
 *
 *     q_head                                                      q_tail (== cur while parsing)
 *       |                                                           |
 *     [ANSWERED] -> [HANDLING] -> [ANSWERED] -> [HANDLING] -> [PARSING]
 *       written       holds the rest back until its handler answers
 *
 *     wlist: the requests whose bytes the pending uv_write holds, freed by its callback
 *
 * Input: the loop's shared read buffer goes to llhttp, whose callbacks only record: URL and
 * header bytes are gathered into the request's arena, body bytes into its body buffer. The
 * message-complete callback pauses the parser, so each complete request is routed and handed to
 * its handler outside llhttp, and reading can stop between two requests: with too many requests
 * queued or too many answer bytes unwritten (backpressure), the unparsed rest is kept in
 * `pending` and reading resumes below the low watermarks.
 *
 * Output: an answer marks the connection dirty; the server's uv_prepare calls http_conn__flush
 * once per loop iteration, which renders the heads of every answered request at the front of the
 * queue and writes them, bodies included, with one uv_try_write (then one uv_write for what is
 * left) of an iovec array.
 *
 * Ending: a request without keep-alive, a parse error, a timeout, EOF or the server's drain sets
 * no_more; the last answer then carries Connection: close, and once it is written the connection
 * shuts its sending side down and discards input until the client closes (a lingering close, so
 * a client still sending a refused body reads the answer instead of a reset). uv_close of both
 * handles ends it; the memory goes in the last close callback.
 *
 * Timers (one per connection): the header deadline runs from a request's first byte (from the
 * accept for the first request) and is not moved by later bytes, so a client trickling header
 * bytes is cut at the deadline with 408. Reading a body, waiting to send, and idling between
 * requests use the idle timeout since the last progress.
 */
#include "http/http_conn.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "core/metrics.h"

/* How long a closing connection waits for the client's EOF after the last answer. */
#define HTTP_LINGER_MS 2000

static const char continue_line[] = "HTTP/1.1 100 Continue\r\n\r\n";

static int on_message_begin(llhttp_t *p);
static int on_url(llhttp_t *p, const char *at, size_t len);
static int on_url_complete(llhttp_t *p);
static int on_header_field(llhttp_t *p, const char *at, size_t len);
static int on_header_field_complete(llhttp_t *p);
static int on_header_value(llhttp_t *p, const char *at, size_t len);
static int on_header_value_complete(llhttp_t *p);
static int on_headers_complete(llhttp_t *p);
static int on_body(llhttp_t *p, const char *at, size_t len);
static int on_message_complete(llhttp_t *p);

static const llhttp_settings_t parser_settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_url_complete = on_url_complete,
    .on_header_field = on_header_field,
    .on_header_field_complete = on_header_field_complete,
    .on_header_value = on_header_value,
    .on_header_value_complete = on_header_value_complete,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf);
static void on_timer(uv_timer_t *t);
static void arm_timer(struct http_conn *c);
static void linger(struct http_conn *c);

static uint64_t
now_ms(const struct http_conn *c)
{
    return uv_now(c->srv->loop);
}

/* ---- reading --------------------------------------------------------------------------------- */

static void
on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct http_conn *c = h->data;

    (void)suggested;
    buf->base = c->srv->rbuf;
    buf->len = HTTP_READ_SIZE;
}

static void
start_reading(struct http_conn *c)
{
    if (!c->reading && !c->closing) {
        if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0) {
            c->reading = 1;
        }
    }
}

static void
stop_reading(struct http_conn *c)
{
    if (c->reading) {
        uv_read_stop((uv_stream_t *)&c->tcp);
        c->reading = 0;
    }
}

/* No request after the ones already queued will be read. */
static void
set_no_more(struct http_conn *c)
{
    c->no_more = 1;
    if (!c->lingering) {
        stop_reading(c);
    }
    free(c->pending);
    c->pending = NULL;
    c->pending_len = 0;
}

static bool
over_high(const struct http_conn *c)
{
    return c->nqueued >= c->srv->lim.pipeline_high || c->out_bytes >= c->srv->lim.out_high;
}

/* Backpressure: keeps the unparsed DATA (LEN bytes) and stops reading. */
static void
pause_reading(struct http_conn *c, const char *data, size_t len)
{
    ASSERT(c->pending == NULL);
    c->pending = xmalloc(len);
    memcpy(c->pending, data, len);
    c->pending_len = len;
    c->paused = 1;
    stop_reading(c);
}

/* ---- the queue ------------------------------------------------------------------------------- */

static struct http_req *
new_request(struct http_conn *c)
{
    struct http_req *req = http_req__create(c, c->srv->worker, now_ms(c));

    if (c->q_tail != NULL) {
        c->q_tail->next = req;
    } else {
        c->q_head = req;
    }
    c->q_tail = req;
    c->nqueued++;
    return req;
}

/* Frees REQ, or detaches it when its handler still holds it. */
static void
release(struct http_conn *c, struct http_req *req)
{
    req->next = NULL;
    if (req->state == HTTP_REQ_HANDLING) {
        req->conn = NULL;
        return;
    }
    if (req->state == HTTP_REQ_ANSWERED || req->state == HTTP_REQ_WRITING) {
        c->out_bytes -= req->resp_len;
    }
    http_req__destroy(req);
}

/* Drops every queued request (the connection closes before they could be answered). */
static void
drop_queue(struct http_conn *c)
{
    struct http_req *req = c->q_head;

    while (req != NULL) {
        struct http_req *next = req->next;

        release(c, req);
        req = next;
    }
    c->q_head = NULL;
    c->q_tail = NULL;
    c->cur = NULL;
    c->done = NULL;
    c->nqueued = 0;
}

/* Removes the request being parsed, which the client will never finish (EOF). */
static void
drop_partial(struct http_conn *c)
{
    struct http_req *req = c->cur;
    struct http_req **pp = &c->q_head;

    if (req == NULL) {
        return;
    }
    while (*pp != req) {
        pp = &(*pp)->next;
    }
    *pp = NULL;
    c->q_tail = NULL;
    for (struct http_req *r = c->q_head; r != NULL; r = r->next) {
        c->q_tail = r;
    }
    c->nqueued--;
    c->cur = NULL;
    c->hdr_deadline = 0;
    http_req__destroy(req);
}

/* ---- llhttp callbacks: recording only -------------------------------------------------------- */

static struct http_conn *
conn_of(llhttp_t *p)
{
    return p->data;
}

/* Records that REQ broke a limit: STATUS, and a description formatted into its arena. */
static int __attribute__((format(printf, 3, 4)))
fail(struct http_req *req, int status, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0) {
        n = 0;
    } else if ((size_t)n >= sizeof(buf)) {
        n = (int)sizeof(buf) - 1;
    }
    req->err_status = status;
    req->err_desc = arena_strndup(&req->arena, buf, (size_t)n);
    return -1;
}

static int
on_message_begin(llhttp_t *p)
{
    struct http_conn *c = conn_of(p);

    c->cur = new_request(c);
    if (c->hdr_deadline == 0) {
        c->hdr_deadline = now_ms(c) + c->srv->lim.header_timeout_ms;
    }
    return 0;
}

/* Appends header-block bytes to the request, within the header byte limit. */
static int
gather(struct http_conn *c, const char *at, size_t len, int status)
{
    struct http_req *req = c->cur;
    size_t max = c->srv->lim.max_header_bytes;

    req->header_bytes += len;
    if (req->header_bytes > max) {
        if (status == 414) {
            return fail(req, 414, "Request URI is longer than the limit of %zu bytes", max);
        }
        return fail(req, 431, "Request header fields are larger than the limit of %zu bytes", max);
    }
    cql_wr_raw(&req->gather, at, len);
    return 0;
}

static int
on_url(llhttp_t *p, const char *at, size_t len)
{
    return gather(conn_of(p), at, len, 414);
}

static int
on_url_complete(llhttp_t *p)
{
    struct http_req *req = conn_of(p)->cur;

    req->path_len = req->gather.len;
    cql_wr_byte(&req->gather, '\0');
    return 0;
}

static int
on_header_field(llhttp_t *p, const char *at, size_t len)
{
    struct http_conn *c = conn_of(p);
    struct http_req *req = c->cur;

    if (req->headers_done) {
        return 0;                           /* trailers of a chunked body are ignored */
    }
    if (!req->in_field) {
        struct http_hdr_off *o;

        if (req->nheaders == c->srv->lim.max_headers) {
            return fail(req, 431, "Request has more than %zu header fields",
                        c->srv->lim.max_headers);
        }
        if (req->nheaders == req->offs_cap) {
            size_t cap = req->offs_cap == 0 ? 16 : req->offs_cap * 2;
            struct http_hdr_off *n = arena_alloc(&req->arena, cap * sizeof(*n));

            if (req->nheaders > 0) {
                memcpy(n, req->offs, req->nheaders * sizeof(*n));
            }
            req->offs = n;
            req->offs_cap = cap;
        }
        o = &req->offs[req->nheaders++];
        o->name_off = (uint32_t)req->gather.len;
        o->name_len = 0;
        o->value_off = UINT32_MAX;
        o->value_len = 0;
        req->in_field = 1;
    }
    return gather(c, at, len, 431);
}

static int
on_header_field_complete(llhttp_t *p)
{
    struct http_req *req = conn_of(p)->cur;
    struct http_hdr_off *o;

    if (req->headers_done || !req->in_field) {
        return 0;
    }
    o = &req->offs[req->nheaders - 1];
    o->name_len = (uint32_t)(req->gather.len - o->name_off);
    cql_wr_byte(&req->gather, '\0');
    req->in_field = 0;
    return 0;
}

static int
on_header_value(llhttp_t *p, const char *at, size_t len)
{
    struct http_conn *c = conn_of(p);
    struct http_req *req = c->cur;

    if (req->headers_done || req->nheaders == 0) {
        return 0;
    }
    if (!req->in_value) {
        req->offs[req->nheaders - 1].value_off = (uint32_t)req->gather.len;
        req->in_value = 1;
    }
    return gather(c, at, len, 431);
}

static int
on_header_value_complete(llhttp_t *p)
{
    struct http_req *req = conn_of(p)->cur;
    struct http_hdr_off *o;

    if (req->headers_done || req->nheaders == 0) {
        return 0;
    }
    o = &req->offs[req->nheaders - 1];
    if (!req->in_value) {
        o->value_off = (uint32_t)req->gather.len;
    }
    while (req->gather.len > o->value_off
           && (req->gather.p[req->gather.len - 1] == ' '
               || req->gather.p[req->gather.len - 1] == '\t')) {
        req->gather.len--;
    }
    o->value_len = (uint32_t)(req->gather.len - o->value_off);
    cql_wr_byte(&req->gather, '\0');
    req->in_value = 0;
    return 0;
}

static enum http_method
method_of(uint8_t m)
{
    switch (m) {
    case HTTP_GET:
        return HTTP_METHOD_GET;
    case HTTP_HEAD:
        return HTTP_METHOD_HEAD;
    case HTTP_POST:
        return HTTP_METHOD_POST;
    case HTTP_PUT:
        return HTTP_METHOD_PUT;
    case HTTP_DELETE:
        return HTTP_METHOD_DELETE;
    case HTTP_PATCH:
        return HTTP_METHOD_PATCH;
    case HTTP_OPTIONS:
        return HTTP_METHOD_OPTIONS;
    default:
        return HTTP_METHOD_OTHER;
    }
}

/*
 * Turns the gathered offsets into the request's header array and splits the URL into path and
 * query. Returns false when the request target is not an origin-form path (or absolute-form).
 */
static bool
finish_head(struct http_req *req)
{
    char *base = (char *)req->gather.p;
    char *url = base;
    size_t len = req->path_len;
    char *q;

    if (base == NULL || req->gather.err != 0) {
        return false;
    }
    req->headers = arena_alloc(&req->arena, (req->nheaders + 1) * sizeof(*req->headers));
    for (size_t i = 0; i < req->nheaders; i++) {
        const struct http_hdr_off *o = &req->offs[i];
        struct http_header *h = &req->headers[i];

        h->name = base + o->name_off;
        h->name_len = o->name_len;
        h->value = o->value_off == UINT32_MAX ? "" : base + o->value_off;
        h->value_len = o->value_len;
    }
    /* Absolute-form (RFC 9112, section 3.2.2): drop the scheme and authority. */
    if ((len > 7 && strncasecmp(url, "http://", 7) == 0)
        || (len > 8 && strncasecmp(url, "https://", 8) == 0)) {
        char *slash = memchr(url + 8, '/', len - 8);

        if (slash == NULL) {
            return false;
        }
        len -= (size_t)(slash - url);
        url = slash;
    }
    if (len == 0 || url[0] != '/') {
        return false;
    }
    q = memchr(url, '?', len);
    if (q != NULL) {
        *q = '\0';
        req->query = q + 1;
        req->query_len = len - (size_t)(q + 1 - url);
        len = (size_t)(q - url);
    }
    req->path = url;
    req->path_len = len;
    return true;
}

static int
on_headers_complete(llhttp_t *p)
{
    struct http_conn *c = conn_of(p);
    struct http_req *req = c->cur;
    const struct http_limits *lim = &c->srv->lim;
    bool has_len = (p->flags & F_CONTENT_LENGTH) != 0;
    bool chunked = (p->flags & F_CHUNKED) != 0;
    const char *expect;

    if (!finish_head(req)) {
        return fail(req, 400, "Malformed request target");
    }
    req->method = method_of(p->method);
    req->http_minor = p->http_minor;
    req->headers_done = 1;
    c->hdr_deadline = 0;
    if (has_len && p->content_length > lim->max_body) {
        return fail(req, 413, "Request body is larger than the limit of %zu bytes",
                    lim->max_body);
    }
    expect = http_req_header(req, "expect");
    if (expect != NULL) {
        if (strcasecmp(expect, "100-continue") != 0) {
            return fail(req, 417, "Unsupported Expect header");
        }
        if (p->http_minor >= 1 && (chunked || (has_len && p->content_length > 0))) {
            req->want_continue = 1;
            http_server__mark_dirty(c->srv, c);
        }
    }
    if (has_len && p->content_length > 0) {
        size_t n = (size_t)p->content_length;

        /* One allocation for the whole body; reserve counts the bytes as written, so undo that. */
        if (cql_wr_reserve(&req->body_w, n) != NULL) {
            req->body_w.len -= n;
        }
    }
    return 0;
}

static int
on_body(llhttp_t *p, const char *at, size_t len)
{
    struct http_conn *c = conn_of(p);
    struct http_req *req = c->cur;
    size_t max = c->srv->lim.max_body;

    if (len > max - req->body_w.len) {
        return fail(req, 413, "Request body is larger than the limit of %zu bytes", max);
    }
    cql_wr_raw(&req->body_w, at, len);
    return 0;
}

static int
on_message_complete(llhttp_t *p)
{
    struct http_conn *c = conn_of(p);
    struct http_req *req = c->cur;

    req->keep_alive = llhttp_should_keep_alive(p) != 0;
    if (!req->continue_sent) {
        req->want_continue = 0;             /* the body came without waiting for it */
    }
    if (req->body_w.len > 0) {
        req->body = req->body_w.p;
        req->body_len = req->body_w.len;
    }
    c->cur = NULL;
    c->done = req;
    return HPE_PAUSED;                      /* route and dispatch outside the parser */
}

/* ---- dispatch -------------------------------------------------------------------------------- */

static void
allow_header(struct http_req *req, unsigned allowed)
{
    char buf[128];
    size_t n = 0;

    buf[0] = '\0';
    for (int m = HTTP_METHOD_GET; m < HTTP_METHOD_OTHER; m++) {
        if (allowed & (1u << m)) {
            n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", n > 0 ? ", " : "",
                                  http_method_name((enum http_method)m));
        }
    }
    http_resp_add_header(req, "Allow", buf);
}

static void
dispatch(struct http_conn *c, struct http_req *req)
{
    c->done = NULL;
    req->state = HTTP_REQ_HANDLING;
    if (!req->keep_alive || c->draining) {
        set_no_more(c);
    }
    router_match(c->srv->router, req->method, req->path, req->path_len, &req->match);
    switch (req->match.status) {
    case 0:
        log_debug("%s %s %s -> %s", c->name, http_method_name(req->method), req->path,
                  req->match.route->name);
        req->match.route->handler(req);
        break;
    case 405:
        allow_header(req, req->match.allowed);
        http_respond_error(req, 405, "HTTP 405 Method Not Allowed", NULL);
        break;
    default:
        http_respond_error(req, 404, "HTTP 404 Not Found", NULL);
        break;
    }
}

/* Answers the request being parsed with an error and reads nothing more. */
static void
answer_error(struct http_conn *c, struct http_req *req, int status, const char *desc)
{
    if (c->cur == req) {
        c->cur = NULL;
    }
    c->hdr_deadline = 0;
    set_no_more(c);
    req->close_after = 1;
    req->keep_alive = false;
    http_respond_error(req, status, desc, NULL);
}

static void
parse_error(struct http_conn *c, llhttp_errno_t err)
{
    struct http_req *req = c->cur != NULL ? c->cur : new_request(c);
    char desc[160];

    if (req->err_status != 0) {
        answer_error(c, req, req->err_status, req->err_desc);
        return;
    }
    snprintf(desc, sizeof(desc), "Malformed HTTP request: %s",
             llhttp_get_error_reason(&c->parser) != NULL ? llhttp_get_error_reason(&c->parser)
                                                         : llhttp_errno_name(err));
    log_debug("%s %s", c->name, desc);
    answer_error(c, req, 400, desc);
}

/*
 * Feeds DATA (LEN bytes) to the parser, dispatching each complete request, until the input is
 * used up, reading must pause (backpressure: the rest is kept), or no more requests are wanted.
 */
static void
parse(struct http_conn *c, const char *data, size_t len)
{
    while (len > 0 && !c->no_more && !c->closing) {
        llhttp_errno_t err;
        const char *pos;

        if (c->cur == NULL && over_high(c)) {
            pause_reading(c, data, len);
            return;
        }
        err = llhttp_execute(&c->parser, data, len);
        if (err == HPE_OK) {
            return;
        }
        if (err != HPE_PAUSED && err != HPE_PAUSED_UPGRADE) {
            parse_error(c, err);
            return;
        }
        pos = llhttp_get_error_pos(&c->parser);
        len -= (size_t)(pos - data);
        data = pos;
        if (err == HPE_PAUSED) {
            llhttp_resume(&c->parser);
        }
        if (c->done != NULL) {
            dispatch(c, c->done);
        }
        if (err == HPE_PAUSED_UPGRADE) {
            set_no_more(c);                 /* no protocol switch: answer, then close */
        }
    }
}

/* Resumes reading once the queue and the unwritten answers are below the low watermarks. */
static void
maybe_resume(struct http_conn *c)
{
    const struct http_limits *lim = &c->srv->lim;

    if (!c->paused || c->nqueued > lim->pipeline_low || c->out_bytes > lim->out_low) {
        return;
    }
    c->paused = 0;
    if (c->pending != NULL) {
        char *buf = c->pending;
        size_t len = c->pending_len;

        c->pending = NULL;
        c->pending_len = 0;
        parse(c, buf, len);
        free(buf);
    }
    if (!c->paused && !c->no_more && !c->closing) {
        start_reading(c);
    }
}

static void
on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    struct http_conn *c = stream->data;

    if (nread == 0 || c->closing) {
        return;
    }
    if (nread < 0) {
        if (c->lingering || nread != UV_EOF) {
            http_conn__close(c);
            return;
        }
        /* The client finished sending: answer what is complete, then close. */
        stop_reading(c);
        drop_partial(c);
        set_no_more(c);
        if (c->q_head == NULL && !c->writing) {
            http_conn__close(c);
            return;
        }
        http_server__mark_dirty(c->srv, c);
        arm_timer(c);
        return;
    }
    c->last_io = now_ms(c);
    if (c->lingering || c->no_more) {
        return;                             /* discarded */
    }
    parse(c, buf->base, (size_t)nread);
    arm_timer(c);
}

/* ---- writing --------------------------------------------------------------------------------- */

static void
iov_push(struct http_conn *c, size_t *n, const void *p, size_t len)
{
    if (*n == c->iov_cap) {
        c->iov_cap = c->iov_cap == 0 ? 16 : c->iov_cap * 2;
        c->iov = xrealloc(c->iov, c->iov_cap * sizeof(*c->iov));
    }
    c->iov[(*n)++] = uv_buf_init((char *)(uintptr_t)p, (unsigned)len);
}

static void
free_written(struct http_conn *c)
{
    struct http_req *req = c->wlist;

    while (req != NULL) {
        struct http_req *next = req->next;

        c->out_bytes -= req->resp_len;
        http_req__destroy(req);
        req = next;
    }
    c->wlist = NULL;
}

/* Closes C once nothing more will be read and everything queued is written. */
static void
maybe_finish(struct http_conn *c)
{
    if (c->no_more && c->q_head == NULL && !c->writing && !c->closing && !c->lingering) {
        linger(c);
    }
}

/* The pending bytes are all written (synchronously or by the write callback). */
static void
written(struct http_conn *c)
{
    free_written(c);
    c->last_io = now_ms(c);
    if (c->close_after_write) {
        linger(c);
        return;
    }
    maybe_resume(c);
    if (c->closing) {
        return;
    }
    maybe_finish(c);
    arm_timer(c);
}

static void
on_write(uv_write_t *w, int status)
{
    struct http_conn *c = container_of(w, struct http_conn, wreq);

    c->writing = 0;
    if (c->closing) {
        free_written(c);                    /* canceled by uv_close */
        return;
    }
    if (status < 0) {
        log_debug("%s write failed: %s", c->name, uv_strerror(status));
        free_written(c);
        http_conn__close(c);
        return;
    }
    written(c);
    if (!c->closing && !c->lingering && c->q_head != NULL
        && (c->q_head->state == HTTP_REQ_ANSWERED
            || (c->q_head->want_continue && !c->q_head->continue_sent))) {
        http_server__mark_dirty(c->srv, c);
    }
}

/* Writes the first N buffers of c->iov: as much as possible at once, the rest by uv_write. */
static void
write_out(struct http_conn *c, size_t n)
{
    int rc = uv_try_write((uv_stream_t *)&c->tcp, c->iov, (unsigned)n);
    size_t i = 0;

    if (rc < 0 && rc != UV_EAGAIN) {
        log_debug("%s write failed: %s", c->name, uv_strerror(rc));
        http_conn__close(c);
        return;
    }
    if (rc > 0) {
        size_t done = (size_t)rc;

        while (i < n && done >= c->iov[i].len) {
            done -= c->iov[i].len;
            i++;
        }
        if (i < n) {
            c->iov[i].base += done;
            c->iov[i].len -= done;
        }
    }
    if (i == n) {
        written(c);
        return;
    }
    c->last_io = now_ms(c);
    c->writing = 1;
    rc = uv_write(&c->wreq, (uv_stream_t *)&c->tcp, c->iov + i, (unsigned)(n - i), on_write);
    if (rc < 0) {
        c->writing = 0;
        http_conn__close(c);
        return;
    }
    c->wq_size = c->tcp.write_queue_size;
    arm_timer(c);
}

void
http_conn__answered(struct http_conn *c, struct http_req *req)
{
    req->state = HTTP_REQ_ANSWERED;
    c->out_bytes += req->resp_len;
    http_server__mark_dirty(c->srv, c);
}

void
http_conn__flush(struct http_conn *c)
{
    size_t n = 0;

    if (c->closing || c->writing || c->lingering) {
        return;
    }
    while (c->q_head != NULL) {
        struct http_req *req = c->q_head;
        bool close;

        if (req->state != HTTP_REQ_ANSWERED) {
            if (req->want_continue && !req->continue_sent && req->headers_done) {
                iov_push(c, &n, continue_line, sizeof(continue_line) - 1);
                req->continue_sent = 1;
            }
            break;
        }
        close = req->close_after || !req->keep_alive || (c->no_more && req->next == NULL);
        http_req__render_head(req, close);
        iov_push(c, &n, req->head.p, req->head.len);
        if (http_req__sends_body(req)) {
            iov_push(c, &n, req->resp_body, req->resp_len);
        }
        c->q_head = req->next;
        if (c->q_head == NULL) {
            c->q_tail = NULL;
        }
        c->nqueued--;
        req->state = HTTP_REQ_WRITING;
        req->next = c->wlist;
        c->wlist = req;
        if (close) {
            c->close_after_write = 1;
            if (!c->no_more) {
                set_no_more(c);
            }
            drop_queue(c);
            break;
        }
    }
    if (n == 0) {
        maybe_finish(c);
        return;
    }
    write_out(c, n);
}

/* ---- timers and closing ---------------------------------------------------------------------- */

/* When the connection's current phase times out (loop time), or 0 for no timeout. */
static uint64_t
due_time(const struct http_conn *c)
{
    uint64_t idle = c->srv->lim.idle_timeout_ms;

    if (c->hdr_deadline != 0) {
        return c->hdr_deadline;             /* headers: fixed from the request's first byte */
    }
    if (c->cur != NULL || c->writing) {
        return c->last_io + idle;           /* a body arriving, or answers leaving */
    }
    if (c->q_head != NULL || c->paused) {
        return 0;                           /* handlers at work: their own deadlines apply */
    }
    return c->last_io + idle;               /* keep-alive idle */
}

static void
arm_timer(struct http_conn *c)
{
    uint64_t due;
    uint64_t now;

    if (c->closing || c->lingering) {
        return;
    }
    due = due_time(c);
    if (due == 0) {
        uv_timer_stop(&c->timer);
        return;
    }
    now = now_ms(c);
    uv_timer_start(&c->timer, on_timer, due > now ? due - now : 0, 0);
}

static void
on_timer(uv_timer_t *t)
{
    struct http_conn *c = t->data;
    uint64_t due;

    if (c->lingering) {
        http_conn__close(c);
        return;
    }
    due = due_time(c);
    if (due == 0 || now_ms(c) < due) {
        arm_timer(c);
        return;
    }
    if (c->cur != NULL) {
        log_debug("%s request timed out while being received", c->name);
        answer_error(c, c->cur, 408, "Request timeout: the request was not received in time");
        arm_timer(c);
        return;
    }
    if (c->writing && c->tcp.write_queue_size < c->wq_size) {
        /* The client is reading, only slowly: that is progress. */
        c->wq_size = c->tcp.write_queue_size;
        c->last_io = now_ms(c);
        arm_timer(c);
        return;
    }
    log_debug("%s %s timeout", c->name, c->writing ? "send" : "idle");
    http_conn__close(c);
}

static void
on_shutdown(uv_shutdown_t *sreq, int status)
{
    struct http_conn *c = container_of(sreq, struct http_conn, sreq);

    if (status < 0 && !c->closing) {
        http_conn__close(c);
    }
}

/*
 * Every answer is written and the connection ends: shut down the sending side, then discard what
 * the client still sends until its EOF or HTTP_LINGER_MS.
 */
static void
linger(struct http_conn *c)
{
    if (c->lingering || c->closing) {
        return;
    }
    c->lingering = 1;
    free(c->pending);
    c->pending = NULL;
    if (uv_shutdown(&c->sreq, (uv_stream_t *)&c->tcp, on_shutdown) != 0) {
        http_conn__close(c);
        return;
    }
    start_reading(c);
    uv_timer_start(&c->timer, on_timer, HTTP_LINGER_MS, 0);
}

static void
on_close(uv_handle_t *h)
{
    struct http_conn *c = h->data;

    if (--c->handles > 0) {
        return;
    }
    ASSERT(c->wlist == NULL);
    free(c->iov);
    http_server__conn_closed(c->srv, c);
    free(c);
}

void
http_conn__close(struct http_conn *c)
{
    if (c->closing) {
        return;
    }
    c->closing = 1;
    c->reading = 0;
    if (c->dirty) {
        http_server__unmark_dirty(c->srv, c);
    }
    drop_queue(c);
    free(c->pending);
    c->pending = NULL;
    uv_close((uv_handle_t *)&c->tcp, on_close);
    uv_close((uv_handle_t *)&c->timer, on_close);
}

void
http_conn__drain(struct http_conn *c)
{
    if (c->closing || c->lingering) {
        return;
    }
    c->draining = 1;
    if (c->cur == NULL) {
        set_no_more(c);
    }
    if (c->q_head == NULL && !c->writing) {
        http_conn__close(c);
        return;
    }
    http_server__mark_dirty(c->srv, c);
}

/* ---- accepting ------------------------------------------------------------------------------- */

static void
on_reject_close(uv_handle_t *h)
{
    free(h->data);
}

static void
peer_name(struct http_conn *c)
{
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    char host[64] = "?";
    int port = 0;

    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) == 0) {
        if (ss.ss_family == AF_INET) {
            uv_ip4_name((struct sockaddr_in *)&ss, host, sizeof(host));
            port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        } else if (ss.ss_family == AF_INET6) {
            uv_ip6_name((struct sockaddr_in6 *)&ss, host, sizeof(host));
            port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
        }
    }
    snprintf(c->name, sizeof(c->name), "H-%llu %s:%d", (unsigned long long)c->id, host, port);
}

void
http_conn__accept(struct http_server *s, uv_stream_t *listener)
{
    struct http_conn *c = xcalloc(1, sizeof(*c));
    int rc;

    c->srv = s;
    uv_tcp_init(s->loop, &c->tcp);
    c->tcp.data = c;
    rc = uv_accept(listener, (uv_stream_t *)&c->tcp);
    if (rc != 0 || s->nconns >= s->lim.max_connections || s->stopping) {
        if (rc == 0 && !s->stopping) {
            metrics_add(METRICS_HTTP_REJECTED, 1);
            if (s->rejected++ % 1000 == 0) {
                log_warn("connection limit %zu reached: closing new connections (%llu so far)",
                         s->lim.max_connections, (unsigned long long)s->rejected);
            }
        }
        uv_close((uv_handle_t *)&c->tcp, on_reject_close);
        return;
    }
    uv_timer_init(s->loop, &c->timer);
    c->timer.data = c;
    c->handles = 2;
    c->id = ++s->next_id;
    c->next = s->conns;
    if (s->conns != NULL) {
        s->conns->prev = c;
    }
    s->conns = c;
    s->nconns++;
    s->accepted++;
    metrics_add(METRICS_HTTP_ACCEPTED, 1);
    metrics_add(METRICS_HTTP_OPEN, 1);
    peer_name(c);
    uv_tcp_nodelay(&c->tcp, 1);
    llhttp_init(&c->parser, HTTP_REQUEST, &parser_settings);
    c->parser.data = c;
    c->last_io = now_ms(c);
    c->hdr_deadline = c->last_io + s->lim.header_timeout_ms;
    start_reading(c);
    arm_timer(c);
}
