/*
 * test_http.c: the HTTP layer below the binary: error bodies and response heads (pure), the
 * configuration table, and a real server on a uv loop driven over loopback by a client on the
 * same loop, with test-only handlers that answer later from timers. That is where the ordering
 * of pipelined answers that finish out of order, backpressure, and the drain are checked.
 */
#include "test.h"

#include <stdarg.h>
#include <stdlib.h>

#include <uv.h>

#include "core/conf.h"
#include "core/log.h"
#include "core/util.h"
#include "http/http_msg.h"
#include "http/http_server.h"
#include "http/router.h"

/* ---- error bodies and heads ------------------------------------------------------------------ */

TEST(http_error_body_bytes)
{
    struct cql_wr w;

    cql_wr_init(&w, NULL, 0, test_grow, NULL);
    http_error_body(&w, 404, "HTTP 404 Not Found", 18, NULL);
    SLICEEQ(w.p, w.len,
            "{\"description\":\"HTTP 404 Not Found\",\"code\":404,\"grpcStatus\":null,"
            "\"internalTxId\":null}");
    w.len = 0;
    http_error_body(&w, 400, "Invalid argument: \"x\"\n", 22, "INVALID_ARGUMENT");
    SLICEEQ(w.p, w.len,
            "{\"description\":\"Invalid argument: \\\"x\\\"\\n\",\"code\":400,"
            "\"grpcStatus\":\"INVALID_ARGUMENT\",\"internalTxId\":null}");
    w.len = 0;
    http_error_body(&w, 400, "bad \xff byte", 10, NULL);
    SLICEEQ(w.p, w.len,
            "{\"description\":\"bad \xef\xbf\xbd byte\",\"code\":400,\"grpcStatus\":null,"
            "\"internalTxId\":null}");
    free(w.p);
}

TEST(http_status_texts)
{
    STREQ(http_status_text(200), "OK");
    STREQ(http_status_text(413), "Request Entity Too Large");
    STREQ(http_status_text(431), "Request Header Fields Too Large");
    STREQ(http_status_text(599), "Unknown");
}

TEST(http_render_head)
{
    struct http_req *req = http_req__create(NULL, NULL, 0);

    req->method = HTTP_METHOD_GET;
    req->http_minor = 1;
    req->status = 201;
    req->ctype = "application/json";
    req->resp_len = 12;
    http_resp_add_header(req, "Location", "/v2/x");
    log_level_current = LOG_ERROR;          /* the refused header is logged */
    http_resp_add_header(req, "X-Bad", "a\r\nInjected: 1");
    http_resp_add_header(req, "X:Bad", "v");
    log_level_current = LOG_INFO;
    http_req__render_head(req, false);
    SLICEEQ(req->head.p, req->head.len,
            "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 12\r\n"
            "Location: /v2/x\r\n\r\n");
    OK(http_req__sends_body(req));
    http_req__render_head(req, true);
    SLICEEQ(req->head.p, req->head.len,
            "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 12\r\n"
            "Location: /v2/x\r\nConnection: close\r\n\r\n");

    /* 204 has neither Content-Type nor Content-Length; HTTP/1.0 keep-alive is spelled out. */
    req->status = 204;
    req->resp_len = 0;
    req->http_minor = 0;
    req->extra.len = 0;
    http_req__render_head(req, false);
    SLICEEQ(req->head.p, req->head.len,
            "HTTP/1.1 204 No Content\r\nConnection: keep-alive\r\n\r\n");
    OK(!http_req__sends_body(req));

    /* HEAD: the GET answer's length, no body. */
    req->method = HTTP_METHOD_HEAD;
    req->status = 200;
    req->resp_len = 5;
    OK(!http_req__sends_body(req));
    http_req__destroy(req);
}

/* ---- configuration --------------------------------------------------------------------------- */

static int
load(struct conf *c, char *err, size_t errlen, const char *a0, ...)
{
    char *argv[32];
    int argc = 0;
    va_list ap;
    const char *a;

    argv[argc++] = (char *)"cqlgate";
    va_start(ap, a0);
    for (a = a0; a != NULL && argc < 31; a = va_arg(ap, const char *)) {
        argv[argc++] = (char *)a;
    }
    va_end(ap);
    argv[argc] = NULL;
    return conf_load(c, argc, argv, err, errlen);
}

