"""Every `{term}` link in the book and the notebooks has a glossary entry, and the
glossary covers the field's basic vocabulary (at least 30 terms)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = ROOT / "book" / "glossary.md"
TERM_ROLE = re.compile(r"\{term\}`([^`]+)`")


def glossary_terms() -> set[str]:
    text = GLOSSARY.read_text()
    body = text.split("```{glossary}", 1)[1].split("```", 1)[0]
    return {line.strip().lower() for line in body.splitlines() if line and not line[0].isspace()}


def linked_terms() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in [*ROOT.glob("book/**/*.md"), *ROOT.glob("solutions/*.ipynb")]:
        for match in TERM_ROLE.findall(path.read_text()):
            target = match.split("<")[-1].rstrip(">") if "<" in match else match
            found.setdefault(target.strip().lower(), set()).add(path.name)
    return found


def test_glossary_has_the_basic_terms():
    terms = glossary_terms()
    assert len(terms) >= 30, sorted(terms)
    for basic in ["linkage disequilibrium", "hardy-weinberg equilibrium", "gwas", "f_st", "auc",
                  "pseudo-autosomal region", "bonferroni correction", "one-standard-error rule"]:  # fmt: skip
        assert basic in terms


def test_every_term_link_has_an_entry():
    terms = glossary_terms()
    missing = {term: pages for term, pages in linked_terms().items() if term not in terms}
    assert missing == {}
