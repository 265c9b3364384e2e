#!/usr/bin/env python3
"""Reference positions from the Swiss Ephemeris, used only as a test oracle.

Writes a tab-separated fixture of positions computed by pyswisseph in Moshier
mode (SEFLG_MOSEPH | SEFLG_SPEED, no data files): apparent geocentric ecliptic
longitudes of date. The Swiss Ephemeris is a test-time tool here, never a
dependency of the product. core/tests/astro_oracle.rs runs this script and
compares; scripts/astro-bench.py times the same library.

    scripts/astro-oracle.py OUT.tsv [COUNT]

Instants are drawn with a fixed seed, uniformly over 1900-2025 (UT), latitudes
uniformly in [-60, 60] degrees. A second section holds charts at polar
latitudes (66-80 degrees) with Porphyry cusps. The script creates .local/venv
and installs pyswisseph there when it is not already importable.
"""
import os
import random
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, ".local", "venv")
PYSWISSEPH = "pyswisseph==2.10.3.2"
SEED = 20240601


def ensure_swisseph():
    try:
        import swisseph  # noqa: F401
        return
    except ImportError:
        pass
    python = os.path.join(VENV, "bin", "python")
    if os.path.realpath(sys.prefix) == os.path.realpath(VENV):
        sys.exit("pyswisseph is not importable in " + VENV)
    if not os.path.exists(python):
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
    probe = subprocess.run([python, "-c", "import swisseph"], capture_output=True)
    if probe.returncode != 0:
        subprocess.run([python, "-m", "pip", "install", "-q", PYSWISSEPH], check=True)
    os.execv(python, [python] + sys.argv)


def main():
    ensure_swisseph()
    import swisseph as swe

    out = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 1200
    rng = random.Random(SEED)
    flags = swe.FLG_MOSEPH | swe.FLG_SPEED
    start = swe.julday(1900, 1, 1, 0.0)
    end = swe.julday(2026, 1, 1, 0.0)
    lines = [f"# pyswisseph {swe.version}, Moshier mode; seed {SEED}",
             "# chart: jd_ut delta_t_days lat lon, 12 x (lon lat speed), asc mc armc, 12 placidus cusps",
             "# polar: jd_ut lat lon asc mc armc, 12 porphyry cusps"]
    for _ in range(count):
        jd = rng.uniform(start, end)
        lat = rng.uniform(-60.0, 60.0)
        lon = rng.uniform(-180.0, 180.0)
        row = ["chart", f"{jd:.9f}", repr(swe.deltat_ex(jd, swe.FLG_MOSEPH)), f"{lat:.6f}", f"{lon:.6f}"]
        for body in range(12):
            xx, _ = swe.calc_ut(jd, body, flags)
            row += [repr(xx[0]), repr(xx[1]), repr(xx[3])]
        cusps, ascmc = swe.houses_ex(jd, lat, lon, b"P", swe.FLG_MOSEPH)
        row += [repr(ascmc[0]), repr(ascmc[1]), repr(ascmc[2])]
        row += [repr(c) for c in cusps[:12]]
        lines.append("\t".join(row))
    for _ in range(count // 10):
        jd = rng.uniform(start, end)
        lat = rng.choice([-1.0, 1.0]) * rng.uniform(67.0, 80.0)
        lon = rng.uniform(-180.0, 180.0)
        cusps, ascmc = swe.houses_ex(jd, lat, lon, b"O", swe.FLG_MOSEPH)
        row = ["polar", f"{jd:.9f}", f"{lat:.6f}", f"{lon:.6f}",
               repr(ascmc[0]), repr(ascmc[1]), repr(ascmc[2])]
        row += [repr(c) for c in cusps[:12]]
        lines.append("\t".join(row))
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
