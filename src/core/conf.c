/*
 * conf.c: the configuration table and its three sources (defaults, environment, flags); see
 * conf.h. Adding a key is one entry in conf_keys and one field in struct conf.
 */
#include "core/conf.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>

#include <uv.h>

#include "core/log.h"

/* One configuration key. */
struct conf_key {
    const char    *key;             /* flag name without "--" */
    enum conf_type type;            /* value kind */
    const char    *def;             /* default, in the same text form a flag takes */
    size_t         off;             /* offsetof the field in struct conf */
    uint64_t       min;             /* CONF_UINT: smallest value */
    uint64_t       max;             /* CONF_UINT: largest value */
    const char    *choices;         /* CONF_ENUM: the values, '|'-separated */
    const char    *help;            /* one line */
};

#define OFF(field) offsetof(struct conf, field)

static const struct conf_key conf_keys[] = {
    { "listen", CONF_LISTEN, "0.0.0.0:8081,0.0.0.0:8082,0.0.0.0:8180,0.0.0.0:8084", OFF(listen),
      0, 0, NULL,
      "HOST:PORT list (comma-separated); every route answers on each ([::1]:8082 for IPv6)" },
    { "workers", CONF_UINT, "0", OFF(workers), 0, 1024, NULL,
      "worker threads, each with its own loop and listeners (0: one per core)" },
    { "max-body", CONF_UINT, "1048576", OFF(max_body), 0, (uint64_t)1 << 31, NULL,
      "largest request body in bytes (413 beyond)" },
    { "max-header-bytes", CONF_UINT, "16384", OFF(max_header_bytes), 256, (uint64_t)1 << 24, NULL,
      "largest request line plus headers in bytes (431 beyond, 414 for the URL alone)" },
    { "max-headers", CONF_UINT, "100", OFF(max_headers), 1, 10000, NULL,
      "most header fields in a request (431 beyond)" },
    { "max-connections", CONF_UINT, "10000", OFF(max_connections), 1, 1000000, NULL,
      "most open connections per worker; new ones beyond are closed at once" },
    { "header-timeout-ms", CONF_UINT, "10000", OFF(header_timeout_ms), 1, 3600000, NULL,
      "time from a request's first byte to the end of its headers (408 beyond)" },
    { "idle-timeout-ms", CONF_UINT, "60000", OFF(idle_timeout_ms), 1, 86400000, NULL,
      "keep-alive connection idle time before it is closed" },
    { "drain-timeout-ms", CONF_UINT, "10000", OFF(drain_timeout_ms), 0, 3600000, NULL,
      "on SIGTERM/SIGINT, time given to requests in flight before connections are closed" },
    { "log-level", CONF_ENUM, "info", OFF(log_level), 0, 0, "error|warn|info|debug",
      "error log verbosity" },
    { "contact-points", CONF_STR, "127.0.0.1:9042", OFF(contact_points), 0, 0, NULL,
      "Cassandra nodes to start from, HOST[:PORT] comma-separated" },
    { "username", CONF_STR, "", OFF(username), 0, 0, NULL,
      "Cassandra login of the gateway's own connections (empty: none)" },
    { "password", CONF_SECRET, "", OFF(password), 0, 0, NULL,
      "password for username (never logged)" },
    { "protocol-version", CONF_UINT, "0", OFF(protocol_version), 0, 5, NULL,
      "native protocol version 4 or 5; 0 negotiates (5, then 4)" },
    { "compression", CONF_ENUM, "none", OFF(compression), 0, 0, "none|lz4",
      "CQL frame compression" },
    { "request-timeout-ms", CONF_UINT, "10000", OFF(request_timeout_ms), 1, 3600000, NULL,
      "deadline of each CQL request" },
    { "auth", CONF_ENUM, "table", OFF(auth), 0, 0, "table|none",
      "table: X-Cassandra-Token from POST /v1/auth (Stargate's tokens); none: no token needed" },
    { "cql-endpoint", CONF_BOOL, "false", OFF(cql_endpoint), 0, 0, NULL,
      "serve POST /v2/cql, one raw CQL statement per request (off: the path answers 404)" },
    { "token-ttl", CONF_UINT, "1800", OFF(token_ttl), 1, 315360000, NULL,
      "auth token sliding time to live in seconds" },
    { "local-dc", CONF_STR, "", OFF(local_dc), 0, 0, NULL,
      "data centre whose nodes are preferred (empty: the contact point's)" },
    { "pool-size", CONF_UINT, "1", OFF(pool_size), 1, 64, NULL,
      "connections per Cassandra node per worker" },
    { "max-in-flight", CONF_UINT, "2048", OFF(max_in_flight), 1, 32768, NULL,
      "CQL requests in flight per connection; past it on every node, 503 at once" },
};

