/*
 * api_rows.h: REST v2 row endpoints under /v2/keyspaces (spec/rest-v2.md, sections 3.6 and 4.5).
 * Every statement runs prepared at LOCAL_QUORUM with all values bound and every name a
 * double-quoted identifier; keys and columns are checked against the schema snapshot first.
 *     POST   /v2/keyspaces/{ks}/{t}            INSERT the body's columns -> 201, body echoed
 *     GET    /v2/keyspaces/{ks}/{t}?where=  SELECT with the where conditions (4) -> RowsResponse
 *     GET    /v2/keyspaces/{ks}/{t}/rows       SELECT without WHERE -> RowsResponse
 *     GET    /v2/keyspaces/{ks}/{t}/{pk...}    SELECT by key prefix -> RowsResponse
 *     PUT    /v2/keyspaces/{ks}/{t}/{pk...}    UPDATE SET (counters c = c + ?) -> 200 {"data":..}
 *     PATCH  /v2/keyspaces/{ks}/{t}/{pk...}    the same as PUT (Q14)
 *     DELETE /v2/keyspaces/{ks}/{t}/{pk...}    DELETE by key prefix -> 204
 * Reads take fields, page-size (default 100), page-state (either Base64 alphabet), sort (asc or
 * desc in any case), raw and compactMapData.
 */
#ifndef API_API_ROWS_H
#define API_API_ROWS_H

#include "core/util.h"
#include "http/router.h"

/* Adds the row routes to R. Returns 0 or E_INVALID. */
int api_rows_add_routes(struct router *r) MUSTCHECK;

#endif /* API_API_ROWS_H */
