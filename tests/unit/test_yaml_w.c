/*
 * test_yaml_w.c: the block YAML writer on values a YAML reader could misread. Every expected
 * text below also reads back (PyYAML, YAML 1.1) as the JSON it was written from; the integration
 * test of the OpenAPI document checks that for the whole document.
 */
#include "test.h"

#include <stdlib.h>

#include <cJSON.h>

#include "core/yaml_w.h"

/* Writes the YAML for the JSON text JSON into *OUT (malloc'd, NUL-terminated); returns rc. */
static int
emit(const char *json, char **out)
{
    cJSON *doc = cJSON_Parse(json);
    struct cql_wr w;
    int rc;

    if (doc == NULL) {
        *out = NULL;
        return -1;
    }
    cql_wr_init(&w, NULL, 0, test_grow, NULL);
    rc = yaml_w_tree(&w, doc);
    cql_wr_byte(&w, '\0');
    cJSON_Delete(doc);
    *out = (char *)w.p;
    return rc;
}

/* Fails the test unless JSON renders as exactly WANT. */
#define YAML_EQ(json, want)                                                                        \
    do {                                                                                           \
        char *got_;                                                                                \
        int rc_ = emit((json), &got_);                                                             \
        bool same_ = rc_ == 0 && got_ != NULL && strcmp(got_, (want)) == 0;                        \
        if (!same_) {                                                                              \
            test_fail(__FILE__, __LINE__, "rc %d, got:\n%s\nwant:\n%s", rc_,                       \
                      got_ != NULL ? got_ : "(null)", (want));                                     \
        }                                                                                          \
        free(got_);                                                                                \
        if (!same_) {                                                                              \
            return;                                                                                \
        }                                                                                          \
    } while (0)

TEST(yaml_w_plain_and_quoted_strings)
{
    YAML_EQ("{\"a\":\"hello world\",\"b\":\"/v2/{ks}/{t}\",\"c\":\"$ref\",\"d\":\"a:b\","
            "\"e\":\"a#b\",\"f\":\"say \\\"hi\\\"\",\"g\":\"a, b [c] {d}\",\"h\":\"_x\"}",
            "---\n"
            "a: hello world\n"
            "b: /v2/{ks}/{t}\n"
            "c: $ref\n"
            "d: a:b\n"
            "e: a#b\n"
            "f: say \"hi\"\n"
            "g: a, b [c] {d}\n"
            "h: _x\n");
    /* Words YAML 1.1 reads as booleans or null, in any case; numbers, dates and times. */
    YAML_EQ("[\"true\",\"True\",\"tRuE\",\"yes\",\"Off\",\"y\",\"N\",\"null\",\"~\",\"\","
            "\"123\",\"1.5\",\"-1\",\".5\",\".inf\",\"2001-12-14\",\"1:20\",\"3.0.3\"]",
            "---\n"
            "- \"true\"\n"
            "- \"True\"\n"
            "- \"tRuE\"\n"
            "- \"yes\"\n"
            "- \"Off\"\n"
            "- \"y\"\n"
            "- \"N\"\n"
            "- \"null\"\n"
            "- \"~\"\n"
            "- \"\"\n"
            "- \"123\"\n"
            "- \"1.5\"\n"
            "- \"-1\"\n"
            "- \".5\"\n"
            "- \".inf\"\n"
            "- \"2001-12-14\"\n"
            "- \"1:20\"\n"
            "- \"3.0.3\"\n");
    /* Indicators in first place, ": " and " #" inside, a trailing ':' or space. */
    YAML_EQ("[\"#/components/x\",\"*x\",\"&x\",\"!x\",\"%x\",\"@x\",\"`x\",\"'x'\",\"- x\",\"-x\","
            "\"?x\",\"{a}\",\"[a]\",\",x\",\"|x\",\">x\",\"<<\",\"=\",\" x\",\"x \",\"a: b\","
            "\"a:\",\"a #b\"]",
            "---\n"
            "- \"#/components/x\"\n"
            "- \"*x\"\n"
            "- \"&x\"\n"
            "- \"!x\"\n"
            "- \"%x\"\n"
            "- \"@x\"\n"
            "- \"`x\"\n"
            "- \"'x'\"\n"
            "- \"- x\"\n"
            "- \"-x\"\n"
            "- \"?x\"\n"
            "- \"{a}\"\n"
            "- \"[a]\"\n"
            "- \",x\"\n"
            "- \"|x\"\n"
            "- \">x\"\n"
            "- \"<<\"\n"
            "- \"=\"\n"
            "- \" x\"\n"
            "- \"x \"\n"
            "- \"a: b\"\n"
            "- \"a:\"\n"
            "- \"a #b\"\n");
}

