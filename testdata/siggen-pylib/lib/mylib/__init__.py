BBIMPORTS = ["util"]
