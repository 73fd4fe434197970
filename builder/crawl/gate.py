"""The safety gate: a crawl that would drop too much of the current snapshot does not replace it."""

from __future__ import annotations

from ..changes import SnapshotChanges


def shrink_refusal(changes: SnapshotChanges, max_shrink: float) -> str | None:
    """Why the new snapshot drops too many packages or grids, or None when it may replace the old one.

    The share dropped is the share of the previous snapshot's ids that the new one
    lacks (so replacing many packages with as many others also counts).
    """
    reasons = []
    for kind in ("packages", "grids"):
        k = getattr(changes, kind)
        if k.before and len(k.removed) / k.before > max_shrink:
            reasons.append(f"{len(k.removed)} of {k.before} {kind} ({len(k.removed) / k.before:.0%}) "
                           f"would be removed")
    if not reasons:
        return None
    return (f"{'; '.join(reasons)}, more than the {max_shrink:.0%} allowed "
            "(use --allow-shrink to accept, or --max-shrink to change the limit)")
