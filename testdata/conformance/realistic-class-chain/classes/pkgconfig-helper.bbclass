def pkgconfig_opts(d):
    enabled = (d.getVar('PACKAGECONFIG') or '').split()
    flags = d.getVarFlags('PACKAGECONFIG') or {}
    opts = []
    for name in sorted(flags):
        if name.startswith('_') or name in ('doc', 'defaultval'):
            continue
        parts = (flags[name] or '').split(',')
        opts.append(parts[0] if name in enabled else (parts[1] if len(parts) > 1 else ''))
    return ' '.join(o for o in opts if o)
EXTRA_OECONF += "${@pkgconfig_opts(d)}"
