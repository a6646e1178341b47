/*
 * test_meta.c: schema snapshots of src/cass/cass_meta built from hand-made system_schema rows:
 * column order, clustering order, user types (nested, forward references, cycles), exact-case
 * names, replication, indexes, views, lookups, reference counts, one-keyspace rebuilds, the REST
 * typeDefinition text, and malformed rows.
 */
#include "test.h"

#include <pthread.h>
#include <stdlib.h>

#include "cass/cass_meta.h"
#include "cql_value.h"

/* ---- helpers --------------------------------------------------------------------------------- */

/* Marks a null cell in a row() list. */
static const char null_cell[] = "<null>";

/* The types of the system_schema columns the rows below use. */
static const struct {
    const char *name;                           /* column */
    const char *type;                           /* its CQL type */
} catalogue[] = {
    { "keyspace_name", "text" },
    { "durable_writes", "boolean" },
    { "replication", "frozen<map<text, text>>" },
    { "table_name", "text" },
    { "id", "uuid" },
    { "comment", "text" },
    { "default_time_to_live", "int" },
    { "flags", "frozen<set<text>>" },
    { "view_name", "text" },
    { "base_table_name", "text" },
    { "where_clause", "text" },
    { "include_all_columns", "boolean" },
    { "column_name", "text" },
    { "column_name_bytes", "blob" },
    { "kind", "text" },
    { "position", "int" },
    { "clustering_order", "text" },
    { "type", "text" },
    { "type_name", "text" },
    { "field_names", "frozen<list<text>>" },
    { "field_types", "frozen<list<text>>" },
    { "index_name", "text" },
    { "options", "frozen<map<text, text>>" },
};

static const struct cql_type *
spec_type(const char *name)
{
    for (size_t i = 0; i < sizeof(catalogue) / sizeof(catalogue[0]); i++) {
        if (strcmp(catalogue[i].name, name) == 0) {
            struct cql_type *t = NULL;

            if (cql_type_parse(catalogue[i].type, strlen(catalogue[i].type), &test_alloc, &t,
                               NULL) != 0) {
                return NULL;
            }
            return t;
        }
    }
    return NULL;
}

/*
 * Adds one row from SRC given as NULL-terminated (column, value) pairs. Text values are taken
 * as they are; other values are CQL literals ("3", "true", "['a', 'b']", "{'k': 'v'}"), and
 * null_cell is a null. Each cell is an exact-length heap copy, so reads past it are caught.
 */
static int
row(struct cass_meta_builder *b, int src, const char *const *kv)
{
    struct cql_col_spec cols[16];
    struct cql_bytes cells[16];
    struct cql_wr w;
    int n = 0;
    int rc;

    memset(cols, 0, sizeof(cols));
    memset(cells, 0, sizeof(cells));
    for (; kv[2 * n] != NULL && n < 16; n++) {
        const char *name = kv[2 * n];
        const char *lit = kv[2 * n + 1];
        const char *desc = NULL;

        cols[n].name.p = name;
        cols[n].name.len = strlen(name);
        cols[n].type = spec_type(name);
        if (cols[n].type == NULL) {
            return -9999;
        }
        cells[n].p = NULL;
        cells[n].len = CQL_NULL;
        if (lit == null_cell) {
            continue;
        }
        cql_wr_init(&w, NULL, 0, test_grow, NULL);
        if (cols[n].type->id == CQL_TYPE_VARCHAR) {
            cql_wr_raw(&w, lit, strlen(lit));
        } else if (cql_value_from_text(cols[n].type, lit, strlen(lit), &w, &desc) != 0) {
            free(w.p);
            return -9998;
        }
        cells[n].p = test_dup(w.p, w.len);
        cells[n].len = (int32_t)w.len;
        free(w.p);
    }
    rc = cass_meta_builder_row(b, src, cols, n, cells);
    for (int i = 0; i < n; i++) {
        free((void *)cells[i].p);
    }
    return rc;
}

#define SIMPLE_RF1 "{'class': 'org.apache.cassandra.locator.SimpleStrategy', " \
                   "'replication_factor': '1'}"

static int
ks_row(struct cass_meta_builder *b, const char *ks, const char *repl)
{
    return row(b, CASS_META_KEYSPACES, (const char *[]){
        "keyspace_name", ks, "durable_writes", "true", "replication", repl, NULL });
}

static int
table_row(struct cass_meta_builder *b, const char *ks, const char *t, const char *ttl)
{
    return row(b, CASS_META_TABLES, (const char *[]){
        "keyspace_name", ks, "table_name", t, "default_time_to_live", ttl, "comment", "c",
        "flags", "{'compound'}", "id", "5a1c395e-b41f-11e5-9f22-ba0be0483c18", NULL });
}

static int
col_row(struct cass_meta_builder *b, const char *ks, const char *t, const char *name,
        const char *kind, const char *pos, const char *order, const char *type)
{
    return row(b, CASS_META_COLUMNS, (const char *[]){
        "keyspace_name", ks, "table_name", t, "column_name", name, "kind", kind,
        "position", pos, "clustering_order", order, "type", type, NULL });
}

static int
pk_row(struct cass_meta_builder *b, const char *ks, const char *t, const char *name,
       const char *type)
{
    return col_row(b, ks, t, name, "partition_key", "0", "none", type);
}

static int
reg_row(struct cass_meta_builder *b, const char *ks, const char *t, const char *name,
        const char *type)
{
    return col_row(b, ks, t, name, "regular", "-1", "none", type);
}

static int
type_row(struct cass_meta_builder *b, const char *ks, const char *name, const char *names,
         const char *types)
{
    return row(b, CASS_META_TYPES, (const char *[]){
        "keyspace_name", ks, "type_name", name, "field_names", names, "field_types", types,
        NULL });
}

static int
index_row(struct cass_meta_builder *b, const char *ks, const char *t, const char *name,
          const char *kind, const char *options)
{
    return row(b, CASS_META_INDEXES, (const char *[]){
        "keyspace_name", ks, "table_name", t, "index_name", name, "kind", kind,
        "options", options, NULL });
}

/* The REST typeDefinition of T, in a static buffer. */
static const char *
tt(const struct cql_type *t)
{
    static char out[1024];
    struct cql_wr w;

    cql_wr_init(&w, (uint8_t *)out, sizeof(out) - 1, NULL, NULL);
    if (t == NULL || cass_meta_type_text(t, &w) != 0) {
        return "(error)";
    }
    out[w.len] = '\0';
    return out;
}

/* The REST typeDefinition of type text S, parsed (user types left unresolved). */
static const char *
tt_text(const char *s)
{
    struct cql_type *t = NULL;

    if (cql_type_parse(s, strlen(s), &test_alloc, &t, NULL) != 0) {
        return "(parse error)";
    }
    return tt(t);
}

static const struct cass_meta_table *
find_table(const struct cass_meta *m, const char *ks, const char *t)
{
    return cass_meta_table(cass_meta_keyspace(m, ks, strlen(ks)), t, strlen(t));
}

/* ---- column order ---------------------------------------------------------------------------- */

