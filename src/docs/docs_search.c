/*
 * docs_search.c: searching a collection (spec/documents-v2.md 1.3.2 and 3): GET /{coll} with
 * `where`, `fields`, `page-size`, `page-state`, `profile` and `raw`.
 *
 * Stargate ran one query per filter, then one existence query per candidate document and per
 * remaining filter, one after the other, and scanned the whole table for $ne, $nin and
 * $exists:false. On Cassandra 5.0 the collection's four indexes are SAI, and SAI answers a
 * query that restricts several indexed columns at once, a token range, and (with ALLOW
 * FILTERING) the clustering p columns. So a search runs as:
 *
 *     where --doc_where_parse--> tree --doc_where_driver--> one top-level condition
 *       driver: SELECT key, token(key) FROM t WHERE leaf = ? AND p0 = ? .. AND p<n> = ?
 *               [AND p<n+1> = ''] [AND <value column> <op> ?] [AND token(key) >= ?] ALLOW FILTERING
 *         (no driver: SELECT DISTINCT key, token(key) FROM t [WHERE token(key) >= ?], a scan)
 *       --candidate keys, in token order, deduplicated--> a window of them fetched at once
 *         (SELECT <columns>, WRITETIME(leaf) FROM t WHERE key = ?, all in flight together)
 *       --each document's rows--> doc_where_feed (the whole `where`) and the `fields` filter
 *       --documents that match, in token order--> {"pageState":..,"data":{id: doc, ..}}
 *
 * The page state is ours (the spec allows it): URL-safe Base64 of a version byte, the token of
 * the last document returned and its key. The next page restarts the driver at that token and
 * skips keys up to that one, so paging neither repeats nor skips a document, however many rows
 * each document has on the filtered path, and whatever the data did in between.
 */
#include "docs/docs_search.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/auth.h"
#include "api/cql_json.h"
#include "cass/cass_query.h"
#include "core/json_w.h"
#include "cql_resp.h"
#include "cql_value.h"
#include "docs/doc_shred.h"
#include "docs/doc_where.h"
#include "docs/docs_api.h"

/* Appends the string literal S to the writer W. */
#define WR_LIT(w, s) cql_wr_raw((w), (s), sizeof(s) - 1)

#define DOCUMENTS "/v2/namespaces/{ks}/collections/{t}"

/* The page-state format's version byte. */
#define STATE_VERSION 1

struct search;

/* One candidate document being fetched. */
struct fetch {
    struct search         *s;       /* the search */
    struct cass_query      q;       /* its SELECT ... WHERE key = ? */
    struct cql_wr          vals;    /* the key, bound (arena) */
    const char            *key;     /* the document id (arena) */
    size_t                 key_len; /* its length */
    int64_t                token;   /* token(key) */
    struct cql_bytes       page;    /* the next page's state, or none */
    struct doc_shred_asm   doc;     /* the document, `fields` applied */
    struct doc_where_state st;      /* what its rows said about `where` */
    size_t                 rows;    /* rows read */
};

/* One candidate from the driver. */
struct cand {
    const char *key;                /* the document id (arena) */
    size_t      len;                /* its length */
    int64_t     token;              /* token(key) */
};

/* One driver query: an index query of one condition, or the scan of the keys. */
struct drv {
    struct search              *s;      /* the search */
    const struct doc_where_expr *leaf;  /* its condition, or NULL for the scan */
    uint8_t                     push;   /* enum doc_where_push */
    const struct doc_where_expr **also; /* leaves whose value predicates join leaf's */
    size_t                      nalso;  /* how many */
    struct cass_query           q;      /* the statement */
    struct cql_wr               cql;    /* its text (arena) */
    struct cql_wr               vals;   /* its values (arena) */
    uint16_t                    nvals;  /* how many */
    struct cql_bytes            page;   /* the next page's state, or none */
    int32_t                     ask;    /* rows its next page asks for */
    bool                        done;   /* no more pages */
    struct cand                *c;      /* candidates of the current page */
    size_t                      nc;     /* how many */
    size_t                      next;   /* the first not merged yet */
    const char                 *last;   /* the last key read (a document's rows come together) */
    size_t                      last_len; /* its length */
    uint64_t                    execs;  /* pages read, for the profile */
    uint64_t                    rows;   /* rows read, for the profile */
};

/* A search (in the request's arena, at req->data). */
struct search {
    struct http_req         *req;        /* the request */
    struct docs_names        n;          /* namespace and collection */
    int32_t                  page_size;  /* documents per page */
    bool                     raw;        /* raw=true */
    bool                     profile;    /* profile=true */
    struct doc_where         w;          /* the parsed `where` (no root: none) */
    struct doc_shred_fields  fields;     /* `fields` (n == 0: every row) */
    bool                     has_after;  /* resuming after a page state */
    int64_t                  after_tok;  /* its token */
    struct cql_str           after_key;  /* its key */
    struct drv              *drv;        /* the driver queries (several for an $or) */
    size_t                   ndrv;       /* how many */
    size_t                   dpending;   /* driver pages not answered yet */
    struct cand             *c;          /* merged candidates not fetched yet */
    size_t                   nc;         /* how many */
    size_t                   next;       /* the first not fetched yet */
    size_t                   ccap;       /* slots in c */
    bool                     ddone;      /* every driver is done and merged */
    struct fetch            *win;        /* the window being fetched */
    size_t                   nwin;       /* its size */
    size_t                   pending;    /* fetches not answered yet */
    int                      status;     /* the first failure, or 0 */
    struct docs_failure      fail;       /* it, rendered */
    struct fetch           **hits;       /* matching documents, in order */
    size_t                   nhits;      /* how many */
    bool                     more;       /* a page state goes out */
    struct cql_wr            fcql;       /* the document SELECT's text (arena) */
    struct docs_prof         pf;         /* the document fetches, for the profile */
};

static void driver_page(struct search *s);
static void window_next(struct search *s);

/* ---- the answer ------------------------------------------------------------------------------ */

