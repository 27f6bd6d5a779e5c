"""How many audit entries per second the chain's one head row lets through: ``--threads``
threads each append an entry and commit, as every request does, for ``--seconds``.

    PYTHONPATH=. python scripts/probe_audit_head.py --data-dir /work/benchdata/load-sqlite-n100000/data
    PYTHONPATH=. python scripts/probe_audit_head.py --data-dir D --database-url postgresql+psycopg://...

It writes entries (action "probe") into the store it is given: point it at a bench's data, never
at a live register. Run it under the bench lock.
"""

from __future__ import annotations

import argparse
import threading
import time
from pathlib import Path

from search_api.audit.service import Actor, append
from search_api.config import Settings
from search_api.resources import open_resources


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    settings = Settings.isolated(data_dir=args.data_dir, database_url=args.database_url)
    actor = Actor(username="probe", role="admin", source="probe")
    latencies: list[float] = []
    guard = threading.Lock()
    with open_resources(settings) as res:
        stop = time.perf_counter() + args.seconds

        def appender() -> None:
            while time.perf_counter() < stop:
                started = time.perf_counter()
                with res.session_factory() as session:
                    append(session=session, actor=actor, action="probe")
                    session.commit()
                with guard:
                    latencies.append(time.perf_counter() - started)

        threads = [threading.Thread(target=appender) for _ in range(args.threads)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    latencies.sort()
    store = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"{store}: {len(latencies) / args.seconds:.0f} audit entries/s from {args.threads} threads; "
        f"append+commit p50 {1000 * latencies[len(latencies) // 2]:.1f} ms, p99 {1000 * latencies[int(0.99 * (len(latencies) - 1))]:.1f} ms"
    )


if __name__ == "__main__":
    main()
