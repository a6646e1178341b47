/*
 * test.h: the unit-test macros. A test is `TEST(name) { ... }` at the start of a line in any
 * test file of tests/unit; the Makefile gathers those lines into test_list.h and runner.c runs them all.
 * A failed check prints where it failed and ends the test; the runner counts it as failed.
 */
#ifndef TEST_H
#define TEST_H

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cql.h"
#include "cql_wire.h"

#define TEST(name)                                                                                 \
    void test_##name(void);                                                                        \
    void test_##name(void)

/* Set by a failed check; reset by the runner before each test. */
extern int test_failed;

void test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Hex helpers for vectors: returns the byte count, or -1 on a malformed string. Spaces, newlines,
 * '|' and '#'-to-end-of-line comments are skipped. */
long test_unhex(const char *hex, uint8_t *out, size_t cap);
/* Reads tests/vectors/NAME (hex) into a malloc'd buffer; NULL (and a failure) when missing. */
uint8_t *test_vector(const char *name, size_t *len);

/* A cql_wr_grow_cb over realloc: grows by 1.5x, at least 16 bytes; aborts when out of memory. */
uint8_t *test_grow(void *ctx, uint8_t *old, size_t len, size_t need, size_t *cap);
/* A malloc'd copy of exactly LEN bytes, so the sanitizer sees reads past the end; aborts on OOM. */
uint8_t *test_dup(const void *p, size_t len);

/* Size of the static buffer behind test_alloc. */
#define TEST_ALLOC_SIZE ((size_t)1 << 20)

/* A bump allocator (16-byte aligned) over one static buffer, emptied before each test. */
extern const struct cql_alloc test_alloc;
/* Empties test_alloc and refuses allocations past LIMIT bytes (capped; SIZE_MAX for no limit). */
void test_alloc_reset(size_t limit);
/* Bytes test_alloc has handed out since the last reset, padding included. */
size_t test_alloc_used(void);

#define OK(cond)                                                                                   \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            test_fail(__FILE__, __LINE__, "%s", #cond);                                            \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define EQ(a, b)                                                                                   \
    do {                                                                                           \
        int64_t a_ = (int64_t)(a), b_ = (int64_t)(b);                                              \
        if (a_ != b_) {                                                                            \
            test_fail(__FILE__, __LINE__, "%s == %s: %" PRId64 " != %" PRId64, #a, #b, a_, b_);    \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define UEQ(a, b)                                                                                  \
    do {                                                                                           \
        uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);                                           \
        if (a_ != b_) {                                                                            \
            test_fail(__FILE__, __LINE__, "%s == %s: %" PRIu64 " != %" PRIu64, #a, #b, a_, b_);    \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define STREQ(a, b)                                                                                \
    do {                                                                                           \
        const char *a_ = (a), *b_ = (b);                                                           \
        if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0) {                                     \
            test_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", #a, #b,                    \
                      a_ ? a_ : "(null)", b_ ? b_ : "(null)");                                     \
            return;                                                                                \
        }                                                                                          \
    } while (0)

/* Compares a slice (pointer, length) with a NUL-terminated string. */
#define SLICEEQ(p, len, s)                                                                         \
    do {                                                                                           \
        const char *s_ = (s);                                                                      \
        size_t l_ = (size_t)(len);                                                                 \
        if (l_ != strlen(s_) || memcmp((p), s_, l_) != 0) {                                        \
            test_fail(__FILE__, __LINE__, "%s == \"%s\": got \"%.*s\"", #p, s_, (int)l_,           \
                      (const char *)(p));                                                          \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define MEMEQ(a, alen, b, blen)                                                                    \
    do {                                                                                           \
        size_t al_ = (size_t)(alen), bl_ = (size_t)(blen);                                         \
        if (al_ != bl_ || (al_ > 0 && memcmp((a), (b), al_) != 0)) {                               \
            test_fail(__FILE__, __LINE__, "%s (%zu bytes) != %s (%zu bytes)", #a, al_, #b, bl_);   \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#endif /* TEST_H */
