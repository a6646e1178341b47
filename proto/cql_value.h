/*
 * cql_value.h: CQL values between their text forms and their wire bytes.
 *
 * A value here is the bytes of a [value] without its length prefix (native_protocol_v5.spec,
 * section 6). Two directions are covered:
 *
 *   text -> bytes   the "stringified" (CQL-literal) form of rest-v2.md, sections 5.1 and 5.2, for
 *                   every type, structured ones included;
 *   bytes -> JSON   the "Output JSON" column of rest-v2.md 5.2 (Stargate v2), written straight into
 *                   a struct cql_wr.
 *
 * Both are pure: no allocation (output and scratch space come from the caller's writer), no I/O.
 * Errors are negative CQL_E* codes with a static description in *err_desc:
 *   CQL_ETYPE   text that does not parse as the type (bad syntax, unknown UDT field, wrong vector
 *               length, an unresolved user type);
 *   CQL_ERANGE  a well-formed number, date or duration outside what the type holds;
 *   CQL_EPROTO  bytes that are not a valid encoding of the type (wrong fixed length, truncated or
 *               oversized collections, trailing bytes, invalid UTF-8);
 *   CQL_ENOSPC  the writer could not grow.
 * On error the writer holds a partial result that the caller drops (reset w->len).
 */
#ifndef CQL_VALUE_H
#define CQL_VALUE_H

#include "cql_type.h"

/* Structured values nested deeper than this are refused, in both directions. */
#define CQL_VALUE_MAX_DEPTH     CQL_TYPE_MAX_DEPTH

/* Longest digit string accepted for varint and decimal text (a guard on quadratic conversion). */
#define CQL_VALUE_MAX_DIGITS    100000

/*
 * Parses S (LEN bytes, no NUL needed) as the stringified form of a value of T and appends the
 * value bytes to OUT. Accepted forms, by type:
 *   ascii, text       the string itself (ascii must be 7-bit, text valid UTF-8)
 *   boolean           true / false, any case
 *   tinyint .. bigint, counter
 *                     [+-]digits, range-checked ("value out of range for int")
 *   varint            [+-]digits of any length
 *   decimal           [+-]digits[.digits][(e|E)[+-]digits], as Java's BigDecimal(String)
 *   float, double     decimal or exponent notation, NaN, Infinity, -Infinity (overflow becomes
 *                     an infinity, as in Java)
 *   uuid, timeuuid    8-4-4-4-12 hex (Java's lenient group widths too); timeuuid must be v1
 *   timestamp         YYYY-MM-DD(T| )HH:mm[:ss[.f{1,9}]] followed by Z, +HH, +HHmm or +HH:mm
 *                     (fraction truncated to milliseconds), or a bare integer of epoch millis
 *   date              [+-]YYYY-MM-DD (proleptic Gregorian; years beyond 4 digits allowed)
 *   time              HH:mm[:ss[.f{1,9}]]
 *   duration          1y2mo3w4d5h6m7s8ms9us10ns (any subset, in this order, optional leading '-'),
 *                     P1Y2M3DT4H5M6S, P2W, P0001-02-03T04:05:06
 *   inet              IPv4 or IPv6 literal (no name lookup; IPv4-mapped IPv6 becomes 4 bytes)
 *   blob              standard Base64 (padding optional), or 0x followed by hex digits
 *   list [a, b]  set {a, b}  map {k: v} or [{'key': k, 'value': v}]  tuple (a, b)
 *   UDT {field: v, 'Field': v}  vector [1.0, 2.0]
 * Inside structured literals an element is a nested literal, a 'quoted' string ('' escapes a
 * quote) or a bare run of [0-9A-Za-z+-._&]; a bare `null` is a null tuple or UDT field. A whole
 * value wrapped in single quotes is unquoted first (rest-v2.md 5.1, quote stripping).
 * Collections encode as [int] count + [bytes] elements, tuples and UDTs as [bytes] per field
 * (missing ones written as null), vectors as concatenated elements, each with an [unsigned vint]
 * length when the element type is variable-size. Returns 0 or a negative CQL_E*.
 */
int cql_value_from_text(const struct cql_type *t, const char *s, size_t len, struct cql_wr *out,
                        const char **err_desc) CQL_MUSTCHECK;

