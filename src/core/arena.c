/* arena.c: the bump allocator of arena.h. */
#include "core/arena.h"

#include <string.h>

#include "core/util.h"

#define ARENA_ALIGN 16

struct arena_block {
    struct arena_block *next;       /* older block */
    size_t              size;       /* usable bytes in data */
    size_t              used;       /* bytes handed out */
    _Alignas(ARENA_ALIGN) unsigned char data[];
};

void
arena_init(struct arena *a, size_t first_block)
{
    a->head = NULL;
    a->next_size = first_block < 256 ? 256 : first_block;
    a->total = 0;
}

void
arena_deinit(struct arena *a)
{
    struct arena_block *b = a->head;

    while (b != NULL) {
        struct arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
    a->total = 0;
}

void *
arena_alloc(struct arena *a, size_t size)
{
    struct arena_block *b = a->head;
    size_t need = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    void *p;

    if (b == NULL || b->size - b->used < need) {
        size_t bsize = a->next_size;

        if (bsize < need) {
            bsize = need;
        } else if (a->next_size < 1024 * 1024) {
            a->next_size *= 2;
        }
        b = xmalloc(sizeof(*b) + bsize);
        b->size = bsize;
        b->used = 0;
        b->next = a->head;
        a->head = b;
        a->total += bsize;
    }
    p = b->data + b->used;
    b->used += need;
    return p;
}

void *
arena_memdup(struct arena *a, const void *p, size_t size)
{
    void *q = arena_alloc(a, size);

    if (size > 0) {
        memcpy(q, p, size);
    }
    return q;
}

char *
arena_strndup(struct arena *a, const char *s, size_t len)
{
    char *q = arena_alloc(a, len + 1);

    memcpy(q, s, len);
    q[len] = '\0';
    return q;
}

uint8_t *
arena_wr_grow(void *ctx, uint8_t *old, size_t len, size_t need, size_t *cap)
{
    size_t n = need < 256 ? 256 : need * 2;
    uint8_t *p = arena_alloc(ctx, n);

    if (len > 0) {
        memcpy(p, old, len);
    }
    *cap = n;
    return p;
}

static void *
on_cql_alloc(void *ctx, size_t size)
{
    return arena_alloc(ctx, size);
}

struct cql_alloc
arena_cql_alloc(struct arena *a)
{
    struct cql_alloc ca = { on_cql_alloc, a };

    return ca;
}
