"""Read the table that describes each sample: its ID, sex, phenotype and covariates.

The table is tab-separated (``.tsv``, ``.txt``) or comma-separated (``.csv``)
with a header row and one row per sample; the column ``sample_id`` names the
sample as in the VCF header.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path

import pandas as pd

from vcfml.errors import VcfmlInputError

SAMPLE_ID = "sample_id"


def read_samples_table(path: str | PathLike[str]) -> pd.DataFrame:
    """Read a samples table, indexed by ``sample_id``.

    Raises:
        VcfmlInputError: the file is missing, empty or blank, has no ``sample_id``
            column, or names a sample twice (the message gives the line).
    """
    path = Path(path)
    if not path.exists():
        raise VcfmlInputError(path, "file not found")
    if path.stat().st_size == 0:
        raise VcfmlInputError(path, "file is empty")
    separator = "," if path.suffix.lower() == ".csv" else "\t"
    try:
        table = pd.read_csv(path, sep=separator, dtype={SAMPLE_ID: str}, keep_default_na=True)
    except pd.errors.EmptyDataError as error:
        raise VcfmlInputError(path, "file has no header row (only blank lines)") from error
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise VcfmlInputError(path, f"cannot parse the table: {error}") from error
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
    return table.set_index(SAMPLE_ID)
