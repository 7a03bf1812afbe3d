"""The kit's performance benchmark: every figure measured against its reference.

`python benchmarks/run.py` (or `make bench`) runs the figures in one process, one
after the other, and writes benchmarks/RESULTS.md. Each figure module has a
`measure(context)` function that returns `report.Line`s; a line holds a measured
time, the reference time measured in the same run, and the target of their ratio.
"""
