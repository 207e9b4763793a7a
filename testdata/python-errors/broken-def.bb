A = "1"

def broken(d):
    x = (1,
    return x

B = "2"
