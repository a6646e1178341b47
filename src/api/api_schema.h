/*
 * api_schema.h: REST v2 schema endpoints under /v2/schemas (spec/rest-v2.md, sections 3.1-3.5
 * and 6). Reads come from the published schema snapshot (api.h); changes run as DDL on the
 * worker's session, and the keyspace they touched is reloaded before the answer goes out, so the
 * next request on any worker sees the change.
 *
 * Served: keyspaces (3.1, 6.2), tables (3.2, 6.1), columns (3.3, 6.3), indexes (3.4, 6.4) and
 * user-defined types (3.5, 6.5).
 *     GET    /v2/schemas/keyspaces          {"data":[{"name":..,"datacenters":[..]},..]} or raw
 *     GET    /v2/schemas/keyspaces/{ks}     {"data":{..}} or raw; 404 when missing
 *     POST   /v2/schemas/keyspaces          CREATE KEYSPACE IF NOT EXISTS -> 201 {"name":..}
 *     DELETE /v2/schemas/keyspaces/{ks}     DROP KEYSPACE IF EXISTS -> 204
 *     GET    .../{ks}/tables[/{t}]          Table JSON (columns in REST order); 400 for a missing
 *                                           keyspace, 404 for a missing table
 *     POST   .../{ks}/tables                CREATE TABLE [IF NOT EXISTS] -> 201 {"name":..}
 *     PUT    .../{ks}/tables/{t}            ALTER TABLE WITH default_time_to_live -> 200
 *     DELETE .../{ks}/tables/{t}            DROP TABLE IF EXISTS -> 204
 *     GET    .../{t}/columns[/{col}]        ColumnDefinition JSON; 404 for a missing column
 *     POST   .../{t}/columns                ALTER TABLE ADD [STATIC] -> 201
 *     PUT    .../{t}/columns/{col}          ALTER TABLE RENAME -> 200 (rename only)
 *     DELETE .../{t}/columns/{col}          ALTER TABLE DROP -> 204
 *     GET    .../{t}/indexes                bare array of system_schema.indexes rows, options
 *                                           compact or key/value entries (compactMapData)
 *     POST   .../{t}/indexes                CREATE [CUSTOM] INDEX -> 201 {"success":true}; 404
 *                                           for a missing column
 *     DELETE .../{t}/indexes/{idx}          DROP INDEX [IF EXISTS] (ifExists) -> 204
 *     GET    .../{ks}/types[/{type}]        UDT JSON, field types verbatim; an unknown keyspace
 *                                           lists [], a missing type is 404
 *     POST   .../{ks}/types                 CREATE TYPE [IF NOT EXISTS] -> 201 {"name":..}
 *     PUT    .../{ks}/types                 one ALTER TYPE ADD per added field, then one
 *                                           ALTER TYPE RENAME .. AND .. -> 200, empty body
 *     DELETE .../{ks}/types/{type}          DROP TYPE IF EXISTS -> 204
 * Type texts from clients are parsed (cql_type_parse) and written back, never pasted; every
 * name is a double-quoted identifier, and index classes and options are string literals.
 */
#ifndef API_API_SCHEMA_H
#define API_API_SCHEMA_H

#include <stdbool.h>

#include "core/util.h"
#include "http/router.h"

struct cass_meta_keyspace;
struct jw;

/* Adds the schema routes to R. Returns 0 or E_INVALID. */
int api_schema_add_routes(struct router *r) MUSTCHECK;

/*
 * Writes keyspace KS as REST v2 shows it, {"name", "datacenters"?}; with REPLICAS, as the Document
 * API's namespaces, which also give "replicas" for SimpleStrategy.
 */
void api_schema_write_keyspace(struct jw *j, const struct cass_meta_keyspace *ks, bool replicas);

#endif /* API_API_SCHEMA_H */
