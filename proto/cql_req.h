/*
 * cql_req.h: request encoders (native_protocol_v4.spec and v5.spec, section 4.1).
 *
 * Each encoder appends one whole envelope, header and body, to a struct cql_wr and returns its
 * sticky error, so a caller may ignore the return value and check w->err once. Invalid input
 * (an unsupported version, a v5-only option on v4, malformed pre-encoded values) writes nothing
 * and is reported the same way, through w->err. Bound values arrive already serialized, so the
 * layers above can write them straight into one buffer without a list of structs.
 *
 * What changes between v4 and v5 (v5 spec, section 10, checked against Cassandra 5.0):
 *   - query and batch flags are a [byte] in v4 and an [int] in v5;
 *   - the keyspace (0x80) and now_in_seconds (0x100) parameters exist only in v5;
 *   - PREPARE carries [int] flags and an optional keyspace in v5;
 *   - EXECUTE carries the result_metadata_id after the statement id in v5.
 */
#ifndef CQL_REQ_H
#define CQL_REQ_H

#include "cql_frame.h"

/*
 * COUNT consecutive [value]s, pre-encoded: each an [int] length and that many bytes (-1 null,
 * -2 unset), each preceded by its [string] bind-marker name when NAMED.
 */
struct cql_values {
    const uint8_t *p;               /* the encoded values */
    size_t         len;             /* their total length in bytes */
    uint16_t       count;           /* how many values */
    bool           named;           /* names precede values (sets CQL_QF_NAMES_FOR_VALUES) */
};

/* The <query_parameters> of QUERY and EXECUTE (section 4.1.4); BATCH uses a subset. */
struct cql_query_params {
    uint16_t         consistency;       /* CQL_CL_* */
    bool             skip_metadata;     /* ask for rows without column metadata */
    int32_t          page_size;         /* rows per page; sent when > 0 */
    struct cql_bytes paging_state;      /* sent when p != NULL and len >= 0 */
    bool             has_serial;        /* send serial_consistency */
    uint16_t         serial_consistency;/* CQL_CL_SERIAL or CQL_CL_LOCAL_SERIAL */
    bool             has_timestamp;     /* send timestamp */
    int64_t          timestamp;         /* default write timestamp, microseconds */
    struct cql_str   keyspace;          /* v5: sent when len > 0 */
    bool             has_now;           /* v5: send now_in_seconds */
    int32_t          now_in_seconds;    /* v5: the query's notion of "now" */
    struct cql_values values;           /* bound values; sent when count > 0 */
};

/* Sets QP to CONSISTENCY and nothing else (no paging state, no values, no options). */
void cql_query_params_init(struct cql_query_params *qp, uint16_t consistency);

/* STARTUP: a [string map] of NPAIRS pairs from KV (key, value, key, value, ...). */
int cql_req_startup(struct cql_wr *w, int version, int16_t stream, const char *const *kv,
                    size_t npairs);

/* OPTIONS: empty body. */
int cql_req_options(struct cql_wr *w, int version, int16_t stream);

/* AUTH_RESPONSE: the [bytes] TOKEN of LEN bytes (LEN < 0 sends a null token). */
int cql_req_auth_response(struct cql_wr *w, int version, int16_t stream, const void *token,
                          int32_t len);

/*
 * AUTH_RESPONSE carrying the SASL PLAIN token "\0USER\0PASS" that PasswordAuthenticator expects,
 * written straight into W (no copy of the password elsewhere).
 */
int cql_req_auth_plain(struct cql_wr *w, int version, int16_t stream, const char *user,
                       const char *pass);

/*
 * Builds the SASL PLAIN token "\0USER\0PASS" in OUT (CAP bytes) and stores its length in *LEN.
 * Returns 0, or CQL_ENOSPC (OUT untouched beyond CAP) when it does not fit.
 */
int cql_req_sasl_plain(uint8_t *out, size_t cap, const char *user, const char *pass,
                       size_t *len);

/* QUERY: the [long string] CQL (LEN bytes) and QP (NULL: consistency ONE, nothing else). */
int cql_req_query(struct cql_wr *w, int version, int16_t stream, const char *cql, size_t len,
                  const struct cql_query_params *qp);

/*
 * PREPARE: the [long string] CQL; on v5 also [int] flags and, when KEYSPACE.len > 0, the
 * keyspace to prepare in (CQL_EVERSION on v4).
 */
int cql_req_prepare(struct cql_wr *w, int version, int16_t stream, const char *cql, size_t len,
                    struct cql_str keyspace);

/*
 * EXECUTE: the [short bytes] prepared ID, on v5 the [short bytes] RESULT_METADATA_ID (empty when
 * its len < 0; ignored on v4), then QP as for QUERY.
 */
int cql_req_execute(struct cql_wr *w, int version, int16_t stream, struct cql_bytes id,
                    struct cql_bytes result_metadata_id, const struct cql_query_params *qp);

/* One statement of a BATCH: a query string or a prepared id, with its values (never named). */
struct cql_batch_stmt {
    bool              prepared;     /* kind 1 (prepared id) rather than 0 (query string) */
    struct cql_str    query;        /* the CQL when !prepared */
    struct cql_bytes  id;           /* the prepared id when prepared */
    struct cql_values values;       /* its bound values; `named` is refused */
};

/*
 * BATCH of TYPE (CQL_BATCH_*) with N statements. From QP only consistency, serial consistency,
 * timestamp and (v5) keyspace and now_in_seconds are used; values, paging and skip_metadata
 * are ignored, and the names flag 0x40 is never set (it does not work, CASSANDRA-10246).
 */
int cql_req_batch(struct cql_wr *w, int version, int16_t stream, uint8_t type,
                  const struct cql_batch_stmt *stmts, uint16_t n,
                  const struct cql_query_params *qp);

/* REGISTER: a [string list] of event types ("TOPOLOGY_CHANGE", "STATUS_CHANGE", ...). */
int cql_req_register(struct cql_wr *w, int version, int16_t stream, const char *const *events,
                     size_t n);

#endif /* CQL_REQ_H */
