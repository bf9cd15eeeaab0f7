"""The kubernetes client's connection parts imported without its ~700 API and model classes.

`import kubernetes` (or any module under it) runs the package's `__init__` files, which import
every API class and every model: ~0.15 s of every live command's start-up, spent before its
first request, for classes a command that reads JSON never uses. `light()` puts in
`sys.modules` the packages `kubernetes`, `kubernetes.client` and `kubernetes.client.models` as
empty modules over the real folders, so that the modules a connection needs (the client's
Configuration, its REST client, its exceptions, the kubeconfig loader) import on their own.
The first use of any other name of such a package (`kubernetes.client.CoreV1Api`, for exec and
port-forward in kube/inpod.py) runs its real `__init__` into the same module, once, under a
lock of its own: the whole client is then there, as after a plain import.

Only when nothing has imported `kubernetes` yet; tests/test_clientimport.py checks, against
the installed client, that what it gives is what a plain import gives.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
from importlib.machinery import ModuleSpec, PathFinder

# The names kubeconfig loading takes from `kubernetes.client` (config/kube_config.py,
# config/incluster_config.py): each is imported from its own module, not the package.
_CLIENT_NAMES = {
    "ApiClient": "kubernetes.client.api_client",
    "Configuration": "kubernetes.client.configuration",
}
_LOCK = threading.RLock()


def light() -> None:
    """Make `import kubernetes.<module>` skip the package `__init__` files (see above)."""
    with _LOCK:
        if "kubernetes" in sys.modules:
            return
        top = importlib.util.find_spec("kubernetes")
        if top is None or not top.submodule_search_locations:
            return  # not installed: the plain import says so where it is needed
        _deferred(top, {})
        _deferred(_sub_spec("kubernetes.client"), _CLIENT_NAMES)
        _deferred(_sub_spec("kubernetes.client.models"), {})


def _sub_spec(name: str) -> ModuleSpec:
    parent = sys.modules[name.rpartition(".")[0]]
    spec = PathFinder.find_spec(name, parent.__path__)
    if spec is None:
        raise ImportError(f"the kubernetes client has no {name}", name=name)
    return spec


def _deferred(spec: ModuleSpec, names: dict[str, str]) -> None:
    """A package module whose `__init__` runs on the first use of a name it would define."""
    module = importlib.util.module_from_spec(spec)
    ran = False
    # One lock per package: a thread running the client's __init__ imports its submodules,
    # and must not wait for a thread that holds one of them while it asks the top package.
    lock = threading.RLock()

    def run_init() -> None:
        nonlocal ran
        with lock:
            if not ran:
                ran = True
                assert spec.loader is not None
                spec.loader.exec_module(module)

    def __getattr__(attr: str) -> object:  # PEP 562: only for names the module lacks
        if attr in names:
            return getattr(importlib.import_module(names[attr]), attr)
        if PathFinder.find_spec(f"{spec.name}.{attr}", module.__path__) is not None:
            return importlib.import_module(f"{spec.name}.{attr}")  # `from pkg import sub`
        run_init()
        try:
            return module.__dict__[attr]
        except KeyError:
            raise AttributeError(f"module {spec.name!r} has no attribute {attr!r}") from None

    def __dir__() -> list[str]:
        run_init()
        return sorted(module.__dict__)

    module.__getattr__ = __getattr__  # type: ignore[method-assign]
    module.__dir__ = __dir__  # type: ignore[method-assign]
    sys.modules[spec.name] = module
    if "." in spec.name:
        parent, _, child = spec.name.rpartition(".")
        setattr(sys.modules[parent], child, module)
