/*
 * cql_value.c: CQL values from their stringified text to wire bytes, and from wire bytes to JSON.
 *
 * Layout of this file:
 *   helpers            error reporting, integer formatting, UTF-8, JSON strings, Base64
 *   big numbers        base-10^9 limbs for exact float digits; byte arrays for varint
 *   floating point     shortest round-trip digits in Java's Float/Double.toString form
 *   calendar           proleptic Gregorian days <-> civil dates (Howard Hinnant's algorithms)
 *   text -> bytes      one parser per native type, then the structured-literal grammar
 *   bytes -> JSON      one renderer per native type, then collections, tuples, UDTs, vectors
 *
 * No allocation happens here: when a conversion needs scratch space (varint digits, the
 * NUL-terminated copy strtod wants) it borrows the tail of the output writer and gives it back.
 * Encodings follow native_protocol_v5.spec, section 6.
 */
#include "cql_value.h"

#include <math.h>
#include <stdlib.h>

/* ---- helpers --------------------------------------------------------------------------------- */

static int
fail(const char **err_desc, int code, const char *desc)
{
    if (err_desc != NULL) {
        *err_desc = desc;
    }
    return code;
}

/* The writer's sticky error, as a result code with a description. */
static int
wr_status(const struct cql_wr *w, const char **err_desc)
{
    if (w->err != 0) {
        return fail(err_desc, w->err, "output buffer could not grow");
    }
    return 0;
}

static void
wr_str(struct cql_wr *w, const char *s)
{
    cql_wr_raw(w, s, strlen(s));
}

static bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool
is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static char
lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Case-insensitive comparison of a slice with a lower-case NUL-terminated word. */
static bool
word_eq(const char *s, size_t len, const char *word)
{
    size_t i;

    for (i = 0; i < len && word[i] != '\0'; i++) {
        if (lower(s[i]) != word[i]) {
            return false;
        }
    }
    return i == len && word[i] == '\0';
}

/* Writes the decimal digits of V into BUF (at least 20 bytes); returns how many. */
static size_t
u64_digits(char *buf, uint64_t v)
{
    char tmp[20];
    size_t n = 0;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    for (size_t i = 0; i < n; i++) {
        buf[i] = tmp[n - 1 - i];
    }
    return n;
}

size_t
cql_fmt_int64(struct cql_wr *out, int64_t v)
{
    char buf[21];
    size_t n = 0;
    uint64_t u = (uint64_t)v;

    if (v < 0) {
        buf[n++] = '-';
        u = 0 - u;
    }
    n += u64_digits(buf + n, u);
    cql_wr_raw(out, buf, n);
    return n;
}

/* Writes V zero-padded to WIDTH digits. */
static void
wr_padded(struct cql_wr *w, uint64_t v, size_t width)
{
    static const uint64_t limit[] = { 1, 10, 100, 1000, 10000 };
    char buf[20];
    size_t n;

    if (width >= 1 && width <= 4 && v < limit[width]) {
        /* The parts of dates and times: exactly WIDTH digits, written back to front. */
        for (size_t i = width; i > 0; i--) {
            buf[i - 1] = (char)('0' + v % 10);
            v /= 10;
        }
        cql_wr_raw(w, buf, width);
        return;
    }
    n = u64_digits(buf, v);

    while (n < width) {
        cql_wr_byte(w, '0');
        width--;
    }
    cql_wr_raw(w, buf, n);
}

/*
 * The length of the well-formed UTF-8 sequence at P (1 to 4), or 0 when it is malformed:
 * overlong forms, surrogates and code points past U+10FFFF are refused (RFC 3629).
 */
size_t
cql_utf8_seq(const uint8_t *p, size_t left)
{
    uint8_t c = p[0];
    uint8_t lo = 0x80;
    uint8_t hi = 0xbf;
    size_t n;

    if (c < 0x80) {
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        lo = c == 0xe0 ? 0xa0 : 0x80;
        hi = c == 0xed ? 0x9f : 0xbf;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        lo = c == 0xf0 ? 0x90 : 0x80;
        hi = c == 0xf4 ? 0x8f : 0xbf;
    } else {
        return 0;
    }
    if (left < n || p[1] < lo || p[1] > hi) {
        return 0;
    }
    for (size_t i = 2; i < n; i++) {
        if (p[i] < 0x80 || p[i] > 0xbf) {
            return 0;
        }
    }
    return n;
}

bool
cql_utf8_valid(const uint8_t *p, size_t len)
{
    size_t i = 0;

    while (i < len) {
        size_t n = cql_utf8_seq(p + i, len - i);

        if (n == 0) {
            return false;
        }
        i += n;
    }
    return true;
}

/* Bytes per word of the plain-text scan below. */
#define SWAR_ONES   0x0101010101010101ull
#define SWAR_HIGHS  0x8080808080808080ull

/*
 * True when the 8 bytes at P are all printable ASCII other than '"' and '\\': nothing to escape
 * and nothing to validate. Each test flags a byte by its high bit: at or above 0x80, below 0x20,
 * or equal to a quote or a backslash (a zero byte after the XOR).
 */
static inline bool
swar_plain(const uint8_t *p)
{
    uint64_t x, quote, bslash;

    memcpy(&x, p, 8);
    quote = x ^ (SWAR_ONES * '"');
    bslash = x ^ (SWAR_ONES * '\\');
    return ((x | ((x - SWAR_ONES * 0x20) & ~x) | ((quote - SWAR_ONES) & ~quote)
             | ((bslash - SWAR_ONES) & ~bslash))
            & SWAR_HIGHS)
           == 0;
}

/*
 * JSON string escapes as Jackson writes them: the five short forms, \u00XX for the other control
 * characters, quote and backslash; everything else (valid UTF-8) passes through. Plain ASCII is
 * skipped a word at a time.
 */
int
cql_json_string(struct cql_wr *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const uint8_t *p = (const uint8_t *)s;
    size_t run = 0;
    size_t i = 0;

    cql_wr_byte(out, '"');
    while (i < len) {
        uint8_t c;
        size_t n;

        if (len - i >= 8 && swar_plain(p + i)) {
            i += 8;
            continue;
        }
        c = p[i];

        if (c >= 0x20 && c != '"' && c != '\\') {
            n = c < 0x80 ? 1 : cql_utf8_seq(p + i, len - i);
            if (n == 0) {
                return CQL_EPROTO;
            }
            i += n;
            continue;
        }
        cql_wr_raw(out, p + run, i - run);
        switch (c) {
        case '"':
            wr_str(out, "\\\"");
            break;
        case '\\':
            wr_str(out, "\\\\");
            break;
        case '\n':
            wr_str(out, "\\n");
            break;
        case '\r':
            wr_str(out, "\\r");
            break;
        case '\t':
            wr_str(out, "\\t");
            break;
        case '\b':
            wr_str(out, "\\b");
            break;
        case '\f':
            wr_str(out, "\\f");
            break;
        default: {
            char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

            cql_wr_raw(out, esc, sizeof(esc));
            break;
        }
        }
        i++;
        run = i;
    }
    cql_wr_raw(out, p + run, len - run);
    cql_wr_byte(out, '"');
    return out->err;
}

/* ---- Base64 (RFC 4648, standard alphabet) ---------------------------------------------------- */

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void
cql_base64_encode(struct cql_wr *w, const uint8_t *p, size_t len)
{
    size_t n = (len + 2) / 3 * 4;
    char *d = (char *)cql_wr_reserve(w, n);
    size_t i;

    if (d == NULL) {
        return;
    }
    for (i = 0; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

        *d++ = b64_alphabet[v >> 18];
        *d++ = b64_alphabet[(v >> 12) & 63];
        *d++ = b64_alphabet[(v >> 6) & 63];
        *d++ = b64_alphabet[v & 63];
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;

        *d++ = b64_alphabet[v >> 18];
        *d++ = b64_alphabet[(v >> 12) & 63];
        *d++ = '=';
        *d++ = '=';
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;

        *d++ = b64_alphabet[v >> 18];
        *d++ = b64_alphabet[(v >> 12) & 63];
        *d++ = b64_alphabet[(v >> 6) & 63];
        *d++ = '=';
    }
}

static int
b64_value(char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '+') {
        return 62;
    }
    if (c == '/') {
        return 63;
    }
    return -1;
}

/* Decodes standard Base64 with optional padding; false on any other character or length. */
static bool
b64_decode(struct cql_wr *w, const char *s, size_t len)
{
    size_t pad = 0;
    uint32_t acc = 0;
    int bits = 0;

    if (len >= 1 && s[len - 1] == '=') {
        pad = len >= 2 && s[len - 2] == '=' ? 2 : 1;
        if (len % 4 != 0) {
            return false;
        }
        len -= pad;
    }
    if (len % 4 == 1) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        int v = b64_value(s[i]);

        if (v < 0) {
            return false;
        }
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            cql_wr_byte(w, (uint8_t)(acc >> bits));
        }
    }
    return true;
}

/* ---- big numbers ----------------------------------------------------------------------------- */

/*
 * A non-negative integer in base 10^9, least significant limb first, big enough for the exact
 * decimal expansion of any double: 2^1024 has 309 digits and 2^53 * 5^1074 has 767.
 */
#define BIG_BASE    1000000000u
#define BIG_LIMBS   96

struct big {
    uint32_t d[BIG_LIMBS];          /* limbs, each < BIG_BASE */
    int      n;                     /* limbs in use; 0 is the number zero */
};

static void
big_set(struct big *b, uint64_t v)
{
    b->n = 0;
    while (v != 0) {
        b->d[b->n++] = (uint32_t)(v % BIG_BASE);
        v /= BIG_BASE;
    }
}

/* B *= M for M < 2^32; the limb count is bounded by the callers' value ranges. */
static void
big_mul(struct big *b, uint32_t m)
{
    uint64_t carry = 0;

    for (int i = 0; i < b->n; i++) {
        uint64_t v = (uint64_t)b->d[i] * m + carry;

        b->d[i] = (uint32_t)(v % BIG_BASE);
        carry = v / BIG_BASE;
    }
    while (carry != 0 && b->n < BIG_LIMBS) {
        b->d[b->n++] = (uint32_t)(carry % BIG_BASE);
        carry /= BIG_BASE;
    }
}

/* Writes the decimal digits of B (no leading zeros; "0" for zero) to BUF; returns the count. */
static size_t
big_digits(const struct big *b, char *buf)
{
    size_t n;

    if (b->n == 0) {
        buf[0] = '0';
        return 1;
    }
    n = u64_digits(buf, b->d[b->n - 1]);
    for (int i = b->n - 2; i >= 0; i--) {
        uint32_t v = b->d[i];

        for (int k = 8; k >= 0; k--) {
            buf[n + (size_t)k] = (char)('0' + v % 10);
            v /= 10;
        }
        n += 9;
    }
    return n;
}

/* ---- floating point -------------------------------------------------------------------------- */

/*
 * Float and double output follow Java (JDK 19 and later) Double.toString and Float.toString: the
 * shortest decimal that reads back as the same value, the closest such decimal when several have
 * that length, and with two digits considered when one would do. Digits come from the exact
 * decimal expansion of the binary value; strtod/strtof (correctly rounded in the C library)
 * confirm each candidate.
 */

#define DIGITS_MAX  800             /* exact expansion of any double, with room to spare */
#define NO_NEIGHBOUR INT32_MIN      /* round_digits: the digits are exact, there is no other */

struct fdigits {
    char digits[DIGITS_MAX];        /* significant digits, no leading zero */
    size_t n;                       /* digit count */
    int    exp;                     /* value = 0.d1d2... * 10^exp */
};

/*
 * The exact expansion of M * 2^E in 64 bits when it fits: M * 2^E for E >= 0, or M * 5^-E
 * times 10^E for E < 0 (halving is multiplying by 5 and dividing by 10). Returns false when the
 * product would overflow, which leaves the big-number path to do it.
 */
static bool
exact_digits_small(uint64_t m, int e, struct fdigits *f)
{
    char tmp[24];
    size_t n = 0;
    int dexp = 0;

    while ((m & 1) == 0 && e < 0) {
        m >>= 1;
        e++;
    }
    if (e >= 0) {
        if (e >= 64 || m > (UINT64_MAX >> e)) {
            return false;
        }
        m <<= e;
    } else {
        for (dexp = e; e < 0; e++) {
            if (m > UINT64_MAX / 5) {
                return false;
            }
            m *= 5;
        }
    }
    do {
        tmp[n++] = (char)('0' + m % 10);
        m /= 10;
    } while (m > 0);
    f->n = n;
    for (size_t i = 0; i < n; i++) {
        f->digits[i] = tmp[n - 1 - i];
    }
    f->exp = (int)n + dexp;
    return true;
}

