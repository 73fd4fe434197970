"""Crawl benchmark: a generated dataset served as API v4 on 127.0.0.1 with an injected latency.

    python bench/bench_crawl.py [--packages 6000] [--grids 400] [--latency 0.05] [--concurrency 4]

Prints the requests made, the wall time, and its ratio to the lower bound
requests / concurrency x latency (what a crawler with no overhead and no waits
between dependent requests would need). The aim is under 1.3.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "bench", ROOT / "tests" / "crawl"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from fake_api import DatasetApi, FakeApiServer  # noqa: E402
from generate import generate_snapshot  # noqa: E402

from builder.crawl import ClientSettings, CrawlOptions, crawl  # noqa: E402


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packages", type=int, default=6000)
    parser.add_argument("--grids", type=int, default=400)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added to every request")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3, help="crawls to run; the best is reported")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-crawl-") as tmp:
        snapshot = generate_snapshot(Path(tmp) / "source", args.packages, args.grids)
        api = DatasetApi.from_snapshot(snapshot)
        pages = sum(math.ceil(max(1, n) / args.page_size)
                    for n in (len(snapshot.packages), len(snapshot.grids), len(snapshot.categories)))
        best = math.inf
        with FakeApiServer(api, latency=args.latency) as server:
            for run in range(1, args.runs + 1):
                options = CrawlOptions(page_size=args.page_size, allow_shrink=True,
                                       client=ClientSettings(concurrency=args.concurrency, rate=0))
                started = time.perf_counter()
                report = crawl(server.url, Path(tmp) / f"crawled-{run}", options)
                wall = time.perf_counter() - started
                bound = report.requests / args.concurrency * args.latency
                best = min(best, wall / bound)
                print(f"run {run}: {report.requests} requests (expected {pages}), "
                      f"{report.bytes / 1e6:.1f} MB, wall {wall:.3f} s, lower bound {bound:.3f} s, "
                      f"ratio {wall / bound:.2f}")
    print(f"best ratio {best:.2f} (aim: under 1.3) for {args.packages} packages, {args.grids} grids, "
          f"page size {args.page_size}, concurrency {args.concurrency}, latency {args.latency * 1000:.0f} ms")
    return best


if __name__ == "__main__":
    main()
