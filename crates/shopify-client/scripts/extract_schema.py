#!/usr/bin/env python3
"""Extract the part of the Shopify Admin GraphQL schema that our operations use.

Usage:
    python3 scripts/extract_schema.py schema/admin-2026-10.graphql.gz [--version 2026-10]

Run from the crate directory (crates/shopify-client). The script reads every operation in
graphql/*.graphql (except schema.graphql), walks their selections against the full SDL and
writes graphql/schema.graphql containing exactly:

- the root types with only the fields we select;
- every object / interface type reached by a selection, with only the selected fields
  (an object also keeps the fields of the interfaces it implements that we select);
- unions reached by a selection, restricted to the member types we also keep;
- every input object, enum and scalar reachable from an argument or a variable we use
  (input objects and enums are kept whole, with every field / value);
- the directives our operations use.

Descriptions are dropped; `@deprecated` markers are kept so graphql_client can warn.
Any selection of a field that does not exist is reported with its operation and path, and the
script exits with status 1 without writing anything.

Python 3 standard library only.
"""

import argparse
import gzip
import os
import re
import sys

PUNCT = set("!$&()[]{}:=@|")


class Tok:
    __slots__ = ("kind", "value", "start", "end")

    def __init__(self, kind, value, start, end):
        self.kind = kind
        self.value = value
        self.start = start
        self.end = end

    def __repr__(self):
        return f"{self.kind}:{self.value!r}"


NAME_RE = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")
NUM_RE = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")


def lex(text):
    toks = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c in " \t\r\n,\ufeff":
            i += 1
        elif c == "#":
            while i < n and text[i] not in "\r\n":
                i += 1
        elif c in PUNCT:
            toks.append(Tok("p", c, i, i + 1))
            i += 1
        elif text.startswith("...", i):
            toks.append(Tok("p", "...", i, i + 3))
            i += 3
        elif text.startswith('"""', i):
            j = i + 3
            while True:
                k = text.find('"""', j)
                if k < 0:
                    raise SyntaxError(f"unterminated block string at {i}")
                if text[k - 1] == "\\":
                    j = k + 3
                    continue
                break
            toks.append(Tok("s", text[i + 3 : k], i, k + 3))
            i = k + 3
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                if text[j] == "\\":
                    j += 1
                j += 1
            toks.append(Tok("s", text[i + 1 : j], i, j + 1))
            i = j + 1
        else:
            m = NAME_RE.match(text, i)
            if m:
                toks.append(Tok("n", m.group(0), i, m.end()))
                i = m.end()
                continue
            m = NUM_RE.match(text, i)
            if m:
                toks.append(Tok("v", m.group(0), i, m.end()))
                i = m.end()
                continue
            raise SyntaxError(f"unexpected character {c!r} at offset {i}")
    toks.append(Tok("eof", None, n, n))
    return toks


class Parser:
    def __init__(self, text):
        self.text = text
        self.toks = lex(text)
        self.i = 0

    def peek(self, off=0):
        return self.toks[self.i + off]

    def next(self):
        t = self.toks[self.i]
        self.i += 1
        return t

    def at(self, value):
        t = self.peek()
        return t.kind in ("p", "n") and t.value == value

    def expect(self, value):
        t = self.next()
        if t.value != value:
            raise SyntaxError(f"expected {value!r}, got {t!r} at offset {t.start}")
        return t

    def name(self):
        t = self.next()
        if t.kind != "n":
            raise SyntaxError(f"expected a name, got {t!r} at offset {t.start}")
        return t.value

    def skip_description(self):
        if self.peek().kind == "s":
            self.next()

    # --- shared pieces -------------------------------------------------------------
    def type_ref(self):
        """Returns (text, named_type)."""
        if self.at("["):
            self.next()
            inner, named = self.type_ref()
            self.expect("]")
            text = f"[{inner}]"
        else:
            named = self.name()
            text = named
        if self.at("!"):
            self.next()
            text += "!"
        return text, named

    def value_raw(self):
        """Skips one value and returns its source text."""
        start = self.peek().start
        self._skip_value()
        return self.text[start : self.toks[self.i - 1].end]

    def _skip_value(self):
        t = self.next()
        if t.value == "$":
            self.name()
        elif t.value == "[":
            while not self.at("]"):
                self._skip_value()
            self.next()
        elif t.value == "{":
            while not self.at("}"):
                self.name()
                self.expect(":")
                self._skip_value()
            self.next()
        elif t.kind in ("s", "v", "n"):
            pass
        else:
            raise SyntaxError(f"unexpected {t!r} in a value at offset {t.start}")

    def directives_raw(self):
        """Returns a list of (name, raw text) for the directives at the cursor."""
        out = []
        while self.at("@"):
            start = self.next().start
            name = self.name()
            if self.at("("):
                self.next()
                while not self.at(")"):
                    self.name()
                    self.expect(":")
                    self._skip_value()
                self.next()
            out.append((name, self.text[start : self.toks[self.i - 1].end]))
        return out

    def input_values(self, close):
        """Arguments or input fields up to `close`: list of dicts."""
        out = []
        while not self.at(close):
            self.skip_description()
            name = self.name()
            self.expect(":")
            text, named = self.type_ref()
            default = None
            if self.at("="):
                self.next()
                default = self.value_raw()
            dirs = self.directives_raw()
            out.append({"name": name, "type": text, "named": named, "default": default, "dirs": dirs})
        self.next()
        return out