#define NKEYS ARRAY_SIZE(conf_keys)

static void __attribute__((format(printf, 3, 4)))
set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (errlen == 0) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static const struct conf_key *
find_key(const char *name, size_t len)
{
    for (size_t i = 0; i < NKEYS; i++) {
        if (strlen(conf_keys[i].key) == len && memcmp(conf_keys[i].key, name, len) == 0) {
            return &conf_keys[i];
        }
    }
    return NULL;
}

/* "max-body" -> "CQLGATE_MAX_BODY" into BUF (LEN bytes). */
static void
env_name(const struct conf_key *k, char *buf, size_t len)
{
    size_t n = (size_t)snprintf(buf, len, "CQLGATE_%s", k->key);

    for (size_t i = 8; i < n && i < len; i++) {
        buf[i] = buf[i] == '-' ? '_' : (char)toupper((unsigned char)buf[i]);
    }
}

/* ---- value parsers --------------------------------------------------------------------------- */

static int
parse_uint(const char *s, uint64_t *out)
{
    uint64_t v = 0;

    if (*s == '\0') {
        return E_INVALID;
    }
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10) {
            return E_INVALID;
        }
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return 0;
}

static int
parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = { "true", "1", "yes", "on" };
    static const char *const no[] = { "false", "0", "no", "off" };

    for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return E_INVALID;
}

static int
parse_enum(const char *choices, const char *s, int *out)
{
    const char *p = choices;
    size_t len = strlen(s);

    for (int i = 0;; i++) {
        size_t n = strcspn(p, "|");

        if (n == len && strncasecmp(p, s, n) == 0) {
            *out = i;
            return 0;
        }
        if (p[n] == '\0') {
            return E_INVALID;
        }
        p += n + 1;
    }
}

/* One "host:port" or "[v6]:port" entry (LEN bytes at S) into L. */
static int
parse_listener(const char *s, size_t len, struct conf_listener *l)
{
    const char *colon;
    const char *host = s;
    size_t hlen;
    char port[8];
    uint64_t v;
    unsigned char addr[16];

    if (len > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', len);

        if (close == NULL || close + 1 == s + len || close[1] != ':') {
            return E_INVALID;
        }
        host = s + 1;
        hlen = (size_t)(close - host);
        colon = close + 1;
    } else {
        colon = NULL;
        for (size_t i = 0; i < len; i++) {
            if (s[i] == ':') {
                colon = s + i;
            }
        }
        if (colon == NULL) {
            return E_INVALID;
        }
        hlen = (size_t)(colon - s);
    }
    if (hlen == 0 || hlen >= sizeof(l->host) || (size_t)(s + len - colon - 1) >= sizeof(port)) {
        return E_INVALID;
    }
    memcpy(l->host, host, hlen);
    l->host[hlen] = '\0';
    memcpy(port, colon + 1, (size_t)(s + len - colon - 1));
    port[s + len - colon - 1] = '\0';
    if (parse_uint(port, &v) != 0 || v == 0 || v > 65535) {
        return E_INVALID;
    }
    l->port = (int)v;
    if (uv_inet_pton(AF_INET, l->host, addr) != 0 && uv_inet_pton(AF_INET6, l->host, addr) != 0) {
        return E_INVALID;
    }
    return 0;
}

static int
parse_listen(struct conf *c, const char *s)
{
    const char *p = s;

    c->nlisteners = 0;
    for (;;) {
        size_t n = strcspn(p, ",");
        struct conf_listener *l;

        while (n > 0 && *p == ' ') {
            p++;
            n--;
        }
        if (c->nlisteners == CONF_MAX_LISTENERS) {
            return E_INVALID;
        }
        l = &c->listeners[c->nlisteners];
        if (parse_listener(p, n, l) != 0) {
            return E_INVALID;
        }
        for (size_t i = 0; i < c->nlisteners; i++) {
            if (c->listeners[i].port == l->port && strcmp(c->listeners[i].host, l->host) == 0) {
                return E_INVALID;           /* the same address twice */
            }
        }
        c->nlisteners++;
        if (p[n] == '\0') {
            return 0;
        }
        p += n + 1;
    }
}

