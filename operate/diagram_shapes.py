"""SVG building blocks for the BPMN diagram: shapes, icons, markers, text.

Pure functions returning SVG fragments as strings. Every piece of text that
comes from a model goes through `esc`; nothing here emits scripts or event
handler attributes. Icons are drawn in a fixed local frame (36x36 for event
definitions, 50x50 for gateway markers, 16x16 for task types and markers) and
placed with a transform, so they scale with the shape.
"""

from __future__ import annotations

import math
from html import escape

STROKE = "#22242a"
FILL = "#ffffff"
FONT_SIZE = 11
LINE_HEIGHT = 13
CHAR_WIDTH = 5.7  # average advance of the sans-serif face at FONT_SIZE


def esc(value: object) -> str:
    return escape(str(value), quote=True)


def n(value: float) -> str:
    """A compact number for SVG attributes."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def points(pts) -> str:  # noqa: ANN001
    return " ".join(f"{n(x)},{n(y)}" for x, y in pts)


def wrap(text: str, width: float, scale: float = 1.0) -> list[str]:
    """Greedy word wrap by an average character width (no font metrics on the server)."""
    per_line = max(4, int(width / (CHAR_WIDTH * scale)))
    lines: list[str] = []
    for paragraph in text.replace("\r", "").split("\n"):
        current = ""
        for word in paragraph.split():
            while len(word) > per_line:
                if current:
                    lines.append(current)
                    current = ""
                lines.append(word[:per_line])
                word = word[per_line:]
            candidate = f"{current} {word}" if current else word
            if len(candidate) <= per_line:
                current = candidate
            else:
                lines.append(current)
                current = word
        lines.append(current)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def text_block(
    text: str,
    cx: float,
    y: float,
    width: float,
    *,
    anchor: str = "middle",
    valign: str = "top",
    height: float = 0,
    cls: str = "bpmn-label",
    scale: float = 1.0,
) -> str:
    """Wrapped text; `cx` is the centre (anchor middle) or left edge (anchor start)."""
    lines = wrap(text, width, scale)
    if not lines:
        return ""
    step = LINE_HEIGHT * scale
    total = len(lines) * step
    if valign == "middle":
        top = y + (height - total) / 2
    else:
        top = y
    spans = "".join(
        f'<tspan x="{n(cx)}" y="{n(top + (i + 1) * step - 3 * scale)}">{esc(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    size = f' style="font-size:{n(FONT_SIZE * scale)}px"' if scale != 1.0 else ""
    return f'<text class="{cls}" text-anchor="{anchor}"{size}>{spans}</text>'


def vertical_text(text: str, cx: float, cy: float, length: float) -> str:
    """Text rotated -90 degrees around (cx, cy): pool and lane names."""
    lines = wrap(text, length)[:2]
    total = len(lines) * LINE_HEIGHT
    spans = "".join(
        f'<tspan x="{n(cx)}" y="{n(cy - total / 2 + (i + 1) * LINE_HEIGHT - 3)}">{esc(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    return f'<text class="bpmn-label" text-anchor="middle" transform="rotate(-90 {n(cx)} {n(cy)})">{spans}</text>'


# -- markers (arrowheads) ----------------------------------------------------------


def marker_defs(prefix: str) -> str:
    """Arrowheads for flows; the "-taken" variants carry the path colour.

    Sized in user units (markerUnits="userSpaceOnUse", one viewBox unit = one diagram unit) as
    bpmn-js and the MIWG references draw them: a 10x10 sequence flow arrowhead and a 16x8
    conditional diamond, whatever the line's stroke width.
    """
    out = []
    size = 'viewBox="0 0 20 20" markerWidth="20" markerHeight="20" markerUnits="userSpaceOnUse"'
    for suffix, colour in (("", STROKE), ("-taken", "#1a7f37")):
        out.append(
            f'<marker id="{prefix}seq{suffix}" {size} refX="11" refY="10" orient="auto">'
            f'<path d="M1,5 L11,10 L1,15 Z" fill="{colour}" stroke="{colour}" stroke-width="1"/></marker>'
        )
        out.append(
            f'<marker id="{prefix}cond{suffix}" {size} refX="-1" refY="10" orient="auto">'
            f'<path d="M0,10 L8,6 L16,10 L8,14 Z" fill="{FILL}" stroke="{colour}" stroke-width="1"/></marker>'
        )
    out.append(
        f'<marker id="{prefix}msg-start" {size} refX="6" refY="6"><circle cx="6" cy="6" r="3.5" fill="{FILL}" '
        f'stroke="{STROKE}" stroke-width="1"/></marker>'
    )
    out.append(
        f'<marker id="{prefix}msg-end" {size} refX="11" refY="10" orient="auto">'
        f'<path d="M1,5 L11,10 L1,15 Z" fill="{FILL}" stroke="{STROKE}" stroke-width="1"/></marker>'
    )
    out.append(
        f'<marker id="{prefix}open" {size} refX="11" refY="10" orient="auto">'
        f'<path d="M1,5 L11,10 L1,15" fill="none" stroke="{STROKE}" stroke-width="1.2"/></marker>'
    )
    return "<defs>" + "".join(out) + "</defs>"


def message_envelope(cx: float, cy: float, *, initiating: bool) -> str:
    """The envelope BPMN DI's messageVisibleKind puts on a message flow (shaded: non-initiating)."""
    x, y = cx - 10, cy - 7
    fill = FILL if initiating else "#c8ccd2"
    return (
        f'<g class="bpmn-message-marker"><rect x="{n(x)}" y="{n(y)}" width="20" height="14" fill="{fill}" '
        f'stroke="{STROKE}" stroke-width="1"/><path d="M{n(x)},{n(y)} L{n(cx)},{n(cy + 1)} L{n(x + 20)},{n(y)}" '
        f'fill="none" stroke="{STROKE}" stroke-width="1"/></g>'
    )


