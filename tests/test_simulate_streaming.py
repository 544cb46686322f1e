"""Simulators stream: row-major random matrices served by blocks of sites are the
very draws of the whole matrix, and the truth of a cohort of several blocks
matches the genotypes written to its VCF."""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from conftest import bcftools_query, dosages_from_bcftools
from hypothesis import given, settings
from hypothesis import strategies as st
from pysam.libcbgzf import BGZFile
from scipy.stats import norm

from vcfml import read_vcf
from vcfml.io.bgzf import BLOCK_INPUT, EOF_BLOCK, ParallelBgzfWriter
from vcfml.io.vcf_writer import write_vcf_blocks
from vcfml.simulate import bayes, simulate_classic, simulate_liability
from vcfml.simulate.cohort import STREAM_BLOCK
from vcfml.simulate.draws import RowMajorDraws

DRAWS = {
    "random": (lambda generator, size: generator.random(size), True),
    "poisson": (lambda generator, size: generator.poisson(30, size), False),
}


@settings(max_examples=20, deadline=None)
@given(
    kind=st.sampled_from(sorted(DRAWS)),
    n_rows=st.integers(0, 6),
    n_columns=st.integers(1, 40),
    block=st.integers(1, 16),
    seed=st.integers(0, 2**32 - 1),
)
def test_blocks_are_the_whole_matrix_draws(kind, n_rows, n_columns, block, seed):
    draw, fixed_width = DRAWS[kind]
    whole = np.random.default_rng(seed)
    whole.integers(0, 3, 5)  # leaves a buffered 32-bit half, which must survive
    expected = draw(whole, (n_rows, n_columns))
    streamed = np.random.default_rng(seed)
    streamed.integers(0, 3, 5)
    draws = RowMajorDraws(streamed, n_rows, n_columns, draw, fixed_width=fixed_width, block=block)
    # The generator is left where the whole matrix leaves it: later draws agree.
    assert streamed.bit_generator.state == whole.bit_generator.state
    np.testing.assert_array_equal(streamed.integers(0, 3, 9), whole.integers(0, 3, 9))
    pieces = [draws.block(start) for start in range(0, n_columns, block)]
    np.testing.assert_array_equal(np.concatenate(pieces, axis=1), expected)


def test_liability_truth_matches_a_streamed_vcf(tmp_path):
    n_sites = 2 * STREAM_BLOCK + 100  # three blocks
    cohort = simulate_liability(n_samples=300, n_sites=n_sites, missing_rate=0.0, seed=4)
    written = read_vcf(cohort.write(tmp_path) / "cohort.vcf.gz")
    np.testing.assert_array_equal(written.genotypes, cohort.genotypes)
    assert_truth_matches(cohort, written)


def assert_truth_matches(cohort, written):
    """The Bayes-optimal AUC of truth.json, recomputed from the genotypes written
    at its causal sites (additive model, h2 = 0.5, sex effect 0.5)."""
    truth = cohort.truth
    ids = written.variants["id"].tolist()
    columns = [ids.index(site["id"]) for site in truth["causal_sites"]]
    effects = np.array([site["effect"] for site in truth["causal_sites"]])
    frequency = np.array([site["allele_frequency"] for site in truth["causal_sites"]])
    male = (cohort.samples["sex"] == "male").to_numpy()
    mean = (written.genotypes[:, columns] - 2 * frequency) @ effects + 0.5 * male
    probability = norm.sf((truth["thresholds"][0] - mean) / np.sqrt(0.5))
    recomputed = bayes.summary(probability)
    assert recomputed["auc"] == pytest.approx(truth["bayes_optimal"]["cohort"]["auc"], abs=2e-4)


def test_classic_planting_reaches_a_streamed_vcf(tmp_path):
    cohort = simulate_classic(
        n_samples=200, n_sites=STREAM_BLOCK + 50, n_cases=80, n_causal=3, seed=5
    )
    written = read_vcf(cohort.write(tmp_path) / "cohort.vcf.gz")
    ids = written.variants["id"].tolist()
    columns = [ids.index(site["id"]) for site in cohort.truth["causal_sites"]]
    cases = cohort.samples["phenotype"].to_numpy() == 1
    # Every case is homozygous ALT at one causal site at least (planted or drawn).
    assert (written.genotypes[np.ix_(cases, columns)] == 2).any(axis=1).all()
    np.testing.assert_array_equal(written.genotypes, cohort.genotypes)


def bgzf_texts(pieces: list[int], seed: int) -> list[bytes]:
    """Pieces of text of the given sizes, with runs so that they compress."""
    rng = np.random.default_rng(seed)
    alphabet = np.frombuffer(b"0/1\t:.\n", dtype=np.uint8)
    return [
        alphabet[rng.integers(0, 4, size) * rng.integers(0, 2, size)].tobytes() for size in pieces
    ]