/* Sets key K of C from the text V; SOURCE names where it came from for the message. */
static int
set_value(struct conf *c, const struct conf_key *k, const char *v, const char *source, char *err,
          size_t errlen)
{
    void *field = (char *)c + k->off;
    uint64_t u;
    bool b;
    int e;

    switch (k->type) {
    case CONF_STR:
    case CONF_SECRET:
        free(*(char **)field);
        *(char **)field = xstrdup(v);
        return 0;
    case CONF_LISTEN:
        if (parse_listen(c, v) != 0) {
            set_err(err, errlen, "%s: invalid value \"%s\" for %s: expected "
                    "HOST:PORT[,HOST:PORT...] with IP literals, ports 1-65535, at most %d, "
                    "no repeats",
                    source, v, k->key, CONF_MAX_LISTENERS);
            return E_INVALID;
        }
        free(*(char **)field);
        *(char **)field = xstrdup(v);
        return 0;
    case CONF_UINT:
        if (parse_uint(v, &u) != 0 || u < k->min || u > k->max) {
            set_err(err, errlen, "%s: invalid value \"%s\" for %s: expected an integer from "
                    "%llu to %llu", source, v, k->key, (unsigned long long)k->min,
                    (unsigned long long)k->max);
            return E_INVALID;
        }
        *(uint64_t *)field = u;
        return 0;
    case CONF_BOOL:
        if (parse_bool(v, &b) != 0) {
            set_err(err, errlen, "%s: invalid value \"%s\" for %s: expected true or false",
                    source, v, k->key);
            return E_INVALID;
        }
        *(bool *)field = b;
        return 0;
    case CONF_ENUM:
        if (parse_enum(k->choices, v, &e) != 0) {
            set_err(err, errlen, "%s: invalid value \"%s\" for %s: expected one of %s", source, v,
                    k->key, k->choices);
            return E_INVALID;
        }
        *(int *)field = e;
        return 0;
    }
    NOT_REACHED();
}

/* Checks that span keys; runs once every source is applied. */
static int
validate(struct conf *c, char *err, size_t errlen)
{
    if (c->protocol_version != 0 && c->protocol_version != 4 && c->protocol_version != 5) {
        set_err(err, errlen, "invalid value \"%llu\" for protocol-version: expected 0, 4 or 5",
                (unsigned long long)c->protocol_version);
        return E_INVALID;
    }
    if (c->contact_points[0] == '\0') {
        set_err(err, errlen, "invalid value \"\" for contact-points: at least one host is needed");
        return E_INVALID;
    }
    if (c->workers == 0) {
        c->workers = uv_available_parallelism();
    }
    return 0;
}

/* ---- loading --------------------------------------------------------------------------------- */

static int
load_env(struct conf *c, char *err, size_t errlen)
{
    for (size_t i = 0; i < NKEYS; i++) {
        char name[64];
        char source[80];
        const char *v;

        env_name(&conf_keys[i], name, sizeof(name));
        v = getenv(name);
        if (v == NULL) {
            continue;
        }
        snprintf(source, sizeof(source), "environment %s", name);
        if (set_value(c, &conf_keys[i], v, source, err, errlen) != 0) {
            return E_INVALID;
        }
    }
    return 0;
}

static int
load_args(struct conf *c, int argc, char **argv, char *err, size_t errlen)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *name;
        const char *eq;
        const char *v;
        const struct conf_key *k;
        size_t len;

        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            conf_print_help(stdout, argv[0]);
            return CONF_HELP;
        }
        if (strncmp(arg, "--", 2) != 0) {
            set_err(err, errlen, "unexpected argument \"%s\" (flags are --key value; see --help)",
                    arg);
            return E_INVALID;
        }
        name = arg + 2;
        eq = strchr(name, '=');
        len = eq != NULL ? (size_t)(eq - name) : strlen(name);
        k = find_key(name, len);
        if (k == NULL) {
            set_err(err, errlen, "unknown flag \"--%.*s\" (see --help)", (int)len, name);
            return E_INVALID;
        }
        if (eq != NULL) {
            v = eq + 1;
        } else if (k->type == CONF_BOOL) {
            bool b;

            /* A bare bool flag means true; a following true/false is its value. */
            if (i + 1 < argc && parse_bool(argv[i + 1], &b) == 0) {
                v = argv[++i];
            } else {
                v = "true";
            }
        } else if (i + 1 < argc) {
            v = argv[++i];
        } else {
            set_err(err, errlen, "flag --%s needs a value", k->key);
            return E_INVALID;
        }
        if (set_value(c, k, v, "flag", err, errlen) != 0) {
            return E_INVALID;
        }
    }
    return 0;
}

