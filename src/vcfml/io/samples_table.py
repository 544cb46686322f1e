"""Read the table that describes each sample: its ID, sex, phenotype and covariates.

The table is tab-separated (``.tsv``, ``.txt``) or comma-separated (``.csv``)
with a header row and one row per sample; the column ``sample_id`` names the
sample as in the VCF header.
"""

from __future__ import annotations

from collections.abc import Sequence
from os import PathLike
from pathlib import Path

import pandas as pd

from vcfml.errors import VcfmlInputError

SAMPLE_ID = "sample_id"


# What pandas reads as missing by default; here only an empty cell is missing,
# unless the caller names these (or others) with ``missing_values``.
PANDAS_MISSING = {"NA", "N/A", "NaN", "nan", "NULL", "null", "None", "n/a", "<NA>", "-NaN", "-nan"}


def read_samples_table(
    path: str | PathLike[str], *, missing_values: Sequence[str] = ()
) -> pd.DataFrame:
    """Read a samples table, indexed by ``sample_id``.

    Only an empty cell is missing: a sample called ``NA`` or a covariate level
    ``NA`` (North America) is a value, not pandas' default missing value. Name
    the codes that mean missing in your table with ``missing_values`` (e.g.
    ``["NA"]``; ``vcfml scan --missing-values NA``). A column of numbers with
    such a code among them is refused with the line, so that ``NA`` never
    turns an age into a text covariate unnoticed.

    Raises:
        VcfmlInputError: the file is missing, a folder, empty or blank, has no
            ``sample_id`` column, names a sample twice, or holds a missing-value
            code among numbers (the message gives the line).
    """
    path = Path(path)
    if not path.exists():
        raise VcfmlInputError(path, "file not found")
    if path.is_dir():
        raise VcfmlInputError(path, "is a folder; give the samples table (a TSV or CSV file)")
    if path.stat().st_size == 0:
        raise VcfmlInputError(path, "file is empty")
    separator = "," if path.suffix.lower() == ".csv" else "\t"
    try:
        table = pd.read_csv(
            path,
            sep=separator,
            dtype={SAMPLE_ID: str},
            keep_default_na=False,
            na_values=["", *missing_values],
        )
    except pd.errors.EmptyDataError as error:
        raise VcfmlInputError(path, "file has no header row (only blank lines)") from error
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise VcfmlInputError(path, f"cannot parse the table: {error}") from error
    except OSError as error:
        raise VcfmlInputError(path, f"cannot read: {error.strerror or error}") from error
    if SAMPLE_ID not in table.columns:
        found = ", ".join(map(str, table.columns[:5]))
        kind = "comma" if separator == "," else "tab"
        raise VcfmlInputError(
            path,
            f"no '{SAMPLE_ID}' column in the header (found: {found}); "
            f"the file should be {kind}-separated",
            line=1,
        )
    missing_ids = table[SAMPLE_ID].isna()
    if missing_ids.any():
        first = int(missing_ids.to_numpy().argmax())
        raise VcfmlInputError(path, "empty sample_id", line=first + 2)
    duplicated = table[SAMPLE_ID].duplicated()
    if duplicated.any():
        first = int(duplicated.to_numpy().argmax())
        raise VcfmlInputError(
            path,
            f"sample {table[SAMPLE_ID].iloc[first]!r} appears more than once",
            line=first + 2,
        )
    _refuse_codes_among_numbers(path, table)
    return table.set_index(SAMPLE_ID)


def _refuse_codes_among_numbers(path: Path, table: pd.DataFrame) -> None:
    """A text column whose other values are all numbers, with pandas' missing
    codes (``NA``) among them: most likely missing values; say how to mark them."""
    for column in table.columns:
        values = table[column]
        if column == SAMPLE_ID or pd.api.types.is_numeric_dtype(values):
            continue
        codes = values.isin(PANDAS_MISSING)
        if not codes.any() or codes.all():
            continue
        numbers = pd.to_numeric(values[~codes & values.notna()], errors="coerce")
        if numbers.notna().all():
            row = int(codes.to_numpy().argmax())
            raise VcfmlInputError(
                path,
                f"column {column!r} holds numbers and {values.iloc[row]!r} (sample "
                f"{table[SAMPLE_ID].iloc[row]}); if it means missing, leave the cell empty "
                f"or say so (--missing-values {values.iloc[row]})",
                line=row + 2,
            )
