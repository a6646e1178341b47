"""Paging, pipelining, decoded errors, and transparent re-prepare, against the real node."""

import pytest
from cassandra.concurrent import execute_concurrent_with_args

from conftest import KEYSPACE, run_cqlc

ROWS = 10000


@pytest.fixture(scope="module")
def many(session):
    session.execute(f"DROP TABLE IF EXISTS {KEYSPACE}.many")
    session.execute(f"CREATE TABLE {KEYSPACE}.many (p int, c int, v text, PRIMARY KEY (p, c))")
    insert = session.prepare(f"INSERT INTO {KEYSPACE}.many (p, c, v) VALUES (?, ?, ?)")
    results = execute_concurrent_with_args(
        session, insert, [(c % 4, c, f"value {c}") for c in range(ROWS)], concurrency=100)
    assert all(ok for ok, _ in results)
    return session


@pytest.mark.parametrize("version", [4, 5])
@pytest.mark.parametrize("page_size", [1000, 333])
def test_paging_through_10000_rows(many, cqlc, version, page_size):
    res = cqlc("--protocol", str(version), "--page-size", str(page_size), "-e",
               f"SELECT p, c, v FROM {KEYSPACE}.many")
    assert len(res.rows) == ROWS
    assert sorted(r["c"] for r in res.rows) == list(range(ROWS))
    assert all(r["v"] == f"value {r['c']}" and r["p"] == r["c"] % 4 for r in res.rows)


def test_paging_a_partition_with_lz4(many, cqlc):
    res = cqlc("--compression", "lz4", "--page-size", "700", "-e",
               f"SELECT c FROM {KEYSPACE}.many WHERE p = ?", "-b", "3")
    assert [r["c"] for r in res.rows] == list(range(3, ROWS, 4))


def test_one_large_page_spans_many_segments(many, cqlc):
    """A 10,000-row page is far larger than one 128 KiB v5 segment."""
    for extra in ([], ["--compression", "lz4"]):
        res = cqlc("--protocol", "5", "--page-size", "10000", *extra, "-e",
                   f"SELECT p, c, v FROM {KEYSPACE}.many")
        assert len(res.rows) == ROWS


@pytest.mark.parametrize("version", [4, 5])
def test_10000_pipelined_reads_on_one_connection(many, cqlc, version):
    res = cqlc("--protocol", str(version), "--repeat", "10000", "--concurrency", "10000",
               "--stats", "-e", f"SELECT v FROM {KEYSPACE}.many WHERE p = ? AND c = ?",
               "-b", "1", "-b", "5")
    stats = res.lines[-1]
    assert stats["ok"] == 10000 and stats["failed"] == 0
    assert stats["prepares"] == 1


def test_10000_pipelined_writes_all_land(session, cqlc):
    session.execute(f"DROP TABLE IF EXISTS {KEYSPACE}.landed")
    session.execute(f"CREATE TABLE {KEYSPACE}.landed (id timeuuid PRIMARY KEY, n int)")
    res = cqlc("--compression", "lz4", "--repeat", "10000", "--concurrency", "2000", "--stats",
               "-e", f"INSERT INTO {KEYSPACE}.landed (id, n) VALUES (now(), ?)", "-b", "1")
    assert res.lines[-1]["ok"] == 10000
    count = session.execute(f"SELECT count(*) FROM {KEYSPACE}.landed").one()[0]
    assert count == 10000


@pytest.mark.parametrize("version", [4, 5])
@pytest.mark.parametrize("statement,name,code,text", [
    ("SELECT * FROM nosuch_ks.t", "INVALID", 0x2200, "nosuch_ks"),
    ("SELEC * FROM system.local", "SYNTAX_ERROR", 0x2000, "SELEC"),
    (f"SELECT nosuch FROM {KEYSPACE}.many", "INVALID", 0x2200, "nosuch"),
    (f"CREATE TABLE {KEYSPACE}.many (k int PRIMARY KEY)", "ALREADY_EXISTS", 0x2400, "many"),
])
def test_server_errors_come_back_decoded(many, cqlc, version, statement, name, code, text):
    for mode in ([], ["--simple"]):
        res = cqlc("--protocol", str(version), *mode, "-e", statement, check=False)
        assert res.code == 2
        err = res.errors[0]
        assert (err["error"], err["code"]) == (name, code)
        assert text in err["message"]


def test_unauthorized_role_gets_the_server_error(session, cqlc):
    session.execute("DROP ROLE IF EXISTS cqlgate_noperm")
    session.execute("CREATE ROLE cqlgate_noperm WITH PASSWORD = 'pw' AND LOGIN = true")
    res = run_cqlc("-u", "cqlgate_noperm", "-p", "pw", "-e",
                   f"SELECT * FROM {KEYSPACE}.many WHERE p = 1", auth=False, check=False)
    assert res.code == 2
    assert res.errors[0]["error"] == "UNAUTHORIZED"
    assert res.errors[0]["code"] == 0x2100


def test_an_error_does_not_stop_the_next_statement(many, cqlc):
    res = cqlc("-e", "SELEC 1", "-e", "SELECT release_version FROM system.local", check=False)
    assert res.code == 2
    assert res.lines[0]["error"] == "SYNTAX_ERROR"
    assert "release_version" in res.lines[1]


@pytest.mark.parametrize("version", [4, 5])
def test_reprepare_after_the_server_forgot_the_statement(session, cqlc, version):
    """Dropping a table evicts its statements from the server's cache: the next EXECUTE of the
    cached id gets UNPREPARED and must be prepared again, invisibly."""
    t = f"{KEYSPACE}.reprep"
    session.execute(f"DROP TABLE IF EXISTS {t}")
    session.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, v int)")
    session.execute(f"INSERT INTO {t} (k, v) VALUES (1, 10)")
    select = f"SELECT v FROM {t} WHERE k = ?"
    res = cqlc("--protocol", str(version), "--stats",
               "-e", select, "-b", "1",
               "-e", f"DROP TABLE {t}",
               "-e", f"CREATE TABLE {t} (k int PRIMARY KEY, v int)",
               "-e", f"INSERT INTO {t} (k, v) VALUES (1, 20)",
               "-e", select, "-b", "1")
    assert [r["v"] for r in res.rows if "v" in r] == [10, 20]
    stats = res.lines[-1]
    assert stats["reprepares"] == 1


def test_v5_metadata_change_is_followed(session, cqlc):
    """ALTER TABLE ADD changes a SELECT *'s columns: v5 tells the client with a new metadata id."""
    t = f"{KEYSPACE}.grow"
    session.execute(f"DROP TABLE IF EXISTS {t}")
    session.execute(f"CREATE TABLE {t} (k int PRIMARY KEY, a int)")
    session.execute(f"INSERT INTO {t} (k, a) VALUES (1, 1)")
    res = cqlc("--protocol", "5", "-e", f"SELECT * FROM {t} WHERE k = ?", "-b", "1",
               "-e", f"ALTER TABLE {t} ADD b text",
               "-e", f"UPDATE {t} SET b = 'x' WHERE k = 1",
               "-e", f"SELECT * FROM {t} WHERE k = ?", "-b", "1")
    assert res.rows == [{"k": 1, "a": 1}, {"k": 1, "a": 1, "b": "x"}]


def test_wrong_number_of_values_is_refused(many, cqlc):
    res = cqlc("-e", f"SELECT v FROM {KEYSPACE}.many WHERE p = ? AND c = ?", "-b", "1",
               check=False)
    assert res.code == 2 and "bind markers" in res.errors[0]["message"]
