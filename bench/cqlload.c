/*
 * cqlload: a CQL load generator on cqlgate's own client layer (src/cass over proto/), the direct
 * baseline that bench/run.py sets beside cqlgate under wrk.
 *
 *   cqlload --scenario NAME [options]
 *
 * It runs the statement a REST v2 call makes, with the same text, consistency and page size, so
 * the only difference from the gateway path is HTTP and JSON:
 *
 *   get            SELECT * FROM "ks"."keyvalue" WHERE "k" = ?             GET .../keyvalue/{k}
 *   insert         INSERT INTO "ks"."keyvalue" ("k", ...) VALUES (?, ...)    POST .../keyvalue
 *   range          SELECT * FROM "ks"."series" WHERE "p" = ? AND "c" >= ? AND "c" < ?
 *                                                                          GET .../series?where=
 *   page           SELECT * FROM "ks"."series" WHERE "p" = ?  (page size 1000)
 *                                                                          GET .../series/{p}
 *   insert-series  INSERT INTO "ks"."series" (...) VALUES (...)            (seeding only)
 *
 * Keys are drawn at random over --keys (--partitions for series), or taken in order with
 * --sequential, which seeds a table: request i writes row i. Reads check the row count they get
 * (1, --range-rows, --page-size), so a bench over missing data fails instead of looking fast.
 *
 * Requests are spread over --connections connections with --concurrency in flight in total; each
 * in-flight slot re-issues as soon as its answer arrives (a closed loop, as wrk runs). Latency is
 * taken per request with uv_hrtime() from the call into cass_query to its completion and counted
 * in a log-linear histogram (bench_hist); nothing is allocated per request here. With --seconds,
 * --warmup seconds run first and are not counted, then every completion inside the measured
 * window counts (as wrk counts); with --requests, every request counts. cqlload's own CPU time
 * over the window, per request, is reported too: the client's share of the machine.
 *
 * Output: one line, `cqlload SCENARIO: N requests in S s, R req/s, p50 ... ms, ...`, or with
 * --json one JSON object with the same figures (latencies and CPU in microseconds).
 * Options:
 *   --host H --port P -u USER -p PASSWORD   where to connect (127.0.0.1:9042, no credentials)
 *   --keyspace KS                           default cqlgate_bench
 *   --protocol 4|5 --compression lz4        as cqlgate's --protocol-version and --compression
 *   --consistency CL                        default LOCAL_QUORUM (what REST v2 uses)
 *   --connections N --concurrency M         default 2 and 64
 *   --seconds S --warmup S | --requests N   default 10 s after 1 s of warm-up
 *   --keys N --partitions N --rows-per-partition N --range-rows N --page-size N
 *                                           100000, 50, 2000, 20, 1000
 *   --sequential                            keys in order (seeding); needs --requests
 *   --timeout MS                            per request (default 10000)
 *   --json                                  print the figures as one JSON object
 *   --print-cql                             print the statement and exit
 * Exit codes: 0 ok, 1 usage or connection failure, 2 some requests failed, 3 unclean shutdown.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <uv.h>

#include "bench/bench_hist.h"
#include "cass/cass_conn.h"
#include "cass/cass_query.h"
#include "core/log.h"
#include "core/util.h"
#include "cql_resp.h"

#define MAX_CONNS   64
#define MAX_CELLS   32
#define VALUES_CAP  2048                /* encoded values of one request; a keyvalue row is ~600 */
#define CQL_CAP     512                 /* statement text */
#define MAX_SHOWN   5                   /* distinct request errors printed to stderr */

/* What the rows hold (bind_insert, bind_insert_series); bench/wrk/post.lua writes the same. */
#define KV_BIO                                                                                     \
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt "   \
    "ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco " \
    "laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure dolor in reprehenderit in "  \
    "voluptate velit esse cillum dolore eu fugiat nulla pariatur."
#define KV_EPOCH_MS INT64_C(1700000000000)

static const char *const kv_cities[8] = {
    "Lisbon", "Nairobi", "Osaka", "Quito", "Tromso", "Adelaide", "Montreal", "Tbilisi",
};

