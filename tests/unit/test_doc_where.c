/*
 * test_doc_where.c: the `where` filters of src/docs/doc_where (documents-v2 section 3): every
 * validation message, $not pushed to the leaves, simplification, every operator on every value
 * type against real shredded documents (globs, [*], alternatives, escapes, missing fields), and
 * the choice of the conditions that drive a search through the indexes.
 */
#include "test.h"

#include "api/cql_json.h"
#include "core/arena.h"
#include "docs/doc_shred.h"
#include "docs/doc_where.h"

/* ---- helpers --------------------------------------------------------------------------------- */

/* Parses WHERE; returns the parser's code, with the description of a failure in DESC. */
static int
wparse(struct arena *a, const char *where, struct doc_where *w, char *desc, size_t cap)
{
    struct doc_shred_err err = { 0 };
    int rc = doc_where_parse(where, strlen(where), NULL, 0, a, w, &err);

    desc[0] = '\0';
    if (rc != 0) {
        snprintf(desc, cap, "%.*s", (int)err.len, err.desc);
    }
    return rc;
}

/* Whether JSON document DOC matches WHERE (-1 when either does not parse). */
static int
matches(const char *where, const char *doc)
{
    struct arena a;
    struct doc_where w;
    struct doc_where_state st;
    struct doc_shred_rows rows;
    struct doc_shred_err err;
    struct cql_alloc al;
    struct cql_json_node *root = NULL;
    struct cql_json_err jerr;
    char desc[256];
    int res = -1;

    arena_init(&a, 4096);
    al = arena_cql_alloc(&a);
    if (wparse(&a, where, &w, desc, sizeof(desc)) != 0
        || cql_json_parse(doc, strlen(doc), CQL_JSON_DEEP, &al, &root, &jerr) != 0
        || doc_shred_json(root, NULL, &a, &rows, &err) != 0) {
        arena_deinit(&a);
        return -1;
    }
    doc_where_state_init(&w, &st, &a);
    for (size_t i = 0; i < rows.n; i++) {
        const struct doc_shred_row *r = &rows.v[i];
        struct doc_shred_in in;
        size_t n;

        memset(&in, 0, sizeof(in));
        for (size_t k = 0; k < DOC_SHRED_DEPTH; k++) {
            in.p[k] = (struct cql_str){ "", 0 };
        }
        n = doc_shred_path(r, in.p);
        in.leaf = in.p[n - 1];
        in.has_text = r->type == DOC_SHRED_STRING;
        in.text = (struct cql_str){ r->s, r->len };
        in.has_dbl = r->type == DOC_SHRED_NUMBER;
        in.dbl = r->d;
        in.has_bool = r->type == DOC_SHRED_BOOL;
        in.boolean = r->b;
        doc_where_feed(&w, &st, &in);
    }
    res = doc_where_result(&w, &st) ? 1 : 0;
    arena_deinit(&a);
    return res;
}

/* Asserts that WHERE fails with DESC. */
#define WFAIL(where, want)                                                                         \
    do {                                                                                           \
        struct arena ar_;                                                                          \
        struct doc_where w_;                                                                       \
        char d_[512];                                                                              \
        int rc_;                                                                                   \
        arena_init(&ar_, 4096);                                                                    \
        rc_ = wparse(&ar_, (where), &w_, d_, sizeof(d_));                                          \
        arena_deinit(&ar_);                                                                        \
        EQ(rc_, E_INVALID);                                                                        \
        STREQ(d_, (want));                                                                         \
    } while (0)

#define MATCH(where, doc)   EQ(matches((where), (doc)), 1)
#define NOMATCH(where, doc) EQ(matches((where), (doc)), 0)

/* ---- validation ------------------------------------------------------------------------------ */

