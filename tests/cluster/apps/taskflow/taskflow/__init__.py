"""taskflow: a small FastAPI + async SQLAlchemy + httpx app with the seed incident's bugs.

A test asset of kubectl-triage (not part of the shipped package): its services print what real
Python services print when they fail the way docs/handwritten-incident.md tells, so the
plugin's rules can be checked against real software instead of hand-written logs (the shipped
demo is recorded from them: docs/demo-incident.md). See README.md beside this
package for how to start each service and what each request triggers.
"""
