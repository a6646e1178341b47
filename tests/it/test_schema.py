"""The schema snapshot loaded from system_schema by cqlgate's own client (cqlc --schema), compared
with what the Python driver's metadata says about the same keyspaces: column order and kinds,
clustering order, REST typeDefinition text, TTLs, user types, indexes, views and replication."""

import re

import pytest

from conftest import run_cqlc

KS = "cqlgate_schema"
NTS = "CqlgateSchemaNts"          # quoted, mixed case
WIDE_COLUMNS = 1100               # more system_schema.columns rows than one page (1000)

DDL = [
    f"DROP KEYSPACE IF EXISTS {KS}",
    f'DROP KEYSPACE IF EXISTS "{NTS}"',
    f"CREATE KEYSPACE {KS} WITH replication = "
    "{'class': 'SimpleStrategy', 'replication_factor': 1}",
    f'CREATE KEYSPACE "{NTS}" WITH replication = '
    "{'class': 'NetworkTopologyStrategy', 'datacenter1': 1} AND durable_writes = false",
    # "Shape" sorts (and so comes back) before point, which it uses.
    f"CREATE TYPE {KS}.point (x int, y int)",
    f'CREATE TYPE {KS}."Shape" (name text, "Points" frozen<list<frozen<point>>>, '
    "center frozen<point>, meta frozen<map<text, text>>)",
    f'CREATE TYPE {KS}.outer_t (label text, shape frozen<"Shape">, tags set<text>)',
    f"""CREATE TABLE {KS}.events (
        day date, bucket int, ts timestamp, seq int,
        s1 text static, s0 int static,
        payload text, a_list list<int>, a_set set<text>, a_map map<text, int>,
        f_list frozen<list<text>>, f_set frozen<set<int>>, f_map frozen<map<int, text>>,
        tup tuple<int, text>, vec vector<float, 3>,
        nested map<text, frozen<list<frozen<set<int>>>>>,
        PRIMARY KEY ((day, bucket), ts, seq))
        WITH CLUSTERING ORDER BY (ts DESC, seq ASC) AND default_time_to_live = 3600""",
    f"""CREATE TABLE {KS}.natives (
        k int PRIMARY KEY, a ascii, bi bigint, bl blob, bo boolean, da date, de decimal,
        db double, du duration, fl float, ip inet, i int, si smallint, t text, ti time,
        ts timestamp, tu timeuuid, ty tinyint, u uuid, vc varchar, vi varint)""",
    f"CREATE TABLE {KS}.counters (k int PRIMARY KEY, c counter)",
    f"""CREATE TABLE {KS}.with_udts (
        id uuid PRIMARY KEY, o frozen<outer_t>, shapes list<frozen<"Shape">>, p point,
        mp map<text, frozen<point>>, tp tuple<int, frozen<point>>)""",
    f"""CREATE TABLE {KS}."MixedCase" (
        "Id" int, "Clust" text, "Value" text, value text, "Static Col" int static,
        PRIMARY KEY ("Id", "Clust")) WITH CLUSTERING ORDER BY ("Clust" DESC)""",
    f"CREATE TABLE {KS}.users (id uuid PRIMARY KEY, email text, name text)",
    f"CREATE INDEX events_payload_idx ON {KS}.events (payload)",
    f"CREATE INDEX ON {KS}.events (a_set) USING 'sai'",
    f'CREATE INDEX "MixedIdx" ON {KS}."MixedCase" ("Value")',
    f"CREATE INDEX users_name_sai ON {KS}.users (name) USING 'StorageAttachedIndex'",
    f"""CREATE MATERIALIZED VIEW {KS}.users_by_email AS
        SELECT email, id, name FROM {KS}.users WHERE email IS NOT NULL AND id IS NOT NULL
        PRIMARY KEY (email, id)""",
    f"CREATE TABLE {KS}.wide (k int PRIMARY KEY, "
    + ", ".join(f"c{i:04d} int" for i in range(WIDE_COLUMNS)) + ")",
    f'CREATE TABLE "{NTS}".t (k int, c int, v text, PRIMARY KEY (k, c))',
]


