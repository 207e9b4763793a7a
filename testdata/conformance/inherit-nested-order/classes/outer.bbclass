ORDER .= " outer-start"
inherit inner
ORDER .= " outer-end"
