"""Offline training and verification helpers of PJI-Risk (not part of the runtime package).

Importable as ``training`` from the example root so that the system tests can
regenerate the sequestered test split and recompute the acceptance metrics.
"""