/* A table whose rows arrive in name order, as system_schema sends them. */
static int
add_events(struct cass_meta_builder *b)
{
    int rc = ks_row(b, "ks", SIMPLE_RF1);

    rc = rc != 0 ? rc : table_row(b, "ks", "events", "3600");
    rc = rc != 0 ? rc : col_row(b, "ks", "events", "a_reg", "regular", "-1", "none", "text");
    rc = rc != 0 ? rc : col_row(b, "ks", "events", "bucket", "partition_key", "1", "none", "int");
    rc = rc != 0 ? rc : col_row(b, "ks", "events", "day", "partition_key", "0", "none", "date");
    rc = rc != 0 ? rc : col_row(b, "ks", "events", "m_reg", "regular", "-1", "none",
                                "map<text, int>");
    rc = rc != 0 ? rc : col_row(b, "ks", "events", "seq", "clustering", "1", "asc", "int");
    rc = rc != 0 ? rc : col_row(b, "ks", "events", "st_b", "static", "-1", "none", "text");
    rc = rc != 0 ? rc : col_row(b, "ks", "events", "st_a", "static", "-1", "none", "int");
    rc = rc != 0 ? rc : col_row(b, "ks", "events", "ts", "clustering", "0", "desc",
                                "timestamp");
    rc = rc != 0 ? rc : col_row(b, "ks", "events", "z_reg", "regular", "-1", "none", "blob");
    return rc;
}

TEST(meta_column_order_partition_clustering_static_regular)
{
    static const char *const want[] = {
        "day", "bucket", "ts", "seq", "st_a", "st_b", "a_reg", "m_reg", "z_reg",
    };
    struct cass_meta_builder *b = cass_meta_builder_create();
    struct cass_meta *m = NULL;
    const struct cass_meta_table *t;
    int rc = add_events(b);

    EQ(rc, 0);
    EQ(cass_meta_builder_finish(b, &m), 0);
    cass_meta_builder_destroy(b);
    t = find_table(m, "ks", "events");
    OK(t != NULL);
    EQ(t->ncolumns, 9);
    EQ(t->npartition, 2);
    EQ(t->nclustering, 2);
    EQ(t->nstatic, 2);
    EQ(t->default_ttl, 3600);
    STREQ(t->comment.p, "c");
    OK(t->compound && !t->counter && !t->is_view && t->has_id);
    EQ(t->id[0], 0x5a);
    for (size_t i = 0; i < 9; i++) {
        STREQ(t->columns[i].name.p, want[i]);
        EQ(t->columns[i].index, i);
        OK(cass_meta_column(t, want[i], strlen(want[i])) == &t->columns[i]);
    }
    EQ(t->columns[0].kind, CASS_META_PARTITION_KEY);
    EQ(t->columns[0].position, 0);
    EQ(t->columns[1].position, 1);
    EQ(t->columns[2].kind, CASS_META_CLUSTERING);
    EQ(t->columns[2].order, CASS_META_ORDER_DESC);
    EQ(t->columns[3].order, CASS_META_ORDER_ASC);
    EQ(t->columns[4].kind, CASS_META_STATIC);
    EQ(t->columns[4].order, CASS_META_ORDER_NONE);
    EQ(t->columns[4].position, -1);
    EQ(t->columns[8].kind, CASS_META_REGULAR);
    EQ(t->columns[2].type->id, CQL_TYPE_TIMESTAMP);
    STREQ(t->columns[7].type_text.p, "map<text, int>");
    STREQ(tt(t->columns[7].type), "map<text, int>");
    STREQ(cass_meta_kind_name(t->columns[0].kind), "partition_key");
    STREQ(cass_meta_kind_name(t->columns[2].kind), "clustering");
    STREQ(cass_meta_kind_name(t->columns[4].kind), "static");
    STREQ(cass_meta_kind_name(t->columns[8].kind), "regular");
    EQ(m->skipped, 0);
    cass_meta_unref(m);
}

TEST(meta_clustering_without_order_is_asc)
{
    struct cass_meta_builder *b = cass_meta_builder_create();
    struct cass_meta *m = NULL;
    const struct cass_meta_table *t;

    EQ(ks_row(b, "ks", SIMPLE_RF1), 0);
    EQ(table_row(b, "ks", "t", "0"), 0);
    EQ(pk_row(b, "ks", "t", "k", "int"), 0);
    EQ(row(b, CASS_META_COLUMNS, (const char *[]){
        "keyspace_name", "ks", "table_name", "t", "column_name", "c", "kind", "clustering",
        "position", "0", "type", "int", NULL }), 0);
    EQ(cass_meta_builder_finish(b, &m), 0);
    cass_meta_builder_destroy(b);
    t = find_table(m, "ks", "t");
    OK(t != NULL);
    EQ(t->columns[1].order, CASS_META_ORDER_ASC);
    EQ(t->columns[0].order, CASS_META_ORDER_NONE);
    cass_meta_unref(m);
}

/* ---- user types ------------------------------------------------------------------------------ */

TEST(meta_nested_udts_resolved_recursively)
{
    struct cass_meta_builder *b = cass_meta_builder_create();
    struct cass_meta *m = NULL;
    const struct cass_meta_keyspace *ks;
    const struct cass_meta_table *t;
    const struct cass_meta_udt *outer, *inner;
    const struct cql_type *ct, *f;

    EQ(ks_row(b, "ks", SIMPLE_RF1), 0);
    /* a_outer sorts (and arrives) before z_inner, which it uses. */
    EQ(type_row(b, "ks", "a_outer", "['label', 'inner', 'many']",
                "['text', 'frozen<z_inner>', 'frozen<list<frozen<z_inner>>>']"), 0);
    EQ(type_row(b, "ks", "z_inner", "['x', 'tags']", "['int', 'frozen<map<text, text>>']"), 0);
    EQ(table_row(b, "ks", "t", "0"), 0);
    EQ(pk_row(b, "ks", "t", "k", "int"), 0);
    EQ(reg_row(b, "ks", "t", "o", "frozen<a_outer>"), 0);
    EQ(reg_row(b, "ks", "t", "o_unfrozen", "a_outer"), 0);
    EQ(reg_row(b, "ks", "t", "os", "map<text, frozen<a_outer>>"), 0);
    EQ(cass_meta_builder_finish(b, &m), 0);
    cass_meta_builder_destroy(b);
    ks = cass_meta_keyspace(m, "ks", 2);
    OK(ks != NULL);
    EQ(ks->nudts, 2);
    outer = cass_meta_udt(ks, "a_outer", 7);
    inner = cass_meta_udt(ks, "z_inner", 7);
    OK(outer != NULL && inner != NULL);
    OK(outer == &ks->udts[0]);
    EQ(outer->type->id, CQL_TYPE_UDT);
    EQ(outer->type->n, 3);
    OK(!outer->type->frozen);
    SLICEEQ(outer->type->name.p, outer->type->name.len, "a_outer");
    SLICEEQ(outer->type->keyspace.p, outer->type->keyspace.len, "ks");
    STREQ(outer->type->field_names[1].p, "inner");
    STREQ(outer->field_types[1].p, "frozen<z_inner>");
    STREQ(outer->field_types[2].p, "frozen<list<frozen<z_inner>>>");
    STREQ(inner->field_types[1].p, "frozen<map<text, text>>");
    f = outer->type->sub[1];
    EQ(f->id, CQL_TYPE_UDT);
    OK(f->frozen);
    EQ(f->n, 2);
    STREQ(f->field_names[1].p, "tags");
    EQ(f->sub[1]->id, CQL_TYPE_MAP);
    OK(f->sub[1]->frozen);
    OK(f->sub == inner->type->sub);         /* the definition's fields are shared */
    STREQ(tt(outer->type->sub[2]), "frozen<list<frozen<udt<z_inner>>>>");
    STREQ(tt(outer->type->sub[1]), "frozen<udt<z_inner>>");

    t = find_table(m, "ks", "t");
    OK(t != NULL);
    ct = cass_meta_column(t, "o", 1)->type;
    EQ(ct->id, CQL_TYPE_UDT);
    OK(ct->frozen);
    EQ(ct->n, 3);
    EQ(ct->sub[1]->n, 2);
    EQ(ct->sub[2]->sub[0]->sub[0]->id, CQL_TYPE_INT);
    STREQ(tt(ct), "frozen<udt<a_outer>>");
    ct = cass_meta_column(t, "o_unfrozen", 10)->type;
    OK(!ct->frozen);
    EQ(ct->n, 3);
    STREQ(tt(ct), "udt<a_outer>");
    ct = cass_meta_column(t, "os", 2)->type;
    EQ(ct->sub[1]->n, 3);
    STREQ(tt(ct), "map<text, frozen<udt<a_outer>>>");
    cass_meta_unref(m);
}

