/*
 * cass_meta.h: the schema snapshot, built from the rows of system_schema (pure: no I/O).
 *
 * A snapshot holds every keyspace with its replication, tables and materialized views (columns in
 * the order REST v2 shows them, each with its parsed type), user-defined types and indexes. It is
 * built once, lives in one arena, is never changed afterwards, and is reference counted with
 * atomic counts, so workers on other threads can hold it while the control connection publishes
 * the next one (cpp-driver's front and back metadata). The HTTP side checks every keyspace, table
 * and column name against it before any CQL is sent.
 *
 *     rows of system_schema.* --cass_meta_builder_row(s)--> builder --finish--> struct cass_meta
 *     old snapshot + one keyspace's rows ------------------------rebuild--> new struct cass_meta
 *
 * Input: decoded rows as the query layer delivers them, column specs plus cells (struct
 * cql_col_spec and struct cql_bytes from proto/cql_resp.h). Columns are found by name, so their
 * order does not matter and extra columns (SELECT *) are ignored; a column the snapshot needs
 * that is missing, or that has an unexpected type, makes the row malformed. The columns read
 * (required ones marked *):
 *
 *     keyspaces  keyspace_name* text, replication* map<text, text>, durable_writes boolean
 *     tables     keyspace_name* text, table_name* text, id uuid, comment text,
 *                default_time_to_live int, flags set<text>
 *     views      keyspace_name* text, view_name* text, base_table_name* text, id uuid,
 *                where_clause text, include_all_columns boolean, comment text,
 *                default_time_to_live int
 *     columns    keyspace_name* text, table_name* text, column_name* text, kind* text,
 *                type* text, position int, clustering_order text
 *     types      keyspace_name* text, type_name* text, field_names* list<text>,
 *                field_types* list<text>
 *     indexes    keyspace_name* text, table_name* text, index_name* text, kind text,
 *                options map<text, text>
 * (text may also be ascii, list may be set, and uuid may be timeuuid).
 *
 * Rows that refer to something absent (columns of an unknown table, a table of an unknown
 * keyspace) are skipped and counted, since the SELECTs of one load are not atomic and a table
 * created between two of them shows up half; so is a table left without a partition key. Rows
 * that are wrong in themselves (a required column missing, an unknown kind, type text that does
 * not parse, a user type that is not defined, duplicate or gapped key positions) fail the build.
 *
 * Strings in a snapshot are struct cql_str slices that are also NUL-terminated. Names compare
 * exactly (case-sensitive bytes, as Cassandra stores them); every list is sorted by name in
 * byte order, which is also the clustering order of system_schema, and looked up by binary search.
 */
#ifndef CASS_META_H
#define CASS_META_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/util.h"
#include "cql_resp.h"
#include "cql_type.h"

/* Which system_schema table a row comes from. */
enum cass_meta_src {
    CASS_META_KEYSPACES = 0,
    CASS_META_TABLES,
    CASS_META_VIEWS,
    CASS_META_COLUMNS,
    CASS_META_TYPES,
    CASS_META_INDEXES,
};

/* system_schema.columns.kind, in the order REST v2 lists the columns. */
enum cass_meta_kind {
    CASS_META_PARTITION_KEY = 0,
    CASS_META_CLUSTERING,
    CASS_META_STATIC,
    CASS_META_REGULAR,
};

/* system_schema.columns.clustering_order. */
enum cass_meta_order {
    CASS_META_ORDER_NONE = 0,       /* not a clustering column */
    CASS_META_ORDER_ASC,
    CASS_META_ORDER_DESC,
};

/* The replication class, by its simple name. */
enum cass_meta_strategy {
    CASS_META_STRATEGY_OTHER = 0,   /* a class cqlgate does not know (see strategy_class) */
    CASS_META_STRATEGY_SIMPLE,      /* SimpleStrategy: replication_factor */
    CASS_META_STRATEGY_NTS,         /* NetworkTopologyStrategy: per data centre */
    CASS_META_STRATEGY_LOCAL,       /* LocalStrategy: system keyspaces on every node alone */
    CASS_META_STRATEGY_EVERYWHERE,  /* EverywhereStrategy (DSE) */
};

/* One key and value of a text map (replication, index options). */
struct cass_meta_option {
    struct cql_str key;             /* map key */
    struct cql_str value;           /* its value */
};

/* A data centre of a NetworkTopologyStrategy keyspace. */
struct cass_meta_dc {
    struct cql_str name;            /* data centre name, as in the replication map */
    int32_t        replicas;        /* replicas in it ("3/1", transient replication, is 3) */
};

struct cass_meta_keyspace;
struct cass_meta_index;

