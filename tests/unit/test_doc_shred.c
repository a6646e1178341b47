/*
 * test_doc_shred.c: the Document API storage layout of src/docs/doc_shred: shredding with every
 * rule and limit of documents-v2 2.2 (exact rows for small documents), the INSERT values, reading
 * rows back (2.3) with write times, stale rows and both bool_value types, round trips of every
 * JSON shape, and the `fields` filter.
 */
#include "test.h"

#include <math.h>
#include <stdlib.h>

#include "api/cql_json.h"
#include "core/arena.h"
#include "docs/doc_shred.h"

/* ---- helpers --------------------------------------------------------------------------------- */

/* Parses JSON (documents may nest deeper than REST bodies) into a tree in A; NULL on failure. */
static struct cql_json_node *
parse(struct arena *a, const char *json)
{
    struct cql_alloc al = arena_cql_alloc(a);
    struct cql_json_node *root = NULL;
    struct cql_json_err err;

    if (cql_json_parse(json, strlen(json), CQL_JSON_DEEP, &al, &root, &err) != 0) {
        return NULL;
    }
    return root;
}

/* Shreds JSON at the root; returns the shredder's code, with the rows or the error. */
static int
shred(struct arena *a, const char *json, struct doc_shred_rows *rows, struct doc_shred_err *err)
{
    struct cql_json_node *root = parse(a, json);

    if (root == NULL) {
        return -1000;
    }
    return doc_shred_json(root, NULL, a, rows, err);
}

/*
 * The rows as text, one per line: the path joined by '/', then the value: "s:<text>" (control
 * characters as \xNN), "n:<%.17g>", "b:true", "b:false" or "null". The leaf must repeat the
 * last segment.
 */
static char *
rows_text(struct arena *a, const struct doc_shred_rows *rows)
{
    struct cql_wr w;

    cql_wr_init(&w, NULL, 0, arena_wr_grow, a);
    for (size_t i = 0; i < rows->n; i++) {
        const struct doc_shred_row *r = &rows->v[i];
        struct cql_str path[DOC_SHRED_DEPTH];
        size_t n = doc_shred_path(r, path);
        char num[40];

        for (size_t k = 0; k < n; k++) {
            if (k > 0) {
                cql_wr_byte(&w, '/');
            }
            cql_wr_raw(&w, path[k].p, path[k].len);
        }
        if (path[n - 1].p != r->leaf->p || path[n - 1].len != r->leaf->len) {
            cql_wr_raw(&w, " BADLEAF", 8);
        }
        switch (r->type) {
        case DOC_SHRED_STRING:
            cql_wr_raw(&w, " s:", 3);
            for (size_t k = 0; k < r->len; k++) {
                if ((uint8_t)r->s[k] < 0x20) {
                    snprintf(num, sizeof(num), "\\x%02x", (uint8_t)r->s[k]);
                    cql_wr_raw(&w, num, 4);
                } else {
                    cql_wr_byte(&w, (uint8_t)r->s[k]);
                }
            }
            break;
        case DOC_SHRED_NUMBER:
            snprintf(num, sizeof(num), " n:%.17g", r->d);
            cql_wr_raw(&w, num, strlen(num));
            break;
        case DOC_SHRED_BOOL:
            cql_wr_raw(&w, r->b ? " b:true" : " b:false", r->b ? 7 : 8);
            break;
        default:
            cql_wr_raw(&w, " null", 5);
            break;
        }
        cql_wr_byte(&w, '\n');
    }
    cql_wr_byte(&w, '\0');
    return (char *)w.p;
}

/* Orders rows as Cassandra clusters them: p0, then p1, ..., each in byte order. */
static int
in_cmp(const void *x, const void *y)
{
    const struct doc_shred_in *a = x, *b = y;

    for (int i = 0; i < DOC_SHRED_DEPTH; i++) {
        size_t n = a->p[i].len < b->p[i].len ? a->p[i].len : b->p[i].len;
        int c = n == 0 ? 0 : memcmp(a->p[i].p, b->p[i].p, n);

        if (c != 0) {
            return c;
        }
        if (a->p[i].len != b->p[i].len) {
            return a->p[i].len < b->p[i].len ? -1 : 1;
        }
    }
    return 0;
}

/* Turns shredded ROWS into rows as read back, written at WT, appended to V at *N. */
static void
rows_to_in(const struct doc_shred_rows *rows, int64_t wt, struct doc_shred_in *v, size_t *n)
{
    for (size_t i = 0; i < rows->n; i++) {
        const struct doc_shred_row *r = &rows->v[i];
        struct doc_shred_in *in = &v[(*n)++];
        size_t depth;

        memset(in, 0, sizeof(*in));
        for (int k = 0; k < DOC_SHRED_DEPTH; k++) {
            in->p[k].p = "";
        }
        depth = doc_shred_path(r, in->p);
        in->leaf = in->p[depth - 1];
        in->has_text = r->type == DOC_SHRED_STRING;
        if (in->has_text) {
            in->text.p = r->s;
            in->text.len = r->len;
        }
        in->has_dbl = r->type == DOC_SHRED_NUMBER;
        in->dbl = r->d;
        in->has_bool = r->type == DOC_SHRED_BOOL;
        in->boolean = r->b;
        in->writetime = wt;
    }
}

/* Reassembles rows V (N of them, in the order given) and returns the JSON text. */
static char *
assemble(struct arena *a, const struct doc_shred_in *v, size_t n, size_t *dead)
{
    struct doc_shred_asm d;
    struct cql_wr w;

    doc_shred_asm_init(&d, a);
    for (size_t i = 0; i < n; i++) {
        doc_shred_asm_row(&d, &v[i]);
    }
    cql_wr_init(&w, NULL, 0, arena_wr_grow, a);
    if (doc_shred_asm_write(&d, &w) != 0) {
        return NULL;
    }
    cql_wr_byte(&w, '\0');
    if (dead != NULL) {
        *dead = d.dead;
    }
    return (char *)w.p;
}

/* Shreds JSON, sorts its rows into clustering order and reads them back. */
static char *
roundtrip(struct arena *a, const char *json)
{
    struct doc_shred_rows rows;
    struct doc_shred_err err;
    struct doc_shred_in *v;
    size_t n = 0;

    if (shred(a, json, &rows, &err) != 0) {
        return NULL;
    }
    v = arena_alloc(a, (rows.n + 1) * sizeof(*v));
    rows_to_in(&rows, 1000, v, &n);
    qsort(v, n, sizeof(*v), in_cmp);
    return assemble(a, v, n, NULL);
}

/* A row as read back: path segments (NULL-terminated), value, write time. */
static void
in_row(struct doc_shred_in *in, const char *const *path, int64_t wt)
{
    int k = 0;

    memset(in, 0, sizeof(*in));
    for (; path[k] != NULL; k++) {
        in->p[k].p = path[k];
        in->p[k].len = strlen(path[k]);
    }
    in->leaf = in->p[k - 1];
    for (; k < DOC_SHRED_DEPTH; k++) {
        in->p[k].p = "";
    }
    in->writetime = wt;
}

static void
in_text(struct doc_shred_in *in, const char *s)
{
    in->has_text = true;
    in->text.p = s;
    in->text.len = strlen(s);
}

static void
in_num(struct doc_shred_in *in, double d)
{
    in->has_dbl = true;
    in->dbl = d;
}

