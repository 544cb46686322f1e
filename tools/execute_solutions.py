"""Execute solution notebooks in place, so they are committed with fresh outputs.

Run by ``make solutions`` after editing a solution. Notebooks run in their own
folder (as a learner would run them), with the default (CI-length) AutoML budget, and
without timing metadata, so that re-running an unchanged notebook changes
nothing and ``pytest --nbval`` can compare outputs strictly.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_SECONDS = 600


def execute(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=TIMEOUT_SECONDS,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,
    )
    client.execute()
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
    # The kernel records its exact Python version; keep only the language, so that
    # running the notebooks on another Python does not rewrite every file.
    notebook.metadata["language_info"] = {"name": "python"}
    nbformat.write(notebook, path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: solutions/*.ipynb")
    args = parser.parse_args()
    notebooks = args.notebooks or sorted((ROOT / "solutions").glob("*.ipynb"))
    for path in notebooks:
        print(f"executing {path.relative_to(ROOT) if path.is_absolute() else path}")
        execute(path.resolve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