TEST(meta_udt_errors_undefined_cycle_too_deep)
{
    struct cass_meta_builder *b = cass_meta_builder_create();
    struct cass_meta *m = NULL;
    char names[64], types[64], name[16];

    /* A column of a type nobody defined. */
    EQ(ks_row(b, "ks", SIMPLE_RF1), 0);
    EQ(table_row(b, "ks", "t", "0"), 0);
    EQ(pk_row(b, "ks", "t", "k", "frozen<nowhere>"), 0);
    EQ(cass_meta_builder_finish(b, &m), CQL_ETYPE);
    OK(m == NULL);
    OK(strstr(cass_meta_builder_error(b), "nowhere") != NULL);
    OK(strstr(cass_meta_builder_error(b), "ks.t.k") != NULL);
    cass_meta_builder_destroy(b);

    /* Two types that contain each other. */
    b = cass_meta_builder_create();
    EQ(ks_row(b, "ks", SIMPLE_RF1), 0);
    EQ(type_row(b, "ks", "a", "['b']", "['frozen<b>']"), 0);
    EQ(type_row(b, "ks", "b", "['a']", "['frozen<a>']"), 0);
    EQ(cass_meta_builder_finish(b, &m), CQL_ETYPE);
    OK(strstr(cass_meta_builder_error(b), "cycle") != NULL);
    cass_meta_builder_destroy(b);

    /* A type of another keyspace. */
    b = cass_meta_builder_create();
    EQ(ks_row(b, "ks", SIMPLE_RF1), 0);
    EQ(ks_row(b, "other", SIMPLE_RF1), 0);
    EQ(type_row(b, "other", "u", "['x']", "['int']"), 0);
    EQ(table_row(b, "ks", "t", "0"), 0);
    EQ(pk_row(b, "ks", "t", "k", "frozen<other.u>"), 0);
    EQ(cass_meta_builder_finish(b, &m), CQL_ETYPE);
    cass_meta_builder_destroy(b);

    /* A chain of 40 types, each holding the next: deeper than any value codec goes. */
    b = cass_meta_builder_create();
    EQ(ks_row(b, "ks", SIMPLE_RF1), 0);
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof(name), "u%02d", i);
        snprintf(names, sizeof(names), "['f']");
        if (i == 39) {
            snprintf(types, sizeof(types), "['int']");
        } else {
            snprintf(types, sizeof(types), "['frozen<u%02d>']", i + 1);
        }
        EQ(type_row(b, "ks", name, names, types), 0);
    }
    EQ(cass_meta_builder_finish(b, &m), CQL_ETYPE);
    OK(strstr(cass_meta_builder_error(b), "deep") != NULL);
    cass_meta_builder_destroy(b);

    /* The same chain 10 long is fine. */
    b = cass_meta_builder_create();
    EQ(ks_row(b, "ks", SIMPLE_RF1), 0);
    for (int i = 0; i < 10; i++) {
        snprintf(name, sizeof(name), "u%02d", i);
        if (i == 9) {
            snprintf(types, sizeof(types), "['int']");
        } else {
            snprintf(types, sizeof(types), "['frozen<u%02d>']", i + 1);
        }
        EQ(type_row(b, "ks", name, "['f']", types), 0);
    }
    EQ(cass_meta_builder_finish(b, &m), 0);
    EQ(cass_meta_keyspace(m, "ks", 2)->udts[0].type->sub[0]->sub[0]->sub[0]->name.len, 3);
    cass_meta_unref(m);
    cass_meta_builder_destroy(b);
}

/* ---- names ----------------------------------------------------------------------------------- */

TEST(meta_mixed_case_names_are_exact)
{
    struct cass_meta_builder *b = cass_meta_builder_create();
    struct cass_meta *m = NULL;
    const struct cass_meta_keyspace *ks;
    const struct cass_meta_table *t;
    const struct cass_meta_column *c;

    EQ(ks_row(b, "MyKs", SIMPLE_RF1), 0);
    EQ(ks_row(b, "myks", SIMPLE_RF1), 0);
    EQ(type_row(b, "MyKs", "Point", "['X', 'x']", "['int', 'text']"), 0);
    EQ(table_row(b, "MyKs", "MixedCase", "0"), 0);
    EQ(table_row(b, "MyKs", "mixedcase", "0"), 0);
    EQ(pk_row(b, "MyKs", "MixedCase", "Id", "int"), 0);
    EQ(reg_row(b, "MyKs", "MixedCase", "id", "text"), 0);
    EQ(reg_row(b, "MyKs", "MixedCase", "Where \"Quoted\"", "frozen<\"Point\">"), 0);
    EQ(pk_row(b, "MyKs", "mixedcase", "k", "int"), 0);
    EQ(cass_meta_builder_finish(b, &m), 0);
    cass_meta_builder_destroy(b);
    EQ(m->nkeyspaces, 2);
    ks = cass_meta_keyspace(m, "MyKs", 4);
    OK(ks != NULL && ks != cass_meta_keyspace(m, "myks", 4));
    OK(cass_meta_keyspace(m, "MYKS", 4) == NULL);
    t = cass_meta_table(ks, "MixedCase", 9);
    OK(t != NULL);
    OK(cass_meta_table(ks, "mixedcase", 9) != t);
    OK(cass_meta_table(ks, "MIXEDCASE", 9) == NULL);
    EQ(t->ncolumns, 3);
    STREQ(t->columns[0].name.p, "Id");
    STREQ(t->columns[1].name.p, "Where \"Quoted\"");  /* byte order: 'W' < 'i' */
    STREQ(t->columns[2].name.p, "id");
    c = cass_meta_column(t, "Id", 2);
    OK(c != NULL && c->kind == CASS_META_PARTITION_KEY);
    c = cass_meta_column(t, "id", 2);
    OK(c != NULL && c->kind == CASS_META_REGULAR);
    OK(cass_meta_column(t, "ID", 2) == NULL);
    c = cass_meta_column(t, "Where \"Quoted\"", 14);
    OK(c != NULL);
    STREQ(tt(c->type), "frozen<udt<Point>>");
    EQ(c->type->n, 2);
    STREQ(c->type->field_names[0].p, "X");
    OK(cass_meta_udt(ks, "point", 5) == NULL);
    cass_meta_unref(m);
}