/* A column of a table or view. */
struct cass_meta_column {
    struct cql_str         name;        /* column name, exact case */
    struct cql_str         type_text;   /* system_schema.columns.type, verbatim */
    const struct cql_type *type;        /* parsed, user types resolved (see cass_meta_udt) */
    uint8_t                kind;        /* enum cass_meta_kind */
    uint8_t                order;       /* enum cass_meta_order: ASC or DESC for clustering */
    int32_t                position;    /* place in the partition or clustering key, else -1 */
    uint32_t               index;       /* place in the table's columns array */
};

/* A table, or a materialized view (is_view). */
struct cass_meta_table {
    struct cql_str                    name;         /* table or view name */
    const struct cass_meta_keyspace  *keyspace;     /* the keyspace holding it */
    const struct cass_meta_column    *columns;      /* partition keys by position, clustering
                                                     * keys by position, statics by name, regular
                                                     * columns by name (rest-v2 3.2) */
    uint32_t                          ncolumns;     /* all of them */
    uint32_t                          npartition;   /* columns[0, npartition) */
    uint32_t                          nclustering;  /* the next nclustering */
    uint32_t                          nstatic;      /* the next nstatic; regular ones follow */
    const struct cass_meta_column   **by_name;      /* ncolumns, sorted by name, for lookups */
    const struct cass_meta_index    **indexes;      /* indexes on it, sorted by name */
    uint32_t                          nindexes;     /* how many */
    int32_t                           default_ttl;  /* default_time_to_live, seconds, 0 none */
    struct cql_str                    comment;      /* table comment, possibly empty */
    uint8_t                           id[16];       /* table id (uuid) */
    bool                              has_id;       /* id was present */
    bool                              is_view;      /* a materialized view */
    bool                              include_all;  /* view: include_all_columns */
    bool                              counter;      /* flags has "counter" */
    bool                              dense;        /* flags has "dense" (COMPACT STORAGE) */
    bool                              super;        /* flags has "super" */
    bool                              compound;     /* flags has "compound" */
    struct cql_str                    base_table;   /* view: its base table, else empty */
    struct cql_str                    where_clause; /* view: its WHERE clause, else empty */
};

/* A user-defined type. */
struct cass_meta_udt {
    struct cql_str         name;        /* type name, exact case */
    const struct cql_type *type;        /* CQL_TYPE_UDT, not frozen, with n fields: names in
                                         * type->field_names, resolved types in type->sub */
    const struct cql_str  *field_types; /* type->n field types as system_schema.types has them,
                                         * verbatim (REST v2 shows these) */
};

/* A secondary index (a row of system_schema.indexes). */
struct cass_meta_index {
    struct cql_str                 name;        /* index name, unique in the keyspace */
    struct cql_str                 table_name;  /* table it indexes */
    const struct cass_meta_table  *table;       /* that table */
    struct cql_str                 kind;        /* "COMPOSITES", "KEYS" or "CUSTOM" */
    const struct cass_meta_option *options;     /* options, sorted by key */
    uint32_t                       noptions;    /* how many */
    struct cql_str                 target;      /* options["target"], else empty */
    struct cql_str                 class_name;  /* options["class_name"] (CUSTOM), else empty */
};

struct cass_meta_keyspace {
    struct cql_str                 name;            /* keyspace name, exact case */
    bool                           durable_writes;  /* durable_writes */
    uint8_t                        strategy;        /* enum cass_meta_strategy */
    struct cql_str                 strategy_class;  /* replication["class"] as stored */
    int32_t                        replication_factor; /* SimpleStrategy: its factor, else 0 */
    const struct cass_meta_dc     *dcs;             /* NetworkTopologyStrategy: by name */
    uint32_t                       ndcs;            /* how many */
    const struct cass_meta_option *replication;     /* the whole map, sorted by key */
    uint32_t                       nreplication;    /* how many entries */
    const struct cass_meta_table  *tables;          /* tables, sorted by name */
    uint32_t                       ntables;         /* how many */
    const struct cass_meta_table  *views;           /* materialized views, sorted by name */
    uint32_t                       nviews;          /* how many */
    const struct cass_meta_udt    *udts;            /* user types, sorted by name */
    uint32_t                       nudts;           /* how many */
    const struct cass_meta_index  *indexes;         /* indexes of all its tables, by name */
    uint32_t                       nindexes;        /* how many */
};

/* A schema snapshot. Everything in it is read-only; only the reference count changes. */
struct cass_meta {
    atomic_uint                      refs;          /* references; freed when it drops to 0 */
    struct arena                     arena;         /* holds everything below */
    const struct cass_meta_keyspace *keyspaces;     /* sorted by name */
    uint32_t                         nkeyspaces;    /* how many */
    uint32_t                         skipped;       /* rows or tables left out (see above) */
};

/* ---- snapshots ------------------------------------------------------------------------------- */

/* Takes one more reference to M (any thread); returns M. */
struct cass_meta *cass_meta_ref(struct cass_meta *m);