@pytest.fixture(scope="module")
def schema(session):
    for stmt in DDL:
        session.execute(stmt, timeout=120)
    session.cluster.refresh_schema_metadata()
    yield session.cluster.metadata
    session.execute(f"DROP KEYSPACE IF EXISTS {KS}", timeout=120)
    session.execute(f'DROP KEYSPACE IF EXISTS "{NTS}"', timeout=120)


def load(cqlc, keyspace, check=True):
    res = cqlc("--schema", keyspace, check=check)
    out = {"keyspace": None, "tables": {}, "views": {}, "udts": {}, "indexes": {},
           "errors": res.errors, "code": res.code, "order": []}
    for line in res.lines:
        # Index lines name their table too, so they are recognised first.
        for key, kind in (("index", "indexes"), ("udt", "udts"), ("view", "views"),
                          ("table", "tables")):
            if key in line:
                out[kind][line[key]] = line
                out["order"].append((kind, line[key]))
                break
        else:
            if "keyspace" in line and "error" not in line:
                out["keyspace"] = line
    return out


# ---- the REST typeDefinition, computed independently from the driver's CQL type text ----------

NATIVES = {"ascii", "bigint", "blob", "boolean", "counter", "date", "decimal", "double",
           "duration", "float", "inet", "int", "smallint", "text", "varchar", "time",
           "timestamp", "timeuuid", "tinyint", "uuid", "varint"}
TOKEN = re.compile(r'\s*("(?:[^"]|"")*"|\'[^\']*\'|[A-Za-z0-9_.]+|[<>,])')


def parse_type(text):
    tokens = TOKEN.findall(text)
    pos = 0

    def node():
        nonlocal pos
        name = tokens[pos]
        pos += 1
        params = []
        if pos < len(tokens) and tokens[pos] == "<":
            pos += 1
            while True:
                params.append(node())
                pos += 1
                if tokens[pos - 1] == ">":
                    break
        return name, params

    tree = node()
    assert pos == len(tokens), text
    return tree


def rest_type(tree, frozen=False):
    name, params = tree
    if name.startswith('"'):
        ident = name[1:-1].replace('""', '"')
    else:
        ident = name.lower()
    if ident == "frozen":
        return rest_type(params[0], True)
    if ident in ("list", "set", "map"):
        s = f"{ident}<{', '.join(rest_type(p) for p in params)}>"
        return f"frozen<{s}>" if frozen else s
    if ident == "tuple":                      # never shown frozen (Stargate v2)
        return f"tuple<{', '.join(rest_type(p) for p in params)}>"
    if ident == "vector":
        return f"vector<{rest_type(params[0])}, {params[1][0]}>"
    if not name.startswith('"') and ident in NATIVES:
        return "text" if ident == "varchar" else ident
    s = f"udt<{ident}>"
    return f"frozen<{s}>" if frozen else s


def expected_columns(table):
    """rest-v2 3.2 order: partition keys, clustering keys, statics by name, regulars by name."""
    pk = [c.name for c in table.partition_key]
    ck = [c.name for c in table.clustering_key]
    rest = [c for c in table.columns.values() if c.name not in pk and c.name not in ck]
    statics = sorted(c.name for c in rest if c.is_static)
    regular = sorted(c.name for c in rest if not c.is_static)
    cols = []
    for name in pk + ck + statics + regular:
        c = table.columns[name]
        kind = ("partition_key" if name in pk else "clustering" if name in ck
                else "static" if c.is_static else "regular")
        order = ("DESC" if c.is_reversed else "ASC") if name in ck else None
        cols.append({"name": name, "typeDefinition": rest_type(parse_type(c.cql_type)),
                     "kind": kind, "order": order})
    return cols


# ---- tests -------------------------------------------------------------------------------------


def test_type_text_converter_sanity():
    assert rest_type(parse_type('map<text, frozen<list<frozen<set<int>>>>>')) == \
        "map<text, frozen<list<frozen<set<int>>>>>"
    assert rest_type(parse_type('frozen<tuple<int, frozen<"Shape">>>')) == \
        "tuple<int, frozen<udt<Shape>>>"
    assert rest_type(parse_type("vector<float, 3>")) == "vector<float, 3>"


