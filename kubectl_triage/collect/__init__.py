"""Gathers evidence through a Source (live or bundle); never judges it.

Only this package calls a Source; a failure to read one piece becomes a Gap and the rest
goes on.
"""
