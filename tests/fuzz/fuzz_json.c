/* fuzz_json.c: a strict JSON validator (RFC 8259), recursive with a depth bound. */
#include "fuzz_json.h"

#define JSON_MAX_DEPTH  512

struct js {
    const uint8_t *p;       /* next byte */
    const uint8_t *end;     /* one past the last byte */
};

static bool js_value(struct js *j, int depth);

static void
js_ws(struct js *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')) {
        j->p++;
    }
}

static bool
js_eat(struct js *j, uint8_t c)
{
    js_ws(j);
    if (j->p < j->end && *j->p == c) {
        j->p++;
        return true;
    }
    return false;
}

static bool
js_lit(struct js *j, const char *w)
{
    for (; *w != '\0'; w++, j->p++) {
        if (j->p == j->end || *j->p != (uint8_t)*w) {
            return false;
        }
    }
    return true;
}

static bool
is_hex(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* One UTF-8 sequence starting at j->p (shortest form, no surrogates, at most U+10FFFF). */
static bool
js_utf8(struct js *j)
{
    uint8_t c = *j->p;
    size_t n, left = (size_t)(j->end - j->p);
    uint32_t cp;

    if (c < 0x80) {
        j->p++;
        return true;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return false;
    }
    if (left < n) {
        return false;
    }
    for (size_t i = 1; i < n; i++) {
        if ((j->p[i] & 0xc0) != 0x80) {
            return false;
        }
        cp = cp << 6 | (j->p[i] & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff
        || (cp >= 0xd800 && cp <= 0xdfff)) {
        return false;
    }
    j->p += n;
    return true;
}

static bool
js_string(struct js *j)
{
    if (!js_eat(j, '"')) {
        return false;
    }
    while (j->p < j->end) {
        uint8_t c = *j->p;

        if (c == '"') {
            j->p++;
            return true;
        }
        if (c < 0x20) {
            return false;
        }
        if (c != '\\') {
            if (!js_utf8(j)) {
                return false;
            }
            continue;
        }
        if (++j->p == j->end) {
            return false;
        }
        c = *j->p++;
        if (c == 'u') {
            for (int i = 0; i < 4; i++, j->p++) {
                if (j->p == j->end || !is_hex(*j->p)) {
                    return false;
                }
            }
        } else if (c != '"' && c != '\\' && c != '/' && c != 'b' && c != 'f' && c != 'n'
                   && c != 'r' && c != 't') {
            return false;
        }
    }
    return false;
}

static bool
js_digits(struct js *j)
{
    const uint8_t *start = j->p;

    while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
        j->p++;
    }
    return j->p > start;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool
js_number(struct js *j)
{
    if (j->p < j->end && *j->p == '-') {
        j->p++;
    }
    if (j->p < j->end && *j->p == '0') {
        j->p++;
    } else if (!js_digits(j)) {
        return false;
    }
    if (j->p < j->end && *j->p == '.') {
        j->p++;
        if (!js_digits(j)) {
            return false;
        }
    }
    if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
        j->p++;
        if (j->p < j->end && (*j->p == '+' || *j->p == '-')) {
            j->p++;
        }
        if (!js_digits(j)) {
            return false;
        }
    }
    return true;
}

static bool
js_value(struct js *j, int depth)
{
    if (depth > JSON_MAX_DEPTH) {
        return false;
    }
    js_ws(j);
    if (j->p == j->end) {
        return false;
    }
    switch (*j->p) {
    case '{':
        j->p++;
        if (js_eat(j, '}')) {
            return true;
        }
        do {
            js_ws(j);
            if (!js_string(j) || !js_eat(j, ':') || !js_value(j, depth + 1)) {
                return false;
            }
        } while (js_eat(j, ','));
        return js_eat(j, '}');
    case '[':
        j->p++;
        if (js_eat(j, ']')) {
            return true;
        }
        do {
            if (!js_value(j, depth + 1)) {
                return false;
            }
        } while (js_eat(j, ','));
        return js_eat(j, ']');
    case '"':
        return js_string(j);
    case 't':
        return js_lit(j, "true");
    case 'f':
        return js_lit(j, "false");
    case 'n':
        return js_lit(j, "null");
    default:
        return js_number(j);
    }
}

bool
fz_json_valid(const uint8_t *p, size_t len)
{
    struct js j;

    if (len == 0) {
        return false;
    }
    j.p = p;
    j.end = p + len;
    if (!js_value(&j, 0)) {
        return false;
    }
    js_ws(&j);
    return j.p == j.end;
}
