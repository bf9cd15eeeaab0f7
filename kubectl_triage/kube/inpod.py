"""HTTP GETs inside a pod: through the API server's pod proxy, else `exec` with whatever
client the image has. The only place that opens exec websockets.

Every exec gets its own ApiClient: the client's stream() swaps call_api on the ApiClient it
is given while it runs, which breaks concurrent plain requests on a shared one.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, replace

from kubectl_triage.errors import Forbidden, NotFound, TriageError
from kubectl_triage.evidence import ProbeResult
from kubectl_triage.kube.client import Kube, translate

_EXEC_TIMEOUT = 15.0  # seconds for one exec, connect included
_BODY_LIMIT = 4 << 20  # a probe reads at most this much of a response
_STATUS_MARK = "\n__TRIAGE_STATUS__"
_PY_GET = (
    "import sys,urllib.request as u,urllib.error as e\n"
    "try:\n r=u.urlopen(sys.argv[1],timeout=10);b=r.read();c=r.status\n"
    "except e.HTTPError as x:\n b=x.read();c=x.code\n"
    f"sys.stdout.buffer.write(b+b'{_STATUS_MARK}'+str(c).encode())"
)
_PY_POST = (
    "import sys,urllib.request as u,urllib.error as e\n"
    "q=u.Request(sys.argv[1],data=sys.argv[2].encode(),method='POST',"
    "headers={'Content-Type':'application/json'})\n"
    "try:\n r=u.urlopen(q,timeout=10);b=r.read();c=r.status\n"
    "except e.HTTPError as x:\n b=x.read();c=x.code\n"
    f"sys.stdout.buffer.write(b+b'{_STATUS_MARK}'+str(c).encode())"
)
# One command per client an image may have; each prints the body, then the status marker.
_CLIENTS = (
    ("curl", ["curl", "-sS", "-o", "-", "-w", _STATUS_MARK + "%{http_code}"]),
    ("python3", ["python3", "-c", _PY_GET]),
    ("python", ["python", "-c", _PY_GET]),
)


@dataclass(frozen=True)
class ExecResult:
    exit_code: int | None
    stdout: bytes
    stderr: bytes


def http_get(
    kube: Kube, *, namespace: str, pod: str, port: int, path: str, container: str = ""
) -> ProbeResult:
    """GET http://localhost:PORT/PATH as seen from inside the pod."""
    return http_request(
        kube, namespace=namespace, pod=pod, port=port, path=path, container=container
    )


def http_request(
    kube: Kube,
    *,
    namespace: str,
    pod: str,
    port: int,
    path: str,
    container: str = "",
    data: bytes | None = None,
) -> ProbeResult:
    """GET (or, with `data`, a JSON POST to) http://localhost:PORT/PATH inside the pod:
    through the pod proxy, else exec with each client in turn."""
    attempts: list[str] = []
    base = ProbeResult(namespace, pod, port, path, None, container=container)
    try:
        status, body = proxy_request(
            kube, namespace=namespace, pod=pod, port=port, path=path, data=data
        )
        return _with(base, status=status, body=body, via="proxy", attempts=attempts)
    except NotFound:
        raise
    except TriageError as exc:
        attempts.append(f"pod proxy: {exc.message}")
    if kube.impersonating:
        attempts.append(
            "exec, port-forward: not used with --as/--as-group: the client cannot "
            "impersonate over websockets, it would act as you"
        )
        return _with(base, attempts=attempts)
    url = f"http://localhost:{port}/{path.lstrip('/')}"
    for name, command in _CLIENTS:
        try:
            result = exec_in(
                kube,
                namespace=namespace,
                pod=pod,
                container=container,
                command=_with_data(name, command, url, data),
            )
        except Forbidden as exc:
            attempts.append(f"exec: {exc.message}")
            break  # no other client will be allowed either
        except TriageError as exc:
            attempts.append(f"exec {name}: {exc.message}")
            continue
        status, body = _parse_marked(result.stdout)
        if status is not None:
            return _with(base, status=status, body=body, via=f"exec:{name}", attempts=attempts)
        attempts.append(f"exec {name}: exit {result.exit_code}: {_first_line(result.stderr)}")
        if _NOT_HTTP.search(result.stderr):
            # The port answered, in another protocol (redis, postgres): no other client nor
            # a port-forward will get HTTP from it, and the forward waited 15 s to say so.
            attempts.append(f"port {port} answers, but not in HTTP")
            return _with(base, attempts=attempts)
    # Last: port-forward, for images with no client at all (daprd is distroless).
    try:
        status, body = forward_request(
            kube, namespace=namespace, pod=pod, port=port, path=path, data=data
        )
        return _with(base, status=status, body=body, via="port-forward", attempts=attempts)
    except TriageError as exc:
        attempts.append(f"port-forward: {exc.message}")
    return _with(base, attempts=attempts)


