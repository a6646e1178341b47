/* bench_hist.c: the log-linear latency histogram of bench_hist.h. */
#include "bench/bench_hist.h"

#include <string.h>

#define LAST_BUCKET ((uint32_t)BENCH_HIST_BUCKETS - 1)
#define TOP_VALUE   ((uint64_t)1 << BENCH_HIST_MAX_BITS)

void
bench_hist_reset(struct bench_hist *h)
{
    memset(h, 0, sizeof(*h));
    h->min = UINT64_MAX;
}

uint32_t
bench_hist_index(uint64_t v)
{
    uint32_t msb;
    uint32_t shift;

    if (v < 2 * BENCH_HIST_SUB) {
        return (uint32_t)v;
    }
    if (v >= TOP_VALUE) {
        return LAST_BUCKET;
    }
    msb = 63u - (uint32_t)__builtin_clzll(v);
    shift = msb - BENCH_HIST_SUB_BITS;
    return shift * BENCH_HIST_SUB + (uint32_t)(v >> shift);
}

uint64_t
bench_hist_lowest(uint32_t idx)
{
    uint32_t shift;

    if (idx < 2 * BENCH_HIST_SUB) {
        return idx;
    }
    shift = idx / BENCH_HIST_SUB - 1;
    return (uint64_t)(idx - shift * BENCH_HIST_SUB) << shift;
}

/* Buckets are contiguous: each ends right before the next one starts (past the last one too). */
uint64_t
bench_hist_highest(uint32_t idx)
{
    return bench_hist_lowest(idx + 1) - 1;
}

void
bench_hist_record(struct bench_hist *h, uint64_t v)
{
    h->buckets[bench_hist_index(v)]++;
    h->count++;
    h->sum += (double)v;
    if (v < h->min) {
        h->min = v;
    }
    if (v > h->max) {
        h->max = v;
    }
}

void
bench_hist_merge(struct bench_hist *into, const struct bench_hist *from)
{
    for (uint32_t i = 0; i < BENCH_HIST_BUCKETS; i++) {
        into->buckets[i] += from->buckets[i];
    }
    into->count += from->count;
    into->sum += from->sum;
    if (from->min < into->min) {
        into->min = from->min;
    }
    if (from->max > into->max) {
        into->max = from->max;
    }
}

uint64_t
bench_hist_percentile(const struct bench_hist *h, double p)
{
    uint64_t rank;
    uint64_t seen = 0;

    if (h->count == 0) {
        return 0;
    }
    if (p <= 0) {
        return h->min;
    }
    if (p >= 100) {
        return h->max;
    }
    /* The rank of the value asked for, 1-based: ceil(p / 100 * count), at least 1. */
    rank = (uint64_t)(p / 100.0 * (double)h->count);
    if ((double)rank < p / 100.0 * (double)h->count) {
        rank++;
    }
    if (rank == 0) {
        rank = 1;
    }
    for (uint32_t i = 0; i < BENCH_HIST_BUCKETS; i++) {
        uint64_t v;

        seen += h->buckets[i];
        if (seen < rank) {
            continue;
        }
        v = i == LAST_BUCKET ? h->max : bench_hist_highest(i);
        if (v > h->max) {
            v = h->max;
        }
        if (v < h->min) {
            v = h->min;
        }
        return v;
    }
    return h->max;
}

double
bench_hist_mean(const struct bench_hist *h)
{
    return h->count == 0 ? 0 : h->sum / (double)h->count;
}
