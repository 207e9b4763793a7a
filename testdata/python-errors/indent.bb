def first(d):
    return "1"

def badly_indented(d):
    if d.getVar('A'):
        x = 1
      y = 2
    return x
