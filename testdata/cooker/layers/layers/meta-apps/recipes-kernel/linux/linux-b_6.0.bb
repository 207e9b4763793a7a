SUMMARY = "Kernel B"
PROVIDES = "virtual/kernel"