TEST(http_conf_defaults_flags_env)
{
    struct conf c;
    char err[256];

    EQ(load(&c, err, sizeof(err), NULL), 0);
    EQ(c.nlisteners, 4);
    STREQ(c.listeners[0].host, "0.0.0.0");
    EQ(c.listeners[0].port, 8081);
    EQ(c.listeners[3].port, 8084);
    OK(c.workers >= 1);
    EQ(c.max_body, 1048576);
    EQ(c.max_header_bytes, 16384);
    EQ(c.max_headers, 100);
    EQ(c.max_connections, 10000);
    EQ(c.header_timeout_ms, 10000);
    EQ(c.idle_timeout_ms, 60000);
    EQ(c.drain_timeout_ms, 10000);
    STREQ(c.contact_points, "127.0.0.1:9042");
    EQ(c.protocol_version, 0);
    EQ(c.compression, CONF_COMPRESSION_NONE);
    EQ(c.auth, CONF_AUTH_TABLE);
    OK(!c.cql_endpoint);
    EQ(c.token_ttl, 1800);
    conf_deinit(&c);

    setenv("CQLGATE_MAX_BODY", "2048", 1);
    setenv("CQLGATE_WORKERS", "3", 1);
    EQ(load(&c, err, sizeof(err), "--listen", "127.0.0.1:9000,[::1]:9001", "--workers=5",
            "--compression", "LZ4", "--cql-endpoint", "--auth", "none", "--password", "s3cret",
            NULL), 0);
    unsetenv("CQLGATE_MAX_BODY");
    unsetenv("CQLGATE_WORKERS");
    EQ(c.max_body, 2048);                   /* from the environment */
    EQ(c.workers, 5);                       /* the flag wins */
    EQ(c.nlisteners, 2);
    STREQ(c.listeners[1].host, "::1");
    EQ(c.listeners[1].port, 9001);
    EQ(c.compression, CONF_COMPRESSION_LZ4);
    OK(c.cql_endpoint);
    EQ(c.auth, CONF_AUTH_NONE);
    STREQ(c.password, "s3cret");
    conf_deinit(&c);

    EQ(load(&c, err, sizeof(err), "--cql-endpoint", "false", "--log-level", "debug", NULL), 0);
    OK(!c.cql_endpoint);
    EQ(c.log_level, 3);
    conf_deinit(&c);
}

TEST(http_conf_errors)
{
    static const char *const bad[][2] = {
        { "--max-body", "12x" },
        { "--max-body", "-1" },
        { "--max-headers", "0" },
        { "--workers", "99999" },
        { "--listen", "127.0.0.1" },
        { "--listen", "127.0.0.1:0" },
        { "--listen", "127.0.0.1:65536" },
        { "--listen", "localhost:80" },
        { "--listen", "1.2.3.4:80,1.2.3.4:80" },
        { "--listen", "[::1:80" },
        { "--compression", "zstd" },
        { "--protocol-version", "3" },
        { "--contact-points", "" },
        { "--no-such-key", "1" },
        { "positional", NULL },
    };
    struct conf c;
    char err[256];

    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        int rc = load(&c, err, sizeof(err), bad[i][0], bad[i][1], NULL);

        if (rc != E_INVALID || err[0] == '\0') {
            test_fail(__FILE__, __LINE__, "%s %s: rc %d", bad[i][0], bad[i][1], rc);
        }
        conf_deinit(&c);
    }
    EQ(load(&c, err, sizeof(err), "--max-body", NULL), E_INVALID);
    OK(strstr(err, "needs a value") != NULL);
    conf_deinit(&c);
    EQ(load(&c, err, sizeof(err), "--max-body", "x", NULL), E_INVALID);
    OK(strstr(err, "max-body") != NULL && strstr(err, "\"x\"") != NULL);
    conf_deinit(&c);
    setenv("CQLGATE_IDLE_TIMEOUT_MS", "soon", 1);
    EQ(load(&c, err, sizeof(err), NULL), E_INVALID);
    unsetenv("CQLGATE_IDLE_TIMEOUT_MS");
    OK(strstr(err, "CQLGATE_IDLE_TIMEOUT_MS") != NULL);
    conf_deinit(&c);
}

/* ---- a server on a loop, and a client on the same loop --------------------------------------- */