TEST(doc_where_errors)
{
    WFAIL("{", "The `where` parameter expects a valid JSON object representing search criteria.");
    WFAIL("", "The `where` parameter expects a valid JSON object representing search criteria.");
    WFAIL("[1]", "Search was expecting a JSON object as input.");
    WFAIL("\"a\"", "Search was expecting a JSON object as input.");
    WFAIL("{\"a\":true}", "A filter operation and value resolved as invalid.");
    WFAIL("{\"a\":[1]}", "A filter operation and value resolved as invalid.");
    WFAIL("{\"a\":{\"$foo\":1}}", "Operation '$foo' is not supported.");
    WFAIL("{\"a\":{\"$EQ\":1}}", "Operation '$EQ' is not supported.");
    WFAIL("{\"a\":{\"$eq\":null}}", "Operation '$eq' does not support the provided value null.");
    WFAIL("{\"a\":{\"$gt\":{}}}", "Operation '$gt' does not support the provided value { }.");
    WFAIL("{\"a\":{\"$lt\":[1,2]}}", "Operation '$lt' does not support the provided value "
                                     "[ 1, 2 ].");
    WFAIL("{\"a\":{\"$ne\":{\"b\":1,\"c\":[]}}}", "Operation '$ne' does not support the provided "
                                                 "value {\n  \"b\" : 1,\n  \"c\" : [ ]\n}.");
    WFAIL("{\"a\":{\"$exists\":1}}", "Operation '$exists' does not support the provided value 1.");
    WFAIL("{\"a\":{\"$in\":1}}", "Operation '$in' does not support the provided value 1.");
    WFAIL("{\"a\":{\"$in\":[]}}", "Operation $in was expecting a non-empty list");
    WFAIL("{\"a\":{\"$nin\":[]}}", "Operation $nin was expecting a non-empty list");
    WFAIL("{\"a\":{\"$in\":[1,{}]}}", "Operation IN was not expecting a list containing a OBJECT "
                                      "node type.");
    WFAIL("{\"a\":{\"$nin\":[[1]]}}", "Operation NIN was not expecting a list containing a ARRAY "
                                      "node type.");
    WFAIL("{\"$or\":{}}", "The $or requires an array json node as value.");
    WFAIL("{\"$and\":1}", "The $and requires an array json node as value.");
    WFAIL("{\"$not\":[]}", "The $not operator requires a json object as value.");
    WFAIL("{\"$not\":{}}", "The $not operator requires exactly one child expression.");
    WFAIL("{\"$not\":{\"a\":{\"$eq\":1},\"b\":{\"$eq\":1}}}",
          "The $not operator requires exactly one child expression.");
    WFAIL("{\"a\":{\"$gt\":1,\"$eq\":\"x\"}}",
          "Filter conditions for field 'a' imply incompatible types: Number, String");
    WFAIL("{\"a.b\":{\"$eq\":true,\"$ne\":\"x\"}}",
          "Filter conditions for field 'b' imply incompatible types: Boolean, String");
    WFAIL("{\"a\":{\"$eq\":1,\"$selectivity\":\"x\"}}",
          "Selectivity hint does not support the provided value \"x\" (expecting a number)");
    WFAIL("{\"a\":{\"$eq\":1,\"$lt\":3,\"$selectivity\":0.5}}",
          "Specifying multiple filter conditions in the same JSON block with a selectivity hint is "
          "not supported. Combine them using \"$and\" to disambiguate. Related field: 'a')");
    WFAIL("{\"a\":{\"$selectivity\":0.5}}", "Field 'a' has a selectivity hint but no condition");
    WFAIL("{\"a.[x].b\":{\"$eq\":1}}", "Array path [x] is not valid.");
    WFAIL("{\"a.[1000000]\":{\"$eq\":1}}", "Max array length of 1000000 exceeded.");
    WFAIL("{\"$or\":[{\"a\":{\"$bad\":1}}]}", "Operation '$bad' is not supported.");
}

TEST(doc_where_accepts)
{
    struct arena a;
    struct doc_where w;
    char d[256];

    arena_init(&a, 4096);
    EQ(wparse(&a, "{}", &w, d, sizeof(d)), 0);
    OK(w.root == NULL);
    EQ(wparse(&a, "{\"a\":{}}", &w, d, sizeof(d)), 0);
    OK(w.root == NULL);
    EQ(wparse(&a, "{\"a\":{\"$in\":[1,\"x\",true,null]}}", &w, d, sizeof(d)), 0);
    EQ(w.nleaves, 1);
    EQ(w.leaves[0]->nlist, 4);
    EQ(wparse(&a, "{\"a\":{\"$eq\":1,\"$selectivity\":0.1}}", &w, d, sizeof(d)), 0);
    EQ(w.nleaves, 1);
    /* $in and $exists state no operand type, so they go with any other */
    EQ(wparse(&a, "{\"a\":{\"$gt\":1,\"$in\":[\"x\"],\"$exists\":true}}", &w, d, sizeof(d)), 0);
    EQ(w.nleaves, 3);
    EQ(w.npaths, 1);
    EQ(wparse(&a, "{\"a\":{\"$gt\":1},\"b.c\":{\"$lt\":2},\"a \":{\"$eq\":1}}", &w, d,
              sizeof(d)), 0);
    EQ(w.npaths, 3);
    arena_deinit(&a);
}

