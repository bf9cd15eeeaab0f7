# kubectl-triage zipapp: the version check runs before any other import (see the boot module).
import _kubectl_triage_boot

_kubectl_triage_boot.run("cli")
