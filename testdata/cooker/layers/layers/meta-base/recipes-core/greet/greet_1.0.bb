SUMMARY = "Greeter from the base layer"
GREET_LAYER = "base"
