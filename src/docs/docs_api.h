/*
 * docs_api.h: Stargate's Document API v2 (spec/documents-v2.md), served from the collections'
 * own tables so that Stargate and cqlgate read and write the same documents.
 *
 * Served so far: namespaces (1.1), collections (1.2) with their JSON schema (4), documents and
 * paths in them (1.3), the built-in functions (1.4):
 *     GET    /v2/schemas/namespaces[/{ns}]              keyspaces with their replication
 *     POST   /v2/schemas/namespaces                     CREATE KEYSPACE IF NOT EXISTS -> 201
 *     DELETE /v2/schemas/namespaces/{ns}                DROP KEYSPACE -> 204
 *     GET    /v2/namespaces/{ns}/collections            the tables that are collections
 *     POST   /v2/namespaces/{ns}/collections            the table and its four indexes -> 201
 *     DELETE /v2/namespaces/{ns}/collections/{coll}     DROP TABLE -> 204
 *     GET    .../{coll}/json-schema                     the collection's JSON schema -> 200
 *     PUT    .../{coll}/json-schema                     ALTER TABLE .. WITH comment -> 200
 *     POST   /v2/namespaces/{ns}/collections/{coll}     a document with a random id -> 201
 *     PUT    .../{coll}/{id}                            replaces a document -> 200
 *     GET    .../{coll}/{id}[/{path}]                   reads one, or the value at a path -> 200;
 *                                                       with where or page-size, searches it
 *     GET    /v2/namespaces/{ns}/collections/{coll}     searches the collection (where, ...)
 *     DELETE .../{coll}/{id}[/{path}]                   deletes one, or a subtree -> 204
 *     PUT    .../{coll}/{id}/{path}                     replaces the value at a path -> 200
 *     PATCH  .../{coll}/{id}[/{path}]                   merges an object (shallow) -> 200
 *     POST   .../{coll}/{id}[/{path}]/function          $push, $pop, $set -> 200
 *     POST   .../{coll}/batch                           many documents -> 202
 * Writes create a missing collection, as Stargate's do. Every route needs a token; a role needs
 * the grants the CQL statement would: SELECT or MODIFY on the collection's table, CREATE, ALTER
 * or DROP on the keyspace or table, CREATE on all keyspaces for a namespace. The handlers check
 * names and the schema snapshot first, so a missing namespace or collection is a 404 before any
 * grant is looked at, as the statement would fail before Cassandra's own check.
 *
 * Files: docs_api.c (routes, shared helpers), docs_schema.c (namespaces, collections and the
 * creation of a collection), docs_doc.c (documents: POST, PUT, GET, DELETE), docs_write.c (PUT
 * at a path, PATCH, functions, batch write), docs_batch.c (a document's write batch),
 * docs_read.c (a document's rows read back), doc_shred.c (the storage layout, pure),
 * docs_search.c (searches), doc_where.c (`where` filters and their plan, pure).
 */
#ifndef DOCS_DOCS_API_H
#define DOCS_DOCS_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/authz.h"
#include "api/cql_json.h"
#include "cass/cass_meta.h"
#include "cass/cass_query.h"
#include "core/util.h"
#include "http/http_msg.h"
#include "http/router.h"

/* Most segments of a document path in a URL: the depth of a document. */
#define DOCS_API_MAX_PATH 64

/* Adds every Document API route to R. Returns 0 or E_INVALID. */
int docs_api_add_routes(struct router *r) MUSTCHECK;

/* ---- shared by the docs_*.c files ------------------------------------------------------------ */

/* The namespace and collection of a request, percent-decoded (arena). */
struct docs_names {
    const char *ns;                 /* {ks}: the namespace (keyspace) */
    size_t      ns_len;             /* its length */
    const char *coll;               /* {t}: the collection (table), or NULL */
    size_t      coll_len;           /* its length */
};

/*
 * Decodes {ks} (and {t} when WITH_COLL) into N. Stargate's routes only match names of ASCII
 * letters, digits and '_' (\w+); anything else answers 404 as an unknown route would, and -1 is
 * returned. Returns 0 otherwise.
 */
int docs_api_names(struct http_req *req, bool with_coll, struct docs_names *n) MUSTCHECK;

/* True when S (LEN bytes) is one or more ASCII letters, digits or underscores. */
bool docs_api_word(const char *s, size_t len);

/* True when REQ has no body, or only JSON blanks: Jackson reads no value from it. */
bool docs_api_body_empty(const struct http_req *req);

