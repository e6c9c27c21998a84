"""Runs one benchmark inside a configured Django process (called by bench/__main__.py)."""

import os
import sys

import django


def main() -> int:
    if sys.argv[1] == "soak":
        # Starts its own PostgreSQL and Redis before Django is set up on them.
        from bench import soak

        return soak.main(quick=os.environ.get("BENCH_QUICK") == "1")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    quick = os.environ.get("BENCH_QUICK") == "1"
    name = sys.argv[1]
    if name == "inbox":
        from bench import inbox_perf

        inbox_perf.server_time(
            chats=5_000 if quick else 100_000, messages_per_chat=10, requests=30 if quick else 200
        )
        inbox_perf.load_test(clients=20, seconds=5 if quick else 20)
        return 0
    if name == "ingest":
        from bench import ingest

        ingest.run(messages=5_000 if quick else 50_000)
        return 0
    if name == "idle":
        from bench import idle

        idle.run(chats=200 if quick else 1_000)
        return 0
    if name == "dispatch":
        from bench import dispatch

        dispatch.run(samples=6 if quick else 30)
        return 0
    if name == "freshness":
        from bench import freshness

        freshness.run(samples=5 if quick else 20)
        return 0
    if name == "compliance":
        from bench import compliance

        compliance.run(repeat=2 if quick else 5)
        return 0
    if name == "notify":
        from bench import notify

        notify.run(quick=quick)
        return 0
    if name == "reports":
        from bench import reports

        return 0 if reports.run(chats=5_000 if quick else 100_000, requests=10 if quick else 30) else 1
    if name == "classify":
        from bench import classify

        classify.run(repeat=1 if quick else 3)
        return 0
    if name == "agents":
        from bench import agents

        agents.run(agents=40 if quick else 200, seconds=30 if quick else 90, chats=2_000 if quick else 20_000)
        return 0
    if name == "search":
        from bench import search

        default_messages = 20_000 if quick else 1_000_000
        search.run(
            messages=int(os.environ.get("BENCH_SEARCH_MESSAGES", default_messages)),
            requests=int(os.environ.get("BENCH_SEARCH_REQUESTS", 40 if quick else 200)),
        )
        return 0
    print(f"unknown benchmark {name}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
