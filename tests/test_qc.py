"""Quality control (vcfml.stats qc/hardy/king/prune and ``vcfml qc``) against PLINK 2.

Two data sets go through ``plink2 --missing --het --hardy --make-king-table
--indep-pairwise`` and through vcfml, and every number is compared (within
1e-6, PLINK's 6 printed digits; lists identical):

* the real HapMap 3 file of ``data/hapmap3`` (957 people, 14,079 SNPs);
* a simulated cohort with chrX (haploid men outside the PARs), into which a
  duplicate of one sample and a child of two others are planted.
"""

from __future__ import annotations

import gzip
import subprocess
from math import comb
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import reference_tool

from vcfml import read_vcf
from vcfml.cli import main
from vcfml.simulate import simulate_liability
from vcfml.stats import (
    autosomal,
    hardy,
    heterozygosity,
    hwe_exact,
    indep_pairwise,
    king_table,
    related_pairs,
    sample_missingness,
    sex_check,
    site_missingness,
)
from vcfml.stats.frequency import haploid_in_males

HAPMAP = Path(__file__).resolve().parents[1] / "data" / "hapmap3" / "hapmap3.vcf.gz"
PRINTED = 1e-6  # PLINK prints 6 significant digits: values below 1 agree to 5e-7
HAPMAP_PRUNE = ("1000", "10", "0.02")  # flashpca's own thinning of these data
COHORT_PRUNE = ("50", "5", "0.01")


@pytest.fixture(scope="module")
def plink2() -> str:
    return reference_tool("plink2", "plink2")


def run_plink(plink2: str, vcf: Path, out: Path, prune: tuple[str, str, str]) -> Path:
    common = [plink2, "--vcf", str(vcf), "--threads", "1", "--allow-extra-chr"]
    subprocess.run(
        [*common, "--missing", "--out", str(out)], check=True, capture_output=True
    )  # chrX included
    subprocess.run(
        [*common, "--autosome", "--het", "--hardy", "--make-king-table",
         "--indep-pairwise", *prune, "--out", str(out)],
        check=True, capture_output=True,
    )  # fmt: skip
    return out


@pytest.fixture(scope="module")
def hapmap(plink2, tmp_path_factory):
    if not HAPMAP.exists():
        pytest.fail(f"{HAPMAP} is missing: the HapMap 3 data are part of the repository")
    out = run_plink(plink2, HAPMAP, tmp_path_factory.mktemp("hapmap") / "plink", HAPMAP_PRUNE)
    return read_vcf(HAPMAP), out, HAPMAP_PRUNE


def plant_relatives(source: Path, target: Path, rng: np.random.Generator) -> dict[str, str]:
    """Copy ``source`` adding ``dup`` (a copy of the 4th sample) and ``child``
    (one allele from each of the 10th and 20th samples on autosomes; chrX the
    mother's calls). Returns the names of the planted samples' sources."""
    with gzip.open(source, "rt") as handle:
        lines = handle.read().splitlines()
    out = []
    for line in lines:
        if line.startswith("##"):
            out.append(line)
            continue
        fields = line.split("\t")
        if line.startswith("#"):
            names = fields[9:]
            out.append("\t".join([*fields, "dup", "child"]))
            continue
        calls = fields[9:]
        dup = calls[3]
        father, mother = (calls[k].split(":")[0] for k in (9, 19))  # GT of GT:DP
        if fields[0] in ("chrX", "X"):
            child = mother
        else:
            alleles = [rng.choice(father.replace("|", "/").split("/")),
                       rng.choice(mother.replace("|", "/").split("/"))]  # fmt: skip
            child = "./." if "." in alleles else "/".join(alleles)
        out.append("\t".join([*fields, dup, child]))
    target.write_text("\n".join(out) + "\n")
    return {"dup": names[3], "father": names[9], "mother": names[19]}


