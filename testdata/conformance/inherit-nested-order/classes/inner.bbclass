ORDER .= " inner"
