/*
 * json_schema.c: JSON Schema draft 4, the syntax check of a schema and the validation of a
 * document against it (see json_schema.h).
 *
 * Both walk the schema recursively. The check walks the schema tree once, bounded by its depth;
 * the validation follows $ref and combinators, so it counts its nesting and its steps and gives
 * up past JSON_SCHEMA_MAX_DEPTH and JSON_SCHEMA_MAX_STEPS. Compiled patterns are kept for the
 * length of one validation, keyed by the schema node holding them.
 */
#include "docs/json_schema.h"

#include <inttypes.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Appends the string literal S to the writer W. */
#define WR_LIT(w, s) cql_wr_raw((w), (s), sizeof(s) - 1)

/* Longest $ref pointer resolved, decoded. */
#define REF_MAX         1024

/* Most $ref hops from one reference to a schema that is not itself a reference. */
#define REF_HOPS        64

/* Most names one message lists (missing, not allowed). */
#define NAMES_MAX       16

/* JSON types as sets, in java-json-tools' NodeType order (its messages list them so). */
enum {
    T_ARRAY   = 1 << 0,
    T_BOOLEAN = 1 << 1,
    T_INTEGER = 1 << 2,
    T_NULL    = 1 << 3,
    T_NUMBER  = 1 << 4,
    T_OBJECT  = 1 << 5,
    T_STRING  = 1 << 6,
};

static const char *const type_names[] = {
    "array", "boolean", "integer", "null", "number", "object", "string",
};

/* ---- helpers --------------------------------------------------------------------------------- */


/* Appends V as compact JSON. */
static void
wr_json(struct cql_wr *w, const struct cql_json_node *v)
{
    if (cql_json_write(w, v) != 0) {
        WR_LIT(w, "?");
    }
}

static const struct cql_json_node *
member(const struct cql_json_node *obj, const char *name)
{
    return cql_json_get(obj, name, strlen(name));
}

/* The T_* type of V ("integer" for a number written without fraction or exponent). */
static unsigned
type_of(const struct cql_json_node *v)
{
    switch (v->kind) {
    case CQL_JSON_ARRAY:
        return T_ARRAY;
    case CQL_JSON_TRUE:
    case CQL_JSON_FALSE:
        return T_BOOLEAN;
    case CQL_JSON_NUMBER:
        return v->integral ? T_INTEGER : T_NUMBER;
    case CQL_JSON_OBJECT:
        return T_OBJECT;
    case CQL_JSON_STRING:
        return T_STRING;
    default:
        return T_NULL;
    }
}

static const char *
type_name(unsigned t)
{
    for (size_t i = 0; i < ARRAY_SIZE(type_names); i++) {
        if (t == 1u << i) {
            return type_names[i];
        }
    }
    return "null";
}

/* The T_* bit of the type name S (LEN bytes), or 0. */
static unsigned
type_by_name(const char *s, size_t len)
{
    for (size_t i = 0; i < ARRAY_SIZE(type_names); i++) {
        if (strlen(type_names[i]) == len && memcmp(type_names[i], s, len) == 0) {
            return 1u << i;
        }
    }
    return 0;
}

/* Appends the types of set T as Java prints an EnumSet: "[integer, number]". */
static void
wr_types(struct cql_wr *w, unsigned t)
{
    bool first = true;

    cql_wr_byte(w, '[');
    for (size_t i = 0; i < ARRAY_SIZE(type_names); i++) {
        if (t & (1u << i)) {
            if (!first) {
                WR_LIT(w, ", ");
            }
            util_wr_str(w, type_names[i]);
            first = false;
        }
    }
    cql_wr_byte(w, ']');
}

/* The value of number V (its text is not NUL-terminated). */
static double
num(const struct cql_json_node *v)
{
    char buf[64];
    char *heap;
    double d;

    if (v->len < sizeof(buf)) {
        memcpy(buf, v->s, v->len);
        buf[v->len] = '\0';
        return strtod(buf, NULL);
    }
    heap = xmalloc(v->len + 1);
    memcpy(heap, v->s, v->len);
    heap[v->len] = '\0';
    d = strtod(heap, NULL);
    free(heap);
    return d;
}

/* Reads integral number V into *OUT when it fits 64 bits. */
static bool
num_int64(const struct cql_json_node *v, int64_t *out)
{
    char buf[32];
    char *end;

    if (!v->integral || v->len >= sizeof(buf)) {
        return false;
    }
    memcpy(buf, v->s, v->len);
    buf[v->len] = '\0';
    *out = strtoll(buf, &end, 10);
    return *end == '\0' && *out != INT64_MIN && *out != INT64_MAX;
}

/* Code points in the UTF-8 string S (LEN bytes). */
static size_t
code_points(const char *s, size_t len)
{
    size_t n = 0;

    for (size_t i = 0; i < len; i++) {
        n += ((unsigned char)s[i] & 0xc0) != 0x80;
    }
    return n;
}

/* A NUL-terminated copy of S (LEN bytes), cut at its first NUL; free() it. */
static char *
cstr(const char *s, size_t len)
{
    const char *nul = memchr(s, '\0', len);
    char *c;

    if (nul != NULL) {
        len = (size_t)(nul - s);
    }
    c = xmalloc(len + 1);
    memcpy(c, s, len);
    c[len] = '\0';
    return c;
}

