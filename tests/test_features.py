"""Joining genotypes with the samples table into features and target."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vcfml import read_vcf
from vcfml.errors import VcfmlInputError
from vcfml.features import encode_target, join_samples


def test_join_orders_table_like_the_vcf(classic_dir):
    genotypes = read_vcf(classic_dir / "cohort.vcf.gz")
    table = pd.read_csv(classic_dir / "samples.tsv", sep="\t").set_index("sample_id")
    shuffled = table.sample(frac=1.0, random_state=0)
    dataset = join_samples(genotypes, shuffled)
    np.testing.assert_array_equal(
        dataset.target, table.loc[genotypes.samples, "phenotype"].to_numpy()
    )
    # Three genders: one indicator each; genotypes first, covariates last.
    assert list(dataset.covariates.columns) == ["sex=female", "sex=male", "sex=unknown"]
    frame = dataset.to_frame()
    assert frame.shape == (500, 103)
    assert frame.columns[0] == genotypes.variant_labels()[0]
    assert (frame.iloc[:, -3:].sum(axis=1) == 1).all()


@pytest.mark.parametrize(
    ("values", "positive", "labels"),
    [
        (["0", "1", "1"], None, ("0", "1")),
        (["1", "2", "2"], None, ("1", "2")),  # PLINK: 2 = case
        (["control", "case", "case"], None, ("control", "case")),
        (["Unaffected", "Affected", "Affected"], None, ("Unaffected", "Affected")),
        (["tall", "short", "short"], "short", ("tall", "short")),
    ],
)
def test_target_encodings(values, positive, labels):
    y, found = encode_target(pd.Series(values), "t.tsv", "phenotype", positive)
    np.testing.assert_array_equal(y, [0, 1, 1])
    assert found == labels


def test_ambiguous_labels_need_a_positive_label():
    with pytest.raises(VcfmlInputError, match="say which is the case"):
        encode_target(pd.Series(["tall", "short"]), "t.tsv", "phenotype")
    with pytest.raises(VcfmlInputError, match="positive label 'x' is not one of"):
        encode_target(pd.Series(["tall", "short"]), "t.tsv", "phenotype", "x")


def test_covariate_choice_and_errors(structured_dir):
    genotypes = read_vcf(structured_dir / "cohort.vcf.gz")
    table = pd.read_csv(structured_dir / "samples.tsv", sep="\t").set_index("sample_id")
    with_population = join_samples(genotypes, table)
    assert list(with_population.covariates.columns) == ["sex=male", "population=pop2"]
    sex_only = join_samples(genotypes, table, covariates=["sex"])
    assert list(sex_only.covariates.columns) == ["sex=male"]
    with pytest.raises(VcfmlInputError, match="unknown covariate columns: age"):
        join_samples(genotypes, table, covariates=["age"])
    table.loc[table.index[3], "sex"] = None
    with pytest.raises(VcfmlInputError, match="covariate 'sex' is missing for sample"):
        join_samples(genotypes, table)
