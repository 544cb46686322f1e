"""What a workshop participant installs: a pack's ``setup.sh`` in an empty folder.

Unpacks a pack (``make book WORKSHOP=...`` or ``make workshop-pack`` makes one),
runs its ``setup.sh`` with a fresh home folder (so no Jupyter kernel or pip cache of
this machine helps), and reports the wall time of the set-up, the size of the
installed ``.venv``, the size of the wheels it needs (what a participant downloads:
measured with ``pip download`` of the same packages into a folder), and the largest
installed packages. Also lists any test, build or GPU package that got in. The
installed size counts every file in ``.venv``, bytecode included (its own column:
``setup.sh`` compiles everything but the test suites inside packages); the goal is
in decimal units (1 GB = 10^9 bytes), so the table gives both.

Usage: python benchmarks/install_size.py PACK.zip [--python python3.11] [--record]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from common import record

UNWANTED = ("xgboost", "nvidia", "playwright", "pytest", "ruff", "jupyter_book", "nbval")


def folder_mib(path: Path, pattern: str = "*") -> float:
    return sum(f.stat().st_size for f in path.rglob(pattern) if f.is_file()) / 2**20


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pack", type=Path, help="NAME-pack.zip")
    parser.add_argument("--python", default="python3.11", help="the Python setup.sh uses")
    parser.add_argument("--record", action="store_true", help="append to RESULTS.md")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="install-size-") as tmp:
        tmp_path = Path(tmp)
        with zipfile.ZipFile(args.pack) as zipped:
            zipped.extractall(tmp_path)
        (pack,) = [p for p in tmp_path.iterdir() if (p / "setup.sh").exists()]
        home = tmp_path / "home"
        home.mkdir()
        env = {**os.environ, "HOME": str(home), "PYTHON": args.python, "PIP_NO_CACHE_DIR": "1"}
        env.pop("PYTHONPATH", None)
        started = time.perf_counter()
        setup = subprocess.run(
            ["bash", "setup.sh"], cwd=pack, env=env, capture_output=True, text=True
        )
        seconds = time.perf_counter() - started
        if setup.returncode != 0:
            print(setup.stdout + setup.stderr, file=sys.stderr)
            return 1
        venv = pack / ".venv"
        installed = folder_mib(venv)
        bytecode = folder_mib(venv, "*.pyc")
        version = subprocess.run(
            [
                str(venv / "bin" / "python"),
                "-c",
                "import sys; print(*sys.version_info[:2], sep='.')",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        (wheel,) = (pack / "wheels").glob("vcfml-*.whl")
        downloads = tmp_path / "downloads"
        subprocess.run(
            [
                str(venv / "bin" / "python"),
                *("-m", "pip", "download", "--quiet", "--only-binary=:all:"),
                *("-d", str(downloads)),
                *("-c", str(pack / "requirements" / f"constraints-py{version}.txt")),
                f"{wheel}[notebook,scale]",
            ],
            env=env,
            check=True,
            capture_output=True,
        )
        downloaded = folder_mib(downloads)
        site = next((venv / "lib").glob("python3*/site-packages"))
        sizes = sorted(
            (
                (folder_mib(p) if p.is_dir() else p.stat().st_size / 2**20, p.name)
                for p in site.iterdir()
            ),
            reverse=True,
        )
        unwanted = sorted(p.name for p in site.iterdir() if p.name.lower().startswith(UNWANTED))
        distributions = len(list(site.glob("*.dist-info")))
        check_ok = "✅" in setup.stdout and "❌" not in setup.stdout
        shutil.rmtree(pack, ignore_errors=True)

    largest = ", ".join(f"{name} {mib:.0f}" for mib, name in sizes[:8])
    table = "\n".join(
        [
            "| Python | set-up (s) | installed .venv (MiB) | (GB) | of which bytecode (MiB) "
            "| download (MiB) | packages | check-env | unwanted |",
            "|---|---:|---:|---:|---:|---:|---:|---|---|",
            f"| {version} | {seconds:.0f} | {installed:.0f} | {installed * 2**20 / 1e9:.3f} "
            f"| {bytecode:.0f} | {downloaded:.0f} | {distributions} | "
            f"{'all ✅' if check_ok else 'not all ✅'} | {', '.join(unwanted) or 'none'} |",
            "",
            f"Largest installed (MiB): {largest}.",
        ]
    )
    print(table)
    if args.record:
        record("install_size.py", table, f"; pack {args.pack.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
