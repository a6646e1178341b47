/*
 * metrics.h: the process's counters and their Prometheus text exposition (GET /metrics).
 *
 * Every worker thread owns one block of counters and is the only thread that writes it. Writes
 * are relaxed atomic loads and stores (one writer needs no read-modify-write, so no locked
 * instruction either); a scrape, which runs on whichever worker serves GET /metrics, reads every
 * block with relaxed loads and sums them. Nothing on the request path takes a lock or allocates.
 *
 *     main thread:    metrics_init(labels)            route, method and status label values
 *     worker thread:  metrics_set_self(metrics_block_create())   before its loop runs
 *     anywhere:       metrics_add(), metrics_http_request(), ...  no-ops on a thread without a
 *                                                                 block (cqlc, unit tests)
 *     any worker:     metrics_render(w)                           sums the blocks into text
 *     main thread:    metrics_deinit()                            after the workers are joined
 *
 * Blocks are registered in a fixed global table and live until metrics_deinit, so a scrape never
 * sees one freed. Cassandra nodes are named once (metrics_node_register, at connection set-up,
 * under a mutex) and then counted by index.
 *
 * Every family the page can hold is one line of METRICS_MAP; a family without labels is a single
 * counter slot in each block, the labelled ones are rendered by metrics.c. Labelled series appear
 * only once non-zero; gauges without labels always appear.
 */
#ifndef CORE_METRICS_H
#define CORE_METRICS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cql_wire.h"
#include "core/util.h"

/* The Content-Type of the exposition (Prometheus text format 0.0.4). */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* (id, name, type, help): every metric family cqlgate exposes, in page order. */
#define METRICS_MAP(XX)                                                                            \
    XX(HTTP_REQUESTS, "cqlgate_http_requests_total", "counter",                                   \
       "HTTP requests answered, by route, method and status.")                                     \
    XX(HTTP_DURATION, "cqlgate_http_request_duration_seconds", "histogram",                        \
       "Time from a request's first byte to its answer, by route.")                                \
    XX(HTTP_OPEN, "cqlgate_http_connections_open", "gauge", "HTTP client connections open.")       \
    XX(HTTP_ACCEPTED, "cqlgate_http_connections_accepted_total", "counter",                        \
       "HTTP client connections accepted.")                                                        \
    XX(HTTP_REJECTED, "cqlgate_http_connections_rejected_total", "counter",                        \
       "HTTP client connections closed at once because max-connections was reached.")              \
    XX(CQL_REQUESTS, "cqlgate_cql_requests_total", "counter",                                     \
       "CQL requests sent to Cassandra, handshakes included.")                                     \
    XX(CQL_IN_FLIGHT, "cqlgate_cql_requests_in_flight", "gauge",                                   \
       "CQL stream ids in use: requests sent and not answered yet.")                               \
    XX(CQL_ERRORS, "cqlgate_cql_errors_total", "counter",                                          \
       "ERROR responses from Cassandra, by error code.")                                           \
    XX(CQL_TRANSPORT_ERRORS, "cqlgate_cql_transport_errors_total", "counter",                      \
       "CQL requests or connections that failed without an answer from Cassandra, by kind.")       \
    XX(NODE_CONNECTIONS, "cqlgate_node_connections", "gauge",                                      \
       "Standing CQL connections to each node, by state.")                                        \
    XX(NODE_UP, "cqlgate_node_up", "gauge",                                                        \
       "1 while a node has a ready connection and no DOWN event stands against it, else 0.")      \
    XX(NODE_REQUESTS, "cqlgate_node_requests_total", "counter",                                   \
       "CQL requests sent to each node, handshakes included.")                                     \
    XX(NODE_IN_FLIGHT, "cqlgate_node_requests_in_flight", "gauge",                                 \
       "CQL requests sent to each node and not answered yet.")                                     \
    XX(NODE_ERRORS, "cqlgate_node_errors_total", "counter",                                       \
       "ERROR responses and transport failures, by node.")                                         \
    XX(NODE_RECONNECTS, "cqlgate_node_reconnects_total", "counter",                               \
       "Connections to each node made again after one was lost or failed.")

enum metrics_id {
#define XX(id, name, type, help) METRICS_##id,
    METRICS_MAP(XX)
#undef XX
    METRICS_COUNT
};

