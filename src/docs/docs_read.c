/*
 * docs_read.c: reading a document or a subtree back from its rows (see docs_read.h).
 */
#include "docs/docs_read.h"

#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "cql_resp.h"

/* Appends the string literal S to the writer W. */
#define WR_LIT(w, s) cql_wr_raw((w), (s), sizeof(s) - 1)

static void read_page(struct docs_read *r);

/* Whether IN is kept: FIELDS are relative to the path, so the row is matched past it. */
static bool
kept(const struct docs_read *r, const struct doc_shred_in *in)
{
    struct doc_shred_in rel;

    if (r->fields == NULL || r->fields->n == 0) {
        return true;
    }
    if (r->npath == 0) {
        return doc_shred_fields_match(r->fields, in);
    }
    rel = *in;
    for (size_t i = 0; i < DOC_SHRED_DEPTH; i++) {
        rel.p[i] = i + r->npath < DOC_SHRED_DEPTH ? in->p[i + r->npath] : (struct cql_str){ "", 0 };
    }
    return doc_shred_fields_match(r->fields, &rel);
}

static void
on_read_page(struct cass_query *q, const struct cass_result *res)
{
    struct docs_read *r = container_of(q, struct docs_read, q);
    struct cql_bytes cells[DOC_SHRED_NCELLS];
    const struct cql_rows_meta *meta = &res->result.meta;
    struct doc_shred_in in;
    struct cql_rd rows;

    if (res->status != 0) {
        cass_query_release(q);
        r->done(r, res->status, &res->error);
        return;
    }
    if (res->result.kind != CQL_RESULT_ROWS || res->ncols != DOC_SHRED_NCELLS) {
        cass_query_release(q);
        r->done(r, E_PROTOCOL, NULL);
        return;
    }
    cql_rd_init(&rows, res->result.rows, res->result.rows_len);
    for (int32_t i = 0; i < res->result.rows_count; i++) {
        if (cql_rows_next(&rows, DOC_SHRED_NCELLS, cells) != 0) {
            cass_query_release(q);
            r->done(r, E_PROTOCOL, NULL);
            return;
        }
        doc_shred_cells(cells, &in);
        r->nrows++;
        if (kept(r, &in)) {
            doc_shred_asm_row(&r->doc, &in);
        }
    }
    r->pages++;
    r->page.len = CQL_NULL;
    if ((meta->flags & CQL_MF_HAS_MORE_PAGES) != 0 && meta->paging_state.len > 0) {
        r->page.p = arena_memdup(&r->req->arena, meta->paging_state.p,
                                 (size_t)meta->paging_state.len);
        r->page.len = meta->paging_state.len;
    }
    cass_query_release(q);
    if (r->page.len != CQL_NULL) {
        read_page(r);
        return;
    }
    r->done(r, 0, NULL);
}

/* Asks for the next page of rows (the first one when there is no state). */
static void
read_page(struct docs_read *r)
{
    int rc;

    if (!docs_api_query_setup(r->req, &r->q, &r->cql, &r->vals, r->nvals, on_read_page)) {
        r->done(r, E_NOTREADY, NULL);
        return;
    }
    r->q.params.page_size = DOCS_READ_PAGE_ROWS;
    r->q.params.paging_state = r->page;
    rc = cass_query_run(&r->q);
    if (rc != 0) {
        cass_query_release(&r->q);
        r->done(r, rc, NULL);
    }
}

void
docs_read_start(struct docs_read *r, struct http_req *req, const struct docs_names *n,
                const char *id, size_t id_len, const struct cql_str *path, size_t npath,
                const struct doc_shred_fields *fields, docs_read_cb done)
{
    char buf[24];

    r->req = req;
    r->path = path;
    r->npath = npath;
    r->fields = fields;
    r->nrows = 0;
    r->pages = 0;
    r->page.len = CQL_NULL;
    r->done = done;
    doc_shred_asm_init(&r->doc, &req->arena);
    api_arena_wr(&r->cql, &req->arena);
    WR_LIT(&r->cql, "SELECT ");
    doc_shred_columns(&r->cql);
    WR_LIT(&r->cql, ", WRITETIME(leaf) FROM ");
    docs_api_table_name(&r->cql, n);
    WR_LIT(&r->cql, " WHERE key = ?");
    api_arena_wr(&r->vals, &req->arena);
    cql_wr_bytes(&r->vals, id, (int32_t)id_len);
    for (size_t i = 0; i < npath; i++) {
        int len = snprintf(buf, sizeof(buf), " AND p%zu = ?", i);

        cql_wr_raw(&r->cql, buf, (size_t)len);
        cql_wr_bytes(&r->vals, path[i].p, (int32_t)path[i].len);
    }
    r->nvals = (uint16_t)(1 + npath);
    if (r->cql.err != 0 || r->vals.err != 0) {
        done(r, E_INVALID, NULL);
        return;
    }
    read_page(r);
}

int
docs_read_value(struct docs_read *r, int status, const struct cql_error *err, const char *id,
                size_t id_len, const struct docs_path *path, struct cql_wr *val)
{
    struct cql_wr msg;
    int rc = E_INVALID;

    if (status != 0) {
        api_respond_cass_error(r->req, status, err);
        return -1;
    }
    api_arena_wr(val, &r->req->arena);

    if (r->nrows > 0) {
        rc = doc_shred_asm_write_at(&r->doc, path->seg, path->n, val);
    }
    if (rc == E_INVALID && path->n == 0) {
        docs_api_fail(r->req, 404, "A document with the id ", id, id_len, " does not exist.");
        return -1;
    }
    if (rc == E_INVALID) {
        api_arena_wr(&msg, &r->req->arena);
        WR_LIT(&msg, "A path ");
        docs_api_path_text(&msg, path);
        WR_LIT(&msg, " in a document with the id ");
        cql_wr_raw(&msg, id, id_len);
        WR_LIT(&msg, ", or the document itself, does not exist.");
        http_respond_error_n(r->req, 404, (const char *)msg.p, msg.len, NULL);
        return -1;
    }
    if (rc != 0 || val->err != 0) {
        http_respond_error(r->req, 500, "Internal error: the document could not be written out",
                           NULL);
        return -1;
    }
    return 0;
}

void
docs_read_prof_step(struct docs_read *r, struct docs_prof_step *st)
{
    struct docs_prof *q = arena_alloc(&r->req->arena, sizeof(*q));

    *q = (struct docs_prof){ (const char *)r->cql.p, r->cql.len, r->pages, r->nrows };
    st->desc = "GetFullDocument";
    st->desc_len = strlen(st->desc);
    st->queries = q;
    st->n = 1;
}