/* $not inverts each operator, turns AND into OR and back; groups of one child disappear. */
TEST(doc_where_not_and_simplify)
{
    struct arena a;
    struct doc_where w;
    char d[256];
    static const struct {
        const char *op;
        int         inv;
    } inv[] = {
        { "$eq", DOC_WHERE_NE },  { "$ne", DOC_WHERE_EQ },  { "$gt", DOC_WHERE_LTE },
        { "$gte", DOC_WHERE_LT }, { "$lt", DOC_WHERE_GTE }, { "$lte", DOC_WHERE_GT },
    };

    arena_init(&a, 4096);
    for (size_t i = 0; i < ARRAY_SIZE(inv); i++) {
        char where[128];

        snprintf(where, sizeof(where), "{\"$not\":{\"a\":{\"%s\":1}}}", inv[i].op);
        EQ(wparse(&a, where, &w, d, sizeof(d)), 0);
        EQ(w.root->kind, DOC_WHERE_LEAF);
        EQ(w.root->op, inv[i].inv);
    }
    EQ(wparse(&a, "{\"$not\":{\"a\":{\"$in\":[1]}}}", &w, d, sizeof(d)), 0);
    EQ(w.root->op, DOC_WHERE_NIN);
    EQ(wparse(&a, "{\"$not\":{\"a\":{\"$nin\":[1]}}}", &w, d, sizeof(d)), 0);
    EQ(w.root->op, DOC_WHERE_IN);
    EQ(wparse(&a, "{\"$not\":{\"a\":{\"$exists\":true}}}", &w, d, sizeof(d)), 0);
    EQ(w.root->op, DOC_WHERE_EXISTS);
    OK(!w.root->v.b);
    EQ(wparse(&a, "{\"$not\":{\"$not\":{\"a\":{\"$eq\":1}}}}", &w, d, sizeof(d)), 0);
    EQ(w.root->op, DOC_WHERE_EQ);
    EQ(wparse(&a, "{\"$not\":{\"$or\":[{\"a\":{\"$eq\":1}},{\"b\":{\"$lt\":2}}]}}", &w, d,
              sizeof(d)), 0);
    EQ(w.root->kind, DOC_WHERE_AND);
    EQ(w.root->n, 2);
    EQ(w.root->kids[0]->op, DOC_WHERE_NE);
    EQ(w.root->kids[1]->op, DOC_WHERE_GTE);
    EQ(wparse(&a, "{\"$and\":[{\"a\":{\"$eq\":1}},{\"$and\":[{\"b\":{\"$eq\":1}}]}],"
                  "\"c\":{\"$eq\":1}}", &w, d, sizeof(d)), 0);
    EQ(w.root->kind, DOC_WHERE_AND);
    EQ(w.root->n, 3);
    EQ(wparse(&a, "{\"$or\":[{\"a\":{\"$eq\":1}}]}", &w, d, sizeof(d)), 0);
    EQ(w.root->kind, DOC_WHERE_LEAF);
    EQ(wparse(&a, "{\"$or\":[{\"a\":{\"$eq\":1}},{\"$or\":[{\"b\":{\"$eq\":1}},"
                  "{\"c\":{\"$eq\":1}}]}]}", &w, d, sizeof(d)), 0);
    EQ(w.root->kind, DOC_WHERE_OR);
    EQ(w.root->n, 3);
    arena_deinit(&a);
}

/* ---- evaluation ------------------------------------------------------------------------------ */

