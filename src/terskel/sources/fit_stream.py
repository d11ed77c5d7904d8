"""A FIT file cut down to the messages terskel reads as dicts, for `fitfast.parse`.

fitfast has no message filter: `parse` builds a Python dict for each of the thousands
of record messages (28 % of an import), though the records come columnar from
`fitfast.records`; HRV, device and proprietary messages add a third of a file more.
This walk copies the definitions and the data messages of the kinds in KEEP into a
smaller, valid FIT file (new sizes and CRCs). Any structure it does not understand
gives None, and the caller parses the whole file.
"""

from __future__ import annotations

from dataclasses import dataclass

from terskel.sources.fit_device import MESSAGES as DEVICE_MESSAGES

# Global message numbers read as dicts: file_id, sport, session, lap, activity,
# monitoring, hr (swim heart rate), field_description and developer_data_id (they
# name the developer fields of sessions and laps), and the watch's HR settings
# (sources/fit_device.py).
KEEP = frozenset({0, 12, 18, 19, 34, 55, 132, 206, 207, *DEVICE_MESSAGES})
RECORD = 20
COMPRESSED_SPEED_DISTANCE = 8  # record field: 3 bytes of packed speed and distance


@dataclass
class CutDown:
    """The cut-down file, and whether its records pack speed/distance (old footpods)."""

    data: bytes
    compressed_speed_distance: bool = False


# FIT CRC-16 nibble table (FIT protocol, section 3.3.2)
_CRC_TABLE = (
    0x0000, 0xCC01, 0xD801, 0x1400, 0xF001, 0x3C00, 0x2800, 0xE401,
    0xA001, 0x6C00, 0x7800, 0xB401, 0x5000, 0x9C01, 0x8801, 0x4400,
)  # fmt: skip


def without_records(data: bytes) -> CutDown | None:
    """The file with only KEEP data messages (no records); None when it cannot be walked."""
    out = bytearray()
    pos = 0
    found = CutDown(b"")
    while pos < len(data):
        segment = _segment(data, pos, found)
        if segment is None:
            return None
        reduced, pos = segment
        out += reduced
    found.data = bytes(out)
    return found if out else None


def _segment(data: bytes, start: int, found: CutDown) -> tuple[bytes, int] | None:
    """One FIT segment (header, messages, CRC) reduced; and where the next one starts."""
    # header: size (12 or 14), protocol, profile (2), data size (4, LE), ".FIT", [CRC (2)]
    header_size = data[start]
    if header_size not in (12, 14) or data[start + 8 : start + 12] != b".FIT":
        return None
    data_size = int.from_bytes(data[start + 4 : start + 8], "little")
    begin = start + header_size
    end = begin + data_size
    if end + 2 > len(data):
        return None
    body = _messages(data, begin, end, found)
    if body is None:
        return None
    header = bytearray(data[start : start + header_size])
    header[4:8] = len(body).to_bytes(4, "little")
    if header_size == 14:
        # a correct header CRC makes the file CRC the same whether a decoder starts it
        # at byte 0 or after the header
        header[12:14] = crc16(bytes(header[:12])).to_bytes(2, "little")
    reduced = bytes(header) + body
    return reduced + crc16(reduced).to_bytes(2, "little"), end + 2


def _messages(data: bytes, pos: int, end: int, found: CutDown) -> bytes | None:
    """Definitions and KEEP data messages between pos and end, in order."""
    # every header byte's data message: its length (0: a definition, or a local type not
    # defined yet) and whether it is kept; one lookup a message (the walk meets millions
    # of records, HRV and device messages: half the time of a dict and a set per message)
    length_of = [0] * 256
    kept_of = [False] * 256
    kept = bytearray()
    while pos < end:
        header = data[pos]
        length = length_of[header]
        if length:
            if kept_of[header]:
                kept += data[pos : pos + length]
            pos += length
            continue
        if header & 0xC0 != 0x40:  # a data message of a local type not defined yet
            return None
        parsed = _definition(data, pos, end)
        if parsed is None:
            return None
        size, global_num, length = parsed
        if global_num == RECORD and COMPRESSED_SPEED_DISTANCE in data[pos + 6 : pos + length : 3]:
            found.compressed_speed_distance = True
        for byte in _data_headers(header & 0x0F):
            length_of[byte] = 1 + size
            kept_of[byte] = global_num in KEEP
        kept += data[pos : pos + length]
        pos += length
    return bytes(kept) if pos == end else None


def _data_headers(local: int) -> list[int]:
    """The header bytes of a local message type's data messages."""
    # normal header: bit 7 clear, bit 6 clear (data), bits 0-3 the local type (bits 4-5 are
    # not read); compressed-timestamp header: bit 7 set, bits 5-6 the local type (0-3),
    # bits 0-4 a time offset
    normal = [local | high for high in (0x00, 0x10, 0x20, 0x30)]
    if local > 3:
        return normal
    return normal + [0x80 | local << 5 | offset for offset in range(32)]


def _definition(data: bytes, pos: int, end: int) -> tuple[int, int, int] | None:
    """(data size, global message number, definition length) of a definition message."""
    # header, reserved, architecture (0 LE, 1 BE), global number (2), field count,
    # 3 bytes per field (number, size, base type), [developer count, 3 bytes each]
    if pos + 6 > end:
        return None
    big_endian = data[pos + 2] == 1
    global_num = int.from_bytes(data[pos + 3 : pos + 5], "big" if big_endian else "little")
    count = data[pos + 5]
    fields_end = pos + 6 + 3 * count
    size = sum(data[pos + 7 : fields_end : 3])
    length = 6 + 3 * count
    if data[pos] & 0x20:  # developer fields follow
        if fields_end >= end:
            return None
        dev_count = data[fields_end]
        size += sum(data[fields_end + 2 : fields_end + 1 + 3 * dev_count : 3])
        length += 1 + 3 * dev_count
    if pos + length > end:
        return None
    return size, global_num, length


def _nibble_crc(crc: int, byte: int) -> int:
    """One byte of the FIT CRC, as the protocol states it (two nibble steps)."""
    table = _CRC_TABLE
    tmp = table[crc & 0xF]
    crc = ((crc >> 4) & 0x0FFF) ^ tmp ^ table[byte & 0xF]
    tmp = table[crc & 0xF]
    return ((crc >> 4) & 0x0FFF) ^ tmp ^ table[(byte >> 4) & 0xF]


# The same CRC one byte per step (CRC-16/ARC): half the Python work of the nibble form.
_BYTE_TABLE = tuple(_nibble_crc(index, 0) for index in range(256))


def crc16(data: bytes) -> int:
    """The FIT CRC-16 of `data`."""
    crc = 0
    table = _BYTE_TABLE
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc
