"""Generate a realistic snapshot of any size, deterministically (a fixed seed), for benchmarks.

    python bench/generate.py --packages 6000 --grids 400 --out bench/out/data
    from bench.generate import generate_snapshot   # or with bench/ on sys.path

Shaped like the live directory: 4 categories (ids 1..4), ids with gaps, long-tailed
stars, forks, downloads and grid sizes (2 to 60 packages), varied description
lengths, unicode and HTML-special text (`<script>`, `&`, quotes, `:emoji:`), empty
and null fields, participants, commits_over_52 (some empty), grids with 3 to 20
features and cells ('yes', 'no', '+++', URLs, empty, some missing), releases in
`extra` for most packages, a few deprecated and archived packages, timestamps in
API v4 form (America/New_York with the offset in force on the date).

Packages and grids are produced lazily, one record at a time, from a small plan
(ids, titles, slugs, grid membership), so the generator itself stays small in
memory; `write_snapshot` then sorts and validates what it is given.
"""

from __future__ import annotations

import bisect
import random
import shutil
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from builder.fsutil import replace_dir, sibling_tempdir  # noqa: E402
from builder.model import Snapshot  # noqa: E402
from builder.snapshot import write_snapshot  # noqa: E402

DEFAULT_SEED = 20260215
FETCHED_AT = "2026-02-15T19:40:00Z"
NY = ZoneInfo("America/New_York")
START, END = 1281830400, 1771113600  # 2010-08-15 .. 2026-02-15 (UTC)

CATEGORIES = [
    {"id": 1, "title": "App", "slug": "apps", "description": "Small components used to build projects.",
     "title_plural": "Apps", "show_pypi": True, "created": "2010-08-14T19:48:52-04:00",
     "modified": "2010-09-12T19:43:04-04:00"},
    {"id": 2, "title": "Framework", "slug": "frameworks", "description": "Large efforts that combine many "
     "python modules or apps. Examples include Django, Pinax, and Satchmo. "
     "Most CMS falls into this category.",
     "title_plural": "Frameworks", "show_pypi": True, "created": "2010-08-14T19:48:52-04:00",
     "modified": "2010-09-12T19:43:04-04:00"},
    {"id": 3, "title": "Project", "slug": "projects", "description": "Individual projects built with Django: "
     "complete sites, tools and services that you deploy rather than install.", "title_plural": "Projects",
     "show_pypi": False, "created": "2010-08-14T21:02:11-04:00", "modified": "2014-03-02T12:20:45-05:00"},
    {"id": 4, "title": "Other", "slug": "other", "description": "Everything else: libraries and tools that "
     "are not Django apps or frameworks but are useful to Django developers.", "title_plural": "Other",
     "show_pypi": True, "created": "2013-05-21T10:07:33-04:00", "modified": "2019-11-04T04:12:00-05:00"},
]

TOPICS = ("admin auth cache celery cms comments countries crispy forms filter gis graphql health history "
          "i18n import export jinja json location logging mail markdown media models notifications oauth "
          "pagination payments pdf permissions polls push queue ratings redis rest robots roles saml search "
          "security select2 seo settings sitemap sso static storage tagging tenants thumbnails toolbar "
          "uploads urls versioning webpack widgets wiki workflow").split()
SUFFIXES = ("", "", "", "tools", "extra", "plus", "lite", "pro", "kit", "utils", "ng", "x", "2", "contrib")
WORDS = ("django app simple reusable fast small flexible models views templates admin integration support "
         "for with and the a of your project backend frontend api database users easy powerful").split()
SPECIAL = ("<script>alert('x')</script>", "Tom & Jerry", '"quoted"', "it's", "Ünïcödé façade", "日本語の説明",
           ":rocket: launch", "emoji 🚀✨", "a < b > c", "   leading and trailing whitespace   ")
NAMES = ("andrew priya diego yuki olga kwame marta chen sofia liam noor ivan fatima lucas emma hiro zoe "
         "amir lena omar nina raj sara tom").split()
LICENSES = ("MIT", "BSD", "BSD-3-Clause", "Apache-2.0", "GPL-3.0", "LGPL", "MPL-2.0", None)
CELLS = ("yes", "no", "+++", "++", "+", "", "Yes", "No", "partial", "https://example.org/docs/",
         "<b>bold</b> & \"quoted\"", "via plugin", "Ünïcode ✓", "1.0+")
