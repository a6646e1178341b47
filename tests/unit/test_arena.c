/* test_arena.c: the bump allocator of src/core/arena and its proto/ adapter. */
#include "test.h"

#include "core/arena.h"

TEST(arena_alignment_and_growth)
{
    struct arena a;
    uintptr_t prev = 0;

    arena_init(&a, 256);
    for (size_t i = 1; i < 2000; i += 37) {
        uint8_t *p = arena_alloc(&a, i);

        OK(((uintptr_t)p & 15) == 0);
        memset(p, 0xab, i);             /* ASan checks the whole span is ours */
        OK((uintptr_t)p != prev);
        prev = (uintptr_t)p;
    }
    OK(a.total >= 2000);
    arena_deinit(&a);
    OK(a.head == NULL);
}

TEST(arena_large_allocation_gets_its_own_block)
{
    struct arena a;
    uint8_t *small, *big, *after;

    arena_init(&a, 256);
    small = arena_alloc(&a, 8);
    big = arena_alloc(&a, 1 << 20);
    memset(big, 1, 1 << 20);
    after = arena_alloc(&a, 8);
    OK(small != NULL && big != NULL && after != NULL);
    OK(a.total >= (1u << 20) + 256);
    arena_deinit(&a);
}

TEST(arena_copies_and_cql_adapter)
{
    struct arena a;
    struct cql_alloc ca;
    char *s;
    uint8_t *m;

    arena_init(&a, 0);
    s = arena_strndup(&a, "keyspace.table", 8);
    STREQ(s, "keyspace");
    m = arena_memdup(&a, "\x00\x01\x02", 3);
    MEMEQ(m, 3, "\x00\x01\x02", 3);
    ca = arena_cql_alloc(&a);
    OK(cql_alloc(&ca, 100) != NULL);
    arena_deinit(&a);
}

TEST(arena_writer_grows_and_keeps_its_bytes)
{
    struct arena a;
    struct cql_wr w;

    arena_init(&a, 0);
    cql_wr_init(&w, NULL, 0, arena_wr_grow, &a);
    for (int i = 0; i < 5000; i++) {
        cql_wr_byte(&w, (uint8_t)i);
    }
    EQ(w.err, 0);
    EQ(w.len, 5000);
    for (int i = 0; i < 5000; i++) {
        EQ(w.p[i], (uint8_t)i);
    }
    arena_deinit(&a);
}
