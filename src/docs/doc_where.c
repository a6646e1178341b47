/*
 * doc_where.c: `where` filters of Document API searches (see doc_where.h).
 *
 * The parser follows Stargate's ExpressionParser and ConditionParser: the members of the top
 * object are ANDed; "$or", "$and" and "$not" nest; any other member is a field path whose value
 * is an object of operators, each operator one leaf. The tree is then simplified the way its
 * boolean library leaves it for the resolvers: $not pushed to the leaves, a group of one child
 * replaced by the child, nested groups of the same kind flattened.
 */
#include "docs/doc_where.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/cql_json.h"

/* Appends the string literal S to the writer W. */
#define WR_LIT(w, s) cql_wr_raw((w), (s), sizeof(s) - 1)

static const char *const op_raw[] = {
#define XX(name, raw, code) raw,
    DOC_WHERE_OP_MAP(XX)
#undef XX
};

static const char *const op_code[] = {
#define XX(name, raw, code) code,
    DOC_WHERE_OP_MAP(XX)
#undef XX
};

const char *
doc_where_op_code(int op)
{
    return op >= 0 && (size_t)op < ARRAY_SIZE(op_code) ? op_code[op] : "?";
}

/* ---- parsing --------------------------------------------------------------------------------- */

/* One parse in progress. */
struct wparse {
    struct arena         *a;        /* where the tree goes */
    struct doc_shred_err *err;      /* the failure, once there is one */
    const struct cql_str *prefix;   /* segments put before every path */
    size_t                nprefix;  /* how many */
    struct doc_where     *w;        /* the result */
};

/* A list of expressions being gathered (arena, grown by doubling). */
struct elist {
    struct doc_where_expr **v;      /* the expressions */
    size_t                  n;      /* how many */
    size_t                  cap;    /* slots */
};

