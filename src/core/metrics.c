/*
 * metrics.c: per-thread counter blocks, their registration, and the Prometheus text exposition
 * (see metrics.h for who writes and who reads).
 *
 * The page is built by summing every registered block cell by cell at scrape time; there is no
 * aggregate kept anywhere else. Process metrics come from getrusage, getrlimit and /proc/self
 * (procfs is generated in memory, so reading it does not wait on a disk).
 */
#include "core/metrics.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "cql.h"

/* Status codes outside this range are counted as "other". */
#define STATUS_MIN 100
#define STATUS_MAX 600

/* Indexes of the CQL error codes in CQL_ERRCODE_MAP, then one slot for unknown codes. */
enum {
#define XX(name, val, desc) CQLERR_##name,
    CQL_ERRCODE_MAP(XX)
#undef XX
    CQLERR_UNKNOWN,
    CQLERR_COUNT
};

static const int32_t cqlerr_codes[CQLERR_UNKNOWN] = {
#define XX(name, val, desc) (val),
    CQL_ERRCODE_MAP(XX)
#undef XX
};

/* What metrics_init was given, read-only while blocks exist. */
static struct {
    const char **routes;            /* route names by id; [nroutes] is "unmatched" */
    size_t       nroutes;           /* routes given (the table has one more) */
    const char **methods;           /* method names by index */
    size_t       nmethods;          /* entries in methods */
    int         *statuses;          /* status codes by index; [nstatuses] is "other" */
    size_t       nstatuses;         /* codes given */
    uint16_t     status_index[STATUS_MAX - STATUS_MIN]; /* status code - STATUS_MIN to index */
    double       start_time;        /* process start, seconds since the epoch */
    bool         ready;             /* metrics_init ran */
} g;

static _Atomic(struct metrics *) blocks[METRICS_MAX_BLOCKS];  /* registered blocks, or NULL */
static atomic_size_t             nblocks;                     /* slots claimed in blocks */

static pthread_mutex_t node_lock = PTHREAD_MUTEX_INITIALIZER; /* serialises registration */
static char            node_names[METRICS_MAX_NODES][METRICS_NODE_NAME]; /* by node id */
static atomic_int      nnodes;      /* names published (each written before the count moves) */
static atomic_bool     node_down[METRICS_MAX_NODES]; /* a DOWN event stands, by node id */

_Thread_local struct metrics *metrics__self;

/* Cells of the HTTP families: routes with "unmatched", methods, statuses with "other". */
static size_t
nroutes_all(void)
{
    return g.nroutes + 1;
}

static size_t
nstatuses_all(void)
{
    return g.nstatuses + 1;
}

static size_t
request_cell(size_t route, size_t method, size_t status)
{
    return (route * g.nmethods + method) * nstatuses_all() + status;
}

/* ---- setup ----------------------------------------------------------------------------------- */

static double
wall_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
metrics_init(const struct metrics_labels *l)
{
    ASSERT(!g.ready && l->nmethods > 0);
    g.nroutes = l->nroutes;
    g.routes = xcalloc(l->nroutes + 1, sizeof(*g.routes));
    for (size_t i = 0; i < l->nroutes; i++) {
        g.routes[i] = l->routes[i];
    }
    g.routes[l->nroutes] = "unmatched";
    g.nmethods = l->nmethods;
    g.methods = xcalloc(l->nmethods, sizeof(*g.methods));
    for (size_t i = 0; i < l->nmethods; i++) {
        g.methods[i] = l->methods[i];
    }
    g.nstatuses = l->nstatuses;
    g.statuses = xcalloc(l->nstatuses + 1, sizeof(*g.statuses));
    for (size_t i = 0; i < ARRAY_SIZE(g.status_index); i++) {
        g.status_index[i] = (uint16_t)l->nstatuses;
    }
    for (size_t i = 0; i < l->nstatuses; i++) {
        int s = l->statuses[i];

        ASSERT(s >= STATUS_MIN && s < STATUS_MAX && i < UINT16_MAX);
        g.statuses[i] = s;
        g.status_index[s - STATUS_MIN] = (uint16_t)i;
    }
    g.start_time = wall_seconds();
    g.ready = true;
}