def test_every_table_matches_the_driver(schema, cqlc):
    ks = schema.keyspaces[KS]
    got = load(cqlc, KS)
    assert not got["errors"]
    assert sorted(got["tables"]) == sorted(ks.tables)
    for name, table in ks.tables.items():
        line = got["tables"][name]
        assert line["columns"] == expected_columns(table), name
        assert line["defaultTimeToLive"] == table.options.get("default_time_to_live", 0), name


def test_events_columns_in_rest_order(schema, cqlc):
    line = load(cqlc, KS)["tables"]["events"]
    names = [c["name"] for c in line["columns"]]
    assert names[:6] == ["day", "bucket", "ts", "seq", "s0", "s1"]
    assert names[6:] == sorted(names[6:])
    cols = {c["name"]: c for c in line["columns"]}
    assert cols["ts"]["order"] == "DESC" and cols["ts"]["kind"] == "clustering"
    assert cols["seq"]["order"] == "ASC"
    assert cols["s0"]["kind"] == "static" and cols["s0"]["order"] is None
    assert cols["day"]["kind"] == "partition_key"
    assert line["defaultTimeToLive"] == 3600
    assert {n: cols[n]["typeDefinition"] for n in
            ("a_list", "a_set", "a_map", "f_list", "f_set", "f_map", "tup", "vec", "nested")} == {
        "a_list": "list<int>", "a_set": "set<text>", "a_map": "map<text, int>",
        "f_list": "frozen<list<text>>", "f_set": "frozen<set<int>>",
        "f_map": "frozen<map<int, text>>", "tup": "tuple<int, text>",
        "vec": "vector<float, 3>", "nested": "map<text, frozen<list<frozen<set<int>>>>>"}


def test_native_types_lower_case_and_varchar_as_text(schema, cqlc):
    cols = {c["name"]: c["typeDefinition"] for c in
            load(cqlc, KS)["tables"]["natives"]["columns"]}
    assert cols == {"k": "int", "a": "ascii", "bi": "bigint", "bl": "blob", "bo": "boolean",
                    "da": "date", "de": "decimal", "db": "double", "du": "duration",
                    "fl": "float", "ip": "inet", "i": "int", "si": "smallint", "t": "text",
                    "ti": "time", "ts": "timestamp", "tu": "timeuuid", "ty": "tinyint",
                    "u": "uuid", "vc": "text", "vi": "varint"}
    counters = load(cqlc, KS)["tables"]["counters"]["columns"]
    assert counters[1] == {"name": "c", "typeDefinition": "counter", "kind": "regular",
                           "order": None}


def test_udt_columns_and_nested_types(schema, cqlc):
    got = load(cqlc, KS)
    cols = {c["name"]: c["typeDefinition"] for c in got["tables"]["with_udts"]["columns"]}
    assert cols == {"id": "uuid", "o": "frozen<udt<outer_t>>",
                    "shapes": "list<frozen<udt<Shape>>>", "p": "udt<point>",
                    "mp": "map<text, frozen<udt<point>>>", "tp": "tuple<int, frozen<udt<point>>>"}
    ks = schema.keyspaces[KS]
    assert sorted(got["udts"]) == sorted(ks.user_types)
    # system_schema.types order: by name bytes, so "Shape" comes first.
    assert [n for kind, n in got["order"] if kind == "udts"] == ["Shape", "outer_t", "point"]
    for name, udt in ks.user_types.items():
        assert got["udts"][name]["fields"] == [
            {"name": f, "typeDefinition": t} for f, t in zip(udt.field_names, udt.field_types)]
    shape = got["udts"]["Shape"]["fields"]
    assert shape[1] == {"name": "Points", "typeDefinition": "frozen<list<frozen<point>>>"}


