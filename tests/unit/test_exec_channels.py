"""The exec protocol's pure parts: the query, frames, stdin messages, and how the error channel's Status ends a command."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

import pytest

import pykorm
from pykorm._http.channels import (
    CLOSE, ERROR, STDERR, STDIN, STDIN_FRAME, STDOUT, V4, V5, Output, decode_frame, encode_frame, exec_query,
    exit_code_of, stdin_frames,
)
from pykorm._http.wsexec import websocket_url

pytestmark = pytest.mark.unit


def test_the_query_has_one_command_parameter_per_argument_in_order() -> None:
    query = exec_query(["sh", "-c", "echo 'a b' && exit 3", "&command=rm"], "web", stdin=True)

    assert parse_qsl(query) == [
        ("command", "sh"), ("command", "-c"), ("command", "echo 'a b' && exit 3"), ("command", "&command=rm"),
        ("container", "web"), ("stdin", "true"), ("stdout", "true"), ("stderr", "true"), ("tty", "false"),
    ]
    assert ("container", "web") not in parse_qsl(exec_query(["true"], None, stdin=False))
    assert ("stdin", "false") in parse_qsl(exec_query(["true"], None, stdin=False))


@pytest.mark.parametrize("command", [[], "ls -l", b"ls", ["ls", 3], None, ["ls", None]])
def test_a_command_that_is_not_a_list_of_strings_is_refused(command: object) -> None:
    with pytest.raises(pykorm.ClientValidationError):
        exec_query(command, None, stdin=False)  # type: ignore[arg-type]


@pytest.mark.parametrize("container", ["", 3])
def test_an_empty_or_non_string_container_is_refused(container: object) -> None:
    with pytest.raises(pykorm.ClientValidationError):
        exec_query(["true"], container, stdin=False)  # type: ignore[arg-type]


def test_frames_carry_their_channel_in_the_first_byte() -> None:
    assert encode_frame(STDIN, b"hi") == b"\x00hi"
    assert decode_frame(b"\x01out") == (STDOUT, b"out")
    assert decode_frame(b"\x02") == (STDERR, b"")
    assert decode_frame(b"") == (-1, b"")


def test_stdin_is_cut_into_frames_and_closed_on_v5_only() -> None:
    data = bytes(range(256)) * (STDIN_FRAME // 256 * 2 + 1)  # two full frames and a bit

    v5 = list(stdin_frames(data, V5))
    v4 = list(stdin_frames(data, V4))

    assert b"".join(frame[1:] for frame in v5[:-1]) == data and {frame[0] for frame in v5[:-1]} == {STDIN}
    assert [len(frame) - 1 for frame in v5[:-1]] == [STDIN_FRAME, STDIN_FRAME, len(data) - 2 * STDIN_FRAME]
    assert v5[-1] == bytes((CLOSE, STDIN))
    assert v4 == v5[:-1]
    assert list(stdin_frames(b"", V5)) == [bytes((CLOSE, STDIN))]  # empty input: closed at once


def test_output_sorts_channels_and_ends_with_the_status() -> None:
    output = Output("exec pods/p")
    for message in (b"\x01", b"\x02", b"\x03", b"\x01hel", b"\x02oops", b"\x01lo\xff", b"\x04{}", b"\x09x"):
        output.add(message)  # the server's empty opening messages, a resize, an unknown channel: ignored
    assert output.status is None

    output.add(encode_frame(ERROR, json.dumps({"status": "Success"}).encode()))
    result = output.result()

    assert (result.stdout_bytes, result.stderr_bytes, result.exit_code, result.ok) == (b"hello\xff", b"oops", 0, True)
    assert result.stdout == "hello\ufffd" and result.stderr == "oops"


def test_a_kubelets_non_zero_exit_code_is_read_from_its_cause() -> None:
    status = {"status": "Failure", "reason": "NonZeroExitCode", "message": "command terminated with non-zero exit code",
              "details": {"causes": [{"reason": "ExitCode", "message": "42"}]}}

    assert exit_code_of(status) == 42


def test_an_exit_reported_as_gos_exit_status_message_is_read_from_it() -> None:
    # kwok's local exec: the runtime's error text, passed on by kube-apiserver as an InternalError
    message = ("Internal error occurred: error executing command in container: cmd wait: sh -c echo : exit status 9; "
               "exit 3: exit status 3")

    assert exit_code_of({"status": "Failure", "reason": "InternalError", "code": 500, "message": message}) == 3


@pytest.mark.parametrize("status", [
    {"status": "Failure", "reason": "InternalError", "code": 500,
     "message": 'error executing command in container: cmd start: nope : exec: "nope": executable file not found'},
    {"status": "Failure", "reason": "NonZeroExitCode", "details": {"causes": [{"reason": "ExitCode", "message": "x"}]}},
    {"status": "Failure"},
    {},
])
def test_any_other_failure_is_exec_failed_with_the_partial_output(status: dict[str, object]) -> None:
    output = Output("exec pods/p")
    output.add(b"\x01before")
    output.add(encode_frame(ERROR, json.dumps(status).encode()))

    with pytest.raises(pykorm.ExecFailed) as raised:
        output.result()

    assert raised.value.result.stdout_bytes == b"before" and raised.value.result.exit_code == -1
    assert isinstance(raised.value, pykorm.ApiError) and raised.value.body == status


def test_an_error_channel_that_is_not_json_is_a_failure_quoting_it() -> None:
    output = Output("exec pods/p")
    output.add(b"\x03the runtime broke")

    with pytest.raises(pykorm.ExecFailed, match="the runtime broke"):
        output.result()


def test_the_websocket_url_keeps_the_servers_scheme_secure_or_not() -> None:
    assert websocket_url("https://h:6443", "/api/v1/x", "a=1") == "wss://h:6443/api/v1/x?a=1"
    assert websocket_url("http://h", "/p", "a=1") == "ws://h/p?a=1"


def test_a_results_repr_cuts_a_huge_output() -> None:
    result = pykorm.ExecResult(b"a" * 10_000_000, b"", 0)

    assert len(repr(result)) < 200 and "10000000 bytes" in repr(result)
