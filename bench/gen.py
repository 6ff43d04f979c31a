#!/usr/bin/env python3
"""Generate a layered contin config of N `fake_resource`s (fake provider).

Same shape as ../../shared/bench/gen-tf.py (the Terraform side): resource i
references resource i-WIDTH when it exists, so the graph has ceil(N/WIDTH)
layers of WIDTH independent resources. LATENCY_MS sets the fake provider's
per-operation latency on every resource (0 = none).

usage: gen.py N WIDTH OUTDIR [LATENCY_MS]
"""
import os
import sys


def main() -> int:
    if len(sys.argv) not in (4, 5):
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    n, width, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    latency = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    if n < 1 or width < 1 or latency < 0:
        print("N and WIDTH must be >= 1, LATENCY_MS >= 0", file=sys.stderr)
        return 2
    os.makedirs(out, exist_ok=True)
    parts = ['provider "fake" {}\n']
    for i in range(n):
        value = f"fake_resource.r{i - width}.id" if i >= width else f'"v{i}"'
        attrs = [("name", f'"r{i}"'), ("value", value)]
        if latency:
            attrs.append(("latency_ms", str(latency)))
        pad = max(len(k) for k, _ in attrs)
        body = "".join(f"  {k.ljust(pad)} = {v}\n" for k, v in attrs)
        parts.append(f'\nresource "fake_resource" "r{i}" {{\n{body}}}\n')
    with open(os.path.join(out, "main.hcl"), "w") as f:
        f.write("".join(parts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
