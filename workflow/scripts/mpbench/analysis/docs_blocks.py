"""The docs' numbered blocks (mpbench.analysis.docs_numbers): each a function of the snapshot
returning Markdown, registered by its name. The tables are the project's own renderers
(engines_table.py, mpbench.analysis.tables, mpbench.analysis.ipc); the sentences say what
the snapshot's rows say, and say so plainly where a file or column is absent."""

import engines_table  # (workflow/scripts/ is on the path of every script and test)
import numpy as np
import pandas as pd

from mpbench.analysis import ipc
from mpbench.analysis.docs_numbers import block

# (started in the call, kept alive): declared once, in engines_table.py
PAIRS = engines_table.PAIRS
OWN_METHODS = ("loky", "dask")
ABSENT = "*Not in this snapshot.*"


def _s(r) -> str:
    """A cell's speedup [95 % CI], saying so when the cell is flagged or unresolved."""
    marks = [
        word
        for word in ("flagged", "unresolved")
        if str(getattr(r, word, "")).lower() in ("true", "1", "1.0")
    ]
    marks = f" ({', '.join(marks)})" if marks else ""
    return f"{r.speedup:.2f} [{r.speedup_low:.2f}, {r.speedup_high:.2f}]{marks}"


def _measured(cells: pd.DataFrame) -> pd.DataFrame:
    skipped = cells["skipped"].notna() & (cells["skipped"].astype(str) != "")
    return cells[~skipped & cells["speedup"].notna()]


def _at(cells: pd.DataFrame, workload: str, n: str = "max"):
    """The measured cells of a workload at its largest (or smallest) N and P = cores."""
    rows = _measured(cells[cells["workload"] == workload])
    if rows.empty:
        return rows, None, None
    size = getattr(rows["n"], n)()
    rows = rows[rows["n"] == size]
    cores = int(rows["cores"].max())
    return rows[rows["processes"] == cores], int(size), cores


def _range(values, fmt="{:.2f}") -> str:
    low, high = min(values), max(values)
    return (
        fmt.format(low)
        if fmt.format(low) == fmt.format(high)
        else f"{fmt} to {fmt}".format(low, high)
    )


@block
def run(snap) -> str:
    """Where and how the quoted run was made."""
    meta, machine = snap.meta, snap.meta["machine"]
    note = f" ({meta['note']})" if meta.get("note") else ""
    return (
        f"Every number in these blocks is from one run{note}: `{meta['command']}` at commit "
        f"{str(meta['commit'])[:7]} on {meta['date']}, on {machine['cpu_model']} "
        f"({machine['cores']} cores usable), Python {machine['python_version']}; its tables are "
        "in `docs/results/` (`docs/results/snapshot.json` describes the run)."
    )


@block
def run_time(snap) -> str:
    """The run's wall time and what its jobs cost, by workload (job_times.csv)."""
    meta, times = snap.meta, snap.csv("job_times.csv")
    minutes, seconds = divmod(round(meta["wall_s"]), 60)
    text = f"`{meta['command']}` took {minutes} min {seconds} s ({meta['wall_source']})"
    if times is None or times.empty:
        return text + "; its job times are not in this snapshot."
    parts = times.assign(what=times["part"].str.split().str[-1])
    measured = parts[parts["part"].str.startswith("measure")].groupby("what")["seconds"].sum()
    listed = ", ".join(f"{w} {s / 60:.1f}" for w, s in measured.sort_values()[::-1].items())
    return (
        f"{text}, {times['seconds'].sum() / 60:.1f} min of it in jobs "
        f"(`python workflow/scripts/job_times.py`; measuring, in minutes: {listed})."
    )


@block
def job_times(snap) -> str:
    """The job-times table of the run (workflow/scripts/job_times.py --by workload)."""
    times = snap.csv("job_times.csv")
    if times is None:
        return ABSENT
    rows = [f"| {r.part} | {r.jobs} | {r.seconds / 60:.1f} |" for r in times.itertuples()]
    return "\n".join(["| part | jobs | minutes |", "|---|---:|---:|", *rows])


