/*
 * cass_ring.h: the token ring and its replicas, as a coordinator computes them (pure: no I/O).
 *
 * Built from the nodes the control connection reads (system.local and system.peers_v2: address,
 * data centre, rack, tokens) and published in an immutable, reference-counted snapshot, like the
 * schema (cass_meta.h). Replicas of a keyspace depend only on its replication, so they are
 * computed once per distinct replication (SimpleStrategy n, NetworkTopologyStrategy {dc: n}) and
 * shared by every keyspace that has it, when the ring is built or a keyspace's replication
 * changes; a request only hashes its routing key and binary-searches the ring.
 *
 *     nodes (dc, rack, tokens) --cass_ring_build--> sorted ring of (token, node)
 *     ring + replication --cass_ring_replicas--> for each ring position, its replicas in order
 *     routing key --cql_murmur3_token--> token --cass_ring_find--> position --> replicas
 *
 * Replica placement follows Cassandra's own strategies (and the DataStax drivers' token maps):
 *   SimpleStrategy: walking the ring clockwise from the token's position, the first RF distinct
 *   nodes. NetworkTopologyStrategy: walking the ring once, per data centre, take nodes on racks
 *   not yet used until every rack of that DC has one, and nodes skipped for a repeated rack fill
 *   the remaining places in ring order, until the DC has its RF (capped at its node count).
 *   Other strategies (LocalStrategy, EverywhereStrategy, unknown classes): every node is a replica
 *   (the caller then just balances).
 */
#ifndef CASS_RING_H
#define CASS_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cass/cass_meta.h"
#include "core/arena.h"
#include "cql_wire.h"

/* Most nodes one ring holds. */
#define CASS_RING_MAX_NODES 1024

/* One node as the ring sees it; index i in cass_ring.nodes is its id everywhere else. */
struct cass_ring_node {
    struct cql_str dc;              /* data centre (owned by the ring's arena) */
    struct cql_str rack;            /* rack */
    const int64_t *tokens;          /* its tokens (Murmur3), any order */
    size_t         ntokens;         /* how many */
};

/* The replicas of one replication, for every position of the ring. */
struct cass_ring_replicas {
    const uint16_t *ids;            /* npositions x stride node ids, in preference order */
    const uint8_t  *counts;         /* replicas at each position (<= stride) */
    size_t          stride;         /* row width of ids */
};

struct cass_ring;

/*
 * Builds a ring from NNODES nodes (copied). Returns 0 and *OUT, or E_INVALID (no node, no token,
 * too many nodes, or a token owned twice).
 */
int cass_ring_build(const struct cass_ring_node *nodes, size_t nnodes, struct cass_ring **out)
    MUSTCHECK;

/* Reference counting (atomic): the builder holds one reference; the last unref frees the ring. */
void cass_ring_ref(struct cass_ring *r);
void cass_ring_unref(struct cass_ring *r);

/* Nodes of R and their count. */
const struct cass_ring_node *cass_ring_nodes(const struct cass_ring *r, size_t *n);

/*
 * The replicas of keyspace KS's replication on ring R, computed on first use for that replication
 * and kept in R (thread-safe: computed under R's lock once, read without locks afterwards), or
 * NULL when KS's strategy puts replicas everywhere (see the top).
 */
const struct cass_ring_replicas *cass_ring_replicas(struct cass_ring *r,
                                                    const struct cass_meta_keyspace *ks);

/* The ring position owning TOKEN: the first ring token >= TOKEN, wrapping to position 0. */
size_t cass_ring_find(const struct cass_ring *r, int64_t token);

/* The replicas at position POS of REPS: *COUNT node ids in preference order. */
const uint16_t *cass_ring_at(const struct cass_ring_replicas *reps, size_t pos, size_t *count);

/*
 * The routing key of a partition key made of N components (their serialized [value] bytes, no
 * length prefix) into W: a single component as it is; several as Cassandra's CompositeType
 * (each: 2-byte big-endian length, bytes, a 0 byte). Returns 0, or E_INVALID when a component is
 * null, unset or longer than 65535 bytes (no token: the caller does not route).
 */
int cass_ring_routing_key(struct cql_wr *w, const struct cql_bytes *parts, size_t n) MUSTCHECK;

#endif /* CASS_RING_H */
