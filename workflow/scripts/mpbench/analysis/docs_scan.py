"""Checks that keep measured numbers out of hand-written text (tests/test_docs_numbers.py).

- `loose_numbers(text)`: outside the numbered blocks, every number with a unit (ms, µs, s,
  min, MB, GB/s, %, ×, "times") or with a decimal point, unless the allow-list says it is a
  fact, not a measurement.
- `config_comment_errors(snap)`: every cell count, run time or rounds budget stated in a
  comment of config/*.yaml, against the loader's count, the snapshot's measured run and the
  file's own `rounds`.
"""

import re

from mpbench.analysis.docs_numbers import BLOCK, cell_count

UNITS = r"(?:ns|us|µs|ms|s|sec|min|minutes?|hours?|h|[KMG]i?B(?:/s)?|GB/s|MB/s|%|x|×|times)"
NUMBER = re.compile(
    rf"(?<![\w.^/·-])(?:\d[\d,]*\.\d+|\d[\d,]*\s?{UNITS}(?![\w/]))|(?<![\w.])\d+\.\d+(?![\w.])"
)
# facts, not measurements: versions, problem sizes, counts of primes, statistical rules
ALLOWED = re.compile(
    r"Python 3\.\d+|3\.\d+\+|3\.14|\b0\.05\b|95 %|±5 %|±3 %|5 %|10 %|96\.9 %|93\.75 %"
    r"|127\.0\.0\.1|\d+ MiB|\d+ KiB|\d+ B\b|1\.6 GB|160 MB|16 MB|50 ms|0\.25 cores"
)
CODE = re.compile(r"`[^`\n]*`|\]\([^)]*\)|!\[[^\]]*\]")


def loose_numbers(text: str) -> list[tuple[int, str]]:
    """(line number, line) of each line outside the blocks with a measured-looking number."""
    spans = [m.span() for m in BLOCK.finditer(text)]
    found, offset = [], 0
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        start, offset = offset, offset + len(line)
        if any(a <= start < b for a, b in spans):
            continue
        bare = ALLOWED.sub("", CODE.sub("", line))
        if NUMBER.search(bare):
            found.append((number, line.rstrip()))
    return found


CELLS = re.compile(r"(?<![\w.])(\d[\d,]*)\s+cells")
TIME = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*(minutes?|min|hours?)\b")
SECONDS = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*s\b")


def config_comment_errors(snap) -> list[str]:
    """'FILE line N: ...' for each number in a config comment that the loader or the
    snapshot contradicts (a time is right only in the file the snapshot ran)."""
    errors = []
    meta = snap.meta
    for path in sorted((snap.root / "config").glob("*.yaml")):
        name = f"config/{path.name}"
        experiment = snap.experiment(name)
        cells = sum(cell_count(experiment))
        budget = experiment.config["rounds"]["budget_s"]
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "#" not in line:
                continue
            comment = line.split("#", 1)[1]
            where = f"{name} line {number}"
            for match in CELLS.finditer(comment):
                if int(match.group(1).replace(",", "")) != cells:
                    errors.append(f"{where}: says {match.group(0)}, the loader makes {cells}")
            for match in TIME.finditer(comment):
                minutes = float(match.group(1)) * (60 if match.group(2).startswith("h") else 1)
                if meta.get("configfile") != name:
                    errors.append(f"{where}: says {match.group(0)}; no snapshot measured {name}")
                elif abs(minutes - meta["wall_s"] / 60) > 0.5:
                    errors.append(
                        f"{where}: says {match.group(0)}, the snapshot measured "
                        f"{meta['wall_s'] / 60:.1f} min"
                    )
            for match in SECONDS.finditer(comment):
                if float(match.group(1)) != budget:
                    errors.append(f"{where}: says {match.group(0)}, rounds.budget_s is {budget:g}")
    return errors
