inherit pick second