int
conf_load(struct conf *c, int argc, char **argv, char *err, size_t errlen)
{
    int rc;

    memset(c, 0, sizeof(*c));
    if (errlen > 0) {
        err[0] = '\0';
    }
    for (size_t i = 0; i < NKEYS; i++) {
        rc = set_value(c, &conf_keys[i], conf_keys[i].def, "default", err, errlen);
        ASSERT(rc == 0);
    }
    rc = load_env(c, err, errlen);
    if (rc != 0) {
        return rc;
    }
    rc = load_args(c, argc, argv, err, errlen);
    if (rc != 0) {
        return rc;
    }
    return validate(c, err, errlen);
}

void
conf_deinit(struct conf *c)
{
    for (size_t i = 0; i < NKEYS; i++) {
        const struct conf_key *k = &conf_keys[i];

        if (k->type == CONF_STR || k->type == CONF_SECRET || k->type == CONF_LISTEN) {
            char **field = (char **)(void *)((char *)c + k->off);

            free(*field);
            *field = NULL;
        }
    }
}

static const char *
type_hint(const struct conf_key *k)
{
    switch (k->type) {
    case CONF_STR:
    case CONF_SECRET:
        return "TEXT";
    case CONF_UINT:
        return "N";
    case CONF_BOOL:
        return "[BOOL]";
    case CONF_ENUM:
        return k->choices;
    case CONF_LISTEN:
        return "HOST:PORT,...";
    }
    return "";
}

void
conf_print_help(FILE *f, const char *prog)
{
    fprintf(f, "Usage: %s [--key value]...\n\n"
               "HTTP/JSON gateway to Apache Cassandra (Stargate REST API v2 compatible).\n"
               "Every key may also be set by its environment variable; a flag wins.\n\n",
            prog != NULL ? prog : "cqlgate");
    for (size_t i = 0; i < NKEYS; i++) {
        const struct conf_key *k = &conf_keys[i];
        char env[64];

        env_name(k, env, sizeof(env));
        fprintf(f, "  --%s %s\n      %s\n      default: %s   env: %s\n", k->key, type_hint(k),
                k->help, k->def[0] != '\0' ? k->def : "(empty)", env);
    }
}

void
conf_log(const struct conf *c)
{
    char line[2048];
    size_t n = 0;

    for (size_t i = 0; i < NKEYS && n < sizeof(line); i++) {
        const struct conf_key *k = &conf_keys[i];
        const void *field = (const char *)c + k->off;
        const char *sep = i == 0 ? "" : " ";
        int w = 0;

        switch (k->type) {
        case CONF_STR:
        case CONF_LISTEN:
            w = snprintf(line + n, sizeof(line) - n, "%s%s=%s", sep, k->key,
                         *(char *const *)field);
            break;
        case CONF_SECRET:
            w = snprintf(line + n, sizeof(line) - n, "%s%s=%s", sep, k->key,
                         (*(char *const *)field)[0] != '\0' ? "****" : "");
            break;
        case CONF_UINT:
            w = snprintf(line + n, sizeof(line) - n, "%s%s=%llu", sep, k->key,
                         (unsigned long long)*(const uint64_t *)field);
            break;
        case CONF_BOOL:
            w = snprintf(line + n, sizeof(line) - n, "%s%s=%s", sep, k->key,
                         *(const bool *)field ? "true" : "false");
            break;
        case CONF_ENUM: {
            const char *p = k->choices;

            for (int j = *(const int *)field; j > 0; j--) {
                p += strcspn(p, "|") + 1;
            }
            w = snprintf(line + n, sizeof(line) - n, "%s%s=%.*s", sep, k->key,
                         (int)strcspn(p, "|"), p);
            break;
        }
        }
        if (w < 0) {
            break;
        }
        n += (size_t)w;
    }
    log_info("config: %s", line);
}
