"""The merged catalogue's logic, free of I/O: clustering keys, clusters, merge policy, stable ids.

`pipeline.merge` reads records from the store, runs these and writes the result back.
"""
