SUMMARY = "Kernel A"
PROVIDES = "virtual/kernel"
