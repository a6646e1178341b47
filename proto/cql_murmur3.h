/*
 * cql_murmur3.h: partition tokens as Cassandra's Murmur3Partitioner computes them, and the
 * routing-key bytes they are computed over (cassandra-local.md, section D).
 */
#ifndef CQL_MURMUR3_H
#define CQL_MURMUR3_H

#include "cql_wire.h"

/*
 * The token of a partition key: MurmurHash3 x64_128 with seed 0, first 64-bit half, including
 * Cassandra's sign-extension of the tail bytes (utils/MurmurHash.java). INT64_MIN, the ring
 * minimum, is never returned for a key: it maps to INT64_MAX (dht/Murmur3Partitioner.java). An
 * empty key gives INT64_MIN.
 */
int64_t cql_murmur3_token(const uint8_t *key, size_t len);

/*
 * Appends the routing key of a partition key made of N serialized column values to W: a single
 * part as its bytes, a composite as [uint16 BE length][bytes][0x00] per part (CompositeType).
 * Returns 0, CQL_ERANGE when N is 0, a part is null or a composite part exceeds 65535 bytes, or
 * the writer's error.
 */
int cql_routing_key_compose(struct cql_wr *w, const struct cql_bytes *parts, size_t n)
    CQL_MUSTCHECK;

#endif /* CQL_MURMUR3_H */