static const char *const DOC = "{\"n\":5,\"s\":\"abc\",\"b\":true,\"z\":null,\"e\":{},\"ea\":[],"
                               "\"o\":{\"x\":1,\"y\":\"t\"},\"a\":[1,{\"x\":2},{\"x\":30}],"
                               "\"k\\\\.dot\":7,\"st*r\":8,\"c,m\":9}";

TEST(doc_where_numbers)
{
    MATCH("{\"n\":{\"$eq\":5}}", DOC);
    MATCH("{\"n\":{\"$eq\":5.0}}", DOC);
    NOMATCH("{\"n\":{\"$eq\":6}}", DOC);
    NOMATCH("{\"n\":{\"$eq\":\"5\"}}", DOC);
    MATCH("{\"n\":{\"$ne\":6}}", DOC);
    NOMATCH("{\"n\":{\"$ne\":5}}", DOC);
    MATCH("{\"n\":{\"$gt\":4.5}}", DOC);
    NOMATCH("{\"n\":{\"$gt\":5}}", DOC);
    MATCH("{\"n\":{\"$gte\":5}}", DOC);
    NOMATCH("{\"n\":{\"$gte\":5.01}}", DOC);
    MATCH("{\"n\":{\"$lt\":6}}", DOC);
    NOMATCH("{\"n\":{\"$lt\":5}}", DOC);
    MATCH("{\"n\":{\"$lte\":5}}", DOC);
    NOMATCH("{\"n\":{\"$lte\":-5}}", DOC);
    MATCH("{\"n\":{\"$gt\":1,\"$lt\":6}}", DOC);
    NOMATCH("{\"n\":{\"$gt\":5,\"$lt\":6}}", DOC);
    MATCH("{\"n\":{\"$in\":[1,5]}}", DOC);
    NOMATCH("{\"n\":{\"$in\":[\"5\",true]}}", DOC);
    MATCH("{\"n\":{\"$nin\":[1,2]}}", DOC);
    NOMATCH("{\"n\":{\"$nin\":[5]}}", DOC);
    /* a number is no string: a string range on it fails */
    NOMATCH("{\"n\":{\"$gt\":\"\"}}", DOC);
}

TEST(doc_where_strings_and_booleans)
{
    MATCH("{\"s\":{\"$eq\":\"abc\"}}", DOC);
    NOMATCH("{\"s\":{\"$eq\":\"ABC\"}}", DOC);
    MATCH("{\"s\":{\"$gt\":\"abb\"}}", DOC);
    MATCH("{\"s\":{\"$gt\":\"ab\"}}", DOC);
    NOMATCH("{\"s\":{\"$gt\":\"abc\"}}", DOC);
    MATCH("{\"s\":{\"$gte\":\"abc\",\"$lte\":\"abc\"}}", DOC);
    MATCH("{\"s\":{\"$lt\":\"b\"}}", DOC);
    NOMATCH("{\"s\":{\"$lt\":\"aa\"}}", DOC);
    MATCH("{\"s\":{\"$in\":[\"x\",\"abc\"]}}", DOC);
    MATCH("{\"s\":{\"$ne\":1}}", DOC);
    MATCH("{\"b\":{\"$eq\":true}}", DOC);
    NOMATCH("{\"b\":{\"$eq\":false}}", DOC);
    MATCH("{\"b\":{\"$ne\":false}}", DOC);
    MATCH("{\"b\":{\"$gt\":false}}", DOC);
    NOMATCH("{\"b\":{\"$lt\":true}}", DOC);
    MATCH("{\"b\":{\"$in\":[true]}}", DOC);
    NOMATCH("{\"b\":{\"$in\":[1]}}", DOC);
    NOMATCH("{\"b\":{\"$eq\":\"true\"}}", DOC);
}

TEST(doc_where_nulls_and_empty_containers)
{
    NOMATCH("{\"z\":{\"$eq\":1}}", DOC);
    NOMATCH("{\"z\":{\"$gt\":0}}", DOC);
    MATCH("{\"z\":{\"$ne\":1}}", DOC);
    MATCH("{\"z\":{\"$in\":[null]}}", DOC);
    NOMATCH("{\"z\":{\"$nin\":[null]}}", DOC);
    MATCH("{\"z\":{\"$exists\":true}}", DOC);
    NOMATCH("{\"n\":{\"$in\":[null]}}", DOC);
    /* empty containers are leaves, stored with their markers */
    MATCH("{\"e\":{\"$exists\":true}}", DOC);
    MATCH("{\"ea\":{\"$exists\":true}}", DOC);
    /* a non-empty object is no leaf: nothing lies on its path */
    NOMATCH("{\"o\":{\"$exists\":true}}", DOC);
    MATCH("{\"o\":{\"$exists\":false}}", DOC);
}

