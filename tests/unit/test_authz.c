/* test_authz.c: a role's grants against what a route needs, and Cassandra's refusal text. */
#include "test.h"

#include <stdlib.h>

#include "api/authz.h"
#include "core/util.h"

/* A role named NAME holding the grants "resource=PERM|PERM" given as a NULL-ended list. */
static void
role_make(struct authz_role *r, const char *name, const char *const *grants)
{
    memset(r, 0, sizeof(*r));
    r->name = strdup(name);
    r->name_len = strlen(name);
    for (size_t i = 0; grants[i] != NULL; i++) {
        const char *eq = strchr(grants[i], '=');
        const char *p = eq + 1;
        struct authz_grant *g;

        r->grants = realloc(r->grants, (r->ngrants + 1) * sizeof(*r->grants));
        g = &r->grants[r->ngrants++];
        g->len = (size_t)(eq - grants[i]);
        g->resource = strndup(grants[i], g->len);
        g->perms = 0;
        while (*p != '\0') {
            size_t n = strcspn(p, "|");

            g->perms |= authz_perm_bit(p, n);
            p += n + (p[n] == '|');
        }
    }
}

static bool
allows(const struct authz_role *r, enum authz_perm perm, enum authz_on on, const char *ks,
       const char *t)
{
    struct authz_need need = { perm, on };

    return authz_allows(r, need, ks, ks != NULL ? strlen(ks) : 0, t, t != NULL ? strlen(t) : 0);
}

TEST(authz_perm_names)
{
    EQ(authz_perm_bit("SELECT", 6), AUTHZ_BIT(AUTHZ_SELECT));
    EQ(authz_perm_bit("MODIFY", 6), AUTHZ_BIT(AUTHZ_MODIFY));
    EQ(authz_perm_bit("CREATE", 6), AUTHZ_BIT(AUTHZ_CREATE));
    EQ(authz_perm_bit("ALTER", 5), AUTHZ_BIT(AUTHZ_ALTER));
    EQ(authz_perm_bit("DROP", 4), AUTHZ_BIT(AUTHZ_DROP));
    EQ(authz_perm_bit("AUTHORIZE", 9), 0);
    EQ(authz_perm_bit("DESCRIBE", 8), 0);
    EQ(authz_perm_bit("select", 6), 0);       /* Cassandra stores them upper case */
    EQ(authz_perm_bit("SELECTX", 7), 0);
    EQ(authz_perm_bit("SELEC", 5), 0);
    EQ(authz_perm_bit("", 0), 0);
}

TEST(authz_resource_hierarchy)
{
    static const char *const g[] = { "data/ks/t=SELECT", "data/ks=MODIFY", "data/ks2/*=SELECT",
                                     "data=CREATE", "data/ks/u=ALTER|DROP", NULL };
    struct authz_role r;

    role_make(&r, "bob", g);
    /* the table itself, its keyspace, all tables of a keyspace, and the root */
    OK(allows(&r, AUTHZ_SELECT, AUTHZ_TABLE, "ks", "t"));
    OK(!allows(&r, AUTHZ_SELECT, AUTHZ_TABLE, "ks", "u"));
    OK(!allows(&r, AUTHZ_SELECT, AUTHZ_TABLE, "ks", "tt"));
    OK(!allows(&r, AUTHZ_SELECT, AUTHZ_TABLE, "k", "s/t"));
    OK(allows(&r, AUTHZ_MODIFY, AUTHZ_TABLE, "ks", "anything"));
    OK(allows(&r, AUTHZ_MODIFY, AUTHZ_KEYSPACE, "ks", NULL));
    OK(!allows(&r, AUTHZ_MODIFY, AUTHZ_TABLE, "ks2", "t"));
    OK(!allows(&r, AUTHZ_MODIFY, AUTHZ_ALL_KEYSPACES, NULL, NULL));
    OK(allows(&r, AUTHZ_SELECT, AUTHZ_TABLE, "ks2", "any"));
    OK(!allows(&r, AUTHZ_SELECT, AUTHZ_KEYSPACE, "ks2", NULL)); /* all tables is not the keyspace */
    OK(allows(&r, AUTHZ_CREATE, AUTHZ_ALL_KEYSPACES, NULL, NULL));
    OK(allows(&r, AUTHZ_CREATE, AUTHZ_KEYSPACE, "other", NULL));
    OK(allows(&r, AUTHZ_CREATE, AUTHZ_TABLE, "other", "x"));
    OK(allows(&r, AUTHZ_ALTER, AUTHZ_TABLE, "ks", "u"));
    OK(allows(&r, AUTHZ_DROP, AUTHZ_TABLE, "ks", "u"));
    OK(!allows(&r, AUTHZ_DROP, AUTHZ_TABLE, "ks", "t"));
    OK(!allows(&r, AUTHZ_DROP, AUTHZ_KEYSPACE, "ks", NULL));
    /* names are compared exactly: case and prefixes matter */
    OK(!allows(&r, AUTHZ_SELECT, AUTHZ_TABLE, "KS", "t"));
    OK(!allows(&r, AUTHZ_MODIFY, AUTHZ_TABLE, "k", "t"));
    /* no grant is needed for NONE; SUPERUSER is never granted by resources */
    OK(allows(&r, AUTHZ_NONE, AUTHZ_ALL_KEYSPACES, NULL, NULL));
    OK(!allows(&r, AUTHZ_SUPERUSER, AUTHZ_ALL_KEYSPACES, NULL, NULL));
    r.superuser = true;
    OK(allows(&r, AUTHZ_SUPERUSER, AUTHZ_ALL_KEYSPACES, NULL, NULL));
    OK(allows(&r, AUTHZ_DROP, AUTHZ_KEYSPACE, "ks", NULL));
    r.superuser = false;
    r.allow_all = true;
    OK(allows(&r, AUTHZ_DROP, AUTHZ_KEYSPACE, "ks", NULL));
    authz_role_clear(&r);
    EQ(r.ngrants, 0);
    OK(r.name == NULL);
}