/* The profile (5.4): one step per driver query, then the documents' loading. */
static struct cql_str
search_profile(struct search *s)
{
    struct docs_prof_step *st = arena_alloc(&s->req->arena, (s->ndrv + 1) * sizeof(*st));
    struct docs_prof *q = arena_alloc(&s->req->arena, (s->ndrv + 1) * sizeof(*q));

    for (size_t i = 0; i < s->ndrv; i++) {
        const struct drv *d = &s->drv[i];
        struct cql_wr desc;

        api_arena_wr(&desc, &s->req->arena);
        if (d->leaf == NULL) {
            WR_LIT(&desc, "LoadAllDocuments");
        } else {
            if (d->push == DOC_WHERE_PUSH_VALUE) {
                WR_LIT(&desc, "FILTER: ");
            } else {
                WR_LIT(&desc, "FILTER IN MEMORY: ");
            }
            doc_where_describe(d->leaf, &desc);
            for (size_t k = 0; k < d->nalso; k++) {
                WR_LIT(&desc, " AND ");
                doc_where_describe(d->also[k], &desc);
            }
        }
        q[i] = (struct docs_prof){ (const char *)d->cql.p, d->cql.len, d->execs, d->rows };
        st[i] = (struct docs_prof_step){ (const char *)desc.p, desc.len, &q[i], 1 };
    }
    q[s->ndrv] = s->pf;
    st[s->ndrv] = (struct docs_prof_step){ "LoadProperties", strlen("LoadProperties"),
                                           &q[s->ndrv], 1 };
    return docs_api_profile(s->req, st, s->ndrv + 1);
}

/* The page state after document F: version, token, key; URL-safe Base64 with padding. */
static void
write_state(struct jw *j, const struct fetch *f)
{
    uint8_t raw[9];
    struct cql_wr bin, b64;

    raw[0] = STATE_VERSION;
    cql_put_be64(raw + 1, (uint64_t)f->token);
    api_arena_wr(&bin, &f->s->req->arena);
    cql_wr_raw(&bin, raw, sizeof(raw));
    cql_wr_raw(&bin, f->key, f->key_len);
    api_arena_wr(&b64, &f->s->req->arena);
    cql_base64_encode(&b64, bin.p, bin.len);
    for (size_t i = 0; i < b64.len; i++) {
        if (b64.p[i] == '+') {
            b64.p[i] = '-';
        } else if (b64.p[i] == '/') {
            b64.p[i] = '_';
        }
    }
    jw_string_n(j, (const char *)b64.p, b64.len);
}

static void
write_data(struct search *s, struct jw *j)
{
    jw_object_begin(j);
    for (size_t i = 0; i < s->nhits; i++) {
        struct cql_wr *out;

        jw_key_n(j, s->hits[i]->key, s->hits[i]->key_len);
        out = jw_value(j);
        if (out != NULL) {
            int rc = doc_shred_asm_write(&s->hits[i]->doc, out);

            if (rc != 0) {
                jw_fail(j, rc);
            }
        }
    }
    jw_object_end(j);
}

static void
answer(struct search *s)
{
    struct cql_wr body;
    struct jw j;

    if (s->status != 0) {
        docs_api_respond_failure(s->req, &s->fail);
        return;
    }
    http_body_init(&body);
    jw_init(&j, &body);
    if (s->raw) {
        write_data(s, &j);
    } else {
        jw_object_begin(&j);
        if (s->more && s->nhits > 0) {
            jw_key(&j, "pageState");
            write_state(&j, s->hits[s->nhits - 1]);
        }
        jw_key(&j, "data");
        write_data(s, &j);
        if (s->profile) {
            struct cql_str prof = search_profile(s);

            jw_key(&j, "profile");
            jw_raw(&j, prof.p, prof.len);
        }
        jw_object_end(&j);
    }
    if (jw_finish(&j) != 0 && body.err == 0) {
        body.err = E_INVALID;
    }
    http_respond_json(s->req, 200, &body);
}

/* ---- statements ------------------------------------------------------------------------------ */

/*
 * Sets Q up (docs_api_query_setup) and sends it for one page of PAGE_SIZE rows from PAGE. Returns 0, or
 * the code of what could not be sent (Q released).
 */
static int
query_send(struct http_req *req, struct cass_query *q, const struct cql_wr *text,
           const struct cql_wr *vals, uint16_t nvals, struct cql_bytes page, int32_t page_size,
           cass_query_cb done)
{
    int rc;

    if (!docs_api_query_setup(req, q, text, vals, nvals, done)) {
        return E_NOTREADY;
    }
    q->params.page_size = page_size;
    q->params.paging_state = page;
    rc = cass_query_run(q);
    if (rc != 0) {
        cass_query_release(q);
    }
    return rc;
}

/* Records the first failure of the search (STATUS, with ERR when the server answered). */
static void
search_fail(struct search *s, int status, const struct cql_error *err)
{
    if (s->status == 0) {
        s->status = status;
        docs_api_failure(s->req, status, err, &s->fail);
    }
}

/* ---- fetching the candidates ----------------------------------------------------------------- */

static void fetch_send(struct fetch *f);

/* Once every fetch of the window answered: keeps the matches in order, then goes on. */
static void
window_done(struct search *s)
{
    if (s->status != 0) {
        answer(s);
        return;
    }
    for (size_t i = 0; i < s->nwin; i++) {
        struct fetch *f = &s->win[i];

        if (f->rows == 0 || !doc_where_result(&s->w, &f->st)) {
            continue;
        }
        s->hits[s->nhits++] = f;
        if (s->nhits == (size_t)s->page_size && i + 1 < s->nwin) {
            s->more = true;
            answer(s);
            return;
        }
    }
    window_next(s);
}

static void
on_fetch(struct cass_query *q, const struct cass_result *res)
{
    struct fetch *f = container_of(q, struct fetch, q);
    struct search *s = f->s;
    const struct cql_rows_meta *meta = &res->result.meta;
    struct cql_bytes cells[DOC_SHRED_NCELLS];
    struct doc_shred_in in;
    struct cql_rd rows;

    if (res->status != 0) {
        search_fail(s, res->status, &res->error);
    } else if (res->result.kind != CQL_RESULT_ROWS || res->ncols != DOC_SHRED_NCELLS) {
        search_fail(s, E_PROTOCOL, NULL);
    }
    if (s->status != 0) {
        cass_query_release(q);
        if (--s->pending == 0) {
            window_done(s);
        }
        return;
    }
    s->pf.execs++;
    s->pf.rows += (uint64_t)res->result.rows_count;
    cql_rd_init(&rows, res->result.rows, res->result.rows_len);
    for (int32_t i = 0; i < res->result.rows_count; i++) {
        if (cql_rows_next(&rows, DOC_SHRED_NCELLS, cells) != 0) {
            break;
        }
        doc_shred_cells(cells, &in);
        f->rows++;
        doc_where_feed(&s->w, &f->st, &in);
        if (doc_shred_fields_match(&s->fields, &in)) {
            doc_shred_asm_row(&f->doc, &in);
        }
    }
    f->page.len = CQL_NULL;
    if ((meta->flags & CQL_MF_HAS_MORE_PAGES) != 0 && meta->paging_state.len > 0) {
        f->page.p = arena_memdup(&s->req->arena, meta->paging_state.p,
                                 (size_t)meta->paging_state.len);
        f->page.len = meta->paging_state.len;
    }
    cass_query_release(q);
    if (f->page.len != CQL_NULL) {
        fetch_send(f);
        return;
    }
    if (--s->pending == 0) {
        window_done(s);
    }
}

