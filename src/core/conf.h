/*
 * conf.h: the process configuration. One table in conf.c lists every key with its type, default,
 * place in struct conf and help (PgBouncer's CF_ABS, twemproxy's conf_commands); --help, the
 * environment, the flags and the startup log line all come from it.
 *
 * Sources, later ones winning: the table's defaults, then CQLGATE_<KEY> environment variables
 * (key upper-cased, '-' as '_': CQLGATE_MAX_BODY), then `--key value` or `--key=value` flags. A
 * bool flag given without a value (`--cql-endpoint`) means true. Every value is validated at
 * load; struct conf is read-only afterwards and shared by every thread.
 */
#ifndef CORE_CONF_H
#define CORE_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/util.h"

/* Most `listen` entries. */
#define CONF_MAX_LISTENERS 16

/* conf_load's answer when --help was asked for (the help is printed already). */
#define CONF_HELP 1

/* Value kinds of the table. */
enum conf_type {
    CONF_STR = 1,                   /* char *, may be empty */
    CONF_SECRET,                    /* char *, masked when logged */
    CONF_UINT,                      /* uint64_t within the key's [min, max] */
    CONF_BOOL,                      /* bool: true/false, 1/0, yes/no, on/off */
    CONF_ENUM,                      /* int: index of the value in the key's choices */
    CONF_LISTEN,                    /* char * plus the parsed listeners */
};

enum conf_compression {
    CONF_COMPRESSION_NONE = 0,      /* frames uncompressed */
    CONF_COMPRESSION_LZ4,           /* lz4 when the server offers it */
};

enum conf_auth {
    CONF_AUTH_TABLE = 0,            /* Stargate's table-based tokens (POST /v1/auth) */
    CONF_AUTH_NONE,                 /* no token required */
};

/* One address to listen on. */
struct conf_listener {
    char host[64];                  /* IPv4 or IPv6 literal, without brackets */
    int  port;                      /* 1..65535 */
};

struct conf {
    /* HTTP front */
    char                *listen;            /* the `listen` value as given */
    struct conf_listener listeners[CONF_MAX_LISTENERS]; /* parsed from listen */
    size_t               nlisteners;        /* entries in listeners */
    uint64_t             workers;           /* worker threads (0 in the table: one per core) */
    uint64_t             max_body;          /* request body bytes */
    uint64_t             max_header_bytes;  /* request line plus header bytes */
    uint64_t             max_headers;       /* header fields per request */
    uint64_t             max_connections;   /* open connections per worker */
    uint64_t             header_timeout_ms; /* first request byte to end of headers */
    uint64_t             idle_timeout_ms;   /* keep-alive idle time */
    uint64_t             drain_timeout_ms;  /* shutdown: time given to requests in flight */
    int                  log_level;         /* LOG_ERROR .. LOG_DEBUG */
    /* Cassandra */
    char                *contact_points;    /* host[:port] list, comma-separated */
    char                *username;          /* service login, may be empty */
    char                *password;          /* its password (a secret) */
    uint64_t             protocol_version;  /* 0 negotiates (5, then 4), else 4 or 5 */
    int                  compression;       /* enum conf_compression */
    uint64_t             request_timeout_ms;/* per CQL request */
    int                  auth;              /* enum conf_auth */
    bool                 cql_endpoint;      /* serve POST /v2/cql */
    uint64_t             token_ttl;         /* auth token sliding TTL, seconds */
    char                *local_dc;          /* preferred data centre, empty: the contact point's */
    uint64_t             pool_size;         /* connections per node per worker */
    uint64_t             max_in_flight;     /* CQL requests in flight per connection */
};

/*
 * Loads the defaults, the environment and ARGV (ARGV[0] is the program) into C. Returns 0;
 * CONF_HELP after printing the help to stdout; or E_INVALID with a one-line message in ERR
 * (ERRLEN bytes) naming the key, the value and what is expected. C needs conf_deinit in every
 * case.
 */
int conf_load(struct conf *c, int argc, char **argv, char *err, size_t errlen) MUSTCHECK;

/* Frees the strings of C. */
void conf_deinit(struct conf *c);

/* Prints every key with its environment variable, default and help to F. */
void conf_print_help(FILE *f, const char *prog);

/* Logs the effective configuration at info level, one line, secrets masked. */
void conf_log(const struct conf *c);

#endif /* CORE_CONF_H */
