/*
 * test_json_schema.c: the draft-4 JSON Schema of src/docs/json_schema: every keyword on valid
 * and invalid values, the messages (java-json-tools' texts), local $ref, invalid schemas, and
 * the limits that keep hostile schemas ($ref cycles, exponential branching) from looping.
 */
#include "test.h"

#include "api/cql_json.h"
#include "docs/json_schema.h"

#define OUT_MAX 8192

/* Parses SCHEMA and runs the syntax check; the report in OUT. -2 when SCHEMA is not JSON. */
static int
check(const char *schema, char *out)
{
    struct cql_json_node *s = NULL;
    struct cql_wr w;
    int rc;

    test_alloc_reset(SIZE_MAX);
    out[0] = '\0';
    if (cql_json_parse(schema, strlen(schema), CQL_JSON_DEEP, &test_alloc, &s, NULL) != 0) {
        return -2;
    }
    cql_wr_init(&w, (uint8_t *)out, OUT_MAX - 1, NULL, NULL);
    rc = json_schema_check(s, &w);
    out[w.err == 0 ? w.len : 0] = '\0';
    return rc;
}

/* Validates DOC against SCHEMA (which must pass the check); the messages in OUT. -2: unusable. */
static int
validate(const char *schema, const char *doc, char *out)
{
    struct cql_json_node *s = NULL;
    struct cql_json_node *d = NULL;
    struct cql_wr w;
    int rc;

    if (check(schema, out) != 0
        || cql_json_parse(doc, strlen(doc), CQL_JSON_DEEP, &test_alloc, &d, NULL) != 0
        || cql_json_parse(schema, strlen(schema), CQL_JSON_DEEP, &test_alloc, &s, NULL) != 0) {
        return -2;
    }
    cql_wr_init(&w, (uint8_t *)out, OUT_MAX - 1, NULL, NULL);
    rc = json_schema_validate(s, d, &w);
    out[w.err == 0 ? w.len : 0] = '\0';
    return rc;
}

/* One case: DOC against SCHEMA is VALID or not. */
struct vcase {
    const char *schema;
    const char *doc;
    bool        valid;
};

