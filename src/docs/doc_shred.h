/*
 * doc_shred.h: Stargate's storage layout for Document API collections (spec/documents-v2.md,
 * section 2), in both directions. Pure: no I/O, no logging; memory comes from the caller's arena.
 *
 * One table per collection; one row per JSON leaf (a scalar, a null, an empty object or array):
 *
 *     key text | p0 .. p63 text (clustering, ASC) | leaf text | text_value | dbl_value | bool_value
 *
 *     body --cql_json_parse--> tree --doc_shred_json--> rows: a path and one value each
 *          --doc_shred_bind--> the [value]s of one INSERT per row
 *     SELECT ... WHERE key = ? --doc_shred_cells--> struct doc_shred_in per row
 *          --doc_shred_fields_match (optional)--> doc_shred_asm_row, in any order
 *          --doc_shred_asm_write--> the document as JSON
 *
 * Paths hold object keys with the escapes \. \, \* resolved, and array indices as "[000042]"
 * (six digits). The p columns past the path are '' (never null); leaf repeats the last segment.
 * Reassembly follows Stargate's JsonConverter: rows arrive in clustering order, so object members
 * come out sorted by key; where rows disagree about what a path holds (an object, an array or a
 * value), the newest WRITETIME(leaf) wins and older rows are dead (ignored).
 */
#ifndef DOCS_DOC_SHRED_H
#define DOCS_DOC_SHRED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/cql_json.h"
#include "cass/cass_meta.h"
#include "core/arena.h"
#include "core/util.h"
#include "cql_wire.h"

/* Path columns p0..p63: the deepest path a document may hold (stargate.document.max-depth). */
#define DOC_SHRED_DEPTH         64

/* Most elements of one array, and one more than the highest index (max-array-length). */
#define DOC_SHRED_MAX_ARRAY     1000000

/* text_value of an empty object, of an empty array, and the leaf of older collections' root row. */
#define DOC_SHRED_EMPTY_OBJECT  "EMPTYOBJ-bccbeee1-6173-4120-8492-7d7bafaefb1f"
#define DOC_SHRED_EMPTY_ARRAY   "EMPTYARRAY-9df4802a-c135-42d6-8be3-d23d9520a4e7"
#define DOC_SHRED_ROOT_MARKER   "DOCROOT-a9fb1f04-0394-4c74-b77b-49b4e0ef7900"

/* Columns of doc_shred_columns: key, p0..p63, leaf, text_value, dbl_value, bool_value. */
#define DOC_SHRED_NCOLS         (DOC_SHRED_DEPTH + 5)

/* Cells doc_shred_cells reads: those columns, then WRITETIME(leaf). */
#define DOC_SHRED_NCELLS        (DOC_SHRED_NCOLS + 1)

/* ---- the table ------------------------------------------------------------------------------- */

/* Appends the column list "key, p0, ..., p63, leaf, text_value, dbl_value, bool_value". */
void doc_shred_columns(struct cql_wr *w);

/*
 * Appends the column definitions of a new collection table (2.1), parentheses included:
 *     (key text, p0 text, ..., leaf text, text_value text, dbl_value double,
 *      bool_value boolean|tinyint, PRIMARY KEY ((key), p0, ..., p63))
 * NUMERIC_BOOLS picks tinyint, as Stargate does where the indexes are SAI.
 */
void doc_shred_table_columns(struct cql_wr *w, bool numeric_bools);

/*
 * Whether T is a collection as Stargate decides it (2.1): one partition key column named key,
 * DOC_SHRED_DEPTH clustering columns all named p0..p63, and no other columns than leaf,
 * text_value, dbl_value and bool_value. Types are not checked.
 */
bool doc_shred_is_collection(const struct cass_meta_table *t);

/* ---- shredding (2.2) ------------------------------------------------------------------------ */

/* One path segment; a path is a chain from its last segment back to the first. */
struct doc_shred_seg {
    const struct doc_shred_seg *parent; /* the segment before, or NULL for p0 */
    const char                 *p;      /* text: a key (escapes resolved) or "[000042]" */
    size_t                      len;    /* bytes at p */
    uint32_t                    depth;  /* segments from p0 to this one, this one included */
};

/* What one row's value columns hold. */
enum doc_shred_type {
    DOC_SHRED_NULL = 0,             /* all three null */
    DOC_SHRED_STRING,               /* text_value (the empty markers too) */
    DOC_SHRED_NUMBER,               /* dbl_value */
    DOC_SHRED_BOOL,                 /* bool_value */
};

