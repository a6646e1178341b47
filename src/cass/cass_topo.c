/*
 * cass_topo.c: topology snapshots, their builder and their loader (see cass_topo.h).
 *
 * The builder copies what it keeps out of each page of rows, so a response body is never held
 * past its callback. The loader is one heap object running up to three plain QUERY messages:
 *
 *     system.local --> system.peers_v2 --Invalid (no such table)--> system.peers --> finish
 */
#include "cass/cass_topo.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

/* ---- snapshots ------------------------------------------------------------------------------ */

struct cass_topo *
cass_topo_ref(struct cass_topo *t)
{
    if (t != NULL) {
        atomic_fetch_add(&t->refs, 1);
    }
    return t;
}

static void
topo_free(struct cass_topo *t)
{
    for (size_t i = 0; i < t->nnodes; i++) {
        free(t->nodes[i].tokens);
    }
    if (t->ring != NULL) {
        cass_ring_unref(t->ring);
    }
    free(t->nodes);
    free(t);
}

void
cass_topo_unref(struct cass_topo *t)
{
    if (t != NULL && atomic_fetch_sub(&t->refs, 1) == 1) {
        topo_free(t);
    }
}

int
cass_topo_find(const struct cass_topo *t, const char *host, int port)
{
    for (size_t i = 0; t != NULL && i < t->nnodes; i++) {
        if (t->nodes[i].port == port && strcmp(t->nodes[i].host, host) == 0) {
            return (int)i;
        }
    }
    return -1;
}

/* ---- builder -------------------------------------------------------------------------------- */

struct cass_topo_builder {
    struct cass_topo_node *nodes;       /* collected so far (tokens malloc'd) */
    size_t                 nnodes;      /* how many */
    size_t                 cap;         /* allocated */
    bool                   has_local;   /* the system.local row came */
    char                   partitioner[128]; /* from system.local */
    char                   error[256];  /* last failure */
};

struct cass_topo_builder *
cass_topo_builder_create(void)
{
    return xcalloc(1, sizeof(struct cass_topo_builder));
}

void
cass_topo_builder_destroy(struct cass_topo_builder *b)
{
    if (b == NULL) {
        return;
    }
    for (size_t i = 0; i < b->nnodes; i++) {
        free(b->nodes[i].tokens);
    }
    free(b->nodes);
    free(b);
}

const char *
cass_topo_builder_error(const struct cass_topo_builder *b)
{
    return b->error;
}

int
cass_topo_parse_tokens(const uint8_t *p, int32_t len, int64_t *out, size_t max, size_t *n)
{
    struct cql_rd r;
    int32_t count;

    *n = 0;
    if (len < 0) {
        return 0;                       /* null: no tokens (a node not yet in the ring) */
    }
    cql_rd_init(&r, p, (size_t)len);
    count = cql_rd_int(&r);
    if (!cql_rd_ok(&r) || count < 0) {
        return E_PROTOCOL;
    }
    for (int32_t i = 0; i < count; i++) {
        struct cql_bytes t = cql_rd_bytes(&r);
        bool neg;
        uint64_t v = 0;
        int32_t j = 0;

        if (!cql_rd_ok(&r) || t.len <= 0 || t.len > 20) {
            return E_PROTOCOL;
        }
        neg = t.p[0] == '-';
        j = neg ? 1 : 0;
        if (j == t.len) {
            return E_PROTOCOL;
        }
        for (; j < t.len; j++) {
            if (t.p[j] < '0' || t.p[j] > '9' || v > (UINT64_MAX - 9) / 10) {
                return E_PROTOCOL;
            }
            v = v * 10 + (uint64_t)(t.p[j] - '0');
        }
        if ((!neg && v > (uint64_t)INT64_MAX) || (neg && v > (uint64_t)INT64_MAX + 1)) {
            return E_PROTOCOL;
        }
        if (*n == max) {
            return E_PROTOCOL;
        }
        out[(*n)++] = neg ? (int64_t)(0 - v) : (int64_t)v;
    }
    return cql_rd_left(&r) == 0 ? 0 : E_PROTOCOL;
}

/* Copies a text cell into DST (CAP bytes); a null cell leaves "". */
static void
cell_text(char *dst, size_t cap, const struct cql_bytes *c)
{
    size_t n = c->len > 0 ? (size_t)c->len : 0;

    if (n >= cap) {
        n = cap - 1;
    }
    if (n > 0) {
        memcpy(dst, c->p, n);
    }
    dst[n] = '\0';
}

