"""kubectl-triage: find out why a microservice on Kubernetes fails.

The package root only carries the version: importing it must stay free, so that
`kubectl triage --help` starts as fast as a bare click program.
"""

__version__ = "0.1.0"