static void
block_free(struct metrics *m)
{
    free(m->cql_errors);
    free(m->requests);
    free(m->hist);
    free(m);
}

void
metrics_deinit(void)
{
    size_t n = atomic_load(&nblocks);

    for (size_t i = 0; i < n && i < METRICS_MAX_BLOCKS; i++) {
        struct metrics *m = atomic_exchange(&blocks[i], NULL);

        if (m != NULL) {
            block_free(m);
        }
    }
    atomic_store(&nblocks, 0);
    free(g.routes);
    free(g.methods);
    free(g.statuses);
    memset(&g, 0, sizeof(g));
    pthread_mutex_lock(&node_lock);
    atomic_store(&nnodes, 0);
    for (int i = 0; i < METRICS_MAX_NODES; i++) {
        atomic_store(&node_down[i], false);
    }
    pthread_mutex_unlock(&node_lock);
    metrics__self = NULL;
}

struct metrics *
metrics_block_create(void)
{
    struct metrics *m;
    size_t slot;

    if (!g.ready) {
        return NULL;
    }
    slot = atomic_fetch_add(&nblocks, 1);
    if (slot >= METRICS_MAX_BLOCKS) {
        return NULL;
    }
    m = xcalloc(1, sizeof(*m));
    m->cql_errors = xcalloc(CQLERR_COUNT, sizeof(*m->cql_errors));
    m->requests = xcalloc(nroutes_all() * g.nmethods * nstatuses_all(), sizeof(*m->requests));
    m->hist = xcalloc(nroutes_all(), sizeof(*m->hist));
    atomic_store_explicit(&blocks[slot], m, memory_order_release);
    return m;
}

void
metrics_set_self(struct metrics *m)
{
    metrics__self = m;
}

int
metrics_node_register(const char *host, int port)
{
    char name[METRICS_NODE_NAME];
    int id = -1;
    int n;

    snprintf(name, sizeof(name), strchr(host, ':') != NULL ? "[%s]:%d" : "%s:%d", host, port);
    pthread_mutex_lock(&node_lock);
    n = atomic_load_explicit(&nnodes, memory_order_relaxed);
    for (int i = 0; i < n; i++) {
        if (strcmp(node_names[i], name) == 0) {
            id = i;
            break;
        }
    }
    if (id < 0 && n < METRICS_MAX_NODES) {
        memcpy(node_names[n], name, sizeof(name));
        atomic_store_explicit(&nnodes, n + 1, memory_order_release);
        id = n;
    }
    pthread_mutex_unlock(&node_lock);
    return id;
}

/* ---- recording ------------------------------------------------------------------------------- */

void
metrics__cql_error(struct metrics *m, int32_t code)
{
    size_t i;

    switch (code) {
#define XX(name, val, desc) case val: i = CQLERR_##name; break;
    CQL_ERRCODE_MAP(XX)
#undef XX
    default:
        i = CQLERR_UNKNOWN;
        break;
    }
    metrics__bump(&m->cql_errors[i], 1);
}

size_t
metrics_bucket_of(uint64_t ns)
{
    static const uint64_t bounds[METRICS_NBUCKETS] = {
#define XX(b, le) (b),
        METRICS_BUCKET_MAP(XX)
#undef XX
    };
    size_t i = 0;

    while (i < METRICS_NBUCKETS && ns > bounds[i]) {
        i++;
    }
    return i;
}

