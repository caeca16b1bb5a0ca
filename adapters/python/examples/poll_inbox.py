#!/usr/bin/env python3
"""Poll a Lintas node's inbox with a durable reader cursor: print each event received, then acknowledge it.

    export LINTAS_TOKEN=lnt_...        # an API token of the agency system's account (lintas admin token create)
    python3 examples/poll_inbox.py --node http://127.0.0.1:7480 --reader kh-cms

One line per event: inbox offset, time received (UTC), sender, body type, case id, event id (routing data only,
never the content); --json prints each inbox entry whole, as one JSON line, for a program to read. The reader cursor
is acknowledged after each page is printed, so a poller killed at any moment prints at most that page again when it
restarts (at least once), and never skips an event. New events are awaited with GET /v1/changes (a long poll that
returns as soon as something arrives), not by polling in a loop. --once stops when the inbox is read to its end.

Exit status: 0 done, 1 the node refused (its error code and field are printed), 2 no token.
"""
import argparse
import datetime
import json
import os
import sys
import time
from pathlib import Path

try:
    from lintas_client import Client, LintasError
except ImportError:  # run from a checkout without installing: adapters/python is the package's folder
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from lintas_client import Client, LintasError

# Seconds GET /v1/changes waits for something new (the node's maximum).
CHANGE_WAIT_S = 25
# Seconds between attempts while the node cannot be reached, doubling up to this.
MAX_BACKOFF_S = 30


def describe(entry):
    event = entry["event"]
    received = datetime.datetime.fromtimestamp(entry["received_at_us"] / 1e6, datetime.timezone.utc)
    origin = event.get("origin", {})
    return (f"{entry['offset']:>8} {received:%Y-%m-%d %H:%M:%S}Z {origin.get('country', '?')}/"
            f"{origin.get('agency', '?')} {event['body_type']} case={event.get('case_id') or '-'} id={event['id']}")


def poll(client, reader, limit, as_json, once, out=sys.stdout):
    """Reads and acknowledges pages until the inbox is read to its end (once) or forever. Returns events printed."""
    printed = 0
    while True:
        seq = client.changes()  # before reading: a change after this wakes the wait below
        page = client.inbox(reader=reader, limit=limit)
        for entry in page["events"]:
            print(json.dumps(entry, ensure_ascii=False) if as_json else describe(entry), file=out, flush=True)
        printed += len(page["events"])
        if page["events"]:
            client.ack_reader(reader, page["next_after"])
            continue  # there may be more
        if once:
            return printed
        client.changes(since=seq, wait=CHANGE_WAIT_S)


def main():
    parser = argparse.ArgumentParser(description="Print a Lintas node's inbox and acknowledge it with a reader cursor.")
    parser.add_argument("--node", default=os.environ.get("LINTAS_NODE", "http://127.0.0.1:7480"),
                        help="the node's API (default $LINTAS_NODE or http://127.0.0.1:7480)")
    parser.add_argument("--reader", default="poll-inbox",
                        help="the durable reader cursor's name, 1-64 of a-z 0-9 _ . - (default poll-inbox)")
    parser.add_argument("--limit", type=int, default=100, help="events per page, 1-1000 (default 100)")
    parser.add_argument("--json", action="store_true", help="print each inbox entry as one JSON line")
    parser.add_argument("--once", action="store_true", help="stop when the inbox is read to its end")
    args = parser.parse_args()
    token = os.environ.get("LINTAS_TOKEN")
    if not token:
        print("poll_inbox: set LINTAS_TOKEN to an API token (lintas admin token create --user SYSTEM-ACCOUNT)",
              file=sys.stderr)
        return 2
    client = Client(args.node, token=token)
    backoff = 1
    while True:
        try:
            printed = poll(client, args.reader, args.limit, args.json, args.once)
            print(f"poll_inbox: {printed} events, reader {args.reader} acknowledged", file=sys.stderr)
            return 0
        except LintasError as e:
            if e.code != "unreachable" or args.once:
                print(f"poll_inbox: {e}", file=sys.stderr)
                return 1
            print(f"poll_inbox: {e}; trying again in {backoff} s", file=sys.stderr)
            time.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_S)
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":
    sys.exit(main())
