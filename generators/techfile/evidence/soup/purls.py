"""Package URLs (packageurl-python) for the packages a dependency file names."""

from __future__ import annotations

from packageurl import PackageURL

from techfile.evidence.soup.interface import Locked


def purl_of(package: Locked) -> str:
    """``pkg:<ecosystem>/[namespace/]name@version``; empty for a version that is a range."""
    if not package.exact:
        return ""
    namespace, name = None, package.name
    if package.ecosystem == "npm" and package.name.startswith("@") and "/" in package.name:
        namespace, name = package.name.split("/", 1)
    if package.ecosystem == "pypi":
        name = package.name.lower().replace("_", "-").replace(".", "-")
    return str(PackageURL(type=package.ecosystem, namespace=namespace, name=name, version=package.version).to_string())
