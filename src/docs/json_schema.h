/*
 * json_schema.h: JSON Schema draft 4 over the parsed JSON trees of cql_json.h, for the schema a
 * Document API collection may carry (spec/documents-v2.md, section 4). Pure: no I/O, no logging;
 * messages go into the caller's writer.
 *
 *     PUT .../json-schema body --json_schema_check--> "[error]: <msg>; ..." or accepted
 *     document write --json_schema_validate--> "<msg>, <msg>" or valid
 *
 * The texts are those of java-json-tools json-schema-validator 2.2, which Stargate reports.
 *
 * Keywords: type (a name or an array of names; "integer" is a number written without fraction
 * or exponent), enum, properties, required, additionalProperties (boolean or schema),
 * patternProperties, items (schema or array) with additionalItems, minItems, maxItems,
 * uniqueItems, minLength and maxLength (in code points), pattern, minimum and maximum with the
 * draft-4 boolean exclusiveMinimum and exclusiveMaximum, multipleOf, minProperties,
 * maxProperties, allOf, anyOf, oneOf, not, dependencies (property lists or schemas), definitions
 * and $ref. Unknown keywords are ignored, "format" too (not enforced).
 *
 * Differences, documented here once:
 *   - pattern and the names of patternProperties are POSIX extended regular expressions
 *     (regcomp REG_EXTENDED), searched anywhere in the string as ECMA 262 does, but without
 *     ECMA's \d, lookarounds, lazy quantifiers or \u escapes; a pattern regcomp refuses makes the
 *     schema invalid. A string holding U+0000 is matched up to it.
 *   - $ref must be local: "#" or "#<JSON pointer>" into the same schema (the pointer may be
 *     percent-encoded). Other references, and references that resolve to nothing, make the
 *     schema invalid; "id" does not change the resolution scope.
 *   - numbers are compared as doubles; multipleOf is exact on integers that fit 64 bits and
 *     otherwise accepts a quotient within 1e-9 (relative) of an integer.
 *   - the validation stops, and fails, past JSON_SCHEMA_MAX_DEPTH nested subschemas or
 *     JSON_SCHEMA_MAX_STEPS evaluated subschemas and comparisons, so that a hostile schema (a
 *     $ref cycle through allOf, say) cannot exhaust the stack or the CPU.
 */
#ifndef DOCS_JSON_SCHEMA_H
#define DOCS_JSON_SCHEMA_H

#include "api/cql_json.h"
#include "core/util.h"

/* Most subschemas nested inside one another while checking or validating. */
#define JSON_SCHEMA_MAX_DEPTH   512

/* Most subschema evaluations and value comparisons in one validation. */
#define JSON_SCHEMA_MAX_STEPS   1000000

/*
 * Checks that SCHEMA is a valid draft-4 schema. Appends one "[error]: <message>; " to REPORT per
 * problem found (Stargate's `[<level>]: <msg>; ` report). Returns 0 when valid, -1 otherwise.
 */
int json_schema_check(const struct cql_json_node *schema, struct cql_wr *report) MUSTCHECK;

/*
 * Validates DOC against SCHEMA, which json_schema_check accepted. Appends the messages of the
 * failures to MSGS, separated by ", " (the list inside Stargate's "Invalid JSON: [...]"). As
 * java-json-tools does, the members and elements of a value are only looked at when the value
 * itself passed, and allOf, anyOf, oneOf and not give one message each. Returns 0 when DOC is
 * valid, -1 otherwise.
 */
int json_schema_validate(const struct cql_json_node *schema, const struct cql_json_node *doc,
                         struct cql_wr *msgs) MUSTCHECK;

#endif /* DOCS_JSON_SCHEMA_H */
