"""`vcfml predict` and `vcfml explain` on files from elsewhere: renamed contigs,
swapped alleles, duplicates, missing sites, and every boundary that used to end
in a traceback now ends in one line naming the file, and exit status 1."""

from __future__ import annotations

import gzip
import json
import shutil

import numpy as np
import pandas as pd
import pysam
import pytest

from vcfml.cli import main


@pytest.fixture(scope="module")
def cohort(liability_dir, tmp_path_factory):
    """The liability cohort with a numeric covariate (age) next to sex."""
    folder = tmp_path_factory.mktemp("cohort")
    samples = pd.read_csv(liability_dir / "samples.tsv", sep="\t")
    samples["age"] = np.random.default_rng(0).integers(20, 80, len(samples))
    samples.to_csv(folder / "samples.tsv", sep="\t", index=False)
    shutil.copy(liability_dir / "cohort.vcf.gz", folder / "cohort.vcf.gz")
    return folder


@pytest.fixture(scope="module")
def run(cohort):
    out = cohort / "run"
    status = main(
        [
            "automl",
            "--vcf",
            str(cohort / "cohort.vcf.gz"),
            "--samples",
            str(cohort / "samples.tsv"),
            "--covariates",
            "sex,age",
            "--estimators",
            "logistic",
            "--n-sites",
            "60",
            "--deterministic",
            "--max-trials",
            "2",
            "--no-ensemble",
            "--quiet",
            "--no-track",
            "--out",
            str(out),
        ]
    )
    assert status == 0
    return out


def predict(run, vcf, samples, out, *options) -> int:
    arguments = ["predict", "--run", str(run), "--vcf", str(vcf), "--samples", str(samples)]
    return main([*arguments, "--out", str(out), *options])


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    # predict on the training cohort warns that scores on it are optimistic
    lines = [line for line in err.strip().splitlines() if "were used to fit the model" not in line]
    assert len(lines) == 1 and lines[0].startswith("vcfml: error: "), err
    assert "Traceback" not in err
    return lines[0]


def model_sites(run) -> pd.DataFrame:
    """(chrom, pos) of the variants the run's model uses."""
    from vcfml.automl.run_files import load_run

    model, _ = load_run(run)
    return model.variants[["chrom", "pos"]].astype({"pos": int}).reset_index(drop=True)


def rewrite_vcf(source, target, *, rename=None, swap=(), drop=(), repeat=()) -> None:
    """Edit a VCF as text, as another pipeline would have written it, and bgzip it.

    rename: contig name map; swap: (chrom, pos) whose REF and ALT are exchanged
    (calls recoded, INFO dropped); drop: (chrom, pos) left out; repeat: (chrom,
    pos) written twice.
    """
    rename = rename or {}
    lines = []
    with gzip.open(source, "rt") as handle:
        for line in handle:
            if line.startswith("##contig=<ID="):
                name = line[len("##contig=<ID=") :].split(",")[0].split(">")[0]
                line = line.replace(f"ID={name}", f"ID={rename.get(name, name)}", 1)
            if line.startswith("#"):
                lines.append(line)
                continue
            fields = line.rstrip("\n").split("\t")
            site = (fields[0], int(fields[1]))
            if site in drop:
                continue
            if site in swap:
                fields[3], fields[4], fields[7] = fields[4], fields[3], "."
                for column in range(9, len(fields)):
                    gt, _, rest = fields[column].partition(":")
                    gt = gt.translate(str.maketrans("01", "10"))
                    fields[column] = gt + (":" + rest if rest else "")
            fields[0] = rename.get(fields[0], fields[0])
            lines.append("\t".join(fields) + "\n")
            if site in repeat:
                lines.append("\t".join(fields) + "\n")
    plain = target.with_suffix("")
    plain.write_text("".join(lines))
    pysam.tabix_compress(str(plain), str(target), force=True)
    plain.unlink()


