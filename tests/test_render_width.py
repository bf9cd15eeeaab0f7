"""Table output fits the terminal (issue 10): the width from COLUMNS or the terminal, 80 for a
pipe; tables shrunk with an ellipsis, free text first and names last; prose wrapped between
words with a hanging indent; `-o wide` unshrunk; JSON and YAML untouched by the width."""

from __future__ import annotations

import io
import re

import pytest

from kubectl_triage.options import Environment
from kubectl_triage.render.layout import ELLIPSIS, cut, fit, width_of, wrap, wrap_command
from tests.helpers import HANDWRITTEN, run


def lines_wider_than(text: str, width: int) -> list[str]:
    return [line for line in text.splitlines() if width_of(line) > width]


# ---- the width ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "command", [("demo",), ("--demo", "checklist"), ("--demo", "status"), ("--demo", "events"),
                ("--demo", "logs", "taskflow-api"), ("--demo", "trace", "--path", "/workers"),
                ("--demo", "dapr", "subs", "notification-service"), ("rules", "list"),
                (*HANDWRITTEN, "verify", "web-dashboard"), (*HANDWRITTEN, "summary")])
def test_no_line_is_wider_than_80_columns(command):
    out = run(*command, env={"COLUMNS": "80"}).stdout
    assert out and lines_wider_than(out, 80) == []


def test_a_pipe_without_COLUMNS_gets_80_columns():
    piped = run("demo").stdout  # helpers.run: not a TTY, no COLUMNS
    assert piped == run("demo", env={"COLUMNS": "80"}).stdout
    assert lines_wider_than(piped, 80) == []


def test_200_columns_use_the_room():
    narrow = run(*HANDWRITTEN, "status", env={"COLUMNS": "80"}).stdout
    wide = run(*HANDWRITTEN, "status", env={"COLUMNS": "200"}).stdout
    assert lines_wider_than(wide, 200) == [] and lines_wider_than(wide, 100)
    assert ELLIPSIS in narrow and ELLIPSIS not in wide  # the status table fits 200 whole
    assert "notification-service-6b7f9c8d4-w7lzp" in wide


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_width_is_COLUMNS_else_the_terminal_else_80(monkeypatch):
    import os
    import shutil

    assert Environment(stdout=io.StringIO(), env={"COLUMNS": "132"}).columns() == 132
    assert Environment(stdout=io.StringIO(), env={}).columns() == 80  # a pipe
    monkeypatch.setattr(shutil, "get_terminal_size",
                        lambda fallback=(80, 24): os.terminal_size((101, 30)))
    assert Environment(stdout=_Tty(), env={}).columns() == 101  # a terminal


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_json_and_yaml_do_not_depend_on_the_width(fmt):
    narrow = run(*HANDWRITTEN, "summary", "-o", fmt, env={"COLUMNS": "40"}).stdout
    assert narrow == run(*HANDWRITTEN, "summary", "-o", fmt, env={"COLUMNS": "300"}).stdout


# ---- tables ---------------------------------------------------------------------------------

def _table(out: str, header: str) -> list[str]:
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
    return lines[start:end]


def test_the_message_gives_way_first_and_names_stay_whole():
    out = run(*HANDWRITTEN, "events", env={"COLUMNS": "150"}).stdout
    table = _table(out, "TYPE")
    report = run(*HANDWRITTEN, "events", "-o", "json").json()
    assert all(width_of(line) <= 150 for line in table)
    for row in report["events"]:
        assert any(row["object"] in line for line in table)  # every name whole
    cut_rows = [line for line in table[1:] if line.endswith(ELLIPSIS)]
    assert cut_rows  # the messages that did not fit end in an ellipsis
    message_at = table[0].index("MESSAGE")
    assert all(len(line) > message_at for line in table[1:])  # cut, not dropped


def test_wide_shows_every_column_unshrunk_whatever_the_width():
    for command in (("status",), ("events",), ("logs", "taskflow-api")):
        out = run(*HANDWRITTEN, *command, "-o", "wide", env={"COLUMNS": "80"}).stdout
        tables = out.split("\n\n")[1]  # after the header line
        assert ELLIPSIS not in tables, command
    status = run(*HANDWRITTEN, "status", "-o", "wide", env={"COLUMNS": "80"}).stdout
    assert "ghcr.io/acme/taskflow-api:1.8.0" in status and "NODE" in status


