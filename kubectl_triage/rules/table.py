"""The built-in rules table: one row per known failure pattern. Data, not code.

Each row: id (stable, kebab-case: scripts rely on it), title, severity, where it looks
(scopes: log, event, status), patterns (case-insensitive regexes; `literals` when a pattern
has no plain word every match contains), exclude (counter-patterns), min_level (records
below it are skipped, for words that benign lines also use), specificity (specific beats
generic beats fallback), cause, fix, next commands ({namespace}, {pod}, {container},
{workload}, {target} are filled in), and samples / counter_samples that
tests/test_rules.py runs for every row.

Exempt from the module-size habit: it is data.
"""

from __future__ import annotations

from typing import Any

ROWS: list[dict[str, Any]] = [
    # ---- seed patterns -------------------------------------------------------------------
    {
        "id": "schema-mismatch",
        "title": "Model and schema disagree (missing attribute or column)",
        "severity": "error",
        "patterns": [
            r"AttributeError: '?\w+'? object has no attribute",
            r"UndefinedColumn|column \"?[\w.]+\"? does not exist|no such column",
            r"Unknown column '[\w.]+' in 'field list'",
        ],
        "literals": ["object has no attribute", "undefinedcolumn", "does not exist",
                     "no such column", "unknown column"],
        "cause": "The code and the data disagree: an ORM model, a pydantic schema and the "
                 "database (or an API payload) no longer have the same fields, typically "
                 "after a migration or a model change that was deployed on one side only.",
        "fix": "Compare the model with the table and the response schema; add the missing "
               "field/column (migration) or remove it from the schema, and deploy both sides.",
        "next": ["kubectl triage logs {target} --grep AttributeError",
                 "kubectl triage exec-probe openapi {target}"],
        "samples": ["AttributeError: 'Worker' object has no attribute 'skills'",
                    'psycopg2.errors.UndefinedColumn: column "skills" does not exist'],
        "counter_samples": ["INFO worker 12 has attribute skills=['go']"],
    },
    {
        "id": "wrong-endpoint",
        "title": "Call to a path the target service does not serve (404)",
        "severity": "error",
        "patterns": [
            r"404 Not Found'? for url",
            r"ERR_DIRECT_INVOKE.{0,200}\b404\b|\b404\b.{0,200}ERR_DIRECT_INVOKE",
            r"/v1\.0/invoke/[\w.-]+/method/\S+.{0,80}\b404\b",
            r"status(?:_code| code|=|: )\s*404\b.{0,120}(?:invoke|url|path|endpoint)",
        ],
        "literals": ["404 not found", "err_direct_invoke", "/v1.0/invoke/", "404"],
        "cause": "A service calls another one on a path (or method) the callee does not serve: "
                 "the URL was renamed, has a wrong prefix, or the caller uses a wrong app-id.",
        "fix": "List the callee's routes (OpenAPI) and correct the caller's path, or add the "
               "route to the callee.",
        "next": ["kubectl triage exec-probe openapi <callee>",
                 "kubectl triage logs {target} --grep 404"],
        "samples": ["httpx.HTTPStatusError: Client error '404 Not Found' for url "
                    "'http://localhost:3500/v1.0/invoke/notification-service/method/api/notify'"],
        "counter_samples": ['INFO: 10.0.0.1:1 - "GET /favicon.ico HTTP/1.1" 404 Not Found'],
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
        "samples": ["sqlalchemy.exc.MissingGreenlet: greenlet_spawn has not been called; can't "
                    "call await_only() here. Was IO attempted in an unexpected place?"],
        "counter_samples": ["INFO greenlet pool started with 8 workers"],
    },
    {
        "id": "cloudevent-unwrap",
        "title": "Pub/sub handler read the CloudEvent envelope instead of its data",
        "severity": "error",
        "patterns": [
            r"\bevent_type\b['\"]?\s*[:=]\s*['\"]?None\b",
            r"\[['\"]data['\"], ['\"]datacontenttype['\"], ['\"]id['\"].{0,80}['\"]specversion",
            r"unknown event type:? '?None'?",
        ],
        "literals": ["event_type", "datacontenttype", "type none", "type: none", "type: 'none"],
        "cause": "Dapr delivers pub/sub messages wrapped in a CloudEvent; the handler reads "
                 "payload fields (event_type, task_id) from the envelope, where they do not "
                 "exist, so they come out as None and the event is dropped.",
        "fix": "Read the payload from the envelope's `data` field (or publish with "
               "metadata.rawPayload=true and subscribe with rawPayload).",
        "next": ["kubectl triage dapr subs {target}", "kubectl triage logs {target} --grep event_type"],
        "samples": ["Received task event: event_type: None task_id: None",
                    "WARNING Unknown event type None, dropping"],
        "counter_samples": ["Received task event: event_type: task.created task_id: 42"],
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
        "samples": ["TypeError: can't compare offset-naive and offset-aware datetimes"],
        "counter_samples": ["INFO reminder 42 scheduled for 23:00 Europe/Berlin"],
    },
    # ---- kubernetes ------------------------------------------------------------------------
    {
        "id": "crash-loop",
        "title": "Container crash-looping",
        "severity": "error",
        "scopes": ["log", "event", "status"],
        "patterns": [r"CrashLoopBackOff", r"Back-off restarting failed container"],
        "cause": "The container exits soon after it starts, again and again; Kubernetes waits "
                 "longer before each restart. The reason is in the previous instance's log.",
        "fix": "Read the previous log for the exception or exit reason and fix that (config, "
               "dependency, migration); check the exit code and the last termination reason.",
        "next": ["kubectl triage logs pod/{pod} --previous", "kubectl describe pod {pod}"],
        "samples": ["Back-off restarting failed container worker in pod reminder-worker-5d8",
                    "reminder-worker-5d8c   0/1   CrashLoopBackOff   7   14m"],
        "counter_samples": ["INFO restarting worker pool after config reload"],
    },
    {
        "id": "unhandled-exception",
        "title": "Unhandled exception",
        "severity": "error",
        "specificity": "fallback",
        "min_level": "error",
        "patterns": [r"Traceback \(most recent call last\)", r"^panic: ", r"Exception\b",
                     r"\bat [\w$.]+\([\w$]+\.(?:java|kt|scala):\d+\)"],
        "literals": ["traceback", "panic: ", "exception", ".java:", ".kt:", ".scala:"],
        "cause": "The application raised an exception that no rule of this table names.",
        "fix": "Read the exception and its first frame in the application's own code.",
        "next": ["kubectl triage logs {target} --all-lines"],
        "samples": ["ERROR: Exception in ASGI application\nTraceback (most recent call last):\n"
                    "  File \"/app/x.py\", line 1, in f\nKeyError: 'x'"],
        "counter_samples": ["INFO exception handler registered"],
    },
]
