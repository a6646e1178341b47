/*
 * cass_query.h: the life of one statement on a connection: prepare through the per-worker cache,
 * execute, re-prepare transparently on UNPREPARED, page, and time out.
 *
 * The prepared-statement cache is per worker (one loop), bounded, and least-recently-used. Its
 * entries are keyed by the statement text; their metadata (bind variables, result columns) lives in
 * the entry's own arena. Statements prepared concurrently share one PREPARE.
 *
 *     cass_query_prepare --(cache hit: at once | PREPARE)--> prepared_cb: bind values by q->prep
 *     cass_query_execute --EXECUTE--> UNPREPARED? --PREPARE, EXECUTE again--> done_cb(result)
 *
 * With a pool (q->pool), every request picks its connection when it is sent: an EXECUTE whose
 * bind values hold the whole partition key goes to a replica of its token (the routing key made
 * of the values at the prepared pk indexes, cass_pool_pick_token), anything else round-robin
 * (cass_pool_pick);
 * and an idempotent statement (q->idempotent) moves to another node after a lost connection, an
 * Overloaded or IsBootstrapping error, or a read timeout where the data was received, up to
 * CASS_QUERY_MAX_TRIES attempts. Other statements fail fast with the error (never retried after
 * a write timeout or a lost connection: they may have been applied).
 */
#ifndef CASS_QUERY_H
#define CASS_QUERY_H

#include "cass/cass_conn.h"
#include "core/arena.h"
#include "cql_req.h"
#include "cql_resp.h"

struct cass_query;
struct cass_prepared;
struct cass_pool;

/* Attempts one statement gets, the first included, when it is idempotent. */
#define CASS_QUERY_MAX_TRIES 3

/* What a statement answered. Pointers are valid only while the callback runs. */
struct cass_result {
    int                      status;        /* 0, or a negative code (E_SERVER: see error) */
    struct cql_result        result;        /* when status is 0 */
    struct cql_error         error;         /* when status is E_SERVER */
    const struct cql_col_spec *cols;        /* result columns (from the cache when skipped) */
    int32_t                  ncols;         /* number of result columns */
};

typedef void (*cass_query_cb)(struct cass_query *q, const struct cass_result *res);

/* A prepared statement in the cache. Read-only for callers. */
struct cass_prepared {
    char                    *cql;           /* statement text (owned) */
    size_t                   cql_len;       /* its length */
    uint64_t                 hash;          /* of the text */
    struct arena             arena;         /* id, metadata and their strings */
    struct cql_bytes         id;            /* prepared id */
    struct cql_bytes         result_metadata_id; /* v5 */
    struct cql_prepared_meta bind;          /* bind variables */
    struct cql_rows_meta     result;        /* result columns */
    bool                     ready;         /* PREPARE answered */
    uint32_t                 refs;          /* queries using it; kept in the cache while > 0 */
    struct cass_query       *waiters;       /* queries waiting for the PREPARE */
    struct cass_prepared    *hnext;         /* hash chain */
    struct cass_prepared    *lru_prev;      /* LRU list, most recent first */
    struct cass_prepared    *lru_next;
};

struct cass_pcache {
    struct cass_prepared   **buckets;       /* hash table */
    size_t                   nbuckets;      /* power of two */
    size_t                   count;         /* entries */
    size_t                   max;           /* bound on entries */
    struct cass_prepared    *lru_head;      /* most recently used */
    struct cass_prepared    *lru_tail;      /* least recently used */
    uint64_t                 prepares;      /* PREPARE requests sent */
    uint64_t                 reprepares;    /* of which after UNPREPARED */
};

void cass_pcache_init(struct cass_pcache *pc, size_t max);
void cass_pcache_deinit(struct cass_pcache *pc);

/*
 * One statement in flight. The caller owns the memory and fills the public part; the CQL text,
 * the encoded values and the paging state must stay valid until the done callback.
 */
struct cass_query {
    /* set by the caller */
    struct cass_conn        *conn;          /* where it runs (picked again when pool is set) */
    struct cass_pool        *pool;          /* picks the connection per request, or NULL */
    bool                     idempotent;    /* safe to send again to another node */
    struct cass_pcache      *cache;         /* prepared statements of this worker */
    const char              *cql;           /* statement text */
    size_t                   cql_len;
    struct cql_query_params  params;        /* consistency, values, paging, ... */
    uint64_t                 timeout_ms;    /* per request sent */
    cass_query_cb            prepared_cb;   /* prepare finished: bind now (status in res) */
    cass_query_cb            done_cb;       /* execute or simple query finished */
    void                    *data;          /* caller's */
    /* owned by cass_query */
    struct cass_prepared    *prep;          /* the cache entry once prepared */
    struct cass_req          req;           /* the request in flight */
    struct cass_query       *next_waiter;   /* in prep->waiters */
    int                      reprepares;    /* re-prepares done for this query */
    int                      tries;         /* attempts sent (retries plus one) */
    bool                     routed;        /* token computed (or found impossible) */
    bool                     has_token;     /* the whole partition key is bound: token is set */
    int64_t                  token;         /* Murmur3 token of the routing key */
    bool                     executing;     /* EXECUTE (or QUERY) sent, not PREPARE */
    bool                     simple;        /* a QUERY, not prepared */
};

/*
 * Prepares Q->cql on Q->conn through the cache. Returns 1 when the statement was already prepared
 * (Q->prep is set and prepared_cb will not run), 0 when prepared_cb will run later, or a negative
 * code when nothing could be sent.
 */
int cass_query_prepare(struct cass_query *q) MUSTCHECK;

/* Executes the prepared Q->prep with Q->params; done_cb runs once. Returns 0 or a negative code. */
int cass_query_execute(struct cass_query *q) MUSTCHECK;

/*
 * Prepares (through the cache) and executes Q->cql with Q->params, whose values the caller
 * encoded already (it knows their types, say from the schema). done_cb runs once, with the
 * prepare's error if that failed; prepared_cb is not used. Returns 0 or a negative code.
 */
int cass_query_run(struct cass_query *q) MUSTCHECK;

/* Sends Q->cql as a QUERY (no prepare) with Q->params; done_cb runs once. */
int cass_query_simple(struct cass_query *q) MUSTCHECK;

/* Releases Q's hold on its cache entry; call once the query is finished with. */
void cass_query_release(struct cass_query *q);

#endif /* CASS_QUERY_H */
