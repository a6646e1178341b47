/*
 * fuzz_common.h: helpers shared by the libFuzzer drivers in tests/fuzz/.
 *
 * Memory follows the rules of proto/: decoders get a struct cql_alloc (here a bump allocator over a
 * fixed buffer) and writers a grow callback (here realloc). Nothing survives an input: the bump
 * buffer is reset and re-poisoned by fz_bump_end(), and every writer buffer is freed by its driver.
 *
 * Under AddressSanitizer every bump block is surrounded by poisoned bytes, so a decoder that runs
 * past a column array or a type tree it allocated is caught as precisely as with malloc.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include "cql.h"
#include "cql_frame.h"
#include "cql_resp.h"
#include "cql_type.h"
#include "cql_value.h"
#include "cql_wire.h"

/* Size of the fixed buffer behind the bump allocator. */
#define FZ_BUMP_SIZE        (4u * 1024 * 1024)

/* Writers refuse to grow past this (CQL_ENOSPC), so a hostile input cannot exhaust memory. */
#define FZ_WR_MAX           (64u * 1024 * 1024)

/* Largest decompressed v4 body the frame driver allocates for. */
#define FZ_LZ4_MAX          (4u * 1024 * 1024)

/* Reports a broken property (not a crash inside proto/) and aborts, so libFuzzer saves the input. */
#define FZ_CHECK(cond, what)                                                                       \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fz_fail(__FILE__, __LINE__, #cond, (what));                                            \
        }                                                                                          \
    } while (0)

_Noreturn void fz_fail(const char *file, int line, const char *cond, const char *what);

/*
 * Starts the bump allocator for one input with a budget of LIMIT bytes (at most FZ_BUMP_SIZE;
 * a small budget drives the decoders into their CQL_ENOMEM paths) and returns it.
 */
const struct cql_alloc *fz_bump_begin(size_t limit);

/* Forgets every block handed out since fz_bump_begin and poisons them again. */
void fz_bump_end(void);

/* A cql_wr grow callback over realloc, growing by half and refusing past FZ_WR_MAX. */
uint8_t *fz_grow(void *ctx, uint8_t *old, size_t len, size_t need, size_t *cap);

/* A malloc'd copy of LEN bytes of P, exactly LEN bytes long (1 when LEN is 0). */
uint8_t *fz_dup(const void *p, size_t len);

/* Options of fz_response. */
struct fz_resp_opts {
    int      version;       /* protocol version given to the decoders: 4 or 5 */
    unsigned json_flags;    /* CQL_JSON_* used to render cells */
    size_t   alloc_limit;   /* bump allocator budget for RESULT metadata */
};

/*
 * Runs every response decoder on the (decompressed) body BODY of an envelope with FLAGS, whatever
 * the opcode: cql_resp_open (falling back to the bare body when the prefixes are malformed), then
 * cql_resp_error, cql_resp_result (walking every row and rendering every cell with
 * cql_value_to_json_opts), cql_resp_event, cql_resp_supported_has and the multimap walk,
 * cql_resp_authenticate and cql_resp_auth_token. Checks that the raw runs the decoders return
 * walk back to exactly their announced counts and lengths.
 */
void fz_response(uint8_t flags, const uint8_t *body, size_t len, const struct fz_resp_opts *o);

#endif /* FUZZ_COMMON_H */
