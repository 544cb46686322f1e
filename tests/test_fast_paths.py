"""The speed work of issue 26 keeps the results: pandas' indicators equal scikit-learn's
OneHotEncoder, the TSV writer's own float formatting equals pandas' float_format, and
the commands that must start fast do not import what they do not use."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
from sklearn.preprocessing import OneHotEncoder

from vcfml.cli_stats import write_table
from vcfml.features import encode_covariates


def test_covariate_indicators_equal_one_hot_encoder():
    table = pd.DataFrame(
        {
            "sex": ["male", "female", "male", "female"],
            "population": ["YRI", "CEU", "CHB", "CEU"],
            "batch": ["b1", "b1", "b1", "b1"],  # one level: one column, as if_binary keeps it
            "age": [31, 45, 52, 28],
        },
        index=["s1", "s2", "s3", "s4"],
    )
    encoded, levels = encode_covariates(table, "samples.tsv")
    assert encoded.index.equals(table.index)
    for column in ("sex", "population", "batch"):
        encoder = OneHotEncoder(
            categories=[sorted(table[column].unique())],
            drop="if_binary",
            sparse_output=False,
            feature_name_combiner=lambda name, level: f"{name}={level}",
        )
        expected = encoder.fit_transform(table[[column]])
        names = list(encoder.get_feature_names_out())
        assert names == [name for name in encoded.columns if name.startswith(f"{column}=")]
        np.testing.assert_array_equal(encoded[names].to_numpy(), expected)
    np.testing.assert_array_equal(encoded["age"], table["age"])
    # The training levels again, in another order of samples: the same indicators.
    again, _ = encode_covariates(table.iloc[::-1], "samples.tsv", levels)
    pd.testing.assert_frame_equal(again, encoded.iloc[::-1])


def test_written_floats_are_formatted_as_pandas_formats_them(tmp_path):
    rng = np.random.default_rng(0)
    values = rng.normal(size=200) * 10.0 ** rng.integers(-12, 12, 200)
    values[:5] = [np.nan, np.inf, -0.0, 1e-300, 123456789.0]
    table = pd.DataFrame(
        {
            "chrom": ["chr1"] * 200,
            "n": np.arange(200),
            "beta": values,
            "single": values.astype(np.float32),
            "nullable": pd.array([1.5, None] * 100, dtype="Float64"),
        }
    )
    write_table(table, tmp_path / "ours.tsv")
    table.to_csv(tmp_path / "pandas.tsv", sep="\t", index=False, na_rep="NA", float_format="%.6g")
    assert (tmp_path / "ours.tsv").read_bytes() == (tmp_path / "pandas.tsv").read_bytes()


def _modules_after(code: str) -> set[str]:
    script = f"import sys\n{code}\nprint('MODULES', *sorted(sys.modules))"
    output = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert output.returncode == 0, output.stderr
    return set(output.stdout.split("MODULES")[-1].split())


def test_reading_a_vcf_imports_neither_scikit_learn_nor_scipy_special(liability_dir):
    modules = _modules_after(
        f"from vcfml.cli import main\nmain(['inspect', {str(liability_dir / 'cohort.vcf.gz')!r}])"
    )
    assert "vcfml.io.vcf_reader" in modules
    assert not {"sklearn", "scipy.special", "scipy.stats", "matplotlib"} & modules


def test_the_scan_command_does_not_import_scikit_learn(liability_dir, tmp_path):
    modules = _modules_after(
        "from vcfml.cli import main\n"
        f"main(['scan', '--vcf', {str(liability_dir / 'cohort.vcf.gz')!r}, '--samples', "
        f"{str(liability_dir / 'samples.tsv')!r}, '--covariates', 'sex', '--out', "
        f"{str(tmp_path / 'scan.tsv')!r}])"
    )
    assert "vcfml.stats.association" in modules
    assert not {"sklearn", "matplotlib"} & modules
    assert (tmp_path / "scan.tsv").stat().st_size > 0


def test_lazy_statistics_names_are_the_functions():
    """hardy and pca are modules and functions: the package gives the functions,
    even after the modules are imported by name."""
    code = (
        "import vcfml.stats.pca, vcfml.stats.hardy\n"
        "from vcfml.stats import pca, hardy, score_test, association_scan\n"
        "assert all(callable(f) for f in (pca, hardy, score_test, association_scan))\n"
        "import vcfml.stats\n"
        "assert set(vcfml.stats.__all__) <= set(dir(vcfml.stats))"
    )
    assert "vcfml.stats.score" in _modules_after(code)
