/*
 * api_read.h: what every endpoint answering Stargate's RowsResponse shares (spec/rest-v2.md,
 * sections 3.6 and 3.7): the query parameters that shape a page and the answer itself.
 *
 *     ?page-size=&page-state=&raw=&compactMapData= --api_read_params--> struct api_read
 *         --> cql_query_params (page size, paging state) --QUERY or EXECUTE--> result
 *         --api_read_respond--> 200 {"count":N,"pageState":"..","data":[..]} (or the bare array)
 *
 * The row reads of api_rows.c and raw CQL of api_cql.c parse and answer through these, so both
 * take and refuse exactly the same values with exactly the same texts.
 */
#ifndef API_API_READ_H
#define API_API_READ_H

#include <stdbool.h>
#include <stdint.h>

#include "cass/cass_query.h"
#include "http/http_msg.h"

/* Rows per page when page-size is absent or not positive (3.6). */
#define API_READ_PAGE_SIZE  100

/* The page a read asks for and how it is rendered. */
struct api_read {
    int32_t          page_size;     /* rows per page, > 0 */
    struct cql_bytes page_state;    /* decoded page-state (in the request's arena); len CQL_NULL
                                     * when none was given */
    unsigned         flags;         /* CQL_JSON_RAW and CQL_JSON_MAP_ENTRIES, for cql_json */
};

/*
 * CQL_JSON_MAP_ENTRIES when the request's compactMapData is a case-insensitive "false", else 0:
 * maps are compact unless asked otherwise (the server default, Q11). Writes use it too.
 */
unsigned api_read_map_flags(struct http_req *req);

/*
 * Reads page-size (an int; absent, zero or negative means API_READ_PAGE_SIZE), page-state
 * (Base64 in either alphabet, Q2; empty means none), raw and compactMapData from REQ's query
 * into RD. Returns 0, or -1 after answering REQ 400 with the parameter and value named.
 */
int api_read_params(struct http_req *req, struct api_read *rd) MUSTCHECK;

/* Sets QP's page size and paging state from RD (which must outlive the query). */
void api_read_page(const struct api_read *rd, struct cql_query_params *qp);

/*
 * True, after answering REQ 400, when RES is Cassandra refusing the paging state RD sent (a
 * protocol error naming the paging state: a page-state that is Base64 but not one of Cassandra's
 * is the client's mistake, Q2). False, with REQ untouched, for any other result.
 */
bool api_read_refused_state(struct http_req *req, const struct api_read *rd,
                            const struct cass_result *res);

/*
 * Answers REQ 200 with RES (a successful result) as a RowsResponse rendered with FLAGS
 * (struct api_read's). A result without rows (DDL, DML) is the empty page, {"count":0,"data":[]}
 * or []. Rows that cannot be rendered are a 500.
 */
void api_read_respond(struct http_req *req, const struct cass_result *res, unsigned flags);

#endif /* API_API_READ_H */
