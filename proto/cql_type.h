/*
 * cql_type.h: CQL type descriptors.
 *
 * A type is a small tree: natives are leaves; list, set, map, tuple, UDT and vector hold subtypes.
 * Trees are built in memory from a caller's struct cql_alloc (normally an arena) and are read-only
 * afterwards. Every string a tree holds (UDT names, field names, custom class names) is copied into
 * that allocator, so a tree outlives the frame or text it was read from. Value codecs for these
 * types live in cql_value.h.
 *
 * Three sources build trees:
 *   - the [option] of result and bind metadata (native_protocol_v5.spec, section 4.2.5.2);
 *   - the Java marshal class names inside Custom options ("org.apache.cassandra.db.marshal.
 *     VectorType(org.apache.cassandra.db.marshal.FloatType , 3)");
 *   - the CQL type text of system_schema ("map<text, frozen<list<int>>>").
 */
#ifndef CQL_TYPE_H
#define CQL_TYPE_H

#include "cql_wire.h"

/* Nesting deeper than this is refused (CQL_ETYPE), so hostile input cannot exhaust the stack. */
#define CQL_TYPE_MAX_DEPTH  32

struct cql_type {
    uint16_t                 id;            /* CQL_TYPE_*; vectors are CQL_TYPE_VECTOR */
    uint16_t                 n;             /* subtypes: list/set/vector 1, map 2, tuple/UDT n */
    int32_t                  dim;           /* vector dimension, else 0 */
    bool                     frozen;        /* frozen<...> in schema text; not on the wire */
    struct cql_str           custom;        /* class name of a custom type, else empty */
    struct cql_str           keyspace;      /* UDT keyspace; empty when parsed from schema text */
    struct cql_str           name;          /* UDT name */
    const struct cql_str    *field_names;   /* UDT field names, n of them */
    const struct cql_type  **sub;           /* subtypes, n of them */
};

/*
 * Reads an [option] type from R (section 4.2.5.2). Custom types whose class names a type cqlgate
 * knows (DurationType on v4, VectorType, and every native marshal class, also nested inside list,
 * set, map, tuple and user types) become that type; any other custom class stays CQL_TYPE_CUSTOM
 * with `custom` set, and its values pass through as bytes. Returns 0, or a negative CQL_E* with
 * the reader failed (CQL_EPROTO for truncated input or an unknown type id, CQL_ETYPE for nesting
 * past CQL_TYPE_MAX_DEPTH, CQL_ENOMEM when A returns NULL).
 */
int cql_type_read_option(struct cql_rd *r, const struct cql_alloc *a, struct cql_type **out)
    CQL_MUSTCHECK;

/*
 * Builds a type from a Java marshal class name as Cassandra writes it (TypeParser syntax), such as
 * "org.apache.cassandra.db.marshal.MapType(org.apache.cassandra.db.marshal.UTF8Type,...)".
 * Known classes map as in cql_type_read_option; FrozenType sets `frozen` on its argument and
 * ReversedType is dropped. A class cqlgate does not know, or text it cannot parse, yields
 * CQL_TYPE_CUSTOM holding the whole class name. Returns 0, CQL_ETYPE (too deep) or CQL_ENOMEM.
 */
int cql_type_from_class(const char *s, size_t len, const struct cql_alloc *a,
                        struct cql_type **out) CQL_MUSTCHECK;

/*
 * Parses CQL type text as system_schema.columns.type shows it: "text", "varchar",
 * "map<text, frozen<list<int>>>", "frozen<tuple<int, text>>", "vector<float, 3>", a quoted custom
 * class "'org.apache...Class'", and a user type name, bare ("address", folded to lower case) or
 * double-quoted ("\"MyType\"", kept as written), optionally keyspace-qualified ("ks.address").
 * A user type becomes CQL_TYPE_UDT with `name` set and n == 0: unresolved, for the metadata layer
 * to fill in. Keywords are case-insensitive; blanks are allowed around punctuation. Returns 0, or
 * CQL_ETYPE with *ERR_DESC set for malformed text, or CQL_ENOMEM.
 */
int cql_type_parse(const char *s, size_t len, const struct cql_alloc *a, struct cql_type **out,
                   const char **err_desc) CQL_MUSTCHECK;

/*
 * Writes T as CQL type text to W, in the form system_schema uses: lower-case keywords, ", "
 * between parameters, "frozen<...>" where T (or a subtype) is frozen, "text" for varchar, user
 * types by name (double-quoted when not a plain lower-case identifier), custom classes
 * single-quoted. cql_type_parse reads the result back to an equal tree. Returns the bytes written
 * (check w->err for a failed writer).
 */
size_t cql_type_format(const struct cql_type *t, struct cql_wr *w);

/*
 * The serialized size of a value of T when Cassandra 5.0 declares it fixed
 * (AbstractType.valueLengthIfFixed): boolean 1, int and float 4, bigint, double and timestamp 8,
 * uuid and timeuuid 16, and a vector of fixed-size elements dim times the element size. Every
 * other type is -1, including counter, date, time, smallint and tinyint, whose values have one
 * size but which Cassandra treats as variable. Vector values use this to choose between plain
 * concatenation and [unsigned vint]-prefixed elements, so it must match the server exactly.
 */
int cql_type_fixed_size(const struct cql_type *t);

/* True when the two trees describe the same type (ids, dims, names, subtypes, frozen flags). */
bool cql_type_equal(const struct cql_type *x, const struct cql_type *y);

/* Returns a native type (no subtypes) of ID built in A, or NULL when A is exhausted. */
struct cql_type *cql_type_new_native(const struct cql_alloc *a, int id);

#endif /* CQL_TYPE_H */