/* The exact decimal expansion of M * 2^E (M > 0). */
static void
exact_digits(uint64_t m, int e, struct fdigits *f)
{
    struct big b;
    int dexp = 0;

    if (exact_digits_small(m, e, f)) {
        while (f->n > 1 && f->digits[f->n - 1] == '0') {
            f->n--;
        }
        return;
    }
    big_set(&b, m);
    if (e >= 0) {
        while (e > 0) {
            int k = e > 29 ? 29 : e;

            big_mul(&b, 1u << k);
            e -= k;
        }
    } else {
        dexp = e;
        for (e = -e; e > 0; ) {
            int k = e > 13 ? 13 : e;
            uint32_t p = 1;

            for (int i = 0; i < k; i++) {
                p *= 5;
            }
            big_mul(&b, p);
            e -= k;
        }
    }
    f->n = big_digits(&b, f->digits);
    f->exp = (int)f->n + dexp;
    while (f->n > 1 && f->digits[f->n - 1] == '0') {
        f->n--;
    }
}

/* True when the P digits in D with exponent EXP read back as V (as a float when IS_FLOAT). */
static bool
reads_back(const char *d, size_t p, int exp, double v, bool is_float)
{
    char buf[64];
    size_t n = 0;
    char *end;

    buf[n++] = '0';
    buf[n++] = '.';
    memcpy(buf + n, d, p);
    n += p;
    buf[n++] = 'e';
    if (exp < 0) {
        buf[n++] = '-';
        exp = -exp;
    }
    n += u64_digits(buf + n, (uint64_t)exp);
    buf[n] = '\0';
    if (is_float) {
        return strtof(buf, &end) == (float)v;
    }
    return strtod(buf, &end) == v;
}

/*
 * Rounds the exact digits F to P digits into OUT (P <= 17), nearest (ties to even) when NEAREST,
 * else the other neighbour. Returns the exponent, which grows by one when rounding up carries out,
 * or NO_NEIGHBOUR when asked for the other neighbour of digits that are already exact.
 */
static int
round_digits(const struct fdigits *f, size_t p, bool nearest, char *out)
{
    bool up;
    int exp = f->exp;

    memcpy(out, f->digits, p);
    if (f->n <= p) {
        memset(out + f->n, '0', p - f->n);
        return nearest ? exp : NO_NEIGHBOUR;
    }
    if (f->digits[p] != '5') {
        up = f->digits[p] > '5';
    } else {
        bool more = false;

        for (size_t i = p + 1; i < f->n; i++) {
            more = more || f->digits[i] != '0';
        }
        up = more || (out[p - 1] - '0') % 2 == 1;
    }
    if (!nearest) {
        up = !up;
    }
    if (up) {
        size_t i = p;

        while (i > 0 && out[i - 1] == '9') {
            out[--i] = '0';
        }
        if (i == 0) {
            out[0] = '1';
            exp++;
        } else {
            out[i - 1]++;
        }
    }
    return exp;
}

/* True when a number of P significant digits reads back as V: the one nearest V, or its other
 * neighbour (the decimal grid of P digits is coarser than V's neighbours, so no other can). */
static bool
length_reads_back(const struct fdigits *f, size_t p, double v, bool is_float)
{
    char cand[20];
    int x = round_digits(f, p, true, cand);

    if (reads_back(cand, p, x, v, is_float)) {
        return true;
    }
    x = round_digits(f, p, false, cand);
    return x != NO_NEIGHBOUR && reads_back(cand, p, x, v, is_float);
}

/*
 * The fewest significant digits that read back as V, by bisection: a number of P digits is also
 * one of P + 1 digits, so once a length reads back every longer one does. MAX_P always does.
 * Most doubles that are not short decimals need 16 or 17 digits, so the first probe is at 15:
 * two or three probes then, instead of up to sixteen.
 */
static int
shortest_length(const struct fdigits *f, double v, bool is_float, int max_p)
{
    int lo = 1, hi = max_p;

    /* A short exact decimal (119.5, 0.25) is its own shortest form: any number with fewer
     * digits is at least one unit of its last digit away, far more than V's neighbours are. */
    if (f->n <= (is_float ? 6u : 15u)) {
        return (int)f->n;
    }
    /* Most other values need the full precision: look there first, then bisect. */
    if (length_reads_back(f, is_float ? 6u : 15u, v, is_float)) {
        hi = is_float ? 6 : 15;
    } else {
        lo = is_float ? 7 : 16;
    }

    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;

        if (length_reads_back(f, (size_t)mid, v, is_float)) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    return lo;
}

/* Finds the shortest digits of V > 0 (finite) that read back; returns the digit count. */
static size_t
shortest_digits(double v, bool is_float, char *out, int *exp_out)
{
    struct fdigits f;
    uint64_t m;
    int e;
    int max_p = is_float ? 9 : 17;

    if (is_float) {
        float fv = (float)v;
        uint32_t bits;

        memcpy(&bits, &fv, sizeof(bits));
        m = bits & 0x7fffff;
        e = (int)((bits >> 23) & 0xff);
        if (e == 0) {
            e = 1 - 150;
        } else {
            m |= 0x800000;
            e -= 150;
        }
    } else {
        uint64_t bits;

        memcpy(&bits, &v, sizeof(bits));
        m = bits & 0xfffffffffffffull;
        e = (int)((bits >> 52) & 0x7ff);
        if (e == 0) {
            e = 1 - 1075;
        } else {
            m |= 1ull << 52;
            e -= 1075;
        }
    }
    exact_digits(m, e, &f);
    for (int p = shortest_length(&f, v, is_float, max_p); p <= max_p; p++) {
        char cand[20];
        int x = round_digits(&f, (size_t)p, true, cand);

        if (!reads_back(cand, (size_t)p, x, v, is_float)) {
            x = round_digits(&f, (size_t)p, false, cand);
            if (x == NO_NEIGHBOUR || !reads_back(cand, (size_t)p, x, v, is_float)) {
                continue;
            }
        } else if (p == 1) {
            /* Java looks at two digits when one suffices and keeps the closer decimal. */
            char two[20];
            int x2 = round_digits(&f, 2, true, two);

            if (reads_back(two, 2, x2, v, is_float)) {
                memcpy(cand, two, 2);
                x = x2;
                p = two[1] == '0' ? 1 : 2;
            }
        }
        memcpy(out, cand, (size_t)p);
        while (p > 1 && out[p - 1] == '0') {
            p--;
        }
        *exp_out = x;
        return (size_t)p;
    }
    /* Not reached: 17 (9) digits always read back. */
    memcpy(out, f.digits, f.n < 17 ? f.n : 17);
    *exp_out = f.exp;
    return f.n < 17 ? f.n : 17;
}

static size_t
fmt_java_float(struct cql_wr *out, double v, bool is_float)
{
    char d[20];
    size_t n;
    int exp;
    int sci;
    size_t start = out->len;

    if (isnan(v)) {
        wr_str(out, "NaN");
        return 3;
    }
    if (signbit(v)) {
        cql_wr_byte(out, '-');
        v = -v;
    }
    if (isinf(v)) {
        wr_str(out, "Infinity");
        return out->len - start;
    }
    if (v == 0) {
        wr_str(out, "0.0");
        return out->len - start;
    }
    n = shortest_digits(v, is_float, d, &exp);
    sci = exp - 1;                              /* v = d1.d2d3... * 10^sci */
    if (sci >= -3 && sci < 7) {
        if (sci >= 0) {
            size_t ip = (size_t)sci + 1;

            for (size_t i = 0; i < ip; i++) {
                cql_wr_byte(out, i < n ? (uint8_t)d[i] : '0');
            }
            cql_wr_byte(out, '.');
            if (n > ip) {
                cql_wr_raw(out, d + ip, n - ip);
            } else {
                cql_wr_byte(out, '0');
            }
        } else {
            wr_str(out, "0.");
            for (int i = 0; i < -sci - 1; i++) {
                cql_wr_byte(out, '0');
            }
            cql_wr_raw(out, d, n);
        }
    } else {
        cql_wr_byte(out, (uint8_t)d[0]);
        cql_wr_byte(out, '.');
        if (n > 1) {
            cql_wr_raw(out, d + 1, n - 1);
        } else {
            cql_wr_byte(out, '0');
        }
        cql_wr_byte(out, 'E');
        cql_fmt_int64(out, sci);
    }
    return out->len - start;
}

size_t
cql_fmt_double(struct cql_wr *out, double v)
{
    return fmt_java_float(out, v, false);
}

size_t
cql_fmt_float(struct cql_wr *out, float v)
{
    return fmt_java_float(out, v, true);
}

/* ---- varint and decimal ---------------------------------------------------------------------- */

/*
 * Appends the minimal two's-complement big-endian encoding of the integer whose decimal digits
 * are S (LEN characters, '.' skipped), negated when NEG (native_protocol_v5.spec, section 6.22).
 * The magnitude is built little-endian in place at the writer's tail, 9 digits at a time, then
 * negated, trimmed and reversed.
 */
static void
varint_from_digits(struct cql_wr *w, bool neg, const char *s, size_t len)
{
    size_t mark = w->len;
    size_t cap = len / 2 + 3;
    uint8_t *mag = cql_wr_reserve(w, cap);
    size_t nb = 0;
    size_t i = 0;

    if (mag == NULL) {
        return;
    }
    while (i < len) {
        uint32_t chunk = 0;
        uint32_t mult = 1;
        uint64_t carry;
        int k = 0;

        while (i < len && k < 9) {
            if (s[i] != '.') {
                chunk = chunk * 10 + (uint32_t)(s[i] - '0');
                mult *= 10;
                k++;
            }
            i++;
        }
        if (k == 0) {
            break;
        }
        carry = chunk;
        for (size_t j = 0; j < nb; j++) {
            uint64_t v = (uint64_t)mag[j] * mult + carry;

            mag[j] = (uint8_t)v;
            carry = v >> 8;
        }
        while (carry != 0) {
            mag[nb++] = (uint8_t)carry;
            carry >>= 8;
        }
    }
    if (nb == 0) {
        mag[nb++] = 0;
    } else if (neg) {
        unsigned carry = 1;

        mag[nb++] = 0;
        for (size_t j = 0; j < nb; j++) {
            unsigned v = (uint8_t)~mag[j] + carry;

            mag[j] = (uint8_t)v;
            carry = v >> 8;
        }
        while (nb > 1 && mag[nb - 1] == 0xff && (mag[nb - 2] & 0x80) != 0) {
            nb--;
        }
    } else if ((mag[nb - 1] & 0x80) != 0) {
        mag[nb++] = 0;
    }
    for (size_t j = 0; j < nb / 2; j++) {
        uint8_t t = mag[j];

        mag[j] = mag[nb - 1 - j];
        mag[nb - 1 - j] = t;
    }
    w->len = mark + nb;
}

/*
 * Appends the decimal form of the two's-complement big-endian integer P (N > 0 bytes), with a
 * leading '-' when negative. The writer's tail holds the digits (written backwards) and, after
 * them, the magnitude as 32-bit limbs that are divided by 10^9 until nothing is left.
 */
static void
varint_to_decimal(struct cql_wr *w, const uint8_t *p, size_t n)
{
    bool neg = (p[0] & 0x80) != 0;
    size_t nl = (n + 3) / 4;
    size_t dcap = n * 3 + 2;
    size_t mark = w->len;
    uint8_t *base = cql_wr_reserve(w, dcap + nl * 4 + 4);
    uint32_t *limb;
    char *dend;
    char *d;
    size_t nd;

    if (base == NULL) {
        return;
    }
    limb = (uint32_t *)(void *)(base + dcap + ((4 - ((uintptr_t)(base + dcap) & 3)) & 3));
    memset(limb, 0, nl * 4);
    for (size_t i = 0; i < n; i++) {
        limb[i / 4] |= (uint32_t)p[n - 1 - i] << (8 * (i % 4));
    }
    if (neg) {
        uint64_t carry = 1;

        for (size_t i = n; i < nl * 4; i++) {
            limb[i / 4] |= (uint32_t)0xff << (8 * (i % 4));
        }
        for (size_t j = 0; j < nl; j++) {
            uint64_t v = (uint64_t)(uint32_t)~limb[j] + carry;

            limb[j] = (uint32_t)v;
            carry = v >> 32;
        }
    }
    while (nl > 0 && limb[nl - 1] == 0) {
        nl--;
    }
    dend = (char *)base + dcap;
    d = dend;
    while (nl > 0) {
        uint64_t rem = 0;

        for (size_t j = nl; j-- > 0; ) {
            uint64_t cur = rem << 32 | limb[j];

            limb[j] = (uint32_t)(cur / BIG_BASE);
            rem = cur % BIG_BASE;
        }
        while (nl > 0 && limb[nl - 1] == 0) {
            nl--;
        }
        for (int k = 0; k < 9; k++) {
            *--d = (char)('0' + rem % 10);
            rem /= 10;
            if (nl == 0 && rem == 0) {
                break;
            }
        }
    }
    if (d == dend) {
        *--d = '0';
    }
    nd = (size_t)(dend - d);
    if (neg) {
        base[0] = '-';
    }
    memmove(base + (neg ? 1 : 0), d, nd);
    w->len = mark + (neg ? 1 : 0) + nd;
}

