/*
 * cql_resp.c: response decoders. Layouts follow native_protocol_v4.spec and v5.spec, section 4.2
 * and section 9, as Cassandra 5.0 writes them (Message.Decoder, ErrorMessage, ResultSet,
 * ResultMessage, Event). Where the two disagree the server's encoder wins; see the Rows metadata
 * notes below.
 */
#include "cql_resp.h"

/* ---- helpers --------------------------------------------------------------------------------- */

static bool
str_is(struct cql_str s, const char *lit)
{
    size_t n = strlen(lit);

    return s.len == n && (n == 0 || memcmp(s.p, lit, n) == 0);
}

/* Reads a [string list], keeping it as a raw run of *N [string]s at *P (*LEN bytes). */
static void
rd_string_list(struct cql_rd *r, uint16_t *n, const uint8_t **p, size_t *len)
{
    const uint8_t *start;

    *n = cql_rd_short(r);
    start = r->p;
    for (uint16_t i = 0; i < *n && r->err == 0; i++) {
        (void)cql_rd_string(r);
    }
    *p = r->err == 0 ? start : NULL;
    *len = r->err == 0 ? (size_t)(r->p - start) : 0;
    if (r->err != 0) {
        *n = 0;
    }
}

/* Reads a [bytes map], keeping it raw like rd_string_list. */
static void
rd_bytes_map(struct cql_rd *r, uint16_t *n, const uint8_t **p, size_t *len)
{
    const uint8_t *start;

    *n = cql_rd_short(r);
    start = r->p;
    for (uint16_t i = 0; i < *n && r->err == 0; i++) {
        (void)cql_rd_string(r);
        (void)cql_rd_bytes(r);
    }
    *p = r->err == 0 ? start : NULL;
    *len = r->err == 0 ? (size_t)(r->p - start) : 0;
    if (r->err != 0) {
        *n = 0;
    }
}

/* Reads an [int] count that must not be negative. */
static int32_t
rd_count(struct cql_rd *r, const char *what)
{
    int32_t n = cql_rd_int(r);

    if (n < 0) {
        cql_rd_fail(r, CQL_EPROTO, what);
        return 0;
    }
    return n;
}

/* WRITE_TIMEOUT carries <contentions> for CAS writes from v5 on (ErrorMessage.Codec). */
static bool
has_cas_contentions(int version)
{
    return version >= CQL_VERSION_V5;
}

static struct cql_bytes
no_bytes(void)
{
    struct cql_bytes b = { NULL, CQL_NULL };

    return b;
}

/* ---- envelope prefixes ----------------------------------------------------------------------- */

int
cql_resp_open(uint8_t flags, const uint8_t *body, size_t len, struct cql_rd *r,
              struct cql_resp_extra *x)
{
    static const uint8_t empty[1] = { 0 };

    memset(x, 0, sizeof(*x));
    cql_rd_init(r, body != NULL ? body : empty, body != NULL ? len : 0);
    if ((flags & CQL_FLAG_TRACING) != 0) {
        x->tracing_id = cql_rd_uuid(r);
    }
    if ((flags & CQL_FLAG_WARNING) != 0) {
        rd_string_list(r, &x->nwarnings, &x->warnings, &x->warnings_len);
    }
    if ((flags & CQL_FLAG_CUSTOM_PAYLOAD) != 0) {
        rd_bytes_map(r, &x->npayload, &x->payload, &x->payload_len);
    }
    if (r->err != 0) {
        memset(x, 0, sizeof(*x));
    }
    return r->err;
}

int
cql_resp_open_frame(const struct cql_frame *f, const uint8_t *body, size_t len,
                    struct cql_rd *r, struct cql_resp_extra *x)
{
    return cql_resp_open(f->flags, body, len, r, x);
}

/* ---- ERROR ----------------------------------------------------------------------------------- */

/* <cl><received><blockfor>, shared by the timeouts, the failures and CAS_WRITE_UNKNOWN. */
static void
rd_replicas(struct cql_rd *r, struct cql_error *e)
{
    e->consistency = cql_rd_short(r);
    e->received = cql_rd_int(r);
    e->blockfor = cql_rd_int(r);
}

