A = "append"
B:append = " appended"
FROM_APPEND := "${FILE}"
