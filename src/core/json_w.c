/*
 * json_w.c: the streaming JSON writer of json_w.h. Separators come from two bit stacks (object
 * or array, empty or not), one bit per level, so the writer never allocates.
 */
#include "core/json_w.h"

#include <math.h>
#include <string.h>

#include "cql_value.h"

void
jw_init(struct jw *j, struct cql_wr *out)
{
    memset(j, 0, sizeof(*j));
    j->out = out;
}

void
jw_fail(struct jw *j, int err)
{
    if (j->err == 0) {
        j->err = err;
    }
}

static uint64_t
level_bit(const struct jw *j)
{
    return (uint64_t)1 << (j->depth - 1);
}

/*
 * Writes what must precede a value at the current position (a comma inside an array) and checks
 * that a value may go there. Returns false, with the error set, when it may not.
 */
static bool
before_value(struct jw *j)
{
    if (j->err != 0) {
        return false;
    }
    if (j->out->err != 0) {
        jw_fail(j, j->out->err);
        return false;
    }
    if (j->depth == 0) {
        if (j->top_done) {
            jw_fail(j, E_INVALID);
            return false;
        }
        return true;
    }
    if (j->is_object & level_bit(j)) {
        if (!j->after_key) {
            jw_fail(j, E_INVALID);
            return false;
        }
        j->after_key = false;
        return true;
    }
    if (j->nonempty & level_bit(j)) {
        cql_wr_byte(j->out, ',');
    }
    j->nonempty |= level_bit(j);
    return true;
}

/* Bookkeeping after a scalar value: a top-level scalar completes the text. */
static void
after_value(struct jw *j)
{
    if (j->depth == 0) {
        j->top_done = true;
    }
    if (j->out->err != 0) {
        jw_fail(j, j->out->err);
    }
}

static void
begin(struct jw *j, bool object)
{
    if (!before_value(j)) {
        return;
    }
    if (j->depth == JW_MAX_DEPTH) {
        jw_fail(j, E_INVALID);
        return;
    }
    j->depth++;
    if (object) {
        j->is_object |= level_bit(j);
    } else {
        j->is_object &= ~level_bit(j);
    }
    j->nonempty &= ~level_bit(j);
    cql_wr_byte(j->out, object ? '{' : '[');
}

static void
end(struct jw *j, bool object)
{
    if (j->err != 0) {
        return;
    }
    if (j->depth == 0 || j->after_key || ((j->is_object & level_bit(j)) != 0) != object) {
        jw_fail(j, E_INVALID);
        return;
    }
    j->depth--;
    cql_wr_byte(j->out, object ? '}' : ']');
    after_value(j);
}

void
jw_object_begin(struct jw *j)
{
    begin(j, true);
}

void
jw_object_end(struct jw *j)
{
    end(j, true);
}

void
jw_array_begin(struct jw *j)
{
    begin(j, false);
}

void
jw_array_end(struct jw *j)
{
    end(j, false);
}

/* ---- strings --------------------------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at P (at most LEN bytes), or 0 when it is not valid. */
static size_t
utf8_len(const uint8_t *p, size_t len)
{
    uint32_t cp;
    size_t n;

    if (p[0] < 0x80) {
        return 1;
    } else if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        n = 2;
        cp = p[0] & 0x1f;
    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        n = 3;
        cp = p[0] & 0x0f;
    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        n = 4;
        cp = p[0] & 0x07;
    } else {
        return 0;
    }
    if (len < n) {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            return 0;
        }
        cp = cp << 6 | (p[i] & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff))
        || (cp >= 0xd800 && cp <= 0xdfff)) {
        return 0;
    }
    return n;
}

/*
 * The fallback for text that is not valid UTF-8: each valid sequence is escaped by
 * cql_json_string piece by piece and each invalid byte becomes U+FFFD.
 */
