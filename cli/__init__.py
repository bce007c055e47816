"""The `os10` command line."""