@pytest.fixture(scope="module")
def cohort(plink2, tmp_path_factory):
    folder = tmp_path_factory.mktemp("planted")
    simulate_liability(n_samples=250, n_sites=1500, missing_rate=0.01, seed=23).write(folder)
    planted = plant_relatives(
        folder / "cohort.vcf.gz", folder / "planted.vcf", np.random.default_rng(1)
    )
    out = run_plink(plink2, folder / "planted.vcf", folder / "plink", COHORT_PRUNE)
    return read_vcf(folder / "planted.vcf"), out, COHORT_PRUNE, planted, folder


@pytest.fixture(params=["hapmap", "cohort"])
def dataset(request):
    return request.getfixturevalue(request.param)[:3]


def read_plink(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t")


def assert_close(ours, theirs, what: str) -> None:
    ours, theirs = np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float)
    worst = np.max(np.abs(ours - theirs) / np.maximum(1.0, np.abs(theirs)))
    assert worst <= PRINTED, f"{what}: largest difference {worst:.3g}"


def test_missingness_equals_plink2(dataset):
    genotypes, out, _ = dataset
    smiss, vmiss = read_plink(out.with_suffix(".smiss")), read_plink(out.with_suffix(".vmiss"))
    samples = sample_missingness(genotypes.genotypes)
    assert list(smiss["#IID"]) == genotypes.samples
    assert (samples["missing"].to_numpy() == smiss["MISSING_CT"].to_numpy()).all()
    assert (samples["observed"].to_numpy() == smiss["OBS_CT"].to_numpy()).all()
    assert_close(samples["f_miss"], smiss["F_MISS"], "F_MISS")
    sites = site_missingness(genotypes.genotypes)
    assert (sites["missing"].to_numpy() == vmiss["MISSING_CT"].to_numpy()).all()
    assert_close(sites["f_miss"], vmiss["F_MISS"], "site F_MISS")
    assert sites["missing"].sum() > 0  # the comparison covers missing calls


def test_heterozygosity_equals_plink2(dataset):
    genotypes, out, _ = dataset
    plink = read_plink(out.with_suffix(".het"))
    ours = heterozygosity(genotypes.genotypes[:, autosomal(genotypes.variants["chrom"])])
    assert (ours["o_hom"].to_numpy() == plink["O(HOM)"].to_numpy()).all()
    assert (ours["observed"].to_numpy() == plink["OBS_CT"].to_numpy()).all()
    assert_close(ours["e_hom"] / plink["E(HOM)"], 1.0, "E(HOM) relative")
    assert_close(ours["f"], plink["F"], "F")


def test_hardy_weinberg_exact_test_equals_plink2(dataset):
    genotypes, out, _ = dataset
    plink = read_plink(out.with_suffix(".hardy"))
    ours = hardy(genotypes.genotypes[:, autosomal(genotypes.variants["chrom"])])
    assert len(ours) == len(plink)
    # PLINK's A1 here is REF: HOM_A1_CT counts REF homozygotes.
    assert (ours["hom_ref"].to_numpy() == plink["HOM_A1_CT"].to_numpy()).all()
    assert (ours["het"].to_numpy() == plink["HET_A1_CT"].to_numpy()).all()
    assert_close(ours["o_het"], plink["O(HET_A1)"], "O(HET)")
    assert_close(ours["e_het"], plink["E(HET_A1)"], "E(HET)")
    assert_close(ours["p_hwe"], plink["P"], "P")
    # small p-values too, relative to PLINK's 6 significant digits (at most 5e-6)
    small = plink["P"].to_numpy() < 1e-3
    relative = np.abs(ours["p_hwe"][small] / plink["P"][small] - 1)
    assert (relative <= 5e-6).all()


