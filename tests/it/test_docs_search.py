"""Document API search (spec/documents-v2.md, section 3) on the real binary against the real
Cassandra: every operator on every value type, globs, [*], alternatives and escaped fields, $and,
$or and $not in their combinations, each checked against the documents expected; `fields`, `raw`
and `profile` (which statements ran: index queries where the indexes can answer, a scan where
they cannot); paging through 1,000 matching documents with no duplicate and no gap, the ids
checked against the rows the Python driver reads; search inside one document; every error."""

import json
import time

import pytest
import requests

from test_docs import api, assert_error, create_ns, wait_for

NS = "search_it"                    # the namespace of these tests
COLL = "people"                     # the collection of small documents
BIG = "many"                        # the collection paged through
PATH = f"/v2/namespaces/{NS}/collections/{COLL}"
BIG_PATH = f"/v2/namespaces/{NS}/collections/{BIG}"

DOCS = {
    "d1": {"name": "ann", "age": 31, "admin": True, "tags": ["x", "y"],
           "addr": {"city": "oslo", "zip": 100}, "pets": [{"kind": "cat", "age": 3}]},
    "d2": {"name": "bob", "age": 25, "admin": False, "tags": ["y"],
           "addr": {"city": "rome", "zip": 200}, "pets": [{"kind": "dog", "age": 9},
                                                          {"kind": "cat", "age": 1}]},
    "d3": {"name": "cid", "age": 47.5, "admin": False, "tags": [],
           "addr": {"city": "oslo", "zip": None}, "pets": []},
    "d4": {"name": "dee", "age": 25, "nick": None, "work": {"city": "rome"},
           "a\\.b": "dotted", "c,d": "comma", "s*": "star"},
    "d5": {"name": "Eve", "age": -3, "admin": True, "addr": {}, "misc": [[1, 2], [3]]},
}

# as read back: a key written with an escaped period comes back with the period alone (2.2)
READ = {k: {("a.b" if m == "a\\.b" else m): v for m, v in d.items()} for k, d in DOCS.items()}


def search(gw, token, where=None, path=PATH, **params):
    p = {k.replace("_", "-"): v for k, v in params.items()}
    if where is not None:
        p["where"] = where if isinstance(where, str) else json.dumps(where)
    return api(gw, token, "GET", path, params=p)


def search_all(gw, token, where=None, path=PATH, page_size=20, **params):
    """Every page of a search: the ids in order, every document, and the page count."""
    ids, docs, state, pages = [], {}, None, 0
    while True:
        extra = dict(params)
        if state is not None:
            extra["page_state"] = state
        r = search(gw, token, where, path, page_size=page_size, **extra)
        assert r.status_code == 200, r.text
        body = r.json()
        pages += 1
        ids += list(body["data"].keys())
        docs.update(body["data"])
        state = body.get("pageState")
        if state is None:
            return ids, docs, pages
        assert len(body["data"]) == page_size
        assert pages < 500


def wait_searchable(gw, token, path):
    """The SAI indexes of a new collection answer only once built."""
    deadline = time.monotonic() + 60
    while True:
        r = search(gw, token, {"x": {"$eq": 1}}, path)
        if r.status_code == 200:
            return
        assert time.monotonic() < deadline, r.text
        time.sleep(0.2)


@pytest.fixture(scope="module")
def coll(gateway, token, driver):
    driver.execute(f"DROP KEYSPACE IF EXISTS {NS}")
    create_ns(driver, NS)
    wait_for(gateway, token, f"/v2/schemas/namespaces/{NS}")
    for doc_id, doc in DOCS.items():
        r = api(gateway, token, "PUT", f"{PATH}/{doc_id}", data=json.dumps(doc))
        assert r.status_code == 200, r.text
    wait_searchable(gateway, token, PATH)
    yield
    driver.execute(f"DROP KEYSPACE IF EXISTS {NS}")


# ---- operators, paths and logic, checked against the documents expected ------------------------

