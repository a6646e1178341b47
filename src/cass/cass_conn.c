/*
 * cass_conn.c: one native-protocol connection (see cass_conn.h for the contract).
 *
 * Life of a connection:
 *
 *     CONNECTING --tcp--> OPTIONS --SUPPORTED--> STARTUP --READY---------------------> READY
 *                                                       \--AUTHENTICATE--> AUTH --AUTH_SUCCESS-/
 *     any state --error/EOF--> CLOSING --last close callback--> freed
 *
 * A protocol error naming the version in answer to OPTIONS or STARTUP closes the socket and starts
 * over one version lower (5, then 4), as the drivers do (native_protocol_v5.spec, section 8).
 *
 * Output: frames are appended to `out` as callers commit them; a uv_prepare handle, which runs once
 * per loop iteration just before the loop polls, moves them to `wbuf` (wrapping them in v5 segments
 * once the handshake switched framing on) and writes them with one uv_try_write/uv_write. While a
 * write is pending, new frames wait in `out`.
 *
 * Input: bytes gather in `rx`; whole segments or envelopes are decoded in place and dispatched by
 * stream id. lz4 bodies (v4) and payloads (v5) are inflated into `zbuf`.
 */
#include "cass/cass_conn.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cql_frame.h"
#include "cql_req.h"
#include "cql_resp.h"
#include "cql_seg.h"
#include "core/log.h"
#include "core/metrics.h"

#define RX_CHUNK        (64 * 1024)
#define STREAM_WORDS    (CASS_MAX_STREAMS / 64)

enum conn_state {
    CONN_CONNECTING = 1,
    CONN_OPTIONS,
    CONN_STARTUP,
    CONN_AUTH,
    CONN_READY,
    CONN_CLOSING,
};

struct cass_conn {
    uv_loop_t          *loop;           /* the loop that owns every handle here */
    uv_tcp_t            tcp;            /* the socket */
    uv_connect_t        connect_req;    /* pending connect */
    uv_getaddrinfo_t    gai;            /* pending name lookup */
    uv_timer_t          timer;          /* earliest deadline (or the handshake deadline) */
    uv_prepare_t        prep;           /* flushes `out` once per loop iteration */
    uv_write_t          write_req;      /* the pending write of `wbuf` */
    struct cass_conn_opts opts;         /* copy of the caller's options */
    char               *host;           /* owned copy of opts.host */
    char               *user;           /* owned copy of opts.user */
    char               *password;       /* owned copy of opts.password */
    char                name[96];       /* "C-<id> host:port" */
    int                 metric;         /* metrics node id of host:port, or -1 */
    char                errmsg[512];    /* last error text */
    enum conn_state     state;          /* see the diagram above */
    int                 version;        /* protocol version in use */
    int                 pending_handles;/* handles and requests libuv still holds */
    struct sockaddr_storage addr;       /* resolved address */
    unsigned            tcp_open:1;     /* tcp handle initialised */
    unsigned            framing:1;      /* v5 segments in both directions */
    unsigned            lz4:1;          /* compression negotiated */
    unsigned            compress_out:1; /* compress outgoing frames (after STARTUP's answer) */
    unsigned            writing:1;      /* wbuf is pinned by a uv_write */
    unsigned            prep_active:1;  /* prep is started */
    unsigned            retrying:1;     /* closing the socket to reconnect with a lower version */
    unsigned            resolving:1;    /* gai is pending */
    cass_conn_cb        state_cb;       /* handshake outcome, then loss of a ready connection */
    cass_conn_cb        closed_cb;      /* close finished */
    cass_event_cb       event_cb;       /* EVENT envelopes */
    void               *data;           /* caller's pointer */
    struct cql_wr       out;            /* committed frames not yet written */
    struct cql_wr       wbuf;           /* bytes being written */
    struct cql_wr       scratch;        /* v4 lz4: a frame before compression */
    uint8_t            *rx;             /* received bytes */
    size_t              rx_len;         /* bytes in rx */
    size_t              rx_cap;         /* capacity of rx */
    uint8_t            *zbuf;           /* inflated bodies and payloads */
    size_t              zcap;           /* capacity of zbuf */
    struct cql_seg_asm  seg_asm;        /* an envelope split across segments */
    uint64_t            streams[STREAM_WORDS]; /* bit set: stream id in use */
    uint32_t            stream_hint;    /* word to start the next search at */
    uint32_t            in_flight;      /* stream ids in use */
    struct cass_req   **slots;          /* request per stream id; &orphan when detached */
    struct cass_req     orphan;         /* marks a slot whose request timed out or was canceled */
    struct cass_req     hs_req;         /* the handshake's own requests */
    struct cass_req    *dl_head;        /* deadline list, earliest first */
    struct cass_req    *dl_tail;
};

static uint64_t conn_ids;

