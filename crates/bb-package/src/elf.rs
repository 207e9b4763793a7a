//! What packaging needs to know of an ELF file, read with the `object` crate: its type,
//! SONAME, NEEDED entries and whether it still has symbols or debug sections.

use std::path::Path;

use object::Endianness;
use object::elf;
use object::read::elf::{Dyn, FileHeader, SectionHeader};

/// The ELF facts of one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ElfInfo {
    /// `e_type`: `ET_EXEC`, `ET_DYN`, `ET_REL`...
    pub e_type: u16,
    /// DT_SONAME, when the file has one.
    pub soname: Option<String>,
    /// DT_NEEDED entries in order.
    pub needed: Vec<String>,
    /// Has a `.symtab` or `.debug_*` section (something to strip).
    pub strippable: bool,
    /// Has a `.gnu_debuglink` section.
    pub has_debuglink: bool,
}

impl ElfInfo {
    /// An executable or a shared object (what gets stripped and split).
    pub fn is_linked(&self) -> bool {
        self.e_type == elf::ET_EXEC || self.e_type == elf::ET_DYN
    }
}

/// Reads `path`; `Ok(None)` when it is not an ELF file (or is one object cannot read:
/// packaging then treats it as data, as BitBake does with files `file` does not call ELF).
pub(crate) fn read(path: &Path) -> std::io::Result<Option<ElfInfo>> {
    let mut head = [0u8; 5];
    {
        use std::io::Read;
        let mut f = fs_err::File::open(path)?;
        let n = f.read(&mut head)?;
        if n < 5 || &head[..4] != b"\x7fELF" {
            return Ok(None);
        }
    }
    let data = fs_err::read(path)?;
    let info = match head[4] {
        1 => parse::<elf::FileHeader32<Endianness>>(&data),
        2 => parse::<elf::FileHeader64<Endianness>>(&data),
        _ => None,
    };
    Ok(info)
}

fn parse<H: FileHeader<Endian = Endianness>>(data: &[u8]) -> Option<ElfInfo> {
    let header = H::parse(data).ok()?;
    let endian = header.endian().ok()?;
    let sections = header.sections(endian, data).ok()?;
    let mut info = ElfInfo {
        e_type: header.e_type(endian),
        ..ElfInfo::default()
    };
    for section in sections.iter() {
        let name = sections.section_name(endian, section).unwrap_or(b"");
        if name == b".symtab" || name.starts_with(b".debug_") {
            info.strippable = true;
        }
        if name == b".gnu_debuglink" {
            info.has_debuglink = true;
        }
        let Ok(Some((dynamic, link))) = section.dynamic(endian, data) else {
            continue;
        };
        let Ok(strings) = sections.strings(endian, data, link) else {
            continue;
        };
        for d in dynamic {
            let Some(tag) = d.tag32(endian) else { continue };
            let Ok(s) = d.string(endian, strings) else {
                continue;
            };
            let s = String::from_utf8_lossy(s).into_owned();
            match tag {
                elf::DT_NEEDED => info.needed.push(s),
                elf::DT_SONAME => info.soname = Some(s),
                _ => {}
            }
        }
    }
    Some(info)
}
