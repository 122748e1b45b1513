#!/usr/bin/env python3
"""Checks that doc/cli.md, `cairn COMMAND --help`, the man pages and the bash
completion describe the same command line.

usage: check-cli-reference.py CAIRN DOC_CLI_MD SCRATCH_DIR
Prints one "ok - ..." / "not ok - ..." line per check and "N passed, M failed".
"""
import os
import re
import subprocess
import sys

passed = failed = 0


def check(desc, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print(f"ok - {desc}")
    else:
        failed += 1
        print(f"not ok - {desc}" + (f"\n#   {detail}" if detail else ""))


def run(*args):
    return subprocess.run(args, capture_output=True, text=True)


def options_in_help(text):
    """Option names of a --help text's Options section, without -h/--help."""
    names = set()
    section = text.split("\nOptions:\n", 1)[1] if "\nOptions:\n" in text else ""
    section = section.split("\n\n", 1)[0]
    for line in section.splitlines():
        m = re.match(r"\s{2}(-[^\s=]+(?:,-[^\s=]+)*)", line)
        if m:
            names.update(n for n in m.group(1).split(",") if n not in ("-h", "--help"))
    return names


def main():
    cairn, doc_path, scratch = sys.argv[1:4]
    doc = open(doc_path).read()
    top = run(cairn, "--help").stdout
    commands = re.findall(r"^  ([a-z][a-z-]*)\s", top.split("Subcommands:", 1)[1], re.M)
    check(f"cairn --help lists {len(commands)} commands", len(commands) > 10)
    rows = {}
    for line in doc.splitlines():
        m = re.match(r"\| `([a-z][a-z-]*)[ `]", line)
        if m:
            rows.setdefault(m.group(1), "")
            rows[m.group(1)] += line
    registry = doc.split("Registry options of `import`:", 1)[-1].split("\n## ", 1)[0]
    for command in commands:
        check(f"doc/cli.md has a row for {command}", command in rows)
        help_text = run(cairn, command, "--help").stdout
        check(f"{command} --help shows an example", "\nExample: " in help_text)
        where = rows.get(command, "") + (registry if command in ("import", "pull") else "")
        if command == "pull":
            where += rows.get("import", "")
        missing = sorted(o for o in options_in_help(help_text) if f"{o}" not in where)
        check(f"doc/cli.md's {command} row names every option of {command} --help",
              not missing, f"missing: {' '.join(missing)}")
    global_missing = sorted(o for o in options_in_help(top) if f"`{o}" not in doc)
    check("doc/cli.md names every global option", not global_missing, " ".join(global_missing))
    table = doc.split("## Exit codes", 1)[1].split("\n\n", 2)[1]
    codes = set(re.findall(r"^\| (\d+) \|", table, re.M))
    footer = re.findall(r"(\d+) [a-z]", top.split("Exit codes:", 1)[1].splitlines()[0])
    check(f"exit codes: doc/cli.md {sorted(codes)} equals cairn --help's {sorted(set(footer))}",
          codes == set(footer) and len(codes) >= 6)
    mandir = os.path.join(scratch, "man1")
    result = run(cairn, "man", mandir)
    pages = sorted(os.listdir(mandir)) if result.returncode == 0 else []
    check(f"cairn man writes cairn.1 and a page per command ({len(pages)})",
          len(pages) == len(commands) + 1 and "cairn.1" in pages, result.stderr.strip())
    for command in commands:
        path = os.path.join(mandir, f"cairn-{command}.1")
        page = open(path).read().replace("\\-", "-") if os.path.exists(path) else ""
        missing = sorted(o for o in options_in_help(run(cairn, command, "--help").stdout)
                         if o not in page)
        check(f"man page of {command} names its options", page and not missing, " ".join(missing))
    script = run(cairn, "completion", "bash").stdout
    probe = script + ("\nCOMP_WORDS=(cairn im); COMP_CWORD=1; _cairn; echo \"${COMPREPLY[*]}\""
                      "\nCOMP_WORDS=(cairn run --r); COMP_CWORD=2; _cairn; echo \"${COMPREPLY[*]}\"")
    out = run("bash", "-c", probe).stdout.splitlines()
    check("bash completion: cairn im<TAB> offers image, images and import",
          out[:1] and set(out[0].split()) == {"image", "images", "import"}, repr(out))
    check("bash completion: cairn run --r<TAB> offers --rm", len(out) > 1 and out[1] == "--rm",
          repr(out))
    zsh = run(cairn, "completion", "zsh").stdout
    check("zsh completion names every command",
          zsh.startswith("#compdef cairn") and all(f"'{c}:" in zsh for c in commands))
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
