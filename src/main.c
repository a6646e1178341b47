/*
 * main.c: cqlgate's entry point. Loads the configuration (defaults, CQLGATE_* environment,
 * flags), builds the route table, and runs the worker threads until SIGTERM or SIGINT.
 *
 * Start order: configuration -> logging -> routes (the API layer's, then the operational ones
 * below) -> workers (each binds its listeners, runs the init hook, then its loop). Stop order is
 * described in http/http_server.h. Exit status: 0 after a clean stop or --help, 1 when a
 * listener cannot be bound, 2 for an invalid configuration, 3 when a loop did not close cleanly.
 */
#include <signal.h>
#include <stdio.h>

#include "core/conf.h"
#include "core/log.h"
#include "core/metrics.h"
#include "http/http_msg.h"
#include "http/http_server.h"
#include "http/router.h"

/*
 * The API layer's registration point, implemented in src/api. It is called once on the main
 * thread, after the configuration is loaded and before any worker starts, and adds the REST,
 * auth and document routes to R. It is also where the API layer installs its per-worker
 * state and readiness with http_server_set_hooks and http_server_set_ready_cb. Its routes are
 * added before the operational ones below, so an API route with the same template wins.
 * Optional routes (--cql-endpoint) are added only when CONF enables them.
 *
 * The reference is weak and the Makefile links src/api's objects into the binary directly: the
 * binary picks up src/api's definition when there is one, and serves only the operational routes
 * when there is none.
 */
extern void api_register_routes(struct router *r, const struct conf *conf) __attribute__((weak));

/* ---- operational routes (spec/rest-v2.md, section 8) ----------------------------------------- */

/* GET /checker/liveness: the process is up. */
static void
on_liveness(struct http_req *req)
{
    http_respond(req, 200, HTTP_TEXT, "UP", 2);
}

/* GET /health: Stargate's REST service answers a bare UP labelled as JSON; so do we. */
static void
on_health(struct http_req *req)
{
    http_respond(req, 200, HTTP_JSON, "UP", 2);
}

/* GET /checker/readiness: READY once the API layer's readiness callback says so. */
static void
on_readiness(struct http_req *req)
{
    if (http_server_ready()) {
        http_respond(req, 200, HTTP_TEXT, "READY", 5);
    } else {
        http_respond(req, 503, HTTP_TEXT, "NOT READY", 9);
    }
}

/*
 * GET /stargate/health and /stargate/health/ready: SmallRye Health's JSON, UP once the gateway is
 * ready (Cassandra connected, schema loaded), else 503 DOWN. /stargate/health/live is UP while the
 * process answers.
 */
static void
on_stargate_health(struct http_req *req)
{
    static const char up[] =
        "{\"status\":\"UP\",\"checks\":[{\"name\":\"cassandra\",\"status\":\"UP\"}]}";
    static const char down[] =
        "{\"status\":\"DOWN\",\"checks\":[{\"name\":\"cassandra\",\"status\":\"DOWN\"}]}";

    if (http_server_ready()) {
        http_respond(req, 200, HTTP_JSON, up, sizeof(up) - 1);
    } else {
        http_respond(req, 503, HTTP_JSON, down, sizeof(down) - 1);
    }
}

static void
on_stargate_live(struct http_req *req)
{
    static const char up[] = "{\"status\":\"UP\",\"checks\":[]}";

    http_respond(req, 200, HTTP_JSON, up, sizeof(up) - 1);
}

/* GET /metrics: every counter in Prometheus text format, no token needed (core/metrics.h). */
static void
on_metrics(struct http_req *req)
{
    struct cql_wr w;

    cql_wr_init(&w, NULL, 0, arena_wr_grow, &req->arena);
    metrics_render(&w);
    if (w.err != 0) {
        http_respond_error(req, 500, "Internal error: the metrics page could not be built", NULL);
        return;
    }
    http_respond(req, 200, METRICS_CONTENT_TYPE, w.p, w.len);
}

static int
add_operational_routes(struct router *r)
{
    int rc = 0;

    rc |= router_add(r, HTTP_M(GET), "/checker/liveness", on_liveness, "liveness");
    rc |= router_add(r, HTTP_M(GET), "/checker/readiness", on_readiness, "readiness");
    rc |= router_add(r, HTTP_M(GET), "/health", on_health, "health");
    rc |= router_add(r, HTTP_M(GET), "/stargate/health", on_stargate_health, "stargate_health");
    rc |= router_add(r, HTTP_M(GET), "/stargate/health/ready", on_stargate_health,
                     "stargate_health_ready");
    rc |= router_add(r, HTTP_M(GET), "/stargate/health/live", on_stargate_live,
                     "stargate_health_live");
    rc |= router_add(r, HTTP_M(GET), "/metrics", on_metrics, "metrics");
    return rc;
}

int
main(int argc, char **argv)
{
    struct conf conf;
    struct router router;
    char err[512];
    int rc;

    /* A write to a client that went away must fail with EPIPE, not kill the process. */
    signal(SIGPIPE, SIG_IGN);

    rc = conf_load(&conf, argc, argv, err, sizeof(err));
    if (rc == CONF_HELP) {
        conf_deinit(&conf);
        return 0;
    }
    if (rc != 0) {
        fprintf(stderr, "cqlgate: %s\n", err);
        conf_deinit(&conf);
        return 2;
    }
    log_level_current = conf.log_level;
    conf_log(&conf);

    router_init(&router);
    if (api_register_routes != NULL) {
        api_register_routes(&router, &conf);
    }
    ASSERT(add_operational_routes(&router) == 0);

    rc = http_server_run(&conf, &router);

    router_deinit(&router);
    conf_deinit(&conf);
    return rc;
}