FEATURES = ("Python 3 support", "Documentation", "License", "Tests", "Admin integration", "Async support",
            "Django 5 support", "Active development", "Translations", "REST API", "Type hints", "Demo",
            "Caching", "Permissions", "Templates", "Signals", "Management commands", "Migrations",
            "Storage backends", "Celery tasks", "GraphQL", "Websockets")


def timestamp(seconds: int, micro: int = 0) -> str:
    """An API v4 timestamp: America/New_York, the offset of that date, microseconds only if non-zero."""
    return datetime.fromtimestamp(seconds, NY).replace(microsecond=micro).isoformat()


def _ts(rng: random.Random, lo: int = START, hi: int = END, whole: float = 0.3) -> tuple[int, str]:
    sec = rng.randint(lo, hi)
    micro = 0 if rng.random() < whole else rng.randint(1, 999_999)
    return sec, timestamp(sec, micro)


def _text(rng: random.Random, longest: int) -> str:
    roll = rng.random()
    if roll < 0.05:
        return ""
    if roll < 0.15:
        return rng.choice(SPECIAL) + " " + " ".join(rng.choices(WORDS, k=rng.randint(2, 10)))
    words = rng.choices(WORDS, k=max(1, int(rng.paretovariate(1.5) * 6)))
    return " ".join(words)[:longest].capitalize()


def _long_tail(rng: random.Random, scale: float, cap: int) -> int:
    return min(cap, int((rng.paretovariate(1.1) - 1) * scale))


def _ids(rng: random.Random, n: int, keep: float) -> list[int]:
    """n ascending ids from 1 with gaps (as on a live database with deletions)."""
    out: list[int] = []
    candidate = 0
    while len(out) < n:
        candidate += 1
        if rng.random() < keep:
            out.append(candidate)
    return out


