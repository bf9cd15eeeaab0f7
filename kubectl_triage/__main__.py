"""`python -m kubectl_triage` runs the CLI, as the `kubectl-triage` script does."""

from kubectl_triage.cli import main

if __name__ == "__main__":
    main()