def forward_request(
    kube: Kube,
    *,
    namespace: str,
    pod: str,
    port: int,
    path: str,
    data: bytes | None = None,
    timeout: float = _EXEC_TIMEOUT,
) -> tuple[int, bytes]:
    """One HTTP/1.0 request over a port-forward stream (the client's PortForward socket)."""
    import websocket
    from kubernetes.client import ApiClient, CoreV1Api
    from kubernetes.stream import portforward

    websocket.setdefaulttimeout(timeout)
    api = CoreV1Api(ApiClient(kube.api.configuration))
    try:
        forward = portforward(
            api.connect_get_namespaced_pod_portforward, pod, namespace, ports=str(port)
        )
    except Exception as exc:  # noqa: BLE001 - a refused handshake, see _exec_error
        raise _exec_error(exc, pod=pod, what="port-forward (pods/portforward)") from None
    sock = forward.socket(port)
    sock.settimeout(timeout)
    method = "GET" if data is None else "POST"
    head = (
        f"{method} /{path.lstrip('/')} HTTP/1.0\r\nHost: localhost\r\nAccept: */*\r\n"
        "Connection: close\r\n"
    )
    if data is not None:
        head += f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
    try:
        sock.sendall(head.encode() + b"\r\n" + (data or b""))
        response = _read_response(sock)
    except OSError as exc:
        error = forward.error(port) or exc
        raise TriageError(
            f"port-forward to {pod}:{port}: {' '.join(str(error).split())[:200]}"
        ) from None
    finally:
        forward.close()
    status_line, _, rest = response.partition(b"\r\n")
    parts = status_line.split()
    if len(parts) < 2 or not parts[1].isdigit():
        error = forward.error(port) or "no HTTP answer"
        raise TriageError(f"port-forward to {pod}:{port}: {' '.join(str(error).split())[:200]}")
    return int(parts[1]), rest.partition(b"\r\n\r\n")[2]


def _read_response(sock) -> bytes:
    """Until the body is complete by its Content-Length: a port-forward stream does not always
    end when the server closes its side."""
    response = bytearray()
    length: int | None = None
    while len(response) < _BODY_LIMIT:
        chunk = sock.recv(1 << 16)
        if not chunk:
            break
        response += chunk
        head, sep, body = bytes(response).partition(b"\r\n\r\n")
        if sep and _bodiless(head):
            break
        if sep and length is None:
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length" and value.strip().isdigit():
                    length = int(value.strip())
        if length is not None and len(body) >= length:
            break
    return bytes(response)


def _bodiless(head: bytes) -> bool:
    """A 204 or 304 answer ends with its head (RFC 9110, 6.4.1): daprd's 204 to a publish
    has no Content-Length, and waiting for the stream to close would time out."""
    parts = head.split(b"\r\n", 1)[0].split()
    return len(parts) >= 2 and parts[1] in (b"204", b"304")


def _with_data(name: str, command: list[str], url: str, data: bytes | None) -> list[str]:
    if data is None:
        return [*command, url]
    text = data.decode("utf-8")
    if name == "curl":
        return [
            *command,
            "-X",
            "POST",
            "-H",
            "Content-Type: application/json",
            "--data-binary",
            text,
            url,
        ]
    return [command[0], "-c", _PY_POST, url, text]


def _with(base: ProbeResult, **changes) -> ProbeResult:
    changes["attempts"] = tuple(changes.get("attempts", ()))
    return replace(base, **changes)


def proxy_request(
    kube: Kube, *, namespace: str, pod: str, port: int, path: str, data: bytes | None = None
) -> tuple[int, bytes]:
    """Through /pods/NAME:PORT/proxy/PATH (a POST when `data` is given); the app's own
    errors (a 404) pass through."""
    from kubernetes.client.exceptions import ApiException

    api_path = f"/api/v1/namespaces/{namespace}/pods/{pod}:{port}/proxy/{path.lstrip('/')}"
    try:
        response = kube.request(
            "GET" if data is None else "POST", api_path, body=data, accept="*/*"
        )
    except ApiException as exc:
        body = exc.body if isinstance(exc.body, bytes) else (exc.body or "").encode()
        if _is_status(body) or exc.status in (0, 401, 403):
            raise _proxy_error(translate(exc, host=kube.host)) from None
        return exc.status, body[:_BODY_LIMIT]
    except Exception as exc:  # noqa: BLE001 - network errors, translated
        raise translate(exc, host=kube.host) from None
    try:
        return response.status, response.read(_BODY_LIMIT)
    finally:
        response.release_conn()


def _proxy_error(exc: TriageError) -> TriageError:
    if "error trying to reach service" in exc.message or "address not allowed" in exc.message:
        return TriageError(f"the pod's port did not answer through the proxy ({exc.message})")
    return exc


