"""Compare two mpbench results sets: python workflow/scripts/compare.py A B [--output DIR].

A and B are results folders (each with summary/repeats.csv), e.g. before and after a change
to a strategy, or two machines. Every common cell is compared on its strategy's times and,
where both sets have paired rounds (baseline times), on its paired speedup, which a change of
machine speed leaves alone. Writes DIR/compare.csv, DIR/compare.txt, DIR/compare.png (top:
times, bottom: speedups), for paired results DIR/variance.csv (where the speedups' noise comes
from: round to round, or run to run), and prints a one-line summary, ending with the share of cells
(single >= 50 ms in A) whose speedups agree within 5 % and whose intervals overlap. Runs on
its own or as the Snakemake rule `compare`.
"""

import argparse
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mpbench.analysis.compare import (  # noqa: E402
    MixedResults,
    compare,
    describe,
    figure,
    summary_line,
    variance_components,
)


def run(folder_a: Path, folder_b: Path, output: Path) -> pd.DataFrame:
    folders = (folder_a, folder_b)
    tables = [pd.read_csv(Path(folder) / "summary" / "repeats.csv") for folder in folders]
    table = compare(*tables)
    output.mkdir(parents=True, exist_ok=True)
    table.to_csv(output / "compare.csv", index=False, float_format="%.6g")
    (output / "compare.txt").write_text(f"A = {folder_a}\nB = {folder_b}\n{summary_line(table)}\n")
    labels = [f"{folder} ({describe(repeats)})" for folder, repeats in zip(folders, tables)]
    figure(table, output / "compare.png", *labels)
    if "baseline_s" in tables[0] and "baseline_s" in tables[1]:
        components = variance_components(*tables)
        components.to_csv(output / "variance.csv", index=False, float_format="%.4g")
    return table


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", type=Path, help="results folder A (the reference)")
    parser.add_argument("b", type=Path, help="results folder B (compared with A)")
    parser.add_argument("--output", type=Path, default=Path("results/compare"))
    args = parser.parse_args(argv)
    for folder in (args.a, args.b):
        if not (folder / "summary" / "repeats.csv").is_file():
            parser.error(f"{folder}: no summary/repeats.csv (run snakemake there first)")
    try:
        table = run(args.a, args.b, args.output)
    except (MixedResults, ValueError) as error:
        parser.error(str(error))
    print(summary_line(table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
