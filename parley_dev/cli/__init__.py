"""The `parley` command. Sub-commands import what they need only when they run."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

Register = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]


def _register_dev(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    dev = subparsers.add_parser(
        "dev", help="run the portal locally on the embedded AWS emulator, with demo data"
    )
    dev.add_argument("--port", type=int, default=8000, help="HTTP port (default 8000)")
    dev.add_argument("--host", default="127.0.0.1")

    def run(args: argparse.Namespace) -> int:
        from parley_dev.cli.dev import run_dev

        return run_dev(host=args.host, port=args.port)

    dev.set_defaults(handler=run)


def _register_mail(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    mail = subparsers.add_parser("mail", help="inspect email the way the portal reads it")
    commands = mail.add_subparsers(dest="mail_command", required=True)
    parse = commands.add_parser(
        "parse", help="parse a raw message (.eml) and print what the portal would store"
    )
    parse.add_argument("file", help="the raw message; - reads standard input")
    parse.add_argument("--json", action="store_true", help="print one JSON object")
    parse.add_argument(
        "--mail-domain",
        action="append",
        metavar="DOMAIN",
        help="our mail domain, for loop detection (repeatable; default: PARLEY_MAIL_DOMAIN)",
    )
    parse.add_argument(
        "--own-address",
        action="append",
        metavar="ADDRESS",
        help="an address we send from (repeatable; default: PARLEY_MAIL_FROM)",
    )

    def run(args: argparse.Namespace) -> int:
        from parley_dev.cli.mail import run_parse

        return run_parse(
            args.file, as_json=args.json, domains=args.mail_domain, addresses=args.own_address
        )

    parse.set_defaults(handler=run)

    receive = commands.add_parser(
        "receive",
        help="deliver a raw message (.eml) into the running local stack exactly as SES would",
    )
    receive.add_argument("file", help="the raw message; - reads standard input")
    receive.add_argument(
        "--endpoint",
        help="the local stack's AWS emulator (default: the one `parley dev` is running)",
    )
    receive.add_argument(
        "--to", action="append", metavar="ADDRESS",
        help="envelope recipient (repeatable; default: our addresses in To/Cc, else the "
        "support address)",
    )
    for verdict in ("spam", "virus", "spf", "dkim", "dmarc"):
        receive.add_argument(
            f"--{verdict}", choices=("PASS", "FAIL", "GRAY", "PROCESSING_FAILED"),
            default="PASS", help=f"SES {verdict} verdict (default PASS)",
        )
    receive.add_argument("--dmarc-policy", choices=("NONE", "QUARANTINE", "REJECT"), default="")

    def run_receive(args: argparse.Namespace) -> int:
        from parley_dev.cli.mail import run_receive

        verdicts = {v: getattr(args, v) for v in ("spam", "virus", "spf", "dkim", "dmarc")}
        return run_receive(
            args.file, endpoint=args.endpoint, destination=args.to or [], verdicts=verdicts,
            dmarc_policy=args.dmarc_policy,
        )

    receive.set_defaults(handler=run_receive)

    feedback = commands.add_parser(
        "feedback",
        help="report a bounce or complaint into the running local stack exactly as SES would",
    )
    feedback.add_argument("--bounce", metavar="ADDRESS", help="a permanent bounce of ADDRESS")
    feedback.add_argument("--complaint", metavar="ADDRESS", help="a complaint by ADDRESS")
    feedback.add_argument(
        "--bounce-subtype", default="General",
        choices=("General", "NoEmail", "Suppressed", "OnAccountSuppressionList"),
    )
    feedback.add_argument("--complaint-type", default="abuse",
                          help="the complaint's feedback type (default abuse)")
    feedback.add_argument("--diagnostic", default="", help="the bounce's diagnostic code")
    feedback.add_argument(
        "--endpoint",
        help="the local stack's AWS emulator (default: the one `parley dev` is running)",
    )

    def run_feedback(args: argparse.Namespace) -> int:
        from parley_dev.cli.mail import run_feedback

        if not (args.bounce or args.complaint):
            feedback.error("name an address with --bounce or --complaint")
        return run_feedback(
            bounce=args.bounce, complaint=args.complaint, endpoint=args.endpoint,
            bounce_subtype=args.bounce_subtype, complaint_type=args.complaint_type,
            diagnostic=args.diagnostic,
        )

    feedback.set_defaults(handler=run_feedback)


def _register_admin(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    admin = subparsers.add_parser("admin", help="operate a deployed portal")
    commands = admin.add_subparsers(dest="admin_command", required=True)
    bootstrap = commands.add_parser(
        "bootstrap",
        help="create a deployed portal's first admin (with your AWS credentials); refused "
        "once an admin exists",
    )
    bootstrap.add_argument("--stack", required=True, help="the stack, Parley-<stage>")
    bootstrap.add_argument("--email", required=True, help="the admin's address (gets the invite)")
    bootstrap.add_argument("--name", default="", help="the admin's name (default: the address)")
    bootstrap.add_argument("--language", choices=("en", "fr", "pl"), default="en",
                           help="language of the invitation and the pages (default en)")
    bootstrap.add_argument("--region", help="the stack's region (default: AWS_REGION / profile)")

    def run(args: argparse.Namespace) -> int:
        from parley_dev.cli.admin import run_bootstrap

        return run_bootstrap(stack=args.stack, email=args.email, name=args.name,
                             language=args.language, region=args.region)

    bootstrap.set_defaults(handler=run)

    reindex = commands.add_parser(
        "reindex-customers",
        help="write every customer and organization into the directory New on behalf searches "
        "(once, for accounts created before it existed; safe to repeat)",
    )
    reindex.add_argument("--stack", required=True, help="the stack, Parley-<stage>")
    reindex.add_argument("--region", help="the stack's region (default: AWS_REGION / profile)")

    def run_reindex(args: argparse.Namespace) -> int:
        from parley_dev.cli.admin import run_reindex_customers

        return run_reindex_customers(stack=args.stack, region=args.region)

    reindex.set_defaults(handler=run_reindex)

    reseal = commands.add_parser(
        "reseal-second-factors",
        help="seal every stored TOTP secret with the signing key the deployed functions use "
        "(a signing-key rotation's step before the previous key is cleared; safe to repeat)",
    )
    reseal.add_argument("--stack", required=True, help="the stack, Parley-<stage>")
    reseal.add_argument("--region", help="the stack's region (default: AWS_REGION / profile)")
    reseal.add_argument(
        "--previous-version", metavar="VERSION_ID",
        help="a version of the stack's SigningKey secret to open secrets with, when the "
        "functions no longer hold it (a key rotated at once after a leak)",
    )

    def run_reseal(args: argparse.Namespace) -> int:
        from parley_dev.cli.reseal import run_reseal_second_factors

        return run_reseal_second_factors(stack=args.stack, region=args.region,
                                         previous_version=args.previous_version)

    reseal.set_defaults(handler=run_reseal)


SUBCOMMANDS: list[Register] = [_register_dev, _register_mail, _register_admin]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="parley", description="Parley secure message portal")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for register in SUBCOMMANDS:
        register(subparsers)
    args = parser.parse_args(argv)
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
