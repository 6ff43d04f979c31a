#!/usr/bin/env python3
"""Records terraform's answers to the function documentation examples.

Reads examples.txt, runs `terraform console` once per example (a static
error in one example must not hide the others) in a temporary copy of
files/, and writes expected.json. Each answer is the canonical text the test
compares: `jsonencode` of the value, prefixed with `sensitive:` when the
value is sensitive, `!ERR` when terraform rejects the expression, `!UNKNOWN` when
terraform's answer is unknown (the console prints "(known after apply)").

Usage: python3 tests/compat/functions/regenerate.py   (terraform 1.11.4 on PATH)
"""
import json, os, re, shutil, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def examples():
    page = None
    for line in open(os.path.join(HERE, "examples.txt"), encoding="utf-8"):
        line = line.rstrip("\n")
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]") and "(" not in line:
            page = line[1:-1]
            continue
        expr, _, shape = line.partition("  #~ ")
        yield page, expr.strip(), (shape.strip() or None)


def answer(expr, cwd):
    probe = 'try(jsonencode([issensitive(%s), jsonencode(nonsensitive(%s))]), "!ERR")\n' % (expr, expr)
    env = dict(os.environ, TF_CLI_CONFIG_FILE="/dev/null", NO_COLOR="1", TF_IN_AUTOMATION="1")
    p = subprocess.run(["terraform", "console", "-no-color"], input=probe, capture_output=True, text=True, cwd=cwd, env=env, timeout=120)
    if p.returncode != 0:
        return "!ERR"
    out = p.stdout.strip()
    if out == "(known after apply)":
        return "!UNKNOWN"
    if out == "(sensitive value)":
        return "!SENSITIVE"
    text = json.loads(out)
    if text == "!ERR":
        return "!ERR"
    sensitive, value = json.loads(text)
    return ("sensitive:" if sensitive else "") + value


def main():
    version = subprocess.run(["terraform", "version", "-json"], capture_output=True, text=True, check=True)
    tfv = json.loads(version.stdout)["terraform_version"]
    if tfv != "1.11.4":
        print(f"warning: terraform {tfv}, the recorded answers are for 1.11.4", file=sys.stderr)
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        work = os.path.join(tmp, "w")
        shutil.copytree(os.path.join(HERE, "files"), work)
        for page, expr, shape in examples():
            a = answer(expr, work)
            if shape and not re.match(shape, a):
                sys.exit(f"terraform's answer to {expr} does not have the shape {shape}: {a}")
            row = {"page": page, "expr": expr, "answer": a}
            if shape:
                row["shape"] = shape
            out.append(row)
            print(f"{expr}\n    {a}", file=sys.stderr)
    with open(os.path.join(HERE, "expected.json"), "w", encoding="utf-8") as f:
        json.dump({"terraform": tfv, "examples": out}, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"{len(out)} answers written to expected.json", file=sys.stderr)


if __name__ == "__main__":
    main()
