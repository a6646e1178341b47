/*
 * cqlc: a small CQL client on cqlgate's own connection layer (src/cass over proto/), used by the
 * integration tests to drive a real Cassandra and by people to poke at one.
 *
 *   cqlc [options] -e STATEMENT [-b VALUE]... [-e STATEMENT [-b VALUE]...]...
 *
 * Each statement is prepared through the cache and executed (or sent as a plain QUERY with
 * --simple), its values given as CQL literals and encoded by the bind types the server returned.
 * Rows print one JSON object per line, in the column order of the result. A server error prints
 * {"error": NAME, "code": N, "message": TEXT} and cqlc exits 2 after the remaining statements.
 * Options:
 *   --host H --port P -u USER -p PASSWORD   where to connect (127.0.0.1:9042, no credentials)
 *   --protocol 4|5                          pin a version (default: 5, falling back to 4)
 *   --compression lz4                       ask for lz4
 *   --consistency NAME                      default LOCAL_ONE
 *   --page-size N                           fetch results N rows at a time, following pages
 *   --simple                                send QUERY instead of PREPARE + EXECUTE
 *   --repeat N --concurrency M              run the first statement N times, M in flight
 *   --timeout MS                            per request (default 10000)
 *   --info                                  print {"protocol":..,"compression":..} once ready
 *   --stats                                 print request counters at the end
 *   -b null | -b unset                      bind a null or unset value (-B TEXT binds TEXT as-is)
 *   --schema KEYSPACE                       load the schema snapshot and print the keyspace as JSON
 *                                           lines (keyspace, tables, views, types, indexes) before
 *                                           any statements; an unknown keyspace prints NOT_FOUND
 * Exit codes: 0 ok, 1 connection or usage failure, 2 a statement failed, 3 unclean shutdown.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "cass/cass_conn.h"
#include "cass/cass_query.h"
#include "cass/cass_schema.h"
#include "core/arena.h"
#include "core/log.h"
#include "core/util.h"
#include "cql_type.h"
#include "cql_value.h"

#define MAX_STMTS 64
#define MAX_BINDS 64

struct stmt {
    const char *cql;                    /* statement text */
    const char *binds[MAX_BINDS];       /* CQL literals, "null", "unset" */
    bool        raw[MAX_BINDS];         /* bind the text as given (never null/unset) */
    int         nbinds;
};

struct worker {
    struct cass_query q;                /* the statement in flight */
    struct cql_wr     values;           /* encoded bind values */
    uint8_t          *paging;           /* copy of the paging state */
    int32_t           paging_len;
};

struct app {
    uv_loop_t          loop;
    struct cass_conn  *conn;
    struct cass_pcache cache;
    struct stmt        stmts[MAX_STMTS];
    int                nstmts;
    int                cur;             /* statement being run */
    int                consistency;
    int32_t            page_size;
    bool               simple;
    bool               info;
    bool               stats;
    long               repeat;          /* 0: run each statement once */
    long               concurrency;
    long               issued;          /* repeat mode: executions started */
    long               finished;
    long               ok;
    long               failed;
    uint64_t           timeout_ms;
    int                exit_code;
    struct worker     *workers;
    long               nworkers;
    struct cql_wr      line;            /* output line being built */
};

static struct app app;

static uint8_t *
on_grow(void *ctx, uint8_t *old, size_t len, size_t need, size_t *cap)
{
    size_t n = need < 256 ? 256 : need * 2;

    (void)ctx;
    (void)len;
    *cap = n;
    return xrealloc(old, n);
}

static void run_next(void);
static void start_worker(struct worker *wk);

static void
on_closed(struct cass_conn *c, int status)
{
    (void)c;
    (void)status;
    app.conn = NULL;
}

static void
finish(void)
{
    if (app.stats) {
        printf("{\"prepares\": %llu, \"reprepares\": %llu, \"ok\": %ld, \"failed\": %ld}\n",
               (unsigned long long)app.cache.prepares, (unsigned long long)app.cache.reprepares,
               app.ok, app.failed);
    }
    fflush(stdout);
    if (app.conn != NULL) {
        cass_conn_close(app.conn, on_closed);
    }
}

