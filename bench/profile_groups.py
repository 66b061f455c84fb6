#!/usr/bin/env python3
"""Groups an operator profile the way bench/RESULTS-e2e.md reports it.

Usage: perf script -i FILE -F tid,ip,sym --no-inline > stacks.txt   (FILE from e2e_bench --perf FILE)
       bench/profile_groups.py stacks.txt

Each sample counts once, in the first group (in the order below) that one of its frames is in, so
the shares add up to 100 % and the crypto floor is never counted as client or policy work.
"""
import collections
import re
import sys


def read_samples(path):
    samples, frames = [], None
    with open(path, errors="replace") as f:
        for line in f:
            if not line.strip():
                continue
            if not line.startswith("\t"):
                if frames is not None:
                    samples.append(frames)
                frames = []
            elif frames is not None:
                parts = line.strip().split(" ", 1)
                frames.append(parts[1] if len(parts) > 1 else "")
    if frames is not None:
        samples.append(frames)
    return samples


def has(frames, pattern):
    return any(re.search(pattern, f) for f in frames)


GROUPS = [
    ("crypto: the request's signature check", lambda s: has(s, r"verifyRequestSignature")),
    ("crypto: the CA's issue (certificate built, DER, one signature)", lambda s: has(s, r"FileCaSigner::issue")),
    ("k8sclient: HTTP writes (TLS, Beast, asio, kernel)", lambda s: has(s, r"BeastTransport::send")),
    ("k8sclient: the watch stream's transport", lambda s: has(s, r"BeastTransport::stream") and not has(s, r"StreamLines::feed")),
    ("k8sclient: watch lines parsed into JSON trees", lambda s: has(s, r"WatchDecoder::decodeLine")),
    ("k8sclient: informer store (compaction, MessagePack, typed decode)",
     lambda s: has(s, r"InformerCore::apply") and not has(s, r"InformerCore::notify")),
    ("k8sclient: write bodies (typed to JSON, serialised)", lambda s: has(s, r"to_json|::dump") and has(s, r"CsrSigner|CsrApprover")),
    ("k8sclient: workers' cache reads (MessagePack, typed decode)", lambda s: has(s, r"SignerCaches::get")),
    ("controller: event handlers", lambda s: has(s, r"InformerCore::notify")),
    ("controller: approval policy checks", lambda s: has(s, r"Policy::explain|checkRequest")),
    ("logging", lambda s: has(s, r"spdlog|fmt::")),
    ("controller: the rest of the decision and the sync", lambda s: has(s, r"CsrController::decide|syncHandler")),
]
REST = "everything else"


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    samples = read_samples(sys.argv[1])
    if not samples:
        sys.exit(f"{sys.argv[1]}: no samples; was it written by perf script -F tid,ip,sym?")
    counts = collections.Counter()
    for s in samples:
        counts[next((name for name, test in GROUPS if test(s)), REST)] += 1
    n = len(samples)
    print(f"{n} samples")
    for name in [g[0] for g in GROUPS] + [REST]:
        print(f"{100 * counts[name] / n:6.2f} %  {name}")
    for prefix in ("crypto", "k8sclient", "controller"):
        total = sum(v for k, v in counts.items() if k.startswith(prefix))
        print(f"{100 * total / n:6.2f} %  {prefix}, all groups")


if __name__ == "__main__":
    main()
