"""`parley mail parse FILE [--json]`: one JSON object, or a readable summary; exit code 0 for
anything it could read."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from parley_dev.cli import main

pytestmark = pytest.mark.unit

CORPORA = Path(__file__).resolve().parents[1] / "corpora"
JSON_KEYS = {
    "from_email",
    "from_name",
    "to",
    "cc",
    "subject",
    "message_id",
    "in_reply_to",
    "references",
    "date",
    "body_text",
    "reply_text",
    "attachments",
    "classification",
    "warnings",
}


def run_json(capsys: pytest.CaptureFixture[str], path: Path, *extra: str) -> dict[str, object]:
    code = main(["mail", "parse", str(path), "--json", *extra])
    out = capsys.readouterr().out
    assert code == 0
    result = json.loads(out)
    assert isinstance(result, dict)
    return result


def test_json_output_has_every_documented_key(capsys: pytest.CaptureFixture[str]) -> None:
    # Given a message with an attachment
    path = CORPORA / "mikel-mail/attachment_emails/attachment_pdf.eml"
    # When it is parsed with --json
    result = run_json(capsys, path)
    # Then one JSON object carries every key, attachments described without their bytes
    assert result.keys() >= JSON_KEYS
    assert result["attachments"] == [
        {
            "filename": "broken.pdf",
            "content_type": "application/pdf",
            "size": 1026,
            "inline": False,
            "content_id": None,
        }
    ]
    assert result["classification"] == "normal"
    assert isinstance(result["to"], list) and isinstance(result["references"], list)


def test_json_values_are_decoded_text(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_json(capsys, CORPORA / "mikel-mail/rfc2822/example14.eml")
    assert result["subject"] == "Re: TEST \tテストテスト"
    assert result["date"] == "2011-08-19T10:47:17+09:00"
    assert result["message_id"] == "<0CC5E11ED2C1D@example.com>"
    assert result["in_reply_to"] == "<rid_5582199198@msgid.example.com>"


def test_own_domain_option_detects_a_loop(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    raw = b"From: support@parley.test\r\nMessage-ID: <1@parley.test>\r\nSubject: x\r\n\r\nx"
    path = tmp_path / "ours.eml"
    path.write_bytes(raw)
    result = run_json(
        capsys, path, "--mail-domain", "parley.test", "--own-address", "support@parley.test"
    )
    assert result["classification"] == "loop"


def test_garbage_still_exits_zero_with_warnings(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "garbage.eml"
    path.write_bytes(bytes(range(256)) * 10)
    result = run_json(capsys, path)
    assert result["warnings"]


def test_readable_summary(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["mail", "parse", str(CORPORA / "django-helpdesk/forwarded-message.eml")])
    out = capsys.readouterr().out
    assert code == 0
    assert "Subject:        Test with original message from GitHub" in out
    assert "--- reply text ---\nThis is email body" in out
    assert "--- full text ---" in out


def test_a_missing_file_is_an_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code = main(["mail", "parse", str(tmp_path / "nope.eml"), "--json"])
    captured = capsys.readouterr()
    assert code != 0
    assert captured.out == ""
    assert "cannot read" in captured.err


def test_the_installed_command_prints_one_json_object() -> None:
    # Given the command as a user runs it, in a fresh process
    script = Path(sys.executable).with_name("parley")
    command = [str(script)] if script.exists() else [sys.executable, "-c", _INLINE_MAIN]
    path = CORPORA / "mikel-mail/rfc6532/utf8_headers.eml"
    # When it parses a message with raw UTF-8 headers
    done = subprocess.run(  # noqa: S603 - our own command, fixed arguments
        [*command, "mail", "parse", str(path), "--json"],
        capture_output=True,
        timeout=60,
        check=False,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    # Then it exits 0 with exactly one JSON object on stdout
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.decode("utf-8"))
    assert result.keys() >= JSON_KEYS
    assert (result["subject"], result["from_email"]) == ("Säying Hello", "jdöe@mächine.example")


_INLINE_MAIN = "import sys; from parley_dev.cli import main; sys.exit(main())"
