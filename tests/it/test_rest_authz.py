"""Role grants on the REST API (spec/rest-v2.md 1.4, 1.5): a token's role may do over HTTP what
Cassandra would let it do, no more. Roles and grants are made with the Python driver; every
refusal is checked for Stargate's 401 body with Cassandra's own message, and for nothing written."""

import time

import pytest
import requests

from conftest import get_token

KSN = "authz_it"
PASSWORD = "pw-authz"

ROLES = {
    # role: grants given with the driver (the keyspace and its tables exist by then)
    "authz_reader": [f"GRANT SELECT ON TABLE {KSN}.t TO authz_reader"],
    "authz_writer": [f"GRANT MODIFY ON KEYSPACE {KSN} TO authz_writer"],
    "authz_nothing": [],
    "authz_member": ["GRANT authz_group TO authz_member"],
    "authz_alltables": [f"GRANT SELECT ON ALL TABLES IN KEYSPACE {KSN} TO authz_alltables"],
    "authz_creator": ["GRANT CREATE ON ALL KEYSPACES TO authz_creator"],
    "authz_tabler": [f"GRANT CREATE ON KEYSPACE {KSN} TO authz_tabler"],
    "authz_super_member": ["GRANT authz_super TO authz_super_member"],
    "authz_alter": [f"GRANT ALTER ON TABLE {KSN}.t TO authz_alter",
                    f"GRANT ALTER ON KEYSPACE {KSN} TO authz_alter"],
}
NOLOGIN = {
    "authz_group": [f"GRANT SELECT ON TABLE {KSN}.t TO authz_group"],
    "authz_super": [],
}


def api(gw, token, method, path, body=None, params=None):
    return requests.request(method, gw.url(path), json=body, params=params,
                            headers={"X-Cassandra-Token": token}, timeout=30)


def denied(r, message):
    assert r.status_code == 401, r.text
    assert r.json() == {
        "description": "Unauthorized gRPC operation (Status.Code.PERMISSION_DENIED->401): "
                       f"PERMISSION_DENIED: {message}",
        "code": 401, "grpcStatus": "PERMISSION_DENIED", "internalTxId": None}


def drop_all(driver):
    for role in list(ROLES) + list(NOLOGIN):
        driver.execute(f"DROP ROLE IF EXISTS {role}")
    for ks in (KSN, "authz_it_made", "authz_it_made2"):
        driver.execute(f"DROP KEYSPACE IF EXISTS {ks}")