def test_table_columns_are_apart_and_aligned():
    table = _table(run(*HANDWRITTEN, "status", env={"COLUMNS": "200"}).stdout, "WORKLOAD")
    starts = [m.start() for m in re.finditer(r"\S+(?: \S+)*", table[0])]  # "LAST SEEN"
    assert len(starts) == 8
    for line in table[1:]:
        for start in starts[1:]:  # each cell starts under its title, after two spaces
            assert line[start - 2 : start] == "  " and line[start] != " "


def test_a_narrow_status_leaves_out_spare_columns_before_it_cuts_a_pod_name():
    report = run(*HANDWRITTEN, "status", "-o", "json").json()
    narrow = _table(run(*HANDWRITTEN, "status", env={"COLUMNS": "80"}).stdout, "POD")
    assert narrow[0].split() == ["POD", "READY", "STATUS", "RESTARTS", "AGE"]
    assert all(width_of(line) <= 80 for line in narrow)
    assert not any(ELLIPSIS in line for line in narrow)
    for pod in report["pods"]:  # every pod whole, its status uncut
        assert any(line.split()[0] == pod["pod"] and line.split()[2] == pod["status"]
                   for line in narrow[1:])
    # a terminal wide enough for them gets the columns back, the spare ones in order
    assert "SIDECARS" in _table(
        run(*HANDWRITTEN, "status", env={"COLUMNS": "100"}).stdout, "POD")[0]
    full = _table(run(*HANDWRITTEN, "status", env={"COLUMNS": "200"}).stdout, "WORKLOAD")
    assert "LAST TERMINATION" in full[0] and "SIDECARS" in full[0]


def test_a_narrow_events_table_puts_each_message_whole_under_its_row():
    report = run(*HANDWRITTEN, "events", "-o", "json").json()
    table = _table(run(*HANDWRITTEN, "events", env={"COLUMNS": "80"}).stdout, "TYPE")
    assert "MESSAGE" not in table[0] and all(width_of(line) <= 80 for line in table)
    rows = [i for i, line in enumerate(table) if not line.startswith(" ")][1:]
    assert len(rows) == len(report["events"])
    for n, (at, event) in enumerate(zip(rows, report["events"], strict=True)):
        assert f" {event['object']} " in table[at]
        end = rows[n + 1] if n + 1 < len(rows) else len(table)
        under = table[at + 1 : end]
        assert under and under[0].startswith("    ") and under[0][4] != " "
        assert all(line.startswith("      ") for line in under[1:])  # a hanging indent
        shown, said = " ".join(line.strip() for line in under).split(), event["message"].split()
        assert len(shown) == len(said)
        for word, whole in zip(shown, said, strict=True):  # only a word longer than a line
            assert word == whole or (word.endswith(ELLIPSIS) and whole.startswith(word[:-1]))


def test_below_is_used_only_when_the_table_would_cut():
    from kubectl_triage.render.layout import table

    headers, rows = ["NAME", "MESSAGE"], [["api", "connection refused by the database"]]
    assert table(headers, rows, width=80, below=1) == table(headers, rows, width=80)
    narrow = table(headers, rows, width=20, below=1).splitlines()
    assert narrow == ["NAME", "api", "    connection", "      refused by the", "      database"]


def test_a_field_value_listing_wraps_its_values_whole():
    out = run("rules", "show", "crash-loop", env={"COLUMNS": "80"}).stdout
    cause = run("rules", "show", "crash-loop", "-o", "json").json()["rule"]["cause"]
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("cause "))
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith("    "))
    assert all(width_of(line) <= 80 for line in lines)
    assert " ".join(line[16:].strip() for line in lines[start:end]) == cause


def test_fit_takes_from_free_text_first_then_fields_then_names():
    from kubectl_triage.render.layout import FIELD, FREE, NAME

    natural = [30, 10, 60]
    kinds = [NAME, FIELD, FREE]
    titles = [4, 6, 7]
    assert fit(natural, kinds=kinds, titles=titles, width=None) == natural
    assert fit(natural, kinds=kinds, titles=titles, width=200) == natural
    assert fit(natural, kinds=kinds, titles=titles, width=80) == [30, 10, 36]
    assert fit(natural, kinds=kinds, titles=titles, width=60) == [30, 8, 18]
    narrow = fit(natural, kinds=kinds, titles=titles, width=50)
    assert narrow[0] == 30 and sum(narrow) + 4 == 50


