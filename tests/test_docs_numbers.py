"""Every measured number of README.md and docs/findings.md comes from the committed snapshot
docs/results/ through workflow/scripts/docs_numbers.py (mpbench.analysis.docs_numbers)."""

import json
import shutil

import pandas as pd
import pytest

from conftest import ROOT
from mpbench.analysis import docs_blocks, docs_config_blocks
from mpbench.analysis.docs_numbers import (
    DOCS,
    DocsNumbersError,
    Snapshot,
    render,
    render_text,
    snapshot,
)
from mpbench.analysis.docs_scan import config_comment_errors, loose_numbers

SNAP = ROOT / "docs" / "results"


def test_rendering_the_committed_snapshot_changes_no_committed_doc():
    stale = render(ROOT, check=True)
    assert stale == [], f"stale blocks (run docs_numbers.py render): {stale}"


def test_a_hand_edited_number_in_a_block_is_named(tmp_path):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("<!-- numbers:ipc_table -->")
    edited = readme[:start] + readme[start:].replace("|", "| 9.99 ms", 1)
    (tmp_path / "README.md").write_text(edited, encoding="utf-8")
    stale = render(tmp_path, check=True, docs=["README.md"], snap=Snapshot(ROOT))
    assert stale == ["README.md: block ipc_table"]
    assert (tmp_path / "README.md").read_text(encoding="utf-8") == edited  # check writes nothing
    assert render(tmp_path, docs=["README.md"], snap=Snapshot(ROOT)) == stale
    assert (tmp_path / "README.md").read_text(encoding="utf-8") == readme


@pytest.mark.parametrize("doc", ["README.md", "docs/findings.md"])
def test_no_measured_number_outside_the_blocks(doc):
    found = loose_numbers((ROOT / doc).read_text(encoding="utf-8"))
    assert found == [], "\n".join(f"{doc} line {n}: {line}" for n, line in found)


@pytest.mark.parametrize(
    "line",
    [
        "a speedup of 1.73 here",
        "took 25 min in all",
        "a 64 B round trip took 24.8 µs",
        "at 2.1 GB/s",
        "a static split costs 7 to 22 %",
        "1843 times faster",
        "loses 3× to one process",
    ],
)
def test_a_measured_number_outside_a_block_is_caught(line):
    text = f"intro\n{line}\n<!-- numbers:run -->\n1.73 and 25 min\n<!-- /numbers:run -->\n"
    assert loose_numbers(text) == [(2, line)]


@pytest.mark.parametrize(
    "line",
    ["On Linux with Python 3.11+", "N = 3·10^5, P = 2", "π(10^6) = 78498", "within ±5 %"],
)
def test_facts_that_are_not_measurements_are_allowed(line):
    assert loose_numbers(line + "\n") == []


def test_config_comments_agree_with_the_loader_and_the_snapshot():
    assert config_comment_errors(Snapshot(ROOT)) == []


def _config_copy(tmp_path, comment: str) -> Snapshot:
    shutil.copytree(ROOT / "config", tmp_path / "config")
    quick = tmp_path / "config" / "quick.yaml"
    quick.write_text(f"# {comment}\n" + quick.read_text(encoding="utf-8"), encoding="utf-8")
    return Snapshot(tmp_path, folder=SNAP)


@pytest.mark.parametrize(
    "comment,error",
    [
        ("7 cells in all", "config/quick.yaml line 1: says 7 cells, the loader makes "),
        ("about 5 minutes", "config/quick.yaml line 1: says 5 minutes; no snapshot measured"),
        ("or about 3 s of rounds", "config/quick.yaml line 1: says 3 s, rounds.budget_s is 5"),
    ],
)
def test_a_wrong_number_in_a_config_comment_is_caught(tmp_path, comment, error):
    errors = config_comment_errors(_config_copy(tmp_path, comment))
    assert len(errors) == 1 and errors[0].startswith(error), errors


def test_the_configs_block_counts_the_loaders_cells():
    from mpbench.analysis.docs_numbers import cell_count

    snap = Snapshot(ROOT)
    rows = docs_config_blocks.configs(snap).splitlines()[2:]
    quick = next(r for r in rows if "`config/quick.yaml`" in r).split(" | ")
    cells, ipc = cell_count(snap.experiment("config/quick.yaml"))
    assert quick[4:6] == [str(cells), str(ipc)]
    assert cells > 0 and ipc > 0


def test_unknown_and_unclosed_blocks_are_errors():
    with pytest.raises(DocsNumbersError, match="README.md: unknown block 'nosuch'; known: "):
        render_text(
            "<!-- numbers:nosuch -->\n<!-- /numbers:nosuch -->\n", Snapshot(ROOT), "README.md"
        )
    with pytest.raises(DocsNumbersError, match="block 'run' has no matching end marker"):
        render_text("<!-- numbers:run -->\n", Snapshot(ROOT), "README.md")


