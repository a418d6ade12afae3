"""Cost of authentication (bearer lookup) + permission check per request.

    python benchmarks/auth.py [--calls 10000] [--accounts 1000] [--tokens 5000] [--url URL]

Seeds a real catalog (SQLite in a temporary directory unless ``--url``) with accounts
holding random roles and API tokens scoped to them, then times ``Service.authorize``
(token hash -> one indexed join -> role matrix) for random tokens of the pool; that is
what every guarded service method costs before its action. A token's last-use write
happens at most once a minute per token: a first pass uses every token once (timed
apart, ``touch_p50_ms``), then the timed calls run within that minute, the steady state
of a token used more than once a minute.
``cpu_*`` is the calling thread's CPU time: on a shared machine the wall-clock tail is
mostly time spent waiting for a core (4 ms scheduler slices).
Then the same through the web app's ASGI stack, in-process (no socket): ``GET
/api/v1/health`` (no credential) against ``GET /api/v1/whoami`` (bearer lookup and the
service's check), alternating; ``api_overhead_p95_ms`` is the p95 of the paired
differences, the cost a request pays for authentication on top of its action.
Last line (wall clock): ``AUTH p50_ms=.. p95_ms=.. api_overhead_p95_ms=..``
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chartvault.auth.principal import Principal
from chartvault.auth.roles import MATRIX, Action, Role
from chartvault.catalog import Catalog
from chartvault.catalog import accounts as aq
from chartvault.service import Service
from chartvault.settings import AuthSettings, Settings
from storage.local import LocalObjectStore


def seed(service: Service, accounts: int, tokens: int,
         rng: random.Random) -> list[tuple[str, Role]]:
    now = datetime.now(UTC)
    pool: list[tuple[str, Role]] = []
    roles = list(Role)
    people: list[Principal] = []
    with service.catalog.transaction() as conn:
        for i in range(accounts):
            aid = f"a-bench{i:06d}"
            held = frozenset(rng.sample(roles, rng.choice((1, 1, 2))))
            aq.insert_account(conn, account_id=aid, username=f"user{i:06d}",
                              password_hash="$argon2id$v=19$m=8,t=1,p=1$x$y", must_change=False,
                              intakes=[], at=now, by="bench")
            aq.replace_roles(conn, aid, [r.value for r in held], now, "bench")
            people.append(Principal(aid, f"user{i:06d}", held, "session", None, True))
        for _ in range(tokens):
            p = rng.choice(people)
            role = rng.choice(sorted(p.roles))
            bearer, _ = service.auth.issue_token(conn, p, role, timedelta(days=30), "bench")
            pool.append((bearer, role))
    return pool


def api_overhead(settings: Settings, service: Service, pool: list[tuple[str, Role]],
                 rng: random.Random, calls: int) -> list[float]:
    """Paired (whoami - health) request times through the ASGI app, in ms."""
    import asyncio

    import httpx

    from chartvault.web import create_app

    app = create_app(settings, service)

    async def run() -> list[float]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for _ in range(50):  # warm-up
                await client.get("/api/v1/health")
            diffs = []
            for _ in range(calls):
                bearer, _role = rng.choice(pool)
                t0 = time.perf_counter()
                await client.get("/api/v1/health")
                t1 = time.perf_counter()
                r = await client.get("/api/v1/whoami",
                                     headers={"Authorization": f"Bearer {bearer}"})
                t2 = time.perf_counter()
                assert r.status_code == 200, r.text
                diffs.append(((t2 - t1) - (t1 - t0)) * 1000)
            return diffs

    return asyncio.run(run())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=10_000)
    ap.add_argument("--accounts", type=int, default=1000)
    ap.add_argument("--tokens", type=int, default=5000)
    ap.add_argument("--url", help="catalog URL (default: SQLite in a temporary directory)")
    args = ap.parse_args()
    rng = random.Random(13)
    with tempfile.TemporaryDirectory(prefix="cv-bench-auth-") as tmp:
        data = Path(tmp)
        settings = Settings(data_dir=data, catalog_url=args.url, auth=AuthSettings())
        catalog = Catalog(settings.sqlalchemy_url)
        catalog.create()
        service = Service(catalog, LocalObjectStore(settings.objects_dir), settings)
        pool = seed(service, args.accounts, args.tokens, rng)
        allowed = {r: sorted(MATRIX[r]) for r in Role}
        touch: list[float] = []
        for bearer, role in pool:  # first use of each token writes its last-use time
            t0 = time.perf_counter()
            service.authorize(bearer, allowed[role][0])
            touch.append((time.perf_counter() - t0) * 1000)
        times: list[float] = []
        cpu: list[float] = []
        for _ in range(args.calls):
            bearer, role = rng.choice(pool)
            action: Action = rng.choice(allowed[role])
            t0, c0 = time.perf_counter(), time.thread_time()
            service.authorize(bearer, action)
            cpu.append((time.thread_time() - c0) * 1000)
            times.append((time.perf_counter() - t0) * 1000)
        overhead = api_overhead(settings, service, pool, rng, min(args.calls, 3000))
        catalog.close()
    times.sort()
    cpu.sort()
    p50 = statistics.median(times)
    p95 = times[int(len(times) * 0.95)]
    p99 = times[int(len(times) * 0.99)]
    print(f"backend={settings.sqlalchemy_url.split(':', 1)[0]} accounts={args.accounts} "
          f"tokens={args.tokens} calls={args.calls} p99_ms={p99:.3f} max_ms={times[-1]:.3f} "
          f"touch_p50_ms={statistics.median(touch):.3f} cpu_p50_ms={statistics.median(cpu):.3f} "
          f"cpu_p95_ms={cpu[int(len(cpu) * 0.95)]:.3f} (wall time includes waiting for a core)")
    overhead.sort()
    print(f"AUTH p50_ms={p50:.3f} p95_ms={p95:.3f} "
          f"api_overhead_p50_ms={statistics.median(overhead):.3f} "
          f"api_overhead_p95_ms={overhead[int(len(overhead) * 0.95)]:.3f}")


if __name__ == "__main__":
    main()
