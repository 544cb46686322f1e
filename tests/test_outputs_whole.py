"""Nothing lost, nothing half-written: the cohort folder, the VCF and its index
and the Zarr store appear whole or not at all, whatever runs beside them or
stops them (two `vcfml simulate` on one --out, Ctrl-C), and bad --out paths
end in one line before any work (the library review's S6, S8 and tracebacks)."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from vcfml import read_vcf
from vcfml.errors import VcfmlInputError
from vcfml.io.paths import folder_written_whole, validate_output_path

VCFML = [sys.executable, "-m", "vcfml.cli"]


def run_vcfml(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*VCFML, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def start_vcfml(*args: str, cwd: Path) -> subprocess.Popen:
    """``vcfml`` as a terminal starts it: SIGINT at its default even where these tests
    run with it ignored (a shell's background job), which a child would inherit."""
    return subprocess.Popen(
        [*VCFML, *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def one_line_error(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("vcfml: error: "), stderr
    assert "Traceback" not in stderr
    return lines[0]


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_two_simulate_runs_on_one_out_one_wins_whole(tmp_path):
    small = ["simulate", "--samples", "150", "--sites", "2500", "--out", "cohort"]
    runs = [start_vcfml(*small, "--seed", str(seed), cwd=tmp_path) for seed in (1, 2)]
    results = [(run.wait(timeout=300), *run.communicate()) for run in runs]
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 1], results
    winner = next(seed for seed, (code, _, _) in zip((1, 2), results, strict=True) if code == 0)
    loser = next(stderr for code, _, stderr in results if code == 1)
    assert "cohort" in one_line_error(loser)
    folder = tmp_path / "cohort"
    # The winner's cohort, all of it: readable, indexed, and one seed throughout.
    assert json.loads((folder / "truth.json").read_text())["seed"] == winner
    gzip.decompress((folder / "cohort.vcf.gz").read_bytes())  # CRC-checked whole
    whole = read_vcf(folder / "cohort.vcf.gz")
    indexed = read_vcf(folder / "cohort.vcf.gz", region="chr1")
    on_chr1 = (whole.variants["chrom"] == "chr1").to_numpy()
    np.testing.assert_array_equal(indexed.genotypes, whole.genotypes[:, on_chr1])
    assert leftovers(tmp_path) == []


def test_simulate_refuses_an_existing_out_unless_overwrite(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    result = run_vcfml("simulate", "--samples", "50", "--sites", "300", "--out", "file",
                       cwd=tmp_path)  # fmt: skip
    assert result.returncode == 1
    assert "is a file" in one_line_error(result.stderr)

    old = tmp_path / "old"
    old.mkdir()
    (old / "stale.txt").write_text("from an earlier run")
    args = ["simulate", "--samples", "50", "--sites", "300", "--out", "old"]
    result = run_vcfml(*args, cwd=tmp_path)
    assert result.returncode == 1
    assert "--overwrite" in one_line_error(result.stderr)
    assert (old / "stale.txt").exists()
    result = run_vcfml(*args, "--overwrite", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in old.iterdir()) == [
        "cohort.vcf.gz", "cohort.vcf.gz.tbi", "samples.tsv", "truth.json",
    ]  # fmt: skip
    assert leftovers(tmp_path) == []


def wait_for(condition, process: subprocess.Popen, timeout: float = 120) -> None:
    """Poll until ``condition()``; fail if the process ends first."""
    end = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < end, "timed out"
        time.sleep(0.02)


def test_ctrl_c_in_simulate_leaves_nothing(tmp_path):
    run = start_vcfml(
        "simulate", "--samples", "400", "--sites", "60000", "--out", "big", cwd=tmp_path
    )
    # Interrupted while the cohort is drawn and written into its temporary folder.
    wait_for(lambda: any(tmp_path.glob(".big.*.tmp/.cohort.vcf.gz.*.tmp")), run)
    run.send_signal(signal.SIGINT)
    _, stderr = run.communicate(timeout=120)
    assert run.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_in_to_zarr_leaves_nothing(tmp_path):
    pytest.importorskip("bio2zarr")
    from vcfml.simulate import simulate

    simulate("liability", seed=2, n_samples=200, n_sites=20000).write(tmp_path / "c")
    run = start_vcfml(
        "to-zarr", "c/cohort.vcf.gz", "--out", "sig.vcz", "--workers", "0", "--chunk", "500",
        cwd=tmp_path,
    )  # fmt: skip
    # Interrupted while encoding the store (the review's half-written sig.vcz).
    wait_for(lambda: any(tmp_path.glob(".sig.vcz.*/store.vcz")), run, timeout=240)
    run.send_signal(signal.SIGINT)
    _, stderr = run.communicate(timeout=120)
    assert run.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c"]


def test_inspect_into_a_closed_pipe_ends_quietly(tmp_path):
    from vcfml.simulate import simulate

    folder = simulate("liability", seed=2, n_samples=20, n_sites=100).write(tmp_path / "c")
    # `true` exits at once: every line vcfml prints meets a closed pipe.
    command = " ".join([*VCFML, "inspect", str(folder / "cohort.vcf.gz")]) + " | true"
    result = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=120)
    assert result.stderr == ""


def test_validate_output_path_names_the_problem(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(VcfmlInputError, match="is a file"):
        validate_output_path(tmp_path / "file")
    with pytest.raises(VcfmlInputError, match=r"file.*is a file, not a folder"):
        validate_output_path(tmp_path / "file" / "run")
    with pytest.raises(VcfmlInputError, match="already exists"):
        validate_output_path(tmp_path)
    assert validate_output_path(tmp_path, overwrite=True) == tmp_path
    with pytest.raises(VcfmlInputError, match="is a folder"):
        validate_output_path(tmp_path, folder=False)
    assert validate_output_path(tmp_path / "new.tsv", folder=False) == tmp_path / "new.tsv"


def test_a_failed_write_leaves_the_old_folder_and_no_temporary(tmp_path):
    target = tmp_path / "run"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with pytest.raises(RuntimeError), folder_written_whole(target, "replace") as folder:
        (folder / "new.txt").write_text("new")
        raise RuntimeError("the work failed")
    assert sorted(os.listdir(target)) == ["old.txt"]
    assert leftovers(tmp_path) == []
    with folder_written_whole(target, "replace") as folder:
        (folder / "new.txt").write_text("new")
    assert sorted(os.listdir(target)) == ["new.txt"]


def test_automl_refuses_a_file_as_out_before_any_work(tmp_path, capsys):
    from vcfml.cli import main

    (tmp_path / "taken").write_text("a file")
    started = time.perf_counter()
    status = main(["automl", "--vcf", str(tmp_path / "absent.vcf.gz"), "--samples",
                   str(tmp_path / "absent.tsv"), "--out", str(tmp_path / "taken")])  # fmt: skip
    assert status == 1
    assert "is a file" in one_line_error(capsys.readouterr().err)
    assert time.perf_counter() - started < 30  # refused before reading anything


def test_a_replace_whose_final_rename_fails_puts_the_old_folder_back(tmp_path, monkeypatch):
    """Replacing a folder sets the old one aside first: if the new one cannot be
    renamed into place (another writer, a full disk, Ctrl-C), the old one returns."""
    target = tmp_path / "cohort"
    target.mkdir()
    (target / "old.txt").write_text("old")
    real_rename = os.rename

    def rename(source, destination):
        if str(source).endswith(".tmp"):
            raise OSError(28, "No space left on device")
        return real_rename(source, destination)

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(VcfmlInputError), folder_written_whole(target, "replace") as folder:
        (folder / "new.txt").write_text("new")
    monkeypatch.undo()
    assert sorted(os.listdir(target)) == ["old.txt"]
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("if_exists", ["fail", "replace"])
def test_a_folder_another_writer_put_in_place_meanwhile_is_kept_whole(tmp_path, if_exists):
    """The one mechanism of every command (simulate, automl's run folder, qc):
    when another writer renames its folder into place while this block runs,
    that folder stays whole and this one fails in one line (an empty folder
    appearing is no exception: a rename would have replaced it silently)."""
    target = tmp_path / "out"
    if if_exists == "replace":
        target.mkdir()
        (target / "old.txt").write_text("old")
    match = "another run wrote it while this one was running"
    with (
        pytest.raises(VcfmlInputError, match=match),
        folder_written_whole(target, if_exists) as folder,
    ):
        (folder / "mine.txt").write_text("mine")
        other = tmp_path / "other"
        other.mkdir()
        if if_exists == "replace":
            (other / "theirs.txt").write_text("theirs")
            os.rename(target, tmp_path / "aside")
        os.rename(other, target)
    assert sorted(os.listdir(target)) == ([] if if_exists == "fail" else ["theirs.txt"])
    assert leftovers(tmp_path) == []
