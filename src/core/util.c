/*
 * util.c: allocation wrappers, assertion failure, the error-code tables of util.h and the text
 * appenders of writers.
 */
#include "core/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <uv.h>

#include "cql.h"
#include "cql_wire.h"

void
util_assert_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "assertion failed: %s at %s:%d\n", expr, file, line);
    abort();
}

static void *
check_alloc(void *p)
{
    if (p == NULL) {
        fputs("out of memory\n", stderr);
        abort();
    }
    return p;
}

void *
xmalloc(size_t size)
{
    return check_alloc(malloc(size == 0 ? 1 : size));
}

void *
xcalloc(size_t n, size_t size)
{
    return check_alloc(calloc(n == 0 ? 1 : n, size == 0 ? 1 : size));
}

void *
xrealloc(void *p, size_t size)
{
    return check_alloc(realloc(p, size == 0 ? 1 : size));
}

char *
xstrdup(const char *s)
{
    return check_alloc(strdup(s));
}

const char *
err_name(int err)
{
    switch (err) {
#define XX(name, val, desc) case val: return #name;
    ERR_MAP(XX)
#undef XX
    }
    if (cql_err_name(err) != NULL) {
        return cql_err_name(err);
    }
    return err < 0 && err > -4096 ? uv_err_name(err) : "UNKNOWN";
}

const char *
err_str(int err)
{
    switch (err) {
#define XX(name, val, desc) case val: return desc;
    ERR_MAP(XX)
#undef XX
    }
    if (cql_err_name(err) != NULL) {
        return cql_strerror(err);
    }
    return err < 0 && err > -4096 ? uv_strerror(err) : "unknown error";
}

uint64_t
util_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void
util_wr_str(struct cql_wr *w, const char *s)
{
    cql_wr_raw(w, s, strlen(s));
}

void
util_wr_fmt(struct cql_wr *w, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n > 0) {
        cql_wr_raw(w, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
    }
}
