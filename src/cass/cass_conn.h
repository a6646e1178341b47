/*
 * cass_conn.h: one native-protocol connection to one Cassandra node, on one libuv loop.
 *
 * The connection owns the socket, the handshake (OPTIONS, STARTUP, SASL PLAIN, protocol v5 with a
 * fall back to v4, lz4), the stream-id bitmap, the in-flight table with per-request deadlines, and
 * the framing (v4 envelopes, or v5 segments after the handshake). It knows nothing about statements:
 * callers encode a request with proto/cql_req into the writer that cass_conn_begin hands out, and
 * get the response envelope back through the request's callback.
 *
 *     caller: cass_conn_begin -> cql_req_*(w, version, stream, ...) -> cass_conn_commit
 *     loop:   uv_prepare flushes every queued frame in one write per iteration
 *     read:   segments/envelopes decoded in place -> req->cb(req, 0, resp) -> stream id freed
 *
 * A request that times out gets its callback at once with E_TIMEOUT; its stream id stays reserved
 * until the late response arrives and is dropped, so an id is never reused while the server may
 * still answer it.
 */
#ifndef CASS_CONN_H
#define CASS_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "cql_wire.h"
#include "core/util.h"

#define CASS_MAX_STREAMS 32768

struct cass_conn;
struct cass_req;

/* A response envelope, decompressed. BODY is valid only until the callback returns. */
struct cass_resp {
    int            version;         /* protocol version of the connection */
    uint8_t        opcode;          /* CQL_OP_* */
    uint8_t        flags;           /* envelope flags (tracing, warnings, custom payload) */
    int16_t        stream;          /* stream id it answered */
    const uint8_t *body;            /* envelope body */
    size_t         len;             /* body length */
};

/*
 * Called once per committed request: STATUS 0 with the response, or a negative code (E_TIMEOUT,
 * E_CLOSED, E_CANCELED) with RESP NULL. The request's memory is the caller's again when it runs.
 */
typedef void (*cass_req_cb)(struct cass_req *req, int status, const struct cass_resp *resp);

/* Called when the handshake ends (STATUS 0: ready) or fails, and once when the connection closes. */
typedef void (*cass_conn_cb)(struct cass_conn *c, int status);

/* Called for each EVENT envelope (stream -1). */
typedef void (*cass_event_cb)(struct cass_conn *c, const struct cass_resp *resp);

/* A request in flight; embed it in the caller's own struct and recover that with container_of. */
struct cass_req {
    cass_req_cb      cb;            /* completion, set by the caller */
    struct cass_conn *conn;         /* connection it was sent on */
    int16_t          stream;        /* stream id, -1 when not in flight */
    uint64_t         deadline;      /* loop time (ms) after which it times out */
    size_t           frame_off;     /* where its frame starts in the output buffer, until commit */
    struct cass_req *prev;          /* deadline list, ordered by deadline */
    struct cass_req *next;
};

struct cass_conn_opts {
    const char *host;               /* IP literal or name */
    int         port;               /* native transport port */
    const char *user;               /* NULL: no credentials */
    const char *password;
    int         version;            /* 4 or 5; 0 negotiates: 5, then 4 when the server refuses */
    bool        lz4;                /* ask for lz4 when the server offers it */
    uint64_t    connect_timeout_ms; /* connect and handshake */
    size_t      max_frame;          /* largest response body accepted */
};

/* Allocates a connection on LOOP; OPTS strings are copied. */
struct cass_conn *cass_conn_create(uv_loop_t *loop, const struct cass_conn_opts *opts);

/* Connects and runs the handshake; READY_CB reports the outcome. Returns 0 or a libuv error. */
int cass_conn_start(struct cass_conn *c, cass_conn_cb ready_cb, void *data) MUSTCHECK;

/*
 * Closes the connection: every request in flight gets E_CLOSED (E_CANCELED when the caller asked),
 * handles are closed, and CLOSED_CB runs from the last close callback, after which the memory is
 * freed. Safe to call from any callback, once.
 */
void cass_conn_close(struct cass_conn *c, cass_conn_cb closed_cb);

void cass_conn_set_event_cb(struct cass_conn *c, cass_event_cb cb);

/*
 * Takes a stream id for REQ and returns the writer its frame goes into, or NULL when the
 * connection is not ready (E_NOTREADY) or has no free stream id (E_BUSY), with *ERR set.
 * Encode exactly one envelope with *STREAM and the connection's version, then commit.
 */
struct cql_wr *cass_conn_begin(struct cass_conn *c, struct cass_req *req, int16_t *stream, int *err);

/*
 * Queues the frame written since cass_conn_begin; REQ->cb will run once. Returns 0, or the
 * writer's error, in which case the frame is dropped, the stream id freed and the callback not run.
 */
int cass_conn_commit(struct cass_conn *c, struct cass_req *req, uint64_t timeout_ms);

/* Detaches REQ: its callback will not run; the stream id stays reserved until the reply. */
void cass_conn_cancel(struct cass_conn *c, struct cass_req *req);

int cass_conn_version(const struct cass_conn *c);
bool cass_conn_is_ready(const struct cass_conn *c);
bool cass_conn_lz4(const struct cass_conn *c);
const char *cass_conn_error(const struct cass_conn *c);   /* last handshake or I/O error text */
void *cass_conn_data(const struct cass_conn *c);
uint32_t cass_conn_in_flight(const struct cass_conn *c);
const char *cass_conn_name(const struct cass_conn *c);    /* "C-<id> host:port" for log lines */

#endif /* CASS_CONN_H */