/* Sends F's next page (its first when it has no state). */
static void
fetch_send(struct fetch *f)
{
    struct search *s = f->s;
    int rc = query_send(s->req, &f->q, &s->fcql, &f->vals, 1, f->page, DOCS_SEARCH_DOC_ROWS,
                        on_fetch);

    if (rc != 0) {
        search_fail(s, rc, NULL);
        if (--s->pending == 0) {
            window_done(s);
        }
    }
}

/*
 * Fetches the next candidates all at once: as many as the page still needs when every
 * candidate matches for sure (the driver is the whole `where` and has no globs), else twice as
 * many, up to DOCS_SEARCH_WINDOW. With no candidate left, reads the driver's next page, or
 * answers. A full page answers with a page state only when a candidate follows it (reading the
 * driver's next page to know), so the last page has none.
 */
static void
window_next(struct search *s)
{
    size_t need = (size_t)s->page_size - s->nhits;
    bool exact = s->ndrv == 1 && s->drv[0].leaf != NULL && s->drv[0].push == DOC_WHERE_PUSH_VALUE
                 && s->w.nleaves == 1 + s->drv[0].nalso && !s->drv[0].leaf->path->glob;
    size_t want = exact ? need : need * 2;

    if (need == 0) {
        /* the page is full: a page state goes out when a candidate follows, read ahead for */
        if (s->next < s->nc || s->ddone) {
            s->more = s->next < s->nc;
            answer(s);
        } else {
            driver_page(s);
        }
        return;
    }
    if (s->next == s->nc) {
        if (s->ddone) {
            s->more = false;
            answer(s);
            return;
        }
        driver_page(s);
        return;
    }
    if (want > DOCS_SEARCH_WINDOW) {
        want = DOCS_SEARCH_WINDOW;
    }
    if (want > s->nc - s->next) {
        want = s->nc - s->next;
    }
    s->win = arena_alloc(&s->req->arena, want * sizeof(*s->win));
    s->nwin = want;
    s->pending = want;
    for (size_t i = 0; i < want; i++) {
        struct fetch *f = &s->win[i];
        const struct cand *c = &s->c[s->next++];

        memset(f, 0, sizeof(*f));
        f->s = s;
        f->key = c->key;
        f->key_len = c->len;
        f->token = c->token;
        f->page.len = CQL_NULL;
        doc_shred_asm_init(&f->doc, &s->req->arena);
        doc_where_state_init(&s->w, &f->st, &s->req->arena);
        api_arena_wr(&f->vals, &s->req->arena);
        cql_wr_bytes(&f->vals, f->key, (int32_t)f->key_len);
    }
    for (size_t i = 0; i < want; i++) {
        fetch_send(&s->win[i]);
    }
}

/* ---- the drivers ----------------------------------------------------------------------------- */

/* Orders two candidates as Cassandra orders partitions: by token, then by key bytes. */
static int
cand_cmp(int64_t ta, const char *ka, size_t la, int64_t tb, const char *kb, size_t lb)
{
    size_t n = la < lb ? la : lb;
    int c;

    if (ta != tb) {
        return ta < tb ? -1 : 1;
    }
    c = n > 0 ? memcmp(ka, kb, n) : 0;
    if (c != 0) {
        return c;
    }
    return la < lb ? -1 : la > lb ? 1 : 0;
}

/* Whether candidate (TOKEN, KEY) comes after the page state's document. */
static bool
after_state(const struct search *s, int64_t token, const char *key, size_t len)
{
    return !s->has_after
           || cand_cmp(token, key, len, s->after_tok, s->after_key.p, s->after_key.len) > 0;
}

static void
cand_push(struct search *s, const struct cand *c)
{
    if (s->nc == s->ccap) {
        size_t cap = s->ccap == 0 ? 64 : s->ccap * 2;
        struct cand *v = arena_alloc(&s->req->arena, cap * sizeof(*v));

        if (s->nc > 0) {
            memcpy(v, s->c, s->nc * sizeof(*v));
        }
        s->c = v;
        s->ccap = cap;
    }
    s->c[s->nc++] = *c;
}

/*
 * Merges the drivers' pages into the candidate list, in partition order and without repeats,
 * for as long as every driver that has more rows still has some of them here: a driver whose
 * page ran out must read its next page before anything after its last row can be ordered.
 */
static void
merge(struct search *s)
{
    s->nc = 0;
    s->next = 0;
    for (;;) {
        struct drv *min = NULL;
        const struct cand *c;

        for (size_t i = 0; i < s->ndrv; i++) {
            struct drv *d = &s->drv[i];

            if (d->next == d->nc) {
                if (!d->done) {
                    return;
                }
                continue;
            }
            if (min == NULL
                || cand_cmp(d->c[d->next].token, d->c[d->next].key, d->c[d->next].len,
                            min->c[min->next].token, min->c[min->next].key,
                            min->c[min->next].len) < 0) {
                min = d;
            }
        }
        if (min == NULL) {
            s->ddone = true;
            return;
        }
        c = &min->c[min->next];
        for (size_t i = 0; i < s->ndrv; i++) {
            struct drv *d = &s->drv[i];

            if (d->next < d->nc
                && cand_cmp(d->c[d->next].token, d->c[d->next].key, d->c[d->next].len, c->token,
                            c->key, c->len) == 0 && d != min) {
                d->next++;
            }
        }
        cand_push(s, c);
        min->next++;
    }
}

static void drv_send(struct drv *d);

