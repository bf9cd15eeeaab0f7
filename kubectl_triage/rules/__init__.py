"""The rules table (data), the engine that applies it, and the few detectors that need code.

Pure: nothing here talks to a cluster. Imports `evidence`, `records` and the standard library
(PyYAML to read the rules table, rules/builtin.yaml, and a user's rules file).
"""
