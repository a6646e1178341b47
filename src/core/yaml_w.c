/*
 * yaml_w.c: the block-style YAML writer (see yaml_w.h for the output's rules).
 *
 * Layout: a mapping's entries start at its indentation; a scalar or an empty collection follows
 * "key: " on the same line, a non-empty collection starts on the next line two columns deeper. A
 * sequence entry is "- " and its value; when that value is itself a non-empty collection, its
 * first line shares the "- " line ("- name: x" then "  in: query" under it). A key too long for a
 * YAML implicit key (1024 characters at most, quotes included) is written as an explicit "? "
 * key with its ": " value on the next line.
 */
#include "core/yaml_w.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "cql_value.h"

/* Longest key written as an implicit "key: value" (YAML caps implicit keys at 1024 chars). */
#define IMPLICIT_KEY_MAX 1000

/* Whole doubles up to this magnitude are exact, so they are written as integers. */
#define EXACT_INT_MAX 9007199254740992.0

/* Words YAML 1.1 reads as booleans or null when plain; compared without regard to case. */
static const char *const reserved[] = {
    "true", "false", "yes", "no", "on", "off", "y", "n", "null",
};

/* ---- scalars --------------------------------------------------------------------------------- */

static bool
plain_first(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '/' || c == '_' || c == '$';
}

/* True when S (LEN bytes) reads back as the same string written without quotes. */
static bool
plain_ok(const char *s, size_t len)
{
    if (len == 0 || !plain_first(s[0]) || s[len - 1] == ' ' || s[len - 1] == ':') {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c < 0x20 || c > 0x7e) {
            return false;
        }
        if ((c == ':' && s[i + 1] == ' ') || (c == ' ' && s[i + 1] == '#')) {
            return false;               /* s[len - 1] is never ':' or ' ', so i + 1 < len */
        }
    }
    for (size_t i = 0; i < ARRAY_SIZE(reserved); i++) {
        if (strlen(reserved[i]) == len && strncasecmp(s, reserved[i], len) == 0) {
            return false;
        }
    }
    return true;
}

static void
escape_u(struct cql_wr *w, uint32_t cp)
{
    static const char hex[] = "0123456789ABCDEF";
    char buf[6] = { '\\', 'u' };

    for (int i = 0; i < 4; i++) {
        buf[2 + i] = hex[(cp >> (12 - 4 * i)) & 0xf];
    }
    cql_wr_raw(w, buf, sizeof(buf));
}

/* The code point of the well-formed UTF-8 sequence P of N bytes (cql_utf8_seq checked it). */
static uint32_t
utf8_decode(const uint8_t *p, size_t n)
{
    static const uint8_t lead_mask[] = { 0, 0x7f, 0x1f, 0x0f, 0x07 };
    uint32_t cp = p[0] & lead_mask[n];

    for (size_t i = 1; i < n; i++) {
        cp = cp << 6 | (p[i] & 0x3f);
    }
    return cp;
}

/*
 * Writes S as a YAML double-quoted scalar. Besides '"' and '\\', escapes what YAML would not keep
 * as is inside quotes: C0 controls and DEL, the C1 range (U+0085 is a line break to YAML 1.1, as
 * are U+2028 and U+2029), the byte order mark and the non-characters U+FFFE and U+FFFF. Bytes that
 * are not UTF-8 become U+FFFD, as jw_string does.
 */
static void
write_quoted(struct cql_wr *w, const char *s, size_t len)
{
    const uint8_t *p = (const uint8_t *)s;

    cql_wr_byte(w, '"');
    for (size_t i = 0; i < len;) {
        size_t n = cql_utf8_seq(p + i, len - i);
        uint32_t cp;

        if (n == 0) {
            cql_wr_raw(w, "\xef\xbf\xbd", 3);
            i++;
            continue;
        }
        cp = utf8_decode(p + i, n);
        if (cp == '"' || cp == '\\') {
            cql_wr_byte(w, '\\');
            cql_wr_byte(w, (uint8_t)cp);
        } else if (cp == '\n') {
            cql_wr_raw(w, "\\n", 2);
        } else if (cp == '\t') {
            cql_wr_raw(w, "\\t", 2);
        } else if (cp == '\r') {
            cql_wr_raw(w, "\\r", 2);
        } else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029
                   || cp == 0xfeff || cp == 0xfffe || cp == 0xffff) {
            escape_u(w, cp);
        } else {
            cql_wr_raw(w, p + i, n);
        }
        i += n;
    }
    cql_wr_byte(w, '"');
}

static void
write_string(struct cql_wr *w, const char *s, size_t len)
{
    if (plain_ok(s, len)) {
        cql_wr_raw(w, s, len);
    } else {
        write_quoted(w, s, len);
    }
}

/*
 * Writes V as a YAML number. Java's Double.toString form (cql_fmt_double: "1.5", "1.0E10",
 * "-2.5E-7") always has a '.', and YAML 1.1 also wants the exponent signed, so "E10" becomes
 * "E+10". A huge literal such as 1e999 parses to infinity, which YAML spells .inf.
 */