CASES = [
    # numbers
    ({"age": {"$eq": 25}}, {"d2", "d4"}),
    ({"age": {"$eq": 25.0}}, {"d2", "d4"}),
    ({"age": {"$ne": 25}}, {"d1", "d3", "d5"}),
    ({"age": {"$gt": 31}}, {"d3"}),
    ({"age": {"$gte": 31}}, {"d1", "d3"}),
    ({"age": {"$lt": 25}}, {"d5"}),
    ({"age": {"$lte": 25}}, {"d2", "d4", "d5"}),
    ({"age": {"$gt": 0, "$lt": 30}}, {"d2", "d4"}),
    ({"age": {"$in": [31, -3, 1000]}}, {"d1", "d5"}),
    ({"age": {"$nin": [25, 31]}}, {"d3", "d5"}),
    # strings
    ({"name": {"$eq": "bob"}}, {"d2"}),
    ({"name": {"$ne": "bob"}}, {"d1", "d3", "d4", "d5"}),
    ({"name": {"$gt": "bob"}}, {"d3", "d4"}),
    ({"name": {"$gte": "bob"}}, {"d2", "d3", "d4"}),
    ({"name": {"$lt": "bob"}}, {"d1", "d5"}),
    ({"name": {"$lte": "Eve"}}, {"d5"}),
    ({"name": {"$in": ["ann", "dee", "zed"]}}, {"d1", "d4"}),
    ({"name": {"$nin": ["ann", "dee"]}}, {"d2", "d3", "d5"}),
    ({"name": {"$eq": 25}}, set()),
    # booleans
    ({"admin": {"$eq": True}}, {"d1", "d5"}),
    ({"admin": {"$eq": False}}, {"d2", "d3"}),
    ({"admin": {"$ne": True}}, {"d2", "d3", "d4"}),
    ({"admin": {"$in": [False]}}, {"d2", "d3"}),
    ({"admin": {"$gt": False}}, {"d1", "d5"}),
    # nulls, missing fields, empty containers
    ({"nick": {"$exists": True}}, {"d4"}),
    ({"nick": {"$exists": False}}, {"d1", "d2", "d3", "d5"}),
    ({"nick": {"$in": [None]}}, {"d4"}),
    ({"addr.zip": {"$in": [None, 100]}}, {"d1", "d3"}),
    ({"addr.zip": {"$nin": [None]}}, {"d1", "d2", "d4", "d5"}),
    ({"addr": {"$exists": True}}, {"d5"}),
    ({"tags": {"$exists": True}}, {"d3"}),
    ({"admin": {"$exists": True}}, {"d1", "d2", "d3", "d5"}),
    # paths, globs, [*], alternatives, escapes
    ({"addr.city": {"$eq": "oslo"}}, {"d1", "d3"}),
    ({"*.city": {"$eq": "rome"}}, {"d2", "d4"}),
    ({"addr,work.city": {"$eq": "rome"}}, {"d2", "d4"}),
    ({"pets.[*].kind": {"$eq": "cat"}}, {"d1", "d2"}),
    ({"pets.*.kind": {"$eq": "dog"}}, {"d2"}),
    ({"pets.[0].kind": {"$eq": "cat"}}, {"d1"}),
    ({"pets.[1].kind": {"$eq": "cat"}}, {"d2"}),
    ({"pets.[0],[1].age": {"$lt": 2}}, {"d2"}),
    ({"pets.[*].age": {"$gt": 5}}, {"d2"}),
    ({"tags.[*]": {"$eq": "x"}}, set()),
    ({"tags.[0]": {"$eq": "y"}}, {"d2"}),
    ({"tags.[1]": {"$eq": "y"}}, {"d1"}),
    ({"misc.[0].[1]": {"$eq": 2}}, {"d5"}),
    ({"misc.[*].[0]": {"$eq": 3}}, {"d5"}),
    ({"a\\.b": {"$eq": "dotted"}}, {"d4"}),
    ({"c\\,d": {"$eq": "comma"}}, {"d4"}),
    ({"s\\*": {"$eq": "star"}}, {"d4"}),
    # $and, $or, $not
    ({"age": {"$eq": 25}, "name": {"$eq": "dee"}}, {"d4"}),
    ({"$and": [{"age": {"$gte": 25}}, {"admin": {"$eq": False}}]}, {"d2", "d3"}),
    ({"$or": [{"name": {"$eq": "ann"}}, {"age": {"$gt": 40}}]}, {"d1", "d3"}),
    ({"$or": [{"name": {"$eq": "ann"}}, {"age": {"$in": [-3]}}]}, {"d1", "d5"}),
    ({"$or": [{"name": {"$eq": "ann"}}, {"nick": {"$exists": True}}]}, {"d1", "d4"}),
    ({"$or": [{"name": {"$eq": "ann"}}, {"admin": {"$ne": True}}]}, {"d1", "d2", "d3", "d4"}),
    ({"$or": [{"pets.[*].kind": {"$eq": "dog"}}, {"*.city": {"$eq": "oslo"}}]},
     {"d1", "d2", "d3"}),
    ({"$or": [{"age": {"$eq": 25}}, {"age": {"$eq": 31}}], "name": {"$ne": "dee"}},
     {"d1", "d2"}),
    ({"$or": [{"$and": [{"age": {"$eq": 25}}, {"admin": {"$eq": False}}]},
              {"name": {"$eq": "Eve"}}]}, {"d2", "d5"}),
    ({"$or": [{"name": {"$eq": "ann"}}, {"name": {"$eq": "bob"}, "age": {"$eq": 47.5}}]},
     {"d1", "d2", "d3"}),
    ({"$not": {"age": {"$eq": 25}}}, {"d1", "d3", "d5"}),
    ({"$not": {"age": {"$gt": 25}}}, {"d2", "d4", "d5"}),
    ({"$not": {"nick": {"$exists": True}}}, {"d1", "d2", "d3", "d5"}),
    ({"$not": {"$or": [{"age": {"$eq": 25}}, {"admin": {"$eq": True}}]}}, {"d3"}),
    ({"$not": {"$and": [{"age": {"$eq": 25}}, {"name": {"$eq": "bob"}}]}},
     {"d1", "d3", "d4", "d5"}),
    ({"age": {"$eq": 1000}}, set()),
    ({}, set(DOCS)),
]


