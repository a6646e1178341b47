/*
 * fuzz_json.h: a strict RFC 8259 check of one JSON value, so the drivers can hold every rendering
 * of proto/cql_value.c to producing well-formed JSON (valid UTF-8 in strings, no stray bytes).
 */
#ifndef FUZZ_JSON_H
#define FUZZ_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True when P (LEN bytes) is exactly one JSON value, optionally surrounded by whitespace. */
bool fz_json_valid(const uint8_t *p, size_t len);

#endif /* FUZZ_JSON_H */