static void conn_fail(struct cass_conn *c, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void start_connect(struct cass_conn *c);
static void send_options(struct cass_conn *c);

/* ---- buffers --------------------------------------------------------------------------------- */

static uint8_t *
on_grow(void *ctx, uint8_t *old, size_t len, size_t need, size_t *cap)
{
    size_t n = need < 4096 ? 4096 : need + need / 2;

    (void)ctx;
    (void)len;
    *cap = n;
    return xrealloc(old, n);
}

static void
zbuf_reserve(struct cass_conn *c, size_t n)
{
    if (c->zcap < n) {
        c->zbuf = xrealloc(c->zbuf, n);
        c->zcap = n;
    }
}

/* ---- stream ids ------------------------------------------------------------------------------ */

static int
stream_take(struct cass_conn *c)
{
    for (uint32_t i = 0; i < STREAM_WORDS; i++) {
        uint32_t w = (c->stream_hint + i) % STREAM_WORDS;
        uint64_t free_bits = ~c->streams[w];

        if (free_bits != 0) {
            int bit = __builtin_ctzll(free_bits);
            c->streams[w] |= 1ULL << bit;
            c->stream_hint = w;
            c->in_flight++;
            metrics_add(METRICS_CQL_REQUESTS, 1);
            metrics_add(METRICS_CQL_IN_FLIGHT, 1);
            metrics_node_add(c->metric, METRICS_NK_SENT, 1);
            metrics_node_add(c->metric, METRICS_NK_IN_FLIGHT, 1);
            return (int)(w * 64 + (uint32_t)bit);
        }
    }
    return -1;
}

static void
stream_release(struct cass_conn *c, int stream)
{
    ASSERT(stream >= 0 && stream < CASS_MAX_STREAMS);
    ASSERT((c->streams[stream / 64] >> (stream % 64) & 1) != 0);
    c->streams[stream / 64] &= ~(1ULL << (stream % 64));
    c->slots[stream] = NULL;
    c->in_flight--;
    metrics_add(METRICS_CQL_IN_FLIGHT, -1);
    metrics_node_add(c->metric, METRICS_NK_IN_FLIGHT, -1);
}

/* ---- deadlines ------------------------------------------------------------------------------- */

static void on_timer(uv_timer_t *t);

static void
timer_arm(struct cass_conn *c)
{
    uint64_t now = uv_now(c->loop);

    if (c->state == CONN_CLOSING) {
        return;
    }
    if (c->dl_head == NULL) {
        uv_timer_stop(&c->timer);
        return;
    }
    uv_timer_start(&c->timer, on_timer,
                   c->dl_head->deadline > now ? c->dl_head->deadline - now : 0, 0);
}

static void
dl_unlink(struct cass_conn *c, struct cass_req *r)
{
    if (r->prev != NULL) {
        r->prev->next = r->next;
    } else {
        c->dl_head = r->next;
    }
    if (r->next != NULL) {
        r->next->prev = r->prev;
    } else {
        c->dl_tail = r->prev;
    }
    r->prev = r->next = NULL;
}

/* Inserts from the tail: requests mostly share one timeout, so this is O(1) in practice. */
static void
dl_insert(struct cass_conn *c, struct cass_req *r)
{
    struct cass_req *at = c->dl_tail;

    while (at != NULL && at->deadline > r->deadline) {
        at = at->prev;
    }
    r->prev = at;
    r->next = at != NULL ? at->next : c->dl_head;
    if (r->next != NULL) {
        r->next->prev = r;
    } else {
        c->dl_tail = r;
    }
    if (at != NULL) {
        at->next = r;
    } else {
        c->dl_head = r;
    }
}

/* Ends REQ with STATUS: unlinks it, keeps its stream id reserved (orphaned), runs its callback. */
static void
req_expire(struct cass_conn *c, struct cass_req *r, int status)
{
    dl_unlink(c, r);
    c->slots[r->stream] = &c->orphan;
    r->stream = -1;
    r->cb(r, status, NULL);
}

static void
on_timer(uv_timer_t *t)
{
    struct cass_conn *c = container_of(t, struct cass_conn, timer);
    uint64_t now = uv_now(c->loop);

    if (c->state != CONN_READY) {
        conn_fail(c, E_TIMEOUT, "%s: connect and handshake timed out after %llu ms", c->name,
                  (unsigned long long)c->opts.connect_timeout_ms);
        return;
    }
    while (c->dl_head != NULL && c->dl_head->deadline <= now) {
        metrics_transport_error(METRICS_TRANSPORT_TIMEOUT);
        metrics_node_add(c->metric, METRICS_NK_ERRORS, 1);
        req_expire(c, c->dl_head, E_TIMEOUT);
    }
    timer_arm(c);
}

/* ---- closing --------------------------------------------------------------------------------- */

static void
conn_free(struct cass_conn *c)
{
    free(c->out.p);
    free(c->wbuf.p);
    free(c->scratch.p);
    free(c->seg_asm.buf.p);
    free(c->rx);
    free(c->zbuf);
    free(c->slots);
    free(c->host);
    free(c->user);
    free(c->password);
    free(c);
}

/* Frees C once it is closing and no handle or request of it is left with libuv. */
static void
maybe_free(struct cass_conn *c)
{
    if (c->state != CONN_CLOSING || c->pending_handles > 0) {
        return;
    }
    if (c->closed_cb != NULL) {
        c->closed_cb(c, 0);
    }
    conn_free(c);
}

static void
on_handle_closed(uv_handle_t *h)
{
    struct cass_conn *c = h->data;

    c->pending_handles--;
    if (h == (uv_handle_t *)&c->tcp) {
        c->tcp_open = 0;
        if (c->retrying) {
            c->retrying = 0;
            if (c->state != CONN_CLOSING) {
                start_connect(c);
                return;
            }
        }
    }
    maybe_free(c);
}

static void
close_handle(struct cass_conn *c, uv_handle_t *h)
{
    if (!uv_is_closing(h)) {
        h->data = c;
        c->pending_handles++;
        uv_close(h, on_handle_closed);
    }
}

/*
 * Fails every request in flight with STATUS. Their stream ids go with the socket, so the bitmap
 * is cleared as well (orphans included).
 */
static void
fail_in_flight(struct cass_conn *c, int status)
{
    while (c->dl_head != NULL) {
        struct cass_req *r = c->dl_head;

        dl_unlink(c, r);
        r->stream = -1;
        r->cb(r, status, NULL);
    }
    memset(c->streams, 0, sizeof(c->streams));
    memset(c->slots, 0, CASS_MAX_STREAMS * sizeof(*c->slots));
    metrics_add(METRICS_CQL_IN_FLIGHT, -(int64_t)c->in_flight);
    metrics_node_add(c->metric, METRICS_NK_IN_FLIGHT, -(int64_t)c->in_flight);
    c->in_flight = 0;
}

void
cass_conn_close(struct cass_conn *c, cass_conn_cb closed_cb)
{
    if (closed_cb != NULL) {
        c->closed_cb = closed_cb;
    }
    if (c->state == CONN_CLOSING) {
        return;
    }
    c->state = CONN_CLOSING;
    c->state_cb = NULL;
    fail_in_flight(c, E_CLOSED);
    if (c->resolving) {
        uv_cancel((uv_req_t *)&c->gai);     /* on_resolved still runs, with UV_ECANCELED */
    }
    close_handle(c, (uv_handle_t *)&c->timer);
    close_handle(c, (uv_handle_t *)&c->prep);
    if (c->tcp_open) {
        close_handle(c, (uv_handle_t *)&c->tcp);
    }
}

/*
 * Counts the failure (STATUS) that is closing C: the server broke the protocol, a ready connection
 * was lost, or a connection attempt failed. A handshake the server refused (bad credentials, no
 * common version, a server error) is not a transport failure: its ERROR is counted by code.
 */
static void
count_failure(const struct cass_conn *c, int status)
{
    if (status == E_PROTOCOL) {
        metrics_transport_error(METRICS_TRANSPORT_PROTOCOL);
    } else if (c->state == CONN_READY) {
        metrics_transport_error(METRICS_TRANSPORT_CLOSED);
    } else if (status != E_AUTH && status != E_VERSION && status != E_SERVER) {
        metrics_transport_error(METRICS_TRANSPORT_CONNECT);
    } else {
        return;
    }
    metrics_node_add(c->metric, METRICS_NK_ERRORS, 1);
}

/*
 * Closes the connection after a failure. Requests in flight get E_CLOSED; then the state callback
 * hears STATUS once: as the handshake's outcome, or as the loss of a ready connection.
 */
static void
conn_fail(struct cass_conn *c, int status, const char *fmt, ...)
{
    va_list ap;
    cass_conn_cb cb = c->state_cb;

    if (c->state == CONN_CLOSING) {
        return;
    }
    count_failure(c, status);
    va_start(ap, fmt);
    vsnprintf(c->errmsg, sizeof(c->errmsg), fmt, ap);
    va_end(ap);
    if (c->state == CONN_READY) {
        log_warn("%s", c->errmsg);
    }
    cass_conn_close(c, NULL);
    if (cb != NULL) {
        cb(c, status);
    }
}

/* ---- output ---------------------------------------------------------------------------------- */

static void flush(struct cass_conn *c);

static void
on_write(uv_write_t *w, int status)
{
    struct cass_conn *c = container_of(w, struct cass_conn, write_req);

    c->writing = 0;
    c->wbuf.len = 0;
    if (status < 0) {
        conn_fail(c, status, "%s: write failed: %s", c->name, uv_strerror(status));
        return;
    }
    if (c->out.len > 0 && c->state != CONN_CLOSING) {
        flush(c);
    }
}

static void
flush(struct cass_conn *c)
{
    uv_buf_t buf;
    int n;

    if (c->writing || c->out.len == 0 || c->state == CONN_CLOSING) {
        return;
    }
    if (c->framing) {
        const char *desc = NULL;
        int rc = cql_seg_encode_frames(&c->wbuf, c->out.p, c->out.len, c->lz4, &desc);

        if (rc != 0) {
            conn_fail(c, E_PROTOCOL, "%s: cannot frame output: %s", c->name,
                      desc != NULL ? desc : cql_strerror(rc));
            return;
        }
        c->out.len = 0;
    } else {
        struct cql_wr t = c->wbuf;

        c->wbuf = c->out;
        c->out = t;
        c->out.len = 0;
    }
    buf = uv_buf_init((char *)c->wbuf.p, (unsigned)c->wbuf.len);
    n = uv_try_write((uv_stream_t *)&c->tcp, &buf, 1);
    if (n == (int)c->wbuf.len) {
        c->wbuf.len = 0;
        return;
    }
    if (n < 0 && n != UV_EAGAIN) {
        conn_fail(c, n, "%s: write failed: %s", c->name, uv_strerror(n));
        return;
    }
    if (n > 0) {
        buf.base += n;
        buf.len -= (size_t)n;
    }
    c->writing = 1;
    n = uv_write(&c->write_req, (uv_stream_t *)&c->tcp, &buf, 1, on_write);
    if (n < 0) {
        c->writing = 0;
        conn_fail(c, n, "%s: write failed: %s", c->name, uv_strerror(n));
    }
}

static void
on_prepare(uv_prepare_t *p)
{
    struct cass_conn *c = container_of(p, struct cass_conn, prep);

    flush(c);
    if (c->out.len == 0) {
        uv_prepare_stop(&c->prep);
        c->prep_active = 0;
    }
}

static void
mark_dirty(struct cass_conn *c)
{
    if (!c->prep_active) {
        uv_prepare_start(&c->prep, on_prepare);
        c->prep_active = 1;
    }
}

/* ---- request submission ---------------------------------------------------------------------- */

static struct cql_wr *
begin_frame(struct cass_conn *c, struct cass_req *req, int16_t *stream, int *err)
{
    int id = stream_take(c);

    if (id < 0) {
        metrics_transport_error(METRICS_TRANSPORT_BUSY);
        *err = E_BUSY;
        return NULL;
    }
    req->conn = c;
    req->stream = (int16_t)id;
    req->prev = req->next = NULL;
    c->slots[id] = req;
    *stream = (int16_t)id;
    if (c->compress_out && !c->framing) {
        c->scratch.len = 0;
        c->scratch.err = 0;
        req->frame_off = 0;
        return &c->scratch;
    }
    req->frame_off = c->out.len;
    return &c->out;
}

struct cql_wr *
cass_conn_begin(struct cass_conn *c, struct cass_req *req, int16_t *stream, int *err)
{
    if (c->state != CONN_READY) {
        *err = E_NOTREADY;
        return NULL;
    }
    return begin_frame(c, req, stream, err);
}

int
cass_conn_commit(struct cass_conn *c, struct cass_req *req, uint64_t timeout_ms)
{
    struct cql_wr *w = c->compress_out && !c->framing ? &c->scratch : &c->out;
    size_t out_len = c->out.len;
    int rc = w->err;

    if (rc == 0 && w == &c->scratch) {
        rc = cql_frame_compress_lz4(&c->out, c->scratch.p, c->scratch.len);
    }
    if (rc != 0) {
        c->out.len = w == &c->out ? req->frame_off : out_len;
        c->out.err = 0;
        stream_release(c, req->stream);
        req->stream = -1;
        return rc;
    }
    req->deadline = uv_now(c->loop) + timeout_ms;
    dl_insert(c, req);
    if (c->dl_head == req && c->state == CONN_READY) {
        timer_arm(c);
    }
    mark_dirty(c);
    return 0;
}

void
cass_conn_cancel(struct cass_conn *c, struct cass_req *req)
{
    if (req->stream < 0) {
        return;
    }
    dl_unlink(c, req);
    c->slots[req->stream] = &c->orphan;
    req->stream = -1;
}

/* ---- handshake ------------------------------------------------------------------------------- */

static void on_handshake(struct cass_req *req, int status, const struct cass_resp *resp);

static struct cql_wr *
hs_send_begin(struct cass_conn *c, int16_t *stream)
{
    int err = 0;
    struct cql_wr *w = begin_frame(c, &c->hs_req, stream, &err);

    ASSERT(w != NULL);      /* the handshake is alone on its connection */
    return w;
}

static void
hs_send_end(struct cass_conn *c)
{
    int rc;

    c->hs_req.cb = on_handshake;
    rc = cass_conn_commit(c, &c->hs_req, c->opts.connect_timeout_ms);
    if (rc != 0) {
        conn_fail(c, rc, "%s: cannot encode handshake: %s", c->name, err_str(rc));
    }
}

static void
send_options(struct cass_conn *c)
{
    struct cql_wr *w;
    int16_t stream;

    c->state = CONN_OPTIONS;
    w = hs_send_begin(c, &stream);
    (void)cql_req_options(w, c->version, stream);
    hs_send_end(c);
}

static void
send_startup(struct cass_conn *c, const struct cass_resp *supported)
{
    const char *kv[8];
    size_t n = 0;
    struct cql_wr *w;
    int16_t stream;

    kv[n++] = "CQL_VERSION";
    kv[n++] = "3.0.0";
    kv[n++] = "DRIVER_NAME";
    kv[n++] = "cqlgate";
    if (c->opts.lz4) {
        if (cql_resp_supported_has(supported->body, supported->len, "COMPRESSION", "lz4")) {
            kv[n++] = "COMPRESSION";
            kv[n++] = "lz4";
            c->lz4 = 1;
        } else {
            log_warn("%s: lz4 requested but not offered by the server; going uncompressed",
                     c->name);
        }
    }
    c->state = CONN_STARTUP;
    w = hs_send_begin(c, &stream);
    (void)cql_req_startup(w, c->version, stream, kv, n / 2);
    hs_send_end(c);
}

static void
send_auth_response(struct cass_conn *c)
{
    struct cql_wr *w;
    int16_t stream;

    c->state = CONN_AUTH;
    w = hs_send_begin(c, &stream);
    (void)cql_req_auth_plain(w, c->version, stream, c->user, c->password);
    hs_send_end(c);
}

static void
conn_ready(struct cass_conn *c)
{
    cass_conn_cb cb = c->state_cb;

    c->state = CONN_READY;
    uv_timer_stop(&c->timer);
    log_info("%s: ready, protocol v%d%s", c->name, c->version, c->lz4 ? ", lz4" : "");
    if (cb != NULL) {
        cb(c, 0);
    }
}

static bool
contains(struct cql_str s, const char *needle)
{
    size_t n = strlen(needle);

    for (size_t i = 0; i + n <= s.len; i++) {
        if (strncasecmp(s.p + i, needle, n) == 0) {
            return true;
        }
    }
    return false;
}

/*
 * True for the server's answer to a version it does not speak (section 8 of the specs): current
 * servers say "Invalid or unsupported protocol version (5)", and 3.x servers, to whom v5 was a
 * beta, say "Beta version of the protocol used (5/v5-beta), but USE_BETA flag is unset".
 */
static bool
is_version_error(const struct cql_error *e)
{
    return e->code == CQL_ERRCODE_PROTOCOL_ERROR
           && (contains(e->message, "protocol version") || contains(e->message, "beta version"));
}

static void
on_handshake_error(struct cass_conn *c, const struct cass_resp *resp)
{
    struct cql_rd r;
    struct cql_error e;

    cql_rd_init(&r, resp->body, resp->len);
    if (cql_resp_error(&r, resp->version, &e) != 0) {
        conn_fail(c, E_PROTOCOL, "%s: malformed ERROR during handshake", c->name);
        return;
    }
    if (is_version_error(&e) && (c->state == CONN_OPTIONS || c->state == CONN_STARTUP)
        && c->opts.version == 0 && c->version > CQL_VERSION_V4) {
        log_info("%s: server refused protocol v%d (%.*s); retrying with v%d", c->name,
                 c->version, (int)e.message.len, e.message.p, c->version - 1);
        c->version--;
        c->retrying = 1;
        c->state = CONN_CONNECTING;
        fail_in_flight(c, E_CANCELED);
        close_handle(c, (uv_handle_t *)&c->tcp);   /* on_handle_closed connects again */
        return;
    }
    if (is_version_error(&e)) {
        conn_fail(c, E_VERSION, "%s: server refused protocol v%d: %.*s", c->name, c->version,
                  (int)e.message.len, e.message.p);
        return;
    }
    conn_fail(c, e.code == CQL_ERRCODE_BAD_CREDENTIALS ? E_AUTH : E_SERVER, "%s: %s: %.*s",
              c->name, cql_errcode_desc(e.code), (int)e.message.len, e.message.p);
}

static void
on_handshake(struct cass_req *req, int status, const struct cass_resp *resp)
{
    struct cass_conn *c = container_of(req, struct cass_conn, hs_req);

    if (status != 0) {
        if (status != E_CANCELED) {
            conn_fail(c, status, "%s: handshake failed: %s", c->name, err_str(status));
        }
        return;
    }
    if (resp->opcode == CQL_OP_ERROR) {
        on_handshake_error(c, resp);
        return;
    }
    switch (c->state) {
    case CONN_OPTIONS:
        if (resp->opcode != CQL_OP_SUPPORTED) {
            break;
        }
        send_startup(c, resp);
        return;
    case CONN_STARTUP:
        if (resp->opcode != CQL_OP_READY && resp->opcode != CQL_OP_AUTHENTICATE) {
            break;
        }
        /* From the STARTUP answer on, v5 talks in segments and v4 compresses its bodies. */
        c->framing = cql_version_has_segments(c->version) ? 1 : 0;
        c->compress_out = c->lz4 && !c->framing;
        if (resp->opcode == CQL_OP_READY) {
            conn_ready(c);
            return;
        }
        if (c->user == NULL) {
            conn_fail(c, E_AUTH, "%s: the server requires authentication and no credentials "
                      "are configured", c->name);
            return;
        }
        send_auth_response(c);
        return;
    case CONN_AUTH:
        if (resp->opcode == CQL_OP_AUTH_SUCCESS) {
            conn_ready(c);
            return;
        }
        if (resp->opcode == CQL_OP_AUTH_CHALLENGE) {
            conn_fail(c, E_AUTH, "%s: the authenticator sent a SASL challenge; only PLAIN "
                      "password authentication is supported", c->name);
            return;
        }
        break;
    default:
        break;
    }
    conn_fail(c, E_PROTOCOL, "%s: unexpected %s during handshake", c->name,
              cql_opcode_name(resp->opcode));
}

/* ---- input ----------------------------------------------------------------------------------- */

/* Counts an ERROR response by its code (past the envelope's tracing id, warnings and payload). */
static void
count_server_error(const struct cass_conn *c, const struct cass_resp *resp)
{
    struct cql_resp_extra x;
    struct cql_rd r;
    int32_t code;

    if (metrics_self() == NULL
        || cql_resp_open(resp->flags, resp->body, resp->len, &r, &x) != 0) {
        return;
    }
    code = cql_rd_int(&r);
    if (cql_rd_ok(&r)) {
        metrics_cql_error(code);
        metrics_node_add(c->metric, METRICS_NK_ERRORS, 1);
    }
}

/* Hands one whole envelope to its request or to the event callback. */
static int
dispatch(struct cass_conn *c, const uint8_t *env, size_t len)
{
    struct cql_frame f;
    const char *desc = NULL;
    ssize_t n = cql_frame_decode(env, len, c->opts.max_frame, &f, &desc);
    struct cass_resp resp;
    struct cass_req *req;

    if (n < 0 || (size_t)n != len) {
        conn_fail(c, E_PROTOCOL, "%s: bad envelope: %s", c->name,
                  desc != NULL ? desc : cql_strerror(n < 0 ? (int)n : CQL_EPROTO));
        return -1;
    }
    resp.version = c->version;
    resp.opcode = f.opcode;
    resp.flags = f.flags;
    resp.stream = f.stream;
    resp.body = f.body;
    resp.len = f.length;
    if ((f.flags & CQL_FLAG_COMPRESSION) != 0 && !cql_version_has_segments(f.version)) {
        uint32_t raw = cql_frame_lz4_body_len(&f);
        ssize_t m;

        if (raw > c->opts.max_frame) {
            conn_fail(c, E_PROTOCOL, "%s: compressed body too large", c->name);
            return -1;
        }
        zbuf_reserve(c, raw + 1);
        m = cql_frame_decompress_lz4(&f, c->zbuf, c->zcap, &desc);
        if (m < 0) {
            conn_fail(c, E_PROTOCOL, "%s: bad lz4 body: %s", c->name,
                      desc != NULL ? desc : cql_strerror((int)m));
            return -1;
        }
        resp.body = c->zbuf;
        resp.len = (size_t)m;
    }
    if (f.opcode == CQL_OP_ERROR) {
        count_server_error(c, &resp);
    }
    if (f.stream < 0) {
        if (f.opcode == CQL_OP_EVENT && c->event_cb != NULL) {
            c->event_cb(c, &resp);
        }
        return c->state == CONN_CLOSING ? -1 : 0;
    }
    req = c->slots[f.stream];
    if (req == NULL) {
        conn_fail(c, E_PROTOCOL, "%s: response on unused stream %d", c->name, f.stream);
        return -1;
    }
    stream_release(c, f.stream);
    if (req != &c->orphan) {
        bool was_head = c->dl_head == req;

        dl_unlink(c, req);
        req->stream = -1;
        req->cb(req, 0, &resp);
        if (was_head && c->state == CONN_READY) {
            timer_arm(c);
        }
    }
    return c->state == CONN_CLOSING ? -1 : 0;
}

/* Decodes one v5 segment at P; returns bytes consumed, 0 when incomplete, -1 after a failure. */
static ssize_t
read_segment(struct cass_conn *c, const uint8_t *p, size_t len)
{
    struct cql_seg s;
    const char *desc = NULL;
    ssize_t n = cql_seg_decode(p, len, c->lz4, &s, &desc);
    const uint8_t *payload;
    ssize_t raw;

    if (n == CQL_EAGAIN) {
        return 0;
    }
    if (n < 0) {
        conn_fail(c, E_PROTOCOL, "%s: bad segment: %s", c->name,
                  desc != NULL ? desc : cql_strerror((int)n));
        return -1;
    }
    payload = s.payload;
    raw = s.raw_len;
    if (s.compressed) {
        zbuf_reserve(c, s.raw_len + 1);
        raw = cql_seg_payload(&s, c->zbuf, c->zcap, &desc);
        if (raw < 0) {
            conn_fail(c, E_PROTOCOL, "%s: bad segment payload: %s", c->name,
                      desc != NULL ? desc : cql_strerror((int)raw));
            return -1;
        }
        payload = c->zbuf;
    }
    if (!s.self_contained) {
        int rc = cql_seg_asm_feed(&c->seg_asm, payload, (size_t)raw, &desc);

        if (rc < 0) {
            conn_fail(c, E_PROTOCOL, "%s: bad split envelope: %s", c->name,
                      desc != NULL ? desc : cql_strerror(rc));
            return -1;
        }
        if (rc == 1) {
            int d = dispatch(c, c->seg_asm.buf.p, c->seg_asm.buf.len);

            cql_seg_asm_reset(&c->seg_asm);
            if (d < 0) {
                return -1;
            }
        }
        return n;
    }
    /* A self-contained payload is a run of whole envelopes. zbuf may be reused by a v4-style
     * decompression only for v4 connections, so the pointer stays valid here. */
    for (size_t off = 0; off < (size_t)raw;) {
        struct cql_frame f;
        ssize_t m = cql_frame_decode(payload + off, (size_t)raw - off, c->opts.max_frame, &f,
                                     &desc);
        if (m < 0) {
            conn_fail(c, E_PROTOCOL, "%s: bad envelope in segment: %s", c->name,
                      desc != NULL ? desc : cql_strerror((int)m));
            return -1;
        }
        if (dispatch(c, payload + off, (size_t)m) < 0) {
            return -1;
        }
        off += (size_t)m;
    }
    return n;
}

static void
process_input(struct cass_conn *c)
{
    size_t off = 0;

    while (off < c->rx_len && c->state != CONN_CLOSING && !c->retrying) {
        ssize_t n;

        if (c->framing) {
            n = read_segment(c, c->rx + off, c->rx_len - off);
        } else {
            struct cql_frame f;
            const char *desc = NULL;

            n = cql_frame_decode(c->rx + off, c->rx_len - off, c->opts.max_frame, &f, &desc);
            if (n == CQL_EAGAIN) {
                n = 0;
            } else if (n < 0) {
                conn_fail(c, E_PROTOCOL, "%s: bad envelope: %s", c->name,
                          desc != NULL ? desc : cql_strerror((int)n));
                return;
            } else if (dispatch(c, c->rx + off, (size_t)n) < 0) {
                return;
            }
        }
        if (n <= 0) {
            break;
        }
        off += (size_t)n;
    }
    if (c->state == CONN_CLOSING || c->retrying) {
        return;     /* the buffer is discarded with the socket */
    }
    if (off > 0) {
        memmove(c->rx, c->rx + off, c->rx_len - off);
        c->rx_len -= off;
    }
}

static void
on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct cass_conn *c = container_of(h, struct cass_conn, tcp);

    (void)suggested;
    if (c->rx_cap - c->rx_len < RX_CHUNK) {
        c->rx_cap = c->rx_len + RX_CHUNK > 2 * c->rx_cap ? c->rx_len + RX_CHUNK : 2 * c->rx_cap;
        c->rx = xrealloc(c->rx, c->rx_cap);
    }
    *buf = uv_buf_init((char *)c->rx + c->rx_len, (unsigned)(c->rx_cap - c->rx_len));
}