TEST(yaml_w_keys)
{
    YAML_EQ("{\"200\":1,\"\":2,\"true\":3,\"a: b\":4,\"-\":5,\"x y\":6,\"\\u00e9\":7,"
            "\"k\\nl\":8,\"$ref\":9}",
            "---\n"
            "\"200\": 1\n"
            "\"\": 2\n"
            "\"true\": 3\n"
            "\"a: b\": 4\n"
            "\"-\": 5\n"
            "x y: 6\n"
            "\"\xc3\xa9\": 7\n"
            "\"k\\nl\": 8\n"
            "$ref: 9\n");
}

TEST(yaml_w_long_key_is_explicit)
{
    char json[1400];
    char want[1400];
    char key[1101];
    char *got;

    memset(key, 'k', 1100);
    key[1100] = '\0';
    snprintf(json, sizeof(json), "{\"%s\":{\"a\":1},\"b\":[2]}", key);
    snprintf(want, sizeof(want), "---\n? %s\n:\n  a: 1\nb:\n  - 2\n", key);
    EQ(emit(json, &got), 0);
    STREQ(got, want);
    free(got);
    snprintf(json, sizeof(json), "[{\"%s\":3}]", key);
    snprintf(want, sizeof(want), "---\n- ? %s\n  : 3\n", key);
    EQ(emit(json, &got), 0);
    STREQ(got, want);
    free(got);
}

TEST(yaml_w_nesting)
{
    YAML_EQ("{\"a\":[{\"b\":1,\"c\":[1,[2,3],[],{}]},[{\"d\":{}},[]],[],{}],"
            "\"e\":{\"f\":{\"g\":[{\"h\":[{\"i\":null}]}]}},\"z\":[[[1]]]}",
            "---\n"
            "a:\n"
            "  - b: 1\n"
            "    c:\n"
            "      - 1\n"
            "      - - 2\n"
            "        - 3\n"
            "      - []\n"
            "      - {}\n"
            "  - - d: {}\n"
            "    - []\n"
            "  - []\n"
            "  - {}\n"
            "e:\n"
            "  f:\n"
            "    g:\n"
            "      - h:\n"
            "          - i: null\n"
            "z:\n"
            "  - - - 1\n");
    YAML_EQ("[1,{\"a\":true,\"b\":[false]},[{\"c\":3}]]",
            "---\n"
            "- 1\n"
            "- a: true\n"
            "  b:\n"
            "    - false\n"
            "- - c: 3\n");
}

TEST(yaml_w_top_level_scalars_and_empties)
{
    YAML_EQ("\"scalar\"", "--- scalar\n");
    YAML_EQ("\"no\"", "--- \"no\"\n");
    YAML_EQ("42", "--- 42\n");
    YAML_EQ("null", "--- null\n");
    YAML_EQ("true", "--- true\n");
    YAML_EQ("{}", "--- {}\n");
    YAML_EQ("[]", "--- []\n");
    YAML_EQ("{\"o\":{},\"a\":[]}", "---\no: {}\na: []\n");
}

