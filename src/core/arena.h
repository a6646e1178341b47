/*
 * arena.h: a bump allocator for one lifetime (a request, a prepared statement's metadata).
 * Nothing is freed singly; arena_destroy frees everything at once. Blocks grow geometrically,
 * and an allocation larger than a block gets a block of its own.
 */
#ifndef CORE_ARENA_H
#define CORE_ARENA_H

#include <stddef.h>
#include <stdint.h>

#include "cql.h"

struct arena_block;

struct arena {
    struct arena_block *head;       /* newest block; allocations come from it */
    size_t              next_size;  /* size of the next block to allocate */
    size_t              total;      /* bytes allocated from malloc, for accounting */
};

void arena_init(struct arena *a, size_t first_block);
void arena_deinit(struct arena *a);
void *arena_alloc(struct arena *a, size_t size);        /* aligned to 16; aborts on OOM */
void *arena_memdup(struct arena *a, const void *p, size_t size);
char *arena_strndup(struct arena *a, const char *s, size_t len);

/*
 * A cql_wr grow callback over an arena (CTX is the struct arena): each growth takes a bigger
 * block and leaves the old one to the arena, so the writer's memory goes with the arena.
 */
uint8_t *arena_wr_grow(void *ctx, uint8_t *old, size_t len, size_t need, size_t *cap);

/* The proto/ allocator interface over this arena. */
struct cql_alloc arena_cql_alloc(struct arena *a);

#endif /* CORE_ARENA_H */
