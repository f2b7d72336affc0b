#!/usr/bin/env python3
"""Writes the malformed-safetensors corpus into Tests/Fixtures/malformed/.

One small file per validation rule, each made by mutating a tiny valid DeiT/ViT, plus a few valid
files. `expected.tsv` lists `file<TAB>status<TAB>message substring` for every file; for the valid
files (status DEIT_OK) the third column is the derived config, as MalformedCorpusTests formats it.
Plain python3 and the standard library only; the output is deterministic (no randomness), so running
the script again must leave `git status` clean.

Usage: python3 scripts/python/gen_malformed_safetensors.py [output-dir]
"""
import json
import math
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "Tests" / "Fixtures" / "malformed"

# The tiny base model: D=8, 2 heads (from metadata), patch 2, image 4 (2×2 grid, 5 tokens),
# depth 2, MLP hidden 16, 3 classes. ~6 KB in F32.
BASE = dict(d=8, patch=2, grid=2, depth=2, hidden=16, classes=3, distilled=False)
BASE_METADATA = [("format", "pt"), ("num_heads", "2")]

BLOCK_SUFFIXES = ["norm1.weight", "norm1.bias", "attn.qkv.weight", "attn.qkv.bias", "attn.proj.weight",
                  "attn.proj.bias", "norm2.weight", "norm2.bias", "mlp.fc1.weight", "mlp.fc1.bias",
                  "mlp.fc2.weight", "mlp.fc2.bias"]

DTYPE_SIZE = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2, "F16": 2,
              "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "F64": 8, "I64": 8, "U64": 8}


# ---------------------------------------------------------------- model description

class Tensor:
    """A tensor to write: name, dtype, shape; `values` (floats) default to a deterministic pattern."""

    def __init__(self, name, shape, dtype="F32", values=None):
        self.name, self.shape, self.dtype = name, list(shape), dtype
        count = math.prod(self.shape)
        self.values = values if values is not None else [pattern(name, i) for i in range(count)]

    def data(self):
        if self.dtype == "F32":
            return struct.pack(f"<{len(self.values)}f", *self.values)
        if self.dtype == "F16":
            return struct.pack(f"<{len(self.values)}e", *self.values)
        if self.dtype == "BF16":  # the upper half of F32 (all pattern values are exact in BF16)
            return b"".join(struct.pack("<f", v)[2:] for v in self.values)
        if self.dtype == "I8":
            return struct.pack(f"<{len(self.values)}b", *(int(v) for v in self.values))
        if self.dtype == "I64":
            return struct.pack(f"<{len(self.values)}q", *(int(v * 64) for v in self.values))
        raise ValueError(self.dtype)


def pattern(name, index):
    """Small values k/64, exactly representable in F32, F16 and BF16."""
    return ((index * 7 + len(name) * 13) % 29 - 14) / 64.0


def model(d, patch, grid, depth, hidden, classes, distilled, dtype="F32"):
    """The tensors of a DeiT/ViT in timm's names, sorted by name."""
    prefix = 2 if distilled else 1
    shapes = {
        "patch_embed.proj.weight": [d, 3, patch, patch], "patch_embed.proj.bias": [d],
        "cls_token": [1, 1, d], "pos_embed": [1, prefix + grid * grid, d],
        "norm.weight": [d], "norm.bias": [d], "head.weight": [classes, d], "head.bias": [classes],
    }
    if distilled:
        shapes.update({"dist_token": [1, 1, d], "head_dist.weight": [classes, d], "head_dist.bias": [classes]})
    block = {"norm1.weight": [d], "norm1.bias": [d], "attn.qkv.weight": [3 * d, d], "attn.qkv.bias": [3 * d],
             "attn.proj.weight": [d, d], "attn.proj.bias": [d], "norm2.weight": [d], "norm2.bias": [d],
             "mlp.fc1.weight": [hidden, d], "mlp.fc1.bias": [hidden], "mlp.fc2.weight": [d, hidden],
             "mlp.fc2.bias": [d]}
    for i in range(depth):
        for suffix in BLOCK_SUFFIXES:
            shapes[f"blocks.{i}.{suffix}"] = block[suffix]
    dtypes = dtype if isinstance(dtype, list) else [dtype]
    return [Tensor(name, shapes[name], dtypes[i % len(dtypes)]) for i, name in enumerate(sorted(shapes))]


def base_model(**changes):
    spec = dict(BASE)
    spec.update(changes)
    return model(**spec)


def find(tensors, name):
    return next(t for t in tensors if t.name == name)


# ---------------------------------------------------------------- int8 files (deit-cli quantize)

INT8_SLOTS = ["attn.qkv.weight", "attn.proj.weight", "mlp.fc1.weight", "mlp.fc2.weight"]
INT8_METADATA = BASE_METADATA + [("deit.precision", "int8"), ("deit.int8.group_size", "32")]


