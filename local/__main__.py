"""``python -m local``: the whole stack in one process (embedded AWS, demo data, timer pump, stream pump, gateway).

Environment: ``PORT`` (gateway, default 8000), ``HOST`` (default 127.0.0.1), ``TIMER_PUMP_INTERVAL`` (seconds,
default 1; the stream pump's too), ``LOG_LEVEL`` (default INFO), ``GUICHET_DEMO_SETTINGS`` (see ``local/demo.py``),
and, for tests only,
``GUICHET_LOCAL_RESET=1`` (serve ``POST /__local__/reset``, see ``local/reset.py``, and the test clock
``/__local__/clock``, see ``local/clock.py``). Telephony: ``CALLING_NUMBER``
(default +15550100000; empty turns telephony off), ``PHONE_RING_TIMEOUT`` (seconds before an unanswered emulated
phone gives up, default 30) and ``PHONE_AUDIO_SCALE`` (1: audio plays in real time), see ``local/phone.py``.
SIGINT/SIGTERM stop everything in reverse order and exit 0; every port is released, so the next start works at once.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import logging
import os
import signal
import socket
import sys
from types import ModuleType

from chalicelib.adapters.system import UtcClock
from local import reset
from local.clock import clock_routes
from local.embedded_aws import DEFAULT_TEMPLATE, REPO_ROOT, EmbeddedAws
from local.gateway import Gateway
from local.outbox import Outbox
from local.phone import PhoneExchange
from local.phone import phone_routes as chime_routes
from local.phone_browsers import browser_routes
from local.phone_control import control_routes
from local.stream_pump import StreamPump, template_filters
from local.timer_pump import TimerPump

log = logging.getLogger("local")

LOCAL_CALLING_NUMBER = "+15550100000"  # a 555-01XX number: fictional, never a real line


def _import_app() -> ModuleType:
    """Import ``app.py`` only now: it must see the provisioned env vars (settings are read at import/first use)."""
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    return importlib.import_module("app")


def _seed() -> None:
    """Run ``local.demo.seed()`` when the demo module exists (it creates the demo tenant and prints logins)."""
    if importlib.util.find_spec("local.demo") is None:
        log.info("no local/demo.py: starting without demo data")
        return
    importlib.import_module("local.demo").seed()


def _check_port(host: str, port: int) -> None:
    """Fail in a second, not after provisioning, when the gateway port is taken (e.g. a stack already runs)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))


async def _serve(host: str, port: int, interval: float) -> None:
    _check_port(host, port)
    aws = EmbeddedAws()
    gateway: Gateway | None = None
    pump: TimerPump | None = None
    stream_pump: StreamPump | None = None
    phones: PhoneExchange | None = None
    try:
        endpoint = aws.start()
        env = aws.provision(gateway_port=port, calling_number=os.environ.get("CALLING_NUMBER", LOCAL_CALLING_NUMBER))
        app_module = _import_app()
        _seed()
        outbox = Outbox(region=aws.region)
        # The phone emulator: the SIP media application invokes app.sma_handler, in a thread per call
        phones = PhoneExchange(lambda event: app_module.sma_handler(event, None),
                               ring_timeout=float(os.environ.get("PHONE_RING_TIMEOUT", "30")),
                               audio_scale=float(os.environ.get("PHONE_AUDIO_SCALE", "1")), region=aws.region)
        gateway = Gateway(app_module, outbox=outbox, stage=env.get("GUICHET_STAGE", "local"),
                          extra_routes=[*chime_routes(phones), *control_routes(phones), *browser_routes(phones),
                                        *(clock_routes() if reset.enabled() else [])])
        await gateway.start(host, port)
        pump = TimerPump(
            app_module.on_timer,
            queue_url=env["TIMER_QUEUE_URL"],
            schedule_group=env.get("SCHEDULE_GROUP"),
            region=aws.region,
            interval=interval,
            clock=UtcClock().now,  # schedules fire by the app's clock, which the local test clock moves
        )
        pump.start()
        # The table's stream into the report consumer, as the event source mapping does on AWS (issue 15)
        stream_pump = StreamPump(app_module.on_table_change, table_name=env["TABLE_NAME"], region=aws.region,
                                 endpoint_url=aws.endpoint_url, interval=interval,
                                 filters=template_filters(DEFAULT_TEMPLATE, "OnTableChange"))
        stream_pump.start()
        if reset.enabled():
            stack_reset = reset.StackReset(aws=aws, gateway=gateway, pump=pump, outbox=outbox,
                                           schedule_group=env.get("SCHEDULE_GROUP"), stream_pump=stream_pump)

            async def reset_all(overrides: dict[str, object]) -> None:
                # The calls end silently first: no SMA event reaches a table being recreated
                await asyncio.get_running_loop().run_in_executor(None, phones.reset)
                phones.ring_timeout = float(os.environ.get("PHONE_RING_TIMEOUT", "30"))
                phones.audio_scale = float(os.environ.get("PHONE_AUDIO_SCALE", "1"))
                await stack_reset(overrides)

            gateway.reset_handler = reset_all
            log.info("POST /__local__/reset is enabled (%s=1)", reset.ENABLED_BY)
        base = f"http://{host}:{port}"
        print(
            f"\nGuichet local stack is up\n"
            f"  demo page   {base}/\n"
            f"  agent desk  {base}/desk\n"
            f"  outbox      {base}/outbox\n"
            f"  phones      {base}/phone\n"
            f"  websocket   ws://{host}:{port}/ws\n"
            f"  moto (AWS)  {endpoint}\n"
            f"Ctrl-C to stop.",
            flush=True,
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        print("stopping...", flush=True)
    finally:
        if phones is not None:
            phones.reset()  # calls end silently, before what their handler needs stops
        if pump is not None:
            pump.stop()
        if stream_pump is not None:
            stream_pump.stop()
        if gateway is not None:
            await gateway.stop()
        aws.stop()


def main() -> int:
    """Entry point; returns the process exit code."""
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO").upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for noisy in ("botocore", "pynamodb", "werkzeug"):  # one INFO line per client/request otherwise
        logging.getLogger(noisy).setLevel(logging.WARNING)
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "8000"))
    interval = float(os.environ.get("TIMER_PUMP_INTERVAL", "1"))
    try:
        asyncio.run(_serve(host, port, interval))
    except KeyboardInterrupt:  # Ctrl-C during start-up, before the signal handlers are installed
        return 0
    except OSError as exc:
        print(f"local stack failed to start: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
