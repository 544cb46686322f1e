"""Draw the book pages' explanatory figures as SVG files in book/figures/.

The figures explain ideas (a VCF record's parts, the liability threshold,
cross-validation and leakage, where chapter 4's three numbers come from), so
they are drawn from the course's own definitions rather than from data, and
committed: the book builds without running this. Output is byte-for-byte
reproducible (fixed SVG ids, no date, text kept as text), so
``tests/test_figures.py`` can check the committed files are up to date.

    python tools/make_figures.py            # rewrite book/figures/*.svg
    python tools/make_figures.py --out DIR  # write elsewhere (the test does)
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyBboxPatch, Rectangle
from scipy.stats import norm

ROOT = Path(__file__).resolve().parents[1]
FIGURES = ROOT / "book" / "figures"
BLUE, LIGHT, ORANGE, RED, GREY = "#1f4e79", "#7fa7d1", "#e08214", "#c00000", "#888888"
STYLE = {
    "svg.hashsalt": "vcfml-course",
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 10,
}


def vcf_record(fig) -> None:
    """The first record of data/classic, each field boxed and named; one call decoded."""
    ax = fig.add_axes([0, 0, 1, 1])
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 30)
    ax.axis("off")
    fields = [
        ("chr1", "CHROM", "contig"),
        ("32254431", "POS", "1-based position"),
        ("chr1:32254431:G:C", "ID", "name: CHROM:POS:REF:ALT"),
        ("G", "REF", "reference allele"),
        ("C", "ALT", "alternative allele(s)"),
        (".", "QUAL", "caller's confidence"),
        ("PASS", "FILTER", "filters passed"),
        ("AC=96;AN=1000;AF=0.096", "INFO", "site facts: ALT count, alleles, frequency"),
        ("GT:DP", "FORMAT", "fields of each call"),
        ("0/1:34", "sample_0053", "one call per sample"),
    ]
    widths = [5, 9, 17, 3, 3, 4, 5.5, 21, 6, 8]
    x = 1.0
    for (text, name, meaning), width in zip(fields, widths, strict=True):
        colour = ORANGE if name.startswith("sample") else BLUE
        ax.add_patch(
            FancyBboxPatch(
                (x, 17),
                width,
                5,
                boxstyle="round,pad=0.2",
                facecolor="white",
                edgecolor=colour,
                linewidth=1.2,
            )
        )
        ax.text(
            x + width / 2, 19.5, text, ha="center", va="center", family="monospace", fontsize=8.5
        )
        ax.text(
            x + width / 2,
            24.2,
            name,
            ha="center",
            va="bottom",
            fontsize=8,
            color=colour,
            weight="bold",
            rotation=20,
        )
        ax.annotate(
            meaning,
            (x + width / 2, 16.6),
            (x + width / 2, 12.5 - (fields.index((text, name, meaning)) % 3) * 2.3),
            ha="center",
            fontsize=7,
            color=GREY,
            arrowprops={"arrowstyle": "-", "color": GREY, "lw": 0.6},
        )
        x += width + 0.6
    ax.text(
        1,
        3.5,
        "The call 0/1:34, split by FORMAT:  GT = 0/1 -> one REF (0) and one ALT "
        "(1) allele -> dosage 1;  DP = 34 reads.  0/0 -> 0, 1/1 -> 2, ./. -> missing (-1), "
        "0|1 -> 1 (phased).",
        fontsize=8,
        color=ORANGE,
    )


def liability_threshold(fig) -> None:
    """Liability of females and males, the threshold, and the cases beyond it."""
    ax = fig.add_subplot()
    x = np.linspace(-3.5, 4, 600)
    # The threshold and the sex effect are data/liability's own (truth.json), so the
    # picture cannot drift from the data; within each sex the liability has variance
    # h2 + (1 - h2) = 1 (genetics plus environment).
    truth = json.loads((ROOT / "data" / "liability" / "truth.json").read_text())
    threshold, sex_effect = truth["thresholds"][0], truth["sex_effect"]["male"]
    for shift, colour, label in ((0.0, LIGHT, "females"), (sex_effect, BLUE, "males")):
        density = norm.pdf(x, shift, 1.0)
        ax.plot(x, density, color=colour, label=label)
        beyond = x > threshold
        ax.fill_between(x[beyond], density[beyond], color=colour, alpha=0.35)
    ax.axvline(threshold, color=RED, lw=1.5)
    ax.text(
        threshold + 0.08, 0.41, "threshold t: people beyond it are cases", color=RED, fontsize=9
    )
    ax.annotate(
        "", xy=(sex_effect, 0.05), xytext=(0, 0.05), arrowprops={"arrowstyle": "->", "color": GREY}
    )
    ax.text(sex_effect / 2, 0.065, "sex effect s", ha="center", fontsize=8, color=GREY)
    ax.set_xlabel("liability L = genetic value + s·male + environment")
    ax.set_ylabel("share of people")
    ax.set_ylim(0, 0.46)
    ax.set_yticks([])
    ax.legend(frameon=False, loc="upper left")
    ax.set_title("The liability-threshold model: shaded areas are the cases", fontsize=10)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def cv_and_leakage(fig) -> None:
    """Five folds; the screen fitted inside each fold (honest) or once on all (leaky)."""
    axes = fig.subplots(1, 2)
    for ax, leaky in zip(axes, (True, False), strict=True):
        ax.set_xlim(0, 11.2)
        ax.set_ylim(-0.6, 7.2)
        ax.axis("off")
        for fold in range(5):
            y = 4.6 - fold
            for part in range(5):
                validation = part == fold
                ax.add_patch(
                    Rectangle(
                        (1.5 + part * 1.6, y),
                        1.5,
                        0.7,
                        facecolor=ORANGE if validation else LIGHT,
                        edgecolor="white",
                    )
                )
            ax.text(0.1, y + 0.35, f"fold {fold + 1}", va="center", fontsize=8)
            if not leaky:
                ax.text(
                    10.3,
                    y + 0.35,
                    "screen",
                    va="center",
                    ha="center",
                    fontsize=7,
                    color=BLUE,
                    bbox={"boxstyle": "round", "fc": "white", "ec": BLUE},
                )
        if leaky:
            ax.add_patch(Rectangle((1.5, 5.6), 7.9, 0.7, facecolor=RED, alpha=0.8))
            ax.text(
                5.45,
                5.95,
                "screen sites on ALL samples",
                ha="center",
                va="center",
                color="white",
                fontsize=8,
            )
            ax.set_title("Leaky: validation samples helped choose the sites", fontsize=9, color=RED)
        else:
            ax.text(
                5.45,
                5.95,
                "each fold screens its own training part",
                ha="center",
                fontsize=8,
                color=BLUE,
            )
            ax.set_title("Honest: the screen is a step of the pipeline", fontsize=9, color=BLUE)
        ax.add_patch(Rectangle((1.5, -0.4), 0.5, 0.4, facecolor=LIGHT))
        ax.text(2.1, -0.2, "training part", va="center", fontsize=7)
        ax.add_patch(Rectangle((5.0, -0.4), 0.5, 0.4, facecolor=ORANGE))
        ax.text(5.6, -0.2, "validation part", va="center", fontsize=7)


def three_numbers(fig) -> None:
    """Where chapter 4's numbers come from: search score, held-out test, ceiling."""
    ax = fig.add_axes([0, 0, 1, 1])
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 32)
    ax.axis("off")
    boxes = [
        (
            2,
            16,
            44,
            12,
            LIGHT,
            "training samples (80%)\ncross-validated search over many trials\n"
            "-> search score: the best of many, optimistic",
        ),
        (50, 16, 22, 12, ORANGE, "held-out samples (20%)\nused once, at the end\n-> test estimate"),
        (76, 16, 22, 12, GREY, "truth.json\neach person's true P(case)\n-> Bayes-optimal ceiling"),
    ]
    for x, y, w, h, colour, text in boxes:
        ax.add_patch(
            FancyBboxPatch(
                (x, y),
                w,
                h,
                boxstyle="round,pad=0.4",
                facecolor=colour,
                alpha=0.35,
                edgecolor=colour,
            )
        )
        ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=8)
    ax.text(
        50,
        9,
        "search score ≥ test estimate, on average (selection optimism);   "
        "test estimate ≤ ceiling, on average (no model beats the truth)",
        ha="center",
        fontsize=8,
    )
    ax.text(
        50,
        4,
        "A second cohort from the same model (exercise 4.2) is another, larger held-out set.",
        ha="center",
        fontsize=8,
        color=GREY,
    )


FIGURES_TO_DRAW: dict[str, tuple[Callable, tuple[float, float]]] = {
    "vcf_record.svg": (vcf_record, (10, 3.2)),
    "liability_threshold.svg": (liability_threshold, (7.5, 3.6)),
    "cv_leakage.svg": (cv_and_leakage, (10, 3.4)),
    "three_numbers.svg": (three_numbers, (10, 3.0)),
}


def draw_all(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    with plt.rc_context(STYLE):
        for name, (draw, size) in FIGURES_TO_DRAW.items():
            fig = plt.figure(figsize=size)
            draw(fig)
            path = folder / name
            fig.savefig(
                path, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None}
            )
            plt.close(fig)
            written.append(path)
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=FIGURES, help="folder for the SVG files")
    for path in draw_all(parser.parse_args().out):
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