def f32(value):
    return struct.unpack("<f", struct.pack("<f", value))[0]


def half_ceiling(x):
    """Int8GEMM.halfCeiling: the smallest binary16 value >= x for x in [2^-14, 65504], else x."""
    if not (2.0 ** -14 <= x <= 65504):
        return x
    bits = struct.unpack("<I", struct.pack("<f", x))[0]
    if bits & 0x1FFF == 0:
        return x
    rounded = struct.unpack("<f", struct.pack("<I", (bits & ~0x1FFF) + 0x2000))[0]
    return rounded if rounded <= 65504 else x


def is_half(x):
    """True when x is exactly a finite binary16 value."""
    try:
        return struct.unpack("<e", struct.pack("<e", x))[0] == x
    except OverflowError:
        return False


def quantize(tensors, group=32, current=False):
    """An int8 file's tensors from a float model's: each block Linear weight [n, k] as I8 plus its
    `<name>_scale` [n, ⌈k/group⌉], scale max|w|/64 and values round(w·64/max) to nearest even
    (7-bit weights, in [-64, 64]), in Float32 as the runtime computes them (StoredInt8.swift).
    `current=False`: the format of deit-cli quantize before 2026-12-02 (F32 scales, float heads),
    which must still load. `current=True`: the F16-scale format (each scale rounded up to a binary16
    value, `half_ceiling`, the values round(w / scale), scales F16 when all are binary16 values, the
    heads quantised too) with 7-bit values; today's quantiser (Int8GEMM.quantizeWeight) uses the
    finer pair-bounded grid, of which [-64, 64] is a part, so these files are valid today's too."""
    out = []
    for t in tensors:
        block_linear = t.name.startswith("blocks.") and any(t.name.endswith("." + s) for s in INT8_SLOTS)
        head = current and t.name in ("head.weight", "head_dist.weight")
        if not (block_linear or head):
            out.append(t)
            continue
        n, k = t.shape
        groups = -(-k // group)
        values, scales = [], []
        for row in range(n):
            for g in range(groups):
                part = [f32(v) for v in t.values[row * k + g * group: row * k + min(k, (g + 1) * group)]]
                largest = max(abs(v) for v in part)
                exact = f32(largest / 64)
                scale = half_ceiling(exact) if current else exact
                if largest == 0:
                    inverse = 0.0
                elif scale == exact:
                    inverse = f32(64 / largest)
                else:
                    inverse = f32(1 / scale)
                scales.append(scale)
                values += [max(-64, min(64, round(f32(v * inverse)))) for v in part]
        out.append(Tensor(t.name, [n, k], "I8", values))
        scale_dtype = "F16" if current and all(is_half(v) for v in scales) else "F32"
        out.append(Tensor(t.name + "_scale", [n, groups], scale_dtype, scales))
    return sorted(out, key=lambda t: t.name)


# ---------------------------------------------------------------- JSON text and file assembly

class Raw(str):
    """JSON text inserted verbatim."""


def js(value):
    """Serialises lists of (key, value) pairs as objects (so duplicates can be written), lists as
    arrays, Raw verbatim, everything else with json.dumps."""
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, dict):
        value = list(value.items())
    if isinstance(value, list) and value and isinstance(value[0], tuple):
        return "{" + ",".join(js(k) + ":" + js(v) for k, v in value) + "}"
    if isinstance(value, list):
        return "[" + ",".join(js(v) for v in value) + "]"
    return json.dumps(value)


def layout(tensors, metadata=BASE_METADATA):
    """Header pairs (with consecutive data_offsets, in list order) and the data buffer."""
    pairs, data = [], b""
    if metadata is not None:
        pairs.append(("__metadata__", metadata))
    for t in tensors:
        blob = t.data()
        pairs.append((t.name, [("dtype", t.dtype), ("shape", t.shape),
                               ("data_offsets", [len(data), len(data) + len(blob)])]))
        data += blob
    return pairs, data


def assemble(header, data, length=None, pad=True):
    """8-byte length + header (str or bytes; padded with spaces to a multiple of 8 like the
    reference writer) + data. `length` overrides the declared header length."""
    text = header.encode("utf-8") if isinstance(header, str) else header
    if pad:
        text += b" " * (-(8 + len(text)) % 8)
    declared = len(text) if length is None else length
    return struct.pack("<Q", declared) + text + data


def file_from(tensors, metadata=BASE_METADATA, edit=None):
    """A whole file; `edit(pairs)` may change the header pairs first."""
    pairs, data = layout(tensors, metadata)
    if edit:
        edit(pairs)
    return assemble(js(pairs), data)


