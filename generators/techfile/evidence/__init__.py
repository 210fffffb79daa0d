"""Evidence generators: one subpackage per kind of evidence (``junit``, ...),
behind :mod:`techfile.evidence.interface`; found by
:mod:`techfile.evidence.registry`."""