/* One shredded row. */
struct doc_shred_row {
    const struct doc_shred_seg *leaf;   /* last segment of its path (never NULL) */
    uint8_t                     type;   /* enum doc_shred_type */
    bool                        b;      /* BOOL */
    double                      d;      /* NUMBER */
    const char                 *s;      /* STRING: the text (not NUL-terminated) */
    size_t                      len;    /* STRING: bytes at s */
};

/* The rows of one document, in document order (arena-backed). */
struct doc_shred_rows {
    struct doc_shred_row *v;        /* the rows */
    size_t                n;        /* how many */
    size_t                cap;      /* slots in v */
};

/* Why a document cannot be stored: always a 400 with Stargate's description. */
struct doc_shred_err {
    const char *desc;               /* description (static or in the arena) */
    size_t      len;                /* its length */
};

/*
 * Shreds the JSON value ROOT into OUT (reset first), under PREFIX (NULL for a whole document),
 * in document order: object members in order, a member repeated in one object counted once at
 * its first place with its last value (as Jackson reads it), array elements by index. Numbers
 * become the nearest double. With no PREFIX the root must be a non-empty object or array.
 * Checks in Stargate's order, the first failure wins: empty or primitive root; per member an
 * empty key, then a key that still holds . [ ' or \ once the pairs \. \, \* are removed; per
 * array more than DOC_SHRED_MAX_ARRAY elements; per row a path deeper than DOC_SHRED_DEPTH.
 * Returns 0, or E_INVALID with ERR set (every failure is the client's: 400).
 */
int doc_shred_json(const struct cql_json_node *root, const struct doc_shred_seg *prefix,
                   struct arena *a, struct doc_shred_rows *out, struct doc_shred_err *err)
    MUSTCHECK;

/*
 * Fills PATH with the segments of ROW from p0 on (the rest untouched) and returns how many.
 */
size_t doc_shred_path(const struct doc_shred_row *row, struct cql_str path[DOC_SHRED_DEPTH]);

/*
 * Appends the [value]s of one INSERT for ROW in the order of doc_shred_columns, then TTL when
 * TTL >= 0, then TS (the write time in microseconds): DOC_SHRED_NCOLS + 1 values, or + 2 with
 * a TTL. ID (ID_LEN bytes) is the key. Booleans are one byte, 0 or 1, which boolean and tinyint
 * columns both read. Returns how many values were appended.
 */
uint16_t doc_shred_bind(struct cql_wr *w, const struct doc_shred_row *row, const char *id,
                        size_t id_len, int32_t ttl, int64_t ts);

/*
 * One percent-decoded segment SEG of a document path in a URL (1.3.1, 1.3.3) as Stargate stores
 * or looks it up: "[n]" becomes "[00000n]"; with UNESCAPE (reads) the pairs \. \, \* then lose
 * their backslash, while writes keep the segment verbatim. Returns 0 with *OUT (arena), or
 * E_INVALID with ERR set: an index that is not a number, or one past DOC_SHRED_MAX_ARRAY.
 */
int doc_shred_path_seg(struct arena *a, struct cql_str seg, bool unescape, struct cql_str *out,
                       struct doc_shred_err *err) MUSTCHECK;

/* ---- reassembly (2.3) ------------------------------------------------------------------------ */

/* One row as read back (doc_shred_cells); slices point into the result until the next page. */
struct doc_shred_in {
    struct cql_str p[DOC_SHRED_DEPTH];  /* p0..p63 ('' past the path) */
    struct cql_str leaf;                /* leaf */
    bool           has_text;            /* text_value is not null */
    struct cql_str text;                /* text_value */
    bool           has_dbl;             /* dbl_value is not null */
    double         dbl;                 /* dbl_value */
    bool           has_bool;            /* bool_value is not null */
    bool           boolean;             /* bool_value: true, or a tinyint other than 0 */
    int64_t        writetime;           /* WRITETIME(leaf), microseconds (0 when null) */
};

/*
 * Reads the DOC_SHRED_NCELLS cells of one row of `SELECT <doc_shred_columns>, WRITETIME(leaf)`
 * into IN. A null p or leaf reads as ''; dbl_value may be a double or a float; bool_value a
 * boolean or a tinyint (any non-zero byte is true).
 */
void doc_shred_cells(const struct cql_bytes *cells, struct doc_shred_in *in);

struct doc_shred_node;
struct doc_shred_wmap;

/* A document being reassembled from its rows (all memory in the arena). */
struct doc_shred_asm {
    struct arena          *a;       /* where everything lives */
    struct doc_shred_node *root;    /* the document so far: an object until rows say otherwise */
    struct doc_shred_wmap *times;   /* write time of each path written, as Stargate keeps them */
    struct cql_wr          key;     /* the current row's path key (scratch) */
    size_t                 rows;    /* rows taken, dead ones included */
    size_t                 dead;    /* rows ignored: shadowed by newer ones, or unreadable */
    bool                   objects; /* array indices as object keys "[n]" (in-document search) */
};

