/*
 * cql_crc.h: the two checksums of native protocol v5 framing (native_protocol_v5.spec, section 2).
 *
 * A v5 segment carries a CRC24 over its 3- or 5-byte header word and a CRC32 over its payload.
 * Neither is a textbook variant, so both are defined here exactly as Cassandra computes them
 * (org.apache.cassandra.net.Crc): the CRC24 uses Koopman's polynomial with a fixed start value,
 * and the CRC32 is zlib's CRC-32 primed with four extra bytes that the spec text never mentions.
 * Pure functions over byte ranges; part of proto/, so no I/O and no state.
 */
#ifndef CQL_CRC_H
#define CQL_CRC_H

#include <stddef.h>
#include <stdint.h>

#define CQL_CRC24_INIT  0x875060u       /* CRC24 register before the first byte */
#define CQL_CRC24_POLY  0x1974F0Bu      /* CRC24 polynomial, bit 24 included */

/* zlib crc32 of the prime bytes FA 2D 55 CA: the CRC32 of an empty v5 payload. */
#define CQL_CRC32_PRIMED 0x44777ed3u

/*
 * CRC24 of LEN bytes (1 to 8 in practice) taken in the order given, each byte entering the
 * register at bit 16 and the register shifting left: for a segment header pass the 3 or 5 bytes
 * of the little-endian header word exactly as they sit on the wire. Returns a 24-bit value, which
 * the wire carries as 3 little-endian bytes.
 */
uint32_t cql_crc24(const uint8_t *p, size_t len);

/*
 * Standard CRC-32 (IEEE 802.3, reflected, as zlib's crc32() and java.util.zip.CRC32): continues
 * the finished checksum CRC of earlier bytes over LEN more bytes and returns the new finished
 * value. Start from 0 for a plain CRC-32, or from CQL_CRC32_PRIMED for the v5 payload checksum.
 */
uint32_t cql_crc32_update(uint32_t crc, const uint8_t *p, size_t len);

/* The v5 payload checksum of LEN bytes: CRC-32 over FA 2D 55 CA followed by the payload. */
uint32_t cql_crc32(const uint8_t *p, size_t len);

#endif /* CQL_CRC_H */