/* Inserts the bytes S (N) at offset AT of the writer's contents. */
static void
wr_insert(struct cql_wr *w, size_t at, const char *s, size_t n)
{
    size_t old = w->len;

    if (cql_wr_reserve(w, n) == NULL) {
        return;
    }
    memmove(w->p + at + n, w->p + at, old - at);
    memcpy(w->p + at, s, n);
}

/*
 * Appends a decimal ([int] scale + varint unscaled) in Java's BigDecimal.toString form: plain
 * notation when the scale is zero, or positive with an adjusted exponent of at least -6;
 * otherwise one digit, the rest after a point, and E+n / E-n.
 */
static int
decimal_to_json(struct cql_wr *w, const uint8_t *p, size_t n, const char **err_desc)
{
    int32_t scale;
    size_t mark = w->len;
    size_t ds;
    size_t nd;
    int64_t adjusted;

    if (n < 5) {
        return fail(err_desc, CQL_EPROTO, "decimal value shorter than 5 bytes");
    }
    scale = (int32_t)cql_be32(p);
    varint_to_decimal(w, p + 4, n - 4);
    if (w->err != 0) {
        return wr_status(w, err_desc);
    }
    ds = mark + (w->p[mark] == '-' ? 1 : 0);
    nd = w->len - ds;
    adjusted = -(int64_t)scale + (int64_t)(nd - 1);
    if (scale == 0) {
        return 0;
    }
    if (scale > 0 && adjusted >= -6) {
        if (nd > (size_t)scale) {
            wr_insert(w, ds + nd - (size_t)scale, ".", 1);
        } else {
            static const char zeros[] = "0.000000000";
            size_t pad = (size_t)scale - nd;

            wr_insert(w, ds, zeros, 2 + pad);
        }
        return wr_status(w, err_desc);
    }
    if (nd > 1) {
        wr_insert(w, ds + 1, ".", 1);
    }
    if (adjusted != 0) {
        cql_wr_byte(w, 'E');
        if (adjusted > 0) {
            cql_wr_byte(w, '+');
        }
        cql_fmt_int64(w, adjusted);
    }
    return wr_status(w, err_desc);
}

/* ---- calendar -------------------------------------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era;
    unsigned yoe;
    unsigned doy;
    unsigned doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* The proleptic Gregorian date Z days after 1970-01-01. */
static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    int64_t era;
    unsigned doe;
    unsigned yoe;
    unsigned doy;
    unsigned mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = (unsigned)(z - era * 146097);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static unsigned
days_in_month(int64_t y, unsigned m)
{
    static const unsigned mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return m == 2 && leap ? 29 : mdays[m - 1];
}

/* Floor division and modulo for negative time values. */
static int64_t
floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;

    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t
floor_mod(int64_t a, int64_t b)
{
    int64_t r = a % b;

    return (r != 0 && (r < 0) != (b < 0)) ? r + b : r;
}

/* ---- text -> bytes: numbers ------------------------------------------------------------------ */

/* Parses [+-]digits into *V and checks it against [MIN, MAX]; RANGE_DESC names the type. */
static int
parse_integer(const char *s, size_t len, int64_t min, int64_t max, const char *range_desc,
              int64_t *v, const char **err_desc)
{
    size_t i = 0;
    bool neg = false;
    bool over = false;
    uint64_t acc = 0;

    if (i < len && (s[i] == '+' || s[i] == '-')) {
        neg = s[i] == '-';
        i++;
    }
    if (i == len) {
        return fail(err_desc, CQL_ETYPE, "not an integer");
    }
    for (; i < len; i++) {
        if (!is_digit(s[i])) {
            return fail(err_desc, CQL_ETYPE, "not an integer");
        }
        if (acc > (UINT64_MAX - 9) / 10) {
            over = true;
        } else {
            acc = acc * 10 + (uint64_t)(s[i] - '0');
        }
    }
    if (over || acc > (uint64_t)INT64_MAX + (neg ? 1 : 0)) {
        return fail(err_desc, CQL_ERANGE, range_desc);
    }
    *v = neg ? (int64_t)(0 - acc) : (int64_t)acc;
    if (*v < min || *v > max) {
        return fail(err_desc, CQL_ERANGE, range_desc);
    }
    return 0;
}

/* Checks [+-]digits and returns where the digits start, or -1. */
static ssize_t
integer_digits(const char *s, size_t len)
{
    size_t i = 0;

    if (i < len && (s[i] == '+' || s[i] == '-')) {
        i++;
    }
    if (i == len) {
        return -1;
    }
    for (size_t j = i; j < len; j++) {
        if (!is_digit(s[j])) {
            return -1;
        }
    }
    return (ssize_t)i;
}

static int
varint_from_text(const char *s, size_t len, struct cql_wr *out, const char **err_desc)
{
    ssize_t at = integer_digits(s, len);

    if (at < 0) {
        return fail(err_desc, CQL_ETYPE, "not an integer");
    }
    if (len - (size_t)at > CQL_VALUE_MAX_DIGITS) {
        return fail(err_desc, CQL_ERANGE, "too many digits for varint");
    }
    varint_from_digits(out, s[0] == '-', s + at, len - (size_t)at);
    return wr_status(out, err_desc);
}

/*
 * decimal: [+-]digits[.digits][(e|E)[+-]digits] as Java's BigDecimal(String) reads it; at least
 * one digit before or after the point. The exponent must fit an int32 and so must the resulting
 * scale (digits after the point minus the exponent).
 */
static int
decimal_from_text(const char *s, size_t len, struct cql_wr *out, const char **err_desc)
{
    size_t i = 0;
    size_t mant;
    size_t mant_end;
    size_t ndigits = 0;
    size_t nfrac = 0;
    bool point = false;
    int64_t exp = 0;
    int64_t scale;

    if (i < len && (s[i] == '+' || s[i] == '-')) {
        i++;
    }
    mant = i;
    for (; i < len; i++) {
        if (is_digit(s[i])) {
            ndigits++;
            nfrac += point ? 1 : 0;
        } else if (s[i] == '.' && !point) {
            point = true;
        } else {
            break;
        }
    }
    mant_end = i;
    if (ndigits == 0) {
        return fail(err_desc, CQL_ETYPE, "not a decimal number");
    }
    if (ndigits > CQL_VALUE_MAX_DIGITS) {
        return fail(err_desc, CQL_ERANGE, "too many digits for decimal");
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        bool eneg = false;
        size_t start;

        i++;
        if (i < len && (s[i] == '+' || s[i] == '-')) {
            eneg = s[i] == '-';
            i++;
        }
        start = i;
        for (; i < len && is_digit(s[i]); i++) {
            if (exp <= (int64_t)INT32_MAX + 1) {
                exp = exp * 10 + (s[i] - '0');
            }
        }
        if (i == start) {
            return fail(err_desc, CQL_ETYPE, "not a decimal number");
        }
        exp = eneg ? -exp : exp;
        if (exp < INT32_MIN || exp > INT32_MAX) {
            return fail(err_desc, CQL_ERANGE, "decimal exponent out of range");
        }
    }
    if (i != len) {
        return fail(err_desc, CQL_ETYPE, "not a decimal number");
    }
    scale = (int64_t)nfrac - exp;
    if (scale < INT32_MIN || scale > INT32_MAX) {
        return fail(err_desc, CQL_ERANGE, "decimal scale out of range");
    }
    cql_wr_int(out, (int32_t)scale);
    varint_from_digits(out, s[0] == '-', s + mant, mant_end - mant);
    return wr_status(out, err_desc);
}

/*
 * float and double: decimal or exponent notation (Java's optional f/F/d/D suffix allowed), NaN,
 * Infinity with an optional sign. strtod/strtof do the correctly rounded conversion on a
 * NUL-terminated copy made in the writer's tail; like Java, a value past the type's range
 * becomes an infinity.
 */
static int
float_from_text(const char *s, size_t len, bool is_float, struct cql_wr *out,
                const char **err_desc)
{
    size_t i = 0;
    size_t ndig = 0;
    size_t body;
    double d;
    bool neg = false;

    if (i < len && (s[i] == '+' || s[i] == '-')) {
        neg = s[i] == '-';
        i++;
    }
    body = i;
    if ((len - body == 3 && memcmp(s + body, "NaN", 3) == 0)) {
        d = NAN;
    } else if (len - body == 8 && memcmp(s + body, "Infinity", 8) == 0) {
        d = neg ? -INFINITY : INFINITY;
    } else {
        size_t mark = out->len;
        char *copy;
        char *end;

        for (; i < len && is_digit(s[i]); i++) {
            ndig++;
        }
        if (i < len && s[i] == '.') {
            for (i++; i < len && is_digit(s[i]); i++) {
                ndig++;
            }
        }
        if (ndig == 0) {
            return fail(err_desc, CQL_ETYPE, "not a floating-point number");
        }
        if (i < len && (s[i] == 'e' || s[i] == 'E')) {
            size_t start;

            i++;
            if (i < len && (s[i] == '+' || s[i] == '-')) {
                i++;
            }
            start = i;
            while (i < len && is_digit(s[i])) {
                i++;
            }
            if (i == start) {
                return fail(err_desc, CQL_ETYPE, "not a floating-point number");
            }
        }
        if (i + 1 == len && (s[i] == 'f' || s[i] == 'F' || s[i] == 'd' || s[i] == 'D')) {
            len--;
        }
        if (i != len) {
            return fail(err_desc, CQL_ETYPE, "not a floating-point number");
        }
        copy = (char *)cql_wr_reserve(out, len + 1);
        if (copy == NULL) {
            return wr_status(out, err_desc);
        }
        memcpy(copy, s, len);
        copy[len] = '\0';
        d = is_float ? (double)strtof(copy, &end) : strtod(copy, &end);
        out->len = mark;
    }
    if (is_float) {
        float f = (float)d;
        uint32_t bits = 0x7fc00000u;

        if (!isnan(d)) {
            memcpy(&bits, &f, sizeof(bits));
        }
        cql_wr_int(out, (int32_t)bits);
    } else {
        uint64_t bits = 0x7ff8000000000000ull;

        if (!isnan(d)) {
            memcpy(&bits, &d, sizeof(bits));
        }
        cql_wr_long(out, (int64_t)bits);
    }
    return wr_status(out, err_desc);
}

/* ---- text -> bytes: uuid, dates and times ---------------------------------------------------- */

/*
 * Five '-'-separated hex groups of up to 8, 4, 4, 4 and 12 digits (Java's UUID.fromString reads
 * short groups as zero-padded; the canonical 8-4-4-4-12 form is the usual case).
 */
static bool
parse_uuid(const char *s, size_t len, uint8_t out[16])
{
    static const size_t widths[5] = { 8, 4, 4, 4, 12 };
    uint64_t groups[5];
    size_t i = 0;
    uint64_t hi;
    uint64_t lo;

    for (int g = 0; g < 5; g++) {
        size_t start = i;

        groups[g] = 0;
        while (i < len && s[i] != '-') {
            int v = cql_hex_digit(s[i]);

            if (v < 0) {
                return false;
            }
            groups[g] = groups[g] << 4 | (uint64_t)v;
            i++;
        }
        if (i == start || i - start > widths[g]) {
            return false;
        }
        if (g < 4) {
            if (i == len) {
                return false;
            }
            i++;
        }
    }
    if (i != len) {
        return false;
    }
    hi = groups[0] << 32 | groups[1] << 16 | groups[2];
    lo = groups[3] << 48 | groups[4];
    cql_put_be64(out, hi);
    cql_put_be64(out + 8, lo);
    return true;
}

/* A cursor over a date or time string. */
struct scan {
    const char *p;                  /* next character */
    const char *end;                /* one past the last */
};

/* Reads between MIN_N and MAX_N digits; -1 when there are fewer than MIN_N. */
static int64_t
scan_digits(struct scan *sc, size_t min_n, size_t max_n, size_t *count)
{
    int64_t v = 0;
    size_t n = 0;

    while (sc->p < sc->end && n < max_n && is_digit(*sc->p)) {
        v = v * 10 + (*sc->p - '0');
        sc->p++;
        n++;
    }
    if (count != NULL) {
        *count = n;
    }
    return n < min_n ? -1 : v;
}

static bool
scan_char(struct scan *sc, char c)
{
    if (sc->p < sc->end && *sc->p == c) {
        sc->p++;
        return true;
    }
    return false;
}

