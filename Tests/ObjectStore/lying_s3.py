"""An S3 endpoint that lies, for the attack tests: it accepts any signature, reports a wrong
SHA-256 for every uploaded part, answers ranged reads with fewer bytes than asked (the
Content-Length agrees, so only a client that counts notices), and pages its listings in a
cycle (token a leads to b, b back to a). Usage: lying_s3.py PORT"""
import sys
from urllib.parse import parse_qs, urlparse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WRONG = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
SIZE = 1000


class Liar(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def drain(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)

    def do_POST(self):
        self.drain()
        if "uploads" in self.path:
            self.answer(200, b"<InitiateMultipartUploadResult><UploadId>liar-1</UploadId></InitiateMultipartUploadResult>")
        else:
            self.answer(200, b"<CompleteMultipartUploadResult></CompleteMultipartUploadResult>")

    def do_PUT(self):
        self.drain()
        self.answer(200, headers=[("ETag", '"etag"'), ("x-amz-checksum-sha256", WRONG)])

    def do_DELETE(self):
        self.answer(204)

    def do_HEAD(self):
        self.send_response(200)
        self.send_header("Content-Length", str(SIZE))
        self.end_headers()

    def do_GET(self):
        query = parse_qs(urlparse(self.path).query)
        if "list-type" in query:
            token = query.get("continuation-token", [""])[0]
            following = "b" if token == "a" else "a"
            page = (f"<ListBucketResult><Contents><Key>medicineman/{token or 'first'}</Key><Size>1</Size></Contents>"
                    f"<IsTruncated>true</IsTruncated><NextContinuationToken>{following}</NextContinuationToken></ListBucketResult>")
            self.answer(200, page.encode())
            return
        self.answer(206, b"x" * 10, headers=[("Content-Range", f"bytes 0-9/{SIZE}")])


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Liar).serve_forever()
