/* test_router.c: templates, precedence, 404/405, the /api/rest prefix, decoding and queries. */
#include "test.h"

#include <stdlib.h>

#include "core/arena.h"
#include "core/util.h"
#include "http/router.h"

/* Handlers are never called here; routes are told apart by name. */
static void
on_nothing(struct http_req *req)
{
    (void)req;
}

/* REST v2's shape (spec/rest-v2.md, section 3) plus a few of our own. */
static const struct {
    unsigned    methods;            /* HTTP_M mask */
    const char *tmpl;               /* template */
    const char *name;               /* route name */
} routes[] = {
    { HTTP_M(GET) | HTTP_M(POST), "/v2/schemas/keyspaces", "keyspaces" },
    { HTTP_M(GET) | HTTP_M(DELETE), "/v2/schemas/keyspaces/{ks}", "keyspace" },
    { HTTP_M(GET) | HTTP_M(POST), "/v2/schemas/keyspaces/{ks}/tables", "tables" },
    { HTTP_M(GET) | HTTP_M(PUT) | HTTP_M(DELETE), "/v2/schemas/keyspaces/{ks}/tables/{t}",
      "table" },
    { HTTP_M(GET) | HTTP_M(POST), "/v2/keyspaces/{ks}/{t}", "rows_where" },
    { HTTP_M(GET), "/v2/keyspaces/{ks}/{t}/rows", "rows_all" },
    { HTTP_M(GET) | HTTP_M(PUT) | HTTP_M(PATCH) | HTTP_M(DELETE), "/v2/keyspaces/{ks}/{t}/{pk...}",
      "rows_pk" },
    { HTTP_M(POST), "/v2/cql", "cql" },
    { HTTP_M(POST), "/v1/auth", "auth" },
    { HTTP_M(GET), "/checker/liveness", "liveness" },
    { HTTP_M(GET), "/", "root" },
    { HTTP_M(GET), "/a/{x...}", "a_rest" },
    { HTTP_M(GET), "/a/{x}/{y}", "a_two" },
    { HTTP_M(GET), "/a/{x}/lit", "a_lit" },
    { HTTP_M_ANY, "/dup", "dup_first" },
    { HTTP_M_ANY, "/dup", "dup_second" },
};

static void
build(struct router *r)
{
    router_init(r);
    for (size_t i = 0; i < ARRAY_SIZE(routes); i++) {
        int rc = router_add(r, routes[i].methods, routes[i].tmpl, on_nothing, routes[i].name);

        if (rc != 0) {
            test_fail(__FILE__, __LINE__, "router_add %s: %d", routes[i].tmpl, rc);
        }
    }
}

/* Expected parameters: "name=value;name=value" (raw values). */
static bool
params_are(const struct router_match *m, const char *want)
{
    char buf[256];
    size_t n = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < m->nparams; i++) {
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s=%.*s", i > 0 ? ";" : "",
                              m->params[i].name, (int)m->params[i].len, m->params[i].p);
    }
    if (strcmp(buf, want) != 0) {
        fprintf(stderr, "  params \"%s\" != \"%s\"\n", buf, want);
        return false;
    }
    return true;
}