/* [+-]Y{4,9}-MM-DD into days since the epoch. */
static int
scan_date(struct scan *sc, int64_t *days, const char **err_desc)
{
    bool neg = false;
    int64_t y;
    int64_t mo;
    int64_t d;
    size_t ny;

    if (sc->p < sc->end && (*sc->p == '+' || *sc->p == '-')) {
        neg = *sc->p == '-';
        sc->p++;
    }
    y = scan_digits(sc, 4, 10, &ny);
    if (y < 0 || !scan_char(sc, '-')) {
        return fail(err_desc, CQL_ETYPE, "not a date (expected YYYY-MM-DD)");
    }
    if (ny > 9) {
        return fail(err_desc, CQL_ERANGE, "year out of range");
    }
    mo = scan_digits(sc, 2, 2, NULL);
    if (mo < 0 || !scan_char(sc, '-')) {
        return fail(err_desc, CQL_ETYPE, "not a date (expected YYYY-MM-DD)");
    }
    d = scan_digits(sc, 2, 2, NULL);
    if (d < 0) {
        return fail(err_desc, CQL_ETYPE, "not a date (expected YYYY-MM-DD)");
    }
    y = neg ? -y : y;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, (unsigned)mo)) {
        return fail(err_desc, CQL_ETYPE, "invalid month or day");
    }
    *days = days_from_civil(y, (unsigned)mo, (unsigned)d);
    return 0;
}

/* H[H]:mm[:ss[.f{1,9}]] into nanoseconds of the day. */
static int
scan_time(struct scan *sc, int64_t *nanos, const char **err_desc)
{
    int64_t h = scan_digits(sc, 1, 2, NULL);
    int64_t mi = -1;
    int64_t sec = 0;
    int64_t frac = 0;

    if (h >= 0 && scan_char(sc, ':')) {
        mi = scan_digits(sc, 2, 2, NULL);
    }
    if (mi < 0) {
        return fail(err_desc, CQL_ETYPE, "not a time (expected HH:mm[:ss[.fffffffff]])");
    }
    if (scan_char(sc, ':')) {
        sec = scan_digits(sc, 2, 2, NULL);
        if (sec < 0) {
            return fail(err_desc, CQL_ETYPE, "not a time (expected HH:mm[:ss[.fffffffff]])");
        }
        if (scan_char(sc, '.')) {
            size_t nf;

            frac = scan_digits(sc, 1, 9, &nf);
            if (frac < 0) {
                return fail(err_desc, CQL_ETYPE, "not a time (expected HH:mm[:ss[.fffffffff]])");
            }
            for (; nf < 9; nf++) {
                frac *= 10;
            }
        }
    }
    if (h > 23 || mi > 59 || sec > 59) {
        return fail(err_desc, CQL_ETYPE, "hour, minute or second out of range");
    }
    *nanos = ((h * 60 + mi) * 60 + sec) * 1000000000 + frac;
    return 0;
}

/*
 * timestamp: an ISO-8601 date and time with a required offset (rest-v2.md 5.2), or a bare integer
 * of milliseconds since the epoch. Fractions beyond milliseconds are truncated.
 */
static int
timestamp_from_text(const char *s, size_t len, struct cql_wr *out, const char **err_desc)
{
    struct scan sc = { s, s + len };
    int64_t days;
    int64_t nanos;
    int64_t ms;
    int64_t off = 0;
    int rc;

    if (integer_digits(s, len) >= 0) {
        rc = parse_integer(s, len, INT64_MIN, INT64_MAX, "timestamp out of range", &ms, err_desc);
        if (rc != 0) {
            return rc;
        }
        cql_wr_long(out, ms);
        return wr_status(out, err_desc);
    }
    rc = scan_date(&sc, &days, err_desc);
    if (rc != 0) {
        return rc;
    }
    if (!scan_char(&sc, 'T') && !scan_char(&sc, 't') && !scan_char(&sc, ' ')) {
        return fail(err_desc, CQL_ETYPE, "timestamp needs a time after the date");
    }
    rc = scan_time(&sc, &nanos, err_desc);
    if (rc != 0) {
        return rc;
    }
    if (scan_char(&sc, 'Z') || scan_char(&sc, 'z')) {
        off = 0;
    } else if (sc.p < sc.end && (*sc.p == '+' || *sc.p == '-')) {
        int64_t sign = *sc.p == '-' ? -1 : 1;
        int64_t oh;
        int64_t om = 0;

        sc.p++;
        oh = scan_digits(&sc, 2, 2, NULL);
        if (oh >= 0 && sc.p < sc.end) {
            scan_char(&sc, ':');
            om = scan_digits(&sc, 2, 2, NULL);
        }
        if (oh < 0 || om < 0 || oh > 18 || om > 59 || (oh == 18 && om > 0)) {
            return fail(err_desc, CQL_ETYPE, "invalid timestamp offset");
        }
        off = sign * (oh * 60 + om) * 60000;
    } else {
        return fail(err_desc, CQL_ETYPE, "timestamp needs an offset (Z, +HH, +HHmm or +HH:mm)");
    }
    if (sc.p != sc.end) {
        return fail(err_desc, CQL_ETYPE, "unexpected text after timestamp");
    }
    if (__builtin_mul_overflow(days, (int64_t)86400000, &ms)
        || __builtin_add_overflow(ms, nanos / 1000000, &ms)
        || __builtin_sub_overflow(ms, off, &ms)) {
        return fail(err_desc, CQL_ERANGE, "timestamp out of range");
    }
    cql_wr_long(out, ms);
    return wr_status(out, err_desc);
}

/* date: [+-]YYYY-MM-DD, stored as days since the epoch plus 2^31 (section 6.7). */
static int
date_from_text(const char *s, size_t len, struct cql_wr *out, const char **err_desc)
{
    struct scan sc = { s, s + len };
    int64_t days;
    int rc = scan_date(&sc, &days, err_desc);

    if (rc != 0) {
        return rc;
    }
    if (sc.p != sc.end) {
        return fail(err_desc, CQL_ETYPE, "not a date (expected YYYY-MM-DD)");
    }
    if (days < INT32_MIN || days > INT32_MAX) {
        return fail(err_desc, CQL_ERANGE, "date out of range");
    }
    cql_wr_int(out, (int32_t)((uint32_t)(days + INT64_C(2147483648))));
    return wr_status(out, err_desc);
}

static int
time_from_text(const char *s, size_t len, struct cql_wr *out, const char **err_desc)
{
    struct scan sc = { s, s + len };
    int64_t nanos;
    int rc = scan_time(&sc, &nanos, err_desc);

    if (rc != 0) {
        return rc;
    }
    if (sc.p != sc.end) {
        return fail(err_desc, CQL_ETYPE, "not a time (expected HH:mm[:ss[.fffffffff]])");
    }
    cql_wr_long(out, nanos);
    return wr_status(out, err_desc);
}

/* ---- text -> bytes: duration ----------------------------------------------------------------- */

/*
 * A duration being built, unit by unit, in the order Cassandra requires (cql3/Duration.java):
 * years, months, weeks, days, hours, minutes, seconds, milliseconds, microseconds, nanoseconds,
 * each at most once, with totals that fit months and days in int32 and nanoseconds in int64.
 */
struct dur {
    int64_t months;                 /* total months so far */
    int64_t days;                   /* total days so far */
    int64_t nanos;                  /* total nanoseconds so far */
    int     unit;                   /* index of the last unit added, 0 before any */
};

enum {
    DUR_YEARS = 1, DUR_MONTHS, DUR_WEEKS, DUR_DAYS, DUR_HOURS, DUR_MINUTES, DUR_SECONDS,
    DUR_MILLIS, DUR_MICROS, DUR_NANOS
};

static int
dur_add(struct dur *d, int unit, uint64_t n, const char **err_desc)
{
    static const int64_t per[] = {
        0, 12, 1, 7, 1, INT64_C(3600000000000), INT64_C(60000000000), 1000000000, 1000000, 1000,
        1
    };
    int64_t *total;
    int64_t limit;

    if (unit == d->unit) {
        return fail(err_desc, CQL_ETYPE, "duration unit given more than once");
    }
    if (unit < d->unit) {
        return fail(err_desc, CQL_ETYPE, "duration units out of order");
    }
    d->unit = unit;
    if (unit <= DUR_MONTHS) {
        total = &d->months;
        limit = INT32_MAX;
    } else if (unit <= DUR_DAYS) {
        total = &d->days;
        limit = INT32_MAX;
    } else {
        total = &d->nanos;
        limit = INT64_MAX;
    }
    if (n > (uint64_t)((limit - *total) / per[unit])) {
        return fail(err_desc, CQL_ERANGE, "duration out of range");
    }
    *total += (int64_t)n * per[unit];
    return 0;
}

/* A run of digits as a Java long; -1 (and CQL_ERANGE) past INT64_MAX, -2 when there are none. */
static int64_t
dur_number(struct scan *sc)
{
    uint64_t v = 0;
    bool over = false;
    const char *start = sc->p;

    while (sc->p < sc->end && is_digit(*sc->p)) {
        if (v > ((uint64_t)INT64_MAX - 9) / 10) {
            over = true;
        } else {
            v = v * 10 + (uint64_t)(*sc->p - '0');
        }
        sc->p++;
    }
    if (sc->p == start) {
        return -2;
    }
    return over ? -1 : (int64_t)v;
}

/* The unit after a number in the standard form: mo, ms, us, µs or ns first, then one letter. */
static int
dur_unit(struct scan *sc)
{
    size_t left = (size_t)(sc->end - sc->p);
    const char *p = sc->p;

    if (left >= 3 && (uint8_t)p[0] == 0xc2 && (uint8_t)p[1] == 0xb5 && lower(p[2]) == 's') {
        sc->p += 3;
        return DUR_MICROS;
    }
    if (left >= 2) {
        char a = lower(p[0]);
        char b = lower(p[1]);

        if (a == 'm' && b == 'o') {
            sc->p += 2;
            return DUR_MONTHS;
        }
        if (b == 's' && (a == 'm' || a == 'u' || a == 'n')) {
            sc->p += 2;
            return a == 'm' ? DUR_MILLIS : a == 'u' ? DUR_MICROS : DUR_NANOS;
        }
    }
    if (left >= 1) {
        sc->p++;
        switch (lower(p[0])) {
        case 'y':
            return DUR_YEARS;
        case 'w':
            return DUR_WEEKS;
        case 'd':
            return DUR_DAYS;
        case 'h':
            return DUR_HOURS;
        case 'm':
            return DUR_MINUTES;
        case 's':
            return DUR_SECONDS;
        }
        sc->p--;
    }
    return 0;
}