/* v4 <numfailures>, or the v5 <reasonmap>: [int] n, n x ([inetaddr] endpoint, [short] code). */
static void
rd_failures(struct cql_rd *r, int version, struct cql_error *e)
{
    const uint8_t *start;

    e->numfailures = rd_count(r, "negative failure count");
    if (!cql_version_has_failure_reasonmap(version)) {
        return;
    }
    start = r->p;
    for (int32_t i = 0; i < e->numfailures && r->err == 0; i++) {
        (void)cql_rd_inetaddr(r);
        (void)cql_rd_short(r);
    }
    if (r->err == 0) {
        e->reasonmap = start;
        e->reasonmap_len = (size_t)(r->p - start);
    }
}

int
cql_resp_error(struct cql_rd *r, int version, struct cql_error *e)
{
    memset(e, 0, sizeof(*e));
    e->unprepared_id = no_bytes();
    e->code = cql_rd_int(r);
    e->message = cql_rd_string(r);
    if (r->err != 0) {
        return r->err;
    }
    switch (e->code) {
    case CQL_ERRCODE_UNAVAILABLE:
        e->consistency = cql_rd_short(r);
        e->blockfor = cql_rd_int(r);
        e->alive = cql_rd_int(r);
        break;
    case CQL_ERRCODE_WRITE_TIMEOUT:
        rd_replicas(r, e);
        e->write_type = cql_rd_string(r);
        if (r->err == 0 && has_cas_contentions(version) && str_is(e->write_type, "CAS")) {
            e->contentions = cql_rd_short(r);
            e->has_contentions = r->err == 0;
        }
        break;
    case CQL_ERRCODE_READ_TIMEOUT:
        rd_replicas(r, e);
        e->data_present = cql_rd_byte(r) != 0;
        break;
    case CQL_ERRCODE_READ_FAILURE:
        rd_replicas(r, e);
        rd_failures(r, version, e);
        e->data_present = cql_rd_byte(r) != 0;
        break;
    case CQL_ERRCODE_WRITE_FAILURE:
        rd_replicas(r, e);
        rd_failures(r, version, e);
        e->write_type = cql_rd_string(r);
        break;
    case CQL_ERRCODE_CAS_WRITE_UNKNOWN:
        rd_replicas(r, e);
        break;
    case CQL_ERRCODE_FUNCTION_FAILURE:
        e->keyspace = cql_rd_string(r);
        e->function = cql_rd_string(r);
        rd_string_list(r, &e->nargs, &e->arg_types, &e->arg_types_len);
        break;
    case CQL_ERRCODE_ALREADY_EXISTS:
        e->keyspace = cql_rd_string(r);
        e->table = cql_rd_string(r);
        break;
    case CQL_ERRCODE_UNPREPARED:
        e->unprepared_id = cql_rd_short_bytes(r);
        break;
    default:
        break;
    }
    return r->err;
}

/* ---- handshake ------------------------------------------------------------------------------- */

int
cql_resp_authenticate(struct cql_rd *r, struct cql_str *authenticator)
{
    *authenticator = cql_rd_string(r);
    return r->err;
}

int
cql_resp_auth_token(struct cql_rd *r, struct cql_bytes *token)
{
    *token = cql_rd_bytes(r);
    return r->err;
}

void
cql_resp_multimap_init(struct cql_resp_multimap *m, const uint8_t *body, size_t len)
{
    static const uint8_t empty[1] = { 0 };

    cql_rd_init(&m->r, body != NULL ? body : empty, body != NULL ? len : 0);
    m->left = cql_rd_short(&m->r);
}

int
cql_resp_multimap_next(struct cql_resp_multimap *m, struct cql_str *key, struct cql_rd *values,
                       uint16_t *nvalues)
{
    const uint8_t *start;
    uint16_t n;

    if (m->r.err != 0) {
        return m->r.err;
    }
    if (m->left == 0) {
        return 0;
    }
    *key = cql_rd_string(&m->r);
    n = cql_rd_short(&m->r);
    start = m->r.p;
    for (uint16_t i = 0; i < n && m->r.err == 0; i++) {
        (void)cql_rd_string(&m->r);
    }
    if (m->r.err != 0) {
        return m->r.err;
    }
    cql_rd_init(values, start, (size_t)(m->r.p - start));
    *nvalues = n;
    m->left--;
    return 1;
}

bool
cql_resp_supported_has(const uint8_t *body, size_t len, const char *key, const char *value)
{
    struct cql_resp_multimap m;
    struct cql_str k;
    struct cql_rd vals;
    uint16_t n;
    bool found = false;
    int rc;

    /* The whole multimap is walked, so a truncated body is refused even after a match. */
    cql_resp_multimap_init(&m, body, len);
    rc = cql_resp_multimap_next(&m, &k, &vals, &n);
    while (rc == 1) {
        for (uint16_t i = 0; i < n && !found && str_is(k, key); i++) {
            found = str_is(cql_rd_string(&vals), value);
        }
        rc = cql_resp_multimap_next(&m, &k, &vals, &n);
    }
    return rc == 0 && found;
}

