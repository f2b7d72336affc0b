#!/usr/bin/env python3
"""Writes the malformed-image corpus into Tests/Fixtures/malformed-images/.

Truncated, corrupt, oversized and odd-but-valid JPEG and PNG files for `deit_classify_file`, plus
non-image bytes. Files are mutations of the valid fixtures in Tests/Fixtures/images or are written
by the tiny JPEG/PNG writers below (baseline and progressive JPEG with DC-only blocks, any sampling
factors; PNG of any colour type, bit depth and interlace). `expected.tsv` lists
`file<TAB>status<TAB>reason` for every file; Tests/c/image_corpus.c checks it.
Plain python3 and the standard library only; deterministic, so running it again must leave
`git status` clean.

Usage: python3 scripts/python/gen_malformed_images.py [output-dir]
"""
import struct
import sys
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "Tests" / "Fixtures" / "malformed-images"
IMAGES = ROOT / "Tests" / "Fixtures" / "images"

OK, FORMAT, UNSUPPORTED, OOM = "DEIT_OK", "DEIT_ERR_FORMAT", "DEIT_ERR_UNSUPPORTED", "DEIT_ERR_OUT_OF_MEMORY"

# ---------------------------------------------------------------- JPEG writer

# Standard luminance DC table (ITU T.81 K.3): categories 0..11.
DC_BITS = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]
DC_VALUES = list(range(12))
# A one-symbol AC table: code "0" for 0x00 (EOB in baseline, EOBRUN of 1 block in progressive).
AC_BITS = [1] + [0] * 15
AC_VALUES = [0x00]


def segment(marker, payload):
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def dqt(table_id=0, values=None, sixteen_bit=False):
    values = values if values is not None else [1] * 64
    if sixteen_bit:
        return segment(0xDB, bytes([0x10 | table_id]) + struct.pack(">64H", *values))
    return segment(0xDB, bytes([table_id]) + bytes(values))


def dht(table_class, table_id, bits, values):
    return segment(0xC4, bytes([(table_class << 4) | table_id]) + bytes(bits) + bytes(values))


def sof(marker, width, height, components, precision=8):
    """components: [(id, h, v, tq)]."""
    payload = struct.pack(">BHHB", precision, height, width, len(components))
    for cid, h, v, tq in components:
        payload += bytes([cid, (h << 4) | v, tq])
    return segment(marker, payload)


def sos(components, ss=0, se=63, ah=0, al=0):
    """components: [(id, dc_table, ac_table)]."""
    payload = bytes([len(components)])
    for cid, td, ta in components:
        payload += bytes([cid, (td << 4) | ta])
    return segment(0xDA, payload + bytes([ss, se, (ah << 4) | al]))


def huffman_codes(bits, values):
    """Canonical Huffman codes {symbol: (code, length)} (T.81 annex C)."""
    codes, code, k = {}, 0, 0
    for length in range(1, 17):
        for _ in range(bits[length - 1]):
            codes.setdefault(values[k], (code, length))
            code += 1
            k += 1
        code <<= 1
    return codes


class BitWriter:
    """Entropy-coded bytes: MSB first, 0xFF stuffed with 0x00, padded with 1 bits."""

    def __init__(self):
        self.out, self.acc, self.count = bytearray(), 0, 0

    def put(self, value, length):
        for i in range(length - 1, -1, -1):
            self.acc = (self.acc << 1) | ((value >> i) & 1)
            self.count += 1
            if self.count == 8:
                self.out.append(self.acc)
                if self.acc == 0xFF:
                    self.out.append(0)
                self.acc, self.count = 0, 0

    def flush(self):
        while self.count:
            self.put(1, 1)
        return bytes(self.out)


def magnitude(value):
    """(category, extra bits) of a DC difference."""
    category = abs(value).bit_length()
    bits = value if value >= 0 else value + (1 << category) - 1
    return category, bits


