COUNT .= "o"
