"""The built-in rules table: one row per known failure pattern. Data, not code.

Each row: id (stable, kebab-case: scripts rely on it), title, severity, where it looks
(scopes: log, event, status), patterns (case-insensitive regexes; `literals` when a pattern
has no plain word every match contains), exclude (counter-patterns), min_level (records
below it are skipped, for words that benign lines also use), specificity (specific beats
generic beats fallback), cause, fix, next commands ({namespace}, {pod}, {container},
{workload}, {target} are filled in), and samples / counter_samples that
tests/test_rules.py runs for every row.

Order matters only between rows of the same specificity that match one record: the first
wins. So causes come before their symptoms (oom-killed before crash-loop, volume-mount before
config-missing, the Dapr rows before the generic network ones).

Literals feed the prefilter that decides which lines of a 100 MB log get parsed at all: each
must be rare in normal traffic (no `404`, `error`, `pubsub`, `:3500`, `invoke/`), or the
throughput target is lost. Every match of a row's patterns contains one of its literals (a
row is skipped without one). The prefilter scans for each literal from its rarest byte on
(scan.Prefilter), so a literal is also chosen for what follows that byte: `t found` rather
than `not found`, `uler job` rather than `scheduler job` (from `he…`, every `health` and
`header` would be walked), `fused` rather than `refused` (`re…`: request, response).
tests/test_rules.py checks the literals, as scanned, against tests/data/normal.log.

Exempt from the module-size habit: it is data.
"""

from __future__ import annotations

from typing import Any

_STATUS_FORMS = ("=", "= ", ":", ": ", " ", '":', '": ')


def _status(*codes: str) -> tuple[str, list[str]]:
    """`status=503`, `status_code: 503`, `"statusCode":503`, `status 503`: a regex, and the
    literals one of which every match of it contains. They are cut to `s=503`, `de": 503`
    (the end of status/code): the prefilter scans from a literal's first byte, and `s`/`d`
    are bytes it already looks at."""
    alternatives = "|".join(codes)
    regex = rf"status(?:[_ ]?code)?(?:\"?: ?|= ?| )(?:{alternatives})\b"
    literals = [f"{last}{form}{code}" for last in ("s", "de") for form in _STATUS_FORMS
                for code in codes]
    return regex, literals


_S401, _L401 = _status("401")
_S403, _L403 = _status("403")
_S404, _L404 = _status("404")
_S422, _L422 = _status("422")
_S429, _L429 = _status("429")
_S5XX, _L5XX = _status("502", "503", "504")
# `token expired`, `invalid bearer token`, `jwt malformed` …
_TOKEN_WORDS = ["expired", "jwt mal", "jwt inv", "valid token", "valid jwt", "valid access",
                "valid bearer", "valid id token", "valid refresh"]

