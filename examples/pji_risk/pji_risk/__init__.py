"""PJI-Risk: pre-operative estimate of periprosthetic joint infection risk.

Decision support for orthopaedic surgeons counselling adults scheduled for
elective total hip or knee arthroplasty. Not a diagnostic. The package is
split so that each safety-relevant step can be verified on its own:
``validation`` (reject anything outside the intended use), ``model`` (verified
model file, logistic estimate), ``explain`` (modifiable factors), ``report``
(risk band and mandatory statement) and ``cli`` (the only entry point).
"""

__version__ = "1.0.0"
