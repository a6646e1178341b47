/*
 * cql_req.c: request encoders. Layouts follow native_protocol_v4.spec and v5.spec, section 4.1,
 * as Cassandra 5.0 decodes them (QueryOptions.Codec, PrepareMessage, ExecuteMessage,
 * BatchMessage). Every encoder checks its input first and only then writes, so a refused request
 * leaves nothing behind but the writer's sticky error.
 */
#include "cql_req.h"

/* Records ERR as the writer's sticky error unless it already has one; returns the error. */
static int
fail(struct cql_wr *w, int err)
{
    if (w->err == 0) {
        w->err = err;
    }
    return w->err;
}

static bool
version_ok(int version)
{
    return version == CQL_VERSION_V4 || version == CQL_VERSION_V5;
}

/* True when V holds exactly v->count well-formed values (with names when v->named). */
static bool
values_ok(const struct cql_values *v)
{
    struct cql_rd r;

    if (v->count == 0) {
        return true;
    }
    if (v->p == NULL || v->len == 0) {
        return false;
    }
    cql_rd_init(&r, v->p, v->len);
    for (uint16_t i = 0; i < v->count; i++) {
        if (v->named) {
            (void)cql_rd_string(&r);
        }
        (void)cql_rd_value(&r);
    }
    return cql_rd_ok(&r) && cql_rd_left(&r) == 0;
}

static void
write_values(struct cql_wr *w, const struct cql_values *v)
{
    cql_wr_short(w, v->count);
    if (v->count > 0) {
        cql_wr_raw(w, v->p, v->len);
    }
}

static bool
has_paging_state(const struct cql_query_params *qp)
{
    return qp->paging_state.p != NULL && qp->paging_state.len >= 0;
}

/* The flags QP calls for; BATCH takes only serial, timestamp, keyspace and now. */
static int32_t
params_flags(const struct cql_query_params *qp, bool batch)
{
    int32_t flags = 0;

    if (!batch) {
        if (qp->values.count > 0) {
            flags |= CQL_QF_VALUES;
            if (qp->values.named) {
                flags |= CQL_QF_NAMES_FOR_VALUES;
            }
        }
        if (qp->skip_metadata) {
            flags |= CQL_QF_SKIP_METADATA;
        }
        if (qp->page_size > 0) {
            flags |= CQL_QF_PAGE_SIZE;
        }
        if (has_paging_state(qp)) {
            flags |= CQL_QF_PAGING_STATE;
        }
    }
    if (qp->has_serial) {
        flags |= CQL_QF_SERIAL_CONSISTENCY;
    }
    if (qp->has_timestamp) {
        flags |= CQL_QF_DEFAULT_TIMESTAMP;
    }
    if (qp->keyspace.len > 0) {
        flags |= CQL_QF_KEYSPACE;
    }
    if (qp->has_now) {
        flags |= CQL_QF_NOW_IN_SECONDS;
    }
    return flags;
}

/* Checks QP against VERSION before anything is written; returns 0 or a CQL_E* code. */
static int
params_check(int version, const struct cql_query_params *qp, bool batch)
{
    int32_t flags = params_flags(qp, batch);

    if (!cql_version_has_keyspace_param(version)
        && (flags & (CQL_QF_KEYSPACE | CQL_QF_NOW_IN_SECONDS)) != 0) {
        return CQL_EVERSION;
    }
    if (qp->keyspace.len > UINT16_MAX) {
        return CQL_ERANGE;
    }
    if (!batch && !values_ok(&qp->values)) {
        return CQL_EPROTO;
    }
    return 0;
}

/*
 * <consistency><flags>[values][page_size][paging_state][serial][timestamp][keyspace][now], in
 * exactly that order (section 4.1.4); BATCH has the same tail without the first three.
 */
static void
write_params(struct cql_wr *w, int version, const struct cql_query_params *qp, bool batch)
{
    int32_t flags = params_flags(qp, batch);

    cql_wr_short(w, qp->consistency);
    if (cql_version_has_int_flags(version)) {
        cql_wr_int(w, flags);
    } else {
        cql_wr_byte(w, (uint8_t)flags);
    }
    if ((flags & CQL_QF_VALUES) != 0) {
        write_values(w, &qp->values);
    }
    if ((flags & CQL_QF_PAGE_SIZE) != 0) {
        cql_wr_int(w, qp->page_size);
    }
    if ((flags & CQL_QF_PAGING_STATE) != 0) {
        cql_wr_bytes(w, qp->paging_state.p, qp->paging_state.len);
    }
    if ((flags & CQL_QF_SERIAL_CONSISTENCY) != 0) {
        cql_wr_short(w, qp->serial_consistency);
    }
    if ((flags & CQL_QF_DEFAULT_TIMESTAMP) != 0) {
        cql_wr_long(w, qp->timestamp);
    }
    if ((flags & CQL_QF_KEYSPACE) != 0) {
        cql_wr_string(w, qp->keyspace.p, qp->keyspace.len);
    }
    if ((flags & CQL_QF_NOW_IN_SECONDS) != 0) {
        cql_wr_int(w, qp->now_in_seconds);
    }
}

