"""A generated technical file of thousands of needs, with gaps sprinkled in
deterministically, for the parity test of ``techfile check`` against the
Sphinx build (and, later, for the benchmark)."""

from __future__ import annotations

import random
from pathlib import Path

from miniproject import Mini, result

PER_FILE = 40  # groups per file


def _group(g: int, rng: random.Random) -> tuple[str, list]:
    """One slice of a device: need, system and software requirements, item, hazard, control, test, SOUP."""
    gap = rng.random

    def field(name: str, value: str, p: float = 0.02) -> str:
        return "" if gap() < p else f":{name}: {value}\n"

    text = f"""
```{{user_need}} Need {g}
:id: UN_{g:03d}
```

```{{sysreq}} System requirement {g}
:id: SYS_{g:03d}
:allocation: software
{field('derives_from', f'UN_{g:03d}')}```

```{{item}} Unit {g}
:id: ITEM_U{g}
:level: unit
{field('part_of', 'ITEM_SYS', 0.01)}:uses: SOUP_{g}
```
"""
    results = []
    for r in range(3):
        swr = g * 3 + r
        text += f"""
```{{swreq}} Software requirement {swr}
:id: SWR_{swr:03d}
:category: functional
{field('derives_from', f'SYS_{g:03d}')}:allocated_to: ITEM_U{g}
{f':implements: RC_{g:03d}' + chr(10) if r == 0 else ''}```
"""
        outcome = "failed" if gap() < 0.01 else "skipped" if gap() < 0.01 else "passed"
        if gap() > 0.02:
            results.append(result(f"RES_{swr}", outcome, result_of=(f"TEST_{swr:03d}",)))
        text += f"""
```{{testspec}} Test {swr}
:id: TEST_{swr:03d}
:level: unit
{field('verifies', f'SWR_{swr:03d}, ITEM_U{g}')}:acceptance: Passes.
```
"""
    text += f"""
```{{hazard}} Hazard {g}
:id: HAZ_{g:03d}
:hazardous_situation: Situation {g}
:harm: Harm
:cause: Cause
:software_contribution: yes
:arises_from: ITEM_U{g}
:severity: serious
:probability: probable
:residual_severity: serious
{field('residual_probability', 'remote')}```

```{{risk_control}} Control {g}
:id: RC_{g:03d}
{field('option', 'protective_measure')}:realization: software
{field('mitigates', f'HAZ_{g:03d}')}{field('new_hazards', 'None.')}:effectiveness: Study.
```

```{{soup}} lib{g}
:id: SOUP_{g}
:manufacturer: Maker {g}
:version: {'1.0' if gap() > 0.02 else '">=1.0"'}
:functional_requirements: F.
:performance_requirements: P.
{field('hw_sw_requirements', 'H.')}:anomaly_evaluation: E.
:anomaly_evaluation_date: 2026-01-01
:anomaly_evaluation_version: 1.0
```
"""
    return text, results


def generate(mini: Mini, groups: int, seed: int = 62304, per_file: int = PER_FILE) -> int:
    """Write ``groups`` slices (12 needs each, plus results) into the mini project, ``per_file`` slices a file; return the need count."""
    rng = random.Random(seed)
    needs_dir = mini.root / "needs"
    for name in ("requirements.md", "architecture.md", "risk.md", "tests.md", "soup.md"):
        (needs_dir / name).unlink()
    (needs_dir / "architecture.md").write_text("# Architecture\n\n```{item} System\n:id: ITEM_SYS\n:level: system\n:safety_class: B\n```\n")
    mini.results = []
    for start in range(0, groups, per_file):
        text = f"# Part {start // per_file}\n"
        for g in range(start, min(groups, start + per_file)):
            group_text, results = _group(g, rng)
            text += group_text
            mini.results.extend(results)
        Path(needs_dir / f"part_{start // per_file:04d}.md").write_text(text)
    from miniproject import component

    mini.components = [component(f"lib{g}", "1.0") for g in range(groups)]
    return groups * 12 + 4 + len(mini.results) + len(mini.components)
