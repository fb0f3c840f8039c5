"""Signatures against the stand-in trust services (certomancer's TSA and OCSP over real HTTP on loopback):

    .venv/bin/python bench/signing.py [--runs N]

- seal: the unit seal, PAdES-B-LTA, on a one-page PDF/A (signature time stamp, OCSP + CRL into the DSS, document
  time stamp): the TSA is asked twice, the OCSP responder and the CRLs once or more;
- external: prepare_external + the leader key's raw signature (as the remote signing service) + finish_external;
- validate: validate() of the sealed file (a child process each time, the DSS tried first).
p50 / p95 / max in milliseconds. Prints figures only; it never fails on timing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from connectors.trust_services.standin import start  # noqa: E402
from engine.signing.config import SigningSettings  # noqa: E402
from engine.signing.pades import finish_external, prepare_external, seal  # noqa: E402
from engine.signing.validate import validate  # noqa: E402
from tests.pki_support import RunningPki, small_pdf  # noqa: E402

REASON, PLACE = "Phê duyệt kết quả giải quyết TTHC", "Ủy ban nhân dân phường An Xuyên"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(runs: int, action: Callable[[], Any]) -> tuple[list[float], Any]:
    found, last = [], None
    for _ in range(runs):
        started = time.perf_counter()
        last = action()
        found.append((time.perf_counter() - started) * 1000)
    return found, last


def show(name: str, values: list[float]) -> None:
    print(f"{name:10} n={len(values):3}  p50 {statistics.median(values):7.1f} ms  "
          f"p95 {percentile(values, 0.95):7.1f} ms  max {max(values):7.1f} ms", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    started = time.perf_counter()
    standin = start(folder=Path(tempfile.mkdtemp(prefix="motcua-bench-pki-")))
    print(f"demo PKI made and stand-in started in {(time.perf_counter() - started) * 1000:.0f} ms", flush=True)
    pki = RunningPki(standin)
    settings: SigningSettings = pki.settings()
    pdf = small_pdf()
    _, cert, chain = pki.key_and_chain(pki.leader_p12)
    seal(pdf, settings, reason=REASON, location=PLACE)  # warm: imports, the signer loaded once per process

    seals, sealed = timed(args.runs, lambda: seal(pdf, settings, reason=REASON, location=PLACE))
    show("seal", seals)

    def external() -> bytes:
        prepared = prepare_external(pdf, cert, chain, settings, reason=REASON, location=PLACE)
        return finish_external(prepared.state, pki.sign_digest(prepared.data_to_be_signed), settings)

    show("external", timed(args.runs, external)[0])
    validations, report = timed(args.runs, lambda: validate(sealed, settings))
    assert report.ok, report
    show("validate", validations)
    print(f"sizes: original {len(pdf)} B, sealed {len(sealed)} B", flush=True)
    standin.stop()


if __name__ == "__main__":
    main()
