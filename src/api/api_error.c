/* api_error.c: Cassandra errors to HTTP status and Stargate's descriptions (see api_error.h). */
#include "api/api_error.h"

#include <stdio.h>
#include <string.h>

#include "core/util.h"

/* gRPC status: its name, the HTTP status Stargate gave it, and its description prefix. */
#define API_GRPC_MAP(XX)                                                                           \
    XX(INVALID_ARGUMENT,    400, "Invalid argument for gRPC operation")                            \
    XX(FAILED_PRECONDITION, 400, "Invalid state or argument(s) for gRPC operation")                \
    XX(ALREADY_EXISTS,      409, "Resource already exists")                                        \
    XX(PERMISSION_DENIED,   401, "Unauthorized gRPC operation")                                    \
    XX(UNAUTHENTICATED,     401, "Unauthenticated gRPC operation")                                 \
    XX(UNAVAILABLE,         502, "gRPC service unavailable")                                       \
    XX(DEADLINE_EXCEEDED,   504, "gRPC service timeout")                                           \
    XX(RESOURCE_EXHAUSTED,  500, "Unhandled gRPC failure")                                         \
    XX(ABORTED,             500, "Unhandled gRPC failure")                                         \
    XX(INTERNAL,            500, "Unhandled gRPC failure")                                         \
    XX(UNKNOWN,             500, "Unhandled gRPC failure")

enum api_grpc {
#define XX(name, http, prefix) GRPC_##name,
    API_GRPC_MAP(XX)
#undef XX
};

static const struct {
    const char *name;               /* "INVALID_ARGUMENT" */
    int         http;               /* HTTP status */
    const char *prefix;             /* description prefix */
} grpc_table[] = {
#define XX(name, http, prefix) { #name, http, prefix },
    API_GRPC_MAP(XX)
#undef XX
};

/* Cassandra error code to gRPC status, as Stargate's bridge translated them. */
static enum api_grpc
grpc_of(int code)
{
    switch (code) {
    case CQL_ERRCODE_SYNTAX_ERROR:
    case CQL_ERRCODE_INVALID:
        return GRPC_INVALID_ARGUMENT;
    case CQL_ERRCODE_FUNCTION_FAILURE:
    case CQL_ERRCODE_CONFIG_ERROR:
        return GRPC_FAILED_PRECONDITION;
    case CQL_ERRCODE_ALREADY_EXISTS:
        return GRPC_ALREADY_EXISTS;
    case CQL_ERRCODE_UNAUTHORIZED:
        return GRPC_PERMISSION_DENIED;
    case CQL_ERRCODE_BAD_CREDENTIALS:
        return GRPC_UNAUTHENTICATED;
    case CQL_ERRCODE_UNAVAILABLE:
    case CQL_ERRCODE_IS_BOOTSTRAPPING:
        return GRPC_UNAVAILABLE;
    case CQL_ERRCODE_READ_TIMEOUT:
    case CQL_ERRCODE_WRITE_TIMEOUT:
        return GRPC_DEADLINE_EXCEEDED;
    case CQL_ERRCODE_OVERLOADED:
        return GRPC_RESOURCE_EXHAUSTED;
    case CQL_ERRCODE_READ_FAILURE:
    case CQL_ERRCODE_WRITE_FAILURE:
    case CQL_ERRCODE_CAS_WRITE_UNKNOWN:
    case CQL_ERRCODE_TRUNCATE_ERROR:
    case CQL_ERRCODE_CDC_WRITE_FAILURE:
        return GRPC_ABORTED;
    case CQL_ERRCODE_SERVER_ERROR:
    case CQL_ERRCODE_PROTOCOL_ERROR:
    case CQL_ERRCODE_UNPREPARED:
        return GRPC_INTERNAL;
    default:
        return GRPC_UNKNOWN;
    }
}

static struct api_error
describe(enum api_grpc g, const char *msg, size_t len, struct cql_wr *desc)
{
    struct api_error out = { grpc_table[g].http, grpc_table[g].name };
    char head[160];
    int n = snprintf(head, sizeof(head), "%s (Status.Code.%s->%d): %s: ", grpc_table[g].prefix,
                     grpc_table[g].name, grpc_table[g].http, grpc_table[g].name);

    cql_wr_raw(desc, head, (size_t)n);
    cql_wr_raw(desc, msg, len);
    return out;
}

struct api_error
api_error_from_cql(const struct cql_error *e, struct cql_wr *desc)
{
    return describe(grpc_of(e->code), e->message.p, e->message.len, desc);
}

struct api_error
api_error_from_status(int status, struct cql_wr *desc)
{
    struct api_error out;
    const char *what;

    switch (status) {
    case E_TIMEOUT:
        what = "Request to Cassandra timed out";
        return describe(GRPC_DEADLINE_EXCEEDED, what, strlen(what), desc);
    case E_CLOSED:
    case E_NOTREADY:
    case E_BUSY:
        out.status = 503;
        out.grpc = NULL;
        what = status == E_BUSY ? "Cassandra connection is saturated; retry later"
                                : "Cassandra is unreachable: ";
        cql_wr_raw(desc, what, strlen(what));
        if (status != E_BUSY) {
            cql_wr_raw(desc, err_str(status), strlen(err_str(status)));
        }
        return out;
    default:
        what = err_str(status);
        return describe(GRPC_INTERNAL, what, strlen(what), desc);
    }
}
