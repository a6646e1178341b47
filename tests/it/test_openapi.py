"""GET /api/rest/openapi: the OpenAPI document in YAML and JSON, its negotiation, its ETag, its
structure, and that what it says matches what the gateway does: every documented operation is
routed, answers a status the document lists, and needs X-Cassandra-Token exactly where the
document says so."""

import copy
import json
import os
import re

import pytest
import requests
import yaml

from conftest import ROOT, Gateway, get_token

SOURCE = os.path.join(ROOT, "src", "api", "openapi.json")
YAML_TYPE = "application/yaml;charset=UTF-8"
JSON_TYPE = "application/json;charset=UTF-8"
KS = "openapi_it_absent"
MISSING_TOKEN = ("Role unauthorized for operation: Missing token, expecting one in the "
                 "X-Cassandra-Token header.")
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}



@pytest.fixture(scope="module")
def gw():
    g = Gateway("--cql-endpoint")
    yield g
    g.stop_clean()


@pytest.fixture(scope="module")
def source():
    with open(SOURCE, "rb") as f:
        return f.read()


@pytest.fixture(scope="module")
def doc(source):
    return json.loads(source)


def get(gw, path, **kw):
    return requests.get(gw.url(path), timeout=10, **kw)


# ---- forms and negotiation ----------------------------------------------------------------------

def test_yaml_by_default_equals_the_json(gw, doc):
    r = get(gw, "/api/rest/openapi")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == YAML_TYPE
    assert r.headers["Vary"] == "Accept"
    assert r.text.startswith("---\nopenapi: \"3.0.3\"\n")
    assert yaml.safe_load(r.content.decode("utf-8")) == doc


# JSON when ?format=json (any case) or Accept names application/json, as Quarkus decides; else YAML.
@pytest.mark.parametrize("query,accept,form", [
    ("?format=json", None, "json"),
    ("?format=JSON", None, "json"),
    ("", "application/json", "json"),
    ("", "text/html, application/json;q=0.9", "json"),
    ("?format=yaml", "application/json", "json"),
    ("?format=xml", None, "yaml"),
    ("?format=", None, "yaml"),
    ("", "application/yaml", "yaml"),
    ("", "*/*", "yaml"),
])
def test_negotiation(gw, source, doc, query, accept, form):
    headers = {"Accept": accept} if accept else {}
    r = get(gw, "/api/rest/openapi" + query, headers=headers)
    assert r.status_code == 200
    if form == "json":
        assert r.headers["Content-Type"] == JSON_TYPE
        assert r.content == source
    else:
        assert r.headers["Content-Type"] == YAML_TYPE
        assert yaml.safe_load(r.text) == doc


def test_suffixes_pick_the_form(gw, source, doc):
    r = get(gw, "/api/rest/openapi.json", headers={"Accept": "application/yaml"})
    assert r.status_code == 200 and r.headers["Content-Type"] == JSON_TYPE
    assert r.content == source
    assert "Vary" not in r.headers
    yaml_bodies = []
    for suffix in (".yaml", ".yml"):
        r = get(gw, "/api/rest/openapi" + suffix, headers={"Accept": "application/json"},
                params={"format": "json"})
        assert r.status_code == 200 and r.headers["Content-Type"] == YAML_TYPE
        assert yaml.safe_load(r.text) == doc
        yaml_bodies.append(r.content)
    assert yaml_bodies[0] == yaml_bodies[1] == get(gw, "/api/rest/openapi").content


def test_no_token_needed_and_head(gw):
    # This gateway checks tokens (--auth table); none is sent here.
    full = get(gw, "/api/rest/openapi.json")
    r = requests.head(gw.url("/api/rest/openapi.json"), timeout=10)
    assert r.status_code == 200
    assert r.content == b""
    assert int(r.headers["Content-Length"]) == len(full.content)
    assert r.headers["ETag"] == full.headers["ETag"]


def test_other_methods_are_405(gw):
    for method in ("POST", "PUT", "DELETE"):
        r = requests.request(method, gw.url("/api/rest/openapi"), data="x", timeout=10)
        assert r.status_code == 405, method
        assert r.headers["Allow"] == "GET, HEAD"
        assert r.json()["description"] == "HTTP 405 Method Not Allowed"


# ---- ETag ---------------------------------------------------------------------------------------

