"""The quickstart demo (`make demo`)."""

print("The demo is not there yet: see issue 5. `make test` runs the engine tests.")
