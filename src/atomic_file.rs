//! Files replaced atomically: written under a temporary name in the target's directory
//! (`.NAME.partial-XXXXXX`, by [`tempfile`]), flushed to disk, then renamed over the target. A
//! crash or an error at any moment leaves either the old file or the new one under the name,
//! never a torn one; the temporary file is removed on every failure path (an [`AtomicFile`]
//! dropped before [`AtomicFile::commit`], or a rename that fails).
//!
//! Below every other layer: any tool that writes a result or a checkpoint file uses it.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

/// A file being written under a temporary name beside `path`, which it replaces on
/// [`commit`](AtomicFile::commit). Dropped uncommitted, it removes the temporary file.
#[derive(Debug)]
pub struct AtomicFile {
    path: PathBuf,
    temp: NamedTempFile,
}

impl AtomicFile {
    /// Creates the temporary file for `path` in `path`'s directory (the current directory for a
    /// bare name), with the permissions a new file gets (0666 less the umask on Unix), as
    /// `File::create` would.
    pub fn create(path: &Path) -> io::Result<AtomicFile> {
        let name = path.file_name().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{} names no file", path.display()),
            )
        })?;
        let mut prefix = std::ffi::OsString::from(".");
        prefix.push(name);
        prefix.push(".partial-");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o666));
        }
        let temp = builder.tempfile_in(directory_of(path))?;
        Ok(AtomicFile {
            path: path.to_path_buf(),
            temp,
        })
    }

    /// The name the file gets on commit.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The temporary file's name (for messages).
    pub fn temp_path(&self) -> &Path {
        self.temp.path()
    }

    /// Flushes the file to disk (fsync), renames it over its name, then syncs the directory so
    /// that the rename itself is durable. On failure the temporary file is removed and the old
    /// file (if any) is left as it was.
    pub fn commit(mut self) -> io::Result<PathBuf> {
        self.temp.as_file_mut().flush()?;
        self.temp.as_file().sync_all()?;
        // A failed persist hands the temporary file back in the error; dropping it removes it.
        self.temp.persist(&self.path).map_err(|err| err.error)?;
        if let Ok(dir) = File::open(directory_of(&self.path)) {
            let _ = dir.sync_all();
        }
        Ok(self.path)
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.temp.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.temp.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.temp.flush()
    }
}

/// Replaces `path` with `bytes` atomically ([`AtomicFile`]).
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = AtomicFile::create(path)?;
    file.write_all(bytes)?;
    file.commit().map(|_| ())
}

/// The directory a file `path` is in: its parent, or `.` for a bare name.
fn directory_of(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn replaces_the_file_only_on_commit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.json");
        fs::write(&path, "old").unwrap();
        let mut file = AtomicFile::create(&path).unwrap();
        file.write_all(b"new").unwrap();
        let temp = file.temp_path().file_name().unwrap().to_string_lossy();
        assert!(temp.starts_with(".out.json.partial-"), "{temp}");
        // Until the commit the old contents stay under the name.
        assert_eq!(fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(file.commit().unwrap(), path);
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(names(dir.path()), ["out.json"]);
        write(&path, b"newer").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "newer");
        assert_eq!(names(dir.path()), ["out.json"]);
    }

    #[test]
    fn a_drop_or_a_failed_rename_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.json");
        let mut file = AtomicFile::create(&path).unwrap();
        file.write_all(b"half").unwrap();
        drop(file);
        assert!(names(dir.path()).is_empty());
        // The name became a non-empty directory meanwhile: the rename fails.
        let mut file = AtomicFile::create(&path).unwrap();
        file.write_all(b"whole").unwrap();
        fs::create_dir(&path).unwrap();
        fs::write(path.join("keep"), b"x").unwrap();
        assert!(file.commit().is_err());
        assert_eq!(names(dir.path()), ["out.json"]);
        assert_eq!(names(&path), ["keep"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_new_file_gets_the_usual_permissions_not_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain");
        fs::File::create(&plain).unwrap();
        let atomic = dir.path().join("atomic");
        write(&atomic, b"x").unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&atomic), mode(&plain));
    }

    #[test]
    fn a_bare_name_is_written_in_the_current_directory() {
        assert_eq!(directory_of(Path::new("x.json")), Path::new("."));
        assert_eq!(directory_of(Path::new("a/x.json")), Path::new("a"));
        assert!(AtomicFile::create(Path::new("/")).is_err());
    }
}