/* ---- typeDefinition -------------------------------------------------------------------------- */

TEST(meta_type_text_every_family)
{
    static const struct {
        const char *in;                         /* system_schema type text */
        const char *rest;                       /* REST typeDefinition */
    } cases[] = {
        { "ascii", "ascii" },
        { "bigint", "bigint" },
        { "blob", "blob" },
        { "boolean", "boolean" },
        { "counter", "counter" },
        { "date", "date" },
        { "decimal", "decimal" },
        { "double", "double" },
        { "duration", "duration" },
        { "float", "float" },
        { "inet", "inet" },
        { "int", "int" },
        { "smallint", "smallint" },
        { "text", "text" },
        { "varchar", "text" },
        { "VARCHAR", "text" },
        { "time", "time" },
        { "timestamp", "timestamp" },
        { "timeuuid", "timeuuid" },
        { "tinyint", "tinyint" },
        { "uuid", "uuid" },
        { "varint", "varint" },
        { "list<int>", "list<int>" },
        { "set<varchar>", "set<text>" },
        { "map<text,int>", "map<text, int>" },
        { "frozen<list<text>>", "frozen<list<text>>" },
        { "frozen<set<uuid>>", "frozen<set<uuid>>" },
        { "frozen<map<text, frozen<list<int>>>>", "frozen<map<text, frozen<list<int>>>>" },
        { "map<text, frozen<list<frozen<set<int>>>>>",
          "map<text, frozen<list<frozen<set<int>>>>>" },
        { "frozen<tuple<int, text, double>>", "tuple<int, text, double>" },
        { "tuple<int,frozen<list<int>>>", "tuple<int, frozen<list<int>>>" },
        { "frozen<list<frozen<tuple<blob, timeuuid>>>>", "frozen<list<tuple<blob, timeuuid>>>" },
        { "vector<float, 3>", "vector<float, 3>" },
        { "vector<float,1024>", "vector<float, 1024>" },
        { "address", "udt<address>" },
        { "frozen<address>", "frozen<udt<address>>" },
        { "frozen<\"MixedType\">", "frozen<udt<MixedType>>" },
        { "list<frozen<address>>", "list<frozen<udt<address>>>" },
        { "'org.apache.cassandra.db.marshal.BytesType'",
          "'org.apache.cassandra.db.marshal.BytesType'" },
    };
    uint8_t small[8];
    struct cql_wr w;
    struct cql_type *t = NULL;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        STREQ(tt_text(cases[i].in), cases[i].rest);
    }
    /* A writer that cannot grow reports its error. */
    OK(cql_type_parse("map<text, text>", 15, &test_alloc, &t, NULL) == 0);
    cql_wr_init(&w, small, sizeof(small), NULL, NULL);
    EQ(cass_meta_type_text(t, &w), CQL_ENOSPC);
}

/* ---- replication ----------------------------------------------------------------------------- */

TEST(meta_replication_simple_nts_local_other)
{
    struct cass_meta_builder *b = cass_meta_builder_create();
    struct cass_meta *m = NULL;
    const struct cass_meta_keyspace *ks;

    EQ(ks_row(b, "simple", "{'class': 'org.apache.cassandra.locator.SimpleStrategy', "
                           "'replication_factor': '3'}"), 0);
    EQ(ks_row(b, "nts", "{'class': 'org.apache.cassandra.locator.NetworkTopologyStrategy', "
                        "'dc2': '2/1', 'datacenter1': '3'}"), 0);
    EQ(ks_row(b, "local", "{'class': 'org.apache.cassandra.locator.LocalStrategy'}"), 0);
    EQ(ks_row(b, "short", "{'class': 'SimpleStrategy', 'replication_factor': '2'}"), 0);
    EQ(ks_row(b, "custom", "{'class': 'com.example.MyStrategy', 'x': 'y'}"), 0);
    EQ(row(b, CASS_META_KEYSPACES, (const char *[]){
        "keyspace_name", "nodurable", "durable_writes", "false", "replication", SIMPLE_RF1,
        NULL }), 0);
    EQ(row(b, CASS_META_KEYSPACES, (const char *[]){
        "keyspace_name", "nodw", "replication", SIMPLE_RF1, NULL }), 0);
    EQ(cass_meta_builder_finish(b, &m), 0);
    cass_meta_builder_destroy(b);
    EQ(m->nkeyspaces, 7);

    ks = cass_meta_keyspace(m, "simple", 6);
    EQ(ks->strategy, CASS_META_STRATEGY_SIMPLE);
    EQ(ks->replication_factor, 3);
    EQ(ks->ndcs, 0);
    OK(ks->durable_writes);
    STREQ(ks->strategy_class.p, "org.apache.cassandra.locator.SimpleStrategy");
    EQ(ks->nreplication, 2);
    STREQ(cass_meta_option_get(ks->replication, ks->nreplication, "replication_factor")->p, "3");

    ks = cass_meta_keyspace(m, "nts", 3);
    EQ(ks->strategy, CASS_META_STRATEGY_NTS);
    EQ(ks->replication_factor, 0);
    EQ(ks->ndcs, 2);
    STREQ(ks->dcs[0].name.p, "datacenter1");
    EQ(ks->dcs[0].replicas, 3);
    STREQ(ks->dcs[1].name.p, "dc2");
    EQ(ks->dcs[1].replicas, 2);
    STREQ(ks->replication[0].key.p, "class");

    ks = cass_meta_keyspace(m, "local", 5);
    EQ(ks->strategy, CASS_META_STRATEGY_LOCAL);
    EQ(ks->ndcs, 0);
    ks = cass_meta_keyspace(m, "short", 5);
    EQ(ks->strategy, CASS_META_STRATEGY_SIMPLE);
    EQ(ks->replication_factor, 2);
    ks = cass_meta_keyspace(m, "custom", 6);
    EQ(ks->strategy, CASS_META_STRATEGY_OTHER);
    STREQ(ks->strategy_class.p, "com.example.MyStrategy");
    OK(!cass_meta_keyspace(m, "nodurable", 9)->durable_writes);
    OK(cass_meta_keyspace(m, "nodw", 4)->durable_writes);
    cass_meta_unref(m);
}

/* ---- indexes and views ----------------------------------------------------------------------- */