def test_hardy_weinberg_midp_equals_plink2(hapmap, plink2, tmp_path):
    genotypes = hapmap[0]
    subprocess.run(
        [plink2, "--vcf", str(HAPMAP), "--threads", "1", "--hardy", "midp",
         "--out", str(tmp_path / "midp")],
        check=True, capture_output=True,
    )  # fmt: skip
    plink = read_plink(tmp_path / "midp.hardy")
    ours = hardy(genotypes.genotypes, midp=True)
    assert_close(ours["p_hwe"], plink["MIDP"], "mid-p")
    assert (ours["p_hwe"] < hardy(genotypes.genotypes)["p_hwe"]).all()  # mid-p is smaller


def brute_force_hwe(het: int, hom1: int, hom2: int, midp: bool = False) -> float:
    """Wigginton et al.'s definition, enumerated: the probability of each
    heterozygote count given the allele counts, summed over those no likelier."""
    n = het + hom1 + hom2
    rare = 2 * min(hom1, hom2) + het
    probabilities = {}
    for h in range(rare % 2, rare + 1, 2):
        r = (rare - h) // 2
        c = n - h - r
        if c < 0:
            continue
        probabilities[h] = comb(n, h) * comb(n - h, r) * 2**h / comb(2 * n, rare)
    observed = probabilities[het]
    p = sum(value for value in probabilities.values() if value <= observed * (1 + 1e-12))
    if midp:
        p -= observed / 2
    return min(p, 1.0)


@pytest.mark.parametrize("midp", [False, True])
def test_hwe_exact_is_wigginton_enumerated(midp):
    rng = np.random.default_rng(0)
    counts = [(0, 10, 0), (57, 14, 29), (1, 1, 98), (50, 25, 25), (0, 50, 50), (3, 0, 0)]
    counts += [tuple(rng.multinomial(60, [0.3, 0.4, 0.3])) for _ in range(20)]
    het, hom1, hom2 = map(np.array, zip(*counts, strict=True))
    ours = hwe_exact(het, hom1, hom2, midp=midp)
    expected = [brute_force_hwe(*row, midp=midp) for row in counts]
    np.testing.assert_allclose(ours, expected, rtol=1e-9, atol=1e-15)
    assert ours[4] < 1e-20  # no heterozygote among 100 with MAF 0.5: far from HWE
    assert ours[3] > 0.5  # 25/50/25 (hom, het, hom) is p² : 2pq : q² exactly


def test_king_kinship_equals_plink2(dataset):
    genotypes, out, _ = dataset
    plink = read_plink(out.with_suffix(".kin0"))
    on_autosome = autosomal(genotypes.variants["chrom"])
    ours = king_table(genotypes.genotypes[:, on_autosome], genotypes.samples)
    assert list(ours["id1"]) == list(plink["#IID1"])
    assert list(ours["id2"]) == list(plink["IID2"])
    assert_close(ours["kinship"], plink["KINSHIP"], "KINSHIP")
    # NSNP: sites where both have a call. PLINK 2.00a3.5 counts one more in a
    # few pairs of HapMap 3 (36 of 457,446; checked by hand: 14,079 sites minus
    # 9 + 14 missing calls is 14,056, PLINK says 14,057); HETHET and IBS0 are
    # fractions of its NSNP, so those pairs are compared as counts.
    differs = ours["nsnp"].to_numpy() != plink["NSNP"].to_numpy()
    assert differs.mean() < 1e-3
    assert (plink["NSNP"].to_numpy()[differs] - ours["nsnp"].to_numpy()[differs] == 1).all()
    for column in ("hethet", "ibs0"):  # the same counts
        theirs = np.round(plink[column.upper()] * plink["NSNP"]).to_numpy()
        assert (np.round(ours[column] * ours["nsnp"]).to_numpy() == theirs).all(), column
    matrix = genotypes.genotypes[:, on_autosome]
    first = int(np.flatnonzero(differs)[0]) if differs.any() else 0
    a = genotypes.samples.index(ours["id1"].iloc[first])
    b = genotypes.samples.index(ours["id2"].iloc[first])
    assert ours["nsnp"].iloc[first] == ((matrix[a] >= 0) & (matrix[b] >= 0)).sum()


