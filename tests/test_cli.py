"""The command line: simulate and inspect, and their errors."""

from __future__ import annotations

import json

import pytest

from vcfml.cli import main


def test_simulate_then_inspect(tmp_path, capsys, bcftools):
    out = tmp_path / "cohort"
    status = main(
        [
            "simulate",
            "--model",
            "liability",
            "--out",
            str(out),
            "--samples",
            "120",
            "--sites",
            "200",
            "--causal",
            "4",
            "--h2",
            "0.4",
            "--seed",
            "2",
        ]
    )
    assert status == 0
    printed = capsys.readouterr().out
    assert "120 samples x 200 sites" in printed and "Bayes-optimal" in printed
    truth = json.loads((out / "truth.json").read_text())
    assert truth["parameters"]["h2"] == 0.4 and len(truth["causal_sites"]) == 4

    assert main(["inspect", str(out / "cohort.vcf.gz")]) == 0
    report = capsys.readouterr().out
    assert "samples:     120" in report
    assert "records:     200 (0 multiallelic)" in report
    assert "phasing:     unphased" in report
    assert "minor-allele frequency spectrum" in report
    assert "chrX" in report


def test_inspect_region(classic_dir, capsys):
    assert main(["inspect", str(classic_dir / "cohort.vcf.gz"), "--region", "chr1"]) == 0
    report = capsys.readouterr().out
    assert "chr2 " not in report and "chr1 " in report


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["--model", "classic", "--h2", "0.3"],
            "options that do not apply to the classic model: --h2",
        ),
        (["--model", "liability", "--cases", "3"], "do not apply to the liability model: --cases"),
        (["--model", "liability", "--h2", "2"], "h2 must be between 0 and 1"),
        (["--model", "classic", "--cases", "900"], "n_cases must be between 1 and n_samples - 1"),
        (
            ["--draw-order", "columns"],
            "draw_order must be one of row-major, by-block, got 'columns'",
        ),
        (["--model", "classic", "--draw-order", "by-block"], "classic model: --draw-order"),
    ],
)
def test_simulate_errors(arguments, message, tmp_path, capsys):
    status = main(["simulate", "--out", str(tmp_path / "x"), *arguments])
    assert status == 1
    err = capsys.readouterr().err
    assert err.startswith("vcfml: error:") and message in err
    assert not (tmp_path / "x").exists()


def test_simulate_by_block(tmp_path, capsys):
    out = tmp_path / "big"
    arguments = ["--samples", "50", "--sites", "300", "--draw-order", "by-block", "--seed", "3"]
    assert main(["simulate", "--out", str(out), *arguments]) == 0
    assert "50 samples x 300 sites" in capsys.readouterr().out
    assert json.loads((out / "truth.json").read_text())["parameters"]["draw_order"] == "by-block"


def test_the_command_skips_the_last_garbage_collection_the_api_does_not(classic_dir, capsys):
    """`vcfml` freezes the objects left when its process ends (Python's last
    collection walked numba's registries: 0.1 s of a `vcfml scan`); main() called
    from Python, in a process that goes on, must not make its objects permanent."""
    import gc
    import subprocess
    import sys

    script = (
        "import gc, sys\n"
        "from vcfml.cli import main\n"
        f"sys.argv = ['vcfml', 'inspect', {str(classic_dir / 'cohort.vcf.gz')!r}]\n"
        "status = main()\n"
        "print('frozen', gc.get_freeze_count(), 'status', status, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    frozen, status = done.stderr.split()[1::2]
    assert int(frozen) > 10_000 and status == "0"
    assert "records:     100" in done.stdout  # the report was written before the freeze
    before = gc.get_freeze_count()
    assert main(["inspect", str(classic_dir / "cohort.vcf.gz")]) == 0
    assert gc.get_freeze_count() == before