static void
print_error(const struct cass_result *res, const char *what)
{
    app.exit_code = 2;
    if (res->status == E_SERVER) {
        printf("{\"error\": \"%s\", \"code\": %d, \"message\": \"", cql_errcode_name(res->error.code),
               res->error.code);
        for (size_t i = 0; i < res->error.message.len; i++) {
            char ch = res->error.message.p[i];
            if (ch == '"' || ch == '\\') {
                putchar('\\');
            }
            if ((unsigned char)ch >= 0x20) {
                putchar(ch);
            }
        }
        printf("\"}\n");
    } else {
        printf("{\"error\": \"%s\", \"code\": %d, \"message\": \"%s: %s\"}\n",
               err_name(res->status), res->status, what, err_str(res->status));
    }
}

/* Prints each row of RES as one JSON object. Returns false on a value cqlc cannot render. */
static bool
print_rows(const struct cass_result *res)
{
    struct cql_rd r;
    struct cql_bytes cells[256];
    const char *desc = NULL;

    if (res->ncols > 256 || res->cols == NULL) {
        printf("{\"error\": \"CQLC\", \"code\": 0, \"message\": \"no column metadata\"}\n");
        return false;
    }
    cql_rd_init(&r, res->result.rows, res->result.rows_len);
    for (int32_t i = 0; i < res->result.rows_count; i++) {
        if (cql_rows_next(&r, res->ncols, cells) != 0) {
            printf("{\"error\": \"CQLC\", \"code\": 0, \"message\": \"truncated rows\"}\n");
            return false;
        }
        app.line.len = 0;
        cql_wr_byte(&app.line, '{');
        for (int32_t k = 0; k < res->ncols; k++) {
            const struct cql_col_spec *col = &res->cols[k];

            if (k > 0) {
                cql_wr_raw(&app.line, ", ", 2);
            }
            cql_wr_byte(&app.line, '"');
            cql_wr_raw(&app.line, col->name.p, col->name.len);
            cql_wr_raw(&app.line, "\": ", 3);
            if (cql_value_to_json(col->type, cells[k].p, cells[k].len, &app.line, &desc) != 0) {
                printf("{\"error\": \"CQLC\", \"code\": 0, \"message\": \"column %.*s: %s\"}\n",
                       (int)col->name.len, col->name.p, desc != NULL ? desc : "bad value");
                return false;
            }
        }
        cql_wr_byte(&app.line, '}');
        fwrite(app.line.p, 1, app.line.len, stdout);
        putchar('\n');
    }
    return true;
}

/* Encodes the statement's literals by the bind types into WK->values. */
static int
bind_values(struct worker *wk, const struct stmt *st)
{
    const struct cass_prepared *p = wk->q.prep;
    const char *desc = NULL;

    wk->values.len = 0;
    wk->values.err = 0;
    if (p->bind.columns_count != st->nbinds) {
        printf("{\"error\": \"CQLC\", \"code\": 0, \"message\": \"statement has %d bind markers, "
               "%d values given\"}\n", p->bind.columns_count, st->nbinds);
        return -1;
    }
    for (int i = 0; i < st->nbinds; i++) {
        size_t off;
        int rc;

        if (!st->raw[i] && strcmp(st->binds[i], "null") == 0) {
            cql_wr_int(&wk->values, CQL_NULL);
            continue;
        }
        if (!st->raw[i] && strcmp(st->binds[i], "unset") == 0) {
            cql_wr_int(&wk->values, CQL_UNSET);
            continue;
        }
        off = wk->values.len;
        cql_wr_int(&wk->values, 0);
        rc = cql_value_from_text(p->bind.cols[i].type, st->binds[i], strlen(st->binds[i]),
                                 &wk->values, &desc);
        if (rc != 0) {
            printf("{\"error\": \"CQLC\", \"code\": %d, \"message\": \"value %d (%s): %s\"}\n", rc,
                   i, st->binds[i], desc != NULL ? desc : cql_strerror(rc));
            return -1;
        }
        cql_wr_patch_int(&wk->values, off, (int32_t)(wk->values.len - off - 4));
    }
    wk->q.params.values.p = wk->values.p;
    wk->q.params.values.len = wk->values.len;
    wk->q.params.values.count = (uint16_t)st->nbinds;
    wk->q.params.values.named = false;
    return 0;
}

static void
statement_done(struct worker *wk, bool ok)
{
    cass_query_release(&wk->q);
    free(wk->paging);
    wk->paging = NULL;
    if (!ok) {
        app.exit_code = 2;
    }
    if (app.repeat > 0) {
        app.finished++;
        if (ok) {
            app.ok++;
        } else {
            app.failed++;
        }
        if (app.issued < app.repeat) {
            start_worker(wk);
        } else if (app.finished == app.repeat) {
            finish();
        }
        return;
    }
    app.cur++;
    run_next();
}