/* Starts an empty document (an empty object) in arena A. */
void doc_shred_asm_init(struct doc_shred_asm *d, struct arena *a);

/*
 * Adds one row. Stargate's JsonConverter rules, in order along p0..: a segment starting with '['
 * is an array index ("[3]" and "[000003]" alike); a path whose recorded write time is newer than
 * the row's makes the row dead; a container of the other kind than the row needs is replaced
 * (and the path's time recorded); arrays are padded with nulls. The leaf's value: text_value
 * (the markers as {} and []), else bool_value, else dbl_value (an integer when it has no
 * fraction, as Java's (long) cast keeps it), else null; it replaces an older value at its path
 * (an array element only when that element is still null). Rows with the DOCROOT leaf are
 * skipped, and so are rows Stargate could not read (an index that is not a number, or past
 * DOC_SHRED_MAX_ARRAY); those count as dead.
 */
void doc_shred_asm_row(struct doc_shred_asm *d, const struct doc_shred_in *in);

/*
 * Appends the document as compact JSON: members in the order their first row came, numbers as
 * Jackson prints a long or a double (NaN and the infinities as strings). Returns 0 or the
 * writer's error.
 */
int doc_shred_asm_write(const struct doc_shred_asm *d, struct cql_wr *out) MUSTCHECK;

/*
 * Appends, as doc_shred_asm_write does, the value found at PATH (N segments from p0 on, stored
 * form) of the document: an object member by its key, an array element by its "[n]" segment.
 * Returns 0, E_INVALID when nothing is there, or the writer's error.
 */
int doc_shred_asm_write_at(const struct doc_shred_asm *d, const struct cql_str *path, size_t n,
                           struct cql_wr *out) MUSTCHECK;

/* ---- fields (3.7) ---------------------------------------------------------------------------- */

/* How one segment of a field path matches a row's p column. */
enum doc_shred_fkind {
    DOC_SHRED_FIELD_ALTS = 0,       /* equals one of the alternatives */
    DOC_SHRED_FIELD_ANY,            /* "*": anything */
    DOC_SHRED_FIELD_ANY_INDEX,      /* "[*]": any "[...]" */
};

/* One segment of a field path. */
struct doc_shred_fseg {
    uint8_t               kind;     /* enum doc_shred_fkind */
    const struct cql_str *alt;      /* ALTS: the alternatives, escapes resolved (arena) */
    size_t                nalt;     /* how many (0 matches nothing) */
};

/* One field path: its segments as DocsApiUtils.getFieldPath leaves them. */
struct doc_shred_field {
    const struct doc_shred_fseg *seg;   /* segments (arena) */
    size_t                       n;     /* how many */
};

/* The `fields` of a read; n == 0 keeps every row. */
struct doc_shred_fields {
    struct doc_shred_field *v;      /* the paths (arena) */
    size_t                  n;      /* how many */
};

/*
 * Parses the `fields` query parameter S (LEN bytes): a JSON array of strings, each a path with
 * unescaped '.' between segments; "[n]" becomes "[00000n]", "[*]" and "*" stay globs, "a,b" are
 * alternatives. Returns 0, or E_INVALID with ERR set to Stargate's 400 description: not JSON,
 * not an array, an element that is not a string, an index that is not a number, or one past
 * the longest array.
 */
int doc_shred_fields_parse(const char *s, size_t len, struct arena *a,
                           struct doc_shred_fields *out, struct doc_shred_err *err) MUSTCHECK;

/*
 * Parses one field path S (LEN bytes) the way each element of `fields` is parsed: segments split
 * at unescaped '.', "[n]" padded, globs and alternatives kept. Returns 0, or E_INVALID with ERR
 * set (an index that is not a number, or one past the longest array).
 */
int doc_shred_field_parse(const char *s, size_t len, struct arena *a, struct doc_shred_field *out,
                          struct doc_shred_err *err) MUSTCHECK;

/* Whether IN lies on one of the paths of F (always with none): DocsApiUtils.isRowOnPath. */
bool doc_shred_fields_match(const struct doc_shred_fields *f, const struct doc_shred_in *in);

/* ---- numbers --------------------------------------------------------------------------------- */

/*
 * Java's Integer.parseInt of S (LEN bytes), as Stargate reads array indices and query
 * parameters: an optional sign and ASCII digits, in int range. Returns 0 with *OUT, or -1.
 */
int doc_shred_parse_int(const char *s, size_t len, int32_t *out) MUSTCHECK;

#endif /* DOCS_DOC_SHRED_H */
