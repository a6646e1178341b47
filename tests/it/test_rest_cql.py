"""POST /v2/cql (spec/rest-v2.md 3.7 and 7) on the real binary against the real Cassandra, checked
with the Python driver: off by default (a 404 like any unknown route), then with --cql-endpoint:
rows, paging through every row, raw, compactMapData both ways, DML and DDL (the schema endpoints
and the row endpoints serve a table at once), the keyspace parameter (v5, refused on v4), and
every error a client can cause."""

import time

import pytest
import requests

from conftest import Gateway, free_port, get_token

KSN = "cql_it_ks"            # made by the driver, for reads and writes
DDL_KS = "cql_it_ddl"        # made and dropped through /v2/cql
MAX_BODY = 65536             # the enabled gateway's --max-body


def cql(gw, token, body, params=None, headers=None):
    """POST BODY (str or bytes) to GW's /v2/cql with TOKEN (None: no header)."""
    h = {"X-Cassandra-Token": token} if token is not None else {}
    h["Content-Type"] = "text/plain"
    h.update(headers or {})
    if isinstance(body, str):
        body = body.encode()
    return requests.post(gw.url("/v2/cql"), data=body, params=params, headers=h, timeout=30)


def assert_error(r, status, description, grpc=None):
    assert r.status_code == status, r.text
    assert r.json() == {"description": description, "code": status, "grpcStatus": grpc,
                        "internalTxId": None}


def cass_error(status, grpc, prefix, message):
    return f"{prefix} (Status.Code.{grpc}->{status}): {grpc}: {message}"


def invalid(message):
    return cass_error(400, "INVALID_ARGUMENT", "Invalid argument for gRPC operation", message)


@pytest.fixture(scope="module")
def gw():
    """A gateway with the endpoint on (and a URL limit that lets a huge keyspace through)."""
    g = Gateway("--cql-endpoint", "--max-body", str(MAX_BODY), "--max-header-bytes", "262144")
    yield g
    g.stop_clean()


@pytest.fixture(scope="module")
def tok(gw):
    return get_token(gw)