def parse_sdl(text):
    p = Parser(text)
    types = {}
    order = []
    directives = {}
    schema_roots = {}
    while p.peek().kind != "eof":
        p.skip_description()
        kw = p.name()
        if kw == "schema":
            p.directives_raw()
            p.expect("{")
            while not p.at("}"):
                op = p.name()
                p.expect(":")
                schema_roots[op] = p.name()
            p.next()
            continue
        if kw == "directive":
            start = p.toks[p.i - 1].start
            p.expect("@")
            name = p.name()
            if p.at("("):
                p.next()
                p.input_values(")")
            if p.at("repeatable"):
                p.next()
            p.expect("on")
            if p.at("|"):
                p.next()
            p.name()
            while p.at("|"):
                p.next()
                p.name()
            directives[name] = p.text[start : p.toks[p.i - 1].end]
            continue
        name = p.name()
        t = {"kind": kw, "name": name, "interfaces": [], "fields": {}, "values": [], "members": [], "dirs": []}
        if kw in ("type", "interface"):
            if p.at("implements"):
                p.next()
                if p.at("&"):
                    p.next()
                t["interfaces"].append(p.name())
                while p.at("&"):
                    p.next()
                    t["interfaces"].append(p.name())
            t["dirs"] = p.directives_raw()
            if p.at("{"):
                p.next()
                while not p.at("}"):
                    p.skip_description()
                    fname = p.name()
                    args = []
                    if p.at("("):
                        p.next()
                        args = p.input_values(")")
                    p.expect(":")
                    text_, named = p.type_ref()
                    dirs = p.directives_raw()
                    t["fields"][fname] = {"name": fname, "args": args, "type": text_, "named": named, "dirs": dirs}
                p.next()
        elif kw == "input":
            t["dirs"] = p.directives_raw()
            p.expect("{")
            for f in p.input_values("}"):
                t["fields"][f["name"]] = f
        elif kw == "enum":
            t["dirs"] = p.directives_raw()
            p.expect("{")
            while not p.at("}"):
                p.skip_description()
                v = p.name()
                t["values"].append((v, p.directives_raw()))
            p.next()
        elif kw == "union":
            t["dirs"] = p.directives_raw()
            p.expect("=")
            if p.at("|"):
                p.next()
            t["members"].append(p.name())
            while p.at("|"):
                p.next()
                t["members"].append(p.name())
        elif kw == "scalar":
            t["dirs"] = p.directives_raw()
        else:
            raise SyntaxError(f"unsupported definition {kw!r} at offset {p.peek().start}")
        types[name] = t
        order.append(name)
    return types, order, directives, schema_roots


# --- executable documents --------------------------------------------------------------

def parse_selection_set(p):
    p.expect("{")
    out = []
    while not p.at("}"):
        if p.at("..."):
            p.next()
            if p.at("on"):
                p.next()
                cond = p.name()
                dirs = p.directives_raw()
                out.append(("inline", cond, [d[0] for d in dirs], parse_selection_set(p)))
            elif p.at("{") or p.at("@"):
                dirs = p.directives_raw()
                out.append(("inline", None, [d[0] for d in dirs], parse_selection_set(p)))
            else:
                fname = p.name()
                dirs = p.directives_raw()
                out.append(("spread", fname, [d[0] for d in dirs], None))
            continue
        name = p.name()
        if p.at(":"):
            p.next()
            name = p.name()
        if p.at("("):
            p.next()
            while not p.at(")"):
                p.name()
                p.expect(":")
                p._skip_value()
            p.next()
        dirs = p.directives_raw()
        sub = parse_selection_set(p) if p.at("{") else None
        out.append(("field", name, [d[0] for d in dirs], sub))
    p.next()
    return out


