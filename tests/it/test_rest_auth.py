"""Table-based auth tokens (spec/rest-v2.md 1.1, 1.2, 1.4, 1.5) on the real binary against the
real Cassandra: POST /v1/auth and its legacy form, the token row checked with the Python driver,
the X-Cassandra-Token 401s byte for byte, expiry, the sliding TTL, and --auth none."""

import re
import time
import uuid

import requests

from conftest import Gateway, PASSWORD, USER, get_token

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
ERROR_CC = "no-store, no-transform, max-age=0, s-maxage=0"
MISSING = (b'{"description":"Role unauthorized for operation: Missing token, expecting one in the '
           b'X-Cassandra-Token header.","code":401,"grpcStatus":null,"internalTxId":null}')
INVALID = (b'{"description":"Unauthenticated gRPC operation (Status.Code.UNAUTHENTICATED->401): '
           b'UNAUTHENTICATED: Invalid token","code":401,"grpcStatus":"UNAUTHENTICATED",'
           b'"internalTxId":null}')
KEYSPACES = "/v2/schemas/keyspaces"


def post(gw, path, body=None, data=None, headers=None):
    return requests.post(gw.url(path), json=body, data=data, headers=headers, timeout=30)


def token_row(driver, tok):
    return driver.execute('SELECT username, created_timestamp, TTL(username) AS ttl '
                          'FROM data_endpoint_auth."token" WHERE auth_token = %s',
                          [uuid.UUID(tok)]).one()


def assert_auth_error(r, status, description):
    assert r.status_code == status, r.text
    assert r.json() == {"description": description}
    assert r.headers["Cache-Control"] == ERROR_CC


# ---- issuing -----------------------------------------------------------------------------------

def test_token_issued_and_stored(gateway, driver):
    before = int(time.time())
    r = post(gateway, "/v1/auth", {"username": USER, "password": PASSWORD, "other": 1})
    assert r.status_code == 201, r.text
    assert r.headers["Cache-Control"] == "no-transform, max-age=1790, s-maxage=1790"
    assert r.headers["Content-Type"] == "application/json"
    tok = r.json()["authToken"]
    assert list(r.json()) == ["authToken"]
    assert UUID_RE.match(tok), tok
    row = token_row(driver, tok)
    assert row is not None
    assert row.username == USER
    assert before - 1 <= row.created_timestamp <= int(time.time()) + 1
    assert 1700 < row.ttl <= 1800


def test_tokens_are_distinct(gateway):
    assert len({get_token(gateway) for _ in range(5)}) == 5


def test_legacy_form(gateway, driver):
    r = post(gateway, "/v1/auth/token/generate", {"key": USER, "secret": PASSWORD})
    assert r.status_code == 201, r.text
    tok = r.json()["authToken"]
    assert UUID_RE.match(tok)
    assert token_row(driver, tok).username == USER
    assert requests.get(gateway.url(KEYSPACES), headers={"X-Cassandra-Token": tok},
                        timeout=10).status_code == 200


def test_validation_errors(gateway):
    cases = [
        ("/v1/auth", None, "Must provide a body to the request"),
        ("/v1/auth", b"", "Must provide a body to the request"),
        ("/v1/auth", b"  \n", "Must provide a body to the request"),
        ("/v1/auth", b"null", "Must provide a body to the request"),
        ("/v1/auth", b"{}", "Must provide username in request"),
        ("/v1/auth", b'{"password":"x"}', "Must provide username in request"),
        ("/v1/auth", b'{"username":"","password":"x"}', "Must provide username in request"),
        ("/v1/auth", b'{"username":null,"password":"x"}', "Must provide username in request"),
        ("/v1/auth", b'{"username":"cassandra"}', "Must provide password in request"),
        ("/v1/auth", b'{"username":"cassandra","password":""}',
         "Must provide password in request"),
        ("/v1/auth/token/generate", None, "Must provide a body to the request"),
        ("/v1/auth/token/generate", b'{"username":"cassandra","password":"cassandra"}',
         "Must provide key in request"),
        ("/v1/auth/token/generate", b'{"key":"cassandra"}', "Must provide secret in request"),
        ("/v1/auth/token/generate", b'{"key":"cassandra","secret":""}',
         "Must provide secret in request"),
    ]
    for path, data, desc in cases:
        r = post(gateway, path, data=data, headers={"Content-Type": "application/json"})
        assert_auth_error(r, 400, desc)


