#!/usr/bin/env python3
"""Generate a layered Terraform config of N `terraform_data` resources.

Resource i references resource i-WIDTH (when it exists), so the graph has
ceil(N/WIDTH) layers of WIDTH independent resources: the same shape that
gen.py generates for contin's fake provider. Copied from the shared peer
benchmark helpers so that a clean clone can run bench/run.sh on its own.

usage: gen-tf.py N WIDTH OUTDIR [SLEEP_SECONDS]
"""
import os, sys

n, width, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
sleep = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "main.tf"), "w") as f:
    for i in range(n):
        ref = f'-${{terraform_data.r{i - width}.id}}' if i >= width else ""
        f.write(f'resource "terraform_data" "r{i}" {{\n  input = "v{i}{ref}"\n')
        if sleep:
            f.write(f'  provisioner "local-exec" {{\n    command = "sleep {sleep}"\n  }}\n')
        f.write("}\n")