/* (id, label, meaning): the kinds of cqlgate_cql_transport_errors_total. */
#define METRICS_TRANSPORT_MAP(XX)                                                                  \
    XX(TIMEOUT,  "timeout",  "a request's deadline passed before its answer")                      \
    XX(CLOSED,   "closed",   "a ready connection was lost")                                        \
    XX(CONNECT,  "connect",  "a connection attempt or its handshake failed")                       \
    XX(PROTOCOL, "protocol", "the server broke the protocol; the connection was closed")           \
    XX(BUSY,     "busy",     "a connection had no stream id free")

enum metrics_transport {
#define XX(id, label, meaning) METRICS_TRANSPORT_##id,
    METRICS_TRANSPORT_MAP(XX)
#undef XX
    METRICS_TRANSPORT_COUNT
};

/* The per-node counters of a block, by kind (the node gauge of ready connections is apart). */
enum metrics_node_kind {
    METRICS_NK_SENT = 0,          /* requests sent */
    METRICS_NK_IN_FLIGHT,           /* requests not answered yet (a gauge) */
    METRICS_NK_ERRORS,              /* ERROR responses and transport failures */
    METRICS_NK_RECONNECTS,          /* connections made again */
    METRICS_NK_COUNT
};

/* Upper bounds of the latency histogram's buckets: nanoseconds and the `le` label. */
#define METRICS_BUCKET_MAP(XX)                                                                     \
    XX(500000ULL,      "0.0005")                                                                   \
    XX(1000000ULL,     "0.001")                                                                    \
    XX(2500000ULL,     "0.0025")                                                                   \
    XX(5000000ULL,     "0.005")                                                                    \
    XX(10000000ULL,    "0.01")                                                                     \
    XX(25000000ULL,    "0.025")                                                                    \
    XX(50000000ULL,    "0.05")                                                                     \
    XX(100000000ULL,   "0.1")                                                                      \
    XX(250000000ULL,   "0.25")                                                                     \
    XX(500000000ULL,   "0.5")                                                                      \
    XX(1000000000ULL,  "1")                                                                        \
    XX(2500000000ULL,  "2.5")                                                                      \
    XX(5000000000ULL,  "5")                                                                        \
    XX(10000000000ULL, "10")

enum {
#define XX(ns, le) METRICS_BUCKET_##ns,
    METRICS_BUCKET_MAP(XX)
#undef XX
    METRICS_NBUCKETS                /* finite buckets; one more slot counts what is above them */
};

/* Most worker blocks, and most Cassandra nodes the node gauge tells apart. */
#define METRICS_MAX_BLOCKS  1024
#define METRICS_MAX_NODES   256
#define METRICS_NODE_NAME   80

/* The label values of the HTTP families, given once at startup (see metrics_init). */
struct metrics_labels {
    const char *const *routes;      /* route names, by route id (router order) */
    size_t             nroutes;     /* entries in routes; id -1 counts as route "unmatched" */
    const char *const *methods;     /* method names, by method index */
    size_t             nmethods;    /* entries in methods */
    const int         *statuses;    /* the status codes counted one by one; others are "other" */
    size_t             nstatuses;   /* entries in statuses */
};

/* Latency histogram of one route in one block: non-cumulative bucket counts and their sum. */
struct metrics_hist {
    _Atomic uint64_t bucket[METRICS_NBUCKETS + 1]; /* last slot: above the largest bound */
    _Atomic uint64_t sum_ns;        /* latencies added up, nanoseconds */
};

/*
 * One thread's counters. Written only by that thread (through the calls below); read by a scrape
 * from any thread. The arrays after the fixed part are sized by metrics_init's labels.
 */
struct metrics {
    _Atomic uint64_t     scalar[METRICS_COUNT]; /* families without labels, by metrics_id */
    _Atomic uint64_t     transport[METRICS_TRANSPORT_COUNT]; /* by metrics_transport */
    _Atomic uint64_t    *cql_errors;   /* by index in CQL_ERRCODE_MAP, then one for unknown codes */
    _Atomic uint64_t    *requests;     /* [route][method][status index] */
    struct metrics_hist *hist;         /* [route] */
    _Atomic uint64_t     node_ready[METRICS_MAX_NODES]; /* ready connections, by node id */
    _Atomic uint64_t     node[METRICS_NK_COUNT][METRICS_MAX_NODES]; /* by kind, then node id */
};

/* The calling thread's block, or NULL; private, use metrics_self(). */
extern _Thread_local struct metrics *metrics__self;

