/* test_api_error.c: Cassandra errors to HTTP status and Stargate's descriptions. */
#include "test.h"

#include "api/api_error.h"
#include "core/util.h"

static int
check(int code, const char *msg, int http, const char *grpc, const char *want)
{
    struct cql_error e;
    struct cql_wr w;
    struct api_error out;
    int ok;

    memset(&e, 0, sizeof(e));
    e.code = code;
    e.message.p = msg;
    e.message.len = strlen(msg);
    cql_wr_init(&w, NULL, 0, test_grow, NULL);
    out = api_error_from_cql(&e, &w);
    ok = out.status == http && strcmp(out.grpc, grpc) == 0 && w.len == strlen(want)
         && memcmp(w.p, want, w.len) == 0;
    if (!ok) {
        fprintf(stderr, "  code 0x%04x: got %d %s \"%.*s\"\n", code, out.status, out.grpc,
                (int)w.len, (const char *)w.p);
    }
    free(w.p);
    return ok;
}

TEST(api_error_table)
{
    OK(check(CQL_ERRCODE_SYNTAX_ERROR, "line 1:0 no viable alternative at input 'SELsECT'", 400,
             "INVALID_ARGUMENT",
             "Invalid argument for gRPC operation (Status.Code.INVALID_ARGUMENT->400): "
             "INVALID_ARGUMENT: line 1:0 no viable alternative at input 'SELsECT'"));
    OK(check(CQL_ERRCODE_INVALID, "x", 400, "INVALID_ARGUMENT",
             "Invalid argument for gRPC operation (Status.Code.INVALID_ARGUMENT->400): "
             "INVALID_ARGUMENT: x"));
    OK(check(CQL_ERRCODE_CONFIG_ERROR, "x", 400, "FAILED_PRECONDITION",
             "Invalid state or argument(s) for gRPC operation "
             "(Status.Code.FAILED_PRECONDITION->400): FAILED_PRECONDITION: x"));
    OK(check(CQL_ERRCODE_ALREADY_EXISTS, "Cannot add already existing table \"t\"", 409,
             "ALREADY_EXISTS",
             "Resource already exists (Status.Code.ALREADY_EXISTS->409): ALREADY_EXISTS: "
             "Cannot add already existing table \"t\""));
    OK(check(CQL_ERRCODE_UNAUTHORIZED, "no SELECT", 401, "PERMISSION_DENIED",
             "Unauthorized gRPC operation (Status.Code.PERMISSION_DENIED->401): "
             "PERMISSION_DENIED: no SELECT"));
    OK(check(CQL_ERRCODE_UNAVAILABLE, "x", 502, "UNAVAILABLE",
             "gRPC service unavailable (Status.Code.UNAVAILABLE->502): UNAVAILABLE: x"));
    OK(check(CQL_ERRCODE_READ_TIMEOUT, "x", 504, "DEADLINE_EXCEEDED",
             "gRPC service timeout (Status.Code.DEADLINE_EXCEEDED->504): DEADLINE_EXCEEDED: x"));
    OK(check(CQL_ERRCODE_WRITE_TIMEOUT, "x", 504, "DEADLINE_EXCEEDED",
             "gRPC service timeout (Status.Code.DEADLINE_EXCEEDED->504): DEADLINE_EXCEEDED: x"));
    OK(check(CQL_ERRCODE_OVERLOADED, "x", 500, "RESOURCE_EXHAUSTED",
             "Unhandled gRPC failure (Status.Code.RESOURCE_EXHAUSTED->500): RESOURCE_EXHAUSTED: x"));
    OK(check(CQL_ERRCODE_WRITE_FAILURE, "x", 500, "ABORTED",
             "Unhandled gRPC failure (Status.Code.ABORTED->500): ABORTED: x"));
    OK(check(CQL_ERRCODE_SERVER_ERROR, "x", 500, "INTERNAL",
             "Unhandled gRPC failure (Status.Code.INTERNAL->500): INTERNAL: x"));
    OK(check(0x7777, "x", 500, "UNKNOWN",
             "Unhandled gRPC failure (Status.Code.UNKNOWN->500): UNKNOWN: x"));
}

TEST(api_error_from_status)
{
    struct cql_wr w;
    struct api_error out;

    cql_wr_init(&w, NULL, 0, test_grow, NULL);
    out = api_error_from_status(E_TIMEOUT, &w);
    EQ(out.status, 504);
    STREQ(out.grpc, "DEADLINE_EXCEEDED");
    w.len = 0;
    out = api_error_from_status(E_CLOSED, &w);
    EQ(out.status, 503);
    OK(out.grpc == NULL);
    SLICEEQ(w.p, w.len, "Cassandra is unreachable: connection closed");
    w.len = 0;
    out = api_error_from_status(E_BUSY, &w);
    EQ(out.status, 503);
    free(w.p);
}