struct harness {
    uv_loop_t           loop;       /* both ends run here */
    struct router       router;     /* test-only routes */
    struct http_server *srv;        /* the server under test */
    uv_tcp_t            client;     /* the client socket */
    uv_connect_t        connect;    /* its connect request */
    uv_write_t          write;      /* its one write */
    uv_timer_t          guard;      /* ends a stuck test */
    uv_timer_t          stop_timer; /* stops the server at a set time, when asked */
    const char         *request;    /* bytes the client sends at once */
    size_t              request_len;/* their length */
    struct cql_wr       got;        /* bytes the client received */
    char                answers[512]; /* handler names in the order they answered */
    uint64_t            stop_after; /* stop the server this many ms in, or 0: at the client's EOF */
    uint64_t            drain_ms;   /* drain timeout given to http_server_stop */
    int                 eof;        /* the server closed the connection (1) or reset it (<0) */
    bool                stopped;    /* the server's stop callback ran */
    bool                timed_out;  /* the guard fired */
    int                 in_flight;  /* handler timers still pending */
};

/* A test handler's delayed answer. */
struct later {
    uv_timer_t       timer;         /* fires the answer */
    struct http_req *req;           /* the request to answer */
    struct harness  *h;             /* the test */
    char             body[32];      /* what to answer */
};

static void
note(struct harness *h, const char *what)
{
    size_t n = strlen(h->answers);

    snprintf(h->answers + n, sizeof(h->answers) - n, "%s%s", n > 0 ? "," : "", what);
}

static void
on_later_close(uv_handle_t *t)
{
    struct later *l = container_of((uv_timer_t *)t, struct later, timer);

    l->h->in_flight--;
    free(l);
}

static void
on_later(uv_timer_t *t)
{
    struct later *l = container_of(t, struct later, timer);

    note(l->h, l->body);
    http_respond(l->req, 200, HTTP_TEXT, l->body, strlen(l->body));
    uv_close((uv_handle_t *)&l->timer, on_later_close);
}

/* GET /slow/{ms}: answers "slow<ms>" after ms milliseconds, from a timer. */
static void
h_slow(struct http_req *req)
{
    struct harness *h = req->worker;
    struct later *l = xcalloc(1, sizeof(*l));
    const char *ms = http_req_param(req, "ms");

    l->req = req;
    l->h = h;
    snprintf(l->body, sizeof(l->body), "slow%s", ms);
    uv_timer_init(&h->loop, &l->timer);
    uv_timer_start(&l->timer, on_later, (uint64_t)atoi(ms), 0);
    h->in_flight++;
}

/* GET /fast: answers "fast" at once. */
static void
h_fast(struct http_req *req)
{
    note(req->worker, "fast");
    http_respond(req, 200, HTTP_TEXT, "fast", 4);
}

/* POST /echo: answers with the request body and a query parameter. */
static void
h_echo(struct http_req *req)
{
    struct cql_wr w;
    const char *tag = http_req_query(req, "tag");

    note(req->worker, "echo");
    http_body_init(&w);
    cql_wr_raw(&w, req->body, req->body_len);
    if (tag != NULL) {
        cql_wr_raw(&w, tag, strlen(tag));
    }
    http_respond_json(req, 200, &w);
}

/* GET /big/{kb}: answers KB kibibytes of 'x'. */
static void
h_big(struct http_req *req)
{
    size_t n = (size_t)atoi(http_req_param(req, "kb")) * 1024;
    char *body = xmalloc(n);

    memset(body, 'x', n);
    http_respond(req, 200, HTTP_TEXT, body, n);
    free(body);
}

/* GET /hdr/{name}: answers the request's headers and parameters as seen by handlers. */
static void
h_hdr(struct http_req *req)
{
    char body[256];
    const char *sp = http_req_header(req, "X-SP");
    const char *empty = http_req_header(req, "x-empty");
    const char *q = http_req_query(req, "q");
    int n;

    n = snprintf(body, sizeof(body), "[%s][%s][%s][%s][%s][%s][%s]", sp != NULL ? sp : "-",
                 empty != NULL ? empty : "-", http_req_header(req, "nope") == NULL ? "-" : "?",
                 http_req_param(req, "name"), http_req_param_raw(req, "name")->p,
                 q != NULL ? q : "-", req->query);
    http_respond(req, 200, HTTP_TEXT, body, (size_t)n);
}

static void
on_server_stopped(void *data)
{
    struct harness *h = data;

    h->stopped = true;
}

static void
stop_server(struct harness *h)
{
    if (h->srv != NULL) {
        http_server_stop(h->srv, h->drain_ms, on_server_stopped, h);
        h->srv = NULL;
    }
}

static void
on_client_close(uv_handle_t *handle)
{
    struct harness *h = container_of((uv_tcp_t *)handle, struct harness, client);

    uv_close((uv_handle_t *)&h->guard, NULL);
    if (h->stop_after == 0) {
        stop_server(h);
    }
}

