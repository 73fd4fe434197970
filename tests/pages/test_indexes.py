"""The home page's short lists: the packages released, added and updated last are found as a full
comparison finds them."""

from __future__ import annotations

import heapq
import random
from types import SimpleNamespace

from builder.pages import format as fmt
from builder.pages.indexes import HOME_LIST, _may_be_latest, _newest_release, _release_candidates


def _snapshot(rng: random.Random, extreme: bool) -> SimpleNamespace:
    """Packages with releases in a few days, at offsets from -12:00 to +14:00 (so local dates and
    UTC dates disagree; `extreme`: only those two), some hidden or undated, some packages without
    releases."""
    packages = {}
    release_id = 0
    for package_id in range(1, rng.randint(2, 60)):
        releases = []
        for _ in range(rng.randint(0, 4)):
            release_id += 1
            minutes = rng.choice((-12 * 60, 14 * 60)) if extreme else rng.randrange(-12 * 60, 14 * 60 + 1, 15)
            sign, minutes = ("-" if minutes < 0 else "+"), abs(minutes)
            stamp = (f"2026-03-{rng.randint(1, 4):02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00"
                     f"{sign}{minutes // 60:02d}:{minutes % 60:02d}")
            releases.append(SimpleNamespace(id=release_id, upload_time=None if rng.random() < 0.1 else stamp,
                                            hidden=rng.random() < 0.1))
        extra = SimpleNamespace(releases=releases) if rng.random() < 0.9 else None
        packages[package_id] = SimpleNamespace(id=package_id, extra=extra)
    return SimpleNamespace(packages=packages)


def _top(packages: object) -> list[tuple[int, int]]:
    """(package, release) of the HOME_LIST packages released last, every release compared in time."""
    found = heapq.nlargest(HOME_LIST, filter(None, map(_newest_release, packages)),
                           key=lambda c: (fmt.sort_key_ts(c[0]), c[1]))
    return [(p.id, r.id) for _, _, p, r in found]


def test_the_candidates_hold_the_packages_released_last() -> None:
    for seed in range(400):
        site = SimpleNamespace(snapshot=_snapshot(random.Random(seed), extreme=seed % 2 == 1))
        candidates = _release_candidates(site)  # type: ignore[arg-type]
        assert _top(candidates) == _top(site.snapshot.packages.values()), f"seed {seed}"


def test_a_release_two_local_days_before_the_others_can_be_the_newest() -> None:
    """03-03 23:30 at -12:00 is 03-04 11:30 UTC, later than 03-05 00:00 at +14:00 (03-04 10:00 UTC)."""
    def package(package_id: int, stamp: str) -> SimpleNamespace:
        release = SimpleNamespace(id=package_id, upload_time=stamp, hidden=False)
        return SimpleNamespace(id=package_id, extra=SimpleNamespace(releases=[release]))

    packages = {i: package(i, f"2026-03-05T00:0{i}:00+14:00") for i in range(1, HOME_LIST + 1)}
    packages[99] = package(99, "2026-03-03T23:30:00-12:00")
    site = SimpleNamespace(snapshot=SimpleNamespace(packages=packages))
    assert packages[99] in _release_candidates(site)  # type: ignore[arg-type]


def test_releases_of_year_one_leave_every_package_a_candidate() -> None:
    release = SimpleNamespace(id=1, upload_time="0001-01-01T10:00:00+00:00", hidden=False)
    packages = {1: SimpleNamespace(id=1, extra=SimpleNamespace(releases=[release]))}
    site = SimpleNamespace(snapshot=SimpleNamespace(packages=packages))
    assert _release_candidates(site) == [packages[1]]  # type: ignore[arg-type]


def _stamp(rng: random.Random, extreme: bool) -> str:
    minutes = rng.choice((-12 * 60, 14 * 60)) if extreme else rng.randrange(-12 * 60, 14 * 60 + 1, 15)
    sign, minutes = ("-" if minutes < 0 else "+"), abs(minutes)
    return (f"2026-03-{rng.randint(1, 4):02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00"
            f"{sign}{minutes // 60:02d}:{minutes % 60:02d}")


def test_the_latest_of_any_stamps_are_among_the_candidates() -> None:
    """As the home page orders the packages added last: by time, then id; None the earliest."""
    def latest(items: list[tuple[str | None, int]]) -> list[tuple[str | None, int]]:
        return heapq.nlargest(HOME_LIST, items, key=lambda item: (fmt.sort_key_ts(item[0]), item[1]))

    for seed in range(400):
        rng = random.Random(seed)
        items = [(None if rng.random() < 0.2 else _stamp(rng, seed % 2 == 1), i) for i in range(rng.randint(0, 40))]
        candidates = _may_be_latest([(stamp, (stamp, i)) for stamp, i in items])
        assert set(candidates) <= set(items)
        assert latest(candidates) == latest(items), f"seed {seed}"
    few = [(None, 1), ("2026-03-01T00:00:00+00:00", 2)]  # fewer dated than the list: the undated count
    assert _may_be_latest(few) == [1, 2]