def test_ld_pruning_keeps_plink2s_list(dataset):
    genotypes, out, prune = dataset
    on_autosome = autosomal(genotypes.variants["chrom"])
    keep = indep_pairwise(
        genotypes.genotypes[:, on_autosome],
        genotypes.variants["chrom"].to_numpy()[on_autosome],
        int(prune[0]), int(prune[1]), float(prune[2]),
    )  # fmt: skip
    ids = genotypes.variants["id"].to_numpy()[on_autosome]
    plink = out.with_suffix(".prune.in").read_text().split()
    assert list(ids[keep]) == plink
    assert 0 < keep.sum() < len(keep)  # something was pruned, something kept


def test_planted_duplicate_and_child_are_found(cohort):
    genotypes, _, _, planted, _ = cohort
    on_autosome = autosomal(genotypes.variants["chrom"])
    pairs = related_pairs(king_table(genotypes.genotypes[:, on_autosome], genotypes.samples))
    relation = {frozenset((a, b)): r for a, b, r in pairs[["id1", "id2", "relation"]].to_numpy()}
    assert relation[frozenset(("dup", planted["dup"]))] == "duplicate or MZ twin"
    assert relation[frozenset(("child", planted["father"]))] == "first degree"
    assert relation[frozenset(("child", planted["mother"]))] == "first degree"
    first_degree_or_closer = pairs[pairs["kinship"] > 0.177]
    assert len(first_degree_or_closer) == 3  # nothing else in a cohort of unrelated people


def test_sex_check_from_chrx(cohort, plink2, tmp_path):
    """F on chrX outside the PARs: every man above 0.8, no woman above 0.2
    with the cohort's 0.2/0.8 rule; the F values equal ``plink2 --het`` on the
    same calls written diploid (a man's ``1`` as ``1/1``) on an autosome."""
    genotypes, _, _, _, folder = cohort
    table = pd.read_csv(folder / "samples.tsv", sep="\t").set_index("sample_id")
    names = genotypes.samples[:-2]  # the planted samples have no row
    male = (table.loc[names, "sex"] == "male").to_numpy()
    x_sites = haploid_in_males(genotypes.variants["chrom"], genotypes.variants["pos"])
    assert x_sites.sum() > 50
    calls = genotypes.genotypes[:-2][:, x_sites]
    ploidy = np.where(male[:, None], 1, 2)
    result = sex_check(calls, ploidy, male)
    assert (result["snp_sex"][male] == "male").all()
    assert not (result["snp_sex"][~male] == "male").any()
    assert (result["status"][~male].isin(["OK", "PROBLEM"])).all()
    swapped = male.copy()
    swapped[0] = not swapped[0]
    assert sex_check(calls, ploidy, swapped)["status"].iloc[0] == "PROBLEM"
    # PLINK 2 has no --check-sex; its --het on the calls written diploid gives F.
    diploid = np.where((ploidy == 1) & (calls >= 0), calls * 2, calls)
    lines = [
        "\t".join(["1", str(k + 1), f"x{k}", "A", "G", ".", "PASS", ".", "GT",
                   *[{-1: "./.", 0: "0/0", 1: "0/1", 2: "1/1"}[int(v)] for v in diploid[:, k]]])
        for k in range(diploid.shape[1])
    ]  # fmt: skip
    header = "\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT"])
    vcf = tmp_path / "x.vcf"
    vcf.write_text(
        "##fileformat=VCFv4.2\n##contig=<ID=1>\n"
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
        + "\t".join([header, *names]) + "\n" + "\n".join(lines) + "\n"
    )  # fmt: skip
    subprocess.run(
        [plink2, "--vcf", str(vcf), "--het", "--threads", "1", "--out", str(tmp_path / "x")],
        check=True, capture_output=True,
    )  # fmt: skip
    plink = read_plink(tmp_path / "x.het")
    assert_close(result["f"], plink["F"], "chrX F")