static void
on_driver(struct cass_query *q, const struct cass_result *res)
{
    struct drv *d = container_of(q, struct drv, q);
    struct search *s = d->s;
    const struct cql_rows_meta *meta = &res->result.meta;
    struct cql_bytes cells[2];
    struct cql_rd rows;

    if (res->status != 0) {
        search_fail(s, res->status, &res->error);
    } else if (res->result.kind != CQL_RESULT_ROWS || res->ncols != 2) {
        search_fail(s, E_PROTOCOL, NULL);
    }
    if (s->status != 0) {
        cass_query_release(q);
        if (--s->dpending == 0) {
            answer(s);
        }
        return;
    }
    d->execs++;
    d->rows += (uint64_t)res->result.rows_count;
    d->c = arena_alloc(&s->req->arena,
                       (size_t)(res->result.rows_count > 0 ? res->result.rows_count : 1)
                           * sizeof(*d->c));
    d->nc = 0;
    d->next = 0;
    cql_rd_init(&rows, res->result.rows, res->result.rows_len);
    for (int32_t i = 0; i < res->result.rows_count; i++) {
        struct cand *c = &d->c[d->nc];
        int64_t token;

        if (cql_rows_next(&rows, 2, cells) != 0 || cells[0].len < 0 || cells[1].len != 8) {
            continue;
        }
        token = (int64_t)cql_be64(cells[1].p);
        if (d->last != NULL && d->last_len == (size_t)cells[0].len
            && memcmp(d->last, cells[0].p, d->last_len) == 0) {
            continue;
        }
        if (!after_state(s, token, (const char *)cells[0].p, (size_t)cells[0].len)) {
            continue;
        }
        c->key = arena_memdup(&s->req->arena, cells[0].p, (size_t)cells[0].len);
        c->len = (size_t)cells[0].len;
        c->token = token;
        d->last = c->key;
        d->last_len = c->len;
        d->nc++;
    }
    d->done = true;
    d->page.len = CQL_NULL;
    if ((meta->flags & CQL_MF_HAS_MORE_PAGES) != 0 && meta->paging_state.len > 0) {
        d->page.p = arena_memdup(&s->req->arena, meta->paging_state.p,
                                 (size_t)meta->paging_state.len);
        d->page.len = meta->paging_state.len;
        d->done = false;
    }
    cass_query_release(q);
    if (--s->dpending > 0) {
        return;
    }
    if (s->status != 0) {
        answer(s);
        return;
    }
    merge(s);
    window_next(s);
}

/*
 * Sends D's next page (its first when it has no state): page-size + 1 rows first, which is the
 * whole page and the sign of a next one when every candidate matches, then twice as many each
 * time up to DOCS_SEARCH_DRIVER_ROWS, as Stargate pages its queries. An index query costs the
 * node in proportion to the rows it is asked for.
 */
static void
drv_send(struct drv *d)
{
    struct search *s = d->s;
    int rc = query_send(s->req, &d->q, &d->cql, &d->vals, d->nvals, d->page, d->ask,
                        on_driver);

    d->ask = d->ask < DOCS_SEARCH_DRIVER_ROWS / 2 ? d->ask * 2 : DOCS_SEARCH_DRIVER_ROWS;

    if (rc != 0) {
        search_fail(s, rc, NULL);
        if (--s->dpending == 0) {
            answer(s);
        }
    }
}

/* Reads the next page of every driver that ran out of candidates and has more. */
static void
driver_page(struct search *s)
{
    size_t want = 0;

    for (size_t i = 0; i < s->ndrv; i++) {
        want += s->drv[i].next == s->drv[i].nc && !s->drv[i].done ? 1 : 0;
    }
    s->dpending = want;
    for (size_t i = 0; i < s->ndrv; i++) {
        struct drv *d = &s->drv[i];

        if (d->next == d->nc && !d->done) {
            drv_send(d);
        }
    }
}

/* Appends a bound text value. */
static void
bind_text(struct drv *d, struct cql_str v)
{
    cql_wr_bytes(&d->vals, v.p, (int32_t)v.len);
    d->nvals++;
}

/* The driver's path predicates: "p<i> = ?", "p<i> IN ?" or "p<i> > ''", then the field. */
static void
driver_path(struct drv *d, const struct doc_where_path *path)
{
    char col[48];

    WR_LIT(&d->cql, " WHERE leaf = ?");
    bind_text(d, path->field);
    for (size_t i = 0; i < path->parent.n; i++) {
        const struct doc_shred_fseg *g = &path->parent.seg[i];

        snprintf(col, sizeof(col), " AND p%zu", i);
        cql_wr_raw(&d->cql, col, strlen(col));
        if (g->kind != DOC_SHRED_FIELD_ALTS) {
            WR_LIT(&d->cql, " > ''");
        } else if (g->nalt == 1) {
            WR_LIT(&d->cql, " = ?");
            bind_text(d, g->alt[0]);
        } else {
            struct cql_wr list;

            WR_LIT(&d->cql, " IN ?");
            api_arena_wr(&list, &d->s->req->arena);
            cql_wr_int(&list, (int32_t)g->nalt);
            for (size_t k = 0; k < g->nalt; k++) {
                cql_wr_bytes(&list, g->alt[k].p, (int32_t)g->alt[k].len);
            }
            cql_wr_bytes(&d->vals, list.p, (int32_t)list.len);
            d->nvals++;
        }
    }
    snprintf(col, sizeof(col), " AND p%zu = ?", path->parent.n);
    cql_wr_raw(&d->cql, col, strlen(col));
    bind_text(d, path->field);
    if (path->parent.n + 1 < DOC_SHRED_DEPTH) {
        snprintf(col, sizeof(col), " AND p%zu = ''", path->parent.n + 1);
        cql_wr_raw(&d->cql, col, strlen(col));
    }
}

