"""A minimal authoritative DNS responder on 127.0.0.1 (UDP), standing in for the cluster DNS.

It answers A queries for the names it was given (the way a headless Service answers with one A
record per ready pod) and NXDOMAIN otherwise; enough for HAProxy's `resolvers` + `server-template`.
"""

from __future__ import annotations

import ipaddress
import socket
import struct
import threading
from collections.abc import Mapping, Sequence

_TYPE_A = 1
_CLASS_IN = 1


def _parse_question(packet: bytes) -> tuple[str, int, int, int]:
    """(name, qtype, end offset of the question, query id)."""
    (query_id,) = struct.unpack("!H", packet[:2])
    labels, offset = [], 12
    while packet[offset]:
        length = packet[offset]
        labels.append(packet[offset + 1 : offset + 1 + length].decode("ascii").lower())
        offset += 1 + length
    qtype, _qclass = struct.unpack("!HH", packet[offset + 1 : offset + 5])
    return ".".join(labels), qtype, offset + 5, query_id


class DnsStub:
    def __init__(self, records: Mapping[str, Sequence[str]], ttl: int = 5) -> None:
        self.records = {name.lower(): list(addresses) for name, addresses in records.items()}
        self.ttl = ttl
        self.queries: list[tuple[str, int]] = []
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.settimeout(0.1)
        self.port = int(self._socket.getsockname()[1])
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> DnsStub:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self._socket.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                packet, client = self._socket.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                self._socket.sendto(self._answer(packet), client)
            except (IndexError, struct.error, UnicodeDecodeError, OSError):
                continue

    def _answer(self, packet: bytes) -> bytes:
        name, qtype, end, query_id = _parse_question(packet)
        self.queries.append((name, qtype))
        known = name in self.records
        addresses = self.records.get(name, []) if qtype == _TYPE_A else []
        flags = 0x8400 | (packet[2] & 0x01) << 8 | (0 if known else 3)  # QR AA [RD] rcode
        header = struct.pack("!HHHHHH", query_id, flags, 1, len(addresses), 0, 0)
        answers = b"".join(
            struct.pack("!HHHIH", 0xC00C, _TYPE_A, _CLASS_IN, self.ttl, 4)
            + ipaddress.IPv4Address(address).packed
            for address in addresses
        )
        return header + packet[12:end] + answers
