"""The import SQL's rewrite for PostgreSQL (storage.cursor.to_postgres): syntax only,
never inside a string literal."""

from __future__ import annotations

import pytest

from barberbi_desktop.storage.cursor import to_postgres


@pytest.mark.parametrize(
    ("sqlite", "postgres"),
    [
        ("SELECT a FROM t WHERE b = ? AND c = :name",
         "SELECT a FROM t WHERE b = %s AND c = %(name)s"),
        ("SELECT m % 100, 'x:y %' FROM t WHERE k LIKE a || ':s:%'",
         "SELECT m %% 100, 'x:y %%' FROM t WHERE k LIKE a || ':s:%%'"),
        ("DROP TABLE IF EXISTS temp.stage_lines", "DROP TABLE IF EXISTS pg_temp.stage_lines"),
        ("CREATE UNIQUE INDEX temp.ix_s ON stage_s (k)", "CREATE UNIQUE INDEX ix_s ON stage_s (k)"),
        ("INSERT OR IGNORE INTO h VALUES (?)", "INSERT INTO h VALUES (%s) ON CONFLICT DO NOTHING"),
        ("WHERE s.a IS NOT t.a OR b IS NOT NULL OR c IS 5 OR d IS NULL",
         "WHERE s.a IS DISTINCT FROM t.a OR b IS NOT NULL OR c IS NOT DISTINCT FROM 5 "
         "OR d IS NULL"),
        ("SELECT json_object('a', x), 'json_object(' FROM t",
         "SELECT json_build_object('a', x), 'json_object(' FROM t"),
        ("SELECT 'it''s temp.x IS NOT y ?' -- a comment's ? and :p\nFROM t",
         "SELECT 'it''s temp.x IS NOT y ?' \nFROM t"),
        ("SELECT x::text, :p", "SELECT x::text, %(p)s"),
    ],
)  # fmt: skip
def test_only_syntax_outside_literals_is_rewritten(sqlite: str, postgres: str) -> None:
    assert to_postgres(sqlite) == postgres
