"""Which record layouts a FIT file uses: to pick one file per layout from a history."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

RECORD = 20  # global message number of `record`


def record_layouts(data: bytes) -> frozenset[bytes]:
    """The definition messages of `record` in the first FIT chunk (architecture, fields,
    developer fields), plus whether records come with compressed-timestamp headers."""
    if len(data) < 14 or data[8:12] != b".FIT":
        return frozenset({b"unreadable"})
    found: set[bytes] = set()
    pos, end = data[0], min(len(data) - 2, data[0] + int.from_bytes(data[4:8], "little"))
    sizes: dict[int, int] = {}
    kinds: dict[int, int] = {}
    while pos < end:
        header = data[pos]
        if header & 0x80:  # compressed timestamp: local type in bits 5-6
            local = (header >> 5) & 0x3
            found |= {b"compressed"} if kinds.get(local) == RECORD else set()
            pos += 1 + sizes.get(local, 0)
        elif header & 0x40:  # definition message
            arch = data[pos + 2]
            kind = int.from_bytes(data[pos + 3 : pos + 5], "little" if arch == 0 else "big")
            fields = data[pos + 6 : pos + 6 + 3 * data[pos + 5]]
            pos += 6 + len(fields)
            dev = b""
            if header & 0x20 and pos < end:
                dev = data[pos + 1 : pos + 1 + 3 * data[pos]]
                pos += 1 + len(dev)
            sizes[header & 0x0F] = sum(fields[1::3]) + sum(dev[1::3])
            kinds[header & 0x0F] = kind
            found |= {bytes([arch]) + fields + b"|" + dev} if kind == RECORD else set()
        else:
            pos += 1 + sizes.get(header & 0x0F, 0)
    return frozenset(found)


def largest_per_layout(paths: list[Path]) -> list[Path]:
    """The largest file of every distinct record layout among `paths`, sorted."""
    groups: dict[frozenset[bytes], list[Path]] = defaultdict(list)
    for path in paths:
        groups[record_layouts(path.read_bytes())].append(path)
    return sorted(max(group, key=lambda p: (p.stat().st_size, p.name)) for group in groups.values())
