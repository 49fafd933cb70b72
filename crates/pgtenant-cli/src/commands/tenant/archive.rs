//! The tenant archive: a tar file holding one COPY-text file per table, in
//! load order, then `manifest.json`, which describes them (written last:
//! it carries the row counts and checksums, known once the rows have
//! streamed through). The one owner of the format, read and written.
//!
//! Rows stream from the COPY into the archive: a table's tar header is
//! written as a placeholder, the data follows as it arrives, and the header
//! is rewritten with the size once the COPY ends. The archive is written
//! to a temporary file beside the target and moved into place at the end,
//! so a failed export leaves nothing behind.

use super::plan::{ColumnDef, Kind};
use anyhow::{bail, Context as _, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// `manifest.json`'s `format`.
pub const FORMAT: &str = "pgtenant-tenant-archive";
/// The version of the format this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
pub const MANIFEST_FILE: &str = "manifest.json";

/// The session settings both sides use, so values print and parse alike
/// whatever the servers' defaults are.
pub const SESSION_SETTINGS: &str = "SET LOCAL DateStyle = 'ISO, YMD'; \
     SET LOCAL IntervalStyle = 'postgres'; SET LOCAL TimeZone = 'UTC'; \
     SET LOCAL extra_float_digits = 3; SET LOCAL bytea_output = 'hex'; \
     SET LOCAL row_security = off";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    pub pgtenant_version: String,
    pub database: String,
    pub tenant: String,
    pub tenant_column: String,
    pub root_table: TableName,
    pub root_key: String,
    pub server_version: String,
    /// In load order (parents first).
    pub tables: Vec<ArchivedTable>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableName {
    pub schema: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ArchivedTable {
    pub schema: String,
    pub name: String,
    pub kind: Kind,
    /// The column holding the tenant id (null for a global table).
    pub key_column: Option<String>,
    pub columns: Vec<ColumnDef>,
    pub rows: u64,
    pub file: String,
    /// SHA-256 of the file, hex.
    pub sha256: String,
}

/// A file name for the `index`-th table: `0003-public.projects.copy`, with
/// characters outside `[A-Za-z0-9_.-]` as `_` (the manifest names the
/// table exactly).
pub fn file_name(index: usize, schema: &str, name: &str) -> String {
    let clean: String = format!("{schema}.{name}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(60)
        .collect();
    format!("data/{:04}-{clean}.copy", index + 1)
}

fn header(path: &str, size: u64) -> Result<tar::Header> {
    let mut h = tar::Header::new_ustar();
    h.set_path(path)
        .with_context(|| format!("archive entry name {path}"))?;
    h.set_size(size);
    h.set_mode(0o644);
    h.set_mtime(0);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_cksum();
    Ok(h)
}

/// An archive being written: a temporary file until [`Writer::finish`].
pub struct Writer {
    out: BufWriter<File>,
    temp: PathBuf,
    target: PathBuf,
    done: bool,
}

/// One entry whose data is streaming in.
pub struct Entry {
    name: String,
    start: u64,
    size: u64,
    hash: Sha256,
}

impl Writer {
    /// Start writing towards `target`; refuses an existing file unless
    /// `force`.
    pub fn create(target: &Path, force: bool) -> Result<Writer> {
        if target.exists() && !force {
            return Err(crate::error::usage(format!(
                "--out {}: the file exists; choose another name, or pass --force to replace it",
                target.display()
            )));
        }
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let base = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "tenant".to_owned());
        let temp = dir.join(format!(".{base}.partial-{}", std::process::id()));
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .with_context(|| {
                format!(
                    "--out {}: cannot create {} in that folder",
                    target.display(),
                    temp.display()
                )
            })?;
        Ok(Writer {
            out: BufWriter::with_capacity(1 << 20, file),
            temp,
            target: target.to_path_buf(),
            done: false,
        })
    }

    fn io(&self, e: std::io::Error) -> anyhow::Error {
        anyhow::Error::new(e).context(format!("writing {}", self.target.display()))
    }

    /// Begin an entry: a placeholder header, rewritten by [`Writer::end`].
    pub fn begin(&mut self, name: &str) -> Result<Entry> {
        let start = self.out.stream_position().map_err(|e| self.io(e))?;
        let zero = [0u8; 512];
        self.out.write_all(&zero).map_err(|e| self.io(e))?;
        Ok(Entry {
            name: name.to_owned(),
            start,
            size: 0,
            hash: Sha256::new(),
        })
    }

    pub fn write(&mut self, entry: &mut Entry, data: &[u8]) -> Result<()> {
        entry.size += data.len() as u64;
        entry.hash.update(data);
        self.out.write_all(data).map_err(|e| self.io(e))
    }

    /// End an entry: pad to a block, write its real header; returns the
    /// hex SHA-256 of its data.
    pub fn end(&mut self, entry: Entry) -> Result<String> {
        let pad = (512 - entry.size % 512) % 512;
        let zeros = vec![0u8; usize::try_from(pad).unwrap_or(0)];
        self.out.write_all(&zeros).map_err(|e| self.io(e))?;
        let end = self.out.stream_position().map_err(|e| self.io(e))?;
        let h = header(&entry.name, entry.size)?;
        self.out
            .seek(SeekFrom::Start(entry.start))
            .map_err(|e| self.io(e))?;
        self.out.write_all(h.as_bytes()).map_err(|e| self.io(e))?;
        self.out
            .seek(SeekFrom::Start(end))
            .map_err(|e| self.io(e))?;
        Ok(hex::encode(entry.hash.finalize()))
    }

    /// Write `manifest.json`, the end-of-archive blocks, and move the file
    /// into place.
    pub fn finish(mut self, manifest: &Manifest, force: bool) -> Result<()> {
        let text = serde_json::to_vec_pretty(manifest).context("encoding manifest.json")?;
        let mut entry = self.begin(MANIFEST_FILE)?;
        self.write(&mut entry, &text)?;
        self.end(entry)?;
        self.out
            .write_all(&[0u8; 1024])
            .and_then(|()| self.out.flush())
            .and_then(|()| self.out.get_ref().sync_all())
            .map_err(|e| self.io(e))?;
        if force {
            std::fs::rename(&self.temp, &self.target)
        } else {
            // A link fails if the name was taken meanwhile: never clobber.
            std::fs::hard_link(&self.temp, &self.target)
                .and_then(|()| std::fs::remove_file(&self.temp))
        }
        .with_context(|| format!("moving the archive into place as {}", self.target.display()))?;
        self.done = true;
        Ok(())
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// An archive refused: names the file and what to do.
fn damaged(path: &Path, why: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!(
        "archive {}: {why}; it is damaged or not a pgtenant tenant archive: export the tenant again \
         (`pgtenant tenant export`)",
        path.display()
    )
}

/// Read `manifest.json` (skipping over the data entries) and check it.
pub fn read_manifest(path: &Path) -> Result<Manifest> {
    let file =
        File::open(path).with_context(|| format!("--in {}: cannot open it", path.display()))?;
    let mut archive = tar::Archive::new(file);
    let entries = archive.entries_with_seek().map_err(|e| damaged(path, e))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| damaged(path, e))?;
        let name = entry.path().map_err(|e| damaged(path, e))?.into_owned();
        if name.as_os_str() == MANIFEST_FILE {
            let mut text = Vec::new();
            entry.read_to_end(&mut text).map_err(|e| damaged(path, e))?;
            if u64::try_from(text.len()).ok() != Some(entry.size()) {
                return Err(damaged(
                    path,
                    "manifest.json is cut short (the file may be truncated)",
                ));
            }
            let m: Manifest = serde_json::from_slice(&text)
                .map_err(|e| damaged(path, format!("manifest.json: {e}")))?;
            if m.format != FORMAT {
                return Err(damaged(
                    path,
                    format!("format {:?}, expected {FORMAT:?}", m.format),
                ));
            }
            if m.format_version != FORMAT_VERSION {
                bail!(
                    "archive {}: format version {}, this pgtenant reads version {FORMAT_VERSION}; \
                     use the pgtenant version that wrote it ({})",
                    path.display(),
                    m.format_version,
                    m.pgtenant_version
                );
            }
            return Ok(m);
        }
    }
    Err(damaged(
        path,
        "no manifest.json (the file may be truncated)",
    ))
}

/// The data entries of an archive, in order, for streaming.
pub struct Reader {
    path: PathBuf,
    archive: tar::Archive<File>,
}

impl Reader {
    pub fn open(path: &Path) -> Result<Reader> {
        let file =
            File::open(path).with_context(|| format!("--in {}: cannot open it", path.display()))?;
        Ok(Reader {
            path: path.to_path_buf(),
            archive: tar::Archive::new(file),
        })
    }

    pub fn entries(&mut self) -> Result<tar::Entries<'_, File>> {
        let path = self.path.clone();
        self.archive.entries().map_err(|e| damaged(&path, e))
    }
}

/// Reads an entry's data while hashing it.
pub struct Hashing<R> {
    pub inner: R,
    pub hash: Sha256,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
}

impl<R> Hashing<R> {
    pub fn new(inner: R) -> Hashing<R> {
        Hashing {
            inner,
            hash: Sha256::new(),
        }
    }

    pub fn hex(self) -> String {
        hex::encode(self.hash.finalize())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(tables: Vec<ArchivedTable>) -> Manifest {
        Manifest {
            format: FORMAT.to_owned(),
            format_version: FORMAT_VERSION,
            pgtenant_version: "0.0.0".to_owned(),
            database: "app".to_owned(),
            tenant: "t1".to_owned(),
            tenant_column: "tenant_id".to_owned(),
            root_table: TableName {
                schema: "public".to_owned(),
                name: "tenants".to_owned(),
            },
            root_key: "id".to_owned(),
            server_version: "15".to_owned(),
            tables,
        }
    }

    #[test]
    fn file_names_are_numbered_and_plain() {
        assert_eq!(
            file_name(0, "public", "projects"),
            "data/0001-public.projects.copy"
        );
        assert_eq!(
            file_name(11, "My Schema", "a/b\"c"),
            "data/0012-My_Schema.a_b_c.copy"
        );
    }

    /// Streamed entries (headers patched afterwards) read back with the tar
    /// crate byte for byte, sizes and checksums right; no temp file left.
    #[test]
    fn streamed_entries_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("t.tar");
        let mut w = Writer::create(&target, false).unwrap();
        let big: Vec<u8> = (0..1500u32)
            .flat_map(|i| format!("{i}\tx\n").into_bytes())
            .collect();
        let mut tables = Vec::new();
        for (i, data) in [&b"1\ta\n"[..], &big[..], &b""[..]].into_iter().enumerate() {
            let file = file_name(i, "public", &format!("t{i}"));
            let mut e = w.begin(&file).unwrap();
            for chunk in data.chunks(700) {
                w.write(&mut e, chunk).unwrap();
            }
            let sha256 = w.end(e).unwrap();
            assert_eq!(sha256, hex::encode(Sha256::digest(data)));
            tables.push(ArchivedTable {
                schema: "public".to_owned(),
                name: format!("t{i}"),
                kind: Kind::Tenant,
                key_column: Some("tenant_id".to_owned()),
                columns: Vec::new(),
                rows: 0,
                file,
                sha256,
            });
        }
        w.finish(&manifest(tables), false).unwrap();
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["t.tar"]);
        let m = read_manifest(&target).unwrap();
        assert_eq!(m.tables.len(), 3);
        let mut r = Reader::open(&target).unwrap();
        let mut seen = Vec::new();
        for entry in r.entries().unwrap() {
            let mut entry = entry.unwrap();
            let mut data = Vec::new();
            entry.read_to_end(&mut data).unwrap();
            seen.push((entry.path().unwrap().to_string_lossy().into_owned(), data));
        }
        assert_eq!(seen.len(), 4);
        assert_eq!(seen[1].0, "data/0002-public.t1.copy");
        assert_eq!(seen[1].1, big);
        assert_eq!(seen[2].1, b"");
        assert_eq!(seen[3].0, MANIFEST_FILE);
        // Never over an existing file without force.
        let err = Writer::create(&target, false).err().unwrap();
        assert!(
            err.to_string().ends_with("pass --force to replace it"),
            "{err}"
        );
    }

    #[test]
    fn a_writer_dropped_before_finish_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("t.tar");
        let mut w = Writer::create(&target, false).unwrap();
        let mut e = w.begin("data/0001-x.copy").unwrap();
        w.write(&mut e, b"1\n").unwrap();
        drop(w);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