static const struct vcase cases[] = {
    /* type */
    { "{\"type\":\"string\"}", "\"a\"", true },
    { "{\"type\":\"string\"}", "1", false },
    { "{\"type\":\"integer\"}", "1", true },
    { "{\"type\":\"integer\"}", "1.5", false },
    { "{\"type\":\"integer\"}", "1.0", false },
    { "{\"type\":\"integer\"}", "1e2", false },
    { "{\"type\":\"number\"}", "1", true },
    { "{\"type\":\"number\"}", "-1.5e3", true },
    { "{\"type\":\"number\"}", "\"1\"", false },
    { "{\"type\":\"boolean\"}", "false", true },
    { "{\"type\":\"boolean\"}", "null", false },
    { "{\"type\":\"null\"}", "null", true },
    { "{\"type\":\"object\"}", "{}", true },
    { "{\"type\":\"object\"}", "[]", false },
    { "{\"type\":\"array\"}", "[]", true },
    { "{\"type\":[\"string\",\"null\"]}", "null", true },
    { "{\"type\":[\"string\",\"null\"]}", "\"x\"", true },
    { "{\"type\":[\"string\",\"null\"]}", "0", false },
    /* enum */
    { "{\"enum\":[1,\"a\",null,[1],{\"a\":1}]}", "1.0", true },
    { "{\"enum\":[1,\"a\",null,[1],{\"a\":1}]}", "\"a\"", true },
    { "{\"enum\":[1,\"a\",null,[1],{\"a\":1}]}", "null", true },
    { "{\"enum\":[1,\"a\",null,[1],{\"a\":1}]}", "[1]", true },
    { "{\"enum\":[1,\"a\",null,[1],{\"a\":1}]}", "{\"a\":1}", true },
    { "{\"enum\":[1,\"a\",null,[1],{\"a\":1}]}", "{\"a\":2}", false },
    { "{\"enum\":[1,\"a\",null,[1],{\"a\":1}]}", "\"b\"", false },
    { "{\"enum\":[1,\"a\",null,[1],{\"a\":1}]}", "false", false },
    /* numbers */
    { "{\"minimum\":2}", "2", true },
    { "{\"minimum\":2}", "1.9", false },
    { "{\"minimum\":2,\"exclusiveMinimum\":true}", "2", false },
    { "{\"minimum\":2,\"exclusiveMinimum\":true}", "2.01", true },
    { "{\"minimum\":2,\"exclusiveMinimum\":false}", "2", true },
    { "{\"maximum\":2}", "2", true },
    { "{\"maximum\":2}", "3", false },
    { "{\"maximum\":2,\"exclusiveMaximum\":true}", "2", false },
    { "{\"maximum\":2}", "\"3\"", true },
    { "{\"multipleOf\":3}", "9", true },
    { "{\"multipleOf\":3}", "10", false },
    { "{\"multipleOf\":0.1}", "0.3", true },
    { "{\"multipleOf\":0.1}", "0.35", false },
    { "{\"multipleOf\":2}", "4.0", true },
    /* strings */
    { "{\"minLength\":2}", "\"ab\"", true },
    { "{\"minLength\":2}", "\"a\"", false },
    { "{\"maxLength\":2}", "\"\xc3\xa9\xc3\xa9\"", true },
    { "{\"maxLength\":1}", "\"\xf0\x9f\x98\x80\"", true },
    { "{\"maxLength\":2}", "\"abc\"", false },
    { "{\"minLength\":2}", "5", true },
    { "{\"pattern\":\"^a+b$\"}", "\"aab\"", true },
    { "{\"pattern\":\"^a+b$\"}", "\"aabc\"", false },
    { "{\"pattern\":\"b\"}", "\"abc\"", true },
    { "{\"pattern\":\"[0-9]{3}\"}", "\"x12y\"", false },
    { "{\"pattern\":\"x\"}", "1", true },
    /* arrays */
    { "{\"minItems\":1}", "[]", false },
    { "{\"minItems\":1}", "[1]", true },
    { "{\"maxItems\":1}", "[1,2]", false },
    { "{\"uniqueItems\":true}", "[1,2,3]", true },
    { "{\"uniqueItems\":true}", "[1,2,1.0]", false },
    { "{\"uniqueItems\":true}", "[{\"a\":1,\"b\":2},{\"b\":2,\"a\":1}]", false },
    { "{\"uniqueItems\":true}", "[[1],[1,2]]", true },
    { "{\"uniqueItems\":false}", "[1,1]", true },
    { "{\"items\":{\"type\":\"integer\"}}", "[1,2]", true },
    { "{\"items\":{\"type\":\"integer\"}}", "[1,\"2\"]", false },
    { "{\"items\":[{\"type\":\"integer\"},{\"type\":\"string\"}]}", "[1,\"a\",true]", true },
    { "{\"items\":[{\"type\":\"integer\"},{\"type\":\"string\"}]}", "[1,2]", false },
    { "{\"items\":[{}],\"additionalItems\":false}", "[1]", true },
    { "{\"items\":[{}],\"additionalItems\":false}", "[1,2]", false },
    { "{\"items\":[{}],\"additionalItems\":{\"type\":\"string\"}}", "[1,\"a\"]", true },
    { "{\"items\":[{}],\"additionalItems\":{\"type\":\"string\"}}", "[1,2]", false },
    { "{\"items\":{},\"additionalItems\":false}", "[1,2]", true },
    /* objects */
    { "{\"required\":[\"a\"]}", "{\"a\":null}", true },
    { "{\"required\":[\"a\"]}", "{\"b\":1}", false },
    { "{\"required\":[\"a\"]}", "[]", true },
    { "{\"minProperties\":1}", "{}", false },
    { "{\"maxProperties\":1}", "{\"a\":1,\"b\":2}", false },
    { "{\"properties\":{\"a\":{\"type\":\"string\"}}}", "{\"a\":\"x\",\"b\":1}", true },
    { "{\"properties\":{\"a\":{\"type\":\"string\"}}}", "{\"a\":1}", false },
    { "{\"properties\":{\"a\":{}},\"additionalProperties\":false}", "{\"a\":1}", true },
    { "{\"properties\":{\"a\":{}},\"additionalProperties\":false}", "{\"a\":1,\"b\":1}", false },
    { "{\"additionalProperties\":{\"type\":\"integer\"}}", "{\"a\":1}", true },
    { "{\"additionalProperties\":{\"type\":\"integer\"}}", "{\"a\":true}", false },
    { "{\"patternProperties\":{\"^x_\":{\"type\":\"integer\"}}}", "{\"x_a\":1,\"y\":\"s\"}", true },
    { "{\"patternProperties\":{\"^x_\":{\"type\":\"integer\"}}}", "{\"x_a\":\"s\"}", false },
    { "{\"patternProperties\":{\"^x_\":{}},\"additionalProperties\":false}", "{\"x_a\":1}", true },
    { "{\"patternProperties\":{\"^x_\":{}},\"additionalProperties\":false}", "{\"y\":1}", false },
    { "{\"dependencies\":{\"a\":[\"b\"]}}", "{\"a\":1,\"b\":2}", true },
    { "{\"dependencies\":{\"a\":[\"b\"]}}", "{\"a\":1}", false },
    { "{\"dependencies\":{\"a\":[\"b\"]}}", "{\"c\":1}", true },
    { "{\"dependencies\":{\"a\":{\"required\":[\"c\"]}}}", "{\"a\":1,\"c\":1}", true },
    { "{\"dependencies\":{\"a\":{\"required\":[\"c\"]}}}", "{\"a\":1}", false },
    /* combinators */
    { "{\"allOf\":[{\"type\":\"integer\"},{\"minimum\":2}]}", "3", true },
    { "{\"allOf\":[{\"type\":\"integer\"},{\"minimum\":2}]}", "1", false },
    { "{\"anyOf\":[{\"type\":\"integer\"},{\"type\":\"string\"}]}", "\"a\"", true },
    { "{\"anyOf\":[{\"type\":\"integer\"},{\"type\":\"string\"}]}", "null", false },
    { "{\"oneOf\":[{\"type\":\"integer\"},{\"minimum\":2}]}", "1", true },
    { "{\"oneOf\":[{\"type\":\"integer\"},{\"minimum\":2}]}", "3", false },
    { "{\"oneOf\":[{\"type\":\"integer\"},{\"minimum\":2}]}", "\"a\"", true },
    { "{\"oneOf\":[{\"type\":\"integer\"},{\"type\":\"boolean\"}]}", "null", false },
    { "{\"not\":{\"type\":\"string\"}}", "1", true },
    { "{\"not\":{\"type\":\"string\"}}", "\"a\"", false },
    /* $ref */
    { "{\"definitions\":{\"p\":{\"type\":\"integer\"}},\"properties\":{\"a\":{\"$ref\":"
      "\"#/definitions/p\"}}}", "{\"a\":1}", true },
    { "{\"definitions\":{\"p\":{\"type\":\"integer\"}},\"properties\":{\"a\":{\"$ref\":"
      "\"#/definitions/p\"}}}", "{\"a\":\"x\"}", false },
    { "{\"properties\":{\"a\":{\"type\":\"string\"},\"b\":{\"$ref\":\"#/properties/a\"}}}",
      "{\"b\":1}", false },
    { "{\"definitions\":{\"a/b\":{\"type\":\"null\"},\"c%d\":{\"type\":\"null\"}},\"anyOf\":"
      "[{\"$ref\":\"#/definitions/a~1b\"},{\"$ref\":\"#/definitions/c%25d\"}]}", "null", true },
    { "{\"items\":[{\"type\":\"string\"}],\"additionalItems\":{\"$ref\":\"#/items/0\"}}",
      "[\"a\",1]", false },
    /* a tree: a recursive schema through "#" */
    { "{\"type\":\"object\",\"properties\":{\"v\":{\"type\":\"integer\"},\"kids\":{\"type\":"
      "\"array\",\"items\":{\"$ref\":\"#\"}}},\"required\":[\"v\"]}",
      "{\"v\":1,\"kids\":[{\"v\":2,\"kids\":[]},{\"v\":3}]}", true },
    { "{\"type\":\"object\",\"properties\":{\"v\":{\"type\":\"integer\"},\"kids\":{\"type\":"
      "\"array\",\"items\":{\"$ref\":\"#\"}}},\"required\":[\"v\"]}",
      "{\"v\":1,\"kids\":[{\"v\":2,\"kids\":[{}]}]}", false },
    /* what is ignored */
    { "{\"format\":\"email\",\"title\":\"t\",\"x-unknown\":1}", "\"not an email\"", true },
    { "{\"$schema\":\"http://json-schema.org/draft-04/schema#\"}", "1", true },
    { "{}", "{\"anything\":[1,{}]}", true },
};