/* The driver's value predicate, e.g. " AND dbl_value < ?". */
static void
driver_value(struct drv *d, const struct doc_where_expr *l)
{
    static const char *const ops[] = {
        [DOC_WHERE_EQ] = " = ?", [DOC_WHERE_GT] = " > ?",   [DOC_WHERE_GTE] = " >= ?",
        [DOC_WHERE_LT] = " < ?", [DOC_WHERE_LTE] = " <= ?",
    };
    uint8_t be[8];

    if (l->op == DOC_WHERE_EXISTS || l->op > DOC_WHERE_LTE || l->op == DOC_WHERE_NE) {
        return;
    }
    switch (l->v.type) {
    case DOC_SHRED_STRING:
        WR_LIT(&d->cql, " AND text_value");
        cql_wr_raw(&d->cql, ops[l->op], strlen(ops[l->op]));
        cql_wr_bytes(&d->vals, l->v.s, (int32_t)l->v.len);
        break;
    case DOC_SHRED_NUMBER: {
        uint64_t bits;

        memcpy(&bits, &l->v.d, sizeof(bits));
        cql_put_be64(be, bits);
        WR_LIT(&d->cql, " AND dbl_value");
        cql_wr_raw(&d->cql, ops[l->op], strlen(ops[l->op]));
        cql_wr_bytes(&d->vals, be, 8);
        break;
    }
    default:
        /* one byte, 0 or 1, which boolean and tinyint columns both read */
        be[0] = l->v.b ? 1 : 0;
        WR_LIT(&d->cql, " AND bool_value");
        cql_wr_raw(&d->cql, ops[l->op], strlen(ops[l->op]));
        cql_wr_bytes(&d->vals, be, 1);
        break;
    }
    d->nvals++;
}

/*
 * Builds driver I of PLAN as D's statement: its leaf's index query with its companions' value
 * predicates, or the scan of the keys when PLAN has no driver.
 */
static void
driver_build(struct search *s, struct drv *d, const struct doc_where_driver *plan, size_t i)
{
    const struct doc_where_expr *leaf = plan->n > 0 ? plan->leaf[i] : NULL;
    uint8_t push = plan->n > 0 ? plan->push[i] : DOC_WHERE_PUSH_PATH;
    uint8_t be[8];

    memset(d, 0, sizeof(*d));
    d->s = s;
    d->leaf = leaf;
    d->push = push;
    d->ask = s->page_size + 1;
    if (plan->n > 0) {
        d->also = plan->also[i];
        d->nalso = plan->nalso[i];
    }
    d->page.len = CQL_NULL;
    api_arena_wr(&d->cql, &s->req->arena);
    api_arena_wr(&d->vals, &s->req->arena);
    if (leaf == NULL) {
        WR_LIT(&d->cql, "SELECT DISTINCT key, token(key) FROM ");
        docs_api_table_name(&d->cql, &s->n);
        if (s->has_after) {
            WR_LIT(&d->cql, " WHERE token(key) >= ?");
        }
    } else {
        WR_LIT(&d->cql, "SELECT key, token(key) FROM ");
        docs_api_table_name(&d->cql, &s->n);
        driver_path(d, leaf->path);
        if (push == DOC_WHERE_PUSH_VALUE) {
            driver_value(d, leaf);
            for (size_t k = 0; k < d->nalso; k++) {
                driver_value(d, d->also[k]);
            }
        }
        if (s->has_after) {
            WR_LIT(&d->cql, " AND token(key) >= ?");
        }
        WR_LIT(&d->cql, " ALLOW FILTERING");
    }
    if (s->has_after) {
        cql_put_be64(be, (uint64_t)s->after_tok);
        cql_wr_bytes(&d->vals, be, 8);
        d->nvals++;
    }
}

/* Builds the drivers, then the documents' SELECT, and starts. */
static void
search_run(struct http_req *req)
{
    struct search *s = req->data;
    struct doc_where_driver plan;
    bool bad = false;

    doc_where_driver(&s->w, &req->arena, &plan);
    s->ndrv = plan.n > 0 ? plan.n : 1;
    s->drv = arena_alloc(&req->arena, s->ndrv * sizeof(*s->drv));
    for (size_t i = 0; i < s->ndrv; i++) {
        driver_build(s, &s->drv[i], &plan, i);
        bad = bad || s->drv[i].cql.err != 0 || s->drv[i].vals.err != 0;
    }
    api_arena_wr(&s->fcql, &req->arena);
    WR_LIT(&s->fcql, "SELECT ");
    doc_shred_columns(&s->fcql);
    WR_LIT(&s->fcql, ", WRITETIME(leaf) FROM ");
    docs_api_table_name(&s->fcql, &s->n);
    WR_LIT(&s->fcql, " WHERE key = ?");
    s->pf.cql = (const char *)s->fcql.p;
    s->pf.len = s->fcql.len;
    if (bad || s->fcql.err != 0) {
        http_respond_error(req, 500, "Internal error: the statement could not be built", NULL);
        return;
    }
    if (api_conn(api_worker_of(req)) == NULL) {
        api_respond_not_ready(req);
        return;
    }
    driver_page(s);
}

/* ---- GET /{coll} ----------------------------------------------------------------------------- */

/* Reads `page-state`; false (400 answered) when it is not one of ours. */
static bool
state_of(struct search *s, const char *state)
{
    struct cql_wr w;

    api_arena_wr(&w, &s->req->arena);
    if (cql_json_base64_decode(state, strlen(state), &w) != 0 || w.err != 0 || w.len < 9
        || w.p[0] != STATE_VERSION) {
        http_respond_error(s->req, 400, "Invalid page state.", NULL);
        return false;
    }
    s->has_after = true;
    s->after_tok = (int64_t)cql_be64(w.p + 1);
    s->after_key.p = (const char *)w.p + 9;
    s->after_key.len = w.len - 9;
    return true;
}

static void
collection_search(struct http_req *req)
{
    struct search *s = arena_alloc(&req->arena, sizeof(*s));
    const char *size = http_req_query(req, "page-size");
    const char *where = http_req_query(req, "where");
    const char *fields = http_req_query(req, "fields");
    const char *state = http_req_query(req, "page-state");
    const struct cass_meta_table *t;
    struct doc_shred_err err;
    struct cass_meta *m;

    memset(s, 0, sizeof(*s));
    s->req = req;
    s->page_size = DOCS_SEARCH_PAGE_DEFAULT;
    req->data = s;
    if (docs_api_names(req, true, &s->n) != 0) {
        return;
    }
    if (size != NULL && doc_shred_parse_int(size, strlen(size), &s->page_size) != 0) {
        http_respond_error(req, 404, "HTTP 404 Not Found", NULL);
        return;
    }
    if (s->page_size < 1) {
        http_respond_error(req, 400, "Request invalid: the minimum number of documents to return "
                           "is one.", NULL);
        return;
    }
    if (s->page_size > DOCS_SEARCH_PAGE_MAX) {
        http_respond_error(req, 400, "Request invalid: the max number of documents to return is "
                           "20.", NULL);
        return;
    }
    s->raw = api_raw(req);
    s->profile = docs_api_profile_wanted(req);
    if (docs_api_collection(req, &s->n, false, &m, &t) != DOCS_COLL_FOUND) {
        return;
    }
    cass_meta_unref(m);
    if (where != NULL
        && doc_where_parse(where, strlen(where), NULL, 0, &req->arena, &s->w, &err) != 0) {
        http_respond_error_n(req, 400, err.desc, err.len, NULL);
        return;
    }
    if (fields != NULL
        && doc_shred_fields_parse(fields, strlen(fields), &req->arena, &s->fields, &err) != 0) {
        http_respond_error_n(req, 400, err.desc, err.len, NULL);
        return;
    }
    if (state != NULL && state[0] != '\0' && !state_of(s, state)) {
        return;
    }
    s->hits = arena_alloc(&req->arena, (size_t)s->page_size * sizeof(*s->hits));
    docs_api_need(req, AUTHZ_SELECT, AUTHZ_TABLE, search_run);
}