/* P[nY][nM][nD][T[nH][nM][nS]], P<n>W and P<YYYY>-<MM>-<DD>T<hh>:<mm>:<ss>. */
static int
dur_iso(struct scan *sc, struct dur *d, const char **err_desc)
{
    static const char *bad = "not a duration";
    bool time = false;
    int rc;

    if (sc->end[-1] == 'W') {
        int64_t n = dur_number(sc);

        if (n == -1) {
            return fail(err_desc, CQL_ERANGE, "duration out of range");
        }
        if (n < 0 || !scan_char(sc, 'W') || sc->p != sc->end) {
            return fail(err_desc, CQL_ETYPE, bad);
        }
        return dur_add(d, DUR_WEEKS, (uint64_t)n, err_desc);
    }
    if (memchr(sc->p, '-', (size_t)(sc->end - sc->p)) != NULL) {
        static const char seps[6] = { '-', '-', 'T', ':', ':', '\0' };
        static const int units[6] = { DUR_YEARS, DUR_MONTHS, DUR_DAYS, DUR_HOURS, DUR_MINUTES,
                                      DUR_SECONDS };

        for (int i = 0; i < 6; i++) {
            int64_t n = scan_digits(sc, i == 0 ? 4 : 2, i == 0 ? 4 : 2, NULL);

            if (n < 0 || (seps[i] != '\0' && !scan_char(sc, seps[i]))) {
                return fail(err_desc, CQL_ETYPE, bad);
            }
            rc = dur_add(d, units[i], (uint64_t)n, err_desc);
            if (rc != 0) {
                return rc;
            }
        }
        return sc->p == sc->end ? 0 : fail(err_desc, CQL_ETYPE, bad);
    }
    while (sc->p < sc->end) {
        int64_t n;
        int unit;

        if (!time && scan_char(sc, 'T')) {
            time = true;
            continue;
        }
        n = dur_number(sc);
        if (n == -1) {
            return fail(err_desc, CQL_ERANGE, "duration out of range");
        }
        if (n < 0 || sc->p == sc->end) {
            return fail(err_desc, CQL_ETYPE, bad);
        }
        switch (*sc->p++) {
        case 'Y':
            unit = time ? 0 : DUR_YEARS;
            break;
        case 'M':
            unit = time ? DUR_MINUTES : DUR_MONTHS;
            break;
        case 'D':
            unit = time ? 0 : DUR_DAYS;
            break;
        case 'H':
            unit = time ? DUR_HOURS : 0;
            break;
        case 'S':
            unit = time ? DUR_SECONDS : 0;
            break;
        default:
            unit = 0;
            break;
        }
        if (unit == 0 || unit <= d->unit) {
            return fail(err_desc, CQL_ETYPE, bad);
        }
        rc = dur_add(d, unit, (uint64_t)n, err_desc);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

static int
duration_from_text(const char *s, size_t len, struct cql_wr *out, const char **err_desc)
{
    struct scan sc = { s, s + len };
    struct dur d = { 0, 0, 0, 0 };
    bool neg = scan_char(&sc, '-');
    int rc = 0;

    if (sc.p < sc.end && *sc.p == 'P') {
        sc.p++;
        rc = dur_iso(&sc, &d, err_desc);
    } else if (sc.p == sc.end) {
        rc = fail(err_desc, CQL_ETYPE, "not a duration");
    } else {
        while (rc == 0 && sc.p < sc.end) {
            int64_t n = dur_number(&sc);
            int unit;

            if (n == -1) {
                return fail(err_desc, CQL_ERANGE, "duration out of range");
            }
            unit = n < 0 ? 0 : dur_unit(&sc);
            if (unit == 0) {
                return fail(err_desc, CQL_ETYPE, "not a duration");
            }
            rc = dur_add(&d, unit, (uint64_t)n, err_desc);
        }
    }
    if (rc != 0) {
        return rc;
    }
    cql_wr_vint(out, neg ? -d.months : d.months);
    cql_wr_vint(out, neg ? -d.days : d.days);
    cql_wr_vint(out, neg ? -d.nanos : d.nanos);
    return wr_status(out, err_desc);
}

/* ---- text -> bytes: inet, blob, strings ------------------------------------------------------ */

/* Dotted-quad IPv4: four decimal parts of 1 to 3 digits, each at most 255. */
static bool
parse_ipv4(const char *s, size_t len, uint8_t out[4])
{
    struct scan sc = { s, s + len };

    for (int i = 0; i < 4; i++) {
        int64_t v = scan_digits(&sc, 1, 3, NULL);

        if (v < 0 || v > 255 || (i < 3 && !scan_char(&sc, '.'))) {
            return false;
        }
        out[i] = (uint8_t)v;
    }
    return sc.p == sc.end;
}

/* IPv6 text (RFC 4291, section 2.2): hex groups, one optional "::", an optional IPv4 tail. */
static bool
parse_ipv6(const char *s, size_t len, uint8_t out[16])
{
    uint16_t words[8];
    int nw = 0;
    int gap = -1;
    size_t i = 0;

    if (len >= 2 && s[0] == ':' && s[1] == ':') {
        gap = 0;
        i = 2;
    } else if (len == 0 || s[0] == ':') {
        return false;
    }
    while (i < len) {
        size_t j = i;
        bool dotted = false;

        while (j < len && s[j] != ':') {
            dotted = dotted || s[j] == '.';
            j++;
        }
        if (dotted) {
            uint8_t v4[4];

            if (j != len || nw > 6 || !parse_ipv4(s + i, j - i, v4)) {
                return false;
            }
            words[nw++] = (uint16_t)(v4[0] << 8 | v4[1]);
            words[nw++] = (uint16_t)(v4[2] << 8 | v4[3]);
            i = j;
            break;
        }
        if (j == i || j - i > 4 || nw == 8) {
            return false;
        }
        words[nw] = 0;
        for (size_t k = i; k < j; k++) {
            int v = cql_hex_digit(s[k]);

            if (v < 0) {
                return false;
            }
            words[nw] = (uint16_t)(words[nw] << 4 | v);
        }
        nw++;
        i = j;
        if (i < len) {
            i++;
            if (i < len && s[i] == ':') {
                if (gap >= 0) {
                    return false;
                }
                gap = nw;
                i++;
            } else if (i == len) {
                return false;
            }
        }
    }
    if ((gap < 0 && nw != 8) || (gap >= 0 && nw > 7)) {
        return false;
    }
    memset(out, 0, 16);
    for (int k = 0; k < nw; k++) {
        int at = gap >= 0 && k >= gap ? 8 - (nw - k) : k;

        cql_put_be16(out + 2 * at, words[k]);
    }
    return true;
}

/*
 * inet: an IPv4 or IPv6 literal, optionally in brackets. As Java's InetAddress does, an
 * IPv4-mapped IPv6 address (::ffff:a.b.c.d) becomes the 4-byte IPv4 address. Names are not
 * looked up here: proto/ does no I/O.
 */
static int
inet_from_text(const char *s, size_t len, struct cql_wr *out, const char **err_desc)
{
    static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    uint8_t a[16];

    if (parse_ipv4(s, len, a)) {
        cql_wr_raw(out, a, 4);
        return wr_status(out, err_desc);
    }
    if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
        s++;
        len -= 2;
    }
    if (!parse_ipv6(s, len, a)) {
        return fail(err_desc, CQL_ETYPE, "not an IP address literal");
    }
    if (memcmp(a, mapped, sizeof(mapped)) == 0) {
        cql_wr_raw(out, a + 12, 4);
    } else {
        cql_wr_raw(out, a, 16);
    }
    return wr_status(out, err_desc);
}

/*
 * blob: standard Base64, padding optional. CQL's own 0x<hex> form is taken first when the text is
 * 0x followed by an even number of hex digits (such text is rarely meant as Base64).
 */
static int
blob_from_text(const char *s, size_t len, struct cql_wr *out, const char **err_desc)
{
    size_t mark = out->len;

    if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && len % 2 == 0) {
        bool hex = true;

        for (size_t i = 2; i < len && hex; i++) {
            hex = cql_hex_digit(s[i]) >= 0;
        }
        if (hex) {
            for (size_t i = 2; i < len; i += 2) {
                cql_wr_byte(out, (uint8_t)(cql_hex_digit(s[i]) << 4 | cql_hex_digit(s[i + 1])));
            }
            return wr_status(out, err_desc);
        }
    }
    if (!b64_decode(out, s, len)) {
        out->len = mark < out->len ? mark : out->len;
        return fail(err_desc, CQL_ETYPE, "not standard Base64");
    }
    return wr_status(out, err_desc);
}

/* Checks the bytes just written at OUT[MARK..] as ascii or text. */
static int
check_string(int id, struct cql_wr *out, size_t mark, const char **err_desc)
{
    if (out->err != 0) {
        return wr_status(out, err_desc);
    }
    if (id == CQL_TYPE_ASCII) {
        for (size_t i = mark; i < out->len; i++) {
            if (out->p[i] >= 0x80) {
                return fail(err_desc, CQL_ETYPE, "non-ASCII character in ascii value");
            }
        }
    } else if (out->len > mark && !cql_utf8_valid(out->p + mark, out->len - mark)) {
        return fail(err_desc, CQL_ETYPE, "text is not valid UTF-8");
    }
    return 0;
}

/* Writes S with each doubled quote Q made single, then checks it as ascii or text. */
static int
string_unescape(int id, const char *s, size_t len, char q, struct cql_wr *out,
                const char **err_desc)
{
    size_t mark = out->len;

    for (size_t i = 0; i < len; i++) {
        cql_wr_byte(out, (uint8_t)s[i]);
        if (s[i] == q && i + 1 < len && s[i + 1] == q) {
            i++;
        }
    }
    return check_string(id, out, mark, err_desc);
}

/* Parses a native (non-structured) value from the whole of S. */
static int
scalar_from_text(const struct cql_type *t, const char *s, size_t len, struct cql_wr *out,
                 const char **err_desc)
{
    int64_t v;
    int rc;
    uint8_t uuid[16];
    size_t mark = out->len;

    switch (t->id) {
    case CQL_TYPE_ASCII:
    case CQL_TYPE_VARCHAR:
        cql_wr_raw(out, s, len);
        return check_string(t->id, out, mark, err_desc);
    case CQL_TYPE_BOOLEAN:
        if (word_eq(s, len, "true") || word_eq(s, len, "false")) {
            cql_wr_byte(out, lower(s[0]) == 't' ? 1 : 0);
            return wr_status(out, err_desc);
        }
        return fail(err_desc, CQL_ETYPE, "not a boolean (expected true or false)");
    case CQL_TYPE_TINYINT:
        rc = parse_integer(s, len, INT8_MIN, INT8_MAX, "value out of range for tinyint", &v,
                           err_desc);
        if (rc == 0) {
            cql_wr_byte(out, (uint8_t)v);
        }
        return rc != 0 ? rc : wr_status(out, err_desc);
    case CQL_TYPE_SMALLINT:
        rc = parse_integer(s, len, INT16_MIN, INT16_MAX, "value out of range for smallint", &v,
                           err_desc);
        if (rc == 0) {
            cql_wr_short(out, (uint16_t)v);
        }
        return rc != 0 ? rc : wr_status(out, err_desc);
    case CQL_TYPE_INT:
        rc = parse_integer(s, len, INT32_MIN, INT32_MAX, "value out of range for int", &v,
                           err_desc);
        if (rc == 0) {
            cql_wr_int(out, (int32_t)v);
        }
        return rc != 0 ? rc : wr_status(out, err_desc);
    case CQL_TYPE_BIGINT:
    case CQL_TYPE_COUNTER:
        rc = parse_integer(s, len, INT64_MIN, INT64_MAX,
                           t->id == CQL_TYPE_BIGINT ? "value out of range for bigint"
                                                    : "value out of range for counter",
                           &v, err_desc);
        if (rc == 0) {
            cql_wr_long(out, v);
        }
        return rc != 0 ? rc : wr_status(out, err_desc);
    case CQL_TYPE_VARINT:
        return varint_from_text(s, len, out, err_desc);
    case CQL_TYPE_DECIMAL:
        return decimal_from_text(s, len, out, err_desc);
    case CQL_TYPE_FLOAT:
    case CQL_TYPE_DOUBLE:
        return float_from_text(s, len, t->id == CQL_TYPE_FLOAT, out, err_desc);
    case CQL_TYPE_UUID:
    case CQL_TYPE_TIMEUUID:
        if (!parse_uuid(s, len, uuid)) {
            return fail(err_desc, CQL_ETYPE, "not a UUID");
        }
        if (t->id == CQL_TYPE_TIMEUUID && (uuid[6] & 0xf0) != 0x10) {
            return fail(err_desc, CQL_ETYPE, "timeuuid must be a version 1 UUID");
        }
        cql_wr_raw(out, uuid, 16);
        return wr_status(out, err_desc);
    case CQL_TYPE_TIMESTAMP:
        return timestamp_from_text(s, len, out, err_desc);
    case CQL_TYPE_DATE:
        return date_from_text(s, len, out, err_desc);
    case CQL_TYPE_TIME:
        return time_from_text(s, len, out, err_desc);
    case CQL_TYPE_DURATION:
        return duration_from_text(s, len, out, err_desc);
    case CQL_TYPE_INET:
        return inet_from_text(s, len, out, err_desc);
    case CQL_TYPE_BLOB:
    case CQL_TYPE_CUSTOM:
        return blob_from_text(s, len, out, err_desc);
    }
    return fail(err_desc, CQL_ETYPE, "unsupported type");
}

/* ---- text -> bytes: structured literals ------------------------------------------------------ */

/*
 * The grammar of rest-v2.md 5.1: list [a, b] (or {a, b}), set {a, b} (or [a, b]), map {k: v} or
 * [{'key': k, 'value': v}, ...], tuple (a, b), UDT {field: v}, vector [a, b]. Scalars inside are
 * 'quoted' ('' escapes a quote) or bare runs of [0-9A-Za-z+-._&]; blanks separate tokens.
 */
struct lit {
    const char *p;                  /* next character */
    const char *end;                /* one past the last */
};

static bool
is_structured(const struct cql_type *t)
{
    switch (t->id) {
    case CQL_TYPE_LIST:
    case CQL_TYPE_SET:
    case CQL_TYPE_MAP:
    case CQL_TYPE_TUPLE:
    case CQL_TYPE_UDT:
    case CQL_TYPE_VECTOR:
        return true;
    }
    return false;
}

static bool
is_bare(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '+'
        || c == '-' || c == '.' || c == '_' || c == '&';
}

static void
lit_blanks(struct lit *c)
{
    while (c->p < c->end && is_blank(*c->p)) {
        c->p++;
    }
}

/* Skips blanks and consumes CH when it comes next. */
static bool
lit_eat(struct lit *c, char ch)
{
    lit_blanks(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return true;
    }
    return false;
}

/* A scalar token: quoted with ' (or ", for names) or bare. */
struct tok {
    const char *p;                  /* content, without quotes */
    size_t      len;                /* content length */
    char        quote;              /* the quote character, or 0 when bare */
    bool        quoted;             /* was quoted */
    bool        escapes;            /* holds doubled quotes to undo */
};

