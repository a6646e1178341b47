/*
 * cass_session.c: keep one connection to Cassandra up for a worker (see cass_session.h).
 *
 *     start -> connecting --ready--> READY --lost--> waiting --backoff--> connecting ...
 *                        \--failed--> waiting --backoff--> connecting ...
 */
#include "cass/cass_session.h"

#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "core/metrics.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 10000

static void connect_now(struct cass_session *s);

static void
maybe_closed(struct cass_session *s)
{
    if (s->closing && s->conn == NULL && s->dying == 0 && s->retry_closed
        && s->closed_cb != NULL) {
        void (*cb)(struct cass_session *) = s->closed_cb;

        s->closed_cb = NULL;
        cb(s);
    }
}

static void
on_retry(uv_timer_t *t)
{
    struct cass_session *s = container_of(t, struct cass_session, retry);

    connect_now(s);
}

/* Waits BACKOFF (with up to a quarter of jitter, so workers do not reconnect in step). */
static void
schedule_retry(struct cass_session *s)
{
    uint64_t delay = s->backoff_ms + (uint64_t)rand() % (s->backoff_ms / 4 + 1);

    s->backoff_ms = s->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : s->backoff_ms * 2;
    uv_timer_start(&s->retry, on_retry, delay, 0);
}

static void
on_conn_closed(struct cass_conn *c, int status)
{
    struct cass_session *s = cass_conn_data(c);

    (void)status;
    s->dying--;
    maybe_closed(s);
}

/* Lets go of the current connection; it frees itself once its handles are closed. */
static void
drop_conn(struct cass_session *s)
{
    struct cass_conn *c = s->conn;

    s->conn = NULL;
    if (s->ready) {
        metrics_node_ready(s->node, -1);
    }
    s->ready = false;
    if (c != NULL) {
        s->dying++;
        cass_conn_close(c, on_conn_closed);
    }
}

static void
on_conn_state(struct cass_conn *c, int status)
{
    struct cass_session *s = cass_conn_data(c);
    bool was_ready = s->ready;

    if (status == 0) {
        s->ready = true;
        metrics_node_ready(s->node, 1);
        if (s->connects > 0 || s->failures > 0) {
            metrics_node_add(s->node, METRICS_NK_RECONNECTS, 1);
        }
        s->connects++;
        s->failures = 0;
        s->backoff_ms = BACKOFF_MIN_MS;
        s->error[0] = '\0';
        if (s->state_cb != NULL) {
            s->state_cb(s, 0);
        }
        return;
    }
    snprintf(s->error, sizeof(s->error), "%s", cass_conn_error(c));
    s->failures++;
    drop_conn(s);
    if (was_ready || s->connects == 0) {
        log_warn("cassandra: %s; reconnecting", s->error);
    }
    if (was_ready && s->state_cb != NULL) {
        s->state_cb(s, status);
    }
    if (!s->closing) {
        schedule_retry(s);
    }
}

static void
connect_now(struct cass_session *s)
{
    int rc;

    if (s->closing || s->conn != NULL) {
        return;
    }
    s->conn = cass_conn_create(s->loop, &s->opts);
    rc = cass_conn_start(s->conn, on_conn_state, s);
    if (rc != 0) {
        snprintf(s->error, sizeof(s->error), "cannot connect to %s: %s", s->opts.host,
                 uv_strerror(rc));
        drop_conn(s);
        schedule_retry(s);
    }
}

void
cass_session_init(struct cass_session *s, uv_loop_t *loop, const struct cass_conn_opts *opts,
                  cass_session_cb state_cb, void *data)
{
    memset(s, 0, sizeof(*s));
    s->loop = loop;
    s->opts = *opts;
    s->state_cb = state_cb;
    s->data = data;
    s->backoff_ms = BACKOFF_MIN_MS;
    s->node = metrics_node_register(opts->host, opts->port);
    snprintf(s->error, sizeof(s->error), "not connected yet");
    uv_timer_init(loop, &s->retry);
}

void
cass_session_start(struct cass_session *s)
{
    connect_now(s);
}

struct cass_conn *
cass_session_conn(struct cass_session *s)
{
    return s->ready ? s->conn : NULL;
}

void
cass_session_kick(struct cass_session *s)
{
    if (s->closing || s->conn != NULL) {
        return;
    }
    uv_timer_stop(&s->retry);
    s->backoff_ms = BACKOFF_MIN_MS;
    connect_now(s);
}

static void
on_retry_closed(uv_handle_t *h)
{
    struct cass_session *s = container_of((uv_timer_t *)h, struct cass_session, retry);

    s->retry_closed = true;
    maybe_closed(s);
}

void
cass_session_close(struct cass_session *s, void (*closed_cb)(struct cass_session *s))
{
    s->closing = true;
    s->closed_cb = closed_cb;
    uv_close((uv_handle_t *)&s->retry, on_retry_closed);
    drop_conn(s);
}
