"""Calling numbers from the Amazon Chime SDK's pool (`guichet phone order`): search, then order for a SIP media
application (product type SipMediaApplicationDialIn, the only one whose numbers a SIP media application calls from),
then wait for the order to complete. Numbers cost money: only the operator's command orders one."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.adapters.aws import client

PRODUCT_TYPE = "SipMediaApplicationDialIn"
NUMBER_TYPES = {"local": "Local", "toll-free": "TollFree"}
#: Orders complete in seconds to minutes; the command polls this many times, this far apart, then says it is pending.
POLLS = 24
POLL_SECONDS = 5.0


@dataclass(frozen=True)
class Order:
    id: str
    #: "Processing", "Successful", "Failed", "Partial" (Chime's words)
    status: str
    numbers: tuple[tuple[str, str], ...]  # (E.164 number, its status)


def search(country: str, number_type: str, area_code: str = "", state: str = "", city: str = "",
           toll_free_prefix: str = "", limit: int = 10) -> list[str]:
    """Available numbers (E.164) matching the criteria, at most `limit`."""
    criteria: dict[str, Any] = {"Country": country, "PhoneNumberType": NUMBER_TYPES[number_type],
                                "MaxResults": limit}
    for key, value in (("AreaCode", area_code), ("State", state), ("City", city), ("TollFreePrefix", toll_free_prefix)):
        if value:
            criteria[key] = value
    return [str(n) for n in client("chime-sdk-voice").search_available_phone_numbers(**criteria)["E164PhoneNumbers"]]


def order(number: str, name: str = "", sleep: Callable[[float], None] = time.sleep) -> Order:
    """Order `number` and wait (up to POLLS polls) until the order is no longer processing."""
    voice = client("chime-sdk-voice")
    kwargs: dict[str, Any] = {"ProductType": PRODUCT_TYPE, "E164PhoneNumbers": [number]}
    if name:
        kwargs["Name"] = name
    placed = _order(voice.create_phone_number_order(**kwargs)["PhoneNumberOrder"])
    for _ in range(POLLS):
        if placed.status not in ("Processing", "Pending"):
            break
        sleep(POLL_SECONDS)
        placed = _order(voice.get_phone_number_order(PhoneNumberOrderId=placed.id)["PhoneNumberOrder"])
    return placed


def _order(raw: dict[str, Any]) -> Order:
    return Order(id=str(raw["PhoneNumberOrderId"]), status=str(raw.get("Status", "")),
                 numbers=tuple((str(n.get("E164PhoneNumber", "")), str(n.get("Status", "")))
                               for n in raw.get("OrderedPhoneNumbers", [])))
