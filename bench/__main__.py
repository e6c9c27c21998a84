"""`make bench`: every benchmark, on SQLite and (when reachable) PostgreSQL, printing side-by-side figures.

Usage: python -m bench [--only NAME ...] [--sqlite-only] [--quick]
"""

import argparse
import os
import subprocess
import sys
from pathlib import Path

from bench.measure import side_by_side

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/chatcenter_bench")
BENCHMARKS = [
    "ingest",
    "idle",
    "freshness",
    "dispatch",
    "notify",
    "inbox",
    "search",
    "reports",
    "agents",
    "compliance",
    "classify",
    "soak",
]
# Benchmarks that do not touch the database run once, not once per database; the soak brings its own
# PostgreSQL and Redis (it restarts them) and runs once.
WITHOUT_DATABASE = {"compliance", "classify", "soak"}
# Long and heavy (10 minutes of load, then the drain): only with --only soak.
ONLY_ON_REQUEST = {"soak"}
# Benchmarks whose figures depend on how much the database already holds start from an empty one: the
# ingest's ratio fell as earlier runs left their 200,000 messages each in the shared file.
FRESH_DATABASE = {"ingest"}


def fresh_database(*, name: str, label: str, url: str) -> str:
    if label == "SQLite":
        path = ROOT / "var" / f"bench-{name}.sqlite3"
        for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            leftover.unlink(missing_ok=True)
        return f"sqlite:///{path}"
    import psycopg

    base, database = url.rsplit("/", 1)
    database = f"{database}_{name}"
    with psycopg.connect(f"{base}/postgres", autocommit=True, connect_timeout=3) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{database}"')
        connection.execute(f'CREATE DATABASE "{database}"')
    return f"{base}/{database}"


def postgres_ready() -> bool:
    try:
        import psycopg

        base = POSTGRES_URL.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(base, autocommit=True, connect_timeout=3) as connection:
            name = POSTGRES_URL.rsplit("/", 1)[1]
            exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not exists:
                connection.execute(f'CREATE DATABASE "{name}"')
        return True
    except Exception as error:
        print(f"PostgreSQL not reachable ({error.__class__.__name__}); benchmarking SQLite only.")
        return False


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", action="append", choices=BENCHMARKS)
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--quick", action="store_true", help="smaller data for a smoke run")
    options = parser.parse_args()
    (ROOT / "var").mkdir(exist_ok=True)
    databases = {"SQLite": f"sqlite:///{ROOT / 'var' / 'bench.sqlite3'}"}
    if not options.sqlite_only and postgres_ready():
        databases["PostgreSQL"] = POSTGRES_URL
    failures = 0
    for name in options.only or [name for name in BENCHMARKS if name not in ONLY_ON_REQUEST]:
        results = ROOT / "var" / f"bench-{name}-figures.json"
        results.unlink(missing_ok=True)
        for label, url in list(databases.items())[: 1 if name in WITHOUT_DATABASE else None]:
            label = "its own PostgreSQL and Redis" if name == "soak" else label
            if name in FRESH_DATABASE:
                url = fresh_database(name=name, label=label, url=url)
            print(f"\n=== {name} on {label}", flush=True)
            env = {
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "bench.settings",
                "BENCH_DATABASE_URL": url,
                "BENCH_DATABASE_LABEL": label,
                "BENCH_RESULTS": str(results),
            }
            if options.quick:
                env["BENCH_QUICK"] = "1"
            result = subprocess.run([sys.executable, "-m", "bench.run", name], cwd=ROOT, env=env, check=False)
            failures += result.returncode != 0
        table = side_by_side(path=results)
        if table:
            print(f"\n=== {name}: databases side by side", *table, sep="\n", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
