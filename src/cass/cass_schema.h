/*
 * cass_schema.h: loads a schema snapshot (cass_meta.h) from system_schema over one connection.
 *
 * The loader runs six SELECTs one after the other on the connection it is given (keyspaces,
 * types, tables, views, columns, indexes), follows their pages (CASS_SCHEMA_PAGE_SIZE rows
 * each), feeds the rows to a cass_meta builder, and reports the finished snapshot through a
 * callback. Reading the types before the tables and the columns after them keeps the window small
 * in which a concurrent schema change shows up half; what does is skipped (see cass_meta.h), and
 * the SCHEMA_CHANGE event that follows triggers the next load anyway.
 *
 *     cass_schema_load ---6 SELECTs, paged---> builder ---finish---> cb(data, 0, "", snapshot)
 *     cass_schema_load_keyspace(ks, old) ---the same WHERE keyspace_name = ?---> rebuild from old
 *
 * All I/O goes through cass_query; the statements are prepared through the worker's cache when
 * one is given (so a reload of one keyspace reuses them), or sent as plain QUERY messages.
 */
#ifndef CASS_SCHEMA_H
#define CASS_SCHEMA_H

#include "cass/cass_conn.h"
#include "cass/cass_meta.h"
#include "cass/cass_query.h"

/* Rows fetched per page of each SELECT. */
#define CASS_SCHEMA_PAGE_SIZE   1000

/* Deadline of each request of a load, milliseconds. */
#define CASS_SCHEMA_TIMEOUT_MS  10000

/*
 * Called once when a load ends, on the connection's loop. STATUS 0: SNAPSHOT is the new
 * snapshot and the callee owns one reference to it (cass_meta_unref when done). Otherwise
 * SNAPSHOT is NULL and STATUS is negative: E_SERVER when Cassandra refused a SELECT,
 * E_TIMEOUT / E_CLOSED / E_CANCELED from the connection, E_PROTOCOL, CQL_EPROTO or CQL_ETYPE
 * when the rows could not be made into a snapshot. MESSAGE says what failed in words ("" on
 * success); it is valid only while the callback runs.
 */
typedef void (*cass_schema_cb)(void *data, int status, const char *message,
                               struct cass_meta *snapshot);

/*
 * Loads the whole schema over C (ready) into a new snapshot. PC is the worker's prepared cache,
 * or NULL to send plain queries. Returns 0 when the load started (CB will run once, never from
 * inside this call), or a negative code when the first request could not be sent (CB will not
 * run).
 */
int cass_schema_load(struct cass_conn *c, struct cass_pcache *pc, cass_schema_cb cb, void *data)
    MUSTCHECK;

/*
 * Loads keyspace KS (KS_LEN bytes, copied) alone and reports a snapshot that is OLD with that
 * keyspace replaced, or removed when it no longer exists. OLD may be NULL (a snapshot of KS
 * alone); otherwise the loader takes a reference to it and drops it once CB has returned, so the
 * caller may drop its own at any time. Returns as cass_schema_load.
 */
int cass_schema_load_keyspace(struct cass_conn *c, struct cass_pcache *pc, const char *ks,
                              size_t ks_len, struct cass_meta *old, cass_schema_cb cb, void *data)
    MUSTCHECK;

#endif /* CASS_SCHEMA_H */
