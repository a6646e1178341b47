/*
 * docs_batch.h: the one LOGGED BATCH of a document write (spec/documents-v2.md, 2.4).
 *
 *     docs_batch_init --> docs_batch_del_* (0..n deletes @ts-1, in order)
 *         --> docs_batch_start(rows @ts): prepare the INSERT through the worker's cache
 *         --> BATCH [deletes as query strings, one INSERT per row] --> done(status)
 *
 * A write is one batch on one partition, so a reader sees the old document or the new one, never
 * half of either. The INSERT is prepared (it is the same text for every write to a collection);
 * the deletes, which vary with the path's length, go as query strings with bound values. When
 * the node answers UNPREPARED (it restarted, or the table was dropped and made again) the INSERT
 * is prepared again and the batch resent. The batch goes to a replica of the document's key when
 * one is up and has room (cass_pool_pick_token), to the worker's first connection otherwise; it is
 * never sent twice. Several batches may run at once for one request (the batch write): each is
 * its own struct docs_batch.
 */
#ifndef DOCS_DOCS_BATCH_H
#define DOCS_DOCS_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cass/cass_query.h"
#include "core/util.h"
#include "docs/doc_shred.h"
#include "docs/docs_api.h"
#include "http/http_msg.h"

/* Most statements in one document's batch (the [short] count of a BATCH). */
#define DOCS_BATCH_MAX_STATEMENTS 65535

struct docs_batch;

/* A batch ended: STATUS 0, or the failure (ERR set with E_SERVER, valid during the call). */
typedef void (*docs_batch_cb)(struct docs_batch *b, int status, const struct cql_error *err);

/* One delete ahead of the inserts, sent as a query string. */
struct docs_batch_del {
    struct cql_str cql;             /* its text (arena) */
    size_t         off;             /* where its values start in the batch's vals */
    uint16_t       count;           /* how many values */
};

/* One document's batch (in the request's arena). */
struct docs_batch {
    struct http_req             *req;       /* the request it belongs to */
    const struct docs_names     *n;         /* namespace and collection */
    const char                  *id;        /* the document id (the key) */
    size_t                       id_len;    /* its length */
    int64_t                      ts;        /* write time of the inserts; deletes use ts - 1 */
    struct docs_batch_del       *del;       /* the deletes, in order (arena) */
    uint16_t                     ndel;      /* how many */
    uint16_t                     cap;       /* slots in del */
    const struct doc_shred_rows *rows;      /* the rows to insert */
    int32_t                      ttl;       /* seconds, or -1 for no TTL clause */
    docs_batch_cb                done;      /* called once, at the end */
    void                        *data;      /* the caller's */
    struct cass_query            ins;       /* the INSERT, prepared through the worker's cache */
    struct cass_req              creq;      /* the BATCH, or a PREPARE after UNPREPARED */
    struct cass_conn            *conn;      /* where it all runs: a replica of the key */
    struct cql_wr                ins_cql;   /* the INSERT's text (arena) */
    struct cql_wr                vals;      /* every statement's [value]s, in order (arena) */
    size_t                      *off;       /* where insert i's values start in vals */
    uint16_t                    *count;     /* how many values insert i has */
    int                          reprepares;/* PREPAREs sent again after UNPREPARED */
};

/* Starts B for document ID of collection N with the write time TS (microseconds). */
void docs_batch_init(struct docs_batch *b, struct http_req *req, const struct docs_names *n,
                     const char *id, size_t id_len, int64_t ts);

/*
 * Deletes @ts-1 (2.4), each appended to B: the whole partition; the subtree at PATH (K
 * segments); the first-level KEYS (NKEYS, more than 0) under PATH; the row stored exactly at
 * PATH; the array elements directly under PATH. Building failures show when B starts.
 */
void docs_batch_del_partition(struct docs_batch *b);
void docs_batch_del_subtree(struct docs_batch *b, const struct cql_str *path, size_t k);
void docs_batch_del_keys(struct docs_batch *b, const struct cql_str *path, size_t k,
                         const struct cql_str *keys, size_t nkeys);
void docs_batch_del_exact(struct docs_batch *b, const struct cql_str *path, size_t k);
void docs_batch_del_array(struct docs_batch *b, const struct cql_str *path, size_t k);

/*
 * Whether ROWS inserts fit in B's batch with its deletes; false when the batch would pass
 * DOCS_BATCH_MAX_STATEMENTS.
 */
bool docs_batch_fits(const struct docs_batch *b, const struct doc_shred_rows *rows);

/*
 * Shreds DOC, a whole document, into ROWS and starts B (docs_batch_init) to write them as
 * document ID, the old document deleted first when REPLACE. Answers 400 and returns -1 when DOC
 * cannot be shredded or its rows do not fit one batch.
 */
int docs_batch_whole(struct docs_batch *b, struct http_req *req, const struct docs_names *n,
                     const char *id, size_t id_len, int64_t ts, const struct cql_json_node *doc,
                     bool replace, struct doc_shred_rows *rows) MUSTCHECK;

/*
 * Inserts ROWS (with TTL seconds, or none when TTL < 0) after the deletes and sends the batch;
 * DONE runs once when it ends, possibly before this returns.
 */
void docs_batch_start(struct docs_batch *b, const struct doc_shred_rows *rows, int32_t ttl,
                      docs_batch_cb done);

/* The answer (400) to a document with more rows than one batch holds. */
#define DOCS_BATCH_TOO_MANY_ROWS                                                                   \
    "Request invalid: a document is written in one batch, which holds at most 65535 "          \
    "statements (one per value)."

/*
 * Fills ST with B's statements for a profile (5.4), in the request's arena: each delete text
 * once with how often it is in the batch, the INSERT once per row, each counted as one row as
 * Stargate counts DML. DESC is the step's description; NULL gives Stargate's for a whole
 * document, "ASYNC INSERT" without deletes and "ASYNC UPDATE" with.
 */
void docs_batch_prof_step(const struct docs_batch *b, const char *desc,
                          struct docs_prof_step *st);

/*
 * The profile to answer B's write with when its request asked for one (profile=true): a root
 * step holding B's (DESC as for docs_batch_prof_step), in the request's arena; else NULL.
 */
const struct cql_str *docs_batch_profile(const struct docs_batch *b, const char *desc);

#endif /* DOCS_DOCS_BATCH_H */
