"""The keys of ``edge-capture`` (pure, tested with simulated keys): which key saves which
label (:func:`key_map`), and :func:`decide`, what a key press does given the current
detection.

Imports nothing of ``edge``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

log = logging.getLogger(__name__)


#: Key codes that quit (``q``, ``Q``, Esc); no label may use them.
QUIT_KEYS = frozenset({ord("q"), ord("Q"), 27})
#: What a key reader returns when no key was pressed.
NO_KEY = -1


def parse_keys(spec: str) -> dict[str, str]:
    """Parse ``--keys``: ``"r=rock,p=paper"`` to ``{"r": "rock", "p": "paper"}``.

    Raises:
        ValueError: an entry is not ``KEY=LABEL`` with a one-character key.
    """
    out: dict[str, str] = {}
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        key, sep, label = part.partition("=")
        if not sep or len(key) != 1 or not label:
            raise ValueError(
                f"bad --keys entry {part!r}: write KEY=LABEL with a one-character key, "
                "e.g. --keys r=rock,p=paper,s=scissors,n=none"
            )
        out[key] = label
    return out


def key_map(labels: Sequence[str], keys: Mapping[str, str] | None = None) -> dict[int, str]:
    """Key codes that save a sample of each label.

    By default each label's key is its first character, lower-cased (``0``..``9`` for
    digits; ``r``, ``p``, ``s``, ``n`` for rock, paper, scissors, none); the upper-case
    letter works too (Caps Lock). ``keys`` overrides the key of the labels it names.

    Args:
        labels: the bundle's labels, in output order.
        keys: optional ``{key character: label}`` (see :func:`parse_keys`).

    Returns:
        ``{key code: label}``, e.g. ``{ord("r"): "rock", ord("R"): "rock", ...}``.

    Raises:
        ValueError: two labels would share a key, a key is ``q``/Esc (quit) or not a
            printable ASCII character, or ``keys`` names a label the bundle does not
            have. The message says how to choose keys with ``--keys``.
    """
    labels = list(labels)
    chosen: dict[str, str] = {}
    if keys:
        for lab in keys.values():
            if lab not in labels:
                raise ValueError(f"--keys names {lab!r}, which is not a label of this model {labels}")
        by_label = {lab: k for k, lab in keys.items()}
    else:
        by_label = {}
    for lab in labels:
        k = by_label.get(lab, lab[:1].lower())
        if len(k) != 1 or not (k.isascii() and k.isprintable()) or k == " ":
            raise ValueError(f"label {lab!r} has no usable key ({k!r}); give one with --keys KEY={lab}")
        if ord(k) in QUIT_KEYS or ord(k.lower()) in QUIT_KEYS:
            raise ValueError(
                f"label {lab!r} would take the key {k!r}, which quits; give it another with --keys X={lab}"
            )
        if k.lower() in {c.lower() for c in chosen}:
            other = next(v for c, v in chosen.items() if c.lower() == k.lower())
            raise ValueError(
                f"labels {other!r} and {lab!r} would both use the key {k!r}; choose keys "
                f"with --keys, e.g. --keys " + ",".join(f"{c}={v}" for c, v in _suggest(labels).items())
            )
        chosen[k] = lab
    out: dict[int, str] = {}
    for k, lab in chosen.items():
        out[ord(k.lower())] = lab
        out[ord(k.upper())] = lab
    return out


def _suggest(labels: Sequence[str]) -> dict[str, str]:
    """A collision-free key per label (first unused character of the label, else a digit)."""
    used: set[str] = {"q"}
    out: dict[str, str] = {}
    spare = iter("1234567890abcdefghijklmnoprstuvwxyz")
    for lab in labels:
        k = next((c for c in lab.lower() if c.isascii() and c.isalnum() and c not in used), None)
        while k is None or k in used:
            k = next(spare)
        used.add(k)
        out[k] = lab
    return out


def describe_keys(keymap: Mapping[int, str]) -> str:
    """One-line help for a key map, e.g. ``"r rock, p paper, s scissors, n none; q/Esc quit"``,
    or ``"0 1 2 3 4 5 6 7 8 9 save that label; q/Esc quit"`` when each key is its label."""
    pairs = {chr(c): lab for c, lab in keymap.items() if chr(c) == chr(c).lower()}
    if pairs and all(k == lab for k, lab in pairs.items()):
        return " ".join(pairs) + " save that label; q/Esc quit"
    return ", ".join(f"{k} {lab}" for k, lab in pairs.items()) + ("; " if pairs else "") + "q/Esc quit"


@dataclass(frozen=True)
class KeyAction:
    """What a key press means in the capture loop.

    Attributes:
        kind: ``"idle"`` (no key), ``"quit"``, ``"save"`` (save the current detection as
            ``label``), ``"no_detection"`` (a label key, but nothing is detected: nothing
            is saved) or ``"unknown"`` (a key with no meaning here).
        label: the label of ``"save"`` and ``"no_detection"``, else ``None``.
        key: the key code pressed (-1 for none).
    """

    kind: str
    label: str | None = None
    key: int = NO_KEY


def decide(key: int, keymap: Mapping[int, str], has_detection: bool) -> KeyAction:
    """Map a key code and whether a detection is on screen to an action (pure).

    Args:
        key: the code a key reader returned (``cv2.waitKey(...) & 0xFF``), or -1 (none).
        keymap: from :func:`key_map`.
        has_detection: whether the current frame has an ROI to save.

    Returns:
        The :class:`KeyAction`. Quit keys win over label keys (:func:`key_map`
        never gives them to a label).
    """
    if key is None or key < 0:
        return KeyAction("idle")
    if key in QUIT_KEYS:
        return KeyAction("quit", key=key)
    label = keymap.get(key)
    if label is None:
        return KeyAction("unknown", key=key)
    return KeyAction("save" if has_detection else "no_detection", label, key)
