"""JSON round trip shared by the training configs (``config.json``, ``--config``)."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any, ClassVar


class JsonConfig:
    """Mixin for a training-config dataclass with a nested ``augment`` config.

    Subclasses set :attr:`augment_class` (the augmentation dataclass) and :attr:`kind`
    (used in error messages). ``augment: None`` in JSON means augmentation off; lists
    in the augment section become tuples (JSON has no tuples).
    """

    augment_class: ClassVar[type]
    kind: ClassVar[str] = "training"

    def to_json(self) -> dict[str, Any]:
        """The config as plain JSON types (nested dataclasses become dicts)."""
        return asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Any:
        """A config from :meth:`to_json`'s output (or a hand-written subset of it).

        Raises:
            ValueError: a key that is not a field, naming the known ones.
        """
        d = dict(d)
        aug = d.pop("augment", {})
        known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown {cls.kind} config keys {sorted(unknown)}; known: {sorted(known)}")
        if aug is not None:
            aug = cls.augment_class(**{k: tuple(v) if isinstance(v, list) else v for k, v in aug.items()})
        return cls(**d, augment=aug)
