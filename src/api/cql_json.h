/*
 * cql_json.h: REST v2 values between JSON and CQL (spec/rest-v2.md, sections 3.6, 4.3, 5 and 9).
 *
 * The pure half of the row endpoints: no I/O, no logging, no allocation except through the
 * caller's struct cql_alloc (the request arena) and struct cql_wr (the output). Four parts:
 *
 *   JSON text -> tree     cql_json_parse, a small RFC 8259 parser for request bodies and `where`
 *                         values. It keeps every number's text exactly as sent, because bigint,
 *                         varint and decimal must not pass through a double (cJSON 1.7.15 keeps
 *                         only the double), keeps strings with their length (a \u0000 does not
 *                         cut them short), requires UTF-8, caps nesting at CQL_JSON_MAX_DEPTH and
 *                         can refuse repeated member names (4.1).
 *   tree -> [value]       cql_json_to_value: the two input modes of 5.1 and the per-type rules of
 *                         5.2, with the decided quirks Q6, Q7, Q10, Q15 and Q16.
 *   cells -> JSON         cql_json_row and cql_json_rows_response: result rows as 3.6 and 5.3
 *                         show them (v2.0 empties for null collections, Q13; compactMapData).
 *   Base64                page states (Q2): standard on output, standard or URL-safe on input.
 *
 *     body --cql_json_parse--> struct cql_json_node tree --cql_json_to_value--> [value] bytes
 *     RESULT rows --cql_json_rows_response--> {"count":N,"pageState":"..","data":[{..},..]}
 *
 * Errors are negative CQL_E* codes: CQL_EPROTO (text that is not JSON), CQL_ETYPE (a JSON value
 * the column type cannot take), CQL_ERANGE (a number or date outside the type), CQL_ENOMEM (the
 * allocator refused), CQL_ENOSPC (the writer could not grow). The first three are the client's
 * fault (400); the last two are ours.
 */
#ifndef API_CQL_JSON_H
#define API_CQL_JSON_H

#include "cql_resp.h"
#include "cql_type.h"
#include "cql_value.h"
#include "cql_wire.h"

/* Nesting deeper than this (arrays and objects) is refused by the parser and the converter. */
#define CQL_JSON_MAX_DEPTH      64

/* The parser's nesting bound with CQL_JSON_DEEP (Jackson's default limit, for documents). */
#define CQL_JSON_DEEP_MAX_DEPTH 1000

/*
 * Option bits. They share one space with CQL_JSON_MAP_ENTRIES and CQL_JSON_EMPTY_FOR_NULL of
 * cql_value.h, so one `flags` word can carry a request's choices through every call here:
 *   CQL_JSON_MAP_ENTRIES      compactMapData=false: maps are [{"key":k,"value":v},...] on input
 *                             (cql_json_to_value) and on output (rows)
 *   CQL_JSON_STRICT           cql_json_to_value: a top-level JSON string is strict too, as the
 *                             elements of `$in` are (4.3)
 *   CQL_JSON_RAW              cql_json_rows_response: the bare data array (raw=true)
 *   CQL_JSON_NO_DUPLICATES    cql_json_parse: a member name repeated in one object is an error
 *   CQL_JSON_DEEP             cql_json_parse: nesting up to CQL_JSON_DEEP_MAX_DEPTH, so that a
 *                             document's own depth limit can answer first (documents-v2 2.2)
 */
#define CQL_JSON_STRICT         0x0100
#define CQL_JSON_RAW            0x0200
#define CQL_JSON_NO_DUPLICATES  0x0400
#define CQL_JSON_DEEP           0x0800

/* ---- JSON tree ------------------------------------------------------------------------------ */

enum cql_json_kind {
    CQL_JSON_NULL = 0,
    CQL_JSON_FALSE,
    CQL_JSON_TRUE,
    CQL_JSON_NUMBER,
    CQL_JSON_STRING,
    CQL_JSON_ARRAY,
    CQL_JSON_OBJECT,
};

/*
 * One JSON value. Elements of an array and members of an object are a singly linked list from
 * `child` through `next`, in document order; members carry their name. Text (`s`, `name`) points
 * into the parsed source when it needed no unescaping and into the allocator otherwise, so a tree
 * lives as long as both; it is not NUL-terminated and may hold NUL bytes.
 */
struct cql_json_node {
    uint8_t                kind;       /* CQL_JSON_* */
    bool                   integral;   /* NUMBER: no fraction and no exponent in its text */
    const char            *s;          /* STRING: the unescaped UTF-8; NUMBER: its text as sent */
    size_t                 len;        /* bytes at s */
    const char            *name;       /* member name (unescaped) when in an object, else NULL */
    size_t                 name_len;   /* bytes at name */
    size_t                 n;          /* ARRAY, OBJECT: elements or members */
    size_t                 offset;     /* byte offset of the value in the source text */
    struct cql_json_node  *child;      /* ARRAY, OBJECT: first element or member, else NULL */
    struct cql_json_node  *next;       /* next element or member of the parent, else NULL */
};

