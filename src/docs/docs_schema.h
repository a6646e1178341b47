/*
 * docs_schema.h: the Document API's namespaces and collections (spec/documents-v2.md, 1.1 and
 * 1.2), and the creation of a collection, which document writes use too.
 *
 *     POST .../collections, or a write to a missing collection
 *         --(once per process) SELECT release_version FROM system.local: SAI from 5.0 on-->
 *         CREATE TABLE (64 p columns; bool_value tinyint with SAI, else boolean)
 *         --> CREATE [CUSTOM] INDEX IF NOT EXISTS on leaf, text_value, dbl_value, bool_value
 *         --> GRANT ALL PERMISSIONS ON TABLE to the token's role (Cassandra's creator rule)
 *         --> keyspace reloaded and published --> the caller goes on
 */
#ifndef DOCS_DOCS_SCHEMA_H
#define DOCS_DOCS_SCHEMA_H

#include "core/util.h"
#include "docs/docs_api.h"
#include "http/router.h"

/* Adds the namespace and collection routes to R. Returns 0 or E_INVALID. */
int docs_schema_add_routes(struct router *r) MUSTCHECK;

/*
 * Called once when a collection creation ends: FAIL NULL when the table and its indexes were
 * created, else how it failed (FAIL->code CQL_ERRCODE_ALREADY_EXISTS when the table was there
 * first, created meanwhile by another client). Whenever the table exists afterwards, the
 * keyspace was reloaded before this runs, so api_schema_ref sees it.
 */
typedef void (*docs_created_cb)(struct http_req *req, const struct docs_failure *fail);

/*
 * Creates collection N (names already checked: \w+) as Stargate does; answers nothing itself.
 * N's strings must live as long as REQ. CB runs once, later.
 */
void docs_schema_create_collection(struct http_req *req, const struct docs_names *n,
                                   docs_created_cb cb);

#endif /* DOCS_DOCS_SCHEMA_H */