def test_indep_pairwise_rejects_bad_windows_and_unsorted_sites():
    genotypes = np.zeros((4, 6), dtype=np.int8)
    chrom = np.array(["1", "1", "2", "2", "1", "1"])
    with pytest.raises(ValueError, match="step"):
        indep_pairwise(genotypes, chrom[:4], window=5, step=6)
    with pytest.raises(ValueError, match="r² threshold"):
        indep_pairwise(genotypes, chrom[:4], window=5, step=1, r2=1.5)
    with pytest.raises(ValueError, match="not next to each other"):
        indep_pairwise(genotypes, chrom, window=5, step=1)


def test_vcfml_qc_writes_the_report_and_says_what_it_removed(cohort, tmp_path, capsys):
    genotypes, _, _, planted, folder = cohort
    table = pd.read_csv(folder / "samples.tsv", sep="\t")
    extra = pd.DataFrame({"sample_id": ["dup", "child"], "sex": ["male", "female"]})
    table = pd.concat([table, extra])
    dup_sex = table.set_index("sample_id").loc[planted["dup"], "sex"]
    table.loc[table["sample_id"] == "dup", "sex"] = dup_sex
    table.to_csv(tmp_path / "samples.tsv", sep="\t", index=False)
    out = tmp_path / "qc"
    code = main(["qc", "--vcf", str(folder / "planted.vcf"), "--samples",
                 str(tmp_path / "samples.tsv"), "--out", str(out), "--geno", "0.05",
                 "--indep-pairwise", *COHORT_PRUNE, "--write-vcf"])  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    samples = pd.read_csv(out / "samples.tsv", sep="\t", keep_default_na=False)
    removed = samples[samples["removed"] != ""]
    # one of the duplicate pair, and the child or a parent (the one in most pairs: the child)
    assert "child" in set(removed["sample_id"])
    assert len({"dup", planted["dup"]} & set(removed["sample_id"])) == 1
    assert "related: KING kinship > 0.177" in printed
    keep = (out / "keep_samples.txt").read_text().split()
    assert len(keep) == len(samples) - len(removed)
    sites = pd.read_csv(out / "sites.tsv", sep="\t", keep_default_na=False)
    assert len(sites) == genotypes.n_variants
    assert sites["prune_in"].sum() == len((out / "prune.in").read_text().split())
    filtered = read_vcf(out / "filtered.vcf.gz")
    assert filtered.samples == keep
    assert filtered.n_variants == (sites["removed"] == "").sum()
    assert "sex_status" in samples.columns


def test_vcfml_qc_on_hapmap_equals_plink2(hapmap, tmp_path, capsys):
    """The ``vcfml qc`` report itself, with filters that remove nothing, against
    plink2's files (the report prints 6 significant digits, as PLINK does)."""
    _, plink, prune = hapmap
    out = tmp_path / "qc"
    assert main(["qc", "--vcf", str(HAPMAP), "--out", str(out), "--mind", "1", "--geno", "1",
                 "--maf", "0", "--hwe", "0", "--king-cutoff", "0.5",
                 "--indep-pairwise", *prune]) == 0  # fmt: skip
    assert "samples: kept 957 of 957" in capsys.readouterr().out
    samples = pd.read_csv(out / "samples.tsv", sep="\t", keep_default_na=False)
    smiss, het = read_plink(plink.with_suffix(".smiss")), read_plink(plink.with_suffix(".het"))
    assert_close(samples["f_miss"], smiss["F_MISS"], "F_MISS")
    assert_close(samples["f"], het["F"], "F")
    sites = pd.read_csv(out / "sites.tsv", sep="\t", keep_default_na=False)
    vmiss, hwe = read_plink(plink.with_suffix(".vmiss")), read_plink(plink.with_suffix(".hardy"))
    assert_close(sites["f_miss"], vmiss["F_MISS"], "site F_MISS")
    assert_close(sites["p_hwe"], hwe["P"], "P")
    assert (out / "prune.in").read_text().split() == (
        plink.with_suffix(".prune.in").read_text().split()
    )
    related = pd.read_csv(out / "related.tsv", sep="\t")
    kin0 = read_plink(plink.with_suffix(".kin0")).set_index(["#IID1", "IID2"])
    theirs = kin0.loc[list(zip(related["id1"], related["id2"], strict=True)), "KINSHIP"]
    assert len(related) > 0
    assert_close(related["kinship"], theirs, "KINSHIP")
    assert (kin0["KINSHIP"] > 0.0442).sum() == len(related)


