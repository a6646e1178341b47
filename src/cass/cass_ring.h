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
 * Replica placement follows Cassandra's own strategies (locator/SimpleStrategy and
 * NetworkTopologyStrategy.calculateNaturalReplicas), replicas listed in the order Cassandra lists
 * them: the order the walk met them, so the first is the primary.
 *   SimpleStrategy: walking the ring clockwise from the token's position, the first RF distinct
 *   nodes (capped at the nodes of the ring).
 *   NetworkTopologyStrategy: one walk clockwise from the token's position serves every data
 *   centre of the replication that has nodes; each takes min(RF, its nodes) replicas. A node on a
 *   rack the DC has not used yet is always taken; a node on a used rack only while fewer than
 *   RF - (racks of the DC) such repeats were taken. So replicas spread over every rack while RF
 *   allows, and the repeats are the first ones met. The DataStax drivers' token maps choose the
 *   same set but list it DC by DC, new racks first.
 *   A DC of the replication with no node, or an RF of 0, adds nothing; DC names compare exactly.
 *   Nodes without tokens are not in the ring and count for nothing (neither nodes nor racks).
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

/* Most tokens one ring holds, all nodes together (1024 nodes with 1024 vnodes each). */
#define CASS_RING_MAX_TOKENS ((size_t)1 << 20)

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
    const uint16_t *counts;         /* replicas at each position (<= stride) */
    size_t          stride;         /* row width of ids */
};

struct cass_ring;

/*
 * Builds a ring from NNODES nodes (copied; a node may have no tokens, it then stays in the node
 * list but not in the ring). Returns 0 and *OUT, or E_INVALID (no node, no token at all, more
 * than CASS_RING_MAX_NODES nodes or CASS_RING_MAX_TOKENS tokens, or a token owned twice), or the
 * error of creating the ring's lock.
 */
int cass_ring_build(const struct cass_ring_node *nodes, size_t nnodes, struct cass_ring **out)
    MUSTCHECK;

/* Reference counting (atomic): the builder holds one reference; the last unref frees the ring. */
void cass_ring_ref(struct cass_ring *r);
void cass_ring_unref(struct cass_ring *r);

/* Nodes of R and their count. */
const struct cass_ring_node *cass_ring_nodes(const struct cass_ring *r, size_t *n);

/* Positions of R (its tokens, all nodes together), and the token at POS and its node (*NODE). */
size_t cass_ring_size(const struct cass_ring *r);
int64_t cass_ring_token(const struct cass_ring *r, size_t pos, size_t *node);

/*
 * The replicas of keyspace KS's replication on ring R, computed on first use for that replication
 * and kept in R until it goes (thread-safe: computed under R's lock once, read without locks
 * afterwards), or NULL when KS's strategy puts replicas everywhere (see the top). Every position
 * has the same count, and it may be 0 (RF 0, or no DC of the replication has nodes): the caller
 * then balances too. Memory: cass_ring_size x stride node ids (2 bytes each) per replication.
 */
const struct cass_ring_replicas *cass_ring_replicas(struct cass_ring *r,
                                                    const struct cass_meta_keyspace *ks);

/*
 * The ring position owning TOKEN: the first ring token >= TOKEN, wrapping to position 0 above the
 * last (a position owns the range from the token before it, exclusive, to its own, inclusive).
 */
size_t cass_ring_find(const struct cass_ring *r, int64_t token);

/* The replicas at position POS of REPS: *COUNT node ids in preference order. */
const uint16_t *cass_ring_at(const struct cass_ring_replicas *reps, size_t pos, size_t *count);

/*
 * The routing key of a partition key made of N components (their serialized [value] bytes, no
 * length prefix) into W: a single component as it is; several as Cassandra's CompositeType
 * (each: 2-byte big-endian length, bytes, a 0 byte). Returns 0, E_INVALID when there is no
 * component or one is null, unset or longer than 65535 bytes (Cassandra's limit on a key; no
 * token: the caller does not route), or the writer's error.
 */
int cass_ring_routing_key(struct cql_wr *w, const struct cql_bytes *parts, size_t n) MUSTCHECK;

#endif /* CASS_RING_H */
