"""How long each job of a run took, summed by rule and by what it measured, from the
Snakemake log: python workflow/scripts/job_times.py [LOG] [--by rule|workload|strategy].

LOG defaults to the newest .snakemake/log/*.snakemake.log. A job's time is from the stamp
that starts it to the stamp of its "Finished jobid" (whole seconds, as Snakemake logs them):
timing jobs never overlap (resource mpbench_timing), so these add up to the run's time. Use
it to see what a part of the grid costs before trimming or extending a config.
"""

import argparse
import re
import sys
from collections import defaultdict
from datetime import datetime
from pathlib import Path

STAMP = re.compile(r"^\[(\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4})\]$")
RULE = re.compile(r"^(?:local)?rule (\w+):$")
FINISHED = re.compile(r"^Finished jobid: (\d+)")
JOBID = re.compile(r"^jobid: (\d+)$")
WILDCARDS = re.compile(r"^wildcards: (.*)$")


def jobs(log: Path) -> list[dict]:
    """Every finished job: its rule, wildcards and seconds."""
    started, done, when = {}, [], None
    current = None
    for raw in log.read_text(encoding="utf-8", errors="replace").splitlines():
        line = raw.strip()
        if match := STAMP.match(line):
            when = datetime.strptime(match.group(1), "%a %b %d %H:%M:%S %Y")
        elif match := RULE.match(line):
            current = {"rule": match.group(1), "start": when, "wildcards": {}}
        elif current is not None and (match := JOBID.match(line)):
            started[match.group(1)] = current
        elif current is not None and (match := WILDCARDS.match(line)):
            current["wildcards"] = dict(
                part.split("=", 1) for part in match.group(1).split(", ") if "=" in part
            )
        elif match := FINISHED.match(line):
            job = started.pop(match.group(1), None)
            if job is not None:
                done.append({**job, "seconds": (when - job["start"]).total_seconds()})
    return done


def key(job: dict, by: str) -> str:
    wildcards = job["wildcards"]
    if by == "rule":
        return job["rule"]
    what = wildcards.get("workload") or ("ipc" if job["rule"] == "measure_ipc" else "")
    if by == "workload":
        return f"{job['rule']} {what}".strip()
    name = wildcards.get("strategy") or wildcards.get("mechanism") or ""
    return f"{job['rule']} {what} {name}".strip()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log", nargs="?", type=Path)
    parser.add_argument("--by", choices=("rule", "workload", "strategy"), default="workload")
    args = parser.parse_args(argv)
    log = args.log or max(Path(".snakemake/log").glob("*.snakemake.log"), default=None)
    if log is None or not log.is_file():
        parser.error("no Snakemake log: give its path")
    totals, counts = defaultdict(float), defaultdict(int)
    for job in jobs(log):
        totals[key(job, args.by)] += job["seconds"]
        counts[key(job, args.by)] += 1
    print(f"| {args.by} | jobs | minutes |\n|---|---:|---:|")
    for name in sorted(totals, key=totals.get, reverse=True):
        print(f"| {name} | {counts[name]} | {totals[name] / 60:.1f} |")
    print(f"| all | {sum(counts.values())} | {sum(totals.values()) / 60:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
