/*
 * doc_shred.c: documents to rows and back (see doc_shred.h).
 *
 * Layout of this file:
 *   the table       column lists and the collection check
 *   names           Stargate's escape pairs \. \, \* and the key check
 *   shredding       a JSON tree to rows in document order, and the INSERT values of a row
 *   reassembly      rows to a tree by JsonConverter's rules, then the tree to JSON
 *   fields          the `fields` parameter and DocsApiUtils.isRowOnPath
 *
 * Reassembly keeps what Stargate keeps: a write time per path (a hash table keyed by the path's
 * segments) and a tree whose containers are replaced when a newer row needs the other kind. A
 * path key is "$" and then, per segment, its length (4 bytes) and its text, so a key holding a
 * '.' cannot be mistaken for two segments.
 */
#include "docs/doc_shred.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_w.h"
#include "cql_value.h"

/* Appends the string literal S to the writer W. */
#define WR_LIT(w, s) cql_wr_raw((w), (s), sizeof(s) - 1)

static const char *const value_columns[] = { "leaf", "text_value", "dbl_value", "bool_value" };

/* ---- the table ------------------------------------------------------------------------------- */

/* Appends "p<I>". */
static void
wr_pcol(struct cql_wr *w, int i)
{
    char name[8];
    int n = snprintf(name, sizeof(name), "p%d", i);

    cql_wr_raw(w, name, (size_t)n);
}

void
doc_shred_columns(struct cql_wr *w)
{
    WR_LIT(w, "key");
    for (int i = 0; i < DOC_SHRED_DEPTH; i++) {
        WR_LIT(w, ", ");
        wr_pcol(w, i);
    }
    for (size_t i = 0; i < ARRAY_SIZE(value_columns); i++) {
        WR_LIT(w, ", ");
        cql_wr_raw(w, value_columns[i], strlen(value_columns[i]));
    }
}

void
doc_shred_table_columns(struct cql_wr *w, bool numeric_bools)
{
    WR_LIT(w, "(key text");
    for (int i = 0; i < DOC_SHRED_DEPTH; i++) {
        WR_LIT(w, ", ");
        wr_pcol(w, i);
        WR_LIT(w, " text");
    }
    WR_LIT(w, ", leaf text, text_value text, dbl_value double, bool_value ");
    if (numeric_bools) {
        WR_LIT(w, "tinyint");
    } else {
        WR_LIT(w, "boolean");
    }
    WR_LIT(w, ", PRIMARY KEY ((key)");
    for (int i = 0; i < DOC_SHRED_DEPTH; i++) {
        WR_LIT(w, ", ");
        wr_pcol(w, i);
    }
    WR_LIT(w, "))");
}

/* The depth of a path column name "p<n>" (n in 0..63, no leading zero), or -1. */
static int
pcol_index(struct cql_str name)
{
    int n = 0;

    if (name.len < 2 || name.len > 3 || name.p[0] != 'p' || (name.len == 3 && name.p[1] == '0')) {
        return -1;
    }
    for (size_t i = 1; i < name.len; i++) {
        if (name.p[i] < '0' || name.p[i] > '9') {
            return -1;
        }
        n = n * 10 + (name.p[i] - '0');
    }
    return n < DOC_SHRED_DEPTH ? n : -1;
}

static bool
str_is(struct cql_str s, const char *lit)
{
    return s.len == strlen(lit) && memcmp(s.p, lit, s.len) == 0;
}

bool
doc_shred_is_collection(const struct cass_meta_table *t)
{
    uint64_t seen = 0;
    uint32_t nvalues = t->ncolumns - t->npartition - t->nclustering;

    if (t->is_view || t->npartition != 1 || !str_is(t->columns[0].name, "key")
        || t->nclustering != DOC_SHRED_DEPTH || nvalues != ARRAY_SIZE(value_columns)) {
        return false;
    }
    for (uint32_t i = 0; i < t->nclustering; i++) {
        int n = pcol_index(t->columns[t->npartition + i].name);

        if (n < 0) {
            return false;
        }
        seen |= (uint64_t)1 << n;
    }
    if (seen != UINT64_MAX) {
        return false;                   /* a name twice cannot happen; the check costs nothing */
    }
    for (uint32_t i = t->npartition + t->nclustering; i < t->ncolumns; i++) {
        bool known = false;

        for (size_t k = 0; k < ARRAY_SIZE(value_columns); k++) {
            known = known || str_is(t->columns[i].name, value_columns[k]);
        }
        if (!known) {
            return false;
        }
    }
    return true;
}

/* ---- names ----------------------------------------------------------------------------------- */

/* True when S[I] starts one of the escape pairs \. \, \* */
static bool
escape_pair_at(const char *s, size_t len, size_t i)
{
    return s[i] == '\\' && i + 1 < len && (s[i + 1] == '.' || s[i + 1] == ',' || s[i + 1] == '*');
}

/*
 * DocsApiUtils.containsIllegalSequences: with the escape pairs taken out (left to right, as a
 * regex replace does), the name must hold no '.', '[', '\'' or '\\'.
 */
static bool
key_illegal(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (escape_pair_at(s, len, i)) {
            i++;
        } else if (s[i] == '.' || s[i] == '[' || s[i] == '\'' || s[i] == '\\') {
            return true;
        }
    }
    return false;
}

/* DocsApiUtils.convertEscapedCharacters: S with the backslash of each escape pair dropped. */
static struct cql_str
unescape(struct arena *a, const char *s, size_t len)
{
    struct cql_str out = { s, len };
    char *buf = NULL;
    size_t o = 0;

    for (size_t i = 0; i < len; i++) {
        if (escape_pair_at(s, len, i)) {
            if (buf == NULL) {
                buf = arena_alloc(a, len);
                memcpy(buf, s, i);
                o = i;
            }
            i++;
        }
        if (buf != NULL) {
            buf[o++] = s[i];
        }
    }
    if (buf != NULL) {
        out.p = buf;
        out.len = o;
    }
    return out;
}