# ---- prose ----------------------------------------------------------------------------------

def _paragraph(out: str, label: str, start: int) -> tuple[list[str], int]:
    lines = out.splitlines()
    i = next(n for n in range(start, len(lines)) if lines[n].startswith(f"  {label}:"))
    j = i + 1
    while j < len(lines) and lines[j].startswith(" " * 12) and lines[j][12] != " ":
        j += 1
    return lines[i:j], j


def test_cause_and_fix_wrap_between_words_with_a_hanging_indent():
    out = run("demo", env={"COLUMNS": "80"}).stdout
    report = run("--demo", "summary", "-o", "json").json()
    at = out.index("ERROR  ")
    position = len(out[:at].splitlines())
    for finding in report["findings"]:
        for label in ("cause", "fix"):
            lines, position = _paragraph(out, label, position)
            assert all(width_of(line) <= 80 for line in lines)
            assert all(line.startswith(" " * 12) for line in lines[1:])  # hanging indent
            text = " ".join(line[12:].strip() for line in lines)
            assert text == " ".join(finding[label].split())  # every word whole, in order
            if len(lines) > 1:  # broken where a word ends, never inside one
                assert finding[label].split()[0] in lines[0]


def test_wrap_breaks_between_words_and_cuts_only_a_word_longer_than_the_line():
    text = "connect to http://a-very-long-host.example/with/a/long/path failed twice"
    lines = wrap(text, 30, first="  x: ", indent="     ")
    assert lines[0] == "  x: connect to"
    assert lines[1] == "     http://a-very-long-host." + ELLIPSIS  # 25 columns
    assert lines[2] == "     failed twice"
    assert wrap(text, None, first="> ") == ["> " + text]
    assert wrap("    indented line", 40) == ["    indented line"]  # its own indentation kept


def test_a_long_command_continues_with_a_backslash_and_keeps_flag_and_value_together():
    lines = wrap_command("kubectl triage logs notification-service --grep event_type -n "
                         "taskflow", 60, first="  next:     ", indent="              ")
    assert all(width_of(line) <= 60 for line in lines)
    assert lines[0].endswith(" \\") and lines[-1].endswith("-n taskflow")
    words = " ".join(x.strip().rstrip("\\").strip() for x in lines).split()
    assert " ".join(words) == (
        "next: kubectl triage logs notification-service --grep event_type -n taskflow")


def test_cut_counts_display_columns():
    assert cut("日本語のログ", 5) == "日本" + ELLIPSIS and width_of(cut("日本語のログ", 5)) == 5
    assert cut("short", 10) == "short"


# ---- the one-screen overview ----------------------------------------------------------------

@pytest.mark.parametrize("command", [("demo",), ("--demo", "summary"), ("--demo", "checklist"),
                                     (*HANDWRITTEN, "summary"), (*HANDWRITTEN, "checklist")])
def test_summary_demo_and_checklist_open_with_an_overview_that_fits_one_screen(command):
    out = run(*command, env={"COLUMNS": "80"}).stdout
    report = run(*(command if command != ("demo",) else ("--demo", "summary")), "-o",
                 "json").json()
    lines = out.splitlines()
    end = next(i for i, line in enumerate(lines) if line.startswith("Below: "))
    end += next(i for i, line in enumerate(lines[end:]) if not line)  # the sentence's end
    screen = lines[:end]
    assert len(screen) <= 24
    assert screen[0].startswith("Bundle: ") and screen[2].startswith("INCIDENTS")
    for incident in report["incidents"]:
        assert any(line.startswith(f"{incident['rank']:>2}  ") for line in screen)
        assert f"next: {incident['next'][0]}" in "\n".join(screen)
    history = len(report["history"])  # the hand-written incident's; the recording has none
    assert (f"HISTORY  {history} item(s) over" in "\n".join(screen)) == (history > 0)
    assert f"{len(report['findings'])} finding(s)" in " ".join(screen)
    # and then the details: each finding's card
    assert out.index("Below: ") < out.index("ERROR  ")