/* ---- RESULT ---------------------------------------------------------------------------------- */

/*
 * [<global_table_spec>] <col_spec_1>...<col_spec_n>: each spec is [ks][table] (unless global),
 * [string] name and an [option] type. Every spec takes at least 4 bytes, which bounds N before
 * the array is allocated, so a hostile count cannot ask for gigabytes.
 */
static int
rd_col_specs(struct cql_rd *r, int32_t flags, int32_t n, const struct cql_alloc *a,
             struct cql_col_spec **out)
{
    struct cql_str gks = { NULL, 0 }, gtable = { NULL, 0 };
    bool global = (flags & CQL_MF_GLOBAL_TABLES_SPEC) != 0;
    struct cql_col_spec *cols;

    *out = NULL;
    if (global) {
        gks = cql_rd_string(r);
        gtable = cql_rd_string(r);
    }
    if (r->err != 0 || n == 0) {
        return r->err;
    }
    if ((size_t)n > cql_rd_left(r) / 4) {
        return cql_rd_fail(r, CQL_EPROTO, "column count exceeds the message");
    }
    cols = cql_alloc(a, (size_t)n * sizeof(*cols));
    if (cols == NULL) {
        return cql_rd_fail(r, CQL_ENOMEM, "no memory for column specs");
    }
    for (int32_t i = 0; i < n; i++) {
        struct cql_type *t = NULL;
        int rc;

        cols[i].keyspace = global ? gks : cql_rd_string(r);
        cols[i].table = global ? gtable : cql_rd_string(r);
        cols[i].name = cql_rd_string(r);
        if (r->err != 0) {
            return r->err;
        }
        rc = cql_type_read_option(r, a, &t);
        if (rc != 0) {
            return cql_rd_fail(r, rc, "malformed column type");
        }
        cols[i].type = t;
    }
    *out = cols;
    return 0;
}

/*
 * Rows metadata: <flags><columns_count>[<paging_state>][<new_metadata_id>][specs]. Cassandra's
 * encoder (ResultSet.ResultMetadata.Codec.encode) writes the paging state before the new
 * metadata id, as the spec says; its own decoder reads them the other way round, which only
 * matters when both flags are set, and the server's byte order is what arrives here.
 */
static int
rd_rows_meta(struct cql_rd *r, int version, const struct cql_alloc *a, struct cql_rows_meta *m)
{
    m->flags = cql_rd_int(r);
    m->columns_count = rd_count(r, "negative column count");
    m->paging_state = no_bytes();
    m->new_metadata_id = no_bytes();
    m->cols = NULL;
    if (r->err != 0) {
        return r->err;
    }
    if ((m->flags & CQL_MF_HAS_MORE_PAGES) != 0) {
        m->paging_state = cql_rd_bytes(r);
    }
    if ((m->flags & CQL_MF_METADATA_CHANGED) != 0) {
        if (!cql_version_has_result_metadata_id(version)) {
            return cql_rd_fail(r, CQL_EPROTO, "metadata_changed flag before protocol v5");
        }
        m->new_metadata_id = cql_rd_short_bytes(r);
    }
    if (r->err != 0 || (m->flags & CQL_MF_NO_METADATA) != 0) {
        return r->err;
    }
    return rd_col_specs(r, m->flags, m->columns_count, a, &m->cols);
}

/* Bind metadata: <flags><columns_count><pk_count><pk_index...>[specs] (pk_count since v4). */
static int
rd_prepared_meta(struct cql_rd *r, const struct cql_alloc *a, struct cql_prepared_meta *m)
{
    m->flags = cql_rd_int(r);
    m->columns_count = rd_count(r, "negative bind marker count");
    m->pk_count = rd_count(r, "negative partition key count");
    m->pk_index = NULL;
    m->cols = NULL;
    if (r->err != 0) {
        return r->err;
    }
    if (m->pk_count > 0) {
        if ((size_t)m->pk_count > cql_rd_left(r) / 2) {
            return cql_rd_fail(r, CQL_EPROTO, "partition key count exceeds the message");
        }
        m->pk_index = cql_alloc(a, (size_t)m->pk_count * sizeof(*m->pk_index));
        if (m->pk_index == NULL) {
            return cql_rd_fail(r, CQL_ENOMEM, "no memory for partition key indexes");
        }
        for (int32_t i = 0; i < m->pk_count; i++) {
            m->pk_index[i] = cql_rd_short(r);
        }
    }
    return rd_col_specs(r, m->flags, m->columns_count, a, &m->cols);
}