def bgzf_members(data: bytes) -> list[tuple[int, bytes]]:
    """Each gzip member of a BGZF file as (ISIZE, member), checking what the SAM
    specification asks of it: the gzip magic with FEXTRA, one ``BC`` field whose
    BSIZE is the member's size minus one, and a CRC32 and ISIZE of the deflated
    data that zlib reads back."""
    members = []
    at = 0
    while at < len(data):
        assert data[at : at + 4] == b"\x1f\x8b\x08\x04"
        xlen, field, field_length, bsize = struct.unpack_from("<H2sHH", data, at + 10)
        assert (xlen, field, field_length) == (6, b"BC", 2)
        member = data[at : at + bsize + 1]
        crc, isize = struct.unpack_from("<II", member, len(member) - 8)
        text = zlib.decompress(member[18:-8], wbits=-15)
        assert (len(text), zlib.crc32(text)) == (isize, crc)
        members.append((isize, member))
        at += bsize + 1
    return members


@settings(max_examples=15, deadline=None)
@given(
    pieces=st.lists(st.integers(0, 3 * BLOCK_INPUT), min_size=0, max_size=5),
    level=st.sampled_from([0, 1, 6]),
    threads=st.integers(1, 3),
    seed=st.integers(0, 2**32 - 1),
)
def test_parallel_bgzf_with_zlib_writes_htslibs_bytes(
    tmp_path_factory, pieces, level, threads, seed
):
    """With zlib, any sequence of writes gives the file pysam's (htslib's) BGZF
    writer gives, whatever the number of threads."""
    texts = bgzf_texts(pieces, seed)
    folder = tmp_path_factory.mktemp("bgzf")
    with BGZFile(str(folder / "htslib.gz"), f"wb{level}") as reference:
        for text in texts:
            reference.write(text)
    with ParallelBgzfWriter(folder / "ours.gz", level, threads, compressor="zlib") as ours:
        for text in texts:
            ours.write(text)
    written = (folder / "ours.gz").read_bytes()
    assert written == (folder / "htslib.gz").read_bytes()
    assert written.endswith(EOF_BLOCK)
    assert gzip.decompress(written) == b"".join(texts)


@settings(max_examples=15, deadline=None)
@given(
    pieces=st.lists(st.integers(0, 3 * BLOCK_INPUT), min_size=0, max_size=5),
    level=st.sampled_from([0, 1, 2, 6]),
    seed=st.integers(0, 2**32 - 1),
)
def test_parallel_bgzf_with_libdeflate_writes_htslibs_blocks(tmp_path_factory, pieces, level, seed):
    """With libdeflate the deflated bytes are libdeflate's, not zlib's, but the file is
    the BGZF htslib writes in everything else: the same blocks (cut at the same
    input bytes, so the same ISIZEs), each a valid member with its BC field, the
    same end-of-file block, and the same text read back by zlib and by htslib.
    The bytes do not depend on the number of threads."""
    texts = bgzf_texts(pieces, seed)
    folder = tmp_path_factory.mktemp("bgzf")
    with BGZFile(str(folder / "htslib.gz"), "wb1") as reference:
        for text in texts:
            reference.write(text)
    files = []
    for threads in (1, 3):
        files.append(folder / f"libdeflate{threads}.gz")
        with ParallelBgzfWriter(files[-1], level, threads, compressor="libdeflate") as ours:
            for text in texts:
                ours.write(text)
    written = files[0].read_bytes()
    assert files[1].read_bytes() == written
    htslib = (folder / "htslib.gz").read_bytes()
    ours_members = bgzf_members(written)
    assert [isize for isize, _ in ours_members] == [isize for isize, _ in bgzf_members(htslib)]
    assert ours_members[-1][1] == EOF_BLOCK
    assert gzip.decompress(written) == b"".join(texts)
    with BGZFile(str(files[0]), "rb") as reader:
        assert reader.read() == b"".join(texts)


def test_bgzf_writer_rejects_a_bad_level_or_compressor_and_leaves_no_blocks_after_a_failure(
    tmp_path,
):
    with pytest.raises(ValueError, match="level for zlib must be 0-9"):
        ParallelBgzfWriter(tmp_path / "x.gz", 10, compressor="zlib")
    with pytest.raises(ValueError, match="level for libdeflate must be 0-12"):
        ParallelBgzfWriter(tmp_path / "x.gz", 13, compressor="libdeflate")
    with pytest.raises(ValueError, match="compressor must be 'libdeflate' or 'zlib'"):
        ParallelBgzfWriter(tmp_path / "x.gz", 1, compressor="gzip")
    with pytest.raises(RuntimeError), ParallelBgzfWriter(tmp_path / "y.gz", 1) as out:
        out.write(b"x" * (3 * BLOCK_INPUT))
        raise RuntimeError("the caller failed")
    assert not (tmp_path / "y.gz").read_bytes().endswith(EOF_BLOCK)  # not a complete file


