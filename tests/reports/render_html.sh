#!/usr/bin/env bash
# Renders an HTML report in headless Chromium and checks that the screenshot is
# not blank: right size, enough non-white pixels, enough colours.
#
# usage: render_html.sh --sample <candor_reports_sample binary> [screenshot.png]
#        render_html.sh --run <candor binary> <scenario.yaml>... [--png screenshot.png]
# --sample renders the synthetic sample run; --run runs the scenarios with the
# candor command and renders the report that run wrote, checking that it names
# every scenario.
# Exits 77 (ctest's skip code) when Chromium or python3 is not installed.
set -euo pipefail

usage="usage: render_html.sh --sample <binary> [png] | --run <candor> <scenario.yaml>... [--png png]"
mode=${1:?$usage}
shift
keep=""
case $mode in
  --sample)
    producer=${1:?$usage}
    keep=${2:-}
    ;;
  --run)
    producer=${1:?$usage}
    shift
    scenarios=()
    while [[ $# -gt 0 ]]; do
      if [[ $1 == --png ]]; then
        keep=${2:?$usage}
        shift 2
      else
        scenarios+=("$1")
        shift
      fi
    done
    [[ ${#scenarios[@]} -gt 0 ]] || { echo "$usage" >&2; exit 2; }
    ;;
  *)
    echo "$usage" >&2
    exit 2
    ;;
esac
width=1280
height=2000

browser=""
for candidate in chromium chromium-browser google-chrome; do
  if command -v "$candidate" >/dev/null 2>&1; then
    browser=$candidate
    break
  fi
done
if [[ -z $browser ]]; then
  echo "render_html: no Chromium found; skipping" >&2
  exit 77
fi
if ! command -v python3 >/dev/null 2>&1; then
  echo "render_html: python3 is needed to inspect the screenshot; skipping" >&2
  exit 77
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [[ $mode == --sample ]]; then
  "$producer" "$work/out" >/dev/null
else
  # A failed expectation (exit 1) still writes a report worth rendering;
  # unusable input (exit 2) does not.
  status=0
  "$producer" run "${scenarios[@]}" --quiet --out "$work/out" >"$work/run.log" 2>&1 || status=$?
  if [[ $status -gt 1 || ! -s $work/out/report.html ]]; then
    echo "render_html: candor run failed (exit $status):" >&2
    tail -20 "$work/run.log" >&2
    exit 1
  fi
  for scenario in "${scenarios[@]}"; do
    name=$(sed -n 's/^name: *//p' "$scenario" | head -1)
    if ! grep -qF "$name" "$work/out/report.html"; then
      echo "render_html: the report does not name scenario \"$name\"" >&2
      exit 1
    fi
  done
fi
timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$work/profile" --hide-scrollbars --window-size="$width,$height" \
  --screenshot="$work/page.png" "file://$work/out/report.html" >"$work/chromium.log" 2>&1 || {
  echo "render_html: Chromium failed:" >&2
  tail -20 "$work/chromium.log" >&2
  exit 1
}
if [[ ! -s $work/page.png ]]; then
  echo "render_html: Chromium wrote no screenshot" >&2
  exit 1
fi
if [[ -n $keep ]]; then
  cp "$work/page.png" "$keep"
fi

# A PNG decoder in the standard library's terms (zlib + the five row filters),
# since PIL may not be installed.
python3 - "$work/page.png" "$width" "$height" <<'PY'
import struct, sys, zlib

path, want_w, want_h = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
data = open(path, 'rb').read()
if data[:8] != b'\x89PNG\r\n\x1a\n':
    sys.exit('render_html: not a PNG')

pos, idat, header = 8, b'', None
while pos < len(data):
    length, kind = struct.unpack('>I4s', data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + length]
    if kind == b'IHDR':
        header = struct.unpack('>IIBBBBB', body)
    elif kind == b'IDAT':
        idat += body
    pos += 12 + length

w, h, depth, color_type = header[0], header[1], header[2], header[3]
if (w, h) != (want_w, want_h):
    sys.exit(f'render_html: screenshot is {w}x{h}, expected {want_w}x{want_h}')
if depth != 8 or color_type not in (2, 6):
    sys.exit(f'render_html: unexpected PNG format depth={depth} color_type={color_type}')

bpp = 3 if color_type == 2 else 4
stride = w * bpp
raw = zlib.decompress(idat)
rows, prev = [], bytearray(stride)
for y in range(h):
    kind = raw[y * (stride + 1)]
    line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if kind == 1:
            line[i] = (line[i] + a) & 0xFF
        elif kind == 2:
            line[i] = (line[i] + b) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + (a + b) // 2) & 0xFF
        elif kind == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            line[i] = (line[i] + pred) & 0xFF
    rows.append(line)
    prev = line

# Sample every 4th pixel: plenty for a blank check, fast in pure Python.
colors, busy, total = set(), 0, 0
for y in range(0, h, 4):
    line = rows[y]
    for x in range(0, w, 4):
        px = tuple(line[x * bpp:x * bpp + 3])
        colors.add(px)
        total += 1
        if px != (255, 255, 255):
            busy += 1

share = busy / total
print(f'render_html: {w}x{h}, {len(colors)} colours, {share:.0%} non-white')
if share < 0.05 or len(colors) < 32:
    sys.exit('render_html: the page looks blank')
PY
