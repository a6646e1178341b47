/*
 * bench_hist.h: a log-linear latency histogram for bench/ (HDR-style), fixed size, no allocation.
 *
 * Values (nanoseconds, or any unsigned unit) below 2 * BENCH_HIST_SUB are counted exactly. Above,
 * each power of two [2^k, 2^(k+1)) is split into BENCH_HIST_SUB equal sub-buckets, so a bucket is
 * never wider than 1/BENCH_HIST_SUB of the values it holds (under 0.8 % with 128 sub-buckets).
 * Values of 2^BENCH_HIST_MAX_BITS and more land in the last bucket; the exact minimum and maximum
 * are kept beside the buckets, and percentiles never report past them.
 *
 *     index(v) = v                                    when v < 2 * SUB
 *              = shift * SUB + (v >> shift)            else, shift = msb(v) - log2(SUB)
 *
 * Recording is a count-leading-zeros, a shift and an increment, cheap enough for every request of
 * a load generator. The struct is about 35 KiB: embed it, or put it in static storage.
 */
#ifndef BENCH_HIST_H
#define BENCH_HIST_H

#include <stdint.h>

#define BENCH_HIST_SUB_BITS 7                               /* log2 of the sub-buckets */
#define BENCH_HIST_SUB      (1u << BENCH_HIST_SUB_BITS)     /* sub-buckets per power of two */
#define BENCH_HIST_MAX_BITS 40                              /* exact up to 2^40 (18 minutes in ns) */
#define BENCH_HIST_BUCKETS  ((BENCH_HIST_MAX_BITS - BENCH_HIST_SUB_BITS + 1) * BENCH_HIST_SUB)

struct bench_hist {
    uint64_t count;                         /* values recorded */
    uint64_t min;                           /* smallest value, UINT64_MAX when empty */
    uint64_t max;                           /* largest value, 0 when empty */
    double   sum;                           /* sum of the values, for the mean */
    uint64_t buckets[BENCH_HIST_BUCKETS];   /* counts per bucket */
};

/* Empties H. */
void bench_hist_reset(struct bench_hist *h);

/* Counts V once. */
void bench_hist_record(struct bench_hist *h, uint64_t v);

/* Adds every count of FROM into INTO (for per-thread histograms merged at the end). */
void bench_hist_merge(struct bench_hist *into, const struct bench_hist *from);

/*
 * The value at percentile P (0 to 100): the highest value of the bucket that holds the
 * ceil(P / 100 * count)-th smallest value, clamped to the recorded minimum and maximum, so P 100
 * is the exact maximum and the result is at most one bucket width above the true value. 0 when H
 * is empty.
 */
uint64_t bench_hist_percentile(const struct bench_hist *h, double p);

/* The mean of the values recorded, 0 when H is empty. */
double bench_hist_mean(const struct bench_hist *h);

/* Bucket arithmetic, exposed for the unit tests: V's bucket, and a bucket's lowest/highest value. */
uint32_t bench_hist_index(uint64_t v);
uint64_t bench_hist_lowest(uint32_t idx);
uint64_t bench_hist_highest(uint32_t idx);

#endif /* BENCH_HIST_H */
