"""The 52-week commit chart as inline SVG, drawn at build time from `commits_over_52`.

The list runs oldest week first (djangopackages reverses its week buckets), so the newest
week is the rightmost bar. Two forms: an accessible bar chart for the package page (one
<rect> per week, each with a <title>) and a one-path sparkline for grid cells, which a
60-package grid repeats 60 times.
"""

from __future__ import annotations

from functools import lru_cache

from markupsafe import Markup

BAR, GAP, HEIGHT = 8, 2, 60
SPARK_W, SPARK_H, SPARK_MAX = 2, 20, 20  # live grids clamp the scale at 20 commits a week
NO_DATA = Markup('<p class="muted chart-empty">No commit data in this snapshot.</p>')


@lru_cache(maxsize=4096)
def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


@lru_cache(maxsize=65536)
def _bar(i: int, ago: int, n: int, h: int) -> str:
    """One week's bar; weeks with commits carry a tooltip, empty weeks are a 1-unit stub."""
    x = i * (BAR + GAP)
    if not n:
        return f'<rect class="zero" x="{x}" y="{HEIGHT - 1}" width="{BAR}" height="1"/>'
    when = "this week" if ago == 0 else f"{_plural(ago, 'week')} ago"
    return (f'<rect x="{x}" y="{HEIGHT - h}" width="{BAR}" height="{h}">'
            f"<title>{when}: {_plural(n, 'commit')}</title></rect>")


def commit_chart(commits: list[int], chart_id: str = "commits") -> Markup:
    """The package page's bar chart, or a 'no data' note for an empty list."""
    if not commits:
        return NO_DATA
    return _chart(tuple(commits), chart_id)


@lru_cache(maxsize=1024)  # many packages share a history (all quiet weeks, say)
def _chart(commits: tuple[int, ...], chart_id: str) -> Markup:
    weeks = len(commits)
    top = max(max(commits), 1)
    total = sum(commits)
    busiest = max(commits)
    width = weeks * (BAR + GAP)
    bars = [_bar(i, weeks - 1 - i, n, round(n / top * HEIGHT) or 1 if n else 0) for i, n in enumerate(commits)]
    desc = (f"{_plural(total, 'commit')} in the last {_plural(weeks, 'week')}; "
            f"the busiest week had {_plural(busiest, 'commit')}.")
    return Markup(
        f'<svg class="chart" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" '
        f'viewBox="0 0 {width} {HEIGHT}" preserveAspectRatio="none" width="{width}" height="{HEIGHT}">'
        f'<title id="{chart_id}-t">Commits per week, oldest first</title>'
        f'<desc id="{chart_id}-d">{desc}</desc>{"".join(bars)}</svg>'
    )


def sparkline(commits: list[int]) -> Markup:
    """A small one-path chart for grid cells; '—' for an empty list."""
    if not commits:
        return Markup('<span class="na">—</span>')
    strokes = "".join(
        f"M{i * SPARK_W + 1} {SPARK_H}v-{min(n, SPARK_MAX) * SPARK_H // SPARK_MAX or 1}"
        for i, n in enumerate(commits) if n
    )
    total = sum(commits)
    label = f"{_plural(total, 'commit')} in {_plural(len(commits), 'week')}"
    width = len(commits) * SPARK_W
    return Markup(
        f'<svg class="spark" role="img" aria-label="{label}" viewBox="0 0 {width} {SPARK_H}" '
        f'width="{width}" height="{SPARK_H}"><path d="M0 {SPARK_H}h{width}{strokes}"/></svg>'
    )
