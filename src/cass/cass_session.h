/*
 * cass_session.h: a worker's standing connection to Cassandra, kept up.
 *
 * One node, one loop: it connects to the node, and when the connection fails or is
 * lost it connects again with exponential backoff and jitter (100 ms doubling to 10 s), so a
 * Cassandra that is down at start, or restarts, is picked up without restarting cqlgate. A worker
 * holds one (or --pool-size) per node, in its cass_pool.
 */
#ifndef CASS_SESSION_H
#define CASS_SESSION_H

#include <uv.h>

#include "cass/cass_conn.h"
#include "cass/cass_query.h"

struct cass_session;

/* Called on the session's loop each time it becomes ready (STATUS 0) or loses its connection. */
typedef void (*cass_session_cb)(struct cass_session *s, int status);

struct cass_session {
    uv_loop_t            *loop;         /* the worker's loop */
    struct cass_conn_opts opts;         /* where and how to connect (strings owned by the caller) */
    struct cass_conn     *conn;         /* current connection, connecting or ready; NULL between */
    uv_timer_t            retry;        /* next connection attempt */
    uint64_t              backoff_ms;   /* delay before the next attempt */
    uint64_t              connects;     /* successful handshakes, for metrics */
    uint64_t              failures;     /* attempts failed or connections lost since the last */
    int                   node;         /* metrics node id of opts.host:port, or -1 */
    int                   dying;        /* failed connections not yet freed */
    bool                  ready;        /* conn is ready */
    bool                  closing;      /* cass_session_close was called */
    bool                  retry_closed; /* the retry timer's close callback ran */
    cass_session_cb       state_cb;     /* ready / lost notifications, may be NULL */
    void                 *data;         /* caller's */
    char                  error[256];   /* last connection error, for readiness and logs */
    void                (*closed_cb)(struct cass_session *s);   /* close finished */
};

/* Sets S up on LOOP; OPTS (and the strings it points to) must outlive S. */
void cass_session_init(struct cass_session *s, uv_loop_t *loop, const struct cass_conn_opts *opts,
                       cass_session_cb state_cb, void *data);

/* Starts connecting; failures are retried forever until cass_session_close. */
void cass_session_start(struct cass_session *s);

/* The ready connection, or NULL while there is none (the caller answers 503). */
struct cass_conn *cass_session_conn(struct cass_session *s);

/* Connects at once when S is waiting to reconnect (an UP event), with the backoff reset. */
void cass_session_kick(struct cass_session *s);

/* Closes the connection and the retry timer; CLOSED_CB runs once everything is closed. */
void cass_session_close(struct cass_session *s, void (*closed_cb)(struct cass_session *s));

#endif /* CASS_SESSION_H */