def test_an_inline_block_stays_inline():
    text = render_text(
        "max <!-- numbers:rounds_max --> ? <!-- /numbers:rounds_max -->.", Snapshot(ROOT)
    )
    max_rounds = Snapshot(ROOT).experiment().config["rounds"]["max"]
    assert text == f"max <!-- numbers:rounds_max --> {max_rounds} <!-- /numbers:rounds_max -->."


def _snapshot_copy(tmp_path) -> Snapshot:
    shutil.copytree(SNAP, tmp_path / "results")
    return Snapshot(ROOT, folder=tmp_path / "results")


def test_absent_optional_files_say_so_and_present_ones_show(tmp_path):
    snap = _snapshot_copy(tmp_path)
    measured = pd.read_csv(SNAP / "sampler_bias.csv").iloc[:1]
    (snap.folder / "sampler_bias.csv").unlink(missing_ok=True)
    assert docs_blocks.sampler_bias(snap).startswith("*Not in this snapshot.*")
    assert docs_blocks.slurm(snap).startswith("*Not in this snapshot.*")
    measured.assign(ratio=1.25, ratio_low=1.1, ratio_high=1.4).to_csv(
        snap.folder / "sampler_bias.csv", index=False
    )
    shown = Snapshot(ROOT, folder=snap.folder)  # a fresh one: the CSVs are cached
    table = docs_blocks.sampler_bias(shown).splitlines()
    assert "ratio [interval]" in table[0] and "1.25 [1.10, 1.40]" in table[2]
    assert table[-1].startswith("In 0 of 1 cells the interval of the ratio covers 1")


def test_the_engines_block_pairs_each_cold_pool_with_its_warm_twin(tmp_path):
    snap = _snapshot_copy(tmp_path)
    cells = pd.read_csv(snap.folder / "cells.csv", keep_default_na=False, na_values=[""])
    warm = cells[cells["strategy"] == "pool_map"].assign(strategy="pool_map_warm", speedup=1.5)
    pd.concat([cells, warm]).to_csv(snap.folder / "cells.csv", index=False)
    names = [line.split(" | ")[0] for line in docs_blocks.engines(snap).splitlines()[2:]]
    assert names[:2] == ["| `pool_map`", "| `pool_map_warm`"]
    assert names.index("| `loky_warm`") == names.index("| `loky_cold`") + 1


def test_snapshot_copies_the_tables_and_describes_the_run(tmp_path):
    results = tmp_path / "run" / "results"
    (results / "summary").mkdir(parents=True)
    for name in ("cells.csv", "ipc_cells.csv", "ipc_costs.csv"):
        shutil.copyfile(SNAP / name, results / "summary" / name)
    (results / "cells" / "primes").mkdir(parents=True)
    environment = {
        "cpu_affinity": [0, 1, 2],
        "cpu_model": "Test CPU",
        "python_version": "3.11.9",
        "project": {"commit": "abc1234def"},
    }
    (results / "cells" / "primes" / "a.json").write_text(json.dumps({"environment": environment}))
    log = tmp_path / "run.log"
    log.write_text(
        "[Wed Dec  3 09:00:00 2026]\nrule measure_cell:\n    jobid: 1\n"
        "    wildcards: workload=primes, strategy=single\n"
        "[Wed Dec  3 09:01:30 2026]\nFinished jobid: 1 (Rule: measure_cell)\n"
        "[Wed Dec  3 09:02:05 2026]\n"
    )
    (tmp_path / "checkout").mkdir()
    meta = snapshot(results, log, tmp_path / "checkout", "make", note="test")
    folder = tmp_path / "checkout" / "docs" / "results"
    assert sorted(p.name for p in folder.iterdir()) == [
        "cells.csv",
        "ipc_cells.csv",
        "ipc_costs.csv",
        "job_times.csv",
        "snapshot.json",
    ]
    assert meta["commit"] == "abc1234def" and meta["wall_s"] == 125
    assert meta["machine"]["cores"] == 3 and meta["machine"]["cpu_model"] == "Test CPU"
    assert json.loads((folder / "snapshot.json").read_text()) == meta
    times = pd.read_csv(folder / "job_times.csv")
    assert times.to_dict("records") == [{"part": "measure_cell primes", "jobs": 1, "seconds": 90.0}]


def test_snapshot_without_the_summary_names_what_is_missing(tmp_path):
    (tmp_path / "results" / "summary").mkdir(parents=True)
    with pytest.raises(DocsNumbersError, match="no cells.csv, ipc_cells.csv, ipc_costs.csv"):
        snapshot(tmp_path / "results", None, tmp_path, "make")


def test_the_committed_snapshot_says_what_run_it_is():
    meta = json.loads((SNAP / "snapshot.json").read_text(encoding="utf-8"))
    assert {"commit", "date", "command", "wall_s", "machine"} <= set(meta)
    assert {"cores", "cpu_model", "python_version"} <= set(meta["machine"])
    assert all((ROOT / doc).is_file() for doc in DOCS)
