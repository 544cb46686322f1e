"""PCA done right (vcfml.stats.pca and ``vcfml pca``) on the real HapMap 3 file,
against PLINK 2.

* the sites: autosomal, MAF >= 0.05, LD-pruned: the same list as ``plink2
  --autosome --maf 0.05 --indep-pairwise 50 5 0.2``;
* the components and eigenvalues: ``plink2 --pca meanimpute`` on those sites;
* the projection of new samples: ``plink2 --pca allele-wts`` then ``--score
  ... no-mean-imputation variance-standardize`` with the reference's
  frequencies;
* the components separate the five continental groups (nearest neighbours).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import reference_tool
from sklearn.model_selection import cross_val_score
from sklearn.neighbors import KNeighborsClassifier

from vcfml import read_vcf
from vcfml.cli import main
from vcfml.simulate import simulate_liability
from vcfml.stats import pca, pca_sites, project
from vcfml.stats.frequency import X_NAMES

DATA = Path(__file__).resolve().parents[1] / "data" / "hapmap3"
HAPMAP = DATA / "hapmap3.vcf.gz"


@pytest.fixture(scope="module")
def plink2() -> str:
    return reference_tool("plink2", "plink2")


@pytest.fixture(scope="module")
def hapmap():
    if not HAPMAP.exists():
        pytest.fail(f"{HAPMAP} is missing: the HapMap 3 data are part of the repository")
    return read_vcf(HAPMAP)


@pytest.fixture(scope="module")
def vcfml_pca(hapmap, tmp_path_factory):
    out = tmp_path_factory.mktemp("pca") / "pcs.tsv"
    assert main(["pca", "--vcf", str(HAPMAP), "--pcs", "10", "--out", str(out)]) == 0
    return out


def plink(plink2: str, out: Path, *options: str) -> None:
    subprocess.run(
        [plink2, "--vcf", str(HAPMAP), "--threads", "1", "--out", str(out), *options],
        check=True, capture_output=True,
    )  # fmt: skip


def test_default_sites_are_plink2s_pruned_common_autosomal_sites(hapmap, vcfml_pca, plink2):
    plink(plink2, vcfml_pca.with_name("prune"), "--autosome", "--maf", "0.05",
          "--indep-pairwise", "50", "5", "0.2")  # fmt: skip
    theirs = vcfml_pca.with_name("prune.prune.in").read_text().split()
    ours = vcfml_pca.with_suffix(".sites").read_text().split()
    assert ours == theirs
    assert len(ours) < hapmap.n_variants  # the MAF filter and the pruning removed sites


def test_vcfml_pca_equals_plink2_pca_meanimpute_on_the_same_sites(vcfml_pca, plink2, capsys):
    plink(plink2, vcfml_pca.with_name("plink"), "--extract", str(vcfml_pca.with_suffix(".sites")),
          "--pca", "10", "meanimpute")  # fmt: skip
    theirs = pd.read_csv(vcfml_pca.with_name("plink.eigenvec"), sep="\t")
    ours = pd.read_csv(vcfml_pca, sep="\t")
    assert ours["sample_id"].tolist() == theirs["#IID"].tolist()
    eigenvalues = np.loadtxt(vcfml_pca.with_suffix(".eigenval"))
    plink_values = np.loadtxt(vcfml_pca.with_name("plink.eigenval"))
    # PLINK prints 6 significant digits: at most 5e-6 relative
    assert np.all(np.abs(eigenvalues / plink_values - 1) <= 5e-6)
    for k in range(1, 11):
        a, b = ours[f"PC{k}"].to_numpy(), theirs[f"PC{k}"].to_numpy()
        sign = np.sign(a @ b)
        assert np.abs(sign * a - b).max() <= 1e-6, f"PC{k}"


def test_eigenvalues_are_written_and_printed_at_full_precision(hapmap, tmp_path, capsys):
    out = tmp_path / "pcs.tsv"
    assert main(["pca", "--vcf", str(HAPMAP), "--pcs", "3", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    written = [float(line) for line in out.with_suffix(".eigenval").read_text().split()]
    sites = read_sites(hapmap, out.with_suffix(".sites"))
    expected = pca(hapmap.genotypes[:, sites], 3).eigenvalues
    assert written == list(expected)  # the file round-trips the floats exactly
    assert ", ".join(repr(float(value)) for value in expected) in printed


def read_sites(genotypes, path: Path) -> np.ndarray:
    return np.isin(genotypes.variants["id"].to_numpy(), path.read_text().split())


def test_projection_equals_plink2_score_with_the_allele_weights(hapmap, plink2, tmp_path):
    """800 reference samples define the PCs; the other 157 are projected. PLINK's
    score sum of a sample is ``-M sqrt(lambda)`` times vcfml's projection (M sites),
    up to each component's sign."""
    sites = pca_sites(hapmap.genotypes, hapmap.variants["chrom"])
    reference, new = hapmap.samples[:800], hapmap.samples[800:]
    result = pca(hapmap.genotypes[:800][:, sites], 10)
    ours = project(result, hapmap.genotypes[800:][:, sites])
    # a reference sample lands on its own component values
    np.testing.assert_allclose(
        project(result, hapmap.genotypes[:800][:, sites]), result.components, atol=1e-10
    )
    (tmp_path / "ref.txt").write_text("\n".join(reference) + "\n")
    (tmp_path / "new.txt").write_text("\n".join(new) + "\n")
    (tmp_path / "sites.txt").write_text("\n".join(hapmap.variants["id"][sites]) + "\n")
    extract = ["--extract", str(tmp_path / "sites.txt")]
    plink(plink2, tmp_path / "ref", "--keep", str(tmp_path / "ref.txt"), *extract,
          "--freq", "--pca", "10", "meanimpute", "allele-wts")  # fmt: skip
    plink(plink2, tmp_path / "proj", "--keep", str(tmp_path / "new.txt"), *extract,
          "--read-freq", str(tmp_path / "ref.afreq"),
          "--score", str(tmp_path / "ref.eigenvec.allele"), "2", "5", "header-read",
          "no-mean-imputation", "variance-standardize", "cols=+scoresums",
          "--score-col-nums", "6-15")  # fmt: skip
    scores = pd.read_csv(tmp_path / "proj.sscore", sep="\t")
    assert scores["#IID"].tolist() == new
    eigenvectors = pd.read_csv(tmp_path / "ref.eigenvec", sep="\t")
    for k in range(1, 11):
        sign = np.sign(result.components[:, k - 1] @ eigenvectors[f"PC{k}"].to_numpy())
        theirs = -scores[f"PC{k}_SUM"].to_numpy() / (
            result.n_sites * np.sqrt(result.eigenvalues[k - 1])
        )
        worst = np.abs(sign * ours[:, k - 1] - theirs).max() / np.abs(theirs).max()
        assert worst < 1e-5, f"PC{k}: {worst:.3g}"  # weights printed to 6 digits