def midpoint(pts) -> tuple[float, float]:  # noqa: ANN001
    """The middle of a polyline's middle segment (the longer of the two middle ones for an even count)."""
    segments = list(zip(pts, pts[1:], strict=False))
    middle = len(segments) // 2
    if len(segments) % 2 == 0:
        candidates = segments[middle - 1 : middle + 1]
        (a0, a1), (b0, b1) = candidates
        longer = math.dist(a0, a1) >= math.dist(b0, b1)
        (x0, y0), (x1, y1) = candidates[0] if longer else candidates[1]
    else:
        (x0, y0), (x1, y1) = segments[middle]
    return (x0 + x1) / 2, (y0 + y1) / 2


# -- event definition icons (36x36 frame, centre 18,18) -----------------------------


def _envelope(filled: bool) -> str:
    if filled:
        return (
            f'<rect x="9" y="12" width="18" height="12" fill="{STROKE}" stroke="{STROKE}"/>'
            f'<path d="M9,12 L18,18.5 L27,12" fill="none" stroke="{FILL}" stroke-width="1"/>'
        )
    return (
        f'<rect x="9" y="12" width="18" height="12" fill="{FILL}" stroke="{STROKE}"/>'
        f'<path d="M9,12 L18,18.5 L27,12" fill="none" stroke="{STROKE}"/>'
    )


def _timer() -> str:
    ticks = []
    for i in range(12):
        a = i * math.pi / 6
        x1, y1 = 18 + 8 * math.cos(a), 18 + 8 * math.sin(a)
        x2, y2 = 18 + 10 * math.cos(a), 18 + 10 * math.sin(a)
        ticks.append(f"M{n(x1)},{n(y1)} L{n(x2)},{n(y2)}")
    return (
        f'<circle cx="18" cy="18" r="11" fill="{FILL}" stroke="{STROKE}" stroke-width="1.5"/>'
        f'<path d="{" ".join(ticks)}" stroke="{STROKE}" stroke-width="1"/>'
        f'<path d="M18,18 L18,10.5 M18,18 L23,16" fill="none" stroke="{STROKE}" stroke-width="1.3"/>'
    )


