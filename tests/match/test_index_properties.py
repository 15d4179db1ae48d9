"""Property test (hypothesis, stateful): adding to and removing from an index.

Random sequences of adds (new pictures and ones already there), removals (by name or
sha256), searches and re-openings, checked against a plain model of what the index
should hold: what was added is found, what was removed is gone, ``len`` and the
records agree with the model, and all of it survives closing and re-opening.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from pixelproof.match import ProvenanceIndex
from pixelproof.match._index import pixel_digest

from .conftest import scene

PICTURES = 6  # distinct procedural pictures the machine draws from


def _picture(number: int):  # type: ignore[no-untyped-def]
    return scene(700 + number, height=144, width=192)


class IndexMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="pixelproof-index-"))
        self.path = self.folder / "refs.db"
        self.index = ProvenanceIndex(self.path, create=True, descriptor="pdq")
        self.model: dict[int, str] = {}  # picture number -> sha256 of its pixels

    def teardown(self) -> None:
        self.index.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    @rule(number=st.integers(0, PICTURES - 1))
    def add(self, number: int) -> None:
        result = self.index.add(_picture(number), name=f"picture{number}")
        assert result.status == ("present" if number in self.model else "added")
        self.model[number] = result.sha256
        assert result.sha256 == pixel_digest(_picture(number))

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data(), by_sha=st.booleans())
    def remove(self, data: st.DataObject, by_sha: bool) -> None:
        number = data.draw(st.sampled_from(sorted(self.model)))
        target = self.model[number] if by_sha else f"picture{number}"
        removed = self.index.remove([target])
        assert [r.path for r in removed] == [f"picture{number}"]
        del self.model[number]

    @rule(number=st.integers(0, PICTURES - 1))
    def remove_absent(self, number: int) -> None:
        if number not in self.model:
            assert self.index.remove([f"picture{number}"]) == []

    @rule(number=st.integers(0, PICTURES - 1))
    def search(self, number: int) -> None:
        result = self.index.search(_picture(number), k=3)
        refs = [m.ref for m in result.matches]
        assert all(int(ref.removeprefix("picture")) in self.model for ref in refs)
        if number in self.model:
            best = result.matches[0]
            assert best.ref == f"picture{number}" and best.score > 0.5, result.matches
        else:
            assert all(m.score < 0.5 for m in result.matches)

    @rule()
    def reopen(self) -> None:
        self.index.close()
        self.index = ProvenanceIndex(self.path)

    @invariant()
    def contents_match_the_model(self) -> None:
        assert len(self.index) == len(self.model)
        records = {r.path: r.sha256 for r in self.index.records()}
        assert records == {f"picture{n}": sha for n, sha in self.model.items()}
        assert self.index.stats().vectors == len(self.index.vectors()[0])


TestIndexMachine = IndexMachine.TestCase
TestIndexMachine.settings = settings(max_examples=15, stateful_step_count=10, deadline=None)