/* FNV-1a of P (LEN bytes), never 0 (a free slot's mark in the tables below). */
static uint64_t
key_hash(const uint8_t *p, size_t len)
{
    uint64_t h = 1469598103934665603ULL;         /* FNV-1a */

    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h == 0 ? 1 : h;
}

/* ---- shredding ------------------------------------------------------------------------------- */

/* One shredding run. */
struct shred {
    struct arena          *a;       /* for segments, rows and messages */
    struct doc_shred_rows *out;     /* the rows so far */
    struct doc_shred_err  *err;     /* the failure, once there is one */
};

static int
shred_fail(struct shred *s, const char *desc)
{
    s->err->desc = desc;
    s->err->len = strlen(desc);
    return E_INVALID;
}

static struct doc_shred_seg *
seg_new(struct shred *s, const struct doc_shred_seg *parent, const char *p, size_t len)
{
    struct doc_shred_seg *g = arena_alloc(s->a, sizeof(*g));

    g->parent = parent;
    g->p = p;
    g->len = len;
    g->depth = parent != NULL ? parent->depth + 1 : 1;
    return g;
}

/* A row at PATH; Stargate checks the depth as each row is built. */
static struct doc_shred_row *
row_new(struct shred *s, const struct doc_shred_seg *path)
{
    struct doc_shred_rows *rows = s->out;
    struct doc_shred_row *r;

    if (path->depth > DOC_SHRED_DEPTH) {
        (void)shred_fail(s, "Max depth of 64 exceeded.");
        return NULL;
    }
    if (rows->n == rows->cap) {
        size_t cap = rows->cap == 0 ? 16 : rows->cap * 2;
        struct doc_shred_row *v = arena_alloc(s->a, cap * sizeof(*v));

        if (rows->n > 0) {
            memcpy(v, rows->v, rows->n * sizeof(*v));
        }
        rows->v = v;
        rows->cap = cap;
    }
    r = &rows->v[rows->n++];
    memset(r, 0, sizeof(*r));
    r->leaf = path;
    return r;
}

static int
row_string(struct shred *s, const struct doc_shred_seg *path, const char *p, size_t len)
{
    struct doc_shred_row *r = row_new(s, path);

    if (r == NULL) {
        return E_INVALID;
    }
    r->type = DOC_SHRED_STRING;
    r->s = p;
    r->len = len;
    return 0;
}

/*
 * The double of a JSON number's text, correctly rounded as Jackson's asDouble is. An integer
 * zero is +0.0: Jackson reads "-0" as the int 0.
 */
static double
number_of(struct shred *s, const struct cql_json_node *v)
{
    char small[64];
    char *buf = v->len < sizeof(small) ? small : arena_alloc(s->a, v->len + 1);
    double d;

    memcpy(buf, v->s, v->len);
    buf[v->len] = '\0';
    d = strtod(buf, NULL);
    return v->integral && d == 0 ? 0.0 : d;
}

static int shred_node(struct shred *s, const struct cql_json_node *v,
                      const struct doc_shred_seg *path);