def test_bgzf_writer_copies_a_writable_buffer_and_not_a_read_only_one(tmp_path):
    """The caller may reuse a writable buffer once write returns; a read-only one
    (the writer's formatted text) is compressed in place."""
    buffer = bytearray(b"0/1\t" * BLOCK_INPUT)
    text = np.frombuffer(b"1/1\t" * BLOCK_INPUT, dtype=np.uint8)
    with ParallelBgzfWriter(tmp_path / "z.gz", 1, 2) as out:
        out.write(buffer)
        buffer[:] = b"X" * len(buffer)
        out.write(text)
    assert gzip.decompress((tmp_path / "z.gz").read_bytes()) == (
        b"0/1\t" * BLOCK_INPUT + b"1/1\t" * BLOCK_INPUT
    )


def write_cohort(path: Path, cohort, **options) -> None:
    """Write a simulated cohort's blocks with write_vcf_blocks, as cohort.write
    does, with the writer's options (threads, a haploid_samples override) exposed."""
    options = {"haploid_samples": cohort.haploid, **options}
    write_vcf_blocks(
        path,
        cohort.blocks(),
        cohort.variants,
        cohort.samples["sample_id"].tolist(),
        contigs=cohort.contigs,
        haploid_sites=cohort.haploid_sites,
        **options,
    )


def test_written_vcf_round_trips_through_bcftools_whatever_the_threads(tmp_path, bcftools):
    """A streamed cohort with haploid chrX males and DP: the same bytes on 1 or 3
    compression threads, a valid index, and bcftools reads back every call."""
    cohort = simulate_liability(n_samples=40, n_sites=STREAM_BLOCK + 300, seed=8)
    files = []
    for threads in (1, 3):
        path = tmp_path / f"threads{threads}.vcf.gz"
        write_cohort(path, cohort, with_depth=True, threads=threads)
        files.append(path)
    assert files[0].read_bytes() == files[1].read_bytes()
    assert Path(f"{files[1]}.tbi").exists()
    calls = bcftools_query(bcftools, files[1], "[%GT:%DP\t]\n").splitlines()
    dosage = {"0/0": 0, "0/1": 1, "1/1": 2, "./.": -1, "0": 0, "1": 1, ".": -1}
    genotypes = np.array(
        [[dosage[call.split(":")[0]] for call in line.split("\t")[:-1]] for line in calls]
    ).T
    depth = np.array(
        [[int(call.split(":")[1]) for call in line.split("\t")[:-1]] for line in calls]
    ).T
    np.testing.assert_array_equal(genotypes, cohort.genotypes)
    np.testing.assert_array_equal(depth, cohort.depth)
    contig = cohort.variants["chrom"].iloc[-1]
    region = bcftools_query(bcftools, files[1], "%CHROM\n", "-r", contig)
    assert len(region.splitlines()) == int((cohort.variants["chrom"] == contig).sum())


@pytest.mark.parametrize("model", ["liability", "classic"])
def test_a_genotype_only_cohort_skips_the_depths_and_keeps_the_genotypes(model, tmp_path):
    size = {"n_samples": 30, "n_sites": STREAM_BLOCK + 10, "seed": 9}
    if model == "liability":
        cohort = simulate_liability(**size)
    else:
        cohort = simulate_classic(**size, n_cases=12, n_causal=2)
    assert all(depth is None for _, depth in cohort.blocks(with_depth=False))
    written = read_vcf(cohort.write(tmp_path, with_depth=False) / "cohort.vcf.gz")
    np.testing.assert_array_equal(written.genotypes, cohort.genotypes)
    assert cohort.depth.shape == cohort.shape  # the depths are still there when asked for


@pytest.mark.parametrize("length", [1, 2, 10])
def test_haploid_samples_of_the_wrong_length_is_refused_not_written(tmp_path, length):
    """The compiled writer reads haploid_samples per sample without bounds checks:
    a wrong length must be an error naming the file, and no file is left."""
    from vcfml.errors import VcfmlInputError

    cohort = simulate_liability(n_samples=4, n_sites=30, seed=1)
    path = tmp_path / "bad.vcf.gz"
    with pytest.raises(VcfmlInputError, match=r"bad\.vcf\.gz.*haploid_samples needs one value"):
        write_cohort(path, cohort, haploid_samples=np.zeros(length, dtype=bool))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("n_populations", [1, 3])
