"""The core of each command: a Source and typed options in, a Report out.

A function here builds no CLI and prints nothing; the cli package calls it and renders the
report.
"""
