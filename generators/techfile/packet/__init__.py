"""The release packet: one reproducible archive of a release's technical
file (HTML, PDF, workbook, needs.json, findings, the evidence inputs) with a
manifest of every file's SHA-256, optionally signed, and its verification.

* :mod:`~techfile.packet.manifest`: ``MANIFEST.json``, what it says and how it is read back;
* :mod:`~techfile.packet.archive`: the reproducible ``.tar.gz`` writer and the safe reader;
* :mod:`~techfile.packet.signing`: ``ssh-keygen -Y sign`` / ``-Y verify`` of the manifest;
* :mod:`~techfile.packet.gate`: the release of the asked version, refused on open gaps;
* :mod:`~techfile.packet.builddate`: the build date, never the clock;
* :mod:`~techfile.packet.evidence`: which evidence inputs the packet carries;
* :mod:`~techfile.packet.sphinxbuild`: the HTML build, made reproducible;
* :mod:`~techfile.packet.build`: ``techfile release``'s pipeline;
* :mod:`~techfile.packet.verify`: ``techfile verify``'s comparison.
"""
