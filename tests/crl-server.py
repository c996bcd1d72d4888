#!/usr/bin/env python3
"""crl-server.py - an HTTP(S) server on 127.0.0.1 for tests/crl-fetch.sh.

usage: crl-server.py DIR PORTFILE LOG [CERT KEY]

Serves the files of DIR in the ways a CRL distribution point can answer,
by the first part of the path:

  /etag/NAME       with an ETag; 304 when If-None-Match matches
  /lm/NAME         with a Last-Modified; 304 when If-Modified-Since is it
  /plain/NAME      no validators
  /truncated/NAME  a Content-Length of the whole, then half of it
  /nolength/NAME   no Content-Length, the body until the connection closes
  /biglie/NAME     a Content-Length of a gigabyte, then the body
  /shortlie/NAME   a Content-Length of half the body, then all of it
  /stall/NAME      nothing at all for 30 seconds
  /status/N        status N, empty body
  /redirect/PATH   302 to /PATH on this server
  /to-file, /to-ftp  302 to a file:// or ftp:// URL

A request in absolute form (as to a proxy) is answered for its path.
Writes the port it listens on to PORTFILE, and for each request a line
"METHOD PATH inm=... ims=..." to LOG.  With CERT and KEY, HTTPS.  Exits
by itself after five minutes.
"""
import email.utils
import hashlib
import http.server
import os
import socketserver
import ssl
import sys
import threading
import time

ROOT, PORTFILE, LOG = sys.argv[1:4]
TLS = sys.argv[4:6]
LOCK = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        pass

    def record(self):
        with LOCK, open(LOG, "a") as f:
            f.write("%s %s inm=%s ims=%s\n" % (
                self.command, self.path,
                self.headers.get("If-None-Match", "-"),
                self.headers.get("If-Modified-Since", "-")))

    def body_of(self, name):
        path = os.path.join(ROOT, os.path.basename(name))
        with open(path, "rb") as f:
            return f.read(), os.stat(path).st_mtime

    def answer(self, code, headers=(), body=b"", length=True):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.record()
        path = self.path
        if path.startswith("http://"):
            # Asked as a proxy: the rest of the URL is the same.
            path = "/" + path[7:].split("/", 1)[-1]
        parts = path.split("/", 2)
        kind = parts[1] if len(parts) > 1 else ""
        arg = parts[2] if len(parts) > 2 else ""
        try:
            if kind == "status":
                self.answer(int(arg))
            elif kind == "redirect":
                self.answer(302, [("Location", "/" + arg)])
            elif kind == "to-file":
                self.answer(302, [("Location", "file:///etc/passwd")])
            elif kind == "to-ftp":
                self.answer(302, [("Location", "ftp://127.0.0.1/x.crl")])
            elif kind == "stall":
                time.sleep(30)
            elif kind in ("etag", "lm", "plain", "truncated", "nolength",
                          "biglie", "shortlie"):
                body, mtime = self.body_of(arg)
                self.serve(kind, body, mtime)
            else:
                self.answer(404)
        except FileNotFoundError:
            self.answer(404)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def serve(self, kind, body, mtime):
        if kind == "etag":
            tag = '"%s"' % hashlib.sha256(body).hexdigest()[:16]
            if self.headers.get("If-None-Match") == tag:
                self.answer(304, [("ETag", tag)], length=False)
            else:
                self.answer(200, [("ETag", tag)], body)
        elif kind == "lm":
            lm = email.utils.formatdate(mtime, usegmt=True)
            if self.headers.get("If-Modified-Since") == lm:
                self.answer(304, [("Last-Modified", lm)], length=False)
            else:
                self.answer(200, [("Last-Modified", lm)], body)
        elif kind == "plain":
            self.answer(200, [], body)
        elif kind in ("truncated", "biglie", "shortlie"):
            claim = {"truncated": len(body), "biglie": 1 << 30,
                     "shortlie": len(body) // 2}[kind]
            self.send_response(200)
            self.send_header("Content-Length", str(claim))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body[:len(body) // 2]
                             if kind == "truncated" else body)
            self.wfile.flush()
        elif kind == "nolength":
            self.answer(200, [], body, length=False)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def main():
    srv = Server(("127.0.0.1", 0), Handler)
    if TLS:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(TLS[0], TLS[1])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(PORTFILE + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(PORTFILE + ".tmp", PORTFILE)
    threading.Timer(300, lambda: os._exit(0)).start()
    srv.serve_forever()


main()
