"""Document API search under a path of one document (spec/documents-v2.md 1.3.3 and 3.6) on the
real binary against the real Cassandra: GET /{coll}/{id}/{path} with `where` and/or `page-size`.
The section 3.6 example, every operator at a sub-path (hand-computed answers, and the same answer
as the search from the document's root with the full path), arrays under the path with [*], [n]
and [00000n], escaped segments, `fields` with and without the filter's field, several filter
paths, paging through 250 matching entries seven at a time (checked against the rows the Python
driver reads), the path pushed into the SELECT (profile), 204 for no match and for an absent
document or path, and every error."""

import base64
import json

import pytest

from test_docs import api, assert_error, create_ns, path_of, rows_of, wait_for

NS = "subsearch_it"                 # the namespace of these tests
COLL = "docs"                       # its collection
PATH = f"/v2/namespaces/{NS}/collections/{COLL}"
MANY = 250                          # entries of the array paged through

SHOP = {
    "products": {
        "electronics": {
            "Free": {"flag": True, "name": "free"},
            "Old": {"price": None, "name": "old"},
            "Pixel_3a": {"price": 600, "name": "pixel"},
            "iPhone": {"price": 900, "name": "iphone"},
        },
        "food": {"apple": {"price": 1}},
    },
    "orders": [{"sku": "a", "qty": 2}, {"sku": "b", "qty": 5}, {"sku": "c", "qty": 1, "gift": True}],
    # keys with a period (written escaped), a comma and a star
    "a\\.b": {"c,d": {"x": 1}, "s*": {"x": 2}},
    "many": [{"n": i, "even": i % 2 == 0} for i in range(MANY)],
}


def sub(gw, token, path, where=None, doc="shop", **params):
    """GET /{doc}/{path} with `where` (a dict, or text sent as is) and the other parameters."""
    p = {k.replace("_", "-"): v for k, v in params.items()}
    if where is not None:
        p["where"] = where if isinstance(where, str) else json.dumps(where)
    url = f"{PATH}/{doc}" + (f"/{path}" if path else "")
    return api(gw, token, "GET", url, params=p)


def data(r):
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["documentId"] == "shop"
    return body["data"]


def elec(key, **members):
    """One match under products/electronics, written from the document's root."""
    return {"products": {"electronics": {key: members}}}


@pytest.fixture(scope="module")
def shop(gateway, token, driver):
    driver.execute(f"DROP KEYSPACE IF EXISTS {NS}")
    create_ns(driver, NS)
    wait_for(gateway, token, f"/v2/schemas/namespaces/{NS}")
    r = api(gateway, token, "PUT", f"{PATH}/shop", data=json.dumps(SHOP))
    assert r.status_code == 200, r.text
    yield
    driver.execute(f"DROP KEYSPACE IF EXISTS {NS}")


# ---- the 3.6 example and every operator under a path ------------------------------------------

def test_spec_example(gateway, token, shop):
    r = sub(gateway, token, "products/electronics", {"*.price": {"$gt": 500}})
    assert data(r) == [elec("Pixel_3a", price=600), elec("iPhone", price=900)]
    assert "pageState" not in r.json()
    r = sub(gateway, token, "products/electronics", {"Pixel_3a.price": {"$eq": 600}}, raw="true")
    assert r.status_code == 200, r.text
    assert r.json() == [elec("Pixel_3a", price=600)]


PIXEL, IPHONE, OLD = elec("Pixel_3a", price=600), elec("iPhone", price=900), elec("Old", price=None)

OPERATORS = [
    ({"$eq": 600}, [PIXEL]),
    # Free has no price: $ne holds there, but nothing of it is on the filter's path to show
    ({"$ne": 600}, [OLD, IPHONE]),
    ({"$gt": 600}, [IPHONE]),
    ({"$gte": 600}, [PIXEL, IPHONE]),
    ({"$lt": 900}, [PIXEL]),
    ({"$lte": 900}, [PIXEL, IPHONE]),
    ({"$in": [600, None]}, [OLD, PIXEL]),
    ({"$nin": [600, 900]}, [OLD]),
    ({"$exists": True}, [OLD, PIXEL, IPHONE]),
    ({"$gt": 500, "$lt": 800}, [PIXEL]),
]


@pytest.mark.parametrize("cond,want", OPERATORS, ids=[json.dumps(c) for c, _ in OPERATORS])
def test_operators_under_a_path(gateway, token, shop, cond, want):
    got = data(sub(gateway, token, "products/electronics", {"*.price": cond}))
    assert got == want
    # the same groups from the document's root, with the path written into the filter
    root = data(sub(gateway, token, None, {"products.electronics.*.price": cond}))
    assert root == got