static void
on_collection_search(struct http_req *req)
{
    auth_check_token(req, collection_search);
}

int
docs_search_add_routes(struct router *r)
{
    int rc = router_add(r, HTTP_M(GET), DOCUMENTS, on_collection_search,
                        "docs_collection_search");

    return rc != 0 ? E_INVALID : 0;
}

/* ---- GET /{coll}/{id}[/{path}] with `where` or `page-size`: search inside one document ------- */

/*
 * Stargate's in-document search (3.6), at the document's root or under a {path}: every filter
 * path is put under {path}, then the document's rows are cut into groups sharing the filter's
 * parent path ({path} itself when there is no filter), in clustering order; each group is one
 * candidate, tested against `where`, and the groups that match are returned as objects from the
 * document's root (array indices as "[n]" keys), limited to the filter's path or to `fields`
 * under the parent path. The page state holds the last group returned.
 *
 * The leading segments of the group path that are plain names go into the SELECT as
 * "p<i> = ?" next to the key, a slice of the partition in clustering order: only the rows that
 * can belong to a group are read. A glob or an alternative ends that prefix; the segments after
 * it are tested in memory (doc_where_under), which is what ALLOW FILTERING would do on the
 * server, and the rows would come back in the same order.
 */

/* One in-document search (in the request's arena, at req->data). */
struct insearch {
    struct http_req          *req;      /* the request */
    struct docs_names         n;        /* namespace and collection */
    const char               *id;       /* the document id */
    size_t                    id_len;   /* its length */
    int32_t                   page_size;/* groups per page */
    bool                      raw;      /* raw=true */
    bool                      profile;  /* profile=true */
    struct doc_where          w;        /* the filter */
    struct doc_shred_field    group;    /* the search path: the filter's parent path, or empty */
    struct doc_shred_fields   out;      /* what of a group is returned */
    struct cql_str           *after;    /* the page state's group prefix, or NULL */
    size_t                    nafter;   /* its segments */
    struct cass_query         q;        /* the document's SELECT */
    struct cql_wr             cql;      /* its text (arena) */
    struct cql_wr             vals;     /* the key, then the pushed path segments (arena) */
    uint16_t                  nvals;    /* how many */
    struct cql_bytes          page;     /* the next page's state, or none */
    struct cql_str           *cur;      /* the current group's prefix (arena), NULL before one */
    bool                      in_group; /* rows are being taken into the current group */
    struct doc_where_state    st;       /* the current group against `where` */
    struct doc_shred_asm      doc;      /* the current group's output */
    struct doc_shred_asm     *hits;     /* matching groups' outputs */
    struct cql_str          **hit_pfx;  /* and their prefixes */
    size_t                    nhits;    /* how many */
    size_t                    cap;      /* slots */
    bool                      full;     /* the page is full: only looking for one more match */
    bool                      more;     /* a match follows the page: a page state goes out */
    struct docs_prof          pq;       /* the SELECT, for the profile */
};

/* Compares two group prefixes of N segments in clustering (byte) order. */
static int
prefix_cmp(const struct cql_str *a, const struct cql_str *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int c = cand_cmp(0, a[i].p, a[i].len, 0, b[i].p, b[i].len);

        if (c != 0) {
            return c;
        }
    }
    return 0;
}

/* Ends the current group: keeps it when it matches and comes after the page state. */
static void
group_end(struct insearch *s)
{
    size_t n = s->group.n;

    if (s->cur == NULL || !s->in_group) {
        return;
    }
    s->in_group = false;
    if (s->after != NULL && s->nafter == n && prefix_cmp(s->cur, s->after, n) <= 0) {
        return;
    }
    if (!doc_where_result(&s->w, &s->st)) {
        return;
    }
    if (s->full) {
        s->more = true;
        return;
    }
    if (s->nhits == s->cap) {
        size_t cap = s->cap == 0 ? 8 : s->cap * 2;
        struct doc_shred_asm *v = arena_alloc(&s->req->arena, cap * sizeof(*v));
        struct cql_str **p = arena_alloc(&s->req->arena, cap * sizeof(*p));

        if (s->nhits > 0) {
            memcpy(v, s->hits, s->nhits * sizeof(*v));
            memcpy(p, s->hit_pfx, s->nhits * sizeof(*p));
        }
        s->hits = v;
        s->hit_pfx = p;
        s->cap = cap;
    }
    s->hits[s->nhits] = s->doc;
    s->hit_pfx[s->nhits] = s->cur;
    s->nhits++;
    s->full = s->nhits == (size_t)s->page_size;
}

/* Takes row IN: a new prefix closes the group before it and opens the next. */
static void
group_row(struct insearch *s, const struct doc_shred_in *in)
{
    size_t n = s->group.n;

    if (!doc_where_under(&s->group, in)) {
        return;
    }
    if (s->cur == NULL || !s->in_group || prefix_cmp(s->cur, in->p, n) != 0) {
        group_end(s);
        s->cur = arena_alloc(&s->req->arena, (n > 0 ? n : 1) * sizeof(*s->cur));
        for (size_t i = 0; i < n; i++) {
            s->cur[i].p = arena_memdup(&s->req->arena, in->p[i].p, in->p[i].len);
            s->cur[i].len = in->p[i].len;
        }
        s->in_group = true;
        doc_where_state_reset(&s->w, &s->st);
        doc_shred_asm_init(&s->doc, &s->req->arena);
        s->doc.objects = true;
    }
    doc_where_feed(&s->w, &s->st, in);
    if (doc_shred_fields_match(&s->out, in)) {
        doc_shred_asm_row(&s->doc, in);
    }
}

