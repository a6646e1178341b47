/* fuzz_common.c: the bump allocator, the writer callback and the response walk of fuzz_common.h. */
#include "fuzz_common.h"

#include "fuzz_json.h"

#include <stdio.h>
#include <stdlib.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FZ_ASAN 1
#endif
#endif
#if !defined(FZ_ASAN) && defined(__SANITIZE_ADDRESS__)
#define FZ_ASAN 1
#endif

#ifdef FZ_ASAN
#include <sanitizer/asan_interface.h>
#define FZ_POISON(p, n)     ASAN_POISON_MEMORY_REGION((p), (n))
#define FZ_UNPOISON(p, n)   ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define FZ_POISON(p, n)     ((void)(p), (void)(n))
#define FZ_UNPOISON(p, n)   ((void)(p), (void)(n))
#endif

#define FZ_ALIGN    16u     /* alignment of every block, as the cql_alloc contract asks */
#define FZ_REDZONE  16u     /* poisoned gap after every block */

_Noreturn void
fz_fail(const char *file, int line, const char *cond, const char *what)
{
    fprintf(stderr, "%s:%d: property failed: %s (%s)\n", file, line, what, cond);
    abort();
}

/* ---- bump allocator -------------------------------------------------------------------------- */

static struct {
    _Alignas(16) uint8_t buf[FZ_BUMP_SIZE];     /* storage, poisoned while not handed out */
    size_t used;                                /* bytes handed out (blocks and redzones) */
    size_t limit;                               /* budget of the current input */
    bool   poisoned;                            /* buf was poisoned once */
} bump;

static void *
bump_alloc(void *ctx, size_t size)
{
    size_t need, start = bump.used;
    uint8_t *p;

    (void)ctx;
    if (size > bump.limit) {
        return NULL;
    }
    need = (size + FZ_ALIGN - 1) / FZ_ALIGN * FZ_ALIGN + FZ_REDZONE;
    if (need > bump.limit - start) {
        return NULL;
    }
    p = bump.buf + start;
    bump.used = start + need;
    FZ_UNPOISON(p, size);
    if (size > 0) {
        memset(p, 0xbe, size);      /* never hand out zeros a decoder could come to rely on */
    }
    return p;
}

static const struct cql_alloc bump_allocator = { bump_alloc, NULL };

const struct cql_alloc *
fz_bump_begin(size_t limit)
{
    if (!bump.poisoned) {
        FZ_POISON(bump.buf, sizeof(bump.buf));
        bump.poisoned = true;
    }
    bump.used = 0;
    bump.limit = limit < sizeof(bump.buf) ? limit : sizeof(bump.buf);
    return &bump_allocator;
}

void
fz_bump_end(void)
{
    FZ_POISON(bump.buf, bump.used);
    bump.used = 0;
    bump.limit = 0;
}

/* ---- writers --------------------------------------------------------------------------------- */

uint8_t *
fz_grow(void *ctx, uint8_t *old, size_t len, size_t need, size_t *cap)
{
    size_t n = need < 64 ? 64 : need + need / 2;
    uint8_t *p;

    (void)ctx;
    (void)len;
    if (need > FZ_WR_MAX) {
        return NULL;
    }
    if (n > FZ_WR_MAX) {
        n = FZ_WR_MAX;
    }
    p = realloc(old, n);
    if (p == NULL) {
        return NULL;
    }
    *cap = n;
    return p;
}

uint8_t *
fz_dup(const void *p, size_t len)
{
    uint8_t *q = malloc(len == 0 ? 1 : len);

    if (q == NULL) {
        abort();
    }
    if (len > 0) {
        memcpy(q, p, len);
    }
    return q;
}

/* ---- raw runs -------------------------------------------------------------------------------- */

/* A raw run (P, LEN) that a decoder accepted holds exactly N items read by EACH. */
static void
walk_run(const uint8_t *p, size_t len, uint32_t n, void (*each)(struct cql_rd *), const char *what)
{
    struct cql_rd r;

    if (n == 0) {
        FZ_CHECK(len == 0, what);
        return;
    }
    FZ_CHECK(p != NULL, what);
    cql_rd_init(&r, p, len);
    for (uint32_t i = 0; i < n; i++) {
        each(&r);
    }
    FZ_CHECK(cql_rd_ok(&r) && cql_rd_left(&r) == 0, what);
}