TEST(meta_indexes_and_views)
{
    struct cass_meta_builder *b = cass_meta_builder_create();
    struct cass_meta *m = NULL;
    const struct cass_meta_keyspace *ks;
    const struct cass_meta_table *t, *v;
    const struct cass_meta_index *x;

    EQ(ks_row(b, "ks", SIMPLE_RF1), 0);
    EQ(table_row(b, "ks", "users", "0"), 0);
    EQ(table_row(b, "ks", "other", "0"), 0);
    EQ(pk_row(b, "ks", "users", "id", "uuid"), 0);
    EQ(reg_row(b, "ks", "users", "email", "text"), 0);
    EQ(reg_row(b, "ks", "users", "tags", "set<text>"), 0);
    EQ(pk_row(b, "ks", "other", "k", "int"), 0);
    EQ(row(b, CASS_META_VIEWS, (const char *[]){
        "keyspace_name", "ks", "view_name", "users_by_email", "base_table_name", "users",
        "where_clause", "email IS NOT NULL AND id IS NOT NULL", "include_all_columns", "false",
        "default_time_to_live", "0", NULL }), 0);
    EQ(pk_row(b, "ks", "users_by_email", "email", "text"), 0);
    EQ(col_row(b, "ks", "users_by_email", "id", "clustering", "0", "asc", "uuid"), 0);
    EQ(index_row(b, "ks", "users", "users_tags_sai", "CUSTOM",
                 "{'class_name': 'StorageAttachedIndex', 'target': 'values(tags)'}"), 0);
    EQ(index_row(b, "ks", "users", "email_idx", "COMPOSITES", "{'target': 'email'}"), 0);
    EQ(index_row(b, "ks", "other", "k_idx", "KEYS", "{}"), 0);
    EQ(cass_meta_builder_finish(b, &m), 0);
    cass_meta_builder_destroy(b);
    ks = cass_meta_keyspace(m, "ks", 2);
    EQ(ks->ntables, 2);
    EQ(ks->nviews, 1);
    EQ(ks->nindexes, 3);
    STREQ(ks->indexes[0].name.p, "email_idx");
    STREQ(ks->indexes[1].name.p, "k_idx");
    STREQ(ks->indexes[2].name.p, "users_tags_sai");
    t = cass_meta_table(ks, "users", 5);
    EQ(t->nindexes, 2);
    STREQ(t->indexes[0]->name.p, "email_idx");
    STREQ(t->indexes[1]->name.p, "users_tags_sai");
    x = cass_meta_index(ks, "users_tags_sai", 14);
    OK(x != NULL && x->table == t);
    STREQ(x->kind.p, "CUSTOM");
    STREQ(x->target.p, "values(tags)");
    STREQ(x->class_name.p, "StorageAttachedIndex");
    EQ(x->noptions, 2);
    STREQ(x->options[0].key.p, "class_name");
    x = cass_meta_index(ks, "email_idx", 9);
    STREQ(x->target.p, "email");
    STREQ(x->class_name.p, "");
    STREQ(x->table_name.p, "users");
    x = cass_meta_index(ks, "k_idx", 5);
    EQ(x->noptions, 0);
    STREQ(x->target.p, "");
    OK(cass_meta_index(ks, "nope", 4) == NULL);
    EQ(cass_meta_table(ks, "other", 5)->nindexes, 1);

    OK(cass_meta_table(ks, "users_by_email", 14) == NULL);
    v = cass_meta_view(ks, "users_by_email", 14);
    OK(v != NULL && v->is_view);
    STREQ(v->base_table.p, "users");
    STREQ(v->where_clause.p, "email IS NOT NULL AND id IS NOT NULL");
    EQ(v->ncolumns, 2);
    STREQ(v->columns[1].name.p, "id");
    EQ(v->nindexes, 0);
    OK(cass_meta_view(ks, "users", 5) == NULL);
    cass_meta_unref(m);
}

/* ---- lookups and lifetimes ------------------------------------------------------------------- */

TEST(meta_lookups_hit_and_miss)
{
    struct cass_meta_builder *b = cass_meta_builder_create();
    struct cass_meta *m = NULL;
    const struct cass_meta_keyspace *ks;
    const struct cass_meta_table *t;
    char name[16];

    for (int i = 0; i < 50; i++) {
        snprintf(name, sizeof(name), "ks%02d", i);
        EQ(ks_row(b, name, SIMPLE_RF1), 0);
    }
    for (int i = 0; i < 50; i++) {
        snprintf(name, sizeof(name), "t%02d", i);
        EQ(table_row(b, "ks07", name, "0"), 0);
        EQ(pk_row(b, "ks07", name, "k", "int"), 0);
        EQ(reg_row(b, "ks07", name, name, "int"), 0);
    }
    EQ(cass_meta_builder_finish(b, &m), 0);
    cass_meta_builder_destroy(b);
    for (int i = 0; i < 50; i++) {
        snprintf(name, sizeof(name), "ks%02d", i);
        ks = cass_meta_keyspace(m, name, 4);
        OK(ks != NULL);
        STREQ(ks->name.p, name);
    }
    ks = cass_meta_keyspace(m, "ks07", 4);
    for (int i = 0; i < 50; i++) {
        snprintf(name, sizeof(name), "t%02d", i);
        t = cass_meta_table(ks, name, 3);
        OK(t != NULL && t->keyspace == ks);
        OK(cass_meta_column(t, name, 3) != NULL);
        OK(cass_meta_column(t, "k", 1) == &t->columns[0]);
    }
    OK(cass_meta_keyspace(m, "ks", 2) == NULL);
    OK(cass_meta_keyspace(m, "ks070", 5) == NULL);
    OK(cass_meta_keyspace(m, "", 0) == NULL);
    OK(cass_meta_keyspace(m, "ks99", 4) == NULL);
    OK(cass_meta_keyspace(NULL, "ks07", 4) == NULL);
    OK(cass_meta_table(ks, "t50", 3) == NULL);
    OK(cass_meta_table(NULL, "t01", 3) == NULL);
    OK(cass_meta_table(cass_meta_keyspace(m, "ks08", 4), "t01", 3) == NULL);
    OK(cass_meta_column(cass_meta_table(ks, "t01", 3), "t02", 3) == NULL);
    OK(cass_meta_column(NULL, "k", 1) == NULL);
    OK(cass_meta_udt(ks, "t01", 3) == NULL);
    OK(cass_meta_index(ks, "t01", 3) == NULL);
    /* Names need no NUL: a prefix of a longer buffer. */
    OK(cass_meta_table(ks, "t01xyz", 3) != NULL);
    cass_meta_unref(m);
}

#define REF_THREADS 4
#define REF_ROUNDS  20000

static void *
ref_worker(void *arg)
{
    struct cass_meta *m = arg;

    for (int i = 0; i < REF_ROUNDS; i++) {
        cass_meta_unref(cass_meta_ref(m));
        cass_meta_ref(m);
    }
    for (int i = 0; i < REF_ROUNDS; i++) {
        cass_meta_unref(m);
    }
    return NULL;
}

TEST(meta_reference_counts_across_threads)
{
    struct cass_meta_builder *b = cass_meta_builder_create();
    struct cass_meta *m = NULL;
    pthread_t th[REF_THREADS];

    EQ(add_events(b), 0);
    EQ(cass_meta_builder_finish(b, &m), 0);
    cass_meta_builder_destroy(b);
    EQ(atomic_load(&m->refs), 1);
    OK(cass_meta_ref(m) == m);
    EQ(atomic_load(&m->refs), 2);
    cass_meta_unref(m);
    for (int i = 0; i < REF_THREADS; i++) {
        OK(pthread_create(&th[i], NULL, ref_worker, m) == 0);
    }
    for (int i = 0; i < REF_THREADS; i++) {
        pthread_join(th[i], NULL);
    }
    EQ(atomic_load(&m->refs), 1);
    OK(find_table(m, "ks", "events") != NULL);
    cass_meta_unref(m);                     /* the last one frees it (ASan sees leaks) */
    cass_meta_unref(NULL);
}

/* ---- rebuilding one keyspace ----------------------------------------------------------------- */