ROWS: list[dict[str, Any]] = [
    # ---- seed patterns -------------------------------------------------------------------
    {
        "id": "schema-mismatch",
        "title": "Model and schema disagree (missing attribute or field)",
        "severity": "error",
        "patterns": [
            r"AttributeError: '\w+' object has no attribute",
            r"ResponseValidationError",
            r"UnrecognizedPropertyException|Unrecognized field \"\w+\" \(class",
            r"got an unexpected keyword argument '\w+'",
            r"json: cannot unmarshal \w+ into Go struct field",
        ],
        # None has no attributes at all: that is a missing object, not a schema change.
        "exclude": [r"'NoneType' object has no attribute"],
        "literals": ["object has no attribute", "responsevalidationerror", "(class ",
                     "propertyexception", "unexpected keyword argument", "into go struct field"],
        "cause": "The code and the data disagree: an ORM model, a pydantic/DTO schema or an "
                 "API payload no longer have the same fields, typically after a model or "
                 "schema change that was deployed on one side only.",
        "fix": "Compare the model with the response schema (and the caller's payload); add "
               "the missing field or remove it from the schema, and deploy both sides.",
        "next": ["kubectl triage logs {target} --grep AttributeError",
                 "kubectl triage exec-probe openapi {target}"],
        "samples": [
            "AttributeError: 'Worker' object has no attribute 'skills'",
            "ERROR:    Exception in ASGI application\nTraceback (most recent call last):\n"
            '  File "/app/api/workers.py", line 42, in list_workers\n'
            "    return [WorkerOut(skills=w.skills) for w in rows]\n"
            "AttributeError: 'Worker' object has no attribute 'skills'",
            "fastapi.exceptions.ResponseValidationError: 1 validation errors:\n"
            "  {'type': 'missing', 'loc': ('response', 0, 'skills'), 'msg': 'Field required'}",
            "com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException: Unrecognized "
            'field "assignee" (class com.acme.tasks.TaskDto), not marked as ignorable',
            'level=error msg="decode task" err="json: cannot unmarshal string into Go struct '
            'field Task.priority of type int"',
        ],
        "counter_samples": [
            "INFO worker 12 has attribute skills=['go']",
            "AttributeError: 'NoneType' object has no attribute 'id'",
            "DEBUG schema check: 0 mismatches between Worker and WorkerOut",
        ],
    },
    {
        "id": "wrong-endpoint",
        "title": "Call to a path the target service does not serve (404)",
        "severity": "error",
        "patterns": [
            r"404 (?:Client Error: )?Not Found'? for url",
            r"ERR_DIRECT_INVOKE.{0,200}\b404\b|\b404\b.{0,200}ERR_DIRECT_INVOKE",
            r"/v1\.0/invoke/[\w.-]+/method/\S+.{0,80}(?:404 Not Found|" + _S404 + ")",
            r"HTTP Request: [A-Z]+ \S+ \"HTTP/[\d.]+ 404 Not Found",
            r"(?:Request failed with status code|unexpected status(?: code)?:?"
            r"|Response status code does not indicate success:) 404\b",
            r"HttpClientErrorException\$NotFound|WebClientResponseException\$NotFound"
            r"|404 Not Found from (?:GET|POST|PUT|PATCH|DELETE) ",
            r"(?:calling|call to|request to|invoking|invoke|upstream|response from|fetching)\b"
            r".{0,120}" + _S404,
            # RFC 7807 problem details of a 404 (ASP.NET, Dapr SDKs print them on failure).
            r"httpstatuses\.(?:io|com)/404|rfc7231#section-6\.5\.4|rfc9110#section-15\.5\.5",
        ],
        "literals": ["t found", "404 client error", "err_direct_invoke", "$notfound",
                     "statuses.io/404", "statuses.com/404", "rfc7231#section-6.5.4",
                     "rfc9110#section-15.5.5", *_L404],
        "cause": "A service calls another one on a path (or method) the callee does not serve: "
                 "the URL was renamed, has a wrong prefix, or the caller uses a wrong app-id.",
        "fix": "List the callee's routes (OpenAPI) and correct the caller's path, or add the "
               "route to the callee.",
        "next": ["kubectl triage exec-probe openapi <callee>",
                 "kubectl triage logs {target} --grep 404"],
        "samples": [
            "httpx.HTTPStatusError: Client error '404 Not Found' for url "
            "'http://localhost:3500/v1.0/invoke/notification-service/method/api/notify'",
            'INFO:httpx:HTTP Request: POST http://localhost:3500/v1.0/invoke/notification-'
            'service/method/notify "HTTP/1.1 404 Not Found"',
            "requests.exceptions.HTTPError: 404 Client Error: Not Found for url: "
            "http://billing:8080/api/v2/invoices",
            "Error: Request failed with status code 404\n    at createError "
            "(/app/node_modules/axios/lib/core/createError.js:16:15)",
            "org.springframework.web.client.HttpClientErrorException$NotFound: 404 : "
            '"{"timestamp":"2024-05-01T10:00:00Z","status":404,"path":"/api/notify"}"',
            '{"errorCode":"ERR_DIRECT_INVOKE","message":"fail to invoke, id: notifier, err: '
            'status 404"}',
        ],
        "counter_samples": [
            'INFO: 10.0.0.1:1 - "GET /favicon.ico HTTP/1.1" 404 Not Found',
            '10.244.0.1 - - [12/May/2024:10:00:01 +0000] "GET /wp-login.php HTTP/1.1" 404 153 '
            '"-" "Mozilla/5.0"',
            'level=info msg="request" method=GET path=/robots.txt status=404',
        ],
    },
    {
        "id": "async-sqlalchemy-greenlet",
        "title": "Async SQLAlchemy lazy load outside the event loop (MissingGreenlet)",
        "severity": "error",
        "patterns": [r"greenlet_spawn has not been called", r"MissingGreenlet"],
        "cause": "An attribute of an ORM object was loaded lazily (implicit IO) in async code: "
                 "typically an expired attribute read after `await session.commit()`, or a "
                 "relationship not eagerly loaded.",
        "fix": "Create the session with expire_on_commit=False, `await session.refresh(obj)` "
               "after commit, or load relationships eagerly (selectinload); never touch lazy "
               "attributes outside an awaited call.",
        "next": ["kubectl triage logs {target} --grep greenlet"],
        "samples": [
            "sqlalchemy.exc.MissingGreenlet: greenlet_spawn has not been called; can't "
            "call await_only() here. Was IO attempted in an unexpected place?",
            "2024-07-18 10:38:54,111 ERROR [api.tasks] Uncaught exception: greenlet_spawn has "
            "not been called; can't call await_only() here. Was IO attempted in an "
            "unexpected place? (Background on this error at: https://sqlalche.me/e/20/xd2s)",
        ],
        "counter_samples": ["INFO greenlet pool started with 8 workers",
                            "DEBUG sqlalchemy.engine: greenlet context entered for session 4"],
    },
    {
        "id": "cloudevent-unwrap",
        "title": "Pub/sub payload and CloudEvent envelope mismatch (fields read from the envelope)",
        "severity": "error",
        "patterns": [
            r"\bevent_type\b['\"]?\s*[:=]\s*['\"]?None\b",
            r"\[['\"]data['\"], ['\"]datacontenttype['\"], ['\"]id['\"].{0,80}['\"]specversion",
            r"unknown event type:? '?None'?",
            r"(?:missing|failed to find|required|invalid|unsupported)\b.{0,40}\bspecversion"
            r"|specversion.{0,40}(?:missing|required|invalid|not found)",
            r"error deserializing cloud ?event|not a valid cloud ?event|invalid cloud ?event",
            r"ERR_PUBSUB_CLOUD_EVENTS_SER|ERR_PUBSUB_EVENTS_SER|cannot create cloudevent"
            r"|unexpected envelope data",
        ],
        "literals": ["t_type", "['data'", '["data"', "type none", "type: none",
                     "type: 'none", "type 'none", "specv", "error deser", "valid cloud",
                     "cannot create cloud", "b_cloud", "b_events_ser",
                     "unexpected envelope"],
        "cause": "Dapr delivers pub/sub messages wrapped in a CloudEvent. Either the handler "
                 "reads payload fields (event_type, task_id) from the envelope, where they do "
                 "not exist, so they come out as None and the event is dropped; or the "
                 "publisher and the subscriber disagree on the envelope (raw payload on one "
                 "side, CloudEvent on the other), so the message cannot be deserialized.",
        "fix": "Read the payload from the envelope's `data` field, or use rawPayload on both "
               "sides (publish with metadata.rawPayload=true and subscribe with "
               "rawPayload: true); publish JSON objects, not arrays or bare strings.",
        "next": ["kubectl triage dapr subs {target}",
                 "kubectl triage logs {target} --grep event_type"],
        "samples": [
            "Received task event: event_type: None task_id: None",
            "WARNING Unknown event type None, dropping",
            '{"app_id":"notify","level":"error","msg":"error deserializing cloud event in '
            "pubsub pubsub and topic tasks: json: cannot unmarshal array into Go value of "
            'type map[string]interface {}","scope":"dapr.runtime","type":"log"}',
            "io.cloudevents.core.format.EventDeserializationException: com.fasterxml.jackson."
            "databind.exc.MismatchedInputException: Missing mandatory specversion attribute",
        ],
        "counter_samples": [
            "Received task event: event_type: task.created task_id: 42",
            'INFO received CloudEvent id=9f2 type=task.created specversion=1.0 source=api',
        ],
    },
    {
        "id": "timezone",
        "title": "Scheduled time off by whole hours (naive vs aware datetimes)",
        "severity": "error",
        "patterns": [
            r"can't (?:compare|subtract) offset-naive and offset-aware datetimes",
            r"(?:AmbiguousTimeError|NonExistentTimeError)",
        ],
        "literals": ["offset-naive", "ambiguoustimeerror", "nonexistenttimeerror"],
        "cause": "A local wall-clock time was stored or compared as UTC (or the reverse): jobs "
                 "fire a whole number of hours early or late, or naive and aware datetimes "
                 "are mixed.",
        "fix": "Store times as timezone-aware UTC; convert the user's local time with its zone "
               "(zoneinfo) when scheduling, and compare aware datetimes only.",
        "next": ["kubectl triage logs {target} --grep due_at",
                 "kubectl triage exec-probe env {target}"],
        "samples": [
            "TypeError: can't compare offset-naive and offset-aware datetimes",
            "Nov 26 02:25:29 worker-1 app[5820]: TypeError: can't subtract offset-naive and "
            "offset-aware datetimes",
            "pytz.exceptions.AmbiguousTimeError: 2023-10-29 02:30:00",
        ],
        "counter_samples": ["INFO reminder 42 scheduled for 23:00 Europe/Berlin",
                            "DEBUG converted naive datetime to aware (tz=UTC)"],
    },
    # ---- kubernetes (pod status, events, pasted kubectl output) ---------------------------
    {
        "id": "oom-killed",
        "title": "Container killed for exceeding its memory limit (OOMKilled, exit 137)",
        "severity": "error",
        "scopes": ["log", "event", "status"],
        "patterns": [
            r"OOMKill(?:ed|ing)?\b|OOM[ -]?Killed|oom[-_]kill",
            r"Memory cgroup out of memory|Out of memory: Kill(?:ed)? process|invoked oom-killer",
            r"exit[ _]?code[\s\"':=(]{0,12}137\b",
            r"System OOM encountered",
        ],
        "literals": ["mkill", "m kill", "m-kill", "m_kill", "cgroup out", "memory: kill",
                     "exit code", "exitcode", "exit_code", "system oom"],
        "cause": "The container used more memory than its limit and the kernel killed it "
                 "(SIGKILL, exit code 137); Kubernetes restarts it, and repeated kills turn "
                 "into a crash loop. A leak, a load spike or a limit set below the working set "
                 "(JVM heap, worker count) are the usual reasons.",
        "fix": "Compare the container's memory limit with its real usage (`kubectl top pod`); "
               "raise the limit or lower the app's footprint (heap size, workers, batch "
               "size), and look for a leak if usage grows without bound.",
        "next": ["kubectl describe pod {pod}", "kubectl triage logs {target} --previous",
                 "kubectl triage status"],
        "samples": [
            "container app in pod web-1 last terminated: OOMKilled (exit code 137), restarts 3",
            "OOMKilling: Memory cgroup out of memory: Killed process 1234 (java) "
            "total-vm:4194304kB, anon-rss:1048576kB",
            "    Last State:     Terminated\n      Reason:       OOMKilled\n"
            "      Exit Code:    137",
            "web-7d4b9c-x2k9p   0/1     OOMKilled   4          10m",
            '        "lastState": {\n            "terminated": {\n'
            '                "exitCode": 137,\n                "reason": "Error"\n'
            "            }\n        },",
        ],
        "counter_samples": [
            "container app in pod web-1 last terminated: Error (exit code 1), restarts 3",
            "INFO worker exited with exit code 0",
            "INFO memory usage 512Mi of 1Gi limit",
        ],
    },
    {
        "id": "image-pull",
        "title": "Image cannot be pulled (ErrImagePull / ImagePullBackOff)",
        "severity": "error",
        "scopes": ["log", "event", "status"],
        "patterns": [
            r"ErrImagePull|ImagePullBackOff|InvalidImageName",
            r"Back-?off pulling image|Failed to pull image",
            r"pull access denied|repository does not exist or may require"
            r"|manifest (?:for \S+ )?(?:unknown|not found)|no matching manifest for"
            r"|toomanyrequests: You have reached your pull rate limit"
            r"|failed to resolve reference",
        ],
        "literals": ["magepu", "invalidimagename", "back-off pulling", "backoff pulling",
                     "failed to pull", "access denied", "repository does not exist", "manifest",
                     "your pull rate limit", "failed to resol"],
        "cause": "The kubelet cannot pull the container image: the name or tag is wrong (or was "
                 "never pushed), the registry needs credentials the pod does not have "
                 "(imagePullSecrets), or the registry is unreachable or rate-limiting.",
        "fix": "Check the image reference in the pod spec against the registry; push the tag, "
               "fix the typo, or add an imagePullSecret; for Docker Hub limits use a mirror "
               "or authenticated pulls.",
        "next": ["kubectl describe pod {pod}", "kubectl triage events"],
        "samples": [
            'container app in pod web-1 is waiting: ImagePullBackOff: Back-off pulling image "x"',
            'Failed: Failed to pull image "ghcr.io/acme/api:1.4.2": rpc error: code = NotFound '
            'desc = failed to pull and unpack image "ghcr.io/acme/api:1.4.2": not found',
            "my_pod_1 0/1 ErrImagePull 0 59m",
            "  Warning  Failed     12s (x3 over 50s)  kubelet  Failed to pull image "
            '"acme/api:latest": pull access denied for acme/api, repository does not exist '
            "or may require 'docker login'",
        ],
        "counter_samples": [
            '  Normal   Pulled     2s    kubelet  Container image "nginx:1.25" already present '
            "on machine",
            'Pulling: Pulling image "ghcr.io/acme/api:1.4.2"',
        ],
    },
    {
        "id": "volume-mount",
        "title": "Volume cannot be attached or mounted (FailedMount)",
        "severity": "error",
        "scopes": ["log", "event", "status"],
        "patterns": [
            r"FailedMount|FailedAttachVolume|FailedMapVolume",
            r"MountVolume\.\w+ failed|MapVolume\.\w+ failed|AttachVolume\.Attach failed",
            r"Unable to (?:attach or )?mount volumes|Multi-Attach error"
            r"|timeout expired waiting for volumes to attach",
            r"mount failed: exit status \d+|wrong fs type, bad option",
        ],
        "literals": ["failedmount", "failedattachvolume", "failedmapvolume", "mountvolume.",
                     "mapvolume.", "attachvolume.attach", "mount volumes", "multi-attach",
                     "volumes to attach", "mount failed", "wrong fs type"],
        "cause": "The pod waits in ContainerCreating because a volume cannot be attached or "
                 "mounted: the Secret/ConfigMap/PVC it names does not exist, the disk is "
                 "still attached to another node (Multi-Attach), or the storage driver fails.",
        "fix": "Create the missing Secret/ConfigMap/PVC (or fix the name in the pod spec); for "
               "Multi-Attach, make sure the old pod is gone or use a ReadWriteMany volume; "
               "check the CSI driver's logs for driver errors.",
        "next": ["kubectl describe pod {pod}", "kubectl triage events"],
        "samples": [
            'FailedMount: MountVolume.SetUp failed for volume "cfg" : configmap "cfg" not found',
            "  Warning  FailedMount  98s (x1198 over 40h)  kubelet  MountVolume.SetUp failed "
            'for volume "certs" : secret "coturn" not found',
            'FailedAttachVolume: Multi-Attach error for volume "pvc-4f1c" Volume is already '
            "exclusively attached to one node and can't be attached to another",
            "Unable to attach or mount volumes: unmounted volumes=[data], unattached "
            "volumes=[data kube-api-access]: timed out waiting for the condition",
        ],
        "counter_samples": [
            'SuccessfulAttachVolume: AttachVolume.Attach succeeded for volume "pvc-4f1c"',
            "INFO mounted config volume at /etc/app",
        ],
    },
    {
        "id": "config-missing",
        "title": "Referenced Secret/ConfigMap key or required setting missing",
        "severity": "error",
        "scopes": ["log", "event", "status"],
        "patterns": [
            r"CreateContainerConfigError",
            r"\b(?:secrets?|configmaps?|config map) \"[\w.-]+\" not found",
            r"couldn't find key [\w.-]+ in (?:Secret|ConfigMap)",
            r"Could not resolve placeholder '[\w.-]+'",
            r"(?:environment variable|env var(?:iable)?)s?\s+[\"'`]?\$?[\w.]+[\"'`]?\s+"
            r"(?:is\s+)?(?:not set|missing|required|undefined|not defined|empty)",
            r"missing (?:required )?(?:environment variables?|env vars?|configuration "
            r"(?:key|value|property))",
            r"required key [\w.]+ missing value",
            r"(?s)environ\[['\"]\w+['\"]\].{0,400}KeyError: '",
            r"(?-i:KeyError: '[A-Z][A-Z0-9]*_[A-Z0-9_]+')",
            r"validation errors? for \w*(?:Settings|Config)\b",
        ],
        "literals": ["createcontainerconfigerror", 'secret "', 'secrets "', 'configmap "',
                     'configmaps "', 'config map "', "couldn't find key", "could not resol",
                     "environment variable", "v var", "missing configuration", "missing value",
                     "environ[", "keyerror: '", "validation error"],
        "cause": "The container cannot start or stops at start-up because configuration it "
                 "needs is missing: a Secret or ConfigMap (or one of its keys) referenced by "
                 "the pod does not exist in the namespace, or a required environment "
                 "variable/setting is unset.",
        "fix": "Create the Secret/ConfigMap (or the key) in the pod's namespace, or correct "
               "the name in the Deployment; set the missing variable and check what the "
               "container really receives.",
        "next": ["kubectl triage exec-probe env {target}", "kubectl describe pod {pod}",
                 "kubectl triage events"],
        "samples": [
            'container app in pod web-1 is waiting: CreateContainerConfigError: secret "db" '
            "not found",
            "  Warning  Failed     2s (x5 over 54s)  kubelet  Error: couldn't find key VALUE "
            "in Secret default/aegis-secret",
            "Caused by: java.lang.IllegalArgumentException: Could not resolve placeholder "
            "'DB_URL' in value \"${DB_URL}\"",
            "Traceback (most recent call last):\n  File \"/app/settings.py\", line 3, in "
            "<module>\n    DATABASE_URL = os.environ['DATABASE_URL']\nKeyError: 'DATABASE_URL'",
            "pydantic_core._pydantic_core.ValidationError: 1 validation error for Settings\n"
            "database_url\n  Field required [type=missing, input_value={}, input_type=dict]",
            "Error: environment variable REDIS_URL is not set",
        ],
        "counter_samples": [
            "INFO loaded 12 keys from ConfigMap app-config",
            'INFO secret "db" mounted at /var/run/secrets/db',
            "KeyError: 'user_id'",
        ],
    },
    {
        "id": "init-container",
        "title": "Init container failing: the pod never starts",
        "severity": "error",
        "scopes": ["log", "event", "status"],
        "patterns": [
            r"Init:(?:CrashLoopBackOff|Error|RunContainerError|ContainerCannotRun|StartError"
            r"|ExitCode:\d+|Signal:\d+)",
            r"init container [\w.-]+ (?:in pod [\w.-]+ )?(?:is waiting: (?!PodInitializing)"
            r"|(?:is |last )?terminated: (?!Completed))",
            r"(?s)^Init Containers:.{0,3000}?(?:CrashLoopBackOff|Reason:\s+Error\b"
            r"|Exit Code:\s+[1-9])",
        ],
        # `t:erro`, `t:runc`, `t:sign`: the tails of `Init:Error` … that start on a byte the
        # prefilter already scans for.
        "literals": ["init:crashloopbackoff", "t:erro", "t:runc", "init:containercannotrun",
                     "init:starterror", "init:exitcode", "t:sign", "init container",
                     "init containers:"],
        "cause": "An init container (a migration, a wait-for-dependency script, a config "
                 "fetcher) exits with an error, so the app containers never start; Kubernetes "
                 "retries it with growing back-off.",
        "fix": "Read the init container's log (`-c <init-container>`) and fix what it waits "
               "for or runs: a database not reachable yet, a failing migration, a wrong "
               "command or missing credentials.",
        "next": ["kubectl describe pod {pod}",
                 "kubectl triage logs pod/{pod} -c <init-container> --previous"],
        "samples": [
            "init container migrate in pod web-1 is waiting: CrashLoopBackOff",
            "flagsmith-api-6c9959c65c-4n49k   0/1     Init:CrashLoopBackOff   2          2m",
            "init container wait-db in pod web-1 is terminated: Error (exit code 1)",
            "api-5d8c7b9f4-k2l9x   0/2   Init:Error   3   4m",
        ],
        "counter_samples": [
            "api-5d8c7b9f4-k2l9x   0/2   Init:0/1   0   4s",
            "init container migrate in pod web-1 is waiting: PodInitializing",
            "INFO init container finished: 3 migrations applied",
        ],
    },
    {
        "id": "crash-loop",
        "title": "Container crash-looping",
        "severity": "error",
        "scopes": ["log", "event", "status"],
        "patterns": [
            r"CrashLoopBackOff",
            r"Back-?off restarting failed container",
            r"last terminated: (?:Error|ContainerCannotRun|StartError)",
            r"Last State:\s+Terminated\s+Reason:\s+(?:Error|ContainerCannotRun|StartError)",
            r"(?m)^[\w.-]+\s+\d+/\d+\s+(?:Error|RunContainerError|ContainerCannotRun|StartError)"
            r"\s+\d+",
        ],
        "literals": ["crashloopbackoff", "restarting failed container", "terminated", "err",
                     "containercannotrun", "starterror"],
        "cause": "The container exits soon after it starts, again and again; Kubernetes waits "
                 "longer before each restart. The reason is in the previous instance's log.",
        "fix": "Read the previous log for the exception or exit reason and fix that (config, "
               "dependency, migration); check the exit code and the last termination reason.",
        "next": ["kubectl triage logs {target} --previous", "kubectl describe pod {pod}"],
        "samples": [
            "Back-off restarting failed container worker in pod reminder-worker-5d8",
            "reminder-worker-5d8c   0/1   CrashLoopBackOff   7   14m",
            "container worker in pod reminder-worker-abc is waiting: CrashLoopBackOff: "
            "back-off 5m0s restarting failed container",
            "BackOff: Back-off restarting failed container app in pod x",
            "    State:          Waiting\n      Reason:       CrashLoopBackOff\n"
            "    Last State:     Terminated\n      Reason:       Error\n      Exit Code:    1",
            "api-7c9d8f6b5-q8z4m   0/1   Error   3   2m",
        ],
        "counter_samples": [
            "INFO restarting worker pool after config reload",
            "api-7c9d8f6b5-q8z4m   1/1   Running   0   2m",
            "container app in pod web-1 last terminated: Completed (exit code 0), restarts 0",
        ],
    },
    {
        "id": "probe-failure",
        "title": "Liveness/readiness/startup probe failing",
        "severity": "warning",
        "scopes": ["log", "event", "status"],
        "patterns": [
            r"(?:Liveness|Readiness|Startup) probe (?:failed|errored)",
            r"failed (?:liveness|readiness|startup) probe",
        ],
        "literals": ["probe failed", "probe errored", "ss probe", "p probe"],
        "cause": "The kubelet's probe does not get a healthy answer in time: a failing "
                 "readiness probe takes the pod out of its Service, a failing liveness probe "
                 "restarts it. The app is down, slow to start, listening on another port or "
                 "path, or its health check depends on something that is down.",
        "fix": "Call the probe's path inside the pod; fix the port/path in the probe, give "
               "slow starts a startupProbe or a larger initialDelaySeconds/timeoutSeconds, "
               "and keep liveness checks free of dependencies.",
        "next": ["kubectl describe pod {pod}", "kubectl triage exec-probe http {target} /healthz",
                 "kubectl triage logs {target} --previous"],
        "samples": [
            "Unhealthy: Readiness probe failed: HTTP probe failed with statuscode: 500",
            '  Warning  Unhealthy  115s (x3 over 3m25s)   kubelet  Liveness probe failed: Get '
            '"http://10.1.2.3:8080/actuator/health": dial tcp 10.1.2.3:8080: connect: '
            "connection refused",
            "Killing: Container api failed liveness probe, will be restarted",
            'Unhealthy: Startup probe failed: Get "http://10.1.2.3:8000/healthz": context '
            "deadline exceeded (Client.Timeout exceeded while awaiting headers)",
        ],
        "counter_samples": [
            'INFO:     10.1.0.1:50000 - "GET /healthz HTTP/1.1" 200 OK',
            "INFO readiness probe endpoint registered at /ready",
        ],
    },
    {
        "id": "scheduling",
        "title": "Pod cannot be scheduled (FailedScheduling)",
        "severity": "error",
        "scopes": ["log", "event", "status"],
        "patterns": [
            r"FailedScheduling|(?-i:Unschedulable)",
            r"\d+/\d+ nodes are available",
            r"failed to fit in any node|fit failure on node",
            r"pod has unbound (?:immediate )?PersistentVolumeClaims"
            r"|no nodes available to schedule pods|NotTriggerScaleUp|didn't trigger scale-up",
            r"Insufficient (?:cpu|memory|pods|ephemeral-storage|hugepages-\w+|[\w.-]+/[\w.-]+)\b",
        ],
        "literals": ["failedscheduling", "unschedul", "nodes are available", "failed to fit",
                     "fit failure", "unbound immediate", "unbound persistentvolumeclaims",
                     "no nodes available", "nottriggerscaleup", "trigger scale-up",
                     "insufficient "],
        "cause": "No node can take the pod: its CPU/memory/GPU requests exceed what any node "
                 "has free, or node selectors, affinity, taints or an unbound "
                 "PersistentVolumeClaim rule every node out. The pod stays Pending.",
        "fix": "Read which predicate failed in the event; lower the requests or add capacity "
               "(or let the autoscaler scale up), fix the nodeSelector/affinity/tolerations, "
               "or create the StorageClass/PV the claim needs.",
        "next": ["kubectl describe pod {pod}", "kubectl triage events"],
        "samples": [
            "FailedScheduling: 0/3 nodes are available: 3 Insufficient cpu.",
            "pod web-1 is Pending: Unschedulable: 0/3 nodes are available: 1 node(s) had "
            "untolerated taint {node-role.kubernetes.io/control-plane: }",
            "fit failure on node (gke-pool-eae1f3b0-spgr): Insufficient cpu",
            "  Warning  FailedScheduling  6s (x5 over 3m1s)  default-scheduler  0/2 nodes are "
            "available: 2 Insufficient nvidia.com/gpu",
        ],
        "counter_samples": [
            "Scheduled: Successfully assigned taskflow/web-1 to node-2",
            "ERROR insufficient funds for transfer 8841",
        ],
    },
    {
        "id": "evicted",
        "title": "Pod evicted by the kubelet (node under resource pressure)",
        "severity": "warning",
        "scopes": ["log", "event", "status"],
        "min_level": "warning",
        "patterns": [
            r"(?-i:\bEvicted\b)",
            r"The node (?:was low on resource|had condition)",
            r"\bpods? (?:was |were |has been )?evicted",
            r"ephemeral local storage usage exceeds|exceeded its local ephemeral storage limit",
        ],
        "literals": ["evicted", "low on resource", "node had condition", "ephem"],
        "cause": "The node ran low on memory or disk (ephemeral storage) and the kubelet "
                 "evicted pods, starting with those using more than they requested; pods "
                 "without requests/limits, or that write large files to their container "
                 "filesystem or emptyDir, go first.",
        "fix": "Set memory and ephemeral-storage requests/limits that match real usage, move "
               "large or growing files to a volume, rotate logs; check the node's pressure "
               "and delete the Evicted pods left behind.",
        "next": ["kubectl describe pod {pod}", "kubectl triage events", "kubectl triage status"],
        "samples": [
            "Evicted: The node was low on resource: memory.",
            "pod web-1 is Failed: Evicted: The node was low on resource: memory.",
            "istio-citadel-894d98c88-zkt23               0/1     Evicted   0          102d",
            "  Warning  Evicted  6m5s  kubelet  The node was low on resource: ephemeral-storage. "
            "Container app was using 76Ki, which exceeds its request of 0.",
        ],
        "counter_samples": [
            "INFO cache: evicted 120 expired keys",
            "DEBUG Evicted 3 entries from the LRU cache",
        ],
    },
    {
        # Found mostly by the `service-no-endpoints` detector (a Service's selector against
        # the ready pods); the patterns name the same fact where a log or an event says it.
        "id": "service-no-endpoints",
        "title": "Service has no ready endpoint (its selector matches no ready pod)",
        "severity": "error",
        "patterns": [
            r"no endpoints available for service",
            r"does not have any active endpoints?\b",
        ],
        "cause": "Nothing behind the Service can take a connection: no pod carries the "
                 "Service's selector labels (a typo, a renamed label, a workload scaled to "
                 "zero or never deployed), or the pods that do are not Ready. Its clients get "
                 "connection refused or time out, and crash-loop if they need it at start-up.",
        "fix": "Compare the Service's selector with the labels of the pods meant to serve it; "
               "start or scale up the workload behind it and fix what keeps its pods from "
               "being Ready.",
        "next": ["kubectl describe service {service}", "kubectl triage status"],
        "samples": [
            'Error from server (ServiceUnavailable): no endpoints available for service '
            '"postgres"',
            'W1127 23:01:02.000 controller.go:1000] Service "taskflow/postgres" does not have '
            "any active Endpoint.",
        ],
        "counter_samples": [
            "INFO endpoints available for service postgres: 1",
            "DEBUG Service \"taskflow/postgres\" has 2 active endpoints",
        ],
    },
    # ---- dapr (daprd sidecar logs, the app's view of its sidecar) ---------------------------
    {
        "id": "dapr-app-channel",
        "title": "Dapr sidecar cannot reach its app (app channel not ready)",
        "severity": "error",
        "patterns": [
            r"app channel (?:is )?not initialized|app channel is nil|ERR_APP_CHANNEL_NIL"
            r"|ERR_ACTOR_NO_APP_CHANNEL",
            r"invoke API is not ready",
            r"error (?:invoking|returned from) app channel",
            r"app is not in a healthy state",
            r"(?:127\.0\.0\.1|localhost):\d+: connect: connection refused"
            r"[^\n]{0,400}scope\"?[=:]\s?\"?dapr\.",
        ],
        "literals": ["app channel", "app_channel", "invoke api is not ready", "y state", "fused"],
        "cause": "daprd has no working channel to the application: the app does not listen "
                 "(yet) on the port given by dapr.io/app-port, listens on another port or "
                 "only on another interface, speaks another protocol (app-protocol), or is "
                 "reported unhealthy. Invocations and pub/sub deliveries to it fail.",
        "fix": "Make dapr.io/app-port (and app-protocol) match the port the app really listens "
               "on, bind the app to 0.0.0.0 or localhost, and let the app start before it is "
               "called (app health checks).",
        "next": ["kubectl triage dapr status {target}", "kubectl triage logs {target} -c daprd"],
        "samples": [
            'time="2021-12-10T06:51:19Z" level=debug msg="retry count: 1, grpc call failed, '
            "ns: default, addr: policy-dapr.default.svc.cluster.local:50002, appid: policy, "
            'err: rpc error: code = Internal desc = app channel is not initialized" '
            "app_id=idp scope=dapr.runtime.direct_messaging type=log",
            '{"errorCode":"ERR_DIRECT_INVOKE","message":"invoke API is not ready"}',
            'time="2024-03-01T10:00:00Z" level=error msg="error returned from app channel '
            "while sending pub/sub event to app: Post \\\"http://127.0.0.1:8000/events\\\": "
            'dial tcp 127.0.0.1:8000: connect: connection refused" app_id=notify '
            "scope=dapr.runtime.processor.pubsub type=log",
        ],
        "counter_samples": [
            'time="2024-03-01T10:00:00Z" level=info msg="application discovered on port 8000" '
            "app_id=notify scope=dapr.runtime type=log",
            'time="2024-03-01T10:00:00Z" level=info msg="app channel created for app at '
            'port 8000" scope=dapr.runtime',
        ],
    },
    {
        "id": "dapr-component-missing",
        "title": "Dapr component not found or not configured (pub/sub, state store, …)",
        "severity": "error",
        "patterns": [
            r"no (?:pubsub|state store|secret store|lock store|configuration store)s? "
            r"(?:is |are )?configured",
            r"(?:pubsub|pub sub|state store|secret store|lock store|configuration store"
            r"|output binding|input binding|binding|crypto provider|workflow component)"
            r"(?: [\w.-]+)?(?: is)? not (?:found|configured)",
            r"ERR_(?:STATE_STORE|PUBSUB|SECRET_STORES?|LOCK_STORE|CONFIGURATION_STORE"
            r"|CRYPTO_PROVIDERS?|WORKFLOW_COMPONENT|CONVERSATION)_NOT_(?:FOUND|CONFIGURED)"
            r"|ERR_ACTOR_RUNTIME_NOT_FOUND|DAPR_(?:STATE|PUBSUB)_NOT_(?:FOUND|CONFIGURED)",
            r"failed finding secret store with key|couldn't find (?:output |input )?binding",
        ],
        "literals": ["configured", "t found", "not_found", "failed finding secret store",
                     "couldn't find"],
        "cause": "The app asks its sidecar for a component (pub/sub, state store, secret "
                 "store, binding) that this sidecar did not load: the name in the code "
                 "differs from the Component's metadata.name, the Component lives in another "
                 "namespace, its `scopes` leave this app-id out, or it failed to load.",
        "fix": "Compare the component name used in the code with `kubectl get components`; "
               "create the Component in the app's namespace, add the app-id to its scopes, "
               "and restart the pod so daprd loads it.",
        "next": ["kubectl triage dapr status {target}", "kubectl triage logs {target} -c daprd"],
        "samples": [
            'time="2023-05-11T16:29:23Z" level=debug msg="rpc error: code = FailedPrecondition '
            'desc = no pubsub is configured" app_id=checkout scope=dapr.runtime.grpc.api',
            '{\n  "errorCode": "ERR_PUBSUB_PUBLISH_MESSAGE",\n  "message": "pubsub not found"\n}',
            'Grpc.Core.RpcException: Status(StatusCode=Unknown, Detail="ERR_STATE_STORE_NOT_'
            'CONFIGURED")',
            'dapr.clients.exceptions.DaprGrpcError: <_InactiveRpcError of RPC that terminated '
            'with:\n\tstatus = StatusCode.INVALID_ARGUMENT\n\tdetails = "state store '
            'statestore is not found"',
        ],
        "counter_samples": [
            'time="2024-03-01T10:00:00Z" level=info msg="Component loaded: pubsub '
            '(pubsub.redis/v1)" app_id=api scope=dapr.runtime type=log',
            "INFO state store statestore configured with 3 replicas",
        ],
    },
    {
        "id": "dapr-component-init",
        "title": "Dapr component failed to initialize (daprd cannot start it)",
        "severity": "error",
        "patterns": [
            r"INIT_COMPONENT_FAILURE|CREATE_COMPONENT_FAILURE",
            r"process component \S+ error|Failed to init component",
            r"failed to init (?:state store|input binding|output binding|pub ?sub|secret store"
            r"|configuration store|lock store|crypto provider|component)",
            r"error initializing (?:pub ?sub|component|state store|binding|secret store)",
            r"couldn't find (?:pub ?sub|state store|secret store|binding|middleware"
            r"|name resolver) [\w.]+/v\d",
        ],
        "literals": ["init_component_failure", "create_component_failure", "ss comp",
                     "failed to init", "error initializ", "couldn't find"],
        "cause": "daprd found the Component but could not start it: its metadata is wrong or "
                 "incomplete (missing brokers, host, password), the backing service (Redis, "
                 "Kafka, a database) is unreachable from the pod, a secret it references is "
                 "missing, or the component type/version does not exist in this Dapr "
                 "version. A failing component makes daprd exit, and the pod crash-loops.",
        "fix": "Read the component error, fix the Component's metadata or the secret it "
               "references, make the backing service reachable (DNS name, port, network "
               "policy), or set spec.ignoreErrors while you fix it.",
        "next": ["kubectl triage logs {target} -c daprd --previous",
                 "kubectl triage dapr status {target}"],
        "samples": [
            'time="2023-03-09T15:11:17+05:30" level=fatal msg="process component pubsub '
            "error: [INIT_COMPONENT_FAILURE]: initialization error occurred for pubsub "
            "(pubsub.kafka/v1): kafka error: missing 'brokers' attribute\" app_id=addapp",
            '{"level":"warning","msg":"failed to init state store state.redis/v1 named '
            "statestore: redis store: error connecting to redis at redis:6379: dial tcp: "
            'lookup redis on 10.0.0.10:53: no such host","scope":"dapr.runtime","type":"log"}',
            'time="2024-01-01T00:00:00Z" level=error msg="Failed to init component pubsub '
            "(pubsub.rabbitmq/v1): [INIT_COMPONENT_FAILURE]: initialization error occurred "
            'for pubsub (pubsub.rabbitmq/v1): dial tcp 10.0.0.5:5672: connect: connection '
            'refused" app_id=orders scope=dapr.runtime',
        ],
        "counter_samples": [
            'time="2024-03-01T10:00:00Z" level=info msg="Component loaded: statestore '
            '(state.redis/v1)" app_id=api scope=dapr.runtime type=log',
            'time="2024-03-01T10:00:00Z" level=info msg="Initializing components" '
            "scope=dapr.runtime",
        ],
    },
    {
        "id": "dapr-scheduler",
        "title": "Dapr sidecar cannot reach the scheduler (jobs, reminders, workflows stall)",
        "severity": "warning",
        "min_level": "warning",
        "patterns": [
            r"(?:failed|error|unable|cannot|could not)\b[^\n]{0,40}\bscheduler (?:jobs?|stream"
            r"|client|server|service|host|address|connection)",
            r"\bscheduler (?:jobs?|stream|client|server|service|host|address|connection)s?\b"
            r"[^\n]{0,60}(?:failed|error|unavailable|refused|timeout|deadline|not ready|closed)",
            r"DAPR_SCHEDULER_[A-Z_]+|error scheduling job",
        ],
        "literals": ["uler job", "uler stream", "uler client", "uler server", "uler service",
                     "uler host", "uler address", "uler connection", "_schedul", "uling job"],
        "cause": "Since Dapr 1.14 daprd connects to the dapr-scheduler service for jobs, actor "
                 "reminders and workflows; it cannot reach it (scheduler pods down or not "
                 "installed, wrong --scheduler-host-address, network policy, or a self-hosted "
                 "sidecar pointing at a container address), so scheduled work does not fire.",
        "fix": "Check the dapr-scheduler-server pods in dapr-system and the sidecar's "
               "scheduler address; if the app uses no jobs, reminders or workflows, this is "
               "noise (set the scheduler address to empty to silence it).",
        "next": ["kubectl triage dapr status {target}",
                 "kubectl get pods -n dapr-system -l app=dapr-scheduler-server"],
        "samples": [
            'level=error msg="failed to watch scheduler jobs, retrying: rpc error: code = '
            'Unavailable desc = connection error" app_id=web scope=dapr.runtime.scheduler',
            "ERRO[0004] Failed to watch scheduler jobs, retrying: rpc error: code = Unavailable "
            'desc = connection error: desc = "transport: Error while dialing: dial tcp '
            '172.17.0.4:50006: connect: network is unreachable"  app_id=flokiwf '
            "scope=dapr.runtime.scheduler.cluster type=log",
            '{"level":"error","msg":"Error scheduling job reminder-42: DAPR_SCHEDULER_SCHEDULE_'
            'JOB","scope":"dapr.runtime.scheduler","type":"log"}',
        ],
        "counter_samples": [
            'time="2024-03-01T10:00:00Z" level=info msg="Scheduler stream connected" '
            "app_id=web scope=dapr.runtime.scheduler type=log",
            "2024-03-01 10:00:00,000 INFO apscheduler.scheduler: Added job \"send_digest\" "
            "to job store \"default\"",
        ],
    },
    {
        "id": "dapr-placement",
        "title": "Dapr sidecar cannot reach the placement service (actors unavailable)",
        "severity": "error",
        "min_level": "warning",
        "patterns": [
            r"(?:error|fail\w*|unable|cannot|could not|lost|disconnected)\b[^\n]{0,60}"
            r"placement (?:service|server|stream)",
            r"placement (?:service|server|stream)s?\b[^\n]{0,60}"
            r"(?:unavailable|refused|error|fail|timeout|deadline|not ready|disconnected|closed)",
            r"ERR_ACTOR_NO_PLACEMENT|ERR_ACTOR_NO_ADDRESS|did not find address for actor",
        ],
        "literals": ["placement", "err_actor_no_address", "address for a"],
        "cause": "Actors need the placement service to know which sidecar hosts which actor; "
                 "daprd cannot connect to it or lost the stream (placement pods down, wrong "
                 "--placement-host-address, mTLS trouble, network policy), so actor calls "
                 "and reminders fail.",
        "fix": "Check the dapr-placement-server pods in dapr-system and their logs, the "
               "sidecar's placement address, and that the app registers its actor types.",
        "next": ["kubectl triage dapr status {target}",
                 "kubectl get pods -n dapr-system -l app=dapr-placement-server"],
        "samples": [
            'time="2020-08-25T14:22:23+03:00" level=warning msg="error establishing client to '
            "placement service: rpc error: code = Unavailable desc = connection error: desc = "
            '\\"transport: Error while dialing dial tcp [::1]:50005: connectex: No connection '
            'could be made because the target machine actively refused it.\\"" '
            "app_id=clientcred scope=dapr.runtime.actor type=log",
            'time="2020-06-28T22:04:09+02:00" level=warning msg="failed to report status to '
            'placement service : rpc error: code = Internal desc = SendMsg called after '
            'CloseSend" app_id=orderactor scope=dapr.runtime.actor type=log',
            '{"errorCode":"ERR_ACTOR_INSTANCE_MISSING","message":"did not find address for '
            'actor OrderActor/42"}',
        ],
        "counter_samples": [
            'time="2020-11-24T17:09:42+08:00" level=info msg="established connection to '
            'placement service at localhost:50005" app_id=actorapp scope=dapr.runtime.actor',
            'time="2020-11-24T17:09:42+08:00" level=info msg="starting connection attempt to '
            'placement service: localhost:50005" app_id=actorapp scope=dapr.runtime.actor',
        ],
    },
    {
        "id": "dapr-subscription",
        "title": "Pub/sub subscription broken (sidecar cannot deliver to the app's route)",
        "severity": "error",
        "patterns": [
            r"error getting (?:topics?|topic list|subscriptions?) from app",
            r"has an empty route|removing from subscriptions list",
            r"(?:non-)?retriable error returned from app while processing (?:bulk )?pub/sub event",
            r"unable to get app subscriptions|failed to subscribe to topics?"
            r"|error (?:occurred while )?subscribing to topic",
            r"topic [\w.-]+ is not allowed for app id",
        ],
        "literals": ["from app", "empty route", "subscriptions list",
                     "unable to get app subscriptions", "failed to subscr", "subscribing to",
                     "not allowed for app id"],
        "cause": "The sidecar and the app disagree on the subscription: /dapr/subscribe "
                 "returns something daprd cannot read or a route the app does not serve "
                 "(404, so the message is dropped), a Subscription resource points at a wrong "
                 "route, or the component's scopes do not allow this topic for the app-id.",
        "fix": "Compare the routes the app declares (/dapr/subscribe), the Subscription "
               "resources and the app's real routes; fix the route or the declaration, and "
               "allow the topic for the app-id.",
        "next": ["kubectl triage dapr subs {target}", "kubectl triage exec-probe openapi {target}"],
        "samples": [
            'level=error msg="error getting topics from app: json: cannot unmarshal string into '
            'Go value of type pubsub.Subscription" app_id=python-microservice scope=dapr.runtime',
            'time="2022-02-24T05:58:09Z" level=error msg="non-retriable error returned from app '
            "while processing pub/sub event eea7276c-fc61-4615-8bbd-67ba627ecd6e: . status "
            'code returned: 404" app_id=micro-com scope=dapr.runtime type=log',
            'time="2020-06-14T01:24:33Z" level=warning msg="topic  has an empty route. removing '
            'from subscriptions list" app_id=python-microservice scope=dapr.runtime',
        ],
        "counter_samples": [
            'time="2024-03-01T10:00:00Z" level=info msg="app is subscribed to the following '
            'topics: [task-events] through pubsub=pubsub" app_id=notify scope=dapr.runtime',
            "INFO subscribed to topic task-events on pubsub",
        ],
    },
    {
        "id": "dapr-mtls",
        "title": "Dapr mTLS failure (sentry, workload certificate, trust bundle)",
        "severity": "error",
        "patterns": [
            r"CreateSignedWorkloadCert|SignCertificate|error from sentry",
            r"authentication handshake failed[^\n]{0,600}scope\"?[=:]\s?\"?dapr\.",
        ],
        "literals": ["signedwork", "signcertificate", "from sentry", "dshake"],
        "cause": "Sidecars authenticate each other with certificates issued by dapr-sentry; "
                 "this sidecar cannot get or verify one: sentry is down or unreachable, the "
                 "trust anchors/issuer certificate expired or were rotated without restarting "
                 "the sidecars, or a sidecar with mTLS talks to one without.",
        "fix": "Check dapr-sentry in dapr-system and the expiry of the root/issuer "
               "certificates (`dapr mtls expiry`); renew them, then restart the control plane "
               "and the apps' pods so every sidecar gets the same trust bundle.",
        "next": ["kubectl triage dapr status {target}",
                 "kubectl get pods -n dapr-system -l app=dapr-sentry"],
        "samples": [
            'msg="failed to start internal gRPC server: error from authenticator '
            "CreateSignedWorkloadCert: error from sentry SignCertificate: rpc error: code = "
            "Unavailable desc = connection error: desc = \\\"transport: authentication "
            'handshake failed: tls: first record does not look like a TLS handshake\\""',
            '{"app_id":"api","level":"fatal","msg":"Fatal error from runtime: failed to '
            "retrieve the initial identity certificate: error from sentry SignCertificate: "
            'rpc error: code = DeadlineExceeded desc = context deadline exceeded",'
            '"scope":"dapr.runtime","type":"log"}',
        ],
        "counter_samples": [
            'time="2024-03-01T10:00:00Z" level=info msg="mTLS enabled. creating sidecar '
            'authenticator" app_id=api scope=dapr.runtime',
            "INFO sentry_sdk: Sentry is attempting to send 2 pending events",
        ],
    },
    {
        "id": "dapr-invoke-target",
        "title": "Service invocation target app not found or unreachable",
        "severity": "error",
        "patterns": [
            r"couldn't find service:? \S+|could not find service",
            r"failed to resolve address for",
            r"ERR_DIRECT_INVOKE[\s\S]{0,300}?(?:no such host|Unavailable|connection refused"
            r"|deadline exceeded|no healthy)",
            r"fail to invoke, id: [\w.-]+, err: ",
            r"failed getting app id either from the URL path or the header dapr-app-id",
            r"access control policy has denied access to",
        ],
        "literals": ["couldn't find service", "could not find service", "failed to resol",
                     "err_direct_invoke", "fail to invoke", "failed getting app id",
                     "access control"],
        "cause": "The caller's sidecar cannot find or reach the target app-id: the app-id is "
                 "misspelled or lives in another namespace (use <app-id>.<namespace>), the "
                 "target has no ready pod with a sidecar, name resolution fails, or the "
                 "target's access-control policy denies this caller.",
        "fix": "Check the target's dapr.io/app-id and namespace, that its pods are Ready with "
               "a daprd container, and its Configuration's accessControl; use "
               "<app-id>.<namespace> across namespaces.",
        "next": ["kubectl triage dapr status <target-app>",
                 "kubectl triage logs {target} -c daprd"],
        "samples": [
            '{\n    "errorCode": "ERR_DIRECT_INVOKE",\n    "message": "fail to invoke, id: '
            'cosmosdb, err: couldn\'t find service: cosmosdb"\n}',
            '{"errorCode":"ERR_DIRECT_INVOKE","message":"couldn\'t find service: nodeapp"}',
            'level=warning msg="failed to resolve address for \'orders-dapr.prod.svc.cluster.'
            "local': lookup orders-dapr.prod.svc.cluster.local: no such host\" app_id=web",
        ],
        "counter_samples": [
            'time="2024-03-01T10:00:00Z" level=info msg="HTTP API Called" method="POST '
            '/v1.0/invoke/orders/method/new" app_id=web scope=dapr.runtime.http-info',
            "INFO invoked orders/new in 12 ms",
        ],
    },
    {
        "id": "dapr-sidecar-unavailable",
        "title": "App cannot reach its Dapr sidecar (daprd down or not injected)",
        "severity": "error",
        "patterns": [
            r"(?:refused|ECONNREFUSED|Unavailable|failed to connect|timed out"
            r"|Max retries exceeded|deadline exceeded)[^\n]{0,200}(?:127\.0\.0\.1|localhost"
            r"|\[::1\]|0\.0\.0\.0)['\"]?(?::|, port=)(?:3500|50001)\b",
            r"(?:127\.0\.0\.1|localhost|\[::1\]|0\.0\.0\.0)['\"]?(?::|, port=)(?:3500|50001)\b"
            r"[^\n]{0,200}(?:refused|ECONNREFUSED|Unavailable|failed to connect"
            r"|timed out|Max retries exceeded|deadline exceeded)",
            r"Dapr\w*Exception[\s\S]{0,600}?(?:StatusCode=\\?\"?Unavailable|UNAVAILABLE"
            r"|Connection refused|actively refused|ECONNREFUSED)",
            r"sidecar\b[^\n]{0,60}(?:not (?:ready|available|started|running|healthy|reachable)"
            r"|unavailable|unreachable|did not (?:start|become))"
            r"|(?:timed? ?out|timeout) (?:while )?waiting for (?:the )?(?:dapr )?sidecar",
            r"ERR_HEALTH_NOT_READY|ERR_OUTBOUND_HEALTH_NOT_READY|dapr outbound is not ready",
        ],
        "literals": ["fused", "unavailable", "failed to connect", "timed out",
                     "max retries exceeded", "deadline exceeded", "sidecar", "h_not_ready",
                     "outbound is not ready"],
        "cause": "The app calls its sidecar on localhost:3500 (HTTP) or :50001 (gRPC) and "
                 "nothing answers: the pod has no daprd container (injection annotations "
                 "missing, or the injector was down when the pod was created), daprd is "
                 "still starting or crash-looping, or the app uses a wrong DAPR_HTTP_PORT/"
                 "DAPR_GRPC_PORT.",
        "fix": "Check that the pod has a daprd container and it is Ready (dapr.io/enabled, "
               "dapr.io/app-id); make the app wait for the sidecar at start-up (the SDK's "
               "wait-for-sidecar / /v1.0/healthz/outbound); fix daprd's own error if it "
               "crash-loops.",
        "next": ["kubectl triage dapr status {target}",
                 "kubectl triage logs {target} -c daprd --previous"],
        "samples": [
            "Dapr.Client.InvocationException: Exception while invoking get-inventory on "
            "appId:inventory\n ---> Grpc.Core.RpcException: Status(StatusCode=\"Internal\", "
            'Detail="Error starting gRPC call. HttpRequestException: Connection refused '
            '(127.0.0.1:50001) SocketException: Connection refused")',
            " Caught Dapr.DaprException: Publish operation failed: the Dapr endpoint indicated "
            "a failure. See InnerException for details.\n  ---> Grpc.Core.RpcException: "
            'Status(StatusCode="Unavailable", Detail="Error connecting to subchannel.")',
            "requests.exceptions.ConnectionError: HTTPConnectionPool(host='localhost', "
            "port=3500): Max retries exceeded with url: /v1.0/publish/pubsub/orders (Caused "
            "by NewConnectionError('Failed to establish a new connection: [Errno 111] "
            "Connection refused'))",
            "Error: connect ECONNREFUSED 127.0.0.1:3500\n    at TCPConnectWrap.afterConnect "
            "[as oncomplete] (node:net:1555:16)",
            "io.dapr.exceptions.DaprException: UNAVAILABLE: io exception",
        ],
        "counter_samples": [
            'INFO:httpx:HTTP Request: POST http://localhost:3500/v1.0/publish/pubsub/orders '
            '"HTTP/1.1 204 No Content"',
            "INFO dapr sidecar is ready after 1200 ms",
        ],
    },
    # ---- application: specific causes -----------------------------------------------------
    {
        "id": "db-schema-drift",
        "title": "Database schema behind the code (missing table/column, migration not applied)",
        "severity": "error",
        "patterns": [
            r"Undefined(?:Table|Column)(?:Error)?",
            r"relation \"[\w.]+\" does not exist",
            r"column \"?[\w.]+\"? (?:of relation \"[\w.]+\" )?does not exist",
            r"no such (?:table|column):",
            r"Table '[\w.]+' doesn't exist|Unknown column '[^']+' in '",
            r"table or view does not exist|Base table or view not found",
            r"(?:SQLSTATE|SQL ?state)[\[:= \"']{0,3}(?:42P01|42703|42S02|42S22)\b",
            r"Invalid (?:object|column) name '|Column not found: 1054",
            r"Schema-validation: missing (?:table|column)|SchemaManagementException",
            r"Validate failed: Migrations? ha(?:s|ve) failed|FlywayValidateException"
            r"|Detected (?:resolved|applied) migration not (?:applied|resolved)"
            r"|Migration checksum mismatch",
            r"Can't locate revision identified by|Target database is not up to date"
            r"|PendingMigrationError|You have \d+ unapplied migration",
        ],
        "literals": ["undefinedtable", "undefinedcolumn", "does not exist", "such tab",
                     "such col", "doesn't exist", "unknown column", "sqlstate", "sql state",
                     "invalid object name", "invalid column name", "table or view",
                     "column not found", "schema-validation", "schemamanagementexception",
                     "flywayvalidate", "migration", "can't locate revision", "is not up to date"],
        "cause": "The code expects a table or column the database does not have: the "
                 "migration that adds it did not run in this environment (or ran against "
                 "another database), or the code was deployed before/after a migration that "
                 "renamed or dropped it.",
        "fix": "Run the pending migrations (alembic upgrade head, flyway migrate, manage.py "
               "migrate) as an init container or job before the new version starts; check "
               "the app points at the database you migrated.",
        "next": ["kubectl triage logs {target} --grep 'does not exist'",
                 "kubectl triage exec-probe env {target}"],
        "samples": [
            "sqlalchemy.exc.ProgrammingError: (psycopg2.errors.UndefinedColumn) column "
            "workers.skills does not exist",
            'asyncpg.exceptions.UndefinedTableError: relation "users" does not exist',
            "org.springframework.jdbc.BadSqlGrammarException: PreparedStatementCallback; bad "
            "SQL grammar; nested exception is java.sql.SQLSyntaxErrorException: Table "
            "'shop.orders' doesn't exist",
            "sqlite3.OperationalError: no such table: reminders",
            'ERROR: column "due_at" of relation "reminders" does not exist (SQLSTATE 42703)',
        ],
        "counter_samples": [
            "INFO  [alembic.runtime.migration] Running upgrade 2e561a42af25 -> ebe551f9e7e9, "
            "Add index to promo_code",
            "INFO table reminders does not exist yet, creating it",
        ],
    },
    {
        "id": "db-connection",
        "title": "Database (or cache) connection failed",
        "severity": "error",
        "patterns": [
            r"could not connect to server|connection to server (?:at|on) \S+.{0,80}failed",
            r"the database system is (?:starting up|shutting down|in recovery mode"
            r"|not yet accepting connections)",
            r"Communications link failure|Can't connect to (?:local )?MySQL server"
            r"|Lost connection to MySQL server|MySQL server has gone away",
            r"Error \d+ connecting to [\w.-]+:\d+|redis\.exceptions\.ConnectionError"
            r"|Redis connection (?:to \S+ )?(?:failed|lost)",
            r":(?:5432|3306|6379|27017|1433|9042)\b[^\n]{0,80}(?:refused|ECONNREFUSED|timed out"
            r"|i/o timeout)|ECONNREFUSED[^\n]{0,40}:(?:5432|3306|6379|27017|1433|9042)\b",
            r"MongoNetworkError|MongoServerSelectionError|ServerSelectionTimeoutError"
            r"|MongoTimeoutError",
            r"HikariPool-\d+ - (?:Exception during pool initialization|Connection is not "
            r"available)|Unable to acquire JDBC Connection|CannotGetJdbcConnectionException"
            r"|Failed to obtain JDBC Connection|Connection to [\w.-]+:\d+ refused",
            r"(?:OperationalError|InterfaceError)\b[^\n]{0,120}(?:could not connect|connection "
            r"refused|timeout expired|server closed the connection|Can't connect|Lost "
            r"connection|could not translate host name|Connect call failed)",
            r"could not translate host name \"[\w.-]+\" to address",
            r"password authentication failed for user|Access denied for user '"
            r"|Login failed for user '|NOAUTH Authentication required|WRONGPASS",
            r"too many connections|remaining connection slots are reserved"
            r"|sorry, too many clients already|database \"[\w.-]+\" does not exist",
            r"failed to connect to `host=|CannotConnectNowError|TooManyConnectionsError"
            r"|SQLSTATE\[(?:HY000\] \[2002|08006|08001)\]",
        ],
        "literals": ["connect to server", "connection to server", "system is",
                     "communications link", "can't connect to", "lost connection", "has gone away",
                     "connecting to", "redis.exceptions", "redis connection", "fused", "timed out",
                     "i/o timeout", "mongonet", "mongoser", "selectiontimeout", "mongotimeouterror",
                     "hikari", "jdbc connection", "jdbcconnectionexception", "operationalerror",
                     "interfaceerror", "could not translate", "authenticat",
                     "access denied for user",
                     "login failed for user", "wrongpass", "too many connections",
                     "remaining connection slots", "too many clients", "does not exist",
                     "failed to connect to `host=", "cannotconnectnowerror",
                     "toomanyconnectionserror", "sqlstate["],
        "cause": "The app cannot open a connection to its database or cache: the server is "
                 "down, still starting or failing over, the host/port in the connection "
                 "string is wrong, a network policy blocks it, the credentials are wrong, or "
                 "the server has no connection slots left.",
        "fix": "Check the database pod/service and its endpoints, the connection string the "
               "app really gets (host, port, database, user), the credentials Secret, and "
               "the pool size against max_connections; retry with back-off at start-up.",
        "next": ["kubectl triage exec-probe env {target}", "kubectl triage events",
                 "kubectl triage logs {target} --previous"],
        "samples": [
            "psycopg2.OperationalError: could not connect to server: Connection refused\n"
            '        Is the server running on host "db" (10.0.0.7) and accepting\n'
            "        TCP/IP connections on port 5432?",
            'connection to server at "10.1.209.231", port 5432 failed: Connection refused\n'
            "\tIs the server running on that host and accepting TCP/IP connections?",
            "06-Oct-2021 14:21:56.462 SEVERE [main] org.postgresql.Driver.connect Connection "
            "error: \n\torg.postgresql.util.PSQLException: FATAL: the database system is "
            "starting up",
            "redis.exceptions.ConnectionError: Error 111 connecting to redis:6379. Connection "
            "refused.",
            "com.zaxxer.hikari.pool.HikariPool$PoolInitializationException: Failed to "
            "initialize pool: Communications link failure",
            "MongoServerSelectionError: connect ECONNREFUSED 10.0.0.9:27017",
            'FATAL:  password authentication failed for user "app"',
        ],
        "counter_samples": [
            "INFO connected to postgres at db:5432 (pool size 10)",
            "INFO redis connection pool created: max_connections=50",
        ],
    },
    {
        "id": "tls-certificate",
        "title": "TLS certificate not trusted, expired or for another name",
        "severity": "error",
        "patterns": [
            r"CERTIFICATE_VERIFY_FAILED|certificate verify failed|\[SSL: [A-Z0-9_]+\]",
            r"x509: ",
            r"SSLHandshakeException|PKIX path building failed"
            r"|unable to find valid certification path",
            r"unable to (?:get local issuer|verify the first) certificate"
            r"|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY"
            r"|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|CERT_HAS_EXPIRED"
            r"|ERR_TLS_CERT_ALTNAME_INVALID",
            r"self[- ]signed certificate|certificate has expired|certificate is not valid for"
            r"|The remote certificate is invalid|RemoteCertificate(?:NameMismatch|ChainErrors)",
            r"tls: (?:bad certificate|failed to verify|handshake failure|unknown certificate"
            r"|certificate required|expired certificate|first record does not look like)",
            r"\bSSLError\b|SSL_ERROR_SYSCALL|wrong version number|sslv3 alert|tlsv1 alert"
            r"|authentication handshake failed",
        ],
        "literals": ["certificate ver", "certificate_ver", "[ssl: ", "x509: ",
                     "sslhandshakeexception",
                     "pkix path building failed", "valid certification path",
                     "unable to get local issuer", "unable to verify the first",
                     "unable_to_verify_leaf_signature", "unable_to_get_issuer_cert_locally",
                     "self_signed_cert_in_chain", "depth_zero", "cert_has_expired",
                     "err_tls_cert_altname_invalid", "signed certificate", "expired",
                     "certificate is not valid for", "remote certificate", "remotecertificate",
                     "tls: ", "sslerr", "ssl_error_syscall", "wrong ver", "sslv3",
                     "tlsv1", "dshake"],
        "cause": "A TLS connection fails on the certificate: it is signed by a CA the client "
                 "does not trust (internal or self-signed CA missing from the image), it "
                 "expired, it is for another host name, or the client speaks TLS to a plain "
                 "port (or the reverse).",
        "fix": "Add the issuing CA to the client's trust store (or mount it and point "
               "SSL_CERT_FILE/REQUESTS_CA_BUNDLE/NODE_EXTRA_CA_CERTS at it), renew the "
               "certificate, call the host name it was issued for, and match http/https to "
               "the port.",
        "next": ["kubectl triage logs {target} --grep certificate",
                 "kubectl triage exec-probe env {target}"],
        "samples": [
            "requests.exceptions.SSLError: HTTPSConnectionPool(host='api.example.com', "
            "port=443): Max retries exceeded with url: /v1 (Caused by SSLError(SSLError(1, "
            "'[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed (_ssl.c:852)'),))",
            'Get "https://ipgw.example.com/login": x509: certificate signed by unknown authority',
            "javax.net.ssl.SSLHandshakeException: PKIX path building failed: "
            "sun.security.provider.certpath.SunCertPathBuilderException: unable to find "
            "valid certification path to requested target",
            "Error: self-signed certificate in certificate chain\n    at TLSSocket."
            "onConnectSecure (node:_tls_wrap:1674:34)",
            "System.Security.Authentication.AuthenticationException: The remote certificate "
            "is invalid according to the validation procedure.",
        ],
        "counter_samples": [
            "2024-08-11T18:22:53.728878Z 0 [Warning] [MY-010068] [Server] CA certificate ca.pem "
            "is self signed.",
            "W1107 12:59:49.824589       6 flags.go:243] SSL certificate chain completion is "
            "disabled (--enable-ssl-chain-completion=false)",
            "INFO certificate renewed for api.example.com, expires in 89 days",
        ],
    },
    {
        "id": "import-error",
        "title": "Module, package or class missing at start-up",
        "severity": "error",
        "patterns": [
            r"ModuleNotFoundError|\bImportError\b|No module named|cannot import name",
            r"Cannot find module|MODULE_NOT_FOUND|Cannot find package '",
            r"ClassNotFoundException|NoClassDefFoundError",
            r"cannot open shared object file|undefined symbol: ",
            r"Could not load file or assembly|DllNotFoundException",
            r"LoadError: cannot load such file",
            r"(?:package|module) [\w./-]+ is not in GOROOT|missing go\.sum entry",
        ],
        "literals": ["modulenotfounderror", "importerror", "no module named", "cannot import name",
                     "cannot find module", "module_not_found", "cannot find package",
                     "classnotfoundexception", "noclassdeffounderror", "shared object file",
                     "undefined symbol", "could not load file or assembly", "dllnotfoundexception",
                     "such fil", "is not in goroot", "go.sum entry"],
        "cause": "The code imports something the image does not contain: a dependency missing "
                 "from requirements/package.json/pom (or installed for another Python/Node "
                 "version), a file not copied into the image, a wrong working directory or "
                 "PYTHONPATH, or a native library missing from a slim base image.",
        "fix": "Add the dependency to the manifest and rebuild the image; check the "
               "Dockerfile COPY paths, WORKDIR and the entrypoint module path; install the "
               "native library in the runtime stage.",
        "next": ["kubectl triage logs {target} --previous",
                 "kubectl triage exec-probe env {target}"],
        "samples": [
            "Traceback (most recent call last):\n  File \"/app/main.py\", line 3, in <module>\n"
            "    from config import settings\nModuleNotFoundError: No module named 'config'",
            "Error: Cannot find module 'mysql'\nRequire stack:\n- /usr/src/app/select.js",
            "Exception in thread \"main\" java.lang.NoClassDefFoundError: org/slf4j/LoggerFactory",
            "ImportError: libGL.so.1: cannot open shared object file: No such file or directory",
            "Unhandled exception. System.IO.FileNotFoundException: Could not load file or "
            "assembly 'Dapr.Client, Version=1.12.0.0'",
        ],
        "counter_samples": [
            "INFO imported 42 tasks from CSV",
            "DEBUG module config loaded from /app/config.py",
        ],
    },
    {
        "id": "app-out-of-memory",
        "title": "Application ran out of memory (heap or allocation failure)",
        "severity": "error",
        "patterns": [
            r"OutOfMemoryError|OutOfMemoryException|\bMemoryError\b",
            r"JavaScript heap out of memory|Allocation failed - JavaScript heap",
            r"(?:fatal error|runtime): out of memory",
            r"Cannot allocate memory|std::bad_alloc|memory allocation of \d+ bytes failed",
            r"GC overhead limit exceeded|unable to create (?:new )?native thread",
        ],
        "literals": ["outofmemory", "memoryerror", "javascript heap", "allocation failed",
                     ": out of memory", "cannot allocate", "bad_alloc", "bytes failed", "gc over",
                     "unable to create"],
        "cause": "The process itself hit a memory ceiling before the kernel killed it: the "
                 "JVM heap (-Xmx) or Node's old space is smaller than the working set, a "
                 "request loads too much data at once, or memory leaks until allocation "
                 "fails.",
        "fix": "Size the heap to the container limit (-XX:MaxRAMPercentage, "
               "--max-old-space-size), stream or paginate large reads, and take a heap "
               "dump/profile if usage keeps growing.",
        "next": ["kubectl triage logs {target} --previous", "kubectl describe pod {pod}"],
        "samples": [
            "Exception in thread \"main\" java.lang.OutOfMemoryError: Java heap space\n"
            "        at java.util.Arrays.copyOf(Arrays.java:3210)",
            "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",
            "fatal error: runtime: out of memory\n\ngoroutine 1 [running]:\nruntime.throw(...)",
            "MemoryError: Unable to allocate 3.2 GiB for an array with shape (20000, 20000)",
        ],
        "counter_samples": [
            "INFO heap usage 412MB of 1024MB",
            "WARNING Background save may fail under low memory condition",
        ],
    },
    {
        "id": "port-in-use",
        "title": "Port already in use (the app cannot bind)",
        "severity": "error",
        "patterns": [
            r"EADDRINUSE|address already in use|\bAddress in use\b"
            r"|Only one usage of each socket address",
            r"port (?:\d+ )?is already (?:in use|allocated|bound)|Port \d+ was already in use"
            r"|port is already allocated",
            r"AddressInUseException|bind\(\) to \S+ failed \(98|\[Errno 98\]"
            r"|Failed to bind to (?:address )?\S+:\d+|could not bind",
        ],
        "literals": ["eaddrinuse", "already in use", "address in use", "already allocated",
                     "already bound", "only one usage", "addressinuseexception", "failed (98",
                     "errno 98", "failed to bind", "could not bind"],
        "cause": "Another process in the pod's network namespace already listens on the "
                 "port: two containers of the pod (often the app and daprd, or a second "
                 "worker) use the same port, or the previous process is still running.",
        "fix": "Give each container of the pod its own port (Dapr uses 3500, 50001, 9090 and "
               "3501), make the app's port match dapr.io/app-port, and start one server "
               "per container.",
        "next": ["kubectl triage logs {target} --previous", "kubectl describe pod {pod}"],
        "samples": [
            "Error: listen EADDRINUSE: address already in use 0.0.0.0:3000\n    at "
            "Server.setupListenHandle [as _listen2] (node:net:1817:16)",
            "ERROR:    [Errno 98] error while attempting to bind on address ('0.0.0.0', "
            "8000): address already in use",
            "***************************\nAPPLICATION FAILED TO START\n"
            "***************************\nDescription:\nWeb server failed to start. Port 8080 "
            "was already in use.",
            "listen tcp :3500: bind: address already in use",
        ],
        "counter_samples": [
            "INFO Uvicorn running on http://0.0.0.0:8000 (Press CTRL+C to quit)",
            "INFO port 8080 is free, binding",
        ],
    },
    {
        "id": "too-many-open-files",
        "title": "File descriptor limit reached (too many open files)",
        "severity": "error",
        "patterns": [
            r"Too many open files|\bEMFILE\b",
            r"file descriptor limit|max_user_(?:watches|instances)"
            r"|System limit for number of file watchers reached",
        ],
        "literals": ["too many open files", "mfile", "file descriptor limit", "max_user_",
                     "file watchers"],
        "cause": "The process has as many files and sockets open as its limit (ulimit -n) "
                 "allows: connections or files are leaked (not closed), a client opens a new "
                 "connection per request, or inotify watches run out.",
        "fix": "Reuse connections (one pooled client per process) and close files; find the "
               "leak with ls /proc/<pid>/fd | wc -l; raise the limit only after that.",
        "next": ["kubectl triage logs {target} --grep 'open files'",
                 "kubectl triage logs {target} --previous"],
        "samples": [
            "warn: error raised: Error: accept EMFILE",
            "java.net.SocketException: Too many open files\n\tat sun.nio.ch.Net.accept"
            "(Native Method)",
            "2024/05/01 10:00:00 http: Accept error: accept tcp [::]:8080: accept4: too many "
            "open files; retrying in 1s",
            "Error: ENOSPC: System limit for number of file watchers reached, watch '/app/src'",
        ],
        "counter_samples": [
            "INFO open files: 120 of 1048576",
            "DEBUG closed 3 idle files",
        ],
    },
    {
        "id": "disk-full",
        "title": "Disk or volume full (no space left on device)",
        "severity": "error",
        "patterns": [
            r"No space left on device|database or disk is full",
            r"insufficient disk space|not enough space on the disk",
            r"Disk quota exceeded|could not extend file|DiskFull"
            r"|flood.stage disk watermark",
        ],
        "literals": ["no space left", "database or disk", "insufficient disk", "not enough space",
                     "quota exceeded", "could not extend file", "diskfull", "watermark"],
        "cause": "A write failed because the filesystem is full: the container's writable "
                 "layer or emptyDir filled up (logs, temp files, caches), or the "
                 "PersistentVolume reached its size.",
        "fix": "Find what grows (du -sh on the mount), rotate or stop writing logs to files, "
               "clean temp/cache files, or expand the PVC; set ephemeral-storage limits so "
               "one pod cannot fill the node.",
        "next": ["kubectl triage logs {target} --previous", "kubectl describe pod {pod}"],
        "samples": [
            'time="2024-03-21T11:51:03Z" level=fatal msg="writing blob: write /var/tmp/blob/41: '
            'no space left on device"',
            "Error: ENOSPC: no space left on device, write\n    at Error (native)",
            "psycopg2.errors.DiskFull: could not extend file \"base/16384/2619\": No space "
            "left on device",
            "sqlite3.OperationalError: database or disk is full",
        ],
        "counter_samples": [
            "INFO disk usage 41% (12G of 30G)",
            "INFO freed 2.1G of disk space",
        ],
    },
    # ---- application: symptoms many causes share (generic) ---------------------------------
    {
        "id": "dns-resolution",
        "title": "Host name does not resolve (DNS)",
        "severity": "error",
        "specificity": "generic",
        "min_level": "warning",
        "patterns": [
            r"Name or service not known|Temporary failure in name resolution"
            r"|nodename nor servname provided|No address associated with hostname"
            r"|Name does not resolve",
            r"getaddrinfo (?:ENOTFOUND|EAI_AGAIN|failed)",
            r"no such host|lookup [\w.-]+(?: on [\d.:\[\]]+)?: (?:i/o timeout|server misbehaving)",
            r"UnknownHostException|Could not resolve host(?:name)?|NameResolutionError"
            r"|Failed to resolve '",
        ],
        "literals": ["name or service not known", "temporary failure in name resolution",
                     "servname", "no address associated with hostname", "does not resolve",
                     "addrinfo", "such hos", "i/o timeout", "misbehaving", "unknownhostexception",
                     "could not resol", "nameresolutionerror", "failed to resol"],
        "cause": "The host name the app calls does not resolve: a typo or a Service that does "
                 "not exist, a short name used from another namespace (use "
                 "<service>.<namespace>), or cluster DNS (CoreDNS) failing.",
        "fix": "Check the host name against `kubectl get svc -A`; use the full "
               "<service>.<namespace>.svc.cluster.local name across namespaces; if every "
               "lookup fails, check the CoreDNS pods and the pod's /etc/resolv.conf.",
        "next": ["kubectl triage exec-probe env {target}", "kubectl triage events"],
        "samples": [
            "requests.exceptions.ConnectionError: HTTPConnectionPool(host='billing', port=80): "
            "Max retries exceeded with url: /api (Caused by NewConnectionError('<urllib3."
            "connection.HTTPConnection object at 0x7f>: Failed to establish a new connection: "
            "[Errno -2] Name or service not known'))",
            "{ [Error: getaddrinfo ENOTFOUND] code: 'ENOTFOUND', errno: 'ENOTFOUND', syscall: "
            "'getaddrinfo' }",
            'level=error msg="call failed" err="Get \\"http://orders:8080/v1\\": dial tcp: '
            'lookup orders on 10.96.0.10:53: no such host"',
            "java.net.UnknownHostException: payments-svc: Temporary failure in name resolution",
        ],
        "counter_samples": [
            "INFO resolved orders to 10.96.12.7",
            "DEBUG lookup orders: no such host (retrying, attempt 1 of 5)",
        ],
    },
    {
        "id": "connection-refused",
        "title": "Connection refused (nothing listens on the target port)",
        "severity": "error",
        "specificity": "generic",
        "min_level": "warning",
        "patterns": [
            r"connection refused|ECONNREFUSED|actively refused|Connection to \S+ refused"
            r"|refused to connect|ConnectionRefused(?:Error)?",
        ],
        "literals": ["fused"],
        "cause": "The target host answered but nothing listens on that port: the service has "
                 "no ready endpoints (pods down or not Ready), the port is wrong (Service "
                 "port vs targetPort vs the app's listen port), or the app listens only on "
                 "127.0.0.1 inside its pod.",
        "fix": "Check the target Service's endpoints and ports (`kubectl get endpoints`), "
               "that the target pods are Ready, and that the app binds 0.0.0.0 on the port "
               "the Service targets.",
        "next": ["kubectl triage events", "kubectl triage status"],
        "samples": [
            "httpx.ConnectError: [Errno 111] Connection refused",
            "ERROR:    Exception in ASGI application\nTraceback (most recent call last):\n"
            '  File "/app/.venv/lib/python3.12/site-packages/urllib3/connection.py", line 196, '
            "in _new_conn\n    sock.connect(sa)\nConnectionRefusedError: [Errno 111] "
            "Connection refused",
            "Error: connect ECONNREFUSED 10.96.4.20:8080\n    at TCPConnectWrap.afterConnect "
            "[as oncomplete] (node:net:1555:16)",
            "2024-05-01 10:00:00.000 ERROR 1 --- [nio-8080-exec-1] o.a.c.c.C.[dispatcherServlet]"
            " : Servlet.service() threw exception\njava.net.ConnectException: Connection refused",
        ],
        "counter_samples": [
            "INFO connection to orders:8080 established",
            "DEBUG dial tcp 10.0.0.7:5432: connect: connection refused (retrying)",
        ],
    },
    {
        "id": "upstream-5xx",
        "title": "Upstream returned a 5xx (bad gateway, unavailable, gateway timeout)",
        "severity": "warning",
        "specificity": "generic",
        "min_level": "warning",
        "patterns": [
            r"\bBad Gateway\b|Service (?:Temporarily )?Unavailable|Gateway Time-?out",
            r"\b50[0-4] Server Error: .{0,80}for url|Server error '50[0-4]"
            r"|Request failed with status code 50[0-4]"
            r"|Response status code does not indicate success: 50[0-4]",
            r"HttpServerErrorException|WebClientResponseException\$(?:InternalServerError"
            r"|BadGateway|ServiceUnavailable|GatewayTimeout)"
            r"|50[0-4] (?:Internal Server Error|INTERNAL_SERVER_ERROR) from (?:GET|POST|PUT"
            r"|PATCH|DELETE) ",
            r"upstream connect error or disconnect/reset before headers|no healthy upstream"
            r"|no live upstreams",
            r"(?:response|responded|returned|status|code)\b[^\n]{0,40}\(50[0234]\)",
            _S5XX,
        ],
        "literals": ["bad gateway", "service unavailable", "service temporarily unavailable",
                     "gateway timeout", "gateway time-out", "temporarily unavailable", "rror: ",
                     "error '50", "status code 50", "success: 50", "rerrorexception",
                     "webclientresponseexception$", "internal ser", "internal_ser",
                     "upstream connect error", "no healthy upstream", "upstreams", "(500)",
                     "(502)", "(503)", "(504)", *_L5XX],
        "cause": "A service this one depends on answered with a server error: it crashed on "
                 "the request (500), or a proxy in between (ingress, Envoy, the Dapr "
                 "sidecar) found no healthy backend (502/503) or gave up waiting (504).",
        "fix": "Follow the call to the upstream and read its own logs and status at that "
               "time; for 502/503 check that it has ready endpoints, for 504 compare its "
               "latency with the proxy's timeout.",
        "next": ["kubectl triage logs <upstream> --since 15m", "kubectl triage status"],
        "samples": [
            "requests.exceptions.HTTPError: 503 Server Error: Service Temporarily Unavailable "
            "for url: http://inventory/api/items",
            "ProxyServer[25762]: 63 | Received response from target (502)",
            "<html><head><title>504 Gateway Time-out</title></head><body><center><h1>504 "
            "Gateway Time-out</h1></center><hr><center>nginx</center></body></html>",
            "upstream connect error or disconnect/reset before headers. reset reason: "
            "connection failure",
            'level=error msg="inventory call failed" status=503 url=http://inventory/api/items',
        ],
        "counter_samples": [
            'INFO:     172.17.0.1:56270 - "GET /api/list-files HTTP/1.1" 500 Internal Server '
            "Error",
            "ERROR 500 Internal Server Error: The server encountered an internal error and "
            "was unable to complete your request.",
            '10.1.0.4 - - [01/May/2024:10:00:00 +0000] "GET /healthz HTTP/1.1" 200 2 "-" '
            '"kube-probe/1.29"',
        ],
    },
    {
        "id": "timeout",
        "title": "Call timed out",
        "severity": "warning",
        "specificity": "generic",
        "min_level": "warning",
        "patterns": [
            r"\w*(?:ReadTimeout|ConnectTimeout|WriteTimeout|TimeoutError"
            r"|TimeoutException)\w*",
            r"\btimed[ -]out\b",
            r"deadline exceeded|DEADLINE_EXCEEDED|DeadlineExceeded",
            r"\bETIMEDOUT\b|\bESOCKETTIMEDOUT\b|i/o timeout|Timeout exceeded|timeout expired"
            r"|HttpClient\.Timeout|QueryCanceled|timeout of \d+ms exceeded",
        ],
        "literals": ["readtimeout", "connecttimeout", "writetimeout", "timeouterror",
                     "timeoutexception", "timed out", "timed-out", "deadline exceeded",
                     "deadline_exceeded", "deadlineexceeded", "timedout", "i/o timeout",
                     "timeout exceeded", "timeout expired", "client.timeout", "rycanceled",
                     "ms exceeded"],
        "cause": "A call did not complete within its timeout: the callee (service, database, "
                 "external API) is overloaded or stuck, the network drops packets (a "
                 "NetworkPolicy or firewall silently blocks the port), or the timeout is "
                 "shorter than the work.",
        "fix": "Find the slow dependency in the error and check its latency and logs; if "
               "packets are dropped, check NetworkPolicies/egress; set timeouts per call and "
               "retry idempotent calls with back-off.",
        "next": ["kubectl triage logs {target} --grep timeout", "kubectl triage status"],
        "samples": [
            "requests.exceptions.ReadTimeout: HTTPSConnectionPool(host='ai.example.com', "
            "port=443): Read timed out. (read timeout=100)",
            "httpx.ReadTimeout",
            "[error] 1046#1046: *2094 upstream timed out (110: Connection timed out) while "
            "reading response header from upstream, client: 192.168.17.1",
            'level=error msg="fetch orders" err="context deadline exceeded"',
            "System.Threading.Tasks.TaskCanceledException: The request was canceled due to the "
            "configured HttpClient.Timeout of 100 seconds elapsing.",
        ],
        "counter_samples": [
            "\terrors.retry.timeout = 0",
            "INFO request timeout set to 30s",
        ],
    },
    {
        "id": "rate-limited",
        "title": "Rate limited by an API (429 Too Many Requests)",
        "severity": "warning",
        "specificity": "generic",
        "min_level": "warning",
        "patterns": [
            r"Too Many Requests|TooManyRequests|HTTP error 429|\b429\b[^\n]{0,20}rate[ _-]?limit",
            r"rate[- ]?limit(?:ed| exceeded|ing active)|RateLimit(?:Error|Exceeded)"
            r"|rate_limit_exceeded",
            r"ThrottlingException|Throttling: Rate exceeded|RequestLimitExceeded"
            r"|SlowDown: Please reduce your request rate",
            r"RESOURCE_EXHAUSTED|code = ResourceExhausted",
            _S429,
        ],
        # gRPC's RESOURCE_EXHAUSTED also means "message larger than max": not a rate limit.
        "exclude": [r"larger than max"],
        "literals": ["too many re", "toomanyre", "error 429", "rate limi", "rate-limi", "ratelimit",
                     "rate_limi", "throttling", "limitexceeded", "slowdo", "resource_exhausted",
                     "resourceexhausted", *_L429],
        "cause": "An API answers 429: this service sends more requests than its quota or rate "
                 "limit allows (often retries without back-off multiplying the load, or many "
                 "replicas sharing one key).",
        "fix": "Retry with exponential back-off honouring Retry-After, cache or batch calls, "
               "and raise the quota or spread the load if the volume is legitimate.",
        "next": ["kubectl triage logs {target} --grep 429"],
        "samples": [
            "requests.exceptions.HTTPError: 429 Client Error: Too Many Requests for url: "
            "https://api.example.com/v1/chat",
            'Fehler in open.connection(con, "rb") : HTTP error 429.',
            "openai.RateLimitError: Error code: 429 - {'error': {'message': 'Rate limit "
            "reached for requests'}}",
            "botocore.exceptions.ClientError: An error occurred (ThrottlingException) when "
            "calling the PutItem operation: Rate exceeded",
        ],
        "counter_samples": [
            "INFO rate limiter configured: 100 requests per second",
            "grpc: received message larger than max (4194305 vs. 4194304): RESOURCE_EXHAUSTED",
        ],
    },
    {
        "id": "auth-failure",
        "title": "Authentication failed (401, invalid or expired credentials)",
        "severity": "error",
        "specificity": "generic",
        "min_level": "warning",
        "patterns": [
            r"\b401\b[^\n]{0,30}Unauthorized|Unauthorized[^\n]{0,10}\b401\b|HTTP error 401"
            r"|':status', '401'",
            _S401,
            r"invalid_token|invalid_grant|invalid_client|unauthorized_client",
            r"(?:token|jwt) (?:is |has (?:been )?)?expired|jwt (?:malformed|invalid)"
            r"|(?:expired|invalid) (?:access |bearer |id |refresh )?(?:token|jwt)",
            r"ExpiredJwtException|TokenExpiredError|JsonWebTokenError|SignatureException"
            r"|JWT signature does not match|ExpiredSignatureError|InvalidSignatureError",
            r"authentication (?:failed|failure)|AuthenticationException|not authenticated"
            r"|\bUnauthenticated\b|invalid (?:credentials|api[ _-]?key|username or password)"
            r"|Bad credentials",
        ],
        "literals": ["unauthorized", "error 401", "'401'", "invalid_token", "invalid_grant",
                     "invalid_client", *_TOKEN_WORDS, "invalid credentials", "invalid api",
                     "invalid username or password", "expiredjwtexception", "tokenexpirederror",
                     "jsonwebtokenerror", "signatureexception", "jwt signature",
                     "expiredsignatureerror", "invalidsignatureerror", "authenticat",
                     "bad credentials",
                     *_L401],
        "cause": "A call was rejected for its credentials: the token expired or was signed "
                 "with another key (issuer/audience/secret differ between services), the API "
                 "key or password in the Secret is wrong or rotated, or no credentials were "
                 "sent at all.",
        "fix": "Compare the credentials the caller really sends (its Secret, env, token "
               "issuer and audience) with what the callee expects; refresh tokens before "
               "expiry and restart pods after rotating a Secret they read at start-up.",
        "next": ["kubectl triage exec-probe env {target}",
                 "kubectl triage logs {target} --grep 401"],
        "samples": [
            "io.jsonwebtoken.security.SignatureException: JWT signature does not match locally "
            "computed signature. JWT validity cannot be asserted and should not be trusted",
            "':status', '401'",
            "'www-authenticate', 'Bearer realm=\"http://api.test.local\", "
            "error=\"invalid_token\"'",
            'level=error msg="call billing" err="unexpected status 401 Unauthorized"',
            "grpc._channel._InactiveRpcError: <_InactiveRpcError of RPC that terminated with: "
            "status = StatusCode.UNAUTHENTICATED details = \"token is expired\">",
        ],
        "counter_samples": [
            "2025-02-20 17:27:13 INFO     Invalid Github Gist personal API token provided. "
            "Gist C2 contact will not be started.",
            'INFO:     10.0.0.5:40000 - "GET /api/me HTTP/1.1" 401 Unauthorized',
            "INFO token refreshed, expires in 3600 s",
        ],
    },
    {
        "id": "forbidden",
        "title": "Request forbidden (403 / Kubernetes RBAC / access denied)",
        "severity": "error",
        "specificity": "generic",
        "min_level": "warning",
        "patterns": [
            r"\b403\b[^\n]{0,30}Forbidden|Forbidden[^\n]{0,10}\b403\b|HTTP error 403",
            _S403,
            r"is forbidden: User \\?\"",
            r"AccessDenied(?:Exception)?|Access Denied|access denied by policy"
            r"|ERR_PERMISSION_DENIED|code = PermissionDenied|PERMISSION_DENIED",
            r"does not have (?:the )?(?:required )?permission|insufficient (?:permissions"
            r"|privileges|scope)|not authorized to perform|AuthorizationPermissionMismatch",
        ],
        "literals": ["forbidden", "error 403", "access denied", "accessdenied", "permission",
                     "insufficient privileges", "insufficient scope", "to perform", *_L403],
        "cause": "The caller is authenticated but not allowed: a Kubernetes ServiceAccount "
                 "without the Role/ClusterRole it needs (RBAC), a cloud IAM role missing a "
                 "permission, or an API's policy denying this client.",
        "fix": "Grant exactly the missing verb/resource: a Role and RoleBinding for the pod's "
               "ServiceAccount (`kubectl auth can-i --as=system:serviceaccount:<ns>:<sa>`), "
               "or the IAM permission named in the error.",
        "next": ["kubectl triage logs {target} --grep forbidden", "kubectl describe pod {pod}"],
        "samples": [
            'E0418 04:56:17.489683       1 reflector.go:201] Failed to list *v1.Pod: pods is '
            'forbidden: User "system:serviceaccount:default:default" cannot list resource '
            '"pods" in API group "" at the cluster scope',
            'panic: pods is forbidden: User "system:serviceaccount:testalex:default" cannot '
            "list pods at the cluster scope\ngoroutine 1 [running]:\nmain.main()",
            "botocore.exceptions.ClientError: An error occurred (AccessDenied) when calling the "
            "GetObject operation: Access Denied",
            "org.springframework.web.client.HttpClientErrorException$Forbidden: 403 Forbidden",
        ],
        "counter_samples": [
            'INFO:     10.0.0.5:40000 - "GET /admin HTTP/1.1" 403 Forbidden',
            "INFO access granted to role admin",
        ],
    },
    {
        "id": "validation-error",
        "title": "Request rejected as invalid (422 / validation error)",
        "severity": "warning",
        "specificity": "generic",
        "patterns": [
            r"422 Unprocessable (?:Entity|Content)|Unprocessable Entity|HTTP error 422",
            _S422,
            r"RequestValidationError|\d+ validation errors? for \w+"
            r"|pydantic(?:_core)?[\w.]*\.ValidationError",
            r"MethodArgumentNotValidException|ConstraintViolationException"
            r"|(?:javax|jakarta)\.validation\.|validation\.BindException"
            r"|HttpMessageNotReadableException|JSON parse error",
            r"\w*ValidationException|\bValidationError: ",
            r"Field required \[type=missing|value is not a valid|invalid input syntax for type",
            r"\"errors\": ?\{\"[\w$.]+\": ?\[",
        ],
        "literals": ["unprocessable", "error 422", "validationerror", "validation error",
                     "notvalidexception", "constraintviolation", "javax.validation.",
                     "jakarta.validation.", "bindexception", "notreadableexception",
                     "json parse error", "validationexception", "field req", "value is not",
                     "invalid input syntax", '"errors":{"', '"errors": {"', *_L422],
        "cause": "The service rejected a request body or parameters as invalid: a caller "
                 "sends a payload that does not match the API's schema (a renamed or newly "
                 "required field, a wrong type), often after one side of the contract was "
                 "deployed without the other.",
        "fix": "Compare the caller's payload with the callee's schema (OpenAPI) field by "
               "field, fix the caller or make the new field optional, and deploy both "
               "sides together.",
        "next": ["kubectl triage exec-probe openapi {target}",
                 "kubectl triage logs {target} --grep 422"],
        "samples": [
            '"POST /items/ HTTP/1.1" 422 Unprocessable Entity',
            'INFO:     10.1.0.9:51234 - "POST /tasks HTTP/1.1" 422 Unprocessable Entity',
            "pydantic_core._pydantic_core.ValidationError: 1 validation error for TaskIn\n"
            "due_at\n  Input should be a valid datetime [type=datetime_type]",
            "WARN 1 --- [nio-8080-exec-3] .w.s.m.s.DefaultHandlerExceptionResolver : Resolved "
            "[org.springframework.web.bind.MethodArgumentNotValidException: Validation failed "
            "for argument [0]]",
        ],
        "counter_samples": [
            "03/06/2025 01:50:06 PM-INFO: {'run_id': 'a3c7', 'total_rows_validated': 3, "
            "'total_rows_fail_validation_status': 0}",
            "INFO validated 120 tasks, 0 invalid",
        ],
    },
    # ---- fallback ----------------------------------------------------------------------------
    {
        "id": "unhandled-exception",
        "title": "Unhandled exception",
        "severity": "error",
        "specificity": "fallback",
        "min_level": "error",
        "patterns": [
            # An exception line: `KeyError: 'x'`, `java.lang.IllegalStateException: …`,
            # `System.InvalidOperationException: …`, `TypeError: Cannot read properties …`.
            # A traceback cut before its exception line names nothing yet: not reported.
            r"(?m)^\s*(?:[A-Za-z_][\w$]*\.)*(?-i:[A-Z]\w*(?:Error|Exception))(?::\s|:?\s*$)",
            r"(?m)^(?:panic: |fatal error: |Unhandled exception\. )|Exception in thread \"",
            r"(?m)^\s*(?:Uncaught )?Error: [^\n]*\n\s+at \S",
            r"\bat [\w$.<>]+\([\w$]+\.java:\d+\)",
            r"\\n(?:[A-Za-z_]\w*\.)*(?-i:[A-Z]\w*(?:Error|Exception))(?::|\\n|\"|$)",
        ],
        # "err", "exception" and "panic" are the engine's level words: the prefilter skips
        # lines they alone hit when the line's own level is low, as this rule does.
        "literals": ["err", "exception", "panic", "java:"],
        "cause": "The application raised an exception that no rule of this table names.",
        "fix": "Read the exception and its first frame in the application's own code.",
        "next": ["kubectl triage logs {target} --all-lines"],
        "samples": [
            "ERROR: Exception in ASGI application\nTraceback (most recent call last):\n"
            "  File \"/app/x.py\", line 1, in f\nKeyError: 'x'",
            "panic: runtime error: invalid memory address or nil pointer dereference\n"
            "[signal SIGSEGV: segmentation violation code=0x1 addr=0x28 pc=0x1385f7c]\n\n"
            "goroutine 1 [running]:\nmain.main()\n\t/app/main.go:69 +0x1af",
            "2024-05-01 10:00:00.000 ERROR 1 --- [nio-8080-exec-1] o.a.c.c.C.[dispatcherServlet]"
            " : Servlet.service() threw exception\njava.lang.IllegalStateException: task 42 "
            "has no owner\n\tat com.acme.tasks.TaskService.assign(TaskService.java:88)",
            "Unhandled exception. System.InvalidOperationException: Sequence contains no "
            "elements\n   at System.Linq.ThrowHelper.ThrowNoElementsException()",
            "TypeError: Cannot read properties of undefined (reading 'id')\n    at "
            "handler (/app/src/routes/tasks.js:41:22)",
        ],
        "counter_samples": [
            "INFO exception handler registered",
            "(1c00873c) Service failed: Observation failed:\nTraceback (most recent call "
            "last):\n  File \"/app/x.py\", line 33, in read\n    return await self.receive()",
            "DeprecationWarning: datetime.datetime.utcnow() is deprecated",
        ],
    },
]
