"""The summary as tables to read: Markdown (results/summary/cells.md), HTML for the report
(cells.html, and flagged.html: the implausible, unresolved and flagged cells), and
`summarize`, which reads the records and writes them all with the CSV tables of
mpbench.analysis.summary.
"""

from pathlib import Path

import pandas as pd

from mpbench import metadata, record, stats
from mpbench.analysis.summary import CV_FLAG, cells_table, percent, repeats_table
from mpbench.strategy import NO_START_METHOD


def machine(host: str, node: str) -> str:
    """Where a group of cells ran: the host, and the Slurm node where it is another name."""
    return host if node == host else f"{host}, node {node}"


def markdown_table(cells: pd.DataFrame) -> str:
    """The summary as a Markdown table, one per workload and N, fastest first."""
    out = []
    for (workload, n, host, node, python), group in cells.groupby(
        ["workload", "n", "hostname", "node", "python_version"], sort=True
    ):
        cores = int(group["cores"].iloc[0])
        where = machine(host, node)
        out.append(f"### {workload}, N = {n:,} ({where}, Python {python}, {cores} cores)\n")
        data = workload_has_payload(group)
        out.append(
            "| strategy | start method | split | P | median (s) | min (s) | IQR (s) | CV | "
            "rounds | speedup [95 % CI] | efficiency | Karp–Flatt | "
            + ("set-up (s) | peak PSS (MB) | (PSS − baseline) / payload | " if data else "")
            + "note |"
        )
        out.append(
            "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
            + ("---:|---:|---:|" if data else "")
            + "---|"
        )
        for row in _display_order(group).itertuples():
            notes = [
                note
                for flag, note in (
                    (row.reference, "reference, not parallel"),
                    (row.oversubscribed, "oversubscribed"),
                    (row.unresolved, f"unresolved: CI wider than ±{stats.RESOLUTION:.0%}"),
                    (row.implausible, "IMPLAUSIBLE: interval beyond the ideal"),
                    (row.flagged, f"flagged: {row.flag_reason}"),
                    (row.correct is False, "WRONG"),
                    (bool(row.skipped), f"skipped: {row.skipped}"),
                )
                if flag
            ]
            memory = (
                (
                    f"{_num(row.setup_median_s, 4)} | {_num(row.peak_pss_bytes / 1e6, 0)} | "
                    f"{_num(row.pss_over_payload, 2)} | "
                )
                if data
                else ""
            )
            out.append(
                f"| {row.strategy} | {row.start_method} | {row.split} | {row.processes} | "
                f"{_num(row.median_s, 4)} | {_num(row.min_s, 4)} | {_num(row.iqr_s, 4)} | "
                f"{percent(row.cv)} | {row.rounds} | {_interval(row)} | "
                f"{_num(row.efficiency, 2)} | {_num(row.karp_flatt)} | {memory}"
                f"{', '.join(notes)} |"
            )
        out.append("")
    return "\n".join(out)


HTML_COLUMNS = [
    "strategy",
    "start_method",
    "split",
    "processes",
    "median_s",
    "min_s",
    "iqr_s",
    "cv",
    "rounds",
    "t1_s",
    "speedup",
    "speedup_low",
    "speedup_high",
    "unresolved",
    "implausible",
    "efficiency",
    "karp_flatt",
    "setup_median_s",
    "startup_median_s",
    "compute_median_s",
    "teardown_median_s",
    "peak_pss_bytes",
    "peak_uss_bytes",
    "pss_over_payload",
    "oversubscribed",
    "flagged",
    "correct",
    "skipped",
]
FLAGGED_COLUMNS = [
    "n",
    "strategy",
    "start_method",
    "split",
    "processes",
    "flag_reason",
    "median_s",
    "min_s",
    "max_s",
    "cv",
    "other_cpu_cores",
    "workload",
]
INTERVAL_COLUMNS = [
    "n",
    "strategy",
    "start_method",
    "split",
    "processes",
    "rounds",
    "rounds_stop",
    "speedup",
    "speedup_low",
    "speedup_high",
    "t1_s",
    "median_s",
    "workload",
]
HTML_STYLE = """<style>
body { font-family: sans-serif; font-size: 13px; margin: 1em; }
table { border-collapse: collapse; margin-bottom: 1.5em; }
th, td { border-bottom: 1px solid #ddd; padding: 3px 8px; text-align: right; }
th { background: #f3f3f3; } td:nth-child(-n+2) { text-align: left; }
tr.flagged td { color: #777; font-style: italic; }
</style>"""