def parse_operations(text):
    p = Parser(text)
    ops = []
    frags = {}
    while p.peek().kind != "eof":
        kw = p.name()
        if kw == "fragment":
            name = p.name()
            p.expect("on")
            cond = p.name()
            p.directives_raw()
            frags[name] = (cond, parse_selection_set(p))
            continue
        if kw not in ("query", "mutation"):
            raise SyntaxError(f"unsupported operation kind {kw!r}")
        name = p.name() if p.peek().kind == "n" else "<anonymous>"
        var_types = []
        if p.at("("):
            p.next()
            while not p.at(")"):
                p.expect("$")
                p.name()
                p.expect(":")
                _, named = p.type_ref()
                var_types.append(named)
                if p.at("="):
                    p.next()
                    p._skip_value()
                p.directives_raw()
            p.next()
        p.directives_raw()
        ops.append((kw, name, var_types, parse_selection_set(p)))
    return ops, frags


class Extractor:
    def __init__(self, types, roots):
        self.types = types
        self.roots = roots
        self.keep_types = set()
        self.keep_fields = {}  # type name -> set of field names
        self.errors = []
        self.used_directives = set()

    def keep_named(self, name):
        """Keep a type used as an argument / variable type (inputs, enums, scalars)."""
        if name in self.keep_types:
            return
        t = self.types.get(name)
        if t is None:
            if name not in ("String", "Int", "Float", "Boolean", "ID"):
                self.errors.append(f"unknown type {name}")
            return
        self.keep_types.add(name)
        if t["kind"] == "input":
            for f in t["fields"].values():
                self.keep_named(f["named"])
        if t["kind"] in ("type", "interface"):
            self.keep_fields.setdefault(name, set())

    def walk(self, type_name, selections, frags, where):
        t = self.types.get(type_name)
        if t is None:
            self.errors.append(f"{where}: unknown type {type_name}")
            return
        self.keep_types.add(type_name)
        self.keep_fields.setdefault(type_name, set())
        for kind, name, dirs, sub in selections:
            self.used_directives.update(dirs)
            if kind == "spread":
                if name not in frags:
                    self.errors.append(f"{where}: unknown fragment {name}")
                    continue
                cond, fsel = frags[name]
                self.walk(cond, fsel, frags, f"{where}...{name}")
                continue
            if kind == "inline":
                self.walk(name or type_name, sub, frags, f"{where}...on {name}")
                continue
            if name == "__typename":
                continue
            field = t["fields"].get(name)
            if field is None:
                self.errors.append(f"{where}: {type_name} has no field {name!r}")
                continue
            self.keep_fields[type_name].add(name)
            for a in field["args"]:
                self.keep_named(a["named"])
            target = self.types.get(field["named"])
            if sub is not None:
                self.walk(field["named"], sub, frags, f"{where}.{name}")
            elif target is not None and target["kind"] in ("type", "interface", "union"):
                self.errors.append(f"{where}.{name}: {field['named']} needs a selection set")
            else:
                self.keep_named(field["named"])

    def close(self):
        """Objects keep the selected fields of the interfaces they implement. A type reached
        only through fragments (no field of its own selected) keeps `id` (or its first field),
        since SDL does not allow an empty field list."""
        for name in list(self.keep_types):
            t = self.types[name]
            if t["kind"] in ("type", "interface") and not self.keep_fields.get(name):
                first = "id" if "id" in t["fields"] else next(iter(t["fields"]))
                self.keep_fields.setdefault(name, set()).add(first)
                self.keep_named(t["fields"][first]["named"])
        changed = True
        while changed:
            changed = False
            for name in list(self.keep_types):
                t = self.types[name]
                if t["kind"] not in ("type", "interface"):
                    continue
                for iface in t["interfaces"]:
                    if iface in self.keep_types:
                        for f in list(self.keep_fields.get(iface, ())):
                            if f in t["fields"] and f not in self.keep_fields[name]:
                                self.keep_fields[name].add(f)
                                for a in t["fields"][f]["args"]:
                                    self.keep_named(a["named"])
                                self.keep_named(t["fields"][f]["named"])
                                changed = True


def render_args(args):
    parts = []
    for a in args:
        s = f"{a['name']}: {a['type']}"
        if a["default"] is not None:
            s += f" = {a['default']}"
        for _, raw in a["dirs"]:
            s += f" {raw}"
        parts.append(s)
    return ", ".join(parts)


