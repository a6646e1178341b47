/* test_crc.c: the v5 segment checksums of proto/cql_crc (vectors of the local spec, C.3). */
#include "test.h"

#include "cql_crc.h"

/* CRC24 values travel as 3 little-endian bytes; compare them in wire order. */
static void
le3(uint32_t v, uint8_t out[3])
{
    out[0] = (uint8_t)v;
    out[1] = (uint8_t)(v >> 8);
    out[2] = (uint8_t)(v >> 16);
}

TEST(crc_crc24_spec_vectors)
{
    static const uint8_t self_contained_empty[3] = { 0x00, 0x00, 0x02 };
    static const uint8_t max_not_contained[3] = { 0xff, 0xff, 0x01 };
    static const uint8_t options_header[3] = { 0x09, 0x00, 0x02 };
    uint8_t got[3];

    le3(cql_crc24(self_contained_empty, 3), got);
    MEMEQ(got, 3, "\x6a\x36\xc4", 3);
    le3(cql_crc24(max_not_contained, 3), got);
    MEMEQ(got, 3, "\x38\x91\xfe", 3);
    le3(cql_crc24(options_header, 3), got);
    MEMEQ(got, 3, "\xa4\xc8\xc1", 3);
}

TEST(crc_crc24_stays_24_bits)
{
    uint8_t b[5];

    for (unsigned i = 0; i < 4096; i++) {
        for (int j = 0; j < 5; j++) {
            b[j] = (uint8_t)(i * 2654435761u >> (j * 5));
        }
        OK(cql_crc24(b, 5) <= 0xffffffu);
        OK(cql_crc24(b, 3) <= 0xffffffu);
    }
}

TEST(crc_crc24_detects_every_single_bit_flip)
{
    uint8_t b[5] = { 0x4e, 0x00, 0x02, 0x00, 0x00 };
    uint32_t good = cql_crc24(b, 5);

    for (int bit = 0; bit < 40; bit++) {
        b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        OK(cql_crc24(b, 5) != good);
        b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
}

TEST(crc_crc32_primed_empty_and_options)
{
    static const uint8_t options_v5[9] = { 0x05, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00 };

    UEQ(cql_crc32(NULL, 0), 0x44777ed3u);
    UEQ(cql_crc32(options_v5, sizeof(options_v5)), 0x4d288610u);   /* trailer 10 86 28 4d */
}

TEST(crc_crc32_standard_check_value)
{
    static const uint8_t prime[4] = { 0xfa, 0x2d, 0x55, 0xca };

    /* The CRC-32 catalogue's check value, and the prime constant itself. */
    UEQ(cql_crc32_update(0, (const uint8_t *)"123456789", 9), 0xcbf43926u);
    UEQ(cql_crc32_update(0, prime, 4), CQL_CRC32_PRIMED);
}

TEST(crc_crc32_incremental_matches_one_shot)
{
    uint8_t buf[1000];
    uint32_t whole, parts;

    for (size_t i = 0; i < sizeof(buf); i++) {
        buf[i] = (uint8_t)(i * 7 + 3);
    }
    whole = cql_crc32(buf, sizeof(buf));
    for (size_t cut = 0; cut <= sizeof(buf); cut += 37) {
        parts = cql_crc32_update(cql_crc32(buf, cut), buf + cut, sizeof(buf) - cut);
        UEQ(parts, whole);
    }
}

/* The reflected CRC-32 bit by bit, as the reference for the table-driven one. */
static uint32_t
crc32_bitwise(uint32_t crc, const uint8_t *p, size_t len)
{
    crc = ~crc;
    for (size_t i = 0; i < len; i++) {
        crc ^= p[i];
        for (int b = 0; b < 8; b++) {
            crc = (crc >> 1) ^ ((crc & 1u) != 0 ? 0xedb88320u : 0u);
        }
    }
    return ~crc;
}

/* Every length and alignment around the eight-byte steps, from either starting value. */
TEST(crc_crc32_matches_bitwise_reference)
{
    uint8_t buf[160];
    uint32_t x = 12345;

    for (size_t i = 0; i < sizeof(buf); i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (uint8_t)(x >> 16);
    }
    for (size_t off = 0; off < 8; off++) {
        for (size_t len = 0; len + off <= sizeof(buf); len++) {
            EQ(cql_crc32_update(0, buf + off, len), crc32_bitwise(0, buf + off, len));
            EQ(cql_crc32(buf + off, len), crc32_bitwise(CQL_CRC32_PRIMED, buf + off, len));
        }
    }
}
