"""A local HTTP server speaking the slice of the Slack Web API (and an incoming webhook) that we use.

Behaviour is scripted per request: "ok", an HTTP status (500, 503), "429" (with Retry-After: 1), "drop"
(the message is recorded, as if Slack had posted it, then the connection is closed without an answer), "slow"
(recorded, then no answer for a minute: a process killed meanwhile never learns), or a Slack error code such as
"invalid_auth" or "channel_not_found" (HTTP 200, ok false; a webhook answers 404 with the code as its body).
conversations.history returns top-level messages newest first and pages like Slack (limit, cursor, has_more);
thread replies are only in conversations.replies.

File uploads follow files_upload_v2: files.getUploadURLExternal hands out an upload URL on this server, the
bytes are POSTed there, files.completeUploadExternal shares the file into the thread as a reply carrying `files`
(via "file"). `upload_script` scripts the three steps per upload: "ok", an HTTP status for the byte upload
("500"), a Slack error code for completeUploadExternal ("missing_scope"), or "lost" (the file is shared, then
the connection is closed without an answer: the client cannot know it got through).
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from pipelines.channels.slack import SlackSettings, build_sender


class FakeSlack:
    def __init__(self):
        self.posted: list[dict] = []  # messages Slack "has": what a channel would show
        self.requests: list[dict] = []  # every request received: path, headers, body
        self.script: list[str] = []  # behaviours for the next postMessage/webhook calls
        self.upload_script: list[str] = []  # behaviours for the next file uploads
        self.lookup_script: list[str] = []  # next history/replies lookups: "ok", "no_cursor", or a Slack error
        self.uploaded: dict[str, bytes] = {}  # file id -> the bytes received
        self.files: list[dict] = []  # completed uploads: id, name, title, channel, thread_ts, bytes
        self._names: dict[str, str] = {}  # file id -> filename, between the two API calls
        self._lock = threading.Lock()
        self.slow_started = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(length)
                if self.path.startswith("/upload/"):
                    return fake._upload(self, data)
                raw = data.decode()
                if "json" in (self.headers.get("Content-Type") or ""):
                    body = json.loads(raw or "{}")
                else:
                    body = {k: v[0] for k, v in parse_qs(raw).items()}
                with fake._lock:
                    fake.requests.append({"path": self.path, "headers": dict(self.headers), "body": body, "raw": raw})
                if self.path.endswith(("/conversations.history", "/conversations.replies")):
                    lookup = fake.lookup_script.pop(0) if fake.lookup_script else "ok"
                    if lookup == "no_cursor":  # Slack says there is more and gives no way to get it
                        return self._json(
                            200,
                            {**fake._page(self.path, body), "has_more": True, "response_metadata": {"next_cursor": ""}},
                        )
                    if lookup != "ok":  # a Slack error code, e.g. missing_scope (no channels:history)
                        return self._json(200, {"ok": False, "error": lookup})
                    return self._json(200, fake._page(self.path, body))
                if "/files." in self.path:
                    answer = fake._files(self.path, body)
                    if answer is None:  # "lost": shared, then no answer
                        self.close_connection = True
                        self.connection.shutdown(2)
                        return None
                    return self._json(200, answer)
                behaviour = fake.script.pop(0) if fake.script else "ok"
                webhook = self.path.startswith("/services/")
                if behaviour.replace("_", "").isalpha() and behaviour not in ("ok", "drop", "slow"):
                    if webhook:
                        return self._text(404, behaviour)
                    return self._json(200, {"ok": False, "error": behaviour})
                if behaviour == "429":
                    return self._json(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"})
                if behaviour.isdigit():
                    return self._json(int(behaviour), {"ok": False, "error": "server_error"})
                with fake._lock:
                    ts = f"{time.time():.6f}"
                    fake.posted.append({**body, "ts": ts, "via": "webhook" if webhook else "api"})
                if behaviour == "slow":
                    fake.slow_started.set()
                    time.sleep(60)
                if behaviour == "drop":
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return None
                if webhook:
                    return self._text(200, "ok")
                return self._json(
                    200,
                    {"ok": True, "channel": body.get("channel", "C1"), "ts": ts, "message": {"text": body.get("text")}},
                )

            def _text(self, status, text):
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text.encode())

            def _json(self, status, payload, headers=None):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # shutdown() waits for serve_forever's next poll: 0.02 s instead of the default 0.5 s per test.
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def _page(self, path: str, body: dict) -> dict:
        with self._lock:
            posted = list(self.posted)
        oldest = float(body.get("oldest") or 0)
        if path.endswith("/conversations.replies"):
            msgs = [p for p in posted if p["ts"] == body.get("ts") or p.get("thread_ts") == body.get("ts")]
        else:
            msgs = [p for p in posted if not p.get("thread_ts")]
        msgs = [m for m in reversed(msgs) if float(m["ts"]) > oldest]
        limit, start = int(body.get("limit") or 100), int(body.get("cursor") or 0)
        page, more = msgs[start : start + limit], start + limit < len(msgs)
        return {
            "ok": True,
            "channel": body.get("channel"),
            "messages": page,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _files(self, path: str, body: dict) -> dict:
        if path.endswith("/files.getUploadURLExternal"):
            with self._lock:
                file_id = f"F{len(self.uploaded) + len(self.files) + 1:06d}"
                self.uploaded[file_id] = b""
                self._names[file_id] = body.get("filename")
            return {"ok": True, "file_id": file_id, "upload_url": f"{self.api_url[:-4]}upload/{file_id}"}
        if path.endswith("/files.completeUploadExternal"):
            behaviour = self.upload_script.pop(0) if self.upload_script else "ok"
            if behaviour not in ("ok", "lost"):
                return {"ok": False, "error": behaviour}
            files = json.loads(body["files"])
            shared = []
            with self._lock:
                for f in files:
                    entry = {
                        "id": f["id"],
                        "name": self._names.get(f["id"]),
                        "title": f.get("title"),
                        "channel": body.get("channel_id"),
                        "thread_ts": body.get("thread_ts"),
                        "bytes": self.uploaded.get(f["id"], b""),
                    }
                    self.files.append(entry)
                    shared.append({k: entry[k] for k in ("id", "name", "title")})
                self.posted.append(
                    {
                        "ts": f"{time.time():.6f}",
                        "thread_ts": body.get("thread_ts"),
                        "text": "",
                        "files": shared,
                        "via": "file",
                    }
                )
            return None if behaviour == "lost" else {"ok": True, "files": shared}
        return {"ok": False, "error": "unknown_method"}

    def _upload(self, handler, data: bytes) -> None:
        file_id = handler.path.rsplit("/", 1)[-1]
        behaviour = self.upload_script[0] if self.upload_script else "ok"
        if behaviour.isdigit():
            self.upload_script.pop(0)
            return handler._json(int(behaviour), {"ok": False})
        with self._lock:
            self.uploaded[file_id] = data
        return handler._text(200, f"OK - {len(data)}")

    def flood(self, n: int) -> None:
        """n other messages in the channel, newer than everything posted so far."""
        with self._lock:
            for i in range(n):
                self.posted.append({"text": f"chatter {i}", "ts": f"{time.time() + i * 1e-3:.6f}", "via": "other"})

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/api/"

    @property
    def webhook_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/services/T000/B000/secretwebhookpath"

    def env(self, token: str = "xoxb-test-secret-token", channel: str = "#ai-selloff") -> dict:
        return {"SLACK_BOT_TOKEN": token, "SLACK_CHANNEL": channel, "SLACK_API_URL": self.api_url}

    def posts(self, via: str = "api") -> list[dict]:
        return [p for p in self.posted if p["via"] == via]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def sender_for(server: FakeSlack, **kw):
    """The real slack_sdk sender pointed at this server."""
    return build_sender(SlackSettings.from_env(server.env()), **kw)