def test_renamed_contigs_and_swapped_alleles_give_the_same_probabilities(
    run, cohort, tmp_path, capsys
):
    vcf = cohort / "cohort.vcf.gz"
    sites = model_sites(run)
    assert (sites["chrom"] == "chrX").any(), "the test needs a model site on chrX (haploid males)"
    # 10% of the file's 800 sites swapped: every other model site, and others.
    everything = pd.read_csv(vcf, sep="\t", comment="#", header=None, usecols=[0, 1])
    model_keys = list(map(tuple, sites.to_numpy()))
    swapped = set(model_keys[::2]) | {
        key for key in model_keys if key[0] == "chrX"
    }  # every chrX model site: haploid flips
    others = [key for key in map(tuple, everything.to_numpy()) if key not in set(model_keys)]
    rng = np.random.default_rng(1)
    for index in rng.permutation(len(others))[: len(everything) // 10 - len(swapped)]:
        swapped.add(others[index])
    assert len(swapped) == len(everything) // 10
    rename = {f"chr{n}": str(n) for n in range(1, 23)} | {"chrX": "X"}
    theirs = tmp_path / "theirs.vcf.gz"
    rewrite_vcf(vcf, theirs, rename=rename, swap=swapped)

    assert predict(run, vcf, cohort / "samples.tsv", tmp_path / "ours.tsv") == 0
    assert predict(run, theirs, cohort / "samples.tsv", tmp_path / "theirs.tsv") == 0
    ours = pd.read_csv(tmp_path / "ours.tsv", sep="\t")
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "theirs.tsv", sep="\t"), ours)
    assert ours["probability"].nunique() > 100  # a real model, not a constant

    # The model may give some sites no weight (L1): compare the aligned calls too.
    from vcfml import read_vcf
    from vcfml.automl.alignment import align_variants
    from vcfml.automl.run_files import load_run
    from vcfml.features import join_samples

    model, _ = load_run(run)
    calls = {
        name: align_variants(model.variants, join_samples(read_vcf(path), cohort / "samples.tsv"))[
            0
        ]
        for name, path in [("ours", vcf), ("theirs", theirs)]
    }
    np.testing.assert_array_equal(calls["theirs"], calls["ours"])
    on_x = (model.variants["chrom"] == "chrX").to_numpy()
    assert on_x.any() and (calls["ours"][:, on_x] == 1).any()

    report = json.loads((tmp_path / "theirs.metrics.json").read_text())["alignment"]
    swapped_model_sites = len(set(model_keys) & swapped)
    assert report["n_found"] == report["n_renamed"] == len(sites)
    assert report["n_swapped"] == swapped_model_sites and report["n_missing"] == 0
    males = int((pd.read_csv(cohort / "samples.tsv", sep="\t")["sex"] == "male").sum())
    assert report["haploid_samples"] == {"X": males}
    printed = capsys.readouterr().out
    assert f"{len(sites)} of the model's {len(sites)} variants found" in printed
    assert f"{swapped_model_sites} with REF/ALT swapped and flipped" in printed


def test_too_many_missing_sites_is_an_error_unless_imputed(run, cohort, tmp_path, capsys):
    sites = list(map(tuple, model_sites(run).to_numpy()))
    lacking = tmp_path / "lacking.vcf.gz"
    rewrite_vcf(cohort / "cohort.vcf.gz", lacking, drop=set(sites[:9]))  # 15% of 60
    out = tmp_path / "predictions.tsv"
    assert predict(run, lacking, cohort / "samples.tsv", out) == 1
    line = one_error_line(capsys)
    assert f"{lacking}: 9 of the model's 60 variants are not in the VCF (15.0%" in line
    assert "more than the 10% allowed" in line and not out.exists()

    assert predict(run, lacking, cohort / "samples.tsv", out, "--max-missing-share", "0.2") == 0
    assert predict(run, lacking, cohort / "samples.tsv", out, "--missing", "impute") == 0
    report = json.loads((tmp_path / "predictions.metrics.json").read_text())["alignment"]
    assert report["n_missing"] == 9 and report["missing_share"] == 0.15
    assert "; 9 missing, imputed with the training mean" in capsys.readouterr().out


def test_duplicate_model_sites_are_refused(run, cohort, tmp_path, capsys):
    chrom, pos = model_sites(run).iloc[0]
    doubled = tmp_path / "doubled.vcf.gz"
    rewrite_vcf(cohort / "cohort.vcf.gz", doubled, repeat={(chrom, pos)})
    assert predict(run, doubled, cohort / "samples.tsv", tmp_path / "p.tsv") == 1
    line = one_error_line(capsys)
    assert f"{doubled}: the model's variant {chrom}:{pos}:" in line and "appears 2 times" in line


def test_a_failed_write_leaves_no_partial_file(run, cohort, tmp_path, capsys, monkeypatch):
    out = tmp_path / "predictions.tsv"
    out.write_text("an older file\n")

    def half_then_disk_full(self, path, *args, **kwargs):
        with open(path, "w") as handle:
            handle.write("sample_id\tprobability\tprediction\nsample_0001\t0.")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", half_then_disk_full)
    assert predict(run, cohort / "cohort.vcf.gz", cohort / "samples.tsv", out) == 1
    assert one_error_line(capsys) == f"vcfml: error: {out}: cannot write: No space left on device"
    assert out.read_text() == "an older file\n"  # untouched, not half-replaced
    assert sorted(path.name for path in tmp_path.iterdir()) == ["predictions.tsv"]


@pytest.fixture
def samples_with(cohort, tmp_path):
    def write(edit) -> str:
        table = pd.read_csv(cohort / "samples.tsv", sep="\t", dtype=str)
        edit(table)
        path = tmp_path / "edited_samples.tsv"
        table.to_csv(path, sep="\t", index=False)
        return path

    return write


