"""From the packages of one dependency file to components: which are
direct, which are runtime, and the shortest path that pulls each one in."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from packaging.utils import canonicalize_name

from techfile.evidence.soup.interface import Component, Lock, Locked
from techfile.evidence.soup.licences import normalise
from techfile.evidence.soup.purls import purl_of


def key(name: str, ecosystem: str = "pypi") -> str:
    """The name packages are matched by: PEP 503 normalised for Python, lowercase otherwise."""
    return str(canonicalize_name(name)) if ecosystem == "pypi" else name.lower()


def _paths(roots: tuple[str, ...], edges: dict[str, set[str]]) -> dict[str, tuple[str, ...]]:
    """Name -> the shortest path of names from a root to its parent (breadth first, names sorted: deterministic)."""
    found: dict[str, tuple[str, ...]] = {}
    queue: deque[tuple[str, tuple[str, ...]]] = deque((root, ()) for root in sorted(roots))
    while queue:
        name, path = queue.popleft()
        if name in found:
            continue
        found[name] = path
        for child in sorted(edges.get(name, ())):
            if child not in found:
                queue.append((child, (*path, name)))
    return found


def resolve(lock: Lock, shown: str) -> list[Component]:
    """The components of ``lock``, sorted by name and version."""
    edges: dict[str, set[str]] = {}
    for package in lock.packages:
        edges.setdefault(key(package.name, package.ecosystem), set()).update(package.dependencies)
    project = key(lock.root_name) if lock.root_name else ""
    if lock.runtime_roots is None:
        runtime_roots = tuple(k for k in edges if k != project)
    else:
        runtime_roots = lock.runtime_roots
    runtime = _paths(runtime_roots, edges)
    dev = _paths(lock.dev_roots, edges)
    direct = set(runtime_roots) | set(lock.dev_roots)
    components: list[Component] = []
    for package in lock.packages:
        name = key(package.name, package.ecosystem)
        if name == project:
            continue  # the project itself is not its own dependency
        is_runtime = name in runtime if package.dev is None else not package.dev
        path = runtime.get(name, dev.get(name, ()))
        if project and (path or name in direct):
            path = (lock.root_name, *path)
        licence, problem = normalise(package.license)
        components.append(
            Component(
                name=package.name,
                version=package.version,
                ecosystem=package.ecosystem,
                source_file=package.source_file or shown,
                source_line=package.line,
                exact=package.exact,
                supplier=package.supplier,
                license=licence,
                license_problem=problem,
                purl=package.purl or purl_of(package),
                direct=name in direct if package.direct is None else package.direct,
                runtime=is_runtime,
                path=path,
                dependencies=tuple(sorted(package.dependencies)),
                hashes=tuple(sorted(set(package.hashes))),
                format=lock.format,
            )
        )
    return sorted(components, key=lambda c: (key(c.name, c.ecosystem), c.version, c.source_line))


def locked(
    name: str,
    version: str,
    line: int,
    *,
    ecosystem: str = "pypi",
    dependencies: Iterable[str] = (),
    hashes: tuple[str, ...] = (),
    license: str = "",
    supplier: str = "",
    purl: str = "",
    exact: bool = True,
    dev: bool | None = None,
    direct: bool | None = None,
    source_file: str = "",
) -> Locked:
    """A :class:`Locked` with its dependency names normalised (:func:`key`) and sorted."""
    return Locked(
        name, version, line, ecosystem=ecosystem, dependencies=tuple(sorted({key(d, ecosystem) for d in dependencies})), hashes=hashes,
        license=license, supplier=supplier, purl=purl, exact=exact, dev=dev, direct=direct, source_file=source_file,
    )