TEST(json_schema_keywords)
{
    char out[OUT_MAX];

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        int rc = validate(cases[i].schema, cases[i].doc, out);

        if (rc != (cases[i].valid ? 0 : -1)) {
            test_fail(__FILE__, __LINE__, "case %zu: %s against %s: rc %d (%s)", i,
                      cases[i].doc, cases[i].schema, rc, out);
            return;
        }
        if (cases[i].valid != (out[0] == '\0')) {
            test_fail(__FILE__, __LINE__, "case %zu: messages \"%s\"", i, out);
            return;
        }
    }
}

/* The messages, as java-json-tools words them. */
TEST(json_schema_messages)
{
    char out[OUT_MAX];

    EQ(validate("{\"type\":\"string\"}", "1", out), -1);
    STREQ(out, "instance type (integer) does not match any allowed primitive type (allowed: "
               "[\"string\"])");
    EQ(validate("{\"type\":[\"null\",\"array\"]}", "1.5", out), -1);
    STREQ(out, "instance type (number) does not match any allowed primitive type (allowed: "
               "[\"array\",\"null\"])");
    EQ(validate("{\"enum\":[\"a\",1]}", "\"b\"", out), -1);
    STREQ(out, "instance value (\"b\") not found in enum (possible values: [\"a\",1])");
    EQ(validate("{\"required\":[\"a\",\"b\",\"c\"]}", "{\"b\":1}", out), -1);
    STREQ(out, "object has missing required properties ([\"a\",\"c\"])");
    EQ(validate("{\"properties\":{},\"additionalProperties\":false}", "{\"x\":1,\"y\":2}", out),
       -1);
    STREQ(out, "object instance has properties which are not allowed by the schema: "
               "[\"x\",\"y\"]");
    EQ(validate("{\"minimum\":5}", "4", out), -1);
    STREQ(out, "numeric instance is lower than the required minimum (minimum: 5, found: 4)");
    EQ(validate("{\"minimum\":5,\"exclusiveMinimum\":true}", "5", out), -1);
    STREQ(out, "numeric instance is not strictly greater than the required minimum 5");
    EQ(validate("{\"maximum\":1.5}", "2", out), -1);
    STREQ(out, "numeric instance is greater than the required maximum (maximum: 1.5, found: 2)");
    EQ(validate("{\"maximum\":1,\"exclusiveMaximum\":true}", "1", out), -1);
    STREQ(out, "numeric instance is not strictly lower than the required maximum 1");
    EQ(validate("{\"multipleOf\":4}", "6", out), -1);
    STREQ(out, "remainder of division is not zero (6 / 4)");
    EQ(validate("{\"minLength\":3}", "\"ab\"", out), -1);
    STREQ(out, "string \"ab\" is too short (length: 2, required minimum: 3)");
    EQ(validate("{\"maxLength\":1}", "\"ab\"", out), -1);
    STREQ(out, "string \"ab\" is too long (length: 2, maximum allowed: 1)");
    EQ(validate("{\"pattern\":\"^x\"}", "\"ab\"", out), -1);
    STREQ(out, "ECMA 262 regex \"^x\" does not match input string \"ab\"");
    EQ(validate("{\"minItems\":2}", "[1]", out), -1);
    STREQ(out, "array is too short: must have at least 2 elements but instance has 1 elements");
    EQ(validate("{\"maxItems\":0}", "[1]", out), -1);
    STREQ(out, "array is too long: must have at most 0 elements but instance has 1 elements");
    EQ(validate("{\"uniqueItems\":true}", "[1,1]", out), -1);
    STREQ(out, "array must not contain duplicate elements");
    EQ(validate("{\"items\":[{}],\"additionalItems\":false}", "[1,2]", out), -1);
    STREQ(out, "schema only allows 1 elements in array but instance has 2 elements");
    EQ(validate("{\"minProperties\":2}", "{\"a\":1}", out), -1);
    STREQ(out, "object has too few properties (found 1 but schema requires at least 2)");
    EQ(validate("{\"maxProperties\":0}", "{\"a\":1}", out), -1);
    STREQ(out, "object has too many properties (found 1 but schema requires at most 0)");
    EQ(validate("{\"dependencies\":{\"a\":[\"b\",\"c\"]}}", "{\"a\":1,\"c\":1}", out), -1);
    STREQ(out, "property \"a\" of object has missing property dependencies (schema requires "
               "[\"b\",\"c\"]; missing: [\"b\"])");
    EQ(validate("{\"allOf\":[{\"type\":\"string\"},{}]}", "1", out), -1);
    STREQ(out, "instance failed to match all required schemas (matched only 1 out of 2)");
    EQ(validate("{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"null\"}]}", "1", out), -1);
    STREQ(out, "instance failed to match at least one required schema among 2");
    EQ(validate("{\"oneOf\":[{},{}]}", "1", out), -1);
    STREQ(out, "instance failed to match exactly one schema (matched 2 out of 2)");
    EQ(validate("{\"not\":{}}", "1", out), -1);
    STREQ(out, "instance matched a schema which it should not have");
}