/* Answers STATUS with the description A, B (B_LEN bytes, may be NULL) and C (may be NULL). */
void docs_api_fail(struct http_req *req, int status, const char *a, const char *b, size_t b_len,
                   const char *c);

/* The distinct messages of failed bean validations, in the order found. */
struct docs_violations {
    const char *msg[8];             /* static messages */
    size_t      n;                  /* how many */
};

/* Adds MSG (a static string) to V unless it is there already. */
void docs_api_violation(struct docs_violations *v, const char *msg);

/*
 * Answers 400 "Request invalid: <m1>, <m2>." as Stargate's ConstraintViolationExceptionMapper
 * does, and returns true, when V holds any message; else returns false.
 */
bool docs_api_violations_respond(struct http_req *req, const struct docs_violations *v);

/*
 * Finds namespace N in a new snapshot reference *M. Otherwise answers, with *M dropped, and
 * returns NULL: 503 without a snapshot, else 404 with Stargate's text, "Namespace <ns> does not
 * exist." on the namespace routes or, with IN_COLLECTIONS, "Unknown namespace <ns>, you must
 * create it first." on collection and document routes.
 */
const struct cass_meta_keyspace *docs_api_namespace(struct http_req *req,
                                                    const struct docs_names *n,
                                                    bool in_collections, struct cass_meta **m);

/* Where a collection lookup left the request. */
enum docs_coll {
    DOCS_COLL_FOUND = 0,            /* *T is a collection table */
    DOCS_COLL_MISSING,              /* the namespace exists, the table does not (*T NULL) */
    DOCS_COLL_ANSWERED,             /* REQ was answered (404, 400 or 503) */
};

/*
 * Looks collection N up in a new snapshot reference *M (dropped again when REQ was answered):
 * an unknown namespace answers 404 "Unknown namespace <ns>, you must create it first."; a table
 * that is not a collection 400; a missing table 404 "Collection '<coll>' not found." unless
 * MISSING_OK, when DOCS_COLL_MISSING comes back instead.
 */
enum docs_coll docs_api_collection(struct http_req *req, const struct docs_names *n,
                                   bool missing_ok, struct cass_meta **m,
                                   const struct cass_meta_table **t);

/*
 * Runs THEN(REQ) once the token's role may do PERM on ON (names from {ks} and {t}), or answers
 * Cassandra's refusal. Without a token role (--auth none) THEN runs at once.
 */
void docs_api_need(struct http_req *req, enum authz_perm perm, enum authz_on on,
                   http_handler_cb then);

/*
 * Adds the Location header of a created resource: http://<Host><PATH>/<NAME>, PATH being the
 * request's own path (without a trailing '/') unless given (NULL: the request's).
 */
void docs_api_location(struct http_req *req, const char *path, const char *name, size_t len);

/*
 * A failed statement as it will be answered, kept in the request's arena: the server's error
 * lives only as long as its response, and some answers wait for a schema reload first.
 */
struct docs_failure {
    int         status;             /* HTTP status */
    const char *grpc;               /* the body's grpcStatus, or NULL */
    const char *desc;               /* description (arena) */
    size_t      len;                /* its length */
    int32_t     code;               /* the server's CQL_ERRCODE_*, or 0 when none answered */
};

/* Renders a failed statement (STATUS, and ERR when STATUS is E_SERVER) into F. */
void docs_api_failure(struct http_req *req, int status, const struct cql_error *err,
                      struct docs_failure *f);

/* Answers REQ with F. */
void docs_api_respond_failure(struct http_req *req, const struct docs_failure *f);

/*
 * Sets Q up for the statement CQL with NVALS values VALS (both arena writers) on the worker's
 * session, prepared through its cache, at LOCAL_QUORUM, with the request timeout; DONE gets the
 * result. Returns false, with nothing set up and nothing answered, when no connection is ready.
 */
bool docs_api_query_setup(struct http_req *req, struct cass_query *q, const struct cql_wr *cql,
                          const struct cql_wr *vals, uint16_t nvals, cass_query_cb done);

/*
 * Runs the statement CQL with NVALS values VALS (both arena writers) as Q on the worker's
 * session, prepared through its cache, at LOCAL_QUORUM; DONE gets the result. When it cannot
 * be built or sent, answers REQ instead (DONE does not run).
 */
void docs_api_run(struct http_req *req, struct cass_query *q, const struct cql_wr *cql,
                  const struct cql_wr *vals, uint16_t nvals, cass_query_cb done);