static void
on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct cass_conn *c = container_of(s, struct cass_conn, tcp);

    (void)buf;
    if (nread < 0) {
        conn_fail(c, nread == UV_EOF ? E_CLOSED : (int)nread, "%s: connection lost: %s", c->name,
                  nread == UV_EOF ? "closed by the server" : uv_strerror((int)nread));
        return;
    }
    c->rx_len += (size_t)nread;
    process_input(c);
}

/* ---- connecting ------------------------------------------------------------------------------ */

static void
on_connect(uv_connect_t *req, int status)
{
    struct cass_conn *c = container_of(req, struct cass_conn, connect_req);

    if (c->state == CONN_CLOSING) {
        return;
    }
    if (status < 0) {
        conn_fail(c, status, "%s: cannot connect: %s", c->name, uv_strerror(status));
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    status = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    if (status < 0) {
        conn_fail(c, status, "%s: cannot read: %s", c->name, uv_strerror(status));
        return;
    }
    send_options(c);
}

static void
start_connect(struct cass_conn *c)
{
    int rc;

    c->state = CONN_CONNECTING;
    c->framing = 0;
    c->compress_out = 0;
    c->lz4 = 0;
    c->rx_len = 0;
    c->out.len = 0;
    rc = uv_tcp_init(c->loop, &c->tcp);
    if (rc == 0) {
        c->tcp_open = 1;
        rc = uv_tcp_connect(&c->connect_req, &c->tcp, (struct sockaddr *)&c->addr, on_connect);
    }
    if (rc < 0) {
        conn_fail(c, rc, "%s: cannot connect: %s", c->name, uv_strerror(rc));
    }
}

static void
on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    struct cass_conn *c = container_of(req, struct cass_conn, gai);

    c->resolving = 0;
    c->pending_handles--;
    if (status == UV_ECANCELED || c->state == CONN_CLOSING) {
        uv_freeaddrinfo(res);
        maybe_free(c);
        return;
    }
    if (status < 0 || res == NULL) {
        conn_fail(c, status < 0 ? status : UV_EAI_NONAME, "%s: cannot resolve %s: %s", c->name,
                  c->host, uv_strerror(status < 0 ? status : UV_EAI_NONAME));
        uv_freeaddrinfo(res);
        return;
    }
    memcpy(&c->addr, res->ai_addr, res->ai_addrlen);
    ((struct sockaddr_in *)&c->addr)->sin_port = htons((uint16_t)c->opts.port);
    uv_freeaddrinfo(res);
    start_connect(c);
}

