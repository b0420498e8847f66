"""A real, throwaway PostgreSQL server for the portal's tests (issue 14).

The portal promises to run on PostgreSQL as well as on SQLite; a mock would prove nothing
about migrations, transactions or types, so the tests start Debian's ``postgresql``
binaries (``initdb``, ``pg_ctl``) on a free loopback port in a temporary folder, create
databases in it, and stop and delete everything afterwards.

``initdb`` refuses to run as root, and CI runs as root: then the cluster belongs to the
``postgres`` system user and every server binary runs through ``runuser``.

When no PostgreSQL binaries are installed, :func:`find_bindir` raises
:class:`PostgresMissing` with the package to install: the PostgreSQL tests must fail,
never be skipped silently (``.ci/run`` installs ``postgresql``).
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

__all__ = ["PostgresMissing", "PostgresServer", "find_bindir"]


class PostgresMissing(RuntimeError):
    """No usable PostgreSQL server binaries on this machine."""


_NEEDED = ("initdb", "pg_ctl", "postgres", "createdb")


def _has_server(bindir: str | os.PathLike[str]) -> bool:
    return all(os.access(os.path.join(bindir, name), os.X_OK) for name in _NEEDED)


def _version_key(path: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", path))


def find_bindir() -> Path:
    """The folder holding initdb, pg_ctl and postgres; PostgresMissing when there is none.

    ``pg_config --bindir`` first (it names the server's folder on Debian when the server and
    libpq-dev come from the same major version), then the newest /usr/lib/postgresql/*/bin,
    then PATH.
    """
    candidates: list[str] = []
    env_dir = os.environ.get("JIXIAO_PG_BINDIR")
    if env_dir:
        candidates.append(env_dir)
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=30)
            if out.returncode == 0 and out.stdout.strip():
                candidates.append(out.stdout.strip())
        except (OSError, subprocess.SubprocessError):
            pass
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True)
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(os.path.dirname(initdb))
    for bindir in candidates:
        if _has_server(bindir):
            return Path(bindir)
    raise PostgresMissing(
        "PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found in "
        f"{candidates or ['pg_config --bindir', '/usr/lib/postgresql/*/bin', 'PATH']}: "
        "install Debian's `postgresql` package (apt-get install postgresql), as .ci/run does, "
        "or point JIXIAO_PG_BINDIR at the folder")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """One PostgreSQL cluster in a temporary folder, listening on 127.0.0.1:<free port>.

    Use as a context manager, or call :meth:`start` and :meth:`stop`. :meth:`create_database`
    gives each test module a database of its own and returns its URL. Authentication is
    ``trust`` on loopback only: the server lives as long as the test run and listens on no
    other address.
    """

    user = "jixiao"

    def __init__(self, bindir: str | os.PathLike[str] | None = None):
        self.bindir = Path(bindir) if bindir else find_bindir()
        self.root: Path | None = None
        self.port: int | None = None
        self._as_user: list[str] = []
        self._databases = 0

    # --- paths -------------------------------------------------------------------------

    @property
    def datadir(self) -> Path:
        assert self.root is not None
        return self.root / "data"

    @property
    def logfile(self) -> Path:
        assert self.root is not None
        return self.root / "server.log"

    @property
    def socket_dir(self) -> Path:
        assert self.root is not None
        return self.root / "sock"

    def url(self, dbname: str) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{dbname}"

    # --- running the binaries -------------------------------------------------------------

    def _run(self, name: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        cmd = [*self._as_user, str(self.bindir / name), *args]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, "LC_ALL": "C", "TZ": "UTC"})
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
                               f"\n{self._log_tail()}")
        return proc

    def _log_tail(self) -> str:
        try:
            return "server log:\n" + self.logfile.read_text(errors="replace")[-3000:]
        except OSError:
            return ""

    def start(self) -> "PostgresServer":
        # Not under pytest's tmp_path: its parents are mode 700 and root's, which the
        # postgres user cannot traverse; as root, not under a TMPDIR of root's either. A
        # short path also keeps the unix socket's name under its 107-byte limit.
        as_root = os.geteuid() == 0
        self.root = Path(tempfile.mkdtemp(prefix="jixiao-pg-", dir="/tmp" if as_root and os.path.isdir("/tmp") else None))
        if as_root:
            try:
                pw = pwd.getpwnam("postgres")
            except KeyError as exc:
                self._remove()
                raise PostgresMissing("running as root, and there is no `postgres` user to own the "
                                      "cluster (Debian's postgresql package creates it)") from exc
            runuser = shutil.which("runuser")
            if not runuser:
                self._remove()
                raise PostgresMissing("running as root without `runuser` to start PostgreSQL as `postgres`")
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
            self._as_user = [runuser, "-u", "postgres", "--"]
        self.socket_dir.mkdir()
        if self._as_user:
            pw = pwd.getpwnam("postgres")
            os.chown(self.socket_dir, pw.pw_uid, pw.pw_gid)
        try:
            self._run("initdb", "-D", str(self.datadir), "-U", self.user, "-A", "trust",
                      "-E", "UTF8", "--locale=C", "--no-sync")
            # A free port can be taken between our probe and the server's bind: try a few.
            for attempt in range(5):
                self.port = free_port()
                options = (f"-p {self.port} -c listen_addresses=127.0.0.1 "
                           f"-c unix_socket_directories={self.socket_dir} "
                           "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                           "-c max_connections=100")
                try:
                    self._run("pg_ctl", "-D", str(self.datadir), "-l", str(self.logfile),
                              "-o", options, "-w", "-t", "60", "start")
                    break
                except RuntimeError:
                    if attempt == 4:
                        raise
                    time.sleep(0.2)
        except BaseException:
            self.stop()
            raise
        return self

    def create_database(self, name: str | None = None) -> str:
        """A new empty database; returns its postgresql:// URL."""
        self._databases += 1
        name = name or f"jixiao_test_{self._databases}"
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, name)
        return self.url(name)

    def pids(self) -> list[int]:
        """The postmaster's process id while it runs (first line of postmaster.pid)."""
        try:
            return [int(self.datadir.joinpath("postmaster.pid").read_text().split()[0])]
        except (OSError, ValueError, IndexError):
            return []

    def stop(self) -> None:
        """Stop the server (fast, then immediate, then by its pid) and delete its folder."""
        if self.root is None:
            return
        if (self.datadir / "postmaster.pid").exists():
            for mode in ("fast", "immediate"):
                try:
                    self._run("pg_ctl", "-D", str(self.datadir), "-m", mode, "-w", "-t", "30", "stop")
                    break
                except (RuntimeError, subprocess.TimeoutExpired):
                    continue
            else:
                for pid in self.pids():
                    try:
                        os.kill(pid, 9)
                    except ProcessLookupError:
                        pass
        self._remove()

    def _remove(self) -> None:
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def __enter__(self) -> "PostgresServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