/* Whether regcomp accepts the pattern S (LEN bytes). */
static bool
regex_ok(const char *s, size_t len)
{
    char *c = cstr(s, len);
    regex_t re;
    int rc = regcomp(&re, c, REG_EXTENDED | REG_NOSUB);

    free(c);
    if (rc == 0) {
        regfree(&re);
    }
    return rc == 0;
}

/*
 * JSON equality as JSON Schema defines it: numbers by value (1 equals 1.0), objects whatever
 * their members' order. *STEPS counts the comparisons; false once it passes the limit.
 */
static bool
equal(const struct cql_json_node *a, const struct cql_json_node *b, size_t *steps)
{
    const struct cql_json_node *x;
    const struct cql_json_node *y;

    if (++*steps > JSON_SCHEMA_MAX_STEPS) {
        return false;
    }
    if (a->kind != b->kind) {
        return false;
    }
    switch (a->kind) {
    case CQL_JSON_NUMBER:
        return num(a) == num(b);
    case CQL_JSON_STRING:
        return a->len == b->len && memcmp(a->s, b->s, a->len) == 0;
    case CQL_JSON_ARRAY:
        if (a->n != b->n) {
            return false;
        }
        for (x = a->child, y = b->child; x != NULL && y != NULL; x = x->next, y = y->next) {
            if (!equal(x, y, steps)) {
                return false;
            }
        }
        return true;
    case CQL_JSON_OBJECT:
        if (a->n != b->n) {
            return false;
        }
        for (x = a->child; x != NULL; x = x->next) {
            y = cql_json_get(b, x->name, x->name_len);
            if (y == NULL || !equal(x, y, steps)) {
                return false;
            }
        }
        return true;
    default:
        return true;
    }
}

/* Whether array A holds two equal elements. */
static bool
has_duplicates(const struct cql_json_node *a, size_t *steps)
{
    for (const struct cql_json_node *x = a->child; x != NULL; x = x->next) {
        for (const struct cql_json_node *y = x->next; y != NULL; y = y->next) {
            if (equal(x, y, steps)) {
                return true;
            }
        }
    }
    return false;
}

/*
 * The schema the local reference REF (LEN bytes) points to inside ROOT: "#" or "#/a/b~1c/0",
 * percent-decoded, then a JSON pointer (~1 is '/', ~0 is '~'). NULL when REF is not local, or
 * points to nothing or to something that is not an object.
 */
static const struct cql_json_node *
resolve(const struct cql_json_node *root, const char *ref, size_t len)
{
    char p[REF_MAX];
    size_t n = 0;
    const struct cql_json_node *v = root;
    size_t i = 1;

    if (len == 0 || ref[0] != '#') {
        return NULL;
    }
    for (size_t k = 1; k < len; k++) {
        unsigned hi;
        unsigned lo;

        if (n == sizeof(p)) {
            return NULL;
        }
        if (ref[k] == '%' && k + 2 < len && sscanf(ref + k + 1, "%1x%1x", &hi, &lo) == 2) {
            p[n++] = (char)(hi << 4 | lo);
            k += 2;
        } else {
            p[n++] = ref[k];
        }
    }
    if (n > 0 && p[0] != '/') {
        return NULL;
    }
    while (i <= n && n > 0) {
        char seg[REF_MAX];
        size_t sl = 0;
        const struct cql_json_node *c = NULL;

        for (; i < n && p[i] != '/'; i++) {
            if (p[i] == '~' && i + 1 < n && (p[i + 1] == '0' || p[i + 1] == '1')) {
                seg[sl++] = p[i + 1] == '0' ? '~' : '/';
                i++;
            } else if (p[i] == '~') {
                return NULL;
            } else {
                seg[sl++] = p[i];
            }
        }
        i++;
        if (v->kind == CQL_JSON_OBJECT) {
            c = cql_json_get(v, seg, sl);
        } else if (v->kind == CQL_JSON_ARRAY && sl > 0 && sl < 10
                   && (sl == 1 || seg[0] != '0')) {
            size_t idx = 0;
            size_t k = 0;

            for (; k < sl && seg[k] >= '0' && seg[k] <= '9'; k++) {
                idx = idx * 10 + (size_t)(seg[k] - '0');
            }
            c = k == sl ? v->child : NULL;
            for (k = 0; k < idx && c != NULL; k++) {
                c = c->next;
            }
        }
        if (c == NULL) {
            return NULL;
        }
        v = c;
    }
    return v->kind == CQL_JSON_OBJECT ? v : NULL;
}

/* ---- the syntax check ------------------------------------------------------------------------ */

/* The state of one check. */
struct check {
    const struct cql_json_node *root;   /* the whole schema, for $ref */
    struct cql_wr              *out;    /* the report */
    size_t                      nerr;   /* problems reported */
    size_t                      steps;  /* comparisons made (duplicates) */
};

