"""What the sender wrote this time: quoted history, attribution lines and signatures removed.

mail-parser-reply was considered and not used: it cuts everything after any line starting with
"- " (bulleted lists) or "Thanks,", strips every line's indentation, and knows only the
"Dnia ... napisał(a):" form of Polish attributions, not the one Gmail writes.

The rules, in the order a mail client writes them:
- history starts at an attribution line ("On ... wrote:" and its translations, possibly wrapped
  over two or three lines), an "Original Message" or forward separator, an Outlook header block
  ("From:" followed by "Sent:"/"To:"/"Subject:" in any of several languages), or a trailing block
  of `>` lines;
- quoted lines interleaved with answers (inline replies) are kept: without them the answers mean
  nothing;
- a signature starts at "-- " (RFC 3676) or at a "Sent from my iPhone" line near the end;
- a forward with nothing written above it keeps the forwarded text: that is its content.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import islice

_VERBS = (
    r"wrote|writes|a\s+écrit|napisał\(a\)|napisała|napisał|pisze|schrieb|escribió|ha\s+scritto"
    r"|schreef|escreveu|skrev|kirjoitti|napsal\(a\)|napsala|napsal"
    r"|написал\(а\)|написала|написал"  # noqa: RUF001 - Cyrillic on purpose
    r"|yazdı|έγραψε|írta"  # noqa: RUF001 - Turkish dotless i on purpose
)
# The verb may be followed by the author ("Am ... schrieb Jan <jan@x>:"), then the colon.
_ATTRIBUTION = re.compile(rf"\b(?:{_VERBS})\b[^\n]{{0,160}}?\s?:\s*$", re.IGNORECASE)
_ATTRIBUTION_OPENER = re.compile(
    r"^\s*(?:on|le|am|el|il|op|em|den|dnia|w\s+dniu|dne|\d|mon|tue|wed|thu|fri|sat|sun"
    r"|lun|mar|mer|jeu|ven|sam|dim|pon|wt|śr|czw|pt|sob|niedz|mo|di|mi|do|fr|sa|so)\b",
    re.IGNORECASE,
)
_WORD_OPENER = re.compile(r"^\s*(?:on|le|am|el|il|op|em|den|dnia|w\s+dniu|dne)\s", re.IGNORECASE)
_VERB = re.compile(rf"\b(?:{_VERBS})\b", re.IGNORECASE)
# Separator words; the dashes, underscores or stars around them are stripped before matching
# (patterns with dash runs on both sides backtrack for every line of dashes).
_FORWARD_WORDS = re.compile(
    r"(?:forwarded\s+message|weitergeleitete\s+nachricht|message\s+transféré"
    r"|wiadomość\s+przekazana(?:\s+dalej)?|mensaje\s+reenviado|messaggio\s+inoltrato"
    r"|doorgestuurd\s+bericht|mensagem\s+encaminhada|vidarebefordrat\s+meddelande"
    r"|пересылаемое\s+сообщение"
    r"|(?:begin\s+forwarded\s+message|début\s+du\s+message\s+réexpédié"
    r"|anfang\s+der\s+weitergeleiteten\s+nachricht|początek\s+przekazanej\s+wiadomości"
    r"|inicio\s+del\s+mensaje\s+reenviado)\s*:)",
    re.IGNORECASE,
)
_ORIGINAL_WORDS = re.compile(
    r"(?:original\s+message|ursprüngliche\s+nachricht|message\s+d'origine"
    r"|oryginalna\s+wiadomość|wiadomość\s+oryginalna|mensaje\s+original|messaggio\s+originale"
    r"|oorspronkelijk\s+bericht|mensagem\s+original|ursprungligt\s+meddelande"
    r"|alkuperäinen\s+viesti|исходное\s+сообщение|původní\s+zpráva)",
    re.IGNORECASE,
)
_MAX_SEPARATOR_WORDS = 60
_FROM_KEY = re.compile(
    r"^\s*\*?(?:from|de|von|od|van|da|från|fra|lähettäjä|от|kimden|feladó|发件人|差出人)\s*\*?\s*:",
    re.IGNORECASE,
)
_OTHER_KEY = re.compile(
    r"^\s*\*?(?:sent|date|to|subject|cc|envoyé|à|objet|gesendet|an|betreff|datum|wysłano|data|do"
    r"|enviada\s+em|enviado\s+em|assunto"
    r"|temat|dw|verzonden|aan|onderwerp|inviato|a|oggetto|enviado|para|asunto|fecha|skickat|till"
    r"|ämne|sendt|til|emne|lähetetty|vastaanottaja|aihe|отправлено|кому|тема|发送时间|收件人"
    r"|主题|送信日時|宛先|件名|odesláno|komu|předmět)\s*\*?\s*:",
    re.IGNORECASE,
)
_RULE = re.compile(r"^\s*(?:_{10,}|-{10,})\s*$")
_DECORATION = re.compile(r"^\s*[-_=*~]{2,}\s*$")
_MOBILE_SIGNATURE = re.compile(
    r"^\s*(?:sent\s+(?:from|via|with)\s+.{1,60}|get\s+outlook\s+for\s+.{1,60}"
    r"|envoyé\s+(?:de|depuis)\s+.{1,60}|wysłane\s+z\s+.{1,60}|wysłano\s+z\s+.{1,60}"
    r"|von\s+meinem\s+.{1,60}\s+gesendet|gesendet\s+(?:von|mit)\s+.{1,60}"
    r"|enviado\s+(?:desde|do|de)\s+.{1,60}|inviato\s+da\s+.{1,60}|verzonden\s+(?:vanaf|met)\s+.{1,60}"
    r"|skickat\s+från\s+.{1,60}|sendt\s+fra\s+.{1,60}"
    r"|отправлено\s+(?:с|из)\s+.{1,60})$",  # noqa: RUF001 - Cyrillic on purpose
    re.IGNORECASE,
)
_FORWARD_SUBJECT = re.compile(r"^\s*(?:fwd?|fw|tr|wg|pd|rv|enc|vs|i)\s*:", re.IGNORECASE)
_MAX_ATTRIBUTION_LINES = 3
_MOBILE_SIGNATURE_TAIL = 3  # a "Sent from" line counts only among the last non-blank lines
_BARE_DELIMITER_TAIL = 25
_MAX_MARKER_LINE = 400


@dataclass(frozen=True)
class _Cut:
    line: int
    forward: bool


def extract_reply(text: str, *, subject: str = "") -> str:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cut = _history_start(lines)
    if cut is not None:
        above = lines[: cut.line]
        pure_forward = cut.forward or _FORWARD_SUBJECT.match(subject)
        if any(line.strip() for line in above) or not pure_forward:
            lines = above
    return "\n".join(_without_signature(lines)).strip("\n").rstrip()


def _history_start(lines: list[str]) -> _Cut | None:
    for index, line in enumerate(lines):
        # Markers are short lines; a long one (a pasted log, a wall of dashes) is never one, and
        # skipping it keeps the backtracking patterns below linear.
        if not line.strip() or _is_quoted(line) or len(line) > _MAX_MARKER_LINE:
            continue
        separator = _separator(line)
        if separator == "forward":
            return _Cut(index, forward=True)
        if separator == "original" or _is_lotus_attribution(line):
            return _Cut(index, forward=False)
        if _RULE.match(line) and _header_block_follows(lines, index + 1):
            return _Cut(index, forward=False)
        if _FROM_KEY.match(line) and _is_header_block(lines, index):
            return _Cut(index, forward=False)
        if _attribution_length(lines, index):
            return _Cut(index, forward=False)
    return _trailing_quote(lines)


def _separator(line: str) -> str | None:
    """ "forward" for "---------- Forwarded message ---------" and its translations,
    "original" for "-----Original Message-----" (dashes required), else None."""
    stripped = line.strip()
    words = stripped.strip("-_* ")
    if not words or len(words) > _MAX_SEPARATOR_WORDS:
        return None
    if _FORWARD_WORDS.fullmatch(words):
        return "forward"
    if stripped.startswith("--") and stripped.endswith("--") and _ORIGINAL_WORDS.fullmatch(words):
        return "original"
    return None


def _is_lotus_attribution(line: str) -> bool:
    """Lotus Notes writes `-----"Jan" <jan@x> wrote: -----` (checked without a regex: a
    pattern with `.*` between dash runs backtracks quadratically on a line of dashes)."""
    stripped = line.strip()
    if not (stripped.startswith("---") and stripped.endswith("---")):
        return False
    inner = stripped.strip("-").strip()
    return inner.endswith(":") and bool(_VERB.search(inner))


def _is_quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


def _header_block_follows(lines: list[str], start: int) -> bool:
    for index in range(start, min(start + 3, len(lines))):
        if lines[index].strip():
            return bool(_FROM_KEY.match(lines[index])) and _is_header_block(lines, index)
    return False


def _is_header_block(lines: list[str], start: int) -> bool:
    """`From:` then at least two of Sent/Date/To/Subject/Cc within the next few lines."""
    window = lines[start + 1 : start + 8]
    return sum(1 for line in window if _OTHER_KEY.match(line)) >= 2


def _attribution_length(lines: list[str], start: int) -> int:
    """How many lines (up to 3, clients wrap them) form an attribution starting here; 0: none."""
    for length in range(1, _MAX_ATTRIBUTION_LINES + 1):
        chunk = lines[start : start + length]
        if length > 1 and not _continues_attribution(chunk[-1]):
            return 0
        joined = " ".join(part.strip().lstrip(">").strip() for part in chunk)
        if len(joined) > 400 or not _ATTRIBUTION.search(joined):
            continue
        if length > 1 and (
            not _ATTRIBUTION_OPENER.match(chunk[0]) or _starts_attribution(chunk[1])
        ):
            return 0  # the attribution starts on a later line; this one is the sender's text
        if _looks_like_attribution(joined, lines, start + length):
            return length
    return 0


def _continues_attribution(line: str) -> bool:
    """A wrapped attribution's next line; Gmail may wrap "<addr\n> a écrit :" so the rest
    looks quoted, which only counts when that rest ends the attribution."""
    if not line.strip():
        return False
    return not _is_quoted(line) or bool(_ATTRIBUTION.search(line))


def _starts_attribution(line: str) -> bool:
    return bool(_ATTRIBUTION_OPENER.match(line)) and bool(_ATTRIBUTION.search(line))


def _looks_like_attribution(joined: str, lines: list[str], after: int) -> bool:
    """Prose ("As I wrote on 3 May:") unless quoted lines follow, or it opens like a client's
    header with an address or a date ("On ... <a@b> wrote:"; Yahoo quotes without `>`)."""
    following = next((line for line in islice(lines, after, None) if line.strip()), "")
    if _is_quoted(following):
        return True
    if "@" in joined and _ATTRIBUTION_OPENER.match(joined):
        return True
    return bool(_WORD_OPENER.match(joined) and re.search(r"\d", joined))


def _trailing_quote(lines: list[str]) -> _Cut | None:
    """A block of `>` lines that runs to the end, and the attribution line just above it."""
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    start = end
    while start and (_is_quoted(lines[start - 1]) or not lines[start - 1].strip()):
        start -= 1
    if start == end or not any(_is_quoted(line) for line in lines[start:end]):
        return None
    previous = start
    while previous and not lines[previous - 1].strip():
        previous -= 1
    if previous and lines[previous - 1].rstrip().endswith(":"):
        above = lines[previous - 1]
        if "@" in above or re.search(r"\d", above):
            return _Cut(previous - 1, forward=False)
    return _Cut(start, forward=False)


def _without_signature(lines: list[str]) -> list[str]:
    content = [index for index, line in enumerate(lines) if line.strip()]
    for position, index in enumerate(content):
        line = lines[index]
        # "-- " is the standard delimiter; a bare "--" (trailing space lost) only near the end.
        near_end = len(content) - position <= _BARE_DELIMITER_TAIL
        if line == "-- " or (line.strip() == "--" and near_end):
            return lines[:index]
    for index in content[-_MOBILE_SIGNATURE_TAIL:]:
        if len(lines[index]) <= _MAX_MARKER_LINE and _MOBILE_SIGNATURE.match(lines[index]):
            return _without_trailing_rules(lines[:index])
    return lines


def _without_trailing_rules(lines: list[str]) -> list[str]:
    """The "-----" a carrier draws above its "Sent via ..." line belongs to the signature."""
    end = len(lines)
    while end and (not lines[end - 1].strip() or _DECORATION.match(lines[end - 1])):
        end -= 1
    return lines[:end]