/* Several failures are listed together; members are looked at only when the value passed. */
TEST(json_schema_message_list)
{
    char out[OUT_MAX];

    EQ(validate("{\"type\":\"object\",\"required\":[\"a\"],\"properties\":{\"b\":{\"type\":"
                "\"string\"},\"c\":{\"minimum\":3}}}", "{\"b\":1,\"c\":2,\"a\":0}", out), -1);
    STREQ(out, "instance type (integer) does not match any allowed primitive type (allowed: "
               "[\"string\"]), numeric instance is lower than the required minimum (minimum: 3, "
               "found: 2)");
    EQ(validate("{\"required\":[\"a\"],\"properties\":{\"b\":{\"type\":\"string\"}}}",
                "{\"b\":1}", out), -1);
    STREQ(out, "object has missing required properties ([\"a\"])");
    EQ(validate("{\"items\":{\"type\":\"integer\"}}", "[1,\"x\",true]", out), -1);
    STREQ(out, "instance type (string) does not match any allowed primitive type (allowed: "
               "[\"integer\"]), instance type (boolean) does not match any allowed primitive "
               "type (allowed: [\"integer\"])");
}

/* Schemas the syntax check refuses, with the report Stargate gives. */
TEST(json_schema_invalid)
{
    static const struct {
        const char *schema;
        const char *report;
    } bad[] = {
        { "[]", "[error]: JSON value is of type array, not a JSON Schema (expected an object); " },
        { "1", "[error]: JSON value is of type integer, not a JSON Schema (expected an object); " },
        { "{\"type\":\"foo\"}", "[error]: \"foo\" is not a valid primitive type (valid values "
          "are: [array, boolean, integer, null, number, object, string]); " },
        { "{\"type\":1}", "[error]: value has incorrect type (found integer, expected one of "
          "[array, string]); " },
        { "{\"type\":[]}", "[error]: array must have at least one element; " },
        { "{\"type\":[\"string\",\"string\"]}", "[error]: array must not contain duplicate "
          "elements; " },
        { "{\"type\":[\"string\",2]}", "[error]: array element at index 1 has incorrect type "
          "(expected one of [string] but found integer); " },
        { "{\"minLength\":\"1\"}", "[error]: value has incorrect type (found string, expected "
          "one of [integer]); " },
        { "{\"minLength\":1.5}", "[error]: value has incorrect type (found number, expected one "
          "of [integer]); " },
        { "{\"maxItems\":-1}", "[error]: integer value must be positive; " },
        { "{\"maxItems\":4294967296}", "[error]: integer value is too large; " },
        { "{\"minimum\":\"1\"}", "[error]: value has incorrect type (found string, expected one "
          "of [integer, number]); " },
        { "{\"exclusiveMinimum\":true}", "[error]: exclusiveMinimum must be paired with "
          "minimum; " },
        { "{\"maximum\":1,\"exclusiveMaximum\":1}", "[error]: value has incorrect type (found "
          "integer, expected one of [boolean]); " },
        { "{\"exclusiveMaximum\":false}", "[error]: exclusiveMaximum must be paired with "
          "maximum; " },
        { "{\"multipleOf\":0}", "[error]: divisor must be strictly greater than zero; " },
        { "{\"multipleOf\":-2.5}", "[error]: divisor must be strictly greater than zero; " },
        { "{\"enum\":[]}", "[error]: array must have at least one element; " },
        { "{\"enum\":[1,1.0]}", "[error]: array must not contain duplicate elements; " },
        { "{\"enum\":1}", "[error]: value has incorrect type (found integer, expected one of "
          "[array]); " },
        { "{\"required\":[]}", "[error]: array must have at least one element; " },
        { "{\"required\":[\"a\",1]}", "[error]: array element at index 1 has incorrect type "
          "(expected one of [string] but found integer); " },
        { "{\"required\":true}", "[error]: value has incorrect type (found boolean, expected "
          "one of [array]); " },
        { "{\"properties\":{\"a\":1}}", "[error]: JSON value is of type integer, not a JSON "
          "Schema (expected an object); " },
        { "{\"properties\":[]}", "[error]: value has incorrect type (found array, expected one "
          "of [object]); " },
        { "{\"properties\":{\"a\":{\"type\":\"x\"}}}", "[error]: \"x\" is not a valid "
          "primitive type (valid values are: [array, boolean, integer, null, number, object, "
          "string]); " },
        { "{\"additionalProperties\":1}", "[error]: value has incorrect type (found integer, "
          "expected one of [boolean, object]); " },
        { "{\"additionalItems\":{\"minItems\":\"x\"}}", "[error]: value has incorrect type "
          "(found string, expected one of [integer]); " },
        { "{\"items\":1}", "[error]: value has incorrect type (found integer, expected one of "
          "[array, object]); " },
        { "{\"items\":[1]}", "[error]: array element at index 0 has incorrect type (expected "
          "one of [object] but found integer); " },
        { "{\"allOf\":[]}", "[error]: array must have at least one element; " },
        { "{\"anyOf\":{}}", "[error]: value has incorrect type (found object, expected one of "
          "[array]); " },
        { "{\"oneOf\":[{\"not\":[]}]}", "[error]: value has incorrect type (found array, "
          "expected one of [object]); " },
        { "{\"pattern\":\"(\"}", "[error]: string \"(\" is not a valid ECMA 262 regular "
          "expression; " },
        { "{\"patternProperties\":{\"[\":{}}}", "[error]: property name \"[\" is not a valid "
          "ECMA 262 regular expression; " },
        { "{\"uniqueItems\":1}", "[error]: value has incorrect type (found integer, expected "
          "one of [boolean]); " },
        { "{\"dependencies\":{\"a\":1}}", "[error]: dependency value for property \"a\" has "
          "incorrect type (expected one of [array, object] but found integer); " },
        { "{\"dependencies\":{\"a\":[]}}", "[error]: array must have at least one element; " },
        { "{\"dependencies\":{\"a\":{\"type\":2}}}", "[error]: value has incorrect type (found "
          "integer, expected one of [array, string]); " },
        { "{\"definitions\":{\"a\":{\"enum\":[]}}}", "[error]: array must have at least one "
          "element; " },
        { "{\"$ref\":1}", "[error]: value has incorrect type (found integer, expected one of "
          "[string]); " },
        { "{\"$ref\":\"http://example.com/s.json\"}", "[error]: JSON reference "
          "\"http://example.com/s.json\" is not local to the schema (only \"#...\" references "
          "are supported); " },
        { "{\"$ref\":\"other.json#/a\"}", "[error]: JSON reference \"other.json#/a\" is not "
          "local to the schema (only \"#...\" references are supported); " },
        { "{\"$ref\":\"#/definitions/none\"}", "[error]: JSON reference \"#/definitions/none\" "
          "cannot be resolved within the schema; " },
        { "{\"definitions\":{\"a\":1},\"$ref\":\"#/definitions/a\"}", "[error]: JSON reference "
          "\"#/definitions/a\" cannot be resolved within the schema; [error]: JSON value is of "
          "type integer, not a JSON Schema (expected an object); " },
        { "{\"$ref\":\"#\"}", "[error]: JSON reference \"#\" is part of a reference loop; " },
        { "{\"definitions\":{\"a\":{\"$ref\":\"#/definitions/b\"},\"b\":{\"$ref\":"
          "\"#/definitions/a\"}},\"properties\":{\"x\":{\"$ref\":\"#/definitions/a\"}}}",
          "[error]: JSON reference \"#/definitions/b\" is part of a reference loop; [error]: "
          "JSON reference \"#/definitions/a\" is part of a reference loop; [error]: JSON "
          "reference \"#/definitions/a\" is part of a reference loop; " },
        { "{\"type\":1,\"minimum\":\"a\"}", "[error]: value has incorrect type (found string, "
          "expected one of [integer, number]); [error]: value has incorrect type (found "
          "integer, expected one of [array, string]); " },
    };
    char out[OUT_MAX];

    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        if (check(bad[i].schema, out) != -1 || strcmp(out, bad[i].report) != 0) {
            test_fail(__FILE__, __LINE__, "schema %zu %s: report \"%s\"", i, bad[i].schema, out);
            return;
        }
    }
    EQ(check("{\"type\":\"string\",\"properties\":{\"a\":{\"$ref\":\"#\"}},\"definitions\":"
             "{\"x\":{\"items\":[{},{\"type\":[\"null\",\"integer\"]}]}},\"$schema\":\"x\"}",
             out), 0);
    STREQ(out, "");
}

