/* test_api_cql.c: the statement checks of POST /v2/cql (USE, stray NUL characters). */
#include "test.h"

#include "api/api_cql.h"

/* The checks take lengths, so the NUL cases are arrays with their size. */
#define USE(s) api_cql_is_use((s), sizeof(s) - 1)
#define NUL(s) api_cql_stray_nul((s), sizeof(s) - 1)

TEST(api_cql_is_use)
{
    OK(USE("USE ks"));
    OK(USE("use"));
    OK(USE("  \t\r\n uSe \"Ks\""));
    OK(USE("USE\"ks\""));
    OK(USE("-- a comment\nUSE ks"));
    OK(USE("// a comment\r\n use ks;"));
    OK(USE("/* a comment */USE/* another */ks"));
    OK(USE("/* -- * / not the end */ /**/ use ks"));
    OK(!USE(""));
    OK(!USE("   "));
    OK(!USE("us"));
    OK(!USE("users"));
    OK(!USE("USE_ks"));
    OK(!USE("use1"));
    OK(!USE("SELECT * FROM use"));
    OK(!USE("'use' ks"));
    OK(!USE("-- USE ks"));
    OK(!USE("/* USE ks"));
    OK(!USE("/* USE ks */"));
    OK(!USE("INSERT INTO t (k) VALUES ('USE')"));
}

TEST(api_cql_stray_nul)
{
    OK(!NUL(""));
    OK(!NUL("SELECT * FROM t"));
    OK(NUL("SELECT * FROM t\0"));
    OK(NUL("SELECT * FROM \"a\0b\""));
    OK(NUL("SELECT * FROM a\0b"));
    /* inside string literals and comments a NUL is data */
    OK(!NUL("INSERT INTO t (k) VALUES ('a\0b')"));
    OK(!NUL("INSERT INTO t (k) VALUES ('it''s \0 here')"));
    OK(!NUL("INSERT INTO t (k) VALUES ($$a\0b$$)"));
    OK(!NUL("INSERT INTO t (k) VALUES ($$it's$$) -- \0\n"));
    OK(!NUL("SELECT /* \0 */ k FROM t // \0"));
    OK(!NUL("SELECT k FROM t WHERE k = 'unterminated \0"));
    /* a quote inside a quoted name does not start a literal; "" is a quote */
    OK(NUL("SELECT \"it's\" FROM t WHERE k = \0'"));
    OK(NUL("SELECT \"a\"\"\0\" FROM t"));
    OK(!NUL("SELECT \"a\"\"b\" FROM t WHERE k = 'x\0'"));
    /* after a literal ends, the scan goes on */
    OK(NUL("SELECT 'a''' \0"));
    OK(NUL("SELECT $$a$$ \0"));
    OK(NUL("SELECT /* c */ \0"));
    OK(NUL("SELECT -- c\n\0"));
}
