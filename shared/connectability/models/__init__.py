"""pydantic models: API input and output, manifests, queue messages.

Their annotations are objects, not strings: no module here imports `from __future__ import annotations`, because
pydantic evaluates each string annotation (compiling it) when it defines a model, in every function's cold start
(a fifth of these modules' import; bench.instructions). A method naming its own class says `Self`."""
