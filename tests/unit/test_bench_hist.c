/*
 * test_bench_hist.c: the log-linear latency histogram of bench/ (bench_hist): bucket arithmetic,
 * percentiles against an exact sort, merging, and the edges (empty, one value, overflow).
 */
#include "test.h"

#include <stdlib.h>

#include "bench/bench_hist.c"

static struct bench_hist h1, h2, h3;        /* ~35 KiB each: not on the stack */

/* A deterministic generator for the random cases. */
static uint64_t
next_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

/* The exact percentile as bench_hist defines it: the ceil(p / 100 * n)-th smallest value. */
static uint64_t
exact_percentile(const uint64_t *sorted, size_t n, double p)
{
    double r = p / 100.0 * (double)n;
    size_t rank = (size_t)r;

    if ((double)rank < r) {
        rank++;
    }
    return sorted[rank == 0 ? 0 : rank - 1];
}

TEST(bench_hist_buckets_are_contiguous_and_narrow)
{
    /* Small values have a bucket each. */
    for (uint64_t v = 0; v < 2 * BENCH_HIST_SUB; v++) {
        UEQ(bench_hist_index(v), v);
        UEQ(bench_hist_lowest((uint32_t)v), v);
        UEQ(bench_hist_highest((uint32_t)v), v);
    }
    /*
     * Every bucket starts right after the previous one ends, and from 128 on it is at most 1/128
     * of its values wide.
     */
    for (uint32_t i = 1; i < BENCH_HIST_BUCKETS; i++) {
        uint64_t lo = bench_hist_lowest(i), hi = bench_hist_highest(i);

        UEQ(lo, bench_hist_highest(i - 1) + 1);
        OK(hi >= lo);
        OK(lo < BENCH_HIST_SUB || (hi - lo + 1) * BENCH_HIST_SUB <= lo);
        UEQ(bench_hist_index(lo), i);
        UEQ(bench_hist_index(hi), i);
    }
    UEQ(bench_hist_highest(BENCH_HIST_BUCKETS - 1), ((uint64_t)1 << BENCH_HIST_MAX_BITS) - 1);
    /* Past the range, everything lands in the last bucket. */
    UEQ(bench_hist_index((uint64_t)1 << BENCH_HIST_MAX_BITS), BENCH_HIST_BUCKETS - 1);
    UEQ(bench_hist_index(UINT64_MAX), BENCH_HIST_BUCKETS - 1);
}

TEST(bench_hist_index_brackets_random_values)
{
    uint64_t s = 0x9e3779b97f4a7c15u;

    for (int i = 0; i < 100000; i++) {
        uint64_t v = next_rand(&s) >> (next_rand(&s) % 64);
        uint32_t idx = bench_hist_index(v);

        OK(idx < BENCH_HIST_BUCKETS);
        if (v < ((uint64_t)1 << BENCH_HIST_MAX_BITS)) {
            OK(bench_hist_lowest(idx) <= v);
            OK(v <= bench_hist_highest(idx));
        }
    }
}

TEST(bench_hist_empty_and_single)
{
    bench_hist_reset(&h1);
    UEQ(bench_hist_percentile(&h1, 50), 0);
    UEQ(bench_hist_percentile(&h1, 100), 0);
    OK(bench_hist_mean(&h1) == 0);

    /* One value: every percentile is that value exactly, though its bucket is wider. */
    bench_hist_record(&h1, 1234567);
    UEQ(h1.count, 1);
    UEQ(bench_hist_percentile(&h1, 0), 1234567);
    UEQ(bench_hist_percentile(&h1, 50), 1234567);
    UEQ(bench_hist_percentile(&h1, 99.9), 1234567);
    UEQ(bench_hist_percentile(&h1, 100), 1234567);
    OK(bench_hist_mean(&h1) == 1234567.0);
}

TEST(bench_hist_uniform_percentiles)
{
    bench_hist_reset(&h1);
    for (uint64_t v = 1; v <= 10000; v++) {
        bench_hist_record(&h1, v);
    }
    UEQ(h1.count, 10000);
    UEQ(h1.min, 1);
    UEQ(h1.max, 10000);
    OK(bench_hist_mean(&h1) == 5000.5);
    /* At most one bucket (1/128) above the exact value, never below it. */
    OK(bench_hist_percentile(&h1, 50) >= 5000);
    OK(bench_hist_percentile(&h1, 50) <= 5000 + 5000 / 128);
    OK(bench_hist_percentile(&h1, 90) >= 9000);
    OK(bench_hist_percentile(&h1, 90) <= 9000 + 9000 / 128);
    OK(bench_hist_percentile(&h1, 99) >= 9900);
    OK(bench_hist_percentile(&h1, 99) <= 9900 + 9900 / 128);
    UEQ(bench_hist_percentile(&h1, 100), 10000);
    UEQ(bench_hist_percentile(&h1, 0), 1);
    /* Exact below 256. */
    UEQ(bench_hist_percentile(&h1, 1), 100);
    UEQ(bench_hist_percentile(&h1, 2.5), 250);
}

TEST(bench_hist_matches_a_sort)
{
    enum { N = 50000 };
    static uint64_t vals[N];
    static const double ps[] = { 0.1, 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99 };
    uint64_t s = 12345;

    bench_hist_reset(&h1);
    /* Log-uniform latencies from 1 us to about 1 s, in ns, like a loaded server's. */
    for (size_t i = 0; i < N; i++) {
        uint64_t v = (next_rand(&s) % 1000 + 1) * 1000;

        v <<= next_rand(&s) % 10;
        vals[i] = v;
        bench_hist_record(&h1, v);
    }
    qsort(vals, N, sizeof(vals[0]), cmp_u64);
    for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
        uint64_t exact = exact_percentile(vals, N, ps[i]);
        uint64_t got = bench_hist_percentile(&h1, ps[i]);

        if (got < exact || got > exact + exact / BENCH_HIST_SUB) {
            test_fail(__FILE__, __LINE__, "p%g: %" PRIu64 ", exact %" PRIu64, ps[i], got, exact);
            return;
        }
    }
    UEQ(bench_hist_percentile(&h1, 100), vals[N - 1]);
    UEQ(h1.min, vals[0]);
}

TEST(bench_hist_merge_equals_one)
{
    uint64_t s = 777;

    bench_hist_reset(&h1);
    bench_hist_reset(&h2);
    bench_hist_reset(&h3);
    for (int i = 0; i < 20000; i++) {
        uint64_t v = next_rand(&s) % 5000000;

        bench_hist_record(i % 3 == 0 ? &h1 : &h2, v);
        bench_hist_record(&h3, v);
    }
    bench_hist_merge(&h1, &h2);
    UEQ(h1.count, h3.count);
    UEQ(h1.min, h3.min);
    UEQ(h1.max, h3.max);
    OK(memcmp(h1.buckets, h3.buckets, sizeof(h1.buckets)) == 0);
    UEQ(bench_hist_percentile(&h1, 99), bench_hist_percentile(&h3, 99));
}

TEST(bench_hist_overflow_reports_the_max)
{
    uint64_t big = (uint64_t)1 << 50;

    bench_hist_reset(&h1);
    bench_hist_record(&h1, 10);
    bench_hist_record(&h1, big);
    UEQ(bench_hist_percentile(&h1, 50), 10);
    UEQ(bench_hist_percentile(&h1, 99), big);
    UEQ(bench_hist_percentile(&h1, 100), big);
    UEQ(h1.buckets[BENCH_HIST_BUCKETS - 1], 1);
}