static int
shred_array(struct shred *s, const struct cql_json_node *v, const struct doc_shred_seg *path)
{
    size_t idx = 0;

    if (v->n == 0) {
        return row_string(s, path, DOC_SHRED_EMPTY_ARRAY, sizeof(DOC_SHRED_EMPTY_ARRAY) - 1);
    }
    if (v->n > DOC_SHRED_MAX_ARRAY) {
        return shred_fail(s, "Max array length of 1000000 exceeded.");
    }
    for (const struct cql_json_node *e = v->child; e != NULL; e = e->next, idx++) {
        char *p = arena_alloc(s->a, 9);
        int rc;

        snprintf(p, 9, "[%06zu]", idx);
        rc = shred_node(s, e, seg_new(s, path, p, 8));
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

/*
 * The members of object V as Jackson's ObjectNode holds them: a repeated name keeps the place of
 * its first occurrence and the value of its last. Fills MEMBERS (V->n slots) with the member to
 * use at each place, NULL where a repeat was folded into an earlier place. Names are found again
 * through a hash table of places, so a large object costs one pass.
 */
static void
members_of(struct shred *s, const struct cql_json_node *v, const struct cql_json_node **members)
{
    size_t cap = 16;
    size_t *slot;                   /* a place + 1, or 0 when free */
    size_t i = 0;

    while (cap < v->n * 2) {
        cap *= 2;
    }
    slot = arena_alloc(s->a, cap * sizeof(*slot));
    memset(slot, 0, cap * sizeof(*slot));
    for (const struct cql_json_node *m = v->child; m != NULL; m = m->next, i++) {
        size_t k = (size_t)key_hash((const uint8_t *)m->name, m->name_len) & (cap - 1);

        members[i] = m;
        while (slot[k] != 0) {
            const struct cql_json_node *first = members[slot[k] - 1];

            if (first->name_len == m->name_len
                && (m->name_len == 0 || memcmp(first->name, m->name, m->name_len) == 0)) {
                members[slot[k] - 1] = m;
                members[i] = NULL;
                break;
            }
            k = (k + 1) & (cap - 1);
        }
        if (slot[k] == 0) {
            slot[k] = i + 1;
        }
    }
}

static int
shred_object(struct shred *s, const struct cql_json_node *v, const struct doc_shred_seg *path)
{
    const struct cql_json_node **members;

    if (v->n == 0) {
        return row_string(s, path, DOC_SHRED_EMPTY_OBJECT, sizeof(DOC_SHRED_EMPTY_OBJECT) - 1);
    }
    members = arena_alloc(s->a, v->n * sizeof(*members));
    members_of(s, v, members);
    for (size_t i = 0; i < v->n; i++) {
        const struct cql_json_node *m = members[i];
        struct cql_str key;
        int rc;

        if (m == NULL) {
            continue;
        }
        if (m->name_len == 0) {
            return shred_fail(s, "JSON objects containing empty field names are not supported "
                                 "at the moment.");
        }
        if (key_illegal(m->name, m->name_len)) {
            static const char head[] = "Array paths contained in square brackets, periods, "
                                       "single quotes, and backslash are not allowed in field "
                                       "names, invalid field ";
            struct cql_wr msg;

            cql_wr_init(&msg, NULL, 0, arena_wr_grow, s->a);
            WR_LIT(&msg, head);
            cql_wr_raw(&msg, m->name, m->name_len);
            s->err->desc = (const char *)msg.p;
            s->err->len = msg.len;
            return E_INVALID;
        }
        key = unescape(s->a, m->name, m->name_len);
        rc = shred_node(s, m, seg_new(s, path, key.p, key.len));
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

static int
shred_node(struct shred *s, const struct cql_json_node *v, const struct doc_shred_seg *path)
{
    struct doc_shred_row *r;

    switch (v->kind) {
    case CQL_JSON_ARRAY:
        return shred_array(s, v, path);
    case CQL_JSON_OBJECT:
        return shred_object(s, v, path);
    case CQL_JSON_STRING:
        return row_string(s, path, v->s, v->len);
    default:
        break;
    }
    r = row_new(s, path);
    if (r == NULL) {
        return E_INVALID;
    }
    if (v->kind == CQL_JSON_TRUE || v->kind == CQL_JSON_FALSE) {
        r->type = DOC_SHRED_BOOL;
        r->b = v->kind == CQL_JSON_TRUE;
    } else if (v->kind == CQL_JSON_NUMBER) {
        r->type = DOC_SHRED_NUMBER;
        r->d = number_of(s, v);
    }
    return 0;
}

int
doc_shred_json(const struct cql_json_node *root, const struct doc_shred_seg *prefix,
               struct arena *a, struct doc_shred_rows *out, struct doc_shred_err *err)
{
    struct shred s = { a, out, err };

    memset(out, 0, sizeof(*out));
    err->desc = NULL;
    err->len = 0;
    if (prefix == NULL) {
        bool container = root->kind == CQL_JSON_OBJECT || root->kind == CQL_JSON_ARRAY;

        if (container && root->n == 0) {
            return shred_fail(&s, "Updating a key with just an empty object or an empty array "
                                  "is not allowed. Hint: update the parent path with a defined "
                                  "object instead.");
        }
        if (!container) {
            return shred_fail(&s, "Updating a key with just a JSON primitive is not allowed. "
                                  "Hint: update the parent path with a defined object instead.");
        }
        return root->kind == CQL_JSON_ARRAY ? shred_array(&s, root, NULL)
                                            : shred_object(&s, root, NULL);
    }
    return shred_node(&s, root, prefix);
}

size_t
doc_shred_path(const struct doc_shred_row *row, struct cql_str path[DOC_SHRED_DEPTH])
{
    size_t n = row->leaf->depth;

    ASSERT(n >= 1 && n <= DOC_SHRED_DEPTH);
    for (const struct doc_shred_seg *g = row->leaf; g != NULL; g = g->parent) {
        path[g->depth - 1].p = g->p;
        path[g->depth - 1].len = g->len;
    }
    return n;
}

uint16_t
doc_shred_bind(struct cql_wr *w, const struct doc_shred_row *row, const char *id, size_t id_len,
               int32_t ttl, int64_t ts)
{
    struct cql_str path[DOC_SHRED_DEPTH];
    size_t n = doc_shred_path(row, path);
    uint8_t b[8];

    cql_wr_bytes(w, id, (int32_t)id_len);
    for (size_t i = 0; i < DOC_SHRED_DEPTH; i++) {
        cql_wr_bytes(w, i < n ? path[i].p : "", i < n ? (int32_t)path[i].len : 0);
    }
    cql_wr_bytes(w, row->leaf->p, (int32_t)row->leaf->len);
    cql_wr_bytes(w, row->s, row->type == DOC_SHRED_STRING ? (int32_t)row->len : -1);
    if (row->type == DOC_SHRED_NUMBER) {
        uint64_t bits;

        memcpy(&bits, &row->d, sizeof(bits));
        cql_put_be64(b, bits);
        cql_wr_bytes(w, b, 8);
    } else {
        cql_wr_bytes(w, NULL, -1);
    }
    b[0] = row->b ? 1 : 0;
    cql_wr_bytes(w, b, row->type == DOC_SHRED_BOOL ? 1 : -1);
    if (ttl >= 0) {
        cql_put_be32(b, (uint32_t)ttl);
        cql_wr_bytes(w, b, 4);
    }
    cql_put_be64(b, (uint64_t)ts);
    cql_wr_bytes(w, b, 8);
    return (uint16_t)(DOC_SHRED_NCOLS + 1 + (ttl >= 0 ? 1 : 0));
}

/* ---- reassembly: reading rows ---------------------------------------------------------------- */

static struct cql_str
cell_str(struct cql_bytes c)
{
    struct cql_str s = { "", 0 };

    if (c.len > 0) {
        s.p = (const char *)c.p;
        s.len = (size_t)c.len;
    }
    return s;
}

void
doc_shred_cells(const struct cql_bytes *cells, struct doc_shred_in *in)
{
    const struct cql_bytes *text = &cells[DOC_SHRED_DEPTH + 2];
    const struct cql_bytes *dbl = &cells[DOC_SHRED_DEPTH + 3];
    const struct cql_bytes *b = &cells[DOC_SHRED_DEPTH + 4];
    const struct cql_bytes *wt = &cells[DOC_SHRED_DEPTH + 5];

    memset(in, 0, sizeof(*in));
    for (int i = 0; i < DOC_SHRED_DEPTH; i++) {
        in->p[i] = cell_str(cells[1 + i]);
    }
    in->leaf = cell_str(cells[DOC_SHRED_DEPTH + 1]);
    in->has_text = text->len >= 0;
    in->text = cell_str(*text);
    if (dbl->len == 8) {
        uint64_t bits = cql_be64(dbl->p);

        memcpy(&in->dbl, &bits, sizeof(in->dbl));
        in->has_dbl = true;
    } else if (dbl->len == 4) {
        uint32_t bits = cql_be32(dbl->p);
        float f;

        memcpy(&f, &bits, sizeof(f));
        in->dbl = f;
        in->has_dbl = true;
    }
    if (b->len > 0) {
        in->has_bool = true;
        for (int32_t i = 0; i < b->len; i++) {
            in->boolean = in->boolean || b->p[i] != 0;
        }
    }
    in->writetime = wt->len == 8 ? (int64_t)cql_be64(wt->p) : 0;
}

/* ---- reassembly: the tree -------------------------------------------------------------------- */

enum node_kind {
    NODE_NULL = 0,
    NODE_STRING,
    NODE_LONG,
    NODE_DOUBLE,
    NODE_BOOL,
    NODE_OBJECT,
    NODE_ARRAY,
};

struct member {
    const char            *key;     /* member name (arena) */
    size_t                 len;     /* its length */
    struct doc_shred_node *value;   /* its value */
    struct member         *next;    /* next member, in the order they came */
};

struct doc_shred_node {
    uint8_t kind;                               /* enum node_kind */
    int64_t wt;                                 /* newest write time of the rows under it */
    union {
        bool    b;                              /* BOOL */
        int64_t l;                              /* LONG */
        double  d;                              /* DOUBLE */
        struct {
            const char *p;                      /* STRING (arena) */
            size_t      len;
        } s;
        struct {
            struct member *first, *last;        /* OBJECT, in order */
        } obj;
        struct {
            struct doc_shred_node **v;          /* ARRAY; NULL slots are nulls (arena) */
            size_t                  n, cap;
        } arr;
    } u;
};

static struct doc_shred_node *
node_new(struct arena *a, int kind)
{
    struct doc_shred_node *n = arena_alloc(a, sizeof(*n));

    memset(n, 0, sizeof(*n));
    n->kind = (uint8_t)kind;
    n->wt = INT64_MIN;
    return n;
}

static bool
is_null(const struct doc_shred_node *n)
{
    return n == NULL || n->kind == NODE_NULL;
}

/* The member KEY of object O, or NULL. Rows come sorted, so the last member is tried first. */
static struct member *
obj_find(struct doc_shred_node *o, struct cql_str key)
{
    struct member *m = o->u.obj.last;

    if (m != NULL && m->len == key.len && memcmp(m->key, key.p, key.len) == 0) {
        return m;
    }
    for (m = o->u.obj.first; m != NULL; m = m->next) {
        if (m->len == key.len && memcmp(m->key, key.p, key.len) == 0) {
            return m;
        }
    }
    return NULL;
}

static struct member *
obj_add(struct arena *a, struct doc_shred_node *o, struct cql_str key, struct doc_shred_node *v)
{
    struct member *m = arena_alloc(a, sizeof(*m));

    m->key = arena_memdup(a, key.p, key.len);
    m->len = key.len;
    m->value = v;
    m->next = NULL;
    if (o->u.obj.last != NULL) {
        o->u.obj.last->next = m;
    } else {
        o->u.obj.first = m;
    }
    o->u.obj.last = m;
    return m;
}

/* Grows array A to at least N elements, new ones null. */
static void
arr_pad(struct arena *a, struct doc_shred_node *arr, size_t n)
{
    if (n > arr->u.arr.cap) {
        size_t cap = arr->u.arr.cap < 4 ? 4 : arr->u.arr.cap;
        struct doc_shred_node **v;

        while (cap < n) {
            cap *= 2;
        }
        v = arena_alloc(a, cap * sizeof(*v));
        if (arr->u.arr.n > 0) {
            memcpy(v, arr->u.arr.v, arr->u.arr.n * sizeof(*v));
        }
        arr->u.arr.v = v;
        arr->u.arr.cap = cap;
    }
    while (arr->u.arr.n < n) {
        arr->u.arr.v[arr->u.arr.n++] = NULL;
    }
}

/* ---- reassembly: write times per path -------------------------------------------------------- */

struct wslot {
    uint64_t       hash;            /* of the key; 0 marks a free slot */
    const uint8_t *key;             /* the path key (arena) */
    size_t         len;             /* its length */
    int64_t        wt;              /* the write time recorded for it */
};

struct doc_shred_wmap {
    struct wslot *slots;            /* open addressing, linear probing (arena) */
    size_t        cap;              /* a power of two */
    size_t        n;                /* slots in use */
};


static struct wslot *
wmap_slot(const struct doc_shred_wmap *m, const uint8_t *key, size_t len, uint64_t h)
{
    size_t i = (size_t)h & (m->cap - 1);

    for (;;) {
        struct wslot *s = &m->slots[i];

        if (s->hash == 0 || (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0)) {
            return s;
        }
        i = (i + 1) & (m->cap - 1);
    }
}

/* The write time recorded for KEY, or NULL. */
static const int64_t *
wmap_get(const struct doc_shred_wmap *m, const struct cql_wr *key)
{
    const struct wslot *s = wmap_slot(m, key->p, key->len, key_hash(key->p, key->len));

    return s->hash != 0 ? &s->wt : NULL;
}

static void
wmap_put(struct arena *a, struct doc_shred_wmap *m, const struct cql_wr *key, int64_t wt)
{
    uint64_t h = key_hash(key->p, key->len);
    struct wslot *s;

    if ((m->n + 1) * 10 > m->cap * 7) {
        struct doc_shred_wmap grown = { NULL, m->cap * 2, m->n };

        grown.slots = arena_alloc(a, grown.cap * sizeof(*grown.slots));
        memset(grown.slots, 0, grown.cap * sizeof(*grown.slots));
        for (size_t i = 0; i < m->cap; i++) {
            if (m->slots[i].hash != 0) {
                *wmap_slot(&grown, m->slots[i].key, m->slots[i].len, m->slots[i].hash)
                    = m->slots[i];
            }
        }
        *m = grown;
    }
    s = wmap_slot(m, key->p, key->len, h);
    if (s->hash == 0) {
        s->hash = h;
        s->key = arena_memdup(a, key->p, key->len);
        s->len = key->len;
        m->n++;
    }
    s->wt = wt;
}

/* Appends segment SEG to the path key. */
static void
key_push(struct cql_wr *key, struct cql_str seg)
{
    cql_wr_int(key, (int32_t)seg.len);
    cql_wr_raw(key, seg.p, seg.len);
}

/* ---- reassembly: rows ------------------------------------------------------------------------ */

void
doc_shred_asm_init(struct doc_shred_asm *d, struct arena *a)
{
    memset(d, 0, sizeof(*d));
    d->a = a;
    d->root = node_new(a, NODE_OBJECT);
    d->times = arena_alloc(a, sizeof(*d->times));
    d->times->cap = 64;
    d->times->n = 0;
    d->times->slots = arena_alloc(a, d->times->cap * sizeof(*d->times->slots));
    memset(d->times->slots, 0, d->times->cap * sizeof(*d->times->slots));
    cql_wr_init(&d->key, NULL, 0, arena_wr_grow, a);
}

/*
 * The index of an array segment "[n]" (Integer.parseInt of what is between the brackets), or
 * -1 when it does not read as one below DOC_SHRED_MAX_ARRAY. Stargate would fail the whole read
 * on such a row; here only the row is lost.
 */
static long
index_of(struct cql_str p)
{
    long n = 0;

    if (p.len < 3 || p.p[p.len - 1] != ']') {
        return -1;
    }
    for (size_t i = 1; i + 1 < p.len; i++) {
        if (p.p[i] < '0' || p.p[i] > '9') {
            return -1;
        }
        n = n * 10 + (p.p[i] - '0');
        if (n >= DOC_SHRED_MAX_ARRAY) {
            return -1;
        }
    }
    return n;
}

/* Java's (long) D: NaN is 0, and values out of range saturate. */
static int64_t
java_long(double d)
{
    if (isnan(d)) {
        return 0;
    }
    if (d >= 9223372036854775807.0) {
        return INT64_MAX;
    }
    if (d <= -9223372036854775808.0) {
        return INT64_MIN;
    }
    return (int64_t)d;
}

/* The value node of a row (JsonConverter.writeLeafIfNewer). */
static struct doc_shred_node *
leaf_value(struct doc_shred_asm *d, const struct doc_shred_in *in)
{
    struct doc_shred_node *n;

    if (in->has_text) {
        if (str_is(in->text, DOC_SHRED_EMPTY_OBJECT)) {
            return node_new(d->a, NODE_OBJECT);
        }
        if (str_is(in->text, DOC_SHRED_EMPTY_ARRAY)) {
            return node_new(d->a, NODE_ARRAY);
        }
        n = node_new(d->a, NODE_STRING);
        n->u.s.p = arena_memdup(d->a, in->text.p, in->text.len);
        n->u.s.len = in->text.len;
    } else if (in->has_bool) {
        n = node_new(d->a, NODE_BOOL);
        n->u.b = in->boolean;
    } else if (in->has_dbl) {
        int64_t l = java_long(in->dbl);

        if ((double)l == in->dbl) {
            n = node_new(d->a, NODE_LONG);
            n->u.l = l;
        } else {
            n = node_new(d->a, NODE_DOUBLE);
            n->u.d = in->dbl;
        }
    } else {
        n = node_new(d->a, NODE_NULL);
    }
    n->wt = in->writetime;
    return n;
}

/* True when the path key's recorded time is newer than WT: the row is dead from here on. */
static bool
shadowed(const struct doc_shred_asm *d, int64_t wt)
{
    const int64_t *t = wmap_get(d->times, &d->key);

    return t != NULL && *t > wt;
}

/*
 * Makes *SLOT a container of KIND for a row written at WT. A node of another kind is replaced
 * (and the path's time recorded, if RECORD) unless a newer row built it: then the row is dead
 * and NULL comes back. Stargate replaces it whenever the path has no newer time recorded, which
 * lets an older row undo newer ones that came before it in clustering order; here the newest
 * data wins, and everything else is as Stargate does.
 */
static struct doc_shred_node *
need(struct doc_shred_asm *d, struct doc_shred_node **slot, int kind, int64_t wt, bool record)
{
    struct doc_shred_node *n = *slot;

    if (n->kind != kind) {
        if (n->wt > wt) {
            return NULL;
        }
        n = node_new(d->a, kind);
        *slot = n;
        if (record) {
            wmap_put(d->a, d->times, &d->key, wt);
        }
    }
    return n;
}

/*
 * Writes the value of IN at LEAF (index IDX when CONTAINER is an array) unless its path recorded
 * a newer time: an object member is replaced (unless newer rows built it), an array element
 * only while it is null, as Stargate does; the path's time is recorded either way. Returns
 * whether the value was placed.
 */
static bool
write_leaf(struct doc_shred_asm *d, struct doc_shred_node *container, struct cql_str leaf,
           long idx, const struct doc_shred_in *in)
{
    size_t mark = d->key.len;
    int64_t wt = in->writetime;

    bool placed = false;

    key_push(&d->key, leaf);
    if (shadowed(d, wt)) {
        /* dead */
    } else if (container->kind == NODE_OBJECT) {
        struct member *m = obj_find(container, leaf);

        if (m == NULL) {
            (void)obj_add(d->a, container, leaf, leaf_value(d, in));
            placed = true;
        } else if (m->value->wt <= wt) {
            m->value = leaf_value(d, in);
            placed = true;
        }
        if (placed) {
            wmap_put(d->a, d->times, &d->key, wt);
        }
    } else {
        if (container->u.arr.n <= (size_t)idx) {
            arr_pad(d->a, container, (size_t)idx + 1);
            placed = true;
        } else {
            placed = is_null(container->u.arr.v[idx]);
        }
        if (placed) {
            container->u.arr.v[idx] = leaf_value(d, in);
        }
        wmap_put(d->a, d->times, &d->key, wt);
    }
    d->key.len = mark;
    return placed;
}

/*
 * The slot of the child at P (index IDX in an array) of container REF, created as an empty
 * container of KIND when absent (or null, in an array). An existing child is kept whatever it
 * is; the next level decides what it must be.
 */
static struct doc_shred_node **
child_slot(struct doc_shred_asm *d, struct doc_shred_node *ref, struct cql_str p, long idx,
           int kind)
{
    if (ref->kind == NODE_ARRAY) {
        arr_pad(d->a, ref, (size_t)idx + 1);
        if (is_null(ref->u.arr.v[idx])) {
            ref->u.arr.v[idx] = node_new(d->a, kind);
        }
        return &ref->u.arr.v[idx];
    } else {
        struct member *m = obj_find(ref, p);

        if (m == NULL) {
            m = obj_add(d->a, ref, p, node_new(d->a, kind));
        }
        return &m->value;
    }
}

void
doc_shred_asm_row(struct doc_shred_asm *d, const struct doc_shred_in *in)
{
    struct doc_shred_node **slot = &d->root;
    struct doc_shred_node *up[DOC_SHRED_DEPTH];     /* the containers along the path */
    int64_t wt = in->writetime;
    char norm[24];

    d->rows++;
    if (str_is(in->leaf, DOC_SHRED_ROOT_MARKER)) {
        return;
    }
    d->key.len = 0;
    cql_wr_byte(&d->key, '$');
    for (int i = 0; i < DOC_SHRED_DEPTH; i++) {
        struct cql_str p = in->p[i];
        struct cql_str next = i + 1 < DOC_SHRED_DEPTH ? in->p[i + 1] : (struct cql_str){ "", 0 };
        bool is_arr = p.len > 0 && p.p[0] == '[';
        int kind = is_arr && !d->objects ? NODE_ARRAY : NODE_OBJECT;
        struct doc_shred_node *ref;
        int next_kind;
        bool record;
        long idx = -1;

        if (is_arr) {
            idx = index_of(p);
            if (idx < 0) {
                break;
            }
            p.p = norm;
            p.len = (size_t)snprintf(norm, sizeof(norm), "[%ld]", idx);
        }
        /* Stargate records no time when the document itself turns into an array mid-path */
        record = next.len == 0 || i != 0 || !is_arr;
        ref = shadowed(d, wt) ? NULL : need(d, slot, kind, wt, record);
        if (ref == NULL) {
            break;
        }
        up[i] = ref;
        if (next.len == 0) {
            if (!write_leaf(d, ref, p, idx, in)) {
                break;
            }
            /* the containers now hold data this new */
            for (int k = 0; k <= i; k++) {
                up[k]->wt = up[k]->wt > wt ? up[k]->wt : wt;
            }
            return;
        }
        next_kind = next.p[0] == '[' && !d->objects ? NODE_ARRAY : NODE_OBJECT;
        slot = child_slot(d, ref, p, idx, next_kind);
        key_push(&d->key, p);
    }
    d->dead++;
}

/* ---- reassembly: JSON ------------------------------------------------------------------------ */

/*
 * Writes N. Empty containers go out as raw text, so the writer's levels are only the non-empty
 * containers: at most DOC_SHRED_DEPTH (a leaf sits under at most that many), JW_MAX_DEPTH.
 */
static void
write_node(struct jw *j, const struct doc_shred_node *n)
{
    if (n == NULL) {
        jw_null(j);
        return;
    }
    switch (n->kind) {
    case NODE_STRING:
        jw_string_n(j, n->u.s.p, n->u.s.len);
        break;
    case NODE_LONG:
        jw_int64(j, n->u.l);
        break;
    case NODE_DOUBLE:
        jw_double(j, n->u.d);
        break;
    case NODE_BOOL:
        jw_bool(j, n->u.b);
        break;
    case NODE_OBJECT:
        if (n->u.obj.first == NULL) {
            jw_raw(j, "{}", 2);
            break;
        }
        jw_object_begin(j);
        for (const struct member *m = n->u.obj.first; m != NULL; m = m->next) {
            jw_key_n(j, m->key, m->len);
            write_node(j, m->value);
        }
        jw_object_end(j);
        break;
    case NODE_ARRAY:
        if (n->u.arr.n == 0) {
            jw_raw(j, "[]", 2);
            break;
        }
        jw_array_begin(j);
        for (size_t i = 0; i < n->u.arr.n; i++) {
            write_node(j, n->u.arr.v[i]);
        }
        jw_array_end(j);
        break;
    default:
        jw_null(j);
        break;
    }
}

int
doc_shred_asm_write(const struct doc_shred_asm *d, struct cql_wr *out)
{
    struct jw j;

    jw_init(&j, out);
    write_node(&j, d->root);
    return jw_finish(&j);
}

int
doc_shred_asm_write_at(const struct doc_shred_asm *d, const struct cql_str *path, size_t n,
                       struct cql_wr *out)
{
    const struct doc_shred_node *node = d->root;
    struct jw j;

    for (size_t i = 0; i < n; i++) {
        const struct member *m;
        long idx;

        if (node == NULL) {
            return E_INVALID;
        }
        if (node->kind == NODE_OBJECT) {
            m = obj_find((struct doc_shred_node *)node, path[i]);
            if (m == NULL) {
                return E_INVALID;
            }
            node = m->value;
        } else if (node->kind == NODE_ARRAY && path[i].len > 0 && path[i].p[0] == '['
                   && (idx = index_of(path[i])) >= 0 && (size_t)idx < node->u.arr.n) {
            node = node->u.arr.v[idx];
        } else {
            return E_INVALID;
        }
    }
    jw_init(&j, out);
    write_node(&j, node);
    return jw_finish(&j);
}

/* ---- fields ---------------------------------------------------------------------------------- */

/*
 * Java's String.split on SEP not preceded by a backslash (the patterns (?<!\\)\. and (?<!\\),):
 * no separator gives S itself; otherwise trailing empty parts are dropped. Returns the parts in
 * arena memory and their count in *N.
 */
static struct cql_str *
split(struct arena *a, struct cql_str s, char sep, size_t *n)
{
    struct cql_str *parts;
    size_t count = 1, k = 0, start = 0;

    for (size_t i = 0; i < s.len; i++) {
        count += s.p[i] == sep && (i == 0 || s.p[i - 1] != '\\');
    }
    parts = arena_alloc(a, count * sizeof(*parts));
    for (size_t i = 0; i <= s.len; i++) {
        if (i == s.len || (s.p[i] == sep && (i == 0 || s.p[i - 1] != '\\'))) {
            parts[k].p = s.p + start;
            parts[k].len = i - start;
            k++;
            start = i + 1;
        }
    }
    if (count > 1) {
        while (k > 0 && parts[k - 1].len == 0) {
            k--;
        }
    }
    *n = k;
    return parts;
}

/* "[...]": DocsApiUtils.isArrayPath. */
static bool
is_array_path(struct cql_str p)
{
    return p.len >= 2 && p.p[0] == '[' && p.p[p.len - 1] == ']';
}

int
doc_shred_parse_int(const char *s, size_t len, int32_t *out)
{
    size_t i = 0;
    bool neg = false;
    int64_t n = 0;

    if (len > 0 && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        i = 1;
    }
    if (i == len) {
        return -1;
    }
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        n = n * 10 + (s[i] - '0');
        if (n > (int64_t)INT32_MAX + 1) {
            return -1;
        }
    }
    n = neg ? -n : n;
    if (n > INT32_MAX) {
        return -1;
    }
    *out = (int32_t)n;
    return 0;
}

static int
field_fail(struct arena *a, struct doc_shred_err *err, const char *head, struct cql_str what,
           const char *tail)
{
    struct cql_wr msg;

    cql_wr_init(&msg, NULL, 0, arena_wr_grow, a);
    cql_wr_raw(&msg, head, strlen(head));
    cql_wr_raw(&msg, what.p, what.len);
    cql_wr_raw(&msg, tail, strlen(tail));
    err->desc = (const char *)msg.p;
    err->len = msg.len;
    return E_INVALID;
}

/*
 * DocsApiUtils.convertSingleArrayPath: "[n]" to "[00000n]" (Java's left pad of n's decimal
 * text, a minus sign included), "[*]" and anything else as is. Appends to W.
 */
static int
convert_single(struct arena *a, struct cql_wr *w, struct cql_str p, struct doc_shred_err *err)
{
    struct cql_str inner = { p.p + 1, p.len >= 2 ? p.len - 2 : 0 };
    char num[16];
    int32_t idx;
    int n;

    if (!is_array_path(p) || str_is(inner, "*")) {
        cql_wr_raw(w, p.p, p.len);
        return 0;
    }
    if (doc_shred_parse_int(inner.p, inner.len, &idx) != 0) {
        return field_fail(a, err, "Array path ", p, " is not valid.");
    }
    if (idx > DOC_SHRED_MAX_ARRAY - 1) {
        err->desc = "Max array length of 1000000 exceeded.";
        err->len = strlen(err->desc);
        return E_INVALID;
    }
    n = snprintf(num, sizeof(num), "%d", (int)idx);
    cql_wr_byte(w, '[');
    for (int k = n; k < 6; k++) {
        cql_wr_byte(w, '0');
    }
    cql_wr_raw(w, num, (size_t)n);
    cql_wr_byte(w, ']');
    return 0;
}

int
doc_shred_path_seg(struct arena *a, struct cql_str seg, bool unescape_it, struct cql_str *out,
                   struct doc_shred_err *err)
{
    struct cql_wr w;

    err->desc = NULL;
    err->len = 0;
    cql_wr_init(&w, NULL, 0, arena_wr_grow, a);
    if (convert_single(a, &w, seg, err) != 0) {
        return E_INVALID;
    }
    if (w.err != 0) {
        return w.err;
    }
    out->p = (const char *)w.p;
    out->len = w.len;
    if (unescape_it) {
        *out = unescape(a, out->p, out->len);
    }
    return 0;
}

/* One field path segment: convertArrayPath, then convertEscapedCharacters, then its matcher. */
static int
field_seg(struct arena *a, struct cql_str p, struct doc_shred_fseg *out,
          struct doc_shred_err *err)
{
    struct cql_wr w;
    struct cql_str conv;
    struct cql_str *alts;
    size_t nparts;

    cql_wr_init(&w, NULL, 0, arena_wr_grow, a);
    if (memchr(p.p, ',', p.len) != NULL) {
        struct cql_str *parts = split(a, p, ',', &nparts);

        for (size_t i = 0; i < nparts; i++) {
            int rc;

            if (i > 0) {
                cql_wr_byte(&w, ',');
            }
            rc = convert_single(a, &w, parts[i], err);
            if (rc != 0) {
                return rc;
            }
        }
    } else {
        int rc = convert_single(a, &w, p, err);

        if (rc != 0) {
            return rc;
        }
    }
    conv = unescape(a, w.len > 0 ? (const char *)w.p : "", w.len);
    memset(out, 0, sizeof(*out));
    if (str_is(conv, "*")) {
        out->kind = DOC_SHRED_FIELD_ANY;
        return 0;
    }
    if (str_is(conv, "[*]")) {
        out->kind = DOC_SHRED_FIELD_ANY_INDEX;
        return 0;
    }
    alts = split(a, conv, ',', &nparts);
    for (size_t i = 0; i < nparts; i++) {
        alts[i] = unescape(a, alts[i].p, alts[i].len);
    }
    out->kind = DOC_SHRED_FIELD_ALTS;
    out->alt = alts;
    out->nalt = nparts;
    return 0;
}

/* True when S (LEN bytes) holds only JSON blanks. */
static bool
blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') {
            return false;
        }
    }
    return true;
}