TEST(authz_no_grants)
{
    static const char *const g[] = { NULL };
    struct authz_role r;

    role_make(&r, "nobody", g);
    OK(!allows(&r, AUTHZ_SELECT, AUTHZ_TABLE, "ks", "t"));
    OK(!allows(&r, AUTHZ_CREATE, AUTHZ_ALL_KEYSPACES, NULL, NULL));
    OK(allows(&r, AUTHZ_NONE, AUTHZ_TABLE, "ks", "t"));
    authz_role_clear(&r);
}

static int
denial_is(const char *user, enum authz_perm perm, enum authz_on on, const char *ks,
          const char *t, const char *want)
{
    static const char *const g[] = { NULL };
    struct authz_role r;
    struct authz_need need = { perm, on };
    struct cql_wr w;
    int ok;

    role_make(&r, user, g);
    cql_wr_init(&w, NULL, 0, test_grow, NULL);
    authz_denial(&w, &r, need, ks, ks != NULL ? strlen(ks) : 0, t, t != NULL ? strlen(t) : 0);
    ok = w.err == 0 && w.len == strlen(want) && memcmp(w.p, want, w.len) == 0;
    if (!ok) {
        fprintf(stderr, "  got \"%.*s\"\n", (int)w.len, (const char *)w.p);
    }
    free(w.p);
    authz_role_clear(&r);
    return ok;
}

TEST(authz_denial_text)
{
    OK(denial_is("bob", AUTHZ_SELECT, AUTHZ_TABLE, "ks", "t",
                 "User bob has no SELECT permission on <table ks.t> or any of its parents"));
    OK(denial_is("bob", AUTHZ_MODIFY, AUTHZ_TABLE, "Ks", "T",
                 "User bob has no MODIFY permission on <table Ks.T> or any of its parents"));
    OK(denial_is("al", AUTHZ_CREATE, AUTHZ_KEYSPACE, "ks", NULL,
                 "User al has no CREATE permission on <keyspace ks> or any of its parents"));
    OK(denial_is("al", AUTHZ_CREATE, AUTHZ_ALL_KEYSPACES, NULL, NULL,
                 "User al has no CREATE permission on <all keyspaces> or any of its parents"));
    OK(denial_is("al", AUTHZ_ALTER, AUTHZ_TABLE, "a", "b",
                 "User al has no ALTER permission on <table a.b> or any of its parents"));
    OK(denial_is("al", AUTHZ_DROP, AUTHZ_KEYSPACE, "a", NULL,
                 "User al has no DROP permission on <keyspace a> or any of its parents"));
    OK(denial_is("al", AUTHZ_SUPERUSER, AUTHZ_ALL_KEYSPACES, NULL, NULL,
                 "User al is not a superuser: raw CQL needs a superuser role"));
}
