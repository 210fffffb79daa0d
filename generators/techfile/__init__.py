"""techfile: documentation-as-code for the technical file of medical-device software.

The need model and its roles (:mod:`techfile.model`), the source readers of
``techfile check`` (:mod:`techfile.readers`), the traceability checks
(:mod:`techfile.checks`), the evidence generators (:mod:`techfile.evidence`),
the ``techfile`` command (:mod:`techfile.cli`, :mod:`techfile.commands`) and
the Sphinx extension (:mod:`techfile.sphinxext`). What the package ships
(schemas, defaults, CSS, ``techfile init`` templates) is under ``data/``.
"""

__version__ = "0.1.0"