static const char *const series_labels[4] = { "north", "east", "south", "west" };

struct slot;
typedef void (*bind_fn)(struct slot *s, uint64_t n);

/* One scenario: its statement and how a request binds its values. */
struct scenario {
    const char *name;               /* --scenario */
    bool        series;             /* on table series, else on keyvalue */
    const char *cql;                /* text after `<verb> ... "ks"."table"` (see build_cql) */
    bind_fn     bind;               /* encodes the values of request N into the slot */
    int         expect;             /* rows a read returns: EXPECT_* */
};

enum expect {
    EXPECT_NONE = 0,                /* a write: a VOID result */
    EXPECT_ONE,                     /* exactly one row */
    EXPECT_RANGE,                   /* --range-rows rows */
    EXPECT_PAGE,                    /* --page-size rows */
};

/* One request in flight: its statement, its values, and when it was sent. */
struct slot {
    struct cass_query q;            /* the statement */
    struct cql_wr     vals;         /* its [value]s, over buf */
    uint8_t           buf[VALUES_CAP];  /* room for them: no allocation per request */
    uint64_t          sent_ns;      /* uv_hrtime() when issued */
    uint32_t          conn;         /* index into load.conns */
};

/* The whole run: one loop, its connections and slots, the options and the counters. */
struct load {
    uv_loop_t               loop;           /* the only loop */
    uv_timer_t              timer;          /* warm-up end, then run end */
    struct cass_conn       *conns[MAX_CONNS]; /* NULL once closed or lost */
    uint32_t                nconns;         /* --connections */
    uint32_t                nready;         /* handshakes finished */
    struct cass_pcache      cache;          /* shared by every connection (one node) */
    const struct scenario  *sc;             /* --scenario */
    char                    cql[CQL_CAP];   /* the statement text */
    const char             *keyspace;       /* --keyspace */
    struct slot            *slots;          /* --concurrency of them */
    uint32_t                nslots;         /* their number */
    uint16_t                consistency;    /* CQL_CL_* */
    int32_t                 page_size;      /* sent with reads */
    uint64_t                timeout_ms;     /* per request */
    /* what to run */
    double                  seconds;        /* measured time, when requests == 0 */
    double                  warmup;         /* uncounted time before it */
    uint64_t                requests;       /* fixed count instead of a time */
    uint64_t                keys;           /* keyvalue keys */
    uint64_t                partitions;     /* series partitions */
    uint64_t                rows_per_part;  /* series rows per partition */
    uint64_t                range_rows;     /* rows a range read asks for */
    bool                    sequential;     /* request i writes row i */
    uint64_t                rng;            /* xorshift64* state */
    /* progress */
    bool                    measuring;      /* completions are counted */
    bool                    stopping;       /* no new requests */
    bool                    failed;         /* a connection failed or a send failed at once */
    uint64_t                issued;         /* requests started */
    uint64_t                in_flight;      /* requests sent, not yet answered */
    uint64_t                ok;             /* counted completions */
    uint64_t                errors;         /* counted failures */
    uint64_t                rows;           /* rows read by counted completions */
    uint64_t                t0_ns;          /* measurement start */
    uint64_t                t1_ns;          /* measurement end */
    uint64_t                cpu0_us;        /* our user + system CPU time at t0 */
    uint64_t                cpu1_us;        /* and at t1 */
    uint32_t                shown;          /* errors printed */
    int                     shown_codes[MAX_SHOWN]; /* their codes, each printed once */
};

static struct load load;
static struct bench_hist hist;              /* ~35 KiB: static, not on the stack */

/* ---- values ---------------------------------------------------------------------------------- */

static uint64_t
rng_next(void)
{
    uint64_t x = load.rng;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    load.rng = x;
    return x * UINT64_C(2685821657736338717);
}

/* A [value] holding S's LEN bytes. */
static void
put_text(struct cql_wr *w, const char *s, int len)
{
    cql_wr_bytes(w, s, len);
}

static void
put_int(struct cql_wr *w, int32_t v)
{
    cql_wr_int(w, 4);
    cql_wr_int(w, v);
}