@pytest.fixture(scope="module")
def ks(gw, tok, driver):
    driver.execute(f"DROP KEYSPACE IF EXISTS {KSN}")
    driver.execute(f"CREATE KEYSPACE {KSN} WITH replication = "
                   "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    driver.execute(f"CREATE TABLE {KSN}.events (p text, c int, v text, PRIMARY KEY (p, c))")
    driver.execute(f"CREATE TABLE {KSN}.maps (k int PRIMARY KEY, m map<text, int>)")
    for c in range(8):
        driver.execute(f"INSERT INTO {KSN}.events (p, c, v) VALUES (%s, %s, %s)",
                       ["pg", c, f"v{c}"])
    driver.execute(f"INSERT INTO {KSN}.maps (k, m) VALUES (1, {{'a': 1, 'b': 2}})")
    yield KSN
    driver.execute(f"DROP KEYSPACE IF EXISTS {KSN}")
    driver.execute(f"DROP KEYSPACE IF EXISTS {DDL_KS}")


# ---- off by default ------------------------------------------------------------------------------

def test_disabled_is_an_unknown_route(gateway, token):
    """Without --cql-endpoint the path does not exist: the same 404 as a path that never did,
    for any method, with or without a token (no 401, no 405)."""
    unknown = requests.post(gateway.url("/v2/nosuch"), data=b"SELECT 1", timeout=30)
    assert unknown.status_code == 404
    for method in ("POST", "GET", "PUT"):
        for h in ({"X-Cassandra-Token": token}, {}):
            for path in ("/v2/cql", "/api/rest/v2/cql"):
                r = requests.request(method, gateway.url(path), data=b"SELECT 1", headers=h,
                                     timeout=30)
                assert r.status_code == 404, (method, path, r.text)
                assert r.json() == unknown.json()
                assert r.headers["Content-Type"] == unknown.headers["Content-Type"]
                assert "Allow" not in r.headers


def test_enabled_route_is_post_only(gw, tok):
    r = requests.get(gw.url("/v2/cql"), headers={"X-Cassandra-Token": tok}, timeout=30)
    assert r.status_code == 405
    assert r.headers["Allow"] == "POST"


# ---- reads ---------------------------------------------------------------------------------------

def test_select_rows(gw, tok, driver, ks):
    r = cql(gw, tok, f"SELECT p, c, v FROM {KSN}.events WHERE p = 'pg' AND c < 3")
    assert r.status_code == 200, r.text
    want = [{"p": x.p, "c": x.c, "v": x.v} for x in
            driver.execute(f"SELECT p, c, v FROM {KSN}.events WHERE p = 'pg' AND c < 3")]
    assert len(want) == 3
    assert r.json() == {"count": 3, "data": want}
    assert list(r.json()) == ["count", "data"]


def test_paging_round_trip(gw, tok, driver, ks):
    """page-size 3 over 8 rows: three pages, pageState only while more remain, every row once."""
    seen, state, pages = [], None, 0
    while True:
        params = {"page-size": "3"}
        if state is not None:
            params["page-state"] = state
        r = cql(gw, tok, f"SELECT * FROM {KSN}.events WHERE p = 'pg'", params=params)
        assert r.status_code == 200, r.text
        j = r.json()
        assert j["count"] == len(j["data"])
        seen += j["data"]
        pages += 1
        if "pageState" not in j:
            break
        assert list(j) == ["count", "pageState", "data"] and j["count"] == 3
        state = j["pageState"]
    want = [{"p": x.p, "c": x.c, "v": x.v} for x in
            driver.execute(f"SELECT * FROM {KSN}.events WHERE p = 'pg'")]
    assert seen == want and len(want) == 8 and pages == 3


def test_default_page_size_is_100(gw, tok):
    r = cql(gw, tok, "SELECT keyspace_name, table_name FROM system_schema.columns")
    assert r.status_code == 200, r.text
    assert r.json()["count"] == 100 and "pageState" in r.json()
    for size in ("0", "-5"):
        r = cql(gw, tok, "SELECT keyspace_name FROM system_schema.columns",
                params={"page-size": size})
        assert r.json()["count"] == 100


def test_raw(gw, tok, ks):
    full = cql(gw, tok, f"SELECT * FROM {KSN}.events WHERE p = 'pg'").json()
    for raw in ("true", "TRUE"):
        r = cql(gw, tok, f"SELECT * FROM {KSN}.events WHERE p = 'pg'", params={"raw": raw})
        assert r.status_code == 200, r.text
        assert r.json() == full["data"]
    r = cql(gw, tok, f"SELECT * FROM {KSN}.events WHERE p = 'pg'", params={"raw": "yes"})
    assert r.json() == full
    # A page of a raw read is the bare array too (no pageState to carry on with).
    r = cql(gw, tok, f"SELECT * FROM {KSN}.events WHERE p = 'pg'",
            params={"raw": "true", "page-size": "2"})
    assert r.json() == full["data"][:2]


def test_compact_map_data(gw, tok, ks):
    q = f"SELECT k, m FROM {KSN}.maps WHERE k = 1"
    compact = {"count": 1, "data": [{"k": 1, "m": {"a": 1, "b": 2}}]}
    entries = {"count": 1, "data": [{"k": 1, "m": [{"key": "a", "value": 1},
                                                   {"key": "b", "value": 2}]}]}
    assert cql(gw, tok, q).json() == compact
    assert cql(gw, tok, q, params={"compactMapData": "true"}).json() == compact
    assert cql(gw, tok, q, params={"compactMapData": "false"}).json() == entries
    assert cql(gw, tok, q, params={"compactMapData": "FALSE"}).json() == entries


def test_keyspace_parameter(gw, tok, ks):
    r = cql(gw, tok, "SELECT v FROM events WHERE p = 'pg' AND c = 5", params={"keyspace": KSN})
    assert r.status_code == 200, r.text
    assert r.json() == {"count": 1, "data": [{"v": "v5"}]}
    # A qualified name wins over the parameter.
    r = cql(gw, tok, "SELECT release_version FROM system.local", params={"keyspace": KSN})
    assert r.status_code == 200 and r.json()["count"] == 1
    # An empty parameter is no keyspace.
    r = cql(gw, tok, "SELECT v FROM events", params={"keyspace": ""})
    assert r.status_code == 400
    assert r.json()["description"].startswith(invalid("No keyspace has been specified"))


def test_unqualified_without_keyspace(gw, tok, ks):
    r = cql(gw, tok, "SELECT v FROM events")
    assert r.status_code == 400
    assert r.json()["grpcStatus"] == "INVALID_ARGUMENT"
    assert r.json()["description"].startswith(invalid("No keyspace has been specified"))


def test_unknown_keyspace(gw, tok):
    r = cql(gw, tok, "SELECT * FROM events", params={"keyspace": "cql_it_nosuch"})
    assert_error(r, 400, invalid("Keyspace 'cql_it_nosuch' does not exist"), "INVALID_ARGUMENT")


def test_keyspace_longer_than_a_string(gw, tok):
    r = cql(gw, tok, "SELECT * FROM events", params={"keyspace": "k" * 70000})
    assert_error(r, 400, "Request invalid: the 'keyspace' parameter is longer than 65535 bytes.")
    # At the [string] limit it reaches Cassandra, which knows no such keyspace.
    r = cql(gw, tok, "SELECT * FROM events", params={"keyspace": "k" * 65535})
    assert r.status_code == 400 and r.json()["grpcStatus"] == "INVALID_ARGUMENT", r.text


# ---- writes and schema changes -------------------------------------------------------------------

def test_insert_then_driver(gw, tok, driver, ks):
    r = cql(gw, tok, "INSERT INTO events (p, c, v) VALUES ('ins', 1, 'héllo')",
            params={"keyspace": KSN})
    assert r.status_code == 200, r.text
    assert r.json() == {"count": 0, "data": []}
    got = driver.execute(f"SELECT v FROM {KSN}.events WHERE p = 'ins' AND c = 1").one()
    assert got.v == "héllo"
    r = cql(gw, tok, f"UPDATE {KSN}.events SET v = 'x' WHERE p = 'ins' AND c = 1",
            params={"raw": "true"})
    assert r.status_code == 200 and r.json() == []
    assert driver.execute(f"SELECT v FROM {KSN}.events WHERE p = 'ins' AND c = 1").one().v == "x"
    r = cql(gw, tok, f"DELETE FROM {KSN}.events WHERE p = 'ins'")
    assert r.json() == {"count": 0, "data": []}
    assert driver.execute(f"SELECT * FROM {KSN}.events WHERE p = 'ins'").one() is None


def test_nul_inside_a_literal_is_data(gw, tok, driver, ks):
    r = cql(gw, tok, f"INSERT INTO {KSN}.events (p, c, v) VALUES ('nul', 1, 'a\x00b')")
    assert r.status_code == 200, r.text
    assert driver.execute(f"SELECT v FROM {KSN}.events WHERE p = 'nul' AND c = 1").one().v \
        == "a\x00b"
    r = cql(gw, tok, f"SELECT v FROM {KSN}.events WHERE p = 'nul' /* \x00 */")
    assert r.json() == {"count": 1, "data": [{"v": "a\x00b"}]}


def test_ddl_is_served_at_once(gw, tok, driver, ks):
    """Each answer waits for the schema snapshot, so the very next request sees the change."""
    r = cql(gw, tok, f"CREATE KEYSPACE {DDL_KS} WITH replication = "
                     "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    assert r.status_code == 200, r.text
    assert r.json() == {"count": 0, "data": []}
    h = {"X-Cassandra-Token": tok}
    r = requests.get(gw.url(f"/v2/schemas/keyspaces/{DDL_KS}"), headers=h, timeout=30)
    assert r.status_code == 200 and r.json() == {"data": {"name": DDL_KS}}, r.text

    r = cql(gw, tok, "CREATE TABLE made (k text PRIMARY KEY, n int, m map<text, int>)",
            params={"keyspace": DDL_KS})
    assert r.status_code == 200, r.text
    r = requests.get(gw.url(f"/v2/schemas/keyspaces/{DDL_KS}/tables/made"), headers=h,
                     timeout=30)
    assert r.status_code == 200, r.text
    assert [c["name"] for c in r.json()["data"]["columnDefinitions"]] == ["k", "m", "n"]
    cols = driver.execute("SELECT column_name FROM system_schema.columns WHERE keyspace_name = %s "
                          "AND table_name = 'made'", [DDL_KS])
    assert sorted(c.column_name for c in cols) == ["k", "m", "n"]

    # The row endpoints use the new table at once, and the driver sees what they wrote.
    r = requests.post(gw.url(f"/v2/keyspaces/{DDL_KS}/made"), headers=h,
                      json={"k": "a", "n": 7, "m": {"x": 1}}, timeout=30)
    assert r.status_code == 201, r.text
    assert driver.execute(f"SELECT n FROM {DDL_KS}.made WHERE k = 'a'").one().n == 7
    r = requests.get(gw.url(f"/v2/keyspaces/{DDL_KS}/made/a"), headers=h, timeout=30)
    assert r.json() == {"count": 1, "data": [{"k": "a", "m": {"x": 1}, "n": 7}]}

    r = cql(gw, tok, f"ALTER TABLE {DDL_KS}.made ADD extra text")
    assert r.status_code == 200, r.text
    r = requests.get(gw.url(f"/v2/schemas/keyspaces/{DDL_KS}/tables/made/columns/extra"),
                     headers=h, timeout=30)
    assert r.status_code == 200, r.text

    r = cql(gw, tok, f"DROP KEYSPACE {DDL_KS}")
    assert r.status_code == 200, r.text
    r = requests.get(gw.url(f"/v2/schemas/keyspaces/{DDL_KS}"), headers=h, timeout=30)
    assert r.status_code == 404, r.text


def test_already_exists_is_409(gw, tok, ks):
    r = cql(gw, tok, f"CREATE TABLE {KSN}.events (p text PRIMARY KEY)")
    assert r.status_code == 409, r.text
    j = r.json()
    assert j["grpcStatus"] == "ALREADY_EXISTS" and j["code"] == 409
    assert j["description"].startswith(
        "Resource already exists (Status.Code.ALREADY_EXISTS->409): ALREADY_EXISTS: ")
    assert "events" in j["description"]


# ---- errors --------------------------------------------------------------------------------------

def test_syntax_error(gw, tok):
    r = cql(gw, tok, "SELsECT * FROM x")
    assert_error(r, 400, invalid("line 1:0 no viable alternative at input 'SELsECT' "
                                 "([SELsECT]...)"), "INVALID_ARGUMENT")


def test_invalid_statement(gw, tok, ks):
    r = cql(gw, tok, f"INSERT INTO {KSN}.events (c, v) VALUES (1, 'x')")
    assert r.status_code == 400, r.text
    assert r.json()["description"].startswith(invalid("Some partition key parts are missing"))


def test_blank_body(gw, tok):
    for body in (b"", b"   ", b" \t\r\n\x0b\x0c "):
        r = cql(gw, tok, body)
        assert_error(r, 400, "Request invalid: CQL query body required.")
    r = requests.post(gw.url("/v2/cql"), headers={"X-Cassandra-Token": tok}, timeout=30)
    assert_error(r, 400, "Request invalid: CQL query body required.")


def test_not_utf8(gw, tok):
    for body in (b"SELECT '\xff' FROM system.local", b"SELECT '\xc0\x80'", b"SELECT '\xe2\x82'"):
        r = cql(gw, tok, body)
        assert_error(r, 400, "Request invalid: CQL query body is not valid UTF-8.")


def test_stray_nul(gw, tok):
    for body in (b'SELECT * FROM system."lo\x00cal"', b"SELECT * FROM system.local\x00"):
        r = cql(gw, tok, body)
        assert_error(r, 400, "Request invalid: a NUL character is allowed only inside a string "
                             "literal or a comment.")
    # The connection is fine afterwards.
    assert cql(gw, tok, "SELECT key FROM system.local").json() == \
        {"count": 1, "data": [{"key": "local"}]}


def test_use_is_refused(gw, tok, ks):
    for body in (f"USE {KSN}", f"  /* c */ use \"{KSN}\";"):
        r = cql(gw, tok, body)
        assert_error(r, 400, "Request invalid: USE is not supported; name the keyspace in the "
                             "'keyspace' parameter or in the statement.")
    # No connection was switched to the keyspace: unqualified names still need one.
    for _ in range(4):
        r = cql(gw, tok, "SELECT v FROM events")
        assert r.status_code == 400, r.text


def test_missing_or_bad_token(gw):
    r = cql(gw, None, "SELECT key FROM system.local")
    assert_error(r, 401, "Role unauthorized for operation: Missing token, expecting one in the "
                         "X-Cassandra-Token header.")
    r = cql(gw, "5d2c5d2c-0000-4000-8000-000000000000", "SELECT key FROM system.local")
    assert_error(r, 401, "Unauthenticated gRPC operation (Status.Code.UNAUTHENTICATED->401): "
                         "UNAUTHENTICATED: Invalid token", "UNAUTHENTICATED")
    # The token is checked before the body.
    r = cql(gw, None, "")
    assert r.status_code == 401


def test_only_superuser_roles(gw, driver):
    """cqlgate does not parse the statement, so raw CQL needs a superuser role."""
    driver.execute("DROP ROLE IF EXISTS cql_it_plain")
    driver.execute("CREATE ROLE cql_it_plain WITH LOGIN = true AND PASSWORD = 'pw'")
    driver.execute("GRANT ALL PERMISSIONS ON ALL KEYSPACES TO cql_it_plain")
    try:
        t = get_token(gw, "cql_it_plain", "pw")
        r = cql(gw, t, "SELECT key FROM system.local")
        assert_error(r, 401, "Unauthorized gRPC operation (Status.Code.PERMISSION_DENIED->401): "
                             "PERMISSION_DENIED: User cql_it_plain is not a superuser: raw CQL "
                             "needs a superuser role", "PERMISSION_DENIED")
    finally:
        driver.execute("DROP ROLE IF EXISTS cql_it_plain")


def test_bad_page_state(gw, tok, ks):
    q = f"SELECT * FROM {KSN}.events WHERE p = 'pg'"
    r = cql(gw, tok, q, params={"page-state": "!!!"})
    assert_error(r, 400, "Invalid 'page-state' parameter, problem: not valid Base64: !!!")
    # Base64, but nothing Cassandra can page from.
    r = cql(gw, tok, q, params={"page-state": "AAAA"})
    assert_error(r, 400, "Invalid 'page-state' parameter, problem: Invalid value for the "
                         "paging state")
    # The URL-safe alphabet of a real state works (Q2).
    st = cql(gw, tok, q, params={"page-size": "5"}).json()["pageState"]
    urlsafe = st.replace("+", "-").replace("/", "_").rstrip("=")
    r = cql(gw, tok, q, params={"page-size": "5", "page-state": urlsafe})
    assert r.status_code == 200 and [d["c"] for d in r.json()["data"]] == [5, 6, 7], r.text


def test_rows_endpoint_refused_page_state(gw, tok, ks):
    """The row reads share the page parameters: Cassandra's refusal is a 400 there too."""
    r = requests.get(gw.url(f"/v2/keyspaces/{KSN}/events/rows"), params={"page-state": "AAAA"},
                     headers={"X-Cassandra-Token": tok}, timeout=30)
    assert_error(r, 400, "Invalid 'page-state' parameter, problem: Invalid value for the "
                         "paging state")


def test_page_size_not_a_number(gw, tok):
    for size in ("abc", "1.5", "", "99999999999"):
        r = cql(gw, tok, "SELECT key FROM system.local", params={"page-size": size})
        assert_error(r, 400, f"Invalid 'page-size' parameter, problem: not an integer: {size}")


def test_body_over_the_limit(gw, tok):
    pad = "SELECT key FROM system.local /*"
    at_limit = pad + "x" * (MAX_BODY - len(pad) - 2) + "*/"
    assert len(at_limit) == MAX_BODY
    r = cql(gw, tok, at_limit)
    assert r.status_code == 200 and r.json()["count"] == 1, r.text
    r = cql(gw, tok, at_limit + " ")
    assert r.status_code == 413, r.text
    assert r.json()["code"] == 413
    assert "larger than the limit of 65536 bytes" in r.json()["description"]


# ---- protocol v4, and no Cassandra ---------------------------------------------------------------

def test_keyspace_parameter_needs_v5(driver, ks):
    g = Gateway("--cql-endpoint", "--protocol-version", "4")
    try:
        assert "protocol v4" in g.output()
        t = get_token(g)
        r = cql(g, t, "SELECT v FROM events WHERE p = 'pg' AND c = 1", params={"keyspace": KSN})
        assert_error(r, 400, "Request invalid: the 'keyspace' parameter needs native protocol "
                             "v5, and the connection to Cassandra speaks v4; qualify the table "
                             "names with their keyspace instead.")
        r = cql(g, t, f"SELECT v FROM {KSN}.events WHERE p = 'pg' AND c = 1")
        assert r.status_code == 200 and r.json() == {"count": 1, "data": [{"v": "v1"}]}, r.text
        r = cql(g, t, f"SELECT * FROM {KSN}.events WHERE p = 'pg'", params={"page-size": "5"})
        st = r.json()["pageState"]
        r = cql(g, t, f"SELECT * FROM {KSN}.events WHERE p = 'pg'", params={"page-state": st})
        assert [d["c"] for d in r.json()["data"]] == [5, 6, 7]
    finally:
        g.stop_clean()


def test_not_ready_without_cassandra():
    g = Gateway("--cql-endpoint", "--auth", "none", contact_points=f"127.0.0.1:{free_port()}",
                wait_ready=False)
    try:
        time.sleep(0.3)
        r = cql(g, None, "SELECT key FROM system.local")
        assert r.status_code == 503, r.text
        assert r.json()["code"] == 503
        assert r.json()["description"].startswith("Cassandra is unreachable: ")
    finally:
        g.stop_clean()
