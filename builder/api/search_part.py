"""The search answers' part: `/api/v4/search/?q=<term>` for every term of the vocabulary.

A term's answer depends only on the rows that match it (and their order), so when few rows
changed since the last build, only the terms that a changed row matches, before or after the
change, are answered again; the others are taken over (`Unchanged`). A row that changed in
shown fields only (not in how it matches or ranks) is put in the live answers that show it.

The build state's memo tells what the live tree's answers were made from: the search rows,
their digests, and for each term the rows its answer shows (`Shown`).

The index is built by the worker that runs the part, when some term needs answering: only
that process holds it (a third of a gigabyte at 100,000 packages). It is the longest part: an
early part (see builder.build), started as soon as the snapshot is loaded.

A process that builds again and again prepares between builds what the next one starts from
(`warm`): the memo decoded, and the rows and their digests by the record each was made from.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property, partial
from typing import TYPE_CHECKING, NamedTuple

import orjson

from ..build import BuildContext, Part
from ..deps import digest
from ..model import SearchRow
from ..output import Unchanged
from . import layout
from .search_rows import Known, rows_by_record, search_rows

if TYPE_CHECKING:  # imported in the worker that runs the part: the parent never loads numpy
    from . import search
    from .search_memo import Shown

Output = tuple[str, bytes | str]
CACHE = "search"  # the stage cache's entry (BuildContext.cache): a `Warmed`


class Decoded(NamedTuple):
    """A memo, decoded: the rows' ids in order, (digest, JSON line) by id, the answers' rows, and
    the packed blocks with the digests (hex) they were packed from (see search_memo.pack_rows)."""

    ids: list[tuple[str, int]]
    old: dict[tuple[str, int], tuple[bytes, str]]
    shown: Shown
    blocks: list[str]
    digests: list[str]


def decode_memo(memo: object, code: str) -> Decoded | None:
    """The search memo a build of this `code` left, decoded; None for none, or one this code
    did not write."""
    from .search_memo import Shown, unpack_lines

    if not isinstance(memo, dict) or memo.get("code") != code:
        return None
    try:
        ids = [tuple(i) for i in memo["ids"]]
        digests = memo["digests"]
        old = {i: (bytes.fromhex(d), row) for i, d, row in zip(ids, digests, unpack_lines(memo["rows"]), strict=True)}
        return Decoded(ids, old, Shown.unpack(memo["shown"]), memo["rows"], digests)  # type: ignore[arg-type]
    except (KeyError, TypeError, ValueError, zlib.error):  # a memo this code did not write: answer all
        return None


@dataclass(frozen=True)
class Warmed:
    """What a resident process prepared between builds (`warm`) for the next search part."""

    memo: object  # the memo decoded: the next build's previous memo, if that is this very object
    decoded: Decoded | None
    rows: Known  # the rows by the record each was made from (see search_rows)
    digests: dict[int, tuple[SearchRow, bytes]]  # id(row) -> (the row, its digest)


def warm(ctx: BuildContext) -> None:
    """Between builds of a resident process: decode the memo the last build left, and keep its
    rows and their digests by record (`Warmed`, in ctx.cache). Ends early if ctx.stop is set."""
    assert ctx.cache is not None
    part = SearchPart(ctx)
    steps = [lambda: part.rows, lambda: part.digests, lambda: part.decoded]
    for step in steps:
        if ctx.stop is not None and ctx.stop.is_set():
            return
        step()
    ctx.cache[CACHE] = Warmed(ctx.previous.memo.get("search"), part.decoded,
                              rows_by_record(ctx.snapshot, part.rows),
                              {id(r): (r, d) for r, d in zip(part.rows, part.digests, strict=True)})


class SearchPart:
    """Plans and yields the search answers: all of them, or those a change touches (see above)."""

    def __init__(self, ctx: BuildContext) -> None:
        self.ctx = ctx
        self.snap = ctx.snapshot
        self.index: search.SearchIndex | None = None
        self.groups: list[list[str]] = []
        self.fresh: set[str] | None = None  # terms to answer again (None: all)
        self.patched: dict[str, bytes] = {}  # term -> its live answer with changed rows' new bodies
        self.shown: Shown | None = None  # the live answers' rows, at their places in self.rows
        self.vocabulary_key = ""  # search_text.vocabulary_key of this build's rows

    @cached_property
    def warmed(self) -> Warmed | None:
        """What this process prepared after its last build, if it is one that builds again."""
        return None if self.ctx.cache is None else self.ctx.cache.get(CACHE)

    @cached_property
    def rows(self) -> list[SearchRow]:
        return search_rows(self.snap, self.warmed.rows if self.warmed else None)

    @cached_property
    def place(self) -> dict[tuple[str, int], int]:
        """(item_type, id) -> the row's place in `rows`."""
        return {(r.item_type, r.id): i for i, r in enumerate(self.rows)}

    @cached_property
    def digests(self) -> list[bytes]:
        known = self.warmed.digests if self.warmed else {}
        out = []
        for row in self.rows:
            found = known.get(id(row))
            out.append(found[1] if found is not None and found[0] is row else digest(orjson.dumps(row)))
        return out

    @cached_property
    def decoded(self) -> Decoded | None:
        """The memo the last build left, decoded (between builds already, in a resident process)."""
        memo = self.ctx.previous.memo.get("search")
        if self.warmed is not None and self.warmed.memo is memo:
            return self.warmed.decoded
        return decode_memo(memo, self.ctx.deps.code.hex())

    def _memo(self, shown: Shown) -> dict:
        from . import search_memo

        digests = [d.hex() for d in self.digests]
        previous = self.decoded
        return {"code": self.ctx.deps.code.hex(), "ids": [[r.item_type, r.id] for r in self.rows],
                "digests": digests, "shown": shown.pack(), "vocabulary": self.vocabulary_key,
                "rows": search_memo.pack_rows(self.rows, digests, previous and (previous.blocks, previous.digests))}

    def parts(self) -> list[Part]:
        deps = self.ctx.deps
        return [Part("api/v4/search", self.files, deps.key("search", deps.snapshot_digest), first=True)]

    def _plan(self) -> None:
        """The terms, in groups; which to answer again, which to patch (when the memo tells)."""
        from . import search_text

        if self.groups:
            return
        changed = self._changed_rows()
        self.vocabulary_key = search_text.vocabulary_key(self.snap, self.rows)
        shown = self.shown
        if changed is not None and self.vocabulary_key == self.ctx.previous.memo["search"].get("vocabulary"):
            # The same terms as the live tree's, whose files it has: the memo lists them in order.
            assert shown is not None
            terms, self.groups, self.fresh = shown.terms, [shown.terms], set()
        else:
            terms = sorted(search_text.vocabulary(self.snap, self.rows))
            groups: dict[str, list[str]] = {}
            for term in terms:
                groups.setdefault(search_text.sharing_key(term), []).append(term)
            self.groups = [group for _, group in sorted(groups.items())]
            if changed is not None:
                assert shown is not None
                live = self.ctx.previous.live.files
                self.fresh = {t for t in terms if t not in shown or layout.search_term_file(t) not in live}
        if changed is not None:
            assert self.fresh is not None and shown is not None
            # A row that changed in shown fields only ranks as before: the answers that show it
            # are the old ones with its new body. Any other change: the terms it matches, before
            # or after, are answered again.
            shown_only = [(old, new) for old, new in changed if old and new and search_text.same_ranking(old, new)]
            others = [row for pair in changed if pair not in shown_only for row in pair if row]
            self.fresh |= search_text.terms_matching(terms, others)
            for old, new in shown_only:
                self._patch(shown.showing(self.place[new.item_type, new.id]) - self.fresh, old, new)
        if self.fresh is None or self.fresh:
            self._index()

    def _patch(self, terms: set[str], old: SearchRow, new: SearchRow) -> None:
        """Put a row's new body in the live answers that show it (or answer them again)."""
        from . import search_text

        before, after = search_text.row_body(old), search_text.row_body(new)
        root, live = self.ctx.settings.output_dir, self.ctx.previous.live.files
        for term in terms:
            path = layout.search_term_file(term)
            body = self.patched.get(term)
            if body is None:
                recorded = live.stat_of(path)
                body = None if recorded is None else _read_if_unchanged(os.path.join(root, path), *recorded)
            if body is None or before not in body:  # missing or touched behind the build's back: answer it
                self.fresh.add(term)  # type: ignore[union-attr]
                self.patched.pop(term, None)
                continue
            self.patched[term] = body.replace(before, after)

    def _changed_rows(self) -> list[tuple[SearchRow | None, SearchRow | None]] | None:
        """(old, new) versions of the rows that changed since the live tree's answers (None for
        an added or removed row), or None when that cannot be told (no memo, other code) or too
        many changed to be worth it. Sets `shown` from the memo, at the rows' new places."""
        decoded = self.decoded
        if decoded is None:
            return None
        old_ids, old = decoded.ids, decoded.old
        new = {(r.item_type, r.id): (d, r) for r, d in zip(self.rows, self.digests, strict=True)}
        changed_ids = sorted(i for i in old.keys() | new.keys() if old.get(i, (None,))[0] != new.get(i, (None,))[0])
        if len(changed_ids) > max(50, len(self.rows) // 50):
            return None
        # The order of the unchanged rows breaks ties: it must be the same as before.
        moved = set(changed_ids)
        if [i for i in old_ids if i not in moved] != [i for i in new if i not in moved]:
            return None
        # A removed row is shown by no answer kept as it is (the terms it matched are answered again).
        try:
            self.shown = decoded.shown.moved([self.place.get(i, 0) for i in old_ids])
        except ValueError:
            return None
        return [(SearchRow(**orjson.loads(old[i][1])) if i in old else None, new[i][1] if i in new else None)
                for i in changed_ids]

    def _index(self) -> search.SearchIndex:
        from . import search

        if self.index is None:
            self.index = search.SearchIndex(self.rows)
        return self.index

    def files(self) -> Iterator[Output | Unchanged]:
        from . import search_text
        from .search_memo import ShownBuilder

        self._plan()
        yield layout.v4_search(), b"[]"
        yield layout.v4_search("json"), b"[]"
        shown = ShownBuilder()
        for group in self.groups:  # answered a group at a time: memory stays small
            fresh = group if self.fresh is None else [t for t in group if t in self.fresh]
            answered = self._answers(fresh) if fresh else {}
            unchanged: list[str] = []
            for term in group:
                path, found = layout.search_term_file(term), answered.get(term)
                if found is not None:
                    shown.add(term, found.rows)
                    yield path, found.body
                    continue
                assert self.shown is not None
                shown.add(term, self.shown.of(term))
                patched = self.patched.get(term)
                if patched is not None:
                    yield path, patched
                else:
                    unchanged.append(term)
            if unchanged:  # taken over all at once
                yield Unchanged([layout.search_term_file(t) for t in unchanged],
                                partial(self._answer_of, unchanged))
        if self.index is not None:  # the process goes on with other parts: let its memory go to them
            self.index = None
            search_text.forget()
        # What these answers show, for the next build: encoded here (a note of 40,000 strings).
        self.ctx.memo["search"] = orjson.dumps(self._memo(shown.done()))

    def _answers(self, terms: list[str]) -> dict[str, search.Answer]:
        from . import search

        return search.answers(terms, self._index())

    def _answer_of(self, terms: list[str], i: int) -> bytes:
        return self._index().answer(terms[i])


def _read_if_unchanged(path: str, size: int, mtime: int) -> bytes | None:
    """A file's bytes if it still has the size and mtime recorded for it, else None."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if st.st_size != size or st.st_mtime_ns != mtime:
            return None
        return os.read(fd, size)
    finally:
        os.close(fd)