static void
each_string(struct cql_rd *r)
{
    (void)cql_rd_string(r);
}

static void
each_string_bytes(struct cql_rd *r)
{
    (void)cql_rd_string(r);
    (void)cql_rd_bytes(r);
}

static void
each_reason(struct cql_rd *r)
{
    (void)cql_rd_inetaddr(r);
    (void)cql_rd_short(r);
}

/* ---- values ---------------------------------------------------------------------------------- */

/* Renders one cell; a rendering that succeeds must be one well-formed JSON value. */
static void
render(const struct cql_type *t, struct cql_bytes cell, unsigned flags, struct cql_wr *w)
{
    const char *desc = NULL;
    int rc;

    w->len = 0;
    w->err = 0;
    rc = cql_value_to_json_opts(t, cell.p, cell.len, flags, w, &desc);
    if (rc == 0) {
        FZ_CHECK(w->err == 0, "cql_value_to_json returned 0 with a failed writer");
        FZ_CHECK(fz_json_valid(w->p, w->len), "cql_value_to_json rendered invalid JSON");
    } else {
        FZ_CHECK(desc != NULL, "cql_value_to_json failed without a description");
    }
}

/* Formats a column type and renders a null of it, which every type must accept. */
static void
check_type(const struct cql_type *t, struct cql_wr *w, unsigned flags)
{
    struct cql_bytes null_cell = { NULL, CQL_NULL };

    FZ_CHECK(t != NULL, "column spec without a type");
    w->len = 0;
    w->err = 0;
    (void)cql_type_format(t, w);
    (void)cql_type_fixed_size(t);
    render(t, null_cell, flags, w);
}

static void
check_cols(const struct cql_col_spec *cols, int32_t n, struct cql_wr *w, unsigned flags)
{
    if (cols == NULL) {
        return;
    }
    for (int32_t i = 0; i < n; i++) {
        check_type(cols[i].type, w, flags);
    }
}

/* ---- responses ------------------------------------------------------------------------------- */

static void
do_error(struct cql_rd r, int version)
{
    struct cql_error e;

    if (cql_resp_error(&r, version, &e) != 0) {
        FZ_CHECK(r.err != 0 && r.err_desc != NULL, "cql_resp_error failed without reader error");
        return;
    }
    walk_run(e.arg_types, e.arg_types_len, e.nargs, each_string, "ERROR argument types");
    if (cql_version_has_failure_reasonmap(version)
        && (e.code == CQL_ERRCODE_READ_FAILURE || e.code == CQL_ERRCODE_WRITE_FAILURE)) {
        walk_run(e.reasonmap, e.reasonmap_len, (uint32_t)e.numfailures, each_reason,
                 "ERROR reason map");
    }
    (void)cql_errcode_name(e.code);
    (void)cql_errcode_desc(e.code);
}

static void
do_rows(const struct cql_result *res, unsigned flags, struct cql_wr *w)
{
    int32_t ncols = res->meta.columns_count;
    struct cql_bytes *cells;
    struct cql_rd rows;

    FZ_CHECK(res->rows_count >= 0 && ncols >= 0, "negative counts in a decoded RESULT");
    /* With no columns there is nothing to walk, however many rows are announced. */
    if (res->rows_count == 0 || ncols == 0) {
        return;
    }
    FZ_CHECK(res->rows != NULL && (size_t)ncols <= res->rows_len / 4,
             "rows shorter than rows_count x columns_count cells");
    cells = malloc((size_t)ncols * sizeof(*cells));
    if (cells == NULL) {
        abort();
    }
    cql_rd_init(&rows, res->rows, res->rows_len);
    for (int32_t i = 0; i < res->rows_count; i++) {
        FZ_CHECK(cql_rows_next(&rows, ncols, cells) == 0, "cql_rows_next failed on checked rows");
        for (int32_t j = 0; res->meta.cols != NULL && j < ncols; j++) {
            render(res->meta.cols[j].type, cells[j], flags, w);
        }
    }
    FZ_CHECK(cql_rd_left(&rows) == 0, "rows_len holds bytes past the last row");
    free(cells);
}

