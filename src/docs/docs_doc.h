/*
 * docs_doc.h: whole documents of the Document API (spec/documents-v2.md, 1.3 and 2.4).
 *
 *     POST /{coll}        body --shred--> one LOGGED BATCH: an INSERT per row @ts -> 201
 *     PUT  /{coll}/{id}   one LOGGED BATCH: DELETE the partition @ts-1, INSERT per row @ts -> 200
 *     GET  /{coll}/{id}[/{path}]  SELECT <columns>, WRITETIME(leaf) WHERE key = ? [AND p0 = ?
 *                         ..] (docs_read) --fields--> the value at the path
 *                         --> {"documentId":..,"data":..} (or raw)
 *     DELETE /{coll}/{id}[/{path}]  DELETE the partition (or the subtree) @now -> 204
 *
 * A write is one batch on one partition (docs_batch), so a reader sees the old document or the
 * new one, never half of either; ts is the gateway's clock in microseconds, taken once per
 * request. Writes create a missing collection first (docs_api_ensure_collection).
 */
#ifndef DOCS_DOCS_DOC_H
#define DOCS_DOCS_DOC_H

#include "core/util.h"
#include "http/router.h"

/* Adds the document routes to R. Returns 0 or E_INVALID. */
int docs_doc_add_routes(struct router *r) MUSTCHECK;

#endif /* DOCS_DOCS_DOC_H */
