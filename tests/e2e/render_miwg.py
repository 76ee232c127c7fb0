"""Render the BPMN MIWG reference models with Operate's SVG renderer, next to their reference PNGs.

Not a test (pytest collects only test_*.py): a tool to look at the renderer as a person would.
For each .bpmn in shared/corpus/bpmn-miwg/Reference and each of its DI planes it writes, under
tests/e2e/artifacts/miwg/ (not committed):

    <model>[.<plane>].svg        the renderer's output
    <model>[.<plane>].ours.png   that SVG screenshot in headless Chromium
    <model>[.<plane>].side.png   the reference PNG and ours, side by side (or one above the other
                                 for wide diagrams), both cropped to their drawing and scaled to the
                                 same width, for the image viewer

Planes are numbered from 1 as the reference PNGs are (C.4.0.1.png ... C.4.0.4.png).

    .venv/bin/python tests/e2e/render_miwg.py                # every model
    .venv/bin/python tests/e2e/render_miwg.py C.4.0 B.2.0    # some of them
    .venv/bin/python tests/e2e/render_miwg.py --width 2400   # larger side-by-side images
    .venv/bin/python tests/e2e/render_miwg.py B.2.0 --region 0,0,.5,.5   # zoom into the top left quarter
"""

from __future__ import annotations

import argparse
import base64
import html
import os
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = Path(os.environ.get("MIWG_REFERENCE", ROOT.parent / "shared" / "corpus" / "bpmn-miwg" / "Reference"))
OUT = ROOT / "tests" / "e2e" / "artifacts" / "miwg"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@dataclass(frozen=True)
class Rendering:
    name: str  # "A.1.0" or "C.4.0.2"
    svg: str
    reference: Path | None


def _setup_django() -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def plane_process_ids(source) -> list[str | None]:  # noqa: ANN001 (DiagramSource)
    """For each DI plane, a process id whose drawing is that plane (None: the first plane)."""
    definitions = source.definitions
    planes = source.index.planes if source.index else ()
    if len(planes) <= 1:
        return [None]
    pools = {p.id: p.process_id for p in definitions.participants}
    chosen: list[str | None] = []
    for plane in planes:
        ids = set(plane.ids)
        found = None
        for process in definitions.processes:
            if process.id in ids or ids.intersection(process.elements) or ids.intersection(process.flows):
                found = process.id
                break
        if found is None:
            found = next((pools[i] for i in plane.ids if pools.get(i)), None)
        chosen.append(found)
    return chosen


def render_model(path: Path) -> list[Rendering]:
    """The SVG of every plane of one model (raises if the renderer does)."""
    from operate.diagram import render_source
    from operate.diagram_index import load_source

    source = load_source(path.read_bytes())
    if source.definitions is None:
        raise ValueError(f"{path.name}: {source.error}")
    stem = path.stem
    process_ids = plane_process_ids(source)
    out = []
    for number, process_id in enumerate(process_ids, start=1):
        name = stem if len(process_ids) == 1 else f"{stem}.{number}"
        reference = path.with_name(f"{name}.png")
        svg = render_source(source, process_id, links=False)
        out.append(Rendering(name, svg, reference if reference.exists() else None))
    return out


def _data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()


# Crop a reference PNG to its drawing: the bounding box of the non-white pixels, ignoring the
# top-right corner of large exports, where Trisotech puts its logo. Returns [data uri, width, height].
_CROP_JS = """async ([src, region]) => {
  const img = new Image();
  img.src = src;
  await img.decode();
  const w = img.naturalWidth, h = img.naturalHeight;
  const canvas = document.createElement("canvas");
  canvas.width = w; canvas.height = h;
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, w, h);
  ctx.drawImage(img, 0, 0);
  const px = ctx.getImageData(0, 0, w, h).data;
  let x0 = w, y0 = h, x1 = -1, y1 = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (w >= 1400 && y < 160 && x > w - 320) continue;
      const i = (y * w + x) * 4;
      if (px[i] < 235 || px[i + 1] < 235 || px[i + 2] < 235) {
        if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y;
      }
    }
  }
  if (x1 < 0) { x0 = 0; y0 = 0; x1 = w - 1; y1 = h - 1; }
  x0 = Math.max(0, x0 - 10); y0 = Math.max(0, y0 - 10);
  x1 = Math.min(w - 1, x1 + 10); y1 = Math.min(h - 1, y1 + 10);
  const cw = x1 - x0, ch = y1 - y0;  // then the part `region` asks for, in fractions of that
  [x0, y0, x1, y1] = [x0 + cw * region[0], y0 + ch * region[1], x0 + cw * region[2], y0 + ch * region[3]];
  const out = document.createElement("canvas");
  out.width = x1 - x0 + 1; out.height = y1 - y0 + 1;
  out.getContext("2d").drawImage(canvas, x0, y0, out.width, out.height, 0, 0, out.width, out.height);
  return [out.toDataURL("image/png"), out.width, out.height];
}"""