static void
string_lossy(struct cql_wr *out, const char *s, size_t len)
{
    const uint8_t *p = (const uint8_t *)s;
    size_t i = 0;

    cql_wr_byte(out, '"');
    while (i < len) {
        size_t start = i;

        while (i < len) {
            size_t n = utf8_len(p + i, len - i);

            if (n == 0) {
                break;
            }
            i += n;
        }
        if (i > start) {
            size_t mark = out->len;

            /* Valid by construction; drop the quotes cql_json_string puts around it. */
            if (cql_json_string(out, s + start, i - start) == 0) {
                memmove(out->p + mark, out->p + mark + 1, out->len - mark - 2);
                out->len -= 2;
            }
        }
        if (i < len) {
            cql_wr_raw(out, "\xef\xbf\xbd", 3);
            i++;
        }
    }
    cql_wr_byte(out, '"');
}

static void
write_string(struct cql_wr *out, const char *s, size_t len)
{
    size_t mark = out->len;

    if (cql_json_string(out, s, len) == CQL_EPROTO) {
        out->len = mark;
        string_lossy(out, s, len);
    }
}

void
jw_key_n(struct jw *j, const char *key, size_t len)
{
    if (j->err != 0) {
        return;
    }
    if (j->depth == 0 || (j->is_object & level_bit(j)) == 0 || j->after_key) {
        jw_fail(j, E_INVALID);
        return;
    }
    if (j->nonempty & level_bit(j)) {
        cql_wr_byte(j->out, ',');
    }
    j->nonempty |= level_bit(j);
    write_string(j->out, key, len);
    cql_wr_byte(j->out, ':');
    j->after_key = true;
    after_value(j);
}

void
jw_key(struct jw *j, const char *key)
{
    jw_key_n(j, key, strlen(key));
}

void
jw_string_n(struct jw *j, const char *s, size_t len)
{
    if (!before_value(j)) {
        return;
    }
    write_string(j->out, s, len);
    after_value(j);
}

void
jw_string(struct jw *j, const char *s)
{
    jw_string_n(j, s, strlen(s));
}

/* ---- scalars --------------------------------------------------------------------------------- */

void
jw_int64(struct jw *j, int64_t v)
{
    if (!before_value(j)) {
        return;
    }
    cql_fmt_int64(j->out, v);
    after_value(j);
}

void
jw_uint64(struct jw *j, uint64_t v)
{
    char digits[20];
    size_t n = 0;

    if (!before_value(j)) {
        return;
    }
    do {
        digits[sizeof(digits) - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    cql_wr_raw(j->out, digits + sizeof(digits) - n, n);
    after_value(j);
}

void
jw_double(struct jw *j, double v)
{
    bool quote = !isfinite(v);

    if (!before_value(j)) {
        return;
    }
    /* JSON has no NaN or Infinity; Jackson writes them as strings, and so do we. */
    if (quote) {
        cql_wr_byte(j->out, '"');
    }
    cql_fmt_double(j->out, v);
    if (quote) {
        cql_wr_byte(j->out, '"');
    }
    after_value(j);
}

void
jw_bool(struct jw *j, bool v)
{
    if (!before_value(j)) {
        return;
    }
    if (v) {
        cql_wr_raw(j->out, "true", 4);
    } else {
        cql_wr_raw(j->out, "false", 5);
    }
    after_value(j);
}

void
jw_null(struct jw *j)
{
    if (!before_value(j)) {
        return;
    }
    cql_wr_raw(j->out, "null", 4);
    after_value(j);
}

void
jw_raw(struct jw *j, const void *p, size_t len)
{
    if (!before_value(j)) {
        return;
    }
    cql_wr_raw(j->out, p, len);
    after_value(j);
}

struct cql_wr *
jw_value(struct jw *j)
{
    if (!before_value(j)) {
        return NULL;
    }
    /* The caller's value completes a top-level text just like ours would. */
    if (j->depth == 0) {
        j->top_done = true;
    }
    return j->out;
}

int
jw_finish(struct jw *j)
{
    if (j->err == 0 && j->out->err != 0) {
        jw_fail(j, j->out->err);
    }
    if (j->err == 0 && (j->depth != 0 || j->after_key || !j->top_done)) {
        jw_fail(j, E_INVALID);
    }
    return j->err;
}