/* $ne, $nin and $exists:false hold where the path is missing; the others do not. */
TEST(doc_where_missing_fields)
{
    NOMATCH("{\"none\":{\"$eq\":1}}", DOC);
    NOMATCH("{\"none\":{\"$lt\":1}}", DOC);
    NOMATCH("{\"none\":{\"$in\":[1, null]}}", DOC);
    NOMATCH("{\"none\":{\"$exists\":true}}", DOC);
    MATCH("{\"none\":{\"$ne\":1}}", DOC);
    MATCH("{\"none\":{\"$nin\":[1]}}", DOC);
    MATCH("{\"none\":{\"$exists\":false}}", DOC);
    NOMATCH("{\"n\":{\"$exists\":false}}", DOC);
    MATCH("{\"n\":{\"$exists\":true}}", DOC);
    /* a longer path under a leaf is missing too */
    MATCH("{\"n.x\":{\"$ne\":1}}", DOC);
    NOMATCH("{\"n.x\":{\"$exists\":true}}", DOC);
}

TEST(doc_where_paths_globs_and_escapes)
{
    MATCH("{\"o.x\":{\"$eq\":1}}", DOC);
    MATCH("{\"o.y\":{\"$eq\":\"t\"}}", DOC);
    MATCH("{\"*.x\":{\"$eq\":1}}", DOC);
    MATCH("{\"*.*.x\":{\"$eq\":30}}", DOC);
    NOMATCH("{\"*.x\":{\"$eq\":3}}", DOC);
    MATCH("{\"a.[*].x\":{\"$gt\":20}}", DOC);
    MATCH("{\"a.*.x\":{\"$eq\":2}}", DOC);
    /* [*] is any array index only: an object key does not match it */
    NOMATCH("{\"[*].x\":{\"$eq\":1}}", DOC);
    MATCH("{\"a.[1].x\":{\"$eq\":2}}", DOC);
    MATCH("{\"a.[000001].x\":{\"$eq\":2}}", DOC);
    NOMATCH("{\"a.[2].x\":{\"$eq\":2}}", DOC);
    MATCH("{\"a.[0]\":{\"$eq\":1}}", DOC);
    MATCH("{\"o,a.x\":{\"$eq\":1}}", DOC);
    NOMATCH("{\"n,s.x\":{\"$eq\":1}}", DOC);
    MATCH("{\"a.[1],[2].x\":{\"$eq\":30}}", DOC);
    NOMATCH("{\"a.[0],[1].x\":{\"$eq\":30}}", DOC);
    /* a glob as the field is matched literally: no leaf here is "*" or "[*]" */
    NOMATCH("{\"o.*\":{\"$eq\":1}}", DOC);
    NOMATCH("{\"a.[*]\":{\"$eq\":1}}", DOC);
    /* any row on a globbed path will do, for each condition on its own */
    MATCH("{\"a.[*].x\":{\"$lt\":3,\"$gt\":20}}", DOC);
    MATCH("{\"k\\\\.dot\":{\"$eq\":7}}", DOC);
    NOMATCH("{\"k.dot\":{\"$eq\":7}}", DOC);
    MATCH("{\"st\\\\*r\":{\"$eq\":8}}", DOC);
    MATCH("{\"c\\\\,m\":{\"$eq\":9}}", DOC);
    MATCH("{\"c,m\":{\"$eq\":9}}", DOC);
}