/* Checks that shredding JSON fails with exactly WANT. */
#define SHRED_FAILS(a, json, want)                                                                 \
    do {                                                                                           \
        struct doc_shred_rows r_;                                                                  \
        struct doc_shred_err e_;                                                                   \
        EQ(shred((a), (json), &r_, &e_), E_INVALID);                                               \
        SLICEEQ(e_.desc, e_.len, (want));                                                          \
    } while (0)

/* Checks that JSON comes back as WANT after a trip through rows. */
#define ROUNDTRIP(a, json, want)                                                                   \
    do {                                                                                           \
        const char *got_ = roundtrip((a), (json));                                                 \
        OK(got_ != NULL);                                                                          \
        STREQ(got_, (want));                                                                       \
    } while (0)

/* A JSON text of N nested containers (OPEN, CLOSE) around INNER; malloc'd. */
static char *
nest(int n, const char *open, const char *close, const char *inner)
{
    size_t lo = strlen(open), lc = strlen(close), li = strlen(inner);
    char *s = malloc((size_t)n * (lo + lc) + li + 1);
    size_t o = 0;

    if (s == NULL) {
        abort();
    }
    for (int i = 0; i < n; i++, o += lo) {
        memcpy(s + o, open, lo);
    }
    memcpy(s + o, inner, li);
    o += li;
    for (int i = 0; i < n; i++, o += lc) {
        memcpy(s + o, close, lc);
    }
    s[o] = '\0';
    return s;
}

/* ---- the table ------------------------------------------------------------------------------- */

TEST(doc_shred_columns_and_table)
{
    struct arena a;
    struct cql_wr w;
    char *s;

    arena_init(&a, 4096);
    cql_wr_init(&w, NULL, 0, arena_wr_grow, &a);
    doc_shred_columns(&w);
    cql_wr_byte(&w, '\0');
    s = (char *)w.p;
    OK(strncmp(s, "key, p0, p1, p2, ", 17) == 0);
    OK(strstr(s, ", p62, p63, leaf, text_value, dbl_value, bool_value") != NULL);
    OK(strstr(s, "p64") == NULL);

    cql_wr_init(&w, NULL, 0, arena_wr_grow, &a);
    doc_shred_table_columns(&w, true);
    cql_wr_byte(&w, '\0');
    s = (char *)w.p;
    OK(strncmp(s, "(key text, p0 text, p1 text, ", 29) == 0);
    OK(strstr(s, "p63 text, leaf text, text_value text, dbl_value double, bool_value tinyint, "
                 "PRIMARY KEY ((key), p0, p1, ") != NULL);
    OK(strstr(s, ", p62, p63))") != NULL);
    OK(s[strlen(s) - 1] == ')');

    cql_wr_init(&w, NULL, 0, arena_wr_grow, &a);
    doc_shred_table_columns(&w, false);
    cql_wr_byte(&w, '\0');
    OK(strstr((char *)w.p, "bool_value boolean, PRIMARY KEY") != NULL);
    arena_deinit(&a);
}

/* A table with the columns NAMES (partition first, then NCLUST clustering, then the rest). */
static void
fake_table(struct cass_meta_table *t, struct cass_meta_column *cols, char names[][12], int n,
           int nclust)
{
    memset(t, 0, sizeof(*t));
    for (int i = 0; i < n; i++) {
        memset(&cols[i], 0, sizeof(cols[i]));
        cols[i].name.p = names[i];
        cols[i].name.len = strlen(names[i]);
    }
    t->columns = cols;
    t->ncolumns = (uint32_t)n;
    t->npartition = 1;
    t->nclustering = (uint32_t)nclust;
}

TEST(doc_shred_is_collection)
{
    char names[72][12];
    struct cass_meta_column cols[72];
    struct cass_meta_table t;
    int n = 0;

    snprintf(names[n++], 12, "key");
    for (int i = 0; i < DOC_SHRED_DEPTH; i++) {
        snprintf(names[n++], 12, "p%d", 63 - i);     /* order does not matter, names do */
    }
    snprintf(names[n++], 12, "bool_value");
    snprintf(names[n++], 12, "dbl_value");
    snprintf(names[n++], 12, "leaf");
    snprintf(names[n++], 12, "text_value");
    fake_table(&t, cols, names, n, DOC_SHRED_DEPTH);
    OK(doc_shred_is_collection(&t));

    t.is_view = true;
    OK(!doc_shred_is_collection(&t));
    t.is_view = false;

    snprintf(names[0], 12, "id");
    fake_table(&t, cols, names, n, DOC_SHRED_DEPTH);
    OK(!doc_shred_is_collection(&t));
    snprintf(names[0], 12, "key");

    snprintf(names[5], 12, "p064");
    fake_table(&t, cols, names, n, DOC_SHRED_DEPTH);
    OK(!doc_shred_is_collection(&t));
    snprintf(names[5], 12, "q5");
    fake_table(&t, cols, names, n, DOC_SHRED_DEPTH);
    OK(!doc_shred_is_collection(&t));
    snprintf(names[5], 12, "p59");

    snprintf(names[n - 1], 12, "texts");
    fake_table(&t, cols, names, n, DOC_SHRED_DEPTH);
    OK(!doc_shred_is_collection(&t));
    snprintf(names[n - 1], 12, "text_value");

    /* one more value column, or one fewer */
    snprintf(names[n], 12, "extra");
    fake_table(&t, cols, names, n + 1, DOC_SHRED_DEPTH);
    OK(!doc_shred_is_collection(&t));
    fake_table(&t, cols, names, n - 1, DOC_SHRED_DEPTH);
    OK(!doc_shred_is_collection(&t));

    /* another max depth: 63 path columns and one more regular column */
    fake_table(&t, cols, names, n, DOC_SHRED_DEPTH - 1);
    OK(!doc_shred_is_collection(&t));

    /* two partition keys */
    fake_table(&t, cols, names, n, DOC_SHRED_DEPTH);
    t.npartition = 2;
    t.nclustering = DOC_SHRED_DEPTH - 1;
    OK(!doc_shred_is_collection(&t));
}

/* ---- shredding ------------------------------------------------------------------------------- */

TEST(doc_shred_spec_example)
{
    struct arena a;
    struct doc_shred_rows rows;
    struct doc_shred_err err;

    arena_init(&a, 4096);
    EQ(shred(&a, "{\"a\":{\"b\":[1,{\"c\":null}],\"d\":{}},\"e\":\"x\"}", &rows, &err), 0);
    STREQ(rows_text(&a, &rows),
          "a/b/[000000] n:1\n"
          "a/b/[000001]/c null\n"
          "a/d s:EMPTYOBJ-bccbeee1-6173-4120-8492-7d7bafaefb1f\n"
          "e s:x\n");
    EQ(rows.v[0].leaf->depth, 3);
    EQ(rows.v[1].leaf->depth, 4);
    arena_deinit(&a);
}

