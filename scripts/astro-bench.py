#!/usr/bin/env python3
"""The Swiss Ephemeris side of core/examples/astro_bench.rs.

Casts COUNT charts with pyswisseph in Moshier mode (twelve bodies with speeds,
Placidus houses) over the same instants and places as the Rust side, and prints
microseconds per chart. Uses the venv of scripts/astro-oracle.py.

    scripts/astro-bench.py COUNT
"""
import importlib.util
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("oracle", os.path.join(HERE, "astro-oracle.py"))
oracle = importlib.util.module_from_spec(spec)
spec.loader.exec_module(oracle)


def inputs(count):
    start, span = 2415020.5, 46022.0
    out = []
    for i in range(count):
        x = (i * 0.618033988749895) % 1.0
        y = (i * 0.754877666246693) % 1.0
        z = (i * 0.569840290998053) % 1.0
        out.append((start + x * span, -60.0 + 120.0 * y, -180.0 + 360.0 * z))
    return out


def main():
    oracle.ensure_swisseph()
    import swisseph as swe

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    flags = swe.FLG_MOSEPH | swe.FLG_SPEED
    cases = inputs(count)
    calc, houses = swe.calc_ut, swe.houses_ex
    for jd, lat, lon in cases[:100]:
        for body in range(12):
            calc(jd, body, flags)
        houses(jd, lat, lon, b"P", swe.FLG_MOSEPH)
    started = time.perf_counter()
    for jd, lat, lon in cases:
        for body in range(12):
            calc(jd, body, flags)
        houses(jd, lat, lon, b"P", swe.FLG_MOSEPH)
    elapsed = time.perf_counter() - started
    print(f"{elapsed * 1e6 / count:.3f}")


if __name__ == "__main__":
    main()
