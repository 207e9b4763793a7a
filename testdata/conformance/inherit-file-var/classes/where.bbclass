IN_CLASS := "${@d.getVar('FILE').split('/')[-1]}"
