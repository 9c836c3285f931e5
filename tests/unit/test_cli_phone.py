"""`guichet phone order` (issue 16) on a botocore Stubber (moto does not emulate Chime SDK Voice): the search's
criteria, the order of the chosen number for SIP media applications, the wait for it, and what is printed."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from chalicelib.adapters import aws, phone_numbers
from chalicelib.cli import main

NUMBERS = ["+12065550100", "+12065550101"]


@pytest.fixture
def chime(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    voice = boto3.client("chime-sdk-voice", region_name="us-east-1", aws_access_key_id="x",
                         aws_secret_access_key="x")
    monkeypatch.setitem(aws._clients, ("chime-sdk-voice", None), voice)
    monkeypatch.setattr(phone_numbers, "POLL_SECONDS", 0)
    with Stubber(voice) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def order(status: str, number: str = NUMBERS[1]) -> dict[str, Any]:
    return {"PhoneNumberOrder": {"PhoneNumberOrderId": "order-1", "ProductType": "SipMediaApplicationDialIn",
                                 "Status": status, "OrderedPhoneNumbers": [{"E164PhoneNumber": number,
                                                                            "Status": status}]}}


def test_listing_without_choose_orders_nothing(chime: Stubber, capsys: pytest.CaptureFixture[str]) -> None:
    chime.add_response("search_available_phone_numbers", {"E164PhoneNumbers": NUMBERS},
                       {"Country": "US", "PhoneNumberType": "Local", "MaxResults": 10, "AreaCode": "206"})
    assert main(["phone", "order", "--country", "us", "--area-code", "206"]) == 0
    assert capsys.readouterr().out == "  1. +12065550100\n  2. +12065550101\nOrder one with --choose N.\n"


def test_the_chosen_number_is_ordered_waited_for_and_how_to_use_it_is_said(
        chime: Stubber, capsys: pytest.CaptureFixture[str]) -> None:
    chime.add_response("search_available_phone_numbers", {"E164PhoneNumbers": NUMBERS},
                       {"Country": "US", "PhoneNumberType": "TollFree", "MaxResults": 10, "TollFreePrefix": "844"})
    chime.add_response("create_phone_number_order", order("Processing"),
                       {"ProductType": "SipMediaApplicationDialIn", "E164PhoneNumbers": [NUMBERS[1]]})
    chime.add_response("get_phone_number_order", order("Successful"), {"PhoneNumberOrderId": "order-1"})
    assert main(["phone", "order", "--country", "US", "--type", "toll-free", "--toll-free-prefix", "844",
                 "--choose", "2", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "Order order-1: Successful.\n" in out
    assert f"CallingNumber={NUMBERS[1]}" in out and "no SIP rule is needed" in out


def test_without_yes_the_operator_confirms_and_a_failed_order_exits_1(
        chime: Stubber, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    for _ in range(2):
        chime.add_response("search_available_phone_numbers", {"E164PhoneNumbers": NUMBERS[:1]})
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    assert main(["phone", "order", "--country", "US", "--choose", "1"]) == 0
    assert capsys.readouterr().out.endswith("[y/N] Nothing ordered.\n")
    chime.add_response("create_phone_number_order", order("Failed", NUMBERS[0]))
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    assert main(["phone", "order", "--country", "US", "--choose", "1"]) == 1
    assert capsys.readouterr().out.endswith(f"The order did not complete: {NUMBERS[0]} Failed\n")


def test_a_bad_choice_or_country_is_refused_naming_the_option(chime: Stubber,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    chime.add_response("search_available_phone_numbers", {"E164PhoneNumbers": NUMBERS})
    assert main(["phone", "order", "--country", "US", "--choose", "3", "--yes"]) == 2
    assert capsys.readouterr().err == "error: choose: choose a number from 1 to 2\n"
    assert main(["phone", "order", "--country", "France"]) == 2
    assert capsys.readouterr().err.startswith("error: country: ")
