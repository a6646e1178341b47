/*
 * cql_resp.h: response decoders (native_protocol_v4.spec and v5.spec, section 4.2 and section 9),
 * for bodies already out of their envelope and decompressed.
 *
 * Decoders read from a struct cql_rd and return 0, or a negative CQL_E* code with r->err and
 * r->err_desc set. Malformed input never reads past the end: the reader's sticky error turns
 * every short read into CQL_EPROTO. Strings, byte runs and raw lists in the results point into
 * the body being decoded and live as long as it does; only what RESULT metadata needs to build
 * (column arrays, type trees, partition-key indexes) comes from the caller's struct cql_alloc.
 * As the spec asks, bytes after the part a decoder understands are left unread, not refused.
 *
 * Raw runs (warnings, argument types, the v5 failure reason map, rows) are kept as a pointer, a
 * length and a count; walk them with a cql_rd over (p, len) and the cql_rd_* primitives.
 */
#ifndef CQL_RESP_H
#define CQL_RESP_H

#include "cql_frame.h"
#include "cql_type.h"

/* ---- envelope prefixes ----------------------------------------------------------------------- */

/* What an envelope's flags put in front of the message body (section 2.2). */
struct cql_resp_extra {
    const uint8_t *tracing_id;      /* 16-byte tracing session uuid (flag 0x02), else NULL */
    uint16_t       nwarnings;       /* warnings (flag 0x08) */
    const uint8_t *warnings;        /* nwarnings [string]s */
    size_t         warnings_len;    /* their length in bytes */
    uint16_t       npayload;        /* custom payload entries (flag 0x04) */
    const uint8_t *payload;         /* npayload pairs of [string] key and [bytes] value */
    size_t         payload_len;     /* their length in bytes */
};

/*
 * Positions R at the message proper of a response body (BODY, LEN bytes, decompressed) whose
 * envelope had FLAGS: past the tracing id, then the warnings, then the custom payload, the order
 * Cassandra writes them in. Fills X. Returns 0 or CQL_EPROTO (R failed).
 */
int cql_resp_open(uint8_t flags, const uint8_t *body, size_t len, struct cql_rd *r,
                  struct cql_resp_extra *x);

/* The same for envelope F whose (decompressed) body is BODY: uses f->flags. */
int cql_resp_open_frame(const struct cql_frame *f, const uint8_t *body, size_t len,
                        struct cql_rd *r, struct cql_resp_extra *x);

/* ---- ERROR ----------------------------------------------------------------------------------- */

/* An ERROR message; which extras are set depends on the code (section 9). */
struct cql_error {
    int32_t          code;          /* CQL_ERRCODE_* */
    struct cql_str   message;       /* server's message */
    uint16_t         consistency;   /* UNAVAILABLE, timeouts, failures, CAS_WRITE_UNKNOWN */
    int32_t          received;      /* timeouts, failures, CAS_WRITE_UNKNOWN: replicas answered */
    int32_t          blockfor;      /* replicas needed (UNAVAILABLE's <required> lands here) */
    int32_t          alive;         /* UNAVAILABLE: replicas alive */
    bool             data_present;  /* READ_TIMEOUT, READ_FAILURE */
    struct cql_str   write_type;    /* WRITE_TIMEOUT, WRITE_FAILURE: "SIMPLE", "CAS", ... */
    bool             has_contentions; /* v5 WRITE_TIMEOUT with write_type "CAS" */
    uint16_t         contentions;   /* its count of CAS contentions */
    int32_t          numfailures;   /* READ/WRITE_FAILURE: v4 count, v5 reason map entries */
    const uint8_t   *reasonmap;     /* v5: numfailures ([inetaddr] endpoint, [short] reason) */
    size_t           reasonmap_len; /* its length in bytes */
    struct cql_str   keyspace;      /* ALREADY_EXISTS; FUNCTION_FAILURE: the function's keyspace */
    struct cql_str   table;         /* ALREADY_EXISTS: the table, empty for a keyspace */
    struct cql_str   function;      /* FUNCTION_FAILURE: the function name */
    const uint8_t   *arg_types;     /* FUNCTION_FAILURE: nargs [string] CQL argument types */
    size_t           arg_types_len; /* their length in bytes */
    uint16_t         nargs;         /* how many */
    struct cql_bytes unprepared_id; /* UNPREPARED: the [short bytes] id the server lacks */
};

/*
 * Decodes an ERROR body with every code's extras for VERSION (section 9): v4 READ/WRITE_FAILURE
 * carry <numfailures>, v5 a reason map; v5 WRITE_TIMEOUT adds <contentions> when the write type
 * is "CAS". Codes without extras, and unknown codes, yield code and message only.
 */
int cql_resp_error(struct cql_rd *r, int version, struct cql_error *e);

/* ---- handshake ------------------------------------------------------------------------------- */

/* AUTHENTICATE: the authenticator's class name. */
int cql_resp_authenticate(struct cql_rd *r, struct cql_str *authenticator);

/* AUTH_CHALLENGE and AUTH_SUCCESS: a [bytes] token (len CQL_NULL for a null token). */
int cql_resp_auth_token(struct cql_rd *r, struct cql_bytes *token);

/*
 * SUPPORTED: true when the [string multimap] BODY lists VALUE under KEY (exact, case-sensitive
 * match), e.g. ("COMPRESSION", "lz4") or ("PROTOCOL_VERSIONS", "5/v5"). False when malformed.
 */
bool cql_resp_supported_has(const uint8_t *body, size_t len, const char *key,
                            const char *value);

