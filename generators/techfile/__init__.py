"""techfile: documentation-as-code for the technical file of medical-device software.

The import package lives in the repository's ``generators/`` folder (see
``pyproject.toml``): the evidence generators, the need model, the
traceability checks, the ``techfile`` command and the Sphinx extension.
"""

__version__ = "0.1.0"