/* A hostile schema stops at a limit with a message instead of recursing or looping for ever. */
TEST(json_schema_limits)
{
    char out[OUT_MAX];
    char schema[2048];
    int n = 0;

    /* a loop through allOf is not a plain $ref chain: the depth limit stops it */
    EQ(validate("{\"allOf\":[{\"$ref\":\"#\"}]}", "1", out), -1);
    STREQ(out, "validation stopped: the schema nests or recurses too deeply");
    /* branching 2^512 ways: the step limit stops it */
    EQ(validate("{\"anyOf\":[{\"$ref\":\"#\"},{\"$ref\":\"#\"}]}", "1", out), -1);
    OK(strstr(out, "validation stopped") != NULL);
    /* the same schema on a value that needs no recursion is still evaluated as far as needed */
    EQ(validate("{\"anyOf\":[{\"type\":\"string\"},{\"$ref\":\"#\"}]}", "\"s\"", out), 0);
    /* deep but legal nesting is fine */
    n += snprintf(schema + n, sizeof(schema) - (size_t)n, "{\"items\":");
    for (int i = 0; i < 60; i++) {
        n += snprintf(schema + n, sizeof(schema) - (size_t)n, "{\"items\":");
    }
    n += snprintf(schema + n, sizeof(schema) - (size_t)n, "{\"type\":\"integer\"}");
    for (int i = 0; i < 61; i++) {
        n += snprintf(schema + n, sizeof(schema) - (size_t)n, "}");
    }
    EQ(check(schema, out), 0);
}