static void
on_done(struct cass_query *q, const struct cass_result *res)
{
    struct worker *wk = container_of(q, struct worker, q);
    const struct cql_rows_meta *m = &res->result.meta;
    int rc;

    if (res->status != 0) {
        if (app.repeat == 0) {
            print_error(res, "execute");
        }
        statement_done(wk, false);
        return;
    }
    if (res->result.kind == CQL_RESULT_ROWS && app.repeat == 0 && !print_rows(res)) {
        statement_done(wk, false);
        return;
    }
    if (res->result.kind == CQL_RESULT_ROWS && (m->flags & CQL_MF_HAS_MORE_PAGES) != 0
        && m->paging_state.len >= 0) {
        free(wk->paging);
        wk->paging = xmalloc((size_t)m->paging_state.len + 1);
        memcpy(wk->paging, m->paging_state.p, (size_t)m->paging_state.len);
        wk->paging_len = m->paging_state.len;
        q->params.paging_state.p = wk->paging;
        q->params.paging_state.len = wk->paging_len;
        rc = q->simple ? cass_query_simple(q) : cass_query_execute(q);
        if (rc != 0) {
            struct cass_result err = { .status = rc };
            print_error(&err, "next page");
            statement_done(wk, false);
        }
        return;
    }
    statement_done(wk, true);
}

static void
execute_bound(struct worker *wk)
{
    const struct stmt *st = &app.stmts[app.repeat > 0 ? 0 : app.cur];
    int rc;

    if (bind_values(wk, st) != 0) {
        statement_done(wk, false);
        return;
    }
    rc = cass_query_execute(&wk->q);
    if (rc != 0) {
        struct cass_result err = { .status = rc };
        print_error(&err, "execute");
        statement_done(wk, false);
    }
}

static void
on_prepared(struct cass_query *q, const struct cass_result *res)
{
    struct worker *wk = container_of(q, struct worker, q);

    if (res->status != 0) {
        print_error(res, "prepare");
        statement_done(wk, false);
        return;
    }
    execute_bound(wk);
}

static void
start_worker(struct worker *wk)
{
    const struct stmt *st = &app.stmts[app.repeat > 0 ? 0 : app.cur];
    struct cass_query *q = &wk->q;
    int rc;

    memset(q, 0, sizeof(*q));
    q->conn = app.conn;
    q->cache = &app.cache;
    q->cql = st->cql;
    q->cql_len = strlen(st->cql);
    q->timeout_ms = app.timeout_ms;
    q->prepared_cb = on_prepared;
    q->done_cb = on_done;
    q->params.consistency = (uint16_t)app.consistency;
    q->params.page_size = app.page_size;
    q->params.paging_state.len = CQL_NULL;
    app.issued++;
    if (app.simple) {
        rc = cass_query_simple(q);
    } else if (st->nbinds == 0) {
        rc = cass_query_run(q);     /* nothing to bind: prepare and execute in one call */
    } else {
        rc = cass_query_prepare(q);
        if (rc == 1) {
            execute_bound(wk);
            return;
        }
    }
    if (rc != 0) {
        struct cass_result err = { .status = rc };
        print_error(&err, app.simple ? "query" : "prepare");
        statement_done(wk, false);
    }
}

static void
run_next(void)
{
    if (app.cur >= app.nstmts) {
        finish();
        return;
    }
    start_worker(&app.workers[0]);
}

/* ---- --schema KEYSPACE ----------------------------------------------------------------------- */

/*
 * The keyspace is printed from a snapshot of the whole schema, then loaded again alone and
 * rebuilt from that snapshot (the SCHEMA_CHANGE path); both must print the same lines.
 */
static const char *schema_keyspace;        /* --schema: the keyspace to print, else NULL */
static struct cql_wr schema_full;           /* its lines from the full load */
static struct cql_wr schema_one;            /* its lines after reloading it alone */

static void
schema_str(struct cql_wr *w, const char *s, size_t len)
{
    if (cql_json_string(w, s, len) != 0 && w->err == 0) {
        w->err = CQL_EPROTO;
    }
}

static void
schema_text(struct cql_wr *w, const char *s)
{
    cql_wr_raw(w, s, strlen(s));
}

static void
schema_options(struct cql_wr *w, const struct cass_meta_option *opts, uint32_t n)
{
    cql_wr_byte(w, '{');
    for (uint32_t i = 0; i < n; i++) {
        if (i > 0) {
            schema_text(w, ", ");
        }
        schema_str(w, opts[i].key.p, opts[i].key.len);
        schema_text(w, ": ");
        schema_str(w, opts[i].value.p, opts[i].value.len);
    }
    cql_wr_byte(w, '}');
}