def entry(pairs, name):
    return next(v for k, v in pairs if k == name)


def set_field(pairs, name, field, value):
    fields = entry(pairs, name)
    for i, (k, _) in enumerate(fields):
        if k == field:
            fields[i] = (k, value)


def offsets(pairs, name):
    return entry(pairs, name)[2][1]


# ---------------------------------------------------------------- the corpus

CASES = []  # (file name, bytes, status, message substring)


def case(name, data, status, message):
    CASES.append((name + ".safetensors", data, status, message))


def config_text(image, patch, dim, depth, heads, hidden, classes, distilled):
    return (f"image={image} patch={patch} dim={dim} depth={depth} heads={heads} hidden={hidden} "
            f"classes={classes} distilled={int(distilled)}")


def build_corpus():
    FORMAT, UNSUPPORTED, OOM, OK = "DEIT_ERR_FORMAT", "DEIT_ERR_UNSUPPORTED", "DEIT_ERR_OUT_OF_MEMORY", "DEIT_OK"
    base = base_model()
    valid = file_from(base)
    base_pairs, base_data = layout(base)
    base_header = js(base_pairs)

    # Valid files.
    tiny_config = config_text(4, 2, 8, 2, 2, 16, 3, False)
    case("valid_tiny", valid, OK, tiny_config)
    case("valid_tiny_mixed_dtypes", file_from(base_model(dtype=["F32", "F16", "BF16"])), OK, tiny_config)
    case("valid_distilled", file_from(base_model(distilled=True)), OK, config_text(4, 2, 8, 2, 2, 16, 3, True))
    case("valid_d64_heads_inferred_f16",
         file_from(model(d=64, patch=2, grid=1, depth=1, hidden=64, classes=3, distilled=False, dtype="F16"),
                   metadata=None), OK, config_text(2, 2, 64, 1, 1, 64, 3, False))
    case("valid_whitespace", assemble(" \n\t" + js(base_pairs).replace(",", " ,\n ") + "\r\n", base_data),
         OK, tiny_config)

    # Length prefix and header framing.
    case("too_short", b"\x08\x00\x00", FORMAT, "too short for the 8-byte")
    case("header_length_huge", struct.pack("<Q", 2**64 - 1) + valid[8:], FORMAT, "runs past the end")
    case("header_past_end", assemble(base_header, base_data, length=len(base_header) + len(base_data) + 100),
         FORMAT, "runs past the end")
    case("header_length_zero", struct.pack("<Q", 0) + valid[8:], FORMAT, "header length is 0")
    case("header_not_brace", assemble("[" + base_header[1:-1] + "]", base_data), FORMAT, "does not start with '{'")
    bad_utf8 = base_header.replace('"pt"', '"p\udcff"').encode("utf-8", "surrogateescape")
    case("invalid_utf8", assemble(bad_utf8, base_data), FORMAT, "not valid UTF-8 at byte offset")
    overlong = base_header.replace('"pt"', '"p\udcc0\udcaf"').encode("utf-8", "surrogateescape")
    case("invalid_utf8_overlong", assemble(overlong, base_data), FORMAT, "not valid UTF-8 at byte offset")
    case("not_json", assemble("{this is not json}", b""), FORMAT, "expected a string key")
    cut = base_header.index('"shape":[') + len('"shape":[')
    case("truncated_json", assemble(base_header[:cut], base_data, pad=False), FORMAT, "unexpected end of JSON")
    case("trailing_garbage", assemble(base_header + " x", base_data, pad=False), FORMAT,
         "unexpected bytes after the JSON object")
    case("trailing_comma", assemble(base_header[:-1] + ",}", base_data), FORMAT, "expected a string key")
    case("lone_surrogate", assemble(base_header.replace('"pt"', '"\\ud800x"'), base_data), FORMAT,
         "unpaired high surrogate")
    case("control_char_in_string", assemble(base_header.replace('"pt"', '"p\tt"'), base_data), FORMAT,
         "control character 0x09")
    case("bad_escape", assemble(base_header.replace('"pt"', '"p\\qt"'), base_data), FORMAT, "invalid escape")
    case("deep_nesting",
         file_from(base, edit=lambda p: set_field(p, "norm.bias", "shape", Raw("[" * 100 + "8" + "]" * 100))),
         FORMAT, "nested deeper than 64")
    case("leading_zero_number", file_from(base, edit=lambda p: set_field(p, "norm.bias", "shape", Raw("[08]"))),
         FORMAT, "leading zero")

    # Keys and entries.
    def duplicate_key(p):
        p.append(("norm.bias", entry(p, "norm.bias")))
    case("duplicate_key", file_from(base, edit=duplicate_key), FORMAT, "duplicate tensor 'norm.bias'")

    def duplicate_escaped_key(p):  # the same name spelled with a \u escape is still a duplicate
        p.append((Raw('"norm\\u002ebias"'), entry(p, "norm.bias")))
    case("duplicate_key_escaped", file_from(base, edit=duplicate_escaped_key), FORMAT, "duplicate tensor 'norm.bias'")
    case("duplicate_metadata_object", file_from(base, edit=lambda p: p.append(("__metadata__", [("a", "b")]))),
         FORMAT, "duplicate key '__metadata__'")
    case("duplicate_metadata_key", file_from(base, metadata=BASE_METADATA + [("format", "np")]), FORMAT,
         "__metadata__ has duplicate key 'format'")
    case("duplicate_field", file_from(base, edit=lambda p: entry(p, "norm.bias").append(("dtype", "F32"))),
         FORMAT, "tensor 'norm.bias': duplicate field 'dtype'")
    case("unknown_field", file_from(base, edit=lambda p: entry(p, "norm.bias").append(("strides", [1]))),
         FORMAT, "tensor 'norm.bias': unknown field 'strides'")
    case("missing_field", file_from(base, edit=lambda p: entry(p, "norm.bias").pop()),
         FORMAT, "tensor 'norm.bias': missing field 'data_offsets'")

    def entry_not_object(p):
        p[[k for k, _ in p].index("norm.bias")] = ("norm.bias", [1, 2])
    case("entry_not_object", file_from(base, edit=entry_not_object), FORMAT, "tensor 'norm.bias': entry is not a JSON object")
    case("dtype_not_string", file_from(base, edit=lambda p: set_field(p, "norm.bias", "dtype", 4)),
         FORMAT, "tensor 'norm.bias': dtype is not a string")
    case("unknown_dtype", file_from(base, edit=lambda p: set_field(p, "norm.bias", "dtype", "F33")),
         FORMAT, "tensor 'norm.bias': unknown dtype 'F33'")
    case("dtype_lowercase", file_from(base, edit=lambda p: set_field(p, "norm.bias", "dtype", "f32")),
         FORMAT, "tensor 'norm.bias': unknown dtype 'f32'")
    case("metadata_not_object", file_from(base, metadata=None, edit=lambda p: p.insert(0, ("__metadata__", "pt"))),
         FORMAT, "__metadata__ is not a JSON object")
    case("metadata_not_string", file_from(base, metadata=[("format", "pt"), ("num_heads", Raw("2"))]),
         FORMAT, "__metadata__ value for key 'num_heads' is not a string")

    # Shapes.
    def overflow_poc(p):
        # The safetensors-cpp integer-overflow PoC: the product wraps to 4 elements (16 bytes of F32).
        begin, end = offsets(p, "norm.bias")
        entry(p, "norm.bias")[:] = [("dtype", "F32"), ("shape", [4194305, 4194305, 211106198978564]),
                                    ("data_offsets", [begin, begin + 16])]
    poc_tensors = base_model()
    find(poc_tensors, "norm.bias").values = [0.0] * 4  # 16 bytes, so the file still tiles exactly
    case("shape_overflow_poc", file_from(poc_tensors, edit=overflow_poc), FORMAT,
         "tensor 'norm.bias': shape [4194305, 4194305, 211106198978564] element count overflows")
    case("shape_negative", file_from(base, edit=lambda p: set_field(p, "norm.bias", "shape", [-8])),
         FORMAT, "tensor 'norm.bias': shape entries must be non-negative integers")
    case("shape_float", file_from(base, edit=lambda p: set_field(p, "norm.bias", "shape", Raw("[8.0]"))),
         FORMAT, "tensor 'norm.bias': shape entries must be non-negative integers")
    case("shape_too_large_integer",
         file_from(base, edit=lambda p: set_field(p, "norm.bias", "shape", Raw("[99999999999999999999]"))),
         FORMAT, "non-negative integers below 2^63")
    case("shape_not_array", file_from(base, edit=lambda p: set_field(p, "norm.bias", "shape", 8)),
         FORMAT, "tensor 'norm.bias': shape is not a JSON array")
    case("shape_too_many_dims", file_from(base, edit=lambda p: set_field(p, "norm.bias", "shape", [1] * 16 + [8])),
         OOM, "maxRank limit (16)")

    # Offsets and tiling.
    def reversed_offsets(p):
        begin, end = offsets(p, "norm.bias")
        set_field(p, "norm.bias", "data_offsets", [end, begin])
    bias_begin, bias_end = offsets(base_pairs, "norm.bias")
    case("offsets_reversed", file_from(base, edit=reversed_offsets), FORMAT,
         f"tensor 'norm.bias': data_offsets [{bias_end}, {bias_begin}] are reversed")

    def negative_offsets(p):
        begin, end = offsets(p, "norm.bias")
        set_field(p, "norm.bias", "data_offsets", [-4, end])
    case("offsets_negative", file_from(base, edit=negative_offsets), FORMAT,
         "tensor 'norm.bias': data_offsets must be exactly two non-negative integers")
    case("offsets_three", file_from(base, edit=lambda p: offsets(p, "norm.bias").append(0)), FORMAT,
         "tensor 'norm.bias': data_offsets must be exactly two non-negative integers")

    def overlapping(p):
        begin, end = offsets(p, "norm.weight")  # norm.weight follows norm.bias in the buffer
        set_field(p, "norm.weight", "data_offsets", [begin - 4, end - 4])
    case("offsets_overlapping", file_from(base, edit=overlapping), FORMAT, "overlap the bytes up to")

    def with_hole():
        pairs, data = layout(base)
        begin, _ = offsets(pairs, "norm.weight")
        for _, fields in pairs[1:]:
            o = fields[2][1]
            if o[0] >= begin:
                o[0], o[1] = o[0] + 4, o[1] + 4
        return assemble(js(pairs), data[:begin] + b"\0" * 4 + data[begin:])
    case("offsets_hole", with_hole(), FORMAT, "has a hole")
    case("data_trailing_bytes", assemble(base_header, base_data + b"\0" * 4), FORMAT, "4 bytes after the last tensor")
    case("offsets_out_of_bounds", assemble(base_header, base_data[:-4]), FORMAT, "is past the end of the")

    def span_mismatch(p):
        set_field(p, "norm.bias", "shape", [7])
    case("span_mismatch", file_from(base, edit=span_mismatch), FORMAT,
         "tensor 'norm.bias': data_offsets span 32 bytes but shape [7] of F32 needs 28")

    def zero_size_alias(p):  # a zero-size tensor claiming a real tensor's bytes
        p.append(("alias", [("dtype", "F32"), ("shape", [0]), ("data_offsets", list(offsets(p, "norm.bias")))]))
    case("zero_size_alias", file_from(base, edit=zero_size_alias), FORMAT,
         "tensor 'alias': data_offsets span 32 bytes but shape [0] of F32 needs 0")

    def zero_size_inside(p):  # a zero-size tensor placed inside a real tensor
        begin, _ = offsets(p, "norm.bias")
        p.append(("alias", [("dtype", "F32"), ("shape", [0]), ("data_offsets", [begin + 4, begin + 4])]))
    case("zero_size_inside", file_from(base, edit=zero_size_inside), FORMAT,
         f"tensor 'alias': data_offsets [{bias_begin + 4}, {bias_begin + 4}] overlap the bytes up to {bias_end} "
         "of tensor 'norm.bias'")

    # Schema.
    case("missing_tensor", file_from([t for t in base if t.name != "norm.bias"]), FORMAT, "missing tensor 'norm.bias'")
    case("missing_block_tensor", file_from([t for t in base if t.name != "blocks.1.mlp.fc2.bias"]), FORMAT,
         "missing tensor 'blocks.1.mlp.fc2.bias'")
    case("extra_tensor", file_from(base + [Tensor("extra.weight", [8])]), FORMAT, "unexpected tensor 'extra.weight'")
    case("zero_size_extra_tensor", file_from(base + [Tensor("empty", [0])]), FORMAT, "unexpected tensor 'empty'")
    case("wrong_shape", file_from(base, edit=lambda p: set_field(p, "blocks.0.attn.proj.weight", "shape", [4, 16])),
         FORMAT, "tensor 'blocks.0.attn.proj.weight' has shape [4, 16]; expected [8, 8]")
    case("wrong_hidden_dim_block1",
         file_from(base, edit=lambda p: set_field(p, "blocks.1.mlp.fc1.bias", "shape", [8, 2])),
         FORMAT, "tensor 'blocks.1.mlp.fc1.bias' has shape [8, 2]; expected [16]")

    def renamed(tensors, old, new):
        for t in tensors:
            if t.name.startswith(old):
                t.name = new + t.name[len(old):]
        return sorted(tensors, key=lambda t: t.name)
    case("block_gap", file_from(renamed(base_model(), "blocks.1.", "blocks.2.")), FORMAT,
         "missing tensor 'blocks.1.norm1.weight': block 1 is absent")
    case("block_index_overflow", file_from(renamed(base_model(), "blocks.1.", "blocks.99999999999999999999.")),
         OOM, "block index is at or above the maxDepth limit")
    case("block_index_leading_zero", file_from(renamed(base_model(), "blocks.1.", "blocks.01.")), FORMAT,
         "unexpected tensor 'blocks.01.")
    case("block_unknown_suffix", file_from(base + [Tensor("blocks.0.attn.q.weight", [8, 8])]), FORMAT,
         "unexpected tensor 'blocks.0.attn.q.weight'")
    case("no_blocks", file_from([t for t in base if not t.name.startswith("blocks.")]), FORMAT,
         "missing tensor 'blocks.0.norm1.weight'")
    case("dist_token_without_head_dist", file_from(base_model() + [Tensor("dist_token", [1, 1, 8])]), FORMAT,
         "missing tensor 'head_dist.weight'")
    case("head_dist_without_dist_token",
         file_from(base_model() + [Tensor("head_dist.weight", [3, 8]), Tensor("head_dist.bias", [3])]),
         FORMAT, "unexpected tensor 'head_dist.weight'")
    case("pos_grid_not_square",
         file_from([Tensor("pos_embed", [1, 7, 8]) if t.name == "pos_embed" else t for t in base_model()]),
         FORMAT, "do not form a square grid")  # neither prefix + G² nor G² (DeiT III's no_embed_class)
    layer_scale = base_model() + [Tensor(f"blocks.{i}.ls{j}.gamma", [16] if (i, j) == (0, 1) else [8])
                                  for i in range(BASE["depth"]) for j in (1, 2)]
    case("layer_scale_gamma_wrong_shape", file_from(sorted(layer_scale, key=lambda t: t.name)), FORMAT,
         "tensor 'blocks.0.ls1.gamma' has shape [16]")
    # Registers run now; these 4 added to a model whose pos_embed covers 1 prefix token leave no grid.
    case("register_tokens", file_from(sorted(base_model() + [Tensor("reg_token", [1, 4, 8])], key=lambda t: t.name)),
         FORMAT, "after 5 prefix token(s) the 0 patches do not form a square grid")
    case("zero_embed_dim", file_from(base_model(d=0)), FORMAT, "embed dim D is 0")
    case("in_channels_4", file_from([Tensor(t.name, [8, 4, 2, 2]) if t.name == "patch_embed.proj.weight" else t
                                     for t in base_model()]), UNSUPPORTED, "4 input channels")
    case("patch_not_square", file_from([Tensor(t.name, [8, 3, 2, 1]) if t.name == "patch_embed.proj.weight" else t
                                        for t in base_model()]), UNSUPPORTED, "non-square 2×1 patch kernel")
    i64 = base_model()
    find(i64, "norm.bias").dtype = "I64"
    case("unsupported_dtype_i64", file_from(i64), UNSUPPORTED, "tensor 'norm.bias' has dtype I64")
    case("num_heads_not_dividing", file_from(base, metadata=[("num_heads", "3")]), FORMAT,
         "num_heads '3' does not divide embed dim 8")
    case("num_heads_zero", file_from(base, metadata=[("num_heads", "0")]), FORMAT, "num_heads '0' does not divide")
    case("num_heads_not_decimal", file_from(base, metadata=[("num_heads", "two")]), FORMAT,
         "num_heads 'two' is not a decimal integer")
    case("num_heads_uninferable", file_from(base, metadata=None), UNSUPPORTED, "add __metadata__ \"num_heads\"")
    case("empty_header", assemble("{}", b""), FORMAT, "missing tensor")

    # Values.
    nan = base_model()
    find(nan, "blocks.0.mlp.fc1.weight").values[37] = float("nan")
    case("nan_weight", file_from(nan), FORMAT, "tensor 'blocks.0.mlp.fc1.weight' contains NaN at element 37")
    inf = base_model()
    find(inf, "head.weight").values[5] = float("-inf")
    case("inf_weight", file_from(inf), FORMAT, "tensor 'head.weight' contains -Inf at element 5")
    inf16 = base_model(dtype="F16")
    find(inf16, "norm.weight").values[3] = float("inf")
    case("inf_weight_f16", file_from(inf16), FORMAT, "tensor 'norm.weight' contains +Inf at element 3")
    nan_bf16 = base_model(dtype="BF16")
    find(nan_bf16, "cls_token").values[0] = float("nan")
    case("nan_weight_bf16", file_from(nan_bf16), FORMAT, "tensor 'cls_token' contains NaN at element 0")

    build_int8_cases(tiny_config)


