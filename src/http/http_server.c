/*
 * http_server.c: listeners, accept, the per-iteration flush, the drain on stop, and the worker
 * threads with their hooks (see http_server.h for the life of a worker).
 *
 * Listening sockets are made here rather than by libuv: libuv 1.44 has no SO_REUSEPORT flag, and
 * each worker needs its own socket on the same address so that the kernel spreads connections
 * over the workers. The socket is created, given SO_REUSEADDR and SO_REUSEPORT, bound, and
 * handed to uv_tcp_open; uv_listen then starts accepting on the worker's loop.
 */
#include "http/http_server.h"

#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "core/metrics.h"
#include "http/http_conn.h"

#define HTTP_BACKLOG 4096

void
http_limits_from_conf(struct http_limits *lim, const struct conf *c)
{
    lim->max_body = (size_t)c->max_body;
    lim->max_header_bytes = (size_t)c->max_header_bytes;
    lim->max_headers = (size_t)c->max_headers;
    lim->max_connections = (size_t)c->max_connections;
    lim->header_timeout_ms = c->header_timeout_ms;
    lim->idle_timeout_ms = c->idle_timeout_ms;
    lim->pipeline_high = HTTP_PIPELINE_HIGH;
    lim->pipeline_low = HTTP_PIPELINE_LOW;
    lim->out_high = HTTP_OUT_HIGH;
    lim->out_low = HTTP_OUT_LOW;
}

/* ---- the server ------------------------------------------------------------------------------ */

struct http_server *
http_server_create(uv_loop_t *loop, const struct router *router, const struct http_limits *lim,
                   void *worker)
{
    struct http_server *s = xcalloc(1, sizeof(*s));

    s->loop = loop;
    s->router = router;
    s->lim = *lim;
    s->worker = worker;
    s->rbuf = xmalloc(HTTP_READ_SIZE);
    uv_prepare_init(loop, &s->prep);
    uv_timer_init(loop, &s->drain_timer);
    s->handles = 2;
    return s;
}

static void
on_connection(uv_stream_t *server, int status)
{
    struct http_listener *l = container_of((uv_tcp_t *)server, struct http_listener, tcp);

    if (status < 0) {
        log_warn("accept on port %d failed: %s", l->port, uv_strerror(status));
        return;
    }
    http_conn__accept(l->srv, server);
}

/* HOST (an IPv4 or IPv6 literal) and PORT as a socket address; 0 or UV_EINVAL. */
static int
sock_addr(const char *host, int port, struct sockaddr_storage *ss, socklen_t *len)
{
    memset(ss, 0, sizeof(*ss));
    if (uv_ip4_addr(host, port, (struct sockaddr_in *)ss) == 0) {
        *len = sizeof(struct sockaddr_in);
        return 0;
    }
    if (uv_ip6_addr(host, port, (struct sockaddr_in6 *)ss) == 0) {
        *len = sizeof(struct sockaddr_in6);
        return 0;
    }
    return UV_EINVAL;
}

/* A bound, listening-ready socket for HOST:PORT with SO_REUSEPORT; a descriptor or -errno. */
static int
bind_socket(const char *host, int port)
{
    struct sockaddr_storage ss;
    socklen_t sslen;
    int one = 1;
    int fd;

    if (sock_addr(host, port, &ss, &sslen) != 0) {
        return UV_EINVAL;
    }
    fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -errno;
    }
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0
        || setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0
        || (ss.ss_family == AF_INET6
            && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0)
        || bind(fd, (struct sockaddr *)&ss, sslen) != 0) {
        int err = -errno;

        close(fd);
        return err;
    }
    return fd;
}

/*
 * Checks that no other process listens on HOST:PORT. SO_REUSEPORT would let a second cqlgate (of
 * the same user) join the first one's port and silently take half its connections; a bind without
 * SO_REUSEPORT fails while such a group exists, so one probe before the workers bind tells.
 */
static int
probe_address(const char *host, int port)
{
    struct sockaddr_storage ss;
    socklen_t sslen;
    int one = 1;
    int fd;
    int rc = 0;

    if (sock_addr(host, port, &ss, &sslen) != 0) {
        return UV_EINVAL;
    }
    fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -errno;
    }
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0
        || (ss.ss_family == AF_INET6
            && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0)
        || bind(fd, (struct sockaddr *)&ss, sslen) != 0) {
        rc = -errno;
    }
    close(fd);
    return rc;
}

