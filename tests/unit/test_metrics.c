/*
 * test_metrics.c: per-thread blocks summed by a scrape, histogram bucket edges, label escaping,
 * and the exposition's lines (core/metrics.h). Blocks stand in for two workers on this one
 * thread by switching metrics_set_self between them.
 */
#include "test.h"

#include <ctype.h>
#include <stdlib.h>

#include <uv.h>

#include "core/metrics.h"

static const char *const routes[] = { "rows_get_key", "odd \"route\"\\with\nbreak" };
static const char *const methods[] = { "GET", "POST", "OTHER" };
static const int statuses[] = { 200, 404, 503 };

/* A fresh metrics state with the labels above; whatever an earlier failed test left is gone. */
static void
setup(void)
{
    struct metrics_labels l = {
        .routes = routes, .nroutes = ARRAY_SIZE(routes),
        .methods = methods, .nmethods = ARRAY_SIZE(methods),
        .statuses = statuses, .nstatuses = ARRAY_SIZE(statuses),
    };

    metrics_deinit();
    metrics_init(&l);
}

/* The page as a NUL-terminated malloc'd string. */
static char *
render(void)
{
    struct cql_wr w;

    cql_wr_init(&w, NULL, 0, test_grow, NULL);
    metrics_render(&w);
    cql_wr_byte(&w, '\0');
    return w.err == 0 ? (char *)w.p : NULL;
}

/* True when PAGE holds LINE as a whole line. */
static bool
has_line(const char *page, const char *line)
{
    size_t n = strlen(line);

    for (const char *p = page; (p = strstr(p, line)) != NULL; p++) {
        if ((p == page || p[-1] == '\n') && p[n] == '\n') {
            return true;
        }
    }
    return false;
}

TEST(metrics_no_block_is_a_noop)
{
    char *page;

    setup();
    OK(metrics_self() == NULL);
    metrics_add(METRICS_CQL_REQUESTS, 5);
    metrics_transport_error(METRICS_TRANSPORT_TIMEOUT);
    metrics_cql_error(CQL_ERRCODE_INVALID);
    metrics_http_request(0, 0, 200, 0);
    metrics_node_ready(0, 1);
    page = render();
    OK(page != NULL);
    OK(has_line(page, "cqlgate_cql_requests_total 0"));
    OK(strstr(page, "cqlgate_cql_transport_errors_total{") == NULL);
    OK(strstr(page, "cqlgate_cql_errors_total{") == NULL);
    OK(strstr(page, "cqlgate_http_requests_total{") == NULL);
    free(page);
    metrics_deinit();
}

