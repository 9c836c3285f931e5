"""Telephony on Amazon Chime SDK PSTN audio, the pure half (issue 13, CB-6 to CB-9): what a SIP media application
(SMA) invocation means (`model`, `events.translate`) and how a decision becomes the SMA's response
(`actions.render`). No SMA JSON leaves this package and the SMA adapter; services see domain events and actions.
"""