static void
put_bigint(struct cql_wr *w, int64_t v)
{
    cql_wr_int(w, 8);
    cql_wr_long(w, v);
}

static void
put_double(struct cql_wr *w, double v)
{
    int64_t bits;

    memcpy(&bits, &v, sizeof(bits));
    put_bigint(w, bits);
}

/* A decimal of UNSCALED / 10^SCALE; UNSCALED is below 2^23, so three varint bytes hold it. */
static void
put_decimal(struct cql_wr *w, int32_t scale, int32_t unscaled)
{
    cql_wr_int(w, 4 + 3);
    cql_wr_int(w, scale);
    cql_wr_byte(w, (uint8_t)(unscaled >> 16));
    cql_wr_byte(w, (uint8_t)(unscaled >> 8));
    cql_wr_byte(w, (uint8_t)unscaled);
}

/* Appends key I as a text [value]: k000042 in keyvalue, p0007 (a partition) in series. */
static void
put_key(struct cql_wr *w, bool series, uint64_t i)
{
    char key[32];

    put_text(w, key, snprintf(key, sizeof(key), series ? "p%04" PRIu64 : "k%06" PRIu64, i));
}

/* A key below BOUND: the request number in sequential mode, else a random one. */
static uint64_t
pick(uint64_t n, uint64_t bound)
{
    return load.sequential ? n % bound : rng_next() % bound;
}

/* get and page: the key alone. */
static void
bind_key(struct slot *s, uint64_t n)
{
    put_key(&s->vals, load.sc->series, pick(n, load.sc->series ? load.partitions : load.keys));
    s->q.params.values.count = 1;
}

/* The 13 values of keyvalue row I, in the column order of bench/wrk/post.lua's body. */
static void
bind_insert(struct slot *s, uint64_t n)
{
    uint64_t i = pick(n, load.keys);
    struct cql_wr *w = &s->vals;
    char text[512];
    uint8_t uuid[16];
    char tag[3][16];
    int len[3];
    size_t off;

    put_key(w, false, i);
    put_text(w, text, snprintf(text, sizeof(text), "user %" PRIu64, i));
    put_text(w, text, snprintf(text, sizeof(text), "user%" PRIu64 "@example.com", i));
    put_text(w, kv_cities[i % 8], (int)strlen(kv_cities[i % 8]));
    put_text(w, text, snprintf(text, sizeof(text), "%s #%" PRIu64, KV_BIO, i));
    put_int(w, (int32_t)(18 + i % 60));
    put_bigint(w, (int64_t)(i * 37));
    put_double(w, (double)(i % 1000) / 8.0);
    cql_wr_int(w, 1);
    cql_wr_byte(w, i % 3 != 0);
    put_bigint(w, KV_EPOCH_MS + (int64_t)i * 1000);
    memset(uuid, 0, sizeof(uuid));
    uuid[6] = 0x40;
    uuid[8] = 0x80;
    for (int b = 0; b < 6; b++) {
        uuid[15 - b] = (uint8_t)(i >> (8 * b));
    }
    cql_wr_int(w, 16);
    cql_wr_uuid(w, uuid);
    put_decimal(w, 2, (int32_t)(i * 7919 % 1000000));
    /* list<text>: [int] n, then n [bytes] (native_protocol_v5.spec, section 6). */
    len[0] = snprintf(tag[0], sizeof(tag[0]), "t%" PRIu64, i % 10);
    len[1] = snprintf(tag[1], sizeof(tag[1]), "t%" PRIu64, i % 7);
    len[2] = snprintf(tag[2], sizeof(tag[2]), "bench");
    off = w->len;
    cql_wr_int(w, 0);
    cql_wr_int(w, 3);
    for (int t = 0; t < 3; t++) {
        put_text(w, tag[t], len[t]);
    }
    cql_wr_patch_int(w, off, (int32_t)(w->len - off - 4));
    s->q.params.values.count = 13;
}

static void
bind_range(struct slot *s, uint64_t n)
{
    uint64_t c0 = rng_next() % (load.rows_per_part - load.range_rows + 1);

    put_key(&s->vals, true, pick(n, load.partitions));
    put_int(&s->vals, (int32_t)c0);
    put_int(&s->vals, (int32_t)(c0 + load.range_rows));
    s->q.params.values.count = 3;
}

