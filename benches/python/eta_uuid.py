"""A straightforward ETA receipt-uuid implementation, the way public Python integrations do it.

Parse each receipt with `json`, walk it in document order, upper-case the names, quote every
value, repeat an array's name before each element, then SHA-256 the text. Used as the baseline
of `benches/benches/eta_vs_python.rs`: reads `{"receipts": [...]}` on stdin, prints
`<count> <seconds>` on stdout.
"""
import hashlib
import json
import sys
import time


def serialize(value):
    if isinstance(value, dict):
        out = []
        for key, item in value.items():
            name = '"' + str(key).upper() + '"'
            if isinstance(item, list):
                out.append(name)
                for element in item:
                    out.append(name)
                    out.append(serialize(element))
            else:
                out.append(name)
                out.append(serialize(item))
        return "".join(out)
    return json.dumps(str(value), ensure_ascii=False)


def receipt_uuid(receipt):
    receipt["header"]["uuid"] = ""
    return hashlib.sha256(serialize(receipt).encode("utf-8")).hexdigest()


def main():
    text = sys.stdin.read()
    start = time.perf_counter()
    receipts = json.loads(text)["receipts"]
    uuids = [receipt_uuid(r) for r in receipts]
    elapsed = time.perf_counter() - start
    print(len(uuids), elapsed)


if __name__ == "__main__":
    main()
