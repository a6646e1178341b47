/*
 * http_server.h: the HTTP front of one worker, and the worker threads themselves.
 *
 *     main thread                     worker thread (one per --workers)
 *     -----------                     ---------------------------------------------------------
 *     http_server_run(conf, router)   uv loop: listeners (SO_REUSEPORT, one socket per listener
 *       signals SIGTERM/SIGINT  --->    per worker) -> http_conn per client -> router -> handler
 *       uv_async "stop" to each         uv_prepare: one flush per iteration of every connection
 *       joins the threads               that has answers to write
 *
 * Every worker binds its own socket on every configured listener, so the kernel spreads the
 * connections; nothing on the request path is shared between threads or takes a lock.
 *
 * Shutdown (SIGTERM or SIGINT): every worker closes its listeners, closes idle keep-alive
 * connections, lets requests in flight finish (each connection closes after its last answer)
 * for at most drain-timeout-ms, then closes what is left. The worker's stop hook runs next, so
 * the API layer closes its own handles (CQL connections); the loop then ends, the fini hook runs
 * and uv_loop_close must return 0. http_server_run returns 0 when every worker ended cleanly.
 *
 * The API layer plugs in through three things, all set on the main thread before
 * http_server_run: routes on the router, worker hooks (http_server_set_hooks) that give each
 * worker its per-thread state in worker->api, and the readiness callback
 * (http_server_set_ready_cb) behind /checker/readiness.
 */
#ifndef HTTP_SERVER_H
#define HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "core/conf.h"
#include "core/util.h"
#include "http/router.h"

struct http_conn;

/* Limits of one server; see core/conf.h for the configured values. */
struct http_limits {
    size_t   max_body;              /* request body bytes (413 beyond) */
    size_t   max_header_bytes;      /* request line and header bytes (431; 414 for the URL) */
    size_t   max_headers;           /* header fields (431 beyond) */
    size_t   max_connections;       /* open connections; new ones beyond are closed at once */
    uint64_t header_timeout_ms;     /* from a request's first byte to its last header byte (408) */
    uint64_t idle_timeout_ms;       /* keep-alive idle time; also the body and send inactivity */
    size_t   pipeline_high;         /* stop reading with this many requests queued ... */
    size_t   pipeline_low;          /* ... and resume at this many */
    size_t   out_high;              /* stop reading with this many answer bytes unwritten ... */
    size_t   out_low;               /* ... and resume at this many */
};

/* Defaults of the limits that have no configuration key. */
#define HTTP_PIPELINE_HIGH  64
#define HTTP_PIPELINE_LOW   16
#define HTTP_OUT_HIGH       ((size_t)4 << 20)
#define HTTP_OUT_LOW        ((size_t)1 << 20)

/* Most listeners one server binds. */
#define HTTP_MAX_LISTENERS  CONF_MAX_LISTENERS

/* Bytes read from a socket at a time (one buffer per worker). */
#define HTTP_READ_SIZE      (64 * 1024)

struct http_server;

/* Called once a stopped server has closed everything and freed itself. */
typedef void (*http_server_stop_cb)(void *data);

struct http_listener {
    uv_tcp_t            tcp;        /* the listening socket */
    struct http_server *srv;        /* owner */
    int                 port;       /* bound port (useful when 0 was asked for) */
};

struct http_server {
    uv_loop_t            *loop;     /* the worker's loop */
    const struct router  *router;   /* routes, read-only */
    struct http_limits    lim;      /* limits */
    void                 *worker;   /* given to every request as req->worker */
    struct http_listener  listeners[HTTP_MAX_LISTENERS]; /* bound sockets */
    size_t                nlisteners; /* entries in listeners */
    uv_prepare_t          prep;     /* flushes dirty connections once per loop iteration */
    uv_timer_t            drain_timer; /* bounds the drain on stop */
    struct http_conn     *conns;    /* every open connection (doubly linked) */
    size_t                nconns;   /* connections counted against max_connections */
    struct http_conn     *dirty;    /* connections with answers to write (doubly linked) */
    char                 *rbuf;     /* the read buffer every connection of the loop shares */
    uint64_t              next_id;  /* connection ids for log lines */
    uint64_t              accepted; /* connections accepted */
    uint64_t              rejected; /* connections closed at once over max_connections */
    int                   handles;  /* own handles not yet closed */
    bool                  prep_active; /* prep is started */
    bool                  stopping; /* http_server_stop was called */
    bool                  finished; /* connections and listeners are all closed */
    http_server_stop_cb   stop_cb;  /* called when the stop completes */
    void                 *stop_data; /* passed to stop_cb */
};