/* Appends "<ks>"."<t>" with both names quoted. */
void docs_api_table_name(struct cql_wr *w, const struct docs_names *n);

/* Microseconds since the epoch, the write time of a document write. */
int64_t docs_api_now_us(void);

/*
 * The head of a document handler's state: req->data of a write that may create its collection
 * points to a struct whose first member is this.
 */
struct docs_head {
    http_handler_cb next;           /* what runs once the collection exists */
};

/*
 * Runs NEXT(REQ) once collection N exists, creating it first (with the role's CREATE grant) when
 * the namespace has no such table, as Stargate's writes do; otherwise answers REQ (unknown
 * namespace, not a collection, a failed creation). REQ->data must start with a struct
 * docs_head.
 */
void docs_api_ensure_collection(struct http_req *req, const struct docs_names *n,
                                http_handler_cb next);

/*
 * Decodes {id} into *ID and *LEN (arena). The server decodes a path as UTF-8 and puts U+FFFD
 * where it cannot, so a document id is always valid text. Answers 404 and returns -1 when the
 * route has none or its escapes are bad.
 */
int docs_api_id(struct http_req *req, const char **id, size_t *len) MUSTCHECK;

/*
 * Answers 200 with DATA (LEN bytes of JSON) alone when RAW, else {"documentId":"<id>","data":..}
 * and, when PROFILE is not NULL, "profile":<PROFILE> (JSON text).
 */
void docs_api_respond_data(struct http_req *req, const char *id, size_t id_len, bool raw,
                           const char *data, size_t len, const struct cql_str *profile);

/* Answers STATUS with {"documentId":"<id>"}, and "profile":<PROFILE> when not NULL. */
void docs_api_respond_id(struct http_req *req, int status, const char *id, size_t len,
                         const struct cql_str *profile);

/* ---- profiles (5.4) -------------------------------------------------------------------------- */

/* One statement's figures in a profile. */
struct docs_prof {
    const char *cql;                /* its text */
    size_t      len;                /* its length */
    uint64_t    execs;              /* times run (pages included) */
    uint64_t    rows;               /* rows it answered (1 per DML statement) */
};

/* One step of a profile: its description and statements. */
struct docs_prof_step {
    const char       *desc;         /* "ASYNC INSERT", "GetFullDocument", ... */
    size_t            desc_len;     /* its length */
    struct docs_prof *queries;      /* its statements (sorted in place when written) */
    size_t            n;            /* how many */
};

/* Whether REQ asked for a profile: profile=true, in any case, as Java's Boolean reads it. */
bool docs_api_profile_wanted(struct http_req *req);

/*
 * Renders into REQ's arena Stargate's profile of the N steps: {"description":"root",
 * "queries":[],"nested":[<step>, ..]}, each step's statements sorted as Stargate sorts them
 * (execution count, then rows, then text, each descending) and those never run left out.
 */
struct cql_str docs_api_profile(struct http_req *req, struct docs_prof_step *steps, size_t n);

/* A document path from the URL ({path...}), segment by segment. */
struct docs_path {
    struct cql_str seg[DOCS_API_MAX_PATH]; /* as stored: "[n]" padded (and unescaped for reads) */
    struct cql_str url[DOCS_API_MAX_PATH]; /* as sent, percent-decoded, for messages */
    size_t         n;                      /* segments */
};

/*
 * Reads {path} into P: each '/'-separated segment percent-decoded, then in its stored form
 * (doc_shred_path_seg, unescaped when READ). With DROP_LAST the last segment (the literal
 * "function") is left out. Answers and returns -1: 404 for bad escapes, 400 for an index that
 * is not one or a path deeper than the document may be.
 */
int docs_api_path(struct http_req *req, bool read, bool drop_last, struct docs_path *p)
    MUSTCHECK;

/*
 * Reads a write's integer query parameter TTL_NAME (NULL: none taken) into *TTL (left alone
 * when absent) and its JSON body into *BODY. Answers and returns -1 on failure: a ttl that is
 * not an integer is a 404 (the route does not take it); a body that is not JSON "Unable to
 * process JSON: ..."; then the bean validations together: a ttl below 1, a missing body
 * (EMPTY_MSG).
 */
int docs_api_write_body(struct http_req *req, const char *ttl_name, const char *empty_msg,
                        int32_t *ttl, const struct cql_json_node **body) MUSTCHECK;

/* Appends the path's URL segments as Java prints a list: "[a, b]". */
void docs_api_path_text(struct cql_wr *w, const struct docs_path *p);

#endif /* DOCS_DOCS_API_H */
