//! Splitting debug information out of ELF files and stripping them, as oe-core's
//! `split_and_strip_files` does in its default `debug-with-srcpkg` style: the debug part
//! of `/usr/bin/tool` goes to `/usr/bin/.debug/tool` (`objcopy --only-keep-debug`), the
//! binary gets a `.gnu_debuglink` to it and is stripped (`--strip-unneeded` for shared
//! libraries).

use std::path::Path;
use std::process::Command;

use crate::elf::ElfInfo;
use crate::error::{Error, Result};
use crate::spec::StripTools;

/// Runs `argv` in `cwd` with a clean environment; its output goes into the error.
pub(crate) fn run(argv: &[&str], cwd: &Path) -> Result<()> {
    let Some((prog, args)) = argv.split_first() else {
        return Err(Error::Invalid("empty command".to_owned()));
    };
    let out = Command::new(prog)
        .args(args)
        .current_dir(cwd)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("LC_ALL", "C")
        .output()
        .map_err(|e| Error::Command {
            command: argv.join(" "),
            output: e.to_string(),
        })?;
    if !out.status.success() {
        return Err(Error::Command {
            command: argv.join(" "),
            output: format!(
                "{}: {}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        });
    }
    Ok(())
}

/// Splits (when `split_debug`) and strips the ELF file at `pkgd` + `rel` (`/usr/bin/x`).
pub(crate) fn split_and_strip(
    pkgd: &Path,
    rel: &str,
    info: &ElfInfo,
    tools: &StripTools,
    split_debug: bool,
) -> Result<()> {
    if !info.is_linked() || !info.strippable {
        return Ok(());
    }
    let file = pkgd.join(rel.trim_start_matches('/'));
    let (dir, base) = match (file.parent(), file.file_name()) {
        (Some(d), Some(b)) => (d.to_path_buf(), b.to_string_lossy().into_owned()),
        _ => return Err(Error::Invalid(format!("`{rel}` has no file name"))),
    };
    let perms = fs_err::metadata(&file)?.permissions();
    // objcopy and strip need to write the file.
    {
        use std::os::unix::fs::PermissionsExt;
        let mut w = perms.clone();
        w.set_mode(perms.mode() | 0o200);
        fs_err::set_permissions(&file, w)?;
    }
    if split_debug && !info.has_debuglink {
        fs_err::create_dir_all(dir.join(".debug"))?;
        let debug = format!(".debug/{base}");
        run(&[&tools.objcopy, "--only-keep-debug", &base, &debug], &dir)?;
        run(
            &[
                &tools.objcopy,
                &format!("--add-gnu-debuglink={debug}"),
                &base,
            ],
            &dir,
        )?;
        use std::os::unix::fs::PermissionsExt;
        fs_err::set_permissions(dir.join(&debug), std::fs::Permissions::from_mode(0o644))?;
    }
    let mut argv = vec![
        tools.strip.as_str(),
        "--remove-section=.comment",
        "--remove-section=.note",
    ];
    if info.e_type == object::elf::ET_DYN && base.contains(".so") {
        argv.push("--strip-unneeded");
    }
    argv.push(&base);
    run(&argv, &dir)?;
    fs_err::set_permissions(&file, perms)?;
    Ok(())
}
