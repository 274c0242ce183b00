"""The ipc workload: what each way of moving bytes between processes costs.

A mechanism is one file, workflow/scripts/ipc/<name>.py (docs/ipc.md); this package is the
rest. What a sender process imports stays small: `payload` (the messages and their check),
`channel` (what a mechanism implements) and `sender` (the sender's loop). The receiver's
side, the measured process, adds `mechanism` (what a mechanism file declares), `runner`
(the batches, their timing and the record), `record` (its schema) and `cli`.
"""