TEST(doc_shred_every_value_type)
{
    struct arena a;
    struct doc_shred_rows rows;
    struct doc_shred_err err;

    arena_init(&a, 4096);
    EQ(shred(&a, "[\"s\", 2.5, -7, true, false, null, [], {}, [[]], [{}], \"\", \"\\u0000\"]",
             &rows, &err), 0);
    STREQ(rows_text(&a, &rows),
          "[000000] s:s\n"
          "[000001] n:2.5\n"
          "[000002] n:-7\n"
          "[000003] b:true\n"
          "[000004] b:false\n"
          "[000005] null\n"
          "[000006] s:EMPTYARRAY-9df4802a-c135-42d6-8be3-d23d9520a4e7\n"
          "[000007] s:EMPTYOBJ-bccbeee1-6173-4120-8492-7d7bafaefb1f\n"
          "[000008]/[000000] s:EMPTYARRAY-9df4802a-c135-42d6-8be3-d23d9520a4e7\n"
          "[000009]/[000000] s:EMPTYOBJ-bccbeee1-6173-4120-8492-7d7bafaefb1f\n"
          "[000010] s:\n"
          "[000011] s:\\x00\n");
    /* the NUL inside the last string is kept */
    EQ(rows.v[11].len, 1);
    EQ(rows.v[11].s[0], 0);
    EQ(rows.v[10].type, DOC_SHRED_STRING);
    EQ(rows.v[10].len, 0);
    arena_deinit(&a);
}

TEST(doc_shred_array_index_padding)
{
    struct arena a;
    struct doc_shred_rows rows;
    struct doc_shred_err err;
    struct cql_wr w;
    struct cql_str path[DOC_SHRED_DEPTH];

    arena_init(&a, 4096);
    cql_wr_init(&w, NULL, 0, arena_wr_grow, &a);
    cql_wr_raw(&w, "{\"x\":[", 6);
    for (int i = 0; i < 1234; i++) {
        cql_wr_raw(&w, i == 0 ? "0" : ",0", i == 0 ? 1 : 2);
    }
    cql_wr_raw(&w, "]}", 3);
    EQ(shred(&a, (const char *)w.p, &rows, &err), 0);
    EQ(rows.n, 1234);
    EQ(doc_shred_path(&rows.v[0], path), 2);
    SLICEEQ(path[1].p, path[1].len, "[000000]");
    EQ(doc_shred_path(&rows.v[9], path), 2);
    SLICEEQ(path[1].p, path[1].len, "[000009]");
    EQ(doc_shred_path(&rows.v[1233], path), 2);
    SLICEEQ(path[0].p, path[0].len, "x");
    SLICEEQ(path[1].p, path[1].len, "[001233]");
    arena_deinit(&a);
}

TEST(doc_shred_root_must_be_a_non_empty_container)
{
    static const char *const primitive[] = { "1", "\"s\"", "true", "false", "null", "-0.5" };
    struct arena a;

    arena_init(&a, 4096);
    SHRED_FAILS(&a, "{}", "Updating a key with just an empty object or an empty array is not "
                          "allowed. Hint: update the parent path with a defined object instead.");
    SHRED_FAILS(&a, " [ ] ", "Updating a key with just an empty object or an empty array is not "
                             "allowed. Hint: update the parent path with a defined object "
                             "instead.");
    for (size_t i = 0; i < ARRAY_SIZE(primitive); i++) {
        SHRED_FAILS(&a, primitive[i], "Updating a key with just a JSON primitive is not allowed. "
                                      "Hint: update the parent path with a defined object "
                                      "instead.");
    }
    arena_deinit(&a);
}

TEST(doc_shred_under_a_prefix)
{
    struct arena a;
    struct doc_shred_rows rows;
    struct doc_shred_err err;
    struct doc_shred_seg p0 = { NULL, "top", 3, 1 };
    struct doc_shred_seg p1 = { &p0, "[000002]", 8, 2 };

    /* a sub-path may hold anything, a scalar or an empty container too */
    arena_init(&a, 4096);
    EQ(doc_shred_json(parse(&a, "5"), &p1, &a, &rows, &err), 0);
    STREQ(rows_text(&a, &rows), "top/[000002] n:5\n");
    EQ(doc_shred_json(parse(&a, "{}"), &p1, &a, &rows, &err), 0);
    STREQ(rows_text(&a, &rows), "top/[000002] s:EMPTYOBJ-bccbeee1-6173-4120-8492-7d7bafaefb1f\n");
    EQ(doc_shred_json(parse(&a, "{\"k\":[true]}"), &p0, &a, &rows, &err), 0);
    STREQ(rows_text(&a, &rows), "top/k/[000000] b:true\n");
    arena_deinit(&a);
}

TEST(doc_shred_key_rules)
{
    static const struct {
        const char *json;               /* a document with one member */
        const char *row;                /* its row, or NULL when refused */
    } cases[] = {
        { "{\"a\\\\.b\":1}", "a.b n:1\n" },             /* a\.b stored as a.b */
        { "{\"a\\\\,b\":1}", "a,b n:1\n" },
        { "{\"a\\\\*b\":1}", "a*b n:1\n" },
        { "{\"\\\\.\\\\.\":1}", ".. n:1\n" },
        { "{\"]\":1}", "] n:1\n" },
        { "{\"*\":1}", "* n:1\n" },
        { "{\",\":1}", ", n:1\n" },
        { "{\"$\":1}", "$ n:1\n" },
        { "{\"@x\":1}", "@x n:1\n" },
        { "{\"?\":1}", "? n:1\n" },
        { "{\" a b \":1}", " a b  n:1\n" },
        { "{\"123\":1}", "123 n:1\n" },
        { "{\"-1\":1}", "-1 n:1\n" },
        { "{\"\\\"q\\\"\":1}", "\"q\" n:1\n" },
        { "{\"caf\\u00e9 \\ud83d\\ude00\":1}", "caf\xc3\xa9 \xf0\x9f\x98\x80 n:1\n" },
        { "{\"a.b\":1}", NULL },
        { "{\"[0]\":1}", NULL },
        { "{\"a[\":1}", NULL },
        { "{\"it's\":1}", NULL },
        { "{\"a\\\\b\":1}", NULL },
        { "{\"a\\\\\\\\.b\":1}", NULL },               /* \\. leaves a backslash behind */
        { "{\"a\\\\\":1}", NULL },
        { "{\"a\\\\.\\\\[\":1}", NULL },
    };
    struct arena a;

    arena_init(&a, 4096);
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct doc_shred_rows rows;
        struct doc_shred_err err;
        struct cql_json_node *root = parse(&a, cases[i].json);
        int rc;

        OK(root != NULL);
        rc = doc_shred_json(root, NULL, &a, &rows, &err);
        if (cases[i].row != NULL) {
            EQ(rc, 0);
            STREQ(rows_text(&a, &rows), cases[i].row);
        } else {
            char want[200];

            EQ(rc, E_INVALID);
            snprintf(want, sizeof(want), "Array paths contained in square brackets, periods, "
                     "single quotes, and backslash are not allowed in field names, invalid field "
                     "%.*s", (int)root->child->name_len, root->child->name);
            SLICEEQ(err.desc, err.len, want);
        }
    }
    SHRED_FAILS(&a, "{\"a\":{\"\":1}}", "JSON objects containing empty field names are not "
                                        "supported at the moment.");
    arena_deinit(&a);
}

