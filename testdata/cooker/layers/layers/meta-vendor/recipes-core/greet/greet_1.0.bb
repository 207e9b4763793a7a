SUMMARY = "Greeter from the vendor layer"
GREET_LAYER = "vendor"
