#!/usr/bin/env python3
"""Twilio's own Python helper library, unchanged, against `candor fake twilio`.

Usage: helper_library_test.py PATH_TO_CANDOR

Starts the fake through the built command line, points twilio.rest.Client at it
through the library's documented extension point (a TwilioHttpClient subclass
that sends requests for https://api.twilio.com to the fake instead), and checks
create, fetch, list with filters and paging, update, delete, the error codes the
library raises, and that the library's RequestValidator accepts the signature of
a status callback the fake sent to a small receiver on 127.0.0.1.

Exits 77 (ctest's skip) when the twilio package is not installed.
"""

import datetime
import http.server
import json
import queue
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse
import urllib.request

SKIP = 77

try:
    from twilio.base.exceptions import TwilioRestException
    from twilio.http.http_client import TwilioHttpClient
    from twilio.request_validator import RequestValidator
    from twilio.rest import Client
except ImportError as error:
    print(f"SKIP: Twilio's Python helper library is not installed ({error}); "
          "scripts/ensure-packages.sh installs python3-twilio")
    sys.exit(SKIP)

TWILIO_API = "https://api.twilio.com"
KEY_SID = "SK00112233445566778899aabbccddeeff"
KEY_SECRET = "0123456789abcdefABCDEF0123456789"
WAIT_SECONDS = 15


class FakeApiClient(TwilioHttpClient):
    """Sends what the library addresses to api.twilio.com to the fake, and keeps
    every URL it requested."""

    def __init__(self, base_url):
        super().__init__()
        self.base_url = base_url
        self.requested = []
        # The fake is on loopback: no proxy from the environment may get in between.
        self.session.trust_env = False

    def request(self, method, url, *args, **kwargs):
        if url.startswith(TWILIO_API):
            url = self.base_url + url[len(TWILIO_API):]
        params = kwargs.get("params") or {}
        self.requested.append((method, url, dict(params)))
        return super().request(method, url, *args, **kwargs)


class Receiver(http.server.ThreadingHTTPServer):
    """Takes the fake's callbacks on 127.0.0.1 and queues (path, headers, body)."""

    def __init__(self):
        self.received = queue.Queue()
        super().__init__(("127.0.0.1", 0), ReceiverHandler)

    def url(self, path):
        return f"http://127.0.0.1:{self.server_address[1]}{path}"


class ReceiverHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length).decode("utf-8")
        self.server.received.put((self.path, dict(self.headers), body))
        reply = b"<Response/>"
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


