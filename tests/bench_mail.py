"""Inbound mail parsing speed over the real-world corpora in tests/corpora.

`python -m tests.bench_mail` prints messages per second; `messages_per_second()` returns it for
a caller that collects benchmark figures.
"""

from __future__ import annotations

import time
from pathlib import Path

from chalicelib.mail.parse import parse_mail

CORPORA = Path(__file__).resolve().parent / "corpora"


def corpus_messages() -> list[bytes]:
    return [
        path.read_bytes()
        for path in sorted(CORPORA.rglob("*"))
        if path.is_file() and path.suffix != ".md" and not path.name.startswith((".", "LICENSE"))
    ]


def messages_per_second(rounds: int = 5) -> float:
    """Parse every corpus message `rounds` times (after one untimed warm-up pass)."""
    messages = corpus_messages()
    for raw in messages:  # imports and regex compilation are not what we measure
        parse_mail(raw)
    start = time.perf_counter()
    for _ in range(rounds):
        for raw in messages:
            parse_mail(raw)
    return rounds * len(messages) / (time.perf_counter() - start)


def main() -> None:
    rate = messages_per_second()
    print(f"mail parse: {rate:.0f} messages/s over {len(corpus_messages())} corpus messages")


if __name__ == "__main__":
    main()