TEST(metrics_blocks_are_summed)
{
    struct metrics *a, *b;
    int node;
    char *page;

    setup();
    a = metrics_block_create();
    b = metrics_block_create();
    OK(a != NULL && b != NULL && a != b);
    node = metrics_node_register("10.0.0.7", 9042);
    OK(node >= 0);
    EQ(metrics_node_register("10.0.0.7", 9042), node);
    OK(metrics_node_register("::1", 9043) != node);

    metrics_set_self(a);
    metrics_add(METRICS_CQL_REQUESTS, 3);
    metrics_add(METRICS_CQL_IN_FLIGHT, 2);
    metrics_add(METRICS_HTTP_OPEN, 1);
    metrics_cql_error(CQL_ERRCODE_INVALID);
    metrics_cql_error(0x7777);
    metrics_transport_error(METRICS_TRANSPORT_TIMEOUT);
    metrics_http_request(0, 0, 200, UINT64_MAX);
    metrics_http_request(0, 0, 200, UINT64_MAX);
    metrics_http_request(-1, 1, 404, UINT64_MAX);
    metrics_node_ready(node, 1);

    metrics_set_self(b);
    metrics_add(METRICS_CQL_REQUESTS, 4);
    metrics_add(METRICS_CQL_IN_FLIGHT, 1);
    metrics_add(METRICS_CQL_IN_FLIGHT, -3);   /* b alone goes below zero; the sum does not */
    metrics_cql_error(CQL_ERRCODE_INVALID);
    metrics_cql_error(CQL_ERRCODE_PROTOCOL_ERROR);
    metrics_transport_error(METRICS_TRANSPORT_TIMEOUT);
    metrics_transport_error(METRICS_TRANSPORT_CLOSED);
    metrics_http_request(0, 0, 200, UINT64_MAX);
    metrics_http_request(0, 0, 503, UINT64_MAX);
    metrics_http_request(0, 7, 299, UINT64_MAX);  /* method beyond the labels: the last one */
    metrics_http_request(5, 1, 404, UINT64_MAX);  /* an id beyond the routes: unmatched */
    metrics_node_ready(node, 1);
    metrics_node_ready(-1, 1);
    metrics_set_self(NULL);

    page = render();
    OK(page != NULL);
    OK(has_line(page, "cqlgate_cql_requests_total 7"));
    OK(has_line(page, "cqlgate_cql_requests_in_flight 0"));
    OK(has_line(page, "cqlgate_http_connections_open 1"));
    OK(has_line(page, "cqlgate_http_connections_accepted_total 0"));
    OK(has_line(page, "cqlgate_cql_errors_total{code=\"0x2200\",error=\"invalid\"} 2"));
    OK(has_line(page, "cqlgate_cql_errors_total{code=\"0x000A\",error=\"protocol_error\"} 1"));
    OK(has_line(page, "cqlgate_cql_errors_total{code=\"other\",error=\"unknown\"} 1"));
    OK(strstr(page, "error=\"unavailable\"") == NULL);
    OK(has_line(page, "cqlgate_cql_transport_errors_total{kind=\"timeout\"} 2"));
    OK(has_line(page, "cqlgate_cql_transport_errors_total{kind=\"closed\"} 1"));
    OK(strstr(page, "kind=\"busy\"") == NULL);
    OK(has_line(page, "cqlgate_http_requests_total{route=\"rows_get_key\",method=\"GET\","
                      "status=\"200\"} 3"));
    OK(has_line(page, "cqlgate_http_requests_total{route=\"rows_get_key\",method=\"GET\","
                      "status=\"503\"} 1"));
    OK(has_line(page, "cqlgate_http_requests_total{route=\"rows_get_key\",method=\"OTHER\","
                      "status=\"other\"} 1"));
    OK(has_line(page, "cqlgate_http_requests_total{route=\"unmatched\",method=\"POST\","
                      "status=\"404\"} 2"));
    OK(strstr(page, "status=\"404\"} 1") == NULL);
    OK(has_line(page, "cqlgate_http_request_duration_seconds_count{route=\"rows_get_key\"} 5"));
    OK(has_line(page, "cqlgate_http_request_duration_seconds_count{route=\"unmatched\"} 2"));
    OK(has_line(page, "cqlgate_node_connections{node=\"10.0.0.7:9042\",state=\"ready\"} 2"));
    OK(has_line(page, "cqlgate_node_connections{node=\"[::1]:9043\",state=\"ready\"} 0"));
    free(page);
    metrics_deinit();
}

TEST(metrics_bucket_edges)
{
    /* A bucket holds latencies up to and including its bound (Prometheus `le`). */
    UEQ(metrics_bucket_of(0), 0);
    UEQ(metrics_bucket_of(500000), 0);
    UEQ(metrics_bucket_of(500001), 1);
    UEQ(metrics_bucket_of(1000000), 1);
    UEQ(metrics_bucket_of(1000001), 2);
    UEQ(metrics_bucket_of(2500000), 2);
    UEQ(metrics_bucket_of(999999999), 10);
    UEQ(metrics_bucket_of(1000000000), 10);
    UEQ(metrics_bucket_of(10000000000ULL), METRICS_NBUCKETS - 1);
    UEQ(metrics_bucket_of(10000000001ULL), METRICS_NBUCKETS);
    UEQ(metrics_bucket_of(UINT64_MAX), METRICS_NBUCKETS);
}

