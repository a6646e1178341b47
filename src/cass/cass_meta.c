/*
 * cass_meta.c: schema snapshots from system_schema rows (see cass_meta.h).
 *
 * Building runs in two stages. Rows are first decoded into flat records (one array per
 * system_schema table) whose strings live in the builder's arena; nothing is interpreted yet,
 * because rows come in clustering order and a column type may name a user type whose row has not
 * been seen. Finishing sorts the records by (keyspace, table, name), walks them keyspace by
 * keyspace, parses and resolves types, and lays the snapshot out in its own arena:
 *
 *     rows --decode--> records (builder arena) --sort, group, parse, resolve--> snapshot (arena)
 *
 * A rebuild of one keyspace turns the other keyspaces of the old snapshot back into records that
 * point into the old snapshot (no copy), adds the new keyspace's rows, and finishes as usual, so
 * there is one way a snapshot is made.
 */
#include "cass/cass_meta.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cql_value.h"

/* ---- records --------------------------------------------------------------------------------- */

/* A row of system_schema.keyspaces. */
struct rec_ks {
    struct cql_str                 name;        /* keyspace_name */
    bool                           durable;     /* durable_writes (true when absent) */
    const struct cass_meta_option *repl;        /* replication, sorted by key */
    uint32_t                       nrepl;       /* its entries */
};

/* A row of system_schema.tables or system_schema.views. */
struct rec_table {
    struct cql_str ks;                          /* keyspace_name */
    struct cql_str name;                        /* table_name or view_name */
    struct cql_str comment;                     /* comment */
    struct cql_str base;                        /* view: base_table_name */
    struct cql_str where;                       /* view: where_clause */
    int32_t        ttl;                         /* default_time_to_live */
    uint8_t        id[16];                      /* id */
    bool           has_id;                      /* id was present */
    bool           is_view;                     /* from system_schema.views */
    bool           include_all;                 /* view: include_all_columns */
    bool           counter;                     /* flags: "counter" */
    bool           dense;                       /* flags: "dense" */
    bool           super;                       /* flags: "super" */
    bool           compound;                    /* flags: "compound" */
};

/* A row of system_schema.columns. */
struct rec_col {
    struct cql_str ks;                          /* keyspace_name */
    struct cql_str table;                       /* table_name */
    struct cql_str name;                        /* column_name */
    struct cql_str type;                        /* type, CQL text */
    uint8_t        kind;                        /* enum cass_meta_kind */
    uint8_t        order;                       /* enum cass_meta_order */
    int32_t        position;                    /* position (-1 when absent) */
};

/* A row of system_schema.types. */
struct rec_type {
    struct cql_str        ks;                   /* keyspace_name */
    struct cql_str        name;                 /* type_name */
    const struct cql_str *names;                /* field_names */
    const struct cql_str *types;                /* field_types, CQL text */
    uint32_t              n;                    /* fields */
};

/* A row of system_schema.indexes. */
struct rec_index {
    struct cql_str                 ks;          /* keyspace_name */
    struct cql_str                 table;       /* table_name */
    struct cql_str                 name;        /* index_name */
    struct cql_str                 kind;        /* kind */
    const struct cass_meta_option *opts;        /* options, sorted by key */
    uint32_t                       nopts;       /* its entries */
};

/* A growable array of records. */
struct vec {
    void   *items;                              /* the records */
    size_t  n;                                  /* records in use */
    size_t  cap;                                /* records allocated */
};

struct cass_meta_builder {
    struct arena arena;                         /* strings and lists of the records */
    struct vec   ks;                            /* struct rec_ks */
    struct vec   tables;                        /* struct rec_table, views included */
    struct vec   cols;                          /* struct rec_col */
    struct vec   types;                         /* struct rec_type */
    struct vec   indexes;                       /* struct rec_index */
    uint32_t     skipped;                       /* hidden columns and orphans seen so far */
    int          err;                           /* first error, sticky */
    bool         finished;                      /* finish or rebuild ran */
    char         msg[256];                      /* its message */
};

/* Appends a zeroed record of SIZE bytes to V and returns it. */
static void *
vec_push(struct vec *v, size_t size)
{
    void *p;

    if (v->n == v->cap) {
        v->cap = v->cap == 0 ? 16 : v->cap * 2;
        v->items = xrealloc(v->items, v->cap * size);
    }
    p = (char *)v->items + v->n++ * size;
    memset(p, 0, size);
    return p;
}