/* The parameters used when a caller passes none: consistency ONE, nothing else. */
static const struct cql_query_params *
params_or_default(const struct cql_query_params *qp, struct cql_query_params *def)
{
    if (qp != NULL) {
        return qp;
    }
    cql_query_params_init(def, CQL_CL_ONE);
    return def;
}

void
cql_query_params_init(struct cql_query_params *qp, uint16_t consistency)
{
    memset(qp, 0, sizeof(*qp));
    qp->consistency = consistency;
    qp->paging_state.len = CQL_NULL;
}

/* ---- handshake ------------------------------------------------------------------------------- */

int
cql_req_startup(struct cql_wr *w, int version, int16_t stream, const char *const *kv,
                size_t npairs)
{
    size_t off;

    if (!version_ok(version)) {
        return fail(w, CQL_EVERSION);
    }
    if (npairs > UINT16_MAX) {
        return fail(w, CQL_ERANGE);
    }
    off = cql_frame_begin(w, version, 0, stream, CQL_OP_STARTUP);
    cql_wr_string_map(w, kv, npairs);
    return cql_frame_finish(w, off);
}

int
cql_req_options(struct cql_wr *w, int version, int16_t stream)
{
    size_t off;

    if (!version_ok(version)) {
        return fail(w, CQL_EVERSION);
    }
    off = cql_frame_begin(w, version, 0, stream, CQL_OP_OPTIONS);
    return cql_frame_finish(w, off);
}

int
cql_req_auth_response(struct cql_wr *w, int version, int16_t stream, const void *token,
                      int32_t len)
{
    size_t off;

    if (!version_ok(version)) {
        return fail(w, CQL_EVERSION);
    }
    off = cql_frame_begin(w, version, 0, stream, CQL_OP_AUTH_RESPONSE);
    cql_wr_bytes(w, token, len < 0 ? CQL_NULL : len);
    return cql_frame_finish(w, off);
}

int
cql_req_auth_plain(struct cql_wr *w, int version, int16_t stream, const char *user,
                   const char *pass)
{
    size_t ulen = strlen(user), plen = strlen(pass), off;

    if (!version_ok(version)) {
        return fail(w, CQL_EVERSION);
    }
    if (ulen > INT32_MAX / 2 || plen > INT32_MAX / 2) {
        return fail(w, CQL_ERANGE);
    }
    off = cql_frame_begin(w, version, 0, stream, CQL_OP_AUTH_RESPONSE);
    cql_wr_int(w, (int32_t)(ulen + plen + 2));
    cql_wr_byte(w, 0);
    cql_wr_raw(w, user, ulen);
    cql_wr_byte(w, 0);
    cql_wr_raw(w, pass, plen);
    return cql_frame_finish(w, off);
}

int
cql_req_sasl_plain(uint8_t *out, size_t cap, const char *user, const char *pass, size_t *len)
{
    size_t ulen = strlen(user), plen = strlen(pass);

    if (ulen > cap || plen > cap || cap - ulen - plen < 2) {
        return CQL_ENOSPC;
    }
    out[0] = 0;
    memcpy(out + 1, user, ulen);
    out[1 + ulen] = 0;
    memcpy(out + 2 + ulen, pass, plen);
    *len = ulen + plen + 2;
    return 0;
}

/* ---- statements ------------------------------------------------------------------------------ */

int
cql_req_query(struct cql_wr *w, int version, int16_t stream, const char *cql, size_t len,
              const struct cql_query_params *qp)
{
    struct cql_query_params def;
    size_t off;
    int rc;

    if (!version_ok(version)) {
        return fail(w, CQL_EVERSION);
    }
    qp = params_or_default(qp, &def);
    rc = params_check(version, qp, false);
    if (rc != 0) {
        return fail(w, rc);
    }
    off = cql_frame_begin(w, version, 0, stream, CQL_OP_QUERY);
    cql_wr_long_string(w, cql, len);
    write_params(w, version, qp, false);
    return cql_frame_finish(w, off);
}

