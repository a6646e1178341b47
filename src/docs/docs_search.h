/*
 * docs_search.h: collection search of the Document API (spec/documents-v2.md 1.3.2 and 3):
 *
 *     GET /v2/namespaces/{ns}/collections/{coll}?where=..&fields=..&page-size=..&page-state=..
 *         --> {"pageState":"..","data":{"<id>":<document>, ..},"profile":..} (or raw: data)
 *
 * The `where` is planned by doc_where into one CQL query on the collection's SAI indexes (the
 * driver), whose candidate documents are then read all at once and tested in memory. What the
 * indexes cannot serve ($or at the top, or only $ne, $nin and $exists:false) scans the table's
 * partition keys instead. See docs_search.c for the statements.
 */
#ifndef DOCS_DOCS_SEARCH_H
#define DOCS_DOCS_SEARCH_H

#include "core/util.h"
#include "docs/docs_api.h"
#include "http/router.h"

/* Documents per page when `page-size` is not given, and the most a page may ask for. */
#define DOCS_SEARCH_PAGE_DEFAULT 3
#define DOCS_SEARCH_PAGE_MAX     20

/* Most rows per page of a driver query, and per page of one candidate document's rows. */
#define DOCS_SEARCH_DRIVER_ROWS  1024
#define DOCS_SEARCH_DOC_ROWS     1000

/* Most candidate documents read at the same time by one search. */
#define DOCS_SEARCH_WINDOW       40

/* Groups per page of a search inside one document when `page-size` is not given. */
#define DOCS_SEARCH_IN_DOC_PAGE  100

/*
 * Answers GET /{coll}/{id}[/{path}] given `where` or `page-size` (PAGE_SIZE, or -1 when absent):
 * the search inside document ID (ID_LEN bytes) of collection N, Stargate's 3.6, under the NPREFIX
 * segments PREFIX of {path} (in their stored form; 0 at the root), which must live as long as
 * the request. The caller checked the names, the id, the path and that PAGE_SIZE is at least one.
 */
void docs_search_document(struct http_req *req, const struct docs_names *n, const char *id,
                          size_t id_len, const struct cql_str *prefix, size_t nprefix,
                          int32_t page_size);

/* Adds GET /v2/namespaces/{ks}/collections/{t} to R. Returns 0 or E_INVALID. */
int docs_search_add_routes(struct router *r) MUSTCHECK;

#endif /* DOCS_DOCS_SEARCH_H */