static int
lit_token(struct lit *c, struct tok *t, const char **err_desc)
{
    lit_blanks(c);
    memset(t, 0, sizeof(*t));
    if (c->p < c->end && (*c->p == '\'' || *c->p == '"')) {
        char q = *c->p++;

        t->quoted = true;
        t->quote = q;
        t->p = c->p;
        for (;;) {
            if (c->p == c->end) {
                return fail(err_desc, CQL_ETYPE, "unterminated quoted string");
            }
            if (*c->p == q) {
                if (c->p + 1 < c->end && c->p[1] == q) {
                    t->escapes = true;
                    c->p += 2;
                    continue;
                }
                break;
            }
            c->p++;
        }
        t->len = (size_t)(c->p - t->p);
        c->p++;
        return 0;
    }
    t->p = c->p;
    while (c->p < c->end && is_bare(*c->p)) {
        c->p++;
    }
    t->len = (size_t)(c->p - t->p);
    if (t->len == 0) {
        return fail(err_desc, CQL_ETYPE, c->p == c->end ? "unexpected end of value"
                                                        : "unexpected character in value");
    }
    return 0;
}

/* Skips one value of any shape (used to look ahead in maps and UDTs). */
static int
lit_skip(struct lit *c, const char **err_desc)
{
    struct tok t;
    int depth = 0;

    lit_blanks(c);
    if (c->p == c->end || (*c->p != '[' && *c->p != '{' && *c->p != '(')) {
        return lit_token(c, &t, err_desc);
    }
    while (c->p < c->end) {
        char ch = *c->p;

        if (ch == '\'' || ch == '"') {
            int rc = lit_token(c, &t, err_desc);

            if (rc != 0) {
                return rc;
            }
            continue;
        }
        c->p++;
        if (ch == '[' || ch == '{' || ch == '(') {
            depth++;
        } else if (ch == ']' || ch == '}' || ch == ')') {
            if (--depth == 0) {
                return 0;
            }
        }
    }
    return fail(err_desc, CQL_ETYPE, "unbalanced brackets in value");
}

static int lit_struct(const struct cql_type *t, struct lit *c, int depth, struct cql_wr *out,
                      const char **err_desc);

/* Parses the whole of C as a structured literal of T (blanks allowed around it). */
static int
lit_whole(const struct cql_type *t, struct lit *c, int depth, struct cql_wr *out,
          const char **err_desc)
{
    int rc = lit_struct(t, c, depth, out, err_desc);

    if (rc != 0) {
        return rc;
    }
    lit_blanks(c);
    if (c->p != c->end) {
        return fail(err_desc, CQL_ETYPE, "unexpected text after value");
    }
    return 0;
}

/*
 * Parses one element of type T at C and appends its bytes (no length prefix). A bare `null`
 * sets *IS_NULL when NULLABLE (tuple and UDT fields) and is an error otherwise.
 */
static int
lit_value(const struct cql_type *t, struct lit *c, int depth, bool nullable, struct cql_wr *out,
          bool *is_null, const char **err_desc)
{
    struct tok tk;
    int rc;

    *is_null = false;
    lit_blanks(c);
    if (is_structured(t) && c->p < c->end && *c->p != '\'' && *c->p != '"' && !is_bare(*c->p)) {
        return lit_struct(t, c, depth + 1, out, err_desc);
    }
    rc = lit_token(c, &tk, err_desc);
    if (rc != 0) {
        return rc;
    }
    if (!tk.quoted && word_eq(tk.p, tk.len, "null")) {
        if (!nullable) {
            return fail(err_desc, CQL_ETYPE, "null is not allowed in a collection or vector");
        }
        *is_null = true;
        return 0;
    }
    if (tk.escapes) {
        if (t->id == CQL_TYPE_VARCHAR || t->id == CQL_TYPE_ASCII) {
            return string_unescape(t->id, tk.p, tk.len, tk.quote, out, err_desc);
        }
        return fail(err_desc, CQL_ETYPE, "unexpected quote in value");
    }
    if (is_structured(t)) {
        struct lit sub = { tk.p, tk.p + tk.len };

        return lit_whole(t, &sub, depth + 1, out, err_desc);
    }
    return scalar_from_text(t, tk.p, tk.len, out, err_desc);
}

/* Appends one element as [bytes]: a 4-byte length (or -1 for null), then the value. */
static int
lit_bytes(const struct cql_type *t, struct lit *c, int depth, bool nullable, struct cql_wr *out,
          const char **err_desc)
{
    size_t at = out->len;
    bool is_null;
    int rc;

    cql_wr_int(out, 0);
    rc = lit_value(t, c, depth, nullable, out, &is_null, err_desc);
    if (rc != 0) {
        return rc;
    }
    if (out->err != 0) {
        return wr_status(out, err_desc);
    }
    if (is_null) {
        cql_wr_patch_int(out, at, CQL_NULL);
    } else if (out->len - at - 4 > INT32_MAX) {
        return fail(err_desc, CQL_ERANGE, "element too large");
    } else {
        cql_wr_patch_int(out, at, (int32_t)(out->len - at - 4));
    }
    return 0;
}

/*
 * Runs ELEM for each comma-separated element up to the closing CLOSE (the opening bracket already
 * consumed) and returns the element count in *N.
 */
typedef int (*lit_elem_cb)(const struct cql_type *t, struct lit *c, int depth, size_t i,
                           struct cql_wr *out, const char **err_desc);

static int
lit_elements(const struct cql_type *t, struct lit *c, int depth, char close, lit_elem_cb elem,
             struct cql_wr *out, size_t *n, const char **err_desc)
{
    *n = 0;
    if (lit_eat(c, close)) {
        return 0;
    }
    for (;;) {
        int rc = elem(t, c, depth, *n, out, err_desc);

        if (rc != 0) {
            return rc;
        }
        (*n)++;
        if (lit_eat(c, close)) {
            return 0;
        }
        if (!lit_eat(c, ',')) {
            return fail(err_desc, CQL_ETYPE, c->p == c->end ? "unexpected end of value"
                                                            : "expected ',' between elements");
        }
    }
}

static int
elem_collection(const struct cql_type *t, struct lit *c, int depth, size_t i, struct cql_wr *out,
                const char **err_desc)
{
    (void)i;
    return lit_bytes(t->sub[0], c, depth, false, out, err_desc);
}

static int
elem_map_compact(const struct cql_type *t, struct lit *c, int depth, size_t i,
                 struct cql_wr *out, const char **err_desc)
{
    int rc = lit_bytes(t->sub[0], c, depth, false, out, err_desc);

    (void)i;
    if (rc != 0) {
        return rc;
    }
    if (!lit_eat(c, ':')) {
        return fail(err_desc, CQL_ETYPE, "expected ':' after map key");
    }
    return lit_bytes(t->sub[1], c, depth, false, out, err_desc);
}

static int
elem_tuple(const struct cql_type *t, struct lit *c, int depth, size_t i, struct cql_wr *out,
           const char **err_desc)
{
    if (i >= t->n) {
        return fail(err_desc, CQL_ETYPE, "too many elements for tuple");
    }
    return lit_bytes(t->sub[i], c, depth, true, out, err_desc);
}

/*
 * A vector element: fixed-size element types are concatenated; variable-size ones are each
 * preceded by an [unsigned vint] length, inserted once the element's size is known.
 */
static int
elem_vector(const struct cql_type *t, struct lit *c, int depth, size_t i, struct cql_wr *out,
            const char **err_desc)
{
    size_t at = out->len;
    bool is_null;
    int fixed = cql_type_fixed_size(t->sub[0]);
    int rc;

    if (i >= (size_t)t->dim) {
        return fail(err_desc, CQL_ETYPE, "too many elements for vector");
    }
    rc = lit_value(t->sub[0], c, depth, false, out, &is_null, err_desc);
    if (rc != 0 || out->err != 0) {
        return rc != 0 ? rc : wr_status(out, err_desc);
    }
    if (fixed >= 0) {
        if (out->len - at != (size_t)fixed) {
            return fail(err_desc, CQL_ETYPE, "vector element has the wrong size");
        }
    } else {
        uint8_t buf[10];
        struct cql_wr len_w;

        cql_wr_init(&len_w, buf, sizeof(buf), NULL, NULL);
        cql_wr_uvint(&len_w, out->len - at);
        wr_insert(out, at, (const char *)buf, len_w.len);
    }
    return wr_status(out, err_desc);
}

/* The name of a map entry member or UDT field: quoted with ' or ", or bare. */
static int
lit_name(struct lit *c, struct tok *name, const char **err_desc)
{
    int rc = lit_token(c, name, err_desc);

    if (rc != 0) {
        return rc;
    }
    if (!lit_eat(c, ':')) {
        return fail(err_desc, CQL_ETYPE, "expected ':' after name");
    }
    return 0;
}

/* Compares a name token with S (LEN), undoing doubled quotes; bare names also fold case. */
static bool
name_matches(const struct tok *name, const char *s, size_t len, bool fold)
{
    size_t j = 0;

    for (size_t i = 0; i < name->len; i++, j++) {
        char a = name->p[i];

        if (j == len) {
            return false;
        }
        if (name->escapes && a == name->quote) {
            i++;
        }
        if (fold ? lower(a) != lower(s[j]) : a != s[j]) {
            return false;
        }
    }
    return j == len;
}

/*
 * One map entry of the long form: {'key': k, 'value': v} in either order. The members are located
 * first, then the key and the value are parsed in that order. An empty {} is no entry.
 */
static int
elem_map_entry(const struct cql_type *t, struct lit *c, int depth, size_t i, struct cql_wr *out,
               const char **err_desc)
{
    struct lit key = { NULL, NULL };
    struct lit value = { NULL, NULL };
    int members = 0;
    int rc;

    (void)i;
    if (!lit_eat(c, '{')) {
        return fail(err_desc, CQL_ETYPE, "expected '{' to open a map entry");
    }
    if (lit_eat(c, '}')) {
        return 1;
    }
    do {
        struct tok name;

        rc = lit_name(c, &name, err_desc);
        if (rc != 0) {
            return rc;
        }
        if (++members > 2) {
            return fail(err_desc, CQL_ETYPE, "Map entry must have exactly 2 elements");
        }
        lit_blanks(c);
        if (name_matches(&name, "key", 3, false) && key.p == NULL) {
            key = *c;
        } else if (name_matches(&name, "value", 5, false) && value.p == NULL) {
            value = *c;
        } else {
            return fail(err_desc, CQL_ETYPE, "Map entry must have exactly 2 elements");
        }
        rc = lit_skip(c, err_desc);
        if (rc != 0) {
            return rc;
        }
    } while (lit_eat(c, ','));
    if (!lit_eat(c, '}')) {
        return fail(err_desc, CQL_ETYPE, "expected '}' to close a map entry");
    }
    if (key.p == NULL) {
        return fail(err_desc, CQL_ETYPE, "Map entry missing key");
    }
    if (value.p == NULL) {
        return fail(err_desc, CQL_ETYPE, "Map entry missing value");
    }
    rc = lit_bytes(t->sub[0], &key, depth, false, out, err_desc);
    if (rc == 0) {
        rc = lit_bytes(t->sub[1], &value, depth, false, out, err_desc);
    }
    return rc;
}

/* The long map form: '[' already consumed; entries counted without the empty ones. */
static int
lit_map_entries(const struct cql_type *t, struct lit *c, int depth, struct cql_wr *out,
                size_t *n, const char **err_desc)
{
    *n = 0;
    if (lit_eat(c, ']')) {
        return 0;
    }
    for (;;) {
        int rc = elem_map_entry(t, c, depth, *n, out, err_desc);

        if (rc < 0) {
            return rc;
        }
        *n += rc == 0 ? 1 : 0;
        if (lit_eat(c, ']')) {
            return 0;
        }
        if (!lit_eat(c, ',')) {
            return fail(err_desc, CQL_ETYPE, "expected ',' between map entries");
        }
    }
}

/* Finds field I of UDT T among the members of the literal at C; sets *AT to its value. */
static int
udt_find(const struct cql_type *t, struct lit c, size_t i, struct lit *at, const char **err_desc)
{
    bool found = false;

    if (lit_eat(&c, '}')) {
        return 0;
    }
    do {
        struct tok name;
        int rc = lit_name(&c, &name, err_desc);
        size_t f;
        bool match = false;

        if (rc != 0) {
            return rc;
        }
        for (f = 0; f < t->n && !match; f++) {
            match = name_matches(&name, t->field_names[f].p, t->field_names[f].len, false);
        }
        if (!match && !name.quoted) {
            for (f = 0; f < t->n && !match; f++) {
                match = name_matches(&name, t->field_names[f].p, t->field_names[f].len, true);
            }
        }
        if (!match) {
            return fail(err_desc, CQL_ETYPE, "unrecognized field");
        }
        lit_blanks(&c);
        if (f - 1 == i) {
            if (found) {
                return fail(err_desc, CQL_ETYPE, "field given more than once");
            }
            found = true;
            *at = c;
        }
        rc = lit_skip(&c, err_desc);
        if (rc != 0) {
            return rc;
        }
    } while (lit_eat(&c, ','));
    if (!lit_eat(&c, '}')) {
        return fail(err_desc, CQL_ETYPE, "expected '}' to close a user type value");
    }
    return found ? 1 : 0;
}

/*
 * A UDT literal: '{' already consumed. Fields are written in their declared order, whatever the
 * order in the text, so each field is looked up among the members; fields not given are null.
 */