_ICON_POLYGONS = {
    "signal": ((18, 8.5), (27.5, 25), (8.5, 25)),
    "escalation": ((18, 8), (25.5, 27), (18, 20), (10.5, 27)),
    # a zig-zag bolt from the lower left to the upper right (the BPMN error glyph)
    "error": ((9, 26.5), (15.8, 17.5), (22.6, 25.5), (27, 9), (21.6, 19.5), (15, 10.7)),
    "link": ((9, 14.5), (19, 14.5), (19, 10), (27.5, 18), (19, 26), (19, 21.5), (9, 21.5)),
    "multiple": ((18, 8.5), (27, 15), (23.5, 25.5), (12.5, 25.5), (9, 15)),
    "cancel": (
        (11, 13.5),
        (13.5, 11),
        (18, 15.5),
        (22.5, 11),
        (25, 13.5),
        (20.5, 18),
        (25, 22.5),
        (22.5, 25),
        (18, 20.5),
        (13.5, 25),
        (11, 22.5),
        (15.5, 18),
    ),
    "parallelMultiple": (
        (15.5, 9),
        (20.5, 9),
        (20.5, 15.5),
        (27, 15.5),
        (27, 20.5),
        (20.5, 20.5),
        (20.5, 27),
        (15.5, 27),
        (15.5, 20.5),
        (9, 20.5),
        (9, 15.5),
        (15.5, 15.5),
    ),
}


def event_icon(kind: str, filled: bool) -> str:
    """The icon of one event definition kind; throw events draw it filled."""
    fill = STROKE if filled else FILL
    if kind == "message":
        return _envelope(filled)
    if kind == "timer":
        return _timer()
    if kind == "terminate":
        return f'<circle cx="18" cy="18" r="9.5" fill="{STROKE}"/>'
    if kind == "compensate":
        return (
            f'<polygon points="8.5,18 17.5,12 17.5,24" fill="{fill}" stroke="{STROKE}" stroke-linejoin="round"/>'
            f'<polygon points="17.5,18 26.5,12 26.5,24" fill="{fill}" stroke="{STROKE}" stroke-linejoin="round"/>'
        )
    if kind == "conditional":
        return (
            f'<rect x="11" y="9.5" width="14" height="17" fill="{FILL}" stroke="{STROKE}"/>'
            f'<path d="M13,13 H23 M13,16.5 H23 M13,20 H23 M13,23.5 H23" stroke="{STROKE}"/>'
        )
    polygon = _ICON_POLYGONS.get(kind)
    if polygon is None:
        return ""
    if kind == "parallelMultiple":
        fill = FILL  # never filled (only catching)
    return f'<polygon points="{points(polygon)}" fill="{fill}" stroke="{STROKE}" stroke-linejoin="round"/>'


# -- gateway markers (50x50 frame) -------------------------------------------------


def gateway_marker(tag: str, *, instantiate: bool = False, parallel_events: bool = False) -> str:
    s = f'stroke="{STROKE}"'
    if tag == "exclusiveGateway":
        return f'<path d="M16,16 L34,34 M34,16 L16,34" {s} stroke-width="4.5" stroke-linecap="butt"/>'
    if tag == "parallelGateway":
        return f'<path d="M25,12 V38 M12,25 H38" {s} stroke-width="4.5"/>'
    if tag == "inclusiveGateway":
        return f'<circle cx="25" cy="25" r="11" fill="none" {s} stroke-width="2.5"/>'
    if tag == "complexGateway":
        return f'<path d="M25,12 V38 M12,25 H38 M16,16 L34,34 M34,16 L16,34" {s} stroke-width="3.5"/>'
    if tag == "eventBasedGateway":
        if parallel_events:
            inner = '<path d="M25,16 V34 M16,25 H34" fill="none" stroke="#22242a" stroke-width="2.5"/>'
        else:
            inner = (
                f'<polygon points="25,17.5 32.5,23 29.5,31.5 20.5,31.5 17.5,23" fill="none" {s} '
                'stroke-width="1.3" stroke-linejoin="round"/>'
            )
        circles = f'<circle cx="25" cy="25" r="12" fill="none" {s} stroke-width="1"/>'
        if not instantiate:
            circles += f'<circle cx="25" cy="25" r="10" fill="none" {s} stroke-width="1"/>'
        return circles + inner
    return ""