TEST(router_match_table)
{
    static const struct {
        enum http_method method;    /* request method */
        const char      *path;      /* request path */
        int              status;    /* 0, 404 or 405 */
        const char      *route;     /* expected route name (status 0) */
        const char      *params;    /* expected raw parameters */
        unsigned         allowed;   /* with 405 */
    } cases[] = {
        { HTTP_METHOD_GET, "/v2/schemas/keyspaces", 0, "keyspaces", "", 0 },
        { HTTP_METHOD_POST, "/v2/schemas/keyspaces", 0, "keyspaces", "", 0 },
        { HTTP_METHOD_GET, "/v2/schemas/keyspaces/", 0, "keyspaces", "", 0 },
        { HTTP_METHOD_GET, "/v2/schemas/keyspaces/ks1", 0, "keyspace", "ks=ks1", 0 },
        { HTTP_METHOD_DELETE, "/v2/schemas/keyspaces/ks1", 0, "keyspace", "ks=ks1", 0 },
        { HTTP_METHOD_PUT, "/v2/schemas/keyspaces/ks1", 405, NULL, "",
          HTTP_M(GET) | HTTP_M(HEAD) | HTTP_M(DELETE) },
        { HTTP_METHOD_GET, "/v2/schemas/keyspaces/ks1/tables/t1", 0, "table", "ks=ks1;t=t1", 0 },
        { HTTP_METHOD_GET, "/v2/keyspaces/ks/t", 0, "rows_where", "ks=ks;t=t", 0 },
        /* The literal "rows" wins over {pk...}... */
        { HTTP_METHOD_GET, "/v2/keyspaces/ks/t/rows", 0, "rows_all", "ks=ks;t=t", 0 },
        { HTTP_METHOD_HEAD, "/v2/keyspaces/ks/t/rows", 0, "rows_all", "ks=ks;t=t", 0 },
        /* ... but only for the methods it allows. */
        { HTTP_METHOD_DELETE, "/v2/keyspaces/ks/t/rows", 0, "rows_pk", "ks=ks;t=t;pk=rows", 0 },
        { HTTP_METHOD_GET, "/v2/keyspaces/ks/t/rowsx", 0, "rows_pk", "ks=ks;t=t;pk=rowsx", 0 },
        { HTTP_METHOD_GET, "/v2/keyspaces/ks/t/1/a%2Fb/c", 0, "rows_pk",
          "ks=ks;t=t;pk=1/a%2Fb/c", 0 },
        { HTTP_METHOD_PATCH, "/v2/keyspaces/k%20s/t/1", 0, "rows_pk", "ks=k%20s;t=t;pk=1", 0 },
        { HTTP_METHOD_POST, "/v2/keyspaces/ks/t/1", 405, NULL, "",
          HTTP_M(GET) | HTTP_M(HEAD) | HTTP_M(PUT) | HTTP_M(PATCH) | HTTP_M(DELETE) },
        { HTTP_METHOD_OTHER, "/v2/cql", 405, NULL, "", HTTP_M(POST) },
        { HTTP_METHOD_GET, "/v2/cql", 405, NULL, "", HTTP_M(POST) },
        { HTTP_METHOD_POST, "/v2/cql", 0, "cql", "", 0 },
        /* Empty segments match no parameter. */
        { HTTP_METHOD_GET, "/v2/keyspaces//t", 404, NULL, "", 0 },
        { HTTP_METHOD_GET, "/v2/schemas/keyspaces//tables", 404, NULL, "", 0 },
        { HTTP_METHOD_GET, "/v2/keyspaces/ks/t//", 404, NULL, "", 0 },
        { HTTP_METHOD_GET, "/v2", 404, NULL, "", 0 },
        { HTTP_METHOD_GET, "/v3/schemas/keyspaces", 404, NULL, "", 0 },
        { HTTP_METHOD_GET, "/v2/schemas/keyspacesx", 404, NULL, "", 0 },
        { HTTP_METHOD_GET, "", 404, NULL, "", 0 },
        { HTTP_METHOD_GET, "no-slash", 404, NULL, "", 0 },
        { HTTP_METHOD_GET, "/", 0, "root", "", 0 },
        /* Precedence decided at the first differing segment. */
        { HTTP_METHOD_GET, "/a/b", 0, "a_rest", "x=b", 0 },
        { HTTP_METHOD_GET, "/a/b/c", 0, "a_two", "x=b;y=c", 0 },
        { HTTP_METHOD_GET, "/a/b/lit", 0, "a_lit", "x=b", 0 },
        { HTTP_METHOD_GET, "/a/b/c/d", 0, "a_rest", "x=b/c/d", 0 },
        { HTTP_METHOD_GET, "/a", 404, NULL, "", 0 },
        { HTTP_METHOD_GET, "/a/", 404, NULL, "", 0 },
        /* Equal templates: the first one added. */
        { HTTP_METHOD_PUT, "/dup", 0, "dup_first", "", 0 },
        /* The /api/rest prefix. */
        { HTTP_METHOD_GET, "/api/rest/v2/schemas/keyspaces/ks1", 0, "keyspace", "ks=ks1", 0 },
        { HTTP_METHOD_GET, "/api/rest/checker/liveness", 0, "liveness", "", 0 },
        { HTTP_METHOD_GET, "/api/rest", 0, "root", "", 0 },
        { HTTP_METHOD_GET, "/api/rest/", 0, "root", "", 0 },
        { HTTP_METHOD_POST, "/api/rest/checker/liveness", 405, NULL, "",
          HTTP_M(GET) | HTTP_M(HEAD) },
        { HTTP_METHOD_GET, "/api/restx/checker/liveness", 404, NULL, "", 0 },
        { HTTP_METHOD_GET, "/api/rest/api/rest/checker/liveness", 404, NULL, "", 0 },
    };
    struct router r;
    struct router_match m;

    build(&r);
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        router_match(&r, cases[i].method, cases[i].path, strlen(cases[i].path), &m);
        if (m.status != cases[i].status
            || (m.status == 0 && strcmp(m.route->name, cases[i].route) != 0)
            || (m.status == 0 && !params_are(&m, cases[i].params))
            || (m.status == 405 && m.allowed != cases[i].allowed)
            || (m.status != 0 && m.route != NULL)) {
            test_fail(__FILE__, __LINE__, "case %zu: %s %s: status %d route %s allowed 0x%x", i,
                      http_method_name(cases[i].method), cases[i].path, m.status,
                      m.route != NULL ? m.route->name : "-", m.allowed);
        }
    }
    router_match(&r, HTTP_METHOD_GET, "/v2/keyspaces/ks/t/1/2", 22, &m);
    OK(router_param(&m, "pk") != NULL);
    SLICEEQ(router_param(&m, "pk")->p, router_param(&m, "pk")->len, "1/2");
    OK(router_param(&m, "nope") == NULL);
    router_deinit(&r);
}