def test_vcfml_qc_writes_its_folder_whole(cohort, tmp_path, capsys, monkeypatch):
    """A failure half way (here a Ctrl-C while the filtered VCF is written, after
    the tables) leaves no report folder and no temporary; an existing report is
    refused before any work, or with --overwrite replaced whole (no stale file)."""
    import vcfml.cli_qc

    folder = cohort[4]
    out = tmp_path / "qc"
    arguments = ["qc", "--vcf", str(folder / "planted.vcf"), "--out", str(out),
                 "--indep-pairwise", *COHORT_PRUNE, "--write-vcf"]  # fmt: skip
    written = []

    def interrupted(source, target, *rest):
        written.extend(sorted(path.name for path in target.parent.iterdir()))
        target.write_bytes(b"half a VCF")
        raise KeyboardInterrupt

    monkeypatch.setattr(vcfml.cli_qc, "write_filtered_vcf", interrupted)
    assert main(arguments) == 130
    assert "samples.tsv" in written  # the failure came after the tables were written
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    assert main(arguments) == 0
    (out / "stale.txt").write_text("of an older report")
    files = sorted(path.name for path in out.iterdir())
    capsys.readouterr()
    assert main(arguments) == 1
    assert "already exists" in capsys.readouterr().err
    assert sorted(path.name for path in out.iterdir()) == files
    assert main([*arguments, "--overwrite"]) == 0
    assert sorted(path.name for path in out.iterdir()) == [
        name for name in files if name != "stale.txt"
    ]
    assert [path.name for path in tmp_path.iterdir()] == ["qc"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--indep-pairwise", "50", "x", "0.2"], "expected WINDOW STEP R2"),
        (["--indep-pairwise", "5", "10", "0.2"], "1 <= STEP <= WINDOW"),
        (["--mind", "2"], "--mind must be between 0 and 1"),
    ],
)
def test_vcfml_qc_bad_options_are_one_line_errors(cohort, tmp_path, capsys, options, message):
    folder = cohort[4]
    code = main(["qc", "--vcf", str(folder / "planted.vcf"), "--out", str(tmp_path), *options])
    assert code == 1
    assert message in capsys.readouterr().err


def test_vcfml_qc_samples_table_without_sex_is_refused(cohort, tmp_path, capsys):
    folder = cohort[4]
    table = tmp_path / "nosex.tsv"
    names = read_vcf(folder / "planted.vcf").samples
    table.write_text("sample_id\tage\n" + "".join(f"{n}\t40\n" for n in names))
    code = main(["qc", "--vcf", str(folder / "planted.vcf"), "--samples", str(table),
                 "--out", str(tmp_path / "qc")])  # fmt: skip
    assert code == 1
    assert "no 'sex' column" in capsys.readouterr().err


def test_related_pairs_labels_each_degree():
    table = pd.DataFrame(
        {"id1": list("abcde"), "id2": list("vwxyz"), "kinship": [0.49, 0.25, 0.12, 0.06, 0.01]}
    )
    pairs = related_pairs(table, cutoff=0.0442)
    assert list(pairs["relation"]) == [
        "duplicate or MZ twin", "first degree", "second degree", "third degree",
    ]  # fmt: skip