/* The keywords checked, with the JSON types each takes. */
static const struct {
    const char *name;
    unsigned    types;
} keywords[] = {
    { "$ref",                 T_STRING },
    { "additionalItems",      T_BOOLEAN | T_OBJECT },
    { "additionalProperties", T_BOOLEAN | T_OBJECT },
    { "allOf",                T_ARRAY },
    { "anyOf",                T_ARRAY },
    { "definitions",          T_OBJECT },
    { "dependencies",         T_OBJECT },
    { "enum",                 T_ARRAY },
    { "exclusiveMaximum",     T_BOOLEAN },
    { "exclusiveMinimum",     T_BOOLEAN },
    { "items",                T_ARRAY | T_OBJECT },
    { "maxItems",             T_INTEGER },
    { "maxLength",            T_INTEGER },
    { "maxProperties",        T_INTEGER },
    { "maximum",              T_INTEGER | T_NUMBER },
    { "minItems",             T_INTEGER },
    { "minLength",            T_INTEGER },
    { "minProperties",        T_INTEGER },
    { "minimum",              T_INTEGER | T_NUMBER },
    { "multipleOf",           T_INTEGER | T_NUMBER },
    { "not",                  T_OBJECT },
    { "oneOf",                T_ARRAY },
    { "pattern",              T_STRING },
    { "patternProperties",    T_OBJECT },
    { "properties",           T_OBJECT },
    { "required",             T_ARRAY },
    { "type",                 T_ARRAY | T_STRING },
    { "uniqueItems",          T_BOOLEAN },
};

/* Starts one problem of the report: "[error]: ". */
static struct cql_wr *
problem(struct check *c)
{
    c->nerr++;
    WR_LIT(c->out, "[error]: ");
    return c->out;
}

static void
problem_end(struct check *c)
{
    WR_LIT(c->out, "; ");
}

static void
problem_str(struct check *c, const char *msg)
{
    util_wr_str(problem(c), msg);
    problem_end(c);
}

static void check_schema(struct check *c, const struct cql_json_node *s, unsigned depth);

/* A subschema V: an object, checked in turn. */
static void
check_sub(struct check *c, const struct cql_json_node *v, unsigned depth)
{
    if (v->kind != CQL_JSON_OBJECT) {
        util_wr_fmt(problem(c), "JSON value is of type %s, not a JSON Schema (expected an object)",
               type_name(type_of(v)));
        problem_end(c);
        return;
    }
    check_schema(c, v, depth + 1);
}

/*
 * Array V of a keyword: not empty, elements of the types ELEM (0: subschemas), distinct when
 * UNIQUE. Subschemas are checked in turn.
 */
static void
check_array(struct check *c, const struct cql_json_node *v, unsigned elem, bool unique,
            unsigned depth)
{
    size_t i = 0;

    if (v->n == 0) {
        problem_str(c, "array must have at least one element");
        return;
    }
    for (const struct cql_json_node *e = v->child; e != NULL; e = e->next, i++) {
        unsigned want = elem != 0 ? elem : T_OBJECT;

        if ((type_of(e) & (want | (want & T_NUMBER ? T_INTEGER : 0))) == 0) {
            struct cql_wr *w = problem(c);

            util_wr_fmt(w, "array element at index %zu has incorrect type (expected one of ", i);
            wr_types(w, want);
            util_wr_fmt(w, " but found %s)", type_name(type_of(e)));
            problem_end(c);
        } else if (elem == 0) {
            check_schema(c, e, depth + 1);
        }
    }
    if (unique && has_duplicates(v, &c->steps)) {
        problem_str(c, "array must not contain duplicate elements");
    }
}

/* "type": a primitive type name, or a non-empty array of distinct ones. */
static void
check_type(struct check *c, const struct cql_json_node *v)
{
    const struct cql_json_node *one = v;

    if (v->kind == CQL_JSON_ARRAY) {
        check_array(c, v, T_STRING, true, 0);
        one = v->child;
    }
    for (; one != NULL; one = v->kind == CQL_JSON_ARRAY ? one->next : NULL) {
        if (one->kind == CQL_JSON_STRING && type_by_name(one->s, one->len) == 0) {
            struct cql_wr *w = problem(c);

            cql_wr_byte(w, '"');
            cql_wr_raw(w, one->s, one->len);
            WR_LIT(w, "\" is not a valid primitive type (valid values are: [array, boolean, "
                      "integer, null, number, object, string])");
            problem_end(c);
        }
    }
}

/* "dependencies": each value a subschema or a non-empty array of distinct property names. */
static void
check_dependencies(struct check *c, const struct cql_json_node *v, unsigned depth)
{
    for (const struct cql_json_node *m = v->child; m != NULL; m = m->next) {
        if (m->kind == CQL_JSON_OBJECT) {
            check_schema(c, m, depth + 1);
        } else if (m->kind == CQL_JSON_ARRAY) {
            check_array(c, m, T_STRING, true, depth);
        } else {
            struct cql_wr *w = problem(c);

            WR_LIT(w, "dependency value for property \"");
            cql_wr_raw(w, m->name, m->name_len);
            util_wr_fmt(w, "\" has incorrect type (expected one of [array, object] but found %s)",
                   type_name(type_of(m)));
            problem_end(c);
        }
    }
}

/* "$ref": local, resolvable, and not a loop of references. */
static void
check_ref(struct check *c, const struct cql_json_node *v)
{
    const struct cql_json_node *t = resolve(c->root, v->s, v->len);
    struct cql_wr *w;
    size_t hops = 0;

    while (t != NULL && hops < REF_HOPS) {
        const struct cql_json_node *next = member(t, "$ref");

        if (next == NULL || next->kind != CQL_JSON_STRING) {
            return;
        }
        t = resolve(c->root, next->s, next->len);
        hops++;
    }
    w = problem(c);
    WR_LIT(w, "JSON reference \"");
    cql_wr_raw(w, v->s, v->len);
    if (v->len == 0 || v->s[0] != '#') {
        WR_LIT(w, "\" is not local to the schema (only \"#...\" references are supported)");
    } else if (t == NULL) {
        WR_LIT(w, "\" cannot be resolved within the schema");
    } else {
        WR_LIT(w, "\" is part of a reference loop");
    }
    problem_end(c);
}