void
metrics__http_request(struct metrics *m, int route, unsigned method, int status,
                      uint64_t start_ns)
{
    uint64_t now = uv_hrtime();
    uint64_t ns = now > start_ns ? now - start_ns : 0;
    size_t r = route >= 0 && (size_t)route < g.nroutes ? (size_t)route : g.nroutes;
    size_t me = method < g.nmethods ? method : g.nmethods - 1;
    size_t s = status >= STATUS_MIN && status < STATUS_MAX ? g.status_index[status - STATUS_MIN]
                                                          : g.nstatuses;
    struct metrics_hist *h = &m->hist[r];

    metrics__bump(&m->requests[request_cell(r, me, s)], 1);
    metrics__bump(&h->bucket[metrics_bucket_of(ns)], 1);
    metrics__bump(&h->sum_ns, ns);
}

/* ---- exposition: writing --------------------------------------------------------------------- */


void
metrics_escape_label(struct cql_wr *w, const char *s)
{
    for (; *s != '\0'; s++) {
        switch (*s) {
        case '\\':
            cql_wr_raw(w, "\\\\", 2);
            break;
        case '"':
            cql_wr_raw(w, "\\\"", 2);
            break;
        case '\n':
            cql_wr_raw(w, "\\n", 2);
            break;
        default:
            cql_wr_byte(w, (uint8_t)*s);
            break;
        }
    }
}

/* The "# HELP" and "# TYPE" lines of a family. */
static void
family(struct cql_wr *w, const char *name, const char *type, const char *help)
{
    util_wr_str(w, "# HELP ");
    util_wr_str(w, name);
    cql_wr_byte(w, ' ');
    util_wr_str(w, help);
    util_wr_str(w, "\n# TYPE ");
    util_wr_str(w, name);
    cql_wr_byte(w, ' ');
    util_wr_str(w, type);
    cql_wr_byte(w, '\n');
}

/* Starts a sample: NAME, then SUFFIX ("" or "_bucket", ...), then '{' when labels follow. */
static void
sample_begin(struct cql_wr *w, const char *name, const char *suffix, bool labels)
{
    util_wr_str(w, name);
    util_wr_str(w, suffix);
    if (labels) {
        cql_wr_byte(w, '{');
    }
}

/* One label KEY="VALUE"; FIRST leaves out the separating comma. */
static void
label(struct cql_wr *w, bool first, const char *key, const char *value)
{
    if (!first) {
        cql_wr_byte(w, ',');
    }
    util_wr_str(w, key);
    util_wr_str(w, "=\"");
    metrics_escape_label(w, value);
    cql_wr_byte(w, '"');
}

/* Ends a sample with its value; LABELS closes the brace first. */
static void
sample_u64(struct cql_wr *w, bool labels, uint64_t v)
{
    util_wr_fmt(w, "%s %llu\n", labels ? "}" : "", (unsigned long long)v);
}

static void
sample_i64(struct cql_wr *w, bool labels, int64_t v)
{
    util_wr_fmt(w, "%s %lld\n", labels ? "}" : "", (long long)v);
}

/* DECIMALS digits after the point: 9 for nanosecond sums, fewer where the source is coarser. */
static void
sample_f64(struct cql_wr *w, bool labels, double v, int decimals)
{
    util_wr_fmt(w, "%s %.*f\n", labels ? "}" : "", decimals, v);
}

/* ---- exposition: summing --------------------------------------------------------------------- */

/* The registered blocks, copied into OUT (METRICS_MAX_BLOCKS slots); returns how many. */
static size_t
snapshot(struct metrics **out)
{
    size_t n = atomic_load_explicit(&nblocks, memory_order_acquire);
    size_t k = 0;

    for (size_t i = 0; i < n && i < METRICS_MAX_BLOCKS; i++) {
        struct metrics *m = atomic_load_explicit(&blocks[i], memory_order_acquire);

        if (m != NULL) {
            out[k++] = m;
        }
    }
    return k;
}