/* ---- setup ----------------------------------------------------------------------------------- */

/*
 * Sets the label values of the HTTP families (the arrays are copied; the strings must outlive
 * metrics_deinit) and notes the process start time. Call once, on the main thread, before any
 * block is created.
 */
void metrics_init(const struct metrics_labels *labels);

/* Frees every block and forgets the labels and nodes. Call once no thread records any more. */
void metrics_deinit(void);

/*
 * A new zeroed block, registered so that scrapes sum it; NULL when METRICS_MAX_BLOCKS are taken
 * or metrics_init was not called. The block lives until metrics_deinit.
 */
struct metrics *metrics_block_create(void);

/* Makes M (or NULL) the calling thread's block: what the recording calls below write to. */
void metrics_set_self(struct metrics *m);

static inline struct metrics *
metrics_self(void)
{
    return metrics__self;
}

/*
 * The id of the node HOST:PORT ("[HOST]:PORT" for an IPv6 literal), registering its name on
 * first use; -1 when METRICS_MAX_NODES names are taken. Takes a mutex: call it when a connection
 * is set up, never per request.
 */
int metrics_node_register(const char *host, int port);

/* ---- recording (the calling thread's block; no-ops without one) ------------------------------ */

/* C += N by its only writer: a relaxed load and store, which a concurrent scrape may read. */
static inline void
metrics__bump(_Atomic uint64_t *c, uint64_t n)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
                          memory_order_relaxed);
}

/* Adds N (negative for a gauge going down) to the family ID, which has no labels. */
static inline void
metrics_add(enum metrics_id id, int64_t n)
{
    struct metrics *m = metrics__self;

    if (m != NULL) {
        metrics__bump(&m->scalar[id], (uint64_t)n);
    }
}

/* Counts one transport failure of KIND. */
static inline void
metrics_transport_error(enum metrics_transport kind)
{
    struct metrics *m = metrics__self;

    if (m != NULL) {
        metrics__bump(&m->transport[kind], 1);
    }
}

/* Adds N to the ready connections of NODE (an id from metrics_node_register; -1 is ignored). */
static inline void
metrics_node_ready(int node, int64_t n)
{
    struct metrics *m = metrics__self;

    if (m != NULL && node >= 0 && node < METRICS_MAX_NODES) {
        metrics__bump(&m->node_ready[node], (uint64_t)n);
    }
}

/* Adds N (negative for the in-flight gauge going down) to counter KIND of NODE (-1 is ignored). */
static inline void
metrics_node_add(int node, enum metrics_node_kind kind, int64_t n)
{
    struct metrics *m = metrics__self;

    if (m != NULL && node >= 0 && node < METRICS_MAX_NODES) {
        metrics__bump(&m->node[kind][node], (uint64_t)n);
    }
}

/* Records that an event said NODE is down (DOWN true) or up; process-wide, any thread. */
void metrics_node_set_down(int node, bool down);

void metrics__cql_error(struct metrics *m, int32_t code);
void metrics__http_request(struct metrics *m, int route, unsigned method, int status,
                           uint64_t start_ns);

/* Counts one ERROR response from Cassandra with CODE (CQL_ERRCODE_*, or any other value). */
static inline void
metrics_cql_error(int32_t code)
{
    struct metrics *m = metrics__self;

    if (m != NULL) {
        metrics__cql_error(m, code);
    }
}

/*
 * Counts one answered HTTP request: ROUTE (a route id, or -1 when no route matched), METHOD (an
 * index into the labels' methods), STATUS, and its latency from START_NS (uv_hrtime) to now.
 */
static inline void
metrics_http_request(int route, unsigned method, int status, uint64_t start_ns)
{
    struct metrics *m = metrics__self;

    if (m != NULL) {
        metrics__http_request(m, route, method, status, start_ns);
    }
}

/* The histogram bucket of NS nanoseconds: the first whose bound is >= NS, else METRICS_NBUCKETS. */
size_t metrics_bucket_of(uint64_t ns);

/* ---- exposition ------------------------------------------------------------------------------ */

/*
 * Appends the whole page to W: every family of METRICS_MAP summed over all blocks, then the
 * standard process_* families. W's sticky error reports a failure to grow.
 */
void metrics_render(struct cql_wr *w);

/* Appends S to W escaped as a label value of the text format: \\, \" and \n. */
void metrics_escape_label(struct cql_wr *w, const char *s);

#endif /* CORE_METRICS_H */