/* The keyword V (KW) has one of the right types: its own rules. */
static void
check_keyword(struct check *c, const char *kw, const struct cql_json_node *v, unsigned depth)
{
    if (strcmp(kw, "$ref") == 0) {
        check_ref(c, v);
    } else if (strcmp(kw, "type") == 0) {
        check_type(c, v);
    } else if (strcmp(kw, "enum") == 0) {
        check_array(c, v, T_ARRAY | T_BOOLEAN | T_NULL | T_NUMBER | T_OBJECT | T_STRING, true,
                    depth);
    } else if (strcmp(kw, "required") == 0) {
        check_array(c, v, T_STRING, true, depth);
    } else if (strcmp(kw, "allOf") == 0 || strcmp(kw, "anyOf") == 0
               || strcmp(kw, "oneOf") == 0
               || (strcmp(kw, "items") == 0 && v->kind == CQL_JSON_ARRAY)) {
        check_array(c, v, 0, false, depth);
    } else if (v->kind == CQL_JSON_OBJECT && (strcmp(kw, "items") == 0 || strcmp(kw, "not") == 0
                                              || strncmp(kw, "additional", 10) == 0)) {
        check_schema(c, v, depth + 1);
    } else if (strcmp(kw, "properties") == 0 || strcmp(kw, "definitions") == 0
               || strcmp(kw, "patternProperties") == 0) {
        for (const struct cql_json_node *m = v->child; m != NULL; m = m->next) {
            if (kw[0] == 'p' && kw[1] == 'a' && !regex_ok(m->name, m->name_len)) {
                struct cql_wr *w = problem(c);

                WR_LIT(w, "property name \"");
                cql_wr_raw(w, m->name, m->name_len);
                WR_LIT(w, "\" is not a valid ECMA 262 regular expression");
                problem_end(c);
            }
            check_sub(c, m, depth);
        }
    } else if (strcmp(kw, "dependencies") == 0) {
        check_dependencies(c, v, depth);
    } else if (strcmp(kw, "pattern") == 0 && !regex_ok(v->s, v->len)) {
        struct cql_wr *w = problem(c);

        WR_LIT(w, "string \"");
        cql_wr_raw(w, v->s, v->len);
        WR_LIT(w, "\" is not a valid ECMA 262 regular expression");
        problem_end(c);
    } else if (strcmp(kw, "multipleOf") == 0 && !(num(v) > 0)) {
        problem_str(c, "divisor must be strictly greater than zero");
    } else if (v->kind == CQL_JSON_NUMBER && v->integral && strncmp(kw, "m", 1) == 0
               && strcmp(kw, "minimum") != 0 && strcmp(kw, "maximum") != 0) {
        int64_t n = 0;

        if (v->s[0] == '-') {
            problem_str(c, "integer value must be positive");
        } else if (!num_int64(v, &n) || n > INT32_MAX) {
            problem_str(c, "integer value is too large");
        }
    }
}

/* Checks schema S (an object) and every subschema in it. */
static void
check_schema(struct check *c, const struct cql_json_node *s, unsigned depth)
{
    if (depth > JSON_SCHEMA_MAX_DEPTH) {
        problem_str(c, "schema nested too deeply");
        return;
    }
    for (size_t i = 0; i < ARRAY_SIZE(keywords); i++) {
        const struct cql_json_node *v = member(s, keywords[i].name);
        unsigned t;

        if (v == NULL) {
            continue;
        }
        t = type_of(v);
        if ((t & (keywords[i].types | (keywords[i].types & T_NUMBER ? T_INTEGER : 0))) == 0) {
            struct cql_wr *w = problem(c);

            util_wr_fmt(w, "value has incorrect type (found %s, expected one of ", type_name(t));
            wr_types(w, keywords[i].types);
            cql_wr_byte(w, ')');
            problem_end(c);
            continue;
        }
        check_keyword(c, keywords[i].name, v, depth);
    }
    if (member(s, "exclusiveMinimum") != NULL && member(s, "minimum") == NULL) {
        problem_str(c, "exclusiveMinimum must be paired with minimum");
    }
    if (member(s, "exclusiveMaximum") != NULL && member(s, "maximum") == NULL) {
        problem_str(c, "exclusiveMaximum must be paired with maximum");
    }
}

int
json_schema_check(const struct cql_json_node *schema, struct cql_wr *report)
{
    struct check c = { schema, report, 0, 0 };

    if (schema->kind != CQL_JSON_OBJECT) {
        util_wr_fmt(problem(&c), "JSON value is of type %s, not a JSON Schema (expected an object)",
               type_name(type_of(schema)));
        problem_end(&c);
        return -1;
    }
    check_schema(&c, schema, 0);
    return c.nerr == 0 ? 0 : -1;
}

/* ---- validation ------------------------------------------------------------------------------ */

/* A compiled pattern, kept for one validation. */
struct pattern {
    const struct cql_json_node *key;    /* the node holding it: a string or a member name */
    regex_t                     re;     /* compiled */
    bool                        ok;     /* regcomp succeeded */
};