@block
def strategies(snap) -> str:
    """The primes headline: the process strategies at the largest N and P = cores."""
    cells = snap.csv("cells.csv")
    rows, n, cores = _at(cells, "primes")
    if n is None:
        return "No primes cell in this snapshot."
    fork = rows[rows["start_method"] == "fork"]
    warm = fork["pool"].astype(str) == "warm" if "pool" in fork.columns else fork["n"] < 0
    kept, fork = fork[warm], fork[~warm]
    pools = fork[fork["strategy"] != "manager"]
    dynamic = pools[pools["split"] == "dynamic"]
    text = [f"**Strategies** (primes, N = {n:,}, P = {cores}, fork):"]
    if len(dynamic):
        text.append(
            f"the {len(dynamic)} process strategies that start their workers in the call and "
            f"hand out work dynamically reach {_range(dynamic['speedup'])} times one process."
        )
    kept = kept[kept["split"] == "dynamic"]
    if len(kept):
        text.append(
            f"Kept alive across calls (the {len(kept)} warm pools: "
            f"{', '.join(f'`{name}`' for name in kept['strategy'])}), they reach "
            f"{_range(kept['speedup'])}."
        )
    both = pools.pivot_table(index="strategy", columns="split", values="speedup")
    if {"static", "dynamic"} <= set(both.columns):
        loss = (1 - both["static"] / both["dynamic"]).dropna()
        text.append(
            f"Against the dynamic split, a static one was slower for {(loss > 0).sum()} of "
            f"{len(loss)} of them (median change of the speedup: {-loss.median():+.0%})."
        )
    for name in ("manager", "threads"):
        own = rows[(rows["strategy"] == name) & (rows["split"] == "dynamic")]
        for r in own.itertuples():
            text.append(f"`{name}` (dynamic split): {_s(r)}.")
    sieve = _measured(cells[(cells["strategy"] == "numpy_sieve") & (cells["n"] == n)])
    for r in sieve.itertuples():
        text.append(f"A numpy sieve in one process is {r.speedup:,.0f} times faster than `single`.")
    return " ".join(text)


def _engine_rows(cells: pd.DataFrame, workload: str, split: str = "dynamic") -> tuple:
    rows, n, cores = _at(cells, workload)
    if n is None:
        return [], n, cores
    rows = rows[rows["start_method"].isin(["fork", *OWN_METHODS])]
    if split in set(rows["split"]):
        rows = rows[rows["split"] == split]
    out = []
    for cold, warm in PAIRS:
        for name, kept in ((cold, "no"), (warm, "yes")):
            out += [(r, kept) for r in rows[rows["strategy"] == name].itertuples()]
    return out, n, cores


@block
def engines(snap) -> str:
    """The engines beside the pools, each started in the call beside its kept-alive twin."""
    cells = snap.csv("cells.csv")
    rows, n, cores = _engine_rows(cells, "primes")
    if not rows:
        return "No engine or pool cell on primes in this snapshot."
    extra = "baseline" in cells.columns
    head = (
        f"| primes, N = {n:,}, P = {cores}, dynamic split | pool kept alive | speedup [95 % CI] "
        "| start-up | teardown | memory above the interpreters |" + (" baseline |" if extra else "")
    )
    lines = [head, "|---|---|---:|---:|---:|---:|" + ("---:|" if extra else "")]
    for r, kept in rows:
        values = engines_table.columns(r) + ([str(r.baseline)] if extra else [])
        lines.append(f"| `{r.strategy}` | {kept} | {' | '.join(values)} |")
    return "\n".join(lines)


@block
def engines_array(snap) -> str:
    """The engines on the array workload, against one process."""
    rows, n, cores = _engine_rows(snap.csv("cells.csv"), "array")
    engines = [r for r, _ in rows if r.start_method in OWN_METHODS]
    if not engines:
        return "No engine cell on the array workload in this snapshot."
    listed = ", ".join(f"`{r.strategy}` {r.speedup:.2f}" for r in engines)
    return f"On the array workload (N = {n:,}, P = {cores}) the engines reach: {listed}."


@block
def engines_all(snap) -> str:
    """Every engine and pool at every size (engines_table.py's own tables)."""
    return engines_table.table(snap.csv("cells.csv"), None).strip() or ABSENT