/* Options of cql_value_to_json_opts. */
#define CQL_JSON_MAP_ENTRIES     0x01   /* maps as [{"key":k,"value":v},...], keys typed */
#define CQL_JSON_EMPTY_FOR_NULL  0x02   /* null list/set/vector -> [], map -> {} or [], UDT -> {} */

/*
 * Appends the JSON rendering of value P (LEN bytes; LEN < 0 is null) of type T to OUT:
 *   null                       null (zero-length values of non-string scalar types also render
 *                              null, as the Java driver reads them)
 *   ascii, text                a JSON string (quote, backslash and control characters escaped)
 *   tinyint .. bigint          a number
 *   counter                    a string of the number ("2")
 *   varint, decimal            a number, exact; decimal in Java BigDecimal.toString form (1E+3,
 *                              1.23, 1E-10, 0.000)
 *   float, double              the shortest round-trip digits in Java's Float/Double.toString
 *                              form (1.0, 0.001, 1.0E10, 1.0E-5); NaN, Infinity, -Infinity as
 *                              strings
 *   boolean                    true / false
 *   uuid, timeuuid             lower-case 8-4-4-4-12 string
 *   timestamp                  "2021-04-23T18:42:22.139Z" (Java Instant.toString; no fraction
 *                              when zero; +10000-01-01T00:00:00Z beyond year 9999)
 *   date                       "YYYY-MM-DD" for years 1..9999, else the signed day count since
 *                              1970-01-01 as a number
 *   time                       "HH:mm:ss[.fraction]" without trailing zeros
 *   duration                   "1y2mo14d3h4m5s6ms7us8ns", "-1h30m", "" for zero
 *   inet                       "127.0.0.1"; IPv6 as Java prints it ("0:0:0:0:0:0:0:1"); an
 *                              IPv4-mapped IPv6 address as its IPv4 form
 *   blob, custom               standard Base64 with padding
 *   list, set, vector          an array
 *   map                        an object keyed by the key's text form (for text keys the text;
 *                              otherwise the key's JSON rendering, as a string)
 *   tuple                      an array; missing trailing fields are null
 *   UDT                        an object of the fields present; missing trailing fields omitted
 * Returns 0 or a negative CQL_E* (CQL_EPROTO for malformed bytes).
 */
int cql_value_to_json(const struct cql_type *t, const uint8_t *p, int32_t len, struct cql_wr *out,
                      const char **err_desc) CQL_MUSTCHECK;

/* cql_value_to_json with CQL_JSON_* FLAGS (cql_value_to_json is FLAGS == 0). */
int cql_value_to_json_opts(const struct cql_type *t, const uint8_t *p, int32_t len,
                           unsigned flags, struct cql_wr *out, const char **err_desc)
    CQL_MUSTCHECK;

/*
 * Appends S (LEN bytes) to OUT as a JSON string with quotes, escaping as cql_value_to_json does.
 * Returns 0, CQL_EPROTO when S is not valid UTF-8, or CQL_ENOSPC.
 */
int cql_json_string(struct cql_wr *out, const char *s, size_t len) CQL_MUSTCHECK;

/*
 * Appends the shortest decimal that reads back as V, in Java's Double.toString (or, for
 * cql_fmt_float, Float.toString) form: "1.0", "0.001", "1.0E10", "-1.5E-7", "NaN", "Infinity".
 * Returns the bytes written.
 */
size_t cql_fmt_double(struct cql_wr *out, double v);
size_t cql_fmt_float(struct cql_wr *out, float v);

/* Appends V in decimal; returns the bytes written. */
size_t cql_fmt_int64(struct cql_wr *out, int64_t v);

/* ---- text helpers shared with the JSON layer ------------------------------------------------ */

/*
 * The length of the well-formed UTF-8 sequence at P (1 to 4, at most LEFT bytes), or 0 when it is
 * malformed: overlong forms, surrogates and code points past U+10FFFF are refused (RFC 3629).
 */
size_t cql_utf8_seq(const uint8_t *p, size_t left);

/* True when all LEN bytes at P are well-formed UTF-8. */
bool cql_utf8_valid(const uint8_t *p, size_t len);

/* Appends the padded standard Base64 (RFC 4648) of P, without quotes. */
void cql_base64_encode(struct cql_wr *w, const uint8_t *p, size_t len);

#endif /* CQL_VALUE_H */