/* The page state after the group with prefix P: URL-safe Base64 of 2, then each segment. */
static void
write_group_state(struct insearch *s, struct jw *j, const struct cql_str *p)
{
    struct cql_wr bin, b64;

    api_arena_wr(&bin, &s->req->arena);
    cql_wr_byte(&bin, 2);
    for (size_t i = 0; i < s->group.n; i++) {
        cql_wr_bytes(&bin, p[i].p, (int32_t)p[i].len);
    }
    api_arena_wr(&b64, &s->req->arena);
    cql_base64_encode(&b64, bin.p, bin.len);
    for (size_t i = 0; i < b64.len; i++) {
        b64.p[i] = b64.p[i] == '+' ? '-' : b64.p[i] == '/' ? '_' : b64.p[i];
    }
    jw_string_n(j, (const char *)b64.p, b64.len);
}

/*
 * Answers with the page: 204 only when no group matched. A group that matched with nothing on
 * the output paths (a missing field under $ne, $nin or $exists:false) is left out of `data`,
 * yet the answer is a 200, as Stargate's is.
 */
static void
insearch_answer(struct insearch *s)
{
    struct cql_wr body;
    struct jw j;

    if (s->nhits == 0) {
        http_respond(s->req, 204, NULL, NULL, 0);
        return;
    }
    http_body_init(&body);
    jw_init(&j, &body);
    if (!s->raw) {
        jw_object_begin(&j);
        jw_key(&j, "documentId");
        jw_string_n(&j, s->id, s->id_len);
        if (s->more) {
            jw_key(&j, "pageState");
            write_group_state(s, &j, s->hit_pfx[s->nhits - 1]);
        }
        jw_key(&j, "data");
    }
    jw_array_begin(&j);
    for (size_t i = 0; i < s->nhits; i++) {
        struct cql_wr *out;

        if (s->hits[i].rows == s->hits[i].dead) {
            continue;
        }
        out = jw_value(&j);
        if (out != NULL) {
            int rc = doc_shred_asm_write(&s->hits[i], out);

            if (rc != 0) {
                jw_fail(&j, rc);
            }
        }
    }
    jw_array_end(&j);
    if (!s->raw) {
        if (s->profile) {
            struct docs_prof_step st = { "SearchSubDocuments", strlen("SearchSubDocuments"),
                                         &s->pq, 1 };
            struct cql_str prof = docs_api_profile(s->req, &st, 1);

            jw_key(&j, "profile");
            jw_raw(&j, prof.p, prof.len);
        }
        jw_object_end(&j);
    }
    if (jw_finish(&j) != 0 && body.err == 0) {
        body.err = E_INVALID;
    }
    http_respond_json(s->req, 200, &body);
}

static void insearch_page(struct http_req *req);

static void
on_insearch_page(struct cass_query *q, const struct cass_result *res)
{
    struct insearch *s = container_of(q, struct insearch, q);
    const struct cql_rows_meta *meta = &res->result.meta;
    struct cql_bytes cells[DOC_SHRED_NCELLS];
    struct doc_shred_in in;
    struct cql_rd rows;

    if (res->status != 0) {
        cass_query_release(q);
        api_respond_cass_error(s->req, res->status, &res->error);
        return;
    }
    if (res->result.kind != CQL_RESULT_ROWS || res->ncols != DOC_SHRED_NCELLS) {
        cass_query_release(q);
        http_respond_error(s->req, 500, "Internal error: unexpected columns reading a document",
                           NULL);
        return;
    }
    s->pq.execs++;
    s->pq.rows += (uint64_t)res->result.rows_count;
    cql_rd_init(&rows, res->result.rows, res->result.rows_len);
    for (int32_t i = 0; i < res->result.rows_count && !s->more; i++) {
        if (cql_rows_next(&rows, DOC_SHRED_NCELLS, cells) != 0) {
            break;
        }
        doc_shred_cells(cells, &in);
        group_row(s, &in);
    }
    s->page.len = CQL_NULL;
    if ((meta->flags & CQL_MF_HAS_MORE_PAGES) != 0 && meta->paging_state.len > 0 && !s->more) {
        s->page.p = arena_memdup(&s->req->arena, meta->paging_state.p,
                                 (size_t)meta->paging_state.len);
        s->page.len = meta->paging_state.len;
    }
    cass_query_release(q);
    if (s->page.len != CQL_NULL) {
        insearch_page(s->req);
        return;
    }
    group_end(s);
    insearch_answer(s);
}

static void
insearch_page(struct http_req *req)
{
    struct insearch *s = req->data;
    int rc = query_send(req, &s->q, &s->cql, &s->vals, s->nvals, s->page, DOCS_SEARCH_DOC_ROWS,
                        on_insearch_page);

    if (rc == E_NOTREADY) {
        api_respond_not_ready(req);
    } else if (rc != 0) {
        api_respond_cass_error(req, rc, NULL);
    }
}

/* Reads the in-document page state: 2, then the group's prefix segments as [bytes]. */
static bool
group_state_of(struct insearch *s, const char *state)
{
    struct cql_wr w;
    struct cql_rd r;
    size_t n = s->group.n;

    api_arena_wr(&w, &s->req->arena);
    if (cql_json_base64_decode(state, strlen(state), &w) != 0 || w.err != 0 || w.len < 1
        || w.p[0] != 2) {
        return false;
    }
    s->after = arena_alloc(&s->req->arena, (n > 0 ? n : 1) * sizeof(*s->after));
    cql_rd_init(&r, w.p + 1, w.len - 1);
    for (size_t i = 0; i < n; i++) {
        struct cql_bytes b = cql_rd_bytes(&r);

        if (r.err != 0 || b.len < 0) {
            return false;
        }
        s->after[i].p = (const char *)b.p;
        s->after[i].len = (size_t)b.len;
    }
    s->nafter = n;
    return r.err == 0 && r.p == r.end;
}

