/*
 * test_openapi.c: the embedded OpenAPI document loads (a broken src/api/openapi.json fails here,
 * not on a request), is structurally sound, and describes every route the process registers,
 * with its method, under Stargate's path parameter names.
 */
#include "test.h"

#include <ctype.h>
#include <stdlib.h>

#include <cJSON.h>

#include "api/api.h"
#include "api/openapi.h"
#include "http/http_server.h"
#include "http/router.h"

/* In main_routes.c: main.c's operational routes. */
void test_add_operational_routes(struct router *r);

/* The router's parameter names and the ones the document uses (Stargate's). */
static const struct {
    const char *router;             /* segment in a route template */
    const char *doc;                /* the same segment in the document's path */
} param_names[] = {
    { "{ks}",     "{keyspaceName}" },
    { "{t}",      "{tableName}" },
    { "{col}",    "{columnName}" },
    { "{idx}",    "{indexName}" },
    { "{type}",   "{typeName}" },
    { "{pk...}",  "{primaryKey}" },
    { "{id}",     "{documentId}" },
    { "{path...}", "{documentPath}" },
};

/* The string member KEY of O, or "" when O has none. */
static const char *
str_at(const cJSON *o, const char *key)
{
    const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));

    return v != NULL ? v : "";
}

static cJSON *
parse_doc(void)
{
    return cJSON_ParseWithLength((const char *)openapi_doc_json, openapi_doc_json_len);
}

/*
 * Writes the document path for the route template TMPL into OUT. Returns false, naming the
 * segment, when a parameter has no mapping in param_names.
 */
static bool
doc_path(const char *tmpl, char *out, size_t cap)
{
    size_t n = 0;

    out[0] = '\0';
    while (*tmpl == '/') {
        const char *seg = tmpl + 1;
        size_t len = strcspn(seg, "/");
        const char *text = seg;
        size_t tlen = len;

        if (len > 0 && seg[0] == '{') {
            text = NULL;
            for (size_t i = 0; i < ARRAY_SIZE(param_names); i++) {
                if (strlen(param_names[i].router) == len
                    && memcmp(param_names[i].router, seg, len) == 0) {
                    text = param_names[i].doc;
                    tlen = strlen(text);
                }
            }
            if (text == NULL) {
                fprintf(stderr, "  no document name for the parameter %.*s\n", (int)len, seg);
                return false;
            }
        }
        n += (size_t)snprintf(out + n, cap - n, "/%.*s", (int)tlen, text);
        tmpl = seg + len;
    }
    return n < cap;
}

TEST(openapi_document_loads)
{
    const char *text;
    size_t len;
    cJSON *doc = parse_doc();
    const cJSON *token;

    OK(doc != NULL);
    STREQ(str_at(doc, "openapi"), "3.0.3");
    STREQ(str_at(cJSON_GetObjectItemCaseSensitive(doc, "info"), "title"), "cqlgate REST API");
    token = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(doc, "components"), "securitySchemes"),
        "Token");
    STREQ(str_at(token, "type"), "apiKey");
    STREQ(str_at(token, "in"), "header");
    STREQ(str_at(token, "name"), "X-Cassandra-Token");
    cJSON_Delete(doc);

    EQ(openapi_load(), 0);
    EQ(openapi_load(), 0);          /* once per process; later calls are no-ops */
    text = openapi_text(OPENAPI_JSON, &len);
    OK(text == (const char *)openapi_doc_json);
    UEQ(len, openapi_doc_json_len);
    text = openapi_text(OPENAPI_YAML, &len);
    OK(len > 0);
    OK(strncmp(text, "---\nopenapi: \"3.0.3\"\ninfo:\n  title: cqlgate REST API\n", 50) == 0);
    OK(text[len - 1] == '\n');
}

/* Fails (naming it) when some "$ref" under NODE does not resolve in DOC. */
static bool
refs_resolve(const cJSON *doc, const cJSON *node)
{
    for (const cJSON *c = node->child; c != NULL; c = c->next) {
        if (c->string != NULL && strcmp(c->string, "$ref") == 0) {
            const char *ref = cJSON_GetStringValue(c);
            const cJSON *at = doc;
            char part[128];

            if (ref == NULL || strncmp(ref, "#/", 2) != 0) {
                fprintf(stderr, "  $ref is not local: %s\n", ref != NULL ? ref : "(not a string)");
                return false;
            }
            for (const char *p = ref + 2; at != NULL && *p != '\0';) {
                size_t n = strcspn(p, "/");

                snprintf(part, sizeof(part), "%.*s", (int)n, p);
                at = cJSON_GetObjectItemCaseSensitive(at, part);
                p += n + (p[n] == '/');
            }
            if (at == NULL) {
                fprintf(stderr, "  $ref does not resolve: %s\n", ref);
                return false;
            }
        }
        if (!refs_resolve(doc, c)) {
            return false;
        }
    }
    return true;
}

