"""The state folder: atomic snapshots, a journal that only grows, blobs, the lock, set aside."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from infra.local.state.errors import StateError, UnreadableState
from infra.local.state.store import BLOBS, JOURNAL, SNAPSHOT, StateDir


def commit(store: StateDir, graph: bytes, frame: bytes = b"", **blobs: bytes) -> None:
    named = {hashlib.sha256(data).hexdigest(): data for data in blobs.values()}
    store.commit({"note": "test"}, graph, frame, named, set(named))


def test_a_commit_reads_back_with_its_journal_and_blobs(tmp_path: Path) -> None:
    """What a commit wrote comes back: the graph, every journal frame in order, the blobs."""
    store = StateDir(tmp_path)
    commit(store, b"first", b"frame-1", code=b"zip bytes")
    commit(store, b"second", b"frame-2", code=b"zip bytes")
    again = StateDir(tmp_path)
    saved = again.read()
    assert saved is not None and saved.graph == b"second" and saved.header["note"] == "test"
    assert list(again.journal_frames()) == [b"frame-1", b"frame-2"]
    assert again.blob(hashlib.sha256(b"zip bytes").hexdigest()) == b"zip bytes"


def test_an_empty_folder_has_no_snapshot(tmp_path: Path) -> None:
    """A folder nobody saved into reads as no state at all."""
    assert StateDir(tmp_path).read() is None


def test_journal_bytes_of_a_save_that_never_committed_are_ignored(tmp_path: Path) -> None:
    """A crash between the journal append and the snapshot's rename leaves the old state whole."""
    store = StateDir(tmp_path)
    commit(store, b"committed", b"kept")
    with open(tmp_path / JOURNAL, "ab") as journal:
        journal.write(b"\x00\x00\x01\x00half a frame")  # what a killed save left behind
    again = StateDir(tmp_path)
    assert again.read() is not None
    assert list(again.journal_frames()) == [b"kept"]


def test_the_next_save_overwrites_an_uncommitted_journal_tail(tmp_path: Path) -> None:
    """After such a crash, the next save appends right after the committed bytes."""
    commit(StateDir(tmp_path), b"one", b"kept")
    with open(tmp_path / JOURNAL, "ab") as journal:
        journal.write(b"garbage from a killed save")
    again = StateDir(tmp_path)
    again.read()
    commit(again, b"two", b"next")
    last = StateDir(tmp_path)
    last.read()
    assert list(last.journal_frames()) == [b"kept", b"next"]


def test_a_leftover_temporary_snapshot_changes_nothing(tmp_path: Path) -> None:
    """A half-written snapshot is only ever a temporary file: it is never read, and tidied."""
    commit(StateDir(tmp_path), b"whole")
    (tmp_path / f".{SNAPSHOT}.tmp").write_bytes(b"workshop-state\n{half")
    again = StateDir(tmp_path)
    saved = again.read()
    again.tidy()
    assert saved is not None and saved.graph == b"whole"
    assert not (tmp_path / f".{SNAPSHOT}.tmp").exists()


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda data: b"not a snapshot at all", "not a snapshot"),
        (lambda data: data[:40], "header"),
        (lambda data: data[:-1] + bytes([data[-1] ^ 1]), "checksum"),
    ],
    ids=["garbage", "cut-short", "one-bit-flipped"],
)
def test_a_damaged_snapshot_is_unreadable(tmp_path: Path, damage, reason: str) -> None:
    """Garbage, a cut-short file or one flipped bit: UnreadableState that says which."""
    commit(StateDir(tmp_path), b"the graph" * 10)
    path = tmp_path / SNAPSHOT
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(UnreadableState, match=reason):
        StateDir(tmp_path).read()


def test_a_damaged_journal_frame_is_unreadable(tmp_path: Path) -> None:
    """A committed journal frame whose bytes changed fails its CRC."""
    commit(StateDir(tmp_path), b"graph", b"frame payload")
    data = bytearray((tmp_path / JOURNAL).read_bytes())
    data[-1] ^= 1
    (tmp_path / JOURNAL).write_bytes(bytes(data))
    store = StateDir(tmp_path)
    store.read()
    with pytest.raises(UnreadableState, match="journal is damaged"):
        list(store.journal_frames())


