this recipe is masked { broken
