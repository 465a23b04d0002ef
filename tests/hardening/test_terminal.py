"""No escape byte from server data reaches the terminal. The real `cfy-tui` runs under a
pseudo-terminal against the hostile server, whose every string carries OSC 0 (window
title), OSC 52 (clipboard), OSC 8 (links), `ESC[2J`, the C1 CSI and OSC bytes, NUL, DEL
and markup; the keys open the start form, start, open the execution, cancel it. The
bytes written to the terminal hold none of those sequences, and do hold the payloads'
visible text with replacement characters in place of the escapes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.hardening.figures import count
from tests.hardening.hostile import (
    HostileServer,
    Reply,
    Request,
    deployment_doc,
    event_doc,
    execution_doc,
    page,
    version_doc,
)
from tests.hardening.terminal import After, clean_env, run_in_pty

TITLE = "\x1b]0;PWNED\x07"
CLIP = "\x1b]52;c;UFdORUQ=\x07"
LINK = "\x1b]8;;https://evil.example/\x07OSC8\x1b]8;;\x07"
CLEAR = "\x1b[2JCLR"
C1 = "\x9b31mCSI1 \x9d0;PWNED\x9c"
MARKUP = "[@click=app.quit]QUIT[/] [link=https://evil.example/m]MLINK[/link]"
DEP = "evil" + TITLE  # shown as "evil�]0;PWNED�"


def hostile_world() -> dict[str, Reply | object]:
    workflow = {
        "name": "wf" + TITLE,
        "parameters": {
            "p" + CLEAR: {"description": "d" + TITLE + C1 + "\x00\x7f", "default": "v" + TITLE},
        },
    }
    dep = deployment_doc(
        DEP,
        display_name=CLIP + "CB",
        blueprint_id=C1,
        deployment_status=CLEAR,
        latest_execution_workflow_id=LINK,
        workflows=[workflow],
    )
    other = deployment_doc("zz-markup", display_name=MARKUP, workflows=[workflow])
    execution = execution_doc(
        "ex" + TITLE + "1",
        DEP,
        status="started",
        error="boom" + TITLE + CLEAR,
        workflow_id="w" + CLIP,
    )
    started = execution_doc("new" + TITLE, DEP, status="pending", workflow_id="wf" + TITLE)
    events = page(
        [event_doc(n, f"event {n} {TITLE}{CLIP}{LINK}{CLEAR}{C1}{MARKUP}") for n in range(1, 6)]
    )

    def by_id(request: Request) -> Reply:
        if "new" in request.path:
            return Reply.json(started)
        return Reply.json({**execution, "status": "started"})

    return {
        "version": Reply.json(version_doc("7.0.5" + TITLE)),
        "deployments": Reply.json(page([dep, other])),
        "deployment": lambda r: Reply.json(other if "zz-markup" in r.path else dep),
        "executions": Reply.json(page([execution])),
        "execution": by_id,
        "start": Reply.json(started, status=201),
        "action": Reply.json({**execution, "status": "cancelling" + TITLE}),
        "events": Reply.json(events),
    }


@pytest.mark.slow
def test_no_escape_sequence_from_the_server_reaches_the_terminal(tmp_path: Path) -> None:
    with HostileServer() as server:
        server.set(**hostile_world())
        env = clean_env(tmp_path, CLOUDIFY_PASSWORD="pw-not-shown")
        # Each key waits for the screen it is meant for, not for a time.
        keys = [
            (After("connected"), b"\t"),  # the workflows pane
            (After("Workflow"), b"s"),  # the start form: name, parameter, description
            (After("cfy executions start"), b"\x13"),  # ctrl+s: the execution screen
            (After("Events and logs", settle=1.0), b"y"),  # the raw view, events tailed
            (After("Execution "), b"\x1b"),
            (After("Events and logs"), b"\x1b"),  # back to the main screen
            (After("Deployment"), b"\t"),  # the executions pane, the new one selected
            # The footer offers Cancel once the executions pane has the focus and an
            # execution that can be cancelled is selected: then c opens the dialog.
            (After("Cancel"), b"c"),
            (After("Back"), b"\t"),  # the dialog (its Back button has the focus)
            (After("Back"), b"\r"),  # Back redrawn without the focus: the next choice
        ]
        capture = run_in_pty(
            ["--manager", server.url, "--username", "u"], env, keys, duration=40, linger=1.5
        )
        assert capture.unsent == [], capture.text[-2000:]
        endpoints = {r.endpoint for r in server.requests}
    out = capture.output
    # The app ran and read every endpoint the keys lead to.
    assert {"version", "deployments", "deployment", "executions", "start"} <= endpoints, endpoints
    assert "execution" in endpoints and "events" in endpoints, endpoints
    assert "action" in endpoints, endpoints  # the cancel dialog was reached and chosen
    # None of the sequences, in their ESC (7-bit) or C1 (8-bit, UTF-8 encoded) forms.
    leaks = {
        "OSC 0 title": b"\x1b]0;PWNED",
        "OSC 52 clipboard": b"\x1b]52;",
        "OSC 8 link": b"\x1b]8;;https://evil",
        "clear screen": b"\x1b[2JCLR",
        "C1 CSI": b"\xc2\x9b",
        "C1 OSC": b"\xc2\x9d",
        "C1 ST": b"\xc2\x9c",
        "NUL": b"\x00",
        "DEL": b"\x7f",
    }
    found = {name: out.count(seq) for name, seq in leaks.items() if seq in out}
    count("terminal leaks found", sum(found.values()))
    assert not found, found
    # No OSC sequence at all carries server text; no link the server named.
    osc = [p for p in capture.osc_payloads() if b"PWNED" in p or b"evil" in p or b"UFdO" in p]
    assert not osc, osc
    # Where a payload's escape was, a replacement character is shown instead.
    text = capture.text
    assert "evil\ufffd]0;PWNED\ufffd" in text, text[-3000:]
    assert "\ufffd]52;c;UFdORUQ=\ufffdCB" in text
    assert "\ufffd[2JCLR" in text
    assert "\ufffd31mCSI1" in text
    assert "[@click=app.quit]QUIT[/]" in text  # markup shown, not run: the app kept going
    assert "event 1" in text  # the execution screen tailed the hostile events
    assert capture.returncode == 0, (capture.returncode, text[-2000:])
    count("terminal bytes inspected", len(out))


def test_visible_text_helper_reads_through_sequences() -> None:
    from tests.hardening.terminal import Capture

    capture = Capture(b"\x1b[1;1Habc\x1b[31mdef\x1b]0;t\x07\x1b[0m", 0)
    assert capture.text == "abcdef"
    assert capture.osc_payloads() == [b"0;t"]
    assert re.search("abc", capture.text)