static void
on_client_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
    struct harness *h = container_of((uv_tcp_t *)handle, struct harness, client);
    uint8_t *p = cql_wr_reserve(&h->got, 65536);

    (void)suggested;
    h->got.len -= 65536;                    /* reserve counted the room as written */
    buf->base = (char *)p;
    buf->len = 65536;
}

static void
on_client_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct harness *h = container_of((uv_tcp_t *)s, struct harness, client);

    (void)buf;
    if (nread > 0) {
        h->got.len += (size_t)nread;
        return;
    }
    if (nread < 0) {
        h->eof = nread == UV_EOF ? 1 : (int)nread;
        uv_close((uv_handle_t *)&h->client, on_client_close);
    }
}

static void
on_client_write(uv_write_t *w, int status)
{
    (void)w;
    (void)status;
}

static void
on_client_connect(uv_connect_t *req, int status)
{
    struct harness *h = container_of(req, struct harness, connect);
    uv_buf_t buf = uv_buf_init((char *)(uintptr_t)h->request, (unsigned)h->request_len);

    if (status != 0) {
        uv_close((uv_handle_t *)&h->client, on_client_close);
        return;
    }
    uv_write(&h->write, (uv_stream_t *)&h->client, &buf, 1, on_client_write);
    uv_read_start((uv_stream_t *)&h->client, on_client_alloc, on_client_read);
}

static void
on_guard(uv_timer_t *t)
{
    struct harness *h = container_of(t, struct harness, guard);

    h->timed_out = true;
    uv_close((uv_handle_t *)&h->client, on_client_close);
}

static void
on_stop_timer(uv_timer_t *t)
{
    struct harness *h = container_of(t, struct harness, stop_timer);

    stop_server(h);
    uv_close((uv_handle_t *)&h->stop_timer, NULL);
}

/*
 * Runs a server with the test routes and LIM (NULL: roomy defaults), sends REQUEST from one
 * client at once and collects everything until the server closes the connection, then stops the
 * server and runs the loop dry. Returns uv_loop_close's result.
 */
static int
exchange(struct harness *h, const char *request, const struct http_limits *lim)
{
    struct http_limits def = {
        .max_body = 1 << 20, .max_header_bytes = 16384, .max_headers = 100,
        .max_connections = 100, .header_timeout_ms = 2000, .idle_timeout_ms = 2000,
        .pipeline_high = HTTP_PIPELINE_HIGH, .pipeline_low = HTTP_PIPELINE_LOW,
        .out_high = HTTP_OUT_HIGH, .out_low = HTTP_OUT_LOW,
    };
    struct sockaddr_in addr;
    int rc;

    uv_loop_init(&h->loop);
    router_init(&h->router);
    rc = router_add(&h->router, HTTP_M(GET), "/slow/{ms}", h_slow, "slow");
    rc |= router_add(&h->router, HTTP_M(GET), "/fast", h_fast, "fast");
    rc |= router_add(&h->router, HTTP_M(POST), "/echo", h_echo, "echo");
    rc |= router_add(&h->router, HTTP_M(GET), "/big/{kb}", h_big, "big");
    rc |= router_add(&h->router, HTTP_M(GET), "/hdr/{name}", h_hdr, "hdr");
    ASSERT(rc == 0);
    h->srv = http_server_create(&h->loop, &h->router, lim != NULL ? lim : &def, h);
    ASSERT(http_server_listen(h->srv, "127.0.0.1", 0) == 0);
    cql_wr_init(&h->got, NULL, 0, test_grow, NULL);
    h->request = request;
    h->request_len = strlen(request);
    if (h->drain_ms == 0) {
        h->drain_ms = 1000;
    }

    uv_ip4_addr("127.0.0.1", http_server_port(h->srv, 0), &addr);
    uv_tcp_init(&h->loop, &h->client);
    uv_tcp_connect(&h->connect, &h->client, (struct sockaddr *)&addr, on_client_connect);
    uv_timer_init(&h->loop, &h->guard);
    uv_timer_start(&h->guard, on_guard, 5000, 0);
    if (h->stop_after > 0) {
        uv_timer_init(&h->loop, &h->stop_timer);
        uv_timer_start(&h->stop_timer, on_stop_timer, h->stop_after, 0);
    }
    uv_run(&h->loop, UV_RUN_DEFAULT);
    router_deinit(&h->router);
    cql_wr_byte(&h->got, '\0');
    h->got.len--;
    return uv_loop_close(&h->loop);
}