def test_etag_and_if_none_match(gw):
    y = get(gw, "/api/rest/openapi")
    j = get(gw, "/api/rest/openapi.json")
    ytag, jtag = y.headers["ETag"], j.headers["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{16}"', ytag) and re.fullmatch(r'"[0-9a-f]{16}"', jtag)
    assert ytag != jtag
    assert get(gw, "/api/rest/openapi.yaml").headers["ETag"] == ytag
    assert get(gw, "/api/rest/openapi?format=json").headers["ETag"] == jtag

    for inm in (ytag, "W/" + ytag, f'"0000000000000000", {ytag}', "*", f'W/"x",{ytag} ,'):
        r = get(gw, "/api/rest/openapi", headers={"If-None-Match": inm})
        assert r.status_code == 304, inm
        assert r.content == b""
        assert r.headers["ETag"] == ytag
    for inm in (jtag, '"0000000000000000"', ytag[:-2] + '"', "", "W/"):
        r = get(gw, "/api/rest/openapi", headers={"If-None-Match": inm})
        assert r.status_code == 200, inm
        assert r.content == y.content
    # The tag belongs to the form: the YAML tag does not match the JSON form.
    r = get(gw, "/api/rest/openapi.json", headers={"If-None-Match": ytag})
    assert r.status_code == 200
    r = get(gw, "/api/rest/openapi.json", headers={"If-None-Match": jtag})
    assert r.status_code == 304


# ---- structure ----------------------------------------------------------------------------------

def resolve(doc, ref):
    assert ref.startswith("#/"), ref
    node = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def deref(doc, node):
    while isinstance(node, dict) and "$ref" in node:
        node = resolve(doc, node["$ref"])
    return node


def problems(doc):
    """What makes DOC an invalid OpenAPI 3.0 document, as a list of readable lines."""
    out = []
    if not re.fullmatch(r"3\.0\.\d+", str(doc.get("openapi"))):
        out.append(f"openapi is {doc.get('openapi')!r}, not 3.0.x")
    info = doc.get("info", {})
    if not isinstance(info.get("title"), str) or not isinstance(info.get("version"), str):
        out.append("info needs a title and a version, both strings")

    def walk(node, where):
        if isinstance(node, dict):
            if "$ref" in node and resolve(doc, node["$ref"]) is None:
                out.append(f"{where}: $ref {node['$ref']} does not resolve")
            for k, v in node.items():
                walk(v, f"{where}/{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{where}/{i}")
    walk(doc, "#")

    schemes = doc.get("components", {}).get("securitySchemes", {})
    tags = {t["name"] for t in doc.get("tags", [])}

    def check_security(reqs, where):
        for req in reqs:
            for name in req:
                if name not in schemes:
                    out.append(f"{where}: security scheme {name} is not defined")
    check_security(doc.get("security", []), "#/security")

    ids = set()
    for path, item in doc.get("paths", {}).items():
        if not path.startswith("/"):
            out.append(f"path {path} does not start with /")
        in_template = set(re.findall(r"{([^}/]+)}", path))
        shared = [deref(doc, p) for p in item.get("parameters", [])]
        for method, op in item.items():
            if method == "parameters":
                continue
            where = f"{method.upper()} {path}"
            if method not in HTTP_METHODS:
                out.append(f"{where}: not an HTTP method")
                continue
            opid = op.get("operationId")
            if opid is None or opid in ids:
                out.append(f"{where}: operationId {opid!r} missing or not unique")
            ids.add(opid)
            for t in op.get("tags", []):
                if t not in tags:
                    out.append(f"{where}: tag {t} is not declared")
            params = {(p["name"], p["in"]): p for p in shared if p}
            for p in op.get("parameters", []):
                p = deref(doc, p)
                if p is None:
                    continue
                params[(p.get("name"), p.get("in"))] = p
            for (name, loc), p in params.items():
                if not isinstance(name, str) or loc not in ("query", "header", "path", "cookie"):
                    out.append(f"{where}: parameter {name!r} in {loc!r}")
                if loc == "path" and p.get("required") is not True:
                    out.append(f"{where}: path parameter {name} is not required")
                if ("schema" in p) == ("content" in p):
                    out.append(f"{where}: parameter {name} needs exactly one of schema, content")
            declared = {name for (name, loc) in params if loc == "path"}
            if declared != in_template:
                out.append(f"{where}: path parameters {sorted(declared)} != {sorted(in_template)}")
            responses = op.get("responses") or {}
            if not responses:
                out.append(f"{where}: no responses")
            for code, resp in responses.items():
                if code != "default" and not re.fullmatch(r"[1-5](\d\d|XX)", code):
                    out.append(f"{where}: response key {code!r}")
                resp = deref(doc, resp)
                if not isinstance(resp, dict) or not isinstance(resp.get("description"), str):
                    out.append(f"{where}: response {code} has no description")
            body = deref(doc, op.get("requestBody"))
            if body is not None and not body.get("content"):
                out.append(f"{where}: request body without content")
            check_security(op.get("security", []), where)
    return out


def operations(doc):
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method != "parameters":
                yield method, path, op


def test_document_is_structurally_valid(doc):
    assert problems(doc) == []
    assert len(list(operations(doc))) >= 43


def test_structure_check_catches_breakage(doc):
    broken = copy.deepcopy(doc)
    paths = broken["paths"]
    paths["/v2/schemas/keyspaces"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"]["oneOf"][0]["$ref"] = "#/components/schemas/Nope"
    paths["/v2/schemas/keyspaces/{keyspaceName}"]["parameters"] = []
    paths["/v1/auth"]["post"]["operationId"] = "generateToken"
    paths["/health"]["get"]["responses"]["200"] = {}
    paths["/health"]["get"]["tags"] = ["nope"]
    paths["/metrics"]["get"]["responses"]["2000"] = {"description": "x"}
    broken["openapi"] = "3.1.0"
    found = "\n".join(problems(broken))
    for want in ("Nope does not resolve", "GET /v2/schemas/keyspaces/{keyspaceName}: path "
                 "parameters", "operationId 'generateToken'", "GET /health: response 200 has no",
                 "tag nope", "response key '2000'", "not 3.0.x"):
        assert want in found, want


def test_security_scheme_token(doc):
    assert doc["components"]["securitySchemes"]["Token"] == {
        "type": "apiKey", "in": "header", "name": "X-Cassandra-Token",
        "description": "A token from POST /v1/auth."}
    assert doc["security"] == [{"Token": []}]
    for method, path, op in operations(doc):
        if path.startswith("/v2/"):
            assert "security" not in op, (method, path)       # the document's Token applies
        else:
            assert op["security"] == [], (method, path)


def test_stargate_names_and_components(doc):
    paths = doc["paths"]
    assert "/v2/keyspaces/{keyspaceName}/{tableName}/{primaryKey}" in paths
    assert "/v2/schemas/keyspaces/{keyspaceName}/tables/{tableName}/columns/{columnName}" in paths
    schemas = doc["components"]["schemas"]
    for name in ("TableAdd", "ColumnDefinition", "PrimaryKey", "ClusteringExpression",
                 "TableOptions", "Keyspace", "IndexAdd", "UserDefinedType", "RowsResponse",
                 "ApiError"):
        assert name in schemas, name
    assert schemas["ApiError"]["required"] == ["description", "code", "grpcStatus",
                                               "internalTxId"]
    params = {p["name"] for p in doc["components"]["parameters"].values()}
    assert {"where", "fields", "page-size", "page-state", "sort", "raw", "compactMapData",
            "ifExists"} <= params
    cql = paths["/v2/cql"]["post"]
    assert list(cql["requestBody"]["content"]) == ["text/plain"]
    assert {deref(doc, p)["name"] for p in cql["parameters"]} == {
        "keyspace", "page-size", "page-state", "raw", "compactMapData"}
    assert "404" in cql["responses"]
    assert list(paths["/metrics"]["get"]["responses"]["200"]["content"]) == ["text/plain"]


# ---- the document against the gateway -----------------------------------------------------------

VALUES = {"keyspaceName": KS, "tableName": "t", "columnName": "c", "indexName": "i",
          "typeName": "ty", "primaryKey": "k", "documentId": "d", "documentPath": "function"}


def probe(gw, method, path, op, token):
    """Calls one documented operation on names that do not exist, so nothing is changed."""
    url = gw.url(re.sub(r"{([^}]+)}", lambda m: VALUES[m.group(1)], path))
    headers = {"X-Cassandra-Token": token} if token else {}
    params = {}
    if op["operationId"] == "getRowsWithWhere":
        params["where"] = '{"k":{"$eq":"k"}}'
    data = None
    if "requestBody" in op:
        if "text/plain" in op["requestBody"]["content"]:
            data = "SELECT release_version FROM system.local"
            headers["Content-Type"] = "text/plain"
        else:
            data = "{}"
            headers["Content-Type"] = "application/json"
    return requests.request(method.upper(), url, params=params, data=data, headers=headers,
                            timeout=30)


def router_404(r):
    return r.status_code == 404 and r.json().get("description") == "HTTP 404 Not Found"


def test_every_documented_operation_answers_a_documented_status(gw, doc, driver):
    token = get_token(gw)
    unrouted, wrong = set(), []
    for method, path, op in operations(doc):
        r = probe(gw, method, path, op, token)
        if router_404(r) or r.status_code == 405:
            unrouted.add((method, path))
            continue
        if str(r.status_code) not in op["responses"]:
            wrong.append(f"{method.upper()} {path}: {r.status_code} {r.text[:200]}")
        resp = deref(doc, op["responses"].get(str(r.status_code), {}))
        schema = deref(doc, resp.get("content", {}).get("application/json", {}).get("schema"))
        if schema is not None and schema.get("required") == doc["components"]["schemas"][
                "ApiError"]["required"]:
            assert set(r.json()) == set(schema["required"]), (method, path, r.text)
    assert unrouted == set(), unrouted
    assert wrong == []
    rows = driver.execute("SELECT keyspace_name FROM system_schema.keyspaces "
                          "WHERE keyspace_name = %s", (KS,))
    assert list(rows) == []


def test_token_needed_exactly_where_documented(gw, doc):
    for method, path, op in operations(doc):
        r = probe(gw, method, path, op, None)
        if op.get("security", doc["security"]):
            assert r.status_code == 401, (method, path, r.text)
            assert r.json()["description"] == MISSING_TOKEN
        else:
            assert r.status_code != 401, (method, path, r.text)
