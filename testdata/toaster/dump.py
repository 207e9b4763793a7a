#!/usr/bin/env python3
"""Prints the sections of queries.sql for one build of a Toaster database, as
bins/bake/tests/toaster.rs prints them for bake's: usage: dump.py DB BUILD_ID BUILDDIR"""
import re
import sqlite3
import sys


def sections(path):
    out, name, sql = [], None, []
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if line.startswith("-- name: "):
            if name:
                out.append((name, " ".join(sql)))
            name, sql = line[len("-- name: "):], []
        elif name and line and not line.startswith("--"):
            sql.append(line)
    if name:
        out.append((name, " ".join(sql)))
    return out


def cell(v):
    return "NULL" if v is None else str(v)


def main():
    db, build, builddir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    conn = sqlite3.connect(db)
    here = sys.argv[0].rsplit("/", 1)[0]
    for name, sql in sections(here + "/queries.sql"):
        print("## " + name)
        for row in conn.execute(sql.rstrip(";"), (build,)):
            text = "|".join(cell(v) for v in row).replace(builddir, "<B>")
            text = re.sub(r"(/run\.do_[A-Za-z0-9_]+\.)[0-9]+", r"\1<PID>", text)
            print(text)


main()