def test_predict_boundaries(run, cohort, tmp_path, capsys, samples_with):
    vcf, samples = cohort / "cohort.vcf.gz", cohort / "samples.tsv"
    nowhere = tmp_path / "no" / "such" / "folder" / "p.tsv"
    assert predict(run, vcf, samples, nowhere) == 1
    assert one_error_line(capsys).endswith(
        f"{nowhere}: cannot write: the folder {nowhere.parent} does not exist"
    )

    blank = tmp_path / "blank.tsv"
    blank.write_text("  \n\n \n")
    assert predict(run, vcf, blank, tmp_path / "p.tsv") == 1
    assert one_error_line(capsys).endswith(f"{blank}: file has no header row (only blank lines)")

    def forty(table):
        table.loc[4, "age"] = "forty"

    text_age = samples_with(forty)
    assert predict(run, vcf, text_age, tmp_path / "p.tsv") == 1
    assert one_error_line(capsys).endswith(
        f"{text_age}: covariate 'age' must be a number (the model was trained on numbers), "
        "sample sample_0005 has 'forty'"
    )
    assert not (tmp_path / "p.tsv").exists()


def test_a_model_pickled_by_another_scikit_learn(run, cohort, tmp_path, capsys, monkeypatch):
    import sklearn
    import sklearn.base

    from vcfml.automl.run_files import load_run

    old = tmp_path / "old_run"
    shutil.copytree(run, old)
    model, _ = load_run(run)
    monkeypatch.setattr(sklearn.base, "__version__", "0.24.2")
    model.save(old / "model")  # the model file now says scikit-learn 0.24.2
    monkeypatch.undo()
    assert predict(old, cohort / "cohort.vcf.gz", cohort / "samples.tsv", tmp_path / "p.tsv") == 1
    line = one_error_line(capsys)
    assert f"{old / 'model' / 'model.skops'}: was saved with scikit-learn 0.24.2" in line
    assert f"but this is scikit-learn {sklearn.__version__}" in line

    (old / "run.json").write_text('{"settings": {},\n "inputs": }\n')
    assert predict(old, cohort / "cohort.vcf.gz", cohort / "samples.tsv", tmp_path / "p.tsv") == 1
    assert f"{old / 'run.json'} (line 2): not valid JSON: Expecting value" in one_error_line(capsys)

    (old / "run.json").write_text((run / "run.json").read_text())
    (old / "model" / "model.skops").write_bytes(b"not a model file at all")
    assert predict(old, cohort / "cohort.vcf.gz", cohort / "samples.tsv", tmp_path / "p.tsv") == 1
    assert "model.skops: not a skops model file (" in one_error_line(capsys)


def explain(run, out, *options) -> int:
    return main(["explain", "--run", str(run), "--out", str(out), *options])


def test_explain_boundaries(run, tmp_path, capsys):
    broken = tmp_path / "broken_run"
    shutil.copytree(run, broken)
    (broken / "importance.tsv").unlink()
    assert explain(broken, tmp_path / "plots") == 1
    assert one_error_line(capsys).endswith(
        f"{broken / 'importance.tsv'}: file not found: the run directory is incomplete; "
        "run `vcfml automl` again"
    )

    truth = tmp_path / "truth.json"
    truth.write_text('{"causal_sites": [\n  {"chrom": "chr1", "pos": 12,}\n]}\n')
    assert explain(run, tmp_path / "plots", "--truth", str(truth)) == 1
    assert f"{truth} (line 2): not valid JSON: Expecting property name" in one_error_line(capsys)
    truth.write_text('{"causal_sites": [{"chrom": "chr1", "pos": 12}]}\n')
    assert explain(run, tmp_path / "plots", "--truth", str(truth)) == 1
    assert one_error_line(capsys).endswith(f"{truth} (causal_sites): causal site 1 lacks id")

    a_file = tmp_path / "a_file"
    a_file.write_text("")
    assert explain(run, a_file / "plots") == 1
    assert one_error_line(capsys).startswith(f"vcfml: error: {a_file / 'plots'}: cannot write")


def test_an_identifier_column_is_one_warning_line(cohort, capsys, samples_with):
    from vcfml.cli_automl import _load_dataset

    def barcodes(table):
        table["barcode"] = [f"BC{i:05d}" for i in range(len(table))]

    samples = samples_with(barcodes)
    # What `vcfml automl` would train on: each barcode a column of its own, warned.
    dataset = _load_dataset(str(cohort / "cohort.vcf.gz"), str(samples), "phenotype")
    assert "barcode=BC00007" in dataset.covariates.columns
    assert capsys.readouterr().err.splitlines() == [
        f"vcfml: warning: {samples}: column 'barcode' has a different value for every sample "
        "(an identifier?) and becomes a covariate by default; name the covariates to use "
        "(CLI: --covariates)"
    ]
