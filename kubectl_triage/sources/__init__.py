"""Where evidence comes from, and the one table of the resource kinds it reads.

The Source protocol is in `kubectl_triage.source`; the live source in `kube/` (the only
package that imports the client), the bundle reader in `bundle.py`, the bundle writer in
`collect/snapshot.py`. Each of them, completion and target resolution read `kinds.KINDS`
rather than keeping a list of their own.
"""
