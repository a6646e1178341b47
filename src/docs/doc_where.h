/*
 * doc_where.h: the `where` filters of Document API searches (spec/documents-v2.md, section 3),
 * parsed, planned and evaluated. Pure: no I/O, no logging; memory comes from the caller's arena.
 *
 *     `where` text --doc_where_parse--> an AND/OR tree of leaf conditions ($not pushed down to
 *          the leaves by inverting their operators, as Stargate's NegateFilters does)
 *     tree --doc_where_driver--> the one top-level condition whose rows an index can find
 *          (docs_search turns it into one CQL query on the collection's SAI indexes)
 *     a document's rows --doc_where_feed, one by one--> doc_where_result: does it match?
 *
 * A leaf condition holds on a document when any of the document's rows on the (possibly
 * globbed) path satisfies it; when no row lies on the path it holds only for the operators
 * Stargate evaluates on missing fields: $ne, $nin and $exists:false. Values compare by type: a
 * string operand against text_value, a number against dbl_value, a boolean against bool_value;
 * values of another type never match.
 */
#ifndef DOCS_DOC_WHERE_H
#define DOCS_DOC_WHERE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/util.h"
#include "docs/doc_shred.h"

/* The operators of a leaf condition (Stargate's FilterOperationCode). */
#define DOC_WHERE_OP_MAP(XX)                                                                       \
    XX(DOC_WHERE_EQ, "$eq", "EQ")                                                                  \
    XX(DOC_WHERE_NE, "$ne", "NE")                                                                  \
    XX(DOC_WHERE_GT, "$gt", "GT")                                                                  \
    XX(DOC_WHERE_GTE, "$gte", "GTE")                                                               \
    XX(DOC_WHERE_LT, "$lt", "LT")                                                                  \
    XX(DOC_WHERE_LTE, "$lte", "LTE")                                                               \
    XX(DOC_WHERE_IN, "$in", "IN")                                                                  \
    XX(DOC_WHERE_NIN, "$nin", "NIN")                                                               \
    XX(DOC_WHERE_EXISTS, "$exists", "EXISTS")

enum doc_where_op {
#define XX(name, raw, code) name,
    DOC_WHERE_OP_MAP(XX)
#undef XX
};

/* The op code Stargate prints in profiles and messages ("EQ", "IN", ...). */
const char *doc_where_op_code(int op);

/* One operand: a scalar of the `where` JSON. */
struct doc_where_val {
    uint8_t     type;               /* enum doc_shred_type (NULL only inside $in/$nin lists) */
    bool        b;                  /* BOOL */
    double      d;                  /* NUMBER */
    const char *s;                  /* STRING (arena, not NUL-terminated) */
    size_t      len;                /* STRING: bytes at s */
    const char *text;               /* the operand as sent, compact JSON (for profiles) */
    size_t      text_len;           /* its length */
};

/* A filter path: parent segments (globs and alternatives allowed), then one literal field. */
struct doc_where_path {
    struct doc_shred_field parent;  /* segments before the field, as `fields` parses them */
    struct cql_str         field;   /* the last segment, escapes resolved, "[n]" padded */
    const char            *text;    /* the path as written in `where` */
    size_t                 text_len;/* its length */
    bool                   glob;    /* a parent segment is "*", "[*]" or holds alternatives */
};

enum doc_where_kind {
    DOC_WHERE_LEAF = 0,             /* one operator on one path */
    DOC_WHERE_AND,                  /* every child holds */
    DOC_WHERE_OR,                   /* some child holds */
};

/* A node of the filter tree. */
struct doc_where_expr {
    uint8_t                       kind;  /* enum doc_where_kind */
    struct doc_where_expr       **kids;  /* AND, OR: the children (arena) */
    size_t                        n;     /* AND, OR: how many */
    const struct doc_where_path  *path;  /* LEAF: where */
    uint8_t                       op;    /* LEAF: enum doc_where_op, after $not inversions */
    struct doc_where_val          v;     /* LEAF: the operand (EXISTS: a BOOL) */
    const struct doc_where_val   *list;  /* LEAF, IN and NIN: the operands */
    size_t                        nlist; /* LEAF, IN and NIN: how many */
    uint32_t                      index; /* LEAF: its position among the leaves (state slot) */
};