static int
lit_udt(const struct cql_type *t, struct lit *c, int depth, struct cql_wr *out,
        const char **err_desc)
{
    struct lit start = *c;
    struct lit at;
    int rc;

    if (t->n == 0) {
        return fail(err_desc, CQL_ETYPE, "user type is not resolved");
    }
    for (size_t i = 0; i < t->n; i++) {
        rc = udt_find(t, start, i, &at, err_desc);
        if (rc < 0) {
            return rc;
        }
        if (rc == 0) {
            cql_wr_int(out, CQL_NULL);
            continue;
        }
        rc = lit_bytes(t->sub[i], &at, depth, true, out, err_desc);
        if (rc != 0) {
            return rc;
        }
    }
    /* Move past the literal (udt_find validated it). */
    c->p = start.p - 1;
    return lit_skip(c, err_desc);
}

/*
 * A list, set or map: an [int] count, patched once the elements are parsed, then the elements.
 * OPEN is the bracket already consumed.
 */
static int
lit_collection(const struct cql_type *t, struct lit *c, int depth, char open, struct cql_wr *out,
               const char **err_desc)
{
    size_t at = out->len;
    size_t n = 0;
    int rc;

    cql_wr_int(out, 0);
    if (t->id != CQL_TYPE_MAP) {
        rc = lit_elements(t, c, depth, open == '[' ? ']' : '}', elem_collection, out, &n,
                          err_desc);
    } else if (open == '{') {
        rc = lit_elements(t, c, depth, '}', elem_map_compact, out, &n, err_desc);
    } else {
        rc = lit_map_entries(t, c, depth, out, &n, err_desc);
    }
    if (rc != 0) {
        return rc;
    }
    if (out->err != 0) {
        return wr_status(out, err_desc);
    }
    if (n > INT32_MAX) {
        return fail(err_desc, CQL_ERANGE, "too many elements");
    }
    cql_wr_patch_int(out, at, (int32_t)n);
    return 0;
}

/* Parses the structured literal of T at C and appends its bytes. */
static int
lit_struct(const struct cql_type *t, struct lit *c, int depth, struct cql_wr *out,
           const char **err_desc)
{
    size_t n = 0;
    char open;
    int rc;

    if (depth > CQL_VALUE_MAX_DEPTH) {
        return fail(err_desc, CQL_ETYPE, "value nested too deeply");
    }
    lit_blanks(c);
    if (c->p == c->end) {
        return fail(err_desc, CQL_ETYPE, "unexpected end of value");
    }
    open = *c->p++;
    switch (t->id) {
    case CQL_TYPE_LIST:
    case CQL_TYPE_SET:
    case CQL_TYPE_MAP:
        if (open != '[' && open != '{') {
            break;
        }
        return lit_collection(t, c, depth, open, out, err_desc);
    case CQL_TYPE_TUPLE:
        if (open != '(') {
            break;
        }
        rc = lit_elements(t, c, depth, ')', elem_tuple, out, &n, err_desc);
        for (; rc == 0 && n < t->n; n++) {
            cql_wr_int(out, CQL_NULL);
        }
        return rc != 0 ? rc : wr_status(out, err_desc);
    case CQL_TYPE_UDT:
        if (open != '{') {
            break;
        }
        return lit_udt(t, c, depth, out, err_desc);
    case CQL_TYPE_VECTOR:
        if (open != '[') {
            break;
        }
        rc = lit_elements(t, c, depth, ']', elem_vector, out, &n, err_desc);
        if (rc == 0 && n != (size_t)t->dim) {
            rc = fail(err_desc, CQL_ETYPE, "vector literal length differs from its dimension");
        }
        return rc != 0 ? rc : wr_status(out, err_desc);
    }
    return fail(err_desc, CQL_ETYPE, "value does not start with the bracket its type needs");
}

int
cql_value_from_text(const struct cql_type *t, const char *s, size_t len, struct cql_wr *out,
                    const char **err_desc)
{
    bool escapes = false;

    /* rest-v2.md 5.1: a value wrapped in single quotes is unquoted first. */
    if (len >= 2 && s[0] == '\'' && s[len - 1] == '\'') {
        s++;
        len -= 2;
        escapes = memchr(s, '\'', len) != NULL;
        if (escapes && (t->id == CQL_TYPE_VARCHAR || t->id == CQL_TYPE_ASCII)) {
            return string_unescape(t->id, s, len, '\'', out, err_desc);
        }
        if (escapes) {
            return fail(err_desc, CQL_ETYPE, "unexpected quote in value");
        }
    }
    if (is_structured(t)) {
        struct lit c = { s, s + len };

        return lit_whole(t, &c, 1, out, err_desc);
    }
    return scalar_from_text(t, s, len, out, err_desc);
}

/* ---- bytes -> JSON: natives ------------------------------------------------------------------ */

/* The serialized size of the fixed-size natives, for length checks; 0 for the others. */
static size_t
native_size(int id)
{
    switch (id) {
    case CQL_TYPE_BOOLEAN:
    case CQL_TYPE_TINYINT:
        return 1;
    case CQL_TYPE_SMALLINT:
        return 2;
    case CQL_TYPE_INT:
    case CQL_TYPE_FLOAT:
    case CQL_TYPE_DATE:
        return 4;
    case CQL_TYPE_BIGINT:
    case CQL_TYPE_COUNTER:
    case CQL_TYPE_DOUBLE:
    case CQL_TYPE_TIMESTAMP:
    case CQL_TYPE_TIME:
        return 8;
    case CQL_TYPE_UUID:
    case CQL_TYPE_TIMEUUID:
        return 16;
    }
    return 0;
}

static void
json_uuid(struct cql_wr *w, const uint8_t *p)
{
    static const char hex[] = "0123456789abcdef";
    char buf[38];
    size_t n = 0;

    buf[n++] = '"';
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            buf[n++] = '-';
        }
        buf[n++] = hex[p[i] >> 4];
        buf[n++] = hex[p[i] & 15];
    }
    buf[n++] = '"';
    cql_wr_raw(w, buf, n);
}

/* A year as java.time prints it: 4 digits, '-' when negative, '+' past 9999. */
static void
json_year(struct cql_wr *w, int64_t y)
{
    if (y > 9999) {
        cql_wr_byte(w, '+');
    } else if (y < 0) {
        cql_wr_byte(w, '-');
        y = -y;
    }
    wr_padded(w, (uint64_t)y, 4);
}

static void
json_date_part(struct cql_wr *w, int64_t days)
{
    int64_t y;
    unsigned m;
    unsigned d;

    civil_from_days(days, &y, &m, &d);
    json_year(w, y);
    cql_wr_byte(w, '-');
    wr_padded(w, m, 2);
    cql_wr_byte(w, '-');
    wr_padded(w, d, 2);
}

/* timestamp: Instant.toString, millisecond precision: 2021-04-23T18:42:22.139Z. */
static void
json_timestamp(struct cql_wr *w, int64_t ms)
{
    int64_t days = floor_div(ms, 86400000);
    int64_t rest = floor_mod(ms, 86400000);

    cql_wr_byte(w, '"');
    json_date_part(w, days);
    cql_wr_byte(w, 'T');
    wr_padded(w, (uint64_t)(rest / 3600000), 2);
    cql_wr_byte(w, ':');
    wr_padded(w, (uint64_t)(rest / 60000 % 60), 2);
    cql_wr_byte(w, ':');
    wr_padded(w, (uint64_t)(rest / 1000 % 60), 2);
    if (rest % 1000 != 0) {
        cql_wr_byte(w, '.');
        wr_padded(w, (uint64_t)(rest % 1000), 3);
    }
    wr_str(w, "Z\"");
}

/* date: YYYY-MM-DD for years 1 to 9999, else the signed day count as a number. */
static void
json_date(struct cql_wr *w, uint32_t raw)
{
    int64_t days = (int64_t)raw - INT64_C(2147483648);

    if (days < days_from_civil(1, 1, 1) || days > days_from_civil(9999, 12, 31)) {
        cql_fmt_int64(w, days);
        return;
    }
    cql_wr_byte(w, '"');
    json_date_part(w, days);
    cql_wr_byte(w, '"');
}

/* time: HH:mm:ss and, when not zero, the fraction without trailing zeros. */
static int
json_time(struct cql_wr *w, int64_t nanos, const char **err_desc)
{
    int64_t frac;
    char digits[9];
    size_t n = 9;

    if (nanos < 0 || nanos >= INT64_C(86400000000000)) {
        return fail(err_desc, CQL_EPROTO, "time value out of range");
    }
    frac = nanos % 1000000000;
    nanos /= 1000000000;
    cql_wr_byte(w, '"');
    wr_padded(w, (uint64_t)(nanos / 3600), 2);
    cql_wr_byte(w, ':');
    wr_padded(w, (uint64_t)(nanos / 60 % 60), 2);
    cql_wr_byte(w, ':');
    wr_padded(w, (uint64_t)(nanos % 60), 2);
    if (frac != 0) {
        for (int i = 8; i >= 0; i--) {
            digits[i] = (char)('0' + frac % 10);
            frac /= 10;
        }
        while (digits[n - 1] == '0') {
            n--;
        }
        cql_wr_byte(w, '.');
        cql_wr_raw(w, digits, n);
    }
    cql_wr_byte(w, '"');
    return 0;
}

/* Appends "<V/DIV><unit>" when V >= DIV and returns the remainder (Duration.toString's append). */
static uint64_t
dur_part(struct cql_wr *w, uint64_t v, uint64_t div, const char *unit)
{
    if (v == 0 || v < div) {
        return v;
    }
    cql_fmt_int64(w, (int64_t)(v / div));
    wr_str(w, unit);
    return v % div;
}

/* duration: three vints (months, days, nanoseconds) of one sign, in Duration.toString form. */
static int
json_duration(struct cql_wr *w, const uint8_t *p, size_t len, const char **err_desc)
{
    struct cql_rd r;
    int64_t months;
    int64_t days;
    int64_t nanos;
    uint64_t v;

    cql_rd_init(&r, p, len);
    months = cql_rd_vint(&r);
    days = cql_rd_vint(&r);
    nanos = cql_rd_vint(&r);
    if (r.err != 0 || cql_rd_left(&r) != 0 || months < INT32_MIN || months > INT32_MAX
        || days < INT32_MIN || days > INT32_MAX) {
        return fail(err_desc, CQL_EPROTO, "malformed duration value");
    }
    if (!((months >= 0 && days >= 0 && nanos >= 0) || (months <= 0 && days <= 0 && nanos <= 0))) {
        return fail(err_desc, CQL_EPROTO, "duration components differ in sign");
    }
    cql_wr_byte(w, '"');
    if (months < 0 || days < 0 || nanos < 0) {
        cql_wr_byte(w, '-');
    }
    v = dur_part(w, (uint64_t)(months < 0 ? -months : months), 12, "y");
    dur_part(w, v, 1, "mo");
    dur_part(w, (uint64_t)(days < 0 ? -days : days), 1, "d");
    v = nanos < 0 ? 0 - (uint64_t)nanos : (uint64_t)nanos;
    v = dur_part(w, v, UINT64_C(3600000000000), "h");
    v = dur_part(w, v, UINT64_C(60000000000), "m");
    v = dur_part(w, v, 1000000000, "s");
    v = dur_part(w, v, 1000000, "ms");
    v = dur_part(w, v, 1000, "us");
    dur_part(w, v, 1, "ns");
    cql_wr_byte(w, '"');
    return 0;
}

/* inet: dotted IPv4; IPv6 as Java prints it (eight hex groups, no compression). */
static int
json_inet(struct cql_wr *w, const uint8_t *p, size_t len, const char **err_desc)
{
    static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    static const char hex[] = "0123456789abcdef";

    if (len == 16 && memcmp(p, mapped, sizeof(mapped)) == 0) {
        p += 12;
        len = 4;
    }
    cql_wr_byte(w, '"');
    if (len == 4) {
        for (int i = 0; i < 4; i++) {
            if (i > 0) {
                cql_wr_byte(w, '.');
            }
            cql_fmt_int64(w, p[i]);
        }
    } else if (len == 16) {
        for (int i = 0; i < 8; i++) {
            unsigned v = cql_be16(p + 2 * i);
            bool started = false;

            if (i > 0) {
                cql_wr_byte(w, ':');
            }
            for (int sh = 12; sh >= 0; sh -= 4) {
                unsigned nib = (v >> sh) & 15;

                if (nib != 0 || started || sh == 0) {
                    cql_wr_byte(w, (uint8_t)hex[nib]);
                    started = true;
                }
            }
        }
    } else {
        return fail(err_desc, CQL_EPROTO, "inet value is neither 4 nor 16 bytes");
    }
    cql_wr_byte(w, '"');
    return 0;
}

static void
json_float(struct cql_wr *w, double v, bool is_float)
{
    bool quote = isnan(v) || isinf(v);

    if (quote) {
        cql_wr_byte(w, '"');
    }
    fmt_java_float(w, v, is_float);
    if (quote) {
        cql_wr_byte(w, '"');
    }
}