/* Series row N of the seeding order: partition N / rows-per-partition, clustering N % that. */
static void
bind_insert_series(struct slot *s, uint64_t n)
{
    uint64_t i = load.sequential ? n : rng_next();
    uint64_t p = i / load.rows_per_part % load.partitions;
    uint64_t c = i % load.rows_per_part;
    struct cql_wr *w = &s->vals;
    char text[128];

    put_key(w, true, p);
    put_int(w, (int32_t)c);
    put_bigint(w, KV_EPOCH_MS + (int64_t)c * 60000);
    put_double(w, (double)c * 0.25);
    put_text(w, series_labels[c % 4], (int)strlen(series_labels[c % 4]));
    put_text(w, text, snprintf(text, sizeof(text), "reading %" PRIu64 " of %s, nominal", c,
                               series_labels[(p + c) % 4]));
    s->q.params.values.count = 6;
}

/* Statement text after the table name; build_cql adds the verb and "ks"."table". */
static const struct scenario scenarios[] = {
    { "get", false, " WHERE \"k\" = ?", bind_key, EXPECT_ONE },
    { "insert", false,
      " (\"k\", \"name\", \"email\", \"city\", \"bio\", \"age\", \"visits\", \"score\", "
      "\"active\", \"created\", \"uid\", \"balance\", \"tags\") VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
      "?, ?, ?, ?, ?)",
      bind_insert, EXPECT_NONE },
    { "range", true, " WHERE \"p\" = ? AND \"c\" >= ? AND \"c\" < ?", bind_range,
      EXPECT_RANGE },
    { "page", true, " WHERE \"p\" = ?", bind_key, EXPECT_PAGE },
    { "insert-series", true,
      " (\"p\", \"c\", \"ts\", \"value\", \"label\", \"payload\") VALUES (?, ?, ?, ?, ?, ?)",
      bind_insert_series, EXPECT_NONE },
};

/* Writes the scenario's statement into load.cql, as REST v2 would write it. */
static int
build_cql(void)
{
    const struct scenario *sc = load.sc;
    int n = snprintf(load.cql, sizeof(load.cql), "%s \"%s\".\"%s\"%s",
                     sc->expect == EXPECT_NONE ? "INSERT INTO" : "SELECT * FROM", load.keyspace,
                     sc->series ? "series" : "keyvalue", sc->cql);

    return n > 0 && (size_t)n < sizeof(load.cql) ? 0 : -1;
}

/* User plus system CPU time of this process, in microseconds. */
static uint64_t
cpu_us(void)
{
    struct rusage ru;

    if (getrusage(RUSAGE_SELF, &ru) != 0) {
        return 0;
    }
    return (uint64_t)ru.ru_utime.tv_sec * 1000000 + (uint64_t)ru.ru_utime.tv_usec
           + (uint64_t)ru.ru_stime.tv_sec * 1000000 + (uint64_t)ru.ru_stime.tv_usec;
}

/* Marks the start and the end of the measured window. */
static void
mark_start(void)
{
    load.t0_ns = uv_hrtime();
    load.cpu0_us = cpu_us();
}

static void
mark_end(void)
{
    load.t1_ns = uv_hrtime();
    load.cpu1_us = cpu_us();
}

/* ---- the run --------------------------------------------------------------------------------- */

static void issue(struct slot *s);
static void finish(void);

/* Prints the first few errors of each kind to stderr; the counts go in the summary. */
static void
show_error(const struct cass_result *res, const char *what)
{
    int code = res->status == E_SERVER ? res->error.code : res->status;

    for (uint32_t i = 0; i < load.shown; i++) {
        if (load.shown_codes[i] == code) {
            return;
        }
    }
    if (load.shown == MAX_SHOWN) {
        return;
    }
    load.shown_codes[load.shown++] = code;
    if (res->status == E_SERVER) {
        fprintf(stderr, "cqlload: %s: %s: %.*s\n", what, cql_errcode_name(res->error.code),
                (int)res->error.message.len, res->error.message.p);
    } else {
        fprintf(stderr, "cqlload: %s: %s\n", what, err_str(res->status));
    }
}

