/*
 * cass_topo.h: the cluster's nodes as the control connection reads them, in an immutable,
 * reference-counted snapshot (like the schema snapshot of cass_meta.h).
 *
 *     system.local ----------------\
 *     system.peers_v2 (or .peers) --+--> builder (pure: rows in, nodes out) --> struct cass_topo
 *
 * A node is its native address and port, data centre, rack, tokens and schema version. The
 * snapshot also records the partitioner (cqlgate routes by Murmur3 only and refuses any other at
 * start) and which node the control connection was on. Workers compare snapshots by GEN to see
 * whether theirs is stale; node health (up or down) is not part of the snapshot, since it changes
 * far more often than the topology (see cass_pool.h).
 *
 * cass_topo_load runs the reads on one ready connection through cass_query, as cass_schema_load
 * does for system_schema.
 */
#ifndef CASS_TOPO_H
#define CASS_TOPO_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cass/cass_conn.h"
#include "cass/cass_query.h"
#include "cass/cass_ring.h"
#include "cql_wire.h"

/* Most nodes one snapshot holds. */
#define CASS_TOPO_MAX_NODES 1024

/* The only partitioner cqlgate routes with. */
#define CASS_TOPO_MURMUR3 "org.apache.cassandra.dht.Murmur3Partitioner"

/* One node of the cluster. */
struct cass_topo_node {
    char     host[64];              /* native transport address, as text (IPv4 or IPv6) */
    int      port;                  /* native transport port */
    char     dc[64];                /* data centre */
    char     rack[64];              /* rack */
    int64_t *tokens;                /* its Murmur3 tokens (owned by the snapshot) */
    size_t   ntokens;               /* how many */
    uint8_t  schema_version[16];    /* schema version UUID, all zero when unknown */
    uint8_t  host_id[16];           /* host id UUID */
};

/* A topology snapshot: read-only once built. */
struct cass_topo {
    atomic_uint            refs;            /* references; the last unref frees it */
    uint64_t               gen;             /* set by the publisher: 1, 2, ... */
    struct cass_topo_node *nodes;           /* the nodes, system.local's first */
    size_t                 nnodes;          /* how many */
    char                   partitioner[128];/* system.local's partitioner class */
    struct cass_ring      *ring;            /* the token ring (node ids: indexes of nodes),
                                             * or NULL when it could not be built */
};

/* Reference counting (atomic). Both accept NULL. */
struct cass_topo *cass_topo_ref(struct cass_topo *t);
void cass_topo_unref(struct cass_topo *t);

/* The index of the node HOST:PORT in T, or -1. */
int cass_topo_find(const struct cass_topo *t, const char *host, int port);

/* ---- building (pure) ------------------------------------------------------------------------ */

struct cass_topo_builder;

struct cass_topo_builder *cass_topo_builder_create(void);
void cass_topo_builder_destroy(struct cass_topo_builder *b);

/* Which table rows come from. */
enum cass_topo_src {
    CASS_TOPO_LOCAL = 1,            /* system.local */
    CASS_TOPO_PEERS_V2,             /* system.peers_v2 */
    CASS_TOPO_PEERS,                /* system.peers (before Cassandra 4.0) */
};

/*
 * Adds the ROWS (ROWS_COUNT rows of the columns COLS, as in a RESULT) of table SRC. Columns are
 * found by name, so their order does not matter. LOCAL_HOST and LOCAL_PORT are how the
 * connection reached its node: they name system.local's node (whose rpc_address may be 0.0.0.0,
 * or an address a proxy or NAT hides), and give the port of system.peers rows, which carry none. Rows without an address or data centre are
 * skipped (a node half-way through joining). Returns 0, or E_PROTOCOL on malformed rows, with a
 * message in cass_topo_builder_error.
 */
int cass_topo_builder_rows(struct cass_topo_builder *b, enum cass_topo_src src,
                           const struct cql_col_spec *cols, int32_t ncols, const uint8_t *rows,
                           size_t rows_len, int32_t rows_count, const char *local_host,
                           int local_port) MUSTCHECK;

/*
 * The snapshot of the rows added (one reference), with its token ring when the nodes' tokens make
 * one, or E_INVALID when no system.local row came.
 */
int cass_topo_builder_finish(struct cass_topo_builder *b, struct cass_topo **out) MUSTCHECK;

/* Why the last call failed. */
const char *cass_topo_builder_error(const struct cass_topo_builder *b);

/* Decodes a set<text> or list<text> cell into at most MAX tokens (the Murmur3 decimal form). */
int cass_topo_parse_tokens(const uint8_t *p, int32_t len, int64_t *out, size_t max, size_t *n)
    MUSTCHECK;

/* ---- loading ------------------------------------------------------------------------------- */

/* Deadline of each request of a load, milliseconds. */
#define CASS_TOPO_TIMEOUT_MS 10000

/*
 * Called once when a load ends. STATUS 0: TOPO is the new snapshot (the callee owns one
 * reference). Otherwise TOPO is NULL and MESSAGE says what failed (valid during the call).
 */
typedef void (*cass_topo_cb)(void *data, int status, const char *message, struct cass_topo *topo);

/*
 * Reads system.local then system.peers_v2 (system.peers when that table does not exist) over C,
 * which is connected to HOST:PORT. Returns 0 when the load started (CB runs once, later), or a
 * negative code (CB will not run).
 */
int cass_topo_load(struct cass_conn *c, const char *host, int port, cass_topo_cb cb, void *data)
    MUSTCHECK;

#endif /* CASS_TOPO_H */
