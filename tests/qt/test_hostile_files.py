"""Broken files opened from the window: one plain error dialog, the user's open files and edits kept."""

import gzip

from deemo_gui.viewer import Viewer

EXAMPLE = "resources/examples/REST_GM12878_test.fa"


def test_broken_files_give_one_plain_dialog_and_keep_the_work(open_window, dialogs, tmp_path):
    viewer = Viewer()
    viewer.open(EXAMPLE)
    viewer.set_current(0)
    edited = "ACGT" + viewer.sequence(0)[4:]
    viewer.set_edited(0, edited)
    win = open_window(viewer)
    raw = bytearray(gzip.compress(open(EXAMPLE, "rb").read()))
    raw[len(raw) // 2] ^= 0x08
    (tmp_path / "flip.fa.gz").write_bytes(bytes(raw))
    (tmp_path / "long_s.fa").write_text(">a\nACſT\n")
    for path, fragment in (
        (tmp_path / "flip.fa.gz", "damaged gzip file"),
        ("/dev/zero", "not a regular file"),
        (tmp_path / "long_s.fa", "invalid character 'ſ'"),
    ):
        before = len(dialogs)
        assert win.open_file(str(path)) is False
        assert len(dialogs) == before + 1
        title, text = dialogs[-1]
        assert title == "deemo-gui: error" and fragment in text and "bug" not in text
    assert len(viewer.files) == 1 and viewer.sequence(0) == edited


def test_repeated_ids_are_named_in_the_status_bar(open_window, dialogs, tmp_path):
    win = open_window(Viewer())
    (tmp_path / "dup.fa").write_text(">a\nACGT\n>b\nAAAA\n>a\nTTTT\n")
    assert win.open_file(str(tmp_path / "dup.fa")) is True
    assert "1 record id(s) repeat an earlier one" in win.statusBar().currentMessage()
    assert not dialogs