/* V as compact JSON, as Jackson's JsonNode.toString prints it in messages. */
static struct cql_str
compact(struct arena *a, const struct cql_json_node *v)
{
    struct cql_wr txt;

    cql_wr_init(&txt, NULL, 0, arena_wr_grow, a);
    if (cql_json_write(&txt, v) != 0) {
        txt.len = 0;                    /* deeper than the writer goes: said without it */
    }
    return (struct cql_str){ txt.len > 0 ? (const char *)txt.p : "", txt.len };
}

int
doc_shred_fields_parse(const char *s, size_t len, struct arena *a,
                       struct doc_shred_fields *out, struct doc_shred_err *err)
{
    struct cql_alloc al = arena_cql_alloc(a);
    struct cql_json_node *root = NULL;
    struct cql_json_err jerr;
    const struct cql_json_node *e;
    size_t i = 0;

    memset(out, 0, sizeof(*out));
    if (blank(s, len)) {
        /* Jackson reads nothing as a missing node, which prints as nothing */
        return field_fail(a, err, "`fields` must be a JSON array, found ",
                          (struct cql_str){ "", 0 }, "");
    }
    if (cql_json_parse(s, len, CQL_JSON_DEEP, &al, &root, &jerr) != 0) {
        err->desc = "The `fields` parameter expects a valid JSON array containing field names.";
        err->len = strlen(err->desc);
        return E_INVALID;
    }
    if (root->kind != CQL_JSON_ARRAY) {
        return field_fail(a, err, "`fields` must be a JSON array, found ", compact(a, root), "");
    }
    for (e = root->child; e != NULL; e = e->next) {
        if (e->kind != CQL_JSON_STRING) {
            return field_fail(a, err, "Each field must be a string, found ", compact(a, e), "");
        }
    }
    out->v = arena_alloc(a, (root->n > 0 ? root->n : 1) * sizeof(*out->v));
    for (e = root->child; e != NULL; e = e->next, i++) {
        int rc = doc_shred_field_parse(e->s, e->len, a, &out->v[i], err);

        if (rc != 0) {
            return rc;
        }
    }
    out->n = root->n;
    return 0;
}

