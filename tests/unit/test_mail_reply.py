"""Reply text: what the customer wrote this time, without quoted history and signature."""

from __future__ import annotations

import pytest

from chalicelib.mail.parse import parse_mail
from chalicelib.mail.reply import extract_reply

pytestmark = pytest.mark.unit

NEW_TEXT = "Thanks, the new password works.\nCan you also close ticket 42?"

STYLES = {
    "gmail": (
        "On Mon, Nov 3, 2025 at 10:00 AM Parley Support <support@parley.test> wrote:\n"
        "> Hello Jan,\n>\n> please try again.\n"
    ),
    "gmail wrapped attribution": (
        "On Mon, Nov 3, 2025 at 10:00 AM Parley Support Team of Example Company <\n"
        "support@parley.test> wrote:\n\n> Hello Jan,\n"
    ),
    "apple mail": (
        "> On 3 Nov 2025, at 10:00, Parley Support <support@parley.test> wrote:\n>\n> Hello Jan,\n"
    ),
    "apple mail unquoted attribution": (
        "On 3 Nov 2025, at 10:00, Parley Support <support@parley.test> wrote:\n\n> Hello Jan,\n"
    ),
    "thunderbird": "On 11/3/25 10:00, Parley Support wrote:\n> Hello Jan,\n",
    "outlook desktop": (
        "________________________________\n"
        "From: Parley Support <support@parley.test>\n"
        "Sent: Monday, November 3, 2025 10:00 AM\n"
        "To: Jan Kowalski <jan@customer.example>\n"
        "Subject: New reply [#42]\n\nHello Jan,\n"
    ),
    "outlook without rule": (
        "From: Parley Support <support@parley.test>\n"
        "Sent: Monday, November 3, 2025 10:00 AM\n"
        "To: Jan Kowalski\n"
        "Subject: New reply [#42]\n\nHello Jan,\n"
    ),
    "outlook original message": (
        "-----Original Message-----\nFrom: Parley Support\nSent: Monday\n\nHello Jan,\n"
    ),
    "outlook french": (
        "De : Parley Support <support@parley.test>\n"
        "Envoyé : lundi 3 novembre 2025 10:00\n"
        "À : Jan Kowalski\n"
        "Objet : Nouvelle réponse [#42]\n\nBonjour Jan,\n"
    ),
    "outlook polish": (
        "Od: Parley Support <support@parley.test>\n"
        "Wysłano: poniedziałek, 3 listopada 2025 10:00\n"
        "Do: Jan Kowalski\n"
        "Temat: Nowa odpowiedź [#42]\n\nDzień dobry,\n"
    ),
    "gmail french": (
        "Le lun. 3 nov. 2025 à 10:00, Parley Support <support@parley.test> a écrit :\n"
        "> Bonjour Jan,\n"
    ),
    "thunderbird french": "Le 03/11/2025 à 10:00, Parley Support a écrit :\n> Bonjour Jan,\n",
    "gmail polish": (
        "pon., 3 lis 2025 o 10:00 Parley Support <support@parley.test> napisał(a):\n"
        "> Dzień dobry,\n"
    ),
    "polish dnia": "Dnia 3.11.2025 o 10:00 Parley Support napisał(a):\n> Dzień dobry,\n",
    "thunderbird polish": "W dniu 3.11.2025 o 10:00, Parley Support pisze:\n> Dzień dobry,\n",
    "gmail german": (
        "Am Mo., 3. Nov. 2025 um 10:00 Uhr schrieb Parley Support <support@parley.test>:\n"
        "> Hallo Jan,\n"
    ),
    "gmail spanish": (
        "El lun, 3 nov 2025 a las 10:00, Parley Support (<support@parley.test>) escribió:\n"
        "> Hola Jan,\n"
    ),
    "date first without verb": "2025-11-03 10:00 GMT+01:00, support@parley.test:\n> Hello Jan,\n",
    "yahoo without quoting": (
        "On Monday, November 3, 2025, 10:00:00 AM GMT+1, Parley Support wrote:\n\nHello Jan,\n"
    ),
    "lotus notes": '-----"Parley Support" <support@parley.test> wrote: -----\nHello Jan,\n',
    "gmail french wrapped into a quote": (
        "Le lun. 3 nov. 2025 à 10:00, Parley Support <support@parley.test\n> a écrit :\n\n"
        "> Bonjour Jan,\n"
    ),
    "gmail german wrapped": (
        "Am Mo., 3. Nov. 2025 um 10:00 Uhr schrieb Parley Support <\n"
        "support@parley.test>:\n\n> Hallo Jan,\n"
    ),
    "gmail italian wrapped": (
        "Il giorno lun 3 nov 2025 alle ore 10:00 Parley Support <support@parley.test>\n"
        "ha scritto:\n\n> Ciao Jan,\n"
    ),
    "gmail danish": "3. nov. 2025 kl. 10.00 skrev Parley <support@parley.test>:\n\n> Hej Jan,\n",
    "gmail japanese": "2025年11月3日(月) 10:00 Parley <support@parley.test>:\n\n> こんにちは\n",
    "apple russian": (
        "> 3 нояб. 2025 г., в 10:00, Parley <support@parley.test> написал(а):\n"  # noqa: RUF001
        ">\n> Привет\n"
    ),
    "outlook portuguese": (
        "De: support@parley.test\nEnviada em: segunda-feira, 3 de novembro de 2025 10:00\n"
        "Para: jan@customer.example\nAssunto: Nova resposta\n\nOlá\n"
    ),
    "outlook german": (
        "Von: Parley <support@parley.test>\nGesendet: Montag, 3. November 2025 10:00\n"
        "An: Jan\nBetreff: AW: Rechnung\n\nHallo\n"
    ),
    "outlook dutch": (
        "Van: Parley <support@parley.test>\nVerzonden: maandag 3 november 2025 10:00\n"
        "Aan: Jan\nOnderwerp: RE: Factuur\n\nHallo\n"
    ),
}


