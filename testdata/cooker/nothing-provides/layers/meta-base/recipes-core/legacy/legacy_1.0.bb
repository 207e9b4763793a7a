SUMMARY = "skips itself"
python () {
    raise bb.parse.SkipRecipe("this recipe is retired")
}