/* The state of one validation. */
struct val {
    const struct cql_json_node *root;   /* the whole schema, for $ref */
    struct cql_wr              *out;    /* the messages */
    size_t                      nmsg;   /* messages written */
    size_t                      steps;  /* subschemas evaluated and values compared */
    bool                        gave_up;/* a limit was reached */
    struct pattern             *pat;    /* compiled patterns (malloc) */
    size_t                      npat;   /* how many */
    size_t                      cap;    /* room at pat */
};

/* Starts one message: the separator unless it is the first. */
static struct cql_wr *
msg(struct val *v)
{
    if (v->nmsg++ > 0) {
        WR_LIT(v->out, ", ");
    }
    return v->out;
}

/* Whether the pattern of node KEY (S, LEN bytes) finds a match in the string S2 (LEN2 bytes). */
static bool
search(struct val *v, const struct cql_json_node *key, const char *s, size_t len,
       const char *s2, size_t len2)
{
    struct pattern *p = NULL;
    char *subject;
    bool found;

    for (size_t i = 0; i < v->npat && p == NULL; i++) {
        if (v->pat[i].key == key) {
            p = &v->pat[i];
        }
    }
    if (p == NULL) {
        char *c = cstr(s, len);

        if (v->npat == v->cap) {
            v->cap = v->cap == 0 ? 8 : v->cap * 2;
            v->pat = xrealloc(v->pat, v->cap * sizeof(*v->pat));
        }
        p = &v->pat[v->npat++];
        p->key = key;
        p->ok = regcomp(&p->re, c, REG_EXTENDED | REG_NOSUB) == 0;
        free(c);
    }
    if (!p->ok) {
        return false;
    }
    subject = cstr(s2, len2);
    found = regexec(&p->re, subject, 0, NULL, 0) == 0;
    free(subject);
    return found;
}

static bool validate(struct val *v, const struct cql_json_node *s, const struct cql_json_node *i,
                     unsigned depth, bool quiet);

/* "type": the instance's type is one of those named (a number also for "integer"). */
static bool
v_type(struct val *v, const struct cql_json_node *kw, const struct cql_json_node *i, bool quiet)
{
    unsigned allowed = 0;
    unsigned t = type_of(i);
    struct cql_wr *w;
    bool first = true;

    for (const struct cql_json_node *e = kw->kind == CQL_JSON_ARRAY ? kw->child : kw; e != NULL;
         e = kw->kind == CQL_JSON_ARRAY ? e->next : NULL) {
        allowed |= type_by_name(e->s, e->len);
    }
    if ((allowed & t) != 0 || (t == T_INTEGER && (allowed & T_NUMBER) != 0)) {
        return true;
    }
    if (quiet) {
        return false;
    }
    w = msg(v);
    util_wr_fmt(w, "instance type (%s) does not match any allowed primitive type (allowed: [",
           type_name(t));
    for (size_t k = 0; k < ARRAY_SIZE(type_names); k++) {
        if (allowed & (1u << k)) {
            util_wr_fmt(w, "%s\"%s\"", first ? "" : ",", type_names[k]);
            first = false;
        }
    }
    WR_LIT(w, "])");
    return false;
}

static bool
v_enum(struct val *v, const struct cql_json_node *kw, const struct cql_json_node *i, bool quiet)
{
    struct cql_wr *w;

    for (const struct cql_json_node *e = kw->child; e != NULL; e = e->next) {
        if (equal(e, i, &v->steps)) {
            return true;
        }
    }
    if (!quiet) {
        w = msg(v);
        WR_LIT(w, "instance value (");
        wr_json(w, i);
        WR_LIT(w, ") not found in enum (possible values: ");
        wr_json(w, kw);
        cql_wr_byte(w, ')');
    }
    return false;
}

/* allOf, anyOf, oneOf (KW names which) and not: one message each, the branches quiet. */
static bool
v_combine(struct val *v, const char *kw, const struct cql_json_node *arr,
          const struct cql_json_node *i, unsigned depth, bool quiet)
{
    size_t matched = 0;
    bool ok;

    if (kw[0] == 'n') {
        ok = !validate(v, arr, i, depth + 1, true);
        if (!ok && !quiet && !v->gave_up) {
            WR_LIT(msg(v), "instance matched a schema which it should not have");
        }
        return ok && !v->gave_up;
    }
    for (const struct cql_json_node *e = arr->child; e != NULL && !v->gave_up; e = e->next) {
        matched += validate(v, e, i, depth + 1, true);
        if (strcmp(kw, "anyOf") == 0 && matched > 0) {
            return true;            /* anyOf: one branch is enough */
        }
    }
    if (v->gave_up) {
        return false;
    }
    ok = kw[0] == 'o' ? matched == 1 : kw[1] == 'l' ? matched == arr->n : matched > 0;
    if (!ok && !quiet) {
        if (kw[0] == 'o') {
            util_wr_fmt(msg(v), "instance failed to match exactly one schema (matched %zu out of %zu)",
                   matched, arr->n);
        } else if (kw[1] == 'l') {
            util_wr_fmt(msg(v), "instance failed to match all required schemas (matched only %zu out "
                           "of %zu)", matched, arr->n);
        } else {
            util_wr_fmt(msg(v), "instance failed to match at least one required schema among %zu",
                   arr->n);
        }
    }
    return ok;
}

