/* api_read.c: the page parameters and the RowsResponse of every read (see api_read.h). */
#include "api/api_read.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "api/cql_json.h"

/* Answers 400 with WHAT followed by VALUE (LEN bytes); returns -1 for the caller to pass on. */
static int
bad_param(struct http_req *req, const char *what, const char *value, size_t len)
{
    struct cql_wr msg;

    api_arena_wr(&msg, &req->arena);
    cql_wr_raw(&msg, what, strlen(what));
    cql_wr_raw(&msg, value, len);
    http_respond_error_n(req, 400, (const char *)msg.p, msg.len, NULL);
    return -1;
}

unsigned
api_read_map_flags(struct http_req *req)
{
    const char *v = http_req_query(req, "compactMapData");

    return v != NULL && strcasecmp(v, "false") == 0 ? CQL_JSON_MAP_ENTRIES : 0;
}

int
api_read_params(struct http_req *req, struct api_read *rd)
{
    const char *size = http_req_query(req, "page-size");
    const char *state = http_req_query(req, "page-state");

    rd->flags = api_read_map_flags(req) | (api_raw(req) ? CQL_JSON_RAW : 0);
    rd->page_size = API_READ_PAGE_SIZE;
    rd->page_state.p = NULL;
    rd->page_state.len = CQL_NULL;
    if (size != NULL) {
        char *end = NULL;
        long v;

        errno = 0;
        v = strtol(size, &end, 10);
        if (size[0] == '\0' || *end != '\0' || errno != 0 || v > INT32_MAX || v < INT32_MIN) {
            return bad_param(req, "Invalid 'page-size' parameter, problem: not an integer: ",
                             size, strlen(size));
        }
        if (v > 0) {
            rd->page_size = (int32_t)v;
        }
    }
    if (state != NULL && state[0] != '\0') {
        struct cql_wr w;

        api_arena_wr(&w, &req->arena);
        if (cql_json_base64_decode(state, strlen(state), &w) != 0 || w.err != 0) {
            return bad_param(req, "Invalid 'page-state' parameter, problem: not valid Base64: ",
                             state, strlen(state));
        }
        rd->page_state.p = w.p;
        rd->page_state.len = (int32_t)w.len;
    }
    return 0;
}

void
api_read_page(const struct api_read *rd, struct cql_query_params *qp)
{
    qp->page_size = rd->page_size;
    qp->paging_state = rd->page_state;
}

bool
api_read_refused_state(struct http_req *req, const struct api_read *rd,
                       const struct cass_result *res)
{
    const struct cql_error *e = &res->error;

    if (rd->page_state.len < 0 || res->status != E_SERVER
        || e->code != CQL_ERRCODE_PROTOCOL_ERROR
        || memmem(e->message.p, e->message.len, "paging state", 12) == NULL) {
        return false;
    }
    (void)bad_param(req, "Invalid 'page-state' parameter, problem: ", e->message.p,
                    e->message.len);
    return true;
}

void
api_read_respond(struct http_req *req, const struct cass_result *res, unsigned flags)
{
    struct cql_wr body;
    const char *desc = NULL;

    http_body_init(&body);
    if (cql_json_rows_response(&body, res->cols, &res->result, flags, &desc) != 0) {
        http_body_free(&body);
        http_respond_error(req, 500, "Internal error: the rows could not be rendered", NULL);
        return;
    }
    http_respond_json(req, 200, &body);
}