static int
add_two_keyspaces(struct cass_meta_builder *b)
{
    int rc = ks_row(b, "keep", "{'class': 'org.apache.cassandra.locator.NetworkTopologyStrategy', "
                               "'datacenter1': '1'}");

    rc = rc != 0 ? rc : type_row(b, "keep", "addr", "['street', 'zip']",
                                 "['text', 'frozen<map<text, text>>']");
    rc = rc != 0 ? rc : table_row(b, "keep", "kt", "60");
    rc = rc != 0 ? rc : pk_row(b, "keep", "kt", "id", "int");
    rc = rc != 0 ? rc : col_row(b, "keep", "kt", "c", "clustering", "0", "desc", "text");
    rc = rc != 0 ? rc : col_row(b, "keep", "kt", "s", "static", "-1", "none", "int");
    rc = rc != 0 ? rc : reg_row(b, "keep", "kt", "a", "frozen<addr>");
    rc = rc != 0 ? rc : index_row(b, "keep", "kt", "kt_a", "COMPOSITES", "{'target': 'a'}");
    rc = rc != 0 ? rc : row(b, CASS_META_VIEWS, (const char *[]){
        "keyspace_name", "keep", "view_name", "kv", "base_table_name", "kt", NULL });
    rc = rc != 0 ? rc : pk_row(b, "keep", "kv", "c", "text");
    rc = rc != 0 ? rc : ks_row(b, "change", SIMPLE_RF1);
    rc = rc != 0 ? rc : table_row(b, "change", "old_t", "0");
    rc = rc != 0 ? rc : pk_row(b, "change", "old_t", "k", "int");
    return rc;
}

/* Checks that keyspace "keep" of M is whole. */
static void
check_keep(const struct cass_meta *m)
{
    const struct cass_meta_keyspace *ks = cass_meta_keyspace(m, "keep", 4);
    const struct cass_meta_table *t;

    OK(ks != NULL);
    EQ(ks->strategy, CASS_META_STRATEGY_NTS);
    EQ(ks->ndcs, 1);
    EQ(ks->dcs[0].replicas, 1);
    EQ(ks->nudts, 1);
    STREQ(ks->udts[0].field_types[1].p, "frozen<map<text, text>>");
    t = cass_meta_table(ks, "kt", 2);
    OK(t != NULL && t->keyspace == ks);
    EQ(t->default_ttl, 60);
    EQ(t->ncolumns, 4);
    STREQ(t->columns[1].name.p, "c");
    EQ(t->columns[1].order, CASS_META_ORDER_DESC);
    STREQ(t->columns[2].name.p, "s");
    STREQ(tt(t->columns[3].type), "frozen<udt<addr>>");
    EQ(t->columns[3].type->sub[1]->id, CQL_TYPE_MAP);
    EQ(t->nindexes, 1);
    OK(t->indexes[0] == cass_meta_index(ks, "kt_a", 4));
    OK(cass_meta_view(ks, "kv", 2) != NULL);
    STREQ(cass_meta_view(ks, "kv", 2)->base_table.p, "kt");
}

TEST(meta_rebuild_one_keyspace_keeps_the_others)
{
    struct cass_meta_builder *b = cass_meta_builder_create();
    struct cass_meta *m1 = NULL, *m2 = NULL, *m3 = NULL, *m4 = NULL;
    const struct cass_meta_keyspace *ks;

    EQ(add_two_keyspaces(b), 0);
    EQ(cass_meta_builder_finish(b, &m1), 0);
    cass_meta_builder_destroy(b);
    check_keep(m1);
    if (test_failed) {
        return;
    }

    /* "change" now has new_t instead of old_t; a stray row of "keep" is ignored. */
    b = cass_meta_builder_create();
    EQ(ks_row(b, "change", "{'class': 'org.apache.cassandra.locator.SimpleStrategy', "
                           "'replication_factor': '2'}"), 0);
    EQ(table_row(b, "change", "new_t", "0"), 0);
    EQ(pk_row(b, "change", "new_t", "k", "text"), 0);
    EQ(table_row(b, "keep", "stray", "0"), 0);
    EQ(pk_row(b, "keep", "stray", "k", "text"), 0);
    EQ(cass_meta_builder_rebuild(b, m1, "change", 6, &m2), 0);
    cass_meta_builder_destroy(b);
    OK(m2 != NULL && m2 != m1);
    EQ(m2->nkeyspaces, 2);
    check_keep(m2);
    if (test_failed) {
        return;
    }
    OK(cass_meta_keyspace(m2, "keep", 4) != cass_meta_keyspace(m1, "keep", 4));
    OK(find_table(m2, "keep", "stray") == NULL);
    ks = cass_meta_keyspace(m2, "change", 6);
    EQ(ks->replication_factor, 2);
    EQ(ks->ntables, 1);
    OK(cass_meta_table(ks, "new_t", 5) != NULL);
    OK(cass_meta_table(ks, "old_t", 5) == NULL);
    OK(find_table(m1, "change", "old_t") != NULL);  /* the old snapshot is untouched */

    /* The old one can go first; the new one stands alone. */
    cass_meta_unref(m1);
    check_keep(m2);
    if (test_failed) {
        return;
    }

    /* A keyspace without its keyspaces row is dropped; a new one is added. */
    b = cass_meta_builder_create();
    EQ(cass_meta_builder_rebuild(b, m2, "change", 6, &m3), 0);
    cass_meta_builder_destroy(b);
    EQ(m3->nkeyspaces, 1);
    OK(cass_meta_keyspace(m3, "change", 6) == NULL);
    check_keep(m3);
    b = cass_meta_builder_create();
    EQ(ks_row(b, "added", SIMPLE_RF1), 0);
    EQ(cass_meta_builder_rebuild(b, m3, "added", 5, &m4), 0);
    cass_meta_builder_destroy(b);
    EQ(m4->nkeyspaces, 2);
    OK(cass_meta_keyspace(m4, "added", 5) != NULL);
    check_keep(m4);
    cass_meta_unref(m2);
    cass_meta_unref(m3);
    cass_meta_unref(m4);
}

TEST(meta_rebuild_refuses_bad_rows_and_keeps_old)
{
    struct cass_meta_builder *b = cass_meta_builder_create();
    struct cass_meta *m1 = NULL, *m2 = NULL;

    EQ(add_two_keyspaces(b), 0);
    EQ(cass_meta_builder_finish(b, &m1), 0);
    cass_meta_builder_destroy(b);
    b = cass_meta_builder_create();
    EQ(ks_row(b, "change", SIMPLE_RF1), 0);
    EQ(table_row(b, "change", "t", "0"), 0);
    EQ(pk_row(b, "change", "t", "k", "map<int"), 0);
    EQ(cass_meta_builder_rebuild(b, m1, "change", 6, &m2), CQL_ETYPE);
    OK(m2 == NULL);
    cass_meta_builder_destroy(b);
    check_keep(m1);
    cass_meta_unref(m1);
}

/* ---- skipped and malformed rows -------------------------------------------------------------- */