TEST(doc_shred_depth_limit)
{
    struct arena a;
    struct doc_shred_rows rows;
    struct doc_shred_err err;
    char *s;

    arena_init(&a, 4096);
    /* 64 levels of objects around a number: the path is 64 long */
    s = nest(64, "{\"k\":", "}", "1");
    EQ(shred(&a, s, &rows, &err), 0);
    EQ(rows.n, 1);
    EQ(rows.v[0].leaf->depth, 64);
    free(s);
    /* an empty object as the 64th segment's value: 65 levels of JSON, still 64 path segments */
    s = nest(64, "{\"k\":", "}", "{}");
    EQ(shred(&a, s, &rows, &err), 0);
    EQ(rows.v[0].leaf->depth, 64);
    free(s);
    s = nest(65, "{\"k\":", "}", "1");
    SHRED_FAILS(&a, s, "Max depth of 64 exceeded.");
    free(s);
    s = nest(65, "{\"k\":", "}", "[]");
    SHRED_FAILS(&a, s, "Max depth of 64 exceeded.");
    free(s);
    /* arrays of arrays count the same way */
    s = nest(64, "[", "]", "true");
    EQ(shred(&a, s, &rows, &err), 0);
    EQ(rows.v[0].leaf->depth, 64);
    free(s);
    s = nest(65, "[", "]", "true");
    SHRED_FAILS(&a, s, "Max depth of 64 exceeded.");
    free(s);
    s = nest(300, "[", "]", "0");
    SHRED_FAILS(&a, s, "Max depth of 64 exceeded.");
    free(s);
    arena_deinit(&a);
}

TEST(doc_shred_first_failure_in_document_order_wins)
{
    struct arena a;
    char *deep = nest(70, "{\"k\":", "}", "1");
    char *doc = malloc(strlen(deep) + 64);

    arena_init(&a, 4096);
    OK(doc != NULL);
    snprintf(doc, strlen(deep) + 64, "{\"a.b\":1,\"c\":%s}", deep);
    SHRED_FAILS(&a, doc, "Array paths contained in square brackets, periods, single quotes, and "
                         "backslash are not allowed in field names, invalid field a.b");
    snprintf(doc, strlen(deep) + 64, "{\"c\":%s,\"a.b\":1}", deep);
    SHRED_FAILS(&a, doc, "Max depth of 64 exceeded.");
    free(doc);
    free(deep);
    arena_deinit(&a);
}

TEST(doc_shred_array_length_limit)
{
    struct arena a;
    size_t n = DOC_SHRED_MAX_ARRAY + 1;
    char *s = malloc(2 * n + 8);
    size_t o = 0;

    OK(s != NULL);
    arena_init(&a, 1 << 20);
    memcpy(s + o, "{\"a\":[", 6);
    o += 6;
    for (size_t i = 0; i < n; i++) {
        if (i > 0) {
            s[o++] = ',';
        }
        s[o++] = '0';
    }
    memcpy(s + o, "]}", 3);
    SHRED_FAILS(&a, s, "Max array length of 1000000 exceeded.");
    free(s);
    arena_deinit(&a);
}

TEST(doc_shred_repeated_member_names)
{
    struct arena a;
    struct doc_shred_rows rows;
    struct doc_shred_err err;
    struct cql_wr w;

    arena_init(&a, 4096);
    /* the first place, the last value, as Jackson's ObjectNode keeps them */
    EQ(shred(&a, "{\"a\":1,\"b\":2,\"a\":{\"x\":3},\"b\":4,\"c\":5,\"a\":6}", &rows, &err), 0);
    STREQ(rows_text(&a, &rows), "a n:6\nb n:4\nc n:5\n");
    /* the same in a larger object, with several names repeated */
    cql_wr_init(&w, NULL, 0, arena_wr_grow, &a);
    cql_wr_raw(&w, "{\"z\":0", 6);
    for (int i = 0; i < 30; i++) {
        char m[32];

        snprintf(m, sizeof(m), ",\"m%02d\":%d", i % 20, i);
        cql_wr_raw(&w, m, strlen(m));
    }
    cql_wr_raw(&w, ",\"z\":99}", 9);
    EQ(shred(&a, (const char *)w.p, &rows, &err), 0);
    EQ(rows.n, 21);
    OK(strncmp(rows_text(&a, &rows), "z n:99\nm00 n:20\nm01 n:21\n", 24) == 0);
    OK(strstr(rows_text(&a, &rows), "m19 n:19\n") != NULL);
    OK(strstr(rows_text(&a, &rows), "m09 n:29\n") != NULL);
    OK(strstr(rows_text(&a, &rows), "m10 n:10\n") != NULL);
    arena_deinit(&a);
}

TEST(doc_shred_numbers)
{
    static const struct {
        const char *text;               /* the number as sent */
        double      want;               /* the double stored */
    } cases[] = {
        { "0", 0.0 },
        { "-7", -7.0 },
        { "2.5", 2.5 },
        { "0.1", 0.1 },
        { "1e3", 1000.0 },
        { "-1.5E-7", -1.5e-7 },
        { "9007199254740993", 9007199254740992.0 },         /* past 2^53: nearest double */
        { "12345678901234567890", 12345678901234567890.0 },
        { "1.7976931348623157e308", 1.7976931348623157e308 },
        { "4.9e-324", 4.9e-324 },
        { "1e-400", 0.0 },
    };
    struct arena a;
    struct doc_shred_rows rows;
    struct doc_shred_err err;

    arena_init(&a, 4096);
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char doc[96];

        snprintf(doc, sizeof(doc), "[%s]", cases[i].text);
        EQ(shred(&a, doc, &rows, &err), 0);
        EQ(rows.v[0].type, DOC_SHRED_NUMBER);
        OK(rows.v[0].d == cases[i].want);
    }
    /* -0 is Jackson's int 0; -0.0 is a double and keeps its sign */
    EQ(shred(&a, "[-0, -0.0, 1e400, -1e400]", &rows, &err), 0);
    OK(rows.v[0].d == 0.0 && !signbit(rows.v[0].d));
    OK(rows.v[1].d == 0.0 && signbit(rows.v[1].d));
    OK(isinf(rows.v[2].d) && rows.v[2].d > 0);
    OK(isinf(rows.v[3].d) && rows.v[3].d < 0);
    arena_deinit(&a);
}

/* Reads the [value]s of one INSERT back as the cells of one SELECT row (the layouts match). */
static int
values_to_cells(const uint8_t *p, size_t len, struct cql_bytes *cells, size_t n)
{
    struct cql_rd r;

    cql_rd_init(&r, p, len);
    for (size_t i = 0; i < n; i++) {
        cells[i] = cql_rd_value(&r);
    }
    return cql_rd_ok(&r) && cql_rd_left(&r) == 0 ? 0 : -1;
}