TEST(openapi_refs_resolve_and_operation_ids_are_unique)
{
    cJSON *doc = parse_doc();
    const cJSON *paths = cJSON_GetObjectItemCaseSensitive(doc, "paths");
    const char *ids[128];
    size_t nids = 0;
    bool ok;

    OK(doc != NULL && paths != NULL);
    ok = refs_resolve(doc, doc);
    for (const cJSON *p = paths->child; ok && p != NULL; p = p->next) {
        for (const cJSON *op = p->child; op != NULL; op = op->next) {
            const char *id = str_at(op, "operationId");

            if (strcmp(op->string, "parameters") == 0) {
                continue;
            }
            if (id[0] == '\0' || nids == ARRAY_SIZE(ids)) {
                fprintf(stderr, "  %s %s: no operationId\n", op->string, p->string);
                ok = false;
                break;
            }
            for (size_t i = 0; i < nids; i++) {
                if (strcmp(ids[i], id) == 0) {
                    fprintf(stderr, "  operationId %s twice\n", id);
                    ok = false;
                }
            }
            ids[nids++] = id;
        }
    }
    cJSON_Delete(doc);
    OK(ok);
}

TEST(openapi_describes_every_registered_route)
{
    char *argv[] = { "cqlgate", "--cql-endpoint", NULL };
    char err[256];
    struct conf c;
    struct router r;
    cJSON *doc = parse_doc();
    const cJSON *paths = cJSON_GetObjectItemCaseSensitive(doc, "paths");
    size_t checked = 0;
    bool ok = true;

    OK(paths != NULL);
    OK(conf_load(&c, 2, argv, err, sizeof(err)) == 0);
    router_init(&r);
    api_register_routes(&r, &c);
    test_add_operational_routes(&r);
    /* api_register_routes installed the API layer's worker hooks; no server runs here. */
    http_server_set_hooks(NULL, NULL, NULL);
    http_server_set_ready_cb(NULL);

    for (size_t i = 0; i < r.n; i++) {
        const struct route *rt = r.routes[i];
        char path[512];
        const cJSON *item;

        if (!doc_path(rt->pattern, path, sizeof(path))) {
            ok = false;
            continue;
        }
        item = cJSON_GetObjectItemCaseSensitive(paths, path);
        for (int m = HTTP_METHOD_GET; m < HTTP_METHOD_OTHER; m++) {
            char method[16];
            size_t k;

            if (!(rt->methods & (1u << m))) {
                continue;
            }
            for (k = 0; http_method_name((enum http_method)m)[k] != '\0' && k + 1 < sizeof(method);
                 k++) {
                method[k] = (char)tolower((unsigned char)http_method_name((enum http_method)m)[k]);
            }
            method[k] = '\0';
            if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(item, method))) {
                fprintf(stderr, "  route %s %s (%s) is not in the document as %s %s\n",
                        http_method_name((enum http_method)m), rt->pattern, rt->name, method,
                        path);
                ok = false;
            }
            checked++;
        }
    }
    router_deinit(&r);
    conf_deinit(&c);
    cJSON_Delete(doc);
    OK(ok);
    /* The auth, schema, row, health and OpenAPI routes at least. */
    OK(checked >= 41);
}

TEST(openapi_path_parameters_are_declared)
{
    cJSON *doc = parse_doc();
    const cJSON *paths = cJSON_GetObjectItemCaseSensitive(doc, "paths");
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(doc, "components"), "parameters");
    bool ok = true;

    OK(paths != NULL && params != NULL);
    for (const cJSON *p = paths->child; p != NULL; p = p->next) {
        const char *s = p->string;

        while ((s = strchr(s, '{')) != NULL) {
            size_t n = strcspn(s + 1, "}");
            char name[64];
            const cJSON *decl;
            bool found = false;

            snprintf(name, sizeof(name), "%.*s", (int)n, s + 1);
            s += n + 1;
            /* Declared on the path item: inline, or a $ref to components/parameters/<name>. */
            decl = cJSON_GetObjectItemCaseSensitive(p, "parameters");
            for (const cJSON *d = decl != NULL ? decl->child : NULL; d != NULL; d = d->next) {
                const char *ref = str_at(d, "$ref");
                const cJSON *target = d;

                if (ref[0] != '\0') {
                    if (strncmp(ref, "#/components/parameters/", 24) != 0) {
                        continue;
                    }
                    target = cJSON_GetObjectItemCaseSensitive(params, ref + 24);
                }
                if (strcmp(str_at(target, "name"), name) == 0
                    && strcmp(str_at(target, "in"), "path") == 0
                    && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(target, "required"))) {
                    found = true;
                }
            }
            if (!found) {
                fprintf(stderr, "  %s: path parameter %s is not declared\n", p->string, name);
                ok = false;
            }
        }
    }
    cJSON_Delete(doc);
    OK(ok);
}
