"""VCF Zarr: the genotypes of a cohort as chunked arrays on disk, for data that outgrows memory.

:func:`vcf_to_zarr` converts a VCF with bio2zarr (the sgkit project's converter: parallel
worker processes, memory bounded by the chunk size) into the VCF Zarr layout that
sgkit and other tools read. :func:`open_vcf_zarr` opens it with xarray, each array
backed by Dask, so nothing is loaded until a computation asks for it, one chunk at a
time. :func:`site_major_dosages` gives the dosages in the same coding as
:func:`vcfml.read_vcf` (ALT copies, -1 missing) so that the in-memory and the
chunked paths agree exactly.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from vcfml.errors import VcfmlInputError, require_extra
from vcfml.io import vcf_diagnose
from vcfml.io.vcf_reader import MISSING, VARIANT_COLUMNS
from vcfml.stats.frequency import allele_frequency

with require_extra("scale"):
    import dask.array as da
    import numcodecs
    import xarray as xr

DEFAULT_VARIANTS_CHUNK = 10_000
FILL = -2  # bio2zarr's padding allele: the absent second allele of a haploid call


def vcf_to_zarr(
    vcf: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    workers: int = 2,
    variants_chunk_size: int = DEFAULT_VARIANTS_CHUNK,
    samples_chunk_size: int | None = None,
    show_progress: bool = False,
) -> Path:
    """Convert ``vcf`` (bgzipped and indexed) to a VCF Zarr store at ``out``.

    ``workers`` processes explode and encode partitions of the file in parallel;
    memory stays bounded by ``variants_chunk_size`` x samples per worker.
    """
    with require_extra("scale"):
        from bio2zarr import vcf as bio2zarr_vcf

    vcf, out = Path(vcf), Path(out).resolve()
    if vcf.is_dir():
        raise VcfmlInputError(vcf, "is a folder; give the bgzipped VCF file")
    if not vcf.is_file():
        raise VcfmlInputError(vcf, "no such file")
    with open(vcf, "rb") as handle:
        head = handle.read(18)
    if not (vcf_diagnose.is_bgzf(head) or head[:3] == b"BCF"):
        raise VcfmlInputError(
            vcf,
            "is not bgzip-compressed, so it cannot be indexed and split into parts "
            f"(run `bgzip -c {vcf.name} > {vcf.stem if vcf.suffix == '.gz' else vcf.name}.gz` "
            "on the plain text, then `tabix -p vcf` on the .gz)",
        )
    if not any(vcf.with_name(vcf.name + suffix).is_file() for suffix in (".tbi", ".csi")):
        raise VcfmlInputError(
            vcf, "needs a tabix or CSI index to be split into parts (run `tabix -p vcf FILE`)"
        )
    if out.exists():
        raise VcfmlInputError(out, "already exists; remove it or choose another path")
    if not out.parent.is_dir():
        raise VcfmlInputError(out, f"the folder {out.parent} does not exist")
    # The store is encoded into a temporary sibling and renamed into place only
    # when complete: an error, a Ctrl-C (KeyboardInterrupt is not an Exception)
    # or a second converter never leaves a half-written store at ``out``.
    scratch = tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        # bio2zarr's two steps: explode the VCF into a temporary columnar format,
        # then encode that into Zarr. The temporary files are read once, so they
        # get a fast compressor (lz4) instead of bio2zarr's default (zstd level 7),
        # which halves the conversion time.
        icf = Path(scratch) / "icf"
        store = Path(scratch) / "store.vcz"
        bio2zarr_vcf.explode(
            str(icf),
            [str(vcf)],
            worker_processes=workers,
            show_progress=show_progress,
            compressor=numcodecs.Blosc(cname="lz4", clevel=1, shuffle=numcodecs.Blosc.NOSHUFFLE),
        )
        bio2zarr_vcf.encode(
            str(icf),
            str(store),
            variants_chunk_size=variants_chunk_size,
            samples_chunk_size=samples_chunk_size,
            worker_processes=workers,
            show_progress=show_progress,
        )
        try:
            # os.rename refuses a non-empty directory at ``out``: a store that
            # appeared meanwhile (another converter) is never replaced.
            os.rename(store, out)
        except OSError as error:
            raise VcfmlInputError(
                out, f"appeared while converting (another run?): {error.strerror}"
            ) from None
    except VcfmlInputError:
        raise
    except Exception as error:  # bio2zarr raises many kinds; name the file, keep the cause
        raise VcfmlInputError(vcf, f"conversion to VCF Zarr failed: {error}") from error
    finally:
        _remove(Path(scratch))
    return out


def _remove(folder: Path) -> None:
    """Remove a scratch folder, also while bio2zarr's threads still finish a write
    into it after a Ctrl-C (a plain rmtree then fails with "not empty")."""
    for _ in range(50):
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            return
        time.sleep(0.1)


def open_vcf_zarr(path: str | os.PathLike[str]) -> xr.Dataset:
    """The store as an xarray Dataset whose arrays are lazy Dask arrays."""
    path = Path(path)
    if not path.exists():
        raise VcfmlInputError(path, "no such VCF Zarr store")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # consolidated-metadata notice
            dataset = xr.open_zarr(path, consolidated=False, chunks={})
    except Exception as error:
        raise VcfmlInputError(path, f"not a readable Zarr store: {error}") from error
    missing = [
        name for name in ("call_genotype", "sample_id", "variant_position") if name not in dataset
    ]
    if missing:
        raise VcfmlInputError(path, f"not a VCF Zarr store: no {', '.join(missing)}")
    return dataset


def _check_biallelic(dataset: xr.Dataset, path: object) -> None:
    alleles = dataset["variant_allele"]
    if alleles.sizes["alleles"] > 2:
        extra = alleles[:, 2:].data
        has_more = da.any((extra != "") & (extra != ".")).compute()
        if has_more:
            raise VcfmlInputError(
                path,
                "has sites with more than one ALT allele; the chunked path reads "
                "biallelic sites (split them first: `bcftools norm -m- IN -Oz -o OUT`)",
            )


def site_dosages(calls: np.ndarray) -> np.ndarray:
    """(variants, samples, ploidy) allele indices -> (variants, samples) int8 ALT copies.

    A call with a missing allele is -1, as in :func:`vcfml.read_vcf`, and so is a
    call of more than two alleles (polyploid, missing as in plink2); the padding
    of haploid calls (-2) counts as no allele.
    """
    missing = (calls == MISSING).any(axis=2) | ((calls != FILL).sum(axis=2) > 2)
    copies = (calls > 0).sum(axis=2, dtype=np.int8)
    copies[missing] = MISSING
    return copies


def site_major_dosages(dataset: xr.Dataset) -> da.Array:
    """Lazy (variants, samples) int8 dosages: one chunk per block of sites, all samples.

    Site-major, because the screen reads whole sites; ``.T`` gives the
    (samples, variants) orientation of :func:`vcfml.read_vcf`.
    """
    _check_biallelic(dataset, dataset.encoding.get("source", "VCF Zarr store"))
    calls = dataset["call_genotype"].data.rechunk({1: -1, 2: -1})
    return da.map_blocks(site_dosages, calls, dtype=np.int8, drop_axis=2)


def _strings(values: np.ndarray) -> np.ndarray:
    """Python strings, whatever the store used (numpy StringDType with zarr 3,
    objects with zarr 2)."""
    return np.asarray(np.asarray(values).tolist(), dtype=object)


def variants_table(dataset: xr.Dataset, columns: Sequence[int] | np.ndarray) -> pd.DataFrame:
    """The variants table of :func:`vcfml.read_vcf` for some variant indices of the store."""
    columns = np.asarray(columns, dtype=np.int64)
    contigs = _strings(dataset["contig_id"].values)
    alleles = _strings(dataset["variant_allele"].data[columns].compute())
    ids = _strings(dataset["variant_id"].data[columns].compute())
    ids[np.isin(ids, ["", "nan"])] = "."
    filters = _strings(dataset["filter_id"].values)
    passed = np.asarray(dataset["variant_filter"].data[columns].compute())
    calls = np.asarray(dataset["call_genotype"].data[columns].compute())
    # The one definition of allele frequency (vcfml.stats), as read_vcf uses it: a
    # call with a missing allele is left out whole, a haploid call counts once.
    ploidy = np.minimum((calls != FILL).sum(axis=2, dtype=np.int8), 2)  # polyploid: missing
    af = allele_frequency(site_dosages(calls).T, ploidy.T)
    phased = np.asarray(dataset["call_genotype_phased"].data[columns].compute())
    diploid = (calls[:, :, 1] != FILL) if calls.shape[2] > 1 else np.zeros(calls.shape[:2], bool)
    table = pd.DataFrame(
        {
            "chrom": contigs[np.asarray(dataset["variant_contig"].data[columns].compute())],
            "pos": np.asarray(dataset["variant_position"].data[columns].compute()).astype(np.int64),
            "id": ids,
            "ref": alleles[:, 0],
            "alt": alleles[:, 1],
            "allele_index": 1,
            "filter": [";".join(filters[row]) or "." for row in passed],
            "af": af,
            "phased": (phased | ~diploid).all(axis=1),
        }
    )
    return table[VARIANT_COLUMNS]