/* A parsed `where`. */
struct doc_where {
    struct doc_where_expr        *root;   /* the tree, or NULL when `where` holds no condition */
    const struct doc_where_expr **leaves; /* every leaf, by index (arena) */
    size_t                        nleaves;/* how many */
    size_t                        npaths; /* distinct filter paths (texts) among the leaves */
};

/*
 * Parses `where` S (LEN bytes) into OUT. PREFIX (NPREFIX segments, already in storage form) is
 * put before every filter path (search inside a document at a sub-path; 0 for none). Checks as
 * Stargate's ExpressionParser does; failures are 400s with its descriptions in ERR: text that is
 * not JSON, a top level that is not an object, a field whose conditions are not an object, an
 * unknown operator, an operand an operator does not take, an empty $in/$nin, a list with an
 * object or array, $and/$or without an array, $not without an object or with other than one
 * child, two operand types for one field in one block, and $selectivity misuse.
 * Returns 0 or E_INVALID.
 */
int doc_where_parse(const char *s, size_t len, const struct cql_str *prefix, size_t nprefix,
                    struct arena *a, struct doc_where *out, struct doc_shred_err *err) MUSTCHECK;

/* ---- evaluation ------------------------------------------------------------------------------ */

/* What the rows of one document (or sub-document) fed so far say about each leaf. */
struct doc_where_state {
    uint8_t *on_path;               /* per leaf: a row lay on its path */
    uint8_t *hit;                   /* per leaf: such a row satisfied it */
};

/* Starts W's state for a new document in arena A. */
void doc_where_state_init(const struct doc_where *w, struct doc_where_state *st, struct arena *a);

/* Forgets what was fed, for the next document. */
void doc_where_state_reset(const struct doc_where *w, struct doc_where_state *st);

/* Whether the first G->n p columns of row IN are set and match G's segments (globs allowed). */
bool doc_where_under(const struct doc_shred_field *g, const struct doc_shred_in *in);

/* Whether row IN lies on PATH: its p columns match the segments, then the field, then ''. */
bool doc_where_on_path(const struct doc_where_path *path, const struct doc_shred_in *in);

/* Whether the value of row IN satisfies leaf L (IN lies on L's path). */
bool doc_where_test(const struct doc_where_expr *l, const struct doc_shred_in *in);

/* Takes one row of the document into ST. */
void doc_where_feed(const struct doc_where *w, struct doc_where_state *st,
                    const struct doc_shred_in *in);

/* Whether the document fed into ST matches W (true when W holds no condition). */
bool doc_where_result(const struct doc_where *w, const struct doc_where_state *st);

/* ---- planning -------------------------------------------------------------------------------- */

/* How a driver condition becomes CQL. */
enum doc_where_push {
    DOC_WHERE_PUSH_VALUE = 0,       /* path predicates and a value predicate */
    DOC_WHERE_PUSH_PATH,            /* path predicates only; the value is tested in memory */
};

/* The conditions that drive a collection search through the indexes. */
struct doc_where_driver {
    const struct doc_where_expr **leaf; /* one index query each (arena), their union a superset */
    uint8_t                      *push; /* per leaf: enum doc_where_push */
    const struct doc_where_expr ***also;/* per leaf: its companions (arena), or NULL */
    size_t                       *nalso;/* per leaf: how many */
    size_t                        n;    /* how many; 0: the search scans the table */
};

/*
 * Picks the drivers of W: conditions that every matching document has a row for (not $ne,
 * $nin or $exists:false, which hold on documents without the path), so that the documents
 * their index queries find include every match. In an AND the best child is taken: a leaf
 * whose value the indexes compare ($eq on any scalar; $gt $gte $lt $lte on strings and
 * numbers; $exists:true, which needs none) beats one tested in memory ($in, boolean ranges);
 * $eq beats ranges; a path without globs beats one with; a single query beats several; then
 * the first written. An OR is driven by the union of its children's drivers, and by none when
 * one child has none. N is 0 when nothing qualifies (only missing-field operators).
 * A driver whose value the indexes compare takes companions: the other leaves of its AND on the
 * same path (without globs, so one row holds the value) whose values the indexes compare too,
 * such as the $lt of {"$gte":..,"$lt":..}; their predicates join the driver's query.
 */
void doc_where_driver(const struct doc_where *w, struct arena *a, struct doc_where_driver *d);

/* Appends "<path> <OPCODE> <value>" as Stargate describes a condition in profiles. */
void doc_where_describe(const struct doc_where_expr *l, struct cql_wr *w);

#endif /* DOCS_DOC_WHERE_H */