def test_vcfml_pca_project_places_the_reference_on_its_own_components(vcfml_pca, tmp_path):
    out = tmp_path / "pcs.tsv"
    assert main(["pca", "--vcf", str(HAPMAP), "--pcs", "4", "--out", str(out),
                 "--project", str(HAPMAP)]) == 0  # fmt: skip
    ours = pd.read_csv(out, sep="\t")
    projected = pd.read_csv(out.with_suffix(".projected.tsv"), sep="\t")
    assert projected["sample_id"].tolist() == ours["sample_id"].tolist()
    np.testing.assert_allclose(projected.iloc[:, 1:], ours.iloc[:, 1:], atol=2e-6)


def test_pca_separates_the_five_continental_groups(vcfml_pca):
    table = pd.read_csv(DATA / "samples.tsv", sep="\t").set_index("sample_id")
    pcs = pd.read_csv(vcfml_pca, sep="\t").set_index("sample_id")
    groups = table.loc[pcs.index, "continental_group"]
    assert groups.nunique() == 5
    features = pcs[["PC1", "PC2", "PC3", "PC4"]].to_numpy()
    knn = KNeighborsClassifier(n_neighbors=5)
    score = cross_val_score(knn, features, groups, cv=5).mean()
    assert score >= 0.95
    shuffled = np.random.default_rng(0).permutation(groups.to_numpy())
    assert cross_val_score(knn, features, shuffled, cv=5).mean() < 0.5  # the score means something


def test_default_sites_leave_out_chrx_and_rare_variants(tmp_path):
    folder = simulate_liability(n_samples=200, n_sites=1500, seed=4).write(tmp_path)
    genotypes = read_vcf(Path(folder) / "cohort.vcf.gz")
    chrom = genotypes.variants["chrom"].to_numpy()
    sites = pca_sites(genotypes.genotypes, chrom)
    on_x = np.isin(chrom, list(X_NAMES))
    assert on_x.any() and not (sites & on_x).any()
    p = genotypes.variants["af"].to_numpy()
    assert (np.minimum(p, 1 - p)[sites] >= 0.05).all()
    everything = pca_sites(genotypes.genotypes, chrom, min_maf=0, prune=None)
    assert (everything == ~on_x).all()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--min-maf", "0.7"], "--min-maf: must be between 0 and 0.5"),
        (["--pcs", "0"], "the number of PCs must be at least 1"),
        (["--indep-pairwise", "50", "60", "0.2"], "1 <= STEP <= WINDOW"),
    ],
)
def test_vcfml_pca_bad_options_are_one_line_errors(tmp_path, capsys, options, message):
    code = main(["pca", "--vcf", str(HAPMAP), "--out", str(tmp_path / "p.tsv"), *options])
    assert code == 1
    error = capsys.readouterr().err
    assert message in error and "Traceback" not in error


def test_projecting_a_file_without_the_sites_is_refused(tmp_path, capsys):
    cohort = simulate_liability(n_samples=50, n_sites=200, seed=1).write(tmp_path / "other")
    code = main(["pca", "--vcf", str(HAPMAP), "--pcs", "2", "--out", str(tmp_path / "p.tsv"),
                 "--project", str(Path(cohort) / "cohort.vcf.gz")])  # fmt: skip
    assert code == 1
    assert "none of the sites of the components is in this file" in capsys.readouterr().err
