"""What a run is asked for: the size factor (full 1.0, quick 0.1), the runs per median, a root.

Pure module: sizes are computed from the issue's full sizes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bench.generate import Shape


@dataclass(frozen=True, slots=True)
class Plan:
    root: Path
    scale: float = 1.0
    runs: int = 3
    idle_rounds: int = 4
    """Readback rounds the idle daemon is watched for."""

    def count(self, full: int, least: int = 1) -> int:
        return max(least, round(full * self.scale))

    def shape(self, pipelines: int, cores: int, one_per_object: bool = False) -> Shape:
        return Shape(self.count(pipelines, 2), self.count(cores), one_per_object=one_per_object)


def size(shape: Shape) -> str:
    return f"{shape.pipelines:,} / {shape.cores:,}"
