"""The mechanisms: one file per mechanism under workflow/scripts/ipc/, its name the file's.

A mechanism file defines `open(context, processes, n, names)` (mpbench.ipc.channel) and may
declare:

- ``PATTERNS``: the patterns it runs (default: ("pingpong", "stream"); "counter" for a
  shared counter, whose messages are its updates);
- ``START_METHODS``: the start methods it works under, where not all of them;
- ``IN_PROCESS = True`` for one that starts no process (its one sender is the receiver);
- ``REFERENCE = True`` for a yardstick drawn beside the mechanisms, never ranked.

`describe(name)` reads these once into a Mechanism; the runner, the command line and the
config checks ask it.
"""

import importlib
import multiprocessing
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

SCRIPTS_DIR = Path(__file__).resolve().parents[2]
MECHANISMS_DIR = SCRIPTS_DIR / "ipc"
PACKAGE = MECHANISMS_DIR.name  # imported as ipc.<name>: never on sys.path itself, so a
# mechanism called `queue` does not hide the standard library's
PATTERNS = ("pingpong", "stream", "counter")
COUNTER_BYTES = 8  # the counter pattern's N: the size of the counter
DECLARED = ("PATTERNS", "START_METHODS", "IN_PROCESS", "REFERENCE")


class UnknownMechanism(KeyError):
    def __str__(self) -> str:
        return self.args[0]


@dataclass(frozen=True)
class Mechanism:
    name: str
    description: str
    open: Callable
    patterns: tuple[str, ...]
    start_methods: tuple[str, ...]  # on this platform; () for one that starts no process
    in_process: bool
    reference: bool

    @classmethod
    def of(cls, namespace: dict, name: str) -> "Mechanism":
        """Read a mechanism file's globals (`vars(module)`)."""
        if not callable(namespace.get("open")):
            raise ValueError(f"mechanism {name!r} defines no open(context, processes, n, names)")
        patterns = tuple(namespace.get("PATTERNS", ("pingpong", "stream")))
        wrong = [p for p in patterns if p not in PATTERNS]
        if not patterns or wrong:
            raise ValueError(
                f"mechanism {name!r}: PATTERNS {patterns!r}; allowed: {', '.join(PATTERNS)}"
            )
        in_process = bool(namespace.get("IN_PROCESS", False))
        available = multiprocessing.get_all_start_methods()
        methods = namespace.get("START_METHODS", available)
        return cls(
            name=name,
            description=(namespace.get("__doc__") or name).strip(),
            open=namespace["open"],
            patterns=patterns,
            start_methods=() if in_process else tuple(m for m in methods if m in available),
            in_process=in_process,
            reference=bool(namespace.get("REFERENCE", False)),
        )

    def sizes(self, pattern: str, sizes) -> tuple[int, ...]:
        """The message sizes N this mechanism runs `pattern` at, of those asked for."""
        return (COUNTER_BYTES,) if pattern == "counter" else tuple(sizes)

    def counts(self, processes) -> tuple[int, ...]:
        """The sender counts P it runs at, of those asked for."""
        return (1,) if self.in_process else tuple(processes)

    def cpus(self, processes: int) -> int:
        """The CPUs a cell of P senders pins (mpbench.ipc.runner.pinned): the receiver's and
        one per sender; one for a mechanism that starts no process."""
        return 1 if self.in_process else processes + 1

    def check_cell(self, pattern: str, n: int, processes: int, start_method: str | None):
        """Raise ValueError naming what is wrong with this cell and what is allowed."""
        from mpbench.ipc.payload import MAX_SENDERS

        if pattern not in self.patterns:
            raise ValueError(
                f"mechanism {self.name!r} has no pattern {pattern!r}; "
                f"it runs: {', '.join(self.patterns)}"
            )
        if n not in self.sizes(pattern, [n]):
            raise ValueError(f"the {pattern} pattern's n is {COUNTER_BYTES} (a counter), not {n}")
        if n < 1:
            raise ValueError(f"n is a message size in bytes, >= 1; got {n}")
        if processes not in self.counts([processes]) or not 1 <= processes <= MAX_SENDERS:
            allowed = "1 (it runs in one process)" if self.in_process else f"1 to {MAX_SENDERS}"
            raise ValueError(f"mechanism {self.name!r}: processes {processes}; allowed: {allowed}")
        if self.in_process:
            return
        if start_method not in self.start_methods:
            raise ValueError(
                f"mechanism {self.name!r} does not run under start method {start_method!r}; "
                f"it runs under: {', '.join(self.start_methods)}"
            )


def names() -> list[str]:
    """Every mechanism there is a file for, alphabetically."""
    return sorted(p.stem for p in MECHANISMS_DIR.glob("*.py") if not p.stem.startswith("_"))


def script(name: str) -> Path:
    if name not in names():
        raise UnknownMechanism(
            f"unknown mechanism {name!r}; known: {', '.join(names())} "
            f"(a mechanism is a file {MECHANISMS_DIR}/<name>.py)"
        )
    return MECHANISMS_DIR / f"{name}.py"


@cache
def describe(name: str) -> Mechanism:
    script(name)
    if str(SCRIPTS_DIR) not in sys.path:
        sys.path.insert(0, str(SCRIPTS_DIR))
    return Mechanism.of(vars(importlib.import_module(f"{PACKAGE}.{name}")), name)