int
doc_shred_field_parse(const char *s, size_t len, struct arena *a, struct doc_shred_field *out,
                      struct doc_shred_err *err)
{
    size_t nsegs;
    struct cql_str *segs = split(a, (struct cql_str){ s, len }, '.', &nsegs);
    struct doc_shred_fseg *fs = arena_alloc(a, (nsegs > 0 ? nsegs : 1) * sizeof(*fs));

    for (size_t k = 0; k < nsegs; k++) {
        int rc = field_seg(a, segs[k], &fs[k], err);

        if (rc != 0) {
            return rc;
        }
    }
    out->seg = fs;
    out->n = nsegs;
    return 0;
}

/* DocsApiUtils.isRowOnPath for one field path F. */
static bool
on_path(const struct doc_shred_field *f, const struct doc_shred_in *in)
{
    for (size_t i = 0; i < f->n; i++) {
        const struct doc_shred_fseg *g = &f->seg[i];
        bool any = false;

        if (i >= DOC_SHRED_DEPTH) {
            return false;
        }
        if (g->kind == DOC_SHRED_FIELD_ANY) {
            continue;
        }
        if (g->kind == DOC_SHRED_FIELD_ANY_INDEX) {
            if (!is_array_path(in->p[i])) {
                return false;
            }
            continue;
        }
        for (size_t k = 0; k < g->nalt && !any; k++) {
            any = g->alt[k].len == in->p[i].len
                  && memcmp(g->alt[k].p, in->p[i].p, in->p[i].len) == 0;
        }
        if (!any) {
            return false;
        }
    }
    return true;
}

bool
doc_shred_fields_match(const struct doc_shred_fields *f, const struct doc_shred_in *in)
{
    if (f == NULL || f->n == 0) {
        return true;
    }
    for (size_t i = 0; i < f->n; i++) {
        if (on_path(&f->v[i], in)) {
            return true;
        }
    }
    return false;
}
