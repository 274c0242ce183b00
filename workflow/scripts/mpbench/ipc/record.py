"""The ipc cell record: one JSON file per cell, checked against
workflow/schemas/ipc_record.schema.json (docs/ipc.md says what each field holds)."""

from pathlib import Path

from mpbench import record

SCHEMA_VERSION = 2  # 2: a checked batch apart from the timed ones (check_messages, check_s)
SCHEMA_PATH = record.SCHEMA_PATH.with_name("ipc_record.schema.json")
PER_BATCH = ("messages", "batch_s", "per_message_s", "throughput_Bps")


def validate(cell: dict, source: str = "record") -> dict:
    """Return `cell` if it is a valid ipc record, else raise record.RecordError naming the
    field."""
    record.check_schema(cell, source, SCHEMA_PATH)
    for name in PER_BATCH:  # what the schema cannot say: one entry per batch
        values = cell[name]
        if values is not None and len(values) != cell["repeats"]:
            raise record.RecordError(
                f"{source}: invalid record at {name}: {len(values)} entries for "
                f"{cell['repeats']} batches (repeats)"
            )
    return cell


def read(path) -> dict:
    """Load and validate one ipc record; RecordError names the file and what is wrong."""
    import json

    try:
        cell = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise record.RecordError(f"{path}: not a readable JSON record ({error})") from error
    return validate(cell, str(path))