TEST(doc_where_logic)
{
    MATCH("{\"n\":{\"$eq\":5},\"s\":{\"$eq\":\"abc\"}}", DOC);
    NOMATCH("{\"n\":{\"$eq\":5},\"s\":{\"$eq\":\"x\"}}", DOC);
    MATCH("{\"$or\":[{\"n\":{\"$eq\":1}},{\"s\":{\"$eq\":\"abc\"}}]}", DOC);
    NOMATCH("{\"$or\":[{\"n\":{\"$eq\":1}},{\"s\":{\"$eq\":\"x\"}}]}", DOC);
    NOMATCH("{\"$or\":[]}", DOC);
    /* every member of every element is one child of the $or */
    MATCH("{\"$or\":[{\"n\":{\"$eq\":1}},{\"s\":{\"$eq\":\"x\"},\"b\":{\"$eq\":true}}]}", DOC);
    MATCH("{\"$and\":[]}", DOC);
    MATCH("{\"$and\":[{\"n\":{\"$eq\":5}},{\"$or\":[{\"b\":{\"$eq\":false}},"
          "{\"o.x\":{\"$eq\":1}}]}]}", DOC);
    MATCH("{\"$not\":{\"n\":{\"$eq\":6}}}", DOC);
    NOMATCH("{\"$not\":{\"n\":{\"$eq\":5}}}", DOC);
    NOMATCH("{\"$not\":{\"n\":{\"$gt\":4}}}", DOC);
    MATCH("{\"$not\":{\"$or\":[{\"n\":{\"$eq\":1}},{\"s\":{\"$eq\":\"x\"}}]}}", DOC);
    MATCH("{\"$not\":{\"none\":{\"$exists\":true}}}", DOC);
    MATCH("{\"$not\":{\"none\":{\"$eq\":1}}}", DOC);
    MATCH("{}", DOC);
}

/* ---- planning -------------------------------------------------------------------------------- */

/* The drivers of WHERE as "op:path;..." ("" for a scan). */
static void
drivers_of(const char *where, char *out, size_t cap)
{
    struct arena a;
    struct doc_where w;
    struct doc_where_driver d;
    char desc[256];
    size_t len = 0;

    out[0] = '\0';
    arena_init(&a, 4096);
    if (wparse(&a, where, &w, desc, sizeof(desc)) == 0) {
        doc_where_driver(&w, &a, &d);
        for (size_t i = 0; i < d.n && len < cap; i++) {
            len += (size_t)snprintf(out + len, cap - len, "%s%s:%.*s%s", i > 0 ? ";" : "",
                                    doc_where_op_code(d.leaf[i]->op),
                                    (int)d.leaf[i]->path->text_len, d.leaf[i]->path->text,
                                    d.push[i] == DOC_WHERE_PUSH_VALUE ? "" : "(mem)");
            for (size_t k = 0; k < d.nalso[i] && len < cap; k++) {
                len += (size_t)snprintf(out + len, cap - len, "+%s:%.*s",
                                        doc_where_op_code(d.also[i][k]->op),
                                        (int)d.also[i][k]->path->text_len,
                                        d.also[i][k]->path->text);
            }
        }
    }
    arena_deinit(&a);
}

#define DRIVERS(where, want)                                                                       \
    do {                                                                                           \
        char got_[256];                                                                            \
        drivers_of((where), got_, sizeof(got_));                                                   \
        STREQ(got_, (want));                                                                       \
    } while (0)