static uint64_t
rd(const _Atomic uint64_t *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

/* What the page is summed from. */
struct scrape {
    struct cql_wr   *w;             /* the page */
    struct metrics **b;             /* the blocks */
    size_t           n;             /* entries in b */
};

static void
render_requests(struct scrape *s, const char *name)
{
    char status[16];

    for (size_t r = 0; r < nroutes_all(); r++) {
        for (size_t me = 0; me < g.nmethods; me++) {
            for (size_t st = 0; st < nstatuses_all(); st++) {
                size_t cell = request_cell(r, me, st);
                uint64_t v = 0;

                for (size_t i = 0; i < s->n; i++) {
                    v += rd(&s->b[i]->requests[cell]);
                }
                if (v == 0) {
                    continue;
                }
                if (st < g.nstatuses) {
                    snprintf(status, sizeof(status), "%d", g.statuses[st]);
                } else {
                    snprintf(status, sizeof(status), "other");
                }
                sample_begin(s->w, name, "", true);
                label(s->w, true, "route", g.routes[r]);
                label(s->w, false, "method", g.methods[me]);
                label(s->w, false, "status", status);
                sample_u64(s->w, true, v);
            }
        }
    }
}

static void
render_duration(struct scrape *s, const char *name)
{
    static const char *const le[METRICS_NBUCKETS] = {
#define XX(b, l) l,
        METRICS_BUCKET_MAP(XX)
#undef XX
    };

    for (size_t r = 0; r < nroutes_all(); r++) {
        uint64_t bucket[METRICS_NBUCKETS + 1] = {0};
        uint64_t sum_ns = 0;
        uint64_t count = 0;

        for (size_t i = 0; i < s->n; i++) {
            const struct metrics_hist *h = &s->b[i]->hist[r];

            for (size_t k = 0; k <= METRICS_NBUCKETS; k++) {
                bucket[k] += rd(&h->bucket[k]);
            }
            sum_ns += rd(&h->sum_ns);
        }
        for (size_t k = 0; k <= METRICS_NBUCKETS; k++) {
            count += bucket[k];
        }
        if (count == 0) {
            continue;
        }
        /* Buckets are cumulative on the page; +Inf and _count come from the same reads. */
        for (size_t k = 0, cum = 0; k <= METRICS_NBUCKETS; k++) {
            cum += bucket[k];
            sample_begin(s->w, name, "_bucket", true);
            label(s->w, true, "route", g.routes[r]);
            label(s->w, false, "le", k < METRICS_NBUCKETS ? le[k] : "+Inf");
            sample_u64(s->w, true, cum);
        }
        sample_begin(s->w, name, "_sum", true);
        label(s->w, true, "route", g.routes[r]);
        sample_f64(s->w, true, (double)sum_ns / 1e9, 9);
        sample_begin(s->w, name, "_count", true);
        label(s->w, true, "route", g.routes[r]);
        sample_u64(s->w, true, count);
    }
}

static void
render_cql_errors(struct scrape *s, const char *name)
{
    char code[16];
    char error[40];

    for (size_t e = 0; e < CQLERR_COUNT; e++) {
        uint64_t v = 0;

        for (size_t i = 0; i < s->n; i++) {
            v += rd(&s->b[i]->cql_errors[e]);
        }
        if (v == 0) {
            continue;
        }
        if (e < CQLERR_UNKNOWN) {
            const char *n = cql_errcode_name(cqlerr_codes[e]);
            size_t k = 0;

            snprintf(code, sizeof(code), "0x%04X", (unsigned)cqlerr_codes[e]);
            for (; n[k] != '\0' && k + 1 < sizeof(error); k++) {
                error[k] = (char)(n[k] >= 'A' && n[k] <= 'Z' ? n[k] - 'A' + 'a' : n[k]);
            }
            error[k] = '\0';
        } else {
            snprintf(code, sizeof(code), "other");
            snprintf(error, sizeof(error), "unknown");
        }
        sample_begin(s->w, name, "", true);
        label(s->w, true, "code", code);
        label(s->w, false, "error", error);
        sample_u64(s->w, true, v);
    }
}

static void
render_transport(struct scrape *s, const char *name)
{
    static const char *const kinds[METRICS_TRANSPORT_COUNT] = {
#define XX(id, l, meaning) l,
        METRICS_TRANSPORT_MAP(XX)
#undef XX
    };

    for (size_t k = 0; k < METRICS_TRANSPORT_COUNT; k++) {
        uint64_t v = 0;

        for (size_t i = 0; i < s->n; i++) {
            v += rd(&s->b[i]->transport[k]);
        }
        if (v == 0) {
            continue;
        }
        sample_begin(s->w, name, "", true);
        label(s->w, true, "kind", kinds[k]);
        sample_u64(s->w, true, v);
    }
}

static void
render_nodes(struct scrape *s, const char *name)
{
    int n = atomic_load_explicit(&nnodes, memory_order_acquire);

    for (int node = 0; node < n; node++) {
        uint64_t v = 0;

        for (size_t i = 0; i < s->n; i++) {
            v += rd(&s->b[i]->node_ready[node]);
        }
        sample_begin(s->w, name, "", true);
        label(s->w, true, "node", node_names[node]);
        label(s->w, false, "state", "ready");
        sample_i64(s->w, true, (int64_t)v);
    }
}

void
metrics_node_set_down(int node, bool down)
{
    if (node >= 0 && node < METRICS_MAX_NODES) {
        atomic_store(&node_down[node], down);
    }
}

/* Ready connections of NODE over every block. */
static int64_t
node_ready_sum(struct scrape *s, int node)
{
    uint64_t v = 0;

    for (size_t i = 0; i < s->n; i++) {
        v += rd(&s->b[i]->node_ready[node]);
    }
    return (int64_t)v;
}

static void
render_node_up(struct scrape *s, const char *name)
{
    int n = atomic_load_explicit(&nnodes, memory_order_acquire);

    for (int node = 0; node < n; node++) {
        bool up = node_ready_sum(s, node) > 0 && !atomic_load(&node_down[node]);

        sample_begin(s->w, name, "", true);
        label(s->w, true, "node", node_names[node]);
        sample_i64(s->w, true, up ? 1 : 0);
    }
}

/* One per-node family of KIND: every registered node, zeros included, so dashboards see them. */
static void
render_node_kind(struct scrape *s, const char *name, enum metrics_node_kind kind, bool gauge)
{
    int n = atomic_load_explicit(&nnodes, memory_order_acquire);

    for (int node = 0; node < n; node++) {
        uint64_t v = 0;

        for (size_t i = 0; i < s->n; i++) {
            v += rd(&s->b[i]->node[kind][node]);
        }
        sample_begin(s->w, name, "", true);
        label(s->w, true, "node", node_names[node]);
        if (gauge) {
            sample_i64(s->w, true, (int64_t)v);
        } else {
            sample_u64(s->w, true, v);
        }
    }
}

static void
render_scalar(struct scrape *s, enum metrics_id id, const char *name, const char *type)
{
    uint64_t v = 0;

    for (size_t i = 0; i < s->n; i++) {
        v += rd(&s->b[i]->scalar[id]);
    }
    sample_begin(s->w, name, "", false);
    if (strcmp(type, "gauge") == 0) {
        sample_i64(s->w, false, (int64_t)v);    /* per-block deltas summed modulo 2^64 */
    } else {
        sample_u64(s->w, false, v);
    }
}

/* ---- exposition: the process ----------------------------------------------------------------- */

/* Virtual and resident size in bytes from /proc/self/statm; false when it cannot be read. */
static bool
read_statm(uint64_t *vsize, uint64_t *rss)
{
    char buf[128];
    unsigned long long pages_v, pages_r;
    long page = sysconf(_SC_PAGESIZE);
    int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0) {
        return false;
    }
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0 || page <= 0) {
        return false;
    }
    buf[n] = '\0';
    if (sscanf(buf, "%llu %llu", &pages_v, &pages_r) != 2) {
        return false;
    }
    *vsize = pages_v * (uint64_t)page;
    *rss = pages_r * (uint64_t)page;
    return true;
}