/* Longest message cql_json_err holds, NUL included. */
#define CQL_JSON_DETAIL_MAX     320

/*
 * What went wrong, for the client. `desc` is static and classifies the failure; `detail` is the
 * message to show: for parse errors "<desc> at line L, column C", for conversions the texts of
 * rest-v2.md 5.2 where it gives them ("Tuple expected 2 values, got 3") and otherwise a sentence
 * naming the offending value and the CQL type. Offending values are quoted shortened and with
 * invalid UTF-8 replaced by '?', so `detail` is always valid UTF-8 and safe to put in a body.
 */
struct cql_json_err {
    const char *desc;                           /* static description */
    size_t      offset;                         /* parse errors: byte offset, else 0 */
    char        detail[CQL_JSON_DETAIL_MAX];    /* full message, NUL-terminated */
};

/*
 * Parses S (LEN bytes) as one JSON value (any kind at the top, blanks around it, an optional
 * UTF-8 byte order mark first) and stores the tree, allocated from A, in *OUT. FLAGS may hold
 * CQL_JSON_NO_DUPLICATES. Strings must be valid UTF-8 without raw control characters; \u escapes
 * must pair surrogates. Numbers follow RFC 8259 exactly (no leading zeros, '+', NaN or hex).
 * Nesting past CQL_JSON_MAX_DEPTH (CQL_JSON_DEEP_MAX_DEPTH with CQL_JSON_DEEP) fails there, so
 * recursion never goes deeper than that. Returns
 * 0, CQL_EPROTO (with ERR filled when not NULL) or CQL_ENOMEM (ERR says so).
 */
int cql_json_parse(const char *s, size_t len, unsigned flags, const struct cql_alloc *a,
                   struct cql_json_node **out, struct cql_json_err *err) CQL_MUSTCHECK;

/* The member NAME (LEN bytes) of object OBJ, the last one when repeated (as Jackson keeps), or
 * NULL when absent or OBJ is not an object. Exact, case-sensitive match. */
const struct cql_json_node *cql_json_get(const struct cql_json_node *obj, const char *name,
                                         size_t len);

/* "Null", "Boolean", "Number", "String", "Array" or "Object": Jackson's names for the kinds. */
const char *cql_json_kind_name(int kind);

/*
 * Appends V as compact JSON (no blanks): numbers exactly as sent (so "1.10" stays 1.10), strings
 * escaped as cql_json_string does, members in document order. Returns 0, CQL_EPROTO (a string
 * that is not UTF-8 or nesting past CQL_JSON_MAX_DEPTH, possible only in a tree built by hand)
 * or CQL_ENOSPC.
 */
int cql_json_write(struct cql_wr *out, const struct cql_json_node *v) CQL_MUSTCHECK;

/* ---- JSON -> CQL ----------------------------------------------------------------------------- */

/*
 * Appends to OUT the [value] of column type T for JSON value V: a 4-byte length and the value
 * bytes, or the length -1 for JSON null. The modes of rest-v2.md 5.1:
 *   - top level (FLAGS without CQL_JSON_STRICT): a JSON string is read with the stringified rules
 *     (cql_value_from_text, which first strips one pair of enclosing single quotes and undoes
 *     '' inside: "'hi'" on text stores hi, Q7); any other JSON value is strict;
 *   - strict (elements of arrays and objects always; the top level too with CQL_JSON_STRICT):
 *       ascii, text       any scalar as its text: a string as is (no quote stripping), a number
 *                         as sent ("1.50"), true/false as "true"/"false"
 *       boolean           true or false
 *       tinyint .. bigint, counter, varint
 *                         a number without fraction or exponent, range-checked (Q15: an error,
 *                         never a wrapped value); exact for any size (9223372036854775807)
 *       decimal           a number, exactly as written (12345678901234567890.123456789)
 *       float, double     a number (1e400 on double is Infinity, as in Java)
 *       timestamp         a string (stringified: ISO-8601 with a required offset) or an integral
 *                         number of epoch milliseconds
 *       uuid, timeuuid, date, time, duration, inet (IP literals only, Q16), blob (standard
 *       Base64 or 0x-hex), custom (as blob)
 *                         a string, read with the stringified rules
 *       list, set         an array; null elements are refused
 *       map               compact (default): an object whose member names are keys converted
 *                         with the stringified rules (Q6: {"123":true} works on map<int,boolean>;
 *                         text and ascii keys are taken verbatim, as reads render them); values
 *                         strict. With CQL_JSON_MAP_ENTRIES: [{"key":k,"value":v},...], k and v
 *                         strict ("Map entry must have exactly 2 elements", "Map entry missing
 *                         key", "Map entry missing value")
 *       tuple             an array of exactly the arity ("Tuple expected N values, got M");
 *                         null elements are null fields
 *       UDT               an object by exact field name ("UDT '<n>' does not have field '<f>'");
 *                         fields left out are written as null
 *       vector<T, N>      an array of N elements ("Expected vector of size N, got M")
 * On failure OUT is reset to its length on entry and ERR (when not NULL) says why. Returns 0,
 * CQL_ETYPE, CQL_ERANGE or CQL_ENOSPC.
 */