/* An inet cell as text into DST; false when it is null or not 4 or 16 bytes. */
static bool
cell_inet(char *dst, size_t cap, const struct cql_bytes *c)
{
    if (c->len == 4) {
        return inet_ntop(AF_INET, c->p, dst, (socklen_t)cap) != NULL;
    }
    if (c->len == 16) {
        return inet_ntop(AF_INET6, c->p, dst, (socklen_t)cap) != NULL;
    }
    return false;
}

static int
cell_int(const struct cql_bytes *c, int dflt)
{
    return c->len == 4 ? (int)(int32_t)cql_be32(c->p) : dflt;
}

/* Column indexes of one table's rows, -1 when absent. */
struct cols {
    int addr;                       /* rpc_address, native_address */
    int port;                       /* rpc_port (system.local), native_port */
    int dc;                         /* data_center */
    int rack;                       /* rack */
    int tokens;                     /* tokens */
    int schema;                     /* schema_version */
    int host_id;                    /* host_id */
    int partitioner;                /* partitioner (system.local) */
};

static int
col_index(const struct cql_col_spec *cols, int32_t ncols, const char *name)
{
    size_t len = strlen(name);

    for (int32_t i = 0; i < ncols; i++) {
        if (cols[i].name.len == len && memcmp(cols[i].name.p, name, len) == 0) {
            return (int)i;
        }
    }
    return -1;
}

static void
find_cols(struct cols *k, enum cass_topo_src src, const struct cql_col_spec *cols, int32_t ncols)
{
    k->addr = col_index(cols, ncols, src == CASS_TOPO_PEERS_V2 ? "native_address" : "rpc_address");
    k->port = col_index(cols, ncols, src == CASS_TOPO_LOCAL ? "rpc_port" : "native_port");
    k->dc = col_index(cols, ncols, "data_center");
    k->rack = col_index(cols, ncols, "rack");
    k->tokens = col_index(cols, ncols, "tokens");
    k->schema = col_index(cols, ncols, "schema_version");
    k->host_id = col_index(cols, ncols, "host_id");
    k->partitioner = col_index(cols, ncols, "partitioner");
}

/* The cell of column I, or a null cell when the column is absent. */
static struct cql_bytes
cell(const struct cql_bytes *cells, int i)
{
    struct cql_bytes none = { NULL, CQL_NULL };

    return i >= 0 ? cells[i] : none;
}

/* Takes one row (CELLS) into B. Returns 0 or E_PROTOCOL. */
static int
add_row(struct cass_topo_builder *b, enum cass_topo_src src, const struct cols *k,
        const struct cql_bytes *cells, const char *local_host, int local_port)
{
    struct cass_topo_node n;
    struct cql_bytes c;
    int64_t *tokens;
    int rc;

    memset(&n, 0, sizeof(n));
    c = cell(cells, k->addr);
    if (src == CASS_TOPO_LOCAL) {
        /* The node we are connected to is known by the address we reached it at. */
        snprintf(n.host, sizeof(n.host), "%s", local_host);
        n.port = local_port;
    } else if (!cell_inet(n.host, sizeof(n.host), &c)) {
        return 0;
    } else {
        c = cell(cells, k->port);
        n.port = cell_int(&c, local_port);
    }
    c = cell(cells, k->dc);
    cell_text(n.dc, sizeof(n.dc), &c);
    c = cell(cells, k->rack);
    cell_text(n.rack, sizeof(n.rack), &c);
    if (n.dc[0] == '\0') {
        return 0;
    }
    c = cell(cells, k->schema);
    if (c.len == 16) {
        memcpy(n.schema_version, c.p, 16);
    }
    c = cell(cells, k->host_id);
    if (c.len == 16) {
        memcpy(n.host_id, c.p, 16);
    }
    if (src == CASS_TOPO_LOCAL) {
        c = cell(cells, k->partitioner);
        cell_text(b->partitioner, sizeof(b->partitioner), &c);
        b->has_local = true;
    }
    /* Other partitioners' tokens are not numbers; they get no ring (and are refused). */
    if (strcmp(b->partitioner, CASS_TOPO_MURMUR3) == 0) {
        c = cell(cells, k->tokens);
        tokens = xmalloc(4096 * sizeof(*tokens));
        rc = cass_topo_parse_tokens(c.p, c.len, tokens, 4096, &n.ntokens);
        if (rc != 0) {
            free(tokens);
            snprintf(b->error, sizeof(b->error), "%s: malformed tokens", n.host);
            return rc;
        }
        n.tokens = tokens;
    }
    if (b->nnodes == CASS_TOPO_MAX_NODES) {
        free(n.tokens);
        snprintf(b->error, sizeof(b->error), "more than %d nodes", CASS_TOPO_MAX_NODES);
        return E_PROTOCOL;
    }
    if (b->nnodes == b->cap) {
        b->cap = b->cap == 0 ? 8 : b->cap * 2;
        b->nodes = xrealloc(b->nodes, b->cap * sizeof(*b->nodes));
    }
    b->nodes[b->nnodes++] = n;
    return 0;
}