static int fail(struct cass_meta_builder *b, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records the first error and its message; returns the error in force. */
static int
fail(struct cass_meta_builder *b, int err, const char *fmt, ...)
{
    va_list ap;

    if (b->err != 0) {
        return b->err;
    }
    b->err = err;
    va_start(ap, fmt);
    vsnprintf(b->msg, sizeof(b->msg), fmt, ap);
    va_end(ap);
    return err;
}

/* Byte order of two names: the order of UTF8Type, which system_schema clusters by. */
static int
str_cmp(struct cql_str a, struct cql_str b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n > 0 ? memcmp(a.p, b.p, n) : 0;

    if (c != 0) {
        return c;
    }
    return a.len < b.len ? -1 : a.len > b.len ? 1 : 0;
}

static bool
str_eq(struct cql_str a, struct cql_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

static bool
str_is(struct cql_str a, const char *s)
{
    return a.len == strlen(s) && memcmp(a.p, s, a.len) == 0;
}

/* A NUL-terminated copy of S in A. */
static struct cql_str
str_dup(struct arena *a, struct cql_str s)
{
    struct cql_str d = { arena_strndup(a, s.len > 0 ? s.p : "", s.len), s.len };

    return d;
}

struct cass_meta_builder *
cass_meta_builder_create(void)
{
    struct cass_meta_builder *b = xcalloc(1, sizeof(*b));

    arena_init(&b->arena, 16384);
    return b;
}

void
cass_meta_builder_destroy(struct cass_meta_builder *b)
{
    if (b == NULL) {
        return;
    }
    free(b->ks.items);
    free(b->tables.items);
    free(b->cols.items);
    free(b->types.items);
    free(b->indexes.items);
    arena_deinit(&b->arena);
    free(b);
}

const char *
cass_meta_builder_error(const struct cass_meta_builder *b)
{
    return b->msg;
}

/* ---- row decoding ---------------------------------------------------------------------------- */

/* How a cell is read. */
enum field_kind {
    F_TEXT = 0,                                 /* text or ascii */
    F_INT,                                      /* int */
    F_BOOL,                                     /* boolean */
    F_UUID,                                     /* uuid or timeuuid */
    F_LIST,                                     /* list<text> or set<text> */
    F_MAP,                                      /* map<text, text> */
};

/* A column of a system_schema table that the snapshot reads. */
struct field {
    const char *name;                           /* column name */
    uint8_t     kind;                           /* enum field_kind */
    bool        required;                       /* a row without it is malformed */
};

#define MAX_FIELDS 8

static const struct field ks_fields[] = {
    { "keyspace_name", F_TEXT, true },
    { "replication", F_MAP, true },
    { "durable_writes", F_BOOL, false },
};

static const struct field table_fields[] = {
    { "keyspace_name", F_TEXT, true },
    { "table_name", F_TEXT, true },
    { "id", F_UUID, false },
    { "comment", F_TEXT, false },
    { "default_time_to_live", F_INT, false },
    { "flags", F_LIST, false },
};

static const struct field view_fields[] = {
    { "keyspace_name", F_TEXT, true },
    { "view_name", F_TEXT, true },
    { "base_table_name", F_TEXT, true },
    { "id", F_UUID, false },
    { "where_clause", F_TEXT, false },
    { "include_all_columns", F_BOOL, false },
    { "comment", F_TEXT, false },
    { "default_time_to_live", F_INT, false },
};

static const struct field col_fields[] = {
    { "keyspace_name", F_TEXT, true },
    { "table_name", F_TEXT, true },
    { "column_name", F_TEXT, true },
    { "kind", F_TEXT, true },
    { "type", F_TEXT, true },
    { "position", F_INT, false },
    { "clustering_order", F_TEXT, false },
};

static const struct field type_fields[] = {
    { "keyspace_name", F_TEXT, true },
    { "type_name", F_TEXT, true },
    { "field_names", F_LIST, true },
    { "field_types", F_LIST, true },
};

static const struct field index_fields[] = {
    { "keyspace_name", F_TEXT, true },
    { "table_name", F_TEXT, true },
    { "index_name", F_TEXT, true },
    { "kind", F_TEXT, false },
    { "options", F_MAP, false },
};

/* The system_schema tables, indexed by enum cass_meta_src. */
static const struct {
    const char         *table;                  /* for messages */
    const struct field *fields;                 /* columns read */
    size_t              n;                      /* how many */
} sources[] = {
    { "keyspaces", ks_fields, ARRAY_SIZE(ks_fields) },
    { "tables", table_fields, ARRAY_SIZE(table_fields) },
    { "views", view_fields, ARRAY_SIZE(view_fields) },
    { "columns", col_fields, ARRAY_SIZE(col_fields) },
    { "types", type_fields, ARRAY_SIZE(type_fields) },
    { "indexes", index_fields, ARRAY_SIZE(index_fields) },
};

static bool
is_text(const struct cql_type *t)
{
    return t != NULL && (t->id == CQL_TYPE_VARCHAR || t->id == CQL_TYPE_ASCII);
}

/* True when a column of type T can be read as KIND. */
static bool
type_fits(const struct cql_type *t, int kind)
{
    if (t == NULL) {
        return false;
    }
    switch (kind) {
    case F_TEXT:
        return is_text(t);
    case F_INT:
        return t->id == CQL_TYPE_INT;
    case F_BOOL:
        return t->id == CQL_TYPE_BOOLEAN;
    case F_UUID:
        return t->id == CQL_TYPE_UUID || t->id == CQL_TYPE_TIMEUUID;
    case F_LIST:
        return (t->id == CQL_TYPE_LIST || t->id == CQL_TYPE_SET) && t->n == 1
               && is_text(t->sub[0]);
    case F_MAP:
        return t->id == CQL_TYPE_MAP && t->n == 2 && is_text(t->sub[0]) && is_text(t->sub[1]);
    }
    return false;
}

/* Copies a text cell (present, non-null) into the builder. */
static struct cql_str
cell_text(struct cass_meta_builder *b, struct cql_bytes v)
{
    struct cql_str s = { (const char *)v.p, (size_t)v.len };

    return str_dup(&b->arena, s);
}

/* Reads the [int] count of a collection cell, each element at least 4 bytes. */
static int32_t
coll_count(struct cql_rd *r, size_t per)
{
    int32_t n = cql_rd_int(r);

    if (n < 0 || (size_t)n > cql_rd_left(r) / per) {
        cql_rd_fail(r, CQL_EPROTO, "bad collection size");
        return 0;
    }
    return n;
}

/* The next element of a text collection: a non-null [bytes], copied. */
static struct cql_str
coll_text(struct cass_meta_builder *b, struct cql_rd *r)
{
    struct cql_bytes e = cql_rd_bytes(r);
    struct cql_str none = { "", 0 };

    if (!cql_rd_ok(r)) {
        return none;
    }
    if (e.len < 0) {
        cql_rd_fail(r, CQL_EPROTO, "null in a collection");
        return none;
    }
    return cell_text(b, e);
}

/* Decodes a list<text> or set<text> cell into an array in the builder. */
static int
cell_list(struct cass_meta_builder *b, struct cql_bytes v, const struct cql_str **out,
          uint32_t *n)
{
    struct cql_rd r;
    struct cql_str *items;
    int32_t count;

    cql_rd_init(&r, v.p, (size_t)v.len);
    count = coll_count(&r, 4);
    items = arena_alloc(&b->arena, ((size_t)count + 1) * sizeof(*items));
    for (int32_t i = 0; i < count && cql_rd_ok(&r); i++) {
        items[i] = coll_text(b, &r);
    }
    if (cql_rd_ok(&r) && cql_rd_left(&r) != 0) {
        cql_rd_fail(&r, CQL_EPROTO, "bytes after the collection");
    }
    *out = items;
    *n = (uint32_t)count;
    return r.err;
}

static int
opt_cmp(const void *x, const void *y)
{
    const struct cass_meta_option *a = x;
    const struct cass_meta_option *c = y;

    return str_cmp(a->key, c->key);
}

/* Decodes a map<text, text> cell into an array sorted by key. */
static int
cell_map(struct cass_meta_builder *b, struct cql_bytes v, const struct cass_meta_option **out,
         uint32_t *n)
{
    struct cql_rd r;
    struct cass_meta_option *items;
    int32_t count;

    cql_rd_init(&r, v.p, (size_t)v.len);
    count = coll_count(&r, 8);
    items = arena_alloc(&b->arena, ((size_t)count + 1) * sizeof(*items));
    for (int32_t i = 0; i < count && cql_rd_ok(&r); i++) {
        items[i].key = coll_text(b, &r);
        items[i].value = coll_text(b, &r);
    }
    if (cql_rd_ok(&r) && cql_rd_left(&r) != 0) {
        cql_rd_fail(&r, CQL_EPROTO, "bytes after the map");
    }
    if (cql_rd_ok(&r) && count > 1) {
        qsort(items, (size_t)count, sizeof(*items), opt_cmp);
    }
    *out = items;
    *n = (uint32_t)count;
    return r.err;
}

/* The length a cell of KIND must have, or -1 when it varies. */
static int32_t
fixed_len(int kind)
{
    switch (kind) {
    case F_INT:
        return 4;
    case F_BOOL:
        return 1;
    case F_UUID:
        return 16;
    }
    return -1;
}

/*
 * Finds the fields of SRC among the NCOLS specs and checks the row: VALS[i] is the cell of
 * field i (len CQL_NULL when the column or the value is absent), with fixed sizes checked.
 */
static int
pick_fields(struct cass_meta_builder *b, int src, const struct cql_col_spec *cols, int32_t ncols,
            const struct cql_bytes *cells, struct cql_bytes *vals)
{
    const char *table = sources[src].table;

    for (size_t f = 0; f < sources[src].n; f++) {
        const struct field *fd = &sources[src].fields[f];
        int32_t want = fixed_len(fd->kind);

        vals[f].p = NULL;
        vals[f].len = CQL_NULL;
        for (int32_t c = 0; c < ncols; c++) {
            if (!str_is(cols[c].name, fd->name)) {
                continue;
            }
            if (!type_fits(cols[c].type, fd->kind)) {
                return fail(b, E_PROTOCOL, "system_schema.%s: column %s has an unexpected type",
                            table, fd->name);
            }
            vals[f] = cells[c];
            break;
        }
        if (vals[f].len < 0 && fd->required) {
            return fail(b, E_PROTOCOL, "system_schema.%s: a row without %s", table, fd->name);
        }
        if (vals[f].len >= 0 && want >= 0 && vals[f].len != want) {
            return fail(b, CQL_EPROTO, "system_schema.%s: %s is not a valid %s", table, fd->name,
                        fd->kind == F_INT ? "int" : fd->kind == F_BOOL ? "boolean" : "uuid");
        }
    }
    return 0;
}

static bool
has(struct cql_bytes v)
{
    return v.len >= 0;
}

static int32_t
cell_int(struct cql_bytes v)
{
    return (int32_t)cql_be32(v.p);
}

static int
add_keyspace(struct cass_meta_builder *b, const struct cql_bytes *v)
{
    struct rec_ks *r = vec_push(&b->ks, sizeof(*r));

    r->name = cell_text(b, v[0]);
    if (cell_map(b, v[1], &r->repl, &r->nrepl) != 0) {
        return fail(b, CQL_EPROTO, "system_schema.keyspaces: bad replication map for %s",
                    r->name.p);
    }
    r->durable = !has(v[2]) || v[2].p[0] != 0;
    return 0;
}

static int
add_table(struct cass_meta_builder *b, const struct cql_bytes *v)
{
    struct rec_table *r = vec_push(&b->tables, sizeof(*r));
    const struct cql_str *flags = NULL;
    uint32_t nflags = 0;

    r->ks = cell_text(b, v[0]);
    r->name = cell_text(b, v[1]);
    if (has(v[2])) {
        memcpy(r->id, v[2].p, 16);
        r->has_id = true;
    }
    if (has(v[3])) {
        r->comment = cell_text(b, v[3]);
    }
    r->ttl = has(v[4]) ? cell_int(v[4]) : 0;
    if (has(v[5]) && cell_list(b, v[5], &flags, &nflags) != 0) {
        return fail(b, CQL_EPROTO, "system_schema.tables: bad flags for %s.%s", r->ks.p,
                    r->name.p);
    }
    for (uint32_t i = 0; i < nflags; i++) {
        r->counter |= str_is(flags[i], "counter");
        r->dense |= str_is(flags[i], "dense");
        r->super |= str_is(flags[i], "super");
        r->compound |= str_is(flags[i], "compound");
    }
    return 0;
}

static int
add_view(struct cass_meta_builder *b, const struct cql_bytes *v)
{
    struct rec_table *r = vec_push(&b->tables, sizeof(*r));

    r->is_view = true;
    r->ks = cell_text(b, v[0]);
    r->name = cell_text(b, v[1]);
    r->base = cell_text(b, v[2]);
    if (has(v[3])) {
        memcpy(r->id, v[3].p, 16);
        r->has_id = true;
    }
    if (has(v[4])) {
        r->where = cell_text(b, v[4]);
    }
    r->include_all = has(v[5]) && v[5].p[0] != 0;
    if (has(v[6])) {
        r->comment = cell_text(b, v[6]);
    }
    r->ttl = has(v[7]) ? cell_int(v[7]) : 0;
    return 0;
}

static int
add_column(struct cass_meta_builder *b, const struct cql_bytes *v)
{
    static const char *const kinds[] = { "partition_key", "clustering", "static", "regular" };
    struct rec_col *r = vec_push(&b->cols, sizeof(*r));
    struct cql_str kind, order;
    size_t k;

    r->ks = cell_text(b, v[0]);
    r->table = cell_text(b, v[1]);
    r->name = cell_text(b, v[2]);
    kind = cell_text(b, v[3]);
    r->type = cell_text(b, v[4]);
    r->position = has(v[5]) ? cell_int(v[5]) : -1;
    k = 0;
    while (k < ARRAY_SIZE(kinds) && !str_is(kind, kinds[k])) {
        k++;
    }
    if (k == ARRAY_SIZE(kinds)) {
        return fail(b, E_PROTOCOL, "system_schema.columns: %s.%s.%s has unknown kind '%s'",
                    r->ks.p, r->table.p, r->name.p, kind.p);
    }
    r->kind = (uint8_t)k;
    r->order = CASS_META_ORDER_NONE;
    if (has(v[6])) {
        order = cell_text(b, v[6]);
        if (str_is(order, "asc")) {
            r->order = CASS_META_ORDER_ASC;
        } else if (str_is(order, "desc")) {
            r->order = CASS_META_ORDER_DESC;
        } else if (!str_is(order, "none")) {
            return fail(b, E_PROTOCOL,
                        "system_schema.columns: %s.%s.%s has unknown clustering order '%s'",
                        r->ks.p, r->table.p, r->name.p, order.p);
        }
    }
    return 0;
}

static int
add_type(struct cass_meta_builder *b, const struct cql_bytes *v)
{
    struct rec_type *r = vec_push(&b->types, sizeof(*r));
    uint32_t ntypes = 0;

    r->ks = cell_text(b, v[0]);
    r->name = cell_text(b, v[1]);
    if (cell_list(b, v[2], &r->names, &r->n) != 0 || cell_list(b, v[3], &r->types, &ntypes) != 0) {
        return fail(b, CQL_EPROTO, "system_schema.types: bad field lists for %s.%s", r->ks.p,
                    r->name.p);
    }
    if (ntypes != r->n || r->n == 0 || r->n > UINT16_MAX) {
        return fail(b, E_PROTOCOL, "system_schema.types: %s.%s has %u field names and %u types",
                    r->ks.p, r->name.p, r->n, ntypes);
    }
    return 0;
}

static int
add_index(struct cass_meta_builder *b, const struct cql_bytes *v)
{
    struct rec_index *r = vec_push(&b->indexes, sizeof(*r));

    r->ks = cell_text(b, v[0]);
    r->table = cell_text(b, v[1]);
    r->name = cell_text(b, v[2]);
    if (has(v[3])) {
        r->kind = cell_text(b, v[3]);
    }
    if (has(v[4]) && cell_map(b, v[4], &r->opts, &r->nopts) != 0) {
        return fail(b, CQL_EPROTO, "system_schema.indexes: bad options for %s.%s", r->ks.p,
                    r->name.p);
    }
    return 0;
}

int
cass_meta_builder_row(struct cass_meta_builder *b, int src, const struct cql_col_spec *cols,
                      int32_t ncols, const struct cql_bytes *cells)
{
    struct cql_bytes vals[MAX_FIELDS];
    int rc;

    if (b->err != 0) {
        return b->err;
    }
    if (b->finished || src < 0 || (size_t)src >= ARRAY_SIZE(sources) || ncols < 0
        || (ncols > 0 && (cols == NULL || cells == NULL))) {
        return fail(b, E_INVALID, "schema row for an unknown source, or after finishing");
    }
    rc = pick_fields(b, src, cols, ncols, cells, vals);
    if (rc != 0) {
        return rc;
    }
    switch (src) {
    case CASS_META_KEYSPACES:
        return add_keyspace(b, vals);
    case CASS_META_TABLES:
        return add_table(b, vals);
    case CASS_META_VIEWS:
        return add_view(b, vals);
    case CASS_META_COLUMNS:
        return add_column(b, vals);
    case CASS_META_TYPES:
        return add_type(b, vals);
    case CASS_META_INDEXES:
        return add_index(b, vals);
    }
    NOT_REACHED();
}

int
cass_meta_builder_rows(struct cass_meta_builder *b, int src, const struct cql_col_spec *cols,
                       int32_t ncols, const uint8_t *rows, size_t rows_len, int32_t rows_count)
{
    struct cql_bytes *cells;
    struct cql_rd r;
    int rc = 0;

    if (b->err != 0) {
        return b->err;
    }
    if (ncols <= 0 || cols == NULL) {
        return rows_count > 0 ? fail(b, E_PROTOCOL, "schema rows without column metadata") : 0;
    }
    cells = xmalloc((size_t)ncols * sizeof(*cells));
    cql_rd_init(&r, rows, rows_len);
    for (int32_t i = 0; i < rows_count && rc == 0; i++) {
        if (cql_rows_next(&r, ncols, cells) != 0) {
            rc = fail(b, CQL_EPROTO, "system_schema.%s: truncated rows",
                      (src >= 0 && (size_t)src < ARRAY_SIZE(sources)) ? sources[src].table : "?");
            break;
        }
        rc = cass_meta_builder_row(b, src, cols, ncols, cells);
    }
    free(cells);
    return rc;
}

/* ---- finishing: sorting and grouping --------------------------------------------------------- */

static int
ks_cmp(const void *x, const void *y)
{
    const struct rec_ks *a = x;
    const struct rec_ks *c = y;

    return str_cmp(a->name, c->name);
}

static int
table_cmp(const void *x, const void *y)
{
    const struct rec_table *a = x;
    const struct rec_table *c = y;
    int k = str_cmp(a->ks, c->ks);

    return k != 0 ? k : str_cmp(a->name, c->name);
}

static int
col_cmp(const void *x, const void *y)
{
    const struct rec_col *a = x;
    const struct rec_col *c = y;
    int k = str_cmp(a->ks, c->ks);

    if (k == 0) {
        k = str_cmp(a->table, c->table);
    }
    return k != 0 ? k : str_cmp(a->name, c->name);
}

static int
type_cmp(const void *x, const void *y)
{
    const struct rec_type *a = x;
    const struct rec_type *c = y;
    int k = str_cmp(a->ks, c->ks);

    return k != 0 ? k : str_cmp(a->name, c->name);
}

static int
index_cmp(const void *x, const void *y)
{
    const struct rec_index *a = x;
    const struct rec_index *c = y;
    int k = str_cmp(a->ks, c->ks);

    return k != 0 ? k : str_cmp(a->name, c->name);
}

static void
vec_sort(struct vec *v, size_t size, int (*cmp)(const void *, const void *))
{
    if (v->n > 1) {
        qsort(v->items, v->n, size, cmp);
    }
}

/* After sorting: the first two neighbours that compare equal, or NULL. */
static const void *
vec_dup(const struct vec *v, size_t size, int (*cmp)(const void *, const void *))
{
    for (size_t i = 1; i < v->n; i++) {
        const char *p = (const char *)v->items + i * size;

        if (cmp(p - size, p) == 0) {
            return p;
        }
    }
    return NULL;
}

/* Sorts every record array and refuses duplicates, which system_schema cannot hold. */
static int
sort_records(struct cass_meta_builder *b)
{
    const struct rec_ks *k;
    const struct rec_table *t;
    const struct rec_col *c;
    const struct rec_type *y;
    const struct rec_index *x;

    vec_sort(&b->ks, sizeof(*k), ks_cmp);
    vec_sort(&b->tables, sizeof(*t), table_cmp);
    vec_sort(&b->cols, sizeof(*c), col_cmp);
    vec_sort(&b->types, sizeof(*y), type_cmp);
    vec_sort(&b->indexes, sizeof(*x), index_cmp);
    if ((k = vec_dup(&b->ks, sizeof(*k), ks_cmp)) != NULL) {
        return fail(b, E_PROTOCOL, "schema: keyspace %s appears twice", k->name.p);
    }
    if ((t = vec_dup(&b->tables, sizeof(*t), table_cmp)) != NULL) {
        return fail(b, E_PROTOCOL, "schema: table or view %s.%s appears twice", t->ks.p,
                    t->name.p);
    }
    if ((c = vec_dup(&b->cols, sizeof(*c), col_cmp)) != NULL) {
        return fail(b, E_PROTOCOL, "schema: column %s.%s.%s appears twice", c->ks.p, c->table.p,
                    c->name.p);
    }
    if ((y = vec_dup(&b->types, sizeof(*y), type_cmp)) != NULL) {
        return fail(b, E_PROTOCOL, "schema: type %s.%s appears twice", y->ks.p, y->name.p);
    }
    if ((x = vec_dup(&b->indexes, sizeof(*x), index_cmp)) != NULL) {
        return fail(b, E_PROTOCOL, "schema: index %s.%s appears twice", x->ks.p, x->name.p);
    }
    return 0;
}

/*
 * A cursor over one sorted record array: next() gives the run of records whose keyspace is KS,
 * counting the records of keyspaces without a row (which sort before KS) as skipped.
 */
struct run {
    const char *items;                          /* the records */
    size_t      n;                              /* their count */
    size_t      size;                           /* record size */
    size_t      off;                            /* offset of the keyspace name in a record */
    size_t      i;                              /* next record */
};

static struct cql_str
run_ks(const struct run *r, size_t i)
{
    struct cql_str s;

    memcpy(&s, r->items + i * r->size + r->off, sizeof(s));
    return s;
}

static void
run_init(struct run *r, const struct vec *v, size_t size, size_t off)
{
    r->items = v->items;
    r->n = v->n;
    r->size = size;
    r->off = off;
    r->i = 0;
}

/* Sets [*FIRST, *FIRST + *N) to the records of KS; adds orphans before them to *SKIPPED. */
static void
run_next(struct run *r, struct cql_str ks, size_t *first, size_t *n, uint32_t *skipped)
{
    while (r->i < r->n && str_cmp(run_ks(r, r->i), ks) < 0) {
        r->i++;
        (*skipped)++;
    }
    *first = r->i;
    while (r->i < r->n && str_eq(run_ks(r, r->i), ks)) {
        r->i++;
    }
    *n = r->i - *first;
}

/* ---- finishing: user types ------------------------------------------------------------------- */

/* What building one keyspace needs. */
struct ks_ctx {
    struct cass_meta_builder  *b;               /* for errors */
    struct cass_meta          *m;               /* the snapshot being built */
    struct cql_alloc           alloc;           /* over m->arena */
    struct cass_meta_keyspace *ks;              /* the keyspace being built */
    struct cass_meta_table    *tables;          /* its tables (ks->tables, writable) */
    const struct rec_type     *types;           /* its type records, sorted by name */
    struct cass_meta_udt      *udts;            /* its user types, same order */
    uint8_t                   *state;           /* per type: 0 new, 1 resolving, 2 done */
    int                       *depth;           /* per type: depth of its resolved tree */
    size_t                     ntypes;          /* how many */
};

static int resolve_udt(struct ks_ctx *k, size_t i);

static struct cql_type *
type_copy(struct ks_ctx *k, const struct cql_type *t)
{
    struct cql_type *c = arena_alloc(&k->m->arena, sizeof(*c));

    *c = *t;
    return c;
}

/*
 * Resolves the user type references in T (parsed type text of keyspace K): each becomes a copy
 * of the definition's node with the reference's frozen flag, so the definition's field arrays
 * are shared. Subtrees without references are kept as they are. *DEPTH gets the tree's depth.
 */
static int
resolve_type(struct ks_ctx *k, const struct cql_type *t, const struct cql_type **out, int *depth,
             const char *where)
{
    const struct cql_type **sub = NULL;
    int max = 0;

    if (t->id == CQL_TYPE_UDT && t->n == 0) {
        const struct cass_meta_udt *u;
        struct cql_type *c;
        int rc;

        if (t->keyspace.len > 0 && !str_eq(t->keyspace, k->ks->name)) {
            return fail(k->b, CQL_ETYPE, "%s: user type %.*s.%.*s of another keyspace", where,
                        (int)t->keyspace.len, t->keyspace.p, (int)t->name.len, t->name.p);
        }
        u = cass_meta_udt(k->ks, t->name.p, t->name.len);
        if (u == NULL) {
            return fail(k->b, CQL_ETYPE, "%s: user type %.*s is not defined in keyspace %s",
                        where, (int)t->name.len, t->name.p, k->ks->name.p);
        }
        rc = resolve_udt(k, (size_t)(u - k->udts));
        if (rc != 0) {
            return rc;
        }
        c = type_copy(k, u->type);
        c->frozen = t->frozen;
        *out = c;
        *depth = k->depth[u - k->udts];
        return 0;
    }
    for (size_t i = 0; i < t->n; i++) {
        const struct cql_type *r;
        int d;
        int rc = resolve_type(k, t->sub[i], &r, &d, where);

        if (rc != 0) {
            return rc;
        }
        if (r != t->sub[i] && sub == NULL) {
            sub = arena_alloc(&k->m->arena, t->n * sizeof(*sub));
            memcpy(sub, t->sub, t->n * sizeof(*sub));
        }
        if (sub != NULL) {
            sub[i] = r;
        }
        max = d > max ? d : max;
    }
    *depth = max + 1;
    if (*depth > CQL_TYPE_MAX_DEPTH) {
        return fail(k->b, CQL_ETYPE, "%s: types nested more than %d deep", where,
                    CQL_TYPE_MAX_DEPTH);
    }
    if (sub != NULL) {
        struct cql_type *c = type_copy(k, t);

        c->sub = sub;
        *out = c;
        return 0;
    }
    *out = t;
    return 0;
}

/* Parses TEXT (type text of keyspace K) and resolves its user types. */
static int
parse_type(struct ks_ctx *k, struct cql_str text, const struct cql_type **out, int *depth,
           const char *where)
{
    struct cql_type *t = NULL;
    const char *desc = NULL;
    int rc = cql_type_parse(text.p, text.len, &k->alloc, &t, &desc);

    if (rc != 0) {
        return fail(k->b, rc, "%s: bad type '%s': %s", where, text.p,
                    desc != NULL ? desc : cql_strerror(rc));
    }
    return resolve_type(k, t, out, depth, where);
}

/* Builds user type I of the keyspace, resolving the types it uses first; cycles are refused. */
static int
resolve_udt(struct ks_ctx *k, size_t i)
{
    const struct rec_type *r = &k->types[i];
    struct cass_meta_udt *u = &k->udts[i];
    struct cql_type *t;
    struct cql_str *names;
    struct cql_str *texts;
    const struct cql_type **sub;
    char where[192];
    int max = 0;

    if (k->state[i] == 2) {
        return 0;
    }
    snprintf(where, sizeof(where), "type %s.%s", k->ks->name.p, u->name.p);
    if (k->state[i] == 1) {
        return fail(k->b, CQL_ETYPE, "%s: user types refer to each other in a cycle", where);
    }
    k->state[i] = 1;
    names = arena_alloc(&k->m->arena, r->n * sizeof(*names));
    texts = arena_alloc(&k->m->arena, r->n * sizeof(*texts));
    sub = arena_alloc(&k->m->arena, r->n * sizeof(*sub));
    for (uint32_t f = 0; f < r->n; f++) {
        int d;
        int rc;

        names[f] = str_dup(&k->m->arena, r->names[f]);
        texts[f] = str_dup(&k->m->arena, r->types[f]);
        rc = parse_type(k, texts[f], &sub[f], &d, where);
        if (rc != 0) {
            return rc;
        }
        max = d > max ? d : max;
    }
    if (max + 1 > CQL_TYPE_MAX_DEPTH) {
        return fail(k->b, CQL_ETYPE, "%s: types nested more than %d deep", where,
                    CQL_TYPE_MAX_DEPTH);
    }
    t = arena_alloc(&k->m->arena, sizeof(*t));
    memset(t, 0, sizeof(*t));
    t->id = CQL_TYPE_UDT;
    t->n = (uint16_t)r->n;
    t->keyspace = k->ks->name;
    t->name = u->name;
    t->field_names = names;
    t->sub = sub;
    u->type = t;
    u->field_types = texts;
    k->depth[i] = max + 1;
    k->state[i] = 2;
    return 0;
}

static int
build_udts(struct ks_ctx *k, const struct rec_type *types, size_t n)
{
    struct cass_meta_udt *udts = arena_alloc(&k->m->arena, (n + 1) * sizeof(*udts));

    k->types = types;
    k->udts = udts;
    k->ntypes = n;
    k->state = xcalloc(n + 1, 1);
    k->depth = xcalloc(n + 1, sizeof(*k->depth));
    for (size_t i = 0; i < n; i++) {
        memset(&udts[i], 0, sizeof(udts[i]));
        udts[i].name = str_dup(&k->m->arena, types[i].name);
    }
    k->ks->udts = udts;
    k->ks->nudts = (uint32_t)n;
    for (size_t i = 0; i < n; i++) {
        int rc = resolve_udt(k, i);

        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

/* ---- finishing: tables, indexes, keyspaces --------------------------------------------------- */

/*
 * Lays out the columns of table R (COLS, sorted by name, NCOLS of them) in T: partition keys by
 * position, clustering keys by position, then statics and regular columns by name. Hidden
 * columns of COMPACT STORAGE tables (type "empty") are left out. Sets *INCOMPLETE when the
 * table has no partition key (a table caught half created).
 */
static int
build_columns(struct ks_ctx *k, struct cass_meta_table *t, const struct rec_col *cols,
              size_t ncols, bool *incomplete)
{
    struct cass_meta_column *out;
    const struct cass_meta_column **by_name;
    uint32_t count[4] = { 0, 0, 0, 0 };
    uint32_t next[4];
    uint32_t n = 0;
    char where[256];

    for (size_t i = 0; i < ncols; i++) {
        if (!str_is(cols[i].type, "empty")) {
            count[cols[i].kind]++;
        }
    }
    *incomplete = count[CASS_META_PARTITION_KEY] == 0;
    if (*incomplete) {
        return 0;
    }
    next[0] = 0;
    for (int g = 1; g < 4; g++) {
        next[g] = next[g - 1] + count[g - 1];
    }
    n = next[3] + count[3];
    out = arena_alloc(&k->m->arena, (n + 1) * sizeof(*out));
    by_name = arena_alloc(&k->m->arena, (n + 1) * sizeof(*by_name));
    memset(out, 0, (n + 1) * sizeof(*out));
    for (size_t i = 0, j = 0; i < ncols; i++) {
        const struct rec_col *r = &cols[i];
        struct cass_meta_column *c;
        uint32_t slot;
        int depth;
        int rc;

        if (str_is(r->type, "empty")) {
            continue;
        }
        snprintf(where, sizeof(where), "column %s.%s.%s", k->ks->name.p, t->name.p, r->name.p);
        if (r->kind == CASS_META_PARTITION_KEY || r->kind == CASS_META_CLUSTERING) {
            if (r->position < 0 || (uint32_t)r->position >= count[r->kind]) {
                return fail(k->b, E_PROTOCOL, "%s: key position %d out of range", where,
                            (int)r->position);
            }
            slot = (r->kind == CASS_META_PARTITION_KEY ? 0 : count[0]) + (uint32_t)r->position;
            if (out[slot].name.p != NULL) {
                return fail(k->b, E_PROTOCOL, "%s: key position %d taken twice", where,
                            (int)r->position);
            }
        } else {
            slot = next[r->kind]++;
        }
        c = &out[slot];
        c->name = str_dup(&k->m->arena, r->name);
        c->type_text = str_dup(&k->m->arena, r->type);
        c->kind = r->kind;
        c->position = r->kind <= CASS_META_CLUSTERING ? r->position : -1;
        c->order = r->kind != CASS_META_CLUSTERING ? CASS_META_ORDER_NONE
                   : r->order == CASS_META_ORDER_DESC ? CASS_META_ORDER_DESC
                   : CASS_META_ORDER_ASC;
        c->index = slot;
        rc = parse_type(k, c->type_text, &c->type, &depth, where);
        if (rc != 0) {
            return rc;
        }
        by_name[j++] = c;
    }
    t->columns = out;
    t->by_name = by_name;
    t->ncolumns = n;
    t->npartition = count[CASS_META_PARTITION_KEY];
    t->nclustering = count[CASS_META_CLUSTERING];
    t->nstatic = count[CASS_META_STATIC];
    return 0;
}

static void
build_table_scalars(struct ks_ctx *k, struct cass_meta_table *t, const struct rec_table *r)
{
    struct arena *a = &k->m->arena;

    memset(t, 0, sizeof(*t));
    t->name = str_dup(a, r->name);
    t->keyspace = k->ks;
    t->default_ttl = r->ttl;
    t->comment = str_dup(a, r->comment);
    memcpy(t->id, r->id, sizeof(t->id));
    t->has_id = r->has_id;
    t->is_view = r->is_view;
    t->include_all = r->include_all;
    t->counter = r->counter;
    t->dense = r->dense;
    t->super = r->super;
    t->compound = r->compound;
    t->base_table = str_dup(a, r->base);
    t->where_clause = str_dup(a, r->where);
}

/*
 * Builds the tables and views of the keyspace from TABLES (sorted by name) and the keyspace's
 * column records COLS (sorted by table, then name); columns of tables that are not there are
 * skipped, and so are tables without a partition key.
 */
static int
build_tables(struct ks_ctx *k, const struct rec_table *tables, size_t ntables,
             const struct rec_col *cols, size_t ncols)
{
    struct cass_meta_table *tv = arena_alloc(&k->m->arena, (ntables + 1) * sizeof(*tv));
    struct cass_meta_table *vv = arena_alloc(&k->m->arena, (ntables + 1) * sizeof(*vv));
    uint32_t nt = 0;
    uint32_t nv = 0;
    size_t c = 0;

    for (size_t i = 0; i < ntables; i++) {
        const struct rec_table *r = &tables[i];
        struct cass_meta_table *t = r->is_view ? &vv[nv] : &tv[nt];
        size_t first;
        bool incomplete;
        int rc;

        while (c < ncols && str_cmp(cols[c].table, r->name) < 0) {
            c++;
            k->m->skipped++;
        }
        first = c;
        while (c < ncols && str_eq(cols[c].table, r->name)) {
            c++;
        }
        build_table_scalars(k, t, r);
        rc = build_columns(k, t, cols + first, c - first, &incomplete);
        if (rc != 0) {
            return rc;
        }
        if (incomplete) {
            k->m->skipped++;
            continue;
        }
        if (r->is_view) {
            nv++;
        } else {
            nt++;
        }
    }
    k->m->skipped += (uint32_t)(ncols - c);
    k->tables = tv;
    k->ks->tables = tv;
    k->ks->ntables = nt;
    k->ks->views = vv;
    k->ks->nviews = nv;
    return 0;
}

static struct cass_meta_option *
options_dup(struct arena *a, const struct cass_meta_option *opts, uint32_t n)
{
    struct cass_meta_option *d = arena_alloc(a, ((size_t)n + 1) * sizeof(*d));

    for (uint32_t i = 0; i < n; i++) {
        d[i].key = str_dup(a, opts[i].key);
        d[i].value = str_dup(a, opts[i].value);
    }
    return d;
}

/* Builds the indexes of the keyspace (sorted by name) and each table's list of its own. */
static void
build_indexes(struct ks_ctx *k, const struct rec_index *recs, size_t n)
{
    struct arena *a = &k->m->arena;
    struct cass_meta_index *idx = arena_alloc(a, (n + 1) * sizeof(*idx));
    struct cass_meta_table *tables = k->tables;
    uint32_t count = 0;

    for (size_t i = 0; i < n; i++) {
        const struct rec_index *r = &recs[i];
        const struct cass_meta_table *t = cass_meta_table(k->ks, r->table.p, r->table.len);
        struct cass_meta_index *x = &idx[count];
        const struct cql_str *v;

        if (t == NULL) {
            k->m->skipped++;
            continue;
        }
        memset(x, 0, sizeof(*x));
        x->name = str_dup(a, r->name);
        x->table_name = t->name;
        x->table = t;
        x->kind = str_dup(a, r->kind);
        x->options = options_dup(a, r->opts, r->nopts);
        x->noptions = r->nopts;
        v = cass_meta_option_get(x->options, x->noptions, "target");
        x->target = v != NULL ? *v : str_dup(a, x->target);
        v = cass_meta_option_get(x->options, x->noptions, "class_name");
        x->class_name = v != NULL ? *v : str_dup(a, x->class_name);
        tables[t - tables].nindexes++;
        count++;
    }
    for (uint32_t i = 0; i < k->ks->ntables; i++) {
        tables[i].indexes = arena_alloc(a, ((size_t)tables[i].nindexes + 1) * sizeof(void *));
        tables[i].nindexes = 0;
    }
    for (uint32_t i = 0; i < count; i++) {
        struct cass_meta_table *t = &tables[idx[i].table - tables];

        t->indexes[t->nindexes++] = &idx[i];
    }
    k->ks->indexes = idx;
    k->ks->nindexes = count;
}

/* The leading decimal digits of S ("3" of "3/1"), capped; 0 when there are none. */
static int32_t
leading_int(struct cql_str s)
{
    int64_t v = 0;

    for (size_t i = 0; i < s.len && s.p[i] >= '0' && s.p[i] <= '9'; i++) {
        v = v * 10 + (s.p[i] - '0');
        if (v > INT32_MAX) {
            return INT32_MAX;
        }
    }
    return (int32_t)v;
}

static void
build_replication(struct ks_ctx *k, const struct rec_ks *r)
{
    static const struct {
        const char *name;                       /* simple class name */
        int         strategy;                   /* enum cass_meta_strategy */
    } classes[] = {
        { "SimpleStrategy", CASS_META_STRATEGY_SIMPLE },
        { "NetworkTopologyStrategy", CASS_META_STRATEGY_NTS },
        { "LocalStrategy", CASS_META_STRATEGY_LOCAL },
        { "EverywhereStrategy", CASS_META_STRATEGY_EVERYWHERE },
    };
    struct arena *a = &k->m->arena;
    struct cass_meta_keyspace *ks = k->ks;
    const struct cass_meta_option *opts = options_dup(a, r->repl, r->nrepl);
    const struct cql_str *cls = cass_meta_option_get(opts, r->nrepl, "class");
    const struct cql_str *rf = cass_meta_option_get(opts, r->nrepl, "replication_factor");
    struct cass_meta_dc *dcs = arena_alloc(a, ((size_t)r->nrepl + 1) * sizeof(*dcs));
    struct cql_str simple = { "", 0 };

    ks->replication = opts;
    ks->nreplication = r->nrepl;
    ks->strategy_class = cls != NULL ? *cls : str_dup(a, simple);
    if (cls != NULL) {
        const char *dot = memrchr(cls->p, '.', cls->len);

        simple.p = dot != NULL ? dot + 1 : cls->p;
        simple.len = cls->len - (size_t)(simple.p - cls->p);
    }
    ks->strategy = CASS_META_STRATEGY_OTHER;
    for (size_t i = 0; i < ARRAY_SIZE(classes); i++) {
        if (str_is(simple, classes[i].name)) {
            ks->strategy = (uint8_t)classes[i].strategy;
        }
    }
    if (ks->strategy == CASS_META_STRATEGY_SIMPLE && rf != NULL) {
        ks->replication_factor = leading_int(*rf);
    }
    ks->dcs = dcs;
    if (ks->strategy != CASS_META_STRATEGY_NTS) {
        return;
    }
    for (uint32_t i = 0; i < r->nrepl; i++) {
        if (str_is(opts[i].key, "class") || str_is(opts[i].key, "replication_factor")) {
            continue;
        }
        dcs[ks->ndcs].name = opts[i].key;
        dcs[ks->ndcs].replicas = leading_int(opts[i].value);
        ks->ndcs++;
    }
}

/* The records of one keyspace, as runs of the sorted arrays. */
struct ks_recs {
    const struct rec_ks    *ks;                 /* its keyspaces row */
    const struct rec_table *tables;             /* tables and views, by name */
    size_t                  ntables;            /* how many */
    const struct rec_col   *cols;               /* columns, by table then name */
    size_t                  ncols;              /* how many */
    const struct rec_type  *types;              /* user types, by name */
    size_t                  ntypes;             /* how many */
    const struct rec_index *indexes;            /* indexes, by name */
    size_t                  nindexes;           /* how many */
};

static int
build_keyspace(struct cass_meta_builder *b, struct cass_meta *m, struct cass_meta_keyspace *ks,
               const struct ks_recs *in)
{
    struct ks_ctx k;
    int rc;

    memset(&k, 0, sizeof(k));
    k.b = b;
    k.m = m;
    k.alloc = arena_cql_alloc(&m->arena);
    k.ks = ks;
    memset(ks, 0, sizeof(*ks));
    ks->name = str_dup(&m->arena, in->ks->name);
    ks->durable_writes = in->ks->durable;
    build_replication(&k, in->ks);
    rc = build_udts(&k, in->types, in->ntypes);
    if (rc == 0) {
        rc = build_tables(&k, in->tables, in->ntables, in->cols, in->ncols);
    }
    if (rc == 0) {
        build_indexes(&k, in->indexes, in->nindexes);
    }
    free(k.state);
    free(k.depth);
    return rc;
}

/* Lays the sorted records out as a snapshot. */
static int
build(struct cass_meta_builder *b, struct cass_meta **out)
{
    struct cass_meta *m;
    struct cass_meta_keyspace *kss;
    struct run rtab, rcol, rtyp, ridx;
    const struct rec_ks *ks = b->ks.items;
    int rc;

    *out = NULL;
    b->finished = true;
    if (b->err != 0) {
        return b->err;
    }
    rc = sort_records(b);
    if (rc != 0) {
        return rc;
    }
    m = xcalloc(1, sizeof(*m));
    atomic_init(&m->refs, 1);
    arena_init(&m->arena, 65536);
    m->skipped = b->skipped;
    kss = arena_alloc(&m->arena, (b->ks.n + 1) * sizeof(*kss));
    run_init(&rtab, &b->tables, sizeof(struct rec_table), offsetof(struct rec_table, ks));
    run_init(&rcol, &b->cols, sizeof(struct rec_col), offsetof(struct rec_col, ks));
    run_init(&rtyp, &b->types, sizeof(struct rec_type), offsetof(struct rec_type, ks));
    run_init(&ridx, &b->indexes, sizeof(struct rec_index), offsetof(struct rec_index, ks));
    for (size_t i = 0; i < b->ks.n; i++) {
        struct ks_recs in;
        size_t first;

        in.ks = &ks[i];
        run_next(&rtab, ks[i].name, &first, &in.ntables, &m->skipped);
        in.tables = (const struct rec_table *)b->tables.items + first;
        run_next(&rcol, ks[i].name, &first, &in.ncols, &m->skipped);
        in.cols = (const struct rec_col *)b->cols.items + first;
        run_next(&rtyp, ks[i].name, &first, &in.ntypes, &m->skipped);
        in.types = (const struct rec_type *)b->types.items + first;
        run_next(&ridx, ks[i].name, &first, &in.nindexes, &m->skipped);
        in.indexes = (const struct rec_index *)b->indexes.items + first;
        rc = build_keyspace(b, m, &kss[i], &in);
        if (rc != 0) {
            cass_meta_unref(m);
            return rc;
        }
    }
    m->skipped += (uint32_t)((rtab.n - rtab.i) + (rcol.n - rcol.i) + (rtyp.n - rtyp.i)
                             + (ridx.n - ridx.i));
    m->keyspaces = kss;
    m->nkeyspaces = (uint32_t)b->ks.n;
    *out = m;
    return 0;
}

int
cass_meta_builder_finish(struct cass_meta_builder *b, struct cass_meta **out)
{
    if (b->finished) {
        *out = NULL;
        return fail(b, E_INVALID, "schema builder finished twice");
    }
    return build(b, out);
}

/* ---- rebuilding one keyspace ----------------------------------------------------------------- */

/* Drops the records of V whose keyspace (at OFF) is not KS. */
static void
vec_keep_ks(struct vec *v, size_t size, size_t off, struct cql_str ks)
{
    size_t j = 0;

    for (size_t i = 0; i < v->n; i++) {
        char *p = (char *)v->items + i * size;
        struct cql_str s;

        memcpy(&s, p + off, sizeof(s));
        if (str_eq(s, ks)) {
            if (j != i) {
                memmove((char *)v->items + j * size, p, size);
            }
            j++;
        }
    }
    v->n = j;
}

static void
table_to_records(struct cass_meta_builder *b, const struct cass_meta_keyspace *ks,
                 const struct cass_meta_table *t)
{
    struct rec_table *r = vec_push(&b->tables, sizeof(*r));

    r->ks = ks->name;
    r->name = t->name;
    r->comment = t->comment;
    r->base = t->base_table;
    r->where = t->where_clause;
    r->ttl = t->default_ttl;
    memcpy(r->id, t->id, sizeof(r->id));
    r->has_id = t->has_id;
    r->is_view = t->is_view;
    r->include_all = t->include_all;
    r->counter = t->counter;
    r->dense = t->dense;
    r->super = t->super;
    r->compound = t->compound;
    for (uint32_t i = 0; i < t->ncolumns; i++) {
        const struct cass_meta_column *c = &t->columns[i];
        struct rec_col *rc = vec_push(&b->cols, sizeof(*rc));

        rc->ks = ks->name;
        rc->table = t->name;
        rc->name = c->name;
        rc->type = c->type_text;
        rc->kind = c->kind;
        rc->order = c->order;
        rc->position = c->position;
    }
}

/* Turns keyspace KS of a snapshot back into records pointing into the snapshot. */
static void
keyspace_to_records(struct cass_meta_builder *b, const struct cass_meta_keyspace *ks)
{
    struct rec_ks *k = vec_push(&b->ks, sizeof(*k));

    k->name = ks->name;
    k->durable = ks->durable_writes;
    k->repl = ks->replication;
    k->nrepl = ks->nreplication;
    for (uint32_t i = 0; i < ks->ntables; i++) {
        table_to_records(b, ks, &ks->tables[i]);
    }
    for (uint32_t i = 0; i < ks->nviews; i++) {
        table_to_records(b, ks, &ks->views[i]);
    }
    for (uint32_t i = 0; i < ks->nudts; i++) {
        struct rec_type *y = vec_push(&b->types, sizeof(*y));

        y->ks = ks->name;
        y->name = ks->udts[i].name;
        y->names = ks->udts[i].type->field_names;
        y->types = ks->udts[i].field_types;
        y->n = ks->udts[i].type->n;
    }
    for (uint32_t i = 0; i < ks->nindexes; i++) {
        struct rec_index *x = vec_push(&b->indexes, sizeof(*x));

        x->ks = ks->name;
        x->table = ks->indexes[i].table_name;
        x->name = ks->indexes[i].name;
        x->kind = ks->indexes[i].kind;
        x->opts = ks->indexes[i].options;
        x->nopts = ks->indexes[i].noptions;
    }
}

int
cass_meta_builder_rebuild(struct cass_meta_builder *b, const struct cass_meta *old,
                          const char *ks, size_t ks_len, struct cass_meta **out)
{
    struct cql_str name = { ks, ks_len };

    *out = NULL;
    if (b->finished) {
        return fail(b, E_INVALID, "schema builder finished twice");
    }
    if (b->err != 0) {
        b->finished = true;
        return b->err;
    }
    vec_keep_ks(&b->ks, sizeof(struct rec_ks), offsetof(struct rec_ks, name), name);
    vec_keep_ks(&b->tables, sizeof(struct rec_table), offsetof(struct rec_table, ks), name);
    vec_keep_ks(&b->cols, sizeof(struct rec_col), offsetof(struct rec_col, ks), name);
    vec_keep_ks(&b->types, sizeof(struct rec_type), offsetof(struct rec_type, ks), name);
    vec_keep_ks(&b->indexes, sizeof(struct rec_index), offsetof(struct rec_index, ks), name);
    for (uint32_t i = 0; old != NULL && i < old->nkeyspaces; i++) {
        if (!str_eq(old->keyspaces[i].name, name)) {
            keyspace_to_records(b, &old->keyspaces[i]);
        }
    }
    return build(b, out);
}

/* ---- snapshots and lookups ------------------------------------------------------------------- */

struct cass_meta *
cass_meta_ref(struct cass_meta *m)
{
    atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
    return m;
}

void
cass_meta_unref(struct cass_meta *m)
{
    if (m == NULL) {
        return;
    }
    /* Release our writes, and acquire everyone else's before the memory goes. */
    if (atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) == 1) {
        arena_deinit(&m->arena);
        free(m);
    }
}

/*
 * Binary search for NAME over N records of SIZE bytes at BASE whose struct cql_str name sits at
 * offset OFF (directly, or behind a pointer when INDIRECT).
 */
static const void *
bsearch_name(const void *base, size_t n, size_t size, size_t off, bool indirect, const char *p,
             size_t len)
{
    struct cql_str key = { p, len };
    size_t lo = 0;
    size_t hi = n;

    if (p == NULL && len > 0) {
        return NULL;
    }
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *rec = (const char *)base + mid * size;
        struct cql_str s;
        int c;

        if (indirect) {
            memcpy(&rec, rec, sizeof(rec));
        }
        memcpy(&s, rec + off, sizeof(s));
        c = str_cmp(key, s);
        if (c == 0) {
            return rec;
        }
        if (c < 0) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    return NULL;
}

const struct cass_meta_keyspace *
cass_meta_keyspace(const struct cass_meta *m, const char *name, size_t len)
{
    return m == NULL ? NULL
                     : bsearch_name(m->keyspaces, m->nkeyspaces, sizeof(*m->keyspaces),
                                    offsetof(struct cass_meta_keyspace, name), false, name, len);
}

const struct cass_meta_table *
cass_meta_table(const struct cass_meta_keyspace *ks, const char *name, size_t len)
{
    return ks == NULL ? NULL
                      : bsearch_name(ks->tables, ks->ntables, sizeof(*ks->tables),
                                     offsetof(struct cass_meta_table, name), false, name, len);
}

const struct cass_meta_table *
cass_meta_view(const struct cass_meta_keyspace *ks, const char *name, size_t len)
{
    return ks == NULL ? NULL
                      : bsearch_name(ks->views, ks->nviews, sizeof(*ks->views),
                                     offsetof(struct cass_meta_table, name), false, name, len);
}

const struct cass_meta_column *
cass_meta_column(const struct cass_meta_table *t, const char *name, size_t len)
{
    return t == NULL ? NULL
                     : bsearch_name(t->by_name, t->ncolumns, sizeof(*t->by_name),
                                    offsetof(struct cass_meta_column, name), true, name, len);
}

const struct cass_meta_udt *
cass_meta_udt(const struct cass_meta_keyspace *ks, const char *name, size_t len)
{
    return ks == NULL ? NULL
                      : bsearch_name(ks->udts, ks->nudts, sizeof(*ks->udts),
                                     offsetof(struct cass_meta_udt, name), false, name, len);
}

const struct cass_meta_index *
cass_meta_index(const struct cass_meta_keyspace *ks, const char *name, size_t len)
{
    return ks == NULL ? NULL
                      : bsearch_name(ks->indexes, ks->nindexes, sizeof(*ks->indexes),
                                     offsetof(struct cass_meta_index, name), false, name, len);
}

const struct cql_str *
cass_meta_option_get(const struct cass_meta_option *opts, uint32_t n, const char *key)
{
    const struct cass_meta_option *o = bsearch_name(opts, n, sizeof(*opts),
                                                    offsetof(struct cass_meta_option, key), false,
                                                    key, strlen(key));

    return o != NULL ? &o->value : NULL;
}

const char *
cass_meta_kind_name(int kind)
{
    switch (kind) {
    case CASS_META_PARTITION_KEY:
        return "partition_key";
    case CASS_META_CLUSTERING:
        return "clustering";
    case CASS_META_STATIC:
        return "static";
    case CASS_META_REGULAR:
        return "regular";
    }
    return "unknown";
}

/* ---- REST typeDefinition --------------------------------------------------------------------- */

static void
wr_text(struct cql_wr *w, const char *s)
{
    cql_wr_raw(w, s, strlen(s));
}

/*
 * Stargate v2 prints types from its bridge's type specs, where only lists, sets, maps and user
 * types carry a frozen flag; a tuple is never shown frozen, and vectors came later, unfrozen.
 */
static void
type_text(const struct cql_type *t, struct cql_wr *w)
{
    bool frozen = t->frozen && (t->id == CQL_TYPE_LIST || t->id == CQL_TYPE_SET
                                || t->id == CQL_TYPE_MAP || t->id == CQL_TYPE_UDT);

    if (frozen) {
        wr_text(w, "frozen<");
    }
    switch (t->id) {
    case CQL_TYPE_CUSTOM:
        cql_wr_byte(w, '\'');
        for (size_t i = 0; i < t->custom.len; i++) {
            if (t->custom.p[i] == '\'') {
                cql_wr_byte(w, '\'');
            }
            cql_wr_byte(w, (uint8_t)t->custom.p[i]);
        }
        cql_wr_byte(w, '\'');
        break;
    case CQL_TYPE_LIST:
    case CQL_TYPE_SET:
    case CQL_TYPE_MAP:
    case CQL_TYPE_TUPLE:
        wr_text(w, cql_type_name(t->id));
        cql_wr_byte(w, '<');
        for (size_t i = 0; i < t->n; i++) {
            if (i > 0) {
                wr_text(w, ", ");
            }
            type_text(t->sub[i], w);
        }
        cql_wr_byte(w, '>');
        break;
    case CQL_TYPE_VECTOR:
        wr_text(w, "vector<");
        if (t->n == 1) {
            type_text(t->sub[0], w);
        }
        wr_text(w, ", ");
        cql_fmt_int64(w, t->dim);
        cql_wr_byte(w, '>');
        break;
    case CQL_TYPE_UDT:
        wr_text(w, "udt<");
        cql_wr_raw(w, t->name.p, t->name.len);
        cql_wr_byte(w, '>');
        break;
    default:
        wr_text(w, cql_type_name(t->id));
        break;
    }
    if (frozen) {
        cql_wr_byte(w, '>');
    }
}

int
cass_meta_type_text(const struct cql_type *t, struct cql_wr *w)
{
    type_text(t, w);
    return w->err;
}