static void
do_result(struct cql_rd r, const struct fz_resp_opts *o, struct cql_wr *w)
{
    struct cql_result res;
    const struct cql_alloc *a = fz_bump_begin(o->alloc_limit);

    if (cql_resp_result(&r, o->version, a, &res) != 0) {
        FZ_CHECK(r.err != 0 && r.err_desc != NULL, "cql_resp_result failed without reader error");
        fz_bump_end();
        return;
    }
    switch (res.kind) {
    case CQL_RESULT_ROWS:
        FZ_CHECK(res.meta.cols != NULL
                     || (res.meta.flags & CQL_MF_NO_METADATA) != 0 || res.meta.columns_count == 0,
                 "Rows metadata without column specs");
        check_cols(res.meta.cols, res.meta.columns_count, w, o->json_flags);
        do_rows(&res, o->json_flags, w);
        break;
    case CQL_RESULT_PREPARED:
        check_cols(res.bind.cols, res.bind.columns_count, w, o->json_flags);
        check_cols(res.meta.cols, res.meta.columns_count, w, o->json_flags);
        FZ_CHECK(res.bind.pk_count == 0 || res.bind.pk_index != NULL, "pk_count without indexes");
        break;
    case CQL_RESULT_SCHEMA_CHANGE:
        walk_run(res.schema.arg_types, res.schema.arg_types_len, res.schema.nargs, each_string,
                 "RESULT schema change argument types");
        break;
    default:
        break;
    }
    fz_bump_end();
}

static void
do_event(struct cql_rd r, int version)
{
    struct cql_event ev;

    if (cql_resp_event(&r, version, &ev) != 0) {
        FZ_CHECK(r.err != 0 && r.err_desc != NULL, "cql_resp_event failed without reader error");
        return;
    }
    walk_run(ev.schema.arg_types, ev.schema.arg_types_len, ev.schema.nargs, each_string,
             "EVENT schema change argument types");
}

static void
do_supported(struct cql_rd r)
{
    const uint8_t *p = r.p;
    size_t len = cql_rd_left(&r);
    struct cql_resp_multimap m;
    struct cql_str key;
    struct cql_rd vals;
    uint16_t n;
    int rc;

    (void)cql_resp_supported_has(p, len, "COMPRESSION", "lz4");
    (void)cql_resp_supported_has(p, len, "PROTOCOL_VERSIONS", "5/v5");
    (void)cql_resp_supported_has(p, len, "", "");
    cql_resp_multimap_init(&m, p, len);
    while ((rc = cql_resp_multimap_next(&m, &key, &vals, &n)) == 1) {
        walk_run(vals.p, cql_rd_left(&vals), n, each_string, "SUPPORTED values");
    }
    FZ_CHECK(rc == 0 || rc < 0, "cql_resp_multimap_next returned an unknown value");
}

static void
do_handshake(struct cql_rd r)
{
    struct cql_rd r2 = r;
    struct cql_str authenticator;
    struct cql_bytes token;

    if (cql_resp_authenticate(&r, &authenticator) == 0 && authenticator.len > 0) {
        FZ_CHECK((const uint8_t *)authenticator.p + authenticator.len == r.p,
                 "authenticator name does not end where the reader stopped");
    }
    if (cql_resp_auth_token(&r2, &token) == 0) {
        FZ_CHECK(token.len >= 0 || token.len == CQL_NULL, "AUTH token with a negative length");
        FZ_CHECK(token.len < 0 || token.p + token.len == r2.p,
                 "AUTH token does not end where the reader stopped");
    }
}

void
fz_response(uint8_t flags, const uint8_t *body, size_t len, const struct fz_resp_opts *o)
{
    struct cql_resp_extra x;
    struct cql_rd r;
    struct cql_wr w;

    if (cql_resp_open(flags, body, len, &r, &x) == 0) {
        walk_run(x.warnings, x.warnings_len, x.nwarnings, each_string, "warnings");
        walk_run(x.payload, x.payload_len, x.npayload, each_string_bytes, "custom payload");
        FZ_CHECK((flags & CQL_FLAG_TRACING) == 0 || x.tracing_id != NULL, "tracing id missing");
    } else {
        /* Malformed prefixes: decode the bare body anyway, so every decoder still runs. */
        FZ_CHECK(cql_resp_open(0, body, len, &r, &x) == 0, "cql_resp_open without flags failed");
    }
    cql_wr_init(&w, NULL, 0, fz_grow, NULL);
    do_error(r, o->version);
    do_result(r, o, &w);
    do_event(r, o->version);
    do_supported(r);
    do_handshake(r);
    free(w.p);
}
