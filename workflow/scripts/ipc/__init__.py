"""The ipc workload's mechanisms, one per file (mpbench.ipc.mechanism; docs/ipc.md)."""