def test_checklist_overview_counts_the_verdicts_and_the_steps_follow_it():
    out = run(*HANDWRITTEN, "checklist", env={"COLUMNS": "80"}).stdout
    report = run(*HANDWRITTEN, "checklist", "-o", "json").json()
    failed = sum(c["verdict"] == "fail" for c in report["checks"])
    overview = out[: out.index("VERDICT")]
    assert f"{len(report['checks'])} checklist steps ({failed} fail" in " ".join(
        overview.split())
    assert out.index("VERDICT") < out.index("evidence:")  # verdicts before the evidence


def test_many_incidents_get_one_line_each_to_stay_on_one_screen():
    from kubectl_triage.render.incidents import overview_text

    incidents = [{"rank": n, "workload": f"svc-{n}", "kind": "Deployment",
                  "summary": f"svc-{n} is down", "explains": [],
                  "next": [f"kubectl triage logs svc-{n} -n x"]} for n in range(1, 15)]
    text = overview_text({"incidents": incidents}, width=80, paint=lambda t, *a, **k: t,
                         follows="Below: the rest.")
    assert len(text.splitlines()) <= 22
    assert " 1  svc-1 is down" in text and "next:" not in text
    many = overview_text({"incidents": incidents * 2}, width=80,
                         paint=lambda t, *a, **k: t, follows="Below: the rest.")
    assert len(many.splitlines()) <= 22 and "more below" in many


# ---- which cluster --------------------------------------------------------------------------

def test_table_output_names_the_bundle_and_namespace_it_read(tmp_path):
    out = run("--demo", "status").stdout
    first = out.splitlines()[0]
    assert first.startswith("Bundle: ") and first.endswith("demo/taskflow  Namespace: taskflow")
    assert out.splitlines()[1] == ""


def test_no_headers_drops_the_header_line_and_json_carries_its_own_fields():
    out = run("--demo", "--no-headers", "status").stdout
    assert not out.startswith("Bundle:") and "WORKLOAD" not in out
    report = run("--demo", "status", "-o", "json").json()
    assert report["bundle"].endswith("demo/taskflow") and report["namespace"] == "taskflow"
    assert "Bundle:" not in run("--demo", "status", "-o", "yaml").stdout
    assert run(*HANDWRITTEN, "status", "-o", "json").json()["bundle"].endswith(
        "handwritten-demo")


def test_a_report_that_read_no_cluster_has_no_header_line():
    assert run("rules", "list").stdout.startswith("ID ")


def test_without_incidents_the_overview_lists_the_findings_or_says_nothing_fails():
    from kubectl_triage.render.incidents import overview_text

    plain = dict(width=80, paint=lambda t, *a, **k: t, follows="Below: 2 finding(s).")
    text = overview_text({"incidents": []}, findings=["WARNING  timeout  Timed out (x2)",
                                                      "INFO     timezone  Off by hours (x1)"],
                         **plain)
    assert text.splitlines()[:3] == ["FINDINGS", "WARNING  timeout  Timed out (x2)",
                                     "INFO     timezone  Off by hours (x1)"]
    clean = overview_text({"incidents": [], "history": [{}]}, **plain)
    assert clean.startswith("No incident: no failing workload found.")
    assert "HISTORY  1 item(s) over" in clean


def test_no_headers_keeps_one_line_a_row_and_every_column_at_any_width():
    """--no-headers is for awk: no message under its row, no column left out at 80."""
    status = run(*HANDWRITTEN, "status", "--no-headers", env={"COLUMNS": "80"}).stdout
    pods = run(*HANDWRITTEN, "status", "-o", "json").json()["pods"]
    rows = status.split("\n\n")[0].splitlines()
    assert len(rows) == len(pods)
    assert all(row.split()[0].startswith(("deployment/", "pod/")) for row in rows)  # WORKLOAD
    events = run(*HANDWRITTEN, "events", "--no-headers", env={"COLUMNS": "80"}).stdout
    count = len(run(*HANDWRITTEN, "events", "-o", "json").json()["events"])
    table = next(s for s in events.split("\n\n") if s.startswith(("Warning", "Normal")))
    assert len(table.splitlines()) == count
    assert all(line.split()[0] in ("Warning", "Normal") for line in table.splitlines())
