/*
 * json_w.h: a streaming JSON writer. Responses are written straight into the HTTP body buffer
 * (a struct cql_wr) as the rows are walked, the way Redis's addReply* writes protocol: no tree is
 * built on the output path.
 *
 * The writer places commas and colons itself and checks the shape (a key only inside an object,
 * then exactly one value; ends that match their begins; at most JW_MAX_DEPTH levels; one value at
 * the top). It keeps a sticky error like cql_wr: calls after a failure do nothing, and one check
 * of jw_finish at the end tells whether the output is a complete, well-formed JSON text.
 *
 *     struct jw j;
 *     jw_init(&j, body);
 *     jw_object_begin(&j);
 *     jw_key(&j, "count");  jw_int64(&j, 2);
 *     jw_key(&j, "data");   jw_array_begin(&j); ... jw_array_end(&j);
 *     jw_object_end(&j);
 *     if (jw_finish(&j) != 0) { ...the body is not usable... }
 */
#ifndef CORE_JSON_W_H
#define CORE_JSON_W_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cql_wire.h"
#include "core/util.h"

/* Deepest nesting of objects and arrays; one bit per level in the stack words below. */
#define JW_MAX_DEPTH 64

struct jw {
    struct cql_wr *out;             /* where the text goes; not owned */
    int            err;             /* 0, or the first error (sticky): E_INVALID or CQL_ENOSPC */
    unsigned       depth;           /* open objects and arrays */
    uint64_t       is_object;       /* bit d-1: level d is an object (else an array) */
    uint64_t       nonempty;        /* bit d-1: level d already holds an element */
    bool           after_key;       /* a key was written; its value comes next */
    bool           top_done;        /* the single top-level value is complete */
};

/* Starts a writer appending to OUT (whatever OUT already holds is kept in front). */
void jw_init(struct jw *j, struct cql_wr *out);

void jw_object_begin(struct jw *j);
void jw_object_end(struct jw *j);
void jw_array_begin(struct jw *j);
void jw_array_end(struct jw *j);

/* An object key; the next call must write its value. jw_key takes a NUL-terminated string. */
void jw_key(struct jw *j, const char *key);
void jw_key_n(struct jw *j, const char *key, size_t len);

/*
 * A string value, escaped by cql_json_string. Bytes that are not valid UTF-8 are written as
 * U+FFFD rather than failing, so an error description built from client input always renders.
 */
void jw_string(struct jw *j, const char *s);
void jw_string_n(struct jw *j, const char *s, size_t len);

void jw_int64(struct jw *j, int64_t v);
void jw_uint64(struct jw *j, uint64_t v);
/* The shortest digits that read back as V (cql_fmt_double); NaN and infinities as strings. */
void jw_double(struct jw *j, double v);
void jw_bool(struct jw *j, bool v);
void jw_null(struct jw *j);

/* One value already rendered as JSON (P, LEN bytes), written as is; the caller vouches for it. */
void jw_raw(struct jw *j, const void *p, size_t len);

/*
 * Places the separator for one value and returns the writer it goes into, or NULL after an
 * error. The caller appends exactly one complete JSON value, for example with
 * cql_value_to_json, and on failure sets the error with jw_fail.
 */
struct cql_wr *jw_value(struct jw *j);

/* Marks the writer failed with ERR (negative) unless it already failed. */
void jw_fail(struct jw *j, int err);

/*
 * Returns 0 when the output is one complete JSON value and every write succeeded; otherwise the
 * sticky error (E_INVALID for a shape error or an unfinished value, CQL_ENOSPC when the buffer
 * could not grow). The text written so far stays in the buffer either way.
 */
int jw_finish(struct jw *j) MUSTCHECK;

#endif /* CORE_JSON_W_H */