/* {"table"|"view": name, "columns": [...], ...} for T. */
static void
schema_table(struct cql_wr *w, const struct cass_meta_table *t)
{
    schema_text(w, t->is_view ? "{\"view\": " : "{\"table\": ");
    schema_str(w, t->name.p, t->name.len);
    if (t->is_view) {
        schema_text(w, ", \"baseTable\": ");
        schema_str(w, t->base_table.p, t->base_table.len);
    }
    schema_text(w, ", \"columns\": [");
    for (uint32_t i = 0; i < t->ncolumns; i++) {
        const struct cass_meta_column *c = &t->columns[i];

        uint8_t buf[4096];
        struct cql_wr type;

        cql_wr_init(&type, buf, sizeof(buf), NULL, NULL);
        if (cass_meta_type_text(c->type, &type) != 0 && w->err == 0) {
            w->err = type.err;
        }
        schema_text(w, i > 0 ? ", {\"name\": " : "{\"name\": ");
        schema_str(w, c->name.p, c->name.len);
        schema_text(w, ", \"typeDefinition\": ");
        schema_str(w, (const char *)type.p, type.len);
        schema_text(w, ", \"kind\": \"");
        schema_text(w, cass_meta_kind_name(c->kind));
        schema_text(w, c->order == CASS_META_ORDER_ASC ? "\", \"order\": \"ASC\"}"
                       : c->order == CASS_META_ORDER_DESC ? "\", \"order\": \"DESC\"}"
                       : "\", \"order\": null}");
    }
    schema_text(w, "], \"defaultTimeToLive\": ");
    cql_fmt_int64(w, t->default_ttl);
    schema_text(w, "}\n");
}

/* Writes the lines of keyspace schema_keyspace in M to W; false when it is not there. */
static bool
schema_render(const struct cass_meta *m, struct cql_wr *w)
{
    const struct cass_meta_keyspace *ks = cass_meta_keyspace(m, schema_keyspace,
                                                             strlen(schema_keyspace));

    if (ks == NULL) {
        schema_text(w, "{\"error\": \"NOT_FOUND\", \"code\": 0, "
                       "\"message\": \"keyspace not found\", \"keyspace\": ");
        schema_str(w, schema_keyspace, strlen(schema_keyspace));
        schema_text(w, "}\n");
        return false;
    }
    schema_text(w, "{\"keyspace\": ");
    schema_str(w, ks->name.p, ks->name.len);
    schema_text(w, ks->durable_writes ? ", \"durableWrites\": true" : ", \"durableWrites\": false");
    schema_text(w, ", \"replication\": ");
    schema_options(w, ks->replication, ks->nreplication);
    if (ks->strategy == CASS_META_STRATEGY_SIMPLE) {
        schema_text(w, ", \"replicationFactor\": ");
        cql_fmt_int64(w, ks->replication_factor);
    }
    if (ks->strategy == CASS_META_STRATEGY_NTS) {
        schema_text(w, ", \"datacenters\": [");
        for (uint32_t i = 0; i < ks->ndcs; i++) {
            schema_text(w, i > 0 ? ", {\"name\": " : "{\"name\": ");
            schema_str(w, ks->dcs[i].name.p, ks->dcs[i].name.len);
            schema_text(w, ", \"replicas\": ");
            cql_fmt_int64(w, ks->dcs[i].replicas);
            cql_wr_byte(w, '}');
        }
        cql_wr_byte(w, ']');
    }
    schema_text(w, "}\n");
    for (uint32_t i = 0; i < ks->ntables; i++) {
        schema_table(w, &ks->tables[i]);
    }
    for (uint32_t i = 0; i < ks->nviews; i++) {
        schema_table(w, &ks->views[i]);
    }
    for (uint32_t i = 0; i < ks->nudts; i++) {
        const struct cass_meta_udt *u = &ks->udts[i];

        schema_text(w, "{\"udt\": ");
        schema_str(w, u->name.p, u->name.len);
        schema_text(w, ", \"fields\": [");
        for (uint16_t f = 0; f < u->type->n; f++) {
            schema_text(w, f > 0 ? ", {\"name\": " : "{\"name\": ");
            schema_str(w, u->type->field_names[f].p, u->type->field_names[f].len);
            schema_text(w, ", \"typeDefinition\": ");
            schema_str(w, u->field_types[f].p, u->field_types[f].len);
            cql_wr_byte(w, '}');
        }
        schema_text(w, "]}\n");
    }
    for (uint32_t i = 0; i < ks->nindexes; i++) {
        const struct cass_meta_index *x = &ks->indexes[i];

        schema_text(w, "{\"index\": ");
        schema_str(w, x->name.p, x->name.len);
        schema_text(w, ", \"table\": ");
        schema_str(w, x->table_name.p, x->table_name.len);
        schema_text(w, ", \"kind\": ");
        schema_str(w, x->kind.p, x->kind.len);
        schema_text(w, ", \"options\": ");
        schema_options(w, x->options, x->noptions);
        schema_text(w, "}\n");
    }
    return true;
}

