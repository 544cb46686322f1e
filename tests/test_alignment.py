"""Aligning another VCF's variants to a model's: contig aliases, REF/ALT swaps
(diploid and haploid), strand-ambiguous swaps, duplicates and missing sites."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from vcfml.automl.alignment import align_variants, canonical_contig
from vcfml.errors import VcfmlInputError
from vcfml.features import Dataset

VCF = Path("/data/their.vcf.gz")
GRCH38_CHRX = 156_040_895


def variants(*sites: str) -> pd.DataFrame:
    """A variants table from 'chrom:pos:ref:alt' strings."""
    rows = [site.split(":") for site in sites]
    table = pd.DataFrame(rows, columns=["chrom", "pos", "ref", "alt"])
    table["pos"] = table["pos"].astype(int)
    table.insert(2, "id", [f"v{i}" for i in range(len(rows))])
    return table


def dataset(sites: list[str], genotypes, contigs=None) -> Dataset:
    genotypes = np.asarray(genotypes, dtype=np.int8)
    samples = [f"s{i}" for i in range(genotypes.shape[0])]
    return Dataset(
        genotypes=genotypes,
        variants=variants(*sites),
        covariates=pd.DataFrame(index=samples),
        target=np.array([], dtype=np.int8),
        target_labels=("0", "1"),
        samples=samples,
        source=VCF,
        contigs=contigs or {},
    )


@pytest.mark.parametrize(
    ("names", "canonical"),
    [
        (["chr1", "1", "CHR1", "Chr1"], "1"),
        (["chrX", "X", "23", "chr23", "x"], "X"),
        (["chrY", "Y", "24"], "Y"),
        (["chrM", "chrMT", "MT", "M", "26"], "MT"),
        (["chr22_KI270731v1_random"], "22_KI270731V1_RANDOM"),
    ],
)
def test_contig_aliases(names, canonical):
    assert {canonical_contig(name) for name in names} == {canonical}


def test_renamed_and_swapped_diploid_sites_are_flipped():
    model = variants("chr1:100:A:G", "chr2:200:C:T", "chrX:300:G:A")
    calls = [[0, 2, 1], [1, 1, 0], [2, 0, 2], [-1, 1, 2]]  # file columns: 2:200, 1:100, X:300
    data = dataset(["1:100:G:A", "2:200:C:T", "X:300:G:A"][::-1], np.array(calls)[:, ::-1])
    aligned, report = align_variants(model, data)
    # chr1:100 is swapped: 2 - dosage; chr2 and chrX are as in the model.
    expected = np.array([[0, 2, 1], [1, 1, 0], [2, 0, 2], [-1, 1, 2]])
    expected[:, 0] = [2, 1, 0, -1]
    np.testing.assert_array_equal(aligned, expected)
    assert (report.n_found, report.n_renamed, report.n_swapped, report.n_missing) == (3, 3, 1, 0)
    assert report.n_strand_ambiguous == 0 and report.haploid_samples == {}


def test_haploid_calls_on_chrx_flip_to_one_minus_the_dosage():
    # Samples 0-1 are male (haploid on chrX: never a 2), 2-3 female. The swapped
    # site is chrX:500 C/T, which the file writes as T/C.
    file_sites = ["chrX:100:A:G", "chrX:200:A:G", "chrX:500:T:C", "chr1:50:A:G"]
    genotypes = np.array(
        [
            [1, 0, 1, 2],
            [0, 1, 0, 1],
            [2, 1, 1, 0],
            [0, 2, 2, 2],
        ]
    )
    model = variants("chrX:500:C:T", "chr1:50:G:A")
    aligned, report = align_variants(model, dataset(file_sites, genotypes))
    np.testing.assert_array_equal(aligned[:, 0], [0, 1, 1, 0])  # 1-d, 1-d, 2-d, 2-d
    np.testing.assert_array_equal(aligned[:, 1], [0, 1, 2, 0])  # autosome: 2-d
    assert report.haploid_samples == {"X": 2} and report.n_swapped == 2


def test_explicit_ploidy_wins_over_the_inference():
    model = variants("chrX:500:C:T")
    ploidy = np.array([[2], [1]])
    aligned, _ = align_variants(model, dataset(["chrX:500:T:C"], [[1], [1]]), ploidy=ploidy)
    np.testing.assert_array_equal(aligned[:, 0], [1, 0])


@pytest.mark.parametrize(("male_has_two_in_par", "male_flip"), [(True, 1), (False, 0)])
def test_pseudoautosomal_region_is_diploid_when_the_file_says_so(male_has_two_in_par, male_flip):
    # GRCh38 PAR1 is chrX:10,001-2,781,479. A male (sample 0, haploid outside
    # the PAR) with a 2 inside it shows that the caller wrote PAR calls as diploid.
    file_sites = ["chrX:20000:A:G", "chrX:30000:T:C", "chrX:5000000:A:G"]
    genotypes = [[2 if male_has_two_in_par else 1, 1, 1], [1, 1, 2]]
    data = dataset(file_sites, genotypes, contigs={"chrX": GRCH38_CHRX})
    aligned, _ = align_variants(variants("chrX:30000:C:T"), data)
    assert aligned[0, 0] == male_flip  # diploid: 2 - 1; haploid like the rest of chrX: 1 - 1
    assert aligned[1, 0] == 1


def test_strand_ambiguous_swaps_are_reported():
    model = variants("chr1:10:A:T", "chr1:20:C:G", "chr1:30:A:G", "chr1:40:A:T")
    file_sites = ["chr1:10:T:A", "chr1:20:G:C", "chr1:30:G:A", "chr1:40:A:T"]
    aligned, report = align_variants(model, dataset(file_sites, [[0, 1, 2, 1], [2, 2, 0, 0]]))
    np.testing.assert_array_equal(aligned, [[2, 1, 0, 1], [0, 0, 2, 0]])
    assert report.n_swapped == 3 and report.n_strand_ambiguous == 2
    assert report.strand_ambiguous == ["chr1:10:A:T", "chr1:20:C:G"]
    assert "check the strand-ambiguous: chr1:10:A:T, chr1:20:C:G" in report.summary()


@pytest.mark.parametrize(
    "file_sites",
    [
        ["chr1:10:A:G", "chr1:10:A:G", "chr1:20:C:T"],  # the same record twice
        ["1:10:A:G", "chr1:10:G:A", "chr1:20:C:T"],  # as is and swapped
    ],
)
def test_duplicate_model_sites_are_refused(file_sites):
    model = variants("chr1:10:A:G")
    with pytest.raises(VcfmlInputError, match=r"variant chr1:10:A:G appears 2 times") as error:
        align_variants(model, dataset(file_sites, [[0, 1, 2]]))
    assert str(error.value).startswith(f"{VCF}: ")


def test_duplicates_the_model_does_not_use_are_ignored():
    model = variants("chr1:20:C:T")
    aligned, _ = align_variants(model, dataset(["chr1:10:A:G"] * 2 + ["chr1:20:C:T"], [[0, 1, 2]]))
    assert aligned.tolist() == [[2]]


def test_a_swap_on_a_multiallelic_record_cannot_be_flipped():
    # The file's record is G -> A,T: copies of G are not 2 - copies of A.
    model = variants("chr1:10:A:G", "chr1:20:C:T")
    data = dataset(["chr1:10:G:A", "chr1:10:G:T", "chr1:20:C:T"], [[1, 1, 0]])
    aligned, report = align_variants(model, data, missing="impute")
    assert aligned.tolist() == [[-1, 0]] and report.missing == ["chr1:10:A:G"]


def test_missing_share_is_an_error_beyond_the_limit_and_counted_below_it():
    model = variants(*[f"chr1:{pos}:A:G" for pos in range(1, 11)])
    present = [f"chr1:{pos}:A:G" for pos in range(1, 9)]  # 2 of 10 absent
    data = dataset(present, [[1] * 8])
    with pytest.raises(VcfmlInputError, match=r"2 of the model's 10 variants are not in the VCF"):
        align_variants(model, data)  # 20% > the default 10%
    aligned, report = align_variants(model, data, max_missing_share=0.2)
    assert report.n_missing == 2 and report.missing == ["chr1:9:A:G", "chr1:10:A:G"]
    assert report.missing_share == pytest.approx(0.2)
    assert aligned[0].tolist() == [1] * 8 + [-1, -1]
    _, report = align_variants(model, dataset(["chr2:1:A:G"], [[1]]), missing="impute")
    assert report.n_missing == 10 and report.to_dict()["missing_share"] == 1.0


def test_allele_case_does_not_matter():
    aligned, report = align_variants(variants("chr1:10:A:G"), dataset(["chr1:10:g:a"], [[0]]))
    assert aligned.tolist() == [[2]] and report.n_swapped == 1


@pytest.mark.parametrize(
    ("genotypes", "expected"),
    [
        # Haploid calls (0 or 1): the all-0 sample is haploid like the others.
        ([[1, 1], [0, 0], [1, 0]], [0, 1, 1]),
        # Hemizygous calls written as diploid 0/0 and 1/1: all diploid.
        ([[2, 2], [0, 0], [2, 0]], [0, 2, 2]),
    ],
)
def test_samples_without_alt_calls_follow_the_files_coding(genotypes, expected):
    data = dataset(["chrM:100:A:G", "chrM:200:T:C"], genotypes)
    aligned, report = align_variants(variants("MT:200:C:T"), data)
    assert aligned[:, 0].tolist() == expected
    assert report.haploid_samples == {"MT": 3 if expected[1] == 1 else 0}


def test_a_vcf_of_other_sites_is_named_as_such_not_as_a_genome_build():
    """A learner who simulates the second cohort with another seed gets a VCF of other
    sites: the message says so and does not offer imputation (learner review, 4.2);
    a VCF lacking only some of the model's sites still gets the build/impute advice."""
    model = variants("chr1:100:A:G", "chr1:200:C:T")
    calls = np.array([[0, 1], [2, 1]])
    with pytest.raises(VcfmlInputError) as refused:
        align_variants(model, dataset(["chr2:7:G:A", "chr3:9:T:C"], calls), max_missing_share=0.0)
    message = str(refused.value)
    assert "none of them is" in message and "another seed" in message
    assert "impute" not in message
    with pytest.raises(VcfmlInputError) as refused:
        align_variants(model, dataset(["chr1:100:A:G", "chr3:9:T:C"], calls), max_missing_share=0.0)
    assert "check the genome build, or use missing='impute'" in str(refused.value)