TEST(metrics_histogram_lines)
{
    struct metrics *a;
    char *page;
    double sum;
    const char *p;

    setup();
    a = metrics_block_create();
    OK(a != NULL);
    metrics_set_self(a);
    metrics_http_request(0, 0, 200, UINT64_MAX);              /* answered "before" it began: 0 */
    metrics_http_request(0, 0, 200, uv_hrtime() - 20000000000ULL);    /* 20 s old */
    metrics_set_self(NULL);
    page = render();
    OK(page != NULL);
    OK(has_line(page, "cqlgate_http_request_duration_seconds_bucket{route=\"rows_get_key\","
                      "le=\"0.0005\"} 1"));
    OK(has_line(page, "cqlgate_http_request_duration_seconds_bucket{route=\"rows_get_key\","
                      "le=\"10\"} 1"));
    OK(has_line(page, "cqlgate_http_request_duration_seconds_bucket{route=\"rows_get_key\","
                      "le=\"+Inf\"} 2"));
    OK(has_line(page, "cqlgate_http_request_duration_seconds_count{route=\"rows_get_key\"} 2"));
    p = strstr(page, "cqlgate_http_request_duration_seconds_sum{route=\"rows_get_key\"} ");
    OK(p != NULL);
    sum = strtod(strchr(p, '}') + 2, NULL);
    OK(sum >= 20.0 && sum < 25.0);
    /* No other route has a histogram. */
    OK(strstr(page, "duration_seconds_count{route=\"unmatched\"}") == NULL);
    free(page);
    metrics_deinit();
}

TEST(metrics_label_escaping)
{
    struct cql_wr w;
    struct metrics *a;
    char *page;

    cql_wr_init(&w, NULL, 0, test_grow, NULL);
    metrics_escape_label(&w, "plain a\"b\\c\nd \xc3\xa9");
    SLICEEQ(w.p, w.len, "plain a\\\"b\\\\c\\nd \xc3\xa9");
    free(w.p);

    setup();
    a = metrics_block_create();
    OK(a != NULL);
    metrics_set_self(a);
    metrics_http_request(1, 1, 404, UINT64_MAX);
    metrics_set_self(NULL);
    page = render();
    OK(page != NULL);
    OK(has_line(page, "cqlgate_http_requests_total{route=\"odd \\\"route\\\"\\\\with\\nbreak\","
                      "method=\"POST\",status=\"404\"} 1"));
    free(page);
    metrics_deinit();
}

/* ---- the exposition format ------------------------------------------------------------------- */

/* A metric name: [a-zA-Z_:][a-zA-Z0-9_:]*; returns its length, 0 when there is none. */
static size_t
name_len(const char *p)
{
    size_t n = 0;

    if (!(isalpha((unsigned char)p[0]) || p[0] == '_' || p[0] == ':')) {
        return 0;
    }
    while (isalnum((unsigned char)p[n]) || p[n] == '_' || p[n] == ':') {
        n++;
    }
    return n;
}

/* Skips a label set `{k="v",...}` at P; returns the end, or NULL when malformed. */
static const char *
skip_labels(const char *p)
{
    if (*p != '{') {
        return p;
    }
    p++;
    while (*p != '}') {
        size_t n = name_len(p);

        if (n == 0 || p[n] != '=' || p[n + 1] != '"') {
            return NULL;
        }
        for (p += n + 2; *p != '"'; p++) {
            if (*p == '\0' || *p == '\n') {
                return NULL;
            }
            if (*p == '\\') {
                if (p[1] != '\\' && p[1] != '"' && p[1] != 'n') {
                    return NULL;
                }
                p++;
            }
        }
        p++;
        if (*p == ',') {
            p++;
        } else if (*p != '}') {
            return NULL;
        }
    }
    return p + 1;
}

/*
 * Checks PAGE line by line: HELP then TYPE for each family, each family once, every sample named
 * after the family last TYPE'd (with _bucket, _sum or _count for a histogram), labels well
 * formed, the value a number. Returns the number of the first bad line, or 0.
 */
