"""A PostgreSQL server that does not do TLS, as far as a client can tell: answers a
client's SSLRequest with 'N' (no TLS here), then relays the connection, byte for byte,
to the real server given by --port. Prints "READY <port>" once it listens."""
import argparse
import socket
import threading

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True, help="the real server's port on 127.0.0.1")
args = parser.parse_args()

SSL_REQUEST = bytes([0, 0, 0, 8, 4, 210, 22, 47])


def pipe(source, target):
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            target.sendall(data)
    except OSError:
        pass
    finally:
        for s in (source, target):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def serve(client):
    first = b""
    while len(first) < 8:
        chunk = client.recv(8 - len(first))
        if not chunk:
            client.close()
            return
        first += chunk
    upstream = socket.create_connection(("127.0.0.1", args.port))
    if first == SSL_REQUEST:
        client.sendall(b"N")
    else:
        upstream.sendall(first)
    threading.Thread(target=pipe, args=(client, upstream), daemon=True).start()
    pipe(upstream, client)


listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", 0))
listener.listen(64)
print(f"READY {listener.getsockname()[1]}", flush=True)
while True:
    connection, _ = listener.accept()
    threading.Thread(target=serve, args=(connection,), daemon=True).start()