/* minimum, maximum (with their exclusive flags) and multipleOf. */
static bool
v_number(struct val *v, const struct cql_json_node *s, const struct cql_json_node *i, bool quiet)
{
    const struct cql_json_node *lim;
    const struct cql_json_node *excl;
    double x = num(i);
    bool ok = true;

    if ((lim = member(s, "minimum")) != NULL) {
        excl = member(s, "exclusiveMinimum");
        if (x < num(lim) || (excl != NULL && excl->kind == CQL_JSON_TRUE && x == num(lim))) {
            ok = false;
            if (!quiet && x < num(lim)) {
                util_wr_fmt(msg(v), "numeric instance is lower than the required minimum (minimum: "
                               "%.*s, found: %.*s)", (int)lim->len, lim->s, (int)i->len, i->s);
            } else if (!quiet) {
                util_wr_fmt(msg(v), "numeric instance is not strictly greater than the required "
                               "minimum %.*s", (int)lim->len, lim->s);
            }
        }
    }
    if ((lim = member(s, "maximum")) != NULL) {
        excl = member(s, "exclusiveMaximum");
        if (x > num(lim) || (excl != NULL && excl->kind == CQL_JSON_TRUE && x == num(lim))) {
            ok = false;
            if (!quiet && x > num(lim)) {
                util_wr_fmt(msg(v), "numeric instance is greater than the required maximum (maximum: "
                               "%.*s, found: %.*s)", (int)lim->len, lim->s, (int)i->len, i->s);
            } else if (!quiet) {
                util_wr_fmt(msg(v), "numeric instance is not strictly lower than the required "
                               "maximum %.*s", (int)lim->len, lim->s);
            }
        }
    }
    if ((lim = member(s, "multipleOf")) != NULL) {
        int64_t a;
        int64_t b;
        bool mult;

        if (num_int64(i, &a) && num_int64(lim, &b)) {
            mult = a % b == 0;
        } else {
            double q = x / num(lim);

            mult = isfinite(q) && fabs(q - nearbyint(q)) <= 1e-9 * fmax(1.0, fabs(q));
        }
        if (!mult) {
            ok = false;
            if (!quiet) {
                util_wr_fmt(msg(v), "remainder of division is not zero (%.*s / %.*s)", (int)i->len,
                       i->s, (int)lim->len, lim->s);
            }
        }
    }
    return ok;
}

/* The integer value of keyword NAME of S, or -1 when absent. */
static int64_t
limit(const struct cql_json_node *s, const char *name)
{
    const struct cql_json_node *v = member(s, name);
    int64_t n;

    return v != NULL && num_int64(v, &n) ? n : -1;
}

/* minLength, maxLength and pattern. */
static bool
v_string(struct val *v, const struct cql_json_node *s, const struct cql_json_node *i, bool quiet)
{
    int64_t len = (int64_t)code_points(i->s, i->len);
    int64_t min = limit(s, "minLength");
    int64_t max = limit(s, "maxLength");
    const struct cql_json_node *pat = member(s, "pattern");
    struct cql_wr *w;
    bool ok = true;

    if (min >= 0 && len < min) {
        ok = false;
        if (!quiet) {
            w = msg(v);
            WR_LIT(w, "string \"");
            cql_wr_raw(w, i->s, i->len);
            util_wr_fmt(w, "\" is too short (length: %" PRId64 ", required minimum: %" PRId64 ")", len,
                   min);
        }
    }
    if (max >= 0 && len > max) {
        ok = false;
        if (!quiet) {
            w = msg(v);
            WR_LIT(w, "string \"");
            cql_wr_raw(w, i->s, i->len);
            util_wr_fmt(w, "\" is too long (length: %" PRId64 ", maximum allowed: %" PRId64 ")", len,
                   max);
        }
    }
    if (pat != NULL && !search(v, pat, pat->s, pat->len, i->s, i->len)) {
        ok = false;
        if (!quiet) {
            w = msg(v);
            WR_LIT(w, "ECMA 262 regex \"");
            cql_wr_raw(w, pat->s, pat->len);
            WR_LIT(w, "\" does not match input string \"");
            cql_wr_raw(w, i->s, i->len);
            cql_wr_byte(w, '"');
        }
    }
    return ok;
}

/* minItems, maxItems, uniqueItems and additionalItems false. */
static bool
v_array(struct val *v, const struct cql_json_node *s, const struct cql_json_node *i, bool quiet)
{
    int64_t n = (int64_t)i->n;
    int64_t min = limit(s, "minItems");
    int64_t max = limit(s, "maxItems");
    const struct cql_json_node *uniq = member(s, "uniqueItems");
    const struct cql_json_node *items = member(s, "items");
    const struct cql_json_node *more = member(s, "additionalItems");
    bool ok = true;

    if (min >= 0 && n < min) {
        ok = false;
        if (!quiet) {
            util_wr_fmt(msg(v), "array is too short: must have at least %" PRId64 " elements but "
                           "instance has %" PRId64 " elements", min, n);
        }
    }
    if (max >= 0 && n > max) {
        ok = false;
        if (!quiet) {
            util_wr_fmt(msg(v), "array is too long: must have at most %" PRId64 " elements but "
                           "instance has %" PRId64 " elements", max, n);
        }
    }
    if (uniq != NULL && uniq->kind == CQL_JSON_TRUE && has_duplicates(i, &v->steps)) {
        ok = false;
        if (!quiet) {
            WR_LIT(msg(v), "array must not contain duplicate elements");
        }
    }
    if (items != NULL && items->kind == CQL_JSON_ARRAY && more != NULL
        && more->kind == CQL_JSON_FALSE && i->n > items->n) {
        ok = false;
        if (!quiet) {
            util_wr_fmt(msg(v), "schema only allows %zu elements in array but instance has %zu "
                           "elements", items->n, i->n);
        }
    }
    return ok;
}