def _is_status(body: bytes) -> bool:
    """A Kubernetes Status object comes from the API server, not from the app."""
    try:
        data = json.loads(body)
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("kind") == "Status" and "apiVersion" in data


def exec_in(
    kube: Kube,
    *,
    namespace: str,
    pod: str,
    container: str,
    command: list[str],
    timeout: float = _EXEC_TIMEOUT,
) -> ExecResult:
    """Run a command in a container; stdout and stderr apart, and the exit code."""
    import websocket
    from kubernetes.client import ApiClient, CoreV1Api
    from kubernetes.stream import stream

    websocket.setdefaulttimeout(timeout)  # the client sets none: a silent server would hang
    api = CoreV1Api(ApiClient(kube.api.configuration))
    try:
        client = stream(
            api.connect_get_namespaced_pod_exec,
            pod,
            namespace,
            command=command,
            container=container or None,
            stderr=True,
            stdin=False,
            stdout=True,
            tty=False,
            _preload_content=False,
            binary=True,
        )
    except Exception as exc:  # noqa: BLE001 - see _exec_error
        raise _exec_error(exc, pod=pod) from None
    out, err = bytearray(), bytearray()
    deadline = time.monotonic() + timeout
    try:
        while client.is_open() and time.monotonic() < deadline:
            client.update(timeout=max(0.05, deadline - time.monotonic()))
            out += client.read_channel(1) or b""
            err += client.read_channel(2) or b""
        status = client.read_channel(3)
    finally:
        client.close()
    if time.monotonic() >= deadline and not status:
        raise TriageError(f"exec in {pod} timed out after {timeout:.0f}s")
    return ExecResult(_exit_code(status), bytes(out), bytes(err))


def _exec_error(exc: BaseException, *, pod: str, what: str = "exec (pods/exec)") -> TriageError:
    """A failed exec handshake. The client (35, 36) wraps it in an ApiException whose body is
    None and then fails decoding that body with AttributeError: the handshake's status line
    is in the chain of exceptions, so read every message along it."""
    texts = []
    seen: BaseException | None = exc
    while seen is not None and len(texts) < 5:
        texts.append(str(getattr(seen, "reason", None) or seen))
        seen = seen.__context__
    text = " ".join(" ".join(texts).split())
    if "403" in text:
        return Forbidden(f'pods "{pod}" is forbidden: {what} not allowed')
    if "404" in text:
        return NotFound(f'pods "{pod}" not found')
    if "400" in text:
        return TriageError(f"{what.split()[0]} in {pod} refused: {text[:200]}")
    return TriageError(f"{what.split()[0]} in {pod} failed: {text[:200]}")


def _exit_code(status: bytes | str) -> int | None:
    if not status:
        return None
    try:
        data = json.loads(status)
    except ValueError:
        return None
    if data.get("status") == "Success":
        return 0
    for cause in (data.get("details") or {}).get("causes") or []:
        if cause.get("reason") == "ExitCode":
            return int(cause.get("message", "1"))
    return 126 if "executable file not found" in data.get("message", "") else 1


def _parse_marked(stdout: bytes) -> tuple[int | None, bytes]:
    mark = _STATUS_MARK.encode()
    body, found, status = stdout.rpartition(mark)
    if not found or not status.strip().isdigit():
        return None, b""
    code = int(status.strip())
    return (code if code else None), body


# What a client says when the port is open but what answers is not HTTP: curl's empty reply
# and HTTP/0.9 refusal, Python's http.client on a closed or garbled status line.
_NOT_HTTP = re.compile(
    rb"\(52\) Empty reply from server|Received HTTP/0\.9 when not allowed"
    rb"|RemoteDisconnected|BadStatusLine"
)


def _first_line(data: bytes) -> str:
    text = data.decode("utf-8", "replace").strip()
    return text.split("\n", 1)[0][:200] if text else "no output"


def process_env(kube: Kube, *, namespace: str, pod: str, container: str) -> dict[str, str]:
    """The running process's environment: `env`, else /proc/1/environ (no shell needed)."""
    if kube.impersonating:
        raise TriageError("--live needs exec, which the client cannot do with --as")
    tried = []
    for command, sep in ((["env"], b"\n"), (["cat", "/proc/1/environ"], b"\0")):
        result = exec_in(kube, namespace=namespace, pod=pod, container=container, command=command)
        if result.exit_code == 0:
            pairs = (item.partition(b"=") for item in result.stdout.split(sep) if b"=" in item)
            return {k.decode("utf-8", "replace"): v.decode("utf-8", "replace") for k, _, v in pairs}
        tried.append(f"{command[0]}: exit {result.exit_code}: {_first_line(result.stderr)}")
    raise TriageError(f"could not read the environment of {pod}/{container}: " + "; ".join(tried))
