/*
 * api_cql.h: POST /v2/cql, one raw CQL statement (spec/rest-v2.md, sections 3.7 and 7).
 *
 *     POST /v2/cql?keyspace=&page-size=&page-state=&raw=&compactMapData=   body: the statement
 *         --QUERY (unprepared, LOCAL_QUORUM, paged)--> 200 RowsResponse, {"count":0,"data":[]}
 *           for a statement without rows; Cassandra's errors through api_error (409 for
 *           AlreadyExists, 400 for Invalid and Syntax, ...)
 *
 * Served only with --cql-endpoint; otherwise the route does not exist, so the path answers 404
 * exactly as any unknown one does. `keyspace` is sent as the v5 per-query keyspace; a connection
 * that speaks v4 has no such thing and refuses the parameter with a 400 (emulating it with USE
 * would change the keyspace of a connection every request shares). For the same reason a USE
 * statement is refused. After a schema change the changed keyspace is reloaded before the answer,
 * so the next request already sees it.
 */
#ifndef API_API_CQL_H
#define API_API_CQL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/conf.h"
#include "core/util.h"
#include "http/router.h"

/* Adds POST /v2/cql to R when CONF enables it (--cql-endpoint). Returns 0 or E_INVALID. */
int api_cql_add_routes(struct router *r, const struct conf *conf) MUSTCHECK;

/*
 * True when the CQL text S (LEN bytes) is a USE statement: its first word, after blanks and
 * comments (`-- ...` and `// ...` to the end of the line, C-style blocks), is USE in any case.
 * Pure.
 */
bool api_cql_is_use(const char *s, size_t len);

/*
 * True when the CQL text S (LEN bytes) holds a NUL character outside string literals ('...',
 * $$...$$) and comments. Cassandra refuses such a statement with an error that echoes the NUL
 * under a wrong [string] length, a frame no client can decode, so it is refused here. Pure.
 */
bool api_cql_stray_nul(const char *s, size_t len);

#endif /* API_API_CQL_H */
