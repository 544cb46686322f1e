"""FLAML's ``tune``, imported without FLAML's warning about its AutoML module.

``import flaml`` warns "... is not available. Please install flaml[automl]" when
FLAML's AutoML extra is missing. vcfml uses only ``flaml.tune`` and installs flaml
without that extra on purpose (it brings xgboost and NVIDIA's NCCL; see
pyproject.toml), so in a workshop pack the warning would greet participants in
every AutoML notebook and invite an install that breaks the pinned versions. It is
silenced here, the one place vcfml imports flaml from.
"""

import warnings

with warnings.catch_warnings():
    warnings.filterwarnings(
        "ignore", message=r"flaml\.automl is not available", category=UserWarning
    )
    from flaml import tune

__all__ = ["tune"]