def html_table(cells: pd.DataFrame) -> str:
    """The summary as a standalone HTML page (for the report), one table per N."""
    parts = [
        HTML_STYLE,
        "<p>Rows in grey italics are flagged: their times vary by more "
        "than 10 % (CV), or other processes kept the machine busy while they ran (see the "
        "list of flagged cells). Speedup: the median over the cell's paired rounds of "
        "T1 / TP, with its 95 % interval (speedup_low, speedup_high); unresolved where "
        "that interval reaches further than ±5 %. Times in seconds; the phases (set-up, "
        "start-up, compute, teardown) are medians over the rounds; P above the core count "
        "is oversubscribed. "
        "Memory: the median over the memory runs (untimed runs after the rounds, which are "
        "not sampled) of each run's peak PSS and USS summed over the process tree, in bytes; "
        "pss_over_payload = (peak PSS − the interpreters' "
        "baseline) / (input + output bytes).</p>",
    ]
    for (workload, n, host, node, python), group in cells.groupby(
        ["workload", "n", "hostname", "node", "python_version"], sort=True
    ):
        parts.append(
            f"<h3>{workload}, N = {n:,} ({machine(host, node)}, Python {python}, "
            f"{int(group['cores'].iloc[0])} cores)</h3>"
        )
        rows = _display_order(group)[HTML_COLUMNS]
        table = rows.to_html(index=False, float_format=lambda v: f"{v:.4g}", na_rep="–", border=0)
        for flagged in rows["flagged"]:  # mark flagged rows, in order
            table = table.replace("<tr>\n", f'<tr class="{"flagged" if flagged else "ok"}">\n', 1)
        parts.append(table)
    return "\n".join(parts)


def flagged_html(cells: pd.DataFrame) -> str:
    """The cells to read with care, with why, as a standalone HTML page (for the report):
    implausible ones, unresolved ones, and flagged ones."""
    order = ["workload", "n", "strategy", "processes"]

    def table(rows: pd.DataFrame, columns: list[str]) -> str:
        if rows.empty:
            return ""
        return rows.sort_values(order)[columns].to_html(
            index=False, float_format=lambda v: f"{v:.4g}", na_rep="–", border=0
        )

    measured = cells[cells["rounds"] > 0]
    implausible, unresolved = cells[cells["implausible"]], measured[measured["unresolved"]]
    flagged = cells[cells["flagged"]]
    return "\n".join(
        [
            HTML_STYLE,
            f"<h3>Implausible: {len(implausible)} of {len(measured)} cells</h3>"
            "<p>The whole 95 % interval of the speedup lies above the ideal min(P, cores), or a "
            "process strategy at P = 1 is faster than single. Not a finding: a measurement "
            "problem, or an effect (such as caches) to explain before trusting it.</p>",
            table(implausible, INTERVAL_COLUMNS),
            f"<h3>Unresolved: {len(unresolved)} of {len(measured)} cells</h3>"
            f"<p>The speedup's 95 % interval reaches further than ±{stats.RESOLUTION:.0%} from it "
            "after the rounds the cell could spend (rounds_stop says why it stopped). Differences "
            "within such an interval are not findings.</p>",
            table(unresolved, INTERVAL_COLUMNS),
            f"<h3>Flagged: {len(flagged)} of {len(cells)} cells</h3>"
            f"<p>Their strategy times vary by more than {CV_FLAG:.0%} (coefficient of variation), "
            f"or processes outside the cell kept more than {metadata.BUSY_CORES} cores busy on "
            "average while it ran (<code>other_cpu_cores</code>, from /proc/stat), or the "
            f"hypervisor stole more than {metadata.STOLEN_FLAG:.0%} of the CPU time. Their paired "
            "speedups still compare like with like; their times are less trustworthy. To measure "
            "a cell again, delete its record under results/cells/ and run snakemake again.</p>",
            table(flagged, FLAGGED_COLUMNS),
        ]
    )


def workload_has_payload(cells: pd.DataFrame) -> bool:
    """Whether these cells move data (array), so that memory per payload means something."""
    return bool(cells["payload_bytes"].notna().any())


def _display_order(group: pd.DataFrame) -> pd.DataFrame:
    """Rows of one N: by start method (the full sweep's first), then P, fastest first."""
    methods = list(dict.fromkeys(group["start_method"]))
    rank = {m: (m != NO_START_METHOD, i) for i, m in enumerate(methods)}
    return group.sort_values(
        ["start_method", "processes", "median_s"],
        key=lambda c: c.map(rank) if c.name == "start_method" else c,
    )


def _interval(row) -> str:
    if pd.isna(row.speedup):
        return "–"
    return f"{row.speedup:.2f} [{row.speedup_low:.2f}, {row.speedup_high:.2f}]"


def _num(value: float, digits: int = 3) -> str:
    return "–" if pd.isna(value) else f"{value:.{digits}f}"


def read_or_say_how_to_remeasure(path, read=record.read) -> dict:
    """A record (read by `read`: a cell's, or an ipc cell's), or RecordError naming its file
    and the command that measures it again."""
    try:
        return read(path)
    except record.RecordError as error:
        raise record.RecordError(
            f"{error}; measure this cell again with: snakemake --cores 2 --force {path}"
        ) from None


def summarize(
    record_paths: list, cells_csv, repeats_csv, markdown, html, flagged
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read every record (a corrupt one fails naming its file) and write the tables;
    return the cells and the rounds."""
    records = [read_or_say_how_to_remeasure(path) for path in record_paths]
    cells = cells_table(records)
    repeats = repeats_table(records)
    for path in (cells_csv, repeats_csv, markdown, html, flagged):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    cells.to_csv(cells_csv, index=False, float_format="%.6g")
    repeats.to_csv(repeats_csv, index=False, float_format="%.6g")
    Path(markdown).write_text(markdown_table(cells), encoding="utf-8")
    Path(html).write_text(html_table(cells), encoding="utf-8")
    Path(flagged).write_text(flagged_html(cells), encoding="utf-8")
    return cells, repeats