# -- task type icons (16x16 frame, top left of the task) ----------------------------


def _gear() -> str:
    teeth = []
    for i in range(16):
        a = i * math.pi / 8 - math.pi / 16
        r = 7.5 if i % 2 == 0 else 5.5
        teeth.append((8 + r * math.cos(a), 8 + r * math.sin(a)))
    return (
        f'<polygon points="{points(teeth)}" fill="{FILL}" stroke="{STROKE}" stroke-width="1.3" '
        'stroke-linejoin="round"/>'
        f'<circle cx="8" cy="8" r="2.3" fill="{FILL}" stroke="{STROKE}" stroke-width="1.3"/>'
    )


def task_icon(tag: str) -> str:
    if tag == "serviceTask":
        return f'<g transform="scale(0.8)">{_gear()}<g transform="translate(5 5)">{_gear()}</g></g>'
    if tag == "userTask":
        return (
            f'<path d="M1.5,17 C1.5,11 4,9.5 8,9.5 C12,9.5 14.5,11 14.5,17 Z" fill="{FILL}" stroke="{STROKE}"/>'
            f'<circle cx="8" cy="5.5" r="3.8" fill="{FILL}" stroke="{STROKE}"/>'
            f'<path d="M4.3,4.8 C6,3 10,3 11.7,4.8" fill="none" stroke="{STROKE}" stroke-width="1.6"/>'
            f'<path d="M5,12 V17 M11,12 V17" stroke="{STROKE}" stroke-width="0.8"/>'
        )
    if tag in ("sendTask", "receiveTask"):
        filled = tag == "sendTask"
        return f'<g transform="translate(-9 -9.5) scale(1)">{_envelope(filled)}</g>'
    if tag == "scriptTask":
        return (
            f'<path d="M4,1 H14 C11,5 15,9 12,15 H2 C5,9 1,5 4,1 Z" fill="{FILL}" stroke="{STROKE}"/>'
            f'<path d="M4.5,4.5 H11 M5,7.5 H11.5 M5,10.5 H11.5" stroke="{STROKE}" stroke-width="0.8"/>'
        )
    if tag == "manualTask":
        return (
            f'<path d="M1,6 C3,4 7,3 10,3 C11.5,3 11.5,5 10,5 H7 H14 C15.5,5 15.5,7 14,7 H9 H15 '
            "C16.5,7 16.5,9 15,9 H9 H14 C15.5,9 15.5,11 14,11 H9 H12.5 C14,11 14,13 12.5,13 "
            f'H4 C2,13 1,12 1,10 Z" fill="{FILL}" stroke="{STROKE}" stroke-width="0.9" stroke-linejoin="round"/>'
        )
    if tag == "businessRuleTask":
        return (
            f'<rect x="1" y="3" width="15" height="11" fill="{FILL}" stroke="{STROKE}"/>'
            f'<rect x="1" y="3" width="15" height="3" fill="{STROKE}"/>'
            f'<path d="M1,10 H16 M5.5,6 V14" stroke="{STROKE}"/>'
        )
    return ""


# -- activity markers (bottom centre; 14x14 each) -----------------------------------