TEST(yaml_w_unicode_and_multiline)
{
    /* Unicode stays as is (inside quotes); line breaks of any kind, controls and the BOM are
     * escaped, and bytes that are not UTF-8 become U+FFFD. */
    YAML_EQ("{\"u\":\"\\u00e9 \\u65e5\\u672c \\ud83d\\ude00\",\"nl\":\"line1\\nline2\\n\","
            "\"tab\":\"a\\tb\",\"cr\":\"a\\rb\",\"nel\":\"a\\u0085b\",\"ls\":\"a\\u2028b\","
            "\"ps\":\"a\\u2029b\",\"bom\":\"\\ufeffx\",\"ctl\":\"a\\u0001b\\u007fc\\u009fd\","
            "\"bs\":\"back\\\\slash\",\"q\":\"\\\"\\\\\\n\",\"nc\":\"\\ufffe\\uffff\","
            "\"bad\":\"a\xff" "b\"}",
            "---\n"
            "u: \"\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80\"\n"
            "nl: \"line1\\nline2\\n\"\n"
            "tab: \"a\\tb\"\n"
            "cr: \"a\\rb\"\n"
            "nel: \"a\\u0085b\"\n"
            "ls: \"a\\u2028b\"\n"
            "ps: \"a\\u2029b\"\n"
            "bom: \"\\uFEFFx\"\n"
            "ctl: \"a\\u0001b\\u007Fc\\u009Fd\"\n"
            "bs: back\\slash\n"
            "q: \"\\\"\\\\\\n\"\n"
            "nc: \"\\uFFFE\\uFFFF\"\n"
            "bad: \"a\xef\xbf\xbd" "b\"\n");
}

TEST(yaml_w_numbers)
{
    /* Whole numbers as integers; others in a form both YAML 1.1 and 1.2 read as floats. */
    YAML_EQ("[0,-5,1.5,-0.25,1e10,1.5e-7,1e300,5e-324,1e999,-1e999]",
            "---\n"
            "- 0\n"
            "- -5\n"
            "- 1.5\n"
            "- -0.25\n"
            "- 10000000000\n"
            "- 1.5E-7\n"
            "- 1.0E+300\n"
            "- 4.9E-324\n"
            "- .inf\n"
            "- -.inf\n");
}

TEST(yaml_w_refuses_what_is_not_json)
{
    cJSON *deep = cJSON_CreateArray();
    cJSON *at = deep;
    cJSON *raw = cJSON_CreateObject();
    struct cql_wr w;

    for (int i = 0; i < YAML_W_MAX_DEPTH + 5; i++) {
        cJSON *inner = cJSON_CreateArray();

        cJSON_AddItemToArray(at, inner);
        at = inner;
    }
    cJSON_AddItemToArray(at, cJSON_CreateNumber(1));
    cql_wr_init(&w, NULL, 0, test_grow, NULL);
    EQ(yaml_w_tree(&w, deep), E_INVALID);
    free(w.p);
    cJSON_Delete(deep);

    cJSON_AddItemToObject(raw, "r", cJSON_CreateRaw("{not json"));
    cql_wr_init(&w, NULL, 0, test_grow, NULL);
    EQ(yaml_w_tree(&w, raw), E_INVALID);
    free(w.p);
    cJSON_Delete(raw);

    cql_wr_init(&w, NULL, 0, test_grow, NULL);
    EQ(yaml_w_tree(&w, NULL), E_INVALID);
    free(w.p);
}

TEST(yaml_w_writer_error_is_returned)
{
    uint8_t buf[8];
    struct cql_wr w;
    cJSON *doc = cJSON_Parse("{\"a\":\"a longer value than eight bytes\"}");

    cql_wr_init(&w, buf, sizeof(buf), NULL, NULL);
    OK(yaml_w_tree(&w, doc) != 0);
    OK(w.err != 0);
    cJSON_Delete(doc);
}