/* Open descriptors, from /proc/self/fd (not counting the one reading it); -1 when unreadable. */
static long
count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    long n = 0;

    if (d == NULL) {
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] != '.') {
            n++;
        }
    }
    closedir(d);
    return n - 1;
}

static void
render_process(struct cql_wr *w)
{
    struct rusage ru;
    struct rlimit rl;
    uint64_t vsize = 0;
    uint64_t rss = 0;
    bool statm;
    long fds = count_fds();

    family(w, "process_cpu_seconds_total", "counter",
           "Total user and system CPU time spent in seconds.");
    if (getrusage(RUSAGE_SELF, &ru) == 0) {
        double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6
                     + (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;

        sample_begin(w, "process_cpu_seconds_total", "", false);
        sample_f64(w, false, cpu, 6);
    }
    statm = read_statm(&vsize, &rss);
    family(w, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
    if (statm) {
        sample_begin(w, "process_resident_memory_bytes", "", false);
        sample_u64(w, false, rss);
    }
    family(w, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
    if (statm) {
        sample_begin(w, "process_virtual_memory_bytes", "", false);
        sample_u64(w, false, vsize);
    }
    family(w, "process_open_fds", "gauge", "Number of open file descriptors.");
    if (fds >= 0) {
        sample_begin(w, "process_open_fds", "", false);
        sample_i64(w, false, fds);
    }
    family(w, "process_max_fds", "gauge", "Maximum number of open file descriptors.");
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        sample_begin(w, "process_max_fds", "", false);
        sample_u64(w, false, (uint64_t)rl.rlim_cur);
    }
    family(w, "process_start_time_seconds", "gauge",
           "Start time of the process since unix epoch in seconds.");
    sample_begin(w, "process_start_time_seconds", "", false);
    sample_f64(w, false, g.start_time, 3);
}

void
metrics_render(struct cql_wr *w)
{
    static const struct {
        const char *name;           /* family name */
        const char *type;           /* counter, gauge or histogram */
        const char *help;           /* HELP text */
    } fam[METRICS_COUNT] = {
#define XX(id, name, type, help) { name, type, help },
        METRICS_MAP(XX)
#undef XX
    };
    struct metrics *b[METRICS_MAX_BLOCKS];
    struct scrape s = { w, b, snapshot(b) };

    for (int id = 0; id < METRICS_COUNT; id++) {
        const char *name = fam[id].name;

        family(w, name, fam[id].type, fam[id].help);
        switch ((enum metrics_id)id) {
        case METRICS_HTTP_REQUESTS:
            render_requests(&s, name);
            break;
        case METRICS_HTTP_DURATION:
            render_duration(&s, name);
            break;
        case METRICS_CQL_ERRORS:
            render_cql_errors(&s, name);
            break;
        case METRICS_CQL_TRANSPORT_ERRORS:
            render_transport(&s, name);
            break;
        case METRICS_NODE_CONNECTIONS:
            render_nodes(&s, name);
            break;
        case METRICS_NODE_UP:
            render_node_up(&s, name);
            break;
        case METRICS_NODE_REQUESTS:
            render_node_kind(&s, name, METRICS_NK_SENT, false);
            break;
        case METRICS_NODE_IN_FLIGHT:
            render_node_kind(&s, name, METRICS_NK_IN_FLIGHT, true);
            break;
        case METRICS_NODE_ERRORS:
            render_node_kind(&s, name, METRICS_NK_ERRORS, false);
            break;
        case METRICS_NODE_RECONNECTS:
            render_node_kind(&s, name, METRICS_NK_RECONNECTS, false);
            break;
        default:
            render_scalar(&s, (enum metrics_id)id, name, fam[id].type);
            break;
        }
    }
    render_process(w);
}