def test_mixed_case_names(schema, cqlc):
    got = load(cqlc, KS)
    assert "MixedCase" in got["tables"] and "mixedcase" not in got["tables"]
    cols = got["tables"]["MixedCase"]["columns"]
    assert [c["name"] for c in cols] == ["Id", "Clust", "Static Col", "Value", "value"]
    assert cols[1]["order"] == "DESC"
    assert got["indexes"]["MixedIdx"]["table"] == "MixedCase"
    assert got["indexes"]["MixedIdx"]["options"] == {"target": "\"Value\""}


def test_indexes_match_the_driver(schema, cqlc):
    ks = schema.keyspaces[KS]
    got = load(cqlc, KS)["indexes"]
    assert sorted(got) == sorted(ks.indexes)
    for name, idx in ks.indexes.items():
        assert got[name]["table"] == idx.table_name
        assert got[name]["kind"] == idx.kind
        assert got[name]["options"] == dict(idx.index_options)
    assert got["events_a_set_idx"]["kind"] == "CUSTOM"
    assert got["events_a_set_idx"]["options"]["class_name"] == "sai"
    assert got["events_a_set_idx"]["options"]["target"] == "values(a_set)"
    assert got["users_name_sai"]["options"]["class_name"] == "StorageAttachedIndex"
    assert got["events_payload_idx"]["kind"] == "COMPOSITES"
    assert got["events_payload_idx"]["options"] == {"target": "payload"}


def test_materialized_view(schema, cqlc):
    ks = schema.keyspaces[KS]
    got = load(cqlc, KS)
    assert "users_by_email" not in got["tables"]
    view = got["views"]["users_by_email"]
    meta = ks.views["users_by_email"]
    assert view["baseTable"] == meta.base_table_name == "users"
    assert view["columns"] == expected_columns(meta)


def test_wide_table_pages_through_columns(schema, cqlc):
    cols = load(cqlc, KS)["tables"]["wide"]["columns"]
    assert len(cols) == WIDE_COLUMNS + 1
    assert cols[0]["name"] == "k"
    assert [c["name"] for c in cols[1:]] == [f"c{i:04d}" for i in range(WIDE_COLUMNS)]


def test_replication_simple(schema, cqlc):
    line = load(cqlc, KS)["keyspace"]
    assert line["keyspace"] == KS
    assert line["durableWrites"] is True
    assert line["replicationFactor"] == schema.keyspaces[KS].replication_strategy.replication_factor
    assert "datacenters" not in line
    assert line["replication"]["class"] == "org.apache.cassandra.locator.SimpleStrategy"


def test_replication_nts_and_quoted_keyspace(schema, cqlc):
    got = load(cqlc, NTS)
    line = got["keyspace"]
    assert line["keyspace"] == NTS
    assert line["durableWrites"] is False
    strategy = schema.keyspaces[NTS].replication_strategy
    assert line["datacenters"] == [{"name": dc, "replicas": n}
                                   for dc, n in sorted(strategy.dc_replication_factors.items())]
    assert "replicationFactor" not in line
    assert got["tables"]["t"]["columns"] == expected_columns(schema.keyspaces[NTS].tables["t"])


def test_unknown_keyspace_is_not_found(schema, cqlc):
    for name in ("no_such_keyspace", NTS.lower()):
        got = load(cqlc, name, check=False)
        assert got["code"] == 2
        assert got["errors"][0]["error"] == "NOT_FOUND"
        assert got["errors"][0]["keyspace"] == name
        assert got["keyspace"] is None and not got["tables"]


def test_schema_change_is_seen_and_system_keyspaces_load(schema, session, cqlc):
    session.execute(f"ALTER TABLE {KS}.users ADD zz_new frozen<point>", timeout=120)
    cols = load(cqlc, KS)["tables"]["users"]["columns"]
    assert cols[-1] == {"name": "zz_new", "typeDefinition": "frozen<udt<point>>",
                        "kind": "regular", "order": None}
    for ks in ("system", "system_schema", "system_auth"):
        got = load(cqlc, ks)
        assert not got["errors"] and got["tables"], ks
        meta = schema.keyspaces[ks]
        for name, table in meta.tables.items():
            assert got["tables"][name]["columns"] == expected_columns(table), (ks, name)