def build_int8_cases(tiny_config):
    """Int8 files (deit-cli quantize): the valid one, then one per rule of StoredInt8.swift."""
    FORMAT, UNSUPPORTED, OK = "DEIT_ERR_FORMAT", "DEIT_ERR_UNSUPPORTED", "DEIT_OK"
    int8 = quantize(base_model())
    case("valid_int8", file_from(int8, INT8_METADATA), OK, tiny_config)

    def changed(name, **fields):
        tensors = quantize(base_model())
        tensor = find(tensors, name)
        for field, value in fields.items():
            setattr(tensor, field, value)
        return tensors
    scale = "blocks.0.attn.qkv.weight_scale"
    case("int8_scale_wrong_shape", file_from(changed(scale, shape=[24, 2], values=[0.01] * 48), INT8_METADATA),
         FORMAT, "tensor 'blocks.0.attn.qkv.weight_scale' has shape [24, 2]; expected [24, 1]")
    case("int8_scale_wrong_dtype", file_from(changed(scale, dtype="BF16"), INT8_METADATA), FORMAT,
         "tensor 'blocks.0.attn.qkv.weight_scale' has dtype BF16; int8 weight scales are F32 or F16")
    for label, value, message in [("nan", float("nan"), "contains NaN at element 3"),
                                  ("zero", 0.0, "has a zero scale for nonzero weights at [3, 0]"),
                                  ("negative", -0.01, "has a negative scale at [3, 0]")]:
        tensors = quantize(base_model())
        find(tensors, "blocks.1.mlp.fc1.weight_scale").values[3] = value
        case(f"int8_scale_{label}", file_from(tensors, INT8_METADATA), FORMAT,
             f"tensor 'blocks.1.mlp.fc1.weight_scale' {message}")
    # Weights the int8 kernels cannot take, valid I8 all the same (a plain 8-bit quantiser's): -128, or
    # an even-aligned pair along a row with |w[2i]| + |w[2i+1]| > 128 (vpmaddubsw's pair sums of
    # 255 times that would saturate). [1, 0] and [1, 1] are a pair (index 16 and 17 of [8, 16]).
    for label, first, second, message in [
            ("minus_128", None, -128, "has -128 at [1, 1]"),
            ("127", 2, 127, "has 2 and 127 at [1, 0] and [1, 1]"),
            ("65", 64, 65, "has 64 and 65 at [1, 0] and [1, 1]")]:
        tensors = quantize(base_model())
        weight = find(tensors, "blocks.0.mlp.fc2.weight")
        if first is not None:
            weight.values[16] = first
        weight.values[17] = second
        case(f"int8_weight_{label}", file_from(tensors, INT8_METADATA), UNSUPPORTED,
             f"tensor 'blocks.0.mlp.fc2.weight' {message}; this runtime's int8 weights lie in [-127, 127] with |w[r, 2i]| + |w[r, 2i+1]| <= 128")
    # The largest weights the rule allows: pairs (127, 1), (-1, -127), (64, -64), (-64, 64).
    tensors = quantize(base_model())
    weight = find(tensors, "blocks.0.mlp.fc2.weight")
    weight.values[16:24] = [127, 1, -1, -127, 64, -64, -64, 64]
    case("valid_int8_largest_pairs", file_from(tensors, INT8_METADATA), OK, tiny_config)
    case("int8_layernorm_i8", file_from(changed("blocks.0.norm1.weight", dtype="I8", values=[1] * 8), INT8_METADATA),
         FORMAT, "tensor 'blocks.0.norm1.weight' has dtype I8; in an int8 file only the Linear weights (the blocks'")
    # An I8 head needs its scale; a scale needs an I8 head; the patch embedding is never I8.
    case("int8_head_i8", file_from(changed("head.weight", dtype="I8", values=[1] * 24), INT8_METADATA),
         FORMAT, "missing tensor 'head.weight_scale'")
    case("int8_patch_i8", file_from(changed("patch_embed.proj.weight", dtype="I8", values=[1] * 96), INT8_METADATA),
         FORMAT, "tensor 'patch_embed.proj.weight' has dtype I8; in an int8 file only the Linear weights")

    # Today's files (deit-cli quantize since 2026-12-02): F16 scales, I8 head; each rule again.
    current = quantize(base_model(), current=True)
    case("valid_int8_f16_scales", file_from(current, INT8_METADATA), OK, tiny_config)

    def changed_current(name, **fields):
        tensors = quantize(base_model(), current=True)
        tensor = find(tensors, name)
        for field, value in fields.items():
            setattr(tensor, field, value)
        return tensors
    assert find(current, "head.weight_scale").dtype == "F16" and find(current, scale).dtype == "F16"
    case("int8_head_scale_for_float_head",
         file_from(sorted(quantize(base_model()) + [find(current, "head.weight_scale")], key=lambda t: t.name), INT8_METADATA),
         FORMAT, "unexpected tensor 'head.weight_scale' (a scale for a weight that is not I8")
    case("int8_head_scale_wrong_shape", file_from(changed_current("head.weight_scale", shape=[1, 3]), INT8_METADATA),
         FORMAT, "tensor 'head.weight_scale' has shape [1, 3]; expected [3, 1]")
    for label, value, message in [("inf", float("inf"), "contains +Inf at element 2"),
                                  ("zero", 0.0, "has a zero scale for nonzero weights at [2, 0]"),
                                  ("negative", -0.01, "has a negative scale at [2, 0]")]:
        tensors = quantize(base_model(), current=True)
        find(tensors, "head.weight_scale").values[2] = value
        case(f"int8_head_scale_f16_{label}", file_from(tensors, INT8_METADATA), FORMAT,
             f"tensor 'head.weight_scale' {message}")
    tensors = quantize(base_model(), current=True)
    find(tensors, "blocks.1.mlp.fc1.weight_scale").values[3] = float("nan")
    case("int8_scale_f16_nan", file_from(tensors, INT8_METADATA), FORMAT,
         "tensor 'blocks.1.mlp.fc1.weight_scale' contains NaN at element 3")
    tensors = quantize(base_model(), current=True)
    find(tensors, "head.weight").values[0:2] = [64, 65]
    case("int8_head_weight_65", file_from(tensors, INT8_METADATA), UNSUPPORTED,
         "tensor 'head.weight' has 64 and 65 at [0, 0] and [0, 1]; this runtime's int8 weights lie in [-127, 127] with |w[r, 2i]| + |w[r, 2i+1]| <= 128")
    f32_weight = quantize(base_model())
    float_weight = find(base_model(), "blocks.1.attn.proj.weight")
    f32_weight = [float_weight if t.name == float_weight.name else t for t in f32_weight]
    case("int8_weight_left_f32", file_from(f32_weight, INT8_METADATA), FORMAT,
         "tensor 'blocks.1.attn.proj.weight' has dtype F32; an int8 file")
    case("int8_missing_scale",
         file_from([t for t in quantize(base_model()) if t.name != "blocks.1.mlp.fc2.weight_scale"], INT8_METADATA),
         FORMAT, "missing tensor 'blocks.1.mlp.fc2.weight_scale'")
    case("int8_scale_for_absent_block",
         file_from(sorted(quantize(base_model()) + [Tensor("blocks.2.mlp.fc2.weight_scale", [8, 1])],
                          key=lambda t: t.name), INT8_METADATA),
         FORMAT, "unexpected tensor 'blocks.2.mlp.fc2.weight_scale'")
    case("int8_scales_without_marker", file_from(int8, BASE_METADATA), FORMAT,
         "an int8 weight scale, but __metadata__ 'deit.precision' is not 'int8'")
    case("int8_weights_without_marker",
         file_from([t for t in int8 if not t.name.endswith("_scale")], BASE_METADATA), UNSUPPORTED,
         "has dtype I8; only F32, F16 and BF16")
    case("int8_precision_unknown", file_from(int8, BASE_METADATA + [("deit.precision", "int4"), ("deit.int8.group_size", "32")]),
         UNSUPPORTED, "'deit.precision' is 'int4'")
    case("int8_group_size_missing", file_from(int8, BASE_METADATA + [("deit.precision", "int8")]), FORMAT,
         "no 'deit.int8.group_size'")
    case("int8_group_size_not_decimal", file_from(int8, BASE_METADATA + [("deit.precision", "int8"), ("deit.int8.group_size", "3x")]),
         FORMAT, "'deit.int8.group_size' is '3x'")
    case("int8_group_size_mismatch", file_from(int8, BASE_METADATA + [("deit.precision", "int8"), ("deit.int8.group_size", "4")]),
         FORMAT, "tensor 'blocks.0.attn.qkv.weight_scale' has shape [24, 1]; expected [24, 2]")
    case("int8_group_size_unsupported",
         file_from(quantize(base_model(), group=4), BASE_METADATA + [("deit.precision", "int8"), ("deit.int8.group_size", "4")]),
         UNSUPPORTED, "this runtime's int8 kernels use groups of 32 inputs")
    pairs, data = layout(int8, INT8_METADATA)
    case("int8_truncated_data", assemble(js(pairs), data[:-5]), FORMAT, "past the end of the")
    layer_scale = sorted(base_model() + [Tensor(f"blocks.{i}.ls{j}.gamma", [8]) for i in range(BASE["depth"]) for j in (1, 2)],
                         key=lambda t: t.name)
    case("int8_layer_scale_not_folded", file_from(quantize(layer_scale), INT8_METADATA), FORMAT,
         "needs __metadata__ 'deit.int8.layer_scale' 'folded'")


def main():
    build_corpus()
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.safetensors"):
        old.unlink()
    rows = ["# file\tstatus\tmessage substring (DEIT_OK rows: the derived config)"]
    for name, data, status, message in CASES:
        (OUT / name).write_bytes(data)
        rows.append(f"{name}\t{status}\t{message}")
    (OUT / "expected.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    print(f"wrote {len(CASES)} files to {OUT}")


if __name__ == "__main__":
    main()
