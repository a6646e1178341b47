/*
 * api_error.h: the one table from a Cassandra error to an HTTP status and Stargate's error text
 * (spec/rest-v2.md, section 7.2). Stargate v2 reached Cassandra through a gRPC bridge, so its
 * descriptions name a gRPC status; cqlgate reproduces them byte for byte:
 *
 *     <prefix> (Status.Code.<GRPC>-><http>): <GRPC>: <Cassandra's message>
 */
#ifndef API_ERROR_H
#define API_ERROR_H

#include "cql_resp.h"
#include "cql_wire.h"

/* How one failure is answered over HTTP. */
struct api_error {
    int         status;             /* HTTP status */
    const char *grpc;               /* gRPC status name for the body's grpcStatus, or NULL */
};

/*
 * Maps server error E to its HTTP answer and appends the full description to DESC.
 */
struct api_error api_error_from_cql(const struct cql_error *e, struct cql_wr *desc);

/*
 * Maps a failure that never reached a server answer (a negative code from src/cass: timeout,
 * connection lost, no connection) to its HTTP answer and appends the description to DESC.
 * Timeouts are 504; an unreachable or lost Cassandra is 503 and says so.
 */
struct api_error api_error_from_status(int status, struct cql_wr *desc);

#endif /* API_ERROR_H */
