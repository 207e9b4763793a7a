inherit once
OTHER = "other"
