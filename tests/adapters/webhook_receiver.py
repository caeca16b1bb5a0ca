#!/usr/bin/python3
"""A webhook receiver for tests and the adapter's benchmark: a real HTTP(S) server on loopback that checks each call's
Standard Webhooks signature, records what arrived, and misbehaves on request (fails the first N calls, stalls or
times out once, answers 500 for chosen events).

    with Receiver(secret_b64, cert=(cert_pem, key_pem)) as rx:   # https://127.0.0.1:PORT/hook
        rx.fail_first = 3
        rx.refuse_ids.add(event_id)
        rx.wait_for(lambda: len(rx.first_seen()) == 10, 30, "10 events")
"""
import base64
import hashlib
import hmac
import http.server
import json
import ssl
import subprocess
import threading
import time
from pathlib import Path


def make_certificate(folder):
    """A self-signed certificate for 127.0.0.1 and localhost (openssl CLI); returns (cert path, key path)."""
    folder = Path(folder)
    cert, key = folder / "receiver.crt", folder / "receiver.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "2", "-subj", "/CN=localhost", "-addext",
                    "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


def signature_valid(secret_b64, msg_id, timestamp, body, header):
    key = base64.b64decode(secret_b64)
    expected = base64.b64encode(hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest())
    return any(part.startswith("v1,") and hmac.compare_digest(part[3:].encode(), expected)
               for part in header.split(" "))


class Receiver:
    """Calls are recorded as dicts {id, timestamp, signature_ok, body (parsed), status}; `deliveries` lists the
    ones answered 2xx in arrival order."""

    def __init__(self, secret_b64, cert=None):
        self.secret_b64 = secret_b64
        self.cert = cert
        self.lock = threading.Lock()
        self.calls = []
        self.deliveries = []
        self.fail_first = 0           # answer 503 to this many calls
        self.timeout_once_s = 0       # stall the next call this long (longer than the adapter's timeout)
        self.refuse_ids = set()       # answer 500 to these event ids
        self.stall = None             # a threading.Event: calls wait on it while it is set to "stall"
        self.stalled = threading.Event()  # set when a call is waiting on `stall`
        self.server = None

    def __enter__(self):
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver._handle(self, body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if self.cert:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(str(self.cert[0]), str(self.cert[1]))
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        if self.stall is not None:
            self.stall.set()
        self.server.shutdown()
        self.server.server_close()
        return False

    @property
    def url(self):
        scheme = "https" if self.cert else "http"
        return f"{scheme}://127.0.0.1:{self.server.server_address[1]}/hook"

    def _handle(self, handler, body):
        msg_id = handler.headers.get("webhook-id", "")
        call = {"id": msg_id, "timestamp": handler.headers.get("webhook-timestamp", ""),
                "signature_ok": signature_valid(self.secret_b64, msg_id, handler.headers.get("webhook-timestamp", ""),
                                                body, handler.headers.get("webhook-signature", "")),
                "body": json.loads(body)}
        stall_s = 0
        with self.lock:
            if self.fail_first > 0:
                self.fail_first -= 1
                status = 503
            elif self.timeout_once_s:
                stall_s, self.timeout_once_s = self.timeout_once_s, 0
                status = 200
            elif msg_id in self.refuse_ids:
                status = 500
            else:
                status = 200
            stall = self.stall
        if stall is not None and status == 200:
            self.stalled.set()
            stall.wait(60)
            status = 503
        if stall_s:
            time.sleep(stall_s)  # the misbehaviour under test: an endpoint slower than the adapter's timeout
            status = 503         # the adapter has given up on this call; it must count as failed
        call["status"] = status
        with self.lock:
            self.calls.append(call)
            if status == 200:
                self.deliveries.append(call)
        payload = b'{"ok": true}' if status == 200 else b'{"ok": false}'
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
        except OSError:
            pass  # the adapter went away (timed out, or was killed)

    def first_seen(self):
        """Event ids in the order of their first 2xx delivery."""
        with self.lock:
            seen, order = set(), []
            for d in self.deliveries:
                if d["id"] not in seen:
                    seen.add(d["id"])
                    order.append(d["id"])
            return order

    def snapshot(self):
        with self.lock:
            return list(self.calls), list(self.deliveries)

    def wait_for(self, check, timeout, what):
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() > deadline:
                raise TimeoutError(f"receiver: {what} not seen within {timeout} s")
            time.sleep(0.05)
