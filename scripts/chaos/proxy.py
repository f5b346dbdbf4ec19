"""A TCP proxy of our own on loopback that can stall: while stalled it keeps every connection open
and accepts new ones, but forwards nothing, like a host whose packets are dropped."""
import select
import socket
import threading


class StallingProxy:
    def __init__(self, target_port):
        self.target_port = target_port
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.stalled = threading.Event()
        self.stopped = threading.Event()

    def start(self):
        self.listener.listen(64)
        threading.Thread(target=self.accept, daemon=True).start()

    def stall(self, on):
        if on:
            self.stalled.set()
        else:
            self.stalled.clear()

    def stop(self):
        self.stopped.set()
        self.listener.close()

    def accept(self):
        while not self.stopped.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self.pipe, args=(client,), daemon=True).start()

    def pipe(self, client):
        try:
            upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=10)
        except OSError:
            client.close()
            return
        sockets = [client, upstream]
        try:
            while not self.stopped.is_set():
                if self.stalled.is_set():
                    self.stopped.wait(0.2)  # hold the connection, forward nothing
                    continue
                readable, _, _ = select.select(sockets, [], [], 0.2)
                for source in readable:
                    data = source.recv(65536)
                    if not data:
                        return
                    (upstream if source is client else client).sendall(data)
        except OSError:
            return
        finally:
            client.close()
            upstream.close()