TEST(doc_shred_bind_and_cells)
{
    struct arena a;
    struct doc_shred_rows rows;
    struct doc_shred_err err;
    struct cql_bytes cells[DOC_SHRED_NCELLS + 1];
    struct doc_shred_in in;
    struct cql_wr w;

    arena_init(&a, 4096);
    EQ(shred(&a, "{\"a\":[{\"b\":\"x\"},2.5,true,null]}", &rows, &err), 0);
    EQ(rows.n, 4);

    /* a string, no TTL */
    cql_wr_init(&w, NULL, 0, arena_wr_grow, &a);
    EQ(doc_shred_bind(&w, &rows.v[0], "id-1", 4, -1, 1700000000123456LL), DOC_SHRED_NCELLS);
    EQ(values_to_cells(w.p, w.len, cells, DOC_SHRED_NCELLS), 0);
    MEMEQ(cells[0].p, cells[0].len, "id-1", 4);
    MEMEQ(cells[1].p, cells[1].len, "a", 1);
    MEMEQ(cells[2].p, cells[2].len, "[000000]", 8);
    MEMEQ(cells[3].p, cells[3].len, "b", 1);
    for (int i = 4; i <= DOC_SHRED_DEPTH; i++) {
        EQ(cells[i].len, 0);                            /* '' past the path, never null */
    }
    MEMEQ(cells[DOC_SHRED_DEPTH + 1].p, cells[DOC_SHRED_DEPTH + 1].len, "b", 1);
    MEMEQ(cells[DOC_SHRED_DEPTH + 2].p, cells[DOC_SHRED_DEPTH + 2].len, "x", 1);
    EQ(cells[DOC_SHRED_DEPTH + 3].len, CQL_NULL);
    EQ(cells[DOC_SHRED_DEPTH + 4].len, CQL_NULL);
    EQ(cells[DOC_SHRED_DEPTH + 5].len, 8);
    EQ((int64_t)cql_be64(cells[DOC_SHRED_DEPTH + 5].p), 1700000000123456LL);
    doc_shred_cells(cells, &in);
    SLICEEQ(in.p[0].p, in.p[0].len, "a");
    SLICEEQ(in.p[2].p, in.p[2].len, "b");
    EQ(in.p[3].len, 0);
    SLICEEQ(in.leaf.p, in.leaf.len, "b");
    OK(in.has_text && !in.has_dbl && !in.has_bool);
    SLICEEQ(in.text.p, in.text.len, "x");
    EQ(in.writetime, 1700000000123456LL);

    /* a number with a TTL: one more value before the timestamp */
    cql_wr_init(&w, NULL, 0, arena_wr_grow, &a);
    EQ(doc_shred_bind(&w, &rows.v[1], "k", 1, 3600, 5), DOC_SHRED_NCELLS + 1);
    EQ(values_to_cells(w.p, w.len, cells, DOC_SHRED_NCELLS + 1), 0);
    EQ(cells[DOC_SHRED_DEPTH + 2].len, CQL_NULL);
    EQ(cells[DOC_SHRED_DEPTH + 3].len, 8);
    UEQ(cql_be64(cells[DOC_SHRED_DEPTH + 3].p), 0x4004000000000000ULL);   /* 2.5 */
    EQ(cells[DOC_SHRED_DEPTH + 5].len, 4);
    EQ((int32_t)cql_be32(cells[DOC_SHRED_DEPTH + 5].p), 3600);
    EQ((int64_t)cql_be64(cells[DOC_SHRED_DEPTH + 6].p), 5);

    /* a boolean: one byte, read back by boolean and tinyint columns alike */
    cql_wr_init(&w, NULL, 0, arena_wr_grow, &a);
    EQ(doc_shred_bind(&w, &rows.v[2], "k", 1, 0, 5), DOC_SHRED_NCELLS + 1);
    EQ(values_to_cells(w.p, w.len, cells, DOC_SHRED_NCELLS + 1), 0);
    EQ(cells[DOC_SHRED_DEPTH + 4].len, 1);
    EQ(cells[DOC_SHRED_DEPTH + 4].p[0], 1);
    EQ((int32_t)cql_be32(cells[DOC_SHRED_DEPTH + 5].p), 0);     /* TTL 0 is still sent */

    /* a null: all three value columns null */
    cql_wr_init(&w, NULL, 0, arena_wr_grow, &a);
    EQ(doc_shred_bind(&w, &rows.v[3], "k", 1, -1, 5), DOC_SHRED_NCELLS);
    EQ(values_to_cells(w.p, w.len, cells, DOC_SHRED_NCELLS), 0);
    EQ(cells[DOC_SHRED_DEPTH + 2].len, CQL_NULL);
    EQ(cells[DOC_SHRED_DEPTH + 3].len, CQL_NULL);
    EQ(cells[DOC_SHRED_DEPTH + 4].len, CQL_NULL);
    doc_shred_cells(cells, &in);
    OK(!in.has_text && !in.has_dbl && !in.has_bool);
    arena_deinit(&a);
}

TEST(doc_shred_cells_bool_and_double_types)
{
    static const uint8_t zero = 0, one = 1, two = 2;
    static const uint8_t flt[4] = { 0x3f, 0xc0, 0x00, 0x00 };  /* 1.5f */
    struct cql_bytes cells[DOC_SHRED_NCELLS];
    struct doc_shred_in in;

    for (int i = 0; i < DOC_SHRED_NCELLS; i++) {
        cells[i].p = NULL;
        cells[i].len = CQL_NULL;
    }
    cells[DOC_SHRED_DEPTH + 4].p = &two;                /* tinyint 2 */
    cells[DOC_SHRED_DEPTH + 4].len = 1;
    doc_shred_cells(cells, &in);
    OK(in.has_bool && in.boolean);
    EQ(in.p[0].len, 0);                                 /* a null p reads as '' */
    EQ(in.leaf.len, 0);
    EQ(in.writetime, 0);
    cells[DOC_SHRED_DEPTH + 4].p = &zero;
    doc_shred_cells(cells, &in);
    OK(in.has_bool && !in.boolean);
    cells[DOC_SHRED_DEPTH + 4].p = &one;
    doc_shred_cells(cells, &in);
    OK(in.has_bool && in.boolean);
    cells[DOC_SHRED_DEPTH + 3].p = flt;
    cells[DOC_SHRED_DEPTH + 3].len = 4;
    doc_shred_cells(cells, &in);
    OK(in.has_dbl && in.dbl == 1.5);
}

/* ---- round trips ----------------------------------------------------------------------------- */

TEST(doc_shred_roundtrip_shapes)
{
    static const struct {
        const char *in;                 /* as written */
        const char *out;                /* as read back: keys sorted by their bytes */
    } cases[] = {
        { "{\"a\":{\"b\":[1,{\"c\":null}],\"d\":{}},\"e\":\"x\"}",
          "{\"a\":{\"b\":[1,{\"c\":null}],\"d\":{}},\"e\":\"x\"}" },
        { "{\"b\":1,\"a\":2,\"C\":3,\"aa\":4,\"A\":5}",
          "{\"A\":5,\"C\":3,\"a\":2,\"aa\":4,\"b\":1}" },
        { "[1,2,3]", "[1,2,3]" },
        { "[[1,[2,[3,[]]]],[[[{}]]]]", "[[1,[2,[3,[]]]],[[[{}]]]]" },
        { "{\"e\":{},\"f\":[],\"g\":[{}],\"h\":[[]],\"i\":{\"j\":{}}}",
          "{\"e\":{},\"f\":[],\"g\":[{}],\"h\":[[]],\"i\":{\"j\":{}}}" },
        { "{\"t\":true,\"f\":false,\"n\":null,\"s\":\"\",\"z\":0}",
          "{\"f\":false,\"n\":null,\"s\":\"\",\"t\":true,\"z\":0}" },
        { "[null,null,1,null]", "[null,null,1,null]" },
        { "{\"a\":[null]}", "{\"a\":[null]}" },
        { "{\"caf\\u00e9\":\"\\ud83d\\ude00\",\"\\\"q\\\"\":\"a\\\\b\\n\","
          "\"nul\\u0000\":\"\\u0000\"}",
          "{\"\\\"q\\\"\":\"a\\\\b\\n\",\"caf\xc3\xa9\":\"\xf0\x9f\x98\x80\","
          "\"nul\\u0000\":\"\\u0000\"}" },
        { "{\"a\\\\.b\":1,\"x\\\\*\":2,\"y\\\\,z\":3}", "{\"a.b\":1,\"x*\":2,\"y,z\":3}" },
        { "{\"a\":1,\"a\":2}", "{\"a\":2}" },
        { "{\"10\":1,\"9\":2,\"-1\":3}", "{\"-1\":3,\"10\":1,\"9\":2}" },
        { "{\"]\":1,\"*\":2,\"$\":3}", "{\"$\":3,\"*\":2,\"]\":1}" },
    };
    struct arena a;

    arena_init(&a, 4096);
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        ROUNDTRIP(&a, cases[i].in, cases[i].out);
    }
    arena_deinit(&a);
}