/* The number of rows RES should hold, or -1 for a write. */
static int64_t
expected_rows(void)
{
    switch (load.sc->expect) {
    case EXPECT_ONE:
        return 1;
    case EXPECT_RANGE:
        return (int64_t)load.range_rows;
    case EXPECT_PAGE:
        return load.page_size < (int64_t)load.rows_per_part ? load.page_size
                                                             : (int64_t)load.rows_per_part;
    default:
        return -1;
    }
}

/* Walks every cell of RES's rows; returns the row count, or -1 when they do not decode. */
static int64_t
walk_rows(const struct cass_result *res)
{
    struct cql_bytes cells[MAX_CELLS];
    struct cql_rd r;

    if (res->ncols <= 0 || res->ncols > MAX_CELLS) {
        return -1;
    }
    cql_rd_init(&r, res->result.rows, res->result.rows_len);
    for (int32_t i = 0; i < res->result.rows_count; i++) {
        if (cql_rows_next(&r, res->ncols, cells) != 0) {
            return -1;
        }
    }
    return res->result.rows_count;
}

/* Checks RES against the scenario; on a mismatch reports it as an error and returns false. */
static bool
check_result(const struct cass_result *res, int64_t *rows)
{
    int64_t want = expected_rows();

    *rows = 0;
    if (res->status != 0) {
        show_error(res, load.sc->name);
        return false;
    }
    if (want < 0) {
        return true;
    }
    if (res->result.kind != CQL_RESULT_ROWS) {
        struct cass_result bad = { .status = E_INVALID };

        show_error(&bad, "a read did not answer rows");
        return false;
    }
    *rows = walk_rows(res);
    if (*rows != want) {
        if (load.shown < MAX_SHOWN) {
            fprintf(stderr, "cqlload: %s: %" PRId64 " rows where %" PRId64 " were expected "
                    "(is the keyspace seeded?)\n", load.sc->name, *rows, want);
            load.shown = MAX_SHOWN;
        }
        return false;
    }
    return true;
}

static void
on_done(struct cass_query *q, const struct cass_result *res)
{
    struct slot *s = container_of(q, struct slot, q);
    uint64_t now = uv_hrtime();
    int64_t rows;
    bool ok = check_result(res, &rows);

    cass_query_release(q);
    load.in_flight--;
    if (load.measuring) {
        bench_hist_record(&hist, now - s->sent_ns);
        if (ok) {
            load.ok++;
            load.rows += (uint64_t)rows;
        } else {
            load.errors++;
        }
    }
    if (!load.stopping && (load.requests == 0 || load.issued < load.requests)) {
        issue(s);
    }
    if (load.in_flight == 0 && (load.stopping || load.issued == load.requests)) {
        finish();
    }
}

/* Starts the next request on slot S. A failure to send stops the whole run. */
static void
issue(struct slot *s)
{
    struct cass_conn *c = load.conns[s->conn];
    int rc;

    if (c == NULL) {
        return;
    }
    memset(&s->q, 0, sizeof(s->q));
    s->q.conn = c;
    s->q.cache = &load.cache;
    s->q.cql = load.cql;
    s->q.cql_len = strlen(load.cql);
    s->q.timeout_ms = load.timeout_ms;
    s->q.done_cb = on_done;
    cql_query_params_init(&s->q.params, load.consistency);
    if (load.sc->expect != EXPECT_NONE) {
        s->q.params.page_size = load.page_size;
    }
    cql_wr_init(&s->vals, s->buf, sizeof(s->buf), NULL, NULL);
    load.sc->bind(s, load.issued);
    if (s->vals.err != 0) {
        fprintf(stderr, "cqlload: the values do not fit in %d bytes\n", VALUES_CAP);
        load.failed = true;
        load.stopping = true;
        return;
    }
    s->q.params.values.p = s->vals.p;
    s->q.params.values.len = s->vals.len;
    load.issued++;
    s->sent_ns = uv_hrtime();
    rc = cass_query_run(&s->q);
    if (rc != 0) {
        cass_query_release(&s->q);
        fprintf(stderr, "cqlload: cannot send on %s: %s\n", cass_conn_name(c), err_str(rc));
        load.failed = true;
        load.stopping = true;
        return;
    }
    load.in_flight++;
}

