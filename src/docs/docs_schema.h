/*
 * docs_schema.h: the Document API's namespaces and collections (spec/documents-v2.md, 1.1 and
 * 1.2), the creation of a collection and its JSON schema (4), which document writes use too.
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

/*
 * The JSON schema of collection N in the published snapshot (its table comment, parsed into
 * REQ's arena), or NULL when it has none.
 */
const struct cql_json_node *docs_schema_json_schema(struct http_req *req,
                                                    const struct docs_names *n);

/*
 * Validates the whole document (or root PATCH body) DOC against SCHEMA (NULL: nothing to
 * check). Answers 400 "Invalid JSON: [<messages>]" and returns -1 when DOC fails; else 0.
 */
int docs_schema_validate(struct http_req *req, const struct cql_json_node *schema,
                         const struct cql_json_node *doc) MUSTCHECK;

/*
 * A write below a document's root, or a built-in function, on collection N: answers 400
 * (JSON_SCHEMA_INVALID_PARTIAL_UPDATE) and returns -1 when the collection has a JSON schema;
 * else 0.
 */
int docs_schema_partial(struct http_req *req, const struct docs_names *n) MUSTCHECK;

#endif /* DOCS_DOCS_SCHEMA_H */