int cql_json_to_value(const struct cql_type *t, const struct cql_json_node *v, unsigned flags,
                      struct cql_wr *out, struct cql_json_err *err) CQL_MUSTCHECK;

/*
 * Writes Stargate's row-value message for a conversion failure of column COLUMN of TABLE into BUF
 * (CAP bytes, always NUL-terminated when CAP > 0):
 *     Failed to deserialize field '<table>.<column>', problem: <err->detail>
 * The REST layer prefixes it with "Invalid path for row to create, problem: " and the like
 * (3.6). Returns the length the full message needs, as snprintf does.
 */
size_t cql_json_field_error(char *buf, size_t cap, struct cql_str table, struct cql_str column,
                            const struct cql_json_err *err);

/* Which type the value of a `$contains`-family condition takes (4.2). */
enum cql_json_contains {
    CQL_JSON_CONTAINS = 0,          /* $contains: list/set element, map value */
    CQL_JSON_CONTAINS_KEY,          /* $containsKey: map key */
    CQL_JSON_CONTAINS_ENTRY_KEY,    /* $containsEntry "key": map key */
    CQL_JSON_CONTAINS_ENTRY_VALUE,  /* $containsEntry "value": map value */
};

/*
 * The type a value for operation WHAT on a column of type T converts with, or NULL when T does
 * not allow WHAT ($contains needs a list, set or map; the others a map). Frozen collections
 * count. Convert the value with cql_json_to_value(result, v, flags, ...) like any scalar.
 */
const struct cql_type *cql_json_contains_type(const struct cql_type *t, int what);

/* ---- CQL -> JSON ----------------------------------------------------------------------------- */

/*
 * Appends one result row as a JSON object: {"<name>":<value>,...} in column order (NCOLS columns
 * COLS, cells CELLS with len CQL_NULL or CQL_UNSET for null). Values render as
 * cql_value_to_json_opts does, always with the v2.0 empties (Q13: a null list, set or vector is
 * [], a null map {} or [], a null UDT {}; a null tuple or scalar is null); FLAGS may add
 * CQL_JSON_MAP_ENTRIES. Returns 0, CQL_EPROTO (a cell that is not a valid encoding of its type,
 * a column without a type) or CQL_ENOSPC, with *ERR_DESC (when not NULL) set.
 */
int cql_json_row(struct cql_wr *out, const struct cql_col_spec *cols, int32_t ncols,
                 const struct cql_bytes *cells, unsigned flags, const char **err_desc)
    CQL_MUSTCHECK;

/*
 * Appends a page of rows as Stargate's RowsResponse (3.6):
 *     {"count":N,"pageState":"<standard Base64>","data":[{...},...]}
 * pageState only when RES has more pages; with CQL_JSON_RAW only the data array. Rows come from
 * RES (a decoded ROWS result); COLS gives their columns (RES's own when NULL, which it must have
 * unless the query ran with skip-metadata). Rows render as cql_json_row does. Returns as
 * cql_json_row does.
 */
int cql_json_rows_response(struct cql_wr *out, const struct cql_col_spec *cols,
                           const struct cql_result *res, unsigned flags, const char **err_desc)
    CQL_MUSTCHECK;

/* ---- Base64 ---------------------------------------------------------------------------------- */

/* Appends P (LEN bytes) in standard Base64 (RFC 4648 section 4) with padding. */

/*
 * Decodes S (LEN bytes) in the standard or the URL-safe alphabet (RFC 4648 sections 4 and 5, not
 * mixed), padding optional but correct when present, and appends the bytes to OUT. Anything else
 * is refused: other characters (blanks too), a length that cannot be Base64, '=' before the end,
 * non-zero bits left over in the last character. Returns 0, CQL_ETYPE (OUT unchanged) or
 * CQL_ENOSPC.
 */
int cql_json_base64_decode(const char *s, size_t len, struct cql_wr *out) CQL_MUSTCHECK;

#endif /* API_CQL_JSON_H */