def keep_dirs(dirs):
    return "".join(f" {raw}" for name, raw in dirs if name == "deprecated")


def render(types, order, directives, roots, ex, header):
    out = [header, "schema {"]
    for op in ("query", "mutation"):
        if op in roots:
            out.append(f"  {op}: {roots[op]}")
    out.append("}")
    out.append("")
    for d in sorted(ex.used_directives):
        if d in directives:
            out.append(directives[d])
            out.append("")
    for name in order:
        if name not in ex.keep_types:
            continue
        t = types[name]
        kind = t["kind"]
        if kind == "scalar":
            out.append(f"scalar {name}")
        elif kind in ("type", "interface"):
            ifaces = [i for i in t["interfaces"] if i in ex.keep_types]
            head = f"{kind} {name}"
            if ifaces:
                head += " implements " + " & ".join(ifaces)
            out.append(head + " {")
            kept = ex.keep_fields.get(name, set())
            for fname, f in t["fields"].items():
                if fname not in kept:
                    continue
                args = f"({render_args(f['args'])})" if f["args"] else ""
                out.append(f"  {fname}{args}: {f['type']}{keep_dirs(f['dirs'])}")
            out.append("}")
        elif kind == "input":
            out.append(f"input {name} {{")
            for f in t["fields"].values():
                s = f"  {f['name']}: {f['type']}"
                if f["default"] is not None:
                    s += f" = {f['default']}"
                out.append(s + keep_dirs(f["dirs"]))
            out.append("}")
        elif kind == "enum":
            out.append(f"enum {name} {{")
            for v, dirs in t["values"]:
                out.append(f"  {v}{keep_dirs(dirs)}")
            out.append("}")
        elif kind == "union":
            members = [m for m in t["members"] if m in ex.keep_types]
            out.append(f"union {name} = " + " | ".join(members))
        out.append("")
    return "\n".join(out)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    crate = os.path.dirname(here)
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "full_schema",
        help="the full Admin API SDL of the target version (plain or .gz), e.g. schema/admin-2026-10.graphql.gz",
    )
    ap.add_argument(
        "--version",
        default=None,
        help="API version named in the header (default: the YYYY-MM in the file name)",
    )
    ap.add_argument("--graphql-dir", default=os.path.join(crate, "graphql"))
    ap.add_argument("--check", action="store_true", help="fail if schema.graphql would change")
    args = ap.parse_args()
    if args.version is None:
        found = re.search(r"(\d{4}-\d{2}|unstable)", os.path.basename(args.full_schema))
        if not found:
            print("--version is needed: the file name holds no YYYY-MM", file=sys.stderr)
            return 1
        args.version = found.group(1)

    opener = gzip.open if args.full_schema.endswith(".gz") else open
    with opener(args.full_schema, "rt", encoding="utf-8") as fh:
        types, order, directives, roots = parse_sdl(fh.read())
    ex = Extractor(types, roots)
    files = sorted(f for f in os.listdir(args.graphql_dir) if f.endswith(".graphql") and f != "schema.graphql")
    for fname in files:
        with open(os.path.join(args.graphql_dir, fname), encoding="utf-8") as fh:
            try:
                ops, frags = parse_operations(fh.read())
            except SyntaxError as e:
                print(f"{fname}: {e}", file=sys.stderr)
                return 1
        for kind, name, var_types, sel in ops:
            for v in var_types:
                ex.keep_named(v)
            ex.walk(roots[kind], sel, frags, f"{fname}:{name}")
    ex.close()
    if ex.errors:
        for e in ex.errors:
            print(e, file=sys.stderr)
        return 1
    header = (
        f"# Subset of the Shopify Admin GraphQL schema, API version {args.version}.\n"
        "# GENERATED by scripts/extract_schema.py from the full SDL: do not edit by hand.\n"
        "# It holds exactly the types and fields that graphql/*.graphql select; refresh with\n"
        f"#   python3 scripts/extract_schema.py schema/admin-{args.version}.graphql.gz --version {args.version}\n"
    )
    text = render(types, order, directives, roots, ex, header)
    target = os.path.join(args.graphql_dir, "schema.graphql")
    if args.check:
        with open(target, encoding="utf-8") as fh:
            if fh.read() != text:
                print("schema.graphql is out of date: re-run the extractor", file=sys.stderr)
                return 1
        return 0
    with open(target, "w", encoding="utf-8") as fh:
        fh.write(text)
    print(f"wrote {target}: {len(ex.keep_types)} types from {len(files)} operation files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
