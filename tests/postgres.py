"""A throw-away PostgreSQL server for tests: Debian's own binaries (initdb, pg_ctl), a data folder
in a fresh folder under /tmp, a free port on 127.0.0.1, the Unix socket in that folder too, and
`trust` authentication for one superuser. Nothing is mocked.

    with PostgresServer() as server:
        url = server.create_database("gradebook")   # postgresql://grader@127.0.0.1:PORT/gradebook

PostgreSQL refuses to run as root: as root, the server runs as the `postgres` user (or `nobody`),
which owns the data folder. A missing binary, or a server that does not start, raises
PostgresError with the server's log: a test that needs the server fails, it never skips.
"""
import glob
import os
import pathlib
import pwd
import shutil
import socket
import subprocess
import tempfile

SUPERUSER = "grader"
BINARIES = ("initdb", "pg_ctl")


class PostgresError(RuntimeError):
    pass


def find_bin_dir():
    """The folder holding initdb and pg_ctl of one PostgreSQL version: the one on PATH (symlinks
    followed), else the newest /usr/lib/postgresql/*/bin (Debian does not put them on PATH)."""
    on_path = shutil.which("initdb")
    candidates = [os.path.dirname(os.path.realpath(on_path))] if on_path else []
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                         key=lambda d: [int(p) if p.isdigit() else 0
                                        for p in d.split("/")[-2].split(".")], reverse=True)
    for folder in candidates:
        if all(os.access(os.path.join(folder, b), os.X_OK) for b in BINARIES):
            return folder
    raise PostgresError("PostgreSQL server binaries (initdb, pg_ctl) not found on PATH nor in "
                        "/usr/lib/postgresql/*/bin: install Debian's package with `apt-get install "
                        "postgresql` (.ci/run does)")


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    def __init__(self, superuser=SUPERUSER):
        self.superuser = superuser
        self.bin = find_bin_dir()
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="pg-test-", dir="/tmp"))
        os.chmod(self.tmp, 0o755)           # the server's user must reach its folders
        self.data = self.tmp / "data"
        self.sockets = self.tmp / "run"
        self.log = self.tmp / "server.log"
        self.port = None
        self.running = False
        self.as_user = {}
        if os.geteuid() == 0:
            for name in ("postgres", "nobody"):
                try:
                    entry = pwd.getpwnam(name)
                except KeyError:
                    continue
                self.as_user = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
                break
            else:
                raise PostgresError("running as root and neither a `postgres` nor a `nobody` "
                                    "user exists to run the server as")
        for folder in (self.data, self.sockets):
            folder.mkdir(mode=0o700)
        self.log.touch()
        if self.as_user:
            for path in (self.data, self.sockets, self.log):
                os.chown(path, self.as_user["user"], self.as_user["group"])

    # ----------------------------------------------------------------------------------------

    def _run(self, binary, *args, timeout=120):
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env.update(LC_ALL="C", LANG="C")
        return subprocess.run([os.path.join(self.bin, binary), *args], cwd=self.tmp, env=env,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout, **self.as_user)

    def server_log(self):
        try:
            return self.log.read_text(errors="replace")
        except OSError as e:
            return f"(no server log: {e})"

    def _fail(self, what, result=None):
        out = f"\n--- {what}: exit {result.returncode}\n{result.stdout}{result.stderr}" \
            if result is not None else ""
        raise PostgresError(f"PostgreSQL test server ({self.bin}, data {self.data}, port "
                            f"{self.port}): {what} failed{out}\n--- server log {self.log}:\n"
                            f"{self.server_log()}")

    def start(self, attempts=5):
        result = self._run("initdb", "-D", str(self.data), "-U", self.superuser, "-A", "trust",
                           "-E", "UTF8", "--no-locale", "--no-sync")
        if result.returncode != 0:
            self._fail("initdb", result)
        for _ in range(attempts):       # another process may take the free port first
            self.port = free_port()
            options = " ".join([
                f"-p {self.port}", "-c listen_addresses=127.0.0.1",
                f"-c unix_socket_directories={self.sockets}",
                "-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off",
                "-c max_connections=200"])
            result = self._run("pg_ctl", "start", "-D", str(self.data), "-l", str(self.log),
                               "-w", "-t", "60", "-o", options)
            if result.returncode == 0:
                self.running = True
                return self
            if "could not bind" not in self.server_log() and \
                    "Address already in use" not in self.server_log():
                break
        self._fail("pg_ctl start", result)

    def stop(self):
        if self.running:
            result = self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "immediate", "-w",
                               "-t", "30")
            self.running = result.returncode != 0 and (self.data / "postmaster.pid").exists()
            if self.running:                # pg_ctl could not stop it: the postmaster's pid
                try:
                    pid = int((self.data / "postmaster.pid").read_text().split()[0])
                    os.kill(pid, 9)
                except (OSError, ValueError, IndexError):
                    pass
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc):
        self.stop()

    # ----------------------------------------------------------------------------------------

    def url(self, database):
        """The SQLAlchemy URL of `database` on this server."""
        return f"postgresql://{self.superuser}@127.0.0.1:{self.port}/{database}"

    def connect(self, database="postgres"):
        import psycopg

        return psycopg.connect(host="127.0.0.1", port=self.port, user=self.superuser,
                               dbname=database, connect_timeout=10)

    def create_database(self, name):
        """A new empty database `name`; returns its SQLAlchemy URL."""
        try:
            conn = self.connect()
        except Exception as e:  # noqa: BLE001 - any driver error: show the server's side too
            raise PostgresError(f"cannot connect to the test server on port {self.port}: {e}\n"
                                f"--- server log:\n{self.server_log()}") from e
        try:
            conn.autocommit = True          # CREATE DATABASE cannot run in a transaction
            conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            conn.close()
        return self.url(name)

    def slow_schema_changes(self, database, seconds):
        """Make the first schema change (CREATE TABLE, CREATE TYPE, ...) of every transaction in
        `database` wait `seconds`, as on a loaded remote server: a real event trigger, no mock.
        A client that creates the tables in one transaction then holds them uncommitted that much
        longer, so two clients that both found the database empty overlap for certain instead
        of by luck."""
        with self.connect(database) as conn:
            conn.execute(f"""
                CREATE FUNCTION slow_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF current_setting('slow_ddl.done', true) IS DISTINCT FROM 'yes' THEN
                        PERFORM set_config('slow_ddl.done', 'yes', true);  -- this transaction
                        PERFORM pg_sleep({float(seconds)});
                    END IF;
                END $$""")
            conn.execute("CREATE EVENT TRIGGER slow_ddl ON ddl_command_start "
                         "EXECUTE FUNCTION slow_ddl()")
