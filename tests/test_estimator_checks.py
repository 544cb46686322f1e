"""The library's estimators keep scikit-learn's contract: every check of
``parametrize_with_checks`` runs on each (the screen, the vote, the alignment
and the fitted model); the checks one cannot pass are listed with the reason
(scikit-learn marks them xfail, and a check that starts to pass shows up as
XPASS). The fitted model's own use of that contract (clone, refit, labels) is
tested on a real run in ``test_honest_automl.py``."""

from __future__ import annotations

import pandas as pd
from sklearn.ensemble import ExtraTreesClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from vcfml.automl.ensemble import VotingEnsemble
from vcfml.automl.model import FittedModel, VariantAlignment, build_pipeline
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


# FittedModel passes the API checks (clone, get_params/set_params, repr,
# nothing set in __init__, NotFittedError before fit, binary-only tag); every
# check that fits it gives it a numpy array, which it refuses (TypeError) as its
# first step, VariantAlignment, does: so each of them fails for that one reason.
FITTED_MODEL_FAILS = dict.fromkeys(
    [
        "check_classifier_data_not_an_array",
        "check_classifier_not_supporting_multiclass",
        "check_classifiers_classes",
        "check_classifiers_one_label",
        "check_classifiers_regression_target",
        "check_classifiers_train",
        "check_complex_data",
        "check_dict_unchanged",
        "check_dont_overwrite_parameters",
        "check_dtype_object",
        "check_estimator_sparse_array",
        "check_estimator_sparse_matrix",
        "check_estimator_sparse_tag",
        "check_estimators_dtypes",
        "check_estimators_empty_data_messages",
        "check_estimators_fit_returns_self",
        "check_estimators_nan_inf",
        "check_estimators_overwrite_params",
        "check_estimators_pickle",
        "check_f_contiguous_array_estimator",
        "check_fit1d",
        "check_fit2d_1feature",
        "check_fit2d_1sample",
        "check_fit2d_predict1d",
        "check_fit_check_is_fitted",
        "check_fit_idempotent",
        "check_fit_score_takes_y",
        "check_methods_sample_order_invariance",
        "check_methods_subset_invariance",
        "check_n_features_in",
        "check_n_features_in_after_fitting",
        "check_pipeline_consistency",
        "check_positive_only_tag_during_fit",
        "check_readonly_memmap_input",
        "check_requires_y_none",
        "check_supervised_y_2d",
        "check_supervised_y_no_nan",
    ],
    TAKES_A_DATASET,
)


def expected_failed_checks(estimator) -> dict[str, str]:
    if isinstance(estimator, FittedModel):
        return FITTED_MODEL_FAILS
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
        FittedModel(build_pipeline(ONE_VARIANT, [], LogisticRegression())),
    ],
    expected_failed_checks=expected_failed_checks,
)
def test_scikit_learn_contract(estimator, check):
    check(estimator)
