"""API Gateway's WebSocket size limits, for the local gateway: 32 KB per frame, 128 KB per message.

API Gateway reassembles a message that a client sends in several frames (a first frame, then continuations) and
hands it whole to the route's integration; a frame over 32 KB, or a message over 128 KB, closes the connection with
code 1009 ("Message too big") and nothing is answered. aiohttp limits only whole messages (``max_msg_size``), so
``LimitedWebSocketResponse`` also follows the frame headers of the bytes a client sends and ends the connection with
1009 at the first data frame over the frame limit, the way aiohttp ends it for a message over ``max_msg_size``.

It reaches into two private attributes of aiohttp (pinned in requirements-dev.txt): the request protocol's
``_payload_parser`` and ``_message_tail``. ``tests/integration/test_local_gateway.py`` pins the behaviour.
"""

from __future__ import annotations

from typing import Any, Protocol

from aiohttp import WebSocketError, WSCloseCode, web

MAX_FRAME_BYTES = 32 * 1024  # API Gateway's WebSocket frame size quota
MAX_MESSAGE_BYTES = 128 * 1024  # its message payload size quota

_DATA_OPCODES = (0x0, 0x1, 0x2)  # continuation, text, binary (control frames carry at most 125 bytes)


class _Parser(Protocol):
    def feed_data(self, data: bytes) -> tuple[bool, bytes]: ...
    def feed_eof(self) -> None: ...


class _Queue(Protocol):
    def set_exception(self, exc: BaseException) -> None: ...


class FrameSizes:
    """Follows the frame boundaries of a client's byte stream (RFC 6455, section 5.2), whatever its chunking."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._header = bytearray()
        self._payload_left = 0

    def oversize_at(self, data: bytes) -> int | None:
        """The offset in ``data`` just past the header of the first data frame whose payload is over the limit, or
        None when there is none (the frames may continue in the next chunk)."""
        pos, end = 0, len(data)
        while pos < end:
            if self._payload_left:
                step = min(self._payload_left, end - pos)
                self._payload_left -= step
                pos += step
                continue
            self._header.append(data[pos])  # a header is at most 14 bytes: byte by byte is cheap
            pos += 1
            length = self._complete_header_length()
            if length is None:
                continue
            opcode = self._header[0] & 0x0F
            self._header.clear()
            self._payload_left = length
            if opcode in _DATA_OPCODES and length > self._limit:
                return pos
        return None

    def _complete_header_length(self) -> int | None:
        """The payload length once the header is complete, else None."""
        header = self._header
        if len(header) < 2:
            return None
        flag = header[1] & 0x7F
        extended = 2 if flag == 126 else 8 if flag == 127 else 0
        mask = 4 if header[1] & 0x80 else 0
        if len(header) < 2 + extended + mask:
            return None
        return int.from_bytes(header[2:2 + extended], "big") if extended else flag


class _FrameLimit:
    """Stands in for aiohttp's WebSocket parser: feeds it the bytes up to an oversize frame, then fails as it does."""

    def __init__(self, inner: _Parser, queue: _Queue, limit: int) -> None:
        self._inner = inner
        self._queue = queue
        self._limit = limit
        self._sizes = FrameSizes(limit)
        self._failed = False

    def feed_data(self, data: bytes) -> tuple[bool, bytes]:
        if self._failed:
            return True, data
        at = self._sizes.oversize_at(data)
        if at is None:
            return self._inner.feed_data(data)
        self._failed = True
        eof, _ = self._inner.feed_data(data[:at])  # the frames before it are handled as usual
        if not eof:  # (else the parser failed on its own, e.g. the message was over max_msg_size too)
            self._queue.set_exception(
                WebSocketError(WSCloseCode.MESSAGE_TOO_BIG, f"Frame size exceeds limit {self._limit}"))
        return True, b""

    def feed_eof(self) -> None:
        self._inner.feed_eof()


class LimitedWebSocketResponse(web.WebSocketResponse):
    """A WebSocket that closes with 1009 on a frame over ``frame_bytes`` or a message over ``message_bytes``.

    Without permessage-deflate, so that a frame's size is the size of what the client sent."""

    def __init__(self, *, frame_bytes: int = MAX_FRAME_BYTES, message_bytes: int = MAX_MESSAGE_BYTES,
                 **kwargs: Any) -> None:
        # aiohttp refuses a message of max_msg_size bytes or more: + 1 lets exactly message_bytes through.
        super().__init__(max_msg_size=message_bytes + 1, compress=False, **kwargs)
        self._frame_bytes = frame_bytes

    def _post_start(self, request: web.BaseRequest, protocol: str | None, writer: Any) -> None:
        handler: Any = request.protocol
        tail, handler._message_tail = handler._message_tail, b""  # bytes sent right after the handshake
        super()._post_start(request, protocol, writer)
        assert self._reader is not None  # the queue of messages that _post_start has just made
        handler._payload_parser = _FrameLimit(handler._payload_parser, self._reader, self._frame_bytes)
        if tail:
            handler.data_received(tail)