/* Walks a [string multimap] (the SUPPORTED body) one key at a time. */
struct cql_resp_multimap {
    struct cql_rd  r;               /* over the entries not yet returned */
    uint16_t       left;            /* entries not yet returned */
};

void cql_resp_multimap_init(struct cql_resp_multimap *m, const uint8_t *body, size_t len);

/*
 * Returns 1 with the next KEY and, in VALUES, a reader over its *NVALUES [string]s (read them
 * with cql_rd_string); 0 after the last entry; CQL_EPROTO when the multimap is malformed.
 */
int cql_resp_multimap_next(struct cql_resp_multimap *m, struct cql_str *key,
                           struct cql_rd *values, uint16_t *nvalues);

/* ---- RESULT ---------------------------------------------------------------------------------- */

/* One column of result or bind metadata. */
struct cql_col_spec {
    struct cql_str          keyspace;   /* keyspace (the global one when the flag is set) */
    struct cql_str          table;      /* table */
    struct cql_str          name;       /* column name, alias or bind marker name */
    const struct cql_type  *type;       /* its type, built in the caller's allocator */
};

/* <metadata> of Rows results and of a Prepared result's result set (section 4.2.5.2). */
struct cql_rows_meta {
    int32_t              flags;           /* CQL_MF_* */
    int32_t              columns_count;   /* columns in every row */
    struct cql_bytes     paging_state;    /* with HAS_MORE_PAGES, else len CQL_NULL */
    struct cql_bytes     new_metadata_id; /* v5 with METADATA_CHANGED, else len CQL_NULL */
    struct cql_col_spec *cols;            /* columns_count specs; NULL with NO_METADATA or none */
};

/* <metadata> of a Prepared result's bind variables (section 4.2.5.4). */
struct cql_prepared_meta {
    int32_t              flags;           /* CQL_MF_GLOBAL_TABLES_SPEC or 0 */
    int32_t              columns_count;   /* bind markers */
    int32_t              pk_count;        /* partition-key bind indexes; 0 when not routable */
    uint16_t            *pk_index;        /* pk_count bind marker indexes, NULL when none */
    struct cql_col_spec *cols;            /* columns_count specs, NULL when none */
};

/* SCHEMA_CHANGE result or event (sections 4.2.5.5 and 4.2.6). */
struct cql_schema_change {
    struct cql_str  change_type;    /* "CREATED", "UPDATED" or "DROPPED" */
    struct cql_str  target;         /* "KEYSPACE", "TABLE", "TYPE", "FUNCTION" or "AGGREGATE" */
    struct cql_str  keyspace;       /* the keyspace changed or holding the object */
    struct cql_str  name;           /* table, type, function or aggregate; empty for KEYSPACE */
    const uint8_t  *arg_types;      /* FUNCTION, AGGREGATE: nargs [string] argument types */
    size_t          arg_types_len;  /* their length in bytes */
    uint16_t        nargs;          /* how many */
};

/* A RESULT message; which members are set depends on kind. */
struct cql_result {
    int32_t                  kind;           /* CQL_RESULT_* */
    struct cql_rows_meta     meta;           /* ROWS: metadata; PREPARED: result metadata */
    int32_t                  rows_count;     /* ROWS: rows in rows */
    const uint8_t           *rows;           /* ROWS: rows_count x columns_count [bytes] */
    size_t                   rows_len;       /* ROWS: their length in bytes */
    struct cql_str           keyspace;       /* SET_KEYSPACE */
    struct cql_bytes         prepared_id;    /* PREPARED */
    struct cql_bytes         result_metadata_id; /* PREPARED, v5 (len CQL_NULL on v4) */
    struct cql_prepared_meta bind;           /* PREPARED: bind variables */
    struct cql_schema_change schema;         /* SCHEMA_CHANGE */
};

/*
 * Decodes a RESULT body of any kind for VERSION. Column arrays, partition-key indexes and type
 * trees (through cql_type_read_option) come from A; names point into the body. Rows are checked
 * to be rows_count x columns_count well-formed [bytes] but not copied: walk them with
 * cql_rows_next over (rows, rows_len). Returns 0, CQL_EPROTO (malformed, or a v5-only flag on
 * v4), CQL_ETYPE or CQL_ENOMEM.
 */
int cql_resp_result(struct cql_rd *r, int version, const struct cql_alloc *a,
                    struct cql_result *res);

/* Reads one row of NCOLS [bytes] cells into CELLS (len CQL_NULL for null); 0 or rows->err. */
int cql_rows_next(struct cql_rd *rows, int32_t ncols, struct cql_bytes *cells);

/* ---- EVENT ----------------------------------------------------------------------------------- */

/* A server-pushed EVENT (section 4.2.6). */
struct cql_event {
    struct cql_str           type;      /* "TOPOLOGY_CHANGE", "STATUS_CHANGE", "SCHEMA_CHANGE" */
    struct cql_str           change;    /* NEW_NODE, REMOVED_NODE, MOVED_NODE, UP, DOWN, or the
                                         * schema change_type */
    struct cql_inet          node;      /* TOPOLOGY_CHANGE, STATUS_CHANGE: native address, port */
    struct cql_schema_change schema;    /* SCHEMA_CHANGE */
};

/*
 * Decodes an EVENT body. An event type this decoder does not know yields 0 with only `type` set,
 * so callers can skip it; an unknown schema change target is CQL_EPROTO.
 */
int cql_resp_event(struct cql_rd *r, int version, struct cql_event *ev);

#endif /* CQL_RESP_H */