@pytest.mark.parametrize("history", STYLES.values(), ids=STYLES.keys())
def test_quoted_history_is_removed_for_each_client_style(history: str) -> None:
    # Given a reply written above the quoted history, in a given client's style
    text = f"{NEW_TEXT}\n\n{history}"
    # When the reply text is extracted
    # Then only the new text remains
    assert extract_reply(text) == NEW_TEXT


SIGNATURES = {
    "rfc 3676 delimiter": "-- \nJan Kowalski\nACME Ltd.\n+48 600 000 000",
    "delimiter without its space": "--\nJan Kowalski\nACME Ltd.",
    "iphone": "Sent from my iPhone",
    "outlook mobile": "Get Outlook for iOS<https://aka.ms/o0ukef>",
    "french iphone": "Envoyé de mon iPhone",
    "polish iphone": "Wysłane z mojego iPhone'a",
    "german iphone": "Von meinem iPhone gesendet",
    "carrier footer": "-----------------\nSent via Bell Mobility's Text Messaging service.",
}


@pytest.mark.parametrize("signature", SIGNATURES.values(), ids=SIGNATURES.keys())
def test_signatures_are_removed(signature: str) -> None:
    assert extract_reply(f"{NEW_TEXT}\n\n{signature}\n") == NEW_TEXT


def test_signature_and_history_together() -> None:
    text = f"{NEW_TEXT}\n\nSent from my iPhone\n\nOn 3 Nov 2025, at 10:00, X <x@y.z> wrote:\n> Hi\n"
    assert extract_reply(text) == NEW_TEXT


KEPT = {
    "bulleted list": "Steps I tried:\n- restart\n- new browser\n\nThanks,\nJan",
    "thanks line": "Thanks,\nthe export still fails on step 3.\nJan",
    "prose with a colon": "As I wrote on 3 May:\nthe export still fails.",
    "someone wrote in prose": "My colleague wrote:\nwe need this by Friday.",
    "from in prose": "From: my side everything works.\nTo: be sure, I restarted twice.",
    "paragraph starting with on": "On friday it failed again.\n\nIt works today.",
    "dashes inside a line": "Here is a fix -- not a signature.\n\nJan",
}


@pytest.mark.parametrize("text", KEPT.values(), ids=KEPT.keys())
def test_ordinary_text_is_kept_whole(text: str) -> None:
    assert extract_reply(text) == text


def test_inline_answers_between_quotes_are_kept() -> None:
    # Given a reply that answers each quoted question in turn
    text = "> Which browser?\nFirefox 140.\n\n> Which version of the app?\n2.4.1\n"
    # Then the quotes stay: without them the answers mean nothing
    assert extract_reply(text) == text.rstrip("\n")


def test_trailing_quote_without_attribution_is_removed() -> None:
    assert extract_reply(f"{NEW_TEXT}\n\n> Hello Jan,\n> please try again.\n") == NEW_TEXT


def test_a_pure_forward_keeps_the_forwarded_text() -> None:
    # Given a forward with nothing written above it
    text = "---------- Forwarded message ---------\nFrom: Bank <b@bank.example>\n\nYour statement"
    # Then the forwarded content is the content
    assert extract_reply(text, subject="Fwd: statement") == text


def test_a_forward_with_a_note_keeps_only_the_note() -> None:
    text = "Please look at this.\n\nBegin forwarded message:\n\nFrom: Bank\n\nYour statement"
    assert extract_reply(text) == "Please look at this."


def test_a_reply_with_nothing_new_is_empty() -> None:
    assert extract_reply("On Mon, 3 Nov 2025, X <x@y.z> wrote:\n> Hi\n") == ""


def html_reply(body_html: str) -> bytes:
    return (
        "From: Jan <jan@customer.example>\r\nTo: support@parley.test\r\nSubject: Re: [#42]\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + body_html
    ).encode()


def test_html_only_gmail_reply_is_stripped_through_the_blockquote() -> None:
    # Given an HTML-only reply as Gmail writes it
    raw = html_reply(
        '<div dir="ltr">Thanks, the new password works.</div><br>'
        '<div class="gmail_quote"><div class="gmail_attr">On Mon, Nov 3, 2025 at 10:00 AM '
        "Parley &lt;support@parley.test&gt; wrote:<br></div>"
        '<blockquote class="gmail_quote"><div>Hello Jan,<br>please try again.</div></blockquote>'
        "</div>"
    )
    # When it is parsed
    mail = parse_mail(raw)
    # Then the full text shows the quote and the reply text does not
    assert "> Hello Jan," in mail.body_text
    assert mail.reply_text == "Thanks, the new password works."


def test_html_only_outlook_reply_is_stripped_at_its_header_block() -> None:
    raw = html_reply(
        "<html><body><p>Thanks, the new password works.</p>"
        '<div id="appendonsend"></div><hr style="display:inline-block;width:98%">'
        '<div id="divRplyFwdMsg"><b>From:</b> Parley &lt;support@parley.test&gt;<br>'
        "<b>Sent:</b> Monday, November 3, 2025 10:00<br><b>To:</b> Jan<br>"
        "<b>Subject:</b> New reply</div><div>Hello Jan</div></body></html>"
    )
    assert parse_mail(raw).reply_text == "Thanks, the new password works."
