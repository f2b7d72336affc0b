#!/usr/bin/env python3
"""Generate Tests/Fixtures/malformed-config: timm config.json files, each placed beside a copy of
Tests/Fixtures/malformed/valid_tiny.safetensors by MalformedConfigCorpusTests, with the status and
message substring loading must give (expected.tsv). Every malformed one is DEIT_ERR_FORMAT naming
the key; well-formed ones describing what deit does not run are DEIT_ERR_UNSUPPORTED by name.

    python3 scripts/python/gen_malformed_config.py
"""
import os

OUT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tests", "Fixtures",
                                    "malformed-config"))

# name, config.json text, status, message substring. valid_tiny: D 8, depth 2, 3 classes, 2 heads.
CASES = [
    ("valid", '{"architecture": "my_vit", "num_classes": 3, "global_pool": "token", "model_args": {"depth": 2},'
              ' "pretrained_cfg": {"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5], "crop_pct": 1.0},'
              ' "label_names": ["a", "b", "c"]}', "DEIT_OK", ""),
    ("not_object", "[1, 2]", "DEIT_ERR_FORMAT", "config.json: expected a JSON object"),
    ("truncated", '{"num_classes": 3', "DEIT_ERR_FORMAT", "config.json"),
    ("trailing_bytes", '{} {}', "DEIT_ERR_FORMAT", "unexpected bytes after the JSON object"),
    ("invalid_utf8", b'{"architecture": "\xff"}', "DEIT_ERR_FORMAT", "config.json: invalid UTF-8"),
    ("deep_nesting", '{"x": ' + "[" * 100 + "]" * 100 + "}", "DEIT_ERR_FORMAT", "nested deeper"),
    ("architecture_number", '{"architecture": 5}', "DEIT_ERR_FORMAT", "'architecture' is not a string"),
    ("num_classes_wrong", '{"num_classes": 1000}', "DEIT_ERR_FORMAT", "num_classes: config.json says 1000"),
    ("num_classes_text", '{"num_classes": "three"}', "DEIT_ERR_FORMAT", "'num_classes'"),
    ("model_args_not_object", '{"model_args": [1]}', "DEIT_ERR_FORMAT", "'model_args' is not a JSON object"),
    ("num_heads_negative", '{"model_args": {"num_heads": -2}}', "DEIT_ERR_FORMAT", "'model_args.num_heads'"),
    ("embed_dim_wrong", '{"model_args": {"embed_dim": 16}}', "DEIT_ERR_FORMAT", "embed_dim: config.json says 16"),
    ("depth_wrong", '{"model_args": {"depth": 12}}', "DEIT_ERR_FORMAT", "depth: config.json says 12"),
    ("class_token_text", '{"model_args": {"class_token": "yes"}}', "DEIT_ERR_FORMAT", "'model_args.class_token'"),
    ("init_values_text", '{"model_args": {"init_values": "small"}}', "DEIT_ERR_FORMAT", "'model_args.init_values'"),
    ("global_pool_conflict", '{"global_pool": "token", "model_args": {"global_pool": "avg"}}', "DEIT_ERR_FORMAT",
     "'model_args.global_pool'"),
    ("global_pool_unknown", '{"global_pool": "median"}', "DEIT_ERR_FORMAT", "'global_pool'"),
    ("pretrained_cfg_not_object", '{"pretrained_cfg": "bicubic"}', "DEIT_ERR_FORMAT", "'pretrained_cfg' is not a JSON object"),
    ("mean_two_values", '{"pretrained_cfg": {"mean": [0.5, 0.5]}}', "DEIT_ERR_FORMAT", "'pretrained_cfg.mean'"),
    ("mean_nested", '{"pretrained_cfg": {"mean": [[0.5], 0.5, 0.5]}}', "DEIT_ERR_FORMAT", "'pretrained_cfg.mean'"),
    ("std_zero", '{"pretrained_cfg": {"std": [0.5, 0, 0.5]}}', "DEIT_ERR_FORMAT", "'pretrained_cfg.std'"),
    ("crop_pct_above_one", '{"pretrained_cfg": {"crop_pct": 1.5}}', "DEIT_ERR_FORMAT", "'pretrained_cfg.crop_pct'"),
    ("interpolation_unknown", '{"pretrained_cfg": {"interpolation": "cubic"}}', "DEIT_ERR_FORMAT",
     "'pretrained_cfg.interpolation'"),
    ("crop_mode_unknown", '{"pretrained_cfg": {"crop_mode": "middle"}}', "DEIT_ERR_FORMAT", "'pretrained_cfg.crop_mode'"),
    ("input_size_short", '{"pretrained_cfg": {"input_size": [3, 224]}}', "DEIT_ERR_FORMAT", "'pretrained_cfg.input_size'"),
    ("label_names_not_list", '{"label_names": "a b c"}', "DEIT_ERR_FORMAT", "'label_names'"),
    ("label_names_number", '{"label_names": ["a", 2, "c"]}', "DEIT_ERR_FORMAT", "'label_names'[1] is not a string"),
    ("label_names_count", '{"label_names": ["a", "b"]}', "DEIT_ERR_FORMAT", "'label_names' has 2 names"),
    ("label_names_nul", '{"label_names": ["a", "b\\u0000", "c"]}', "DEIT_ERR_FORMAT", "contains a NUL character"),
    ("global_pool_map", '{"global_pool": "map"}', "DEIT_ERR_UNSUPPORTED",
     "global_pool 'map' (from config.json) is not supported"),
    # Registers run; a description of 4 where the tensors have none is a disagreement.
    ("reg_tokens", '{"model_args": {"reg_tokens": 4}}', "DEIT_ERR_FORMAT",
     "reg_tokens: config.json says 4, the tensors (reg_token) 0"),
    ("layer_scale_without_gamma", '{"model_args": {"init_values": 1e-05}}', "DEIT_ERR_FORMAT",
     "LayerScale (init_values): config.json says yes, the tensors (blocks.*.ls1.gamma) no"),
    # deit runs CaiT: a Cait description over ViT tensors is a disagreement, not an unsupported model.
    ("cait", '{"architecture": "cait_xxs24_224"}', "DEIT_ERR_FORMAT", "architecture table says timm's Cait"),
]


def main() -> None:
    os.makedirs(OUT, exist_ok=True)
    rows = ["# file\tstatus\tmessage substring (each file is loaded as the config.json beside valid_tiny.safetensors)"]
    for name, text, status, substring in CASES:
        data = text if isinstance(text, bytes) else text.encode()
        with open(os.path.join(OUT, name + ".json"), "wb") as out:
            out.write(data)
        rows.append(f"{name}.json\t{status}\t{substring}")
    with open(os.path.join(OUT, "expected.tsv"), "w") as out:
        out.write("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