static void
schema_error(int status, const char *message)
{
    app.exit_code = 2;
    printf("{\"error\": \"%s\", \"code\": %d, \"message\": \"", err_name(status), status);
    for (const char *p = message; *p != '\0'; p++) {
        if (*p == '"' || *p == '\\') {
            putchar('\\');
        }
        if ((unsigned char)*p >= 0x20) {
            putchar(*p);
        }
    }
    printf("\"}\n");
}

static void
on_schema_keyspace(void *data, int status, const char *message, struct cass_meta *m)
{
    bool found;

    (void)data;
    if (status != 0) {
        schema_error(status, message);
    } else {
        found = schema_render(m, &schema_one);
        if (schema_one.err != 0 || schema_full.err != 0) {
            schema_error(E_INVALID, "cannot render the schema as JSON");
        } else if (schema_one.len != schema_full.len
                   || memcmp(schema_one.p, schema_full.p, schema_full.len) != 0) {
            fwrite(schema_full.p, 1, schema_full.len, stdout);
            schema_error(E_INVALID, "the keyspace reloaded alone differs from the full load");
        } else {
            fwrite(schema_one.p, 1, schema_one.len, stdout);
            if (!found) {
                app.exit_code = 2;
            }
        }
        cass_meta_unref(m);
    }
    free(schema_full.p);
    free(schema_one.p);
    run_next();
}

static void
on_schema_full(void *data, int status, const char *message, struct cass_meta *m)
{
    int rc;

    (void)data;
    if (status != 0) {
        schema_error(status, message);
        run_next();
        return;
    }
    (void)schema_render(m, &schema_full);
    rc = cass_schema_load_keyspace(app.conn, &app.cache, schema_keyspace, strlen(schema_keyspace),
                                   m, on_schema_keyspace, NULL);
    cass_meta_unref(m);
    if (rc != 0) {
        free(schema_full.p);
        schema_error(rc, "cannot start loading the keyspace");
        run_next();
    }
}

/* Loads the schema and prints --schema's keyspace, then goes on with the statements. */
static void
schema_start(void)
{
    int rc;

    cql_wr_init(&schema_full, NULL, 0, on_grow, NULL);
    cql_wr_init(&schema_one, NULL, 0, on_grow, NULL);
    rc = cass_schema_load(app.conn, &app.cache, on_schema_full, NULL);
    if (rc != 0) {
        schema_error(rc, "cannot start loading the schema");
        run_next();
    }
}

static void
on_ready(struct cass_conn *c, int status)
{
    if (status != 0) {
        fprintf(stderr, "cqlc: %s\n", cass_conn_error(c));
        app.exit_code = 1;
        app.conn = NULL;
        return;
    }
    if (app.info) {
        printf("{\"protocol\": %d, \"compression\": \"%s\"}\n", cass_conn_version(c),
               cass_conn_lz4(c) ? "lz4" : "none");
    }
    if (schema_keyspace != NULL) {
        schema_start();
        return;
    }
    if (app.repeat > 0) {
        for (long i = 0; i < app.nworkers && app.issued < app.repeat; i++) {
            start_worker(&app.workers[i]);
        }
        return;
    }
    run_next();
}

static void
usage(void)
{
    fputs("usage: cqlc [--host H] [--port P] [-u USER -p PASSWORD] [--protocol 4|5]\n"
          "            [--compression lz4] [--consistency CL] [--page-size N] [--simple]\n"
          "            [--repeat N [--concurrency M]] [--timeout MS] [--info] [--stats]\n"
          "            [--schema KEYSPACE] -e STATEMENT [-b VALUE]... [-e STATEMENT ...]\n",
          stderr);
    exit(1);
}