int
http_server_listen(struct http_server *s, const char *host, int port)
{
    struct http_listener *l;
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    int fd;
    int rc;

    if (s->nlisteners == HTTP_MAX_LISTENERS || s->stopping) {
        return UV_EINVAL;
    }
    fd = bind_socket(host, port);
    if (fd < 0) {
        return fd;
    }
    l = &s->listeners[s->nlisteners];
    uv_tcp_init(s->loop, &l->tcp);
    s->nlisteners++;
    s->handles++;
    l->srv = s;
    l->port = port;
    rc = uv_tcp_open(&l->tcp, fd);
    if (rc != 0) {
        close(fd);
        return rc;
    }
    if (uv_tcp_getsockname(&l->tcp, (struct sockaddr *)&ss, &len) == 0) {
        l->port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                                : ((struct sockaddr_in6 *)&ss)->sin6_port);
    }
    return uv_listen((uv_stream_t *)&l->tcp, HTTP_BACKLOG, on_connection);
}

int
http_server_port(const struct http_server *s, size_t i)
{
    return i < s->nlisteners ? s->listeners[i].port : -1;
}

/* ---- the flush ------------------------------------------------------------------------------- */

/* Runs once per loop iteration while some connection has answers to write. */
static void
on_prepare(uv_prepare_t *p)
{
    struct http_server *s = container_of(p, struct http_server, prep);
    struct http_conn *c;

    while ((c = s->dirty) != NULL) {
        http_server__unmark_dirty(s, c);
        http_conn__flush(c);
    }
    uv_prepare_stop(&s->prep);
    s->prep_active = false;
}

void
http_server__mark_dirty(struct http_server *s, struct http_conn *c)
{
    if (c->dirty || c->closing) {
        return;
    }
    c->dirty = 1;
    c->dprev = NULL;
    c->dnext = s->dirty;
    if (s->dirty != NULL) {
        s->dirty->dprev = c;
    }
    s->dirty = c;
    if (!s->prep_active && !s->finished) {
        uv_prepare_start(&s->prep, on_prepare);
        s->prep_active = true;
    }
}

void
http_server__unmark_dirty(struct http_server *s, struct http_conn *c)
{
    if (!c->dirty) {
        return;
    }
    if (c->dprev != NULL) {
        c->dprev->dnext = c->dnext;
    } else {
        s->dirty = c->dnext;
    }
    if (c->dnext != NULL) {
        c->dnext->dprev = c->dprev;
    }
    c->dprev = NULL;
    c->dnext = NULL;
    c->dirty = 0;
}

/* ---- stopping -------------------------------------------------------------------------------- */

static void
on_own_close(uv_handle_t *h)
{
    struct http_server *s = h->data;

    if (--s->handles > 0) {
        return;
    }
    free(s->rbuf);
    if (s->stop_cb != NULL) {
        http_server_stop_cb cb = s->stop_cb;
        void *data = s->stop_data;

        free(s);
        cb(data);
        return;
    }
    free(s);
}

/* Once the last connection and listener are gone, closes the server's own handles. */
static void
maybe_finish(struct http_server *s)
{
    if (!s->stopping || s->finished || s->conns != NULL || s->handles > 2) {
        return;
    }
    s->finished = true;
    s->prep.data = s;
    s->drain_timer.data = s;
    uv_close((uv_handle_t *)&s->prep, on_own_close);
    uv_close((uv_handle_t *)&s->drain_timer, on_own_close);
}

void
http_server__conn_closed(struct http_server *s, struct http_conn *c)
{
    if (c->prev != NULL) {
        c->prev->next = c->next;
    } else {
        s->conns = c->next;
    }
    if (c->next != NULL) {
        c->next->prev = c->prev;
    }
    s->nconns--;
    metrics_add(METRICS_HTTP_OPEN, -1);
    maybe_finish(s);
}

static void
on_listener_close(uv_handle_t *h)
{
    struct http_listener *l = container_of((uv_tcp_t *)h, struct http_listener, tcp);

    l->srv->handles--;
    maybe_finish(l->srv);
}

static void
on_drain_timeout(uv_timer_t *t)
{
    struct http_server *s = container_of(t, struct http_server, drain_timer);
    struct http_conn *c = s->conns;

    if (c != NULL) {
        log_warn("drain timeout: closing %zu connections with requests in flight", s->nconns);
    }
    for (; c != NULL; c = c->next) {
        http_conn__close(c);
    }
}