/* The `fields` of an in-document search: under the filter's parent, or its path alone. */
static void
insearch_fields(struct insearch *s, const struct doc_shred_fields *f,
                const struct doc_where_path *path)
{
    struct arena *a = &s->req->arena;
    size_t n = f->n > 0 ? f->n : 1;

    s->out.v = arena_alloc(a, n * sizeof(*s->out.v));
    s->out.n = n;
    for (size_t i = 0; i < n; i++) {
        const struct doc_shred_field *src = f->n > 0 ? &f->v[i] : NULL;
        size_t extra = src != NULL ? src->n : 1;
        struct doc_shred_fseg *segs = arena_alloc(a, (s->group.n + extra) * sizeof(*segs));

        memcpy(segs, s->group.seg, s->group.n * sizeof(*segs));
        if (src != NULL) {
            memcpy(segs + s->group.n, src->seg, src->n * sizeof(*segs));
        } else {
            segs[s->group.n].kind = DOC_SHRED_FIELD_ALTS;
            segs[s->group.n].alt = &path->field;
            segs[s->group.n].nalt = 1;
        }
        s->out.v[i].seg = segs;
        s->out.v[i].n = s->group.n + extra;
    }
}

/* Whether `fields` F lists the filter's field alone, as Stargate requires. */
static bool
fields_reference(const struct doc_shred_fields *f, const struct doc_where_path *path)
{
    for (size_t i = 0; i < f->n; i++) {
        const struct doc_shred_field *g = &f->v[i];

        if (g->n == 1 && g->seg[0].kind == DOC_SHRED_FIELD_ALTS && g->seg[0].nalt == 1
            && g->seg[0].alt[0].len == path->field.len
            && memcmp(g->seg[0].alt[0].p, path->field.p, path->field.len) == 0) {
            return true;
        }
    }
    return false;
}

/* The group path of a search without `where`: {path}, segments PREFIX (NPREFIX of them). */
static void
group_of_prefix(struct insearch *s, const struct cql_str *prefix, size_t nprefix)
{
    struct doc_shred_fseg *segs = arena_alloc(&s->req->arena,
                                              (nprefix > 0 ? nprefix : 1) * sizeof(*segs));

    for (size_t i = 0; i < nprefix; i++) {
        segs[i].kind = DOC_SHRED_FIELD_ALTS;
        segs[i].alt = &prefix[i];
        segs[i].nalt = 1;
    }
    s->group.seg = segs;
    s->group.n = nprefix;
}

/*
 * The document's SELECT: the key, then "p<i> = ?" for each leading segment of the group path
 * that names one key or index (see above).
 */
static void
insearch_select(struct insearch *s)
{
    char col[24];

    api_arena_wr(&s->cql, &s->req->arena);
    WR_LIT(&s->cql, "SELECT ");
    doc_shred_columns(&s->cql);
    WR_LIT(&s->cql, ", WRITETIME(leaf) FROM ");
    docs_api_table_name(&s->cql, &s->n);
    WR_LIT(&s->cql, " WHERE key = ?");
    api_arena_wr(&s->vals, &s->req->arena);
    cql_wr_bytes(&s->vals, s->id, (int32_t)s->id_len);
    s->nvals = 1;
    for (size_t i = 0; i < s->group.n && i < DOC_SHRED_DEPTH; i++) {
        const struct doc_shred_fseg *g = &s->group.seg[i];
        int len;

        if (g->kind != DOC_SHRED_FIELD_ALTS || g->nalt != 1) {
            break;
        }
        len = snprintf(col, sizeof(col), " AND p%zu = ?", i);
        cql_wr_raw(&s->cql, col, (size_t)len);
        cql_wr_bytes(&s->vals, g->alt[0].p, (int32_t)g->alt[0].len);
        s->nvals++;
    }
    s->pq.cql = (const char *)s->cql.p;
    s->pq.len = s->cql.len;
}

void
docs_search_document(struct http_req *req, const struct docs_names *n, const char *id,
                     size_t id_len, const struct cql_str *prefix, size_t nprefix,
                     int32_t page_size)
{
    struct insearch *s = arena_alloc(&req->arena, sizeof(*s));
    const char *where = http_req_query(req, "where");
    const char *fields = http_req_query(req, "fields");
    const char *state = http_req_query(req, "page-state");
    const struct doc_where_path *path = NULL;
    const struct cass_meta_table *t;
    struct doc_shred_fields f = { 0 };
    struct doc_shred_err err;
    struct cass_meta *m;

    memset(s, 0, sizeof(*s));
    s->req = req;
    s->n = *n;
    s->id = id;
    s->id_len = id_len;
    s->page_size = page_size > 0 ? page_size : DOCS_SEARCH_IN_DOC_PAGE;
    s->raw = api_raw(req);
    s->profile = docs_api_profile_wanted(req);
    s->page.len = CQL_NULL;
    req->data = s;
    if (docs_api_collection(req, &s->n, false, &m, &t) != DOCS_COLL_FOUND) {
        return;
    }
    cass_meta_unref(m);
    if (where != NULL
        && doc_where_parse(where, strlen(where), prefix, nprefix, &req->arena, &s->w, &err)
               != 0) {
        http_respond_error_n(req, 400, err.desc, err.len, NULL);
        return;
    }
    if (fields != NULL
        && doc_shred_fields_parse(fields, strlen(fields), &req->arena, &f, &err) != 0) {
        http_respond_error_n(req, 400, err.desc, err.len, NULL);
        return;
    }
    if (s->w.npaths > 1) {
        char msg[96];

        snprintf(msg, sizeof(msg), "Conditions across multiple fields are not yet supported. "
                 "Found: %zu.", s->w.npaths);
        http_respond_error(req, 400, msg, NULL);
        return;
    }
    if (s->w.nleaves > 0) {
        path = s->w.leaves[0]->path;
        s->group = path->parent;
    } else {
        group_of_prefix(s, prefix, nprefix);
    }
    if (f.n > 0 && path != NULL && !fields_reference(&f, path)) {
        http_respond_error(req, 400, "When selecting `fields`, the field referenced by `where` "
                           "must be in the selection.", NULL);
        return;
    }
    if (path != NULL || f.n > 0) {
        insearch_fields(s, &f, path);
    }
    if (state != NULL && state[0] != '\0' && !group_state_of(s, state)) {
        http_respond_error(req, 400, "Invalid page state.", NULL);
        return;
    }
    doc_where_state_init(&s->w, &s->st, &req->arena);
    insearch_select(s);
    docs_api_need(req, AUTHZ_SELECT, AUTHZ_TABLE, insearch_page);
}
