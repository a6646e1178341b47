/*
 * cass_schema.c: the schema loader of cass_schema.h.
 *
 * One load is one heap object that walks a fixed list of SELECTs. Each page's rows go straight
 * into the builder (which copies what it keeps), so a response body is never held past its
 * callback; the paging state is the only thing copied between requests.
 *
 *     start_step --run/simple--> on_done --more pages--> execute again with the paging state
 *                                        --last page---> next step, or finish -> cb -> free
 */
#include "cass/cass_schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The SELECTs, in the order they run: (source, table, columns). Types come before tables and
 * columns after them, so a concurrent CREATE is more likely to be missed whole than seen half.
 */
#define SCHEMA_SELECT_MAP(XX)                                                                      \
    XX(CASS_META_KEYSPACES, "keyspaces", "keyspace_name, durable_writes, replication")             \
    XX(CASS_META_TYPES, "types", "keyspace_name, type_name, field_names, field_types")             \
    XX(CASS_META_TABLES, "tables",                                                                 \
       "keyspace_name, table_name, id, comment, default_time_to_live, flags")                      \
    XX(CASS_META_VIEWS, "views",                                                                   \
       "keyspace_name, view_name, base_table_name, id, where_clause, include_all_columns, "        \
       "comment, default_time_to_live")                                                            \
    XX(CASS_META_COLUMNS, "columns",                                                               \
       "keyspace_name, table_name, column_name, kind, position, clustering_order, type")           \
    XX(CASS_META_INDEXES, "indexes", "keyspace_name, table_name, index_name, kind, options")

static const struct {
    int         src;                            /* enum cass_meta_src */
    const char *table;                          /* system_schema table, for messages */
    const char *all;                            /* the SELECT of every keyspace */
    const char *one;                            /* the SELECT of one keyspace (one marker) */
} steps[] = {
#define XX(src, table, cols)                                                                       \
    { src, table, "SELECT " cols " FROM system_schema." table,                                    \
      "SELECT " cols " FROM system_schema." table " WHERE keyspace_name = ?" },
    SCHEMA_SELECT_MAP(XX)
#undef XX
};

/* One load in progress. */
struct load {
    struct cass_query         q;                /* the SELECT in flight */
    struct cass_conn         *conn;             /* where the SELECTs run */
    struct cass_pcache       *pc;               /* prepared cache, NULL for plain queries */
    struct cass_meta_builder *b;                /* rows collected so far */
    struct cass_meta         *old;              /* keyspace load: snapshot to rebuild (a ref) */
    char                     *ks;               /* keyspace load: the keyspace, else NULL */
    size_t                    ks_len;           /* its length */
    uint8_t                  *value;            /* keyspace load: the bound value, [bytes] */
    uint8_t                  *paging;           /* copy of the last paging state */
    size_t                    step;             /* index in steps */
    cass_schema_cb            cb;               /* completion */
    void                     *data;             /* passed to cb */
    char                      msg[384];         /* message of a failure */
};

static void
load_free(struct load *l)
{
    cass_query_release(&l->q);
    cass_meta_builder_destroy(l->b);
    cass_meta_unref(l->old);
    free(l->ks);
    free(l->value);
    free(l->paging);
    free(l);
}

/* Ends the load: runs the callback once and frees everything. */
static void
load_done(struct load *l, int status, struct cass_meta *m)
{
    cass_query_release(&l->q);
    l->cb(l->data, status, status == 0 ? "" : l->msg, m);
    load_free(l);
}

static void
load_fail(struct load *l, int status, const char *what)
{
    snprintf(l->msg, sizeof(l->msg), "system_schema.%s: %s", steps[l->step].table, what);
    load_done(l, status, NULL);
}

static void on_done(struct cass_query *q, const struct cass_result *res);

/* Sends the first page of the current step. Returns 0 or a negative code. */
static int
start_step(struct load *l)
{
    struct cass_query *q = &l->q;
    const char *cql = l->ks != NULL ? steps[l->step].one : steps[l->step].all;
    int rc;

    memset(q, 0, sizeof(*q));
    q->conn = l->conn;
    q->cache = l->pc;
    q->cql = cql;
    q->cql_len = strlen(cql);
    q->timeout_ms = CASS_SCHEMA_TIMEOUT_MS;
    q->done_cb = on_done;
    q->data = l;
    cql_query_params_init(&q->params, CQL_CL_ONE);
    q->params.page_size = CASS_SCHEMA_PAGE_SIZE;
    if (l->ks != NULL) {
        q->params.values.p = l->value;
        q->params.values.len = 4 + l->ks_len;
        q->params.values.count = 1;
    }
    rc = l->pc != NULL ? cass_query_run(q) : cass_query_simple(q);
    if (rc != 0) {
        cass_query_release(q);
    }
    return rc;
}

