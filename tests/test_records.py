"""Bad records, generated: truncated and mutated copies of a real record. Each is either a
valid record that the summary reads, or refused by the summary in one line that names its
file and the command that measures the cell again; never a traceback, never a table."""

import copy
import json
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import STRATEGIES
from mpbench import record
from mpbench.analysis import summary, tables

SETTINGS = settings(
    max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def real_record(tmp_path_factory):
    """A record made by the harness itself: pool_map, 6 paired rounds."""
    output = tmp_path_factory.mktemp("record") / "cell.json"
    done = subprocess.run(
        [
            sys.executable,
            str(STRATEGIES / "pool_map.py"),
            "--n",
            "3000",
            "--processes",
            "2",
            "--min-rounds",
            "6",
            "--max-rounds",
            "6",
            "--output",
            str(output),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return output.read_text(encoding="utf-8")


def refused_in_one_line(path) -> str:
    with pytest.raises(record.RecordError) as refused:
        tables.read_or_say_how_to_remeasure(path)
    message = str(refused.value)
    assert "\n" not in message and message.startswith(str(path)), message
    assert message.endswith(f"measure this cell again with: snakemake --cores 2 --force {path}")
    return message


@SETTINGS
@given(cut=st.floats(0, 1, exclude_max=True))
def test_a_truncated_record_is_refused_naming_it(real_record, tmp_path, cut):
    whole = real_record.rstrip()  # (cutting the final newline only leaves a whole record)
    path = tmp_path / "n3000-p2.json"
    path.write_text(whole[: int(cut * len(whole))], encoding="utf-8")
    refused_in_one_line(path)


def _paths(value, prefix=()):
    """Every key path in a JSON value (list items by index)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*prefix, key)
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*prefix, index)
            yield from _paths(item, (*prefix, index))


ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-10, 10**12),
    st.floats(allow_nan=True),
    st.text(max_size=5),
    st.just([]),
    st.just({}),
    st.lists(st.integers(), max_size=3),
)


@SETTINGS
@given(data=st.data())
def test_a_mutated_record_is_read_or_refused_naming_it(real_record, tmp_path, data):
    original = json.loads(real_record)
    paths = sorted(_paths(original), key=str)
    mutated = copy.deepcopy(original)
    for _ in range(data.draw(st.integers(1, 3))):
        where = data.draw(st.sampled_from(paths))
        parent = mutated
        try:
            for step in where[:-1]:
                parent = parent[step]
            if data.draw(st.booleans()) and isinstance(parent, dict):
                del parent[where[-1]]
            else:
                # a copy: hypothesis may hand back the same object twice
                parent[where[-1]] = copy.deepcopy(data.draw(ODD_VALUES))
        except (KeyError, IndexError, TypeError):  # an earlier mutation removed the way there
            continue
    path = tmp_path / "n3000-p2.json"
    path.write_text(json.dumps(mutated), encoding="utf-8")
    try:
        cell = record.read(path)
    except record.RecordError:
        refused_in_one_line(path)
        return
    # still a valid record: the summary reads it and gives it a speedup
    table = summary.cells_table([cell])
    assert len(table) == 1 and table["speedup"].iloc[0] > 0


def test_rounds_of_unequal_length_are_refused(real_record, tmp_path):
    cell = json.loads(real_record)
    cell["baseline_s"].pop()
    path = tmp_path / "n3000-p2.json"
    path.write_text(json.dumps(cell), encoding="utf-8")
    message = refused_in_one_line(path)
    assert "invalid record at baseline_s: 5 entries for 6 rounds" in message
