"""The `motcua` commands about external systems: `connectors check`, `standin <system>`, and the stand-ins that
`motcua serve --standins` starts for development."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from engine.config import Settings


def start_standins() -> list[Any]:
    """Development (`make run`): stand-in servers for the connectors that are not configured, in this process;
    the web and scheduler children inherit their addresses. Returns the running stand-ins (each has `stop()`)."""
    from connectors.registry import all_connectors

    started: list[Any] = []
    for connector in all_connectors():
        if connector.standin is None or connector.configured():
            continue
        try:
            standin = connector.standin()
        except RuntimeError as exc:  # e.g. the stand-in VNeID without Node.js: the rest still starts
            print(f"no stand-in {connector.title}: {exc}", flush=True)
            continue
        started.append(standin)
        variable = f"MOTCUA_{connector.name.upper()}_URL"
        os.environ[variable] = standin.url
        for name, value in getattr(standin, "env", dict)().items():  # a stand-in that needs more than its URL
            os.environ[name] = value
        received = getattr(standin, "records_url", f"{standin.url}/messages")
        print(f"stand-in {connector.title} at {standin.url} ({variable}); what it received: {received}", flush=True)
    return started


def cmd_connectors_check(settings: Settings, args: argparse.Namespace) -> int:
    """Each connector's health; exit 1 when a configured one does not answer."""
    from connectors.registry import all_connectors, check_all

    found = check_all()
    for connector in all_connectors():
        health = found[connector.name]
        print(f"{connector.name:10} {health.status:15} {health.seconds * 1000:7.1f} ms  {health.detail}")
    return 0 if all(h.ok for h in found.values()) else 1


def cmd_standin(settings: Settings, args: argparse.Namespace) -> int:
    """A connector's stand-in server in the foreground until Ctrl-C."""
    import signal
    import threading

    from connectors.registry import PLUGINS, get

    if args.system not in PLUGINS or get(args.system).standin is None:
        print(f"error: no stand-in for '{args.system}' (known: {', '.join(PLUGINS)})", file=sys.stderr)
        return 2
    connector = get(args.system)
    assert connector.standin is not None
    standin = connector.standin(args.host, args.port)
    received = getattr(standin, "records_url", f"{standin.url}/messages")
    print(f"stand-in {connector.title} listening: MOTCUA_{args.system.upper()}_URL={standin.url}; "
          f"what it received at {received}; Ctrl-C stops it", flush=True)
    for name, value in getattr(standin, "env", dict)().items():  # e.g. the demo PKI's MOTCUA_SIGNING_* settings
        print(f"  {name}={value}", flush=True)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    standin.stop()
    return 0
