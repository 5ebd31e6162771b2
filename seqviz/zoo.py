"""The shipped files: one command over every lab's recipes.

    python -m seqviz.zoo list              # names and what each one is
    python -m seqviz.zoo build NAME...     # train NAME from its recipe, write assets/NAME.*, update SHA256SUMS
    python -m seqviz.zoo build all         # everything (about an hour)
    python -m seqviz.zoo verify            # every shipped file matches its checksum
    python -m seqviz.zoo checksum FILE...  # record the checksum of another shipped file in assets/

The recipes live with their labs (seqviz/labs/<lab>.py, each lab's `builds`); a recipe is fully seeded
and runs on one thread, so a rebuild on these machines gives the same weights. `load(name)` opens any
shipped file through the lab that owns it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

# The file plumbing first: the labs' modules import this module's names while the registry loads.
from seqviz.shipped import ASSETS, CHECKSUMS, Build, train_and_save, verify_files  # noqa: F401
from seqviz.checkpoints import CheckpointError, read_checksums, sha256, write_checksums  # noqa: F401

TopicBuild = Build  # transitional: the zoo_* modules still say zoo.TopicBuild
_train_and_save = train_and_save  # transitional: likewise


def load(name: str, directory: Path = ASSETS):
    """Any shipped file, checksum-verified and validated by its lab (CheckpointError otherwise)."""
    from seqviz import labs

    return labs.load(name, directory)


def build(name: str, directory: Path = ASSETS, log=print) -> dict:
    """Train a recipe from scratch and write its files and checksums into `directory`."""
    from seqviz import labs

    return labs.builds()[name].run(directory, log)


def main(argv: list[str] | None = None) -> int:
    from seqviz import labs

    builds = labs.builds()
    parser = argparse.ArgumentParser(prog="python -m seqviz.zoo", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list")
    b = sub.add_parser("build")
    b.add_argument("names", nargs="+", choices=[*builds, "all"])
    sub.add_parser("verify")
    c = sub.add_parser("checksum")
    c.add_argument("files", nargs="+")
    args = parser.parse_args(argv)
    if args.cmd == "list":
        for lab in labs.LABS:
            for name, spec in lab.builds.items():
                print(f"{name:24s} {lab.name:13s} {spec.description}")
    elif args.cmd == "build":
        done = set()  # one run can write several files (speech-las also writes speech-snapshots): run it once
        for name in builds if "all" in args.names else args.names:
            if builds[name].run not in done:
                done.add(builds[name].run)
                build(name)
    elif args.cmd == "checksum":
        sums = read_checksums(CHECKSUMS)
        for f in args.files:
            path = ASSETS / Path(f).name
            sums[path.name] = sha256(path)
            print(f"{sums[path.name]}  {path.name}")
        write_checksums(CHECKSUMS, sums)
    else:
        sums = read_checksums(CHECKSUMS)
        for fname, digest in sorted(sums.items()):
            if not (ASSETS / fname).is_file() or sha256(ASSETS / fname) != digest:
                raise SystemExit(f"{fname}: missing or does not match its checksum")
            print(f"{fname}: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