/* Drops a reference (any thread); the last one frees the snapshot. M may be NULL. */
void cass_meta_unref(struct cass_meta *m);

/*
 * Lookups by exact name (LEN bytes, no NUL needed), O(log n). They return NULL when the name is
 * absent; results live as long as the snapshot. cass_meta_table finds tables only, and
 * cass_meta_view views only (Cassandra keeps both in one namespace per keyspace).
 */
const struct cass_meta_keyspace *cass_meta_keyspace(const struct cass_meta *m, const char *name,
                                                    size_t len);
const struct cass_meta_table *cass_meta_table(const struct cass_meta_keyspace *ks,
                                              const char *name, size_t len);
const struct cass_meta_table *cass_meta_view(const struct cass_meta_keyspace *ks,
                                             const char *name, size_t len);
const struct cass_meta_column *cass_meta_column(const struct cass_meta_table *t, const char *name,
                                                size_t len);
const struct cass_meta_udt *cass_meta_udt(const struct cass_meta_keyspace *ks, const char *name,
                                          size_t len);
const struct cass_meta_index *cass_meta_index(const struct cass_meta_keyspace *ks,
                                              const char *name, size_t len);

/* The value under KEY in a sorted option list, or NULL. */
const struct cql_str *cass_meta_option_get(const struct cass_meta_option *opts, uint32_t n,
                                           const char *key);

/*
 * Writes the REST v2 typeDefinition of T to W (rest-v2 3.2, as Stargate v2 prints it): lower-case
 * native names with varchar as "text"; "list<x>", "set<x>", "map<k, v>", "tuple<a, b>" with ", "
 * between parameters; "frozen<...>" around a frozen list, set, map or user type (tuples and
 * vectors are frozen by nature and shown without it); a user type as "udt<Name>" with its name
 * unquoted (rest-v2 9 Q12 keeps this quirk); "vector<float, N>"; a custom class single-quoted.
 * Returns 0 or the writer's error.
 */
int cass_meta_type_text(const struct cql_type *t, struct cql_wr *w);

/* "partition_key", "clustering", "static", "regular". */
const char *cass_meta_kind_name(int kind);

/* ---- building -------------------------------------------------------------------------------- */

struct cass_meta_builder;

/* A builder collecting rows (heap; aborts when memory is gone). */
struct cass_meta_builder *cass_meta_builder_create(void);
void cass_meta_builder_destroy(struct cass_meta_builder *b);

/*
 * Adds one row from SRC: NCOLS column specs and their cells (len CQL_NULL for null; a null cell
 * counts as absent). Everything needed is copied, so the cells may go away afterwards. Returns 0,
 * or a negative code with a message in cass_meta_builder_error: E_PROTOCOL for a malformed row,
 * CQL_EPROTO for a cell that does not decode as its type, E_INVALID for an unknown SRC. Errors
 * are sticky: later calls, and finish, return the first one.
 */
int cass_meta_builder_row(struct cass_meta_builder *b, int src, const struct cql_col_spec *cols,
                          int32_t ncols, const struct cql_bytes *cells) MUSTCHECK;

/* Adds ROWS_COUNT rows of NCOLS cells each from a ROWS result body (ROWS, ROWS_LEN bytes). */
int cass_meta_builder_rows(struct cass_meta_builder *b, int src, const struct cql_col_spec *cols,
                           int32_t ncols, const uint8_t *rows, size_t rows_len,
                           int32_t rows_count) MUSTCHECK;

/*
 * Builds a snapshot from every row added: 0 with *OUT holding one reference for the caller, or a
 * negative code with *OUT NULL and the message in cass_meta_builder_error (E_PROTOCOL for
 * inconsistent rows, CQL_ETYPE for type text that does not parse or an undefined, cyclic or too
 * deeply nested user type). The builder can only be destroyed afterwards.
 */
int cass_meta_builder_finish(struct cass_meta_builder *b, struct cass_meta **out) MUSTCHECK;

/*
 * Builds a new snapshot from OLD with keyspace KS (KS_LEN bytes) replaced by the rows added to
 * B, which should be that keyspace's rows only (rows of other keyspaces are ignored). Without a
 * keyspaces row for KS the keyspace is gone from the result (it was dropped). Other keyspaces
 * are copied from OLD unchanged; OLD itself is not touched and keeps its references. Returns as
 * cass_meta_builder_finish.
 */
int cass_meta_builder_rebuild(struct cass_meta_builder *b, const struct cass_meta *old,
                              const char *ks, size_t ks_len, struct cass_meta **out) MUSTCHECK;

/* The message of the first error, or "" when none; valid until the builder is destroyed. */
const char *cass_meta_builder_error(const struct cass_meta_builder *b);

#endif /* CASS_META_H */