static void
on_closed(struct cass_conn *c, int status)
{
    (void)c;
    (void)status;
}

/* Closes every connection and the timer; the loop then ends. Runs once. */
static void
finish(void)
{
    static bool done;

    if (done) {
        return;
    }
    done = true;
    load.stopping = true;
    if (load.t1_ns == 0) {
        mark_end();
    }
    for (uint32_t i = 0; i < load.nconns; i++) {
        if (load.conns[i] != NULL) {
            cass_conn_close(load.conns[i], on_closed);
            load.conns[i] = NULL;
        }
    }
    uv_close((uv_handle_t *)&load.timer, NULL);
}

static void
on_run_end(uv_timer_t *t)
{
    (void)t;
    mark_end();
    load.measuring = false;
    load.stopping = true;
    if (load.in_flight == 0) {
        finish();
    }
}

static void
on_warm(uv_timer_t *t)
{
    bench_hist_reset(&hist);
    load.ok = 0;
    load.errors = 0;
    load.rows = 0;
    mark_start();
    load.measuring = true;
    uv_timer_start(t, on_run_end, (uint64_t)(load.seconds * 1000), 0);
}

static void
start_slots(void)
{
    if (load.requests > 0) {
        mark_start();
        load.measuring = true;      /* every request counts */
    } else {
        if (load.warmup > 0) {
            uv_timer_start(&load.timer, on_warm, (uint64_t)(load.warmup * 1000), 0);
        } else {
            on_warm(&load.timer);
        }
    }
    for (uint32_t i = 0; i < load.nslots && !load.stopping; i++) {
        if (load.requests == 0 || load.issued < load.requests) {
            issue(&load.slots[i]);
        }
    }
    if (load.in_flight == 0) {
        finish();
    }
}

/* Handshake outcome of each connection, then (STATUS != 0) the loss of a ready one. */
static void
on_conn_state(struct cass_conn *c, int status)
{
    uint32_t i = (uint32_t)(uintptr_t)cass_conn_data(c);

    if (status != 0) {
        fprintf(stderr, "cqlload: %s\n", cass_conn_error(c));
        load.conns[i] = NULL;       /* it frees itself */
        load.failed = true;
        load.stopping = true;
        load.measuring = false;
        if (load.in_flight == 0) {
            finish();
        }
        return;
    }
    if (++load.nready == load.nconns && !load.stopping) {
        start_slots();
    }
}

/* ---- output ---------------------------------------------------------------------------------- */

static double
ms(uint64_t ns)
{
    return (double)ns / 1e6;
}

static void
report(bool json)
{
    double secs = (double)(load.t1_ns - load.t0_ns) / 1e9;
    uint64_t done = load.ok + load.errors;
    double rate = secs > 0 ? (double)done / secs : 0;
    uint64_t p50 = bench_hist_percentile(&hist, 50);
    uint64_t p90 = bench_hist_percentile(&hist, 90);
    uint64_t p99 = bench_hist_percentile(&hist, 99);
    uint64_t max = bench_hist_percentile(&hist, 100);
    double cpu = done > 0 ? (double)(load.cpu1_us - load.cpu0_us) / (double)done : 0;

    if (json) {
        printf("{\"scenario\": \"%s\", \"requests\": %" PRIu64 ", \"errors\": %" PRIu64
               ", \"rows\": %" PRIu64 ", \"seconds\": %.3f, \"rps\": %.1f, \"p50_us\": %.1f"
               ", \"p90_us\": %.1f, \"p99_us\": %.1f, \"max_us\": %.1f, \"mean_us\": %.1f"
               ", \"cpu_us\": %.1f, \"connections\": %u, \"concurrency\": %u, \"cql\": \"",
               load.sc->name, done, load.errors, load.rows, secs, rate, (double)p50 / 1e3,
               (double)p90 / 1e3, (double)p99 / 1e3, (double)max / 1e3,
               bench_hist_mean(&hist) / 1e3, cpu, load.nconns, load.nslots);
        for (const char *p = load.cql; *p != '\0'; p++) {
            if (*p == '"' || *p == '\\') {
                putchar('\\');
            }
            putchar(*p);
        }
        printf("\"}\n");
        return;
    }
    printf("cqlload %s: %" PRIu64 " requests in %.2f s, %.1f req/s, p50 %.3f ms, p90 %.3f ms, "
           "p99 %.3f ms, max %.3f ms, mean %.3f ms, errors %" PRIu64 ", rows %" PRIu64
           ", CPU %.1f us/req; %u in flight on %u connections\n",
           load.sc->name, done, secs, rate, ms(p50), ms(p90), ms(p99), ms(max),
           bench_hist_mean(&hist) / 1e6, load.errors, load.rows, cpu, load.nslots, load.nconns);
}

