#!/usr/bin/env python3
"""A deterministic synthetic Go service for the benchmark, shaped like a large
real one (podman's vendor tree: ~180 modules, ~5,500 files, ~48 MB):

    bench-corpus.py OUT [--modules N] [--seed S]
                        [--files-per-module F] [--go-size BYTES]

OUT/goproxy is a file:// module proxy of N modules (several packages each,
Go files whose sizes follow a log-normal law around real Go code, plus
LICENSE, README and testdata files); OUT/app is a main module that imports
every package, so `go mod vendor` copies them all. The same seed gives the
same bytes.

The small-file corpus of issue #20 (many small Go files, no image):
    bench-corpus.py OUT --modules 150 --files-per-module 40 --go-size 1500
gives each module exactly F .go files (spread over its packages) of median
size BYTES; without these flags the corpus is the default one, byte for byte.
"""
import argparse
import io
import json
import math
import os
import random
import shutil
import zipfile

STAMP = (2024, 1, 2, 3, 4, 6)
WORDS = ("client config error handler request response server stream token value "
         "buffer codec decode encode field header index key list map node option "
         "parse reader record result schema state store table type writer").split()


def go_file(rng, pkg, n, median=5000):
    """Valid Go of a size drawn from a log-normal law (median ~5 KB)."""
    target = int(min(200_000, max(300, rng.lognormvariate(math.log(median), 1.0))))
    out = io.StringIO()
    out.write(f"// Code for package {pkg}, file {n}.\n\npackage {pkg}\n\n")
    i = 0
    while out.tell() < target:
        name = "".join(w.capitalize() for w in rng.sample(WORDS, 3)) + f"{n}x{i}"
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 14)))
        out.write(f"// {name} {words}.\nfunc {name}(a, b int) int {{\n")
        for _ in range(rng.randint(2, 8)):
            out.write(f"\tif a > {rng.randint(0, 999)} {{\n\t\tb += a * {rng.randint(1, 99)}\n\t}}\n")
        out.write("\treturn a + b\n}\n\n")
        i += 1
    return out.getvalue()


def even_share(total, parts, p):
    """Part p's share when total files are spread as evenly as parts allow."""
    return total // parts + (p < total % parts)


def module_files(rng, path, n_pkgs, per_module=None, median=5000):
    files = {"go.mod": f"module {path}\n\ngo 1.21\n",
             "LICENSE": "MIT License\n\nCopyright (c) 2024 Bench\n\nPermission is hereby granted...\n",
             "README.md": " ".join(rng.choice(WORDS) for _ in range(rng.randint(50, 800))) + "\n"}
    pkgs = []
    for p in range(n_pkgs):
        pkg = f"p{p}"
        pkgs.append(pkg)
        # 3-14 files a package by default (the draw kept, so the default
        # corpus stays byte for byte what it was), or per_module in all.
        if per_module is None:
            count = rng.randint(3, 14)
        else:
            count = even_share(per_module, n_pkgs, p)
        for f in range(count):
            files[f"{pkg}/f{f}.go"] = go_file(rng, pkg, f, median)
        if rng.random() < 0.3:
            files[f"{pkg}/f_test.go"] = f"package {pkg}\n"
            files[f"{pkg}/testdata/x.json"] = json.dumps({"k": rng.random()})
    return files, pkgs


def write_module(proxy, path, version, files):
    d = os.path.join(proxy, path, "@v")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "list"), "w") as f:
        f.write(version + "\n")
    with open(os.path.join(d, version + ".info"), "w") as f:
        json.dump({"Version": version, "Time": "2024-01-02T03:04:05Z"}, f)
    with open(os.path.join(d, version + ".mod"), "w") as f:
        f.write(files["go.mod"])
    with zipfile.ZipFile(os.path.join(d, version + ".zip"), "w", zipfile.ZIP_DEFLATED) as z:
        for name in sorted(files):
            info = zipfile.ZipInfo(f"{path}@{version}/{name}", STAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, files[name])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--modules", type=int, default=180)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--files-per-module", type=int, default=None)
    ap.add_argument("--go-size", type=int, default=5000)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    out = os.path.abspath(args.out)
    shutil.rmtree(out, ignore_errors=True)
    proxy, app = os.path.join(out, "goproxy"), os.path.join(out, "app")
    os.makedirs(app)
    imports, requires = [], []
    for m in range(args.modules):
        path = f"bench.example/m{m:03d}"
        files, pkgs = module_files(rng, path, rng.randint(2, 5),
                                   args.files_per_module, args.go_size)
        write_module(proxy, path, "v1.0.0", files)
        requires.append(f"\t{path} v1.0.0\n")
        imports += [f'\t_ "{path}/{p}"\n' for p in pkgs]
    with open(os.path.join(app, "go.mod"), "w") as f:
        f.write("module bench.example/app\n\ngo 1.21\n\nrequire (\n" + "".join(requires) + ")\n")
    with open(os.path.join(app, "main.go"), "w") as f:
        f.write("package main\n\nimport (\n" + "".join(imports) + ")\n\nfunc main() {}\n")


if __name__ == "__main__":
    main()