def test_a_damaged_blob_is_unreadable(tmp_path: Path) -> None:
    """A blob whose bytes no longer match its name is refused."""
    commit(StateDir(tmp_path), b"graph", code=b"the code")
    sha = hashlib.sha256(b"the code").hexdigest()
    (tmp_path / BLOBS / sha).write_bytes(b"other code")
    with pytest.raises(UnreadableState, match="damaged"):
        StateDir(tmp_path).blob(sha)


def test_blobs_no_longer_referenced_are_deleted(tmp_path: Path) -> None:
    """A commit that no longer refers to a blob (the function's code changed) removes it."""
    store = StateDir(tmp_path)
    commit(store, b"v1", code=b"old code")
    commit(store, b"v2", code=b"new code")
    assert [p.name for p in (tmp_path / BLOBS).iterdir()] == [
        hashlib.sha256(b"new code").hexdigest()
    ]


def test_a_second_cloud_cannot_take_a_folder_in_use(tmp_path: Path) -> None:
    """The lock names the cloud that holds the folder; letting go frees it."""
    first = StateDir(tmp_path)
    first.acquire()
    with pytest.raises(StateError, match="in use by another local cloud"):
        StateDir(tmp_path).acquire()
    first.release()
    second = StateDir(tmp_path)
    second.acquire()
    second.release()


def test_a_folder_that_cannot_be_created_names_the_fix(tmp_path: Path) -> None:
    """A state folder under a file gives one StateError that points at --state."""
    (tmp_path / "file").write_text("")
    with pytest.raises(StateError, match="--state DIR"):
        StateDir(tmp_path / "file" / "state").acquire()


def test_set_aside_moves_the_state_to_previous(tmp_path: Path) -> None:
    """A fresh start keeps the old state in DIR/previous, where it can still be read."""
    store = StateDir(tmp_path)
    commit(store, b"old", b"old frame", code=b"old code")
    previous = store.set_aside()
    assert previous == tmp_path / "previous"
    assert store.read() is None
    kept = StateDir(previous)
    saved = kept.read()
    assert saved is not None and saved.graph == b"old"
    assert list(kept.journal_frames()) == [b"old frame"]


def test_a_journal_written_whole_replaces_the_old_one(tmp_path: Path) -> None:
    """A save with `whole` writes a new journal file with only the live records; the snapshot
    names it, and the old file is deleted."""
    store = StateDir(tmp_path)
    commit(store, b"one", b"x" * 80)
    commit(store, b"two", b"y" * 80)  # history, all of it dropped since
    assert store.journal_bytes == 2 * (80 + 8)
    store.commit({"note": "test"}, b"three", b"live", {}, set(), whole=True)
    assert not (tmp_path / JOURNAL).exists()
    again = StateDir(tmp_path)
    saved = again.read()
    assert saved is not None and saved.header["journal"] != JOURNAL
    assert list(again.journal_frames()) == [b"live"]
    commit(again, b"four", b"more")  # appends go to the new file
    last = StateDir(tmp_path)
    last.read()
    assert list(last.journal_frames()) == [b"live", b"more"]


def test_a_journal_left_by_a_compaction_that_never_committed_is_tidied(tmp_path: Path) -> None:
    """A crash after writing the new journal but before the snapshot's rename: the old state
    stands, and tidy() removes the orphan file."""
    commit(StateDir(tmp_path), b"one", b"kept")
    (tmp_path / f"{JOURNAL}-1").write_bytes(b"a compaction a crash interrupted")
    again = StateDir(tmp_path)
    again.read()
    assert list(again.journal_frames()) == [b"kept"]
    again.tidy()
    assert not (tmp_path / f"{JOURNAL}-1").exists() and (tmp_path / JOURNAL).exists()