def _side_by_side_html(rendering: Rendering, svg_png: Path, width: int, page, region) -> str:  # noqa: ANN001
    page.set_content("<!doctype html><html><body></body></html>")
    ours, w, h = page.evaluate(_CROP_JS, [_data_uri(svg_png), list(region)])
    stacked = w >= h  # wide diagrams read better one above the other; tall ones side by side
    if rendering.reference is None:
        ref = "<p>(no reference PNG)</p>"
    else:
        uri, w, h = page.evaluate(_CROP_JS, [_data_uri(rendering.reference), list(region)])
        ref = f'<img src="{uri}" alt="reference">'
    layout = "column" if stacked else "row"
    half = width if stacked else width // 2 - 12
    return f"""<!doctype html><html><head><style>
body{{margin:0;font:14px Arial,sans-serif;background:#fff}}
#both{{display:flex;flex-direction:{layout};gap:12px;width:{width}px;padding:8px}}
figure{{margin:0;width:{half}px;border:1px solid #ccd}}
figcaption{{background:#eef;padding:2px 6px}}
img{{display:block;width:100%;height:auto}}
</style></head><body><div id="both">
<figure><figcaption>{html.escape(rendering.name)}: MIWG reference</figcaption>{ref}</figure>
<figure><figcaption>{html.escape(rendering.name)}: Operate renderer</figcaption><img src="{ours}" alt="ours"></figure>
</div></body></html>"""


def write_images(
    renderings: list[Rendering], out: Path, width: int, region: tuple[float, ...] = (0, 0, 1, 1)
) -> list[Path]:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            for rendering in renderings:
                svg_path = out / f"{rendering.name}.svg"
                svg_path.write_text(rendering.svg, encoding="utf-8")
                page.set_content(f'<!doctype html><html><body style="margin:0">{rendering.svg}</body></html>')
                ours = out / f"{rendering.name}.ours.png"
                page.locator("svg").first.screenshot(path=str(ours))
                page.set_content(_side_by_side_html(rendering, ours, width, page, region))
                part = "" if tuple(region) == (0, 0, 1, 1) else ".part"
                side = out / f"{rendering.name}.side{part}.png"
                page.locator("#both").screenshot(path=str(side))
                written.append(side)
        finally:
            browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="*", help="model names such as C.4.0 (default: all)")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--width", type=int, default=1600, help="width of the side-by-side images in pixels")
    parser.add_argument(
        "--region",
        default="0,0,1,1",
        help="only this part of both drawings, as fractions x0,y0,x1,y1 (e.g. 0,0,.5,.5 for the top left"
        " quarter); written as <model>.side.part.png",
    )
    args = parser.parse_args(argv)
    region = tuple(float(v) for v in args.region.split(","))
    if len(region) != 4:
        parser.error("--region takes four fractions x0,y0,x1,y1")
    _setup_django()
    paths = sorted(REFERENCE.glob("*.bpmn"))
    if args.models:
        paths = [p for p in paths if p.stem in args.models]
    if not paths:
        print(f"no reference models found in {REFERENCE}", file=sys.stderr)
        return 1
    renderings = []
    failed = 0
    for path in paths:
        try:
            renderings.extend(render_model(path))
        except Exception as exc:  # report every model that fails, then exit non-zero
            failed += 1
            print(f"FAILED {path.name}: {exc!r}", file=sys.stderr)
    for side in write_images(renderings, args.out, args.width, region):
        print(side)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
