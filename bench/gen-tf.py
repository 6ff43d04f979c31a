#!/usr/bin/env python3
"""Generate a Terraform config of `terraform_data` resources.

Shape `layered` (default): N resources, resource i references resource
i-WIDTH (when it exists), so the graph has ceil(N/WIDTH) layers of WIDTH
independent resources: the same shape that gen.py generates for contin's
fake provider. Copied from the shared peer benchmark helpers (which have
only this shape) so that a clean clone can run bench/run.sh on its own.

Shape `count` (`--shape count`): `a` and `b` with count = N each, `b[i]`
using `terraform_data.a[count.index].id` (WIDTH ignored), as in gen.py.

usage: gen-tf.py [--shape layered|count] N WIDTH OUTDIR [SLEEP_SECONDS]
"""
import os, sys

args = sys.argv[1:]
shape = "layered"
if len(args) >= 2 and args[0] == "--shape":
    shape, args = args[1], args[2:]
n, width, out = int(args[0]), int(args[1]), args[2]
sleep = float(args[3]) if len(args) > 3 else 0.0
prov = f'  provisioner "local-exec" {{\n    command = "sleep {sleep}"\n  }}\n' if sleep else ""
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "main.tf"), "w") as f:
    if shape == "count":
        f.write(f'resource "terraform_data" "a" {{\n  count = {n}\n  input = "a${{count.index}}"\n{prov}}}\n')
        f.write(f'resource "terraform_data" "b" {{\n  count = {n}\n  input = "b-${{terraform_data.a[count.index].id}}"\n{prov}}}\n')
    else:
        for i in range(n):
            ref = f'-${{terraform_data.r{i - width}.id}}' if i >= width else ""
            f.write(f'resource "terraform_data" "r{i}" {{\n  input = "v{i}{ref}"\n')
            f.write(prov)
            f.write("}\n")
