"""Crawl benchmark: a generated dataset served as API v4 on 127.0.0.1 with an injected latency.

    python bench/bench_crawl.py [--packages 6000] [--grids 400] [--latency 0.05] [--concurrency 4]

Prints the requests made, the wall time, and its ratio to the lower bound
requests / concurrency x latency (what a crawler with no overhead and no waits
between dependent requests would need), for the fetching phase (reading the lists:
what the bound is about; the aim is under 1.3) and end to end (writing the snapshot
and validating it with the build's loader included).
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "bench", ROOT / "tests" / "crawl"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from generate import generate_snapshot  # noqa: E402

from builder.crawl import ClientSettings, CrawlOptions, crawl  # noqa: E402


def main(argv: list[str] | None = None) -> dict[str, float]:
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
        pages = sum(math.ceil(max(1, n) / args.page_size)
                    for n in (len(snapshot.packages), len(snapshot.grids), len(snapshot.categories)))
        best: dict[str, float] = {"fetch": math.inf, "total": math.inf}
        # The origin in its own process, as it would be on its own machine (no shared GIL).
        server = subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "crawl" / "fake_api.py"), str(Path(tmp) / "source"),
             "--latency", str(args.latency)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            url = server.stdout.readline().strip()  # type: ignore[union-attr]
            for run in range(1, args.runs + 1):
                options = CrawlOptions(page_size=args.page_size, allow_shrink=True,
                                       client=ClientSettings(concurrency=args.concurrency, rate=0))
                started = time.perf_counter()
                report = crawl(url, Path(tmp) / f"crawled-{run}", options)
                wall = time.perf_counter() - started
                bound = report.requests / args.concurrency * args.latency
                best["fetch"] = min(best["fetch"], report.fetch_seconds / bound)
                best["total"] = min(best["total"], wall / bound)
                print(f"run {run}: {report.requests} requests (expected {pages}), {report.bytes / 1e6:.1f} MB; "
                      f"lower bound {bound:.3f} s; fetching {report.fetch_seconds:.3f} s, ratio "
                      f"{report.fetch_seconds / bound:.2f}; end to end {wall:.3f} s, ratio {wall / bound:.2f}")
        finally:
            server.stdin.close()  # type: ignore[union-attr]
            server.wait()
    print(f"best ratio: fetching {best['fetch']:.2f} (aim: under 1.3), end to end {best['total']:.2f} "
          f"(with writing and validating the snapshot) for {args.packages} packages, {args.grids} grids, "
          f"page size {args.page_size}, concurrency {args.concurrency}, latency {args.latency * 1000:.0f} ms")
    return best


if __name__ == "__main__":
    main()
