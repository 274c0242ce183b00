"""Export an mpbench results set as a pyperf suite: export_pyperf.py RESULTS --output FILE.json

RESULTS is a results folder (with summary/repeats.csv) from one host and Python build.
FILE.json is a pyperf benchmark suite: one benchmark per cell
(workload/strategy/start_method/split/nN-pP), one run per round, valued the strategy's time
in seconds; the round's baseline time, speedup and order are in its metadata. Read it with
`python -m pyperf stats FILE.json` or `python -m pyperf compare_to A.json B.json` (which
compares times, not paired speedups: use compare.py for those). An existing FILE is replaced;
a name ending in .gz is compressed.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mpbench.analysis.pyperf_export import export  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, help="results folder (with summary/repeats.csv)")
    parser.add_argument("--output", type=Path, required=True, help="pyperf JSON file to write")
    args = parser.parse_args(argv)
    if not (args.results / "summary" / "repeats.csv").is_file():
        parser.error(f"{args.results}: no summary/repeats.csv (run snakemake there first)")
    try:
        suite = export(args.results, args.output)
    except ValueError as error:  # MixedResults, a set with no round, a value pyperf refuses
        parser.error(" ".join(str(error).split()))
    rounds = sum(benchmark.get_nrun() for benchmark in suite)
    print(f"{args.output}: {len(suite)} benchmarks, {rounds} runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
