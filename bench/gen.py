#!/usr/bin/env python3
"""Generate a contin config of `fake_resource`s (fake provider).

Shape `layered` (default; same as gen-tf.py for Terraform): N resources,
resource i references resource i-WIDTH when it exists, so the graph has
ceil(N/WIDTH) layers of WIDTH independent resources.

Shape `count` (`--shape count`): two blocks of N instances each,
`a` (count = N) and `b` (count = N) where `b[i]` uses
`fake_resource.a[count.index].id`; WIDTH is ignored. This is the shape that
was quadratic when dependencies were stored instance x instance.

LATENCY_MS sets the fake provider's per-operation latency on every resource
(0 = none).

usage: gen.py [--shape layered|count] N WIDTH OUTDIR [LATENCY_MS]
"""
import os
import sys


def layered(n, width, latency):
    parts = ['provider "fake" {}\n']
    for i in range(n):
        value = f"fake_resource.r{i - width}.id" if i >= width else f'"v{i}"'
        attrs = [("name", f'"r{i}"'), ("value", value)]
        if latency:
            attrs.append(("latency_ms", str(latency)))
        pad = max(len(k) for k, _ in attrs)
        body = "".join(f"  {k.ljust(pad)} = {v}\n" for k, v in attrs)
        parts.append(f'\nresource "fake_resource" "r{i}" {{\n{body}}}\n')
    return "".join(parts)


def count(n, latency):
    lat = f"  latency_ms = {latency}\n" if latency else ""
    return (
        'provider "fake" {}\n\n'
        f'resource "fake_resource" "a" {{\n  count = {n}\n  name  = "a${{count.index}}"\n{lat}}}\n\n'
        f'resource "fake_resource" "b" {{\n  count = {n}\n  name  = "b${{count.index}}"\n'
        f"  value = fake_resource.a[count.index].id\n{lat}}}\n"
    )


def main() -> int:
    args = sys.argv[1:]
    shape = "layered"
    if len(args) >= 2 and args[0] == "--shape":
        shape, args = args[1], args[2:]
    if shape not in ("layered", "count") or len(args) not in (3, 4):
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    n, width, out = int(args[0]), int(args[1]), args[2]
    latency = int(args[3]) if len(args) > 3 else 0
    if n < 1 or width < 1 or latency < 0:
        print("N and WIDTH must be >= 1, LATENCY_MS >= 0", file=sys.stderr)
        return 2
    os.makedirs(out, exist_ok=True)
    text = layered(n, width, latency) if shape == "layered" else count(n, latency)
    with open(os.path.join(out, "main.hcl"), "w") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
