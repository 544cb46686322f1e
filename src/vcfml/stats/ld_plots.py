"""Figures for chapter 2's coalescent page: LD heatmap, LD decay, the
site-frequency spectrum, and a PCA of the cohort coloured by population.

Each function draws on a matplotlib Axes (a new figure when none is given) and
returns it, so a notebook can place several side by side.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from sklearn.decomposition import PCA

from vcfml.stats.ld import standardize


def _axes(ax: Axes | None, size=(6, 4)) -> Axes:
    return plt.subplots(figsize=size)[1] if ax is None else ax


def plot_ld_heatmap(
    r2: np.ndarray, positions: Sequence[int] | None = None, ax: Axes | None = None
) -> Axes:
    """r² between every pair of a run of consecutive sites (blocks of LD show
    as bright squares along the diagonal)."""
    ax = _axes(ax, (5, 4.5))
    image = ax.imshow(r2, cmap="viridis", vmin=0, vmax=1, interpolation="nearest")
    ax.figure.colorbar(image, ax=ax, label="r²")
    if positions is not None:
        positions = np.asarray(positions)
        ticks = np.linspace(0, len(positions) - 1, 5).astype(int)
        labels = [f"{positions[i] / 1e6:.3f}" for i in ticks]
        ax.set_xticks(ticks, labels, rotation=45)
        ax.set_yticks(ticks, labels)
        ax.set_xlabel("position (Mb)")
    else:
        ax.set_xlabel("site")
    ax.set_title(f"LD between {len(r2)} consecutive sites")
    return ax


def plot_ld_decay(decay: pd.DataFrame, ax: Axes | None = None, label: str | None = None) -> Axes:
    """Mean r² against distance (the table of :func:`vcfml.stats.ld_decay`)."""
    ax = _axes(ax)
    middle = (decay["bin_start"] + decay["bin_end"]) / 2 / 1000
    ax.plot(middle, decay["mean_r2"], marker="o", label=label)
    ax.set_xscale("log")
    ax.set_xlabel("distance between sites (kb)")
    ax.set_ylabel("mean r²")
    ax.set_title("LD decays with distance")
    if label:
        ax.legend()
    return ax


def plot_sfs(spectrum: np.ndarray, ax: Axes | None = None, classes: int = 20) -> Axes:
    """The folded site-frequency spectrum (first ``classes`` minor-allele
    counts) with the neutral constant-size expectation, proportional to
    1/i + 1/(2n - i), scaled to the same number of sites."""
    ax = _axes(ax)
    spectrum = np.asarray(spectrum)
    n_chromosomes = 2 * (len(spectrum) - 1)
    minor = np.arange(1, len(spectrum))
    # folding puts allele counts i and 2n - i together (the middle class once)
    neutral = np.where(
        minor == n_chromosomes - minor, 1 / minor, 1 / minor + 1 / (n_chromosomes - minor)
    )
    expected = neutral / neutral.sum() * spectrum[1:].sum()
    i = minor[:classes]
    ax.bar(i, spectrum[1 : classes + 1], color="tab:blue", label="simulated sites")
    ax.plot(i, expected[:classes], color="black", marker=".", label="neutral, constant size")
    ax.set_xlabel("minor-allele count")
    ax.set_ylabel("sites")
    ax.set_title("Site-frequency spectrum: most variants are rare")
    ax.legend()
    return ax


def plot_population_pca(
    dosages: np.ndarray, populations: Sequence[str], ax: Axes | None = None
) -> Axes:
    """The first two principal components of the standardized dosages, one
    colour per population: ancestry is the largest axis of variation."""
    ax = _axes(ax, (5, 4.5))
    z = standardize(dosages, np.float32)
    pca = PCA(n_components=2, random_state=0)
    scores = pca.fit_transform(z)
    populations = np.asarray(populations)
    for name in dict.fromkeys(populations):
        rows = populations == name
        ax.scatter(scores[rows, 0], scores[rows, 1], s=8, alpha=0.7, label=name)
    share = pca.explained_variance_ratio_
    ax.set_xlabel(f"PC1 ({share[0]:.1%} of variance)")
    ax.set_ylabel(f"PC2 ({share[1]:.1%})")
    ax.set_title("PCA of the cohort")
    ax.legend(title="population")
    return ax