def test_strings_booleans_and_logic(gateway, token, shop):
    path = "products/electronics"
    assert data(sub(gateway, token, path, {"*.name": {"$eq": "pixel"}})) == [
        elec("Pixel_3a", name="pixel")]
    # byte order: "iphone" < "old" < "pixel"
    assert data(sub(gateway, token, path, {"*.name": {"$gt": "old"}})) == [
        elec("Pixel_3a", name="pixel")]
    assert data(sub(gateway, token, path, {"*.flag": {"$eq": True}})) == [
        elec("Free", flag=True)]
    assert data(sub(gateway, token, path, {"$or": [{"*.price": {"$eq": 600}},
                                                   {"*.price": {"$eq": 900}}]})) == [PIXEL, IPHONE]
    assert data(sub(gateway, token, path, {"$not": {"*.price": {"$eq": 600}}})) == [OLD, IPHONE]
    # a glob between the path and the field: every product of every category
    assert data(sub(gateway, token, "products", {"*.*.price": {"$gte": 1}})) == [
        PIXEL, IPHONE, {"products": {"food": {"apple": {"price": 1}}}}]
    # a literal name in the filter's parent: one group
    assert data(sub(gateway, token, "products", {"food.apple.price": {"$eq": 1}})) == [
        {"products": {"food": {"apple": {"price": 1}}}}]


def test_match_with_nothing_to_show(gateway, token, shop):
    """Free matches $exists:false but has no row on the filter's path: an empty sub-document,
    left out of `data`; something matched, so it is a 200 and not a 204, as in Stargate."""
    r = sub(gateway, token, "products/electronics", {"*.price": {"$exists": False}})
    assert r.status_code == 200, r.text
    assert r.json() == {"documentId": "shop", "data": []}


# ---- arrays and escapes in the path --------------------------------------------------------------

def test_arrays_under_the_path(gateway, token, shop):
    def order(i, **members):
        return {"orders": {f"[{i}]": members}}

    assert data(sub(gateway, token, "orders", {"[*].qty": {"$gte": 2}})) == [
        order(0, qty=2), order(1, qty=5)]
    assert data(sub(gateway, token, "orders", {"[2].gift": {"$eq": True}})) == [
        order(2, gift=True)]
    assert data(sub(gateway, token, "orders", {"[*].gift": {"$exists": True}},
                    fields='["gift","sku"]')) == [order(2, gift=True, sku="c")]
    for seg in ("[1]", "[000001]", "%5B1%5D"):
        assert data(sub(gateway, token, f"orders/{seg}", {"qty": {"$eq": 5}})) == [
            order(1, qty=5)], seg
    assert sub(gateway, token, "orders/[1]", {"qty": {"$eq": 2}}).status_code == 204
    # [*] only matches array elements
    assert sub(gateway, token, "products", {"[*].apple.price": {"$eq": 1}}).status_code == 204


def test_escaped_segments(gateway, token, shop):
    assert data(sub(gateway, token, "a\\.b", {"*.x": {"$gte": 1}})) == [
        {"a.b": {"c,d": {"x": 1}}}, {"a.b": {"s*": {"x": 2}}}]
    assert data(sub(gateway, token, "a\\.b/s\\*", page_size=1)) == [{"a.b": {"s*": {"x": 2}}}]
    assert data(sub(gateway, token, "a\\.b/c\\,d", {"x": {"$eq": 1}})) == [
        {"a.b": {"c,d": {"x": 1}}}]
    # a period is no separator inside a URL segment: unescaped, it names the same key
    assert data(sub(gateway, token, "a.b", {"*.x": {"$gte": 2}})) == [{"a.b": {"s*": {"x": 2}}}]
    assert sub(gateway, token, "a\\.c", {"*.x": {"$gte": 1}}).status_code == 204


# ---- fields, and no where -----------------------------------------------------------------------

def test_fields(gateway, token, shop):
    path = "products/electronics"
    assert data(sub(gateway, token, path, {"*.price": {"$gte": 600}},
                    fields='["price","name"]')) == [
        elec("Pixel_3a", price=600, name="pixel"), elec("iPhone", price=900, name="iphone")]
    assert_error(sub(gateway, token, path, {"*.price": {"$gte": 600}}, fields='["name"]'), 400,
                 "When selecting `fields`, the field referenced by `where` must be in the "
                 "selection.")
    # without where, fields are relative to the path, and the path is one group
    assert data(sub(gateway, token, path, page_size=10, fields='["Pixel_3a.name","iPhone"]')) == [
        {"products": {"electronics": {"Pixel_3a": {"name": "pixel"},
                                      "iPhone": {"name": "iphone", "price": 900}}}}]
    assert_error(sub(gateway, token, path, page_size=10, fields="[1]"), 400,
                 "Each field must be a string, found 1")


def test_no_where(gateway, token, shop):
    want = [{"orders": {"[0]": {"qty": 2, "sku": "a"}, "[1]": {"qty": 5, "sku": "b"},
                        "[2]": {"gift": True, "qty": 1, "sku": "c"}}}]
    assert data(sub(gateway, token, "orders", page_size=3)) == want
    assert data(sub(gateway, token, "orders", page_size=1)) == want
    assert data(sub(gateway, token, "orders", "{}")) == want


# ---- paging -------------------------------------------------------------------------------------