static void
write_number(struct cql_wr *w, double v)
{
    uint8_t buf[64];
    struct cql_wr t;

    if (isnan(v)) {
        cql_wr_raw(w, ".nan", 4);
        return;
    }
    if (isinf(v)) {
        cql_wr_raw(w, v < 0 ? "-.inf" : ".inf", v < 0 ? 5 : 4);
        return;
    }
    if (v == floor(v) && fabs(v) <= EXACT_INT_MAX) {
        (void)cql_fmt_int64(w, (int64_t)v);
        return;
    }
    cql_wr_init(&t, buf, sizeof(buf), NULL, NULL);
    (void)cql_fmt_double(&t, v);
    for (size_t i = 0; i < t.len && t.err == 0; i++) {
        cql_wr_byte(w, buf[i]);
        if (buf[i] == 'E' && i + 1 < t.len && buf[i + 1] != '-') {
            cql_wr_byte(w, '+');
        }
    }
}

/* ---- collections ----------------------------------------------------------------------------- */

static void
indent_to(struct cql_wr *w, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        cql_wr_byte(w, ' ');
    }
}

static bool
is_collection(const cJSON *v)
{
    return cJSON_IsObject(v) || cJSON_IsArray(v);
}

static int write_block(struct cql_wr *w, const cJSON *v, unsigned indent, bool inline_first,
                       unsigned depth);

/*
 * Writes the value V of a key or a "- " entry, the cursor standing right after the ':' or the
 * '-' at column INDENT - 2: a scalar or empty collection on the same line, a mapping or sequence
 * below (or, for an entry, starting on the same line).
 */
static int
write_value(struct cql_wr *w, const cJSON *v, unsigned indent, bool entry, unsigned depth)
{
    if (is_collection(v) && v->child != NULL) {
        if (entry) {
            cql_wr_byte(w, ' ');
            return write_block(w, v, indent, true, depth + 1);
        }
        cql_wr_byte(w, '\n');
        return write_block(w, v, indent, false, depth + 1);
    }
    cql_wr_byte(w, ' ');
    if (cJSON_IsObject(v)) {
        cql_wr_raw(w, "{}", 2);
    } else if (cJSON_IsArray(v)) {
        cql_wr_raw(w, "[]", 2);
    } else if (cJSON_IsString(v)) {
        write_string(w, v->valuestring, strlen(v->valuestring));
    } else if (cJSON_IsNumber(v)) {
        write_number(w, v->valuedouble);
    } else if (cJSON_IsTrue(v)) {
        cql_wr_raw(w, "true", 4);
    } else if (cJSON_IsFalse(v)) {
        cql_wr_raw(w, "false", 5);
    } else if (cJSON_IsNull(v)) {
        cql_wr_raw(w, "null", 4);
    } else {
        return E_INVALID;
    }
    cql_wr_byte(w, '\n');
    return 0;
}

static int
write_key(struct cql_wr *w, const char *key, unsigned indent)
{
    size_t len = key != NULL ? strlen(key) : 0;
    size_t at = w->len;

    if (key == NULL) {
        return E_INVALID;
    }
    write_string(w, key, len);
    if (w->len - at > IMPLICIT_KEY_MAX) {
        /* Too long for "key:": move what was written behind "? " and put ':' on its own line. */
        cql_wr_raw(w, "  ", 2);
        if (w->err == 0) {
            memmove(w->p + at + 2, w->p + at, w->len - at - 2);
            memcpy(w->p + at, "? ", 2);
        }
        cql_wr_byte(w, '\n');
        indent_to(w, indent);
    }
    cql_wr_byte(w, ':');
    return 0;
}

/*
 * Writes the non-empty object or array V in block style at column INDENT. With INLINE_FIRST the
 * cursor already stands at that column (after "- "), so the first line is not indented.
 */
static int
write_block(struct cql_wr *w, const cJSON *v, unsigned indent, bool inline_first, unsigned depth)
{
    bool object = cJSON_IsObject(v);

    if (depth > YAML_W_MAX_DEPTH) {
        return E_INVALID;
    }
    for (const cJSON *c = v->child; c != NULL && w->err == 0; c = c->next) {
        int rc;

        if (c != v->child || !inline_first) {
            indent_to(w, indent);
        }
        if (object) {
            rc = write_key(w, c->string, indent);
        } else {
            cql_wr_byte(w, '-');
            rc = 0;
        }
        if (rc == 0) {
            rc = write_value(w, c, indent + 2, !object, depth);
        }
        if (rc != 0) {
            return rc;
        }
    }
    return w->err;
}

int
yaml_w_tree(struct cql_wr *w, const cJSON *root)
{
    int rc;

    if (root == NULL) {
        return E_INVALID;
    }
    cql_wr_raw(w, "---", 3);
    if (is_collection(root) && root->child != NULL) {
        cql_wr_byte(w, '\n');
        rc = write_block(w, root, 0, false, 1);
    } else {
        rc = write_value(w, root, 0, false, 0);
    }
    return rc != 0 ? rc : w->err;
}