struct cass_conn *
cass_conn_create(uv_loop_t *loop, const struct cass_conn_opts *opts)
{
    struct cass_conn *c = xcalloc(1, sizeof(*c));

    c->loop = loop;
    c->opts = *opts;
    c->host = xstrdup(opts->host);
    c->user = opts->user != NULL ? xstrdup(opts->user) : NULL;
    c->password = opts->password != NULL ? xstrdup(opts->password) : xstrdup("");
    c->opts.host = c->host;
    c->opts.user = c->user;
    c->opts.password = c->password;
    if (c->opts.connect_timeout_ms == 0) {
        c->opts.connect_timeout_ms = 5000;
    }
    if (c->opts.max_frame == 0) {
        c->opts.max_frame = 256u * 1024 * 1024;
    }
    c->version = opts->version == 0 ? CQL_VERSION_V5 : opts->version;
    c->slots = xcalloc(CASS_MAX_STREAMS, sizeof(*c->slots));
    cql_wr_init(&c->out, NULL, 0, on_grow, NULL);
    cql_wr_init(&c->wbuf, NULL, 0, on_grow, NULL);
    cql_wr_init(&c->scratch, NULL, 0, on_grow, NULL);
    cql_seg_asm_init(&c->seg_asm, on_grow, NULL);
    snprintf(c->name, sizeof(c->name), "C-%llu %s:%d", (unsigned long long)++conn_ids, c->host,
             c->opts.port);
    c->metric = metrics_node_register(c->host, c->opts.port);
    uv_timer_init(loop, &c->timer);
    uv_prepare_init(loop, &c->prep);
    return c;
}

