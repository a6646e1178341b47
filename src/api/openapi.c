/*
 * openapi.c: serves the OpenAPI document in its JSON and YAML forms (see openapi.h). Both forms
 * are built once at startup and live as long as the process; a request only picks a form,
 * compares ETags and copies the bytes into its answer.
 */
#include "api/openapi.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <cJSON.h>

#include "core/log.h"
#include "core/yaml_w.h"
#include "http/http_msg.h"

/* One form of the document, as served. */
struct openapi_form {
    const char *ctype;              /* Content-Type of the answer */
    const char *text;               /* the document in this form */
    size_t      len;                /* bytes in text */
    char        etag[24];           /* quoted ETag: FNV-1a 64 of text, in hex */
};

static struct openapi_form forms[] = {
    [OPENAPI_YAML] = { "application/yaml;charset=UTF-8", NULL, 0, "" },
    [OPENAPI_JSON] = { "application/json;charset=UTF-8", NULL, 0, "" },
};
static bool loaded;                 /* openapi_load succeeded */

/* ---- loading --------------------------------------------------------------------------------- */

static void
set_form(struct openapi_form *f, const char *text, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ull;         /* FNV-1a 64 offset basis */

    for (size_t i = 0; i < len; i++) {
        h = (h ^ (uint8_t)text[i]) * 0x100000001b3ull;
    }
    f->text = text;
    f->len = len;
    snprintf(f->etag, sizeof(f->etag), "\"%016llx\"", (unsigned long long)h);
}

/* True when the openapi field of DOC is a string "3.0.<patch>". */
static bool
version_ok(const cJSON *doc)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, "openapi");

    return cJSON_IsString(v) && strncmp(v->valuestring, "3.0.", 4) == 0
           && v->valuestring[4] >= '0' && v->valuestring[4] <= '9';
}

int
openapi_load(void)
{
    const char *json = (const char *)openapi_doc_json;
    const char *end = NULL;
    struct cql_wr yaml;
    cJSON *doc;
    int rc;

    if (loaded) {
        return 0;
    }
    doc = cJSON_ParseWithLengthOpts(json, openapi_doc_json_len, &end, false);
    if (doc == NULL || !cJSON_IsObject(doc)) {
        log_error("openapi: the embedded document is not a JSON object (byte %zu)",
                  end != NULL ? (size_t)(end - json) : (size_t)0);
        cJSON_Delete(doc);
        return E_INVALID;
    }
    end += strspn(end, " \t\r\n");
    if ((size_t)(end - json) != openapi_doc_json_len || !version_ok(doc)) {
        log_error("openapi: the embedded document has %s",
                  !version_ok(doc) ? "no openapi 3.0.x version" : "bytes after its object");
        cJSON_Delete(doc);
        return E_INVALID;
    }
    http_body_init(&yaml);
    rc = yaml_w_tree(&yaml, doc);
    cJSON_Delete(doc);
    if (rc != 0) {
        log_error("openapi: rendering the YAML form failed: %s", err_str(rc));
        http_body_free(&yaml);
        return E_INVALID;
    }
    /* The YAML buffer is the process's from here on; it is never freed. */
    set_form(&forms[OPENAPI_YAML], (const char *)yaml.p, yaml.len);
    set_form(&forms[OPENAPI_JSON], json, openapi_doc_json_len);
    loaded = true;
    return 0;
}

const char *
openapi_text(enum openapi_format format, size_t *len)
{
    *len = forms[format].len;
    return forms[format].text;
}

/* ---- serving --------------------------------------------------------------------------------- */

/*
 * True when the If-None-Match value V lists ETAG or is "*". Tags are compared weakly (a W/
 * prefix is ignored), as RFC 9110, section 13.1.2, asks for If-None-Match.
 */
static bool
etag_listed(const char *v, const char *etag)
{
    size_t elen = strlen(etag);

    while (v != NULL && *v != '\0') {
        const char *e;
        size_t n;

        v += strspn(v, " \t,");
        e = v + strcspn(v, ",");
        n = (size_t)(e - v);
        while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t')) {
            n--;
        }
        if (n >= 2 && v[0] == 'W' && v[1] == '/') {
            v += 2;
            n -= 2;
        }
        if ((n == 1 && v[0] == '*') || (n == elen && memcmp(v, etag, n) == 0)) {
            return true;
        }
        v = e;
    }
    return false;
}

static void
serve(struct http_req *req, enum openapi_format format)
{
    const struct openapi_form *f = &forms[format];

    http_resp_add_header(req, "ETag", f->etag);
    if (etag_listed(http_req_header(req, "If-None-Match"), f->etag)) {
        http_respond(req, 304, f->ctype, NULL, 0);
        return;
    }
    http_respond(req, 200, f->ctype, f->text, f->len);
}

/* GET /api/rest/openapi: JSON when the Accept header or ?format=json asks for it, else YAML. */
static void
on_openapi(struct http_req *req)
{
    const char *accept = http_req_header(req, "Accept");
    const char *format = http_req_query(req, "format");
    bool json = (accept != NULL && strstr(accept, "application/json") != NULL)
                || (format != NULL && strcasecmp(format, "json") == 0);

    http_resp_add_header(req, "Vary", "Accept");
    serve(req, json ? OPENAPI_JSON : OPENAPI_YAML);
}

static void
on_openapi_json(struct http_req *req)
{
    serve(req, OPENAPI_JSON);
}

static void
on_openapi_yaml(struct http_req *req)
{
    serve(req, OPENAPI_YAML);
}

int
openapi_add_routes(struct router *r)
{
    int rc = openapi_load();

    if (rc != 0) {
        return rc;
    }
    rc |= router_add(r, HTTP_M(GET), "/api/rest/openapi", on_openapi, "openapi");
    rc |= router_add(r, HTTP_M(GET), "/api/rest/openapi.json", on_openapi_json, "openapi_json");
    rc |= router_add(r, HTTP_M(GET), "/api/rest/openapi.yaml", on_openapi_yaml, "openapi_yaml");
    rc |= router_add(r, HTTP_M(GET), "/api/rest/openapi.yml", on_openapi_yaml, "openapi_yml");
    return rc != 0 ? E_INVALID : 0;
}