TEST(meta_orphans_and_hidden_columns_are_skipped)
{
    struct cass_meta_builder *b = cass_meta_builder_create();
    struct cass_meta *m = NULL;
    const struct cass_meta_keyspace *ks;
    const struct cass_meta_table *t;

    EQ(ks_row(b, "ks", SIMPLE_RF1), 0);
    EQ(table_row(b, "ks", "t", "0"), 0);
    EQ(pk_row(b, "ks", "t", "k", "int"), 0);
    EQ(reg_row(b, "ks", "t", "", "empty"), 0);          /* COMPACT STORAGE's hidden column */
    EQ(reg_row(b, "ks", "gone", "x", "int"), 0);        /* a table not (or no longer) there */
    EQ(table_row(b, "ks", "half", "0"), 0);             /* no partition key seen */
    EQ(reg_row(b, "ks", "half", "v", "int"), 0);
    EQ(table_row(b, "nokeyspace", "t", "0"), 0);
    EQ(pk_row(b, "nokeyspace", "t", "k", "int"), 0);
    EQ(type_row(b, "nokeyspace", "u", "['a']", "['int']"), 0);
    EQ(index_row(b, "ks", "gone", "gone_idx", "COMPOSITES", "{'target': 'x'}"), 0);
    EQ(index_row(b, "zz", "t", "zz_idx", "COMPOSITES", "{'target': 'x'}"), 0);
    EQ(cass_meta_builder_finish(b, &m), 0);
    cass_meta_builder_destroy(b);
    ks = cass_meta_keyspace(m, "ks", 2);
    EQ(m->nkeyspaces, 1);
    EQ(ks->ntables, 1);
    t = cass_meta_table(ks, "t", 1);
    EQ(t->ncolumns, 1);
    OK(cass_meta_table(ks, "half", 4) == NULL);
    EQ(ks->nindexes, 0);
    EQ(m->skipped, 7);
    cass_meta_unref(m);
}

TEST(meta_malformed_rows_are_errors)
{
    struct cass_meta_builder *b;
    struct cass_meta *m = NULL;

    /* A required column missing. */
    b = cass_meta_builder_create();
    EQ(row(b, CASS_META_COLUMNS, (const char *[]){
        "keyspace_name", "ks", "table_name", "t", "column_name", "c", "type", "int", NULL }),
       E_PROTOCOL);
    OK(strstr(cass_meta_builder_error(b), "kind") != NULL);
    EQ(ks_row(b, "ks", SIMPLE_RF1), E_PROTOCOL);        /* sticky */
    EQ(cass_meta_builder_finish(b, &m), E_PROTOCOL);
    OK(m == NULL);
    cass_meta_builder_destroy(b);

    /* A required column present but null. */
    b = cass_meta_builder_create();
    EQ(row(b, CASS_META_KEYSPACES, (const char *[]){
        "keyspace_name", "ks", "replication", null_cell, NULL }), E_PROTOCOL);
    cass_meta_builder_destroy(b);

    /* Unknown kind and clustering order. */
    b = cass_meta_builder_create();
    EQ(col_row(b, "ks", "t", "c", "primary", "0", "none", "int"), E_PROTOCOL);
    OK(strstr(cass_meta_builder_error(b), "primary") != NULL);
    cass_meta_builder_destroy(b);
    b = cass_meta_builder_create();
    EQ(col_row(b, "ks", "t", "c", "clustering", "0", "sideways", "int"), E_PROTOCOL);
    cass_meta_builder_destroy(b);

    /* Type text that does not parse: an error at finish, naming the column. */
    b = cass_meta_builder_create();
    EQ(ks_row(b, "ks", SIMPLE_RF1), 0);
    EQ(table_row(b, "ks", "t", "0"), 0);
    EQ(pk_row(b, "ks", "t", "k", "int"), 0);
    EQ(reg_row(b, "ks", "t", "bad", "map<text, int"), 0);
    EQ(cass_meta_builder_finish(b, &m), CQL_ETYPE);
    OK(strstr(cass_meta_builder_error(b), "ks.t.bad") != NULL);
    EQ(cass_meta_builder_finish(b, &m), CQL_ETYPE);     /* sticky */
    cass_meta_builder_destroy(b);

    /* Bad type text in a user type. */
    b = cass_meta_builder_create();
    EQ(ks_row(b, "ks", SIMPLE_RF1), 0);
    EQ(type_row(b, "ks", "u", "['a']", "['list<>']"), 0);
    EQ(cass_meta_builder_finish(b, &m), CQL_ETYPE);
    cass_meta_builder_destroy(b);

    /* Field names and types that do not pair up; a type without fields. */
    b = cass_meta_builder_create();
    EQ(type_row(b, "ks", "u", "['a', 'b']", "['int']"), E_PROTOCOL);
    cass_meta_builder_destroy(b);
    b = cass_meta_builder_create();
    EQ(type_row(b, "ks", "u", "[]", "[]"), E_PROTOCOL);
    cass_meta_builder_destroy(b);

    /* Key positions taken twice, or past the key. */
    b = cass_meta_builder_create();
    EQ(ks_row(b, "ks", SIMPLE_RF1), 0);
    EQ(table_row(b, "ks", "t", "0"), 0);
    EQ(col_row(b, "ks", "t", "a", "partition_key", "0", "none", "int"), 0);
    EQ(col_row(b, "ks", "t", "b", "partition_key", "0", "none", "int"), 0);
    EQ(cass_meta_builder_finish(b, &m), E_PROTOCOL);
    OK(strstr(cass_meta_builder_error(b), "twice") != NULL);
    cass_meta_builder_destroy(b);
    b = cass_meta_builder_create();
    EQ(ks_row(b, "ks", SIMPLE_RF1), 0);
    EQ(table_row(b, "ks", "t", "0"), 0);
    EQ(pk_row(b, "ks", "t", "a", "int"), 0);
    EQ(col_row(b, "ks", "t", "c", "clustering", "1", "asc", "int"), 0);
    EQ(cass_meta_builder_finish(b, &m), E_PROTOCOL);
    OK(strstr(cass_meta_builder_error(b), "out of range") != NULL);
    cass_meta_builder_destroy(b);
    b = cass_meta_builder_create();
    EQ(ks_row(b, "ks", SIMPLE_RF1), 0);
    EQ(table_row(b, "ks", "t", "0"), 0);
    EQ(col_row(b, "ks", "t", "a", "partition_key", "-1", "none", "int"), 0);
    EQ(cass_meta_builder_finish(b, &m), E_PROTOCOL);
    cass_meta_builder_destroy(b);

    /* Duplicate rows. */
    b = cass_meta_builder_create();
    EQ(ks_row(b, "ks", SIMPLE_RF1), 0);
    EQ(table_row(b, "ks", "t", "0"), 0);
    EQ(table_row(b, "ks", "t", "0"), 0);
    EQ(cass_meta_builder_finish(b, &m), E_PROTOCOL);
    OK(strstr(cass_meta_builder_error(b), "twice") != NULL);
    cass_meta_builder_destroy(b);

    /* An unknown source. */
    b = cass_meta_builder_create();
    EQ(row(b, 42, (const char *[]){ "keyspace_name", "ks", NULL }), E_INVALID);
    EQ(row(b, -1, (const char *[]){ "keyspace_name", "ks", NULL }), E_INVALID);
    cass_meta_builder_destroy(b);
}