@pytest.mark.parametrize("where,want", CASES, ids=[json.dumps(c[0]) for c in CASES])
def test_operators_paths_and_logic(gateway, token, coll, where, want):
    ids, docs, _ = search_all(gateway, token, where)
    assert len(ids) == len(set(ids))
    assert set(ids) == want
    for doc_id in ids:
        assert docs[doc_id] == READ[doc_id]


def test_no_where_and_order(gateway, token, coll, driver):
    """Without where every document comes, in the order of their tokens (as the driver reads
    the keys), three to a page by default."""
    want = [r.key for r in driver.execute(f"SELECT DISTINCT key FROM {NS}.{COLL}")]
    r = search(gateway, token)
    assert r.status_code == 200, r.text
    assert list(r.json()["data"]) == want[:3]
    assert "pageState" in r.json()
    ids, _, pages = search_all(gateway, token, page_size=2)
    assert ids == want
    assert pages == 3


def test_fields_raw_and_profile(gateway, token, coll):
    r = search(gateway, token, {"age": {"$eq": 25}}, fields='["name","addr.city","nope"]',
               page_size=5)
    assert r.status_code == 200, r.text
    assert r.json() == {"data": {"d2": {"name": "bob", "addr": {"city": "rome"}},
                                 "d4": {"name": "dee"}}}
    r = search(gateway, token, {"age": {"$eq": 25}}, fields='["nope"]', page_size=5, raw="true")
    assert r.json() == {"d2": {}, "d4": {}}
    r = search(gateway, token, {"name": {"$eq": "bob"}}, raw="true")
    assert r.json() == {"d2": DOCS["d2"]}


def profile_of(gw, token, where):
    r = search(gw, token, where, page_size=20, profile="true")
    assert r.status_code == 200, r.text
    prof = r.json()["profile"]
    assert prof["description"] == "root"
    return prof["nested"]


