PROVIDES = "virtual/cc"