int
cass_topo_builder_rows(struct cass_topo_builder *b, enum cass_topo_src src,
                       const struct cql_col_spec *cols, int32_t ncols, const uint8_t *rows,
                       size_t rows_len, int32_t rows_count, const char *local_host,
                       int local_port)
{
    struct cql_bytes *cells;
    struct cols k;
    struct cql_rd r;
    int rc = 0;

    if (cols == NULL || ncols <= 0) {
        snprintf(b->error, sizeof(b->error), "rows without column metadata");
        return E_PROTOCOL;
    }
    find_cols(&k, src, cols, ncols);
    cells = xcalloc((size_t)ncols, sizeof(*cells));
    cql_rd_init(&r, rows, rows_len);
    for (int32_t i = 0; i < rows_count && rc == 0; i++) {
        if (cql_rows_next(&r, ncols, cells) != 0) {
            snprintf(b->error, sizeof(b->error), "malformed row");
            rc = E_PROTOCOL;
            break;
        }
        rc = add_row(b, src, &k, cells, local_host, local_port);
    }
    free(cells);
    return rc;
}

/* The ring of T's nodes (ids are their indexes), or NULL when they make none (no tokens yet). */
static struct cass_ring *
ring_of(const struct cass_topo *t)
{
    struct cass_ring_node *rn;
    struct cass_ring *r = NULL;

    if (t->nnodes == 0 || t->nnodes > CASS_RING_MAX_NODES) {
        return NULL;
    }
    rn = xcalloc(t->nnodes, sizeof(*rn));
    for (size_t i = 0; i < t->nnodes; i++) {
        rn[i].dc.p = t->nodes[i].dc;
        rn[i].dc.len = strlen(t->nodes[i].dc);
        rn[i].rack.p = t->nodes[i].rack;
        rn[i].rack.len = strlen(t->nodes[i].rack);
        rn[i].tokens = t->nodes[i].tokens;
        rn[i].ntokens = t->nodes[i].ntokens;
    }
    if (cass_ring_build(rn, t->nnodes, &r) != 0) {
        r = NULL;
    }
    free(rn);
    return r;
}

int
cass_topo_builder_finish(struct cass_topo_builder *b, struct cass_topo **out)
{
    struct cass_topo *t;

    *out = NULL;
    if (!b->has_local) {
        snprintf(b->error, sizeof(b->error), "system.local returned no row");
        return E_INVALID;
    }
    t = xcalloc(1, sizeof(*t));
    atomic_init(&t->refs, 1);
    t->nodes = b->nodes;
    t->nnodes = b->nnodes;
    memcpy(t->partitioner, b->partitioner, sizeof(t->partitioner));
    b->nodes = NULL;
    b->nnodes = b->cap = 0;
    t->ring = ring_of(t);
    *out = t;
    return 0;
}

/* ---- loader --------------------------------------------------------------------------------- */

static const struct {
    enum cass_topo_src src;         /* which table */
    const char        *cql;         /* its SELECT */
} selects[] = {
    { CASS_TOPO_LOCAL, "SELECT rpc_address, rpc_port, data_center, rack, tokens, schema_version, "
                       "host_id, partitioner FROM system.local WHERE key = 'local'" },
    { CASS_TOPO_PEERS_V2, "SELECT native_address, native_port, data_center, rack, tokens, "
                          "schema_version, host_id FROM system.peers_v2" },
    { CASS_TOPO_PEERS, "SELECT rpc_address, data_center, rack, tokens, schema_version, host_id "
                       "FROM system.peers" },
};