def test_profile_index_queries(gateway, token, coll):
    """Conditions the indexes can answer run as one index query each; only missing-field
    operators scan the keys; documents are then read by key."""
    steps = profile_of(gateway, token, {"age": {"$gt": 30}})
    assert [s["description"] for s in steps] == ["FILTER: age GT 30", "LoadProperties"]
    q = steps[0]["queries"][0]
    assert q["cql"] == (f'SELECT key, token(key) FROM "{NS}"."{COLL}" WHERE leaf = ? AND p0 = ? '
                        "AND p1 = '' AND dbl_value > ? ALLOW FILTERING")
    assert (q["executionCount"], q["rowCount"]) == (1, 2)
    load = steps[1]["queries"][0]
    assert load["cql"].endswith(f'FROM "{NS}"."{COLL}" WHERE key = ?')
    assert load["executionCount"] == 2

    # both bounds of a range on one path go into the one index query, which finds the matches
    # only: each candidate read is a hit
    for where in ({"age": {"$gt": 24, "$lt": 40}},
                  {"$and": [{"age": {"$gt": 24}}, {"age": {"$lt": 40}}]}):
        steps = profile_of(gateway, token, where)
        assert [s["description"] for s in steps] == ["FILTER: age GT 24 AND age LT 40",
                                                     "LoadProperties"]
        q = steps[0]["queries"][0]
        assert q["cql"].endswith("AND p1 = '' AND dbl_value > ? AND dbl_value < ? "
                                 "ALLOW FILTERING")
        assert q["rowCount"] == 3
        assert steps[1]["queries"][0]["executionCount"] == 3
        r = search(gateway, token, where, page_size=20, raw="true")
        assert r.json() == {k: READ[k] for k in ("d1", "d2", "d4")} and \
            sorted(r.json()) == ["d1", "d2", "d4"]

    steps = profile_of(gateway, token, {"pets.[*].kind": {"$eq": "cat"}, "age": {"$ne": 1}})
    assert steps[0]["description"] == 'FILTER: pets.[*].kind EQ "cat"'
    assert steps[0]["queries"][0]["cql"] == (
        f'SELECT key, token(key) FROM "{NS}"."{COLL}" WHERE leaf = ? AND p0 = ? AND p1 > \'\' '
        "AND p2 = ? AND p3 = '' AND text_value = ? ALLOW FILTERING")

    steps = profile_of(gateway, token, {"$or": [{"name": {"$eq": "ann"}},
                                                {"age": {"$in": [47.5]}}]})
    assert [s["description"] for s in steps] == ['FILTER: name EQ "ann"',
                                                 "FILTER IN MEMORY: age IN [47.5]",
                                                 "LoadProperties"]
    assert "DISTINCT" not in json.dumps(steps)

    steps = profile_of(gateway, token, {"addr,work.city": {"$gte": "p"}})
    assert " p0 IN ? " in steps[0]["queries"][0]["cql"]

    for where in ({"age": {"$ne": 25}}, {"$or": [{"name": {"$eq": "ann"}},
                                                 {"nick": {"$exists": False}}]}, None):
        steps = profile_of(gateway, token, where)
        assert steps[0]["description"] == "LoadAllDocuments"
        assert steps[0]["queries"][0]["cql"] == f'SELECT DISTINCT key, token(key) FROM "{NS}"."{COLL}"'


# ---- paging -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def big(gateway, token, driver, coll):
    """1,000 matching documents (each with five matching rows in an array) and 200 others."""
    s = requests.Session()
    s.headers["X-Cassandra-Token"] = token
    s.headers["Content-Type"] = "application/json"
    for i in range(1200):
        match = i < 1000
        doc = {"n": i, "kind": "hit" if match else "miss",
               "items": [{"v": (j + 1) if match else -1} for j in range(5)]}
        r = s.put(gateway.url(f"{BIG_PATH}/doc{i:04d}"), data=json.dumps(doc), timeout=60)
        assert r.status_code == 200, r.text
    wait_searchable(gateway, token, BIG_PATH)
    keys = {r.key for r in driver.execute(f"SELECT key FROM {NS}.{BIG} WHERE leaf = 'kind' "
                                          "AND text_value = 'hit' ALLOW FILTERING")}
    assert len(keys) == 1000
    return keys


@pytest.mark.parametrize("where", [
    {"kind": {"$eq": "hit"}},
    {"items.[*].v": {"$gt": 0}},
    {"n": {"$lt": 1000}},
    {"$or": [{"n": {"$lt": 500}}, {"items.[*].v": {"$gte": 1}, "kind": {"$ne": "miss"}}]},
    {"kind": {"$ne": "miss"}},
], ids=["eq", "glob-many-rows", "range", "or", "scan"])
def test_paging_1000_documents(gateway, token, big, where):
    ids, docs, pages = search_all(gateway, token, where, path=BIG_PATH, page_size=20)
    assert len(ids) == len(set(ids)), "a document came twice"
    assert set(ids) == big, "a document is missing"
    assert pages == 50
    assert all(docs[i]["kind"] == "hit" for i in ids)


