A = "one \
    two \  
three"
# comment \
# still comment
B = "b"