int
cql_req_prepare(struct cql_wr *w, int version, int16_t stream, const char *cql, size_t len,
                struct cql_str keyspace)
{
    size_t off;

    if (!version_ok(version)) {
        return fail(w, CQL_EVERSION);
    }
    if (keyspace.len > 0 && !cql_version_has_keyspace_param(version)) {
        return fail(w, CQL_EVERSION);
    }
    if (keyspace.len > UINT16_MAX) {
        return fail(w, CQL_ERANGE);
    }
    off = cql_frame_begin(w, version, 0, stream, CQL_OP_PREPARE);
    cql_wr_long_string(w, cql, len);
    if (cql_version_has_keyspace_param(version)) {
        cql_wr_int(w, keyspace.len > 0 ? CQL_PF_KEYSPACE : 0);
        if (keyspace.len > 0) {
            cql_wr_string(w, keyspace.p, keyspace.len);
        }
    }
    return cql_frame_finish(w, off);
}

int
cql_req_execute(struct cql_wr *w, int version, int16_t stream, struct cql_bytes id,
                struct cql_bytes result_metadata_id, const struct cql_query_params *qp)
{
    struct cql_query_params def;
    bool with_rmid = cql_version_has_result_metadata_id(version);
    size_t off;
    int rc;

    if (!version_ok(version)) {
        return fail(w, CQL_EVERSION);
    }
    qp = params_or_default(qp, &def);
    rc = params_check(version, qp, false);
    if (rc == 0 && (id.len < 0 || id.len > UINT16_MAX)) {
        rc = CQL_EPROTO;
    }
    if (rc == 0 && with_rmid && result_metadata_id.len > UINT16_MAX) {
        rc = CQL_ERANGE;
    }
    if (rc != 0) {
        return fail(w, rc);
    }
    off = cql_frame_begin(w, version, 0, stream, CQL_OP_EXECUTE);
    cql_wr_short_bytes(w, id.p, (size_t)id.len);
    if (with_rmid) {
        if (result_metadata_id.len > 0) {
            cql_wr_short_bytes(w, result_metadata_id.p, (size_t)result_metadata_id.len);
        } else {
            cql_wr_short(w, 0);
        }
    }
    write_params(w, version, qp, false);
    return cql_frame_finish(w, off);
}

/* Checks one batch statement; returns 0 or a CQL_E* code. */
static int
batch_stmt_check(const struct cql_batch_stmt *s)
{
    if (s->prepared && (s->id.len < 0 || s->id.len > UINT16_MAX)) {
        return CQL_EPROTO;
    }
    if (!s->prepared && s->query.len > INT32_MAX) {
        return CQL_ERANGE;
    }
    if (s->values.count > 0 && s->values.named) {
        return CQL_EPROTO;
    }
    return values_ok(&s->values) ? 0 : CQL_EPROTO;
}

int
cql_req_batch(struct cql_wr *w, int version, int16_t stream, uint8_t type,
              const struct cql_batch_stmt *stmts, uint16_t n, const struct cql_query_params *qp)
{
    struct cql_query_params def;
    size_t off;
    int rc;

    if (!version_ok(version)) {
        return fail(w, CQL_EVERSION);
    }
    qp = params_or_default(qp, &def);
    rc = params_check(version, qp, true);
    for (uint16_t i = 0; rc == 0 && i < n; i++) {
        rc = batch_stmt_check(&stmts[i]);
    }
    if (rc != 0) {
        return fail(w, rc);
    }
    off = cql_frame_begin(w, version, 0, stream, CQL_OP_BATCH);
    cql_wr_byte(w, type);
    cql_wr_short(w, n);
    for (uint16_t i = 0; i < n; i++) {
        const struct cql_batch_stmt *s = &stmts[i];

        cql_wr_byte(w, s->prepared ? 1 : 0);
        if (s->prepared) {
            cql_wr_short_bytes(w, s->id.p, (size_t)s->id.len);
        } else {
            cql_wr_long_string(w, s->query.p, s->query.len);
        }
        write_values(w, &s->values);
    }
    write_params(w, version, qp, true);
    return cql_frame_finish(w, off);
}

int
cql_req_register(struct cql_wr *w, int version, int16_t stream, const char *const *events,
                 size_t n)
{
    size_t off;

    if (!version_ok(version)) {
        return fail(w, CQL_EVERSION);
    }
    if (n > UINT16_MAX) {
        return fail(w, CQL_ERANGE);
    }
    off = cql_frame_begin(w, version, 0, stream, CQL_OP_REGISTER);
    cql_wr_string_list(w, events, n);
    return cql_frame_finish(w, off);
}
