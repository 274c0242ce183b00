"""What sampling memory during the timed rounds would cost the speedup: an A/B of the sampler.

    python workflow/scripts/sampler_bias.py [--pairs 8] [--rounds 10] [--processes 1,2]
        [--cell WORKLOAD:STRATEGY:N ...] [--output results/sampler_bias/sampler_bias.csv]

The harness samples the memory of a cell's process tree only outside its timed rounds (in
the memory baseline and the memory runs after the rounds, docs/method.md). It once sampled
all along, the rounds included, from the supervisor, a process beside the cell's: on a
machine whose cores the strategy's workers fill, that takes a share of a core that `single`
(one process) leaves free, and each strategy run also stopped its clock for a sample at the
end of its compute. This measures what that did to the speedup, on finished code: each cell
runs with the sampler on during its rounds (A: the strategy script's --sample-during-rounds,
which exists only for this A/B) and off (B, as the workflow runs it), in pairs: each pair
runs A and B back to back in a random order, and the pairs of all cells are interleaved, so
that a machine that slows down meanwhile slows both sides of a pair.

Per cell and P it writes the ratio of the speedups S_A / S_B (each the cell's paired speedup,
the median of its rounds' T1 / TP), the median over the pairs with its distribution-free
95 % interval (mpbench.stats; 6 pairs at least for 95 %), to --output as CSV, and each run's
speedup beside it (<output>_runs.csv). A ratio below 1: sampling during the rounds made the
strategy look slower than it is. Run it on a quiet machine; it is not part of the workflow.
"""

import argparse
import csv
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mpbench import metadata, record, stats  # noqa: E402
from mpbench.experiment import registry  # noqa: E402

CELLS = ("primes:pool_map:300000", "array:shared_memory:10000000")
SIDES = {"on": ["--sample-during-rounds"], "off": []}  # A and B
COLUMNS = [
    "workload",
    "strategy",
    "n",
    "processes",
    "start_method",
    "pairs",
    "rounds",
    "speedup_on",
    "speedup_off",
    "ratio",
    "ratio_low",
    "ratio_high",
    "ratio_coverage",
    "sampler_cpu_cores_on",
    "busy_runs",
    "hostname",
    "cores",
    "python_version",
    "seed",
]
RUN_COLUMNS = [
    "workload",
    "strategy",
    "n",
    "processes",
    "pair",
    "side",
    "first",
    "sampled",
    "speedup",
    "speedup_low",
    "speedup_high",
    "rounds",
    "busy",
]


def cell(text: str) -> tuple[str, str, int]:
    """--cell WORKLOAD:STRATEGY:N, checked against the strategies that exist."""
    parts = text.split(":")
    if len(parts) != 3 or not parts[2].isdigit() or int(parts[2]) < 2:
        raise argparse.ArgumentTypeError(
            f"must be WORKLOAD:STRATEGY:N with N an integer >= 2, e.g. {CELLS[0]}; got {text!r}"
        )
    workload, strategy, n = parts[0], parts[1], int(parts[2])
    if strategy not in registry.names():
        raise argparse.ArgumentTypeError(
            f"unknown strategy {strategy!r} in {text!r}; allowed: {', '.join(registry.names())}"
        )
    if workload not in registry.workloads(strategy):
        raise argparse.ArgumentTypeError(
            f"{strategy} does not run workload {workload!r}; it runs: "
            f"{', '.join(registry.workloads(strategy))}"
        )
    return workload, strategy, n


def counts(text: str) -> list[int]:
    """--processes: process counts, comma-separated, each >= 1."""
    try:
        values = [int(part) for part in text.split(",")]
    except ValueError:
        values = []
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(
            f"must be process counts >= 1 separated by commas, e.g. 1,2; got {text!r}"
        )
    return list(dict.fromkeys(values))


def positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text!r}")
    return int(text)


