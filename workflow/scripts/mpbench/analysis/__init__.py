"""mpbench.analysis: the reader side (tables, figures, report) over recorded cells."""