/* ---- main ------------------------------------------------------------------------------------ */

static void
usage(void)
{
    fputs("usage: cqlload --scenario get|insert|range|page|insert-series [--host H] [--port P]\n"
          "               [-u USER -p PASSWORD] [--keyspace KS] [--protocol 4|5]\n"
          "               [--compression lz4] [--consistency CL] [--connections N]\n"
          "               [--concurrency M] [--seconds S] [--warmup S] [--requests N]\n"
          "               [--keys N] [--partitions N] [--rows-per-partition N]\n"
          "               [--range-rows N] [--page-size N] [--sequential] [--timeout MS]\n"
          "               [--json] [--print-cql]\n",
          stderr);
    exit(1);
}

/* A positive integer option, or usage(). */
static uint64_t
arg_count(const char *s)
{
    char *end = NULL;
    unsigned long long v = strtoull(s, &end, 10);

    if (s[0] == '\0' || s[0] == '-' || *end != '\0' || v == 0 || v > INT32_MAX) {
        usage();
    }
    return v;
}

static double
arg_seconds(const char *s, bool zero_ok)
{
    char *end = NULL;
    double v = strtod(s, &end);

    if (s[0] == '\0' || *end != '\0' || v < 0 || (v == 0 && !zero_ok) || v > 86400) {
        usage();
    }
    return v;
}

static const struct scenario *
scenario_of(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(scenarios); i++) {
        if (strcmp(scenarios[i].name, name) == 0) {
            return &scenarios[i];
        }
    }
    usage();
    return NULL;
}

