/*
 * docs_write.h: writes below a document's root, PATCH, the built-in functions and the batch
 * write of the Document API (spec/documents-v2.md, 1.3, 1.4, 2.4, 2.5).
 *
 *     PUT    .../{coll}/{id}/{path}           replaces the subtree at the path -> 200
 *     PATCH  .../{coll}/{id}[/{path}]         shallow merge of an object at the path -> 200
 *     POST   .../{coll}/{id}[/{path}]/function  $push, $pop, $set -> 200
 *     POST   .../{coll}/batch                 one batch per document, at once -> 202
 *
 * Each document write is one LOGGED BATCH (docs_batch): the deletes at ts-1, the inserts at ts,
 * so a reader sees the old document or the new one. `ttl-auto=true` (always for the functions)
 * gives the rows the TTL the document's first row has; otherwise rows written below the root
 * carry TTL 0, as Stargate's do.
 */
#ifndef DOCS_DOCS_WRITE_H
#define DOCS_DOCS_WRITE_H

#include "core/util.h"
#include "http/router.h"

/* Adds the routes above to R. Returns 0 or E_INVALID. */
int docs_write_add_routes(struct router *r) MUSTCHECK;

#endif /* DOCS_DOCS_WRITE_H */
