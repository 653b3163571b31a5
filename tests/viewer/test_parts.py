"""The viewer's parts on their own: the sequence store, the edit history and the selection."""

import numpy as np
import pytest

from deemo_gui.core.errors import DataError
from deemo_gui.core.sequences import SequenceSet
from deemo_gui.viewer import Viewer
from deemo_gui.viewer.edits import EditHistory
from deemo_gui.viewer.entries import OpenFile
from deemo_gui.viewer.events import ViewerEvents
from deemo_gui.viewer.selection import Selection
from deemo_gui.viewer.sequences import SequenceStore


def _file(name: str, ids: list[str], seqs: list[str]) -> OpenFile:
    return OpenFile(path=name, data=SequenceSet(ids=ids, seqs=seqs))


def test_the_store_numbers_records_across_files():
    store = SequenceStore()
    assert store.add(_file("a.fa", ["a1", "a2"], ["ACGT", "GGCC"])) == 0
    assert store.add(_file("b.fa", ["b1", "a1"], ["TTTT", "CCCC"])) == 2
    assert len(store) == 4 and store.offsets == [0, 2]
    assert store.index == {"a1": 0, "a2": 1, "b1": 2}  # an id's first record
    assert store.index_of("b1") == 2 and store.index_of(3) == 3
    assert store.local(3) == (store.files[1], 1) and store.file_of(1).path == "a.fa"
    with pytest.raises(DataError):
        store.index_of(4)
    assert store.remove(0) == range(0, 2)
    assert store.ids == ["b1", "a1"] and store.offsets == [0] and store.index_of("a1") == 1


def test_edits_undo_and_strand_without_a_viewer():
    store = SequenceStore()
    store.add(_file("a.fa", ["a1", "a2"], ["AACG", "GGCC"]))
    edits = EditHistory(store)
    edits.opened(len(store))
    assert edits.edit(0, 0, "t") and edits.sequence(0) == "TACG" and edits.is_edited(0)
    assert edits.set_strand(0, "-") and edits.sequence(0) == "CGTA" and edits.forward_sequence(0) == "TACG"
    assert edits.gc(0) == 0.5 and not np.isnan(edits.gc_values[0]) and np.isnan(edits.gc_values[1])
    assert edits.undo(0) and edits.forward_sequence(0) == "AACG" and np.isnan(edits.gc_values[0])
    assert edits.redo(0) and not edits.redo(0)
    assert edits.lengths().tolist() == [4, 4] and edits.edited_indices == [0] and edits.minus_indices == [0]
    store.add(_file("b.fa", ["b1"], ["TT"]))
    edits.opened(1)
    edits.edit(2, 1, "G")
    edits.closed(store.remove(0))
    assert list(edits.states) == [0] and edits.sequence(0) == "TG"


def test_the_selection_follows_edits_and_strand():
    store = SequenceStore()
    store.add(_file("a.fa", ["a1"], ["ACGTACGT"]))
    edits, events = EditHistory(store), ViewerEvents()
    edits.opened(len(store))
    current = Selection(events, edits)
    seen = []
    events.selection_changed.connect(seen.append)
    current.move_to(0)
    current.select(3, 1)
    assert current.range == (1, 3) and current.text() == "CG" and len(current.search("ACG")) == 4
    current.flip(8)  # viewed on the other strand: the same bases are selected
    assert current.range == (5, 7) and seen == [(1, 3), (5, 7)]
    edits.replace_range(0, 6, 8, "")
    current.fit()  # the edit shortened the record
    assert current.range == (5, 6) and current.fasta() == ">a1:6-6 edited\nC\n"


def test_the_viewer_keeps_no_window_and_its_public_names_read_the_parts():
    v = Viewer()
    v.add_sequences(SequenceSet(ids=["s"], seqs=["ACGT"]))
    assert v.window is None and v.files is v.store.files and v.current_index == v.current.index == 0
    v.task = "t"  # a public attribute still assigns, into its part
    assert v.model_list.task == "t"
    assert v in Viewer.instances()