@pytest.fixture(scope="module")
def tokens(gateway, token, driver):
    drop_all(driver)
    driver.execute(f"CREATE KEYSPACE {KSN} WITH replication = "
                   "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    driver.execute(f"CREATE TABLE {KSN}.t (k int PRIMARY KEY, v text)")
    driver.execute(f"CREATE TABLE {KSN}.u (k int PRIMARY KEY, v text)")
    driver.execute(f"INSERT INTO {KSN}.t (k, v) VALUES (1, 'one')")
    driver.execute(f"INSERT INTO {KSN}.u (k, v) VALUES (1, 'uno')")
    driver.execute("CREATE ROLE authz_group")
    driver.execute("CREATE ROLE authz_super WITH SUPERUSER = true")
    for role in ROLES:
        driver.execute(f"CREATE ROLE {role} WITH LOGIN = true AND PASSWORD = '{PASSWORD}'")
    for grants in list(NOLOGIN.values()) + list(ROLES.values()):
        for g in grants:
            driver.execute(g)
    deadline = time.monotonic() + 30
    while api(gateway, token, "GET", f"/v2/schemas/keyspaces/{KSN}/tables/u").status_code != 200:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    yield {role: get_token(gateway, role, PASSWORD) for role in ROLES}
    drop_all(driver)


def rows(driver, table="t"):
    return sorted((r.k, r.v) for r in driver.execute(f"SELECT k, v FROM {KSN}.{table}"))


def test_select_granted_on_the_table(gateway, tokens, driver):
    r = api(gateway, tokens["authz_reader"], "GET", f"/v2/keyspaces/{KSN}/t/1")
    assert r.status_code == 200, r.text
    assert r.json()["data"] == [{"k": 1, "v": "one"}]
    denied(api(gateway, tokens["authz_reader"], "GET", f"/v2/keyspaces/{KSN}/u/1"),
           f"User authz_reader has no SELECT permission on <table {KSN}.u> or any of its parents")
    denied(api(gateway, tokens["authz_reader"], "GET", f"/v2/keyspaces/{KSN}/u/rows"),
           f"User authz_reader has no SELECT permission on <table {KSN}.u> or any of its parents")


def test_reader_cannot_write(gateway, tokens, driver):
    msg = f"User authz_reader has no MODIFY permission on <table {KSN}.t> or any of its parents"
    denied(api(gateway, tokens["authz_reader"], "POST", f"/v2/keyspaces/{KSN}/t",
               {"k": 2, "v": "two"}), msg)
    denied(api(gateway, tokens["authz_reader"], "PUT", f"/v2/keyspaces/{KSN}/t/1", {"v": "x"}),
           msg)
    denied(api(gateway, tokens["authz_reader"], "PATCH", f"/v2/keyspaces/{KSN}/t/1", {"v": "x"}),
           msg)
    denied(api(gateway, tokens["authz_reader"], "DELETE", f"/v2/keyspaces/{KSN}/t/1"), msg)
    assert rows(driver) == [(1, "one")]


def test_modify_on_the_keyspace_covers_its_tables(gateway, tokens, driver):
    tok = tokens["authz_writer"]
    r = api(gateway, tok, "POST", f"/v2/keyspaces/{KSN}/u", {"k": 5, "v": "five"})
    assert r.status_code == 201, r.text
    r = api(gateway, tok, "PATCH", f"/v2/keyspaces/{KSN}/u/5", {"v": "cinq"})
    assert r.status_code == 200, r.text
    assert (5, "cinq") in rows(driver, "u")
    r = api(gateway, tok, "DELETE", f"/v2/keyspaces/{KSN}/u/5")
    assert r.status_code == 204, r.text
    assert rows(driver, "u") == [(1, "uno")]
    denied(api(gateway, tok, "GET", f"/v2/keyspaces/{KSN}/u/1"),
           f"User authz_writer has no SELECT permission on <table {KSN}.u> or any of its parents")


def test_no_grants_reads_schema_only(gateway, tokens):
    tok = tokens["authz_nothing"]
    # Cassandra lets every role read the schema, and so does Stargate over Cassandra.
    assert api(gateway, tok, "GET", "/v2/schemas/keyspaces").status_code == 200
    assert api(gateway, tok, "GET", f"/v2/schemas/keyspaces/{KSN}/tables/t").status_code == 200
    assert api(gateway, tok, "GET",
               f"/v2/schemas/keyspaces/{KSN}/tables/t/columns").status_code == 200
    denied(api(gateway, tok, "GET", f"/v2/keyspaces/{KSN}/t", params={"where": '{"k":1}'}),
           f"User authz_nothing has no SELECT permission on <table {KSN}.t> or any of its parents")


def test_grants_of_granted_roles_count(gateway, tokens):
    r = api(gateway, tokens["authz_member"], "GET", f"/v2/keyspaces/{KSN}/t/1")
    assert r.status_code == 200, r.text
    r = api(gateway, tokens["authz_alltables"], "GET", f"/v2/keyspaces/{KSN}/u/1")
    assert r.status_code == 200, r.text
    # a superuser role granted to a role makes it a superuser
    tok = tokens["authz_super_member"]
    r = api(gateway, tok, "POST", f"/v2/keyspaces/{KSN}/u", {"k": 9, "v": "nine"})
    assert r.status_code == 201, r.text
    assert api(gateway, tok, "DELETE", f"/v2/keyspaces/{KSN}/u/9").status_code == 204


def test_schema_changes_need_their_permission(gateway, tokens, driver):
    tok = tokens["authz_reader"]
    denied(api(gateway, tok, "POST", "/v2/schemas/keyspaces", {"name": "authz_it_never"}),
           "User authz_reader has no CREATE permission on <all keyspaces> or any of its parents")
    denied(api(gateway, tok, "DELETE", f"/v2/schemas/keyspaces/{KSN}"),
           f"User authz_reader has no DROP permission on <keyspace {KSN}> or any of its parents")
    table = {"name": "nope", "columnDefinitions": [{"name": "k", "typeDefinition": "int"}],
             "primaryKey": {"partitionKey": ["k"]}}
    denied(api(gateway, tok, "POST", f"/v2/schemas/keyspaces/{KSN}/tables", table),
           f"User authz_reader has no CREATE permission on <keyspace {KSN}> or any of its parents")
    denied(api(gateway, tok, "DELETE", f"/v2/schemas/keyspaces/{KSN}/tables/t"),
           f"User authz_reader has no DROP permission on <table {KSN}.t> or any of its parents")
    alter_t = f"User authz_reader has no ALTER permission on <table {KSN}.t> or any of its parents"
    denied(api(gateway, tok, "POST", f"/v2/schemas/keyspaces/{KSN}/tables/t/columns",
               {"name": "w", "typeDefinition": "int"}), alter_t)
    denied(api(gateway, tok, "POST", f"/v2/schemas/keyspaces/{KSN}/tables/t/indexes",
               {"column": "v", "name": "t_v"}), alter_t)
    denied(api(gateway, tok, "POST", f"/v2/schemas/keyspaces/{KSN}/types",
               {"name": "ty", "fields": [{"name": "a", "typeDefinition": "int"}]}),
           f"User authz_reader has no CREATE permission on <keyspace {KSN}> or any of its parents")
    names = {r.keyspace_name for r in driver.execute("SELECT keyspace_name FROM "
                                                     "system_schema.keyspaces")}
    assert "authz_it_never" not in names
    cols = {r.column_name for r in driver.execute(
        "SELECT column_name FROM system_schema.columns WHERE keyspace_name = %s "
        "AND table_name = 't'", [KSN])}
    assert cols == {"k", "v"}
    assert not list(driver.execute(
        "SELECT index_name FROM system_schema.indexes WHERE keyspace_name = %s", [KSN]))


def test_alter_granted(gateway, tokens, driver):
    tok = tokens["authz_alter"]
    r = api(gateway, tok, "POST", f"/v2/schemas/keyspaces/{KSN}/tables/t/columns",
            {"name": "w", "typeDefinition": "int"})
    assert r.status_code == 201, r.text
    r = api(gateway, tok, "DELETE", f"/v2/schemas/keyspaces/{KSN}/tables/t/columns/w")
    assert r.status_code == 204, r.text
    denied(api(gateway, tok, "DELETE", f"/v2/schemas/keyspaces/{KSN}/tables/t"),
           f"User authz_alter has no DROP permission on <table {KSN}.t> or any of its parents")
    assert {r.column_name for r in driver.execute(
        "SELECT column_name FROM system_schema.columns WHERE keyspace_name = %s "
        "AND table_name = 't'", [KSN])} == {"k", "v"}


def test_creator_gets_the_permissions_cassandra_gives(gateway, tokens, driver):
    tok = tokens["authz_creator"]
    r = api(gateway, tok, "POST", "/v2/schemas/keyspaces", {"name": "authz_it_made"})
    assert r.status_code == 201, r.text
    perms = {(r.resource, tuple(sorted(r.permissions))) for r in driver.execute(
        "SELECT resource, permissions FROM system_auth.role_permissions WHERE role = %s",
        ["authz_creator"])}
    assert any(res == "data/authz_it_made" and "MODIFY" in p and "DROP" in p
               for res, p in perms), perms
    table = {"name": "t", "columnDefinitions": [{"name": "k", "typeDefinition": "int"},
                                                {"name": "v", "typeDefinition": "text"}],
             "primaryKey": {"partitionKey": ["k"]}}
    r = api(gateway, tok, "POST", "/v2/schemas/keyspaces/authz_it_made/tables", table)
    assert r.status_code == 201, r.text
    r = api(gateway, tok, "POST", "/v2/keyspaces/authz_it_made/t", {"k": 1, "v": "mine"})
    assert r.status_code == 201, r.text
    assert [(x.k, x.v) for x in driver.execute("SELECT k, v FROM authz_it_made.t")] == \
        [(1, "mine")]
    r = api(gateway, tok, "DELETE", "/v2/schemas/keyspaces/authz_it_made")
    assert r.status_code == 204, r.text


def test_table_creator_may_use_its_table(gateway, tokens, driver):
    tok = tokens["authz_tabler"]
    table = {"name": "made", "columnDefinitions": [{"name": "k", "typeDefinition": "int"},
                                                   {"name": "v", "typeDefinition": "text"}],
             "primaryKey": {"partitionKey": ["k"]}}
    r = api(gateway, tok, "POST", f"/v2/schemas/keyspaces/{KSN}/tables", table)
    assert r.status_code == 201, r.text
    r = api(gateway, tok, "POST", f"/v2/keyspaces/{KSN}/made", {"k": 3, "v": "three"})
    assert r.status_code == 201, r.text
    r = api(gateway, tok, "GET", f"/v2/keyspaces/{KSN}/made/3")
    assert r.status_code == 200 and r.json()["data"] == [{"k": 3, "v": "three"}], r.text
    # the grant is on that table only
    denied(api(gateway, tok, "GET", f"/v2/keyspaces/{KSN}/t/1"),
           f"User authz_tabler has no SELECT permission on <table {KSN}.t> or any of its parents")
    assert api(gateway, tok, "DELETE", f"/v2/schemas/keyspaces/{KSN}/tables/made").status_code \
        == 204


def test_revoked_grant_stops_within_seconds(gateway, tokens, driver):
    driver.execute(f"GRANT SELECT ON TABLE {KSN}.u TO authz_nothing")
    deadline = time.monotonic() + 10
    while True:
        r = api(gateway, tokens["authz_nothing"], "GET", f"/v2/keyspaces/{KSN}/u/1")
        if r.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert r.status_code == 200, r.text
    driver.execute(f"REVOKE SELECT ON TABLE {KSN}.u FROM authz_nothing")
    time.sleep(2.5)                 # the grants are cached for at most two seconds
    denied(api(gateway, tokens["authz_nothing"], "GET", f"/v2/keyspaces/{KSN}/u/1"),
           f"User authz_nothing has no SELECT permission on <table {KSN}.u> or any of its parents")


def test_dropped_role_keeps_no_rights(gateway, tokens, driver):
    tok = get_token(gateway, "authz_writer", PASSWORD)
    driver.execute("DROP ROLE authz_writer")
    try:
        time.sleep(2.5)
        denied(api(gateway, tok, "POST", f"/v2/keyspaces/{KSN}/u", {"k": 7, "v": "x"}),
               f"User authz_writer has no MODIFY permission on <table {KSN}.u> or any of its "
               "parents")
        assert rows(driver, "u") == [(1, "uno")]
    finally:
        driver.execute(f"CREATE ROLE IF NOT EXISTS authz_writer WITH LOGIN = true AND "
                       f"PASSWORD = '{PASSWORD}'")
        driver.execute(f"GRANT MODIFY ON KEYSPACE {KSN} TO authz_writer")


def test_no_check_without_tokens(driver, tokens):
    from conftest import Gateway
    gw = Gateway("--auth", "none")
    try:
        r = requests.post(gw.url(f"/v2/keyspaces/{KSN}/u"), json={"k": 8, "v": "eight"},
                          timeout=30)
        assert r.status_code == 201, r.text
        assert (8, "eight") in rows(driver, "u")
        driver.execute(f"DELETE FROM {KSN}.u WHERE k = 8")
    finally:
        gw.stop_clean()