def test_malformed_json(gateway):
    for data in [b"{", b'{"username":', b"not json", b"[1,2]", b'"x"',
                 b'{"username":["a"],"password":"b"}', b'{"username":"a","password":{}}']:
        r = post(gateway, "/v1/auth", data=data, headers={"Content-Type": "application/json"})
        assert r.status_code == 400, (data, r.text)
        assert r.content == b'{"code":400,"message":"Unable to process JSON"}'
        assert r.headers["Cache-Control"] == ERROR_CC


def test_wrong_password_and_unknown_user(gateway):
    r = post(gateway, "/v1/auth", {"username": USER, "password": "wrong"})
    assert_auth_error(r, 401, "Failed to create token: Provided username cassandra and/or "
                              "password are incorrect")
    r = post(gateway, "/v1/auth", {"username": "nobody_here", "password": "x"})
    assert_auth_error(r, 401, "Failed to create token: Provided username nobody_here and/or "
                              "password are incorrect")
    r = post(gateway, "/v1/auth/token/generate", {"key": USER, "secret": "wrong"})
    assert_auth_error(r, 401, "Failed to create token: Provided username cassandra and/or "
                              "password are incorrect")
    # A NUL would cut the SASL PLAIN token short; such a login can never succeed.
    r = post(gateway, "/v1/auth", data='{"username":"cassandra","password":"cassandra\\u0000x"}',
             headers={"Content-Type": "application/json"})
    assert r.status_code == 401, r.text
    assert "secret" not in gateway.output() and "wrong" not in gateway.output()


# ---- checking ----------------------------------------------------------------------------------

def test_missing_token_exact(gateway):
    r = requests.get(gateway.url(KEYSPACES), timeout=10)
    assert r.status_code == 401
    assert r.content == MISSING
    r = requests.post(gateway.url(KEYSPACES), json={"name": "never_made"}, timeout=10)
    assert r.status_code == 401 and r.content == MISSING


def test_bad_tokens(gateway):
    for tok in ["garbage", "", "1234", str(uuid.uuid4()), str(uuid.uuid4()).upper(),
                "12345678-1234-1234-1234-1234567890123", "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz"]:
        r = requests.get(gateway.url(KEYSPACES), headers={"X-Cassandra-Token": tok}, timeout=10)
        assert r.status_code == 401, (tok, r.text)
        assert r.content == INVALID, tok


def test_token_works_on_every_worker(gateway, token):
    for _ in range(8):
        with requests.Session() as s:
            r = s.get(gateway.url(KEYSPACES), headers={"x-cassandra-token": token}, timeout=10)
            assert r.status_code == 200, r.text
    assert token not in gateway.output()


def test_sliding_ttl(gateway, driver):
    tok = get_token(gateway)
    time.sleep(3)
    assert token_row(driver, tok).ttl <= 1797
    r = requests.get(gateway.url(KEYSPACES), headers={"X-Cassandra-Token": tok}, timeout=10)
    assert r.status_code == 200
    deadline = time.monotonic() + 5
    while token_row(driver, tok).ttl < 1799:
        assert time.monotonic() < deadline, "the token's TTL was not refreshed"
        time.sleep(0.1)


def test_expiry():
    gw = Gateway("--token-ttl", "2", workers=1)
    try:
        r = post(gw, "/v1/auth", {"username": USER, "password": PASSWORD})
        assert r.status_code == 201
        assert r.headers["Cache-Control"] == "no-transform, max-age=1, s-maxage=1"
        tok = r.json()["authToken"]
        headers = {"X-Cassandra-Token": tok}
        assert requests.get(gw.url(KEYSPACES), headers=headers, timeout=10).status_code == 200
        time.sleep(2 + 5 + 1)       # past the TTL and past the worker's 5 s cache
        r = requests.get(gw.url(KEYSPACES), headers=headers, timeout=10)
        assert r.status_code == 401
        assert r.content == INVALID
    finally:
        gw.stop_clean()


def test_auth_none_needs_no_token():
    gw = Gateway("--auth", "none")
    try:
        r = requests.get(gw.url(KEYSPACES), timeout=10)
        assert r.status_code == 200, r.text
        assert {"name": "system"} in r.json()["data"]
        r = requests.get(gw.url(KEYSPACES), headers={"X-Cassandra-Token": "garbage"}, timeout=10)
        assert r.status_code == 200
    finally:
        gw.stop_clean()
