"""Live change notices between computers on one PostgreSQL server (issue #22).

Every data change raises ``shop_state.data_version``; on PostgreSQL a trigger
(migration 0010) sends ``NOTIFY barberbi_data, '<version>'`` inside the writing
transaction, so the notice goes out on commit, whichever code path wrote, and
never for a write that rolled back. Engine results and alerts are announced on
``barberbi_results`` and ``barberbi_alerts`` by the computer that ran the job
(`announce`), since the others skip that run (jobs.leader).

`Listener` is one dedicated connection that LISTENs on those channels. It is
driven from outside: whoever owns it waits until `fileno` is readable (Qt's
socket notifier in the app, ``select`` in a script) and calls `drain`, which
never blocks. Notices sent by this process's own connections (`OwnBackends`) are
dropped, since this process already told its own hub. Nothing here imports Qt.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, event, text
from sqlalchemy.engine import URL

from barberbi_desktop.storage import pg

log = logging.getLogger(__name__)

DATA = "barberbi_data"
RESULTS = "barberbi_results"
ALERTS = "barberbi_alerts"
CHANNELS = (DATA, RESULTS, ALERTS)
# The operating system notices a server that vanished without closing the connection
# (a pulled cable, a crashed host) after about idle + interval * count seconds.
KEEPALIVE = {"keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5,
             "keepalives_count": 3}  # fmt: skip


class LostConnection(Exception):
    """The listening connection is gone (server restarted, network down, terminated)."""


@dataclass(frozen=True)
class Notice:
    channel: str
    payload: str
    pid: int  # the server process of the connection that sent it


class OwnBackends:
    """The server process ids of this process's pooled connections to the shop.

    A connection is noted when it is checked out, which is before it can write, so
    by the time its notice arrives its id is known; a closed one is forgotten, since
    the server may give its id to another computer's connection later."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self._pids: dict[int, int] = {}
        event.listen(engine, "checkout", self._checkout)
        for name in ("close", "invalidate", "close_detached"):
            event.listen(engine, name, self._forget)

    def _checkout(self, dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        pid = _backend_pid(dbapi_conn)
        if pid:
            with self._lock:
                self._pids[id(dbapi_conn)] = pid

    def _forget(self, dbapi_conn: Any, *_args: Any) -> None:
        with self._lock:
            self._pids.pop(id(dbapi_conn), None)

    def __contains__(self, pid: object) -> bool:
        with self._lock:
            return pid in self._pids.values()

    def close(self) -> None:
        event.remove(self.engine, "checkout", self._checkout)
        for name in ("close", "invalidate", "close_detached"):
            event.remove(self.engine, name, self._forget)


class OwnWrites:
    """The data versions this process wrote through its import helper process.

    The helper's connections are not this process's (`OwnBackends` cannot know them),
    and the helper's own `DataChanged` reaches this process's hub after its commit,
    which is after the server sent the notice. So an import marks itself as landing
    (`begin`) before the helper starts and hands over the versions its batches
    produced (`end`) before its event is published here; a listener holds the data
    notices that arrive while an import lands and then drops the import's own
    (`take`). One refresh per import, not two."""

    KEEP = 64  # versions whose notice never came (a lost connection) are forgotten

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._landing = 0
        self._versions: list[int] = []

    def begin(self) -> None:
        with self._lock:
            self._landing += 1

    def end(self, versions: list[int]) -> None:
        with self._lock:
            self._landing = max(self._landing - 1, 0)
            self._versions = [*self._versions, *versions][-self.KEEP:]

    @property
    def landing(self) -> bool:
        """An import of this process is landing: its notice may come before `end`."""
        with self._lock:
            return self._landing > 0

    def take(self, version: int) -> bool:
        """Whether ``version`` is this process's own write (forgotten once taken)."""
        with self._lock:
            if version in self._versions:
                self._versions.remove(version)
                return True
            return False


_OWN_WRITES: dict[str, OwnWrites] = {}
_OWN_WRITES_LOCK = threading.Lock()


def own_writes(url: URL) -> OwnWrites:
    """This process's `OwnWrites` for the shop at ``url`` (one per shop)."""
    key = url.render_as_string(hide_password=True)
    with _OWN_WRITES_LOCK:
        return _OWN_WRITES.setdefault(key, OwnWrites())


def _backend_pid(dbapi_conn: Any) -> int:
    try:
        return int(dbapi_conn.info.backend_pid)
    except Exception:  # a closed or broken connection has none
        return 0


def conninfo(url: URL) -> str:
    """The psycopg connection string of a SQLAlchemy URL (with its password)."""
    from psycopg.conninfo import make_conninfo

    params: dict[str, Any] = {
        "host": url.host, "port": url.port, "dbname": url.database,
        "user": url.username, "password": url.password,
    }  # fmt: skip
    params.update({k: v for k, v in url.query.items() if isinstance(v, str)})
    return make_conninfo(**{k: v for k, v in params.items() if v is not None})


class Listener:
    """One LISTEN connection; `connect` blocks (run it off the GUI thread), the rest not."""

    def __init__(self, url: URL, own: OwnBackends | None = None) -> None:
        self.url = url
        self.place = pg.where(url)
        self.own = own
        self._conn: Any = None
        self._early: list[Notice] = []

    def connect(self) -> int:
        """Connect and LISTEN; returns the shop's data version at that moment."""
        import psycopg

        conn = psycopg.connect(
            conninfo(self.url), autocommit=True, connect_timeout=pg.CONNECT_TIMEOUT_S,
            application_name="BarberBI live updates", **KEEPALIVE,
        )  # fmt: skip
        conn.add_notify_handler(self._keep)  # a notice that arrives during our own queries
        for channel in CHANNELS:
            conn.execute(f"LISTEN {channel}")
        row = conn.execute("SELECT data_version FROM shop_state WHERE id = 1").fetchone()
        self._conn = conn
        return int(row[0]) if row else 0

    def _keep(self, notify: Any) -> None:
        self._early.append(Notice(notify.channel, notify.payload, int(notify.pid)))

    @property
    def connected(self) -> bool:
        return self._conn is not None and not self._conn.closed

    def fileno(self) -> int:
        return int(self._conn.pgconn.socket)

    def drain(self) -> list[Notice]:
        """Every notice that has arrived, except this process's own; never blocks.

        Raises `LostConnection` when the server has gone (its socket reads as closed)."""
        from psycopg import OperationalError
        from psycopg.pq import ConnStatus

        if self._conn is None:
            raise LostConnection(str(self.place))
        pgconn = self._conn.pgconn
        found, self._early = self._early, []
        try:
            pgconn.consume_input()
            while (raw := pgconn.notifies()) is not None:
                found.append(Notice(raw.relname.decode(), raw.extra.decode(), int(raw.be_pid)))
        except OperationalError as exc:
            self.close()
            raise LostConnection(str(exc)) from exc
        if pgconn.status != ConnStatus.OK:  # broken without an error on this read
            self.close()
            raise LostConnection(str(self.place))
        own = self.own
        return [n for n in found if own is None or n.pid not in own]

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # already broken: nothing left to close
                log.debug("closing a broken listener connection", exc_info=True)


def announce(engine: Engine, channel: str, payload: str) -> None:
    """Tell the other computers (engine results, alerts); a no-op on SQLite.

    Best effort: a computer that misses it still sees the result at its next refresh."""
    if engine.dialect.name != "postgresql":
        return
    try:
        with engine.begin() as conn:
            conn.execute(text("SELECT pg_notify(:c, :p)"), {"c": channel, "p": payload})
    except Exception:
        log.warning("could not announce %s %s to the other computers", channel, payload,
                    exc_info=True)  # fmt: skip
