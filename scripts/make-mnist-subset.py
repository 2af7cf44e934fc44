#!/usr/bin/env python3
"""Writes fixtures/mnist/: the first 500 training and 100 test images of MNIST (with labels) as
gzip IDX files, from ../shared/data/mnist. Deterministic (gzip mtime 0), so re-running it gives
the same bytes. Usage: python3 scripts/make-mnist-subset.py [SOURCE_DIR] [OUT_DIR]"""
import gzip, struct, sys, pathlib

root = pathlib.Path(__file__).resolve().parent.parent
source = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else root.parent / "shared/data/mnist"
out = pathlib.Path(sys.argv[2]) if len(sys.argv) > 2 else root / "fixtures/mnist"
out.mkdir(parents=True, exist_ok=True)

def subset(name, count):
    data = gzip.open(source / name).read()
    rank = data[3]
    dims = list(struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank]))
    item = 1
    for d in dims[1:]:
        item *= d
    start = 4 + 4 * rank
    body = data[start:start + count * item]
    header = data[:4] + struct.pack(">" + "I" * rank, count, *dims[1:])
    with open(out / name, "wb") as f:
        f.write(gzip.compress(header + body, compresslevel=9, mtime=0))

for split, count in (("train", 500), ("t10k", 100)):
    subset(f"{split}-images-idx3-ubyte.gz", count)
    subset(f"{split}-labels-idx1-ubyte.gz", count)
print(f"wrote {out}")
