/*
 * main_routes.c: src/main.c compiled into the unit tests with its main renamed, so that a test can
 * build the process's whole route table: the API layer's routes and main.c's operational ones.
 */
#include "core/util.h"
#include "http/router.h"

int cqlgate_main(int argc, char **argv);
void test_add_operational_routes(struct router *r);

#define main cqlgate_main
#include "../../src/main.c"
#undef main

/* Adds main.c's operational routes to R, as main() does after api_register_routes. */
void
test_add_operational_routes(struct router *r)
{
    ASSERT(add_operational_routes(r) == 0);
}
