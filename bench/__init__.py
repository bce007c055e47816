"""The benchmark suite (`python -m bench`, `make bench`): throughput and peak memory of each stage.

Not a test and never a CI gate. Each figure runs in its own fresh process against a simulated
partner served from another process; see docs/performance.md for what each figure means.
"""
