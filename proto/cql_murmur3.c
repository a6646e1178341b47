/*
 * cql_murmur3.c: Cassandra's Murmur3 token. This follows utils/MurmurHash.hash3_x64_128 rather
 * than reference MurmurHash3: Java bytes are signed, so in the tail each byte is sign-extended
 * before it is shifted into place. Full 16-byte blocks read bytes unsigned, little-endian.
 */
#include "cql_murmur3.h"

#define C1  UINT64_C(0x87c37b91114253d5)
#define C2  UINT64_C(0x4cf5ad432745937f)

static uint64_t
rotl64(uint64_t v, int n)
{
    return v << n | v >> (64 - n);
}

static uint64_t
fmix64(uint64_t k)
{
    k ^= k >> 33;
    k *= UINT64_C(0xff51afd7ed558ccd);
    k ^= k >> 33;
    k *= UINT64_C(0xc4ceb9fe1a85ec53);
    k ^= k >> 33;
    return k;
}

static uint64_t
le64(const uint8_t *p)
{
    uint64_t v = 0;

    for (int i = 7; i >= 0; i--) {
        v = v << 8 | p[i];
    }
    return v;
}

/* A tail byte as Java sees it: signed, then widened to 64 bits and shifted. */
static uint64_t
tail_byte(const uint8_t *p, size_t i)
{
    return (uint64_t)(int64_t)(int8_t)p[i] << (8 * (i % 8));
}

int64_t
cql_murmur3_token(const uint8_t *key, size_t len)
{
    uint64_t h1 = 0;
    uint64_t h2 = 0;
    uint64_t k1 = 0;
    uint64_t k2 = 0;
    size_t nblocks = len / 16;
    const uint8_t *tail = key + nblocks * 16;
    size_t rest = len & 15;

    if (len == 0) {
        return INT64_MIN;
    }
    for (size_t i = 0; i < nblocks; i++) {
        k1 = le64(key + i * 16);
        k2 = le64(key + i * 16 + 8);

        k1 *= C1;
        k1 = rotl64(k1, 31);
        k1 *= C2;
        h1 ^= k1;
        h1 = rotl64(h1, 27);
        h1 += h2;
        h1 = h1 * 5 + 0x52dce729;

        k2 *= C2;
        k2 = rotl64(k2, 33);
        k2 *= C1;
        h2 ^= k2;
        h2 = rotl64(h2, 31);
        h2 += h1;
        h2 = h2 * 5 + 0x38495ab5;
    }
    k1 = 0;
    k2 = 0;
    for (size_t i = rest; i > 8; i--) {
        k2 ^= tail_byte(tail, i - 1);
    }
    if (rest > 8) {
        k2 *= C2;
        k2 = rotl64(k2, 33);
        k2 *= C1;
        h2 ^= k2;
    }
    for (size_t i = rest < 8 ? rest : 8; i > 0; i--) {
        k1 ^= tail_byte(tail, i - 1);
    }
    if (rest > 0) {
        k1 *= C1;
        k1 = rotl64(k1, 31);
        k1 *= C2;
        h1 ^= k1;
    }
    h1 ^= (uint64_t)len;
    h2 ^= (uint64_t)len;
    h1 += h2;
    h2 += h1;
    h1 = fmix64(h1);
    h2 = fmix64(h2);
    h1 += h2;
    if (h1 == (uint64_t)INT64_MIN) {
        return INT64_MAX;
    }
    return (int64_t)h1;
}

int
cql_routing_key_compose(struct cql_wr *w, const struct cql_bytes *parts, size_t n)
{
    if (n == 0) {
        return CQL_ERANGE;
    }
    for (size_t i = 0; i < n; i++) {
        if (parts[i].len < 0 || (n > 1 && parts[i].len > UINT16_MAX)) {
            return CQL_ERANGE;
        }
    }
    if (n == 1) {
        cql_wr_raw(w, parts[0].p, (size_t)parts[0].len);
        return w->err;
    }
    for (size_t i = 0; i < n; i++) {
        cql_wr_short(w, (uint16_t)parts[i].len);
        cql_wr_raw(w, parts[i].p, (size_t)parts[i].len);
        cql_wr_byte(w, 0);
    }
    return w->err;
}