def test_paging_small_pages_and_state_opaque(gateway, token, big):
    ids, _, pages = search_all(gateway, token, {"items.[*].v": {"$eq": 3}}, path=BIG_PATH,
                               page_size=7)
    assert len(ids) == 1000 and len(set(ids)) == 1000
    assert pages == 143
    r = search(gateway, token, {"kind": {"$eq": "hit"}}, path=BIG_PATH)
    state = r.json()["pageState"]
    assert len(r.json()["data"]) == 3
    assert set(state) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=")
    nxt = search(gateway, token, {"kind": {"$eq": "hit"}}, path=BIG_PATH, page_state=state)
    assert set(nxt.json()["data"]).isdisjoint(r.json()["data"])


def test_last_page_has_no_state(gateway, token, coll):
    r = search(gateway, token, {"age": {"$eq": 25}}, page_size=2)
    assert r.status_code == 200
    assert set(r.json()["data"]) == {"d2", "d4"}
    assert "pageState" not in r.json()
    r = search(gateway, token, {"age": {"$eq": 999}})
    assert r.json() == {"data": {}}


# ---- search inside one document -----------------------------------------------------------------

SHOP = {"products": {"electronics": {"Pixel_3a": {"price": 600, "name": "pixel"},
                                     "iPhone": {"price": 900}},
                     "food": {"apple": {"price": 1}}},
        "list": [{"x": 1}, {"x": 2}, {"x": 3}]}


@pytest.fixture(scope="module")
def shop(gateway, token, coll):
    r = api(gateway, token, "PUT", f"{PATH}/shop", data=json.dumps(SHOP))
    assert r.status_code == 200, r.text


def in_doc(gw, token, where=None, doc="shop", **params):
    return search(gw, token, where, path=f"{PATH}/{doc}", **params)


def test_in_document_search(gateway, token, shop):
    r = in_doc(gateway, token, {"products.electronics.*.price": {"$gt": 500}})
    assert r.status_code == 200, r.text
    assert r.json() == {"documentId": "shop", "data": [
        {"products": {"electronics": {"Pixel_3a": {"price": 600}}}},
        {"products": {"electronics": {"iPhone": {"price": 900}}}}]}
    r = in_doc(gateway, token, {"list.[*].x": {"$gte": 2}})
    assert r.json()["data"] == [{"list": {"[1]": {"x": 2}}}, {"list": {"[2]": {"x": 3}}}]
    r = in_doc(gateway, token, {"products.electronics.Pixel_3a.price": {"$eq": 600}},
               fields='["price","name"]', raw="true")
    assert r.json() == [{"products": {"electronics": {"Pixel_3a": {"name": "pixel",
                                                                   "price": 600}}}}]
    r = in_doc(gateway, token, page_size=5)
    assert r.json()["data"] == [{"list": {"[0]": {"x": 1}, "[1]": {"x": 2}, "[2]": {"x": 3}},
                                 "products": SHOP["products"]}]
    r = in_doc(gateway, token, {"$or": [{"list.[*].x": {"$eq": 1}}, {"list.[*].x": {"$eq": 3}}]})
    assert r.json()["data"] == [{"list": {"[0]": {"x": 1}}}, {"list": {"[2]": {"x": 3}}}]


def test_in_document_paging_and_nothing(gateway, token, shop):
    pages, state = [], None
    while True:
        extra = {"page_state": state} if state else {}
        r = in_doc(gateway, token, {"products.*.*.price": {"$gte": 1}}, page_size=1, **extra)
        assert r.status_code == 200, r.text
        pages.append(r.json()["data"])
        state = r.json().get("pageState")
        if state is None:
            break
    assert pages == [[{"products": {"electronics": {"Pixel_3a": {"price": 600}}}}],
                     [{"products": {"electronics": {"iPhone": {"price": 900}}}}],
                     [{"products": {"food": {"apple": {"price": 1}}}}]]
    r = in_doc(gateway, token, {"products.*.*.price": {"$gt": 5000}})
    assert r.status_code == 204 and r.content == b""
    r = in_doc(gateway, token, {"a": {"$eq": 1}}, doc="absent")
    assert r.status_code == 204


