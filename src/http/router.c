/*
 * router.c: template compilation, matching with literal-first precedence, percent-decoding and
 * query strings (see router.h). Route tables are small (tens of entries), so matching walks every
 * route and keeps the best; no trie is needed.
 */
#include "http/router.h"

#include <string.h>

#include "cql_wire.h"

const char *
http_method_name(enum http_method m)
{
    switch (m) {
#define XX(name, val) case HTTP_METHOD_##name: return #name;
    ROUTER_METHOD_MAP(XX)
#undef XX
    }
    return "OTHER";
}

void
router_init(struct router *r)
{
    r->routes = NULL;
    r->n = 0;
    r->cap = 0;
}

void
router_deinit(struct router *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->routes[i]->tmpl);
        free(r->routes[i]->pattern);
        free(r->routes[i]);
    }
    free(r->routes);
    router_init(r);
}

/* ---- templates ------------------------------------------------------------------------------- */

/*
 * Cuts the copy in RT->tmpl into segments. Parameter names are NUL-terminated in place (the '}'
 * or the first '.' of "..." becomes the NUL); literals are compared by length.
 */
static int
compile(struct route *rt)
{
    char *s = rt->tmpl;
    size_t nparams = 0;

    if (s[0] != '/') {
        return E_INVALID;
    }
    rt->nseg = 0;
    if (s[1] == '\0') {
        return 0;                           /* the template "/" */
    }
    while (*s == '/') {
        char *start = s + 1;
        size_t n = strcspn(start, "/");
        bool more = start[n] == '/';
        struct route_seg *seg;

        if (n == 0 || rt->nseg == ROUTER_MAX_SEGMENTS) {
            return E_INVALID;               /* "//", a trailing slash, or too long */
        }
        seg = &rt->seg[rt->nseg++];
        s = start + n;
        if (start[0] != '{') {
            if (memchr(start, '{', n) != NULL || memchr(start, '}', n) != NULL) {
                return E_INVALID;
            }
            seg->kind = ROUTE_LITERAL;
            seg->text = start;
            seg->len = n;
            continue;
        }
        if (n < 3 || start[n - 1] != '}' || memchr(start + 1, '{', n - 2) != NULL
            || memchr(start + 1, '}', n - 2) != NULL || ++nparams > ROUTER_MAX_PARAMS) {
            return E_INVALID;
        }
        seg->kind = ROUTE_PARAM;
        seg->text = start + 1;
        seg->len = n - 2;
        if (seg->len > 3 && memcmp(seg->text + seg->len - 3, "...", 3) == 0) {
            if (more) {
                return E_INVALID;           /* {name...} must be last */
            }
            seg->kind = ROUTE_REST;
            seg->len -= 3;
        }
        start[1 + seg->len] = '\0';
    }
    return 0;
}

int
router_add(struct router *r, unsigned methods, const char *tmpl, http_handler_cb handler,
           const char *name)
{
    struct route *rt;
    int rc;

    if ((methods & HTTP_M_ANY) == 0 || handler == NULL || tmpl == NULL) {
        return E_INVALID;
    }
    rt = xcalloc(1, sizeof(*rt));
    rt->methods = methods & HTTP_M_ANY;
    rt->tmpl = xstrdup(tmpl);
    rt->pattern = xstrdup(tmpl);
    rt->name = name != NULL ? name : tmpl;
    rt->handler = handler;
    rc = compile(rt);
    if (rc != 0) {
        free(rt->tmpl);
        free(rt->pattern);
        free(rt);
        return rc;
    }
    if (r->n == r->cap) {
        r->cap = r->cap == 0 ? 16 : r->cap * 2;
        r->routes = xrealloc(r->routes, r->cap * sizeof(*r->routes));
    }
    rt->id = (unsigned)r->n;
    r->routes[r->n++] = rt;
    return 0;
}

/* ---- matching -------------------------------------------------------------------------------- */

