/*
 * openapi.h: GET /api/rest/openapi, the OpenAPI 3.0 document that describes every route cqlgate
 * serves (spec/rest-v2.md, section 8).
 *
 * The document is written by hand as JSON in src/api/openapi.json. The Makefile turns that file
 * into a byte array compiled into the binary (openapi_doc_json below), so the binary needs no
 * file at run time. At startup it is parsed once with cJSON to check it, its YAML form is
 * rendered once (core/yaml_w), and both forms are then served from memory:
 *
 *     GET /api/rest/openapi         YAML; JSON with ?format=json (any case) or an Accept header
 *                                   naming application/json, as Quarkus's handler decides
 *     GET /api/rest/openapi.json    JSON
 *     GET /api/rest/openapi.yaml    YAML (and .yml)
 *
 * Content types are Quarkus's: application/yaml;charset=UTF-8 and application/json;charset=UTF-8.
 * No token is needed. Each answer carries an ETag; a matching If-None-Match gets a 304.
 */
#ifndef API_OPENAPI_H
#define API_OPENAPI_H

#include <stddef.h>

#include "core/util.h"
#include "http/router.h"

/* The two forms of the document. */
enum openapi_format {
    OPENAPI_YAML = 0,               /* block YAML rendered from the JSON */
    OPENAPI_JSON,                   /* src/api/openapi.json byte for byte */
};

/* src/api/openapi.json as compiled in by the Makefile, with a NUL after its LEN bytes. */
extern const unsigned char openapi_doc_json[];
extern const size_t        openapi_doc_json_len;

/*
 * Parses the embedded document and renders its YAML form, once per process (later calls return
 * at once). Returns 0, or E_INVALID after logging why: the bytes are not one JSON object, the
 * openapi field is not a 3.0.x version, or the YAML could not be rendered. Call it on the main
 * thread before the workers start; the forms are read-only afterwards.
 */
int openapi_load(void) MUSTCHECK;

/* The document in FORMAT (after a successful openapi_load), its length in *LEN. */
const char *openapi_text(enum openapi_format format, size_t *len);

/*
 * Loads the document (openapi_load) and adds the routes above to R. Returns 0, or E_INVALID
 * when the document does not load.
 */
int openapi_add_routes(struct router *r) MUSTCHECK;

#endif /* API_OPENAPI_H */