TEST(doc_where_drivers)
{
    DRIVERS("{}", "");
    DRIVERS("{\"a\":{\"$eq\":1}}", "EQ:a");
    DRIVERS("{\"a\":{\"$gt\":1}}", "GT:a");
    DRIVERS("{\"a\":{\"$lt\":\"x\"}}", "LT:a");
    DRIVERS("{\"a\":{\"$eq\":true}}", "EQ:a");
    DRIVERS("{\"a\":{\"$gt\":false}}", "GT:a(mem)");
    DRIVERS("{\"a\":{\"$exists\":true}}", "EXISTS:a");
    DRIVERS("{\"a\":{\"$in\":[1,2]}}", "IN:a(mem)");
    DRIVERS("{\"a\":{\"$ne\":1}}", "");
    DRIVERS("{\"a\":{\"$nin\":[1]}}", "");
    DRIVERS("{\"a\":{\"$exists\":false}}", "");
    DRIVERS("{\"a\":{\"$ne\":1},\"b\":{\"$in\":[1]}}", "IN:b(mem)");
    DRIVERS("{\"a\":{\"$gt\":1},\"b\":{\"$eq\":1}}", "EQ:b");
    DRIVERS("{\"a\":{\"$gt\":1},\"b\":{\"$lt\":1}}", "GT:a");
    DRIVERS("{\"*.a\":{\"$eq\":1},\"b\":{\"$eq\":1}}", "EQ:b");
    DRIVERS("{\"$or\":[{\"a\":{\"$eq\":1}},{\"b\":{\"$gt\":2}}]}", "EQ:a;GT:b");
    DRIVERS("{\"$or\":[{\"a\":{\"$eq\":1}},{\"b\":{\"$ne\":2}}]}", "");
    /* the members of all the elements of an $or are its children, as Stargate reads them */
    DRIVERS("{\"$or\":[{\"a\":{\"$eq\":1}},{\"b\":{\"$ne\":2},\"c\":{\"$lt\":3}}]}", "");
    DRIVERS("{\"$or\":[{\"a\":{\"$eq\":1}},{\"$and\":[{\"b\":{\"$ne\":2}},{\"c\":{\"$lt\":3}}]}]}",
            "EQ:a;LT:c");
    DRIVERS("{\"$or\":[{\"a\":{\"$eq\":1}},{\"b\":{\"$eq\":2}}],\"c\":{\"$gt\":3}}", "GT:c");
    DRIVERS("{\"$or\":[{\"a\":{\"$eq\":1}},{\"b\":{\"$eq\":2}}],\"c\":{\"$ne\":3}}", "EQ:a;EQ:b");
    DRIVERS("{\"$not\":{\"a\":{\"$ne\":1}}}", "EQ:a");
    DRIVERS("{\"$not\":{\"a\":{\"$eq\":1}}}", "");
    /* value predicates on the driver's path join its query */
    DRIVERS("{\"a\":{\"$gte\":1,\"$lt\":5}}", "GTE:a+LT:a");
    DRIVERS("{\"a\":{\"$lt\":5,\"$eq\":3}}", "EQ:a+LT:a");
    DRIVERS("{\"$and\":[{\"a\":{\"$gte\":1}},{\"a\":{\"$lt\":5}}]}", "GTE:a+LT:a");
    DRIVERS("{\"a\":{\"$gte\":1},\"b\":{\"$lt\":5}}", "GTE:a");
    DRIVERS("{\"a\":{\"$gte\":1,\"$ne\":3,\"$in\":[2,3]}}", "GTE:a");
    DRIVERS("{\"*.a\":{\"$gt\":1,\"$lt\":5}}", "GT:*.a");
    DRIVERS("{\"a\":{\"$gt\":false,\"$lt\":true}}", "GT:a(mem)");
    DRIVERS("{\"a\":{\"$exists\":true},\"$and\":[{\"a\":{\"$lt\":5}}]}", "LT:a");
    DRIVERS("{\"$or\":[{\"a\":{\"$gt\":1,\"$lt\":2}},{\"b\":{\"$eq\":1}}]}",
            "GT:a;LT:a;EQ:b");              /* an $or's members: three alternatives */
    DRIVERS("{\"$or\":[{\"$and\":[{\"a\":{\"$gt\":1}},{\"a\":{\"$lt\":2}}]},"
            "{\"b\":{\"$eq\":1}}]}", "GT:a+LT:a;EQ:b");
}

TEST(doc_where_describe)
{
    struct arena a;
    struct doc_where w;
    struct cql_wr out;
    char d[256];

    arena_init(&a, 4096);
    EQ(wparse(&a, "{\"a.b\":{\"$lt\":1000},\"c\":{\"$in\":[1,\"x\",null]},"
                  "\"d\":{\"$exists\":true},\"e\":{\"$eq\":\"s\"}}", &w, d, sizeof(d)), 0);
    EQ(w.nleaves, 4);
    cql_wr_init(&out, NULL, 0, arena_wr_grow, &a);
    for (size_t i = 0; i < w.nleaves; i++) {
        doc_where_describe(w.leaves[i], &out);
        cql_wr_byte(&out, ';');
    }
    SLICEEQ(out.p, out.len, "a.b LT 1000;c IN [1, \"x\", null];d EXISTS true;e EQ \"s\";");
    arena_deinit(&a);
}
