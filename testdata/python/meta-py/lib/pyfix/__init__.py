# Helper modules of the metadata-Python fixture layer.
BBIMPORTS = ["helpers", "steps"]