@block
def strategies_all(snap) -> str:
    """Every strategy at P = cores, per workload and N (the summary's own Markdown table)."""
    from mpbench.analysis.tables import markdown_table

    cells = snap.csv("cells.csv")
    cells = cells[cells["processes"] == cells["cores"]]
    skipped = cells["skipped"].astype(object)  # read back from CSV, "not skipped" is NaN
    cells = cells.assign(skipped=skipped.where(skipped.notna(), None))
    return markdown_table(cells).replace("### ", "#### ").strip()


@block
def start_methods(snap) -> str:
    """Start-up and teardown by start method at P = cores (medians over the strategies)."""
    cells = _measured(snap.csv("cells.csv"))
    cores = int(cells["cores"].max())
    rows = cells[(cells["processes"] == cores) & cells["startup_median_s"].notna()]
    if rows.empty:
        return ABSENT
    lines = [
        f"| start method (P = {cores}) | cells | start-up, median [range] | teardown, median |",
        "|---|---:|---:|---:|",
    ]
    for method, group in rows.groupby("start_method", sort=True):
        up, down = group["startup_median_s"] * 1e3, group["teardown_median_s"] * 1e3
        lines.append(
            f"| {method} | {len(group)} | {up.median():.1f} ms "
            f"[{up.min():.1f}, {up.max():.1f}] | {down.median():.1f} ms |"
        )
    return "\n".join(lines)


def _ipc(snap):
    cells, costs = snap.csv("ipc_cells.csv"), snap.csv("ipc_costs.csv")
    if cells is None or cells.empty:
        return None, None
    return cells[cells["processes"] == 1], costs[costs["processes"] == 1]


@block
def ipc_table(snap) -> str:
    """Per mechanism: the smallest round trip, the largest stream, the stream cost line."""
    cells, costs = _ipc(snap)
    if cells is None:
        return "No ipc cell in this snapshot."
    ping = cells[cells["pattern"] == "pingpong"]
    stream = cells[cells["pattern"] == "stream"]
    small = ping[ping["n"] == ping["n"].min()] if len(ping) else ping
    large = stream[stream["n"] == stream["n"].max()] if len(stream) else stream
    lines = [
        f"| mechanism | {ipc._size(int(small['n'].min())) if len(small) else '—'} round trip "
        f"(× raw pipe) | {ipc._size(int(large['n'].max())) if len(large) else '—'} stream "
        "(share of memcpy) | stream cost line: a, b |",
        "|---|---:|---:|---:|",
    ]
    names = list(dict.fromkeys([*small.sort_values("latency_median_s")["mechanism"]]))
    names += [m for m in dict.fromkeys(large["mechanism"]) if m not in names]
    for name in names:
        trip = small[small["mechanism"] == name]
        flow = large[large["mechanism"] == name]
        line = costs[(costs["mechanism"] == name) & (costs["pattern"] == "stream")]
        first = next(iter(trip.itertuples()), None) or next(iter(flow.itertuples()))
        lines.append(
            f"| `{name}`{' (reference)' if first.reference else ''} | "
            + " | ".join(
                [
                    "".join(
                        f"{ipc._seconds(r.latency_median_s)} ({r.latency_over_floor:.2f})"
                        for r in trip.itertuples()
                    ),
                    "".join(
                        f"{ipc._rate(r.throughput_Bps)} ({r.ceiling_share:.0%})"
                        for r in flow.itertuples()
                    ),
                    "".join(
                        f"{ipc._seconds(r.a_s)}, {r.b_s_per_byte * 1e9:.2g} ns/B"
                        for r in line.itertuples()
                        if np.isfinite(r.b_s_per_byte)
                    ),
                ]
            )
            + " |"
        )
    return "\n".join(lines)