/* <change_type><target><options>, the options depending on the target (section 4.2.6). */
static int
rd_schema_change(struct cql_rd *r, struct cql_schema_change *sc)
{
    sc->change_type = cql_rd_string(r);
    sc->target = cql_rd_string(r);
    sc->keyspace = cql_rd_string(r);
    if (r->err != 0) {
        return r->err;
    }
    if (str_is(sc->target, "KEYSPACE")) {
        return 0;
    }
    if (str_is(sc->target, "TABLE") || str_is(sc->target, "TYPE")) {
        sc->name = cql_rd_string(r);
        return r->err;
    }
    if (str_is(sc->target, "FUNCTION") || str_is(sc->target, "AGGREGATE")) {
        sc->name = cql_rd_string(r);
        rd_string_list(r, &sc->nargs, &sc->arg_types, &sc->arg_types_len);
        return r->err;
    }
    return cql_rd_fail(r, CQL_EPROTO, "unknown schema change target");
}

/* Rows content: rows_count rows of columns_count [bytes], checked but left in place. */
static int
rd_rows(struct cql_rd *r, struct cql_result *res)
{
    int32_t ncols = res->meta.columns_count;
    const uint8_t *start;

    res->rows_count = rd_count(r, "negative row count");
    start = r->p;
    if (ncols > 0) {
        for (int32_t i = 0; i < res->rows_count && r->err == 0; i++) {
            for (int32_t j = 0; j < ncols && r->err == 0; j++) {
                (void)cql_rd_bytes(r);
            }
        }
    }
    if (r->err != 0) {
        return r->err;
    }
    res->rows = start;
    res->rows_len = (size_t)(r->p - start);
    return 0;
}

int
cql_resp_result(struct cql_rd *r, int version, const struct cql_alloc *a, struct cql_result *res)
{
    memset(res, 0, sizeof(*res));
    res->meta.paging_state = no_bytes();
    res->meta.new_metadata_id = no_bytes();
    res->prepared_id = no_bytes();
    res->result_metadata_id = no_bytes();
    res->kind = cql_rd_int(r);
    if (r->err != 0) {
        return r->err;
    }
    switch (res->kind) {
    case CQL_RESULT_VOID:
        return 0;
    case CQL_RESULT_ROWS:
        if (rd_rows_meta(r, version, a, &res->meta) != 0) {
            return r->err;
        }
        return rd_rows(r, res);
    case CQL_RESULT_SET_KEYSPACE:
        res->keyspace = cql_rd_string(r);
        return r->err;
    case CQL_RESULT_PREPARED:
        res->prepared_id = cql_rd_short_bytes(r);
        if (cql_version_has_result_metadata_id(version)) {
            res->result_metadata_id = cql_rd_short_bytes(r);
        }
        if (r->err != 0 || rd_prepared_meta(r, a, &res->bind) != 0) {
            return r->err;
        }
        return rd_rows_meta(r, version, a, &res->meta);
    case CQL_RESULT_SCHEMA_CHANGE:
        return rd_schema_change(r, &res->schema);
    default:
        return cql_rd_fail(r, CQL_EPROTO, "unknown result kind");
    }
}

int
cql_rows_next(struct cql_rd *rows, int32_t ncols, struct cql_bytes *cells)
{
    for (int32_t i = 0; i < ncols; i++) {
        cells[i] = cql_rd_bytes(rows);
    }
    return rows->err;
}

/* ---- EVENT ----------------------------------------------------------------------------------- */

int
cql_resp_event(struct cql_rd *r, int version, struct cql_event *ev)
{
    (void)version;
    memset(ev, 0, sizeof(*ev));
    ev->type = cql_rd_string(r);
    if (r->err != 0) {
        return r->err;
    }
    if (str_is(ev->type, "TOPOLOGY_CHANGE") || str_is(ev->type, "STATUS_CHANGE")) {
        ev->change = cql_rd_string(r);
        ev->node = cql_rd_inet(r);
        return r->err;
    }
    if (str_is(ev->type, "SCHEMA_CHANGE")) {
        if (rd_schema_change(r, &ev->schema) == 0) {
            ev->change = ev->schema.change_type;
        }
        return r->err;
    }
    return 0;
}