/* Fills LIM from the configuration (watermarks at their defaults). */
void http_limits_from_conf(struct http_limits *lim, const struct conf *c);

/* Creates a server on LOOP serving ROUTER under LIM; requests carry WORKER. Starts nothing. */
struct http_server *http_server_create(uv_loop_t *loop, const struct router *router,
                                       const struct http_limits *lim, void *worker);

/*
 * Binds a listening socket on HOST (an IPv4 or IPv6 literal) and PORT (0: any free port) with
 * SO_REUSEADDR and SO_REUSEPORT, and starts accepting. Returns 0 or a negative errno.
 */
int http_server_listen(struct http_server *s, const char *host, int port) MUSTCHECK;

/* The port listener I is bound to. */
int http_server_port(const struct http_server *s, size_t i);

/*
 * Stops S: listeners close, idle connections close, requests in flight are answered and
 * written (each connection closes after its last answer) for up to DRAIN_MS, then every
 * connection still open is closed (requests still with their handler are detached). CB(DATA)
 * runs once everything of S is closed and S is freed. Call once, on the loop's thread.
 */
void http_server_stop(struct http_server *s, uint64_t drain_ms, http_server_stop_cb cb,
                      void *data);

/* Private to src/http: queue C to be flushed before the loop next polls. */
void http_server__mark_dirty(struct http_server *s, struct http_conn *c);
void http_server__unmark_dirty(struct http_server *s, struct http_conn *c);
/* Private to src/http: C is gone (after its close callbacks); may finish a stop. */
void http_server__conn_closed(struct http_server *s, struct http_conn *c);

/* ---- workers -------------------------------------------------------------------------------- */

struct worker;

/* A worker hook; runs on the worker's own thread. */
typedef void (*worker_cb)(struct worker *w);

/* The readiness source behind /checker/readiness; called from any worker thread. */
typedef bool (*http_ready_cb)(void);

struct worker {
    int                 id;         /* 0 .. workers-1; worker 0 may own process-wide work */
    uv_loop_t           loop;       /* this thread's loop */
    uv_thread_t         thread;     /* the thread running the loop */
    uv_async_t          stop_async; /* the main thread's "stop" */
    struct http_server *http;       /* the HTTP front of this loop; NULL once stopped */
    const struct conf  *conf;       /* the process configuration, read-only */
    const struct router *router;    /* the routes, read-only */
    void               *api;        /* the API layer's per-worker state, set by its init hook */
    int                 loop_close; /* what uv_loop_close returned at the end */
};

/*
 * Sets the worker hooks (any may be NULL). On each worker's thread, which records into its own
 * metrics block (core/metrics.h) from before INIT on:
 *   INIT  runs before the loop starts (the HTTP listeners are already bound, so a request may
 *         arrive as soon as the loop runs); it may start handles on w->loop and set w->api;
 *   STOP  runs once the HTTP side has drained on shutdown; it must close every handle it owns so
 *         the loop can end (requests it still holds get their answer then, which frees them);
 *   FINI  runs after the loop ended, before uv_loop_close; it frees w->api.
 * Call on the main thread before http_server_run.
 */
void http_server_set_hooks(worker_cb init, worker_cb stop, worker_cb fini);

/* Sets the readiness callback; none set means not ready. Call before http_server_run. */
void http_server_set_ready_cb(http_ready_cb cb);

/* Asks the readiness callback; false when none is set. */
bool http_server_ready(void);

/*
 * Runs conf->workers workers, each with its own loop and HTTP server on every conf listener and
 * ROUTER's routes, until SIGTERM or SIGINT; then drains and stops them as described at the top.
 * Returns the process exit status: 0 after a clean stop, 1 when a listener could not be bound,
 * 3 when a loop did not close cleanly.
 */
int http_server_run(const struct conf *conf, const struct router *router);

#endif /* HTTP_SERVER_H */