void
http_server_stop(struct http_server *s, uint64_t drain_ms, http_server_stop_cb cb, void *data)
{
    struct http_conn *c;

    ASSERT(!s->stopping);
    s->stopping = true;
    s->stop_cb = cb;
    s->stop_data = data;
    for (size_t i = 0; i < s->nlisteners; i++) {
        uv_close((uv_handle_t *)&s->listeners[i].tcp, on_listener_close);
    }
    /* Draining may close connections, but they leave the list only in their close callbacks. */
    for (c = s->conns; c != NULL; c = c->next) {
        http_conn__drain(c);
    }
    if (s->conns != NULL) {
        uv_timer_start(&s->drain_timer, on_drain_timeout, drain_ms, 0);
    }
    maybe_finish(s);
}

/* ---- workers --------------------------------------------------------------------------------- */

static worker_cb     hook_init;     /* set before the workers start, read-only afterwards */
static worker_cb     hook_stop;
static worker_cb     hook_fini;
static http_ready_cb ready_cb;

void
http_server_set_hooks(worker_cb init, worker_cb stop, worker_cb fini)
{
    hook_init = init;
    hook_stop = stop;
    hook_fini = fini;
}

void
http_server_set_ready_cb(http_ready_cb cb)
{
    ready_cb = cb;
}

bool
http_server_ready(void)
{
    return ready_cb != NULL && ready_cb();
}

/* What the main thread's loop needs to stop the workers. */
struct run_ctx {
    struct worker *workers;         /* the workers */
    size_t         n;               /* how many */
    uv_signal_t    sigterm;         /* SIGTERM watcher */
    uv_signal_t    sigint;          /* SIGINT watcher */
};

static void
on_server_stopped(void *data)
{
    struct worker *w = data;

    w->http = NULL;
    if (hook_stop != NULL) {
        hook_stop(w);
    }
    uv_close((uv_handle_t *)&w->stop_async, NULL);
}

static void
on_stop_async(uv_async_t *a)
{
    struct worker *w = container_of(a, struct worker, stop_async);

    if (w->http != NULL && !w->http->stopping) {
        http_server_stop(w->http, w->conf->drain_timeout_ms, on_server_stopped, w);
    }
}

static void
log_open_handle(uv_handle_t *h, void *arg)
{
    struct worker *w = arg;

    log_error("worker %d: handle %s still open at exit", w->id, uv_handle_type_name(h->type));
}

static void
worker_main(void *arg)
{
    struct worker *w = arg;

    metrics_set_self(metrics_block_create());
    if (hook_init != NULL) {
        hook_init(w);
    }
    uv_run(&w->loop, UV_RUN_DEFAULT);
    if (hook_fini != NULL) {
        hook_fini(w);
    }
    w->loop_close = uv_loop_close(&w->loop);
    if (w->loop_close != 0) {
        uv_walk(&w->loop, log_open_handle, w);
    }
}

static void
on_signal(uv_signal_t *sig, int signum)
{
    struct run_ctx *ctx = sig->data;

    log_info("%s: draining and stopping %zu workers", signum == SIGTERM ? "SIGTERM" : "SIGINT",
             ctx->n);
    for (size_t i = 0; i < ctx->n; i++) {
        uv_async_send(&ctx->workers[i].stop_async);
    }
    /* With the watchers gone, a second signal gets the default action and ends the process. */
    uv_close((uv_handle_t *)&ctx->sigterm, NULL);
    uv_close((uv_handle_t *)&ctx->sigint, NULL);
}

/* Sets up worker W (its loop, stop handle, server and listeners) on the main thread. */
static int
worker_setup(struct worker *w, int id, const struct conf *conf, const struct router *router,
             const struct http_limits *lim)
{
    w->id = id;
    w->conf = conf;
    w->router = router;
    uv_loop_init(&w->loop);
    uv_async_init(&w->loop, &w->stop_async, on_stop_async);
    w->http = http_server_create(&w->loop, router, lim, w);
    for (size_t i = 0; i < conf->nlisteners; i++) {
        const struct conf_listener *l = &conf->listeners[i];
        int rc = http_server_listen(w->http, l->host, l->port);

        if (rc != 0) {
            log_error("cannot listen on %s:%d: %s", l->host, l->port, uv_strerror(rc));
            return rc;
        }
    }
    return 0;
}