@block
def ipc_sentences(snap) -> str:
    """The ipc headline: the floor, the best share of the copy, the counters, the fit."""
    cells, costs = _ipc(snap)
    if cells is None:
        return "No ipc cell in this snapshot."
    text = []
    ping = cells[(cells["pattern"] == "pingpong")]
    floor = ping[(ping["mechanism"] == ipc.FLOOR) & (ping["n"] == ping["n"].min())]
    for r in floor.itertuples():
        text.append(
            f"A {ipc._size(r.n)} round trip through a raw `os.pipe` took "
            f"{ipc._seconds(r.latency_median_s)}, the least any mechanism can cost here."
        )
    stream = cells[(cells["pattern"] == "stream") & ~cells["reference"].astype(bool)]
    large = stream[stream["n"] == stream["n"].max()]
    if len(large):
        best = large.loc[large["ceiling_share"].idxmax()]
        text.append(
            f"At {ipc._size(int(best['n']))} the fastest, `{best['mechanism']}`, moved "
            f"{ipc._rate(best['throughput_Bps'])}, {best['ceiling_share']:.0%} of one core's "
            "memory copy."
        )
    counters = costs[costs["pattern"] == "counter"]
    if len(counters):
        listed = ", ".join(
            f"`{r.mechanism}` {ipc._seconds(r.a_s)}"
            for r in counters.sort_values("a_s").itertuples()
        )
        text.append(f"A shared counter's update costs: {listed}.")
    fit = costs["rel_rms"].dropna()
    if len(fit):
        text.append(
            f"The cost lines' points stray from the line by {_range(fit, '{:.0%}')} "
            "(`rel_rms` in `docs/results/ipc_costs.csv`)."
        )
    secure = cells[cells["secure"].astype(str).isin(["True", "False"])]
    if len(secure):
        ok = (secure["secure"].astype(str) == "True").sum()
        text.append(
            f"The remote manager listened on loopback only and refused a wrong authkey in "
            f"{ok} of its {len(secure)} cells."
        )
    return " ".join(text)


@block
def ipc_all(snap) -> str:
    """The ipc summary's own tables (mpbench.analysis.ipc.markdown_tables), headings lowered."""
    cells, costs = snap.csv("ipc_cells.csv"), snap.csv("ipc_costs.csv")
    if cells is None:
        return ABSENT
    text = ipc.markdown_tables(cells, costs).split("\n", 1)[1]
    return text.replace("### ", "##### ").replace("## ", "#### ").strip()


def _compare(snap, name: str, how: str) -> str:
    from mpbench.analysis.compare import summary_line

    table = snap.csv(name)
    if table is None:
        return f"{ABSENT} `{how}` writes `compare.csv`; as `docs/results/{name}` it shows here."
    return f"`{how}`: {summary_line(table)}."


@block
def slurm(snap) -> str:
    """Slurm against local, from docs/results/slurm_compare.csv when there is one."""
    how = "python workflow/scripts/compare.py LOCAL/results SLURM/results"
    return _compare(snap, "slurm_compare.csv", how)


@block
def reproducibility(snap) -> str:
    """The same commit measured twice, from docs/results/aa_compare.csv when there is one."""
    return _compare(
        snap, "aa_compare.csv", "python workflow/scripts/compare.py RUN1/results RUN2/results"
    )


@block
def sampler_bias(snap) -> str:
    """The memory sampler's bias (workflow/scripts/sampler_bias.py), when measured."""
    table = snap.csv("sampler_bias.csv")
    if table is None:
        return f"{ABSENT} `python workflow/scripts/sampler_bias.py` measures it."
    lines = [
        "| cell | P | speedup, sampled in the rounds | speedup, not sampled | ratio [interval] "
        "| pairs | sampler's share of a core |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in table.itertuples():
        lines.append(
            f"| {r.workload} `{r.strategy}`, N = {r.n:,} | {r.processes} | {r.speedup_on:.2f} "
            f"| {r.speedup_off:.2f} | {r.ratio:.2f} [{r.ratio_low:.2f}, {r.ratio_high:.2f}] "
            f"({r.ratio_coverage:.1%}) | {r.pairs} | {r.sampler_cpu_cores_on:.0%} |"
        )
    covers = ((table["ratio_low"] <= 1) & (table["ratio_high"] >= 1)).sum()
    lines.append("")
    lines.append(
        f"In {covers} of {len(table)} cells the interval of the ratio covers 1: no bias from "
        "sampling during the rounds is resolved at this number of pairs; only a bias beyond an "
        "interval's ends is ruled out."
    )
    return "\n".join(lines)