/* A request path cut into its segments once, for matching against every route. */
struct path_segs {
    const char *p[ROUTER_MAX_SEGMENTS + 1]; /* first byte of each segment (after its '/') */
    size_t      len[ROUTER_MAX_SEGMENTS + 1]; /* its length, up to the next '/' */
    size_t      n;                  /* segments; ROUTER_MAX_SEGMENTS + 1 means "more" */
    const char *end;                /* the path's end */
};

/* Cuts PATH (LEN bytes, starting with '/', not "/" alone) into S. */
static void
path_split(const char *path, size_t len, struct path_segs *s)
{
    const char *p = path;
    const char *end = path + len;

    s->n = 0;
    s->end = end;
    while (p < end && s->n < ROUTER_MAX_SEGMENTS + 1) {
        const char *start = p + 1;          /* *p is the '/' before the segment */
        const char *stop = memchr(start, '/', (size_t)(end - start));

        if (stop == NULL) {
            stop = end;
        }
        s->p[s->n] = start;
        s->len[s->n] = (size_t)(stop - start);
        s->n++;
        p = stop;
    }
}

/* Matches RT against the path cut into S. On success fills OUT's parameters and returns true. */
static bool
match_route(const struct route *rt, const struct path_segs *s, struct router_match *out)
{
    bool rest = rt->nseg > 0 && rt->seg[rt->nseg - 1].kind == ROUTE_REST;

    if (rest ? rt->nseg > s->n : rt->nseg != s->n) {
        return false;                       /* cheap: most routes differ in length */
    }
    out->nparams = 0;
    for (size_t i = 0; i < rt->nseg; i++) {
        const struct route_seg *seg = &rt->seg[i];
        struct router_param *prm;

        if (i == s->n) {
            return false;                   /* the path has fewer segments */
        }
        if (seg->kind == ROUTE_REST) {
            if (s->p[i] == s->end) {
                return false;
            }
            prm = &out->params[out->nparams++];
            prm->name = seg->text;
            prm->p = s->p[i];
            prm->len = (size_t)(s->end - s->p[i]);
            return true;
        }
        if (s->len[i] == 0) {
            return false;                   /* empty segments match nothing */
        }
        if (seg->kind == ROUTE_LITERAL) {
            if (s->len[i] != seg->len || memcmp(s->p[i], seg->text, seg->len) != 0) {
                return false;
            }
        } else {
            prm = &out->params[out->nparams++];
            prm->name = seg->text;
            prm->p = s->p[i];
            prm->len = s->len[i];
        }
    }
    return s->n == rt->nseg;
}

/* True when route A takes precedence over route B (both matched the same path). */
static bool
better(const struct route *a, const struct route *b)
{
    for (size_t i = 0; i < a->nseg && i < b->nseg; i++) {
        if (a->seg[i].kind != b->seg[i].kind) {
            return a->seg[i].kind < b->seg[i].kind;
        }
    }
    return false;                           /* equal so far: the earlier route stays */
}

static bool
allows(const struct route *rt, enum http_method m)
{
    if (m == HTTP_METHOD_OTHER) {
        return false;
    }
    if (m == HTTP_METHOD_HEAD && (rt->methods & HTTP_M(GET)) != 0) {
        return true;
    }
    return (rt->methods & (1u << m)) != 0;
}

static void
match_path(const struct router *r, enum http_method method, const char *path, size_t len,
           struct router_match *out)
{
    struct router_match cand;
    struct path_segs segs;

    memset(out, 0, sizeof(*out));
    out->status = 404;
    if (len == 0 || path[0] != '/') {
        return;
    }
    if (len > 1 && path[len - 1] == '/') {
        len--;                              /* one trailing slash is ignored */
    }
    path_split(path, len == 1 ? 0 : len, &segs);
    for (size_t i = 0; i < r->n; i++) {
        const struct route *rt = r->routes[i];

        if (!match_route(rt, &segs, &cand)) {
            continue;
        }
        out->allowed |= rt->methods;
        if (rt->methods & HTTP_M(GET)) {
            out->allowed |= HTTP_M(HEAD);
        }
        if (!allows(rt, method)) {
            continue;
        }
        if (out->route == NULL || better(rt, out->route)) {
            cand.route = rt;
            cand.status = 0;
            cand.allowed = out->allowed;
            *out = cand;
        }
    }
    if (out->route == NULL && out->allowed != 0) {
        out->status = 405;
    }
}

