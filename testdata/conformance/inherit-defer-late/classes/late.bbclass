A = "class-value"
SEEN := "${B}"