def activity_marker(kind: str) -> str:
    s = f'stroke="{STROKE}"'
    if kind == "parallel":
        return f'<path d="M3,1 V13 M7,1 V13 M11,1 V13" {s} stroke-width="2"/>'
    if kind == "sequential":
        return f'<path d="M1,3 H13 M1,7 H13 M1,11 H13" {s} stroke-width="2"/>'
    if kind == "standard":
        return (
            f'<path d="M4.5,12 A5.5,5.5 0 1 1 10,12" fill="none" {s} stroke-width="1.3"/>'
            f'<path d="M4.5,12 L1,11 M4.5,12 L4.5,8.5" fill="none" {s} stroke-width="1.3"/>'
        )
    if kind == "compensation":
        return f'<polygon points="0,7 7,2 7,12" fill="none" {s}/><polygon points="7,7 14,2 14,12" fill="none" {s}/>'
    if kind == "collapsed":
        return f'<rect x="0.5" y="0.5" width="13" height="13" fill="{FILL}" {s}/><path d="M7,3 V11 M3,7 H11" {s}/>'
    if kind == "adhoc":
        return f'<path d="M1,8 C3,4 5,4 7,7 C9,10 11,10 13,6" fill="none" {s} stroke-width="1.5"/>'
    return ""


# -- data and artifacts -------------------------------------------------------------


def data_object(x: float, y: float, w: float, h: float, *, collection: bool = False, arrow: str = "") -> str:
    fold = min(w, h) * 0.3
    body = (
        f'<path class="bpmn-shape" d="M{n(x)},{n(y)} H{n(x + w - fold)} L{n(x + w)},{n(y + fold)} '
        f'V{n(y + h)} H{n(x)} Z M{n(x + w - fold)},{n(y)} V{n(y + fold)} H{n(x + w)}"/>'
    )
    if collection:
        bx = x + w / 2 - 6
        body += (
            f'<path d="M{n(bx + 2)},{n(y + h - 12)} v10 M{n(bx + 6)},{n(y + h - 12)} v10 '
            f'M{n(bx + 10)},{n(y + h - 12)} v10" stroke="{STROKE}" stroke-width="1.5"/>'
        )
    if arrow:
        fill = STROKE if arrow == "output" else FILL
        body += (
            f'<path d="M{n(x + 3)},{n(y + 6)} h6 v-3 l5,5 l-5,5 v-3 h-6 z" fill="{fill}" stroke="{STROKE}" '
            'stroke-width="0.8"/>'
        )
    return body


def data_store(x: float, y: float, w: float, h: float) -> str:
    ry = min(8.0, h / 6)
    return (
        f'<path class="bpmn-shape" d="M{n(x)},{n(y + ry)} A{n(w / 2)},{n(ry)} 0 0 1 {n(x + w)},{n(y + ry)} '
        f'V{n(y + h - ry)} A{n(w / 2)},{n(ry)} 0 0 1 {n(x)},{n(y + h - ry)} Z"/>'
        f'<path d="M{n(x)},{n(y + ry)} A{n(w / 2)},{n(ry)} 0 0 0 {n(x + w)},{n(y + ry)} '
        f"M{n(x)},{n(y + 2 * ry)} A{n(w / 2)},{n(ry)} 0 0 0 {n(x + w)},{n(y + 2 * ry)} "
        f'M{n(x)},{n(y + 3 * ry)} A{n(w / 2)},{n(ry)} 0 0 0 {n(x + w)},{n(y + 3 * ry)}" fill="none" '
        f'stroke="{STROKE}"/>'
    )


def badge(x: float, y: float, text: str, cls: str) -> str:
    """A pill with `text` whose left edge is at x, vertically centred on y."""
    width = max(18.0, 7.0 * len(text) + 8)
    return (
        f'<g class="bpmn-badge {cls}"><rect x="{n(x)}" y="{n(y - 9)}" width="{n(width)}" height="18" rx="9"/>'
        f'<text x="{n(x + width / 2)}" y="{n(y + 4)}" text-anchor="middle">{esc(text)}</text></g>'
    )


def badge_width(text: str) -> float:
    return max(18.0, 7.0 * len(text) + 8)