TEST(doc_shred_roundtrip_numbers)
{
    static const struct {
        const char *in;                 /* as written */
        const char *out;                /* as read back: a long when integral, else Java's text */
    } cases[] = {
        { "1", "1" },
        { "1.0", "1" },
        { "-0", "0" },
        { "-0.0", "0" },
        { "2.5", "2.5" },
        { "0.1", "0.1" },
        { "1e-7", "1.0E-7" },
        { "0.001", "0.001" },
        { "12345678.5", "1.23456785E7" },
        { "1234567.5", "1234567.5" },
        { "9007199254740993", "9007199254740992" },
        { "9223372036854775807", "9223372036854775807" },   /* 2^63: Java's cast saturates */
        { "-9223372036854775808", "-9223372036854775808" },
        { "1e19", "1.0E19" },
        { "-1e300", "-1.0E300" },
        { "1e400", "\"Infinity\"" },
        { "-1e400", "\"-Infinity\"" },
        { "4.9e-324", "4.9E-324" },
    };
    struct arena a;

    arena_init(&a, 4096);
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char in[64], out[64];

        snprintf(in, sizeof(in), "{\"n\":%s}", cases[i].in);
        snprintf(out, sizeof(out), "{\"n\":%s}", cases[i].out);
        ROUNDTRIP(&a, in, out);
    }
    arena_deinit(&a);
}

TEST(doc_shred_roundtrip_deep)
{
    struct arena a;
    char *in;

    arena_init(&a, 4096);
    /* the deepest document: 64 path segments, the last one an empty object */
    in = nest(64, "{\"k\":", "}", "{}");
    ROUNDTRIP(&a, in, in);
    free(in);
    in = nest(64, "[", "]", "[]");
    ROUNDTRIP(&a, in, in);
    free(in);
    in = nest(32, "{\"a\":[", "]}", "\"x\"");
    ROUNDTRIP(&a, in, in);
    free(in);
    /* arrays past nine elements sort by their padded index */
    ROUNDTRIP(&a, "[0,1,2,3,4,5,6,7,8,9,10,11,12]", "[0,1,2,3,4,5,6,7,8,9,10,11,12]");
    arena_deinit(&a);
}

/* ---- reading rows as Stargate wrote them ----------------------------------------------------- */

TEST(doc_shred_asm_newer_rows_win)
{
    struct arena a;
    struct doc_shred_in v[8];
    size_t dead = 0;

    arena_init(&a, 4096);
    /* {"a":{"b":1}} written at 1 and {"a":[7,8]} at 2, rows in clustering order */
    in_row(&v[0], (const char *[]){ "a", "[000000]", NULL }, 2);
    in_num(&v[0], 7);
    in_row(&v[1], (const char *[]){ "a", "[000001]", NULL }, 2);
    in_num(&v[1], 8);
    in_row(&v[2], (const char *[]){ "a", "b", NULL }, 1);
    in_num(&v[2], 1);
    STREQ(assemble(&a, v, 3, &dead), "{\"a\":[7,8]}");
    EQ(dead, 1);
    /* the other way round: the object is newer */
    v[0].writetime = v[1].writetime = 1;
    v[2].writetime = 2;
    STREQ(assemble(&a, v, 3, &dead), "{\"a\":{\"b\":1}}");
    EQ(dead, 0);

    /* a scalar at "a" against an object under it */
    in_row(&v[0], (const char *[]){ "a", NULL }, 1);
    in_text(&v[0], "old");
    in_row(&v[1], (const char *[]){ "a", "b", NULL }, 2);
    in_num(&v[1], 1);
    STREQ(assemble(&a, v, 2, &dead), "{\"a\":{\"b\":1}}");
    v[0].writetime = 3;
    STREQ(assemble(&a, v, 2, &dead), "{\"a\":\"old\"}");
    EQ(dead, 1);

    /* the document root: an array against an object */
    in_row(&v[0], (const char *[]){ "A", NULL }, 1);
    in_num(&v[0], 1);
    in_row(&v[1], (const char *[]){ "[000000]", NULL }, 2);
    in_num(&v[1], 2);
    in_row(&v[2], (const char *[]){ "k", NULL }, 1);
    in_num(&v[2], 3);
    STREQ(assemble(&a, v, 3, &dead), "[2]");
    EQ(dead, 1);
    v[1].writetime = 0;
    STREQ(assemble(&a, v, 3, &dead), "{\"A\":1,\"k\":3}");
    EQ(dead, 1);

    /* equal times: the later row wins, as Stargate's <= does */
    in_row(&v[0], (const char *[]){ "a", NULL }, 5);
    in_num(&v[0], 1);
    in_row(&v[1], (const char *[]){ "a", "[000000]", NULL }, 5);
    in_num(&v[1], 2);
    STREQ(assemble(&a, v, 2, &dead), "{\"a\":[2]}");
    arena_deinit(&a);
}

TEST(doc_shred_asm_stale_rows_of_a_partial_update)
{
    struct arena a;
    struct doc_shred_in v[8];
    size_t dead = 0;

    arena_init(&a, 4096);
    /* {"a":{"x":0,"y":2}} at 1, then "a.x" replaced at 5: older siblings stay */
    in_row(&v[0], (const char *[]){ "a", "x", NULL }, 5);
    in_num(&v[0], 1);
    in_row(&v[1], (const char *[]){ "a", "y", NULL }, 1);
    in_num(&v[1], 2);
    STREQ(assemble(&a, v, 2, &dead), "{\"a\":{\"x\":1,\"y\":2}}");
    EQ(dead, 0);

    /* an old scalar under a path a newer row made a scalar: dead, and so are its children */
    in_row(&v[0], (const char *[]){ "a", NULL }, 9);
    in_text(&v[0], "new");
    in_row(&v[1], (const char *[]){ "a", "b", NULL }, 1);
    in_num(&v[1], 1);
    in_row(&v[2], (const char *[]){ "a", "b", "c", NULL }, 1);
    in_num(&v[2], 1);
    STREQ(assemble(&a, v, 3, &dead), "{\"a\":\"new\"}");
    EQ(dead, 2);
    arena_deinit(&a);
}