def test_by_block_genotypes_follow_hardy_weinberg(n_populations):
    """200,000 people: each dosage class within 5 standard errors of its
    Hardy-Weinberg probability, one copy for men at a haploid site."""
    from vcfml.simulate.liability import GenotypesByBlock

    frequency = np.array([[0.05, 0.3, 0.5, 0.9]] * n_populations)
    frequency[-1] = [0.2, 0.6, 0.1, 0.7]  # the last population differs (the only one of 1)
    people = 200_000
    population = np.arange(people) % n_populations
    male = np.arange(people) % 2 == 1
    haploid_sites = np.array([False, False, False, True])
    draws = GenotypesByBlock(7, frequency, population, male, haploid_sites, missing_rate=0.0)
    genotypes = draws.genotypes_at(np.arange(4))
    for group in range(n_populations):
        for men in (False, True):
            rows = (population == group) & (male == men)
            for site, p in enumerate(frequency[group]):
                haploid = men and haploid_sites[site]
                expected = [1 - p, p, 0.0] if haploid else [(1 - p) ** 2, 2 * p * (1 - p), p**2]
                observed = np.bincount(genotypes[rows, site], minlength=3) / rows.sum()
                error = np.sqrt(np.array(expected) * (1 - np.array(expected)) / rows.sum())
                assert np.all(np.abs(observed - expected) <= 5 * error + 1e-12), (site, men)


def test_by_block_blocks_are_drawn_alone_and_keep_the_draw_order_in_truth():
    n_sites = 2 * STREAM_BLOCK + 30
    cohort = simulate_liability(n_samples=60, n_sites=n_sites, seed=9, draw_order="by-block")
    whole = cohort.genotypes  # every block, in order, the next on a second thread
    again = simulate_liability(n_samples=60, n_sites=n_sites, seed=9, draw_order="by-block")
    np.testing.assert_array_equal(again.genotypes, whole)
    row_major = simulate_liability(n_samples=60, n_sites=n_sites, seed=9)
    assert not np.array_equal(row_major.genotypes, whole)  # another random stream
    assert cohort.truth["parameters"]["draw_order"] == "by-block"
    assert "draw_order" not in row_major.truth["parameters"]  # truth.json as before
    with pytest.raises(ValueError, match="draw_order must be one of row-major, by-block"):
        simulate_liability(n_samples=20, n_sites=20, draw_order="columns")


def test_by_block_truth_matches_a_streamed_vcf(tmp_path, bcftools):
    """The phenotype pass draws only the causal sites' blocks: the same calls the
    writer draws for those sites, so the truth recomputed from the VCF agrees."""
    n_sites = 3 * STREAM_BLOCK + 7
    cohort = simulate_liability(
        n_samples=300, n_sites=n_sites, missing_rate=0.0, seed=4, draw_order="by-block"
    )
    written = read_vcf(cohort.write(tmp_path) / "cohort.vcf.gz")
    from_bcftools = dosages_from_bcftools(bcftools, tmp_path / "cohort.vcf.gz")
    np.testing.assert_array_equal(from_bcftools, cohort.genotypes)
    assert_truth_matches(cohort, written)


def test_by_block_depths_follow_poisson_30():
    """Depths by inverse CDF on 16-bit uniforms: the called depths' distribution is
    Poisson(30)'s (each class within 5 standard errors), a missing call's a tenth."""
    from scipy.stats import poisson

    cohort = simulate_liability(
        n_samples=1000, n_sites=300, seed=2, missing_rate=0.05, draw_order="by-block"
    )
    blocks = list(cohort.blocks(with_depth=True))
    genotypes = np.concatenate([block[0] for block in blocks], axis=1)
    depth = np.concatenate([block[1] for block in blocks], axis=1)
    called = depth[genotypes >= 0]
    observed = np.bincount(called, minlength=100)[:100] / called.size
    expected = poisson.pmf(np.arange(100), 30)
    error = np.sqrt(expected * (1 - expected) / called.size)
    assert np.all(np.abs(observed - expected) <= 5 * error + 2**-16)
    assert depth[genotypes < 0].max() <= 9  # a tenth of a depth of at most 99


def test_the_file_does_not_depend_on_how_the_text_is_sliced(tmp_path, monkeypatch):
    """The writer formats about 1 MiB of text at a time so that compression
    overlaps formatting; slices of one variant give the same VCF and index."""
    from vcfml.io import vcf_writer

    cohort = simulate_liability(n_samples=30, n_sites=STREAM_BLOCK + 20, seed=6)
    write_cohort(tmp_path / "default.vcf.gz", cohort, with_depth=True)
    monkeypatch.setattr(vcf_writer, "TEXT_SLICE", 1)
    write_cohort(tmp_path / "sliced.vcf.gz", cohort, with_depth=True)
    for suffix in ("", ".tbi"):
        default = (tmp_path / f"default.vcf.gz{suffix}").read_bytes()
        assert (tmp_path / f"sliced.vcf.gz{suffix}").read_bytes() == default
