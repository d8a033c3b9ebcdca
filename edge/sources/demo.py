"""The ``demo`` source: a synthetic camera scene of handwritten digits on paper.

Needs no camera, no download and no data file. A sheet of paper (white, cream,
a sticky note, sometimes ruled or squared, sometimes held by a thumb) lies on a
desk and carries 1 to 5 handwritten-looking digits, some grouped into multi-digit
numbers. The sheet drifts slowly across the frame (translation, a little rotation,
scale and perspective, a trace of hand tremor) under changing light (exposure
ramps, a colour cast, a gradient, vignetting, sometimes a soft shadow or glare),
with episodes of camera shake (motion blur) and defocus, webcam softness, Gaussian
sensor noise and sometimes JPEG artefacts. Every few seconds the scene cuts to a new
sheet, writer and pen. Each frame carries its ground truth: one ``(label, ROI)`` per
digit, the ROI being the tight box of that digit's ink in frame pixels.

Digits are drawn procedurally, not from a font, by :mod:`edge.sources.handwriting` and
written onto paper by :mod:`edge.sources.render` (the paper-and-ink renderer); each sheet
is built by :mod:`edge.sources.demo_sheet`.

Rendering is cheap because the expensive parts are done once per scene segment:
the sheet with its ink, the desk, the noise bank. A frame is one perspective warp
of the sheet onto the desk, a low-resolution light map scaled up and multiplied in,
noise added from the bank, and occasionally a blur or a JPEG round trip. Every
frame depends only on ``(seed, index)``, so runs are reproducible and frames can be
rendered in any order (:meth:`DemoSource.render`).

The same role as the ``synth:`` sources of OpenCV's ``samples/python/video.py``:
tests, benchmarks and first runs behave like a camera without one.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from edge.sources.demo_sheet import Sheet, build_sheet
from edge.sources.procedural import ProceduralSource, gain_map, light_gain, light_grid, soft_blur
from edge.types import ROI, Frame

__all__ = ["DemoSource"]


def _matrix_affine(cx: float, cy: float, s: float, theta: float, ax: float, ay: float) -> np.ndarray:
    """3x3 matrix mapping paper (u, v) to frame: q = c + s R(theta) (p - a)."""
    c, si = math.cos(theta) * s, math.sin(theta) * s
    return np.array([[c, -si, cx - c * ax + si * ay], [si, c, cy - si * ax - c * ay], [0.0, 0.0, 1.0]])


class DemoSource(ProceduralSource[Sheet]):
    """The built-in synthetic scene: handwritten digits on a moving sheet of paper.

    Frames are a pure function of ``(seed, index)``: the same seed gives the same
    video on every machine and frames can be rendered in any order. The scene
    changes to a new sheet (paper, writer, pen, digits, desk, light) every
    ``segment_frames`` frames.

    Args:
        seed: the scene's random seed (any int).
        width: frame width in px.
        height: frame height in px.
        fps: nominal frame rate; ``timestamp = index / fps`` seconds (not wall time).
        num_frames: frames before :meth:`read` returns ``None``; ``None`` = endless.
        max_digits: at most this many digits per sheet (1..8); each sheet holds
            1..``max_digits``, alone or as numbers of up to 3 digits.
        segment_frames: frames per sheet; default 5 s worth (``round(5 * fps)``).
        realtime: pace :meth:`read` to ``fps`` like a camera: wait when the
            consumer is early, skip frames when it is late (``live`` is then
            ``True`` and ``Frame.index`` jumps over the skipped frames).

    Frames:
        ``image`` uint8 (height, width, 3) BGR; ``timestamp = index / fps``;
        ``index`` the scene frame number; ``truth`` a tuple of ``(label, ROI)``,
        one per digit in reading order (rows top to bottom, left to right), ``label``
        in ``'0'..'9'`` and ``ROI`` the tight box of that digit's ink in frame px,
        always entirely inside the frame.

    Raises:
        ValueError: a size, rate or count out of range.
    """

    spec = "demo"
    segment_seconds = 5
    streams = (1, 2, 3)

    def __init__(
        self,
        seed: int = 0,
        *,
        width: int = 640,
        height: int = 480,
        fps: float = 30.0,
        num_frames: int | None = None,
        max_digits: int = 5,
        segment_frames: int | None = None,
        realtime: bool = False,
    ) -> None:
        super().__init__(
            seed,
            width=width,
            height=height,
            fps=fps,
            num_frames=num_frames,
            segment_frames=segment_frames,
            realtime=realtime,
        )
        if not 1 <= max_digits <= 8:
            raise ValueError(f"max_digits must be in 1..8, got {max_digits}")
        self.max_digits = max_digits
        # float32 (H, W, 3) motion-blur accumulator, reused: a fresh 3.7 MiB buffer on every
        # shaken frame (~44% of frames) kept glibc's heap churning (RSS swings over long runs)
        self._blur_acc: np.ndarray | None = None

    # ---- public --------------------------------------------------------------------

    def render(self, index: int) -> Frame:
        """Render scene frame ``index`` (any order; the same index gives the same frame).

        Returns:
            A :class:`~edge.types.Frame`: uint8 (height, width, 3) BGR image,
            ``timestamp = index / fps``, ``truth`` as in the class docstring.
        """
        seg, tau = self._position(index)
        rng = self._frame_rng(index)
        mats, pts = self._geometry(seg, tau)
        image = self._compose(seg, mats, tau, rng)
        truth = tuple((d.label, roi) for d, roi in zip(seg.digits, self._boxes(seg, pts), strict=True))
        return Frame(image=image, timestamp=index / self.fps, index=index, truth=truth)

    def numbers(self, index: int) -> tuple[tuple[str, ROI], ...]:
        """The numbers written on the sheet in frame ``index``, without rendering it.

        Returns:
            One ``(number, ROI)`` per group of digits written together, in reading
            order; ``ROI`` encloses the ink of all its digits, in frame px.
        """
        seg, tau = self._position(index)
        _, pts = self._geometry(seg, tau)
        boxes = self._boxes(seg, pts)
        out: dict[int, tuple[str, ROI]] = {}
        for d, b in zip(seg.digits, boxes, strict=True):
            if d.group not in out:
                out[d.group] = (d.label, b)
            else:
                s, r = out[d.group]
                x0, y0 = min(r.x, b.x), min(r.y, b.y)
                x1, y1 = max(r.x + r.w, b.x + b.w), max(r.y + r.h, b.y + b.h)
                out[d.group] = (s + d.label, ROI(x0, y0, x1 - x0, y1 - y0))
        return tuple(out.values())

    def _build_segment(self, rng: np.random.Generator) -> Sheet:
        return build_sheet(
            rng,
            width=self.width,
            height=self.height,
            fps=self.fps,
            segment_frames=self.segment_frames,
            max_digits=self.max_digits,
            sensor_noise=self._sensor_noise,
        )

    # ---- per frame -----------------------------------------------------------------

    def _matrix(self, seg: Sheet, t: float) -> np.ndarray:
        """3x3 paper->frame homography at time ``t`` seconds into the segment."""
        m = seg.motion
        two_pi = 2 * math.pi
        s = m["s0"] * (1 + m["a_scale"] * math.sin(two_pi * m["f_scale"] * t + m["p_scale"]))
        theta = m["theta0"] + m["a_theta"] * math.sin(two_pi * m["f_theta"] * t + m["p_theta"])
        tr = m["tremor"]
        cx = (
            m["cx"]
            + m["ax"] * math.sin(two_pi * m["fx"] * t + m["px"])
            + tr * math.sin(two_pi * m["ft1"] * t + m["pt"])
        )
        cy = (
            m["cy"]
            + m["ay"] * math.sin(two_pi * m["fy"] * t + m["py"])
            + tr * math.sin(two_pi * m["ft2"] * t + 1.7 * m["pt"])
        )
        A = _matrix_affine(cx, cy, s, theta, *seg.anchor)
        wob = math.sin(two_pi * m["fk"] * t)
        kx, ky = m["kx"] * (0.5 + 0.5 * wob), m["ky"] * (0.5 - 0.5 * wob)
        # keystone about the centre of the ink: a small out-of-plane tilt
        T = np.array([[1, 0, -cx], [0, 1, -cy], [0, 0, 1.0]])
        K = np.array([[1, 0, 0], [0, 1, 0], [kx, ky, 1.0]])
        Ti = np.array([[1, 0, cx], [0, 1, cy], [0, 0, 1.0]])
        return Ti @ K @ T @ A

    def _shake(self, seg: Sheet, tau: float) -> tuple[float, float]:
        dx = dy = 0.0
        for e in seg.episodes:
            if e.kind == "shake" and e.start <= tau <= e.start + e.length:
                u = (tau - e.start) / e.length
                amp = e.strength * 0.12 * min(self.width, self.height)
                d = amp * (1 - math.cos(2 * math.pi * u)) / 2
                dx, dy = dx + d * math.cos(e.angle), dy + d * math.sin(e.angle)
        return dx, dy

    def _geometry(self, seg: Sheet, tau: int) -> tuple[list[np.ndarray], np.ndarray]:
        """Homographies for the exposure sub-samples of frame ``tau`` and the digit hull
        points at the frame's time, (K, 1, 2) float32 in frame px, all kept in the frame."""
        allpts = np.vstack([d.hull for d in seg.digits])

        def at(tt: float) -> np.ndarray:
            M = self._matrix(seg, tt / self.fps)
            dx, dy = self._shake(seg, tt)
            return np.array([[1, 0, dx], [0, 1, dy], [0, 0, 1.0]]) @ M

        M = at(tau)
        pts = cv2.perspectiveTransform(allpts, M)
        # keep every digit inside the frame: shift back if the motion carried it out
        mg = seg.motion["margin"]
        x0, y0 = pts[:, 0, 0].min(), pts[:, 0, 1].min()
        x1, y1 = pts[:, 0, 0].max(), pts[:, 0, 1].max()
        sx = max(0.0, mg - x0) - max(0.0, x1 - (self.width - 1 - mg))
        sy = max(0.0, mg - y0) - max(0.0, y1 - (self.height - 1 - mg))
        shift = np.array([[1, 0, sx], [0, 1, sy], [0, 0, 1.0]])
        pts = pts + np.array([sx, sy], np.float32)
        # motion blur: average sub-frame positions over the exposure while the sheet moves fast
        mats = [shift @ M]
        p_prev, p_next = (
            cv2.perspectiveTransform(allpts[:1], at(tau - 0.5)),
            cv2.perspectiveTransform(allpts[:1], at(tau + 0.5)),
        )
        speed = float(np.linalg.norm(p_next - p_prev))  # px per frame
        n_sub = int(np.clip(math.ceil(speed * 0.7 / 2.0), 1, 10))  # sub-exposures about 2 px apart
        if n_sub > 1:
            mats = [shift @ at(tau + 0.7 * (k / (n_sub - 1) - 0.5)) for k in range(n_sub)]
        return mats, pts

    def _boxes(self, seg: Sheet, pts: np.ndarray) -> list[ROI]:
        boxes = []
        i = 0
        for d in seg.digits:
            p = pts[i : i + len(d.hull), 0]
            i += len(d.hull)
            x0 = int(max(0, math.floor(p[:, 0].min())))
            y0 = int(max(0, math.floor(p[:, 1].min())))
            x1 = int(min(self.width, math.ceil(p[:, 0].max()) + 1))
            y1 = int(min(self.height, math.ceil(p[:, 1].max()) + 1))
            boxes.append(ROI(x0, y0, x1 - x0, y1 - y0))
        return boxes

    def _light_map(self, seg: Sheet, t: float) -> np.ndarray:
        """uint8 (H, W, 3) gain map, 128 = 1.0: exposure, colour cast, gradient,
        vignetting, shadow and glare at time ``t`` seconds."""
        L = seg.light
        xx, yy, aspect = light_grid(self.width, self.height)
        two_pi = 2 * math.pi
        g = L["g0"] + L["ag"] * math.sin(two_pi * L["fg"] * t + L["pg"])
        if t >= L["ae_t"]:  # auto-exposure step, then recovery
            g += L["ae_a"] * math.exp(-(t - L["ae_t"]) / 0.6)
        phi = L["grad_phi"] + L["grad_w"] * t
        gain = light_gain(xx, yy, aspect, g, L["grad"], (math.cos(phi), math.sin(phi)), L["vignette"])
        if L["shadow"] > 0:
            ph = L["sh_phi"]
            off = L["sh_off"] + L["sh_a"] * math.sin(two_pi * L["sh_f"] * t)
            d = (math.cos(ph) * xx + math.sin(ph) * yy - off) / L["sh_w"]
            gain *= 1 - L["shadow"] / (1 + np.exp(np.clip(-4 * d, -30, 30)))
        if L["glare"] > 0:
            r2 = ((xx - L["gl_x"]) ** 2 + (yy - L["gl_y"]) ** 2) / (L["gl_r"] ** 2)
            gain += L["glare"] * np.exp(-r2)
        return gain_map(gain[..., None] * seg.tint[None, None, :], self.width, self.height)

    def _compose(self, seg: Sheet, mats: list[np.ndarray], tau: int, rng: np.random.Generator) -> np.ndarray:
        W, H = self.width, self.height
        if len(mats) == 1:
            img = seg.desk.copy()
            self._warp(seg, mats[0], img)
        else:  # motion blur: mean of sub-exposure warps
            if self._blur_acc is None:
                self._blur_acc = np.zeros((H, W, 3), np.float32)
            acc = self._blur_acc
            acc.fill(0.0)
            for M in mats:
                sub = seg.desk.copy()
                self._warp(seg, M, sub)
                cv2.accumulate(sub, acc)
            img = cv2.convertScaleAbs(acc, alpha=1.0 / len(mats))
        img = cv2.multiply(img, self._light_map(seg, tau / self.fps), scale=1 / 128.0)
        sigma = seg.soft_sigma
        for e in seg.episodes:
            if e.kind == "defocus" and e.start <= tau <= e.start + e.length:
                sigma = max(sigma, e.strength * 3.5 * math.sin(math.pi * (tau - e.start) / e.length))
        img = soft_blur(img, sigma)
        return self._sensor(img, seg.noise, seg.jpeg_quality, rng)

    def _warp(self, seg: Sheet, M: np.ndarray, dst: np.ndarray) -> None:
        """Draw the hand behind the sheet, warp the sheet onto ``dst`` (the desk) in place,
        then draw the thumb in front of it."""
        edge = tuple(int(c * 0.8) for c in seg.skin)
        if seg.palm is not None:
            palm = np.round(cv2.perspectiveTransform(seg.palm, M) * 16).astype(np.int32)
            cv2.fillPoly(dst, [palm], tuple(int(c * 0.85) for c in seg.skin), cv2.LINE_AA, 4)
        # warp only into the box the sheet covers: much less work when it is small in the frame
        hp, wp = seg.paper.shape[:2]
        box = np.array([[[0, 0]], [[wp, 0]], [[wp, hp]], [[0, hp]]], np.float32)
        corners = cv2.perspectiveTransform(box, M)
        x0 = int(np.clip(math.floor(corners[:, 0, 0].min()) - 1, 0, self.width))
        y0 = int(np.clip(math.floor(corners[:, 0, 1].min()) - 1, 0, self.height))
        x1 = int(np.clip(math.ceil(corners[:, 0, 0].max()) + 2, 0, self.width))
        y1 = int(np.clip(math.ceil(corners[:, 0, 1].max()) + 2, 0, self.height))
        if x1 > x0 and y1 > y0:
            sub = np.ascontiguousarray(dst[y0:y1, x0:x1])
            Ms = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1.0]]) @ M
            cv2.warpPerspective(
                seg.paper,
                Ms,
                (x1 - x0, y1 - y0),
                dst=sub,
                flags=cv2.INTER_LINEAR,
                borderMode=cv2.BORDER_TRANSPARENT,
            )
            dst[y0:y1, x0:x1] = sub
        if seg.thumb is not None and seg.nail is not None:
            poly = np.round(cv2.perspectiveTransform(seg.thumb, M) * 16).astype(np.int32)
            cv2.fillPoly(dst, [poly], seg.skin, cv2.LINE_AA, 4)
            cv2.polylines(dst, [poly], True, edge, 1, cv2.LINE_AA, 4)
            npoly = np.round(cv2.perspectiveTransform(seg.nail, M) * 16).astype(np.int32)
            nail_colour = (
                min(255, int(seg.skin[0] * 1.08 + 14)),
                min(255, int(seg.skin[1] * 1.06 + 12)),
                min(255, int(seg.skin[2] * 1.04 + 16)),
            )
            cv2.fillPoly(dst, [npoly], nail_colour, cv2.LINE_AA, 4)
            cv2.polylines(dst, [npoly], True, edge, 1, cv2.LINE_AA, 4)