TEST(doc_shred_asm_odd_rows)
{
    struct arena a;
    struct doc_shred_in v[8];
    size_t dead = 0;

    arena_init(&a, 4096);
    /* the DOCROOT row of older collections is skipped, and not counted dead */
    in_row(&v[0], (const char *[]){ DOC_SHRED_ROOT_MARKER, NULL }, 1);
    in_row(&v[1], (const char *[]){ "a", NULL }, 1);
    in_text(&v[1], "x");
    STREQ(assemble(&a, v, 2, &dead), "{\"a\":\"x\"}");
    EQ(dead, 0);

    /* unpadded indices; the same index twice keeps the first value that is not null */
    in_row(&v[0], (const char *[]){ "a", "[000001]", NULL }, 1);
    in_num(&v[0], 1);
    in_row(&v[1], (const char *[]){ "a", "[1]", NULL }, 1);
    in_num(&v[1], 2);
    in_row(&v[2], (const char *[]){ "a", "[3]", NULL }, 1);
    in_num(&v[2], 3);
    STREQ(assemble(&a, v, 3, &dead), "{\"a\":[null,1,null,3]}");
    EQ(dead, 1);

    /* an index that is not a number, or past the longest array: that row is lost */
    in_row(&v[0], (const char *[]){ "a", "[x]", NULL }, 1);
    in_num(&v[0], 1);
    in_row(&v[1], (const char *[]){ "b", "[1000000]", NULL }, 1);
    in_num(&v[1], 1);
    in_row(&v[2], (const char *[]){ "c", "[", NULL }, 1);
    in_num(&v[2], 1);
    in_row(&v[3], (const char *[]){ "d", NULL }, 1);
    in_num(&v[3], 4);
    STREQ(assemble(&a, v, 4, &dead), "{\"a\":[],\"b\":[],\"c\":[],\"d\":4}");
    EQ(dead, 3);

    /* rows out of order still build the document */
    in_row(&v[0], (const char *[]){ "z", "[000002]", NULL }, 1);
    in_num(&v[0], 2);
    in_row(&v[1], (const char *[]){ "a", NULL }, 1);
    in_num(&v[1], 0);
    in_row(&v[2], (const char *[]){ "z", "[000000]", NULL }, 1);
    in_num(&v[2], 0);
    STREQ(assemble(&a, v, 3, &dead), "{\"z\":[0,null,2],\"a\":0}");

    /* no rows: an empty object */
    STREQ(assemble(&a, v, 0, &dead), "{}");
    arena_deinit(&a);
}

TEST(doc_shred_asm_values)
{
    struct arena a;
    struct doc_shred_in v[12];
    int n = 0;

    arena_init(&a, 4096);
    in_row(&v[n], (const char *[]){ "b1", NULL }, 1);
    v[n].has_bool = true;
    v[n++].boolean = true;
    in_row(&v[n], (const char *[]){ "b2", NULL }, 1);
    v[n++].has_bool = true;
    in_row(&v[n], (const char *[]){ "d1", NULL }, 1);
    in_num(&v[n++], 0.5);
    in_row(&v[n], (const char *[]){ "d2", NULL }, 1);
    in_num(&v[n++], NAN);
    in_row(&v[n], (const char *[]){ "d3", NULL }, 1);
    in_num(&v[n++], -INFINITY);
    in_row(&v[n], (const char *[]){ "d4", NULL }, 1);
    in_num(&v[n++], 1e21);
    in_row(&v[n], (const char *[]){ "d5", NULL }, 1);
    in_num(&v[n++], -3);
    in_row(&v[n], (const char *[]){ "e1", NULL }, 1);
    in_text(&v[n++], DOC_SHRED_EMPTY_ARRAY);
    in_row(&v[n], (const char *[]){ "e2", NULL }, 1);
    in_text(&v[n++], DOC_SHRED_EMPTY_OBJECT);
    in_row(&v[n], (const char *[]){ "n", NULL }, 1);
    n++;
    /* text wins over the other columns, then the boolean, then the double */
    in_row(&v[n], (const char *[]){ "t1", NULL }, 1);
    in_text(&v[n], "s");
    in_num(&v[n], 1);
    v[n++].has_bool = true;
    in_row(&v[n], (const char *[]){ "t2", NULL }, 1);
    in_num(&v[n], 1);
    v[n++].has_bool = true;
    STREQ(assemble(&a, v, (size_t)n, NULL),
          "{\"b1\":true,\"b2\":false,\"d1\":0.5,\"d2\":\"NaN\",\"d3\":\"-Infinity\","
          "\"d4\":1.0E21,\"d5\":-3,\"e1\":[],\"e2\":{},\"n\":null,\"t1\":\"s\",\"t2\":false}");
    arena_deinit(&a);
}

/* ---- fields ---------------------------------------------------------------------------------- */

/* Checks that parsing FIELDS fails with exactly WANT. */
#define FIELDS_FAIL(a, fields, want)                                                               \
    do {                                                                                           \
        struct doc_shred_fields f_;                                                                \
        struct doc_shred_err e_;                                                                   \
        EQ(doc_shred_fields_parse((fields), strlen(fields), (a), &f_, &e_), E_INVALID);            \
        SLICEEQ(e_.desc, e_.len, (want));                                                          \
    } while (0)

TEST(doc_shred_fields_errors)
{
    struct arena a;

    arena_init(&a, 4096);
    FIELDS_FAIL(&a, "a", "The `fields` parameter expects a valid JSON array containing field "
                         "names.");
    FIELDS_FAIL(&a, "[\"a\"", "The `fields` parameter expects a valid JSON array containing "
                              "field names.");
    FIELDS_FAIL(&a, "{ \"a\" : 1 }", "`fields` must be a JSON array, found {\"a\":1}");
    FIELDS_FAIL(&a, "\"a\"", "`fields` must be a JSON array, found \"a\"");
    FIELDS_FAIL(&a, "", "`fields` must be a JSON array, found ");
    FIELDS_FAIL(&a, "[\"a\", 1]", "Each field must be a string, found 1");
    FIELDS_FAIL(&a, "[[\"a\"]]", "Each field must be a string, found [\"a\"]");
    FIELDS_FAIL(&a, "[null]", "Each field must be a string, found null");
    FIELDS_FAIL(&a, "[\"a.[x]\"]", "Array path [x] is not valid.");
    FIELDS_FAIL(&a, "[\"a.[1],[y]\"]", "Array path [y] is not valid.");
    FIELDS_FAIL(&a, "[\"[99999999999]\"]", "Array path [99999999999] is not valid.");
    FIELDS_FAIL(&a, "[\"[1000000]\"]", "Max array length of 1000000 exceeded.");
    arena_deinit(&a);
}

/* Whether FIELDS keeps the row at PATH. */
static int
keeps(struct arena *a, const char *fields, const char *const *path)
{
    struct doc_shred_fields f;
    struct doc_shred_err err;
    struct doc_shred_in in;

    if (doc_shred_fields_parse(fields, strlen(fields), a, &f, &err) != 0) {
        return -1;
    }
    in_row(&in, path, 1);
    return doc_shred_fields_match(&f, &in) ? 1 : 0;
}

TEST(doc_shred_fields_match)
{
    static const char *const ab[] = { "a", "b", NULL };
    static const char *const abc[] = { "a", "b", "c", NULL };
    static const char *const ac[] = { "a", "c", NULL };
    static const char *const a0[] = { "a", "[000000]", NULL };
    static const char *const a12[] = { "a", "[000012]", "x", NULL };
    static const char *const a_dot_b[] = { "a.b", NULL };
    static const char *const a_comma_b[] = { "a,b", NULL };
    static const char *const star[] = { "*", "q", NULL };
    struct arena a;

    arena_init(&a, 4096);
    EQ(keeps(&a, "[]", ab), 1);                         /* no fields: every row */
    EQ(keeps(&a, "[\"a.b\"]", ab), 1);
    EQ(keeps(&a, "[\"a.b\"]", abc), 1);                 /* a prefix keeps what is under it */
    EQ(keeps(&a, "[\"a.b\"]", ac), 0);
    EQ(keeps(&a, "[\"a.b.c.d\"]", abc), 0);
    EQ(keeps(&a, "[\"a\"]", ac), 1);
    EQ(keeps(&a, "[\"x\", \"a.c\"]", ac), 1);
    EQ(keeps(&a, "[\"a.[0]\"]", a0), 1);
    EQ(keeps(&a, "[\"a.[000000]\"]", a0), 1);
    EQ(keeps(&a, "[\"a.[1]\"]", a0), 0);
    EQ(keeps(&a, "[\"a.[12].x\"]", a12), 1);
    EQ(keeps(&a, "[\"a.[*]\"]", a12), 1);
    EQ(keeps(&a, "[\"a.[*]\"]", ab), 0);                /* [*] only matches indices */
    EQ(keeps(&a, "[\"*.b\"]", ab), 1);
    EQ(keeps(&a, "[\"*.x\"]", ab), 0);
    EQ(keeps(&a, "[\"a.c,b\"]", ab), 1);                /* alternatives in one segment */
    EQ(keeps(&a, "[\"a.c,d\"]", ab), 0);
    EQ(keeps(&a, "[\"a.[5],[0]\"]", a0), 1);
    EQ(keeps(&a, "[\"a\\\\.b\"]", a_dot_b), 1);         /* an escaped period is a key's own */
    EQ(keeps(&a, "[\"a\\\\.b\"]", ab), 0);
    EQ(keeps(&a, "[\"a\\\\,b\"]", a_comma_b), 0);       /* Stargate splits it after unescaping */
    EQ(keeps(&a, "[\"a\\\\,b\"]", ab), 1);
    EQ(keeps(&a, "[\"\\\\*.q\"]", star), 1);            /* and \* becomes a glob again */
    EQ(keeps(&a, "[\"a.\"]", ac), 1);                   /* trailing empty segments drop */
    EQ(keeps(&a, "[\".\"]", ac), 1);                    /* nothing left: every row */
    EQ(keeps(&a, "[\"\"]", ac), 0);
    arena_deinit(&a);
}

