/*
 * fuzz_value.c: CQL types and values (proto/cql_type.c, proto/cql_value.c).
 *
 * Input: "TYPE\0VALUE" (without a NUL byte the whole input is the type text and the value is empty).
 *
 *   1. TYPE through cql_type_parse (schema text); when that fails, through cql_type_from_class
 *      (Java marshal class names, the only text form that spells out user type fields).
 *      A tree from cql_type_parse must format (cql_type_format) to text that parses back to an
 *      equal tree.
 *   2. VALUE through cql_value_from_text for that type; when it succeeds, the bytes it produced
 *      must render with cql_value_to_json (and with every CQL_JSON_* option) to valid JSON:
 *      whatever the encoder writes, the renderer reads.
 *   3. VALUE as raw value bytes through cql_value_to_json for that type, and a null of it.
 *   4. The whole input through cql_type_read_option, and what follows the [option] rendered as a
 *      value of the type read.
 *
 * Type text and value are copied into buffers of exactly their length, so reading past either
 * one is an ASan report, not a quiet read of the other.
 */
#include "fuzz_common.h"

#include "fuzz_json.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned all_flags[] = {
    0,
    CQL_JSON_MAP_ENTRIES,
    CQL_JSON_EMPTY_FOR_NULL,
    CQL_JSON_MAP_ENTRIES | CQL_JSON_EMPTY_FOR_NULL,
};

/* Renders P (LEN, or a null when LEN < 0) with FLAGS; returns the result, checking its JSON. */
static int
render(const struct cql_type *t, const uint8_t *p, int32_t len, unsigned flags, struct cql_wr *w)
{
    const char *desc = NULL;
    int rc;

    w->len = 0;
    w->err = 0;
    rc = flags == 0 ? cql_value_to_json(t, p, len, w, &desc)
                    : cql_value_to_json_opts(t, p, len, flags, w, &desc);
    if (rc == 0) {
        FZ_CHECK(w->err == 0, "cql_value_to_json returned 0 with a failed writer");
        FZ_CHECK(fz_json_valid(w->p, w->len), "cql_value_to_json rendered invalid JSON");
    } else {
        FZ_CHECK(desc != NULL, "cql_value_to_json failed without a description");
    }
    return rc;
}

/* cql_type_format of T parses back (cql_type_parse) to an equal tree. */
static void
type_round_trip(const struct cql_type *t, const struct cql_alloc *a, struct cql_wr *w)
{
    struct cql_type *back = NULL;
    const char *desc = NULL;
    char *text;
    size_t n;
    int rc;

    w->len = 0;
    w->err = 0;
    n = cql_type_format(t, w);
    FZ_CHECK(w->err == 0 && n == w->len, "cql_type_format failed");
    text = (char *)fz_dup(w->p, w->len);
    rc = cql_type_parse(text, n, a, &back, &desc);
    if (rc == CQL_ENOMEM) {
        free(text);
        return;
    }
    FZ_CHECK(rc == 0, "the text of a parsed type does not parse back");
    FZ_CHECK(cql_type_equal(t, back), "the text of a parsed type parses back to another type");
    free(text);
}

/* Steps 2 and 3 for the type T and the value text / bytes V (VLEN bytes). */
static void
values(const struct cql_type *t, const uint8_t *v, size_t vlen, struct cql_wr *w)
{
    struct cql_wr out;
    const char *desc = NULL;
    uint8_t *bytes;
    int rc;

    cql_wr_init(&out, NULL, 0, fz_grow, NULL);
    rc = cql_value_from_text(t, (const char *)v, vlen, &out, &desc);
    if (rc == 0) {
        FZ_CHECK(out.err == 0 && out.len <= INT32_MAX, "cql_value_from_text wrote a bad value");
        bytes = fz_dup(out.p, out.len);
        for (size_t i = 0; i < sizeof(all_flags) / sizeof(all_flags[0]); i++) {
            FZ_CHECK(render(t, bytes, (int32_t)out.len, all_flags[i], w) == 0,
                     "bytes written by cql_value_from_text do not render");
        }
        free(bytes);
    } else {
        FZ_CHECK(desc != NULL, "cql_value_from_text failed without a description");
    }
    free(out.p);

    if (vlen <= INT32_MAX) {
        for (size_t i = 0; i < sizeof(all_flags) / sizeof(all_flags[0]); i++) {
            (void)render(t, v, (int32_t)vlen, all_flags[i], w);
        }
    }
    FZ_CHECK(render(t, NULL, CQL_NULL, 0, w) == 0, "a null value does not render");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t tlen = nul != NULL ? (size_t)(nul - data) : size;
    size_t vlen = nul != NULL ? size - tlen - 1 : 0;
    uint8_t *ttext = fz_dup(data, tlen);
    uint8_t *vtext = fz_dup(nul != NULL ? nul + 1 : data, vlen);
    const struct cql_alloc *a;
    struct cql_type *t = NULL;
    const char *desc = NULL;
    struct cql_rd r;
    struct cql_wr w;
    int rc;

    cql_wr_init(&w, NULL, 0, fz_grow, NULL);

    a = fz_bump_begin(FZ_BUMP_SIZE);
    rc = cql_type_parse((const char *)ttext, tlen, a, &t, &desc);
    if (rc == 0) {
        type_round_trip(t, a, &w);
    } else {
        FZ_CHECK(desc != NULL, "cql_type_parse failed without a description");
        rc = cql_type_from_class((const char *)ttext, tlen, a, &t);
        FZ_CHECK(rc == 0 || rc == CQL_ETYPE || rc == CQL_ENOMEM,
                 "cql_type_from_class returned an undocumented error");
    }
    if (rc == 0) {
        (void)cql_type_fixed_size(t);
        values(t, vtext, vlen, &w);
    }
    fz_bump_end();

    a = fz_bump_begin(FZ_BUMP_SIZE);
    cql_rd_init(&r, data, size);
    rc = cql_type_read_option(&r, a, &t);
    if (rc == 0) {
        size_t left = cql_rd_left(&r);
        uint8_t *rest = fz_dup(r.p, left);

        w.len = 0;
        w.err = 0;
        (void)cql_type_format(t, &w);
        for (size_t i = 0; i < sizeof(all_flags) / sizeof(all_flags[0]); i++) {
            (void)render(t, rest, (int32_t)left, all_flags[i], &w);
        }
        free(rest);
    } else {
        FZ_CHECK(r.err == rc && r.err_desc != NULL, "cql_type_read_option failed quietly");
    }
    fz_bump_end();

    free(w.p);
    free(vtext);
    free(ttext);
    return 0;
}