/* Whether member M of an instance is named in "properties" or matches "patternProperties". */
static bool
declared(struct val *v, const struct cql_json_node *s, const struct cql_json_node *m)
{
    const struct cql_json_node *props = member(s, "properties");
    const struct cql_json_node *pats = member(s, "patternProperties");

    if (props != NULL && cql_json_get(props, m->name, m->name_len) != NULL) {
        return true;
    }
    for (const struct cql_json_node *p = pats != NULL ? pats->child : NULL; p != NULL;
         p = p->next) {
        if (search(v, p, p->name, p->name_len, m->name, m->name_len)) {
            return true;
        }
    }
    return false;
}

/* Appends a JSON array of the strings S[0..N) (member names). */
static void
wr_names(struct cql_wr *w, const struct cql_json_node **s, size_t n)
{
    struct cql_json_node arr = { .kind = CQL_JSON_ARRAY };
    struct cql_json_node **tail = &arr.child;
    struct cql_json_node tmp[NAMES_MAX];

    for (size_t k = 0; k < n && k < ARRAY_SIZE(tmp); k++) {
        memset(&tmp[k], 0, sizeof(tmp[k]));
        tmp[k].kind = CQL_JSON_STRING;
        tmp[k].s = s[k]->kind == CQL_JSON_STRING ? s[k]->s : s[k]->name;
        tmp[k].len = s[k]->kind == CQL_JSON_STRING ? s[k]->len : s[k]->name_len;
        *tail = &tmp[k];
        tail = &tmp[k].next;
        arr.n++;
    }
    wr_json(w, &arr);
}

/* minProperties, maxProperties, required, additionalProperties false, dependencies. */
static bool
v_object(struct val *v, const struct cql_json_node *s, const struct cql_json_node *i,
         unsigned depth, bool quiet)
{
    int64_t n = (int64_t)i->n;
    int64_t min = limit(s, "minProperties");
    int64_t max = limit(s, "maxProperties");
    const struct cql_json_node *req = member(s, "required");
    const struct cql_json_node *more = member(s, "additionalProperties");
    const struct cql_json_node *deps = member(s, "dependencies");
    const struct cql_json_node *names[NAMES_MAX];
    size_t nn = 0;
    bool ok = true;

    if (min >= 0 && n < min) {
        ok = false;
        if (!quiet) {
            util_wr_fmt(msg(v), "object has too few properties (found %" PRId64 " but schema "
                           "requires at least %" PRId64 ")", n, min);
        }
    }
    if (max >= 0 && n > max) {
        ok = false;
        if (!quiet) {
            util_wr_fmt(msg(v), "object has too many properties (found %" PRId64 " but schema "
                           "requires at most %" PRId64 ")", n, max);
        }
    }
    for (const struct cql_json_node *r = req != NULL ? req->child : NULL; r != NULL; r = r->next) {
        if (cql_json_get(i, r->s, r->len) == NULL && nn < NAMES_MAX) {
            names[nn++] = r;
        }
    }
    if (nn > 0) {
        ok = false;
        if (!quiet) {
            struct cql_wr *w = msg(v);

            WR_LIT(w, "object has missing required properties (");
            wr_names(w, names, nn);
            cql_wr_byte(w, ')');
        }
    }
    nn = 0;
    if (more != NULL && more->kind == CQL_JSON_FALSE) {
        for (const struct cql_json_node *m = i->child; m != NULL; m = m->next) {
            if (!declared(v, s, m) && nn < NAMES_MAX) {
                names[nn++] = m;
            }
        }
    }
    if (nn > 0) {
        ok = false;
        if (!quiet) {
            struct cql_wr *w = msg(v);

            WR_LIT(w, "object instance has properties which are not allowed by the schema: ");
            wr_names(w, names, nn);
        }
    }
    for (const struct cql_json_node *d = deps != NULL ? deps->child : NULL; d != NULL;
         d = d->next) {
        if (cql_json_get(i, d->name, d->name_len) == NULL) {
            continue;
        }
        if (d->kind == CQL_JSON_OBJECT) {
            ok = validate(v, d, i, depth + 1, quiet) && ok;
            continue;
        }
        nn = 0;
        for (const struct cql_json_node *e = d->child; e != NULL; e = e->next) {
            if (cql_json_get(i, e->s, e->len) == NULL && nn < NAMES_MAX) {
                names[nn++] = e;
            }
        }
        if (nn > 0) {
            ok = false;
            if (!quiet) {
                struct cql_wr *w = msg(v);

                WR_LIT(w, "property \"");
                cql_wr_raw(w, d->name, d->name_len);
                WR_LIT(w, "\" of object has missing property dependencies (schema requires ");
                wr_json(w, d);
                WR_LIT(w, "; missing: ");
                wr_names(w, names, nn);
                cql_wr_byte(w, ')');
            }
        }
    }
    return ok;
}

