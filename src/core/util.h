/*
 * util.h: small things every layer above proto/ uses: container_of, assertions, allocation that
 * aborts on failure, and the process's error codes.
 */
#ifndef CORE_UTIL_H
#define CORE_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define MUSTCHECK __attribute__((warn_unused_result))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

void util_assert_fail(const char *expr, const char *file, int line) __attribute__((noreturn));

/* Invariants only, never input validation (twemproxy). They stay on in every build. */
#define ASSERT(cond)                                                                               \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            util_assert_fail(#cond, __FILE__, __LINE__);                                           \
        }                                                                                          \
    } while (0)
#define NOT_REACHED() util_assert_fail("not reached", __FILE__, __LINE__)

/* Allocation that aborts when memory is gone; every input size has a bound, so this is safe. */
void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);

/*
 * cqlgate's own error codes: a range of their own below libuv's (negative errno) and proto's
 * (-5101...), so all three can travel in one int. err_name() and err_str() also know libuv's and
 * proto's codes.
 */
#define ERR_MAP(XX)                                                                                \
    XX(E_SERVER,   -5001, "the server answered with an error")                                     \
    XX(E_TIMEOUT,  -5002, "request timed out")                                                     \
    XX(E_CLOSED,   -5003, "connection closed")                                                     \
    XX(E_BUSY,     -5004, "no stream id free on the connection")                                   \
    XX(E_AUTH,     -5005, "authentication failed")                                                 \
    XX(E_VERSION,  -5006, "no protocol version in common with the server")                         \
    XX(E_PROTOCOL, -5007, "the server broke the protocol")                                         \
    XX(E_CANCELED, -5008, "request canceled")                                                      \
    XX(E_NOTREADY, -5009, "connection is not ready")                                               \
    XX(E_INVALID,  -5010, "invalid argument")

enum err_code {
#define XX(name, val, desc) name = (val),
    ERR_MAP(XX)
#undef XX
};

const char *err_name(int err);
const char *err_str(int err);

/* Monotonic milliseconds. */
uint64_t util_now_ms(void);

struct cql_wr;

/* Appends the C string S to W. */
void util_wr_str(struct cql_wr *w, const char *s);

/* Appends to W what FMT formats, cut at 255 bytes. */
void util_wr_fmt(struct cql_wr *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* CORE_UTIL_H */