#define OKRESP(body) "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "             \
                     body "\r\n\r\n"

TEST(http_pipelined_answers_keep_request_order)
{
    struct harness h;
    static const char request[] =
        "GET /slow/60 HTTP/1.1\r\nHost: t\r\n\r\n"
        "GET /fast HTTP/1.1\r\nHost: t\r\n\r\n"
        "GET /slow/20 HTTP/1.1\r\nHost: t\r\n\r\n"
        "POST /echo?tag=%21 HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
        "GET /api/rest/fast HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    static const char want[] =
        OKRESP("6") "slow60"
        OKRESP("4") "fast"
        OKRESP("6") "slow20"
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n"
        "hello world!"
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n"
        "Connection: close\r\n\r\nfast";

    memset(&h, 0, sizeof(h));
    EQ(exchange(&h, request, NULL), 0);
    OK(!h.timed_out);
    EQ(h.eof, 1);
    OK(h.stopped);
    /* The handlers finished in another order than the responses went out. */
    STREQ(h.answers, "fast,echo,fast,slow20,slow60");
    SLICEEQ(h.got.p, h.got.len, want);
    free(h.got.p);
}

TEST(http_backpressure_many_pipelined)
{
    struct harness h;
    struct http_limits lim = {
        .max_body = 1 << 20, .max_header_bytes = 16384, .max_headers = 100,
        .max_connections = 100, .header_timeout_ms = 2000, .idle_timeout_ms = 2000,
        .pipeline_high = 4, .pipeline_low = 1, .out_high = 64 * 1024, .out_low = 1024,
    };
    static const char one[] = "GET /fast HTTP/1.1\r\nHost: t\r\n\r\n";
    static const char big[] = "GET /big/100 HTTP/1.1\r\nHost: t\r\n\r\n";
    static const char last[] = "GET /slow/5 HTTP/1.1\r\nConnection: close\r\n\r\n";
    size_t n = 300 * sizeof(one) + 10 * sizeof(big) + sizeof(last);
    char *request = xmalloc(n);
    size_t len = 0;
    size_t count = 0;
    const char *p;

    for (int i = 0; i < 300; i++) {
        memcpy(request + len, i % 30 == 0 ? big : one, i % 30 == 0 ? sizeof(big) - 1
                                                                   : sizeof(one) - 1);
        len += i % 30 == 0 ? sizeof(big) - 1 : sizeof(one) - 1;
    }
    memcpy(request + len, last, sizeof(last));
    memset(&h, 0, sizeof(h));
    EQ(exchange(&h, request, &lim), 0);
    free(request);
    OK(!h.timed_out);
    EQ(h.eof, 1);
    for (p = (const char *)h.got.p; (p = strstr(p, "HTTP/1.1 200 OK")) != NULL; p++) {
        count++;
    }
    EQ(count, 301);
    OK(strstr((const char *)h.got.p, "Connection: close\r\n\r\nslow5") != NULL);
    UEQ(h.got.len, 290 * (sizeof(OKRESP("4")) - 1 + 4) + 10 * (sizeof(OKRESP("102400")) - 1)
                   + 10 * 102400 + sizeof(OKRESP("5")) - 1 + 19 + 5);
    free(h.got.p);
}

TEST(http_errors_close_after_earlier_answers)
{
    struct harness h;
    static const char request[] =
        "GET /slow/30 HTTP/1.1\r\n\r\n"
        "GET /nowhere HTTP/1.1\r\n\r\n"
        "DELETE /fast HTTP/1.1\r\n\r\n"
        "BROKEN\r\n\r\n"
        "GET /fast HTTP/1.1\r\n\r\n";

    memset(&h, 0, sizeof(h));
    EQ(exchange(&h, request, NULL), 0);
    OK(!h.timed_out);
    EQ(h.eof, 1);
    /* slow30, 404, 405 with Allow, then 400 with close; the last request is never answered. */
    OK(strncmp((const char *)h.got.p, OKRESP("6") "slow30", sizeof(OKRESP("6")) + 5) == 0);
    OK(strstr((const char *)h.got.p, "HTTP/1.1 404 Not Found\r\n") != NULL);
    OK(strstr((const char *)h.got.p, "Allow: GET, HEAD\r\n") != NULL);
    OK(strstr((const char *)h.got.p, "HTTP/1.1 400 Bad Request\r\n") != NULL);
    OK(strstr((const char *)h.got.p, "Connection: close\r\n\r\n{\"description\":\"Malformed HTTP"
                                     " request: ") != NULL);
    OK(strstr((const char *)h.got.p, "fast") == NULL);
    STREQ(h.answers, "slow30");
    free(h.got.p);
}