/* Tears down a worker whose thread never ran (startup failed), on the calling thread. */
static void
worker_abandon(struct worker *w)
{
    http_server_stop(w->http, 0, NULL, NULL);
    w->http = NULL;
    uv_close((uv_handle_t *)&w->stop_async, NULL);
    uv_run(&w->loop, UV_RUN_DEFAULT);
    w->loop_close = uv_loop_close(&w->loop);
}

/*
 * Gives the metrics the label values of the HTTP families: ROUTER's route names by id, the
 * router's methods, and the status codes the gateway sends.
 */
static void
metrics_setup(const struct router *router)
{
    static const int statuses[] = {
#define XX(code, text) code,
        HTTP_MSG_STATUS_MAP(XX)
#undef XX
    };
    const char *methods[HTTP_METHOD_OTHER + 1];
    const char **routes = xcalloc(router->n, sizeof(*routes));
    struct metrics_labels l;

    for (int m = 0; m <= HTTP_METHOD_OTHER; m++) {
        methods[m] = http_method_name((enum http_method)m);
    }
    for (size_t i = 0; i < router->n; i++) {
        ASSERT(router->routes[i]->id == i);
        routes[i] = router->routes[i]->name;
    }
    l.routes = routes;
    l.nroutes = router->n;
    l.methods = methods;
    l.nmethods = ARRAY_SIZE(methods);
    l.statuses = statuses;
    l.nstatuses = ARRAY_SIZE(statuses);
    metrics_init(&l);
    free(routes);
}

int
http_server_run(const struct conf *conf, const struct router *router)
{
    struct run_ctx ctx;
    struct http_limits lim;
    uv_loop_t main_loop;
    size_t ready = 0;
    int status = 0;

    memset(&ctx, 0, sizeof(ctx));
    ctx.n = (size_t)conf->workers;
    ctx.workers = xcalloc(ctx.n, sizeof(*ctx.workers));
    http_limits_from_conf(&lim, conf);
    uv_loop_init(&main_loop);
    uv_signal_init(&main_loop, &ctx.sigterm);
    uv_signal_init(&main_loop, &ctx.sigint);
    ctx.sigterm.data = &ctx;
    ctx.sigint.data = &ctx;
    uv_signal_start(&ctx.sigterm, on_signal, SIGTERM);
    uv_signal_start(&ctx.sigint, on_signal, SIGINT);

    for (size_t i = 0; i < conf->nlisteners && status == 0; i++) {
        const struct conf_listener *l = &conf->listeners[i];
        int rc = probe_address(l->host, l->port);

        if (rc != 0) {
            log_error("cannot listen on %s:%d: %s", l->host, l->port, uv_strerror(rc));
            status = 1;
        }
    }
    for (ready = 0; ready < ctx.n && status == 0; ready++) {
        if (worker_setup(&ctx.workers[ready], (int)ready, conf, router, &lim) != 0) {
            ready++;
            status = 1;
            break;
        }
    }
    if (status != 0) {
        for (size_t i = 0; i < ready; i++) {
            worker_abandon(&ctx.workers[i]);
        }
        uv_close((uv_handle_t *)&ctx.sigterm, NULL);
        uv_close((uv_handle_t *)&ctx.sigint, NULL);
        uv_run(&main_loop, UV_RUN_DEFAULT);
        uv_loop_close(&main_loop);
        free(ctx.workers);
        return status;
    }

    for (size_t i = 0; i < conf->nlisteners; i++) {
        log_info("listening on %s:%d", conf->listeners[i].host, conf->listeners[i].port);
    }
    log_info("%zu workers running", ctx.n);
    metrics_setup(router);
    for (size_t i = 0; i < ctx.n; i++) {
        if (uv_thread_create(&ctx.workers[i].thread, worker_main, &ctx.workers[i]) != 0) {
            log_error("cannot start worker thread %zu", i);
            abort();
        }
    }
    uv_run(&main_loop, UV_RUN_DEFAULT);
    for (size_t i = 0; i < ctx.n; i++) {
        uv_thread_join(&ctx.workers[i].thread);
        if (ctx.workers[i].loop_close != 0) {
            log_error("worker %zu: uv_loop_close: %s", i, uv_strerror(ctx.workers[i].loop_close));
            status = 3;
        }
    }
    metrics_deinit();
    if (uv_loop_close(&main_loop) != 0) {
        status = 3;
    }
    free(ctx.workers);
    if (status == 0) {
        log_info("stopped");
    }
    return status;
}
