"""The docs' measured numbers, from one committed results snapshot (docs/results/).

    python workflow/scripts/docs_numbers.py snapshot RESULTS [--log LOG] [--command CMD]
        [--configfile FILE] [--note TEXT] [--wall-s SECONDS]
    python workflow/scripts/docs_numbers.py render [--check]

`snapshot` copies a finished run's summary tables into docs/results/ and writes
docs/results/snapshot.json; `render` rewrites every `<!-- numbers:NAME -->` block of
README.md, docs/findings.md, docs/configuration.md and docs/method.md from them (and from
the config files); `render --check` writes nothing and exits 1 naming each stale block
(make lint runs it). The blocks: mpbench/analysis/docs_blocks.py.
"""

import argparse
import sys
from pathlib import Path

from mpbench.analysis.docs_numbers import DEFAULT_CONFIG, DocsNumbersError, render, snapshot

ROOT = Path(__file__).resolve().parents[2]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="action", required=True)
    take = commands.add_parser("snapshot", help="copy a finished run's tables to docs/results/")
    take.add_argument("results", type=Path)
    take.add_argument("--log", type=Path, help="its Snakemake log (default: the newest)")
    take.add_argument("--command", default="make", help="the command that made the run")
    take.add_argument("--configfile", default=DEFAULT_CONFIG)
    take.add_argument("--note", default="", help="what the run was, if not the quoted one")
    take.add_argument("--wall-s", type=float, help="the run's wall time (default: the log's)")
    show = commands.add_parser("render", help="rewrite the docs' numbered blocks")
    show.add_argument("--check", action="store_true", help="write nothing; fail if stale")
    args = parser.parse_args(argv)
    try:
        if args.action == "snapshot":
            meta = snapshot(
                args.results, args.log, ROOT, args.command, args.configfile, args.note, args.wall_s
            )
            print(f"docs/results/snapshot.json: commit {meta['commit']}, {meta['wall_s']:.0f} s")
            return 0
        stale = render(ROOT, check=args.check)
    except DocsNumbersError as error:
        print(f"docs_numbers: {error}", file=sys.stderr)
        return 2
    for name in stale:
        print(f"{'stale' if args.check else 'rendered'}: {name}", file=sys.stderr)
    if args.check and stale:
        print("docs_numbers: run `python workflow/scripts/docs_numbers.py render`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