static void
elist_add(struct arena *a, struct elist *l, struct doc_where_expr *e)
{
    if (l->n == l->cap) {
        size_t cap = l->cap == 0 ? 4 : l->cap * 2;
        struct doc_where_expr **v = arena_alloc(a, cap * sizeof(*v));

        if (l->n > 0) {
            memcpy(v, l->v, l->n * sizeof(*v));
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = e;
}

static int
fail(struct wparse *p, const char *desc)
{
    p->err->desc = desc;
    p->err->len = strlen(desc);
    return E_INVALID;
}

/* Fails with the concatenation of up to three parts (the middle one LEN bytes). */
static int
fail3(struct wparse *p, const char *head, const char *mid, size_t len, const char *tail)
{
    struct cql_wr msg;

    cql_wr_init(&msg, NULL, 0, arena_wr_grow, p->a);
    cql_wr_raw(&msg, head, strlen(head));
    cql_wr_raw(&msg, mid, len);
    cql_wr_raw(&msg, tail, strlen(tail));
    p->err->desc = (const char *)msg.p;
    p->err->len = msg.len;
    return E_INVALID;
}

static void
write_compact(struct cql_wr *w, const struct cql_json_node *v)
{
    if (cql_json_write(w, v) != 0) {
        WR_LIT(w, "?");
    }
}

static void
indent(struct cql_wr *w, int level)
{
    for (int i = 0; i < level; i++) {
        WR_LIT(w, "  ");
    }
}

/* V as Jackson's toPrettyString prints it: objects one member a line, arrays on one line. */
static void
write_pretty(struct cql_wr *w, const struct cql_json_node *v, int level)
{
    const struct cql_json_node *c;

    if (v->kind == CQL_JSON_ARRAY) {
        if (v->child == NULL) {
            WR_LIT(w, "[ ]");
            return;
        }
        WR_LIT(w, "[ ");
        for (c = v->child; c != NULL; c = c->next) {
            write_pretty(w, c, level);
            if (c->next != NULL) {
                WR_LIT(w, ", ");
            }
        }
        WR_LIT(w, " ]");
        return;
    }
    if (v->kind != CQL_JSON_OBJECT) {
        write_compact(w, v);
        return;
    }
    if (v->child == NULL) {
        WR_LIT(w, "{ }");
        return;
    }
    WR_LIT(w, "{\n");
    for (c = v->child; c != NULL; c = c->next) {
        struct cql_json_node key = { .kind = CQL_JSON_STRING, .s = c->name, .len = c->name_len };

        indent(w, level + 1);
        write_compact(w, &key);
        WR_LIT(w, " : ");
        write_pretty(w, c, level + 1);
        if (c->next != NULL) {
            cql_wr_byte(w, ',');
        }
        cql_wr_byte(w, '\n');
    }
    indent(w, level);
    cql_wr_byte(w, '}');
}

static bool
name_is(const struct cql_json_node *m, const char *lit)
{
    return m->name_len == strlen(lit) && memcmp(m->name, lit, m->name_len) == 0;
}

static bool
is_scalar(const struct cql_json_node *v)
{
    return v->kind == CQL_JSON_STRING || v->kind == CQL_JSON_NUMBER || v->kind == CQL_JSON_TRUE
           || v->kind == CQL_JSON_FALSE;
}

/* Reads scalar (or null) V into OUT. */
static void
val_of(struct arena *a, const struct cql_json_node *v, struct doc_where_val *out)
{
    struct cql_wr txt;

    memset(out, 0, sizeof(*out));
    switch (v->kind) {
    case CQL_JSON_STRING:
        out->type = DOC_SHRED_STRING;
        out->s = v->s;
        out->len = v->len;
        break;
    case CQL_JSON_NUMBER: {
        char buf[64];
        size_t n = v->len < sizeof(buf) - 1 ? v->len : sizeof(buf) - 1;

        memcpy(buf, v->s, n);
        buf[n] = '\0';
        out->type = DOC_SHRED_NUMBER;
        out->d = strtod(buf, NULL);
        break;
    }
    case CQL_JSON_TRUE:
    case CQL_JSON_FALSE:
        out->type = DOC_SHRED_BOOL;
        out->b = v->kind == CQL_JSON_TRUE;
        break;
    default:
        out->type = DOC_SHRED_NULL;
        break;
    }
    cql_wr_init(&txt, NULL, 0, arena_wr_grow, a);
    write_compact(&txt, v);
    out->text = txt.len > 0 ? (const char *)txt.p : "";
    out->text_len = txt.len;
}

/* The JSON node type Jackson names in messages. */
static const char *
node_type(const struct cql_json_node *v)
{
    return v->kind == CQL_JSON_OBJECT ? "OBJECT" : "ARRAY";
}

/* The filter path of a field member: the prefix, then the member name's segments. */
static int
path_of(struct wparse *p, const struct cql_json_node *m, struct doc_where_path **out)
{
    struct doc_where_path *path = arena_alloc(p->a, sizeof(*path));
    struct doc_shred_field f;
    const struct doc_shred_fseg *last;
    struct doc_shred_fseg *segs;
    int rc;

    memset(path, 0, sizeof(*path));
    path->text = m->name;
    path->text_len = m->name_len;
    rc = doc_shred_field_parse(m->name, m->name_len, p->a, &f, p->err);
    if (rc != 0) {
        return rc;
    }
    if (f.n + p->nprefix == 0) {
        return fail(p, "A filter operation and value resolved as invalid.");
    }
    segs = arena_alloc(p->a, (f.n + p->nprefix) * sizeof(*segs));
    for (size_t i = 0; i < p->nprefix; i++) {
        segs[i].kind = DOC_SHRED_FIELD_ALTS;
        segs[i].alt = &p->prefix[i];
        segs[i].nalt = 1;
    }
    memcpy(segs + p->nprefix, f.seg, f.n * sizeof(*segs));
    path->parent.seg = segs;
    path->parent.n = f.n + p->nprefix - 1;
    last = &segs[path->parent.n];
    if (last->kind == DOC_SHRED_FIELD_ALTS && last->nalt == 1) {
        path->field = last->alt[0];
    } else if (last->kind == DOC_SHRED_FIELD_ALTS) {
        /* the field is matched literally against leaf, commas and all */
        struct cql_wr lit;

        cql_wr_init(&lit, NULL, 0, arena_wr_grow, p->a);
        for (size_t i = 0; i < last->nalt; i++) {
            if (i > 0) {
                cql_wr_byte(&lit, ',');
            }
            cql_wr_raw(&lit, last->alt[i].p, last->alt[i].len);
        }
        path->field = (struct cql_str){ (const char *)lit.p, lit.len };
    } else {
        path->field = last->kind == DOC_SHRED_FIELD_ANY ? (struct cql_str){ "*", 1 }
                                                          : (struct cql_str){ "[*]", 3 };
    }
    for (size_t i = 0; i < path->parent.n; i++) {
        if (segs[i].kind != DOC_SHRED_FIELD_ALTS || segs[i].nalt != 1) {
            path->glob = true;
        }
    }
    *out = path;
    return 0;
}

static int
op_of(const struct cql_json_node *m)
{
    for (size_t i = 0; i < ARRAY_SIZE(op_raw); i++) {
        if (name_is(m, op_raw[i])) {
            return (int)i;
        }
    }
    return -1;
}

/* The "does not support the provided value" failure of operator M. */
static int
fail_value(struct wparse *p, const struct cql_json_node *m)
{
    struct cql_wr msg;

    cql_wr_init(&msg, NULL, 0, arena_wr_grow, p->a);
    WR_LIT(&msg, "Operation '");
    cql_wr_raw(&msg, m->name, m->name_len);
    WR_LIT(&msg, "' does not support the provided value ");
    write_pretty(&msg, m, 0);
    cql_wr_byte(&msg, '.');
    p->err->desc = (const char *)msg.p;
    p->err->len = msg.len;
    return E_INVALID;
}

/* One operator M of a field's block as a leaf on PATH. */
static int
leaf_of(struct wparse *p, const struct cql_json_node *m, int op, const struct doc_where_path *path,
        struct doc_where_expr **out)
{
    struct doc_where_expr *e = arena_alloc(p->a, sizeof(*e));
    struct doc_where_val *list;
    const struct cql_json_node *c;
    size_t i = 0;

    memset(e, 0, sizeof(*e));
    e->kind = DOC_WHERE_LEAF;
    e->op = (uint8_t)op;
    e->path = path;
    switch (op) {
    case DOC_WHERE_EXISTS:
        if (m->kind != CQL_JSON_TRUE && m->kind != CQL_JSON_FALSE) {
            return fail_value(p, m);
        }
        val_of(p->a, m, &e->v);
        break;
    case DOC_WHERE_IN:
    case DOC_WHERE_NIN:
        if (m->kind != CQL_JSON_ARRAY) {
            return fail_value(p, m);
        }
        for (c = m->child; c != NULL; c = c->next) {
            if (c->kind == CQL_JSON_OBJECT || c->kind == CQL_JSON_ARRAY) {
                char msg[96];

                snprintf(msg, sizeof(msg), "Operation %s was not expecting a list containing a ",
                         op_code[op]);
                return fail3(p, msg, node_type(c), strlen(node_type(c)), " node type.");
            }
        }
        if (m->n == 0) {
            return fail3(p, "Operation ", op_raw[op], strlen(op_raw[op]),
                         " was expecting a non-empty list");
        }
        list = arena_alloc(p->a, m->n * sizeof(*list));
        for (c = m->child; c != NULL; c = c->next) {
            val_of(p->a, c, &list[i++]);
        }
        e->list = list;
        e->nlist = i;
        val_of(p->a, m, &e->v);
        e->v.type = DOC_SHRED_NULL;
        break;
    default:
        if (!is_scalar(m)) {
            return fail_value(p, m);
        }
        val_of(p->a, m, &e->v);
        break;
    }
    *out = e;
    return 0;
}

/* The Java class Stargate names for the operand type of a value condition, or NULL. */
static const char *
type_name(const struct doc_where_expr *e)
{
    if (e->op == DOC_WHERE_IN || e->op == DOC_WHERE_NIN || e->op == DOC_WHERE_EXISTS) {
        return NULL;
    }
    switch (e->v.type) {
    case DOC_SHRED_STRING:
        return "String";
    case DOC_SHRED_NUMBER:
        return "Number";
    case DOC_SHRED_BOOL:
        return "Boolean";
    default:
        return NULL;
    }
}

/* A field member M: its conditions, each one leaf added to OUT. */
static int
parse_field(struct wparse *p, const struct cql_json_node *m, struct elist *out)
{
    struct doc_where_path *path = NULL;
    const struct cql_json_node *c;
    const struct cql_json_node *sel = NULL;
    const char *types[3] = { NULL, NULL, NULL };
    size_t ntypes = 0, nconds = 0, first = out->n;
    int rc = path_of(p, m, &path);

    if (rc != 0) {
        return rc;
    }
    if (m->kind == CQL_JSON_OBJECT) {
        for (c = m->child; c != NULL && sel == NULL; c = c->next) {
            if (name_is(c, "$selectivity")) {
                sel = c;
            }
        }
    }
    if (sel != NULL && sel->kind != CQL_JSON_NUMBER) {
        struct cql_wr txt;

        cql_wr_init(&txt, NULL, 0, arena_wr_grow, p->a);
        write_compact(&txt, sel);
        return fail3(p, "Selectivity hint does not support the provided value ",
                     (const char *)txt.p, txt.len, " (expecting a number)");
    }
    if (m->kind != CQL_JSON_OBJECT) {
        return fail(p, "A filter operation and value resolved as invalid.");
    }
    for (c = m->child; c != NULL; c = c->next) {
        struct doc_where_expr *e = NULL;
        int op;

        if (name_is(c, "$selectivity")) {
            continue;
        }
        op = op_of(c);
        if (op < 0) {
            return fail3(p, "Operation '", c->name, c->name_len, "' is not supported.");
        }
        rc = leaf_of(p, c, op, path, &e);
        if (rc != 0) {
            return rc;
        }
        elist_add(p->a, out, e);
        nconds++;
    }
    for (size_t i = first; i < out->n; i++) {
        const char *t = type_name(out->v[i]);
        bool seen = false;

        for (size_t k = 0; k < ntypes && t != NULL; k++) {
            seen = seen || strcmp(types[k], t) == 0;
        }
        if (t != NULL && !seen) {
            types[ntypes++] = t;
        }
    }
    if (ntypes > 1) {
        struct cql_wr msg;

        cql_wr_init(&msg, NULL, 0, arena_wr_grow, p->a);
        WR_LIT(&msg, "Filter conditions for field '");
        cql_wr_raw(&msg, path->field.p, path->field.len);
        WR_LIT(&msg, "' imply incompatible types: ");
        for (size_t k = 0; k < ntypes; k++) {
            if (k > 0) {
                WR_LIT(&msg, ", ");
            }
            cql_wr_raw(&msg, types[k], strlen(types[k]));
        }
        p->err->desc = (const char *)msg.p;
        p->err->len = msg.len;
        return E_INVALID;
    }
    if (sel != NULL && nconds > 1) {
        return fail3(p, "Specifying multiple filter conditions in the same JSON block with a "
                     "selectivity hint is not supported. Combine them using \"$and\" to "
                     "disambiguate. Related field: '", path->field.p, path->field.len, "')");
    }
    if (sel != NULL && nconds == 0) {
        return fail3(p, "Field '", path->field.p, path->field.len,
                     "' has a selectivity hint but no condition");
    }
    return 0;
}

static struct doc_where_expr *
group(struct arena *a, int kind, const struct elist *l)
{
    struct doc_where_expr *e = arena_alloc(a, sizeof(*e));

    memset(e, 0, sizeof(*e));
    e->kind = (uint8_t)kind;
    e->kids = l->v;
    e->n = l->n;
    return e;
}

static int parse_members(struct wparse *p, const struct cql_json_node *obj, struct elist *out);

/* The elements of a $and or $or array, each parsed as a block of members. */
static int
parse_array(struct wparse *p, const struct cql_json_node *arr, struct elist *out)
{
    for (const struct cql_json_node *c = arr->child; c != NULL; c = c->next) {
        int rc = parse_members(p, c, out);

        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

/* Every member of OBJ (nothing when OBJ is not an object, as Jackson's fields() gives). */
static int
parse_members(struct wparse *p, const struct cql_json_node *obj, struct elist *out)
{
    if (obj->kind != CQL_JSON_OBJECT) {
        return 0;
    }
    for (const struct cql_json_node *m = obj->child; m != NULL; m = m->next) {
        struct elist kids = { 0 };
        int rc;

        if (name_is(m, "$or") || name_is(m, "$and")) {
            bool is_or = name_is(m, "$or");

            if (m->kind != CQL_JSON_ARRAY) {
                return fail(p, is_or ? "The $or requires an array json node as value."
                                     : "The $and requires an array json node as value.");
            }
            rc = parse_array(p, m, &kids);
            if (rc != 0) {
                return rc;
            }
            elist_add(p->a, out, group(p->a, is_or ? DOC_WHERE_OR : DOC_WHERE_AND, &kids));
        } else if (name_is(m, "$not")) {
            struct elist one = { 0 };

            if (m->kind != CQL_JSON_OBJECT) {
                return fail(p, "The $not operator requires a json object as value.");
            }
            rc = parse_members(p, m, &one);
            if (rc != 0) {
                return rc;
            }
            if (one.n != 1) {
                return fail(p, "The $not operator requires exactly one child expression.");
            }
            /* marked for negation: a group of kind OR|AND with the high bit, see simplify */
            kids.n = 0;
            elist_add(p->a, &kids, one.v[0]);
            elist_add(p->a, out, group(p->a, 0x80, &kids));
        } else {
            rc = parse_field(p, m, out);
            if (rc != 0) {
                return rc;
            }
        }
    }
    return 0;
}

/* The inverse of each operator, as Stargate's NegateFilters rule applies it. */
static uint8_t
negate_op(uint8_t op)
{
    switch (op) {
    case DOC_WHERE_EQ:
        return DOC_WHERE_NE;
    case DOC_WHERE_NE:
        return DOC_WHERE_EQ;
    case DOC_WHERE_GT:
        return DOC_WHERE_LTE;
    case DOC_WHERE_LTE:
        return DOC_WHERE_GT;
    case DOC_WHERE_GTE:
        return DOC_WHERE_LT;
    case DOC_WHERE_LT:
        return DOC_WHERE_GTE;
    case DOC_WHERE_IN:
        return DOC_WHERE_NIN;
    case DOC_WHERE_NIN:
        return DOC_WHERE_IN;
    default:
        return op;
    }
}

/*
 * E with negations pushed down (NEG: E is under an odd number of $not), groups of one child
 * replaced by it, and a child group of its parent's kind merged into the parent.
 */
static struct doc_where_expr *
simplify(struct wparse *p, struct doc_where_expr *e, bool neg)
{
    struct elist kids = { 0 };
    int kind;

    if (e->kind == 0x80) {
        return simplify(p, e->kids[0], !neg);
    }
    if (e->kind == DOC_WHERE_LEAF) {
        struct doc_where_expr *l = e;

        if (neg) {
            l = arena_memdup(p->a, e, sizeof(*e));
            l->op = negate_op(e->op);
            if (e->op == DOC_WHERE_EXISTS) {
                l->v.b = !e->v.b;
            }
        }
        return l;
    }
    kind = e->kind;
    if (neg) {
        kind = kind == DOC_WHERE_AND ? DOC_WHERE_OR : DOC_WHERE_AND;
    }
    for (size_t i = 0; i < e->n; i++) {
        struct doc_where_expr *k = simplify(p, e->kids[i], neg);

        if (k->kind == kind) {
            for (size_t j = 0; j < k->n; j++) {
                elist_add(p->a, &kids, k->kids[j]);
            }
        } else {
            elist_add(p->a, &kids, k);
        }
    }
    if (kids.n == 1) {
        return kids.v[0];
    }
    return group(p->a, kind, &kids);
}

/* Numbers the leaves of E in order and lists them in W. */
static void
index_leaves(struct wparse *p, struct doc_where_expr *e, struct elist *leaves)
{
    if (e->kind == DOC_WHERE_LEAF) {
        e->index = (uint32_t)leaves->n;
        elist_add(p->a, leaves, e);
        return;
    }
    for (size_t i = 0; i < e->n; i++) {
        index_leaves(p, e->kids[i], leaves);
    }
}

int
doc_where_parse(const char *s, size_t len, const struct cql_str *prefix, size_t nprefix,
                struct arena *a, struct doc_where *out, struct doc_shred_err *err)
{
    struct cql_alloc al = arena_cql_alloc(a);
    struct cql_json_node *root = NULL;
    struct cql_json_err jerr;
    struct wparse p = { a, err, prefix, nprefix, out };
    struct elist top = { 0 }, leaves = { 0 };
    int rc;

    memset(out, 0, sizeof(*out));
    if (cql_json_parse(s, len, CQL_JSON_DEEP, &al, &root, &jerr) != 0) {
        return fail(&p, "The `where` parameter expects a valid JSON object representing search "
                        "criteria.");
    }
    if (root->kind != CQL_JSON_OBJECT) {
        return fail(&p, "Search was expecting a JSON object as input.");
    }
    rc = parse_members(&p, root, &top);
    if (rc != 0) {
        return rc;
    }
    if (top.n == 0) {
        return 0;
    }
    out->root = simplify(&p, group(a, DOC_WHERE_AND, &top), false);
    index_leaves(&p, out->root, &leaves);
    out->leaves = (const struct doc_where_expr **)leaves.v;
    out->nleaves = leaves.n;
    for (size_t i = 0; i < leaves.n; i++) {
        const struct doc_where_path *pi = leaves.v[i]->path;
        bool seen = false;

        for (size_t k = 0; k < i && !seen; k++) {
            const struct doc_where_path *pk = leaves.v[k]->path;

            seen = pk == pi
                   || (pk->text_len == pi->text_len
                       && memcmp(pk->text, pi->text, pi->text_len) == 0);
        }
        out->npaths += seen ? 0 : 1;
    }
    return 0;
}

/* ---- evaluation ------------------------------------------------------------------------------ */

static bool
str_eq(struct cql_str a, struct cql_str b)
{
    return a.len == b.len && memcmp(a.p, b.p, a.len) == 0;
}

static bool
array_seg(struct cql_str s)
{
    return s.len >= 2 && s.p[0] == '[' && s.p[s.len - 1] == ']';
}

bool
doc_where_under(const struct doc_shred_field *g, const struct doc_shred_in *in)
{
    if (g->n > DOC_SHRED_DEPTH) {
        return false;
    }
    for (size_t i = 0; i < g->n; i++) {
        const struct doc_shred_fseg *f = &g->seg[i];
        bool any = false;

        if (in->p[i].len == 0) {
            return false;
        }
        if (f->kind == DOC_SHRED_FIELD_ANY) {
            continue;
        }
        if (f->kind == DOC_SHRED_FIELD_ANY_INDEX) {
            if (!array_seg(in->p[i])) {
                return false;
            }
            continue;
        }
        for (size_t k = 0; k < f->nalt && !any; k++) {
            any = str_eq(f->alt[k], in->p[i]);
        }
        if (!any) {
            return false;
        }
    }
    return true;
}

bool
doc_where_on_path(const struct doc_where_path *path, const struct doc_shred_in *in)
{
    size_t n = path->parent.n;

    if (n >= DOC_SHRED_DEPTH || !doc_where_under(&path->parent, in)) {
        return false;
    }
    if (!str_eq(path->field, in->p[n])) {
        return false;
    }
    return n + 1 >= DOC_SHRED_DEPTH || in->p[n + 1].len == 0;
}

/* Compares byte strings as Cassandra orders text: <0, 0 or >0. */
static int
bytes_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = n > 0 ? memcmp(a, b, n) : 0;

    if (c != 0) {
        return c;
    }
    return alen < blen ? -1 : alen > blen ? 1 : 0;
}

/* Compares the row's value of the operand's type with V: sets *CMP, false when the row has none. */
static bool
row_cmp(const struct doc_where_val *v, const struct doc_shred_in *in, int *cmp)
{
    switch (v->type) {
    case DOC_SHRED_STRING:
        if (!in->has_text) {
            return false;
        }
        *cmp = bytes_cmp(in->text.p, in->text.len, v->s, v->len);
        return true;
    case DOC_SHRED_NUMBER:
        if (!in->has_dbl) {
            return false;
        }
        *cmp = in->dbl < v->d ? -1 : in->dbl > v->d ? 1 : 0;
        return in->dbl == in->dbl;
    case DOC_SHRED_BOOL:
        if (!in->has_bool) {
            return false;
        }
        *cmp = (int)in->boolean - (int)v->b;
        return true;
    default:
        return false;
    }
}

/* $in: the row's first non-null of bool, double and text equals an element (null: a null). */
static bool
row_in(const struct doc_where_expr *l, const struct doc_shred_in *in)
{
    for (size_t i = 0; i < l->nlist; i++) {
        const struct doc_where_val *v = &l->list[i];
        int cmp = 1;

        if (v->type == DOC_SHRED_NULL) {
            if (!in->has_bool && !in->has_dbl && !in->has_text) {
                return true;
            }
            continue;
        }
        if (v->type == DOC_SHRED_BOOL && !in->has_bool) {
            continue;
        }
        if (v->type == DOC_SHRED_NUMBER && (in->has_bool || !in->has_dbl)) {
            continue;
        }
        if (v->type == DOC_SHRED_STRING && (in->has_bool || in->has_dbl)) {
            continue;
        }
        if (row_cmp(v, in, &cmp) && cmp == 0) {
            return true;
        }
    }
    return false;
}

bool
doc_where_test(const struct doc_where_expr *l, const struct doc_shred_in *in)
{
    int cmp = 0;

    switch (l->op) {
    case DOC_WHERE_EQ:
        return row_cmp(&l->v, in, &cmp) && cmp == 0;
    case DOC_WHERE_NE:
        return !(row_cmp(&l->v, in, &cmp) && cmp == 0);
    case DOC_WHERE_GT:
        return row_cmp(&l->v, in, &cmp) && cmp > 0;
    case DOC_WHERE_GTE:
        return row_cmp(&l->v, in, &cmp) && cmp >= 0;
    case DOC_WHERE_LT:
        return row_cmp(&l->v, in, &cmp) && cmp < 0;
    case DOC_WHERE_LTE:
        return row_cmp(&l->v, in, &cmp) && cmp <= 0;
    case DOC_WHERE_IN:
        return row_in(l, in);
    case DOC_WHERE_NIN:
        return !row_in(l, in);
    case DOC_WHERE_EXISTS:
        return l->v.b;
    default:
        return false;
    }
}

void
doc_where_state_init(const struct doc_where *w, struct doc_where_state *st, struct arena *a)
{
    size_t n = w->nleaves > 0 ? w->nleaves : 1;

    st->on_path = arena_alloc(a, n);
    st->hit = arena_alloc(a, n);
    doc_where_state_reset(w, st);
}

void
doc_where_state_reset(const struct doc_where *w, struct doc_where_state *st)
{
    if (w->nleaves > 0) {
        memset(st->on_path, 0, w->nleaves);
        memset(st->hit, 0, w->nleaves);
    }
}

void
doc_where_feed(const struct doc_where *w, struct doc_where_state *st,
               const struct doc_shred_in *in)
{
    for (size_t i = 0; i < w->nleaves; i++) {
        const struct doc_where_expr *l = w->leaves[i];

        if (st->hit[i] || !doc_where_on_path(l->path, in)) {
            continue;
        }
        st->on_path[i] = 1;
        if (doc_where_test(l, in)) {
            st->hit[i] = 1;
        }
    }
}

/* Whether L holds on documents without a row on its path (Stargate's evaluate-on-missing). */
static bool
on_missing(const struct doc_where_expr *l)
{
    return l->op == DOC_WHERE_NE || l->op == DOC_WHERE_NIN
           || (l->op == DOC_WHERE_EXISTS && !l->v.b);
}

static bool
eval(const struct doc_where_expr *e, const struct doc_where_state *st)
{
    switch (e->kind) {
    case DOC_WHERE_LEAF:
        return st->hit[e->index] || (!st->on_path[e->index] && on_missing(e));
    case DOC_WHERE_AND:
        for (size_t i = 0; i < e->n; i++) {
            if (!eval(e->kids[i], st)) {
                return false;
            }
        }
        return true;
    default:
        for (size_t i = 0; i < e->n; i++) {
            if (eval(e->kids[i], st)) {
                return true;
            }
        }
        return false;
    }
}

bool
doc_where_result(const struct doc_where *w, const struct doc_where_state *st)
{
    return w->root == NULL || eval(w->root, st);
}

/* ---- planning -------------------------------------------------------------------------------- */

/* How well leaf L drives a search: 0 not at all, then higher is better. */
static int
driver_rank(const struct doc_where_expr *l, uint8_t *push)
{
    int rank;

    if (on_missing(l)) {
        return 0;
    }
    *push = DOC_WHERE_PUSH_PATH;
    switch (l->op) {
    case DOC_WHERE_EQ:
        *push = DOC_WHERE_PUSH_VALUE;
        rank = 6;
        break;
    case DOC_WHERE_GT:
    case DOC_WHERE_GTE:
    case DOC_WHERE_LT:
    case DOC_WHERE_LTE:
        if (l->v.type == DOC_SHRED_BOOL) {
            rank = 2;
        } else {
            *push = DOC_WHERE_PUSH_VALUE;
            rank = 4;
        }
        break;
    case DOC_WHERE_EXISTS:
        *push = DOC_WHERE_PUSH_VALUE;
        rank = 3;
        break;
    default:
        rank = 2;
        break;
    }
    return rank * 2 + (l->path->glob ? 0 : 1);
}

/* Whether the indexes compare leaf L's value: $eq on any scalar, a range on a string or number. */
static bool
value_pushable(const struct doc_where_expr *l)
{
    return l->kind == DOC_WHERE_LEAF
           && (l->op == DOC_WHERE_EQ
               || ((l->op == DOC_WHERE_GT || l->op == DOC_WHERE_GTE || l->op == DOC_WHERE_LT
                    || l->op == DOC_WHERE_LTE) && l->v.type != DOC_SHRED_BOOL));
}

/*
 * Records as companions of driver PICK (the last of OUT) the other leaves of AND whose values
 * the indexes compare on PICK's path, when that path has no glob (so one row holds its value).
 */
static void
companions(const struct doc_where_expr *and, const struct doc_where_expr *pick,
           struct doc_where_driver *out, struct arena *a)
{
    const struct doc_where_path *p = pick->path;
    size_t i = out->n - 1;

    if (p->glob || !value_pushable(pick)) {
        return;
    }
    for (size_t k = 0; k < and->n; k++) {
        const struct doc_where_expr *l = and->kids[k];

        if (l == pick || !value_pushable(l) || l->path->glob
            || l->path->text_len != p->text_len
            || memcmp(l->path->text, p->text, p->text_len) != 0) {
            continue;
        }
        if (out->nalso[i] == 0) {
            out->also[i] = arena_alloc(a, and->n * sizeof(*out->also[i]));
        }
        out->also[i][out->nalso[i]++] = l;
    }
}

/* Drivers of E into OUT (NULL: only counting); returns their score, 0 when E has none. */
static int
drivers(const struct doc_where_expr *e, struct doc_where_driver *out, struct arena *a)
{
    int best = 0;
    const struct doc_where_expr *pick = NULL;

    if (e->kind == DOC_WHERE_LEAF) {
        uint8_t push = DOC_WHERE_PUSH_PATH;
        int r = driver_rank(e, &push);

        if (r > 0 && out != NULL) {
            out->leaf[out->n] = e;
            out->push[out->n] = push;
            out->n++;
        }
        return r * 64;
    }
    if (e->kind == DOC_WHERE_OR) {
        int worst = 0;

        for (size_t i = 0; i < e->n; i++) {
            int r = drivers(e->kids[i], NULL, a);

            if (r == 0) {
                return 0;
            }
            worst = worst == 0 || r < worst ? r : worst;
        }
        for (size_t i = 0; i < e->n && out != NULL; i++) {
            (void)drivers(e->kids[i], out, a);
        }
        /* several queries: worse than any single one of the same kind */
        return worst / 2 > 0 ? worst / 2 : 1;
    }
    for (size_t i = 0; i < e->n; i++) {
        int r = drivers(e->kids[i], NULL, a);

        if (r > best) {
            best = r;
            pick = e->kids[i];
        }
    }
    if (pick != NULL && out != NULL) {
        (void)drivers(pick, out, a);
        if (pick->kind == DOC_WHERE_LEAF && out->push[out->n - 1] == DOC_WHERE_PUSH_VALUE) {
            companions(e, pick, out, a);
        }
    }
    return best;
}

void
doc_where_driver(const struct doc_where *w, struct arena *a, struct doc_where_driver *d)
{
    size_t n = w->nleaves > 0 ? w->nleaves : 1;

    memset(d, 0, sizeof(*d));
    d->leaf = arena_alloc(a, n * sizeof(*d->leaf));
    d->push = arena_alloc(a, n);
    d->also = arena_alloc(a, n * sizeof(*d->also));
    d->nalso = arena_alloc(a, n * sizeof(*d->nalso));
    memset(d->also, 0, n * sizeof(*d->also));
    memset(d->nalso, 0, n * sizeof(*d->nalso));
    if (w->root != NULL && drivers(w->root, NULL, a) > 0) {
        (void)drivers(w->root, d, a);
    }
}

void
doc_where_describe(const struct doc_where_expr *l, struct cql_wr *w)
{
    const char *code = doc_where_op_code(l->op);

    cql_wr_raw(w, l->path->text, l->path->text_len);
    cql_wr_byte(w, ' ');
    cql_wr_raw(w, code, strlen(code));
    cql_wr_byte(w, ' ');
    if (l->op == DOC_WHERE_IN || l->op == DOC_WHERE_NIN) {
        cql_wr_byte(w, '[');
        for (size_t i = 0; i < l->nlist; i++) {
            if (i > 0) {
                WR_LIT(w, ", ");
            }
            cql_wr_raw(w, l->list[i].text, l->list[i].text_len);
        }
        cql_wr_byte(w, ']');
        return;
    }
    if (l->op == DOC_WHERE_EXISTS) {
        if (l->v.b) {
            WR_LIT(w, "true");
        } else {
            WR_LIT(w, "false");
        }
        return;
    }
    cql_wr_raw(w, l->v.text, l->v.text_len);
}
