"""The rules table (data) and the engine that applies it to one record at a time (judging
across records and objects is in detectors/).

Pure: nothing here talks to a cluster. Imports `evidence`, `records` and the standard library
(PyYAML to read the rules table, rules/builtin.yaml, and a user's rules file).
"""
