inherit my-cls