/* Builds the snapshot once every step has run, and reports it. */
static void
finish(struct load *l)
{
    struct cass_meta *m = NULL;
    int rc;

    if (l->ks != NULL) {
        rc = cass_meta_builder_rebuild(l->b, l->old, l->ks, l->ks_len, &m);
    } else {
        rc = cass_meta_builder_finish(l->b, &m);
    }
    if (rc != 0) {
        snprintf(l->msg, sizeof(l->msg), "%s", cass_meta_builder_error(l->b));
    }
    load_done(l, rc, m);
}

/* Asks for the page after the one in RES. Returns 0 or a negative code. */
static int
next_page(struct load *l, const struct cql_bytes *state)
{
    struct cass_query *q = &l->q;

    l->paging = xrealloc(l->paging, (size_t)state->len + 1);
    memcpy(l->paging, state->p, (size_t)state->len);
    q->params.paging_state.p = l->paging;
    q->params.paging_state.len = state->len;
    return q->simple ? cass_query_simple(q) : cass_query_execute(q);
}

static void
on_done(struct cass_query *q, const struct cass_result *res)
{
    struct load *l = q->data;
    const struct cql_rows_meta *meta = &res->result.meta;
    char what[320];
    int rc;

    if (res->status == E_SERVER) {
        snprintf(what, sizeof(what), "%s: %.*s", cql_errcode_name(res->error.code),
                 (int)res->error.message.len, res->error.message.p);
        load_fail(l, res->status, what);
        return;
    }
    if (res->status != 0) {
        load_fail(l, res->status, err_str(res->status));
        return;
    }
    if (res->result.kind != CQL_RESULT_ROWS) {
        load_fail(l, E_PROTOCOL, "the answer holds no rows");
        return;
    }
    rc = cass_meta_builder_rows(l->b, steps[l->step].src, res->cols, res->ncols,
                                res->result.rows, res->result.rows_len, res->result.rows_count);
    if (rc != 0) {
        snprintf(l->msg, sizeof(l->msg), "%s", cass_meta_builder_error(l->b));
        load_done(l, rc, NULL);
        return;
    }
    if ((meta->flags & CQL_MF_HAS_MORE_PAGES) != 0 && meta->paging_state.len > 0) {
        rc = next_page(l, &meta->paging_state);
        if (rc != 0) {
            load_fail(l, rc, err_str(rc));
        }
        return;
    }
    cass_query_release(q);
    if (++l->step == ARRAY_SIZE(steps)) {
        finish(l);
        return;
    }
    rc = start_step(l);
    if (rc != 0) {
        load_fail(l, rc, err_str(rc));
    }
}

static int
load_start(struct cass_conn *c, struct cass_pcache *pc, const char *ks, size_t ks_len,
           struct cass_meta *old, cass_schema_cb cb, void *data)
{
    struct load *l = xcalloc(1, sizeof(*l));
    int rc;

    l->conn = c;
    l->pc = pc;
    l->b = cass_meta_builder_create();
    l->cb = cb;
    l->data = data;
    if (ks != NULL) {
        if (ks_len > INT32_MAX - 4) {
            load_free(l);
            return E_INVALID;
        }
        l->ks = xmalloc(ks_len + 1);
        memcpy(l->ks, ks, ks_len);
        l->ks[ks_len] = '\0';
        l->ks_len = ks_len;
        l->value = xmalloc(ks_len + 4);
        cql_put_be32(l->value, (uint32_t)ks_len);
        memcpy(l->value + 4, ks, ks_len);
        l->old = old != NULL ? cass_meta_ref(old) : NULL;
    }
    rc = start_step(l);
    if (rc != 0) {
        load_free(l);
    }
    return rc;
}

int
cass_schema_load(struct cass_conn *c, struct cass_pcache *pc, cass_schema_cb cb, void *data)
{
    return load_start(c, pc, NULL, 0, NULL, cb, data);
}

int
cass_schema_load_keyspace(struct cass_conn *c, struct cass_pcache *pc, const char *ks,
                          size_t ks_len, struct cass_meta *old, cass_schema_cb cb, void *data)
{
    if (ks == NULL) {
        return E_INVALID;
    }
    return load_start(c, pc, ks, ks_len, old, cb, data);
}
