"""API stage benchmark: CPU seconds, files and bytes of each part of `builder.api.render`.

    python bench/bench_api.py [--packages 6000] [--grids 400] [--data DIR]

Generates the snapshot (or reuses DIR when it holds one), loads it, then runs each part of the
API stage in order, as one build process would, and prints its CPU time (time.process_time, so
other load on the machine does not count), files and bytes. Nothing is written to disk.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from generate import generate_snapshot  # noqa: E402

from builder.api.render import early_parts, parts  # noqa: E402
from builder.build import BuildContext  # noqa: E402
from builder.settings import load_settings  # noqa: E402
from builder.snapshot import load_snapshot  # noqa: E402


def measure(data_dir: Path) -> dict[str, tuple[float, int, int]]:
    """kind of part (its name without the bucket number) -> (CPU seconds, files, bytes)."""
    settings = load_settings(data_dir=data_dir, output_dir=data_dir.parent / "site",
                             base_url="https://djangopackages.org")
    ctx = BuildContext(settings, load_snapshot(data_dir))
    out: dict[str, tuple[float, int, int]] = {}
    for part in (*early_parts(ctx), *parts(ctx)):
        name = re.sub(r"/\d+(?=/|$)", "/*", part.name)
        started = time.process_time()
        files = size = 0
        for _, content in part.run():
            files += 1
            size += len(content.encode() if isinstance(content, str) else content)
        cpu, n, b = out.get(name, (0.0, 0, 0))
        out[name] = (cpu + time.process_time() - started, n + files, b + size)
    return out


def main(argv: list[str] | None = None) -> dict[str, tuple[float, int, int]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packages", type=int, default=6000)
    parser.add_argument("--grids", type=int, default=400)
    parser.add_argument("--data", type=Path, help="a snapshot folder to use (generated there if missing)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        data = args.data or Path(tmp) / "data"
        if not (data / "manifest.json").is_file():
            generate_snapshot(data, args.packages, args.grids)
        results = measure(data)
    total = [sum(r[i] for r in results.values()) for i in range(3)]
    print(f"{'part':<12} {'CPU s':>7} {'files':>8} {'MB':>8}")
    for name, (cpu, files, size) in [*results.items(), ("total", tuple(total))]:
        print(f"{name:<12} {cpu:7.2f} {files:8d} {size / 1e6:8.1f}")
    return results


if __name__ == "__main__":
    main()
