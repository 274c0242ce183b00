"""The cell record: one versioned, self-describing JSON file per cell.

Written atomically (temporary file, then rename), so a crash never leaves a partial record
that a reader could take for a result; read back only after validation against the schema.
"""

import json
import os
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path

SCHEMA_VERSION = 5
SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schemas" / "record.schema.json"


class RecordError(ValueError):
    """A record file that is missing, unreadable, or not a valid mpbench record."""


@cache
def _validator(schema_path: Path = SCHEMA_PATH):
    import jsonschema  # here, not at the top: the supervising process never needs it

    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def check_schema(record: dict, source: str, schema_path: Path = SCHEMA_PATH) -> None:
    """Raise RecordError naming the field if `record` does not follow the schema."""
    from jsonschema.exceptions import best_match

    error = best_match(_validator(schema_path).iter_errors(record))
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "(top level)"
        raise RecordError(f"{source}: invalid record at {where}: {error.message}")


def validate(record: dict, source: str = "record") -> dict:
    """Return `record` if it follows the schema, else raise RecordError naming the field."""
    check_schema(record, source)
    _check_rounds(record, source)
    return record


def _check_rounds(record: dict, source: str) -> None:
    """What the schema cannot say: every per-round list has one entry per round (the memory
    section's runs are the memory runs after the rounds, as many as were asked for)."""
    if "skipped" in record:
        return
    rounds = len(record["repeats_s"])
    lists = {
        "baseline_s": record["baseline_s"],
        "strategy_first": record["strategy_first"],
        **{f"phases_s/{k}": v for k, v in record["phases_s"].items() if v is not None},
    }
    for where, values in lists.items():
        if len(values) != rounds:
            raise RecordError(
                f"{source}: invalid record at {where}: {len(values)} entries for {rounds} "
                "rounds (repeats_s)"
            )


def write(record: dict, path: str | os.PathLike, check: Callable = validate) -> None:
    """Validate (with `check`), then write `record` to `path` atomically."""
    check(record, str(path))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            json.dump(record, stream, indent=2, sort_keys=True)
            stream.write("\n")
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read(path: str | os.PathLike) -> dict:
    """Load and validate one record; RecordError names the file and what is wrong."""
    try:
        record = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise RecordError(f"{path}: not a readable JSON record ({error})") from error
    if not isinstance(record, dict):
        raise RecordError(f"{path}: a record must be a JSON object")
    return validate(record, str(path))
