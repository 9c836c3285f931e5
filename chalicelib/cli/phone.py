"""`guichet phone order`: search for a calling number in the Amazon Chime SDK's pool and order it."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from chalicelib.cli import command_group
from chalicelib.domain.errors import InvalidInput


def add_commands(commands: Any) -> None:
    phone = command_group(commands, "phone", "calling numbers")
    order = phone.add_parser("order", help="search for and order a calling number (it costs money)",
                             description="List available numbers (Chime SDK Voice SearchAvailablePhoneNumbers), "
                             "order one for SIP media applications (CreatePhoneNumberOrder), wait for the order, "
                             "and say how to make the stack call from it.")
    order.add_argument("--country", required=True, help="ISO country code, e.g. US or FR")
    order.add_argument("--area-code", default="", help="area code (US numbers), e.g. 206")
    order.add_argument("--state", default="", help="state (US numbers), e.g. WA")
    order.add_argument("--city", default="", help="city (US numbers)")
    order.add_argument("--type", choices=("local", "toll-free"), default="local", dest="number_type",
                       help="local (default) or toll-free")
    order.add_argument("--toll-free-prefix", default="", help="e.g. 844 (toll-free numbers)")
    order.add_argument("--choose", type=int, default=0, metavar="N",
                       help="order the N-th number listed (default: list them and order nothing)")
    order.add_argument("--yes", action="store_true", help="order without asking for confirmation")
    order.add_argument("--name", default="", help="a name for the order")
    order.set_defaults(run=phone_order)


def phone_order(arguments: argparse.Namespace) -> int:
    from chalicelib.adapters import phone_numbers

    country = arguments.country.strip().upper()
    if len(country) != 2 or not country.isalpha():
        raise InvalidInput("a two-letter ISO country code", field="country")
    found = phone_numbers.search(country, arguments.number_type, area_code=arguments.area_code,
                                 state=arguments.state, city=arguments.city,
                                 toll_free_prefix=arguments.toll_free_prefix)
    if not found:
        print("No number available with these criteria: try another area code, state or type.")
        return 1
    for i, number in enumerate(found, start=1):
        print(f"{i:>3}. {number}")
    if not arguments.choose:
        print("Order one with --choose N.")
        return 0
    if not 1 <= arguments.choose <= len(found):
        raise InvalidInput(f"choose a number from 1 to {len(found)}", field="choose")
    number = found[arguments.choose - 1]
    if not arguments.yes:
        print(f"Order {number}? Numbers are charged monthly. [y/N] ", end="", flush=True)
        if sys.stdin.readline().strip().lower() not in ("y", "yes"):
            print("Nothing ordered.")
            return 0
    placed = phone_numbers.order(number, arguments.name)
    print(f"Order {placed.id}: {placed.status}.")
    if placed.status != "Successful":
        if placed.status in ("Processing", "Pending"):
            print(f"Still processing: check with `aws chime-sdk-voice get-phone-number-order --phone-number-order-id "
                  f"{placed.id}`, then attach it as below.")
        else:
            print("The order did not complete: " + ", ".join(f"{n} {s}" for n, s in placed.numbers))
            return 1
    print(f"To call from {number}: deploy the stack again with CallingNumber={number} in --parameter-overrides "
          "(docs/deploy.md, Telephony); it creates the SIP media application and every tenant's callbacks call from "
          "it. Guichet places calls and takes none: no SIP rule is needed.")
    return 0