TEST(router_bad_templates)
{
    static const char *const bad[] = {
        "", "v2/x", "//", "/a//b", "/a/", "/{}", "/{x", "/x}", "/a{x}", "/{x}y", "/{x{y}}",
        "/{rest...}/more", "/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}",
        "/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/17",
    };
    static const char *const good[] = {
        "/", "/a", "/{x}", "/{x...}", "/a/{b}/c/{d...}", "/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}",
        "/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16", "/{x..}",
    };
    struct router r;

    router_init(&r);
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        if (router_add(&r, HTTP_M(GET), bad[i], on_nothing, "bad") != E_INVALID) {
            test_fail(__FILE__, __LINE__, "template \"%s\" was accepted", bad[i]);
        }
    }
    for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
        if (router_add(&r, HTTP_M(GET), good[i], on_nothing, "good") != 0) {
            test_fail(__FILE__, __LINE__, "template \"%s\" was refused", good[i]);
        }
    }
    EQ(router_add(&r, 0, "/x", on_nothing, "none"), E_INVALID);
    EQ(router_add(&r, HTTP_M(GET), "/x", NULL, "none"), E_INVALID);
    EQ(r.n, ARRAY_SIZE(good));
    /* Ids count the routes added; refused templates take none. */
    for (size_t i = 0; i < r.n; i++) {
        UEQ(r.routes[i]->id, i);
    }
    /* "{x..}" is a plain parameter whose name has two dots. */
    OK(r.routes[r.n - 1]->seg[0].kind == ROUTE_PARAM);
    STREQ(r.routes[r.n - 1]->seg[0].text, "x..");
    STREQ(r.routes[r.n - 1]->pattern, "/{x..}");
    router_deinit(&r);
}

TEST(router_pct_decode_cases)
{
    static const struct {
        const char *in;             /* raw segment */
        const char *out;            /* decoded, NULL for an error */
        size_t      len;            /* decoded length */
    } cases[] = {
        { "plain", "plain", 5 },
        { "", "", 0 },
        { "a%20b", "a b", 3 },
        { "a+b", "a+b", 3 },
        { "%2F%2f", "//", 2 },
        { "%C3%A9t%C3%A9", "\xc3\xa9t\xc3\xa9", 5 },
        { "x%00y", "x\0y", 3 },
        { "%", NULL, 0 },
        { "%2", NULL, 0 },
        { "%zz", NULL, 0 },
        { "ab%g1", NULL, 0 },
        { "100%", NULL, 0 },
    };
    struct arena a;

    arena_init(&a, 256);
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        size_t len = 99;
        char *out = router_pct_decode(&a, cases[i].in, strlen(cases[i].in), &len);

        if (cases[i].out == NULL) {
            if (out != NULL) {
                test_fail(__FILE__, __LINE__, "\"%s\" decoded", cases[i].in);
            }
            continue;
        }
        if (out == NULL || len != cases[i].len || memcmp(out, cases[i].out, len) != 0
            || out[len] != '\0') {
            test_fail(__FILE__, __LINE__, "\"%s\" -> \"%s\"", cases[i].in,
                      out != NULL ? out : "(null)");
        }
    }
    arena_deinit(&a);
}

TEST(router_query_cases)
{
    static const struct {
        const char *query;          /* raw query string */
        const char *name;           /* looked up */
        int         rc;             /* 1, 0 or E_INVALID */
        const char *value;          /* decoded value when found */
    } cases[] = {
        { "page-size=10", "page-size", 1, "10" },
        { "a=1&page-size=10&b=2", "page-size", 1, "10" },
        { "page-size=1&page-size=2", "page-size", 1, "1" },
        { "where=%7B%22a%22%3A1%7D", "where", 1, "{\"a\":1}" },
        { "q=a+b%2Bc", "q", 1, "a b+c" },
        { "raw", "raw", 1, "" },
        { "raw=", "raw", 1, "" },
        { "a=1&&raw&b", "raw", 1, "" },
        { "x=1=2", "x", 1, "1=2" },
        { "page%2Dsize=7", "page-size", 1, "7" },
        { "my+key=v", "my key", 1, "v" },
        { "", "raw", 0, NULL },
        { "rawx=1&xraw=2", "raw", 0, NULL },
        { "ra=1", "raw", 0, NULL },
        { "bad%zz=1&raw=true", "raw", 1, "true" },
        { "raw=%zz", "raw", E_INVALID, NULL },
        { "raw=50%", "raw", E_INVALID, NULL },
    };
    struct arena a;

    arena_init(&a, 256);
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        const char *v = "unset";
        int rc = router_query(&a, cases[i].query, strlen(cases[i].query), cases[i].name, &v);

        if (rc != cases[i].rc || (rc == 1 && strcmp(v, cases[i].value) != 0)
            || (rc != 1 && v != NULL)) {
            test_fail(__FILE__, __LINE__, "\"%s\" [%s]: rc %d value \"%s\"", cases[i].query,
                      cases[i].name, rc, v != NULL ? v : "(null)");
        }
    }
    arena_deinit(&a);
}

TEST(router_method_names)
{
    STREQ(http_method_name(HTTP_METHOD_GET), "GET");
    STREQ(http_method_name(HTTP_METHOD_PATCH), "PATCH");
    STREQ(http_method_name(HTTP_METHOD_OTHER), "OTHER");
}