def block_grid(width, height, components):
    """Blocks across and down per component, for an interleaved scan (whole MCUs)."""
    hmax = max(c[1] for c in components)
    vmax = max(c[2] for c in components)
    mcus_x = -(-width // (8 * hmax))
    mcus_y = -(-height // (8 * vmax))
    return hmax, vmax, mcus_x, mcus_y


def dc_pattern(index):
    """A deterministic DC value per block (quantised units), so images are not flat."""
    return ((index * 37) % 23 - 11) * 8


def encode_dc_scan(width, height, components, dc_codes, ac_codes=None, al=0, dc_override=None):
    """One interleaved scan: every block's DC difference, and an EOB when ac_codes is given
    (baseline). `dc_override(index)` replaces the DC value of block `index`."""
    hmax, vmax, mcus_x, mcus_y = block_grid(width, height, components)
    if len(components) == 1:  # a one-component scan is not interleaved: one block per unit
        mcus_x, mcus_y = -(-width // 8), -(-height // 8)
    writer, predictions, index = BitWriter(), [0] * len(components), 0
    for _ in range(mcus_y * mcus_x):
        for ci, (_cid, h, v, _tq) in enumerate(components):
            for _ in range(1 if len(components) == 1 else h * v):
                dc = dc_override(index) if dc_override else dc_pattern(index)
                dc >>= al
                category, extra = magnitude(dc - predictions[ci])
                predictions[ci] = dc
                code, length = dc_codes[category]
                writer.put(code, length)
                if category:
                    writer.put(extra, category)
                if ac_codes is not None:
                    code, length = ac_codes[0x00]
                    writer.put(code, length)
                index += 1
    return writer.flush()


def encode_ac_eob_scan(width, height, component, hmax, vmax, ac_codes):
    """A progressive AC first scan of one component: one EOB (EOBRUN 1) per block."""
    _cid, h, v, _tq = component
    comp_w = -(-width * h // hmax)
    comp_h = -(-height * v // vmax)
    blocks = (-(-comp_w // 8)) * (-(-comp_h // 8))
    writer = BitWriter()
    code, length = ac_codes[0x00]
    for _ in range(blocks):
        writer.put(code, length)
    return writer.flush()


YCBCR = [(1, 1, 1, 0), (2, 1, 1, 0), (3, 1, 1, 0)]


def jpeg(width=24, height=16, components=YCBCR, progressive=False, app=b"", extra_tables=b"",
         dc_values=DC_VALUES, dc_override=None, al=0, include_dht=True, include_dqt=True, restart=0,
         quantisation=None):
    """A complete JPEG. Baseline: one interleaved scan. Progressive: a DC scan (successive
    approximation bit `al`) then one AC scan per component."""
    hmax, vmax, _, _ = block_grid(width, height, components)
    # Categories are coded with the standard table's codes; `dc_values` only changes the symbols the
    # written DHT assigns to those codes (a corrupt table decodes the same bits to other symbols).
    dc_codes = huffman_codes(DC_BITS, DC_VALUES)
    ac_codes = huffman_codes(AC_BITS, AC_VALUES)
    data = b"\xFF\xD8" + app
    if include_dqt:
        data += quantisation if quantisation is not None else dqt(0)
    data += sof(0xC2 if progressive else 0xC0, width, height, components)
    if include_dht:
        data += dht(0, 0, DC_BITS, dc_values) + dht(1, 0, AC_BITS, AC_VALUES)
    data += extra_tables
    if restart:
        data += segment(0xDD, struct.pack(">H", restart))
    scan_components = [(c[0], 0, 0) for c in components]
    if progressive:
        data += sos(scan_components, 0, 0, 0, al)
        data += encode_dc_scan(width, height, components, dc_codes, None, al, dc_override)
        for component in components:
            data += sos([(component[0], 0, 0)], 1, 63, 0, 0)
            data += encode_ac_eob_scan(width, height, component, hmax, vmax, ac_codes)
    else:
        data += sos(scan_components)
        data += encode_dc_scan(width, height, components, dc_codes, ac_codes, 0, dc_override)
    return data + b"\xFF\xD9"


def find_marker(data, marker, occurrence=0):
    """Offset of the `occurrence`-th segment with `marker` (before the first scan's data)."""
    at, seen = 2, 0
    while at + 4 <= len(data):
        assert data[at] == 0xFF, f"no marker at {at}"
        if data[at + 1] == marker:
            if seen == occurrence:
                return at
            seen += 1
        length = struct.unpack(">H", data[at + 2:at + 4])[0]
        if data[at + 1] == 0xDA:
            break
        at += 2 + length
    raise ValueError(f"marker {marker:02X} not found")


def remove_segments(data, marker):
    """The JPEG without any segment `marker` before the first scan."""
    while True:
        try:
            at = find_marker(data, marker)
        except ValueError:
            return data
        length = struct.unpack(">H", data[at + 2:at + 4])[0]
        data = data[:at] + data[at + 2 + length:]


def patch(data, offset, new):
    return data[:offset] + new + data[offset + len(new):]


def with_sof_size(data, width, height):
    at = find_marker(data, 0xC0) if 0xC0 in marker_list(data) else find_marker(data, 0xC2)
    return patch(data, at + 5, struct.pack(">HH", height, width))


def marker_list(data):
    markers, at = [], 2
    while at + 4 <= len(data) and data[at] == 0xFF:
        markers.append(data[at + 1])
        if data[at + 1] == 0xDA:
            break
        at += 2 + struct.unpack(">H", data[at + 2:at + 4])[0]
    return markers


# ---------------------------------------------------------------- PNG writer

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def chunk(kind, payload, crc=None):
    crc = zlib.crc32(kind + payload) if crc is None else crc
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc & 0xFFFFFFFF)


def ihdr(width, height, depth=8, color=2, compression=0, filter_method=0, interlace=0):
    return chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, color, compression,
                                      filter_method, interlace))


def sample(x, y, c, depth):
    return ((x * 31 + y * 17 + c * 71) * 2654435761 >> 7) % (1 << depth)


def pack_row(width, y, depth, channels):
    """One unfiltered scanline of pattern samples at `depth` bits."""
    if depth == 16:
        return b"".join(struct.pack(">H", sample(x, y, c, 16)) for x in range(width) for c in range(channels))
    if depth == 8:
        return bytes(sample(x, y, c, 8) for x in range(width) for c in range(channels))
    bits, row = 0, bytearray()
    acc = 0
    for x in range(width):
        acc = (acc << depth) | sample(x, y, 0, depth)
        bits += depth
        if bits == 8:
            row.append(acc)
            acc, bits = 0, 0
    if bits:
        row.append(acc << (8 - bits))
    return bytes(row)


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def raw_image(width, height, depth, color, interlace=0, filter_byte=0):
    channels = CHANNELS[color]
    if not interlace:
        return b"".join(bytes([filter_byte]) + pack_row(width, y, depth, channels) for y in range(height))
    out = b""
    for x0, y0, dx, dy in ADAM7:  # each pass is a small image of its own
        pass_w = max(0, -(-(width - x0) // dx))
        pass_h = max(0, -(-(height - y0) // dy))
        if pass_w == 0:
            continue
        for y in range(pass_h):
            out += bytes([filter_byte]) + pack_row(pass_w, y0 + y * dy, depth, channels)
    return out


def png(width=16, height=12, depth=8, color=2, interlace=0, plte=None, trns=None, idat=None,
        extra_before_idat=b""):
    chunks = ihdr(width, height, depth, color, 0, 0, interlace)
    if color == 3:
        plte = plte if plte is not None else bytes(range(48)) * 16  # 256 entries
    if plte is not None:
        chunks += chunk(b"PLTE", plte)
    if trns is not None:
        chunks += chunk(b"tRNS", trns)
    chunks += extra_before_idat
    if idat is None:
        idat = zlib.compress(raw_image(width, height, depth, color, interlace), 9)
    chunks += chunk(b"IDAT", idat)
    return PNG_SIGNATURE + chunks + chunk(b"IEND", b"")


def png_chunks(data):
    """[(offset, length, type)] of every chunk."""
    out, at = [], 8
    while at + 12 <= len(data):
        length = struct.unpack(">I", data[at:at + 4])[0]
        out.append((at, length, data[at + 4:at + 8]))
        at += 12 + length
    return out


def png_with_ihdr(data, **fields):
    """The PNG with IHDR fields replaced (CRC recomputed, so only the field is wrong)."""
    at = png_chunks(data)[0][0]
    width, height, depth, color, comp, filt, inter = struct.unpack(">IIBBBBB", data[at + 8:at + 21])
    values = dict(width=width, height=height, depth=depth, color=color, compression=comp,
                  filter_method=filt, interlace=inter)
    values.update(fields)
    return data[:at] + ihdr(values["width"], values["height"], values["depth"], values["color"],
                            values["compression"], values["filter_method"], values["interlace"]) + data[at + 25:]


def png_replace_idat(data, idat):
    at, length, _ = next(c for c in png_chunks(data) if c[2] == b"IDAT")
    return data[:at] + chunk(b"IDAT", idat) + data[at + 12 + length:]


def raw_deflate_stored_then_bad():
    """A zlib stream whose second block has the reserved block type 3."""
    return b"\x78\x01" + bytes([0b00000111]) + b"\x00" * 8


# ---------------------------------------------------------------- corpus

def corpus():
    photo = (IMAGES / "photo_120x90.jpg").read_bytes()   # baseline 4:2:0, standard tables
    rgb_png = (IMAGES / "rgb_97x61.png").read_bytes()    # RGB 8-bit, one IDAT
    files = []

    def add(name, data, status, reason):
        files.append((name, data, status, reason))

    # Empty and non-image bytes.
    add("empty.jpg", b"", FORMAT, "zero-byte file")
    add("gif89a.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", UNSUPPORTED, "GIF signature: decoder not compiled in")
    add("bmp.bmp", b"BM" + b"\x00" * 52, UNSUPPORTED, "BMP signature: decoder not compiled in")
    add("webp.webp", b"RIFF\x1a\x00\x00\x00WEBPVP8 " + b"\x00" * 14, UNSUPPORTED, "WebP (RIFF) signature")
    add("text.jpg", b"this is not an image\n", UNSUPPORTED, "plain text named .jpg")
    add("jpeg_soi_only.jpg", b"\xFF\xD8", UNSUPPORTED, "FF D8 without a third FF byte is not sniffed as JPEG")
    add("png_signature_partial.png", PNG_SIGNATURE[:7], UNSUPPORTED, "7 of the 8 PNG signature bytes")
    add("png_signature_only.png", PNG_SIGNATURE, FORMAT, "PNG signature and nothing else")
    add("png_signature_bad_byte.png", b"\x89PNG\r\n\x1a\x0a"[:7] + b"\x00" + rgb_png[8:], UNSUPPORTED,
        "last signature byte wrong")

    # JPEG: truncations of a real baseline photo (headers, scan header, entropy data, EOI).
    for cut, where in [(3, "after SOI + one marker byte"), (20, "after APP0"), (100, "inside the second DQT"),
                       (165, "inside SOF0"), (300, "inside a DHT"), (615, "inside the SOS header"),
                       (700, "early in the entropy-coded data"), (5000, "mid entropy-coded data"),
                       (len(photo) - 2, "just before EOI"), (len(photo) - 1, "half of the EOI marker")]:
        add(f"jpeg_truncated_at_{cut}.jpg", photo[:cut], FORMAT, f"truncated {where}")
    add("jpeg_truncated_entropy_then_eoi.jpg", photo[:5000] + b"\xFF\xD9", OK,
        "entropy data cut, EOI appended: the structure is whole, stb fills the missing blocks (odd but valid)")
    add("jpeg_trailing_garbage.jpg", photo + b"garbage after EOI" * 10, OK, "bytes after EOI are ignored")

    # JPEG: frame header sizes and limits.
    add("jpeg_zero_width.jpg", with_sof_size(photo, 0, 90), FORMAT, "SOF width 0")
    add("jpeg_zero_height.jpg", with_sof_size(photo, 120, 0), FORMAT, "SOF height 0 (DNL not supported)")
    add("jpeg_65535x65535.jpg", with_sof_size(photo, 65535, 65535), OOM, "65535x65535 header, above the per-side limit")
    add("jpeg_16385x8.jpg", with_sof_size(photo, 16385, 8), OOM, "width 16385: one above the 16384 limit")
    add("jpeg_8x16385.jpg", with_sof_size(photo, 8, 16385), OOM, "height 16385: one above the 16384 limit")
    add("jpeg_8000x8000.jpg", with_sof_size(photo, 8000, 8000), OOM, "64 megapixels, above the 50-megapixel limit")
    sof_at = find_marker(photo, 0xC0)
    add("jpeg_sof_precision_12.jpg", patch(photo, sof_at + 4, b"\x0C"), FORMAT, "12-bit precision is not decoded")
    add("jpeg_sof_0_components.jpg", photo[:sof_at] + segment(0xC0, struct.pack(">BHHB", 8, 90, 120, 0)) +
        photo[sof_at + 19:], FORMAT, "SOF with 0 components")
    add("jpeg_sof_2_components.jpg", photo[:sof_at] + sof(0xC0, 120, 90, [(1, 2, 2, 0), (2, 1, 1, 1)]) +
        photo[sof_at + 19:], FORMAT, "SOF with 2 components")
    add("jpeg_sof_5_components.jpg", photo[:sof_at] + sof(0xC0, 120, 90, [(i, 1, 1, 0) for i in range(1, 6)]) +
        photo[sof_at + 19:], FORMAT, "SOF with 5 components")
    add("jpeg_sof_length_wrong.jpg", patch(photo, sof_at + 2, b"\x00\x12"), FORMAT, "SOF length 18 for 3 components")
    add("jpeg_sof_sampling_0.jpg", patch(photo, sof_at + 11, b"\x00"), FORMAT, "sampling factor 0")
    add("jpeg_sof_sampling_5.jpg", patch(photo, sof_at + 11, b"\x55"), FORMAT, "sampling factor 5 (max 4)")
    add("jpeg_sof_sampling_3_of_2.jpg", patch(photo, sof_at + 14, b"\x32"), FORMAT,
        "chroma 3x2 against luma 2x2: not an integer ratio")
    add("jpeg_sof_quant_table_4.jpg", patch(photo, sof_at + 12, b"\x04"), FORMAT, "quantisation table id 4")
    add("jpeg_two_sof.jpg", photo[:sof_at] + sof(0xC0, 64, 64, [(1, 1, 1, 0)]) + photo[sof_at:], FORMAT,
        "a second SOF before the scan (stb: unknown marker)")
    add("jpeg_arithmetic_sof9.jpg", patch(photo, sof_at + 1, b"\xC9"), FORMAT, "arithmetic coding (SOF9) not decoded")
    add("jpeg_lossless_sof3.jpg", patch(photo, sof_at + 1, b"\xC3"), FORMAT, "lossless (SOF3) not decoded")

    # JPEG: tables.
    dht_at = find_marker(photo, 0xC4)
    dht_len = struct.unpack(">H", photo[dht_at + 2:dht_at + 4])[0]
    many = [0] * 8 + [255] * 8
    add("jpeg_dht_counts_over_256.jpg", photo[:dht_at] + dht(0, 0, many, [i % 12 for i in range(sum(many))]) +
        photo[dht_at + 2 + dht_len:], FORMAT,
        "DHT code counts sum to 2040 (> 256): stb 2.27 writes past its 257-entry tables without a pre-check")
    add("jpeg_dht_counts_over_256_ac3.jpg", photo[:dht_at] + dht(1, 3, [255] * 16, [1] * 4080) +
        photo[dht_at + 2 + dht_len:], FORMAT, "AC table 3 with 4080 codes: the overflow reaches the component array")
    add("jpeg_dht_counts_over_256_before_sof.jpg", photo[:sof_at] + dht(1, 1, [255] * 16, [1] * 4080) +
        photo[sof_at:], FORMAT, "the same before SOF, where stb's header parser (stbi_info) meets it")
    add("jpeg_dht_counts_past_segment.jpg", photo[:dht_at] +
        segment(0xC4, bytes([0x00]) + bytes(DC_BITS) + bytes(DC_VALUES) + b"\x13") + b"\xF0" * 16 +
        photo[dht_at + 2 + dht_len:], FORMAT,
        "a DHT segment ending after a table's class byte: stb reads the next 16 bytes (0xF0 each) as "
        "its counts, 3840 codes")
    add("jpeg_dht_code_overflow.jpg", photo[:dht_at] + dht(0, 0, [3] + [0] * 15, [0, 1, 2]) +
        photo[dht_at + 2 + dht_len:], FORMAT, "three 1-bit codes: the code space overflows")
    add("jpeg_dht_class_2.jpg", patch(photo, dht_at + 4, b"\x20"), FORMAT, "DHT table class 2")
    add("jpeg_dht_id_4.jpg", patch(photo, dht_at + 4, b"\x04"), FORMAT, "DHT table id 4")
    add("jpeg_dht_length_short.jpg", patch(photo, dht_at + 2, struct.pack(">H", dht_len - 1)), FORMAT,
        "DHT length one short of its values (stb fails without a reason string)")
    add("jpeg_missing_dht.jpg", remove_segments(photo, 0xC4), FORMAT,
        "no DHT: the scan uses undefined Huffman tables (stb would read uninitialised memory)")
    add("jpeg_missing_dqt.jpg", remove_segments(photo, 0xDB), FORMAT,
        "no DQT: components use undefined quantisation tables (uninitialised in stb)")
    dqt_at = find_marker(photo, 0xDB)
    add("jpeg_dqt_id_4.jpg", patch(photo, dqt_at + 4, b"\x04"), FORMAT, "DQT table id 4")
    add("jpeg_dqt_precision_2.jpg", patch(photo, dqt_at + 4, b"\x20"), FORMAT, "DQT precision 2")
    add("jpeg_dqt_length_odd.jpg", photo[:dqt_at] + segment(0xDB, bytes(66)) + photo[dqt_at + 69:], FORMAT,
        "DQT length not a multiple of 65 (stb fails without a reason string)")
    add("jpeg_dc_symbol_16_cve_2021_28021.jpg", photo[:dht_at] + dht(0, 0, DC_BITS, [16] * 12) +
        photo[dht_at + 2 + dht_len:], FORMAT,
        "DC magnitude category 16: stbi__extend_receive read past its tables (CVE-2021-28021, stb #1108)")
    add("jpeg_app_length_1.jpg", patch(photo, 4, b"\x00\x01"), FORMAT, "APP0 length 1 (< 2)")
    add("jpeg_app_length_past_end.jpg", patch(photo, 4, b"\xFF\xF0"), FORMAT, "APP0 length runs past the end")
    add("jpeg_dri_without_rst.jpg", photo[:sof_at] + segment(0xDD, b"\x00\x01") + photo[sof_at:], FORMAT,
        "restart interval 1 in a photo without RST markers: stb stops at the first missing RST and then "
        "meets entropy bytes where it expects a marker")

    # JPEG: scan headers.
    sos_at = find_marker(photo, 0xDA)
    add("jpeg_sos_unknown_component.jpg", patch(photo, sos_at + 5, b"\x09"), FORMAT,
        "SOS names component 9, not in the frame (stb fails without a reason string)")
    add("jpeg_sos_dc_table_4.jpg", patch(photo, sos_at + 6, b"\x40"), FORMAT, "SOS DC table 4")
    add("jpeg_sos_undefined_table_3.jpg", patch(photo, sos_at + 6, b"\x33"), FORMAT,
        "SOS uses tables 3, never defined")
    add("jpeg_sos_4_components.jpg", patch(photo, sos_at + 4, b"\x04"), FORMAT, "SOS with 4 of 3 components")
    add("jpeg_sos_baseline_ss_1.jpg", patch(photo, sos_at + 11, b"\x01"), FORMAT, "baseline scan with Ss 1")
    add("jpeg_no_sos.jpg", photo[:sos_at] + b"\xFF\xD9", FORMAT, "tables and frame, then EOI: no scan")

    # JPEG: generated, odd but valid.
    add("jpeg_gray.jpg", jpeg(components=[(1, 1, 1, 0)]), OK, "1 component")
    add("jpeg_rgb_ids.jpg", jpeg(components=[(ord("R"), 1, 1, 0), (ord("G"), 1, 1, 0), (ord("B"), 1, 1, 0)]), OK,
        "component ids R, G, B: no colour transform")
    adobe = lambda transform: segment(0xEE, b"Adobe" + struct.pack(">HHHB", 100, 0, 0, transform))
    cmyk = [(1, 1, 1, 0), (2, 1, 1, 0), (3, 1, 1, 0), (4, 1, 1, 0)]
    add("jpeg_cmyk_adobe.jpg", jpeg(components=cmyk, app=adobe(0)), OK, "4 components, Adobe transform 0 (CMYK)")
    add("jpeg_ycck_adobe.jpg", jpeg(components=cmyk, app=adobe(2)), OK, "4 components, Adobe transform 2 (YCCK)")
    add("jpeg_cmyk_no_adobe.jpg", jpeg(components=cmyk), OK, "4 components without an Adobe marker")
    add("jpeg_1x1.jpg", jpeg(1, 1), OK, "1x1 pixel")
    add("jpeg_sampling_420_odd.jpg", jpeg(33, 17, [(1, 2, 2, 0), (2, 1, 1, 0), (3, 1, 1, 0)]), OK,
        "4:2:0 with odd width and height")
    add("jpeg_sampling_chroma_max.jpg", jpeg(35, 19, [(1, 1, 1, 0), (2, 2, 2, 0), (3, 1, 1, 0)]), OK,
        "chroma sampled finer than luma (CVE-2021-37789, stb #1178: resampler reads)")
    add("jpeg_sampling_1x2.jpg", jpeg(21, 23, [(1, 1, 2, 0), (2, 1, 1, 0), (3, 1, 1, 0)]), OK,
        "vertical-only 2x upsampling (stbi__resample_row_v_2)")
    add("jpeg_sampling_4x4.jpg", jpeg(37, 41, [(1, 4, 4, 0), (2, 1, 1, 0), (3, 1, 1, 0)]), OK,
        "4x4 luma: generic resampler")
    add("jpeg_sampling_4x1_gray.jpg", jpeg(50, 9, [(1, 4, 1, 0)]), OK, "one component with 4x1 sampling")
    add("jpeg_restart_interval.jpg", jpeg(40, 24, restart=1), OK,
        "DRI 1 and no RST markers in a generated scan (stb stops at the first missing RST)")
    add("jpeg_progressive.jpg", jpeg(40, 24, progressive=True), OK, "progressive: DC scan then AC scans")
    add("jpeg_progressive_420.jpg", jpeg(33, 17, [(1, 2, 2, 0), (2, 1, 1, 0), (3, 1, 1, 0)], progressive=True),
        OK, "progressive 4:2:0, odd size")

    # JPEG: progressive, corrupted.
    prog = jpeg(40, 24, progressive=True)
    prog_sos = [i for i in range(len(prog) - 1) if prog[i] == 0xFF and prog[i + 1] == 0xDA]
    add("jpeg_progressive_truncated.jpg", prog[:prog_sos[2] + 6], FORMAT, "progressive, cut inside the second AC scan")
    add("jpeg_progressive_ss_gt_se.jpg", patch(prog, prog_sos[1] + 7, b"\x3F\x01"), FORMAT,
        "AC scan with Ss 63 > Se 1")
    add("jpeg_progressive_dc_with_ac.jpg", patch(prog, prog_sos[0] + 12, b"\x05"), FORMAT,
        "DC scan with Se 5: DC and AC merged")
    add("jpeg_progressive_al_14.jpg", patch(prog, prog_sos[0] + 13, b"\x0E"), FORMAT, "successive approximation Al 14")
    add("jpeg_progressive_dc_symbol_16.jpg", jpeg(40, 24, progressive=True, dc_values=[16] * 12), FORMAT,
        "progressive DC category 16 (the stbi__jpeg_decode_block_prog_dc variant of CVE-2021-28021)")
    add("jpeg_progressive_dc_overflow_cve_2022_28041.jpg",
        jpeg(256, 64, [(1, 1, 1, 0)], progressive=True, al=13, dc_override=lambda i: 2047 * 8192 * (i + 1)),
        OK, "Al 13 and a DC predictor growing by 2047 per block: signed overflow in stb 2.27 "
            "(CVE-2022-28041), defined with -fwrapv")
    # First AC scan re-coded with a table whose code "01" is EOB14: an EOB run of 32767 blocks in a
    # scan of 15 blocks.
    eob_table = dht(1, 1, [0, 2] + [0] * 14, [0x00, 0xE0])
    add("jpeg_baseline_dc_overflow.jpg",
        jpeg(256, 64, [(1, 1, 1, 0)], quantisation=dqt(0, [65535] * 64, sixteen_bit=True),
             dc_override=lambda i: 2047 * (i + 1)), OK,
        "16-bit quantiser 65535 times a DC predictor growing by 2047 per block: the baseline "
        "variant of the CVE-2022-28041 signed overflow")
    add("jpeg_progressive_huge_eobrun.jpg", prog[:prog_sos[1]] + eob_table + sos([(1, 0, 1)], 1, 63) +
        b"\x7F\xFF\x00" + prog[prog_sos[2]:], OK, "EOB run of 32767 in a 15-block scan (odd but valid)")

    # PNG: truncations of a real RGB image.
    chunks = png_chunks(rgb_png)
    idat_at, idat_len, _ = chunks[1]
    for cut, where in [(20, "inside IHDR"), (33, "after IHDR"), (45, "at the start of IDAT data"),
                       (8000, "mid IDAT"), (idat_at + 12 + idat_len, "after IDAT: no IEND"),
                       (len(rgb_png) - 4, "inside the IEND chunk")]:
        add(f"png_truncated_at_{cut}.png", rgb_png[:cut], FORMAT, f"truncated {where}")
    small = png(16, 12)  # header, chunk and CRC mutations of a small generated RGB PNG
    idat_at, idat_len, _ = png_chunks(small)[1]
    add("png_trailing_garbage.png", small + b"garbage" * 20, OK, "bytes after IEND are ignored")

    # PNG: header fields and limits.
    add("png_zero_width.png", png_with_ihdr(small, width=0), FORMAT, "IHDR width 0")
    add("png_zero_height.png", png_with_ihdr(small, height=0), FORMAT, "IHDR height 0")
    add("png_65535x65535.png", png_with_ihdr(small, width=65535, height=65535), FORMAT,
        "65535x65535: stb's header check (2^30 bytes) rejects it as corrupt before our limits")
    add("png_16385x1.png", png_with_ihdr(small, width=16385, height=1), OOM, "width 16385: above the limit")
    add("png_1x16385.png", png_with_ihdr(small, width=1, height=16385), OOM, "height 16385: above the limit")
    add("png_8000x8000.png", png_with_ihdr(small, width=8000, height=8000), OOM, "64 megapixels, above 50")
    add("png_7000x7000_tiny_idat.png", png(7000, 7000, 8, 0, idat=zlib.compress(b"\x00" * 7001 * 3)), FORMAT,
        "49 megapixels (allowed) but the IDAT holds 3 rows: fails fast")
    add("png_bit_depth_3.png", png_with_ihdr(small, depth=3), FORMAT, "bit depth 3")
    add("png_bit_depth_0.png", png_with_ihdr(small, depth=0), FORMAT, "bit depth 0")
    add("png_color_type_5.png", png_with_ihdr(small, color=5), FORMAT, "colour type 5 does not exist")
    add("png_color_type_1.png", png_with_ihdr(small, color=1), FORMAT, "colour type 1 does not exist")
    add("png_palette_16bit.png", png_with_ihdr(png(16, 12, 8, 3), depth=16), FORMAT, "palette with bit depth 16")
    add("png_rgb_4bit.png", png_with_ihdr(small, depth=4), FORMAT, "RGB with bit depth 4")
    add("png_compression_1.png", png_with_ihdr(small, compression=1), FORMAT, "compression method 1")
    add("png_filter_method_1.png", png_with_ihdr(small, filter_method=1), FORMAT, "filter method 1")
    add("png_interlace_2.png", png_with_ihdr(small, interlace=2), FORMAT, "interlace method 2")
    header = PNG_SIGNATURE + small[8:33]
    add("png_ihdr_twice.png", header + small[8:], FORMAT, "two IHDR chunks")
    add("png_idat_first.png", PNG_SIGNATURE + small[33:], FORMAT, "IDAT before IHDR")
    add("png_no_idat.png", header + chunk(b"IEND", b""), FORMAT, "IHDR then IEND")
    add("png_ihdr_length_12.png", PNG_SIGNATURE + struct.pack(">I", 12) + small[12:], FORMAT, "IHDR length 12")
    add("png_chunk_length_huge.png", small[:idat_at] + b"\x7F\xFF\xFF\xFF" + small[idat_at + 4:], FORMAT,
        "IDAT length 2^31-1 past the end of the file")
    add("png_unknown_critical_chunk.png", small[:idat_at] + chunk(b"ABCD", b"x") + small[idat_at:], FORMAT,
        "unknown critical chunk (upper-case first letter)")
    add("png_unknown_ancillary_chunk.png", small[:idat_at] + chunk(b"abCD", b"x" * 100) + small[idat_at:], OK,
        "unknown ancillary chunk is skipped")

    # PNG: CRCs (stb does not check them; PIL does for critical chunks).
    bad_crc = bytearray(small)
    bad_crc[29] ^= 0xFF  # IHDR CRC
    add("png_bad_crc_ihdr.png", bytes(bad_crc), OK, "wrong IHDR CRC: stb ignores CRCs (PIL would reject)")
    bad_crc = bytearray(small)
    bad_crc[idat_at + 8 + idat_len] ^= 0xFF  # IDAT CRC
    add("png_bad_crc_idat.png", bytes(bad_crc), OK, "wrong IDAT CRC: stb ignores CRCs (PIL would reject)")

    # PNG: zlib and filters.
    raw = raw_image(16, 12, 8, 2)
    good = zlib.compress(raw, 9)
    base = small
    add("png_zlib_bad_header.png", png_replace_idat(base, b"\x78\x00" + good[2:]), FORMAT, "zlib header checksum wrong")
    add("png_zlib_bad_method.png", png_replace_idat(base, b"\x79\x9C" + good[2:]), FORMAT, "zlib method 9")
    add("png_zlib_preset_dict.png", png_replace_idat(base, b"\x78\xBB" + good[2:]), FORMAT, "zlib FDICT set")
    add("png_zlib_block_type_3.png", png_replace_idat(base, raw_deflate_stored_then_bad()), FORMAT,
        "deflate block type 3 (reserved)")
    add("png_zlib_truncated.png", png_replace_idat(base, good[:len(good) // 2]), FORMAT,
        "deflate stream cut in half (chunks intact)")
    add("png_zlib_garbage.png", png_replace_idat(base, b"\x78\x9C" + bytes(range(7, 250))), FORMAT,
        "zlib header then garbage")
    add("png_zlib_bad_adler.png", png_replace_idat(base, good[:-4] + b"\x00\x00\x00\x00"), OK,
        "wrong Adler-32: stb does not check it (PIL would reject)")
    add("png_too_few_pixels.png", png_replace_idat(base, zlib.compress(raw[:-10])), FORMAT, "10 bytes short")
    add("png_too_many_pixels.png", png_replace_idat(base, zlib.compress(raw + bytes(100))), OK,
        "100 extra bytes after the last row are ignored")
    add("png_filter_type_5.png", png_replace_idat(base, zlib.compress(b"\x05" + raw[1:])), FORMAT, "row filter 5")
    bomb = zlib.compress(b"\x00" * (64 << 20), 9)
    add("png_zlib_bomb_1x1.png", png(1, 1, 8, 0, idat=bomb), OOM,
        "1x1 gray whose IDAT inflates to 64 MiB: the allocation cap stops it")
    add("png_palette_missing.png", png(16, 12, 8, 3, plte=b""), FORMAT, "palette image with an empty PLTE")
    add("png_palette_no_plte_chunk.png",
        PNG_SIGNATURE + ihdr(16, 12, 8, 3) + chunk(b"IDAT", zlib.compress(raw_image(16, 12, 8, 3))) +
        chunk(b"IEND", b""), FORMAT, "palette image without PLTE")
    add("png_palette_not_multiple_of_3.png", png(16, 12, 8, 3, plte=bytes(10)), FORMAT, "PLTE length 10")
    add("png_palette_index_out_of_range.png", png(16, 12, 8, 3, plte=bytes(range(6))), OK,
        "2-entry palette, indices up to 255: stb reads zeroed entries (PIL too)")
    add("png_trns_too_long.png", png(16, 12, 8, 3, trns=bytes(300)), FORMAT, "tRNS longer than the palette")
    add("png_trns_wrong_length_rgb.png", png(16, 12, 8, 2, trns=bytes(4)), FORMAT, "RGB tRNS of 4 bytes (needs 6)")

    # PNG: odd but valid.
    add("png_interlaced_rgb.png", png(29, 23, 8, 2, interlace=1), OK, "Adam7 interlaced RGB")
    add("png_interlaced_1x1.png", png(1, 1, 8, 2, interlace=1), OK, "Adam7 1x1 (six empty passes)")
    add("png_interlaced_gray_1bit.png", png(13, 9, 1, 0, interlace=1), OK, "Adam7 1-bit gray")
    add("png_16bit_rgb.png", png(16, 12, 16, 2), OK, "16 bits per sample, RGB")
    add("png_16bit_gray.png", png(16, 12, 16, 0), OK, "16 bits per sample, gray")
    add("png_16bit_gray_alpha.png", png(16, 12, 16, 4), OK, "16-bit gray + alpha (stb #1437 convert_16_to_8)")
    add("png_16bit_rgba_interlaced.png", png(17, 11, 16, 6, interlace=1), OK, "16-bit RGBA, interlaced")
    add("png_16bit_rgb_trns.png", png(16, 12, 16, 2, trns=bytes(6)), OK, "16-bit RGB with tRNS")
    add("png_gray_1bit.png", png(13, 7, 1, 0), OK, "1-bit gray, width not a multiple of 8")
    add("png_gray_2bit.png", png(13, 7, 2, 0), OK, "2-bit gray")
    add("png_palette_4bit.png", png(13, 7, 4, 3), OK, "4-bit palette")
    add("png_palette_1bit_trns.png", png(13, 7, 1, 3, plte=bytes(6), trns=b"\x00\xFF"), OK, "1-bit palette + tRNS")
    add("png_1x16384.png", png(1, 16384, 8, 0), OK, "1x16384: at the per-side limit")
    add("png_split_idat.png", PNG_SIGNATURE + ihdr(16, 12) + b"".join(
        chunk(b"IDAT", good[i:i + 7]) for i in range(0, len(good), 7)) + chunk(b"IEND", b""), OK,
        "IDAT split into 7-byte chunks")
    add("png_empty_idat_chunks.png", PNG_SIGNATURE + ihdr(16, 12) + chunk(b"IDAT", b"") + chunk(b"IDAT", good) +
        chunk(b"IDAT", b"") + chunk(b"IEND", b""), OK, "zero-length IDAT chunks around the data")
    add("png_cgbi_iphone.png", PNG_SIGNATURE + chunk(b"CgBI", b"\x50\x00\x20\x02") + base[8:], FORMAT,
        "Apple CgBI chunk: stb expects raw deflate, the zlib header then fails")
    return files


def main():
    files = corpus()
    names = [name for name, _, _, _ in files]
    assert len(names) == len(set(names)), "duplicate file name"
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.iterdir():
        if old.name not in ("README.md",) and old.suffix in (".jpg", ".png", ".gif", ".bmp", ".webp", ".tsv"):
            old.unlink()
    lines = ["# file\tstatus\treason (written by scripts/python/gen_malformed_images.py; see README.md)"]
    for name, data, status, reason in files:
        (OUT / name).write_bytes(data)
        lines.append(f"{name}\t{status}\t{reason}")
    (OUT / "expected.tsv").write_text("\n".join(lines) + "\n")
    total = sum(len(d) for _, d, _, _ in files)
    print(f"wrote {len(files)} files ({total} bytes) and expected.tsv to {OUT}")


if __name__ == "__main__":
    main()