/* One load in progress. */
struct load {
    struct cass_query         q;        /* the SELECT in flight */
    struct cass_topo_builder *b;        /* rows so far */
    char                      host[64]; /* the connection's node */
    int                       port;     /* its port */
    size_t                    step;     /* index in selects */
    cass_topo_cb              cb;       /* completion */
    void                     *data;     /* passed to cb */
    char                      msg[320]; /* message of a failure */
};

static void
load_done(struct load *l, int status, struct cass_topo *t)
{
    l->cb(l->data, status, status == 0 ? "" : l->msg, t);
    cass_topo_builder_destroy(l->b);
    free(l);
}

static void on_done(struct cass_query *q, const struct cass_result *res);

static int
start_step(struct load *l, struct cass_conn *c)
{
    struct cass_query *q = &l->q;

    memset(q, 0, sizeof(*q));
    q->conn = c;
    q->cql = selects[l->step].cql;
    q->cql_len = strlen(q->cql);
    q->timeout_ms = CASS_TOPO_TIMEOUT_MS;
    q->done_cb = on_done;
    q->data = l;
    cql_query_params_init(&q->params, CQL_CL_ONE);
    return cass_query_simple(q);
}

static void
finish(struct load *l)
{
    struct cass_topo *t = NULL;
    int rc = cass_topo_builder_finish(l->b, &t);

    if (rc != 0) {
        snprintf(l->msg, sizeof(l->msg), "%s", cass_topo_builder_error(l->b));
    }
    load_done(l, rc, t);
}

static void
on_done(struct cass_query *q, const struct cass_result *res)
{
    struct load *l = q->data;
    const char *table = selects[l->step].src == CASS_TOPO_LOCAL ? "system.local"
                        : selects[l->step].src == CASS_TOPO_PEERS_V2 ? "system.peers_v2"
                                                                     : "system.peers";
    int rc;

    if (res->status == E_SERVER && selects[l->step].src == CASS_TOPO_PEERS_V2
        && res->error.code == CQL_ERRCODE_INVALID) {
        l->step++;                      /* before 4.0: no peers_v2 */
        rc = start_step(l, q->conn);
        if (rc != 0) {
            snprintf(l->msg, sizeof(l->msg), "system.peers: %s", err_str(rc));
            load_done(l, rc, NULL);
        }
        return;
    }
    if (res->status == E_SERVER) {
        snprintf(l->msg, sizeof(l->msg), "%s: %s: %.*s", table,
                 cql_errcode_name(res->error.code), (int)res->error.message.len,
                 res->error.message.p);
        load_done(l, res->status, NULL);
        return;
    }
    if (res->status != 0 || res->result.kind != CQL_RESULT_ROWS) {
        rc = res->status != 0 ? res->status : E_PROTOCOL;
        snprintf(l->msg, sizeof(l->msg), "%s: %s", table, err_str(rc));
        load_done(l, rc, NULL);
        return;
    }
    rc = cass_topo_builder_rows(l->b, selects[l->step].src, res->cols, res->ncols,
                                res->result.rows, res->result.rows_len, res->result.rows_count,
                                l->host, l->port);
    if (rc != 0) {
        snprintf(l->msg, sizeof(l->msg), "%s: %s", table, cass_topo_builder_error(l->b));
        load_done(l, rc, NULL);
        return;
    }
    if (selects[l->step].src != CASS_TOPO_LOCAL) {
        finish(l);
        return;
    }
    l->step++;
    rc = start_step(l, q->conn);
    if (rc != 0) {
        snprintf(l->msg, sizeof(l->msg), "system.peers_v2: %s", err_str(rc));
        load_done(l, rc, NULL);
    }
}

int
cass_topo_load(struct cass_conn *c, const char *host, int port, cass_topo_cb cb, void *data)
{
    struct load *l = xcalloc(1, sizeof(*l));
    int rc;

    l->b = cass_topo_builder_create();
    snprintf(l->host, sizeof(l->host), "%s", host);
    l->port = port;
    l->cb = cb;
    l->data = data;
    rc = start_step(l, c);
    if (rc != 0) {
        cass_topo_builder_destroy(l->b);
        free(l);
    }
    return rc;
}
