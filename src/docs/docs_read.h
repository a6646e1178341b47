/*
 * docs_read.h: reading one document, or the part of it under a path, back from its rows
 * (spec/documents-v2.md, 2.3).
 *
 *     SELECT <columns>, WRITETIME(leaf) FROM t WHERE key = ? [AND p0 = ? .. AND p<k-1> = ?]
 *         page by page --fields--> doc_shred_asm --> done(status)
 *
 * The rows keep their whole path, so the document is put together from its root and the caller
 * takes the value at the path (doc_shred_asm_write_at).
 */
#ifndef DOCS_DOCS_READ_H
#define DOCS_DOCS_READ_H

#include <stddef.h>
#include <stdint.h>

#include "cass/cass_query.h"
#include "docs/doc_shred.h"
#include "docs/docs_api.h"
#include "http/http_msg.h"

/* Rows read per page. */
#define DOCS_READ_PAGE_ROWS 1000

struct docs_read;

/* The read ended: STATUS 0, or the failure (ERR set with E_SERVER, valid during the call). */
typedef void (*docs_read_cb)(struct docs_read *r, int status, const struct cql_error *err);

/* One read in flight (in the request's arena). */
struct docs_read {
    struct http_req               *req;     /* the request */
    const struct cql_str          *path;    /* the path's segments, stored form */
    size_t                         npath;   /* how many (0: the whole document) */
    const struct doc_shred_fields *fields;  /* rows kept, relative to the path; NULL for all */
    struct doc_shred_asm           doc;     /* the document as read */
    size_t                         nrows;   /* rows read, kept or not */
    uint64_t                       pages;   /* pages read, for the profile */
    struct cql_bytes               page;    /* the next page's state (arena), or none */
    struct cass_query              q;       /* the SELECT */
    struct cql_wr                  cql;     /* its text (arena) */
    struct cql_wr                  vals;    /* its values (arena) */
    uint16_t                       nvals;   /* how many */
    docs_read_cb                   done;    /* called once, at the end */
    void                          *data;    /* the caller's */
};

/*
 * Reads document ID of collection N under PATH (NPATH segments) into R->doc, keeping the rows
 * FIELDS (may be NULL) selects; DONE runs once, possibly before this returns.
 */
void docs_read_start(struct docs_read *r, struct http_req *req, const struct docs_names *n,
                     const char *id, size_t id_len, const struct cql_str *path, size_t npath,
                     const struct doc_shred_fields *fields, docs_read_cb done);

/*
 * For a read that ended with STATUS (ERR as the done callback got it): answers the failure and
 * returns -1 when STATUS is not 0; else starts VAL as an arena writer and appends the value R
 * read at PATH, its own path as the URL gave it. When nothing is there answers 404 with
 * Stargate's text, "A document with the id <id> does not exist." at the root, else "A path
 * [a, b] in a document with the id <id>, or the document itself, does not exist.", and returns
 * -1; when the value cannot be written answers 500 and returns -1. Returns 0 otherwise.
 */
int docs_read_value(struct docs_read *r, int status, const struct cql_error *err,
                    const char *id, size_t id_len, const struct docs_path *path,
                    struct cql_wr *val) MUSTCHECK;

/* Fills ST with R's SELECT for a profile (5.4): "GetFullDocument", pages read and rows. */
void docs_read_prof_step(struct docs_read *r, struct docs_prof_step *st);

#endif /* DOCS_DOCS_READ_H */
