"""The ``demo-hands`` source: a synthetic camera scene of rock/paper/scissors hands.

Needs no camera, no download and no data file. A room (a wall of one of several
colours, beige close to skin among them, with shelves of books, pictures, a door, a
window, a poster or a plant; usually a desk in front with a mug, a laptop or papers)
under light that falls off from one side, seen by a webcam with sensor noise, some
softness and sometimes JPEG artefacts. A hand, with its forearm entering from the
bottom, left or right edge of the frame and sometimes a sleeve, moves about (drift,
rotation, nearer and farther) and shows a gesture that changes every 1 to 2 s: rock
(a fist, thumb across or beside it), paper (an open palm, five spread fingers) or
scissors (index and middle finger in a V, the others folded). Each room lasts a few
seconds and most open with an empty stretch (the room with no hand), and now and
then the hand leaves in between, so "no gesture" can be tested. Skin tones range
from very light to dark; the hand is the left or right one, seen from the palm or the
back, with some foreshortening.

The hand is drawn, not photographed (:mod:`edge.sources.hand_shapes`: a palm polygon
and finger capsules in units of one palm width; :mod:`edge.sources.demo_hands_scene`:
shading and blending; :mod:`edge.sources.rooms`: the rooms). This is for the
camera-free main job, tests and the benchmark's segmentation workload, not training
data.

Each frame carries its ground truth: ``(("rock" | "paper" | "scissors", ROI),)`` with
the ROI the tight box of the hand (palm, fingers and thumb, down to the wrist, not
the forearm) in frame pixels, or ``()`` when no hand is in the frame.

Rendering is cheap because the room, its light and the noise bank are made once per
scene; a frame is a copy of the room, the forearm and one small hand canvas, an
exposure gain, noise from the bank and occasionally a blur or a JPEG round trip.
Every frame depends only on ``(seed, index)`` (:meth:`HandsDemoSource.render`).
"""

from __future__ import annotations

import bisect
import math

import cv2
import numpy as np

from edge.sources.demo_hands_scene import HandsScene, build_scene, draw_hand
from edge.sources.hand_shapes import GESTURES, HandPose, hand_shape
from edge.sources.procedural import ProceduralSource
from edge.types import ROI, Frame

__all__ = ["GESTURES", "HandsDemoSource"]

#: The palm centre in local units: the point the motion moves.
ANCHOR = np.array([0.0, -0.55], np.float32)