void
router_match(const struct router *r, enum http_method method, const char *path, size_t len,
             struct router_match *out)
{
    size_t plen = sizeof(ROUTER_PREFIX) - 1;

    match_path(r, method, path, len, out);
    if (out->status != 404 || len < plen || memcmp(path, ROUTER_PREFIX, plen) != 0) {
        return;
    }
    if (len == plen) {
        match_path(r, method, "/", 1, out);
    } else if (path[plen] == '/') {
        match_path(r, method, path + plen, len - plen, out);
    }
}

const struct router_param *
router_param(const struct router_match *m, const char *name)
{
    for (size_t i = 0; i < m->nparams; i++) {
        if (strcmp(m->params[i].name, name) == 0) {
            return &m->params[i];
        }
    }
    return NULL;
}

/* ---- percent-decoding and query strings ------------------------------------------------------ */

/*
 * Decodes P (LEN bytes) into OUT, which has room for LEN bytes; PLUS_SPACE turns '+' into ' '.
 * Returns the decoded length, or -1 on a bad escape.
 */
static long
decode(const char *p, size_t len, bool plus_space, char *out)
{
    size_t n = 0;

    for (size_t i = 0; i < len; i++) {
        if (p[i] == '%') {
            int hi, lo;

            if (len - i < 3) {
                return -1;
            }
            hi = cql_hex_digit(p[i + 1]);
            lo = cql_hex_digit(p[i + 2]);
            if (hi < 0 || lo < 0) {
                return -1;
            }
            out[n++] = (char)(hi << 4 | lo);
            i += 2;
        } else if (p[i] == '+' && plus_space) {
            out[n++] = ' ';
        } else {
            out[n++] = p[i];
        }
    }
    return (long)n;
}

char *
router_pct_decode(struct arena *a, const char *p, size_t len, size_t *out_len)
{
    char *out = arena_alloc(a, len + 1);
    long n = decode(p, len, false, out);

    if (n < 0) {
        return NULL;
    }
    out[n] = '\0';
    if (out_len != NULL) {
        *out_len = (size_t)n;
    }
    return out;
}

/*
 * True when the query-string key K (KLEN encoded bytes) decodes to NAME. A key with a bad escape
 * equals nothing.
 */
static bool
key_equals(const char *k, size_t klen, const char *name)
{
    size_t j = 0;

    for (size_t i = 0; i < klen; i++, j++) {
        char c = k[i];

        if (c == '%') {
            int hi, lo;

            if (klen - i < 3) {
                return false;
            }
            hi = cql_hex_digit(k[i + 1]);
            lo = cql_hex_digit(k[i + 2]);
            if (hi < 0 || lo < 0) {
                return false;
            }
            c = (char)(hi << 4 | lo);
            i += 2;
        } else if (c == '+') {
            c = ' ';
        }
        if (name[j] == '\0' || name[j] != c) {
            return false;
        }
    }
    return name[j] == '\0';
}

int
router_query(struct arena *a, const char *q, size_t qlen, const char *name, const char **value)
{
    const char *end = q + qlen;
    const char *p = q;

    *value = NULL;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp != NULL ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(stop - p));
        const char *kend = eq != NULL ? eq : stop;

        if (key_equals(p, (size_t)(kend - p), name)) {
            const char *v = eq != NULL ? eq + 1 : stop;
            char *out = arena_alloc(a, (size_t)(stop - v) + 1);
            long n = decode(v, (size_t)(stop - v), true, out);

            if (n < 0) {
                return E_INVALID;
            }
            out[n] = '\0';
            *value = out;
            return 1;
        }
        p = stop + 1;
    }
    return 0;
}