int
main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "host", required_argument, NULL, 'H' },
        { "port", required_argument, NULL, 'P' },
        { "user", required_argument, NULL, 'u' },
        { "password", required_argument, NULL, 'p' },
        { "keyspace", required_argument, NULL, 'k' },
        { "protocol", required_argument, NULL, 'V' },
        { "compression", required_argument, NULL, 'z' },
        { "consistency", required_argument, NULL, 'c' },
        { "scenario", required_argument, NULL, 's' },
        { "connections", required_argument, NULL, 'C' },
        { "concurrency", required_argument, NULL, 'n' },
        { "seconds", required_argument, NULL, 'd' },
        { "warmup", required_argument, NULL, 'w' },
        { "requests", required_argument, NULL, 'r' },
        { "keys", required_argument, NULL, 'K' },
        { "partitions", required_argument, NULL, 'R' },
        { "rows-per-partition", required_argument, NULL, 'W' },
        { "range-rows", required_argument, NULL, 'g' },
        { "page-size", required_argument, NULL, 'G' },
        { "sequential", no_argument, NULL, 'q' },
        { "timeout", required_argument, NULL, 't' },
        { "json", no_argument, NULL, 'j' },
        { "print-cql", no_argument, NULL, 'x' },
        { NULL, 0, NULL, 0 },
    };
    struct cass_conn_opts opts;
    bool json = false;
    bool print_cql = false;
    int ch;
    int rc;

    memset(&opts, 0, sizeof(opts));
    opts.host = "127.0.0.1";
    opts.port = 9042;
    load.keyspace = "cqlgate_bench";
    load.consistency = CQL_CL_LOCAL_QUORUM;
    load.nconns = 2;
    load.nslots = 64;
    load.seconds = 10;
    load.warmup = 1;
    load.keys = 100000;
    load.partitions = 50;
    load.rows_per_part = 2000;
    load.range_rows = 20;
    load.page_size = 1000;
    load.timeout_ms = 10000;
    log_level_current = LOG_ERROR;
    while ((ch = getopt_long(argc, argv, "H:P:u:p:", longopts, NULL)) != -1) {
        switch (ch) {
        case 'H': opts.host = optarg; break;
        case 'P': opts.port = (int)arg_count(optarg); break;
        case 'u': opts.user = optarg; break;
        case 'p': opts.password = optarg; break;
        case 'k': load.keyspace = optarg; break;
        case 'V': opts.version = (int)arg_count(optarg); break;
        case 'z': opts.lz4 = strcmp(optarg, "lz4") == 0; break;
        case 'c':
            rc = cql_consistency_parse(optarg, strlen(optarg));
            if (rc < 0) {
                usage();
            }
            load.consistency = (uint16_t)rc;
            break;
        case 's': load.sc = scenario_of(optarg); break;
        case 'C': load.nconns = (uint32_t)arg_count(optarg); break;
        case 'n': load.nslots = (uint32_t)arg_count(optarg); break;
        case 'd': load.seconds = arg_seconds(optarg, false); break;
        case 'w': load.warmup = arg_seconds(optarg, true); break;
        case 'r': load.requests = arg_count(optarg); break;
        case 'K': load.keys = arg_count(optarg); break;
        case 'R': load.partitions = arg_count(optarg); break;
        case 'W': load.rows_per_part = arg_count(optarg); break;
        case 'g': load.range_rows = arg_count(optarg); break;
        case 'G': load.page_size = (int32_t)arg_count(optarg); break;
        case 'q': load.sequential = true; break;
        case 't': load.timeout_ms = arg_count(optarg); break;
        case 'j': json = true; break;
        case 'x': print_cql = true; break;
        default: usage();
        }
    }
    if (load.sc == NULL || optind != argc || load.nconns > MAX_CONNS
        || (opts.version != 0 && opts.version != 4 && opts.version != 5)
        || load.range_rows > load.rows_per_part || (load.sequential && load.requests == 0)
        || load.nslots > load.nconns * (CASS_MAX_STREAMS - 1) || build_cql() != 0) {
        usage();
    }
    if (print_cql) {
        printf("%s\n", load.cql);
        return 0;
    }
    if (load.sc->expect == EXPECT_ONE || load.sc->expect == EXPECT_RANGE) {
        load.page_size = 100;       /* REST v2's page size when the request gives none */
    }
    load.rng = (uv_hrtime() ^ (uint64_t)getpid() << 32) | 1;
    opts.connect_timeout_ms = load.timeout_ms;
    bench_hist_reset(&hist);
    load.slots = xcalloc(load.nslots, sizeof(*load.slots));
    for (uint32_t i = 0; i < load.nslots; i++) {
        load.slots[i].conn = i % load.nconns;
    }
    cass_pcache_init(&load.cache, 16);
    ASSERT(uv_loop_init(&load.loop) == 0);
    ASSERT(uv_timer_init(&load.loop, &load.timer) == 0);
    for (uint32_t i = 0; i < load.nconns; i++) {
        load.conns[i] = cass_conn_create(&load.loop, &opts);
        rc = cass_conn_start(load.conns[i], on_conn_state, (void *)(uintptr_t)i);
        if (rc != 0) {
            fprintf(stderr, "cqlload: %s\n", uv_strerror(rc));
            return 1;
        }
    }
    uv_run(&load.loop, UV_RUN_DEFAULT);
    cass_pcache_deinit(&load.cache);
    free(load.slots);
    if (uv_loop_close(&load.loop) != 0) {
        fprintf(stderr, "cqlload: the loop still had handles open at exit\n");
        return 3;
    }
    if (load.failed) {
        return 1;
    }
    report(json);
    return load.errors > 0 ? 2 : 0;
}