TEST(doc_shred_fields_filter_a_document)
{
    struct arena a;
    struct doc_shred_rows rows;
    struct doc_shred_err err;
    struct doc_shred_fields f;
    struct doc_shred_in *v;
    size_t n = 0, kept = 0;
    static const char fields[] = "[\"b\", \"c.[1]\"]";

    arena_init(&a, 4096);
    EQ(shred(&a, "{\"a\":1,\"b\":{\"x\":[true]},\"c\":[5,6,7]}", &rows, &err), 0);
    v = arena_alloc(&a, rows.n * sizeof(*v));
    rows_to_in(&rows, 1, v, &n);
    EQ(doc_shred_fields_parse(fields, strlen(fields), &a, &f, &err), 0);
    for (size_t i = 0; i < n; i++) {
        if (doc_shred_fields_match(&f, &v[i])) {
            v[kept++] = v[i];
        }
    }
    STREQ(assemble(&a, v, kept, NULL), "{\"b\":{\"x\":[true]},\"c\":[null,6]}");
    arena_deinit(&a);
}

/* ---- numbers --------------------------------------------------------------------------------- */

TEST(doc_shred_parse_int)
{
    static const struct {
        const char *s;                  /* text */
        int         ok;                 /* Integer.parseInt takes it */
        int32_t     v;                  /* and reads this */
    } cases[] = {
        { "0", 1, 0 },
        { "+5", 1, 5 },
        { "-1", 1, -1 },
        { "007", 1, 7 },
        { "2147483647", 1, INT32_MAX },
        { "-2147483648", 1, INT32_MIN },
        { "2147483648", 0, 0 },
        { "-2147483649", 0, 0 },
        { "99999999999999999999", 0, 0 },
        { "", 0, 0 },
        { "-", 0, 0 },
        { "+", 0, 0 },
        { "1a", 0, 0 },
        { " 1", 0, 0 },
        { "1.0", 0, 0 },
        { "--1", 0, 0 },
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        int32_t v = 12345;
        int rc = doc_shred_parse_int(cases[i].s, strlen(cases[i].s), &v);

        EQ(rc == 0, cases[i].ok);
        if (cases[i].ok) {
            EQ(v, cases[i].v);
        } else {
            EQ(v, 12345);
        }
    }
}

TEST(doc_shred_path_seg)
{
    static const struct {
        const char *seg;                /* percent-decoded URL segment */
        bool        read;               /* unescape (a read) or not (a write) */
        const char *out;                /* stored form, or NULL for an error ... */
        const char *err;                /* ... with this text */
    } cases[] = {
        { "a", false, "a", NULL },
        { "[3]", false, "[000003]", NULL },
        { "[000003]", true, "[000003]", NULL },
        { "[123456]", true, "[123456]", NULL },
        { "[999999]", true, "[999999]", NULL },
        { "[1000000]", true, NULL, "Max array length of 1000000 exceeded." },
        { "[x]", true, NULL, "Array path [x] is not valid." },
        { "[*]", true, "[*]", NULL },
        { "a\\.b", true, "a.b", NULL },
        { "a\\.b", false, "a\\.b", NULL },
        { "p\\,q\\*", true, "p,q*", NULL },
        { "[", true, "[", NULL },
    };
    struct arena a;

    arena_init(&a, 4096);
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct cql_str in = { cases[i].seg, strlen(cases[i].seg) };
        struct cql_str out = { NULL, 0 };
        struct doc_shred_err err;
        int rc = doc_shred_path_seg(&a, in, cases[i].read, &out, &err);

        if (cases[i].out != NULL) {
            EQ(rc, 0);
            UEQ(out.len, strlen(cases[i].out));
            OK(memcmp(out.p, cases[i].out, out.len) == 0);
        } else {
            EQ(rc, E_INVALID);
            UEQ(err.len, strlen(cases[i].err));
            OK(memcmp(err.desc, cases[i].err, err.len) == 0);
        }
    }
    arena_deinit(&a);
}

TEST(doc_shred_asm_write_at)
{
    static const struct {
        const char *path;               /* segments joined by '/', "" for the root */
        const char *want;               /* the value there, or NULL when there is none */
    } cases[] = {
        { "", "{\"a\":{\"b\":[1,{\"c\":null}],\"d\":{}},\"e\":\"x\"}" },
        { "a", "{\"b\":[1,{\"c\":null}],\"d\":{}}" },
        { "a/b", "[1,{\"c\":null}]" },
        { "a/b/[000000]", "1" },
        { "a/b/[1]", "{\"c\":null}" },
        { "a/b/[000001]/c", "null" },
        { "a/d", "{}" },
        { "e", "\"x\"" },
        { "a/b/[000002]", NULL },
        { "a/b/c", NULL },
        { "e/f", NULL },
        { "z", NULL },
        { "a/[000000]", NULL },
    };
    struct doc_shred_in v[16];
    struct doc_shred_rows rows;
    struct doc_shred_err err;
    struct doc_shred_asm d;
    struct arena a;
    size_t n = 0;

    arena_init(&a, 4096);
    EQ(shred(&a, cases[0].want, &rows, &err), 0);
    rows_to_in(&rows, 1, v, &n);
    doc_shred_asm_init(&d, &a);
    for (size_t i = 0; i < n; i++) {
        doc_shred_asm_row(&d, &v[i]);
    }
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct cql_str path[8];
        size_t np = 0;
        const char *s = cases[i].path;
        struct cql_wr w;
        int rc;

        while (*s != '\0') {
            size_t len = strcspn(s, "/");

            path[np++] = (struct cql_str){ s, len };
            s += len + (s[len] == '/');
        }
        cql_wr_init(&w, NULL, 0, arena_wr_grow, &a);
        rc = doc_shred_asm_write_at(&d, path, np, &w);
        if (cases[i].want == NULL) {
            EQ(rc, E_INVALID);
            continue;
        }
        EQ(rc, 0);
        cql_wr_byte(&w, '\0');
        STREQ((const char *)w.p, cases[i].want);
    }
    arena_deinit(&a);
}