def parser() -> argparse.ArgumentParser:
    cores = len(os.sched_getaffinity(0))
    default_p = "1" if cores == 1 else f"1,{cores}"
    parse = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog=__doc__.split("\n\n", 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parse.add_argument
    add("--cell", type=cell, action="append", help=f"(default: {' and '.join(CELLS)})")
    add("--processes", type=counts, default=counts(default_p), help=f"(default: {default_p})")
    add("--pairs", type=positive, default=8, help="A/B pairs per cell and P (default: 8)")
    add("--rounds", type=positive, default=10, help="paired rounds in each run (default: 10)")
    add("--start-method", default=None, help="(default: the platform's)")
    add("--timeout", type=positive, default=600, help="seconds per run (default: 600)")
    add("--seed", type=int, default=None, help="seed of the run order (default: random)")
    add("--output", type=Path, default=Path("results/sampler_bias/sampler_bias.csv"))
    return parse


def run(cell_: tuple[str, str, int], processes: int, side: str, args, folder: Path) -> dict:
    """One run of a cell, with the sampler on or off during its rounds; its record."""
    workload, strategy, n = cell_
    output = folder / f"{strategy}-{workload}-n{n}-p{processes}-{side}.json"
    command = [
        sys.executable,
        str(registry.script(strategy)),
        *("--workload", workload, "--n", str(n), "--processes", str(processes)),
        *("--warmups", "0", "--min-rounds", str(args.rounds), "--max-rounds", str(args.rounds)),
        *("--memory-runs", "1", "--timeout", str(args.timeout), "--output", str(output)),
        *(["--start-method", args.start_method] if args.start_method else []),
        *SIDES[side],
    ]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise SystemExit(f"sampler_bias: {strategy} {workload} n={n} P={processes} {side}: {last}")
    rec = record.read(output)
    output.unlink()
    return rec


def measure(args) -> tuple[list[dict], list[dict]]:
    """Every pair of every cell and P, interleaved; (summary rows, run rows)."""
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    rng = random.Random(seed)
    groups = [(c, p) for c in args.cell or [cell(text) for text in CELLS] for p in args.processes]
    runs: dict[tuple, list[dict]] = {group: [] for group in groups}
    rows = []
    with tempfile.TemporaryDirectory(prefix="sampler-bias-") as folder:
        for pair in range(1, args.pairs + 1):
            for group in rng.sample(groups, len(groups)):
                sides = rng.sample(list(SIDES), 2)
                for side in sides:
                    rec = run(*group, side, args, Path(folder))
                    paired = stats.paired_speedup(rec["baseline_s"], rec["repeats_s"])
                    runs[group].append({"pair": pair, "side": side, "record": rec})
                    rows.append(
                        {
                            "workload": rec["workload"],
                            "strategy": rec["strategy"],
                            "n": rec["n"],
                            "processes": rec["processes"],
                            "pair": pair,
                            "side": side,
                            "first": side == sides[0],
                            "sampled": rec["rounds"]["sampled"],
                            "speedup": round(paired.value, 5),
                            "speedup_low": round(paired.low, 5),
                            "speedup_high": round(paired.high, 5),
                            "rounds": len(rec["repeats_s"]),
                            "busy": metadata.is_busy(rec["background"]),
                        }
                    )
                    print(
                        f"pair {pair}: {rec['strategy']} {rec['workload']} n={rec['n']} "
                        f"P={rec['processes']} sampler {side}: speedup {paired.value:.3f}",
                        file=sys.stderr,
                        flush=True,
                    )
    return [summarize(group, runs[group], seed) for group in groups], rows


def summarize(group, runs: list[dict], seed: int) -> dict:
    """One cell and P: the median over the pairs of S_on / S_off, with its interval."""
    (workload, strategy, n), processes = group
    speedup = {side: {} for side in SIDES}
    for entry in runs:
        rec = entry["record"]
        speedup[entry["side"]][entry["pair"]] = stats.paired_speedup(
            rec["baseline_s"], rec["repeats_s"]
        ).value
    pairs = sorted(speedup["on"])
    # the same statistic as a cell's speedup, over pairs of runs instead of rounds
    ratio = stats.paired_speedup(
        [speedup["on"][p] for p in pairs], [speedup["off"][p] for p in pairs]
    )
    on = [e["record"] for e in runs if e["side"] == "on"]
    env = on[0]["environment"]
    cpu = [r["memory"]["sampler"]["cpu_cores"] for r in on if r["memory"]["sampler"]["cpu_cores"]]
    return {
        "workload": workload,
        "strategy": strategy,
        "n": n,
        "processes": processes,
        "start_method": on[0]["start_method"] or "none",
        "pairs": len(pairs),
        "rounds": len(on[0]["repeats_s"]),
        "speedup_on": round(stats.median(speedup["on"].values()), 4),
        "speedup_off": round(stats.median(speedup["off"].values()), 4),
        "ratio": round(ratio.value, 4),
        "ratio_low": round(ratio.low, 4),
        "ratio_high": round(ratio.high, 4),
        "ratio_coverage": round(ratio.coverage, 4),
        "sampler_cpu_cores_on": round(stats.median(cpu), 4) if cpu else "",
        # runs during which other processes kept the machine busy (mpbench.metadata)
        "busy_runs": sum(metadata.is_busy(e["record"]["background"]) for e in runs),
        "hostname": env["hostname"],
        "cores": len(env["cpu_affinity"]),
        "python_version": env["python_version"],
        "seed": seed,
    }


def write(path: Path, columns: list[str], rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    summary, runs = measure(args)
    write(args.output, COLUMNS, summary)
    write(args.output.with_name(f"{args.output.stem}_runs.csv"), RUN_COLUMNS, runs)
    for row in summary:
        print(
            f"{row['strategy']} {row['workload']} n={row['n']} P={row['processes']}: "
            f"S_on / S_off = {row['ratio']:.3f} [{row['ratio_low']:.3f}, {row['ratio_high']:.3f}] "
            f"({row['ratio_coverage']:.1%} interval, {row['pairs']} pairs)"
        )
    print(f"written: {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