/* The elements of array I against items and additionalItems. */
static bool
v_items(struct val *v, const struct cql_json_node *s, const struct cql_json_node *i,
        unsigned depth, bool quiet)
{
    const struct cql_json_node *items = member(s, "items");
    const struct cql_json_node *more = member(s, "additionalItems");
    const struct cql_json_node *tuple = NULL;
    bool ok = true;

    if (items == NULL) {
        return true;
    }
    if (items->kind == CQL_JSON_ARRAY) {
        tuple = items->child;
    }
    for (const struct cql_json_node *e = i->child; e != NULL && !v->gave_up; e = e->next) {
        const struct cql_json_node *sub = items;

        if (items->kind == CQL_JSON_ARRAY) {
            sub = tuple != NULL ? tuple : more;
            tuple = tuple != NULL ? tuple->next : NULL;
        }
        if (sub != NULL && sub->kind == CQL_JSON_OBJECT) {
            ok = validate(v, sub, e, depth + 1, quiet) && ok;
            if (!ok && quiet) {
                return false;
            }
        }
    }
    return ok;
}

/* The members of object I against properties, patternProperties and additionalProperties. */
static bool
v_members(struct val *v, const struct cql_json_node *s, const struct cql_json_node *i,
          unsigned depth, bool quiet)
{
    const struct cql_json_node *props = member(s, "properties");
    const struct cql_json_node *pats = member(s, "patternProperties");
    const struct cql_json_node *more = member(s, "additionalProperties");
    bool ok = true;

    for (const struct cql_json_node *m = i->child; m != NULL && !v->gave_up; m = m->next) {
        const struct cql_json_node *sub = props != NULL ? cql_json_get(props, m->name,
                                                                       m->name_len)
                                                        : NULL;
        bool matched = sub != NULL;

        if (sub != NULL) {
            ok = validate(v, sub, m, depth + 1, quiet) && ok;
        }
        for (const struct cql_json_node *p = pats != NULL ? pats->child : NULL; p != NULL;
             p = p->next) {
            if (search(v, p, p->name, p->name_len, m->name, m->name_len)) {
                matched = true;
                ok = validate(v, p, m, depth + 1, quiet) && ok;
            }
        }
        if (!matched && more != NULL && more->kind == CQL_JSON_OBJECT) {
            ok = validate(v, more, m, depth + 1, quiet) && ok;
        }
        if (!ok && quiet) {
            return false;
        }
    }
    return ok;
}

/*
 * Validates instance I against schema S. QUIET writes no message (inside combinators) and may
 * stop at the first failure. Returns whether I is valid; false too once a limit was reached.
 */
static bool
validate(struct val *v, const struct cql_json_node *s, const struct cql_json_node *i,
         unsigned depth, bool quiet)
{
    static const char *const combinators[] = { "allOf", "anyOf", "oneOf", "not" };
    const struct cql_json_node *kw;
    unsigned t = type_of(i);
    bool ok = true;

    if (v->gave_up || ++v->steps > JSON_SCHEMA_MAX_STEPS || depth > JSON_SCHEMA_MAX_DEPTH) {
        v->gave_up = true;
        return false;
    }
    if ((kw = member(s, "$ref")) != NULL) {
        const struct cql_json_node *target = resolve(v->root, kw->s, kw->len);

        return target != NULL && validate(v, target, i, depth + 1, quiet);
    }
    if ((kw = member(s, "type")) != NULL) {
        ok = v_type(v, kw, i, quiet) && ok;
    }
    if ((kw = member(s, "enum")) != NULL) {
        ok = v_enum(v, kw, i, quiet) && ok;
    }
    for (size_t k = 0; k < ARRAY_SIZE(combinators) && (ok || !quiet); k++) {
        if ((kw = member(s, combinators[k])) != NULL) {
            ok = v_combine(v, combinators[k], kw, i, depth, quiet) && ok;
        }
    }
    if (t == T_INTEGER || t == T_NUMBER) {
        ok = v_number(v, s, i, quiet) && ok;
    } else if (t == T_STRING) {
        ok = v_string(v, s, i, quiet) && ok;
    } else if (t == T_ARRAY) {
        ok = v_array(v, s, i, quiet) && ok;
    } else if (t == T_OBJECT) {
        ok = v_object(v, s, i, depth, quiet) && ok;
    }
    if (!ok || v->gave_up) {
        return false;
    }
    if (t == T_ARRAY) {
        return v_items(v, s, i, depth, quiet) && !v->gave_up;
    }
    if (t == T_OBJECT) {
        return v_members(v, s, i, depth, quiet) && !v->gave_up;
    }
    return true;
}

int
json_schema_validate(const struct cql_json_node *schema, const struct cql_json_node *doc,
                     struct cql_wr *msgs)
{
    struct val v;
    bool ok;

    memset(&v, 0, sizeof(v));
    v.root = schema;
    v.out = msgs;
    ok = validate(&v, schema, doc, 0, false);
    if (v.gave_up || v.steps > JSON_SCHEMA_MAX_STEPS) {
        /* comparisons past the limit answered "different": the result cannot be trusted */
        ok = false;
        WR_LIT(msg(&v), "validation stopped: the schema nests or recurses too deeply");
    } else if (!ok && v.nmsg == 0) {
        WR_LIT(msg(&v), "instance does not match the schema");
    }
    for (size_t k = 0; k < v.npat; k++) {
        if (v.pat[k].ok) {
            regfree(&v.pat[k].re);
        }
    }
    free(v.pat);
    return ok ? 0 : -1;
}