/* Renders a native value of LEN > 0 bytes. */
static int
json_native(const struct cql_type *t, const uint8_t *p, size_t len, struct cql_wr *w,
            const char **err_desc)
{
    size_t fixed = native_size(t->id);
    uint64_t u;
    int rc = 0;

    if (fixed != 0 && len != fixed) {
        return fail(err_desc, CQL_EPROTO, "value has the wrong size for its type");
    }
    switch (t->id) {
    case CQL_TYPE_ASCII:
        for (size_t i = 0; i < len; i++) {
            if (p[i] >= 0x80) {
                return fail(err_desc, CQL_EPROTO, "non-ASCII byte in ascii value");
            }
        }
        /* fall through */
    case CQL_TYPE_VARCHAR:
        if (cql_json_string(w, (const char *)p, len) == CQL_EPROTO) {
            return fail(err_desc, CQL_EPROTO, "text value is not valid UTF-8");
        }
        break;
    case CQL_TYPE_BOOLEAN:
        wr_str(w, p[0] != 0 ? "true" : "false");
        break;
    case CQL_TYPE_TINYINT:
        cql_fmt_int64(w, (int8_t)p[0]);
        break;
    case CQL_TYPE_SMALLINT:
        cql_fmt_int64(w, (int16_t)cql_be16(p));
        break;
    case CQL_TYPE_INT:
        cql_fmt_int64(w, (int32_t)cql_be32(p));
        break;
    case CQL_TYPE_BIGINT:
        cql_fmt_int64(w, (int64_t)cql_be64(p));
        break;
    case CQL_TYPE_COUNTER:
        cql_wr_byte(w, '"');
        cql_fmt_int64(w, (int64_t)cql_be64(p));
        cql_wr_byte(w, '"');
        break;
    case CQL_TYPE_VARINT:
        varint_to_decimal(w, p, len);
        break;
    case CQL_TYPE_DECIMAL:
        rc = decimal_to_json(w, p, len, err_desc);
        break;
    case CQL_TYPE_FLOAT: {
        uint32_t bits = cql_be32(p);
        float f;

        memcpy(&f, &bits, sizeof(f));
        json_float(w, f, true);
        break;
    }
    case CQL_TYPE_DOUBLE: {
        double d;

        u = cql_be64(p);
        memcpy(&d, &u, sizeof(d));
        json_float(w, d, false);
        break;
    }
    case CQL_TYPE_UUID:
    case CQL_TYPE_TIMEUUID:
        json_uuid(w, p);
        break;
    case CQL_TYPE_TIMESTAMP:
        json_timestamp(w, (int64_t)cql_be64(p));
        break;
    case CQL_TYPE_DATE:
        json_date(w, cql_be32(p));
        break;
    case CQL_TYPE_TIME:
        rc = json_time(w, (int64_t)cql_be64(p), err_desc);
        break;
    case CQL_TYPE_DURATION:
        rc = json_duration(w, p, len, err_desc);
        break;
    case CQL_TYPE_INET:
        rc = json_inet(w, p, len, err_desc);
        break;
    default:
        cql_wr_byte(w, '"');
        cql_base64_encode(w, p, len);
        cql_wr_byte(w, '"');
        break;
    }
    return rc != 0 ? rc : wr_status(w, err_desc);
}

/* ---- bytes -> JSON: structured values -------------------------------------------------------- */

static int json_value(const struct cql_type *t, const uint8_t *p, int32_t len, unsigned flags,
                      int depth, struct cql_wr *w, const char **err_desc);

/* Reads a [bytes] element; CQL_EPROTO when the value is truncated. */
static int
rd_elem(struct cql_rd *r, struct cql_bytes *b, const char **err_desc)
{
    *b = cql_rd_bytes(r);
    if (r->err != 0) {
        return fail(err_desc, CQL_EPROTO, "truncated element in collection, tuple or UDT");
    }
    return 0;
}

/*
 * A map key as a JSON object key: its rendering when that is a string, otherwise that rendering
 * quoted as a string (123 becomes "123", [1,2] becomes "[1,2]").
 */
static int
json_key(const struct cql_type *t, struct cql_bytes k, unsigned flags, int depth,
         struct cql_wr *w, const char **err_desc)
{
    size_t at = w->len;
    size_t n;
    size_t extra = 2;
    uint8_t *src;
    uint8_t *dst;
    int rc = json_value(t, k.p, k.len, flags, depth, w, err_desc);

    if (rc != 0 || w->p[at] == '"') {
        return rc;
    }
    n = w->len - at;
    for (size_t i = at; i < w->len; i++) {
        extra += w->p[i] == '"' || w->p[i] == '\\' ? 1 : 0;
    }
    if (cql_wr_reserve(w, extra) == NULL) {
        return wr_status(w, err_desc);
    }
    /* Widen in place from the back: closing quote, escaped text, opening quote. */
    src = w->p + at + n;
    dst = w->p + w->len;
    *--dst = '"';
    while (src > w->p + at) {
        uint8_t c = *--src;

        *--dst = c;
        if (c == '"' || c == '\\') {
            *--dst = '\\';
        }
    }
    *--dst = '"';
    return 0;
}

static int
json_collection(const struct cql_type *t, struct cql_rd *r, unsigned flags, int depth,
                struct cql_wr *w, const char **err_desc)
{
    int32_t n = cql_rd_int(r);
    bool is_map = t->id == CQL_TYPE_MAP;
    bool entries = is_map && (flags & CQL_JSON_MAP_ENTRIES) != 0;
    int rc;

    if (r->err != 0 || n < 0) {
        return fail(err_desc, CQL_EPROTO, "missing or negative collection count");
    }
    /* Every element takes at least its 4-byte length: refuse impossible counts up front. */
    if ((uint64_t)n * (is_map ? 8 : 4) > cql_rd_left(r)) {
        return fail(err_desc, CQL_EPROTO, "collection count exceeds the value size");
    }
    cql_wr_byte(w, is_map && !entries ? '{' : '[');
    for (int32_t i = 0; i < n; i++) {
        struct cql_bytes k;
        struct cql_bytes v;

        if (i > 0) {
            cql_wr_byte(w, ',');
        }
        rc = rd_elem(r, &k, err_desc);
        if (rc != 0) {
            return rc;
        }
        if (!is_map) {
            rc = json_value(t->sub[0], k.p, k.len, flags, depth, w, err_desc);
        } else {
            rc = rd_elem(r, &v, err_desc);
            if (rc != 0) {
                return rc;
            }
            if (entries) {
                wr_str(w, "{\"key\":");
                rc = json_value(t->sub[0], k.p, k.len, flags, depth, w, err_desc);
                wr_str(w, ",\"value\":");
            } else {
                rc = json_key(t->sub[0], k, flags, depth, w, err_desc);
                cql_wr_byte(w, ':');
            }
            if (rc == 0) {
                rc = json_value(t->sub[1], v.p, v.len, flags, depth, w, err_desc);
            }
            if (entries) {
                cql_wr_byte(w, '}');
            }
        }
        if (rc != 0) {
            return rc;
        }
    }
    cql_wr_byte(w, is_map && !entries ? '}' : ']');
    return 0;
}

/* Tuples and UDTs: [bytes] per field; fields missing at the end are null (tuple) or omitted. */
static int
json_fields(const struct cql_type *t, struct cql_rd *r, unsigned flags, int depth,
            struct cql_wr *w, const char **err_desc)
{
    bool udt = t->id == CQL_TYPE_UDT;
    int rc;

    if (udt && t->n == 0 && cql_rd_left(r) > 0) {
        return fail(err_desc, CQL_EPROTO, "user type is not resolved");
    }
    cql_wr_byte(w, udt ? '{' : '[');
    for (size_t i = 0; i < t->n; i++) {
        struct cql_bytes b = { NULL, CQL_NULL };

        if (cql_rd_left(r) == 0 && udt) {
            break;
        }
        if (cql_rd_left(r) > 0) {
            rc = rd_elem(r, &b, err_desc);
            if (rc != 0) {
                return rc;
            }
        }
        if (i > 0) {
            cql_wr_byte(w, ',');
        }
        if (udt) {
            rc = cql_json_string(w, t->field_names[i].p, t->field_names[i].len);
            if (rc == CQL_EPROTO) {
                return fail(err_desc, rc, "field name is not valid UTF-8");
            }
            cql_wr_byte(w, ':');
        }
        rc = json_value(t->sub[i], b.p, b.len, flags, depth, w, err_desc);
        if (rc != 0) {
            return rc;
        }
    }
    cql_wr_byte(w, udt ? '}' : ']');
    return 0;
}

/* Vectors: DIM elements, concatenated (fixed size) or each after an [unsigned vint] length. */
static int
json_vector(const struct cql_type *t, struct cql_rd *r, unsigned flags, int depth,
            struct cql_wr *w, const char **err_desc)
{
    int fixed = cql_type_fixed_size(t->sub[0]);
    int rc;

    if (t->dim <= 0) {
        return fail(err_desc, CQL_EPROTO, "vector without a dimension");
    }
    if (fixed > 0 ? (uint64_t)fixed * (uint64_t)t->dim != cql_rd_left(r)
                  : (uint64_t)t->dim > cql_rd_left(r)) {
        return fail(err_desc, CQL_EPROTO, "vector value size does not match its dimension");
    }
    cql_wr_byte(w, '[');
    for (int32_t i = 0; i < t->dim; i++) {
        uint64_t n = fixed >= 0 ? (uint64_t)fixed : cql_rd_uvint(r);
        const uint8_t *e;

        if (r->err != 0 || n > cql_rd_left(r)) {
            return fail(err_desc, CQL_EPROTO, "truncated vector element");
        }
        e = cql_rd_raw(r, (size_t)n);
        if (i > 0) {
            cql_wr_byte(w, ',');
        }
        rc = json_value(t->sub[0], e, (int32_t)n, flags, depth, w, err_desc);
        if (rc != 0) {
            return rc;
        }
    }
    cql_wr_byte(w, ']');
    return 0;
}

static int
json_value(const struct cql_type *t, const uint8_t *p, int32_t len, unsigned flags, int depth,
           struct cql_wr *w, const char **err_desc)
{
    struct cql_rd r;
    int rc;

    if (depth > CQL_VALUE_MAX_DEPTH) {
        return fail(err_desc, CQL_EPROTO, "value nested too deeply");
    }
    if (len < 0) {
        const char *s = "null";

        if ((flags & CQL_JSON_EMPTY_FOR_NULL) != 0) {
            switch (t->id) {
            case CQL_TYPE_LIST:
            case CQL_TYPE_SET:
            case CQL_TYPE_VECTOR:
                s = "[]";
                break;
            case CQL_TYPE_MAP:
                s = (flags & CQL_JSON_MAP_ENTRIES) != 0 ? "[]" : "{}";
                break;
            case CQL_TYPE_UDT:
                s = "{}";
                break;
            }
        }
        wr_str(w, s);
        return wr_status(w, err_desc);
    }
    if (!is_structured(t)) {
        if (len == 0 && t->id != CQL_TYPE_VARCHAR && t->id != CQL_TYPE_ASCII
            && t->id != CQL_TYPE_BLOB && t->id != CQL_TYPE_CUSTOM) {
            wr_str(w, "null");
            return wr_status(w, err_desc);
        }
        return json_native(t, p, (size_t)len, w, err_desc);
    }
    cql_rd_init(&r, p, (size_t)len);
    switch (t->id) {
    case CQL_TYPE_LIST:
    case CQL_TYPE_SET:
    case CQL_TYPE_MAP:
        if (len == 0) {
            wr_str(w, t->id == CQL_TYPE_MAP && (flags & CQL_JSON_MAP_ENTRIES) == 0 ? "{}" : "[]");
            return wr_status(w, err_desc);
        }
        rc = json_collection(t, &r, flags, depth + 1, w, err_desc);
        break;
    case CQL_TYPE_TUPLE:
    case CQL_TYPE_UDT:
        rc = json_fields(t, &r, flags, depth + 1, w, err_desc);
        break;
    default:
        rc = json_vector(t, &r, flags, depth + 1, w, err_desc);
        break;
    }
    if (rc != 0) {
        return rc;
    }
    if (cql_rd_left(&r) != 0) {
        return fail(err_desc, CQL_EPROTO, "trailing bytes after value");
    }
    return wr_status(w, err_desc);
}

int
cql_value_to_json_opts(const struct cql_type *t, const uint8_t *p, int32_t len, unsigned flags,
                       struct cql_wr *out, const char **err_desc)
{
    return json_value(t, p, len, flags, 1, out, err_desc);
}

int
cql_value_to_json(const struct cql_type *t, const uint8_t *p, int32_t len, struct cql_wr *out,
                  const char **err_desc)
{
    return json_value(t, p, len, 0, 1, out, err_desc);
}