class ServingFake:
    """`candor fake twilio --port 0 ...` in the background, with what it printed."""

    def __init__(self, candor, args):
        self.log = tempfile.TemporaryFile(mode="w+")
        self.process = subprocess.Popen(
            [candor, "fake", "twilio", "--port", "0", *args],
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        # A thread reads the lines, so that waiting for them can time out.
        lines = queue.Queue()
        threading.Thread(target=lambda: [lines.put(line) for line in self.process.stdout],
                         daemon=True).start()
        self.printed = {}
        deadline = time.monotonic() + WAIT_SECONDS
        while "test_credentials" not in self.printed:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                self.stop()
                raise RuntimeError("candor fake twilio printed nothing within "
                                   f"{WAIT_SECONDS} s; its log:\n{self.read_log()}")
            line = line.rstrip("\n")
            if line.startswith("fake twilio listening on "):
                self.printed["url"] = line[len("fake twilio listening on "):]
            elif ": " in line:
                name, value = line.split(": ", 1)
                self.printed.setdefault(name, value)

    def read_log(self):
        self.log.seek(0)
        return self.log.read()

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=WAIT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


class HelperLibraryAgainstTheFake(unittest.TestCase):
    candor = None

    @classmethod
    def setUpClass(cls):
        cls.receiver = Receiver()
        threading.Thread(target=cls.receiver.serve_forever, daemon=True).start()
        cls.fake = ServingFake(cls.candor, [
            "--callback-url", cls.receiver.url("/status"),
            "--inbound-url", cls.receiver.url("/inbound"),
            "--api-key-sid", KEY_SID, "--api-key-secret", KEY_SECRET])
        cls.account_sid = cls.fake.printed["account_sid"]
        cls.auth_token = cls.fake.printed["auth_token"]
        cls.service_sid = cls.fake.printed["messaging_service_sid"]
        cls.http = FakeApiClient(cls.fake.printed["url"])
        cls.client = Client(cls.account_sid, cls.auth_token, http_client=cls.http)
        cls.callbacks = []

    @classmethod
    def tearDownClass(cls):
        exit_code = cls.fake.stop()
        log = cls.fake.read_log()
        cls.fake.log.close()
        cls.receiver.shutdown()
        cls.receiver.server_close()
        if exit_code != 0:
            raise AssertionError(f"the fake exited {exit_code}:\n{log}")

    # Helpers.

    def send(self, to, body, **extra):
        return self.client.messages.create(
            to=to, messaging_service_sid=self.service_sid, body=body, **extra)

    def wait_for_callback(self, path, sid, status=None):
        """The first callback to `path` for message `sid` (and `status`), waiting."""
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            for callback in self.callbacks:
                cb_path, _, body = callback
                params = dict(urllib.parse.parse_qsl(body, keep_blank_values=True))
                if (cb_path == path and params.get("MessageSid") == sid
                        and status in (None, params.get("MessageStatus"))):
                    return callback
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.fail(f"no {status or ''} callback to {path} for {sid} within "
                          f"{WAIT_SECONDS} s")
            try:
                self.callbacks.append(self.receiver.received.get(timeout=remaining))
            except queue.Empty:
                pass

    def wait_until_sent(self, sid):
        """The message's date_sent, once it has one."""
        deadline = time.monotonic() + WAIT_SECONDS
        while (sent := self.client.messages(sid).fetch().date_sent) is None:
            if time.monotonic() > deadline:
                self.fail(f"{sid} was not sent within {WAIT_SECONDS} s")
            time.sleep(0.1)
        return sent

    def assertRestError(self, call, code, status):
        with self.assertRaises(TwilioRestException) as raised:
            call()
        self.assertEqual(raised.exception.code, code, raised.exception.msg)
        self.assertEqual(raised.exception.status, status)

    # Tests.

    def test_create_with_a_messaging_service_then_fetch(self):
        created = self.send("+15558670001", "Hello from the helper library")
        self.assertRegex(created.sid, r"^SM[0-9a-f]{32}$")
        self.assertEqual(created.status, "accepted")
        self.assertEqual(created.messaging_service_sid, self.service_sid)
        self.assertIsNone(created.from_)
        self.assertEqual(created.num_segments, "0")
        self.assertIsNone(created.price_unit)
        self.assertEqual(created.direction, "outbound-api")
        self.assertIsInstance(created.date_created, datetime.datetime)

        fetched = self.client.messages(created.sid).fetch()
        self.assertEqual(fetched.sid, created.sid)
        self.assertEqual(fetched.body, "Hello from the helper library")
        self.assertEqual(fetched.to, "+15558670001")

    def test_list_with_a_filter_pages_through_page_tokens(self):
        to = "+15558670002"
        sids = [self.send(to, f"paged {i}").sid for i in range(5)]
        self.send("+15558670099", "another recipient")

        listed = self.client.messages.list(to=to, limit=4, page_size=2)
        self.assertEqual([m.sid for m in listed], sids[::-1][:4])  # newest first
        self.assertEqual(len(self.client.messages.list(to=to)), 5)
        tokens = [params for method, url, params in self.http.requested
                  if "PageToken=PA" in url or "PageToken" in params]
        self.assertTrue(tokens, "the second page was not asked for with a PageToken")

        page = self.client.messages.page(to=to, page_size=3)
        self.assertEqual([m.sid for m in page], sids[::-1][:3])
        self.assertEqual([m.sid for m in page.next_page()], sids[::-1][3:])

    def test_list_filters_by_date_sent(self):
        to = "+15558670003"
        sid = self.send(to, "dated").sid
        sent = self.wait_until_sent(sid)
        long_ago = datetime.datetime(2000, 1, 1)
        self.assertEqual([m.sid for m in self.client.messages.list(
            to=to, date_sent_after=long_ago)], [sid])
        self.assertEqual(self.client.messages.list(to=to, date_sent_before=long_ago), [])
        self.assertEqual([m.sid for m in self.client.messages.list(
            to=to, date_sent=sent.replace(hour=0, minute=0, second=0))], [sid])

    def test_update_redacts_and_cancels_a_scheduled_message(self):
        sid = self.send("+15558670004", "to redact").sid
        self.assertEqual(self.client.messages(sid).update(body="").body, "")
        self.assertEqual(self.client.messages(sid).fetch().body, "")

        send_at = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
        scheduled = self.send("+15558670004", "later", schedule_type="fixed", send_at=send_at)
        self.assertEqual(scheduled.status, "scheduled")
        self.assertEqual(self.client.messages(scheduled.sid).update(status="canceled").status,
                         "canceled")
        self.wait_for_callback("/status", scheduled.sid, "canceled")
        self.assertRestError(
            lambda: self.client.messages(sid).update(status="canceled"), 30409, 400)

    def test_delete_then_fetch_answers_20404(self):
        sid = self.send("+15558670005", "to delete").sid
        self.assertTrue(self.client.messages(sid).delete())
        self.assertRestError(lambda: self.client.messages(sid).fetch(), 20404, 404)
        self.assertRestError(lambda: self.client.messages(sid).delete(), 20404, 404)

    def test_error_codes_surface_as_twilio_rest_exceptions(self):
        self.assertRestError(lambda: self.send("12345", "bad number"), 21211, 400)
        self.assertRestError(
            lambda: self.client.messages("SM" + "0" * 32).fetch(), 20404, 404)
        self.assertRestError(
            lambda: self.client.messages.create(to="+15558670006", body="no sender"), 21603, 400)
        # (Version 7.7.1 raises a plain TwilioException for a list page that is not 200,
        # so authentication is checked on create and fetch.)
        wrong = Client(self.account_sid, "0" * 32, http_client=self.http)
        self.assertRestError(lambda: wrong.messages.create(
            to="+15558670006", messaging_service_sid=self.service_sid, body="x"), 20003, 401)
        self.assertRestError(lambda: wrong.messages("SM" + "0" * 32).fetch(), 20003, 401)

    def test_an_api_key_authenticates_for_the_account(self):
        keyed = Client(KEY_SID, KEY_SECRET, account_sid=self.account_sid, http_client=self.http)
        created = keyed.messages.create(
            to="+15558670007", messaging_service_sid=self.service_sid, body="by key")
        self.assertEqual(created.account_sid, self.account_sid)

    def test_request_validator_accepts_the_status_callback_signature(self):
        sid = self.send("+15558670008", "signed").sid
        path, headers, body = self.wait_for_callback("/status", sid, "queued")
        params = dict(urllib.parse.parse_qsl(body, keep_blank_values=True))
        signature = headers.get("X-Twilio-Signature")
        url = self.receiver.url(path)
        self.assertTrue(RequestValidator(self.auth_token).validate(url, params, signature))
        self.assertFalse(RequestValidator("f" * 32).validate(url, params, signature))
        self.assertEqual(params["MessagingServiceSid"], self.service_sid)
        self.assertRegex(headers.get("I-Twilio-Idempotency-Token", ""), r"^[0-9a-f]{32}$")

    def test_inbound_messages_go_to_the_inbound_url_signed(self):
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        request = urllib.request.Request(
            self.fake.printed["url"] + "/__admin/inbound", method="POST",
            data=json.dumps({"from": "+15558670009", "body": "hello"}).encode(),
            headers={"Content-Type": "application/json"})
        with opener.open(request, timeout=WAIT_SECONDS) as answer:
            sid = json.load(answer)["sid"]
        path, headers, body = self.wait_for_callback("/inbound", sid)
        params = dict(urllib.parse.parse_qsl(body, keep_blank_values=True))
        self.assertEqual(params["Body"], "hello")
        self.assertTrue(RequestValidator(self.auth_token).validate(
            self.receiver.url(path), params, headers.get("X-Twilio-Signature")))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    HelperLibraryAgainstTheFake.candor = sys.argv.pop(1)
    unittest.main(verbosity=2)