TEST(meta_malformed_cells_are_errors)
{
    static const uint8_t three[3] = { 0, 0, 1 };
    static const uint8_t bad_list[8] = { 0, 0, 0, 2, 0, 0, 0, 9 };
    static const uint8_t null_in_list[8] = { 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff };
    static const uint8_t trailing[9] = { 0, 0, 0, 1, 0, 0, 0, 0, 7 };
    static const uint8_t huge[4] = { 0x7f, 0xff, 0xff, 0xff };
    static const uint8_t negative[4] = { 0xff, 0xff, 0xff, 0xfe };
    const uint8_t *const lists[] = { bad_list, null_in_list, trailing, huge, negative };
    const size_t lens[] = { 8, 8, 9, 4, 4 };
    struct cql_col_spec cols[4];
    struct cql_bytes cells[4];
    struct cass_meta_builder *b;
    struct cql_type *text = cql_type_new_native(&test_alloc, CQL_TYPE_VARCHAR);
    struct cql_type *list = NULL;
    struct cql_type *map = NULL;
    struct cql_type *integer = cql_type_new_native(&test_alloc, CQL_TYPE_INT);

    OK(cql_type_parse("frozen<list<text>>", 18, &test_alloc, &list, NULL) == 0);
    OK(cql_type_parse("map<text, text>", 15, &test_alloc, &map, NULL) == 0);
    memset(cols, 0, sizeof(cols));
    cols[0].name.p = "keyspace_name";
    cols[0].name.len = 13;
    cols[0].type = text;
    cells[0].p = (const uint8_t *)"ks";
    cells[0].len = 2;

    /* An int of three bytes. */
    cols[1].name.p = "default_time_to_live";
    cols[1].name.len = 20;
    cols[1].type = integer;
    cols[2].name.p = "table_name";
    cols[2].name.len = 10;
    cols[2].type = text;
    cells[1].p = test_dup(three, 3);
    cells[1].len = 3;
    cells[2] = cells[0];
    b = cass_meta_builder_create();
    EQ(cass_meta_builder_row(b, CASS_META_TABLES, cols, 3, cells), CQL_EPROTO);
    cass_meta_builder_destroy(b);
    free((void *)cells[1].p);

    /* A column of the wrong type. */
    cols[1].type = text;
    cells[1] = cells[0];
    b = cass_meta_builder_create();
    EQ(cass_meta_builder_row(b, CASS_META_TABLES, cols, 3, cells), E_PROTOCOL);
    OK(strstr(cass_meta_builder_error(b), "unexpected type") != NULL);
    cass_meta_builder_destroy(b);

    /* Collections that do not decode. */
    cols[1].name.p = "type_name";
    cols[1].name.len = 9;
    cols[1].type = text;
    cells[1] = cells[0];
    cols[2].name.p = "field_names";
    cols[2].name.len = 11;
    cols[2].type = list;
    cols[3].name.p = "field_types";
    cols[3].name.len = 11;
    cols[3].type = list;
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
        cells[2].p = test_dup(lists[i], lens[i]);
        cells[2].len = (int32_t)lens[i];
        cells[3] = cells[2];
        b = cass_meta_builder_create();
        EQ(cass_meta_builder_row(b, CASS_META_TYPES, cols, 4, cells), CQL_EPROTO);
        cass_meta_builder_destroy(b);
        free((void *)cells[2].p);
    }
    cols[1].name.p = "replication";
    cols[1].name.len = 11;
    cols[1].type = map;
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
        cells[1].p = test_dup(lists[i], lens[i]);
        cells[1].len = (int32_t)lens[i];
        b = cass_meta_builder_create();
        EQ(cass_meta_builder_row(b, CASS_META_KEYSPACES, cols, 2, cells), CQL_EPROTO);
        cass_meta_builder_destroy(b);
        free((void *)cells[1].p);
    }
}

/* ---- rows straight from a result body -------------------------------------------------------- */

TEST(meta_rows_from_a_result_body)
{
    static const char *const names[] = { "keyspace_name", "table_name", "column_name", "kind",
                                         "position", "clustering_order", "type",
                                         "column_name_bytes" };
    struct cql_col_spec cols[8];
    struct cass_meta_builder *b = cass_meta_builder_create();
    struct cass_meta *m = NULL;
    struct cql_wr w;
    uint8_t *body;
    const struct cass_meta_table *t;

    for (int i = 0; i < 8; i++) {
        memset(&cols[i], 0, sizeof(cols[i]));
        cols[i].name.p = names[i];
        cols[i].name.len = strlen(names[i]);
        cols[i].type = spec_type(names[i]);
    }
    cql_wr_init(&w, NULL, 0, test_grow, NULL);
    for (int r = 0; r < 2; r++) {
        cql_wr_bytes(&w, "ks", 2);
        cql_wr_bytes(&w, "t", 1);
        cql_wr_bytes(&w, r == 0 ? "k" : "v", 1);
        cql_wr_bytes(&w, r == 0 ? "partition_key" : "regular", r == 0 ? 13 : 7);
        cql_wr_int(&w, 4);
        cql_wr_int(&w, r == 0 ? 0 : -1);
        cql_wr_bytes(&w, "none", 4);
        cql_wr_bytes(&w, r == 0 ? "int" : "list<text>", r == 0 ? 3 : 10);
        cql_wr_bytes(&w, NULL, CQL_NULL);
    }
    OK(w.err == 0);
    body = test_dup(w.p, w.len);
    EQ(cass_meta_builder_rows(b, CASS_META_COLUMNS, cols, 8, body, w.len, 2), 0);
    EQ(cass_meta_builder_rows(b, CASS_META_COLUMNS, cols, 8, body, 0, 0), 0);
    EQ(ks_row(b, "ks", SIMPLE_RF1), 0);
    EQ(table_row(b, "ks", "t", "0"), 0);
    EQ(cass_meta_builder_finish(b, &m), 0);
    cass_meta_builder_destroy(b);
    t = find_table(m, "ks", "t");
    OK(t != NULL);
    EQ(t->ncolumns, 2);
    STREQ(tt(t->columns[1].type), "list<text>");
    cass_meta_unref(m);

    /* Every truncation of the body fails cleanly. */
    for (size_t n = 0; n < w.len; n++) {
        uint8_t *part = test_dup(body, n);

        b = cass_meta_builder_create();
        EQ(cass_meta_builder_rows(b, CASS_META_COLUMNS, cols, 8, part, n, 2), CQL_EPROTO);
        cass_meta_builder_destroy(b);
        free(part);
    }
    /* Rows without column metadata. */
    b = cass_meta_builder_create();
    EQ(cass_meta_builder_rows(b, CASS_META_COLUMNS, NULL, 0, body, w.len, 2), E_PROTOCOL);
    cass_meta_builder_destroy(b);
    free(body);
    free(w.p);
}

TEST(meta_empty_schema)
{
    struct cass_meta_builder *b = cass_meta_builder_create();
    struct cass_meta *m = NULL;

    EQ(cass_meta_builder_finish(b, &m), 0);
    OK(m != NULL);
    EQ(m->nkeyspaces, 0);
    cass_meta_unref(m);
    EQ(cass_meta_builder_finish(b, &m), E_INVALID);     /* a builder makes one snapshot */
    OK(m == NULL);
    EQ(cass_meta_builder_rebuild(b, NULL, "ks", 2, &m), E_INVALID);
    EQ(ks_row(b, "ks", SIMPLE_RF1), E_INVALID);
    cass_meta_builder_destroy(b);

    /* A rebuild from no snapshot at all gives the keyspace alone. */
    b = cass_meta_builder_create();
    EQ(ks_row(b, "ks", SIMPLE_RF1), 0);
    EQ(ks_row(b, "other", SIMPLE_RF1), 0);
    EQ(cass_meta_builder_rebuild(b, NULL, "ks", 2, &m), 0);
    cass_meta_builder_destroy(b);
    EQ(m->nkeyspaces, 1);
    OK(cass_meta_keyspace(m, "ks", 2) != NULL);
    OK(cass_meta_keyspace(m, "other", 5) == NULL);
    cass_meta_unref(m);
}
