#!/usr/bin/env python3
"""idle_conns.py HOST PORT N: opens N keep-alive HTTP connections to cqlgate and holds them.

Each connection sends one `GET /checker/liveness` and reads its answer, so the gateway has parsed
a request on it and keeps it open as an idle keep-alive connection. Once all are open it prints
`open N` (or `error: ...` and exits 1) and holds them until its standard input closes, then
closes them and exits. bench/run.py reads cqlgate's RSS in between.

The soft limit on open files is raised to the hard limit first; N must fit under it.
"""

import resource
import socket
import sys

BATCH = 500
REQUEST = b"GET /checker/liveness HTTP/1.1\r\nHost: bench\r\n\r\n"


def read_answer(sock):
    """Reads one HTTP answer with a Content-Length body; returns its status line."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("closed by the server")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("closed by the server")
        body += chunk
    return head.split(b"\r\n", 1)[0].decode()


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: idle_conns.py HOST PORT N")
    host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < n + 64:
        print(f"error: the hard limit on open files is {hard}, below {n} connections", flush=True)
        sys.exit(1)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    socks = []
    try:
        while len(socks) < n:
            batch = []
            for _ in range(min(BATCH, n - len(socks))):
                s = socket.create_connection((host, port), timeout=30)
                s.sendall(REQUEST)
                batch.append(s)
            socks.extend(batch)
            for s in batch:
                status = read_answer(s)
                if " 200 " not in status + " ":
                    raise ConnectionError(f"answered {status!r}")
    except OSError as e:
        print(f"error: connection {len(socks) + 1}: {e}", flush=True)
        sys.exit(1)
    print(f"open {len(socks)}", flush=True)
    sys.stdin.read()
    for s in socks:
        s.close()


if __name__ == "__main__":
    main()
