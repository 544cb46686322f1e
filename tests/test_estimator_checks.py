"""The library's estimators keep scikit-learn's contract: every check of
``parametrize_with_checks`` runs on each; the checks one cannot pass are listed
with the reason (scikit-learn marks them xfail, and a check that starts to pass
shows up as XPASS)."""

from __future__ import annotations

import pandas as pd
from sklearn.ensemble import ExtraTreesClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from vcfml.automl.ensemble import VotingEnsemble
from vcfml.automl.model import VariantAlignment
from vcfml.automl.screening import GenotypeScreen

TAKES_A_DATASET = (
    "its input is a vcfml Dataset or its to_frame() table, whose columns are matched to "
    "the model's variants by chrom/pos/ref/alt or by name, never an array taken by "
    "position (silent misalignment is what it prevents)"
)
LEARNS_NOTHING = (
    "nothing is learned: the variants are a parameter (the search's screen chose them), "
    "so fit checks no data, sets no n_features_in_, and transform works before fit"
)
VARIANT_ALIGNMENT_FAILS = {
    **dict.fromkeys(
        [
            "check_dict_unchanged",
            "check_dtype_object",
            "check_estimators_dtypes",
            "check_estimators_pickle",
            "check_f_contiguous_array_estimator",
            "check_fit2d_predict1d",
            "check_fit_idempotent",
            "check_fit_score_takes_y",
            "check_methods_sample_order_invariance",
            "check_methods_subset_invariance",
            "check_pipeline_consistency",
            "check_transformer_data_not_an_array",
            "check_transformer_general",
            "check_transformer_preserve_dtypes",
        ],
        TAKES_A_DATASET,
    ),
    **dict.fromkeys(
        [
            "check_complex_data",
            "check_estimator_sparse_tag",
            "check_estimators_empty_data_messages",
            "check_estimators_nan_inf",
            "check_fit1d",
            "check_fit_check_is_fitted",
            "check_n_features_in",
            "check_n_features_in_after_fitting",
            "check_transformers_unfitted",
        ],
        LEARNS_NOTHING,
    ),
}


def expected_failed_checks(estimator) -> dict[str, str]:
    return VARIANT_ALIGNMENT_FAILS if isinstance(estimator, VariantAlignment) else {}


ONE_VARIANT = pd.DataFrame({"chrom": ["1"], "pos": [1], "id": ["a"], "ref": ["A"], "alt": ["G"]})


@parametrize_with_checks(
    [
        GenotypeScreen(n_sites=2),
        VotingEnsemble(
            [
                make_pipeline(StandardScaler(), LogisticRegression()),
                ExtraTreesClassifier(n_estimators=5, random_state=0),
            ],
            weights=[0.6, 0.4],
        ),
        VariantAlignment(ONE_VARIANT),
    ],
    expected_failed_checks=expected_failed_checks,
)
def test_scikit_learn_contract(estimator, check):
    check(estimator)