int
cass_conn_start(struct cass_conn *c, cass_conn_cb ready_cb, void *data)
{
    struct sockaddr_in *a4 = (struct sockaddr_in *)&c->addr;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&c->addr;
    struct addrinfo hints;
    int rc;

    c->state_cb = ready_cb;
    c->data = data;
    uv_timer_start(&c->timer, on_timer, c->opts.connect_timeout_ms, 0);
    if (uv_ip4_addr(c->host, c->opts.port, a4) == 0
        || uv_ip6_addr(c->host, c->opts.port, a6) == 0) {
        start_connect(c);
        return 0;
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    rc = uv_getaddrinfo(c->loop, &c->gai, on_resolved, c->host, NULL, &hints);
    if (rc == 0) {
        c->resolving = 1;
        c->pending_handles++;
    }
    return rc;
}

void
cass_conn_set_event_cb(struct cass_conn *c, cass_event_cb cb)
{
    c->event_cb = cb;
}

int
cass_conn_version(const struct cass_conn *c)
{
    return c->version;
}

bool
cass_conn_is_ready(const struct cass_conn *c)
{
    return c->state == CONN_READY;
}

bool
cass_conn_lz4(const struct cass_conn *c)
{
    return c->lz4;
}

const char *
cass_conn_error(const struct cass_conn *c)
{
    return c->errmsg;
}

void *
cass_conn_data(const struct cass_conn *c)
{
    return c->data;
}

uint32_t
cass_conn_in_flight(const struct cass_conn *c)
{
    return c->in_flight;
}

const char *
cass_conn_name(const struct cass_conn *c)
{
    return c->name;
}
