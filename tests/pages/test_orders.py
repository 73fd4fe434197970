"""The lists' sort orders: put right package by package after a few changes, they are the
orders a full sort gives (builder/pages/listing.py, `sorted_orders`)."""

from __future__ import annotations

import random
from types import SimpleNamespace

from builder.pages import listing


def _package(rng: random.Random, package_id: int) -> SimpleNamespace:
    return SimpleNamespace(
        id=package_id, title=rng.choice(["Alpha", "alpha", "Beta", "ÉCLAIR", "beta", "Zed"]),
        repo_watchers=rng.randint(0, 5), repo_forks=rng.randint(0, 5),
        last_updated=rng.choice([None, "2026-01-02T03:04:05+00:00", "2026-01-02T05:04:05+02:00",
                                 "2025-12-31T23:00:00-05:00"]))


def _site(packages: dict[int, SimpleNamespace]) -> SimpleNamespace:
    return SimpleNamespace(snapshot=SimpleNamespace(packages=packages))


def _identities(orders: dict[str, list]) -> dict[str, list[int]]:
    return {key: [id(p) for p in order] for key, order in orders.items()}


def test_orders_put_right_after_a_few_changes_are_a_full_sorts() -> None:
    for seed in range(200):
        rng = random.Random(seed)
        packages = {i: _package(rng, i) for i in range(1, rng.randint(1, 80))}
        orders = listing.sorted_orders(_site(packages))
        for _ in range(3):  # builds in a row, each from the last one's orders
            changed = dict(packages)
            for i in rng.sample(sorted(changed), min(len(changed), rng.randint(0, 4))):
                if rng.random() < 0.3:
                    del changed[i]  # removed
                else:
                    changed[i] = _package(rng, i)  # a new record for the same package
            for _ in range(rng.randint(0, 2)):
                new_id = max(changed, default=0) + 1
                changed[new_id] = _package(rng, new_id)  # added
            again = listing.sorted_orders(_site(changed), (packages, orders))
            assert _identities(again) == _identities(listing.sorted_orders(_site(changed))), seed
            packages, orders = changed, again


def test_many_changes_sort_afresh() -> None:
    rng = random.Random(1)
    packages = {i: _package(rng, i) for i in range(1, 200)}
    orders = listing.sorted_orders(_site(packages))
    changed = {i: _package(rng, i) for i in packages}
    stale = {key: list(reversed(order)) for key, order in orders.items()}  # not consulted
    again = listing.sorted_orders(_site(changed), (packages, stale))
    assert _identities(again) == _identities(listing.sorted_orders(_site(changed)))
