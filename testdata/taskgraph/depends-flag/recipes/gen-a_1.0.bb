PROVIDES = "virtual/gen"
