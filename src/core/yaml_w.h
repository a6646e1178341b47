/*
 * yaml_w.h: a block-style YAML writer for a parsed JSON tree (cJSON). It exists to serve the same
 * document as JSON and as YAML (the OpenAPI document, src/api/openapi.c) from one source.
 *
 * The output reads back, with a YAML 1.1 or 1.2 parser, as exactly the JSON it came from:
 *
 *     {"a": {"b": [1, "2", true]}, "c": [{"d": null}], "": {}}
 *
 *     ---
 *     a:
 *       b:
 *         - 1
 *         - "2"
 *         - true
 *     c:
 *       - d: null
 *     "": {}
 *
 * Strings (keys and values) are written plain only when no YAML reader could take them for
 * anything else: an ASCII letter, '/', '_' or '$' first, printable ASCII throughout, no ": " or
 * " #", no trailing ':' or space, and not a word YAML 1.1 reads as a boolean or null ("yes",
 * "Off", "null", ...). Everything else is double-quoted with escapes, so multi-line text,
 * control characters and Unicode line separators keep their exact value; other Unicode is
 * written as is. Numbers that are whole (and exact in a double) are written as integers, others
 * with a '.' and a signed exponent, which both YAML versions read as floats.
 */
#ifndef CORE_YAML_W_H
#define CORE_YAML_W_H

#include <cJSON.h>

#include "cql_wire.h"
#include "core/util.h"

/* Deepest nesting of objects and arrays yaml_w_tree accepts. */
#define YAML_W_MAX_DEPTH 64

/*
 * Appends the YAML document for ROOT to W: a "---" line, then ROOT in block style, each line
 * ending with '\n'. Returns 0; E_INVALID when ROOT nests deeper than YAML_W_MAX_DEPTH or holds
 * an item that is not JSON (cJSON_Raw, cJSON_Invalid); or W's sticky error when it could not
 * grow. The output is unusable after an error.
 */
int yaml_w_tree(struct cql_wr *w, const cJSON *root) MUSTCHECK;

#endif /* CORE_YAML_W_H */