TEST(http_drain_finishes_requests_in_flight)
{
    struct harness h;

    /* Stopped 20 ms in, while /slow/80 runs: it is still answered, with Connection: close. */
    memset(&h, 0, sizeof(h));
    h.stop_after = 20;
    EQ(exchange(&h, "GET /slow/80 HTTP/1.1\r\n\r\n", NULL), 0);
    OK(!h.timed_out);
    OK(h.stopped);
    EQ(h.eof, 1);
    SLICEEQ(h.got.p, h.got.len, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                                "Content-Length: 6\r\nConnection: close\r\n\r\nslow80");
    free(h.got.p);
}

TEST(http_drain_timeout_detaches_requests)
{
    struct harness h;

    /* The drain gives up after 30 ms; the handler answers its detached request at 200 ms. */
    memset(&h, 0, sizeof(h));
    h.stop_after = 20;
    h.drain_ms = 30;
    log_level_current = LOG_ERROR;          /* the forced close is logged */
    EQ(exchange(&h, "GET /slow/200 HTTP/1.1\r\n\r\n", NULL), 0);
    log_level_current = LOG_INFO;
    OK(!h.timed_out);
    OK(h.stopped);
    OK(h.eof != 0);
    EQ(h.got.len, 0);
    STREQ(h.answers, "slow200");
    EQ(h.in_flight, 0);
    free(h.got.p);
}

TEST(http_limits_answer_and_close)
{
    struct harness h;
    struct http_limits lim = {
        .max_body = 8, .max_header_bytes = 256, .max_headers = 3,
        .max_connections = 100, .header_timeout_ms = 2000, .idle_timeout_ms = 2000,
        .pipeline_high = 8, .pipeline_low = 2, .out_high = 1 << 20, .out_low = 1 << 10,
    };

    memset(&h, 0, sizeof(h));
    EQ(exchange(&h, "POST /echo HTTP/1.1\r\nContent-Length: 9\r\n\r\n123456789", &lim), 0);
    OK(strncmp((const char *)h.got.p, "HTTP/1.1 413 Request Entity Too Large\r\n", 39) == 0);
    OK(strstr((const char *)h.got.p, "Connection: close\r\n") != NULL);
    free(h.got.p);

    memset(&h, 0, sizeof(h));
    EQ(exchange(&h, "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "5\r\n12345\r\n5\r\n67890\r\n0\r\n\r\n", &lim), 0);
    OK(strncmp((const char *)h.got.p, "HTTP/1.1 413 ", 13) == 0);
    free(h.got.p);

    memset(&h, 0, sizeof(h));
    EQ(exchange(&h, "GET /fast HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", &lim), 0);
    OK(strncmp((const char *)h.got.p, "HTTP/1.1 431 ", 13) == 0);
    OK(strstr((const char *)h.got.p, "more than 3 header fields") != NULL);
    free(h.got.p);

    memset(&h, 0, sizeof(h));
    EQ(exchange(&h, "GET /fast HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n"
                    "POST /echo HTTP/1.1\r\nContent-Length: 8\r\nConnection: close\r\n\r\n"
                    "12345678", &lim), 0);
    OK(strstr((const char *)h.got.p, "\r\n\r\nfast") != NULL);
    OK(strstr((const char *)h.got.p, "\r\n\r\n12345678") != NULL);
    free(h.got.p);
}

TEST(http_request_view)
{
    struct harness h;

    memset(&h, 0, sizeof(h));
    EQ(exchange(&h, "\r\nGET /hdr/a%20b?q=x+y%21&r HTTP/1.1\r\nX-Empty:\r\nx-sp:  v w  \r\n"
                    "Connection: close\r\n\r\n", NULL), 0);
    OK(strstr((const char *)h.got.p, "\r\n\r\n[v w][][-][a b][a%20b][x y!][q=x+y%21&r]") != NULL);
    free(h.got.p);

    /* HEAD: the GET answer's headers, no body. */
    memset(&h, 0, sizeof(h));
    EQ(exchange(&h, "HEAD /fast HTTP/1.1\r\nConnection: close\r\n\r\n", NULL), 0);
    SLICEEQ(h.got.p, h.got.len, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                                "Content-Length: 4\r\nConnection: close\r\n\r\n");
    free(h.got.p);
}