class _Plan:
    """What must be known before records can be streamed: ids, names, grid membership, deprecations."""

    def __init__(self, packages: int, grids: int, seed: int) -> None:
        rng = random.Random(f"{seed}-plan")
        self.seed = seed
        self.package_ids = _ids(rng, packages, 0.87)
        self.grid_ids = _ids(rng, grids, 0.85)
        self.titles, self.slugs = self._names(rng, len(self.package_ids), package=True)
        self.grid_titles, self.grid_slugs = self._names(rng, len(self.grid_ids), package=False)
        # popular packages appear in many grids: Pareto weights, cumulative for O(log n) draws
        cum, total = [], 0.0
        for _ in self.package_ids:
            total += rng.paretovariate(1.2)
            cum.append(total)
        self.members: list[list[int]] = []
        rows: list[tuple[int, int]] = []  # (grid index, package index) in GridPackage row order
        for g in range(len(self.grid_ids)):
            size = min(60, max(2, int(rng.lognormvariate(2.7, 0.8))), len(self.package_ids))
            chosen: dict[int, None] = {}
            while len(chosen) < size:
                chosen[bisect.bisect_left(cum, rng.random() * total)] = None
            members = sorted(chosen, key=lambda i: (self.titles[i].lower(), self.package_ids[i]))
            self.members.append(members)
            rows.extend((g, i) for i in chosen)
        rng.shuffle(rows)
        self.grids_of: dict[int, list[int]] = {}
        for g, i in rows:
            self.grids_of.setdefault(i, []).append(self.grid_ids[g])
        n = len(self.package_ids)
        deprecated = rng.sample(range(n), k=max(1, n * 145 // 6000)) if n > 1 else []
        self.deprecated = set(deprecated)
        self.archived = set(rng.sample(range(n), k=max(1, n * 256 // 6000))) if n else set()
        self.replaces: dict[int, int] = {}  # package index -> id of the package it deprecates
        for i in deprecated[: len(deprecated) // 2]:
            j = rng.randrange(n)
            if j != i and j not in self.replaces:
                self.replaces[j] = self.package_ids[i]

    @staticmethod
    def _names(rng: random.Random, n: int, package: bool) -> tuple[list[str], list[str]]:
        titles, slugs, seen = [], [], set()
        for _ in range(n):
            topic = rng.choice(TOPICS)
            if package:
                second = rng.choice(TOPICS) if rng.random() < 0.5 else ""
                parts = [p for p in ("django", topic, second, rng.choice(SUFFIXES)) if p]
                if rng.random() < 0.1:
                    parts[0] = rng.choice(("drf", "wagtail", ""))
                title = "-".join(p for p in parts if p)
                if rng.random() < 0.15:
                    title = " ".join(p.capitalize() for p in title.split("-"))
                if rng.random() < 0.02:
                    title += rng.choice((" ✨", " (Ünïcode)", " & friends"))
            else:
                kind = rng.choice(("tools", "widgets", "backends", "apps", "for the admin", "helpers"))
                title = f"{topic.capitalize()} {kind}"
            base = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "-" for c in title.lower())
            base = "-".join(p for p in base.split("-") if p) or "x"
            slug, k = base, 1
            while slug in seen:
                k += 1
                slug = f"{base}-{k}"
            seen.add(slug)
            titles.append(title if slug == base or not package else f"{title} {k}")
            slugs.append(slug)
        return titles, slugs


def _participants(rng: random.Random) -> list[str]:
    n = min(80, int(rng.paretovariate(1.3)) - 1)
    names = [f"{rng.choice(NAMES)}{rng.randint(1, 999) if rng.random() < 0.6 else ''}" for _ in range(n)]
    if names and rng.random() < 0.03:
        names.append("")  # a trailing comma in the stored string
    return names


def _commits(rng: random.Random) -> list[int]:
    if rng.random() < 0.06:
        return []
    activity = rng.random() ** 3
    return [_long_tail(rng, 2, 60) if rng.random() < activity else 0 for _ in range(52)]


def _releases(rng: random.Random, next_id: int, created: int, latest: str | None) -> list[dict[str, Any]]:
    if latest is None and rng.random() < 0.7:
        return []
    count = min(60, int(rng.paretovariate(1.0)) + rng.randint(0, 4))
    out, moment = [], created
    for k in range(count):
        moment = min(END, moment + rng.randint(86_400, 86_400 * 200))
        number = latest if (k == count - 1 and latest) else f"{k // 10}.{k % 10}.{rng.randint(0, 3)}"
        _, made = _ts(rng, moment, moment + 600)
        license_ = rng.choice(LICENSES)
        out.append({
            "id": next_id + k, "number": number,
            "upload_time": timestamp(moment) if rng.random() < 0.97 else None,
            "license": license_, "licenses": [license_] if license_ and rng.random() < 0.6 else None,
            "development_status": rng.choice((None, 3, 4, 5, 5, 5, 6)),
            "supports_python3": rng.choice((True, True, True, False, None)),
            "downloads": _long_tail(rng, 200, 10**7) if rng.random() < 0.8 else None,
            "hidden": rng.random() < 0.03, "created": made, "modified": made,
        })
    return out


def _packages(plan: _Plan) -> Iterator[dict[str, Any]]:
    rng = random.Random(f"{plan.seed}-packages")
    next_release = 1
    for i, pid in enumerate(plan.package_ids):
        slug, title = plan.slugs[i], plan.titles[i]
        category = rng.choices((1, 2, 3, 4), weights=(80, 6, 8, 6))[0]
        created_s, created = _ts(rng, START, END - 86_400 * 30, whole=0.05)
        _, modified = _ts(rng, created_s, END, whole=0.05)
        user = rng.choice(NAMES) + str(rng.randint(1, 99))
        host = rng.choices(("github", "gitlab", "bitbucket"), weights=(90, 7, 3))[0]
        repo_url = "" if i == 0 else f"https://{host}.{'org' if host == 'bitbucket' else 'com'}/{user}/{slug}"
        watchers = _long_tail(rng, 30, 90_000)
        has_version = rng.random() > 0.28
        version = f"{rng.randint(0, 8)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}" if has_version else None
        releases = _releases(rng, next_release, created_s, version)
        next_release += len(releases)
        last_fetched = None if rng.random() < 0.04 else _ts(rng, END - 86_400 * 40, END, whole=0.02)[1]
        last_commit = None if rng.random() < 0.05 else _ts(rng, created_s, END, whole=1.0)[1]
        yield {
            "id": pid, "slug": slug, "title": title, "category": category,
            "grids": plan.grids_of.get(i, []),
            "repo_url": repo_url, "repo_description": _text(rng, 400),
            "repo_watchers": watchers, "repo_forks": int(watchers * rng.uniform(0.02, 0.3)),
            "pypi_url": "" if category == 3 and rng.random() < 0.7 else f"https://pypi.org/project/{slug}/",
            "pypi_version": version,
            "documentation_url": rng.choice((f"https://{slug}.readthedocs.io/", f"{repo_url}#readme", "",
                                              None)),
            "last_updated": last_commit, "last_fetched": last_fetched, "created": created,
            "modified": modified, "commits_over_52": _commits(rng), "participants": _participants(rng),
            "extra": {
                "score": watchers + _long_tail(rng, 5, 5000), "usage_count": _long_tail(rng, 3, 4000),
                "pypi_downloads": _long_tail(rng, 500, 5 * 10**7), "favorite_count": _long_tail(rng, 1, 500),
                "commit_count": _long_tail(rng, 20, 40_000),
                "supports_python3": rng.choice((True, True, True, False, None)),
                "pypi_license": rng.choice(LICENSES),
                "pypi_requires_python": rng.choice((">=3.10", ">=3.8", None)),
                "repo_host": host if repo_url else None,
                "pypi_licenses": [rng.choice(LICENSES[:-1])] if rng.random() < 0.5 else None,
                "pypi_classifiers": ["Framework :: Django", "Programming Language :: Python :: 3"]
                if rng.random() < 0.7 else None,
                "date_deprecated": _ts(rng, created_s, END)[1] if i in plan.deprecated else None,
                "date_repo_archived": _ts(rng, created_s, END)[1] if i in plan.archived else None,
                "last_commit_date": last_commit, "deprecates_package": plan.replaces.get(i),
                "created_by": user if rng.random() < 0.9 else None,
                "last_modified_by": rng.choice(NAMES) if rng.random() < 0.8 else None,
                "latest_version": version, "releases": releases,
            },
        }


def _grids(plan: _Plan) -> Iterator[dict[str, Any]]:
    rng = random.Random(f"{plan.seed}-grids")
    next_feature = 1
    for g, gid in enumerate(plan.grid_ids):
        members = [plan.package_ids[i] for i in plan.members[g]]
        features = [{"id": next_feature + k, "title": rng.choice(FEATURES), "description": _text(rng, 200)}
                    for k in range(3 + int(17 * rng.random() ** 2.5))]
        next_feature += len(features)
        elements = [{"feature": f["id"], "package": p, "text": rng.choice(CELLS)}
                    for f in features for p in members if rng.random() < 0.88]
        created_s, created = _ts(rng, START, END - 86_400)
        yield {
            "id": gid, "title": plan.grid_titles[g], "slug": plan.grid_slugs[g],
            "description": _text(rng, 300), "is_locked": rng.random() < 0.05, "header": rng.random() < 0.03,
            "created": created, "modified": _ts(rng, created_s, END)[1],
            "packages": members, "features": features, "elements": elements,
        }


def generate_snapshot(out_dir: Path, packages: int, grids: int, seed: int = DEFAULT_SEED) -> Snapshot:
    """Write a generated snapshot of `packages` packages and `grids` grids into out_dir; return it."""
    if packages < 2 or grids < 0:
        raise ValueError("need at least 2 packages and no negative number of grids")
    plan = _Plan(packages, grids, seed)
    out_dir = Path(out_dir)
    # Written where no snapshot is in place, so it carries no history.jsonl: the same bytes every time.
    scratch = sibling_tempdir(out_dir, "generate")
    try:
        snapshot = _write(scratch / "data", plan, packages, grids, seed)
        replace_dir(scratch / "data", out_dir)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return snapshot


def _write(data_dir: Path, plan: _Plan, packages: int, grids: int, seed: int) -> Snapshot:
    return write_snapshot(
        data_dir,
        source={"kind": "sample", "location": f"bench/generate.py seed={seed}",
                "origin": "https://djangopackages.org"},
        fetched_at=FETCHED_AT,
        categories=CATEGORIES,
        grids=_grids(plan),
        packages=_packages(plan),
        notes=[f"generated by bench/generate.py: {packages} packages, {grids} grids, seed {seed}"],
    )


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packages", type=int, default=6000)
    parser.add_argument("--grids", type=int, default=400)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, required=True, help="the snapshot folder to write (replaced)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    snap = generate_snapshot(args.out, args.packages, args.grids, args.seed)
    counts = ", ".join(f"{v} {k}" for k, v in snap.manifest.counts.items())
    print(f"Wrote {args.out}: {counts} in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