def test_in_document_errors(gateway, token, shop):
    assert_error(in_doc(gateway, token, {"a": {"$eq": 1}, "b": {"$eq": 2}}), 400,
                 "Conditions across multiple fields are not yet supported. Found: 2.")
    assert_error(in_doc(gateway, token, {"list.[*].x": {"$eq": 1}}, fields='["y"]'), 400,
                 "When selecting `fields`, the field referenced by `where` must be in the "
                 "selection.")
    assert_error(in_doc(gateway, token, page_size=0), 400,
                 "Request invalid: the minimum number of results to return is one.")
    assert_error(in_doc(gateway, token, "{"), 400,
                 "The `where` parameter expects a valid JSON object representing search criteria.")
    assert_error(in_doc(gateway, token, {"a": {"$eq": 1}}, page_state="!!"), 400,
                 "Invalid page state.")


# ---- errors -------------------------------------------------------------------------------------

ERRORS = [
    ({"where": "{"}, "The `where` parameter expects a valid JSON object representing search "
                     "criteria."),
    ({"where": "[]"}, "Search was expecting a JSON object as input."),
    ({"where": '{"a":1}'}, "A filter operation and value resolved as invalid."),
    ({"where": '{"a":{"$regex":1}}'}, "Operation '$regex' is not supported."),
    ({"where": '{"a":{"$eq":null}}'}, "Operation '$eq' does not support the provided value null."),
    ({"where": '{"a":{"$in":[]}}'}, "Operation $in was expecting a non-empty list"),
    ({"where": '{"a":{"$in":[{}]}}'}, "Operation IN was not expecting a list containing a OBJECT "
                                      "node type."),
    ({"where": '{"$or":1}'}, "The $or requires an array json node as value."),
    ({"where": '{"$and":{}}'}, "The $and requires an array json node as value."),
    ({"where": '{"$not":[]}'}, "The $not operator requires a json object as value."),
    ({"where": '{"$not":{}}'}, "The $not operator requires exactly one child expression."),
    ({"where": '{"a":{"$gt":1,"$lt":"x"}}'}, "Filter conditions for field 'a' imply incompatible "
                                             "types: Number, String"),
    ({"where": '{"a.[x]":{"$eq":1}}'}, "Array path [x] is not valid."),
    ({"fields": "{"}, "The `fields` parameter expects a valid JSON array containing field names."),
    ({"fields": '{"a":1}'}, '`fields` must be a JSON array, found {"a":1}'),
    ({"page-size": "0"}, "Request invalid: the minimum number of documents to return is one."),
    ({"page-size": "21"}, "Request invalid: the max number of documents to return is 20."),
    ({"page-state": "not*base64"}, "Invalid page state."),
    ({"page-state": "AAAA"}, "Invalid page state."),
]


@pytest.mark.parametrize("params,desc", ERRORS, ids=[json.dumps(e[0]) for e in ERRORS])
def test_search_errors(gateway, token, coll, params, desc):
    assert_error(api(gateway, token, "GET", PATH, params=params), 400, desc)


def test_search_not_found_and_auth(gateway, token, coll, driver):
    assert api(gateway, token, "GET", PATH, params={"page-size": "x"}).status_code == 404
    assert_error(api(gateway, token, "GET", f"/v2/namespaces/{NS}/collections/nope"), 404,
                 "Collection 'nope' not found.")
    assert_error(api(gateway, token, "GET", "/v2/namespaces/search_it_none/collections/c"), 404,
                 "Unknown namespace search_it_none, you must create it first.")
    driver.execute(f"CREATE TABLE IF NOT EXISTS {NS}.plain (k int PRIMARY KEY)")
    wait_for(gateway, token, f"/v2/namespaces/{NS}/collections/plain", status=400)
    assert_error(api(gateway, token, "GET", f"/v2/namespaces/{NS}/collections/plain"), 400,
                 f"The database table {NS}.plain is not a Documents collection. Accessing "
                 "arbitrary tables via the Documents API is not permitted.")
    r = requests.get(gateway.url(PATH), timeout=10)
    assert_error(r, 401, "Role unauthorized for operation: Missing token, expecting one in the "
                 "X-Cassandra-Token header.")