class HandsDemoSource(ProceduralSource[HandsScene]):
    """The built-in synthetic scene of rock/paper/scissors hands in rooms.

    Frames are a pure function of ``(seed, index)``: the same seed gives the same
    video on every machine and frames can be rendered in any order. The room, skin
    tone, hand size, camera and motion change every ``segment_frames`` frames; the
    gesture every 1 to 2 s within a room.

    Args:
        seed: the scene's random seed (any int).
        width: frame width in px (>= 160).
        height: frame height in px (>= 120).
        fps: nominal frame rate; ``timestamp = index / fps`` seconds (not wall time).
        num_frames: frames before :meth:`read` returns ``None``; ``None`` = endless.
        segment_frames: frames per room; default 6 s worth (``round(6 * fps)``).
        empty_share: probability that a room opens with an empty stretch (0.4..1.2 s,
            at most 35 % of the room); another empty stretch follows a gesture with
            probability ``empty_share / 4``.
        realtime: pace :meth:`read` to ``fps`` like a camera: wait when the
            consumer is early, skip frames when it is late (``live`` is then
            ``True`` and ``Frame.index`` jumps over the skipped frames).

    Frames:
        ``image`` uint8 (height, width, 3) BGR; ``timestamp = index / fps``;
        ``index`` the scene frame number; ``truth`` ``((label, ROI),)`` with ``label``
        in :data:`GESTURES` and ``ROI`` the tight box of the hand (palm, fingers and
        thumb to the wrist, not the forearm) in frame px, always inside the frame; or
        ``()`` when the frame shows no hand.

    Raises:
        ValueError: a size, rate, count or share out of range.
    """

    spec = "demo-hands"
    segment_seconds = 6
    streams = (11, 12, 13)

    def __init__(
        self,
        seed: int = 0,
        *,
        width: int = 640,
        height: int = 480,
        fps: float = 30.0,
        num_frames: int | None = None,
        segment_frames: int | None = None,
        empty_share: float = 0.7,
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
        if segment_frames is not None and segment_frames < 1:
            raise ValueError(f"segment_frames must be >= 1 or None, got {segment_frames}")
        if not 0.0 <= empty_share <= 1.0:
            raise ValueError(f"empty_share must be in [0, 1], got {empty_share}")
        self.empty_share = float(empty_share)

    # ---- public --------------------------------------------------------------------

    def render(self, index: int) -> Frame:
        """Render scene frame ``index`` (any order; the same index gives the same frame).

        Returns:
            A :class:`~edge.types.Frame`: uint8 (height, width, 3) BGR image,
            ``timestamp = index / fps``, ``truth`` as in the class docstring.

        Raises:
            ValueError: ``index < 0``.
        """
        scene, pose, tau = self._locate(index)
        rng = self._frame_rng(index)
        img = scene.room.copy()
        truth: tuple[tuple[str, ROI], ...] = ()
        if pose.label is not None:
            geo = self._geometry(scene, pose, tau)
            draw_hand(img, scene, geo)
            truth = ((pose.label, geo["box"]),)
        img = self._camera(img, scene, tau, rng)
        return Frame(image=img, timestamp=index / self.fps, index=index, truth=truth)

    def truth(self, index: int) -> tuple[tuple[str, ROI], ...]:
        """The ground truth of frame ``index`` without rendering it (as ``Frame.truth``)."""
        scene, pose, tau = self._locate(index)
        if pose.label is None:
            return ()
        return ((pose.label, self._geometry(scene, pose, tau)["box"]),)

    # ---- timeline ------------------------------------------------------------------

    def _locate(self, index: int) -> tuple[HandsScene, HandPose, int]:
        scene, tau = self._position(index)
        starts = [p.start for p in scene.poses]
        pose = scene.poses[bisect.bisect_right(starts, tau) - 1]
        return scene, pose, tau

    def _build_segment(self, rng: np.random.Generator) -> HandsScene:
        return build_scene(
            rng,
            width=self.width,
            height=self.height,
            fps=self.fps,
            segment_frames=self.segment_frames,
            empty_share=self.empty_share,
            sensor_noise=self._sensor_noise,
        )

    # ---- per frame -----------------------------------------------------------------

    def _pose_matrix(
        self, scene: HandsScene, pose: HandPose, tt: float
    ) -> tuple[np.ndarray, np.ndarray, float]:
        """The 2x2 linear map (local units -> px, rotation included) and the palm centre
        (px) at scene time ``tt`` frames, and the px size of one local unit."""
        m = scene.motion
        t = tt / self.fps
        two_pi = 2 * math.pi
        cx = (
            m["cx"]
            + m["ax"] * math.sin(two_pi * m["fx"] * t + m["px"])
            + m["tremor"] * math.sin(two_pi * m["ft1"] * t)
        )
        cy = (
            m["cy"]
            + m["ay"] * math.sin(two_pi * m["fy"] * t + m["py"])
            + m["tremor"] * math.sin(two_pi * m["ft2"] * t + 1.0)
        )
        theta = m["theta0"] + pose.dtheta + m["a_theta"] * math.sin(two_pi * m["f_theta"] * t + m["p_theta"])
        s = scene.palm_px * (1 + m["a_scale"] * math.sin(two_pi * m["f_scale"] * t + m["p_scale"]))
        c, si = math.cos(theta), math.sin(theta)
        R = np.array([[c, -si], [si, c]], np.float32)
        S = np.diag([s * pose.fx * (-1.0 if scene.mirror else 1.0), s * pose.fy]).astype(np.float32)
        return R @ S, np.array([cx, cy], np.float32), s * math.sqrt(pose.fx * pose.fy)

    def _geometry(self, scene: HandsScene, pose: HandPose, tau: int) -> dict:
        """The hand and forearm in frame px at scene frame ``tau``: parts, creases, the
        truth box, the wrist and the forearm direction, and the hand speed (px/frame)."""
        assert pose.label is not None
        shape = hand_shape(pose.label, pose)
        A, centre, unit = self._pose_matrix(scene, pose, tau)

        def to_px(p: np.ndarray, A: np.ndarray = A, centre: np.ndarray = centre) -> np.ndarray:
            return (np.asarray(p, np.float32) - ANCHOR) @ A.T + centre

        parts = [(part, to_px(part.pts)) for part in shape.parts]
        lo = np.full(2, np.inf, np.float32)
        hi = np.full(2, -np.inf, np.float32)
        for part, q in parts:
            r = 0.0 if part.widths is None else float(part.widths.max()) * unit / 2
            lo = np.minimum(lo, q.min(axis=0) - r)
            hi = np.maximum(hi, q.max(axis=0) + r)
        # keep the whole hand inside the frame (the forearm may leave it)
        margin = 3.0
        size = np.array([self.width, self.height], np.float32)
        shift = np.maximum(0.0, margin - lo) - np.maximum(0.0, hi - (size - 1 - margin))
        lo, hi = lo + shift, hi + shift
        x0, y0 = (int(max(0, math.floor(v))) for v in lo)
        x1, y1 = (
            int(min(lim, math.ceil(v) + 1)) for v, lim in zip(hi, (self.width, self.height), strict=True)
        )
        prev = self._pose_matrix(scene, pose, tau - 1)[1]
        # the forearm leaves the wrist along the hand's axis, bent a little at the wrist
        axis = A @ np.array([0.0, 1.0], np.float32)
        axis = _rotate_vec(axis / max(1e-6, float(np.linalg.norm(axis))), scene.motion["wrist"])
        return {
            "parts": [(p, q + shift) for p, q in parts],
            "creases": [to_px(c) + shift for c in shape.creases],
            "box": ROI(x0, y0, max(1, x1 - x0), max(1, y1 - y0)),
            "wrist": to_px(np.zeros((1, 2), np.float32))[0] + shift,
            "axis": axis,
            "unit": unit,
            "speed": float(np.linalg.norm(centre - prev)),
        }

    def _camera(self, img: np.ndarray, scene: HandsScene, tau: int, rng: np.random.Generator) -> np.ndarray:
        """Exposure drift, sensor noise and JPEG, as a webcam adds them (softness is in the
        room and the hand already)."""
        e = scene.exposure
        g = 1.0 + e["a"] * math.sin(2 * math.pi * e["f"] * tau / self.fps + e["p"])
        if abs(g - 1.0) > 0.01:
            img = cv2.convertScaleAbs(img, alpha=g)
        return self._sensor(img, scene.noise, scene.jpeg_quality, rng)


def _rotate_vec(v: np.ndarray, angle: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    return np.array([c * v[0] - s * v[1], s * v[0] + c * v[1]], np.float32)
