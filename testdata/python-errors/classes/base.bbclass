# empty: the fixture needs no class
