"""Write exercises/*.ipynb from solutions/*.ipynb (``make exercises``).

With ``--check``, write nothing and exit 1 if any exercise is stale or orphaned.
"""

from __future__ import annotations

import argparse
import sys

from exercises import generate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="only report stale exercises")
    args = parser.parse_args()
    messages = generate(check_only=args.check)
    for message in messages:
        print(message)
    failed = args.check and messages
    if not messages:
        print("exercises are up to date")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