static int
check_page(const char *page)
{
    char family[128] = "";
    char type[16] = "";
    char seen[4096] = " ";
    int lineno = 0;

    for (const char *p = page; *p != '\0';) {
        const char *end = strchr(p, '\n');
        char line[512];
        size_t len;

        lineno++;
        if (end == NULL || (size_t)(end - p) >= sizeof(line)) {
            return lineno;                              /* the page ends with a newline */
        }
        len = (size_t)(end - p);
        memcpy(line, p, len);
        line[len] = '\0';
        p = end + 1;
        if (strncmp(line, "# HELP ", 7) == 0) {
            size_t n = name_len(line + 7);
            char key[140];

            if (n == 0 || n >= sizeof(family) || line[7 + n] != ' ') {
                return lineno;
            }
            snprintf(key, sizeof(key), " %.*s ", (int)n, line + 7);
            if (strstr(seen, key) != NULL || strlen(seen) + strlen(key) >= sizeof(seen)) {
                return lineno;                          /* a family appears once */
            }
            strcat(seen, key + 1);
            memcpy(family, line + 7, n);
            family[n] = '\0';
            type[0] = '\0';
            continue;
        }
        if (strncmp(line, "# TYPE ", 7) == 0) {
            size_t n = strlen(family);

            if (strncmp(line + 7, family, n) != 0 || line[7 + n] != ' ' || type[0] != '\0') {
                return lineno;
            }
            snprintf(type, sizeof(type), "%s", line + 8 + n);
            if (strcmp(type, "counter") != 0 && strcmp(type, "gauge") != 0
                && strcmp(type, "histogram") != 0) {
                return lineno;
            }
            continue;
        }
        {
            size_t n = name_len(line);
            size_t f = strlen(family);
            const char *rest;
            char *num_end;

            if (n == 0 || type[0] == '\0' || n < f || strncmp(line, family, f) != 0) {
                return lineno;
            }
            if (n > f && !(strcmp(type, "histogram") == 0
                           && ((n - f == 7 && strncmp(line + f, "_bucket", 7) == 0)
                               || (n - f == 4 && strncmp(line + f, "_sum", 4) == 0)
                               || (n - f == 6 && strncmp(line + f, "_count", 6) == 0)))) {
                return lineno;
            }
            rest = skip_labels(line + n);
            if (rest == NULL || *rest != ' ') {
                return lineno;
            }
            strtod(rest + 1, &num_end);
            if (num_end == rest + 1 || *num_end != '\0') {
                return lineno;
            }
        }
    }
    return 0;
}

TEST(metrics_exposition_lines)
{
    struct metrics *a;
    char *page;

    setup();
    a = metrics_block_create();
    OK(a != NULL);
    OK(metrics_node_register("cassandra", 9042) >= 0);
    metrics_set_self(a);
    metrics_http_request(0, 0, 200, UINT64_MAX);
    metrics_http_request(1, 2, 503, UINT64_MAX);
    metrics_cql_error(CQL_ERRCODE_READ_TIMEOUT);
    metrics_transport_error(METRICS_TRANSPORT_CONNECT);
    metrics_add(METRICS_HTTP_ACCEPTED, 1);
    metrics_set_self(NULL);
    page = render();
    OK(page != NULL);
    EQ(check_page(page), 0);
    /* Every family of the table has its HELP and TYPE, the process ones too. */
#define XX(id, name, type, help)                                                                   \
    OK(has_line(page, "# HELP " name " " help));                                                   \
    OK(has_line(page, "# TYPE " name " " type));
    METRICS_MAP(XX)
#undef XX
    OK(has_line(page, "# TYPE process_cpu_seconds_total counter"));
    OK(has_line(page, "# TYPE process_resident_memory_bytes gauge"));
    OK(has_line(page, "# TYPE process_open_fds gauge"));
    OK(has_line(page, "# TYPE process_start_time_seconds gauge"));
    OK(strstr(page, "\nprocess_resident_memory_bytes ") != NULL);
    OK(strstr(page, "\nprocess_open_fds ") != NULL);
    OK(has_line(page, "cqlgate_cql_errors_total{code=\"0x1200\",error=\"read_timeout\"} 1"));
    OK(has_line(page, "cqlgate_node_connections{node=\"cassandra:9042\",state=\"ready\"} 0"));

    /* The checker itself refuses what breaks the format. */
    OK(check_page("# HELP a x\n# TYPE a counter\na 1\n") == 0);
    OK(check_page("# HELP a x\n# TYPE a counter\nb 1\n") == 3);
    OK(check_page("# HELP a x\n# TYPE a counter\na one\n") == 3);
    OK(check_page("# HELP a x\n# TYPE a counter\na{l=\"v} 1\n") == 3);
    OK(check_page("# HELP a x\n# TYPE a counter\na_sum 1\n") == 3);
    OK(check_page("# HELP a x\n# TYPE a counter\n# HELP a x\n") == 3);
    OK(check_page("# HELP a x\n# TYPE a counter\na 1") == 3);
    free(page);
    metrics_deinit();
}