int
main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "host", required_argument, NULL, 'H' },
        { "port", required_argument, NULL, 'P' },
        { "user", required_argument, NULL, 'u' },
        { "password", required_argument, NULL, 'p' },
        { "protocol", required_argument, NULL, 'V' },
        { "compression", required_argument, NULL, 'z' },
        { "consistency", required_argument, NULL, 'c' },
        { "page-size", required_argument, NULL, 's' },
        { "simple", no_argument, NULL, 'S' },
        { "repeat", required_argument, NULL, 'r' },
        { "concurrency", required_argument, NULL, 'n' },
        { "timeout", required_argument, NULL, 't' },
        { "info", no_argument, NULL, 'i' },
        { "stats", no_argument, NULL, 'x' },
        { "execute", required_argument, NULL, 'e' },
        { "bind", required_argument, NULL, 'b' },
        { "bind-raw", required_argument, NULL, 'B' },
        { "schema", required_argument, NULL, 'K' },
        { NULL, 0, NULL, 0 },
    };
    struct cass_conn_opts opts;
    int ch;
    int rc;

    memset(&opts, 0, sizeof(opts));
    opts.host = "127.0.0.1";
    opts.port = 9042;
    app.consistency = CQL_CL_LOCAL_ONE;
    app.timeout_ms = 10000;
    log_level_current = LOG_ERROR;
    while ((ch = getopt_long(argc, argv, "H:P:u:p:e:b:B:", longopts, NULL)) != -1) {
        struct stmt *st = app.nstmts > 0 ? &app.stmts[app.nstmts - 1] : NULL;

        switch (ch) {
        case 'H': opts.host = optarg; break;
        case 'P': opts.port = atoi(optarg); break;
        case 'u': opts.user = optarg; break;
        case 'p': opts.password = optarg; break;
        case 'V': opts.version = atoi(optarg); break;
        case 'z': opts.lz4 = strcmp(optarg, "lz4") == 0; break;
        case 'c':
            app.consistency = cql_consistency_parse(optarg, strlen(optarg));
            if (app.consistency < 0) {
                usage();
            }
            break;
        case 's': app.page_size = atoi(optarg); break;
        case 'S': app.simple = true; break;
        case 'r': app.repeat = atol(optarg); break;
        case 'n': app.concurrency = atol(optarg); break;
        case 't': app.timeout_ms = (uint64_t)atol(optarg); break;
        case 'i': app.info = true; break;
        case 'x': app.stats = true; break;
        case 'K': schema_keyspace = optarg; break;
        case 'e':
            if (app.nstmts == MAX_STMTS) {
                usage();
            }
            app.stmts[app.nstmts++].cql = optarg;
            break;
        case 'b':
        case 'B':
            if (st == NULL || st->nbinds == MAX_BINDS) {
                usage();
            }
            st->raw[st->nbinds] = ch == 'B';
            st->binds[st->nbinds++] = optarg;
            break;
        default:
            usage();
        }
    }
    if ((app.nstmts == 0 && schema_keyspace == NULL) || optind != argc
        || (opts.version != 0 && opts.version != 4 && opts.version != 5)) {
        usage();
    }
    opts.connect_timeout_ms = app.timeout_ms;
    app.nworkers = app.repeat > 0 ? (app.concurrency > 0 ? app.concurrency : 1) : 1;
    if (app.nworkers > CASS_MAX_STREAMS - 1) {
        app.nworkers = CASS_MAX_STREAMS - 1;
    }
    app.workers = xcalloc((size_t)app.nworkers, sizeof(*app.workers));
    for (long i = 0; i < app.nworkers; i++) {
        cql_wr_init(&app.workers[i].values, NULL, 0, on_grow, NULL);
    }
    cql_wr_init(&app.line, NULL, 0, on_grow, NULL);
    cass_pcache_init(&app.cache, 1024);
    uv_loop_init(&app.loop);
    app.conn = cass_conn_create(&app.loop, &opts);
    rc = cass_conn_start(app.conn, on_ready, NULL);
    if (rc != 0) {
        fprintf(stderr, "cqlc: %s\n", uv_strerror(rc));
        return 1;
    }
    uv_run(&app.loop, UV_RUN_DEFAULT);
    cass_pcache_deinit(&app.cache);
    for (long i = 0; i < app.nworkers; i++) {
        free(app.workers[i].values.p);
    }
    free(app.workers);
    free(app.line.p);
    if (uv_loop_close(&app.loop) != 0) {
        fprintf(stderr, "cqlc: the loop still had handles open at exit\n");
        return 3;
    }
    return app.exit_code;
}