def test_paging_250_entries(gateway, token, shop, driver):
    seen, pages, state = [], 0, None
    while True:
        extra = {"page_state": state} if state else {}
        r = sub(gateway, token, "many", {"[*].n": {"$gte": 0}}, page_size=7, **extra)
        body = r.json()
        got = data(r)
        pages += 1
        for g in got:
            (idx, member), = g["many"].items()
            seen.append((idx, member["n"]))
        state = body.get("pageState")
        if state is None:
            assert len(got) == MANY % 7
            break
        assert len(got) == 7
        assert pages < 100
    assert pages == MANY // 7 + 1
    assert seen == [(f"[{i}]", i) for i in range(MANY)]
    # every entry the driver sees on the path came back once
    rows = [path_of(x) for x in rows_of(driver, NS, COLL, "shop")]
    assert sorted(int(p[1][1:-1]) for p in rows if p[0] == "many" and p[2] == "n") == list(
        range(MANY))
    # and a filter that holds on every other entry
    evens, state = [], None
    while True:
        extra = {"page_state": state} if state else {}
        r = sub(gateway, token, "many", {"[*].even": {"$eq": True}}, page_size=7, **extra)
        evens += [next(iter(g["many"])) for g in data(r)]
        state = r.json().get("pageState")
        if state is None:
            break
    assert evens == [f"[{i}]" for i in range(0, MANY, 2)]


def test_default_page_size(gateway, token, shop):
    r = sub(gateway, token, "many", {"[*].n": {"$lt": 150}})
    got = data(r)
    assert len(got) == 100 and "pageState" in r.json()
    r = sub(gateway, token, "many", {"[*].n": {"$lt": 150}}, page_state=r.json()["pageState"])
    assert [next(iter(g["many"])) for g in data(r)] == [f"[{i}]" for i in range(100, 150)]
    assert "pageState" not in r.json()


def test_path_pushed_into_the_select(gateway, token, shop, driver):
    """The path's names go into the SELECT next to the key: only the rows under
    products/electronics are read, not the whole document."""
    r = sub(gateway, token, "products/electronics", {"*.price": {"$gt": 500}}, profile="true")
    q, = r.json()["profile"]["nested"][0]["queries"]
    assert q["cql"].endswith(f'FROM "{NS}"."{COLL}" WHERE key = ? AND p0 = ? AND p1 = ?'), q["cql"]
    under = [p for p in map(path_of, rows_of(driver, NS, COLL, "shop"))
             if p[:2] == ["products", "electronics"]]
    assert q["rowCount"] == len(under) == 8
    # the same statement serves the root, with the filter's literal names
    r = sub(gateway, token, None, {"products.electronics.*.price": {"$gt": 500}}, profile="true")
    assert r.json()["profile"]["nested"][0]["queries"] == [q]
    # and the whole document without a filter path
    r = sub(gateway, token, None, page_size=1, profile="true")
    q, = r.json()["profile"]["nested"][0]["queries"]
    assert q["cql"].endswith(" WHERE key = ?")


# ---- nothing, and errors ------------------------------------------------------------------------

def test_nothing_matches(gateway, token, shop):
    for r in (sub(gateway, token, "products/electronics", {"*.price": {"$gt": 5000}}),
              sub(gateway, token, "products/electronics", {"*.price": {"$gt": 1}}, doc="absent"),
              sub(gateway, token, "products/absent", {"*.price": {"$gt": 1}}),
              sub(gateway, token, "products/absent", page_size=5)):
        assert r.status_code == 204, r.text
        assert r.content == b""


def test_errors(gateway, token, shop):
    path = "products/electronics"
    assert_error(sub(gateway, token, path, {"*.price": {"$eq": 1}, "*.name": {"$eq": "x"}}), 400,
                 "Conditions across multiple fields are not yet supported. Found: 2.")
    assert_error(sub(gateway, token, path, {"$or": [{"a": {"$eq": 1}}, {"b": {"$eq": 1}}]}),
                 400, "Conditions across multiple fields are not yet supported. Found: 2.")
    assert_error(sub(gateway, token, path, {"*.price": {"$gt": 1}}, page_state="!!"), 400,
                 "Invalid page state.")
    other = base64.urlsafe_b64encode(b"\x01whatever").decode()
    assert_error(sub(gateway, token, path, {"*.price": {"$gt": 1}}, page_state=other), 400,
                 "Invalid page state.")
    assert_error(sub(gateway, token, path, page_size=0), 400,
                 "Request invalid: the minimum number of results to return is one.")
    assert_error(sub(gateway, token, path, {"*.price": {"$gt": 1}}, page_size=-3), 400,
                 "Request invalid: the minimum number of results to return is one.")
    assert_error(sub(gateway, token, path, "{"), 400,
                 "The `where` parameter expects a valid JSON object representing search criteria.")
    assert_error(sub(gateway, token, path, {"*.price": {"$bad": 1}}), 400,
                 "Operation '$bad' is not supported.")
    assert_error(sub(gateway, token, "orders/[x]", {"qty": {"$eq": 1}}), 400,
                 "Array path [x] is not valid.")
    assert sub(gateway, token, path, page_size="x").status_code == 404
    assert_error(api(gateway, token, "GET", f"/v2/namespaces/{NS}/collections/absent/shop/a",
                     params={"where": '{"b":{"$eq":1}}'}), 404, "Collection 'absent' not found.")
